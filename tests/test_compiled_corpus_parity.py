"""The compiled modules give exactly the interpreted results on every corpus document.

mypyc checks declared types at run time where the interpreter does not; a type hint that does
not hold (lxml's stubs call every ``.tag`` a string, a comment's is a function) would turn into
an internal-error finding only in the compiled build. tools/snapshot.py records the SHA-256 of
each document's report and model JSON; the interpreted run writes it, the compiled run checks it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "conformance" / "expected.json"


@pytest.mark.skipif(not CORPUS.exists(), reason="needs the shared conformance corpus")
def test_compiled_and_interpreted_outputs_identical_on_corpus(tmp_path: Path) -> None:
    snap = tmp_path / "interpreted.snap"
    tool = str(ROOT / "tools" / "snapshot.py")
    pure = {**os.environ, "EINVOICE_PURE_PYTHON": "1"}
    subprocess.run([sys.executable, tool, "write", str(snap)], env=pure, cwd=ROOT, check=True,
                   capture_output=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k != "EINVOICE_PURE_PYTHON"}
    done = subprocess.run([sys.executable, tool, "check", str(snap)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert done.stdout.strip().endswith(", 0 changed"), done.stdout[-500:]
