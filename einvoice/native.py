"""Compiled modules: which ones run, and the guard that keeps a stale one from shadowing its source.

The install compiles a few hot modules with mypyc (``setup.py``; docs/performance.md, "Sixth
pass: compiled modules"). Python's import system prefers an extension module to the source beside it, so a
source edited, pulled or checked out after the build would silently go unused. The build writes
the sha256 of every source it compiled to ``compiled-sources.json``; ``install()`` puts a finder
in front of the import system that loads the compiled modules only while every one of their
sources still has its digest, and all sources otherwise (same results, slower), with one warning
naming the changed modules.

``EINVOICE_PURE_PYTHON=1`` in the environment makes every module load from source (parity tests,
debugging with tracebacks into the source).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

PACKAGE = "einvoice"
DIGESTS = Path(__file__).with_name("compiled-sources.json")
_SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES)


def pure_python_requested() -> bool:
    return os.environ.get("EINVOICE_PURE_PYTHON", "").lower() in ("1", "true", "yes")


def _recorded(digests: Path) -> dict[str, str]:
    try:
        data = json.loads(digests.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def source_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class FreshSourceFinder(importlib.abc.MetaPathFinder):
    """Hands out the compiled modules of ``package`` only while all of them match their sources.

    All or nothing: compiled modules call each other's native code directly, not through the
    module object, so one module loaded from its newer source would still be bypassed by its
    compiled callers. ``digests`` lies in the package's directory and names modules by their
    full name.
    """

    def __init__(self, package: str, digests: Path, pure: bool) -> None:
        self.package = package + "."
        self.recorded = _recorded(digests)
        self.compiled: set[str] = set()
        self.stale: set[str] = set()
        if not pure:
            base = digests.parent
            for name, digest in self.recorded.items():
                source = base.joinpath(*name.removeprefix(self.package).split(".")).with_suffix(".py")
                if not source.is_file() or source_digest(source) != digest:
                    self.stale.add(name)
            if self.stale:
                warnings.warn(
                    f"compiled modules do not match their sources ({', '.join(sorted(self.stale))}); "
                    "running every module from source (slower). Reinstall (pip install -e .) to "
                    "compile them again.",
                    RuntimeWarning,
                    stacklevel=2,
                )
        self.use_compiled = not pure and not self.stale

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if not fullname.startswith(self.package) or path is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None or not spec.origin.endswith(_SUFFIXES):
            return spec
        source = Path(spec.origin).with_name(fullname.rpartition(".")[2] + ".py")
        if not source.is_file():
            return spec  # mypyc's own support library: no source of its own
        if self.use_compiled and fullname in self.recorded:
            self.compiled.add(fullname)
            return spec
        return importlib.util.spec_from_file_location(fullname, source)


_FINDER = FreshSourceFinder(PACKAGE, DIGESTS, pure_python_requested())


def install() -> None:
    """Put the finder first in line (idempotent); einvoice/__init__ calls it before any import."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def compiled_modules() -> list[str]:
    """The einvoice modules imported so far that run compiled."""
    return sorted(_FINDER.compiled)


def stale_modules() -> list[str]:
    """Compiled modules whose source changed after the build (then none runs compiled)."""
    return sorted(_FINDER.stale)


def flavour() -> str:
    """``compiled`` when any einvoice module runs compiled, else ``interpreted``."""
    return "compiled" if _FINDER.compiled else "interpreted"
