#!/usr/bin/env python3
"""Speed of parse + convert (intake, syntax detection, reader) per document.

Runs over every schema-valid corpus document (those in facts.json), several rounds, and prints
the median and p95 milliseconds per document, also per syntax and for the reader alone.

    python bench/convert.py [--rounds N] [--bt]      (--bt: include building the BT view)
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "conformance"
sys.path.insert(0, str(ROOT))

from einvoice import intake, readers  # noqa: E402
from einvoice.bt_view import bt_view  # noqa: E402
from einvoice.model import Invoice  # noqa: E402
from einvoice.pipeline import convert  # noqa: E402
from einvoice.syntax import detect  # noqa: E402


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--bt", action="store_true", help="also build the BT view")
    args = ap.parse_args()
    facts = json.loads((SHARED / "facts.json").read_text(encoding="utf-8"))
    docs = [(k, v["__syntax__"], (SHARED / "corpus" / k).read_bytes())
            for k, v in facts.items() if not k.startswith("__")]
    best: dict[str, float] = {}
    reader_best: dict[str, float] = {}
    every_run: list[float] = []
    gc.disable()  # collector pauses would land on random documents and blur the percentiles
    try:
        for _ in range(args.rounds):
            for key, _syntax, data in docs:
                t0 = time.perf_counter()
                inv = convert(data)
                if args.bt and isinstance(inv, Invoice):
                    bt_view(inv)
                dt = time.perf_counter() - t0
                if not isinstance(inv, Invoice):
                    print(f"{key}: did not convert", file=sys.stderr)
                    return 1
                best[key] = min(best.get(key, dt), dt)
                every_run.append(dt * 1000)
                parsed = intake.parse(data)
                assert isinstance(parsed, intake.Parsed)
                syntax = detect(parsed.root)
                assert syntax is not None
                t0 = time.perf_counter()
                readers.read(parsed.root, syntax)
                dt = time.perf_counter() - t0
                reader_best[key] = min(reader_best.get(key, dt), dt)
            gc.collect()
    finally:
        gc.enable()
    by_syntax: dict[str, list[float]] = defaultdict(list)
    for key, syntax, _ in docs:
        by_syntax[syntax].append(best[key] * 1000)
    every = [best[k] * 1000 for k, _, _ in docs]
    reader_ms = [reader_best[k] * 1000 for k, _, _ in docs]
    what = "parse+convert" + ("+bt view" if args.bt else "")
    print(f"{what}: {len(docs)} documents, best of {args.rounds} rounds each")
    print(f"  all        median {statistics.median(every):.3f} ms  p95 {_pct(every, 0.95):.3f} ms")
    for syntax, values in sorted(by_syntax.items()):
        print(f"  {syntax:<14} median {statistics.median(values):.3f} ms  p95 {_pct(values, 0.95):.3f} ms"
              f"  ({len(values)} documents)")
    print(f"  every run  median {statistics.median(every_run):.3f} ms  p95 {_pct(every_run, 0.95):.3f} ms"
          "  (no best-of: includes noise from other processes)")
    print(f"  reader only median {statistics.median(reader_ms):.3f} ms  p95 {_pct(reader_ms, 0.95):.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
