"""The XRechnung families agree with the official validator on the corpus (tests only read it).

For every schema-valid corpus document in an XRechnung scenario (a fixed sample keeps the run
short), the set of fired BR-DE / BR-DEX / BR-TMP / CVD / PEPPOL-EN16931-R ids, with their level,
must equal the oracle's.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import SHARED, corpus_bytes

from einvoice import intake, readers, scenario
from einvoice.rules import RULES, br_de, br_de_cvd, br_dex, br_tmp, engine, peppol_en16931
from einvoice.rules.registry import Context
from einvoice.syntax import detect

MODULES = (br_de, br_de_cvd, br_dex, br_tmp, peppol_en16931)
PREFIXES = ("BR-DE-", "BR-DEX-", "BR-TMP-", "PEPPOL-EN16931-")
SAMPLE_EVERY = 3


def _ours(fired: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {(r, level) for level, ids in fired.items() for r in ids if r.startswith(PREFIXES)}


def test_xrechnung_families_match_the_oracle(expected: dict[str, Any]) -> None:
    docs = sorted(p for p, e in expected.items()
                  if e.get("xsd_ok") and e.get("scenario") and "XRechnung" in e["scenario"])
    assert len(docs) > 1000
    mismatches = []
    checked = 0
    for path in docs[::SAMPLE_EVERY]:
        exp = expected[path]
        parsed = intake.parse(corpus_bytes(path))
        assert not isinstance(parsed, intake.IntakeError)
        syntax = detect(parsed.root)
        assert syntax is not None
        ctx = Context(invoice=readers.read(parsed.root, syntax), root=parsed.root, syntax=syntax,
                      scenario=scenario.by_name(exp["scenario"]))
        got = {(f.rule, f.level) for f in engine.run(ctx) if f.rule.startswith(PREFIXES)}
        want = _ours({"error": exp["fired_error"], "warning": exp["fired_warning"],
                      "information": exp["fired_information"]})
        checked += 1
        if got != want:
            mismatches.append((path, sorted(want - got), sorted(got - want)))
    assert checked > 300
    if mismatches:
        pytest.fail(f"{len(mismatches)} of {checked} documents disagree, e.g. {mismatches[:5]}")


def test_every_xrechnung_rule_is_registered_with_its_level_and_syntaxes() -> None:
    ref = json.loads((SHARED / "reference" / "rules.json").read_text(encoding="utf-8"))
    wanted = {(r["id"], s): r["default_level"] for r in ref["rules"] if r["source"] == "xrechnung"
              for s in r["syntaxes"]}
    ours = {key: r.level for key, r in RULES.items() if r.source == "xrechnung"}
    assert len(wanted) > 140
    assert ours == wanted
