"""The intake against real hostile documents: one named test per attack or oddity.

Every case must come back as ``Parsed`` or as an ``IntakeError`` with its own EINV-INTAKE-*
code and a German and an English message; nothing may raise, read a local file, or open a
connection. The DTD-borne cases are run twice: through the whole intake, and with the byte-level
DOCTYPE check switched off, to prove the parser configuration alone holds as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import hostile
import pytest
from hostile.trap import Trap, serve
from lxml import etree

from einvoice import intake, pipeline


@pytest.fixture
def trap() -> Iterator[Trap]:
    with serve() as t:
        yield t


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(f"{hostile.SECRET_MARKER} geheim\n", encoding="utf-8")
    return path


def _text_of(result: intake.Parsed | intake.IntakeError) -> str:
    if isinstance(result, intake.Parsed):
        return etree.tostring(result.root, encoding="unicode")
    return f"{result.code} {result.message_de} {result.message_en}"


def _rejected(data: bytes, code: str, **limits: int) -> intake.IntakeError:
    result = intake.parse(data, **limits)
    assert isinstance(result, intake.IntakeError), f"expected {code}, got a parsed tree"
    assert result.code == code, f"expected {code}, got {result.code}: {result.message_en}"
    assert result.reason == "not-wellformed"
    assert result.message_de.strip() and result.message_en.strip()
    assert result.message_de != result.message_en
    return result


def _parsed(data: bytes) -> intake.Parsed:
    result = intake.parse(data)
    assert isinstance(result, intake.Parsed), _text_of(result)
    return result


def _report_text(data: bytes) -> str:
    return pipeline.validate(data).model_dump_json()


def _passwd_lines() -> list[str]:
    try:
        lines = Path("/etc/passwd").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [line for line in lines if len(line) > 8][:5]


# --- DTD-borne attacks -------------------------------------------------------------------


def test_xxe_local_file_etc_passwd() -> None:
    data = hostile.xxe_local_file("/etc/passwd")
    result = _rejected(data, "EINV-INTAKE-DOCTYPE")
    report = _report_text(data)
    for line in _passwd_lines():
        assert line not in _text_of(result)
        assert line not in report
    assert "root:" not in report


def test_xxe_local_file_secret(secret_file: Path) -> None:
    data = hostile.xxe_local_file(str(secret_file))
    result = _rejected(data, "EINV-INTAKE-DOCTYPE")
    assert hostile.SECRET_MARKER not in _text_of(result)
    assert hostile.SECRET_MARKER not in _report_text(data)


def test_xxe_url_never_contacted(trap: Trap) -> None:
    data = hostile.xxe_url(f"{trap.base}/xxe")
    _rejected(data, "EINV-INTAKE-DOCTYPE")
    report = _report_text(data)
    assert hostile.SECRET_MARKER not in report
    assert trap.hits == []


def test_billion_laughs() -> None:
    result = _rejected(hostile.billion_laughs(), "EINV-INTAKE-DOCTYPE")
    assert "lollol" not in _text_of(result)


def test_quadratic_blowup() -> None:
    _rejected(hostile.quadratic_blowup(), "EINV-INTAKE-DOCTYPE")


def test_external_dtd_system_never_fetched(trap: Trap) -> None:
    _rejected(hostile.external_dtd(f"{trap.base}/invoice.dtd"), "EINV-INTAKE-DOCTYPE")
    assert trap.hits == []


def test_parameter_entities_never_fetched(trap: Trap) -> None:
    _rejected(hostile.parameter_entities(f"{trap.base}/evil.dtd"), "EINV-INTAKE-DOCTYPE")
    assert trap.hits == []


def test_doctype_hidden_after_comments() -> None:
    _rejected(hostile.doctype_after_comments(), "EINV-INTAKE-DOCTYPE")


def test_doctype_mentioned_inside_comment_is_harmless() -> None:
    root = _parsed(hostile.pis_and_comments_before_root()).root
    assert etree.QName(root).localname == "Invoice"


def test_xinclude_not_processed(secret_file: Path) -> None:
    data = hostile.xinclude(str(secret_file))
    parsed = _parsed(data)
    assert hostile.SECRET_MARKER not in _text_of(parsed)
    includes = parsed.root.findall(".//{http://www.w3.org/2001/XInclude}include")
    assert len(includes) == 1, "the xi:include element must stay an ordinary, unexpanded element"
    assert hostile.SECRET_MARKER not in _report_text(data)


def test_undefined_entity_reference() -> None:
    result = _rejected(hostile.undefined_entity(), "EINV-INTAKE-ENTITY")
    assert "uuml" in result.message_en
    assert "Zeile 9" in result.message_de


def test_bare_ampersand() -> None:
    result = _rejected(hostile.bare_ampersand(), "EINV-INTAKE-AMPERSAND")
    assert "&amp;" in result.message_de
    _rejected(hostile.invoice(note="A&B GmbH"), "EINV-INTAKE-AMPERSAND")


def test_encoding_in_a_stylesheet_pi_is_not_an_xml_declaration() -> None:
    pi = '<?xml-stylesheet type="text/xsl" href="r.xsl" encoding="latin1"?>\n'
    _parsed(hostile.invoice(prolog=pi))


@pytest.mark.parametrize(
    "case", ["xxe_local_file", "xxe_url", "billion_laughs", "quadratic_blowup", "external_dtd",
             "parameter_entities", "doctype_after_comments"],
)
def test_parser_alone_refuses_dtd_cases(
    case: str, trap: Trap, secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Layers 2 and 3 without layer 1: no load, no expansion, still refused."""
    monkeypatch.setattr(intake, "_check_prolog", lambda data: None)
    if case == "xxe_local_file":
        data = hostile.xxe_local_file(str(secret_file))
    elif case in ("xxe_url", "external_dtd", "parameter_entities"):
        data = getattr(hostile, case)(f"{trap.base}/{case}")
    else:
        data = getattr(hostile, case)()
    result = _rejected(data, "EINV-INTAKE-DOCTYPE")
    assert hostile.SECRET_MARKER not in _text_of(result)
    assert "lollol" not in _text_of(result)
    assert trap.hits == []


