"""Our own code-list data: one module per list, each a frozenset (or per-syntax frozensets).

Every module's docstring names the list, its source and the version the official validator
embeds. Code values are facts; the lists reproduce exactly what the official tests accept,
including their quirks (e.g. ICD 0244 never accepted, per-syntax differences).
"""

from __future__ import annotations


def codes(text: str) -> frozenset[str]:
    """The blank-separated codes of ``text`` as a frozenset (lists are kept readable in source)."""
    return frozenset(text.split())
