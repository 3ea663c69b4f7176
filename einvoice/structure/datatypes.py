"""Lexical checks of the XSD built-in simple types, with the whitespace rules Xerces applies.

Each checker takes the text *after* whitespace normalisation and returns True when it is in the
type's lexical space. Xerces (what the official validator runs) collapses whitespace for every
type but string/normalizedString before checking, so ``' 2018-04-13 '`` is a valid xs:date.
Where Xerces differs from the letter of XSD 1.0 we follow Xerces (the JDK's copy, which the
official validator runs; checked value by value against it): years within Java's int range,
``24:00:00``, base64 with whitespace anywhere, anyURI as its URI parser (see anyuri.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from einvoice.structure.anyuri import is_any_uri as is_any_uri

XML_WS = " \t\r\n"
# The whitespace runs pretty-printing leaves between elements (a line break and indentation):
# one set lookup settles most tails and leading texts; anything else is checked in full.
WS_RUNS = frozenset(
    brk + ch * n for brk in ("\n", "\r\n") for ch in (" ", "\t") for n in range(81)
)
_REPLACE = str.maketrans("\t\n\r", "   ")
_SPACES = re.compile(" {2,}")


def replace_ws(value: str) -> str:
    return value.translate(_REPLACE)


def collapse_ws(value: str) -> str:
    v = value.translate(_REPLACE).strip(" ")
    return _SPACES.sub(" ", v) if "  " in v else v


def normalize(value: str, ws: str) -> str:
    """Apply a whiteSpace facet: ``p`` preserve, ``r`` replace, ``c`` collapse."""
    if ws == "c":
        return collapse_ws(value)
    if ws == "r":
        return replace_ws(value)
    return value


# -- numbers -------------------------------------------------------------------------------------
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|-?INF|NaN)")


# xs:decimal with the surrounding XML whitespace a collapse would remove: one C call for the most
# frequent check of an invoice (amounts, quantities, percentages).
DECIMAL_TRIMMED = re.compile(r"[ \t\r\n]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*")


def decimal_quick(raw: str) -> bool:
    """xs:decimal at a glance, surrounding whitespace allowed: an unsigned ASCII number with at
    most one point (nearly every amount) is settled by two C string calls, about half the cost
    of the regular expression, which decides everything else."""
    if raw.isascii() and raw.replace(".", "", 1).isdigit():
        return True
    return DECIMAL_TRIMMED.fullmatch(raw) is not None


# Longest text a memo of valid values keeps, and how many it keeps: bounded so that hostile input
# (huge whitespace padding, many distinct values) cannot grow it.
_MEMO_TEXT = 64
_MEMO_SIZE = 4096


@cache
def trimmed_quick(check: Callable[[str], bool]) -> Callable[[str], bool]:
    """``check`` on the trimmed text, valid answers remembered by raw text: dates and the like
    recur within and across invoices, and ``is_date`` costs several times a set lookup."""
    valid: set[str] = set()
    ws = XML_WS

    def quick(raw: str) -> bool:
        if raw in valid:
            return True
        if not check(raw.strip(ws)):
            return False
        if len(raw) <= _MEMO_TEXT and len(valid) < _MEMO_SIZE:
            valid.add(raw)
        return True

    return quick


def is_decimal(v: str) -> bool:
    return _DECIMAL.fullmatch(v) is not None


def is_float(v: str) -> bool:
    return _FLOAT.fullmatch(v) is not None


def _integer_in(lo: int | None, hi: int | None) -> Callable[[str], bool]:
    def check(v: str) -> bool:
        if _INTEGER.fullmatch(v) is None:
            return False
        if lo is None and hi is None:
            return True
        n = int(v)
        return (lo is None or n >= lo) and (hi is None or n <= hi)

    return check


# -- dates and times -----------------------------------------------------------------------------
_TZ = r"(Z|[+-][0-9]{2}:[0-9]{2})?"
_YEAR = r"(-?[0-9]{4,})"
_TIME = r"([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
_DATE_RE = re.compile(_YEAR + r"-([0-9]{2})-([0-9]{2})" + _TZ)
_TIME_RE = re.compile(_TIME + _TZ)
_DATETIME_RE = re.compile(_YEAR + r"-([0-9]{2})-([0-9]{2})T" + _TIME + _TZ)
_GYEAR_RE = re.compile(_YEAR + _TZ)
_GYEARMONTH_RE = re.compile(_YEAR + r"-([0-9]{2})" + _TZ)
_GMONTH_RE = re.compile(r"--([0-9]{2})" + _TZ)
_GMONTHDAY_RE = re.compile(r"--([0-9]{2})-([0-9]{2})" + _TZ)
_GDAY_RE = re.compile(r"---([0-9]{2})" + _TZ)
_DURATION_RE = re.compile(
    r"-?P(?=[0-9T])(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+D)?(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?"
)
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _year_ok(y: str) -> bool:
    digits = y.lstrip("-")
    # More than four digits may not start with 0; year 0000 does not exist in XSD 1.0; Xerces
    # reads the year into a Java int.
    if len(digits) > 4 and digits[0] == "0":
        return False
    year = int(y)
    return year != 0 and -(2**31) <= year <= 2**31 - 1


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _day_ok(year: int, month: int, day: int) -> bool:
    if not 1 <= month <= 12 or day < 1:
        return False
    if month == 2 and not _leap(year):
        return day <= 28
    return day <= _DAYS[month - 1]


def _tz_ok(tz: str | None) -> bool:
    if not tz or tz == "Z":
        return True
    hh, mm = int(tz[1:3]), int(tz[4:6])
    return mm <= 59 and (hh < 14 or (hh == 14 and mm == 0))


def _time_ok(hh: str, mm: str, ss: str, frac: str | None) -> bool:
    h, m, s = int(hh), int(mm), int(ss)
    if m > 59 or s > 59:
        return False
    if h == 24:
        return m == 0 and s == 0 and (not frac or frac.strip(".0") == "")
    return h <= 23


def is_date(v: str) -> bool:
    m = _DATE_RE.fullmatch(v)
    if m is None:
        return False
    y = m[1]
    return _year_ok(y) and _day_ok(int(y), int(m[2]), int(m[3])) and _tz_ok(m[4])


def is_time(v: str) -> bool:
    m = _TIME_RE.fullmatch(v)
    return m is not None and _time_ok(m[1], m[2], m[3], m[4]) and _tz_ok(m[5])


def is_datetime(v: str) -> bool:
    m = _DATETIME_RE.fullmatch(v)
    if m is None:
        return False
    y = m[1]
    return (
        _year_ok(y)
        and _day_ok(int(y), int(m[2]), int(m[3]))
        and _time_ok(m[4], m[5], m[6], m[7])
        and _tz_ok(m[8])
    )


def is_gyear(v: str) -> bool:
    m = _GYEAR_RE.fullmatch(v)
    return m is not None and _year_ok(m[1]) and _tz_ok(m[2])


def is_gyearmonth(v: str) -> bool:
    m = _GYEARMONTH_RE.fullmatch(v)
    return m is not None and _year_ok(m[1]) and 1 <= int(m[2]) <= 12 and _tz_ok(m[3])


def is_gmonth(v: str) -> bool:
    m = _GMONTH_RE.fullmatch(v)
    return m is not None and 1 <= int(m[1]) <= 12 and _tz_ok(m[2])


def is_gmonthday(v: str) -> bool:
    m = _GMONTHDAY_RE.fullmatch(v)
    return m is not None and _day_ok(2000, int(m[1]), int(m[2])) and _tz_ok(m[3])


def is_gday(v: str) -> bool:
    m = _GDAY_RE.fullmatch(v)
    return m is not None and 1 <= int(m[1]) <= 31 and _tz_ok(m[2])


def is_duration(v: str) -> bool:
    return _DURATION_RE.fullmatch(v) is not None and not v.endswith("T")


# -- binary --------------------------------------------------------------------------------------
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# Every byte to 1 if it is outside the alphabet, to 0 if in it.
_B64_OUTSIDE = bytes(0 if chr(c) in _B64 else 1 for c in range(256))
_B64_VALUE = {c: i for i, c in enumerate(_B64)}
_XML_WS_BYTES = XML_WS.encode("ascii")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")


def base64_length(v: str) -> int | None:
    """Decoded length in octets, or None when Xerces' decoder refuses the text.

    Xerces drops all whitespace first, then wants groups of four; in the last group ``xx==``
    and ``xxx=`` are accepted only when the unused bits are zero. Works on bytes because
    attachments are large and ``bytes.translate`` is the fastest scan Python has (without
    deletions: a deleting translate costs about half as much again per byte).
    """
    if not v.isascii():
        return None
    b = v.encode("ascii")
    # Attachments are usually one long line: four substring scans cost far less per byte than
    # the whitespace-dropping translate, which then only runs when there is whitespace to drop.
    if b" " in b or b"\n" in b or b"\r" in b or b"\t" in b:
        b = b.translate(None, _XML_WS_BYTES)
    n = len(b)
    if n % 4:
        return None
    if n == 0:
        return 0
    if b"\x01" in b[:-4].translate(_B64_OUTSIDE):
        return None
    last = b[-4:].decode("ascii")
    a, b2, c, d = last[0], last[1], last[2], last[3]
    if a not in _B64_VALUE or b2 not in _B64_VALUE:
        return None
    full = (n - 4) // 4 * 3
    if c in _B64_VALUE and d in _B64_VALUE:
        return full + 3
    if c == "=" and d == "=":
        return full + 1 if _B64_VALUE[b2] & 0xF == 0 else None
    if c in _B64_VALUE and d == "=":
        return full + 2 if _B64_VALUE[c] & 0x3 == 0 else None
    return None


def is_base64(v: str) -> bool:
    return base64_length(v) is not None


def is_hex(v: str) -> bool:
    return _HEX.fullmatch(v) is not None


# -- names, languages, URIs ----------------------------------------------------------------------
_NAME_START = (
    "A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_NAME_CHAR = _NAME_START + r"\-.0-9\u00b7\u0300-\u036f\u203f-\u2040"
_NCNAME = re.compile(f"[{_NAME_START}][{_NAME_CHAR}]*")
_NAME = re.compile(f"[:{_NAME_START}][:{_NAME_CHAR}]*")
_NMTOKEN = re.compile(f"[:{_NAME_CHAR}]+")
_QNAME = re.compile(f"(?:[{_NAME_START}][{_NAME_CHAR}]*:)?[{_NAME_START}][{_NAME_CHAR}]*")
_LANGUAGE = re.compile(r"[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*")


def is_ncname(v: str) -> bool:
    return _NCNAME.fullmatch(v) is not None


def is_name(v: str) -> bool:
    return _NAME.fullmatch(v) is not None


def is_nmtoken(v: str) -> bool:
    return _NMTOKEN.fullmatch(v) is not None


def is_qname(v: str) -> bool:
    return _QNAME.fullmatch(v) is not None


def is_language(v: str) -> bool:
    return _LANGUAGE.fullmatch(v) is not None


BOOLEANS = frozenset(("true", "false", "1", "0"))

# Built-in name -> (lexical check or None when every string is valid, whitespace it implies).
BUILTINS: dict[str, tuple[Callable[[str], bool] | None, str]] = {
    "anySimpleType": (None, "p"),
    "string": (None, "p"),
    "normalizedString": (None, "r"),
    "token": (None, "c"),
    "language": (is_language, "c"),
    "Name": (is_name, "c"),
    "NCName": (is_ncname, "c"),
    "ID": (is_ncname, "c"),
    "IDREF": (is_ncname, "c"),
    "NMTOKEN": (is_nmtoken, "c"),
    "QName": (is_qname, "c"),
    "decimal": (is_decimal, "c"),
    "integer": (_integer_in(None, None), "c"),
    "nonNegativeInteger": (_integer_in(0, None), "c"),
    "positiveInteger": (_integer_in(1, None), "c"),
    "nonPositiveInteger": (_integer_in(None, 0), "c"),
    "negativeInteger": (_integer_in(None, -1), "c"),
    "long": (_integer_in(-(2**63), 2**63 - 1), "c"),
    "int": (_integer_in(-(2**31), 2**31 - 1), "c"),
    "short": (_integer_in(-(2**15), 2**15 - 1), "c"),
    "byte": (_integer_in(-128, 127), "c"),
    "unsignedLong": (_integer_in(0, 2**64 - 1), "c"),
    "unsignedInt": (_integer_in(0, 2**32 - 1), "c"),
    "unsignedShort": (_integer_in(0, 2**16 - 1), "c"),
    "unsignedByte": (_integer_in(0, 255), "c"),
    "double": (is_float, "c"),
    "float": (is_float, "c"),
    "boolean": (BOOLEANS.__contains__, "c"),
    "date": (is_date, "c"),
    "time": (is_time, "c"),
    "dateTime": (is_datetime, "c"),
    "gYear": (is_gyear, "c"),
    "gYearMonth": (is_gyearmonth, "c"),
    "gMonth": (is_gmonth, "c"),
    "gMonthDay": (is_gmonthday, "c"),
    "gDay": (is_gday, "c"),
    "duration": (is_duration, "c"),
    "base64Binary": (is_base64, "c"),
    "hexBinary": (is_hex, "c"),
    "anyURI": (is_any_uri, "c"),
}


# Collapsed types whose check gives the same answer on the trimmed text as on the collapsed text:
# their lexical space has no inner whitespace (so any is an error either way), or, for anyURI,
# the check does not depend on it.
STRIP_ENOUGH = frozenset(
    name for name in BUILTINS if name not in ("anySimpleType", "string", "normalizedString", "token",
                                               "base64Binary")
)


def length_of(builtin: str, value: str) -> int:
    """The length the length facets measure: octets for binary types, characters otherwise."""
    if builtin == "base64Binary":
        return base64_length(value) or 0
    if builtin == "hexBinary":
        return len(value) // 2
    return len(value)
