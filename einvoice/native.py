"""Compiled modules: which ones run, and the guard that keeps a stale one from shadowing its source.

The install compiles a few hot modules with mypyc (``setup.py``; docs/performance.md, "Compiled
modules"). Python's import system prefers an extension module to the source beside it, so a
source edited, pulled or checked out after the build would silently go unused. The build writes
the sha256 of every source it compiled to ``compiled-sources.json``; ``install()`` puts a finder
in front of the import system that loads a compiled module only while its source still has that
digest, and the source otherwise (same results, slower), with one warning naming the module.

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
    """Hands out a compiled module of ``package`` only while it matches its source."""

    def __init__(self, package: str, digests: Path, pure: bool) -> None:
        self.package = package + "."
        self.recorded = _recorded(digests)
        self.pure = pure
        self.compiled: set[str] = set()
        self.stale: set[str] = set()

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
        if not self.pure:
            if self.recorded.get(fullname) == source_digest(source):
                self.compiled.add(fullname)
                return spec
            self.stale.add(fullname)
            warnings.warn(
                f"{fullname}: the compiled module does not match {source.name}; running the source "
                "(slower). Reinstall (pip install -e .) to compile it again.",
                RuntimeWarning,
                stacklevel=2,
            )
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
    """Compiled modules left unused because their source changed after the build."""
    return sorted(_FINDER.stale)


def flavour() -> str:
    """``compiled`` when any einvoice module runs compiled, else ``interpreted``."""
    return "compiled" if _FINDER.compiled else "interpreted"
