"""Which syntax a parsed document is in, and what its specification identifier claims.

Detection looks only at the root element's namespace and name; everything else (the scenario,
the structure) is decided later with proper findings.
"""

from __future__ import annotations

from typing import Literal

from lxml import etree

from einvoice import namespaces as ns

Syntax = Literal["ubl-invoice", "ubl-creditnote", "cii"]
Profile = Literal["xrechnung-3.0", "xrechnung-3.0-extension", "xrechnung-3.0-cvd", "en16931", "other", "none"]

ROOTS: dict[str, Syntax] = {
    f"{{{ns.UBL_INVOICE}}}Invoice": "ubl-invoice",
    f"{{{ns.UBL_CREDITNOTE}}}CreditNote": "ubl-creditnote",
    f"{{{ns.RSM}}}CrossIndustryInvoice": "cii",
}

EN16931 = "urn:cen.eu:en16931:2017"
XRECHNUNG_3 = EN16931 + "#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
XRECHNUNG_3_EXTENSION = XRECHNUNG_3 + "#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0"
XRECHNUNG_3_CVD = XRECHNUNG_3 + "#compliant#urn:xeinkauf.de:kosit:xrechnung:cvd_0.9"

PROFILES: dict[str, Profile] = {
    XRECHNUNG_3: "xrechnung-3.0",
    XRECHNUNG_3_EXTENSION: "xrechnung-3.0-extension",
    XRECHNUNG_3_CVD: "xrechnung-3.0-cvd",
    EN16931: "en16931",
}


def detect(root: etree._Element) -> Syntax | None:
    """The syntax of a parsed document, or None when the root is no UBL/CII invoice."""
    tag = root.tag
    return ROOTS.get(tag) if isinstance(tag, str) else None


def specification_elements(root: etree._Element, syntax: Syntax) -> list[etree._Element]:
    """The elements carrying BT-24 (there should be one; the schema allows the syntax more)."""
    # Tag-filtered child iteration runs in C; ElementPath (iterfind) parses and walks in Python.
    if syntax == "cii":
        return [
            el
            for ctx in root.iterchildren(_CII_CONTEXT)
            for param in ctx.iterchildren(_CII_GUIDELINE)
            for el in param.iterchildren(_CII_ID)
        ]
    return list(root.iterchildren(_UBL_CUSTOMIZATION))


_CII_CONTEXT = f"{{{ns.RSM}}}ExchangedDocumentContext"
_CII_GUIDELINE = f"{{{ns.RAM}}}GuidelineSpecifiedDocumentContextParameter"
_CII_ID = f"{{{ns.RAM}}}ID"
_UBL_CUSTOMIZATION = f"{{{ns.CBC}}}CustomizationID"


def specification_identifier(root: etree._Element, syntax: Syntax) -> str | None:
    els = specification_elements(root, syntax)
    return (els[0].text or "").strip() if els else None


def classify(spec_id: str | None) -> Profile:
    """XRechnung 3.0 standard / extension / CVD, plain EN 16931, other, or none given."""
    if spec_id is None or not spec_id.strip():
        return "none"
    return PROFILES.get(spec_id.strip(), "other")
