"""xs:anyURI as Xerces (the official validator's schema engine) decides it.

Xerces escapes a few characters (controls, space, ``<>"{}|\\^`` and the backtick, non-ASCII),
then parses the result as an RFC 2396 URI reference relative to a fixed base. It refuses e.g.
broken ``%`` escapes, a non-conformant scheme, an empty scheme-specific part (``urn:``), ``[``
in a path, a second ``#`` and ``//`` without an authority at the end. This module follows that
parser step by step (scheme, authority, path or opaque part, query, fragment); it was checked
value by value against the JDK's Xerces.
"""

from __future__ import annotations

import re

_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_UNRESERVED = _ALNUM | frozenset("-_.!~*'()")
_URIC = _UNRESERVED | frozenset(";/?:@&=+$,[]")
_PATHC = _UNRESERVED | frozenset(";/:@&=+$,")
_USERINFOC = _UNRESERVED | frozenset(";:&=+$,")
_REGC = _UNRESERVED | frozenset(";:&=+$,@")
_HEX = frozenset("0123456789abcdefABCDEF")
# What Xerces escapes before parsing: the escape is always well-formed, so "%41" stands in.
_ESCAPED = frozenset(chr(c) for c in range(0x20)) | frozenset('\x7f <>"{}|\\^`')
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_IPV4 = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})")


def _encode(v: str) -> str:
    if all(c not in _ESCAPED and c < "\x80" for c in v):
        return v
    return "".join("%41" if (c in _ESCAPED or c >= "\x80") else c for c in v)


def _scan(s: str, i: int, end: int, allowed: frozenset[str], stops: str) -> int | None:
    """Index of the first stop character from ``i`` on (or ``end``); None on an invalid one."""
    while i < end:
        c = s[i]
        if c in stops:
            return i
        if c == "%":
            if i + 2 >= end or s[i + 1] not in _HEX or s[i + 2] not in _HEX:
                return None
            i += 3
        elif c in allowed:
            i += 1
        else:
            return None
    return i


def _ipv4(host: str) -> bool:
    """Four dot-separated groups of one to three digits, each at most 255 (no trailing dot)."""
    m = _IPV4.fullmatch(host)
    return m is not None and all(int(g) <= 255 for g in m.groups())


def _hex_sequence(a: str, i: int, end: int, counter: list[int]) -> int:
    """Scan ``hex4 *(":" hex4)`` from ``i``; returns where it stopped, or -1 when invalid.

    Stops in front of "::" and backs up in front of a group that turns out to start an IPv4
    tail; ``counter[0]`` counts the 16-bit groups read (at most eight)."""
    digits = 0
    start = i
    while i < end:
        c = a[i]
        if c == ":":
            if digits > 0:
                counter[0] += 1
                if counter[0] > 8:
                    return -1
            if digits == 0 or (i + 1 < end and a[i + 1] == ":"):
                return i
            digits = 0
        elif c not in _HEX:
            if c == "." and 0 < digits < 4 and counter[0] <= 6:
                back = i - digits - 1
                return back if back >= start else back + 1
            return -1
        else:
            digits += 1
            if digits > 4:
                return -1
        i += 1
    if digits > 0:
        counter[0] += 1
        if counter[0] <= 8:
            return end
    return -1


def _ipv6(ref: str) -> bool:
    """An IPv6 reference ``[...]`` (RFC 2373), scanned as Xerces scans it."""
    end = len(ref) - 1
    if not (len(ref) > 2 and ref[0] == "[" and ref[end] == "]"):
        return False
    counter = [0]
    i = _hex_sequence(ref, 1, end, counter)
    if i == -1:
        return False
    if i == end:
        return counter[0] == 8
    if i + 1 < end and ref[i] == ":":
        if ref[i + 1] == ":":
            counter[0] += 1  # "::" stands for at least one group of zeros
            if counter[0] > 8:
                return False
            i += 2
            if i == end:
                return True
        else:
            return counter[0] == 6 and _ipv4(ref[i + 1 : end])
    else:
        return False
    before = counter[0]
    i = _hex_sequence(ref, i, end, counter)
    if i == end:
        return True
    return i != -1 and _ipv4(ref[(i + 1 if counter[0] > before else i) : end])


def _hostname(host: str) -> bool:
    host = host.strip()
    if not host:
        return False
    if host[0] == "[":
        return _ipv6(host)
    if host[0] in ".-" or host[-1] == "-":
        return False
    dot = host.rfind(".")
    if host.endswith("."):
        dot = host[:dot].rfind(".")
    if dot + 1 < len(host) and host[dot + 1].isdigit() and host[dot + 1].isascii():
        return _ipv4(host)
    if len(host) > 255:
        return False
    count = 0
    for i, c in enumerate(host):
        if c == ".":
            if host[i - 1] not in _ALNUM or (i + 1 < len(host) and host[i + 1] not in _ALNUM):
                return False
            count = 0
        elif c not in _ALNUM and c != "-":
            return False
        else:
            count += 1
            if count > 63:
                return False
    return True


def _chars(s: str, allowed: frozenset[str]) -> bool:
    return _scan(s, 0, len(s), allowed, "") == len(s)


def _authority(auth: str) -> bool:
    userinfo = None
    i = 0
    if "@" in auth:
        at = auth.index("@")
        userinfo, i = auth[:at], at + 1
    start = i
    end = len(auth)
    has_port = False
    if i < end:
        if auth[start] == "[":
            close = auth.find("]", start)
            i = close if close != -1 else end
            if i + 1 < end and auth[i + 1] == ":":
                i += 1
                has_port = True
            else:
                i = end
        else:
            colon = auth.rfind(":")
            i = colon if colon > start else end
            has_port = i != end
    host = auth[start:i]
    port = -1
    if host and has_port:
        digits = auth[i + 1 :]
        if digits:
            try:
                port = int(digits)  # like Java's parseInt: an optional sign, then digits
            except ValueError:
                port = -2
            if port == -1 or not digits.isascii() or "_" in digits or " " in digits:
                port = -2
    server = (
        _hostname(host)
        and -1 <= port <= 65535
        and (userinfo is None or _chars(userinfo, _USERINFOC))
    )
    return server or _chars(auth, _REGC)


def is_any_uri(value: str) -> bool:
    if not value:
        return True
    s = _encode(value)
    end = len(s)
    i = 0
    scheme = None
    colon = s.find(":")
    if colon != -1:
        before = s[:colon]
        if colon == 0 or "/" in before or "?" in before or "#" in before:
            if colon == 0:
                return False
        else:
            if _SCHEME.fullmatch(before) is None:
                return False
            if colon == end - 1 or s[colon + 1] == "#":
                return False
            scheme = before
            i = colon + 1
    if i + 1 < end and s[i] == "/" and s[i + 1] == "/":
        i += 2
        start = i
        while i < end and s[i] not in "/?#":
            i += 1
        if i > start:
            if not _authority(s[start:i]):
                i = start - 2
        elif i >= end:
            return False  # "//" with nothing after it: an authority was expected
    # Path (or the opaque part of an absolute URI not starting with "/"), then query, fragment.
    if i < end:
        # An opaque part may hold "[" and "]", a path may not.
        allowed = _PATHC if scheme is None or s[i] == "/" else _URIC
        j = _scan(s, i, end, allowed, "?#")
        if j is None:
            return False
        i = j
    if i < end and s[i] == "?":
        j = _scan(s, i + 1, end, _URIC, "#")
        if j is None:
            return False
        i = j
    if i < end and s[i] == "#":
        j = _scan(s, i + 1, end, _URIC, "")
        if j is None:
            return False
        i = j
    return i == end
