#!/usr/bin/env python3
"""Time per document for intake + convert + validate (``einvoice.pipeline.process``).

    python bench/validate.py [--repeat N] [--source NAME] [--profile] [--stress [--no-corpus]]

Prints median and p95 milliseconds per document over the shared conformance corpus, split by
corpus source, for all documents in an XRechnung scenario (target: median <= 1.0 ms; the
official validator needs about 5.4 ms), and the intake alone. Each document is run once to warm
up, then ``--repeat`` times; its time is the median of those runs (the machine is shared).

``--profile`` adds a cProfile top-15 (cumulative and own time) over one pass of the corpus.
``--stress`` runs the large and hostile documents of tests/hostile (10 MB note, 40,000 and
100,000 lines, 20 MB of bare elements) each in a fresh process and prints time and peak RSS.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "conformance"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from einvoice import intake  # noqa: E402
from einvoice.pipeline import process  # noqa: E402

XRECHNUNG = "XRechnung (all XRechnung scenarios)"


def load(source: str | None) -> list[tuple[str, dict[str, Any], bytes]]:
    exp: dict[str, Any] = json.loads((SHARED / "expected.json").read_text(encoding="utf-8"))
    docs = []
    for rel in sorted(exp):
        if source and exp[rel]["source"] != source:
            continue
        docs.append((rel, exp[rel], (SHARED / "corpus" / rel).read_bytes()))
    return docs


def per_doc_ms(fn: Any, data: bytes, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn(data)
        runs.append((time.perf_counter() - t) * 1000.0)
    return statistics.median(runs)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def bench(docs: list[tuple[str, dict[str, Any], bytes]], repeat: int) -> None:
    for _, _, data in docs:  # warm-up: rule loading, compiled XPaths, caches
        process(data)
    full: dict[str, list[float]] = defaultdict(list)
    parse: dict[str, list[float]] = defaultdict(list)
    for _, exp, data in docs:
        t_full = per_doc_ms(process, data, repeat)
        t_parse = per_doc_ms(intake.parse, data, repeat)
        groups = ["ALL", exp["source"]]
        if exp.get("scenario") and "XRechnung" in exp["scenario"]:
            groups.append(XRECHNUNG)
        for g in groups:
            full[g].append(t_full)
            parse[g].append(t_parse)
    print(f"{'group':40} {'docs':>5} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'intake med':>11}")
    order = ["ALL", XRECHNUNG, *sorted(k for k in full if k not in ("ALL", XRECHNUNG))]
    for g in order:
        if g not in full:
            continue
        v = full[g]
        print(
            f"{g:40} {len(v):5d} {statistics.median(v):10.3f} {p95(v):8.3f} {max(v):8.2f} "
            f"{statistics.median(parse[g]):11.3f}"
        )
    if XRECHNUNG in full:
        med = statistics.median(full[XRECHNUNG])
        verdict = "meets" if med <= 1.0 else "misses"
        print(f"\nXRechnung median {med:.3f} ms {verdict} the 1.0 ms target (official pipeline ~5.4 ms).")


def profile(docs: list[tuple[str, dict[str, Any], bytes]]) -> None:
    for _, _, data in docs[:50]:
        process(data)
    prof = cProfile.Profile()
    prof.enable()
    for _, _, data in docs:
        process(data)
    prof.disable()
    stats = pstats.Stats(prof, stream=sys.stdout)
    stats.strip_dirs()
    print("\n--- cProfile, one pass over the corpus: top 15 by cumulative time ---")
    stats.sort_stats("cumulative").print_stats(15)
    print("--- top 15 by own time ---")
    stats.sort_stats("tottime").print_stats(15)


_STRESS = {
    "note 10 MB": "hostile.big_note()",
    "40,000 lines (19 MB)": "hostile.many_lines(40_000)",
    "100,000 lines (48 MB, limit raised)": "hostile.many_lines(100_000)",
    "20 MB of <a/> elements": "b'<r>' + b'<a/>' * (5 * 1024 * 1024 - 4) + b'</r>'",
    "20 MB of attributes": "b'<r>' + b'<a b=\"1\" c=\"2\"/>' * (20 * 1024 * 1024 // 16 - 2) + b'</r>'",
    "100,000 nesting levels": "hostile.deep_nesting(100_000)",
}

_CHILD = """
import resource, sys, time
sys.path[:0] = [{root!r}, {tests!r}]
import hostile
from einvoice.pipeline import process
data = {expr}
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
rep = process(data, max_bytes=64 * 1024 * 1024).report
dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rule = rep.findings[0].rule if rep.findings and rep.verdict == "reject" else "-"
print(f"{{len(data) / 1048576:7.1f}} MB {{dt:8.2f}} s  peak RSS {{peak / 1024:7.0f}} MB "
      f"(input built at {{base / 1024:.0f}} MB)  {{rep.verdict}} {{rep.reason}} {{rule}} "
      f"({{len(rep.findings)}} findings)")
"""


def stress(timeout: float) -> None:
    print(f"\n--- stress: one fresh process per document (size limit raised to 64 MB, "
          f"{timeout:.0f} s each) ---")
    for name, expr in _STRESS.items():
        code = _CHILD.format(root=str(ROOT), tests=str(ROOT / "tests"), expr=expr)
        try:
            res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 timeout=timeout)
        except subprocess.TimeoutExpired:
            print(f"{name:38} TIMEOUT: no report within {timeout:.0f} s")
            continue
        line = res.stdout.strip() or ("FAILED: " + (res.stderr.strip().splitlines() or ["?"])[-1])
        print(f"{name:38} {line}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--source")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--stress", action="store_true")
    ap.add_argument("--stress-timeout", type=float, default=300.0)
    ap.add_argument("--no-corpus", action="store_true", help="skip the corpus timing (with --stress)")
    args = ap.parse_args()
    if not args.no_corpus:
        docs = load(args.source)
        bench(docs, args.repeat)
        if args.profile:
            profile(docs)
    if args.stress:
        stress(args.stress_timeout)


if __name__ == "__main__":
    main()
