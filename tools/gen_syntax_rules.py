#!/usr/bin/env python3
"""Generate einvoice/rules/_syntax_tables.py from the reference rules.json (dev time only).

The syntax-binding rules (UBL-CR, UBL-SR, UBL-DT, CII-SR, CII-DT) live in two Schematron
patterns, one per syntax. We restate each rule in our own compact form:

* every rule position of the pattern becomes a *context*: ``("abs", paths)`` for absolute
  paths, ``("tail", step_tuples)`` for relative/``//`` paths that match anywhere, or
  ``("named", name)`` for the few contexts with functions/predicates, which the rule modules
  implement by hand;
* every rule becomes a row ``(id, level, position, kind, targets, n)`` where kind is one of
  ``absent`` (the target must not exist), ``max`` (at most n), ``exact`` (exactly n),
  ``present`` (at least one), ``both`` (the two alternatives must not both be present),
  ``all`` (every alternative must be present), ``never`` (a test that always holds),
  ``unless`` (absent unless a hand-written condition holds) or ``special`` (hand-written check).
  Targets are alternatives ``(anchor, steps)``; anchor is ``rel`` (relative to the context
  node) or ``doc`` (anywhere in the document); a step is a prefixed name, ``@attr``, or
  ``(name, predicate)``.

Usage: python tools/gen_syntax_rules.py [--check]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RULES_JSON = ROOT.parent / "shared" / "reference" / "rules.json"
BINDINGS_JSON = ROOT.parent / "shared" / "reference" / "bindings.json"
OUT = ROOT / "einvoice" / "rules" / "_syntax_tables.py"

PATTERNS = {"ubl": "UBL-syntax", "cii": "EN16931-CII-Syntax"}
FAMILIES = {"UBL-CR", "UBL-SR", "UBL-DT", "CII-SR", "CII-DT"}

# Context positions whose XPath uses functions or predicates: implemented by hand, by name.
NAMED_CONTEXTS: dict[tuple[str, int], str] = {
    ("ubl", 4): "amount",
    ("ubl", 5): "binary_object",
    ("ubl", 7): "allowance",
    ("ubl", 8): "charge",
    ("cii", 19): "document_context_parameter",
    ("cii", 21): "ram_id",
    ("cii", 25): "ram_referenced_document",
    ("cii", 26): "ram_amount",
    ("cii", 27): "ram_quantity",
    ("cii", 28): "ram_trade_tax",
    ("cii", 31): "date_time_string_102",
}

# Tests of the form not(P) or C: the hand-written condition C lives in the rule module.
# Tests that are neither a plain path test nor of that form are "special" (also hand-written).
# A few plain forms are restated here in our own terms (kind, target, n).
OVERRIDES: dict[str, tuple[str, str, int]] = {
    # not(A) or count(A) = 1
    "UBL-SR-51": ("max", "cac:AddressLine", 1),
    # exists(A) and exists(B): kind "all", every alternative must be present
    "UBL-SR-53": ("all", "cac:TaxScheme/cbc:ID | cbc:CompanyID", 0),
    # (not A and B) or (A and not B) or (not A and not B), i.e. not both: kind "both"
    "CII-SR-449": ("both", "ram:ShipToTradeParty/ram:ID | ram:ShipToTradeParty/ram:GlobalID", 0),
    "CII-SR-450": ("both", "ram:BuyerTradeParty/ram:ID | ram:BuyerTradeParty/ram:GlobalID", 0),
    "CII-SR-451": ("both", "ram:PayeeTradeParty/ram:ID | ram:PayeeTradeParty/ram:GlobalID", 0),
    # not(A and B)
    "CII-SR-465": ("both", "ram:SellerTradeParty/ram:DefinedTradeContact/ram:PersonName"
                           " | ram:SellerTradeParty/ram:DefinedTradeContact/ram:DepartmentName", 0),
    "CII-SR-466": ("both", "ram:BuyerTradeParty/ram:DefinedTradeContact/ram:PersonName"
                           " | ram:BuyerTradeParty/ram:DefinedTradeContact/ram:DepartmentName", 0),
    # (A or B) or (not A and not B) always holds: kind "never"
    "CII-SR-464": ("never", "", 0),
}

NAME = r"(?:@[A-Za-z][\w.-]*|[A-Za-z][\w.-]*:[A-Za-z][\w.-]*)"
PRED_LHS = re.compile(
    rf"^(?:(?P<prefix>{NAME}(?:/{NAME})*)/)?(?:upper-case\((?P<up>{NAME})\)|(?P<plain>{NAME}))$"
)
PRED = re.compile(
    r"^(?P<lhs>.+?)\s*(?P<op>!=|=)\s*'(?P<lit>[^']*)'(?:\s+or\s+not\((?P<miss>[^()]+)\))?$"
)


class Unparsed(Exception):
    pass


def split_top(s: str, sep: str) -> list[str]:
    """Split on sep outside brackets and parentheses."""
    out, depth, cur, i = [], 0, "", 0
    while i < len(s):
        ch = s[i]
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if depth == 0 and s.startswith(sep, i):
            out.append(cur)
            cur = ""
            i += len(sep)
            continue
        cur += ch
        i += 1
    out.append(cur)
    return out


def strip_parens(s: str) -> str:
    s = s.strip()
    while s.startswith("(") and s.endswith(")") and _balanced(s[1:-1]):
        s = s[1:-1].strip()
    return s


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        depth += ch in "(["
        depth -= ch in ")]"
        if depth < 0:
            return False
    return depth == 0


def parse_pred(text: str) -> tuple[Any, ...]:
    m = PRED.match(text.strip())
    if not m:
        raise Unparsed(text)
    lhs = PRED_LHS.match(m["lhs"].strip())
    if not lhs:
        raise Unparsed(text)
    prefix = tuple(lhs["prefix"].split("/")) if lhs["prefix"] else ()
    last = lhs["up"] or lhs["plain"]
    miss = m["miss"].strip() if m["miss"] else None
    if miss is not None and not re.fullmatch(NAME, miss):
        raise Unparsed(text)
    return (prefix, last, bool(lhs["up"]), m["op"], m["lit"], miss)


def parse_step(step: str) -> Any:
    step = step.strip()
    m = re.fullmatch(rf"({NAME})(?:\[(.*)\])?", step)
    if not m:
        raise Unparsed(step)
    if m[2] is None:
        return m[1]
    return (m[1], parse_pred(m[2]))


def parse_path(text: str) -> list[tuple[str, tuple[Any, ...]]]:
    """A location path → alternatives (anchor, steps)."""
    text = strip_parens(text)
    if "|" in text and text.startswith("("):
        # (a|b)/rest
        close = text.index(")")
        head, rest = text[1:close], text[close + 1:]
        if not rest.startswith("/"):
            raise Unparsed(text)
        out = []
        for alt in head.split("|"):
            out += parse_path(alt.strip() + rest)
        return out
    if "|" in split_top(text, "|")[0] and len(split_top(text, "|")) > 1:
        raise Unparsed(text)
    alts = split_top(text, "|")
    if len(alts) > 1:
        out = []
        for a in alts:
            out += parse_path(a)
        return out
    anchor = "rel"
    if text.startswith("//"):
        anchor, text = "doc", text[2:]
    elif text.startswith("/") or text.startswith("."):
        raise Unparsed(text)
    steps = tuple(parse_step(s) for s in split_top(text, "/"))
    for s in steps[:-1]:
        if isinstance(s, str) and s.startswith("@"):
            raise Unparsed(text)
    return [(anchor, steps)]


COUNT = re.compile(r"^count\((?P<p>.+)\)\s*(?P<op><=|=)\s*(?P<n>\d+)$")


def parse_test(test: str) -> tuple[str, list[Any], int]:
    t = strip_parens(test)
    if t.startswith("not(") and t.endswith(")") and _balanced(t[4:-1]):
        return "absent", parse_path(t[4:-1]), 0
    m = COUNT.match(t)
    if m and _balanced(m["p"]):
        return ("max" if m["op"] == "<=" else "exact"), parse_path(m["p"]), int(m["n"])
    try:
        return "present", parse_path(t), 1
    except Unparsed:
        pass
    parts = split_top(t, " or ")
    if len(parts) == 2:
        first = strip_parens(parts[0])
        if first.startswith("not") and _balanced(first[3:]):
            inner = strip_parens(first[3:])
            try:
                return "unless", parse_path(inner), 0
            except Unparsed:
                pass
    raise Unparsed(t)


def parse_context(ctx: str) -> tuple[str, Any]:
    alts = [a.strip() for a in split_top(ctx, "|")]
    if all(a.startswith("/") and not a.startswith("//") for a in alts):
        paths = []
        for a in alts:
            if "[" in a or "(" in a:
                raise Unparsed(ctx)
            paths.append(a)
        return "abs", tuple(paths)
    tails = []
    for a in alts:
        a = a[2:] if a.startswith("//") else a
        if a.startswith("/") or "[" in a or "(" in a or "*" in a:
            raise Unparsed(ctx)
        tails.append(tuple(a.split("/")))
    return "tail", tuple(tails)


def level_code(level: str) -> str:
    return {"error": "e", "warning": "w", "information": "i"}[level]


def build(rules: list[dict[str, Any]], paths: dict[str, list[tuple[str, str]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for syn, pattern in PATTERNS.items():
        contexts: dict[int, Any] = {}
        rows = []
        for r in rules:
            ps = r["per_syntax"].get(syn)
            if not ps or ps["pattern"] != pattern:
                continue
            if r["family"] not in FAMILIES:
                raise SystemExit(f"unexpected family in {pattern}: {r['id']}")
            pos = ps["rule_position"]
            if pos not in contexts:
                if (syn, pos) in NAMED_CONTEXTS:
                    contexts[pos] = ("named", NAMED_CONTEXTS[(syn, pos)])
                else:
                    contexts[pos] = parse_context(ps["context"])
            test = ps.get("test_resolved", ps["test"])
            if r["id"] in OVERRIDES:
                kind, path, n = OVERRIDES[r["id"]]
                targets = parse_path(path) if path else []
            else:
                try:
                    kind, targets, n = parse_test(test)
                except Unparsed:
                    kind, targets, n = "special", [], 0
            rows.append((r["id"], level_code(r["default_level"]), pos, kind, tuple(targets), n))
        rows.sort(key=lambda x: (x[2], _id_key(x[0])))
        bts = {}
        for row in rows:
            got = rule_bts(row, contexts[row[2]], paths[syn])
            if got:
                bts[row[0]] = got
        out[syn] = {"contexts": dict(sorted(contexts.items())), "rows": rows, "bts": bts}
    return out


def _strip_predicates(path: str) -> str:
    prev = None
    while prev != path:
        prev, path = path, re.sub(r"\s*\[[^\[\]]*\]", "", path)
    return path.replace(" ", "")


def binding_paths(bindings: list[dict[str, Any]]) -> dict[str, list[tuple[str, str]]]:
    """Per syntax family: (normalised path, BT/BG id), from the reference bindings."""
    out: dict[str, list[tuple[str, str]]] = {"ubl": [], "cii": []}
    for b in bindings:
        for key, fam in (("ubl_invoice", "ubl"), ("ubl_creditnote", "ubl"), ("cii", "cii")):
            for p in b.get(key) or ():
                p = _strip_predicates(p).replace("/Invoice:Invoice", "/ubl:Invoice")
                p = p.replace("/CreditNote:CreditNote", "/cn:CreditNote")
                out[fam].append((p, b["id"]))
    return out


def rule_bts(row: tuple[Any, ...], ctx: tuple[str, Any], paths: list[tuple[str, str]]) -> tuple[str, ...]:
    """BT/BG ids whose binding is exactly one of the rule's target elements (or attribute owners)."""
    found: set[str] = set()
    for anchor, steps in row[4]:
        names = [s if isinstance(s, str) else s[0] for s in steps]
        if names and names[-1].startswith("@"):
            names = names[:-1]
        if not names and ctx[0] != "abs":
            continue
        rel = "/".join(names)
        if anchor == "rel" and ctx[0] == "abs":
            wanted = [(p + "/" + rel if rel else p, True) for p in ctx[1]]
        elif anchor == "rel" and ctx[0] == "tail":
            wanted = [("/" + "/".join(t) + ("/" + rel if rel else ""), False) for t in ctx[1]]
        elif anchor == "doc":
            wanted = [("/" + rel, False)]
        else:
            continue
        for want, exact in wanted:
            for p, bt in paths:
                if (p == want) if exact else p.endswith(want):
                    found.add(bt)
    return tuple(sorted(found, key=_id_key))


