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


def _package(tmp_path: Path, stale: tuple[str, ...] = ()) -> Path:
    """A package ``fakepkg`` with modules ``mod`` and ``other`` beside (dummy) compiled files;
    the digests recorded for the modules in ``stale`` do not match their sources."""
    pkg = tmp_path / "fakepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    digests = {}
    for name in ("mod", "other"):
        source = pkg / f"{name}.py"
        source.write_text(f"NAME = {name!r}\n", encoding="utf-8")
        (pkg / f"{name}{SUFFIX}").write_bytes(b"")  # only its name matters: the finder never loads it
        (pkg / f"{name}__mypyc{SUFFIX}").write_bytes(b"")
        ok = hashlib.sha256(source.read_bytes()).hexdigest()
        digests[f"fakepkg.{name}"] = "0" * 64 if name in stale else ok
    (pkg / "compiled-sources.json").write_text(json.dumps(digests), encoding="utf-8")
    return pkg


def _origin(finder: native.FreshSourceFinder, pkg: Path, name: str) -> str | None:
    spec = finder.find_spec(f"fakepkg.{name}", [str(pkg)])
    assert spec is not None
    return spec.origin


def test_compiled_modules_used_while_sources_unchanged(tmp_path: Path) -> None:
    pkg = _package(tmp_path)
    finder = native.FreshSourceFinder("fakepkg", pkg / "compiled-sources.json", pure=False)
    assert _origin(finder, pkg, "mod") == str(pkg / f"mod{SUFFIX}")
    assert _origin(finder, pkg, "other") == str(pkg / f"other{SUFFIX}")
    assert finder.compiled == {"fakepkg.mod", "fakepkg.other"} and not finder.stale


def test_one_changed_source_makes_every_module_run_from_source(tmp_path: Path) -> None:
    pkg = _package(tmp_path, stale=("mod",))
    with pytest.warns(RuntimeWarning, match=r"do not match their sources \(fakepkg\.mod\)"):
        finder = native.FreshSourceFinder("fakepkg", pkg / "compiled-sources.json", pure=False)
    # other is unchanged, but its compiled code would call mod's old native code directly.
    assert _origin(finder, pkg, "other") == str(pkg / "other.py")
    assert _origin(finder, pkg, "mod") == str(pkg / "mod.py")
    assert finder.stale == {"fakepkg.mod"} and not finder.compiled


def test_missing_source_counts_as_changed(tmp_path: Path) -> None:
    pkg = _package(tmp_path)
    digests = json.loads((pkg / "compiled-sources.json").read_text(encoding="utf-8"))
    digests["fakepkg.gone"] = "0" * 64
    (pkg / "compiled-sources.json").write_text(json.dumps(digests), encoding="utf-8")
    with pytest.warns(RuntimeWarning, match=r"fakepkg\.gone"):
        finder = native.FreshSourceFinder("fakepkg", pkg / "compiled-sources.json", pure=False)
    assert _origin(finder, pkg, "mod") == str(pkg / "mod.py")


def test_pure_python_request_always_loads_source(tmp_path: Path) -> None:
    pkg = _package(tmp_path)
    finder = native.FreshSourceFinder("fakepkg", pkg / "compiled-sources.json", pure=True)
    assert _origin(finder, pkg, "mod") == str(pkg / "mod.py")
    # mypyc's support library has no source: it is left to the import system as it is.
    assert _origin(finder, pkg, "mod__mypyc") == str(pkg / f"mod__mypyc{SUFFIX}")
    # Other packages are none of its business.
    assert finder.find_spec("json", None) is None
    assert not finder.compiled


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
