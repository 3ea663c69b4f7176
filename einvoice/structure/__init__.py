"""Structural layer: the verdict of XSD validation (UBL 2.1, CII D16B), in our own code.

``check(root, syntax)`` returns EINV-STRUCT-* findings (all errors); an empty list means the
document is structurally valid and the rule layers may run. The schemas are compiled into
``ubl_2_1.json`` / ``cii_d16b.json`` by ``tools/gen_structure.py``; see docs/structure.md.
"""

from __future__ import annotations

from lxml import etree

from einvoice.report import Finding
from einvoice.structure.table import FILES, table_for
from einvoice.structure.validator import MAX_FINDINGS, Walk
from einvoice.syntax import Syntax

__all__ = ["MAX_FINDINGS", "check", "preload"]


def check(root: etree._Element, syntax: Syntax, *, limit: int = MAX_FINDINGS) -> list[Finding]:
    """All structural errors of the document (at most ``limit`` plus one note that it stopped)."""
    return Walk(table_for(syntax), syntax, limit).run(root)


def preload() -> None:
    """Load every table now (tens of milliseconds), e.g. at worker start, not on the first document."""
    for syntax in FILES:
        table_for(syntax)
