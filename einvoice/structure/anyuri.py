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
_HEX4 = re.compile(r"[0-9A-Fa-f]{1,4}")


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


def _ipv6(ref: str) -> bool:
    if len(ref) < 2 or ref[0] != "[" or ref[-1] != "]":
        return False
    body = ref[1:-1]
    if body.count("::") > 1:
        return False
    parts = body.split(":")
    if "." in parts[-1]:
        if not _ipv4(parts[-1]):
            return False
        parts = parts[:-1]
        groups = 2
    else:
        groups = 0
    if "::" in body:
        pieces = [p for p in parts if p]
        return all(_HEX4.fullmatch(p) for p in pieces) and len(pieces) + groups <= 7
    return len(parts) + groups == 8 and all(_HEX4.fullmatch(p) for p in parts)


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
