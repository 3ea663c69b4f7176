"""BR-CL code-list rules on hand-built models, including the official tests' quirks."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from lxml import etree

from einvoice.model import Amount, Code, Identifier, Invoice, InvoiceLine, Quantity, Text
from einvoice.model.invoice import (
    Buyer,
    InvoiceNote,
    Item,
    Seller,
    SellerAddress,
    VatBreakdown,
)
from einvoice.namespaces import CII_NS, UBL_NS
from einvoice.rules.registry import RULES, Context
from einvoice.scenario import by_name

importlib.import_module("einvoice.rules.br_cl")

SCEN = {"cii": "EN16931 (CII)", "ubl-invoice": "EN16931 (UBL Invoice)",
        "ubl-creditnote": "EN16931 (UBL CreditNote)"}
XML = {
    "cii": f"<rsm:CrossIndustryInvoice xmlns:rsm='{CII_NS['rsm']}'/>",
    "ubl-invoice": f"<ubl:Invoice xmlns:ubl='{UBL_NS['ubl']}'/>",
    "ubl-creditnote": f"<cn:CreditNote xmlns:cn='{UBL_NS['cn']}'/>",
}
U = "/ubl:Invoice"
C = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction"


def run(rule_id: str, inv: Invoice, xml: str | None = None) -> list[str]:
    """Locations where ``rule_id`` fires."""
    ctx = Context(invoice=inv, root=etree.fromstring(xml or XML[inv.syntax]), syntax=inv.syntax,  # type: ignore[arg-type]
                  scenario=by_name(SCEN[inv.syntax]))
    return [h.location for h in RULES[(rule_id, ctx.family)].check(ctx)]


def test_type_code_lists_differ_for_ubl_invoice_and_credit_note() -> None:
    inv = Invoice(syntax="ubl-invoice", type_code=Code(raw="381", path=f"{U}/cbc:InvoiceTypeCode"))
    assert run("BR-CL-01", inv) == [f"{U}/cbc:InvoiceTypeCode"]
    cn = Invoice(syntax="ubl-creditnote",
                 type_code=Code(raw="381", path="/cn:CreditNote/cbc:CreditNoteTypeCode"))
    assert run("BR-CL-01", cn) == []
    cii_path = "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode"
    cii = Invoice(syntax="cii", type_code=Code(raw="381", path=cii_path))
    assert run("BR-CL-01", cii) == []


def test_currency_of_every_ubl_amount_is_checked() -> None:
    sub = f"{U}/cac:TaxTotal/cac:TaxSubtotal"
    bd = VatBreakdown(taxable_amount=Amount(raw="1", path=f"{sub}/cbc:TaxableAmount",
                                            value=Decimal(1), currency="XYZ"))
    inv = Invoice(syntax="ubl-invoice", vat_breakdown=[bd])
    # VAT totals come from the XML (the model places them by currency, so odd ones are missing).
    xml = (f"<ubl:Invoice xmlns:ubl='{UBL_NS['ubl']}' xmlns:cac='{UBL_NS['cac']}' "
           f"xmlns:cbc='{UBL_NS['cbc']}'><cac:TaxTotal><cbc:TaxAmount currencyID='EUR'>1</cbc:TaxAmount>"
           "</cac:TaxTotal><cac:TaxTotal><cbc:TaxAmount currencyID='ABC'>1</cbc:TaxAmount>"
           "</cac:TaxTotal></ubl:Invoice>")
    assert run("BR-CL-03", inv, xml) == [f"{U}/cac:TaxTotal[2]/cbc:TaxAmount", f"{sub}/cbc:TaxableAmount"]


def test_cii_checks_only_vat_totals_with_a_currency() -> None:
    xml = (f"<rsm:CrossIndustryInvoice xmlns:rsm='{CII_NS['rsm']}' xmlns:ram='{CII_NS['ram']}'>"
           "<ram:TaxTotalAmount currencyID='EUR'>1</ram:TaxTotalAmount>"
           "<ram:TaxTotalAmount currencyID='EURO'>1</ram:TaxTotalAmount>"
           "<ram:TaxTotalAmount>1</ram:TaxTotalAmount></rsm:CrossIndustryInvoice>")
    assert run("BR-CL-03", Invoice(syntax="cii"), xml) == ["/rsm:CrossIndustryInvoice/ram:TaxTotalAmount[2]"]


@pytest.mark.parametrize("syntax, path, good, bad", [
    ("ubl-invoice", f"{U}/cac:InvoicePeriod/cbc:DescriptionCode", "35", "29"),
    ("cii", f"{C}/ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:DueDateTypeCode",
     "29", "35"),
])
def test_vat_point_date_code_list_depends_on_syntax(syntax: str, path: str, good: str, bad: str) -> None:
    xml = None
    if syntax == "cii":
        xml = (f"<rsm:CrossIndustryInvoice xmlns:rsm='{CII_NS['rsm']}' xmlns:ram='{CII_NS['ram']}'>"
               f"<ram:DueDateTypeCode>{bad}</ram:DueDateTypeCode></rsm:CrossIndustryInvoice>")
    ok = Invoice(syntax=syntax, tax_point_date_code=Code(raw=good, path=path))
    assert run("BR-CL-06", ok, XML[syntax] if syntax == "cii" else None) == []
    wrong = Invoice(syntax=syntax, tax_point_date_code=Code(raw=bad, path=path))
    assert len(run("BR-CL-06", wrong, xml)) == 1


def test_ubl_note_subject_code_is_a_substring_search() -> None:
    def note(text: str) -> Invoice:
        return Invoice(syntax="ubl-invoice", notes=[
            InvoiceNote(path=f"{U}/cbc:Note", note=Text(raw=text, path=f"{U}/cbc:Note"))])

    assert run("BR-CL-08", note("#AAI#Hinweis")) == []
    assert run("BR-CL-08", note("#A A#spans two codes")) == []  # unpadded: 'A A' occurs in the list
    assert run("BR-CL-08", note("#QQQ#unknown")) == [f"{U}/cbc:Note"]
    assert run("BR-CL-08", note("#QQQQ#not three letters")) == []
    assert run("BR-CL-08", note("no code")) == []


def test_cii_subject_code_list_is_padded() -> None:
    path = "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:IncludedNote/ram:SubjectCode"
    inv = Invoice(syntax="cii", notes=[InvoiceNote(subject_code=Code(raw="A A", path=path))])
    assert run("BR-CL-08", inv) == [path]
    inv = Invoice(syntax="cii", notes=[InvoiceNote(subject_code=Code(raw="BAT", path=path))])
    assert run("BR-CL-08", inv) == []  # BAT is in the CII list only


def test_icd_0244_is_never_accepted_and_sepa_only_for_ubl_seller() -> None:
    seller_path = f"{U}/cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID"
    buyer_path = f"{U}/cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID"
    inv = Invoice(
        syntax="ubl-invoice",
        seller=Seller(identifiers=[Identifier(raw="1", path=seller_path, scheme="SEPA"),
                                   Identifier(raw="2", path=seller_path, scheme="0244"),
                                   Identifier(raw="3", path=seller_path, scheme="0088")]),
        buyer=Buyer(identifier=Identifier(raw="4", path=buyer_path, scheme="SEPA")),
    )
    assert run("BR-CL-10", inv) == [seller_path, buyer_path]


def test_cii_checks_every_ram_id_scheme_outside_tax_registrations() -> None:
    ram = CII_NS["ram"]
    xml = (f"<rsm:CrossIndustryInvoice xmlns:rsm='{CII_NS['rsm']}' xmlns:ram='{ram}'>"
           "<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>"
           "<ram:ID schemeID='XX'>urn:spec</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>"
           "</rsm:ExchangedDocumentContext><ram:SellerTradeParty>"
           "<ram:ID schemeID='0088'>1</ram:ID><ram:GlobalID schemeID='0244'>2</ram:GlobalID>"
           "<ram:SpecifiedTaxRegistration><ram:ID schemeID='VA'>DE1</ram:ID></ram:SpecifiedTaxRegistration>"
           "</ram:SellerTradeParty><ram:SpecifiedTradeProduct><ram:GlobalID schemeID='XX'>3</ram:GlobalID>"
           "</ram:SpecifiedTradeProduct></rsm:CrossIndustryInvoice>")
    inv = Invoice(syntax="cii")
    root = "/rsm:CrossIndustryInvoice"
    assert run("BR-CL-11", inv, xml) == [
        f"{root}/rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"]
    # 0244 is never accepted; product global identifiers belong to BR-CL-21.
    assert run("BR-CL-10", inv, xml) == [f"{root}/ram:SellerTradeParty/ram:GlobalID"]


@pytest.mark.parametrize("syntax, country, fires", [
    ("ubl-invoice", "SS", False), ("ubl-invoice", "AN", True),
    ("cii", "SS", True), ("cii", "AN", False), ("cii", " DE ", False),
])
def test_country_lists_differ_by_one_code(syntax: str, country: str, fires: bool) -> None:
    path = (f"{U}/cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode"
            if syntax == "ubl-invoice" else
            f"{C}/ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty/ram:PostalTradeAddress/ram:CountryID")
    address = SellerAddress(country_code=Code(raw=country, path=path))
    inv = Invoice(syntax=syntax, seller=Seller(address=address))
    assert bool(run("BR-CL-14", inv)) is fires


def test_vat_category_lists_cover_breakdowns_per_syntax() -> None:
    ubl = Invoice(syntax="ubl-invoice", vat_breakdown=[VatBreakdown(
        category_code=Code(raw="X", path=f"{U}/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID"))])
    assert len(run("BR-CL-17", ubl)) == 1 and run("BR-CL-18", ubl) == []
    cat = f"{C}/ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode"
    cii = Invoice(syntax="cii", vat_breakdown=[VatBreakdown(category_code=Code(raw="X", path=cat))])
    assert run("BR-CL-17", cii) == [] and len(run("BR-CL-18", cii)) == 1


def test_exemption_reason_code_is_upper_cased() -> None:
    path = f"{U}/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode"
    ok = Invoice(syntax="ubl-invoice", vat_breakdown=[VatBreakdown(
        exemption_reason_code=Code(raw="vatex-eu-ic", path=path))])
    assert run("BR-CL-22", ok) == []
    bad = Invoice(syntax="ubl-invoice", vat_breakdown=[VatBreakdown(
        exemption_reason_code=Code(raw="VATEX-EU-XX", path=path))])
    assert run("BR-CL-22", bad) == [path]


def test_units_and_mime_codes() -> None:
    qpath = f"{U}/cac:InvoiceLine/cbc:InvoicedQuantity"
    inv = Invoice(syntax="ubl-invoice", lines=[
        InvoiceLine(quantity=Quantity(raw="1", path=qpath, value=Decimal(1), unit="XX1")),
        InvoiceLine(quantity=Quantity(raw="1", path=qpath, value=Decimal(1), unit="C62"))])
    assert run("BR-CL-23", inv) == [qpath]
    # Attachments are read from the XML: a reference that is no supporting document (e.g. the
    # invoiced object, type code 130) may carry one the model does not keep.
    att = ("<cac:AdditionalDocumentReference><cac:Attachment><cbc:EmbeddedDocumentBinaryObject "
           "mimeCode='{}'>AA==</cbc:EmbeddedDocumentBinaryObject></cac:Attachment>"
           "</cac:AdditionalDocumentReference>")
    objs = "".join(att.format(m) for m in ("application/pdf", "application/PDF", "text/xml"))
    xml = (f"<ubl:Invoice xmlns:ubl='{UBL_NS['ubl']}' xmlns:cac='{UBL_NS['cac']}' "
           f"xmlns:cbc='{UBL_NS['cbc']}'>{objs}</ubl:Invoice>")
    bpath = f"{U}/cac:AdditionalDocumentReference[{{}}]/cac:Attachment/cbc:EmbeddedDocumentBinaryObject"
    assert run("BR-CL-24", Invoice(syntax="ubl-invoice"), xml) == [bpath.format(2), bpath.format(3)]


def test_item_classification_and_standard_id_schemes() -> None:
    cpath = f"{U}/cac:InvoiceLine/cac:Item/cac:CommodityClassification/cbc:ItemClassificationCode"
    spath = f"{U}/cac:InvoiceLine/cac:Item/cac:StandardItemIdentification/cbc:ID"
    item = Item(classifications=[Identifier(raw="1", path=cpath, scheme="STI"),
                                 Identifier(raw="2", path=cpath, scheme="QQQ")],
                standard_id=Identifier(raw="4000", path=spath, scheme="0160"))
    inv = Invoice(syntax="ubl-invoice", lines=[InvoiceLine(item=item)])
    assert run("BR-CL-13", inv) == [cpath]
    assert run("BR-CL-21", inv) == []


def test_rules_are_registered_with_codelist_layer() -> None:
    ids = {rid for (rid, _), r in RULES.items() if r.layer == "codelist"}
    assert {f"BR-CL-{n:02d}" for n in (1, 3, 4, 5, 6, 7, 8, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                                         22, 23, 24, 25, 26)} <= ids
