"""Secure XML intake: bytes in, a parsed tree or one clear error out, never an exception.

Why this order: the cheapest and most dangerous checks come first. Size is checked before
anything is decoded; the prolog is scanned for a DOCTYPE before any XML parser sees the bytes
(a DTD is how external entities, billion laughs and external subsets get in, and the official
validator refuses DTDs too); only then does lxml parse, with entity resolution, DTD loading and
network access off. libxml2's own depth limit (256 levels without XML_PARSE_HUGE) bounds nesting;
we check our configurable limit on top of it while we are already walking the tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_DEPTH = 200

_BOM_UTF8 = b"\xef\xbb\xbf"
# A prolog item: whitespace, XML declaration / processing instruction, or comment.
_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.S)
_ENCODING_DECL = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


@dataclass(frozen=True)
class IntakeError:
    """Why the bytes are not a readable XML document. ``code`` is one of our EINV-INTAKE-* ids."""

    code: str
    message_de: str
    message_en: str
    reason: str = "not-wellformed"


@dataclass(frozen=True)
class Parsed:
    root: etree._Element
    size: int


def _parser() -> etree.XMLParser:
    # A fresh parser per document: lxml parsers keep error logs and are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        collect_ids=False,
        remove_blank_text=False,
    )


def _err(code: str, de: str, en: str) -> IntakeError:
    return IntakeError(code=code, message_de=de, message_en=en)


def _check_prolog(data: bytes) -> IntakeError | None:
    """Reject DTDs and non-UTF-8 encodings by looking at the bytes only."""
    pos = 3 if data.startswith(_BOM_UTF8) else 0
    decl = _ENCODING_DECL.match(data, pos)
    if decl and decl.group(1).decode("ascii").lower().replace("_", "-") not in ("utf-8", "utf8"):
        name = decl.group(1).decode("ascii")
        return _err(
            "EINV-INTAKE-ENCODING",
            f"Die Zeichenkodierung '{name}' wird nicht angenommen; XRechnung verlangt UTF-8.",
            f"The character encoding '{name}' is not accepted; XRechnung requires UTF-8.",
        )
    while True:
        m = _PROLOG_ITEM.match(data, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
    if data.startswith(b"<!", pos) and data[pos : pos + 9].upper() == b"<!DOCTYPE":
        return _err(
            "EINV-INTAKE-DOCTYPE",
            "Das Dokument enthält eine DOCTYPE-Deklaration. DTDs und Entitäten sind aus "
            "Sicherheitsgründen nicht erlaubt; bitte ohne DOCTYPE senden.",
            "The document contains a DOCTYPE declaration. DTDs and entities are refused for "
            "security reasons; please send it without a DOCTYPE.",
        )
    if b"<!DOCTYPE" in data[pos:pos + 4096].upper() or b"<!ENTITY" in data[pos:pos + 4096].upper():
        return _err(
            "EINV-INTAKE-DOCTYPE",
            "Das Dokument enthält eine DOCTYPE- oder ENTITY-Deklaration; das ist nicht erlaubt.",
            "The document contains a DOCTYPE or ENTITY declaration; that is not allowed.",
        )
    return None


def _classify_encoding(data: bytes) -> IntakeError | None:
    head = data[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _err(
            "EINV-INTAKE-UTF16",
            "Das Dokument ist UTF-16-kodiert (mit BOM). XRechnung verlangt UTF-8; bitte als UTF-8 senden.",
            "The document is UTF-16 encoded (with BOM). XRechnung requires UTF-8; please send UTF-8.",
        )
    if head in (b"\x00<\x00?", b"<\x00?\x00") or head[:2] in (b"\x00<", b"<\x00"):
        return _err(
            "EINV-INTAKE-UTF16",
            "Das Dokument ist UTF-16-kodiert (ohne BOM). XRechnung verlangt UTF-8.",
            "The document is UTF-16 encoded (without BOM). XRechnung requires UTF-8.",
        )
    return None


def _looks_like_xml(data: bytes) -> bool:
    body = data[3:] if data.startswith(_BOM_UTF8) else data
    return body.lstrip()[:1] == b"<"


def _depth_exceeds(root: etree._Element, limit: int) -> bool:
    # Iterative walk: recursion would itself be the attack surface.
    stack: list[tuple[etree._Element, int]] = [(root, 1)]
    while stack:
        el, d = stack.pop()
        if d > limit:
            return True
        for child in el:
            if len(child):
                stack.append((child, d + 1))
    return False


def parse(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH
) -> Parsed | IntakeError:
    """Parse untrusted bytes safely. Returns ``Parsed`` or an ``IntakeError``; never raises."""
    try:
        return _parse(data, max_bytes=max_bytes, max_depth=max_depth)
    except Exception as exc:  # noqa: BLE001 - the intake boundary must not leak exceptions
        return _err(
            "EINV-INTAKE-INTERNAL",
            f"Das Dokument konnte nicht gelesen werden ({type(exc).__name__}).",
            f"The document could not be read ({type(exc).__name__}).",
        )


def _parse(data: bytes, *, max_bytes: int, max_depth: int) -> Parsed | IntakeError:
    if not isinstance(data, bytes | bytearray | memoryview):
        return _err("EINV-INTAKE-TYPE", "Eingabe ist keine Bytefolge.", "Input is not a byte string.")
    data = bytes(data)
    if not data.strip():
        return _err(
            "EINV-INTAKE-EMPTY",
            "Die Nachricht ist leer; es wurde kein Dokument übermittelt.",
            "The message is empty; no document was sent.",
        )
    if len(data) > max_bytes:
        return _err(
            "EINV-INTAKE-SIZE",
            f"Das Dokument ist {len(data)} Bytes groß; erlaubt sind höchstens {max_bytes} Bytes.",
            f"The document has {len(data)} bytes; at most {max_bytes} bytes are accepted.",
        )
    enc = _classify_encoding(data)
    if enc:
        return enc
    if not _looks_like_xml(data):
        return _err(
            "EINV-INTAKE-NOT-XML",
            "Die Nachricht ist kein XML-Dokument (sie beginnt nicht mit '<'). Erwartet wird eine "
            "XRechnung im UBL- oder CII-Format.",
            "The message is not an XML document (it does not start with '<'). An XRechnung in "
            "UBL or CII syntax is expected.",
        )
    bad = _check_prolog(data)
    if bad:
        return bad
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        return _syntax_error(exc)
    if root is None:  # pragma: no cover - fromstring raises instead
        return _err("EINV-INTAKE-MALFORMED", "Kein Wurzelelement.", "No root element.")
    if _depth_exceeds(root, max_depth):
        return _err(
            "EINV-INTAKE-DEPTH",
            f"Das Dokument ist tiefer als {max_depth} Ebenen verschachtelt.",
            f"The document is nested deeper than {max_depth} levels.",
        )
    return Parsed(root=root, size=len(data))


def _syntax_error(exc: etree.XMLSyntaxError) -> IntakeError:
    msg = str(exc)
    low = msg.lower()
    if "excessive depth" in low or ("depth" in low and "huge" in low):
        return _err(
            "EINV-INTAKE-DEPTH",
            "Das Dokument ist zu tief verschachtelt.",
            "The document is nested too deeply.",
        )
    if "encoding" in low or "utf-8" in low or "char 0x" in low or "not proper" in low:
        return _err(
            "EINV-INTAKE-ENCODING",
            f"Das Dokument ist kein gültiges UTF-8: {msg}",
            f"The document is not valid UTF-8: {msg}",
        )
    if "entity" in low:
        return _err(
            "EINV-INTAKE-ENTITY",
            f"Das Dokument verwendet nicht definierte Entitäten: {msg}",
            f"The document uses undefined entities: {msg}",
        )
    if "huge" in low:
        return _err(
            "EINV-INTAKE-LIMIT",
            f"Das Dokument überschreitet eine Grenze des XML-Parsers: {msg}",
            f"The document exceeds an XML parser limit: {msg}",
        )
    return _err(
        "EINV-INTAKE-MALFORMED",
        f"Das Dokument ist kein wohlgeformtes XML: {msg}",
        f"The document is not well-formed XML: {msg}",
    )
