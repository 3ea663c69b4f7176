"""Regressions found by the differential hunt against the Saxon oracle (tests/oracle/).

Each case edits an accepted corpus document in one or two places, checks that it stays
XSD-valid, and asserts the rule ids the official rules give for it (found with the oracle and
read back from the rule's XPath). When saxonche is installed, the whole error and warning sets
are also compared with the oracle's.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from conftest import CORPUS
from lxml import etree

from einvoice import intake, structure
from einvoice.pipeline import validate
from einvoice.syntax import detect

NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
TS = "xrechnung-testsuite/src/test/business-cases/standard/"
CIUS = "xrechnung-testsuite/src/test/technical-cases/cius/"
CII_01 = TS + "01.02a-INVOICE_uncefact.xml"
UBL_01 = TS + "01.01a-INVOICE_ubl.xml"
CII_SETTLEMENT = "//rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
CII_HEADER_TAX = CII_SETTLEMENT + "/ram:ApplicableTradeTax[1]"


def set_text(xpath: str, value: str) -> Callable[[etree._Element], None]:
    def edit(root: etree._Element) -> None:
        els = root.xpath(xpath, namespaces=NS)
        assert els, xpath
        for el in els:
            el.text = value
    return edit


def set_attr(xpath: str, name: str, value: str) -> Callable[[etree._Element], None]:
    def edit(root: etree._Element) -> None:
        els = root.xpath(xpath, namespaces=NS)
        assert els, xpath
        for el in els:
            el.set(name, value)
    return edit


def remove(xpath: str) -> Callable[[etree._Element], None]:
    def edit(root: etree._Element) -> None:
        els = root.xpath(xpath, namespaces=NS)
        assert els, xpath
        for el in els:
            el.getparent().remove(el)
    return edit


def duplicate(xpath: str) -> Callable[[etree._Element], None]:
    def edit(root: etree._Element) -> None:
        els = root.xpath(xpath, namespaces=NS)
        assert els, xpath
        for el in els:
            el.addnext(copy.deepcopy(el))
    return edit


@dataclass(frozen=True)
class Case:
    name: str
    base: str
    edits: tuple[Callable[[etree._Element], None], ...]
    errors: frozenset[str] = frozenset()  # must be among the errors
    absent: frozenset[str] = frozenset()  # must not be reported at all


CASES = [
    # BR-48 (CII) asks upper-case(ram:TypeCode) = 'VAT' untrimmed: ' VAT ' hides the rate
    Case("br48-cii-padded-typecode", CII_01, (set_text(CII_HEADER_TAX + "/ram:TypeCode", " VAT "),),
         errors=frozenset({"BR-48"})),
    # BR-56 asks for the CII registration with schemeID 'VA' (an FC number is no VAT identifier)
    Case("br56-cii-tax-rep-fc-only", CIUS + "01.01_comprehensive_test_uncefact.xml",
         (set_attr("//ram:SellerTaxRepresentativeTradeParty/ram:SpecifiedTaxRegistration/ram:ID",
                   "schemeID", "FC"),),
         errors=frozenset({"BR-56"})),
    # ... and UBL compares the tax scheme upper-cased: 'vat' is VAT
    Case("br56-ubl-tax-rep-lowercase-scheme", CIUS + "01.01_comprehensive_test_ubl.xml",
         (set_text("//cac:TaxRepresentativeParty/cac:PartyTaxScheme/cac:TaxScheme/cbc:ID", "vat"),),
         absent=frozenset({"BR-56"})),
    # BR-50's context compares the payment means code as written: '58' plus a newline is no
    # credit transfer there (BR-61 trims it, so only BR-50 stays quiet)
    Case("br50-ubl-code-with-newline", UBL_01,
         (set_text("/*/cac:PaymentMeans/cbc:PaymentMeansCode", "58\n"),
          set_text("/*/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID", "")),
         errors=frozenset({"PEPPOL-EN16931-R008"}), absent=frozenset({"BR-50"})),
    # BR-S-02/03 (UBL): the tax representative's VAT number counts with the tax scheme 'vat'
    Case("br-s-02-ubl-taxrep-lowercase-scheme", "xrechnung-schematron-tests/test/instances/ubl-cn/"
         "ubl-cn-peppol-en16931-r020.xml",
         (set_text("//cac:TaxRepresentativeParty/cac:PartyTaxScheme/cac:TaxScheme/cbc:ID", "vat"),),
         absent=frozenset({"BR-S-02", "BR-S-03", "BR-56"})),
    # BR-50/BR-61 (CII): the context is the creditor account; a bank (BIC) alone is none
    Case("br50-cii-bic-without-account", TS + "01.20a-INVOICE_uncefact.xml",
         (remove("//ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount"),
          set_text("//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode", "58")),
         absent=frozenset({"BR-50", "BR-61"})),
    # BR-E-08 (UBL) asks exists(//cac:InvoiceLine): lines without any VAT category still count
    Case("br-e-08-ubl-lines-without-category", TS + "02.01a-INVOICE_ubl.xml",
         (remove("//cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory"),
          set_text("//cac:TaxSubtotal[cac:TaxCategory/cbc:ID = 'E']/cbc:TaxableAmount", "0")),
         absent=frozenset({"BR-E-08"})),
    # BR-CO-09 (CII) checks every registration with schemeID 'VA', also a party's second one
    Case("br-co-09-cii-second-va-registration", CIUS + "01.01_comprehensive_test_uncefact.xml",
         (set_attr("//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID = 'FC']",
                   "schemeID", "VA"),),
         errors=frozenset({"BR-CO-09"})),
    # CII: an allowance without its (XSD-optional) charge indicator is neither allowance nor
    # charge, but BR-G-01 counts every //ram:CategoryTradeTax: category G without a breakdown
    Case("br-g-01-cii-allowance-without-indicator", CIUS + "01.01_comprehensive_test_uncefact.xml",
         (remove(CII_SETTLEMENT + "/ram:SpecifiedTradeAllowanceCharge[1]/ram:ChargeIndicator"),
          set_text(CII_SETTLEMENT + "/ram:SpecifiedTradeAllowanceCharge[1]/ram:CategoryTradeTax/"
                   "ram:CategoryCode", "G")),
         errors=frozenset({"BR-G-01"})),
    # BR-49 (UBL): the context is cac:PaymentMeans; without one nothing is checked
    Case("br-49-ubl-no-payment-means", TS + "03.05a-INVOICE_ubl.xml",
         (remove("/*/cac:PaymentMeans"),),
         absent=frozenset({"BR-49"})),
    # BR-CO-04 (UBL): any VAT category of the line counts, not only the first one
    Case("br-co-04-ubl-second-line-category", UBL_01,
         (duplicate("/*/cac:InvoiceLine[1]/cac:Item/cac:ClassifiedTaxCategory"),
          set_text("/*/cac:InvoiceLine[1]/cac:Item/cac:ClassifiedTaxCategory[1]/cac:TaxScheme/cbc:ID",
                   "0181")),
         absent=frozenset({"BR-CO-04"})),
]


def build(case: Case) -> bytes:
    parsed = intake.parse((CORPUS / case.base).read_bytes())
    assert not isinstance(parsed, intake.IntakeError)
    root = parsed.root
    for edit in case.edits:
        edit(root)
    syntax = detect(root)
    assert syntax is not None
    assert structure.check(root, syntax) == [], "the mutant must stay XSD-valid"
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


@cache
def oracle() -> Any:
    try:
        from oracle.schematron import Oracle
    except ImportError:  # pragma: no cover - saxonche is a dev dependency
        return None
    try:
        return Oracle()
    except ImportError:
        return None


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_regression(case: Case) -> None:
    data = build(case)
    rep = validate(data)
    errors = {f.rule for f in rep.findings if f.level == "error"}
    others = {f.rule for f in rep.findings if f.level != "error"}
    assert case.errors <= errors, f"missing {sorted(case.errors - errors)}; got {sorted(errors)}"
    assert not (case.absent & (errors | others)), sorted(case.absent & (errors | others))
    o = oracle()
    if o is None:
        return
    want = o.run(data)
    assert not want.dynamic_errors
    assert errors == want.error
    assert others == want.warning | want.information
