#!/usr/bin/env python3
"""Where the validate time goes: mean ms per document for each stage and the costliest rules.

    python bench/stages.py [--docs N] [--repeat R] [--top K]

Runs intake, scenario, structure, reader and every rule (families once each) separately on
schema-valid XRechnung corpus documents (test suite and mutants) and prints the mean per stage,
per rule and per rule family. Use it to find what to optimise; bench/validate.py gives the
end-to-end figures that count.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "conformance"
sys.path.insert(0, str(ROOT))

from einvoice import intake, readers, scenario, structure  # noqa: E402
from einvoice.rules import engine, load_all  # noqa: E402
from einvoice.rules.registry import Context  # noqa: E402
from einvoice.syntax import detect  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=600)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    load_all()
    exp = json.loads((SHARED / "expected.json").read_text(encoding="utf-8"))
    docs = [(SHARED / "corpus" / k).read_bytes() for k, v in sorted(exp.items())
            if v["scenario"] and v["xsd_ok"] and v["source"] in ("xrechnung-testsuite", "mutants")]
    docs = docs[: args.docs]
    per: collections.Counter[str] = collections.Counter()
    stage: collections.Counter[str] = collections.Counter()
    n = 0
    clock = time.perf_counter
    for data in docs:
        for _ in range(args.repeat):
            t0 = clock()
            p = intake.parse(data)
            t1 = clock()
            assert isinstance(p, intake.Parsed)
            s = detect(p.root)
            assert s is not None
            sc = scenario.matching(p.root, s)[0]
            t2 = clock()
            structure.check(p.root, s)
            t3 = clock()
            inv = readers.read(p.root, s)
            t4 = clock()
            ctx = Context(invoice=inv, root=p.root, syntax=s, scenario=sc)
            singles, fams, _ = engine._plan(ctx.family, sc.runs_xrechnung)
            for r in singles:
                a = clock()
                list(r.check(ctx))
                per[r.id] += clock() - a
            for f in fams:
                a = clock()
                f.evaluate(ctx)
                per["family " + f.name] += clock() - a
            t5 = clock()
            for k, v in (("intake", t1 - t0), ("scenario", t2 - t1), ("structure", t3 - t2),
                         ("read", t4 - t3), ("rules", t5 - t4)):
                stage[k] += v
            n += 1
    print(f"{len(docs)} documents x {args.repeat}: mean ms per document")
    for k, v in stage.items():
        print(f"  {k:12} {1000 * v / n:8.3f}")
    print(f"  {'total':12} {1000 * sum(stage.values()) / n:8.3f}")
    print(f"top {args.top} rules:")
    for k, v in per.most_common(args.top):
        print(f"  {k:32} {1000 * v / n:8.4f}")
    fam: collections.Counter[str] = collections.Counter()
    for k, v in per.items():
        fam[k if k.startswith("family ") else k.rsplit("-", 1)[0]] += v
    print("by family:")
    for k, v in fam.most_common():
        print(f"  {k:32} {1000 * v / n:8.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
