"""Scenario selection as the KoSIT XRechnung configuration does it (scenarios.xml, v2026-01-31).

A scenario is picked by root element and specification identifier (BT-24). It decides which rule
sets run (EN 16931 alone, or EN 16931 plus XRechnung) and how some rules are re-graded. The
match compares the identifier exactly, without trimming: the configuration does so, so a
CustomizationID with surrounding blanks matches no scenario.

The re-grading tables are the configuration's ``customLevel`` facts, restated here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from lxml import etree

from einvoice.syntax import (
    EN16931,
    XRECHNUNG_3,
    XRECHNUNG_3_CVD,
    XRECHNUNG_3_EXTENSION,
    Syntax,
    specification_elements,
)

Kind = Literal["standard", "extension", "cvd", "en16931"]
Level = Literal["error", "warning", "information"]


@dataclass(frozen=True)
class Scenario:
    name: str
    syntax: Syntax
    kind: Kind
    spec_id: str
    # How the identifier is compared: "string" (string value of the element) or "text"
    # (any text node child), exactly as the configuration's match expressions differ.
    compare: Literal["string", "text"]
    levels: dict[str, Level] = field(default_factory=dict)

    @property
    def runs_xrechnung(self) -> bool:
        """Whether the XRechnung rule set (BR-DE, BR-DEX, PEPPOL-EN16931-R) runs."""
        return self.kind != "en16931"

    @property
    def is_extension(self) -> bool:
        return self.kind == "extension"

    @property
    def is_cvd(self) -> bool:
        return self.kind == "cvd"


_XR_BASE: dict[str, Level] = {"BR-CL-23": "warning", "BR-CL-21": "warning"}
_EXT_INFO: dict[str, Level] = {
    "BR-CL-21": "information",
    "BR-CL-23": "warning",
    "BR-CL-24": "information",
    "BR-CL-10": "information",
    "BR-CL-11": "information",
    "BR-CL-25": "information",
    "BR-CL-26": "information",
}
_CII_SR: dict[str, Level] = {"CII-SR-452": "error", "CII-SR-453": "error", "CII-SR-454": "error"}
_CVD: dict[str, Level] = {"BR-CL-13": "information", **_XR_BASE}

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("EN16931 XRechnung (UBL Invoice)", "ubl-invoice", "standard", XRECHNUNG_3, "string",
             {**_XR_BASE, "UBL-CR-646": "error"}),
    Scenario("EN16931 XRechnung Extension (UBL Invoice)", "ubl-invoice", "extension", XRECHNUNG_3_EXTENSION,
             "string", {**_EXT_INFO, "BR-CO-16": "information", "UBL-CR-470": "information",
                        "UBL-CR-646": "information"}),
    Scenario("EN16931 XRechnung CVD (UBL Invoice)", "ubl-invoice", "cvd", XRECHNUNG_3_CVD, "string",
             {**_CVD, "UBL-CR-646": "error"}),
    Scenario("EN16931 XRechnung (UBL CreditNote)", "ubl-creditnote", "standard", XRECHNUNG_3, "text",
             dict(_XR_BASE)),
    Scenario("EN16931 XRechnung CVD (UBL CreditNote)", "ubl-creditnote", "cvd", XRECHNUNG_3_CVD, "text",
             {**_CVD, "UBL-CR-646": "error"}),
    Scenario("EN16931 XRechnung (CII)", "cii", "standard", XRECHNUNG_3, "text", {**_XR_BASE, **_CII_SR}),
    Scenario("EN16931 XRechnung Extension (CII)", "cii", "extension", XRECHNUNG_3_EXTENSION, "text",
             {**_EXT_INFO, **_CII_SR}),
    Scenario("EN16931 XRechnung CVD (CII)", "cii", "cvd", XRECHNUNG_3_CVD, "text", {**_CVD, **_CII_SR}),
    Scenario("EN16931 (UBL Invoice)", "ubl-invoice", "en16931", EN16931, "text"),
    Scenario("EN16931 (UBL CreditNote)", "ubl-creditnote", "en16931", EN16931, "text"),
    Scenario("EN16931 (CII)", "cii", "en16931", EN16931, "text"),
)

ACCEPTED_IDENTIFIERS = (XRECHNUNG_3, XRECHNUNG_3_EXTENSION, XRECHNUNG_3_CVD, EN16931)


def _values(el: etree._Element, compare: str) -> list[str]:
    if compare == "string":
        return ["".join(str(t) for t in el.itertext())]
    texts = [el.text] if el.text is not None else []
    texts += [c.tail for c in el if c.tail is not None]
    return texts


def matching(root: etree._Element, syntax: Syntax) -> list[Scenario]:
    """All scenarios whose match expression holds for this document."""
    els = specification_elements(root, syntax)
    values: dict[str, set[str]] = {}
    found = []
    for sc in SCENARIOS:
        if sc.syntax != syntax:
            continue
        got = values.get(sc.compare)
        if got is None:
            got = values[sc.compare] = {v for el in els for v in _values(el, sc.compare)}
        if sc.spec_id in got:
            found.append(sc)
    return found


def by_name(name: str) -> Scenario:
    for sc in SCENARIOS:
        if sc.name == name:
            return sc
    raise KeyError(name)
