# ruff: noqa: E501 - XML fixtures are clearer on one line
"""XRechnung rules (BR-DE, BR-DEX, CVD, BR-TMP, PEPPOL-EN16931-R): one change at a time.

Each test starts from a small, clean XRechnung document (UBL or CII), changes one thing and
checks which of our XRechnung rules fire. The model-only rules are also checked on hand-built
models, without XML.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from lxml import etree

from einvoice import readers, scenario
from einvoice.model import Invoice
from einvoice.model.invoice import Buyer, BuyerAddress, Seller, SellerAddress, VatBreakdown
from einvoice.model.values import Code, Percent, Text
from einvoice.rules import RULES, br_de, br_de_cvd, br_dex, br_tmp, engine, peppol_en16931
from einvoice.rules import _xr_helpers as h
from einvoice.rules.registry import Context
from einvoice.syntax import detect

# Importing the modules registers their rules; other families are not needed here.
MODULES = (br_de, br_de_cvd, br_dex, br_tmp, peppol_en16931)

PREFIXES = ("BR-DE-", "BR-DEX-", "BR-TMP-", "PEPPOL-EN16931-")

UBL = """<?xml version="1.0" encoding="UTF-8"?>
<ubl:Invoice xmlns:ubl="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</cbc:CustomizationID>
  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
  <cbc:ID>R-1</cbc:ID>
  <cbc:IssueDate>2024-03-01</cbc:IssueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>991-01234-56</cbc:BuyerReference>
  <cac:InvoicePeriod><cbc:StartDate>2024-02-01</cbc:StartDate><cbc:EndDate>2024-02-29</cbc:EndDate></cac:InvoicePeriod>
  <cac:AccountingSupplierParty><cac:Party>
    <cbc:EndpointID schemeID="EM">seller@example.org</cbc:EndpointID>
    <cac:PostalAddress><cbc:CityName>Bonn</cbc:CityName><cbc:PostalZone>53111</cbc:PostalZone>
      <cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
    <cac:PartyTaxScheme><cbc:CompanyID>DE123456789</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
    <cac:PartyLegalEntity><cbc:RegistrationName>Seller GmbH</cbc:RegistrationName></cac:PartyLegalEntity>
    <cac:Contact><cbc:Name>Team A</cbc:Name><cbc:Telephone>+49 228 1234</cbc:Telephone>
      <cbc:ElectronicMail>team@example.org</cbc:ElectronicMail></cac:Contact>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cbc:EndpointID schemeID="EM">buyer@example.org</cbc:EndpointID>
    <cac:PostalAddress><cbc:CityName>Köln</cbc:CityName><cbc:PostalZone>50667</cbc:PostalZone>
      <cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
    <cac:PartyLegalEntity><cbc:RegistrationName>Buyer AG</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
    <cac:PayeeFinancialAccount><cbc:ID>DE75512108001245126199</cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>
  <cac:PaymentTerms><cbc:Note>PAYTERMS</cbc:Note></cac:PaymentTerms>
  ALLOWANCE
  <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">19.00</cbc:TaxAmount>
    <cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">100.00</cbc:TaxableAmount><cbc:TaxAmount currencyID="EUR">19.00</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal></cac:TaxTotal>
  <cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">119.00</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">119.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
  <cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="C62">4</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">LINENET</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Item</cbc:Name>
      <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">25.00</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
