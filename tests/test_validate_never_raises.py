"""The validate path never breaks: every corpus document, every hostile case and every amount
or date edge case yields a sound report, never an exception and never EINV-INTERNAL.

``pipeline.process`` turns any exception into an EINV-INTERNAL finding, so "never raises" alone
would be trivially true; the real assertion is that no layer (intake, syntax, scenario,
structure, readers, rules) failed inside. A failure message carries the swallowed traceback.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import hostile
import pytest
from conftest import CONFORMANCE, CORPUS
from hostile import mutate

from einvoice import intake, pipeline

# One accepted XRechnung document per syntax, picked from the oracle's list, as mutation bases.
BASE_SCENARIOS = {
    "ubl-invoice": "EN16931 XRechnung (UBL Invoice)",
    "ubl-creditnote": "EN16931 XRechnung (UBL CreditNote)",
    "cii": "EN16931 XRechnung (CII)",
}


@cache
def _expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CONFORMANCE / "expected.json").read_text(encoding="utf-8"))
    return data


@cache
def base(kind: str) -> bytes:
    exp = _expected()
    for rel in sorted(exp):
        e = exp[rel]
        if e["verdict"] == "accept" and e["scenario"] == BASE_SCENARIOS[kind] and e["source"] in (
            "xrechnung-testsuite", "xrechnung-schematron-tests"
        ):
            return (CORPUS / rel).read_bytes()
    raise LookupError(kind)


# --- the corpus and the hostile catalogue ------------------------------------------------


def test_every_corpus_document_yields_a_report(expected: dict[str, Any]) -> None:
    failures: list[str] = []
    for rel in sorted(expected):
        try:
            mutate.check_report((CORPUS / rel).read_bytes())
        except AssertionError as exc:
            failures.append(f"{rel}: {exc}")
    assert not failures, f"{len(failures)} documents broke the validate path:\n" + "\n".join(failures[:5])


@pytest.mark.parametrize("case", sorted(hostile.CASES))
def test_every_hostile_case_yields_a_report(case: str) -> None:
    factory, code = hostile.CASES[case]
    rep = mutate.check_report(factory()).report
    if code is not None:
        assert rep.verdict == "reject" and rep.reason == "not-wellformed"
        assert [f.rule for f in rep.findings] == [code]


# --- amounts -----------------------------------------------------------------------------

AMOUNTS = {
    "exp-1e400": "1e400",
    "exp-neg": "-1E+400",
    "nan": "NaN",
    "snan": "sNaN",
    "inf": "INF",
    "ten-to-30": "1" + "0" * 30,
    "ten-to-30-cents": "1" + "0" * 30 + ".01",
    "tiny": "0." + "0" * 40 + "1",
    "many-digits": "9" * 500,
    "empty": "",
    "blank": "   ",
    "comma": "1.234,56",
    "neg-zero": "-0.00",
}


@pytest.mark.parametrize("kind", sorted(BASE_SCENARIOS))
@pytest.mark.parametrize("value", sorted(AMOUNTS))
def test_amount_edge_case_every_amount(kind: str, value: str) -> None:
    data = mutate.set_text(base(kind), mutate.is_amount, AMOUNTS[value])
    mutate.check_report(data)


@pytest.mark.parametrize("kind", sorted(BASE_SCENARIOS))
@pytest.mark.parametrize("value", sorted(AMOUNTS))
def test_amount_edge_case_payable_only(kind: str, value: str) -> None:
    pick = mutate.named("PayableAmount", "DuePayableAmount")
    data = mutate.set_text(base(kind), pick, AMOUNTS[value], first_only=True)
    mutate.check_report(data)


@pytest.mark.parametrize("kind", sorted(BASE_SCENARIOS))
def test_amount_not_a_decimal_is_rejected(kind: str) -> None:
    """1e400 is no xs:decimal: the official validator rejects it (schema or rules)."""
    data = mutate.set_text(base(kind), mutate.named("PayableAmount", "DuePayableAmount"), "1e400")
    outcome = mutate.check_report(data)
    if outcome.invoice is not None:
        assert not list(mutate.unsound_values(outcome.invoice))


# --- dates -------------------------------------------------------------------------------

UBL_DATES = ["0000-00-00", "2026-02-30", "2026-13-01", "-0001-01-01", "99999-01-01", "2026-2-3", ""]
CII_DATES = ["00000000", "20260230", "20261301", "2026-02-03", "99999999", ""]


@pytest.mark.parametrize("kind", ["ubl-invoice", "ubl-creditnote"])
@pytest.mark.parametrize("value", UBL_DATES)
def test_ubl_date_edge_case(kind: str, value: str) -> None:
    mutate.check_report(mutate.set_text(base(kind), mutate.is_date, value))


@pytest.mark.parametrize("value", CII_DATES)
def test_cii_date_edge_case(value: str) -> None:
    mutate.check_report(mutate.set_text(base("cii"), mutate.is_date, value))


@pytest.mark.parametrize("kind", sorted(BASE_SCENARIOS))
def test_issue_date_0000_00_00(kind: str) -> None:
    value = "00000000" if kind == "cii" else "0000-00-00"
    pick = mutate.named("IssueDate", "DateTimeString")
    outcome = mutate.check_report(mutate.set_text(base(kind), pick, value, first_only=True))
    assert outcome.report.verdict == "reject" or outcome.report.reason is None


# --- big notes and many lines ------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(BASE_SCENARIOS))
def test_note_of_10_mb_validates(kind: str) -> None:
    """Over libxml2's default text-node limit, inside our size limit: read, not refused."""
    text = "Lieferschein 4711 " * (10 * 1024 * 1024 // 18 + 1)
    pick = mutate.named("Note", "Content")
    data = mutate.set_text(base(kind), pick, text, first_only=True)
    assert len(data) < intake.DEFAULT_MAX_BYTES
    rep = mutate.check_report(data).report
    assert rep.reason != "not-wellformed"


def test_100000_lines_over_default_size_limit_is_refused_cleanly() -> None:
    data = hostile.many_lines(100_000)
    assert len(data) > intake.DEFAULT_MAX_BYTES
    rep = pipeline.validate(data)
    assert rep.verdict == "reject" and [f.rule for f in rep.findings] == ["EINV-INTAKE-SIZE"]


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_largest_many_line_invoice_within_the_size_limit_is_accepted() -> None:
    """40,000 lines (about 19 MB) is the largest such invoice under the 20 MB default limit."""
    data = hostile.many_lines(40_000)
    assert len(data) <= intake.DEFAULT_MAX_BYTES
    outcome = mutate.check_report(data)
    assert outcome.report.verdict == "accept", [f.rule for f in outcome.report.errors][:10]
    assert outcome.invoice is not None and len(outcome.invoice.lines) == 40_000
