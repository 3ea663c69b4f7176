"""Compiled modules (setup.py, einvoice/native.py): used only while they match their source."""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from einvoice import native, pipeline

ROOT = Path(__file__).resolve().parent.parent
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def _package(tmp_path: Path, digest_of_source: bool) -> tuple[Path, Path]:
    """A package ``fakepkg`` with one module beside a (dummy) compiled file of it."""
    pkg = tmp_path / "fakepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    source = pkg / "mod.py"
    source.write_text("VALUE = 1\n", encoding="utf-8")
    (pkg / f"mod{SUFFIX}").write_bytes(b"")  # only its name matters: the finder never loads it
    (pkg / f"mod__mypyc{SUFFIX}").write_bytes(b"")
    digest = hashlib.sha256(source.read_bytes()).hexdigest() if digest_of_source else "0" * 64
    digests = tmp_path / "digests.json"
    digests.write_text(json.dumps({"fakepkg.mod": digest}), encoding="utf-8")
    return pkg, digests


def test_compiled_module_used_while_source_unchanged(tmp_path: Path) -> None:
    pkg, digests = _package(tmp_path, digest_of_source=True)
    finder = native.FreshSourceFinder("fakepkg", digests, pure=False)
    spec = finder.find_spec("fakepkg.mod", [str(pkg)])
    assert spec is not None and spec.origin == str(pkg / f"mod{SUFFIX}")
    assert finder.compiled == {"fakepkg.mod"} and not finder.stale


def test_changed_source_wins_over_stale_compiled_module(tmp_path: Path) -> None:
    pkg, digests = _package(tmp_path, digest_of_source=False)
    finder = native.FreshSourceFinder("fakepkg", digests, pure=False)
    with pytest.warns(RuntimeWarning, match=r"fakepkg\.mod: the compiled module does not match mod\.py"):
        spec = finder.find_spec("fakepkg.mod", [str(pkg)])
    assert spec is not None and spec.origin == str(pkg / "mod.py")
    assert finder.stale == {"fakepkg.mod"} and not finder.compiled


def test_pure_python_request_always_loads_source(tmp_path: Path) -> None:
    pkg, digests = _package(tmp_path, digest_of_source=True)
    finder = native.FreshSourceFinder("fakepkg", digests, pure=True)
    spec = finder.find_spec("fakepkg.mod", [str(pkg)])
    assert spec is not None and spec.origin == str(pkg / "mod.py")
    # mypyc's support library has no source: it is left to the import system as it is.
    lib = finder.find_spec("fakepkg.mod__mypyc", [str(pkg)])
    assert lib is not None and lib.origin == str(pkg / f"mod__mypyc{SUFFIX}")
    # Other packages are none of its business.
    assert finder.find_spec("json", None) is None


def test_every_compiled_module_of_this_install_runs_compiled() -> None:
    """The install compiled what setup.py lists (unless EINVOICE_PURE_PYTHON was set), and each
    of those modules is the one that runs: a failed or stale build would silently cost speed."""
    pipeline.warm_up()
    recorded = json.loads(native.DIGESTS.read_text(encoding="utf-8")) if native.DIGESTS.exists() else {}
    if native.pure_python_requested():
        assert native.compiled_modules() == []
        return
    assert native.stale_modules() == []
    assert native.compiled_modules() == sorted(recorded)
    for name in recorded:
        assert sys.modules[name].__file__ is not None
        assert sys.modules[name].__file__.endswith(SUFFIX), name


def test_pure_python_request_at_run_time() -> None:
    code = (
        "import einvoice, einvoice.pipeline as p, einvoice.native as n; p.warm_up(); "
        "import einvoice.structure.validator as v; print(n.flavour(), v.__file__.endswith('.py'))"
    )
    env = {**os.environ, "EINVOICE_PURE_PYTHON": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["interpreted", "True"]
