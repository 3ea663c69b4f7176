"""Secure XML intake: bytes in, a parsed tree or one clear error out, never an exception.

Defence in layers (docs/security.md has the reasoning):

1. Byte checks before any parser sees the data: size, empty body, compressed/PDF/UTF-16/
   non-XML payloads, a declared encoding other than UTF-8, and a DOCTYPE in the prolog. A DTD
   is how external entities, entity expansion bombs and external subsets get in; the official
   validator refuses external DTD access too, and no invoice needs one.
2. libxml2 runs with entity substitution, DTD loading and network access off, and with a
   resolver that answers every load request with nothing, so even a DOCTYPE that slipped past
   layer 1 cannot read a file or open a connection.
3. After parsing, a document that carries a DTD after all is refused, and the nesting depth is
   checked against our limit (libxml2 itself stops at 256 levels, or 2048 in huge mode).

Large text nodes (a 10 MB note) are legitimate: libxml2's default 10,000,000-byte text limit is
lifted by re-parsing in huge mode only when that limit was what stopped the first parse. The
size limit on the whole body still bounds everything.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# libxml2 enforces 256 levels in C at no cost in its default mode; real invoices use fewer than
# 20, and 256 stays far below Python's recursion limit for any recursive code downstream.
DEFAULT_MAX_DEPTH = 256

# Huge mode is only safe where libxml2 still caps nesting (2048) in that mode; older releases
# drop the cap and recurse per level, so there the default limits stay in force.
_HUGE_SAFE = etree.LIBXML_VERSION >= (2, 12, 0)

_BOM_UTF8 = b"\xef\xbb\xbf"
_XML_SPACE = re.compile(rb"[ \t\r\n]*")
# The prolog up to the first markup that is none of: whitespace, XML declaration / processing
# instruction, comment. One match; nothing follows the repetition, so it never backtracks.
_PROLOG = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.S)
_ENCODING_DECL = re.compile(rb"""<\?xml[ \t\r\n][^>]*?encoding\s*=\s*["']([^"'>]{0,64})["']""")
_UTF8_NAMES = frozenset({"utf-8", "utf8"})
# The XML declarations nearly every invoice starts with (no BOM), all of the same length.
_USUAL_DECLS = (b'<?xml version="1.0" encoding="UTF-8"?>', b'<?xml version="1.0" encoding="utf-8"?>')
_USUAL_DECL_LEN = len(_USUAL_DECLS[0])
_TRAILING_POSITION = re.compile(r"(,? line \d+,? column \d+)+\s*$")
_LIBXML2_MAX_DEPTH = 256
# About 64 bytes per proxy: up to this size the held proxies cost at most a few megabytes.
_KEEP_PROXIES_UP_TO = 256 * 1024

_E = etree.ErrorTypes
_ENCODING_ERRORS = frozenset(
    {_E.ERR_INVALID_ENCODING, _E.ERR_UNKNOWN_ENCODING, _E.ERR_UNSUPPORTED_ENCODING, _E.ERR_ENCODING_NAME}
)
_ENTITY_ERRORS = frozenset(
    {_E.ERR_UNDECLARED_ENTITY, _E.WAR_UNDECLARED_ENTITY, _E.ERR_ENTITY_NOT_FINISHED,
     _E.ERR_ENTITY_PE_INTERNAL}
)
_LIMIT_ERRORS = frozenset({_E.ERR_RESOURCE_LIMIT, _E.ERR_NAME_TOO_LONG})


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
    # Every element's Python proxy, held while the document is being checked: lxml creates a
    # proxy per access and frees it when unused, so the structure walk, the reader and the rules
    # would each build all of them again. Empty for large documents (memory stays bounded).
    elements: list[etree._Element] = field(default_factory=list, repr=False, compare=False)


class _RefuseLoads(etree.Resolver):
    """Answers every request for an external DTD or entity with an empty document."""

    # lxml-stubs omit the context argument that lxml passes.
    def resolve(self, system_url: str, public_id: str, context: object) -> object:  # type: ignore[override]
        return self.resolve_string("", context, base_url=None)


def _new_parser(*, huge: bool) -> etree.XMLParser:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=huge,
        collect_ids=False,
        remove_blank_text=False,
    )
    parser.resolvers.add(_RefuseLoads())
    return parser


_local = threading.local()


def _parser(*, huge: bool) -> etree.XMLParser:
    # lxml parsers are not thread-safe but may be reused within a thread; building one with a
    # resolver per document costs more than the parse of a typical invoice.
    key = "huge" if huge else "normal"
    parser: etree.XMLParser | None = getattr(_local, key, None)
    if parser is None:
        parser = _new_parser(huge=huge)
        setattr(_local, key, parser)
    return parser


@lru_cache(maxsize=8)
def _deeper_than(limit: int) -> etree.XPath:
    # An element exists at depth limit+1 iff this child-only path from the document matches;
    # evaluated in C, so the check costs about one pass over the elements.
    return etree.XPath("boolean(" + "/*" * (limit + 1) + ")")


def _err(code: str, de: str, en: str) -> IntakeError:
    return IntakeError(code=code, message_de=de, message_en=en)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


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
        return _err(
            "EINV-INTAKE-TYPE",
            "Die Eingabe ist keine Bytefolge.",
            "The input is not a byte string.",
        )
    size = data.nbytes if isinstance(data, memoryview) else len(data)
    if size > max_bytes:  # before any copy of an oversized body
        return _err(
            "EINV-INTAKE-SIZE",
            f"Das Dokument ist {size} Bytes ({_mb(size)}) groß; angenommen werden "
            f"höchstens {max_bytes} Bytes ({_mb(max_bytes)}).",
            f"The document has {size} bytes ({_mb(size)}); at most {max_bytes} bytes "
            f"({_mb(max_bytes)}) are accepted.",
        )
    data = bytes(data)
    if not _usual_prolog(data):
        bad = _check_bytes(data)
        if bad is None:
            bad = _check_prolog(data)
        if bad is not None:
            return bad
    huge = False
    try:
        root = etree.fromstring(data, _parser(huge=False))
    except etree.XMLSyntaxError as exc:
        if not _may_retry_huge(exc, data):
            return _syntax_error(exc, max_depth)
        # A text node or name over libxml2's default limits: legitimate within our size limit.
        huge = True
        try:
            root = etree.fromstring(data, _parser(huge=True))
        except etree.XMLSyntaxError as exc2:
            return _syntax_error(exc2, max_depth)
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        return _doctype_error()
    # In default mode libxml2 has already refused anything deeper than 256 levels.
    if (huge or max_depth < _LIBXML2_MAX_DEPTH) and _deeper_than(max_depth)(root):
        return _depth_error(max_depth)
    elements: list[etree._Element] = list(root.iter()) if size <= _KEEP_PROXIES_UP_TO else []
    return Parsed(root=root, size=size, elements=elements)


def _may_retry_huge(exc: etree.XMLSyntaxError, data: bytes) -> bool:
    """Whether only a size limit of libxml2's default mode stopped a DTD-free document."""
    if not _HUGE_SAFE:
        return False
    msg = str(exc).lower()
    # A CDATA section over the limit reports a syntax error code, only its message says why.
    if _code(exc) not in _LIMIT_ERRORS and "too big" not in msg:
        return False
    if "depth" in msg or "entity" in msg or "amplification" in msg:
        return False
    # Belt and braces: huge mode never sees anything that could declare an entity.
    return b"<!DOCTYPE" not in data and b"<!ENTITY" not in data


