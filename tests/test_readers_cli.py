"""`einvoice convert`: one JSON line per file, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from einvoice.cli import main

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "conformance" / "corpus"
UBL = str(CORPUS / "xrechnung-testsuite/src/test/technical-cases/cius/01.05_minimal_test_ubl.xml")
CII = str(CORPUS / "xrechnung-testsuite/src/test/technical-cases/cius/01.05_minimal_test_uncefact.xml")


def _lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_json_format_prints_the_model_per_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", UBL, CII]) == 0
    first, second = _lines(capsys.readouterr().out)
    assert first["file"] == UBL and first["syntax"] == "ubl-invoice"
    assert second["file"] == CII and second["syntax"] == "cii"
    number = first["number"]
    assert isinstance(number, dict) and number["raw"] == "1234567" and number["path"] == "/ubl:Invoice/cbc:ID"


def test_bt_format_prints_the_bt_view(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "--format", "bt", UBL]) == 0
    (doc,) = _lines(capsys.readouterr().out)
    assert doc["file"] == UBL and doc["BT-1"] == "1234567" and doc["BT-2"] == "2018-04-13"
    lines = doc["BG-25"]
    assert isinstance(lines, list) and lines[0]["BT-130"] == "XPP"
    seller = doc["BG-4"]
    assert isinstance(seller, dict) and seller["BT-29"] == ["9876543217894897438"]


def test_not_an_invoice_fails_with_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "order.xml"
    bad.write_bytes(b"<Order xmlns='urn:example'/>")
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<Invoice>")
    assert main(["convert", str(bad), UBL, str(broken)]) == 1
    captured = capsys.readouterr()
    docs = _lines(captured.out)
    assert [d["file"] for d in docs] == [str(bad), UBL, str(broken)]
    assert "error" in docs[0] and "error" in docs[2] and "error" not in docs[1]
    err = docs[2]["error"]
    assert isinstance(err, dict) and str(err["rule"]).startswith("EINV-INTAKE")
    assert "order.xml" in captured.err


def test_missing_file_and_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", str(tmp_path / "missing.xml"), UBL]) == 2
    out = capsys.readouterr()
    assert "missing.xml" in out.err
    assert [d["file"] for d in _lines(out.out)] == [UBL]  # the other files are still converted
    assert main(["convert", "--format", "xml", UBL]) == 2
    assert main(["convert"]) == 2
