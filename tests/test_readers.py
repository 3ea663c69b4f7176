"""The UBL and CII readers: located values, EN 16931 placement, and robustness on odd input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from pydantic import BaseModel

from einvoice import readers
from einvoice.model import Invoice, InvoiceLine, Value
from einvoice.namespaces import ALL_NS
from einvoice.readers._common import kids
from einvoice.syntax import detect

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "conformance" / "corpus"
FACTS = ROOT.parent / "shared" / "conformance" / "facts.json"

UBL_HEAD = (
    '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
    'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
    'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
)
CII_HEAD = (
    '<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" '
    'xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" '
    'xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100" '
    'xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100">'
)


def _read(xml: str) -> Invoice:
    root = etree.fromstring(xml.encode())
    syntax = detect(root)
    assert syntax is not None
    return readers.read(root, syntax)


def ubl(body: str) -> Invoice:
    return _read(UBL_HEAD + body + "</Invoice>")


def cii(body: str) -> Invoice:
    return _read(CII_HEAD + body + "</rsm:CrossIndustryInvoice>")


def _values(obj: Any) -> Iterator[Value]:
    if isinstance(obj, Value):
        yield obj
    elif isinstance(obj, list):
        for x in obj:
            yield from _values(x)
    elif isinstance(obj, BaseModel):
        for v in obj.__dict__.values():
            yield from _values(v)


def _corpus_sample() -> list[str]:
    facts = json.loads(FACTS.read_text(encoding="utf-8"))
    docs = sorted(k for k in facts if not k.startswith("__"))
    return docs[::4]  # a quarter of the schema-valid documents, every syntax and source


# --- located values ---------------------------------------------------------------------------

def test_every_value_path_points_at_its_node() -> None:
    checked = 0
    for key in _corpus_sample():
        root = etree.parse(str(CORPUS / key)).getroot()
        syntax = detect(root)
        assert syntax is not None
        inv = readers.read(root, syntax)
        for v in _values(inv):
            found = root.xpath(v.path, namespaces=ALL_NS)
            assert isinstance(found, list) and len(found) == 1, f"{key}: {v.path} -> {found!r}"
            node = found[0]
            if isinstance(node, str):
                text = node
            else:
                assert isinstance(node, etree._Element)
                text = "".join(str(t) for t in node.itertext())
            text = text.strip(" \t\r\n")
            # A UBL note's subject code is the "#CODE#" prefix of the note text.
            assert text == v.raw or text.startswith(f"#{v.raw}#"), f"{key}: {v.path}"
            checked += 1
    assert checked > 20000


def test_positions_only_where_siblings_share_a_name() -> None:
    inv = ubl("<cbc:ID>1</cbc:ID><cbc:Note>a</cbc:Note><cbc:Note>b</cbc:Note>"
              "<cac:InvoiceLine><cbc:ID>1</cbc:ID></cac:InvoiceLine>")
    assert inv.number is not None and inv.number.path == "/ubl:Invoice/cbc:ID"
    assert [n.path for n in inv.notes] == ["/ubl:Invoice/cbc:Note[1]", "/ubl:Invoice/cbc:Note[2]"]
    assert inv.lines[0].id is not None
    assert inv.lines[0].id.path == "/ubl:Invoice/cac:InvoiceLine/cbc:ID"


def test_kids_skips_comments_and_numbers_repeated_names() -> None:
    root = etree.fromstring(UBL_HEAD.encode() + b"<!-- c --><cbc:Note>a</cbc:Note><?pi x?>"
                            b"<cbc:ID>1</cbc:ID><cbc:Note>b</cbc:Note></Invoice>")
    assert [(q, p) for q, _c, p in kids(root, "/ubl:Invoice")] == [
        ("cbc:Note", "/ubl:Invoice/cbc:Note[1]"),
        ("cbc:ID", "/ubl:Invoice/cbc:ID"),
        ("cbc:Note", "/ubl:Invoice/cbc:Note[2]"),
    ]


def test_values_are_trimmed_and_parsed() -> None:
    inv = ubl("<cbc:IssueDate> 2024-01-31+01:00 </cbc:IssueDate>"
              "<cac:LegalMonetaryTotal><cbc:PayableAmount currencyID='EUR'> 12.50 </cbc:PayableAmount>"
              "<cbc:TaxExclusiveAmount currencyID='EUR'>1,5</cbc:TaxExclusiveAmount>"
              "</cac:LegalMonetaryTotal>")
    assert inv.issue_date is not None
    assert inv.issue_date.raw == "2024-01-31+01:00" and str(inv.issue_date.value) == "2024-01-31"
    assert inv.totals is not None and inv.totals.payable is not None
    assert inv.totals.payable.value == Decimal("12.50") and inv.totals.payable.currency == "EUR"
    assert inv.totals.tax_exclusive is not None
    assert inv.totals.tax_exclusive.raw == "1,5" and inv.totals.tax_exclusive.value is None


def test_cii_dates_need_format_102() -> None:
    inv = cii("<rsm:ExchangedDocument><ram:IssueDateTime>"
              "<udt:DateTimeString format='610'>202401</udt:DateTimeString>"
              "</ram:IssueDateTime></rsm:ExchangedDocument>")
    assert inv.issue_date is not None
    assert inv.issue_date.value is None and inv.issue_date.format == "610"
    inv = cii("<rsm:ExchangedDocument><ram:IssueDateTime>"
              "<udt:DateTimeString format='102'>20240231</udt:DateTimeString>"
              "</ram:IssueDateTime></rsm:ExchangedDocument>")
    assert inv.issue_date is not None and inv.issue_date.value is None  # no 31 February
    assert inv.issue_date.path.endswith("/ram:IssueDateTime/udt:DateTimeString")


# --- EN 16931 placement -----------------------------------------------------------------------

def test_ubl_sub_lines_nest_recursively() -> None:
    inv = ubl("<cac:InvoiceLine><cbc:ID>1</cbc:ID>"
              "<cac:SubInvoiceLine><cbc:ID>1.1</cbc:ID>"
              "<cac:SubInvoiceLine><cbc:ID>1.1.1</cbc:ID>"
              "<cac:Item><cbc:Name>deep</cbc:Name></cac:Item></cac:SubInvoiceLine>"
              "</cac:SubInvoiceLine></cac:InvoiceLine>")
    line = inv.lines[0]
    sub = line.sub_lines[0]
    deep = sub.sub_lines[0]
    assert [x.id.raw for x in (line, sub, deep) if x.id] == ["1", "1.1", "1.1.1"]
    assert deep.item is not None and deep.item.name is not None
    assert deep.item.name.path == ("/ubl:Invoice/cac:InvoiceLine/cac:SubInvoiceLine/cac:SubInvoiceLine"
                                   "/cac:Item/cbc:Name")


def test_ubl_credit_note_lines_and_sub_lines() -> None:
    xml = (UBL_HEAD.replace("Invoice-2", "CreditNote-2").replace("<Invoice", "<CreditNote")
           + "<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>"
           "<cac:CreditNoteLine><cbc:ID>1</cbc:ID>"
           "<cbc:CreditedQuantity unitCode='H87'>2</cbc:CreditedQuantity>"
           "<cac:SubCreditNoteLine><cbc:ID>1.1</cbc:ID></cac:SubCreditNoteLine></cac:CreditNoteLine>"
           "</CreditNote>")
    inv = _read(xml)
    assert inv.syntax == "ubl-creditnote" and inv.type_code is not None and inv.type_code.raw == "381"
    line = inv.lines[0]
    assert line.quantity is not None and line.quantity.unit == "H87" and line.quantity.value == 2
    assert line.quantity.path == "/cn:CreditNote/cac:CreditNoteLine/cbc:CreditedQuantity"
    assert line.sub_lines[0].id is not None and line.sub_lines[0].id.raw == "1.1"


def test_cii_sub_lines_stay_flat_with_parent() -> None:
    line = ("<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument>"
            "<ram:LineID>{id}</ram:LineID>{parent}</ram:AssociatedDocumentLineDocument>"
            "</ram:IncludedSupplyChainTradeLineItem>")
    inv = cii("<rsm:SupplyChainTradeTransaction>"
              + line.format(id="1", parent="")
              + line.format(id="1.1", parent="<ram:ParentLineID>1</ram:ParentLineID>")
              + "</rsm:SupplyChainTradeTransaction>")
    assert [ln.id.raw for ln in inv.lines if ln.id] == ["1", "1.1"]
    assert inv.lines[0].parent_line_id is None
    assert inv.lines[1].parent_line_id is not None and inv.lines[1].parent_line_id.raw == "1"
    assert all(ln.sub_lines == [] for ln in inv.lines)


def test_ubl_prepaid_payment_is_third_party_payment() -> None:
    inv = ubl("<cac:PrepaidPayment><cbc:ID>Guthaben</cbc:ID>"
              "<cbc:PaidAmount currencyID='EUR'>10.00</cbc:PaidAmount>"
              "<cbc:InstructionID>Gutschein</cbc:InstructionID></cac:PrepaidPayment>")
    (tp,) = inv.third_party_payments
    assert tp.type is not None and tp.type.raw == "Guthaben"
    assert tp.amount is not None and tp.amount.value == Decimal("10.00")
    assert tp.description is not None and tp.description.raw == "Gutschein"


@pytest.mark.parametrize(("cur", "acc", "amounts", "bt110", "bt111"), [
    ("EUR", None, [("EUR", "19")], "19", None),
    ("EUR", "GBP", [("EUR", "19"), ("GBP", "16")], "19", "16"),
    ("EUR", "GBP", [("GBP", "16"), ("EUR", "19")], "19", "16"),
    ("EUR", "EUR", [("EUR", "19")], "19", "19"),
    ("EUR", None, [("USD", "19")], None, None),
])
def test_vat_totals_by_currency(cur: str, acc: str | None, amounts: list[tuple[str, str]],
                                bt110: str | None, bt111: str | None) -> None:
    acc_ubl = f"<cbc:TaxCurrencyCode>{acc}</cbc:TaxCurrencyCode>" if acc else ""
    totals = "".join(f"<cac:TaxTotal><cbc:TaxAmount currencyID='{c}'>{a}</cbc:TaxAmount></cac:TaxTotal>"
                     for c, a in amounts)
    inv_u = ubl(f"<cbc:DocumentCurrencyCode>{cur}</cbc:DocumentCurrencyCode>{acc_ubl}{totals}")
    acc_cii = f"<ram:TaxCurrencyCode>{acc}</ram:TaxCurrencyCode>" if acc else ""
    sums = "".join(f"<ram:TaxTotalAmount currencyID='{c}'>{a}</ram:TaxTotalAmount>" for c, a in amounts)
    inv_c = cii("<rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeSettlement>"
                f"{acc_cii}<ram:InvoiceCurrencyCode>{cur}</ram:InvoiceCurrencyCode>"
                f"<ram:SpecifiedTradeSettlementHeaderMonetarySummation>{sums}"
                "</ram:SpecifiedTradeSettlementHeaderMonetarySummation>"
                "</ram:ApplicableHeaderTradeSettlement></rsm:SupplyChainTradeTransaction>")
    for inv in (inv_u, inv_c):
        t = inv.totals
        got110 = t.vat_total.raw if t and t.vat_total else None
        got111 = t.vat_total_accounting.raw if t and t.vat_total_accounting else None
        assert (got110, got111) == (bt110, bt111), inv.syntax


def test_ubl_one_payment_instructions_entry_per_payment_means() -> None:
    inv = ubl("<cac:AccountingSupplierParty><cac:Party><cac:PartyIdentification>"
              "<cbc:ID schemeID='SEPA'>DE98ZZZ09999999999</cbc:ID></cac:PartyIdentification>"
              "<cac:PartyIdentification><cbc:ID>S1</cbc:ID></cac:PartyIdentification>"
              "</cac:Party></cac:AccountingSupplierParty>"
              "<cac:PaymentMeans><cbc:PaymentMeansCode name='Lastschrift'>59</cbc:PaymentMeansCode>"
              "<cbc:PaymentID>R-1</cbc:PaymentID><cac:PaymentMandate><cbc:ID>M-1</cbc:ID>"
              "<cac:PayerFinancialAccount><cbc:ID>DE02120300000000202051</cbc:ID></cac:PayerFinancialAccount>"
              "</cac:PaymentMandate></cac:PaymentMeans>"
              "<cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>"
              "<cac:PayeeFinancialAccount><cbc:ID>DE1</cbc:ID></cac:PayeeFinancialAccount>"
              "<cac:PayeeFinancialAccount><cbc:ID>DE2</cbc:ID></cac:PayeeFinancialAccount>"
              "</cac:PaymentMeans>")
    first, second = inv.payment_instructions
    assert first.type_code is not None and first.type_code.raw == "59"
    assert first.text is not None and first.text.raw == "Lastschrift"
    assert first.text.path == "/ubl:Invoice/cac:PaymentMeans[1]/cbc:PaymentMeansCode/@name"
    assert first.remittance_information is not None and first.remittance_information.raw == "R-1"
    dd = first.direct_debit
    assert dd is not None and dd.mandate_reference is not None and dd.mandate_reference.raw == "M-1"
    assert dd.debited_account is not None and dd.creditor_id is not None
    assert dd.creditor_id.raw == "DE98ZZZ09999999999"
    assert [ct.account_id.raw for ct in second.credit_transfers if ct.account_id] == ["DE1", "DE2"]
    assert inv.seller is not None and [i.raw for i in inv.seller.identifiers] == ["S1"]


def test_cii_header_payment_terms_go_into_first_entry() -> None:
    settlement = ("<ram:CreditorReferenceID>DE98ZZZ09999999999</ram:CreditorReferenceID>"
                  "<ram:PaymentReference>R-1</ram:PaymentReference>"
                  "{means}"
                  "<ram:SpecifiedTradePaymentTerms><ram:DirectDebitMandateID>M-1</ram:DirectDebitMandateID>"
                  "</ram:SpecifiedTradePaymentTerms>")
    means = ("<ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>59</ram:TypeCode>"
             "<ram:PayerPartyDebtorFinancialAccount><ram:IBANID>DE02</ram:IBANID>"
             "</ram:PayerPartyDebtorFinancialAccount></ram:SpecifiedTradeSettlementPaymentMeans>"
             "<ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode>"
             "</ram:SpecifiedTradeSettlementPaymentMeans>")
    for body, count in ((settlement.format(means=means), 2), (settlement.format(means=""), 1)):
        inv = cii("<rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeSettlement>" + body
                  + "</ram:ApplicableHeaderTradeSettlement></rsm:SupplyChainTradeTransaction>")
        assert len(inv.payment_instructions) == count
        first = inv.payment_instructions[0]
        assert first.remittance_information is not None and first.remittance_information.raw == "R-1"
        dd = first.direct_debit
        assert dd is not None and dd.creditor_id is not None and dd.mandate_reference is not None
        assert (dd.creditor_id.raw, dd.mandate_reference.raw) == ("DE98ZZZ09999999999", "M-1")
        assert all(pi.remittance_information is None for pi in inv.payment_instructions[1:])


def test_allowances_and_charges_split_by_indicator() -> None:
    ac = ("<cac:AllowanceCharge><cbc:ChargeIndicator>{i}</cbc:ChargeIndicator>"
          "<cbc:Amount currencyID='EUR'>{a}</cbc:Amount><cac:TaxCategory><cbc:ID>S</cbc:ID>"
          "<cbc:Percent>19</cbc:Percent></cac:TaxCategory></cac:AllowanceCharge>")
    inv = ubl(ac.format(i="false", a="1") + ac.format(i="true", a="2") + ac.format(i="0", a="3")
              + ac.format(i="maybe", a="4")
              + "<cac:InvoiceLine>" + ac.format(i="true", a="5") + ac.format(i="false", a="6")
              + "</cac:InvoiceLine>")
    assert [a.amount.raw for a in inv.allowances if a.amount] == ["1", "3"]
    assert [c.amount.raw for c in inv.charges if c.amount] == ["2"]
    assert inv.allowances[0].vat_category_code is not None and inv.allowances[0].vat_rate is not None
    assert inv.allowances[1].indicator is not None and inv.allowances[1].indicator.raw == "0"
    line = inv.lines[0]
    assert [c.amount.raw for c in line.charges if c.amount] == ["5"]
    assert [a.amount.raw for a in line.allowances if a.amount] == ["6"]
    inv = cii("<rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeSettlement>"
              "<ram:SpecifiedTradeAllowanceCharge><ram:ChargeIndicator><udt:Indicator>true</udt:Indicator>"
              "</ram:ChargeIndicator><ram:ActualAmount>7</ram:ActualAmount>"
              "<ram:CategoryTradeTax><ram:CategoryCode>S</ram:CategoryCode></ram:CategoryTradeTax>"
              "</ram:SpecifiedTradeAllowanceCharge>"
              "</ram:ApplicableHeaderTradeSettlement></rsm:SupplyChainTradeTransaction>")
    assert [c.amount.raw for c in inv.charges if c.amount] == ["7"] and inv.allowances == []
    assert inv.charges[0].vat_category_code is not None


def test_cii_parties_and_identifiers() -> None:
    inv = cii("<rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeAgreement>"
              "<ram:SellerTradeParty><ram:ID>S-1</ram:ID><ram:GlobalID schemeID='0088'>4000001</ram:GlobalID>"
              "<ram:GlobalID>no-scheme</ram:GlobalID><ram:Name>Seller</ram:Name>"
              "<ram:SpecifiedTaxRegistration><ram:ID schemeID='VA'>DE123</ram:ID>"
              "</ram:SpecifiedTaxRegistration>"
              "<ram:SpecifiedTaxRegistration><ram:ID schemeID='FC'>12/345</ram:ID>"
              "</ram:SpecifiedTaxRegistration>"
              "</ram:SellerTradeParty>"
              "<ram:BuyerTradeParty><ram:ID>B-1</ram:ID><ram:GlobalID schemeID='0088'>4000002</ram:GlobalID>"
              "<ram:DefinedTradeContact><ram:DepartmentName>Einkauf</ram:DepartmentName>"
              "</ram:DefinedTradeContact></ram:BuyerTradeParty>"
              "</ram:ApplicableHeaderTradeAgreement></rsm:SupplyChainTradeTransaction>")
    s, b = inv.seller, inv.buyer
    assert s is not None and b is not None
    assert [i.raw for i in s.identifiers] == ["S-1", "4000001"]
    assert s.vat_identifier is not None and s.vat_identifier.raw == "DE123"
    assert s.tax_registration_id is not None and s.tax_registration_id.raw == "12/345"
    assert b.identifier is not None and b.identifier.raw == "4000002" and b.identifier.scheme == "0088"
    assert b.contact is not None and b.contact.point is not None and b.contact.point.raw == "Einkauf"


# --- robustness -------------------------------------------------------------------------------

def test_reader_output_is_a_valid_model() -> None:
    for key in _corpus_sample()[::5]:
        root = etree.parse(str(CORPUS / key)).getroot()
        syntax = detect(root)
        assert syntax is not None
        inv = readers.read(root, syntax)
        again = Invoice.model_validate(inv.model_dump())
        assert again == inv, key
        assert Invoice.model_validate_json(inv.model_dump_json()) == inv, key


def test_empty_and_wrong_documents_read_without_error() -> None:
    assert ubl("").lines == []
    assert cii("").lines == []
    odd = ubl("<cac:InvoiceLine><cac:InvoiceLine/><cac:Item><cac:Item/></cac:Item></cac:InvoiceLine>"
              "<cac:TaxTotal/><cac:PaymentMeans/><cac:AccountingSupplierParty/>"
              "<cbc:Note><cbc:ID>nested</cbc:ID>tail</cbc:Note><x:Foo xmlns:x='urn:x'/>")
    assert isinstance(odd.lines[0], InvoiceLine)
    assert odd.notes[0].note is not None and odd.notes[0].note.raw == "nestedtail"
