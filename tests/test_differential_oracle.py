"""Differential test: einvoice against an independent Saxon oracle on mutants nobody has judged.

The oracle (tests/oracle/schematron.py) runs the official rule XPaths from rules.json as an
XSLT 3.0 stylesheet with Schematron semantics. It is first checked against the official verdicts
(expected.json) on a sample of corpus documents, then used to judge seeded mutants of corpus
documents that stay XSD-valid: amounts, codes, dates, identifiers, Leitweg-IDs, specification
identifiers, removed/duplicated elements, VAT categories, allowances. Every disagreement is
printed. Bigger batches by hand: `.venv/bin/python -m tests.oracle.hunt --count 3000`.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from conftest import CORPUS

pytest.importorskip("saxonche", reason="saxonche (dev dependency) is not installed: no Saxon oracle")

from oracle.hunt import bases, compare, mutants  # noqa: E402
from oracle.schematron import Oracle  # noqa: E402

SEED = 20261125
MUTANTS = 1500
SAMPLE = 200


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    return Oracle()


def test_oracle_agrees_with_official_verdicts(oracle: Oracle, expected: dict[str, Any]) -> None:
    paths = random.Random(SEED).sample(bases(expected), SAMPLE)
    bad = []
    for p in paths:
        exp = expected[p]
        got = oracle.run((CORPUS / p).read_bytes())
        want = (exp["scenario"], set(exp["fired_error"]), set(exp["fired_warning"]),
                set(exp["fired_information"]))
        if (got.scenario, got.error, got.warning, got.information) != want:
            bad.append(f"{p}: oracle {got} expected {want}")
    assert not bad, "\n".join(bad)


def test_einvoice_agrees_with_oracle_on_mutants(oracle: Oracle, expected: dict[str, Any]) -> None:
    paths = bases(expected)
    diffs = []
    n = 0
    for base, what, data in mutants(paths, SEED, MUTANTS, steps=3, max_tries=MUTANTS * 4):
        n += 1
        d = compare(oracle, data, base, what)
        if d is not None:
            diffs.append(str(d))
    for d in diffs:
        print("DISAGREEMENT", d)
    assert n >= MUTANTS // 2, f"only {n} XSD-valid mutants"
    assert not diffs, f"{len(diffs)} of {n} mutants disagree:\n" + "\n".join(diffs)
