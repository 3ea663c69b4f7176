"""Rule families. Importing this package registers every rule module.

One module per family (``br_co.py`` holds BR-CO-*, ``vat_standard.py`` BR-S-*, …), each rule a
small documented function; see :mod:`einvoice.rules.registry` for the contract.
"""

from __future__ import annotations

import importlib
import pkgutil

from einvoice.rules.registry import (
    FAMILIES,
    RULES,
    Context,
    Hit,
    Rule,
    RuleFamily,
    register,
    register_family,
    rule,
)

_LOADED = False


def load_all() -> None:
    """Import every rule module once, which registers its rules."""
    global _LOADED
    if _LOADED:
        return
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name not in ("registry", "engine") and not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")
    _LOADED = True


__all__ = [
    "FAMILIES",
    "RULES",
    "Context",
    "Hit",
    "Rule",
    "RuleFamily",
    "load_all",
    "register",
    "register_family",
    "rule",
]