def _usual_prolog(data: bytes) -> bool:
    """True for the prolog nearly every invoice has: a UTF-8 XML declaration, at most a line
    break, then the root's start tag (not a comment, DOCTYPE or processing instruction). Such
    bytes pass every check of ``_check_bytes`` and ``_check_prolog``; this glance costs a few
    percent of those checks (three regular-expression matches and a dozen slices)."""
    if not data.startswith(_USUAL_DECLS):
        return False
    i = _USUAL_DECL_LEN
    nxt = data[i : i + 1]
    if nxt == b"\n":
        i += 1
    elif nxt == b"\r" and data[i + 1 : i + 2] == b"\n":
        i += 2
    return data[i : i + 1] == b"<" and data[i + 1 : i + 2] not in (b"!", b"?", b"")


def _check_bytes(data: bytes) -> IntakeError | None:
    """Recognise what the payload is before treating it as XML."""
    start = 3 if data.startswith(_BOM_UTF8) else 0
    first = _XML_SPACE.match(data, start).end()  # type: ignore[union-attr]
    if not data:
        return _err(
            "EINV-INTAKE-EMPTY",
            "Die Nachricht ist leer; es wurde kein Dokument übermittelt.",
            "The message is empty; no document was sent.",
        )
    if first == len(data):
        return _err(
            "EINV-INTAKE-EMPTY",
            "Die Nachricht enthält nur Leerzeichen; es wurde kein Dokument übermittelt.",
            "The message contains only whitespace; no document was sent.",
        )
    head = data[:4]
    if head.startswith(b"\x1f\x8b"):
        return _err(
            "EINV-INTAKE-COMPRESSED",
            "Die Nachricht ist eine gzip-komprimierte Datei. Bitte die XRechnung unkomprimiert "
            "als XML-Dokument senden.",
            "The message is a gzip-compressed file. Please send the XRechnung uncompressed, as "
            "an XML document.",
        )
    if head in (b"PK\x03\x04", b"PK\x05\x06"):
        return _err(
            "EINV-INTAKE-COMPRESSED",
            "Die Nachricht ist ein ZIP-Archiv. Bitte jede XRechnung einzeln als XML-Dokument senden.",
            "The message is a ZIP archive. Please send each XRechnung on its own, as an XML document.",
        )
    if data[first : first + 5] == b"%PDF-":
        return _err(
            "EINV-INTAKE-PDF",
            "Die Nachricht ist eine PDF-Datei. Angenommen wird nur die XRechnung als XML-Dokument "
            "(UBL oder CII); bei ZUGFeRD/Factur-X bitte das eingebettete XML senden.",
            "The message is a PDF file. Only the XRechnung as an XML document (UBL or CII) is "
            "accepted; for ZUGFeRD/Factur-X please send the embedded XML.",
        )
    if head in (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00") or head[:3] == b"\x00\x00\x00":
        return _encoding_error("UTF-32", "UTF-32")
    if head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff"):
        return _encoding_error("UTF-16 (mit Byte-Order-Mark)", "UTF-16 (with byte order mark)")
    if _utf16_without_bom(head):
        return _encoding_error("UTF-16 (ohne Byte-Order-Mark)", "UTF-16 (without byte order mark)")
    if data[first : first + 1] != b"<":
        return _err(
            "EINV-INTAKE-NOT-XML",
            "Die Nachricht ist kein XML-Dokument (sie beginnt nicht mit '<'). Erwartet wird eine "
            "XRechnung im UBL- oder CII-Format.",
            "The message is not an XML document (it does not start with '<'). An XRechnung in "
            "UBL or CII syntax is expected.",
        )
    return None


def _utf16_without_bom(head: bytes) -> bool:
    # Any ASCII character (the first of an XML document must be '<' or blank) in UTF-16 has a
    # zero byte on one side: 00 xx 00 yy (big endian) or xx 00 yy 00 (little endian).
    if len(head) < 4:
        return head[:2] in (b"\x00<", b"<\x00")
    big = head[0] == 0 and head[2] == 0 and head[1] != 0 and head[3] != 0
    little = head[1] == 0 and head[3] == 0 and head[0] != 0 and head[2] != 0
    return big or little


def _encoding_error(what_de: str, what_en: str) -> IntakeError:
    return _err(
        "EINV-INTAKE-UTF16",
        f"Das Dokument ist {what_de} kodiert. XRechnung verlangt UTF-8; bitte das Dokument als "
        "UTF-8 speichern und erneut senden.",
        f"The document is encoded in {what_en}. XRechnung requires UTF-8; please save the "
        "document as UTF-8 and send it again.",
    )


def _check_prolog(data: bytes) -> IntakeError | None:
    """Refuse a declared encoding other than UTF-8 and any DOCTYPE, from the bytes alone."""
    pos = 3 if data.startswith(_BOM_UTF8) else 0
    decl = _ENCODING_DECL.match(data, pos)
    if decl is not None:
        name = decl.group(1).decode("ascii", "replace")
        if name.strip().lower().replace("_", "-") not in _UTF8_NAMES:
            return _err(
                "EINV-INTAKE-ENCODING",
                f"Das Dokument ist laut XML-Deklaration in '{name}' kodiert. Angenommen wird nur "
                "UTF-8, wie XRechnung es verlangt; bitte als UTF-8 speichern und erneut senden.",
                f"The XML declaration says the document is encoded in '{name}'. Only UTF-8 is "
                "accepted, as XRechnung requires; please save it as UTF-8 and send it again.",
            )
    pos = _PROLOG.match(data, pos).end()  # type: ignore[union-attr]  # matches the empty string
    if data[pos : pos + 9].upper() == b"<!DOCTYPE":
        return _doctype_error()
    return None


def _doctype_error() -> IntakeError:
    return _err(
        "EINV-INTAKE-DOCTYPE",
        "Das Dokument enthält eine DOCTYPE-Deklaration. DTDs und Entitäten werden aus "
        "Sicherheitsgründen nicht angenommen und von XRechnung nicht gebraucht; bitte ohne "
        "DOCTYPE senden.",
        "The document contains a DOCTYPE declaration. DTDs and entities are refused for "
        "security reasons and XRechnung does not need them; please send it without a DOCTYPE.",
    )


def _depth_error(limit: int | None) -> IntakeError:
    if limit is None:
        return _err(
            "EINV-INTAKE-DEPTH",
            "Das Dokument ist zu tief verschachtelt.",
            "The document is nested too deeply.",
        )
    return _err(
        "EINV-INTAKE-DEPTH",
        f"Das Dokument ist tiefer als {limit} Ebenen verschachtelt; eine Rechnung braucht "
        "weniger als 20.",
        f"The document is nested deeper than {limit} levels; an invoice needs fewer than 20.",
    )


def _code(exc: etree.XMLSyntaxError) -> int:
    # libxml2's error number; lxml-stubs do not declare the attribute.
    code: int = getattr(exc, "code", 0)
    return code


def _where(exc: etree.XMLSyntaxError) -> tuple[str, str]:
    """Where the parser stopped, and its own (English) words for why."""
    line, col = exc.position
    detail = _TRAILING_POSITION.sub("", " ".join((exc.msg or str(exc)).split()))
    if len(detail) > 200:
        detail = detail[:200] + "…"
    return (
        f"Zeile {line}, Spalte {col}; der XML-Parser meldet: {detail}",
        f"line {line}, column {col}; the XML parser reports: {detail}",
    )


def _syntax_error(exc: etree.XMLSyntaxError, max_depth: int) -> IntakeError:
    de, en = _where(exc)
    code = _code(exc)
    if code in _LIMIT_ERRORS:
        msg = str(exc).lower()
        if "depth" in msg:
            return _depth_error(max_depth if max_depth <= _LIBXML2_MAX_DEPTH else None)
        if "entity" in msg or "amplification" in msg:
            # Entity expansion limits only trip when a DTD declared entities.
            return _doctype_error()
        return _err(
            "EINV-INTAKE-LIMIT",
            f"Das Dokument überschreitet eine Grenze des XML-Parsers ({de}).",
            f"The document exceeds a limit of the XML parser ({en}).",
        )
    if code in _ENCODING_ERRORS:
        return _err(
            "EINV-INTAKE-UTF8",
            f"Das Dokument enthält Bytes, die kein gültiges UTF-8 sind ({de}). XRechnung verlangt "
            "UTF-8; oft wurde die Datei als ISO-8859-1/Windows-1252 gespeichert.",
            f"The document contains bytes that are not valid UTF-8 ({en}). XRechnung requires "
            "UTF-8; often the file was saved as ISO-8859-1/Windows-1252.",
        )
    if code == _E.ERR_ENTITYREF_SEMICOL_MISSING or (
        code == _E.ERR_NAME_REQUIRED and "entityref" in str(exc).lower()
    ):
        # The most common hand-made mistake: "Müller & Söhne" written without escaping.
        return _err(
            "EINV-INTAKE-AMPERSAND",
            f"Ein '&' im Text ist nicht als '&amp;' geschrieben ({de}). Beispiel: "
            "'Müller &amp; Söhne' statt 'Müller & Söhne'.",
            f"An '&' in the text is not written as '&amp;' ({en}). Example: "
            "'Smith &amp; Sons' instead of 'Smith & Sons'.",
        )
    if code in _ENTITY_ERRORS:
        return _err(
            "EINV-INTAKE-ENTITY",
            f"Das Dokument verwendet eine nicht definierte Entität ({de}). Erlaubt sind nur "
            "&amp; &lt; &gt; &quot; &apos; und Zeichenreferenzen wie &#228;.",
            f"The document uses an undefined entity ({en}). Only &amp; &lt; &gt; &quot; &apos; "
            "and character references such as &#228; are allowed.",
        )
    if code == _E.ERR_INVALID_CHAR:
        return _err(
            "EINV-INTAKE-CHAR",
            f"Das Dokument enthält ein Zeichen, das in XML nicht erlaubt ist ({de}).",
            f"The document contains a character that XML does not allow ({en}).",
        )
    return _err(
        "EINV-INTAKE-MALFORMED",
        f"Das Dokument ist kein wohlgeformtes XML ({de}).",
        f"The document is not well-formed XML ({en}).",
    )
