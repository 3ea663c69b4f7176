"""Crashes found by the fuzzers and edge-case tests, one named test each.

A rule that raises does not break ``validate``: the engine reports EINV-RULE-FAILED (a warning)
instead, and the rule's own error is lost, so a document it should reject can be accepted.
``hostile.mutate.check_report`` therefore fails on EINV-RULE-FAILED as on EINV-INTERNAL.
"""

from __future__ import annotations

import hostile
from hostile import mutate
from test_validate_never_raises import base

TEN_TO_30 = "1" + "0" * 30


def test_br_co_messages_with_amounts_of_31_digits() -> None:
    """Found with every amount at 10^30: formatting BR-CO-15's message quantized 10^30 to
    cents, which needs more than Decimal's 28 digits (InvalidOperation)."""
    data = mutate.set_text(hostile.invoice(), mutate.is_amount, TEN_TO_30)
    rep = mutate.check_report(data).report
    hits = [f for f in rep.findings if f.rule == "BR-CO-15"]
    assert hits, [f.rule for f in rep.findings]  # 10^30 + 10^30 is not 10^30
    assert TEN_TO_30 in hits[0].message_en


def test_br_co_messages_with_amounts_of_500_digits() -> None:
    data = mutate.set_text(base("ubl-invoice"), mutate.is_amount, "9" * 500)
    rules = [f.rule for f in mutate.check_report(data).report.findings]
    assert "BR-CO-10" in rules or "BR-CO-14" in rules, rules


def test_vat_family_with_an_amount_beyond_the_double_range() -> None:
    """Found with every CII amount at 500 nines: as xs:double that is infinity, and rounding
    it with math.floor raised OverflowError, which took the whole BR-S family down."""
    data = mutate.set_text(base("cii"), mutate.is_amount, "9" * 500)
    rep = mutate.check_report(data).report
    assert rep.verdict == "reject"
    assert any(f.rule.startswith("BR-S-") for f in rep.findings), [f.rule for f in rep.findings]
