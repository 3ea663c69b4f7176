"""The intake over the whole conformance corpus: it refuses exactly what the oracle refused.

The official validator reports two corpus documents as not well-formed (a bitmap and a broken
UBL file); every other document reached its later stages. The intake must agree document by
document: hardening may never turn a document the oracle parsed into ``not-wellformed``.
"""

from __future__ import annotations

from typing import Any

from conftest import CORPUS

from einvoice import intake


def test_intake_refuses_exactly_what_the_oracle_refused(expected: dict[str, Any]) -> None:
    wrong: list[str] = []
    for rel, exp in expected.items():
        result = intake.parse((CORPUS / rel).read_bytes())
        refused = isinstance(result, intake.IntakeError)
        if refused != (exp["reason"] == "not-wellformed"):
            what = f"{result.code}: {result.message_en}" if refused else "parsed"
            wrong.append(f"{rel}: oracle {exp['reason']}, intake {what}")
    assert not wrong, "\n".join(wrong[:20])


def test_corpus_refusals_have_clear_codes(expected: dict[str, Any]) -> None:
    codes = {}
    for rel, exp in expected.items():
        if exp["reason"] == "not-wellformed":
            result = intake.parse((CORPUS / rel).read_bytes())
            assert isinstance(result, intake.IntakeError)
            codes[rel.rsplit("/", 1)[-1]] = result.code
    # A bitmap sent as .xml, and a UBL file broken in the middle.
    assert codes == {"bin001.xml": "EINV-INTAKE-NOT-XML", "ubl007.xml": "EINV-INTAKE-MALFORMED"}