def _id_key(rid: str) -> tuple[str, int]:
    head, _, num = rid.rpartition("-")
    return head, int(num) if num.isdigit() else 0


def render(data: dict[str, Any]) -> str:
    lines = [
        "# ruff: noqa: E501",
        '"""Syntax-binding rule tables (UBL-CR/SR/DT, CII-SR/DT) in our compact form.',
        "",
        "Generated by tools/gen_syntax_rules.py; do not edit by hand. The format is described",
        "there and in docs/rules-syntax.md.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Any",
        "",
    ]
    for syn in ("ubl", "cii"):
        d = data[syn]
        name = syn.upper()
        lines.append(f"{name}_CONTEXTS: dict[int, tuple[str, Any]] = {{")
        for pos, c in d["contexts"].items():
            lines.append(f"    {pos}: {c!r},")
        lines.append("}")
        lines.append("")
        lines.append(f"{name}_RULES: tuple[tuple[str, str, int, str, tuple[Any, ...], int], ...] = (")
        for row in d["rows"]:
            lines.append(f"    {row!r},")
        lines.append(")")
        lines.append("")
        lines.append(f"{name}_BTS: dict[str, tuple[str, ...]] = {{")
        for rid, bts in d["bts"].items():
            lines.append(f"    {rid!r}: {bts!r},")
        lines.append("}")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--check", action="store_true", help="fail if the generated file is stale")
    args = ap.parse_args()
    rules = json.loads(RULES_JSON.read_text(encoding="utf-8"))["rules"]
    bindings = json.loads(BINDINGS_JSON.read_text(encoding="utf-8"))["bindings"]
    text = render(build(rules, binding_paths(bindings)))
    if args.check:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is stale; run tools/gen_syntax_rules.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
