"""Syntax-binding rules (UBL-CR/SR/DT, CII-SR/DT): small documents, one behaviour each."""

from __future__ import annotations

from lxml import etree

from einvoice.rules import RULES, load_all
from einvoice.rules.syntax_cii import PATTERN as CII
from einvoice.rules.syntax_ubl import PATTERN as UBL

NS_UBL = (
    'xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
    'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
    'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" '
    'xmlns:ext="urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"'
)
NS_CN = NS_UBL.replace("Invoice-2", "CreditNote-2")
NS_CII = (
    'xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" '
    'xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" '
    'xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"'
)


def ubl(body: str, root: str = "Invoice") -> dict[str, list[str]]:
    ns = NS_UBL if root == "Invoice" else NS_CN
    hits = UBL.evaluate(etree.fromstring(f"<{root} {ns}>{body}</{root}>"))
    return {rid: [h.location for h in hs] for rid, hs in hits.items()}


def cii(body: str) -> dict[str, list[str]]:
    doc = f"<rsm:CrossIndustryInvoice {NS_CII}>{body}</rsm:CrossIndustryInvoice>"
    hits = CII.evaluate(etree.fromstring(doc))
    return {rid: [h.location for h in hs] for rid, hs in hits.items()}


LINE = ("<cac:InvoiceLine><cbc:ID>1</cbc:ID><cac:Item><cac:ClassifiedTaxCategory/></cac:Item>"
        "{}</cac:InvoiceLine>")


# ---- UBL -------------------------------------------------------------------------------------

def test_clean_minimal_invoice_has_no_hits() -> None:
    assert ubl("<cbc:ID>1</cbc:ID>" + LINE.format("")) == {}


def test_should_not_be_present_reports_the_offending_node() -> None:
    got = ubl("<ext:UBLExtensions/><cbc:ID>1</cbc:ID>")
    assert got == {"UBL-CR-001": ["/ubl:Invoice/ext:UBLExtensions"]}


def test_line_rules_cover_both_line_kinds() -> None:
    got = ubl(LINE.format("<cac:SubInvoiceLine/>") + LINE.format("<cac:SubInvoiceLine/>"))
    # one firing per context node (the root), located at the first offending element
    assert got["UBL-CR-646"] == ["/ubl:Invoice/cac:InvoiceLine[1]/cac:SubInvoiceLine"]
    cn_line = ("<cac:CreditNoteLine><cac:Item><cac:ClassifiedTaxCategory/></cac:Item>"
               "<cac:SubInvoiceLine/></cac:CreditNoteLine>")
    want = ["/cn:CreditNote/cac:CreditNoteLine/cac:SubInvoiceLine"]
    assert ubl(cn_line, "CreditNote")["UBL-CR-646"] == want


def test_exemption_only_in_credit_notes() -> None:
    body = "<cac:PaymentMeans><cbc:PaymentDueDate>2024-01-01</cbc:PaymentDueDate></cac:PaymentMeans>"
    assert "UBL-CR-412" in ubl(body)
    assert "UBL-CR-412" not in ubl(body, "CreditNote")


def test_ubl_version_only_21() -> None:
    assert "UBL-CR-002" in ubl("<cbc:UBLVersionID>2.0</cbc:UBLVersionID>")
    assert "UBL-CR-002" not in ubl("<cbc:UBLVersionID>2.1</cbc:UBLVersionID>")


def test_at_most_once_reports_the_surplus_occurrence() -> None:
    ref = "<cac:ContractDocumentReference><cbc:ID>{}</cbc:ID></cac:ContractDocumentReference>"
    assert "UBL-SR-01" not in ubl(ref.format("a"))
    got = ubl(ref.format("a") + ref.format("b"))
    assert got["UBL-SR-01"] == ["/ubl:Invoice/cac:ContractDocumentReference[2]/cbc:ID"]


def test_exactly_once_per_line() -> None:
    bare = "<cac:InvoiceLine><cbc:ID>1</cbc:ID><cac:Item/></cac:InvoiceLine>"
    got = ubl(LINE.format("") + bare)
    assert got["UBL-SR-48"] == ["/ubl:Invoice/cac:InvoiceLine[2]"]


def test_amount_fraction_digits() -> None:
    assert "UBL-DT-01" in ubl("<cac:LegalMonetaryTotal><cbc:PayableAmount>1.234</cbc:PayableAmount>"
                              "</cac:LegalMonetaryTotal>")
    assert "UBL-DT-01" not in ubl("<cac:LegalMonetaryTotal><cbc:PayableAmount>1.23</cbc:PayableAmount>"
                                  "</cac:LegalMonetaryTotal>")
    # prices, and everything under a price that has an allowance, are exempt
    price = ("<cac:Price><cbc:PriceAmount>1.2345</cbc:PriceAmount><cac:AllowanceCharge>"
             "<cbc:ChargeIndicator>false</cbc:ChargeIndicator><cbc:Amount>0.125</cbc:Amount>"
             "<cbc:BaseAmount>1.3595</cbc:BaseAmount></cac:AllowanceCharge></cac:Price>")
    assert "UBL-DT-01" not in ubl(LINE.format(price))


