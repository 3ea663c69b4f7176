"""Located values: every business term value remembers where it stood in the XML.

A value keeps the text exactly as written (trimmed), because the legal invoice is the XML and
reports must show what the supplier wrote; the parsed form (Decimal, date) sits beside it and is
``None`` when the text does not parse, so readers never raise on bad content: rules decide.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict

# xs:decimal lexical space: no exponent, no NaN/INF, optional sign, optional fraction.
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?")
_DATE_102 = re.compile(r"(\d{4})(\d{2})(\d{2})")


# Amounts, rates and dates repeat within a document and from one document to the next, and a
# parse (a regular expression match, then Decimal or date) costs 4-9 K instructions against ~0.1 K
# for a dict look-up. Decimal and date are immutable, so one object may serve every value.
# Texts that do not parse are not remembered (rare; they are parsed again). Bounded by clearing
# and by the length of a text kept, so a hostile document cannot park megabytes here. With every
# digit of the sample varied per copy (bench/icount.py --vary digits) the memo still saves: read
# 1.72 -> 1.65 M instructions per document (1.71 -> 1.57 M on the corpus as it is).
_MEMO_SIZE = 4096
_MEMO_TEXT = 64
_DECIMALS: dict[str, Decimal] = {}
_DATES: dict[str, date] = {}
_DATES_102: dict[str, date] = {}


def parse_decimal(text: str) -> Decimal | None:
    """The xs:decimal value of ``text`` (already trimmed), or None."""
    value = _DECIMALS.get(text)
    if value is not None:
        return value
    if not _DECIMAL.fullmatch(text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
        return None
    if len(text) <= _MEMO_TEXT:
        if len(_DECIMALS) >= _MEMO_SIZE:
            _DECIMALS.clear()
        _DECIMALS[text] = value
    return value


def parse_date(text: str, fmt: str | None = None) -> date | None:
    """An ISO date (UBL, optional time zone) or a CII format-102 date (``fmt='102'``), or None."""
    memo = _DATES_102 if fmt == "102" else _DATES
    value = memo.get(text)
    if value is not None:
        return value
    m = (_DATE_102 if fmt == "102" else _DATE).fullmatch(text)
    if not m:
        return None
    try:
        value = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[text] = value
    return value


class Value(BaseModel):
    """A value as written in the document and the XPath of the node it came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    raw: str
    path: str


class Text(Value):
    """Free text or a plain identifier without scheme."""


class Code(Value):
    """A coded value (currency, country, VAT category, unit, …); ``list_id`` where given."""

    list_id: str | None = None
    list_version: str | None = None


class Identifier(Value):
    """An identifier with its optional scheme (ISO 6523 ICD, EAS, SEPA, …)."""

    scheme: str | None = None
    scheme_version: str | None = None


class Amount(Value):
    """A monetary amount; ``value`` is None when ``raw`` is no xs:decimal."""

    value: Decimal | None = None
    currency: str | None = None


class Quantity(Value):
    """A quantity with its unit of measure code (UN/ECE Rec 20)."""

    value: Decimal | None = None
    unit: str | None = None


class Percent(Value):
    """A percentage or rate as a decimal number (19 means 19 %)."""

    value: Decimal | None = None


class DateValue(Value):
    """A calendar date; ``value`` is None when ``raw`` is no valid date in the syntax's format."""

    value: date | None = None
    format: str | None = None


class Binary(Value):
    """An attached binary object (base64 text in ``raw``) with MIME code and file name."""

    mime: str | None = None
    filename: str | None = None
