#!/usr/bin/env python3
"""Guard for speed work: the full output of ``pipeline.process`` on every corpus document.

    python tools/snapshot.py write FILE      # record report + model JSON digests
    python tools/snapshot.py check FILE      # compare with a recorded snapshot, list differences

An optimisation must not change a single finding, location, message or model value. ``write``
records, per corpus document, the SHA-256 of the report JSON and of the model JSON; ``check``
recomputes them and prints every document whose output changed, with the first differing
findings, and exits 1 when any did. Dev tool only (reads ../shared).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "conformance"
sys.path.insert(0, str(ROOT))

from einvoice.pipeline import process  # noqa: E402


def outputs() -> dict[str, dict[str, str]]:
    exp = json.loads((SHARED / "expected.json").read_text(encoding="utf-8"))
    out: dict[str, dict[str, str]] = {}
    for rel in sorted(exp):
        o = process((SHARED / "corpus" / rel).read_bytes())
        rep = o.report.model_dump_json()
        inv = o.invoice.model_dump_json() if o.invoice is not None else ""
        out[rel] = {
            "report": hashlib.sha256(rep.encode()).hexdigest(),
            "invoice": hashlib.sha256(inv.encode()).hexdigest(),
            "findings": json.dumps(sorted(f"{f.rule}@{f.location}" for f in o.report.findings)),
        }
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("write", "check"):
        print(__doc__)
        return 2
    cmd, path = argv
    now = outputs()
    if cmd == "write":
        Path(path).write_text(json.dumps(now, indent=0), encoding="utf-8")
        print(f"recorded {len(now)} documents in {path}")
        return 0
    old = json.loads(Path(path).read_text(encoding="utf-8"))
    bad = 0
    for rel in sorted(set(old) | set(now)):
        a, b = old.get(rel), now.get(rel)
        if a == b:
            continue
        bad += 1
        if bad <= 30:
            what = [k for k in ("report", "invoice") if (a or {}).get(k) != (b or {}).get(k)]
            print(f"CHANGED {rel}: {', '.join(what)}")
            if a and b and a["findings"] != b["findings"]:
                fa, fb = set(json.loads(a["findings"])), set(json.loads(b["findings"]))
                print(f"   lost: {sorted(fa - fb)[:5]}  new: {sorted(fb - fa)[:5]}")
    print(f"{len(now)} documents, {bad} changed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