def test_parser_alone_reads_no_file_even_into_error_messages(
    secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An external parameter entity pointing at a file: libxml2 asks, our resolver says no."""
    monkeypatch.setattr(intake, "_check_prolog", lambda data: None)
    data = (
        f'<!DOCTYPE a [<!ENTITY % p SYSTEM "file://{secret_file}"> %p;]><a>&leak;</a>'
    ).encode()
    result = intake.parse(data)
    assert isinstance(result, intake.IntakeError)
    assert hostile.SECRET_MARKER not in _text_of(result)


# --- size and shape ----------------------------------------------------------------------


def test_body_over_default_size_limit() -> None:
    data = hostile.oversized()
    assert len(data) == intake.DEFAULT_MAX_BYTES + 1
    result = _rejected(data, "EINV-INTAKE-SIZE")
    assert "20.0 MB" in result.message_en


def test_size_limit_is_configurable() -> None:
    data = hostile.invoice()
    _rejected(data, "EINV-INTAKE-SIZE", max_bytes=len(data) - 1)
    assert isinstance(intake.parse(data, max_bytes=len(data)), intake.Parsed)
    rep = pipeline.process(data, max_bytes=len(data) - 1).report
    assert rep.verdict == "reject" and rep.findings[0].rule == "EINV-INTAKE-SIZE"


def test_nesting_100000_levels() -> None:
    result = _rejected(hostile.deep_nesting(100_000), "EINV-INTAKE-DEPTH")
    assert str(intake.DEFAULT_MAX_DEPTH) in result.message_en


def test_depth_limit_is_configurable() -> None:
    data = hostile.deep_nesting(30)  # the note sits at depth 2, so this reaches depth 32
    _rejected(data, "EINV-INTAKE-DEPTH", max_depth=31)
    assert isinstance(intake.parse(data, max_depth=32), intake.Parsed)


def test_depth_limit_boundary() -> None:
    """The note sits at depth 2: 254 nested levels reach depth 256 (allowed), 255 do not."""
    assert intake.DEFAULT_MAX_DEPTH == 256
    _parsed(hostile.deep_nesting(254))
    _rejected(hostile.deep_nesting(255), "EINV-INTAKE-DEPTH")
    _rejected(hostile.deep_nesting(200), "EINV-INTAKE-DEPTH", max_depth=200)


def test_big_text_node_then_deep_nesting() -> None:
    """The huge-mode re-parse must still stop deep nesting."""
    data = hostile.invoice(note="x" * 10_500_000 + "<cbc:X>" * 100_000 + "</cbc:X>" * 100_000)
    _rejected(data, "EINV-INTAKE-DEPTH")


def test_note_of_10_mb_is_accepted() -> None:
    data = hostile.big_note()
    parsed = _parsed(data)
    note = parsed.root.find("{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}Note")
    assert note is not None and note.text is not None and len(note.text) > 10_000_000
    assert pipeline.validate(data).reason != "not-wellformed"


def test_cdata_section_of_12_mb_is_accepted() -> None:
    data = hostile.invoice(note="<![CDATA[" + "Anlage " * 1_800_000 + "]]>")
    parsed = _parsed(data)
    assert len(etree.tostring(parsed.root)) > 12_000_000


def test_attribute_value_of_12_mb_is_accepted() -> None:
    _parsed(hostile.invoice(root_extra=' xmlns:x="urn:x" x:a="' + "v" * 12_000_000 + '"'))


# --- encodings ---------------------------------------------------------------------------


def test_invalid_utf8() -> None:
    result = _rejected(hostile.invalid_utf8(), "EINV-INTAKE-UTF8")
    assert "UTF-8" in result.message_de


def test_utf16_with_bom() -> None:
    result = _rejected(hostile.utf16_bom(), "EINV-INTAKE-UTF16")
    assert "mit Byte-Order-Mark" in result.message_de


def test_utf16_without_bom() -> None:
    result = _rejected(hostile.utf16_no_bom(), "EINV-INTAKE-UTF16")
    assert "without byte order mark" in result.message_en


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_starting_with_blanks(codec: str) -> None:
    text = "\n  " + hostile.invoice(prolog="").decode("utf-8")
    _rejected(text.encode(codec), "EINV-INTAKE-UTF16")


def test_utf32() -> None:
    text = hostile.invoice().decode("utf-8")
    _rejected(text.encode("utf-32"), "EINV-INTAKE-UTF16")
    _rejected(text.encode("utf-32-be"), "EINV-INTAKE-UTF16")


def test_declared_iso_8859_1() -> None:
    result = _rejected(hostile.declared_latin1(), "EINV-INTAKE-ENCODING")
    assert "ISO-8859-1" in result.message_de and "ISO-8859-1" in result.message_en


def test_declared_windows_1252() -> None:
    _rejected(hostile.declared_windows1252(), "EINV-INTAKE-ENCODING")


@pytest.mark.parametrize("name", ["US-ASCII", "UTF-16", "latin1", "EBCDIC-DE"])
def test_declared_other_encodings(name: str) -> None:
    data = hostile.invoice(prolog=f'<?xml version="1.0" encoding="{name}"?>\n')
    _rejected(data, "EINV-INTAKE-ENCODING")


@pytest.mark.parametrize("decl", ['encoding="utf-8"', "encoding='UTF-8'", 'encoding = "UTF8"', ""])
def test_utf8_declarations_accepted(decl: str) -> None:
    _parsed(hostile.invoice(prolog=f'<?xml version="1.0" {decl}?>\n'))


def test_utf8_with_bom_accepted() -> None:
    _parsed(hostile.declared_utf8_with_bom())


# --- not an XML invoice ------------------------------------------------------------------


def test_empty_body() -> None:
    _rejected(hostile.empty(), "EINV-INTAKE-EMPTY")


def test_whitespace_only_body() -> None:
    result = _rejected(hostile.whitespace_only(), "EINV-INTAKE-EMPTY")
    assert "whitespace" in result.message_en


def test_bom_only_body() -> None:
    _rejected(b"\xef\xbb\xbf\n", "EINV-INTAKE-EMPTY")


def test_binary_garbage() -> None:
    _rejected(hostile.binary_garbage(), "EINV-INTAKE-NOT-XML")


def test_gzip_file() -> None:
    result = _rejected(hostile.gzip_invoice(), "EINV-INTAKE-COMPRESSED")
    assert "gzip" in result.message_en


def test_zip_file() -> None:
    _rejected(hostile.zip_invoice(), "EINV-INTAKE-COMPRESSED")


def test_pdf_file() -> None:
    result = _rejected(hostile.pdf(), "EINV-INTAKE-PDF")
    assert "ZUGFeRD" in result.message_de


def test_valid_xml_that_is_not_an_invoice() -> None:
    _parsed(hostile.not_an_invoice())
    rep = pipeline.validate(hostile.not_an_invoice())
    assert rep.verdict == "reject" and rep.reason == "no-scenario"
    assert [f.rule for f in rep.findings] == ["EINV-SCENARIO-ROOT"]


def test_processing_instructions_and_comments_before_root() -> None:
    parsed = _parsed(hostile.pis_and_comments_before_root())
    assert etree.QName(parsed.root).localname == "Invoice"


def test_truncated_document() -> None:
    _rejected(hostile.truncated(), "EINV-INTAKE-MALFORMED")


def test_nul_byte() -> None:
    _rejected(hostile.nul_byte(), "EINV-INTAKE-CHAR")


def test_xml_declaration_not_at_start() -> None:
    _rejected(b"\n  " + hostile.invoice(), "EINV-INTAKE-MALFORMED")


def test_size_limit_applies_to_memoryview_bytes() -> None:
    data = memoryview(hostile.invoice()).cast("B")
    _rejected(data, "EINV-INTAKE-SIZE", max_bytes=data.nbytes - 1)  # type: ignore[arg-type]


def test_input_that_is_not_bytes() -> None:
    result = intake.parse("<a/>")  # type: ignore[arg-type]
    assert isinstance(result, intake.IntakeError) and result.code == "EINV-INTAKE-TYPE"


def test_bytearray_and_memoryview_accepted() -> None:
    data = hostile.invoice()
    assert isinstance(intake.parse(bytearray(data)), intake.Parsed)  # type: ignore[arg-type]
    assert isinstance(intake.parse(memoryview(data)), intake.Parsed)  # type: ignore[arg-type]


# --- the whole catalogue, as the worker will see it -------------------------------------


@pytest.mark.parametrize("case", sorted(hostile.CASES))
def test_catalogue_case(case: str) -> None:
    factory, code = hostile.CASES[case]
    data = factory()
    result = intake.parse(data)
    if code is None:
        assert isinstance(result, intake.Parsed), _text_of(result)
    else:
        assert isinstance(result, intake.IntakeError), f"{case} parsed"
        assert result.code == code
        assert result.message_de != result.message_en
    rep = pipeline.validate(data)
    assert rep.verdict in ("accept", "reject")
    assert not any(f.rule.startswith("EINV-INTERNAL") for f in rep.findings)
    if code is not None:
        assert rep.verdict == "reject" and rep.reason == "not-wellformed"
        assert [f.rule for f in rep.findings] == [code]


def test_parser_state_does_not_leak_between_documents() -> None:
    _rejected(hostile.truncated(), "EINV-INTAKE-MALFORMED")
    _rejected(hostile.big_note() + b"<", "EINV-INTAKE-MALFORMED")
    _parsed(hostile.invoice())


def test_parallel_threads() -> None:
    """Parsers are cached per thread; concurrent use must give each thread its own answers."""
    cases = [hostile.invoice(), hostile.truncated(), hostile.undefined_entity(), hostile.invoice()] * 25
    expected = [_text_of(intake.parse(d))[:40] for d in cases]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda d: _text_of(intake.parse(d))[:40], cases))
    assert got == expected


def test_element_proxies_held_only_for_small_documents() -> None:
    # Held proxies speed up the later walks; their memory must stay bounded for large input.
    small = intake.parse(b"<a><b/><!-- c --><d>x</d></a>")
    assert isinstance(small, intake.Parsed)
    assert small.elements[0] is small.root
    assert len(small.elements) == 4  # a, b, the comment, d: every node of the tree
    assert [e.tag for e in small.elements if isinstance(e.tag, str)] == ["a", "b", "d"]
    big = intake.parse(b"<a>" + b"<b/>" * 100_000 + b"</a>")
    assert isinstance(big, intake.Parsed)
    assert big.elements == []
    assert len(big.root) == 100_000