def test_allowance_and_charge_contexts_follow_the_indicator() -> None:
    ac = ("<cac:AllowanceCharge><cbc:ChargeIndicator>{}</cbc:ChargeIndicator>"
          "<cbc:AllowanceChargeReason>a</cbc:AllowanceChargeReason>"
          "<cbc:AllowanceChargeReason>b</cbc:AllowanceChargeReason></cac:AllowanceCharge>")
    assert set(ubl(ac.format(" false "))) >= {"UBL-SR-30"}
    assert "UBL-SR-31" not in ubl(ac.format("false"))
    assert "UBL-SR-31" in ubl(ac.format("1"))
    # a value that is not an xs:boolean matches neither context
    got = ubl(ac.format("maybe"))
    assert "UBL-SR-30" not in got and "UBL-SR-31" not in got


def test_attribute_anywhere_is_located_on_the_attribute() -> None:
    got = ubl('<cac:AccountingSupplierParty><cac:Party><cac:PartyIdentification>'
              '<cbc:ID schemeName="x">1</cbc:ID></cac:PartyIdentification></cac:Party>'
              '</cac:AccountingSupplierParty>')
    assert got["UBL-DT-08"] == [
        "/ubl:Invoice/cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID/@schemeName"
    ]


def test_name_attribute_only_on_payment_means_code() -> None:
    pm = ('<cac:PaymentMeans><cbc:PaymentMeansCode name="Transfer">58</cbc:PaymentMeansCode>'
          "</cac:PaymentMeans>")
    assert "UBL-DT-18" not in ubl(pm)
    assert ubl('<cbc:Note name="x">n</cbc:Note>')["UBL-DT-18"] == ["/ubl:Invoice/cbc:Note/@name"]


def test_predicates_compare_like_xpath() -> None:
    adr = ("<cac:AdditionalDocumentReference><cbc:ID>{}</cbc:ID>"
           "<cbc:DocumentTypeCode>{}</cbc:DocumentTypeCode></cac:AdditionalDocumentReference>")
    assert "UBL-SR-04" in ubl(adr.format("a", "130") + adr.format("b", "130"))
    assert "UBL-SR-04" not in ubl(adr.format("a", "130") + adr.format("b", " 130"))
    # the identifier scheme is allowed only on the invoiced-object reference (130)
    with_scheme = ('<cac:AdditionalDocumentReference><cbc:ID schemeID="AAA">a</cbc:ID>'
                   "</cac:AdditionalDocumentReference>")
    assert "UBL-CR-665" in ubl(with_scheme)
    tax = ("<cac:PartyTaxScheme><cbc:CompanyID>{}</cbc:CompanyID><cac:TaxScheme><cbc:ID>{}</cbc:ID>"
           "</cac:TaxScheme></cac:PartyTaxScheme>")
    party = "<cac:AccountingSupplierParty><cac:Party>{}</cac:Party></cac:AccountingSupplierParty>"
    got = ubl(party.format(tax.format("DE1", "vat") + tax.format("DE2", "VAT")))
    assert "UBL-SR-12" in got and "UBL-SR-13" not in got


def test_payment_means_codes_must_agree() -> None:
    pm = "<cac:PaymentMeans><cbc:PaymentMeansCode>{}</cbc:PaymentMeansCode></cac:PaymentMeans>"
    assert "UBL-SR-47" not in ubl(pm.format("58") + pm.format("58"))
    assert ubl(pm.format("58") + pm.format("30"))["UBL-SR-47"] == [
        "/ubl:Invoice/cac:PaymentMeans[2]/cbc:PaymentMeansCode"
    ]


def test_payee_must_differ_from_seller() -> None:
    seller = ("<cac:AccountingSupplierParty><cac:Party><cac:PartyLegalEntity>"
              "<cbc:RegistrationName>ACME</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party>"
              "</cac:AccountingSupplierParty>")
    payee = "<cac:PayeeParty><cac:PartyName><cbc:Name>{}</cbc:Name></cac:PartyName></cac:PayeeParty>"
    assert not {"UBL-SR-19", "UBL-SR-20", "UBL-SR-21"} & set(ubl(seller + payee.format("Factor")))
    assert {"UBL-SR-19", "UBL-SR-20", "UBL-SR-21"} <= set(ubl(seller + payee.format("ACME")))


# ---- CII -------------------------------------------------------------------------------------