</ubl:Invoice>
"""

CII = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>SPEC</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument><ram:ID>R-1</ram:ID><ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20240301</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>Item</ram:Name>PRODUCT</ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:GrossPriceProductTradePrice><ram:ChargeAmount>25.00</ram:ChargeAmount>GROSSQTY</ram:GrossPriceProductTradePrice>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>25.00</ram:ChargeAmount>NETQTY</ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">4</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>100.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:BuyerReference>991-01234-56</ram:BuyerReference>
      <ram:SellerTradeParty><ram:Name>Seller GmbH</ram:Name>
        <ram:DefinedTradeContact><ram:PersonName>Team A</ram:PersonName>
          <ram:TelephoneUniversalCommunication><ram:CompleteNumber>+49 228 1234</ram:CompleteNumber></ram:TelephoneUniversalCommunication>
          <ram:EmailURIUniversalCommunication><ram:URIID>team@example.org</ram:URIID></ram:EmailURIUniversalCommunication>
        </ram:DefinedTradeContact>
        <ram:PostalTradeAddress><ram:PostcodeCode>53111</ram:PostcodeCode><ram:CityName>Bonn</ram:CityName><ram:CountryID>DE</ram:CountryID></ram:PostalTradeAddress>
        <ram:URIUniversalCommunication><ram:URIID schemeID="EM">seller@example.org</ram:URIID></ram:URIUniversalCommunication>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE123456789</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Buyer AG</ram:Name>
        <ram:PostalTradeAddress><ram:PostcodeCode>50667</ram:PostcodeCode><ram:CityName>Köln</ram:CityName><ram:CountryID>DE</ram:CountryID></ram:PostalTradeAddress>
        <ram:URIUniversalCommunication><ram:URIID schemeID="EM">buyer@example.org</ram:URIID></ram:URIUniversalCommunication>
      </ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery>
      <ram:ActualDeliverySupplyChainEvent><ram:OccurrenceDateTime><udt:DateTimeString format="102">20240215</udt:DateTimeString></ram:OccurrenceDateTime></ram:ActualDeliverySupplyChainEvent>
    </ram:ApplicableHeaderTradeDelivery>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      PAYMENTMEANS
      <ram:ApplicableTradeTax><ram:CalculatedAmount>19.00</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>100.00</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>100.00</ram:LineTotalAmount><ram:TaxBasisTotalAmount>100.00</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">19.00</ram:TaxTotalAmount><ram:GrandTotalAmount>119.00</ram:GrandTotalAmount>
        <ram:DuePayableAmount>119.00</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""

XR = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
CVD = XR + "#compliant#urn:xeinkauf.de:kosit:xrechnung:cvd_0.9"
EXT = XR + "#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0"

CII_PM = ("<ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode>"
          "<ram:PayeePartyCreditorFinancialAccount><ram:IBANID>DE75512108001245126199</ram:IBANID>"
          "</ram:PayeePartyCreditorFinancialAccount></ram:SpecifiedTradeSettlementPaymentMeans>")


def ubl(**repl: str) -> str:
    base = {"PAYTERMS": "Zahlbar sofort.", "ALLOWANCE": "", "LINENET": "100.00"}
    base.update(repl)
    text = UBL
    for k, v in base.items():
        text = text.replace(k, v)
    return text


def cii(**repl: str) -> str:
    base = {"SPEC": XR, "PRODUCT": "", "GROSSQTY": "", "NETQTY": "", "PAYMENTMEANS": CII_PM}
    base.update(repl)
    text = CII
    for k, v in base.items():
        text = text.replace(k, v)
    return text


def context(xml: str) -> Context:
    root = etree.fromstring(xml.encode())
    syntax = detect(root)
    assert syntax is not None
    found = scenario.matching(root, syntax)
    assert len(found) == 1, "the test document must select exactly one scenario"
    return Context(invoice=readers.read(root, syntax), root=root, syntax=syntax, scenario=found[0])


def fired(xml: str) -> set[str]:
    """Our XRechnung rule ids that fire on the document."""
    ctx = context(xml)
    out = set()
    for (rid, fam), r in RULES.items():
        if fam != ctx.family or not rid.startswith(PREFIXES):
            continue
        if list(r.check(ctx)):
            out.add(rid)
    return out


# --- clean documents -----------------------------------------------------------------------------


def test_clean_ubl_fires_nothing() -> None:
    assert fired(ubl()) == set()


def test_clean_cii_fires_nothing() -> None:
    assert fired(cii()) == set()


# --- BR-DE on UBL --------------------------------------------------------------------------------


def test_missing_payment_means_fires_br_de_1() -> None:
    xml = ubl()
    start, end = xml.index("<cac:PaymentMeans>"), xml.index("</cac:PaymentMeans>") + len("</cac:PaymentMeans>")
    assert "BR-DE-1" in fired(xml[:start] + xml[end:])


def test_blank_buyer_reference_fires_br_de_15() -> None:
    assert "BR-DE-15" in fired(ubl().replace(">991-01234-56<", ">   <"))


def test_blank_seller_city_fires_br_de_3_but_not_buyer() -> None:
    got = fired(ubl().replace("<cbc:CityName>Bonn</cbc:CityName>", "<cbc:CityName> </cbc:CityName>"))
    assert "BR-DE-3" in got and "BR-DE-8" not in got
    assert "PEPPOL-EN16931-R008" in got  # the whitespace-only element is also empty for Peppol


def test_every_cii_contact_is_checked() -> None:
    second = "<ram:DefinedTradeContact><ram:PersonName>B</ram:PersonName></ram:DefinedTradeContact>"
    xml = cii().replace("<ram:PostalTradeAddress><ram:PostcodeCode>53111", second + "<ram:PostalTradeAddress><ram:PostcodeCode>53111")
    assert {"BR-DE-6", "BR-DE-7", "BR-DE-27", "BR-DE-28"} <= fired(xml)


def test_second_ubl_delivery_address_is_checked() -> None:
    delivery = ("<cac:Delivery><cbc:ActualDeliveryDate>2024-02-01</cbc:ActualDeliveryDate></cac:Delivery>"
                "<cac:Delivery><cac:DeliveryLocation><cac:Address><cbc:CityName>Bonn</cbc:CityName>"
                "<cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country>"
                "</cac:Address></cac:DeliveryLocation></cac:Delivery>")
    got = fired(ubl().replace("<cac:PaymentMeans>", delivery + "<cac:PaymentMeans>"))
    assert "BR-DE-11" in got and "BR-DE-10" not in got


def test_contact_rules() -> None:
    assert {"BR-DE-27"} <= fired(ubl().replace("+49 228 1234", "n/a 12"))
    assert {"BR-DE-28"} <= fired(ubl().replace("team@example.org", "team@example"))
    assert "BR-DE-28" not in fired(ubl().replace("team@example.org", "a.b@mail.example.org"))


def test_type_code_outside_list_warns_br_de_17() -> None:
    assert "BR-DE-17" in fired(ubl().replace(">380<", ">393<"))


def test_corrected_invoice_without_preceding_reference_fires_br_de_26() -> None:
    assert "BR-DE-26" in fired(ubl().replace(">380<", ">384<"))


def test_sepa_transfer_with_bad_iban_fires_br_de_19() -> None:
    assert "BR-DE-19" in fired(ubl().replace("DE75512108001245126199", "DE75512108001245126198"))
    # code 30 is a transfer too, but the IBAN check applies only to SEPA (58)
    assert "BR-DE-19" not in fired(ubl().replace(">58<", ">30<").replace("DE755121", "XX755121"))


def test_transfer_without_account_fires_br_de_23_a() -> None:
    xml = ubl().replace(
        "<cac:PayeeFinancialAccount><cbc:ID>DE75512108001245126199</cbc:ID></cac:PayeeFinancialAccount>", "")
    assert {"BR-DE-23-a", "BR-DE-19"} <= fired(xml)


@pytest.mark.parametrize(
    ("terms", "fires"),
    [
        ("#SKONTO#TAGE=14#PROZENT=2.00#\n", False),
        ("#SKONTO#TAGE=14#PROZENT=2.00#", True),  # the last line must end with a line break
        ("#SKONTO#TAGE=14#PROZENT=2#\n", True),
        ("Bitte zahlen.\n#SKONTO#TAGE=7#PROZENT=3.00#BASISBETRAG=-10.00#\n", False),
        ("Zahlbar in 30 Tagen.", False),
    ],
)
def test_skonto_format_br_de_18(terms: str, fires: bool) -> None:
    assert ("BR-DE-18" in fired(ubl(PAYTERMS=terms))) is fires


def test_vat_codes_without_seller_tax_id_fire_br_de_16() -> None:
    xml = ubl().replace("<cbc:CompanyID>DE123456789</cbc:CompanyID>", "<cbc:CompanyID> </cbc:CompanyID>")
    assert "BR-DE-16" in fired(xml)


# --- PEPPOL-EN16931-R on UBL ---------------------------------------------------------------------


def test_allowance_percentage_without_base_is_r041_only() -> None:
    # The pattern hands this node to R041 first, so R043 does not judge its odd indicator.
    ac = ("<cac:AllowanceCharge><cbc:ChargeIndicator>1</cbc:ChargeIndicator>"
          "<cbc:MultiplierFactorNumeric>10</cbc:MultiplierFactorNumeric>"
          "<cbc:Amount currencyID=\"EUR\">0</cbc:Amount></cac:AllowanceCharge>")
    got = fired(ubl(ALLOWANCE=ac))
    assert "PEPPOL-EN16931-R041" in got
    assert "PEPPOL-EN16931-R043" not in got


def test_allowance_amount_must_match_base_times_percentage_r040() -> None:
    def ac(amount: str) -> str:
        return ("<cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator>"
                "<cbc:MultiplierFactorNumeric>10</cbc:MultiplierFactorNumeric>"
                f"<cbc:Amount currencyID=\"EUR\">{amount}</cbc:Amount>"
                "<cbc:BaseAmount currencyID=\"EUR\">100.00</cbc:BaseAmount></cac:AllowanceCharge>")

    assert "PEPPOL-EN16931-R040" not in fired(ubl(ALLOWANCE=ac("10.02")))  # within 0.02
    assert "PEPPOL-EN16931-R040" in fired(ubl(ALLOWANCE=ac("10.03")))
    assert "PEPPOL-EN16931-R043" in fired(ubl(ALLOWANCE=ac("10.00").replace(">false<", ">no<")))


def test_line_net_amount_r120_with_tolerance() -> None:
    assert "PEPPOL-EN16931-R120" not in fired(ubl(LINENET="100.02"))
    assert "PEPPOL-EN16931-R120" in fired(ubl(LINENET="100.03"))


def test_missing_profile_and_endpoint() -> None:
    got = fired(ubl().replace("<cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>", "")
                .replace('<cbc:EndpointID schemeID="EM">buyer@example.org</cbc:EndpointID>', ""))
    assert {"PEPPOL-EN16931-R001", "PEPPOL-EN16931-R010"} <= got
    assert "PEPPOL-EN16931-R020" not in got


def test_line_period_outside_invoice_period_r110() -> None:
    xml = ubl().replace(
        "<cbc:InvoicedQuantity",
        "<cac:InvoicePeriod><cbc:StartDate>2024-01-31</cbc:StartDate></cac:InvoicePeriod><cbc:InvoicedQuantity", 1)
    # InvoicePeriod must follow the amounts in UBL, but the rule only looks at the values
    assert "PEPPOL-EN16931-R110" in fired(xml)


def test_tax_currency_equal_to_document_currency_r005() -> None:
    xml = ubl().replace("<cbc:BuyerReference>", "<cbc:TaxCurrencyCode>EUR</cbc:TaxCurrencyCode><cbc:BuyerReference>")
    got = fired(xml)
    assert "PEPPOL-EN16931-R005" in got
    assert "PEPPOL-EN16931-R054" in got  # a tax currency needs a second tax total


def test_no_delivery_information_br_de_tmp_32() -> None:
    xml = ubl().replace(
        "<cac:InvoicePeriod><cbc:StartDate>2024-02-01</cbc:StartDate><cbc:EndDate>2024-02-29</cbc:EndDate>"
        "</cac:InvoicePeriod>", "")
    assert "BR-DE-TMP-32" in fired(xml)


# --- CII -----------------------------------------------------------------------------------------


def test_cii_direct_debit_with_card_fires_br_de_25() -> None:
    pm = ("<ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>59</ram:TypeCode>"
          "<ram:ApplicableTradeSettlementFinancialCard><ram:ID>1234</ram:ID></ram:ApplicableTradeSettlementFinancialCard>"
          "</ram:SpecifiedTradeSettlementPaymentMeans>")
    got = fired(cii(PAYMENTMEANS=pm))
    assert {"BR-DE-25-a", "BR-DE-25-b", "PEPPOL-EN16931-R061"} <= got
    assert "BR-DE-20" in got  # no debited account: no valid IBAN either


def test_cii_base_quantities_compare_as_text_br_tmp_3() -> None:
    def qty(v: str) -> str:
        return f'<ram:BasisQuantity unitCode="C62">{v}</ram:BasisQuantity>'

    assert "BR-TMP-3" not in fired(cii(GROSSQTY=qty("1"), NETQTY=qty("1")))
    assert "BR-TMP-3" in fired(cii(GROSSQTY=qty("1"), NETQTY=qty("1.0")))


def test_cii_empty_apparent_delivery_is_spared_by_r008() -> None:
    xml = cii().replace(
        "<ram:ActualDeliverySupplyChainEvent><ram:OccurrenceDateTime><udt:DateTimeString format=\"102\">20240215"
        "</udt:DateTimeString></ram:OccurrenceDateTime></ram:ActualDeliverySupplyChainEvent>", "")
    got = fired(xml)
    assert "PEPPOL-EN16931-R008" not in got
    assert "BR-DE-TMP-32" in got


def test_cii_cvd_profile_rules() -> None:
    product = ('<ram:DesignatedProductClassification><ram:ClassCode listID="CVD">M9</ram:ClassCode>'
               "</ram:DesignatedProductClassification>")
    got = fired(cii(SPEC=CVD, PRODUCT=product))
    # no contract / tender reference, a wrong category, no 'cva' attribute
    assert {"BR-DE-CVD-01", "BR-DE-CVD-02", "BR-DE-CVD-03", "BR-DE-CVD-04", "BR-DE-CVD-06-a"} <= got
    assert "BR-TMP-CVD-01" not in got
    # the same product outside the CVD profile is not judged
    assert not {r for r in fired(cii(PRODUCT=product)) if "CVD" in r}


def test_cii_extension_scheme_lists() -> None:
    xml = cii(SPEC=EXT).replace('schemeID="EM">buyer', 'schemeID="XR01">buyer')
    assert "BR-DEX-07" not in fired(xml)  # the DiGA codes are accepted in the extension
    assert "BR-DEX-07" in fired(cii(SPEC=EXT).replace('schemeID="EM">buyer', 'schemeID="XX">buyer'))
    assert "BR-DEX-07" not in fired(cii().replace('schemeID="EM">buyer', 'schemeID="XX">buyer'))


# --- model-only rules on hand-built models -------------------------------------------------------


def _model_ctx(inv: Invoice) -> Context:
    root = etree.fromstring(UBL.encode())
    return Context(invoice=inv, root=root, syntax="ubl-invoice", scenario=scenario.SCENARIOS[0])


def _run(rule_id: str, inv: Invoice) -> list[str]:
    r = RULES[(rule_id, "ubl")]
    return [h.location for h in r.check(_model_ctx(inv))]


def test_model_rules_on_hand_built_invoices() -> None:
    addr = SellerAddress(path="/a", city=Text(raw="Bonn", path="/a/c"), post_code=Text(raw=" ", path="/a/p"))
    inv = Invoice(syntax="ubl-invoice", seller=Seller(path="/s", address=addr),
                  buyer=Buyer(path="/b", address=BuyerAddress(path="/ba")))
    assert _run("BR-DE-3", inv) == []
    assert _run("BR-DE-4", inv) == ["/a/p"]
    assert _run("BR-DE-8", inv) == ["/ba"] and _run("BR-DE-9", inv) == ["/ba"]
    inv.buyer = None  # no buyer address, nothing to check
    assert _run("BR-DE-8", inv) == []
    assert _run("BR-DE-15", inv) != []
    assert _run("BR-DE-17", inv) != []
    inv.type_code = Code(raw="380", path="/t")
    inv.vat_breakdown = [VatBreakdown(path="/v1", rate=Percent(raw="19", path="/v1/r", value=Decimal(19))),
                         VatBreakdown(path="/v2", category_code=Code(raw="E", path="/v2/c"))]
    assert _run("BR-DE-17", inv) == []
    assert _run("BR-DE-14", inv) == ["/v2"]


# --- helpers: the XPath quirks reproduced --------------------------------------------------------


def test_padded_code_lists_keep_the_official_quirks() -> None:
    assert h.in_padded_list("0088", h.ICD_EXT)
    assert h.in_padded_list(" XR01 ", h.ICD_EXT)
    assert not h.in_padded_list("0244", h.ICD_EXT)  # last code of the literal has no trailing blank
    assert h.in_padded_list("", h.ICD_EXT)  # the concatenated list holds a double blank
    assert not h.in_padded_list("0088 0060", h.ICD_EXT)
    assert h.in_padded_list("0244", h.EAS_EXT)
    assert h.in_padded_list("ZZZ", h.UNTDID_7143_CVD) and h.in_padded_list("CVD", h.UNTDID_7143_CVD)


def test_iban_check_digits() -> None:
    assert h.iban_ok("DE75 5121 0800 1245 1261 99")
    assert not h.iban_ok("DE75512108001245126198")
    assert not h.iban_ok("de75512108001245126199")  # the country code must be upper case


def test_xpath_rounding() -> None:
    assert h.round2(Decimal("1.005")) == Decimal("1.01")
    assert h.round2(Decimal("-1.005")) == Decimal("-1")  # halves go up, towards +infinity
    assert h.slack(Decimal("10.00"), Decimal("10.02"), Decimal("0.02"))
    assert not h.slack(Decimal("10.00"), Decimal("10.021"), Decimal("0.02"))


def test_xpath_of_indexes_repeated_siblings() -> None:
    root = etree.fromstring(ubl().encode())
    lines = root.findall(h.cac("InvoiceLine")) + root.findall(h.cac("TaxTotal"))
    assert h.xpath_of(lines[0]) == "/ubl:Invoice/cac:InvoiceLine"
    dup = etree.fromstring(ubl().replace("</ubl:Invoice>", "<cac:InvoiceLine/></ubl:Invoice>").encode())
    assert h.xpath_of(dup.findall(h.cac("InvoiceLine"))[1]) == "/ubl:Invoice/cac:InvoiceLine[2]"


def test_sibling_numbering_cache_gives_the_same_paths() -> None:
    root = etree.fromstring(ubl().replace("</ubl:Invoice>", "<cac:InvoiceLine/><cac:InvoiceLine/></ubl:Invoice>").encode())
    cache: dict[etree._Element, str] = {}
    for el in root.iter():
        if isinstance(el.tag, str):
            assert h.xpath_of(el, cache) == h.xpath_of(el)


def test_hits_per_rule_are_capped() -> None:
    lines = "<cac:InvoiceLine><cbc:ID/></cac:InvoiceLine>" * (h.MAX_HITS + 5)
    ctx = context(ubl().replace("</ubl:Invoice>", lines + "</ubl:Invoice>"))
    assert RULES[("PEPPOL-EN16931-R008", "ubl")].max_hits == h.MAX_HITS
    assert sum(f.rule == "PEPPOL-EN16931-R008" for f in engine.run(ctx)) == h.MAX_HITS
    assert len(list(peppol_en16931.peppol_r008(ctx))) > h.MAX_HITS  # the function itself is uncapped


# --- the document index and the syntax walk share one pass ----------------------------------------


@pytest.mark.parametrize("make", [ubl, cii])
def test_fused_index_equals_the_plain_index_and_walk(make: Callable[..., str]) -> None:
    from einvoice.rules import _syntax_walk as walk
    from einvoice.rules import load_all
    from einvoice.rules.registry import FAMILIES

    load_all()  # the syntax families register their patterns
    ctx = context(make())
    fused = h.doc(ctx)
    assert walk.WALKED in ctx.cache
    plain = h._index(ctx.root, ctx.family == "cii")
    assert fused.by_tag == plain.by_tag
    assert fused.empty_leaves == plain.empty_leaves
    assert fused.untrimmed == plain.untrimmed
    family = next(f for (_, fam), f in FAMILIES.items() if fam == ctx.family and "syntax" in f.name)
    pattern = walk.PATTERNS[ctx.family]
    assert family.evaluate(ctx) == pattern.evaluate(ctx.root)
    assert walk.WALKED not in ctx.cache  # taken once


def test_failing_fused_walk_leaves_the_index_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    from einvoice.rules import _syntax_walk as walk
    from einvoice.rules import load_all

    def broken(el: etree._Element) -> list[str]:
        raise RuntimeError("walk")

    load_all()
    ctx = context(ubl())
    plain = h._index(ctx.root, False)
    # The walk fails after indexing the root (it reads attribute names through this global):
    # patched here rather than Pattern.walk, which code compiled with mypyc calls directly.
    monkeypatch.setattr(walk, "keys", broken)
    d = h.doc(ctx)
    assert walk.WALKED not in ctx.cache
    assert d.by_tag == plain.by_tag and d.empty_leaves == plain.empty_leaves
