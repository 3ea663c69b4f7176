"""Differential test: the one-walk evaluator against the reference XPaths run one by one.

For documents the corpus does not have (seeded mutants of corpus documents: forbidden elements
inserted, elements duplicated or dropped, attributes added), the rule ids our syntax families
report must equal what the reference rules give when each context and test is evaluated with
lxml, one rule at a time, with the Schematron first-matching-rule-wins semantics. Test-only: the
reference XPaths are read from ../shared at test time.

lxml speaks XPath 1.0, so the few XPath 2.0 functions used are supplied as extension functions,
comparisons with true()/false(), function calls as path steps and count(distinct-values(...))
are restated in XPath 1.0 terms.
"""

from __future__ import annotations

import copy
import json
import random
import re
from itertools import pairwise
from typing import Any

import pytest
from conftest import CORPUS, SHARED
from lxml import etree

from einvoice import intake
from einvoice.namespaces import ALL_NS
from einvoice.rules._syntax_tables import CII_CONTEXTS, UBL_CONTEXTS
from einvoice.rules.syntax_cii import PATTERN as CII
from einvoice.rules.syntax_ubl import PATTERN as UBL

PATTERNS = {"ubl": "UBL-syntax", "cii": "EN16931-CII-Syntax"}
NOT_XPATH1 = re.compile(r"= *false\(\)|= *true\(\)|distinct-values|/upper-case\(")
# XPath 2.0 compares an untyped node with a boolean by casting the node's value; in XPath 1.0
# the same text would test whether the node exists. Restate it with the xs:boolean lexicals.
BOOL_CMP = re.compile(r"([\w:]+)\s*=\s*(false|true)\(\)")
LEXICAL = {"false": "'false' or normalize-space(.)='0'", "true": "'true' or normalize-space(.)='1'"}


# a function call as the last path step: the same existential test as a predicate
STEP_CALL = re.compile(r"([\w:]+)/upper-case\(([^()]+)\)\s*(!?=)\s*('[^']*')")


def _xpath1(expr: str) -> str:
    expr = BOOL_CMP.sub(lambda m: f"{m[1]}[normalize-space(.)={LEXICAL[m[2]]}]", expr)
    expr = STEP_CALL.sub(lambda m: f"{m[1]}[upper-case({m[2]}){m[3]}{m[4]}]", expr)
    return expr.replace("count(distinct-values(", "count-distinct((")


def _text(arg: Any) -> str:
    if isinstance(arg, list):
        if not arg:
            return ""
        arg = arg[0]
    if isinstance(arg, etree._Element):
        return "".join(arg.itertext())
    return str(arg)


def _register() -> None:
    fns = etree.FunctionNamespace(None)
    fns["ends-with"] = lambda ctx, s, suffix: _text(s).endswith(_text(suffix))
    fns["upper-case"] = lambda ctx, s: _text(s).upper()
    fns["exists"] = lambda ctx, nodes: bool(nodes)
    fns["count-distinct"] = lambda ctx, nodes: float(len({_text(n) for n in nodes}))
    fns["matches"] = lambda ctx, s, pattern: re.search(
        _text(pattern).replace(r"\s", r"[ \t\n\r]"), _text(s)) is not None


def _select(context: str) -> str:
    """A Schematron rule context (an XSLT match pattern) as an XPath that selects its nodes."""
    parts = []
    for alt in context.split(" | "):
        alt = alt.strip()
        parts.append(alt if alt.startswith("/") else "//" + alt)
    return " | ".join(parts)


def _reference() -> dict[str, list[tuple[etree.XPath, list[tuple[str, etree.XPath | None]]]]]:
    rules = json.loads((SHARED / "reference" / "rules.json").read_text(encoding="utf-8"))["rules"]
    out: dict[str, list[tuple[etree.XPath, list[tuple[str, etree.XPath | None]]]]] = {}
    for syn, pattern in PATTERNS.items():
        by_pos: dict[int, tuple[str, list[tuple[str, str]]]] = {}
        for r in rules:
            ps = r["per_syntax"].get(syn)
            if ps and ps["pattern"] == pattern:
                ctx, tests = by_pos.setdefault(ps["rule_position"], (_xpath1(ps["context"]), []))
                tests.append((r["id"], _xpath1(ps.get("test_resolved", ps["test"]))))
        positions = []
        for _, (ctx, tests) in sorted(by_pos.items()):
            compiled: list[tuple[str, etree.XPath | None]] = []
            for rid, test in tests:
                try:
                    xp = None if NOT_XPATH1.search(test) else etree.XPath(f"boolean({test})",
                                                                           namespaces=ALL_NS)
                except etree.XPathSyntaxError:
                    xp = None
                compiled.append((rid, xp))
            if NOT_XPATH1.search(ctx):
                raise AssertionError(f"context not expressible in XPath 1.0: {ctx}")
            positions.append((etree.XPath(_select(ctx), namespaces=ALL_NS), compiled))
        out[syn] = positions
    return out