CONTEXT = ("<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>"
           "<ram:ID>urn:x</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>"
           "</rsm:ExchangedDocumentContext>")


def test_cii_clean_and_exactly_once() -> None:
    doc = CONTEXT + ("<rsm:ExchangedDocument><ram:ID>1</ram:ID><ram:TypeCode>380</ram:TypeCode>"
                     "</rsm:ExchangedDocument>")
    assert cii(doc) == {}
    got = cii(CONTEXT + "<rsm:ExchangedDocument><ram:ID>1</ram:ID></rsm:ExchangedDocument>")
    assert got == {"CII-SR-014": ["/rsm:CrossIndustryInvoice/rsm:ExchangedDocument"]}


def test_cii_should_not_be_present() -> None:
    got = cii("<rsm:ExchangedDocumentContext><ram:SpecifiedTransactionID>x</ram:SpecifiedTransactionID>"
              "<ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>u</ram:ID>"
              "</ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>")
    where = "/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext/ram:SpecifiedTransactionID"
    assert got == {"CII-SR-001": [where]}


def test_cii_first_matching_rule_wins() -> None:
    # rsm:ExchangedDocument/ram:ID is caught by the earlier rule (CII-DT-001), not CII-DT-101
    got = cii(CONTEXT + '<rsm:ExchangedDocument><ram:ID schemeName="x">1</ram:ID>'
              "<ram:TypeCode listID=\"1001\">380</ram:TypeCode></rsm:ExchangedDocument>")
    assert "CII-DT-001" in got and "CII-DT-101" not in got
    # the document type code is caught by the generic //ram:TypeCode rule: CII-DT-010 never fires
    assert "CII-DT-010" not in got
    got = cii(CONTEXT + '<rsm:ExchangedDocument><ram:ID>1</ram:ID><ram:TypeCode>380</ram:TypeCode>'
              '<ram:IncludedNote><ram:SubjectCode>AAI</ram:SubjectCode></ram:IncludedNote>'
              '</rsm:ExchangedDocument><rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeAgreement>'
              '<ram:BuyerReference>x</ram:BuyerReference><ram:SellerTradeParty><ram:GlobalID schemeName="y">1'
              '</ram:GlobalID></ram:SellerTradeParty></ram:ApplicableHeaderTradeAgreement>'
              '</rsm:SupplyChainTradeTransaction>')
    assert "CII-DT-101" in got and "CII-DT-001" not in got


def test_cii_exemption_for_attachments() -> None:
    ref = ("<rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeAgreement><ram:{0}>"
           "<ram:IssuerAssignedID>1</ram:IssuerAssignedID><ram:URIID>http://x</ram:URIID>"
           "<ram:TypeCode>{1}</ram:TypeCode></ram:{0}></ram:ApplicableHeaderTradeAgreement>"
           "</rsm:SupplyChainTradeTransaction>")
    assert "CII-DT-015" not in cii(CONTEXT + ref.format("AdditionalReferencedDocument", "916"))
    assert "CII-DT-015" in cii(CONTEXT + ref.format("AdditionalReferencedDocument", "50"))
    assert "CII-DT-015" in cii(CONTEXT + ref.format("ContractReferencedDocument", "916"))


def test_cii_date_format_102() -> None:
    date = ('<rsm:ExchangedDocument><ram:ID>1</ram:ID><ram:TypeCode>380</ram:TypeCode><ram:IssueDateTime>'
            '<udt:DateTimeString format="{}">{}</udt:DateTimeString></ram:IssueDateTime>'
            "</rsm:ExchangedDocument>")
    assert "CII-DT-097" not in cii(CONTEXT + date.format("102", " 20240131\n"))
    assert "CII-DT-097" in cii(CONTEXT + date.format("102", "20241331"))
    assert "CII-DT-097" in cii(CONTEXT + date.format("102", "2024-01-31"))
    assert "CII-DT-097" not in cii(CONTEXT + date.format("610", "202401"))


def test_cii_line_tax_exactly_once_and_due_date_codes() -> None:
    line = ("<ram:IncludedSupplyChainTradeLineItem><ram:SpecifiedLineTradeSettlement>{}"
            "</ram:SpecifiedLineTradeSettlement></ram:IncludedSupplyChainTradeLineItem>")
    tax = "<ram:ApplicableTradeTax><ram:CategoryCode>S</ram:CategoryCode></ram:ApplicableTradeTax>"
    got = cii(CONTEXT + f"<rsm:SupplyChainTradeTransaction>{line.format(tax)}{line.format(tax * 2)}"
              "</rsm:SupplyChainTradeTransaction>")
    assert got["CII-SR-454"] == [
        "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem[2]"
        "/ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax[2]"
    ]
    due = "<ram:ApplicableTradeTax><ram:DueDateTypeCode>{}</ram:DueDateTypeCode></ram:ApplicableTradeTax>"
    settle = "<rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeSettlement>{}" \
             "</ram:ApplicableHeaderTradeSettlement></rsm:SupplyChainTradeTransaction>"
    assert "CII-SR-462" not in cii(CONTEXT + settle.format(due.format("5") + due.format("5")))
    assert "CII-SR-462" in cii(CONTEXT + settle.format(due.format("5") + due.format("29")))


