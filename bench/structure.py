#!/usr/bin/env python3
"""Speed of the structural check (einvoice.structure.check) on parsed documents.

    python bench/structure.py [--repeat N] [--glob PATTERN]

Documents: the XRechnung test suite's business cases (typical invoices, UBL and CII) from the
shared corpus. Each document is parsed once, then checked ``--repeat`` times; the per-document
time is the best of those runs (the machine is shared, the minimum is the stable figure), and
the median and p95 over documents are printed, with a median per syntax. lxml's own XSD
validation of the same trees is printed for scale.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "conformance" / "corpus"
XSD = ROOT.parent / "shared" / "reference" / "xsd"
sys.path.insert(0, str(ROOT))

from einvoice import intake  # noqa: E402
from einvoice.structure import check  # noqa: E402
from einvoice.syntax import detect  # noqa: E402

DEFAULT_GLOB = "xrechnung-testsuite/src/test/business-cases/**/*.xml"


def best_of(fn: object, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - t)
    return best * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--glob", default=DEFAULT_GLOB)
    ap.add_argument("--no-lxml", action="store_true", help="skip the lxml XSD comparison")
    args = ap.parse_args()
    docs = []
    for path in sorted(CORPUS.glob(args.glob)):
        parsed = intake.parse(path.read_bytes())
        if isinstance(parsed, intake.Parsed):
            syntax = detect(parsed.root)
            if syntax is not None:
                docs.append((path, parsed.root, syntax))
    if not docs:
        print("no documents found", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    check(docs[0][1], docs[0][2])
    print(f"first call (loads the table): {(time.perf_counter() - t0) * 1000:.1f} ms")
    times: dict[str, list[float]] = {}
    for _path, root, syntax in docs:
        ms = best_of(lambda root=root, syntax=syntax: check(root, syntax), args.repeat)
        times.setdefault(syntax, []).append(ms)
    every = sorted(t for ts in times.values() for t in ts)
    p95 = every[min(len(every) - 1, int(len(every) * 0.95))]
    print(f"structure.check over {len(every)} documents: median {statistics.median(every):.3f} ms, "
          f"p95 {p95:.3f} ms, max {every[-1]:.3f} ms")
    for syntax, ts in sorted(times.items()):
        print(f"  {syntax:15s} n={len(ts):3d} median {statistics.median(ts):.3f} ms")
    if not args.no_lxml:
        from lxml import etree

        files = {
            "ubl-invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
            "ubl-creditnote": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
            "cii": "cii-d16b/CrossIndustryInvoice_100pD16B.xsd",
        }
        schemas = {s: etree.XMLSchema(etree.parse(str(XSD / f))) for s, f in files.items()}
        lx = sorted(
            best_of(lambda root=root, syntax=syntax: schemas[syntax].validate(root), args.repeat)
            for _p, root, syntax in docs
        )
        print(f"for scale, lxml XMLSchema.validate: median {statistics.median(lx):.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
