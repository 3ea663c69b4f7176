"""One reader per syntax into the EN 16931 model."""

from __future__ import annotations

from lxml import etree

from einvoice.model import Invoice
from einvoice.readers import cii, ubl
from einvoice.syntax import Syntax


def read(root: etree._Element, syntax: Syntax) -> Invoice:
    """Read a parsed UBL Invoice, UBL CreditNote or CII document into the model. Never raises
    on document content: odd or misplaced elements are skipped, unparseable values keep
    ``value=None``."""
    if syntax == "cii":
        return cii.read(root)
    return ubl.read(root, syntax)
