#!/usr/bin/env python3
"""Agreement with the official validator over the shared conformance corpus.

For each corpus source: documents whose verdict agrees, whose set of error-level rule ids
agrees, and whose set of warning/information ids agrees, then every disagreement.

    python bench/conformance.py [--source NAME] [--list N] [--json OUT] [--only-rule ID]

The figures are guarded by tests/test_conformance.py against bench/conformance-ratchet.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "conformance"
sys.path.insert(0, str(ROOT))

from einvoice.pipeline import process  # noqa: E402

# Our own layers use EINV- ids; the oracle names none for those layers.
OWN = "EINV-"


@dataclass
class Tally:
    docs: int = 0
    verdict: int = 0
    errors: int = 0
    warnings: int = 0
    disagreements: list[dict[str, Any]] = field(default_factory=list)


def expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SHARED / "expected.json").read_text(encoding="utf-8"))
    return data


def compare(path: str, exp: dict[str, Any]) -> dict[str, Any]:
    data = (SHARED / "corpus" / path).read_bytes()
    rep = process(data).report
    got_err = {f.rule for f in rep.findings if f.level == "error" and not f.rule.startswith(OWN)}
    got_warn = {f.rule for f in rep.findings if f.level != "error" and not f.rule.startswith(OWN)}
    exp_err, exp_warn = set(exp["fired_error"]), set(exp["fired_warning"]) | set(exp["fired_information"])
    return {
        "file": path,
        "verdict_ok": rep.verdict == exp["verdict"],
        "errors_ok": got_err == exp_err,
        "warnings_ok": got_warn == exp_warn,
        "verdict": rep.verdict,
        "expected_verdict": exp["verdict"],
        "reason": rep.reason,
        "expected_reason": exp["reason"],
        "missing_errors": sorted(exp_err - got_err),
        "extra_errors": sorted(got_err - exp_err),
        "missing_warnings": sorted(exp_warn - got_warn),
        "extra_warnings": sorted(got_warn - exp_warn),
    }


def measure(source: str | None = None) -> dict[str, Tally]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    for path, exp in expected().items():
        if source and exp["source"] != source:
            continue
        r = compare(path, exp)
        for key in (exp["source"], "ALL"):
            t = tallies[key]
            t.docs += 1
            t.verdict += r["verdict_ok"]
            t.errors += r["errors_ok"]
            t.warnings += r["warnings_ok"]
            if key == "ALL" and not (r["verdict_ok"] and r["errors_ok"] and r["warnings_ok"]):
                t.disagreements.append(r)
    return dict(tallies)


def figures(tallies: dict[str, Tally]) -> dict[str, dict[str, int]]:
    return {k: {"docs": t.docs, "verdict": t.verdict, "errors": t.errors, "warnings": t.warnings}
            for k, t in sorted(tallies.items())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--source")
    ap.add_argument("--list", type=int, default=40, help="disagreements to print (0: none)")
    ap.add_argument("--json", help="write every disagreement to this file")
    ap.add_argument("--rules", action="store_true", help="print missing/extra counts per rule id")
    ap.add_argument("--update-ratchet", action="store_true", help="raise bench/conformance-ratchet.json")
    args = ap.parse_args()
    t0 = time.perf_counter()
    tallies = measure(args.source)
    took = time.perf_counter() - t0
    print(f"{'source':28} {'docs':>5} {'verdict':>14} {'error set':>14} {'warn/info set':>14}")
    for name, f in figures(tallies).items():
        n = f["docs"]

        def pct(x: int, n: int = n) -> str:
            return f"{x:5d} {100 * x / n:6.2f}%"

        print(f"{name:28} {n:5d} {pct(f['verdict']):>14} {pct(f['errors']):>14} {pct(f['warnings']):>14}")
    print(f"({took:.1f} s)")
    dis = tallies["ALL"].disagreements if "ALL" in tallies else []
    if args.rules:
        c: Counter[str] = Counter()
        for d in dis:
            for k in ("missing_errors", "extra_errors", "missing_warnings", "extra_warnings"):
                for rid in d[k]:
                    c[f"{k[:-1]} {rid}"] += 1
        for k, v in c.most_common():
            print(f"{v:5d}  {k}")
    for d in dis[: args.list]:
        keys = ("missing_errors", "extra_errors", "missing_warnings", "extra_warnings")
        bits = [f"{k}={d[k]}" for k in keys if d[k]]
        if not d["verdict_ok"]:
            bits.insert(0, f"verdict {d['verdict']}/{d['reason']} expected {d['expected_verdict']}/"
                           f"{d['expected_reason']}")
        print(f"  {d['file']}: {'; '.join(bits)}")
    if args.update_ratchet:
        ratchet = Path(__file__).with_name("conformance-ratchet.json")
        old = json.loads(ratchet.read_text(encoding="utf-8")) if ratchet.exists() else {}
        new = figures(tallies)
        for src, figs in new.items():
            for k in ("verdict", "errors", "warnings"):
                figs[k] = max(figs[k], old.get(src, {}).get(k, 0))
        ratchet.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"ratchet written: {ratchet}")
    if args.json:
        Path(args.json).write_text(json.dumps(dis, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
