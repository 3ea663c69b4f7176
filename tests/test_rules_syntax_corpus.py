"""Syntax-binding rules against the oracle: every schema-valid corpus document, exact id sets.

Also checks that the generated table is fresh and covers every rule of the five families.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

from conftest import CORPUS, ROOT, SHARED

from einvoice import intake, scenario
from einvoice.rules.syntax_cii import PATTERN as CII
from einvoice.rules.syntax_ubl import PATTERN as UBL

FAMILIES = re.compile(r"(UBL-(CR|SR|DT)|CII-(SR|DT))-")


def test_generated_table_is_fresh() -> None:
    res = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_syntax_rules.py"), "--check"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_table_covers_every_rule_with_its_default_level() -> None:
    rules = json.loads((SHARED / "reference" / "rules.json").read_text(encoding="utf-8"))["rules"]
    want = {(r["id"], r["default_level"]) for r in rules if FAMILIES.match(r["id"])}
    got = {(r.id, r.level) for r in UBL.rules} | {(r.id, r.level) for r in CII.rules}
    assert got == want


def test_corpus_agreement(expected: dict[str, Any]) -> None:
    levels = {r.id: r.level for r in UBL.rules} | {r.id: r.level for r in CII.rules}
    wrong: list[tuple[str, list[str], list[str]]] = []
    checked = 0
    for rel, exp in expected.items():
        if not exp["xsd_ok"] or not exp["scenario"]:
            continue  # the rules run only on schema-valid documents with a scenario
        parsed = intake.parse((CORPUS / rel).read_bytes())
        assert not isinstance(parsed, intake.IntakeError)
        sc = scenario.by_name(exp["scenario"])
        pattern = CII if exp["syntax"] == "cii" else UBL
        hits = pattern.evaluate(parsed.root)
        got = {(rid, sc.levels.get(rid, levels[rid]) == "error") for rid, hs in hits.items() if hs}
        want = {(rid, True) for rid in exp["fired_error"] if FAMILIES.match(rid)}
        want |= {(rid, False) for rid in exp["fired_warning"] + exp["fired_information"]
                 if FAMILIES.match(rid)}
        checked += 1
        if got != want:
            wrong.append((rel, sorted(want - got), sorted(got - want)))
    assert checked > 2000
    assert wrong == [], wrong[:10]
