"""The VAT category families and the code-list rules against the official validator's verdicts.

For every schema-valid corpus document with a scenario, the ids our VAT and BR-CL rules fire must
be exactly the ids of those families the oracle fired. The CEN unit-test fragments have no
scenario (the oracle runs nothing on them), but each declares whether its target rule fires when
the EN 16931 rules alone run: that is checked too, with the plain EN 16931 scenario.

Only the families of this layer run here (through the registry, not the whole pipeline), so the
test measures these rules alone.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from conftest import corpus_bytes

from einvoice import intake, readers, scenario
from einvoice.rules.registry import FAMILIES, RULES, Context
from einvoice.syntax import detect

MODULES = ("br_cl", "vat_standard", "vat_zero", "vat_exempt", "vat_reverse_charge",
           "vat_intra_community", "vat_export", "vat_not_subject", "vat_igic", "vat_ipsi")
for _m in MODULES:
    importlib.import_module(f"einvoice.rules.{_m}")

OURS = re.compile(r"BR-(S|Z|E|AE|IC|G|O|AF|AG|CL)-")
FAMILY_NAMES = ("BR-S", "BR-Z", "BR-E", "BR-AE", "BR-IC", "BR-G", "BR-O", "BR-AF", "BR-AG")
EN_ONLY = {s.syntax: s for s in scenario.SCENARIOS if s.kind == "en16931"}


def fired(rel: str, forced: bool = False) -> set[str] | None:
    parsed = intake.parse(corpus_bytes(rel))
    if isinstance(parsed, intake.IntakeError):
        return None
    root = parsed.root
    syn = detect(root)
    if syn is None:
        return None
    if forced:
        sc = EN_ONLY[syn]
    else:
        found = scenario.matching(root, syn)
        if len(found) != 1:
            return None
        sc = found[0]
    ctx = Context(invoice=readers.read(root, syn), root=root, syntax=syn, scenario=sc)
    got: set[str] = set()
    for (rid, fam), r in RULES.items():
        if fam != ctx.family or r.family_name is not None or not OURS.match(rid):
            continue
        if any(True for _ in r.check(ctx)):
            got.add(rid)
    for name in FAMILY_NAMES:
        got.update(rid for rid, hits in FAMILIES[(name, ctx.family)].evaluate(ctx).items() if hits)
    return got


def test_corpus_agrees_with_the_oracle(expected: dict[str, Any]) -> None:
    wrong: list[str] = []
    checked = 0
    for rel, exp in expected.items():
        if exp["scenario"] is None or not exp["xsd_ok"]:
            continue
        got = fired(rel)
        assert got is not None, rel
        want = {r for k in ("fired_error", "fired_warning", "fired_information") for r in exp[k]
                if OURS.match(r)}
        checked += 1
        if got != want:
            wrong.append(f"{rel}: missing {sorted(want - got)} extra {sorted(got - want)}")
    assert checked > 2000
    assert not wrong, "\n".join(wrong[:20])


def test_cen_unit_fragments_fire_as_declared(expected: dict[str, Any]) -> None:
    wrong: list[str] = []
    checked = 0
    for rel, exp in expected.items():
        if exp["source"] != "en16931-unit":
            continue
        decl = exp["declared"]
        scope = [r for r in decl["scope"] if OURS.match(r)]
        if not scope:
            continue
        got = fired(rel, forced=True)
        if got is None:
            continue
        checked += 1
        for r in scope:
            should = r in decl["error"] or r in decl["warning"]
            if (r in got) != should:
                wrong.append(f"{rel}: {r} {'should fire' if should else 'should not fire'}")
    assert checked > 500
    assert not wrong, "\n".join(wrong[:20])


@pytest.mark.parametrize("rel, rule", [
    # CII compares the category code as written: 'S ' is no S, so the S breakdown loses a line.
    ("mutants/xrechnung-testsuite/03.01a-INVOICE_uncefact/013-whitespace-code-trailing.xml", "BR-S-08"),
])
def test_whitespace_in_a_cii_category_code(rel: str, rule: str) -> None:
    got = fired(rel)
    assert got is not None and rule in got
