"""The speed ratchet: instructions per document for the whole validate path may only fall.

Wall-clock time is no test (the machine is shared); the number of instructions executed is
repeatable to about 1 %, so CI can hold the figure that `bench/icount.py --update-ratchet`
recorded, with a small tolerance for library updates.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _icount() -> object:
    spec = importlib.util.spec_from_file_location("icount", ROOT / "bench" / "icount.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_instructions_per_document_within_ratchet() -> None:
    assert shutil.which("valgrind"), "valgrind is needed for the speed ratchet (Debian package valgrind)"
    icount = _icount()
    rec = json.loads((ROOT / "bench" / "speed-ratchet.json").read_text(encoding="utf-8"))
    now = icount.per_document("process", rec["passes"], rec["every"])  # type: ignore[attr-defined]
    limit, basis = icount.ratchet_limit(rec)  # type: ignore[attr-defined]
    assert now <= limit, (
        f"pipeline.process now takes {now / 1e6:.2f} M instructions per document, more than the "
        f"ratchet allows: {limit / 1e6:.2f} M ({basis})"
    )
    # A measurement that came out near zero would mean the sample ran nothing.
    assert now > 1e6