# ---- registry --------------------------------------------------------------------------------

def test_every_member_is_listed_with_its_level() -> None:
    load_all()
    ubl_ids = {r.id for r in UBL.rules}
    cii_ids = {r.id for r in CII.rules}
    assert len(ubl_ids) == 755 and len(cii_ids) == 555
    for rid in ubl_ids:
        assert RULES[(rid, "ubl")].layer == "syntax"
    assert RULES[("UBL-CR-666", "ubl")].level == "error"
    assert RULES[("UBL-CR-646", "ubl")].level == "warning"  # re-graded per scenario by the engine
    assert RULES[("CII-SR-452", "cii")].level == "warning"
    assert RULES[("CII-DT-001", "cii")].level == "error"


def test_members_carry_bts_and_descriptions() -> None:
    load_all()
    assert RULES[("UBL-SR-01", "ubl")].bts == ("BT-12",)
    assert "BT-1" in RULES[("UBL-CR-650", "ubl")].bts  # cbc:ID/@schemeID: an attribute of BT-1
    assert RULES[("UBL-CR-001", "ubl")].bts == ()
    assert "should not be present" in RULES[("CII-SR-001", "cii")].description
    assert RULES[("UBL-DT-01", "ubl")].description.startswith("Amounts")


def test_pairs_not_both_and_all_present() -> None:
    tax = "<cac:PartyTaxScheme>{}</cac:PartyTaxScheme>"
    scheme = "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>"
    assert "UBL-SR-53" not in ubl(tax.format("<cbc:CompanyID>DE1</cbc:CompanyID>" + scheme))
    assert ubl(tax.format(scheme))["UBL-SR-53"] == ["/ubl:Invoice/cac:PartyTaxScheme"]
    assert "UBL-SR-53" in ubl(tax.format("<cbc:CompanyID>DE1</cbc:CompanyID><cac:TaxScheme/>"))
    agreement = ("<rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeAgreement><ram:BuyerTradeParty>"
                 "{}</ram:BuyerTradeParty></ram:ApplicableHeaderTradeAgreement></rsm:SupplyChainTradeTransaction>")
    assert "CII-SR-450" not in cii(CONTEXT + agreement.format("<ram:ID>1</ram:ID><ram:ID>2</ram:ID>"))
    both = cii(CONTEXT + agreement.format('<ram:GlobalID schemeID="0088">1</ram:GlobalID><ram:ID>1</ram:ID>'))
    assert both["CII-SR-450"] == ["/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction"
                                  "/ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty/ram:ID"]
    hits = CII.evaluate(etree.fromstring(
        f"<rsm:CrossIndustryInvoice {NS_CII}>{CONTEXT}"
        + agreement.format("<ram:DefinedTradeContact><ram:PersonName>A</ram:PersonName>"
                           "<ram:DepartmentName>B</ram:DepartmentName></ram:DefinedTradeContact>")
        + "</rsm:CrossIndustryInvoice>"))
    assert "should not both be present (CII-SR-466)" in hits["CII-SR-466"][0].message_en
    # CII-SR-464 is a test that always holds
    means = ("<rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeSettlement>"
             "<ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode>"
             "</ram:SpecifiedTradeSettlementPaymentMeans></ram:ApplicableHeaderTradeSettlement>"
             "</rsm:SupplyChainTradeTransaction>")
    assert "CII-SR-464" not in cii(CONTEXT + means)


def test_cii_dt_033_unit_codes_are_allowed_once_a_line_bills_with_a_unit() -> None:
    line = ("<ram:IncludedSupplyChainTradeLineItem><ram:SpecifiedLineTradeDelivery>"
            "<ram:BilledQuantity{}>1</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>"
            "</ram:IncludedSupplyChainTradeLineItem>")
    other = '<ram:PackageQuantity unitCode="C62">1</ram:PackageQuantity>'

    def doc(billed: str, where: str = "rsm:SupplyChainTradeTransaction") -> list[str]:
        body = f"<{where}>{line.format(billed)}{other}</{where}>"
        return cii(body).get("CII-DT-033", [])

    assert doc("") != []
    assert doc(' unitCode="C62"') == []
    # a billed quantity off the official path does not lift the rule
    assert doc(' unitCode="C62"', "ram:SomewhereElse") != []
