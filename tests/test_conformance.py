"""Ratchet: agreement with the official validator may only go up.

bench/conformance-ratchet.json holds the figures of the last landing. When the figures improve,
run `python bench/conformance.py --update-ratchet` and commit the file, so no later change can
lose ground unnoticed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import conformance  # noqa: E402

RATCHET = ROOT / "bench" / "conformance-ratchet.json"


def test_conformance_never_drops() -> None:
    got = conformance.figures(conformance.measure())
    floor = json.loads(RATCHET.read_text(encoding="utf-8"))
    drops = []
    for source, figs in floor.items():
        for key in ("verdict", "errors", "warnings"):
            if got.get(source, {}).get(key, 0) < figs[key]:
                drops.append(f"{source}.{key}: {got.get(source, {}).get(key)} < {figs[key]}")
    print(json.dumps(got, indent=1, sort_keys=True))
    assert not drops, "conformance dropped below the ratchet: " + ", ".join(drops)
    assert got["ALL"]["docs"] == floor["ALL"]["docs"], "corpus size changed"