def reference_ids(root: etree._Element, positions: Any) -> tuple[set[str], set[str]]:
    """(fired ids, ids that could be checked) by the reference XPaths, first match wins."""
    taken: set[etree._Element] = set()
    fired: set[str] = set()
    checked: set[str] = set()
    for select, tests in positions:
        nodes = [n for n in select(root) if n not in taken]
        taken.update(nodes)
        for rid, xp in tests:
            if xp is None:
                continue
            checked.add(rid)
            if any(not xp(n) for n in nodes):
                fired.add(rid)
    return fired, checked


def _mutants(root: etree._Element, rng: random.Random, vocabulary: dict[str, list[str]],
             n: int) -> list[etree._Element]:
    out = []
    anywhere = sorted({c for cs in vocabulary.values() for c in cs})
    for _ in range(n):
        doc = copy.deepcopy(root)
        for _ in range(rng.randint(1, 5)):
            elements = list(doc.iter(etree.Element))
            target = rng.choice(elements)
            op = rng.random()
            if op < 0.5:
                # a child the rules talk about under this parent (mostly), or anywhere
                kids = vocabulary.get(target.tag) or anywhere
                new = etree.SubElement(target, rng.choice(kids if rng.random() < 0.9 else anywhere))
                new.text = rng.choice(["1", "x", "1.234", "20240131", "VAT", "130", "916", "false"])
            elif op < 0.7 and target.getparent() is not None:
                target.addnext(copy.deepcopy(target))
            elif op < 0.85:
                target.set(rng.choice(["schemeID", "listID", "schemeName", "format", "name",
                                       "unitCodeListID", "languageID", "mimeCode", "unitCode"]),
                           rng.choice(["SEPA", "x", "102", "VAT"]))
            elif target.getparent() is not None:
                target.getparent().remove(target)
        out.append(doc)
    return out


def _clark(name: str) -> str:
    pre, _, local = name.partition(":")
    return f"{{{ALL_NS[pre]}}}{local}"


def _vocabulary(syn: str) -> dict[str, list[str]]:
    """Per parent element (Clark name): the child names the rules talk about under it."""
    pattern = UBL if syn == "ubl" else CII
    contexts = CII_CONTEXTS if syn == "cii" else UBL_CONTEXTS
    pairs: set[tuple[str, str]] = set()
    for r in pattern.rules:
        kind, data = contexts[r.pos]
        heads = []
        if kind == "abs":
            heads = [p.rsplit("/", 1)[1] for p in data]
        elif kind == "tail":
            heads = [steps[-1] for steps in data]
        for anchor, steps in r.targets:
            names = [s if isinstance(s, str) else s[0] for s in steps]
            names = [x for x in names if not x.startswith("@")]
            if not names:
                continue
            for h in heads if anchor == "rel" else []:
                pairs.add((h, names[0]))
            pairs.update(pairwise(names))
    out: dict[str, list[str]] = {}
    for parent, child in sorted(pairs):
        out.setdefault(_clark(parent), []).append(_clark(child))
    return out


@pytest.mark.parametrize("syn", ["ubl", "cii"])
def test_mutants_agree_with_reference_xpaths(expected: dict[str, Any], syn: str) -> None:
    _register()
    positions = _reference()[syn]
    pattern = UBL if syn == "ubl" else CII
    rng = random.Random(20260131)
    paths = sorted(p for p, e in expected.items()
                   if e["xsd_ok"] and e["scenario"] and (e["syntax"] == "cii") == (syn == "cii"))
    vocabulary = _vocabulary(syn)
    compared = 0
    diffs = []
    for rel in rng.sample(paths, 40):
        parsed = intake.parse((CORPUS / rel).read_bytes())
        assert not isinstance(parsed, intake.IntakeError)
        for doc in [parsed.root, *_mutants(parsed.root, rng, vocabulary, 6)]:
            want, checked = reference_ids(doc, positions)
            got = {rid for rid, hits in pattern.evaluate(doc).items() if hits} & checked
            compared += 1
            if got != want:
                diffs.append((rel, sorted(want - got), sorted(got - want)))
    assert compared == 280
    assert all(xp is not None for _, tests in positions for _, xp in tests)  # every rule checked
    assert diffs == [], diffs[:5]
