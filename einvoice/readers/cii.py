"""UN/CEFACT CII D16B CrossIndustryInvoice → EN 16931 model.

Same approach as the UBL reader: one pass over each element's children, dispatch on the prefixed
name, paths by concatenation. CII keeps some payment terms outside the payment means (BT-83
remittance information, BT-89 mandate, BT-90 creditor id): they go into the first payment
instructions entry, which is created if the document has none. Sub-lines (``ParentLineID``) stay
flat lines with ``parent_line_id`` set, as CII writes them.
"""

from __future__ import annotations

from typing import Any, TypeVar

from einvoice.model.invoice import (
    Buyer,
    BuyerAddress,
    BuyerContact,
    CreditTransfer,
    DeliverToAddress,
    Delivery,
    DirectDebit,
    DocumentAllowance,
    DocumentCharge,
    DocumentTotals,
    Invoice,
    InvoiceLine,
    InvoiceNote,
    Item,
    ItemAttribute,
    LineAllowance,
    LineCharge,
    LinePeriod,
    LineVat,
    Payee,
    PaymentCard,
    PaymentInstructions,
    Period,
    PrecedingInvoice,
    PriceDetails,
    ProcessControl,
    Seller,
    SellerAddress,
    SellerContact,
    SupportingDocument,
    TaxRepresentative,
    TaxRepresentativeAddress,
    VatBreakdown,
)
from einvoice.model.values import Amount, DateValue, Identifier, Text, parse_date
from einvoice.readers._common import (
    El,
    amount,
    binary,
    code,
    group,
    ident,
    kids,
    new,
    percent,
    quantity,
    text,
    text_of,
)

# The address and contact classes differ per party only in their BT ids.
A = TypeVar("A", SellerAddress, BuyerAddress, TaxRepresentativeAddress, DeliverToAddress)
C = TypeVar("C", SellerContact, BuyerContact)
_AllowanceOrCharge = DocumentAllowance | DocumentCharge | LineAllowance | LineCharge

TOP = "/rsm:CrossIndustryInvoice"

_ADDRESS = {
    "ram:LineOne": "line1",
    "ram:LineTwo": "line2",
    "ram:LineThree": "line3",
    "ram:CityName": "city",
    "ram:PostcodeCode": "post_code",
    "ram:CountrySubDivisionName": "country_subdivision",
}


def _date(el: El, path: str) -> DateValue | None:
    """A CII date wrapper (e.g. ram:IssueDateTime): the value is its udt/qdt date string child."""
    for q, c, p in kids(el, path):
        if q in ("udt:DateTimeString", "qdt:DateTimeString", "udt:DateString", "qdt:DateString"):
            raw = text_of(c)
            fmt = c.get("format")
            value = parse_date(raw, "102") if fmt == "102" else None
            return new(DateValue, raw=raw, path=p, value=value, format=fmt)
    return None


def _first(el: El, path: str, name: str) -> tuple[El, str] | None:
    for q, c, p in kids(el, path):
        if q == name:
            return c, p
    return None


def read(root: El) -> Invoice:
    d: dict[str, Any] = {"syntax": "cii", "path": TOP}
    notes: list[InvoiceNote] = []
    lines: list[InvoiceLine] = []
    for q, c, p in kids(root, TOP):
        if q == "rsm:ExchangedDocumentContext":
            proc: dict[str, Any] = {}
            for q2, c2, p2 in kids(c, p):
                found = _first(c2, p2, "ram:ID")
                if found is None:
                    continue
                if q2 == "ram:BusinessProcessSpecifiedDocumentContextParameter":
                    proc.setdefault("business_process", text(*found))
                elif q2 == "ram:GuidelineSpecifiedDocumentContextParameter":
                    proc.setdefault("specification_identifier", text(*found))
            if proc:
                d["process_control"] = group(ProcessControl, p, proc)
        elif q == "rsm:ExchangedDocument":
            for q2, c2, p2 in kids(c, p):
                if q2 == "ram:ID":
                    d.setdefault("number", ident(c2, p2))
                elif q2 == "ram:TypeCode":
                    d.setdefault("type_code", code(c2, p2))
                elif q2 == "ram:IssueDateTime":
                    d.setdefault("issue_date", _date(c2, p2))
                elif q2 == "ram:IncludedNote":
                    notes.append(_note(c2, p2))
        elif q == "rsm:SupplyChainTradeTransaction":
            for q2, c2, p2 in kids(c, p):
                if q2 == "ram:IncludedSupplyChainTradeLineItem":
                    lines.append(_line(c2, p2))
                elif q2 == "ram:ApplicableHeaderTradeAgreement":
                    _agreement(c2, p2, d)
                elif q2 == "ram:ApplicableHeaderTradeDelivery":
                    _delivery(c2, p2, d)
                elif q2 == "ram:ApplicableHeaderTradeSettlement":
                    _settlement(c2, p2, d)
    d["notes"] = notes
    d["lines"] = lines
    return group(Invoice, TOP, d)


def _note(el: El, path: str) -> InvoiceNote:
    d: dict[str, Any] = {}
    for q, c, p in kids(el, path):
        if q == "ram:Content":
            d.setdefault("note", text(c, p))
        elif q == "ram:SubjectCode":
            d.setdefault("subject_code", code(c, p))
    return group(InvoiceNote, path, d)


class _Party:
    __slots__ = ("address", "all_ids", "contact", "description", "global_ids", "ids", "legal", "name",
                 "tax_fc", "tax_other", "tax_va", "trading_name", "uri")

    def __init__(self) -> None:
        self.all_ids: list[Identifier] = []
        self.ids: list[Identifier] = []
        self.global_ids: list[Identifier] = []
        self.name: Text | None = None
        self.description: Text | None = None
        self.legal: Identifier | None = None
        self.trading_name: Text | None = None
        self.contact: tuple[El, str] | None = None
        self.address: tuple[El, str] | None = None
        self.uri: Identifier | None = None
        self.tax_va: Identifier | None = None
        self.tax_fc: Identifier | None = None
        self.tax_other: Identifier | None = None


def _party(el: El, path: str) -> _Party:
    r = _Party()
    for q, c, p in kids(el, path):
        if q == "ram:ID":
            i = ident(c, p)
            r.ids.append(i)
            r.all_ids.append(i)
        elif q == "ram:GlobalID":
            i = ident(c, p)
            r.global_ids.append(i)
            if i.scheme is not None:
                r.all_ids.append(i)
        elif q == "ram:Name":
            r.name = text(c, p)
        elif q == "ram:Description":
            r.description = text(c, p)
        elif q == "ram:SpecifiedLegalOrganization":
            for q2, c2, p2 in kids(c, p):
                if q2 == "ram:ID":
                    r.legal = ident(c2, p2)
                elif q2 == "ram:TradingBusinessName":
                    r.trading_name = text(c2, p2)
        elif q == "ram:DefinedTradeContact":
            if r.contact is None:
                r.contact = (c, p)
        elif q == "ram:PostalTradeAddress":
            r.address = (c, p)
        elif q == "ram:URIUniversalCommunication":
            found = _first(c, p, "ram:URIID")
            if found is not None:
                r.uri = ident(*found)
        elif q == "ram:SpecifiedTaxRegistration":
            found = _first(c, p, "ram:ID")
            if found is not None:
                tid = ident(*found)
                if tid.scheme in ("VA", "VAT"):
                    r.tax_va = r.tax_va or tid
                elif tid.scheme == "FC":
                    r.tax_fc = r.tax_fc or tid
                else:
                    r.tax_other = r.tax_other or tid
    return r


def _single_id(r: _Party) -> Identifier | None:
    # A global id with a scheme is the more specific identifier; the proprietary ram:ID otherwise.
    for g in r.global_ids:
        if g.scheme is not None:
            return g
    return r.ids[0] if r.ids else None


def _address(el: El, path: str, cls: type[A]) -> A:
    d: dict[str, Any] = {}
    for q, c, p in kids(el, path):
        f = _ADDRESS.get(q)
        if f is not None:
            d[f] = text(c, p)
        elif q == "ram:CountryID":
            d.setdefault("country_code", code(c, p))
    return group(cls, path, d)


def _contact(el: El, path: str, cls: type[C]) -> C:
    d: dict[str, Any] = {}
    for q, c, p in kids(el, path):
        if q == "ram:PersonName" or q == "ram:DepartmentName":
            d.setdefault("point", text(c, p))
        elif q == "ram:TelephoneUniversalCommunication":
            found = _first(c, p, "ram:CompleteNumber")
            if found is not None:
                d.setdefault("telephone", text(*found))
        elif q == "ram:EmailURIUniversalCommunication":
            found = _first(c, p, "ram:URIID")
            if found is not None:
                d.setdefault("email", text(*found))
    return group(cls, path, d)


def _seller(el: El, path: str) -> Seller:
    r = _party(el, path)
    d: dict[str, Any] = {
        "name": r.name,
        "trading_name": r.trading_name,
        "identifiers": r.all_ids,
        "legal_registration_id": r.legal,
        "vat_identifier": r.tax_va,
        "tax_registration_id": r.tax_fc,
        "additional_legal_info": r.description,
        "electronic_address": r.uri,
    }
    if r.address:
        d["address"] = _address(*r.address, SellerAddress)
    if r.contact:
        d["contact"] = _contact(*r.contact, SellerContact)
    return group(Seller, path, d)


def _buyer(el: El, path: str) -> Buyer:
    r = _party(el, path)
    d: dict[str, Any] = {
        "name": r.name,
        "trading_name": r.trading_name,
        "identifier": _single_id(r),
        "legal_registration_id": r.legal,
        "vat_identifier": r.tax_va,
        "electronic_address": r.uri,
    }
    if r.address:
        d["address"] = _address(*r.address, BuyerAddress)
    if r.contact:
        d["contact"] = _contact(*r.contact, BuyerContact)
    return group(Buyer, path, d)


def _tax_rep(el: El, path: str) -> TaxRepresentative:
    r = _party(el, path)
    d: dict[str, Any] = {"name": r.name, "vat_identifier": r.tax_va or r.tax_fc or r.tax_other}
    if r.address:
        d["address"] = _address(*r.address, TaxRepresentativeAddress)
    return group(TaxRepresentative, path, d)


def _referenced_id(el: El, path: str) -> Identifier | None:
    found = _first(el, path, "ram:IssuerAssignedID")
    return ident(*found) if found else None


_AGREEMENT_REFS = {
    "ram:SellerOrderReferencedDocument": "sales_order_reference",
    "ram:BuyerOrderReferencedDocument": "purchase_order_reference",
    "ram:ContractReferencedDocument": "contract_reference",
}


def _agreement(el: El, path: str, inv: dict[str, Any]) -> None:
    documents: list[SupportingDocument] = inv.setdefault("supporting_documents", [])
    for q, c, p in kids(el, path):
        if q == "ram:BuyerReference":
            inv.setdefault("buyer_reference", text(c, p))
        elif q == "ram:SellerTradeParty":
            inv["seller"] = _seller(c, p)
        elif q == "ram:BuyerTradeParty":
            inv["buyer"] = _buyer(c, p)
        elif q == "ram:SellerTaxRepresentativeTradeParty":
            inv["tax_representative"] = _tax_rep(c, p)
        elif q in _AGREEMENT_REFS:
            v = _referenced_id(c, p)
            if v is not None:
                inv.setdefault(_AGREEMENT_REFS[q], v)
        elif q == "ram:AdditionalReferencedDocument":
            _additional_document(c, p, inv, documents)
        elif q == "ram:SpecifiedProcuringProject":
            found = _first(c, p, "ram:ID")
            if found is not None:
                inv.setdefault("project_reference", ident(*found))


def _additional_document(
    el: El, path: str, inv: dict[str, Any], documents: list[SupportingDocument]
) -> None:
    d: dict[str, Any] = {}
    type_code = None
    ref_type: str | None = None
    id_el = None
    for q, c, p in kids(el, path):
        if q == "ram:IssuerAssignedID":
            id_el = (c, p)
        elif q == "ram:TypeCode":
            type_code = text_of(c)
        elif q == "ram:URIID":
            d.setdefault("external_location", text(c, p))
        elif q == "ram:Name":
            d.setdefault("description", text(c, p))
        elif q == "ram:AttachmentBinaryObject":
            d.setdefault("attachment", binary(c, p))
        elif q == "ram:ReferenceTypeCode":
            ref_type = text_of(c)
    if type_code == "130":
        if id_el is not None and "invoiced_object_identifier" not in inv:
            # BT-18's scheme is the reference type code (UNTDID 1153), not an attribute.
            inv["invoiced_object_identifier"] = new(
                Identifier, raw=text_of(id_el[0]), path=id_el[1], scheme=ref_type)
        return
    if type_code == "50":
        if id_el is not None and "tender_or_lot_reference" not in inv:
            inv.setdefault("tender_or_lot_reference", ident(*id_el))
        return
    if type_code != "916":
        # CII marks supporting documents (BG-24) with type code 916; others are no BT.
        return
    if id_el is not None:
        d.setdefault("reference", ident(*id_el))
    documents.append(group(SupportingDocument, path, d))


def _delivery(el: El, path: str, inv: dict[str, Any]) -> None:
    d: dict[str, Any] = {}
    for q, c, p in kids(el, path):
        if q == "ram:ShipToTradeParty":
            r = _party(c, p)
            d["party_name"] = r.name
            d["location_id"] = _single_id(r)
            if r.address:
                d["address"] = _address(*r.address, DeliverToAddress)
        elif q == "ram:ActualDeliverySupplyChainEvent":
            found = _first(c, p, "ram:OccurrenceDateTime")
            if found is not None:
                d.setdefault("actual_delivery_date", _date(*found))
        elif q == "ram:DespatchAdviceReferencedDocument":
            v = _referenced_id(c, p)
            if v is not None:
                inv.setdefault("despatch_advice_reference", v)
        elif q == "ram:ReceivingAdviceReferencedDocument":
            v = _referenced_id(c, p)
            if v is not None:
                inv.setdefault("receiving_advice_reference", v)
    if any(v is not None for v in d.values()):
        inv["delivery"] = group(Delivery, path, d)


_TOTALS = {
    "ram:LineTotalAmount": "line_net_total",
    "ram:ChargeTotalAmount": "charge_total",
    "ram:AllowanceTotalAmount": "allowance_total",
    "ram:TaxBasisTotalAmount": "tax_exclusive",
    "ram:RoundingAmount": "rounding",
    "ram:GrandTotalAmount": "tax_inclusive",
    "ram:TotalPrepaidAmount": "paid",
    "ram:DuePayableAmount": "payable",
}


def _settlement(el: El, path: str, inv: dict[str, Any]) -> None:
    means: list[PaymentInstructions] = []
    allowances: list[DocumentAllowance] = []
    charges: list[DocumentCharge] = []
    breakdown: list[VatBreakdown] = []
    preceding: list[PrecedingInvoice] = []
    remittance: Text | None = None
    creditor: Identifier | None = None
    mandate: Identifier | None = None
    tax_totals: list[Amount] = []
    totals_el: tuple[El, str] | None = None
    for q, c, p in kids(el, path):
        if q == "ram:CreditorReferenceID":
            creditor = creditor or ident(c, p)
        elif q == "ram:PaymentReference":
            remittance = remittance or text(c, p)
        elif q == "ram:TaxCurrencyCode":
            inv.setdefault("vat_accounting_currency_code", code(c, p))
        elif q == "ram:InvoiceCurrencyCode":
            inv.setdefault("currency_code", code(c, p))
        elif q == "ram:PayeeTradeParty":
            r = _party(c, p)
            inv["payee"] = new(Payee, path=p, name=r.name, identifier=_single_id(r),
                               legal_registration_id=r.legal)
        elif q == "ram:SpecifiedTradeSettlementPaymentMeans":
            means.append(_payment_means(c, p))
        elif q == "ram:ApplicableTradeTax":
            breakdown.append(_tax(c, p, inv))
        elif q == "ram:BillingSpecifiedPeriod":
            pd: dict[str, Any] = {}
            for q2, c2, p2 in kids(c, p):
                if q2 == "ram:StartDateTime":
                    pd.setdefault("start", _date(c2, p2))
                elif q2 == "ram:EndDateTime":
                    pd.setdefault("end", _date(c2, p2))
            inv["invoicing_period"] = group(Period, p, pd)
        elif q == "ram:SpecifiedTradeAllowanceCharge":
            ac = _allowance_charge(c, p, doc_level=True)
            if isinstance(ac, DocumentAllowance):
                allowances.append(ac)
            elif isinstance(ac, DocumentCharge):
                charges.append(ac)
        elif q == "ram:SpecifiedTradePaymentTerms":
            for q2, c2, p2 in kids(c, p):
                if q2 == "ram:Description":
                    inv.setdefault("payment_terms", text(c2, p2))
                elif q2 == "ram:DueDateDateTime":
                    due = _date(c2, p2)
                    if due is not None:
                        inv.setdefault("payment_due_date", due)
                elif q2 == "ram:DirectDebitMandateID":
                    mandate = mandate or ident(c2, p2)
        elif q == "ram:SpecifiedTradeSettlementHeaderMonetarySummation":
            totals_el = (c, p)
            for q2, c2, p2 in kids(c, p):
                if q2 == "ram:TaxTotalAmount":
                    tax_totals.append(amount(c2, p2))
        elif q == "ram:InvoiceReferencedDocument":
            pr: dict[str, Any] = {}
            for q2, c2, p2 in kids(c, p):
                if q2 == "ram:IssuerAssignedID":
                    pr.setdefault("reference", text(c2, p2))
                elif q2 == "ram:FormattedIssueDateTime":
                    pr.setdefault("issue_date", _date(c2, p2))
            preceding.append(group(PrecedingInvoice, p, pr))
        elif q == "ram:ReceivableSpecifiedTradeAccountingAccount":
            found = _first(c, p, "ram:ID")
            if found is not None:
                inv.setdefault("buyer_accounting_reference", text(*found))
    if totals_el is not None:
        inv["totals"] = _totals(*totals_el, tax_totals, inv)
    if remittance is not None or creditor is not None or mandate is not None:
        if not means:
            means.append(new(PaymentInstructions, path=path))
        first = means[0].__dict__
        if remittance is not None and first["remittance_information"] is None:
            first["remittance_information"] = remittance
        if creditor is not None or mandate is not None:
            dd = first["direct_debit"]
            if dd is None:
                dd = first["direct_debit"] = new(DirectDebit, path=path)
            if creditor is not None and dd.creditor_id is None:
                dd.__dict__["creditor_id"] = creditor
            if mandate is not None and dd.mandate_reference is None:
                dd.__dict__["mandate_reference"] = mandate
    inv.update(payment_instructions=means, allowances=allowances, charges=charges,
               vat_breakdown=breakdown, preceding_invoices=preceding)


def _totals(el: El, path: str, tax_totals: list[Amount], inv: dict[str, Any]) -> DocumentTotals:
    d: dict[str, Any] = {}
    for q, c, p in kids(el, path):
        f = _TOTALS.get(q)
        if f is not None:
            d[f] = amount(c, p)
    cur = inv.get("currency_code")
    acc = inv.get("vat_accounting_currency_code")
    cur_code = cur.raw if cur is not None else None
    acc_code = acc.raw if acc is not None else None
    for a in tax_totals:
        # BT-110 is the total in the invoice currency, BT-111 the one in the VAT accounting
        # currency; when both codes are equal one amount is both.
        if a.currency is not None and a.currency == cur_code:
            d.setdefault("vat_total", a)
        if a.currency is not None and a.currency == acc_code:
            d.setdefault("vat_total_accounting", a)
    return group(DocumentTotals, path, d)


def _payment_means(el: El, path: str) -> PaymentInstructions:
    d: dict[str, Any] = {}
    transfers: list[CreditTransfer] = []
    for q, c, p in kids(el, path):
        if q == "ram:TypeCode":
            d.setdefault("type_code", code(c, p))
        elif q == "ram:Information":
            d.setdefault("text", text(c, p))
        elif q == "ram:ApplicableTradeSettlementFinancialCard":
            card: dict[str, Any] = {}
            for q2, c2, p2 in kids(c, p):
                if q2 == "ram:ID":
                    card.setdefault("primary_account_number", text(c2, p2))
                elif q2 == "ram:CardholderName":
                    card.setdefault("holder_name", text(c2, p2))
            d["card"] = group(PaymentCard, p, card)
        elif q == "ram:PayerPartyDebtorFinancialAccount":
            found = _first(c, p, "ram:IBANID")
            if found is not None:
                d["direct_debit"] = new(DirectDebit, path=p, debited_account=ident(*found))
        elif q == "ram:PayeePartyCreditorFinancialAccount":
            ct: dict[str, Any] = {}
            for q2, c2, p2 in kids(c, p):
                if q2 == "ram:IBANID" or q2 == "ram:ProprietaryID":
                    ct.setdefault("account_id", ident(c2, p2))
                elif q2 == "ram:AccountName":
                    ct.setdefault("account_name", text(c2, p2))
            transfers.append(group(CreditTransfer, p, ct))
        elif q == "ram:PayeeSpecifiedCreditorFinancialInstitution":
            found = _first(c, p, "ram:BICID")
            if found is not None:
                bic = ident(*found)
                if transfers:
                    transfers[-1].__dict__["service_provider_id"] = bic
                else:
                    transfers.append(new(CreditTransfer, path=p, service_provider_id=bic))
    d["credit_transfers"] = transfers
    return group(PaymentInstructions, path, d)


def _tax(el: El, path: str, inv: dict[str, Any]) -> VatBreakdown:
    d: dict[str, Any] = {}
    for q, c, p in kids(el, path):
        if q == "ram:CalculatedAmount":
            d.setdefault("tax_amount", amount(c, p))
        elif q == "ram:BasisAmount":
            d.setdefault("taxable_amount", amount(c, p))
        elif q == "ram:CategoryCode":
            d.setdefault("category_code", code(c, p))
        elif q == "ram:RateApplicablePercent":
            d.setdefault("rate", percent(c, p))
        elif q == "ram:ExemptionReason":
            d.setdefault("exemption_reason", text(c, p))
        elif q == "ram:ExemptionReasonCode":
            d.setdefault("exemption_reason_code", code(c, p))
        elif q == "ram:TaxPointDate":
            if "tax_point_date" not in inv:
                tp = _date(c, p)
                if tp is not None:
                    inv["tax_point_date"] = tp
        elif q == "ram:DueDateTypeCode":
            inv.setdefault("tax_point_date_code", code(c, p))
    return group(VatBreakdown, path, d)


def _allowance_charge(el: El, path: str, *, doc_level: bool) -> _AllowanceOrCharge | None:
    d: dict[str, Any] = {}
    indicator = None
    for q, c, p in kids(el, path):
        if q == "ram:ChargeIndicator":
            found = _first(c, p, "udt:Indicator")
            if found is not None:
                d["indicator"] = ind = text(*found)
                indicator = ind.raw
        elif q == "ram:ActualAmount":
            d.setdefault("amount", amount(c, p))
        elif q == "ram:BasisAmount":
            d.setdefault("base_amount", amount(c, p))
        elif q == "ram:CalculationPercent":
            d.setdefault("percentage", percent(c, p))
        elif q == "ram:Reason":
            d.setdefault("reason", text(c, p))
        elif q == "ram:ReasonCode":
            d.setdefault("reason_code", code(c, p))
        elif q == "ram:CategoryTradeTax" and doc_level:
            for q2, c2, p2 in kids(c, p):
                if q2 == "ram:CategoryCode":
                    d.setdefault("vat_category_code", code(c2, p2))
                elif q2 == "ram:RateApplicablePercent":
                    d.setdefault("vat_rate", percent(c2, p2))
    # xs:boolean: "1"/"0" mean the same as "true"/"false" (the literal is kept in ``indicator``).
    cls: type[_AllowanceOrCharge]
    if indicator in ("true", "1"):
        cls = DocumentCharge if doc_level else LineCharge
    elif indicator in ("false", "0"):
        cls = DocumentAllowance if doc_level else LineAllowance
    else:
        return None
    return group(cls, path, d)


def _line(el: El, path: str) -> InvoiceLine:
    d: dict[str, Any] = {}
    allowances: list[LineAllowance] = []
    charges: list[LineCharge] = []
    for q, c, p in kids(el, path):
        if q == "ram:AssociatedDocumentLineDocument":
            for q2, c2, p2 in kids(c, p):
                if q2 == "ram:LineID":
                    d.setdefault("id", ident(c2, p2))
                elif q2 == "ram:ParentLineID":
                    d.setdefault("parent_line_id", text(c2, p2))
                elif q2 == "ram:IncludedNote" and "note" not in d:
                    found = _first(c2, p2, "ram:Content")
                    if found is not None:
                        d.setdefault("note", text(*found))
        elif q == "ram:SpecifiedTradeProduct":
            d["item"] = _item(c, p)
        elif q == "ram:SpecifiedLineTradeAgreement":
            _line_agreement(c, p, d)
        elif q == "ram:SpecifiedLineTradeDelivery":
            found = _first(c, p, "ram:BilledQuantity")
            if found is not None:
                d.setdefault("quantity", quantity(*found))
        elif q == "ram:SpecifiedLineTradeSettlement":
            for q2, c2, p2 in kids(c, p):
                if q2 == "ram:ApplicableTradeTax":
                    v: dict[str, Any] = {}
                    for q3, c3, p3 in kids(c2, p2):
                        if q3 == "ram:CategoryCode":
                            v.setdefault("category_code", code(c3, p3))
                        elif q3 == "ram:RateApplicablePercent":
                            v.setdefault("rate", percent(c3, p3))
                    vat = group(LineVat, p2, v)
                    if "vat" in d:
                        d.setdefault("additional_vat", []).append(vat)
                    else:
                        d["vat"] = vat
                elif q2 == "ram:BillingSpecifiedPeriod":
                    lp: dict[str, Any] = {}
                    for q3, c3, p3 in kids(c2, p2):
                        if q3 == "ram:StartDateTime":
                            lp.setdefault("start", _date(c3, p3))
                        elif q3 == "ram:EndDateTime":
                            lp.setdefault("end", _date(c3, p3))
                    d["period"] = group(LinePeriod, p2, lp)
                elif q2 == "ram:SpecifiedTradeAllowanceCharge":
                    ac = _allowance_charge(c2, p2, doc_level=False)
                    if isinstance(ac, LineAllowance):
                        allowances.append(ac)
                    elif isinstance(ac, LineCharge):
                        charges.append(ac)
                elif q2 == "ram:SpecifiedTradeSettlementLineMonetarySummation":
                    found = _first(c2, p2, "ram:LineTotalAmount")
                    if found is not None:
                        d.setdefault("net_amount", amount(*found))
                elif q2 == "ram:AdditionalReferencedDocument":
                    _line_document(c2, p2, d)
                elif q2 == "ram:ReceivableSpecifiedTradeAccountingAccount":
                    found = _first(c2, p2, "ram:ID")
                    if found is not None:
                        d.setdefault("accounting_reference", text(*found))
    d.update(allowances=allowances, charges=charges)
    return group(InvoiceLine, path, d)


def _line_document(el: El, path: str, line: dict[str, Any]) -> None:
    id_el = None
    type_code = None
    ref_type = None
    for q, c, p in kids(el, path):
        if q == "ram:IssuerAssignedID":
            id_el = (c, p)
        elif q == "ram:TypeCode":
            type_code = text_of(c)
        elif q == "ram:ReferenceTypeCode":
            ref_type = text_of(c)
    if id_el is not None and type_code == "130" and "object_identifier" not in line:
        line["object_identifier"] = new(Identifier, raw=text_of(id_el[0]), path=id_el[1], scheme=ref_type)


def _line_agreement(el: El, path: str, line: dict[str, Any]) -> None:
    price: dict[str, Any] = {}
    gross_base: Any = None
    for q, c, p in kids(el, path):
        if q == "ram:BuyerOrderReferencedDocument":
            found = _first(c, p, "ram:LineID")
            if found is not None:
                line.setdefault("order_line_reference", text(*found))
        elif q == "ram:GrossPriceProductTradePrice":
            for q2, c2, p2 in kids(c, p):
                if q2 == "ram:ChargeAmount":
                    price.setdefault("gross_price", amount(c2, p2))
                elif q2 == "ram:BasisQuantity":
                    gross_base = quantity(c2, p2)
                elif q2 == "ram:AppliedTradeAllowanceCharge":
                    found = _first(c2, p2, "ram:ActualAmount")
                    if found is not None:
                        price.setdefault("discount", amount(*found))
        elif q == "ram:NetPriceProductTradePrice":
            for q2, c2, p2 in kids(c, p):
                if q2 == "ram:ChargeAmount":
                    price.setdefault("net_price", amount(c2, p2))
                elif q2 == "ram:BasisQuantity":
                    price.setdefault("base_quantity", quantity(c2, p2))
    if gross_base is not None:
        price.setdefault("base_quantity", gross_base)
    line["price"] = group(PriceDetails, path, price)


def _item(el: El, path: str) -> Item:
    d: dict[str, Any] = {}
    classifications: list[Identifier] = []
    attributes: list[ItemAttribute] = []
    for q, c, p in kids(el, path):
        if q == "ram:GlobalID":
            d.setdefault("standard_id", ident(c, p))
        elif q == "ram:SellerAssignedID":
            d.setdefault("seller_id", ident(c, p))
        elif q == "ram:BuyerAssignedID":
            d.setdefault("buyer_id", ident(c, p))
        elif q == "ram:Name":
            d.setdefault("name", text(c, p))
        elif q == "ram:Description":
            d.setdefault("description", text(c, p))
        elif q == "ram:ApplicableProductCharacteristic":
            a: dict[str, Any] = {}
            for q2, c2, p2 in kids(c, p):
                if q2 == "ram:Description":
                    a.setdefault("name", text(c2, p2))
                elif q2 == "ram:Value":
                    a.setdefault("value", text(c2, p2))
            attributes.append(group(ItemAttribute, p, a))
        elif q == "ram:DesignatedProductClassification":
            found = _first(c, p, "ram:ClassCode")
            if found is not None:
                cc, cp = found
                classifications.append(new(Identifier, raw=text_of(cc), path=cp,
                                           scheme=cc.get("listID"), scheme_version=cc.get("listVersionID")))
        elif q == "ram:OriginTradeCountry":
            found = _first(c, p, "ram:ID")
            if found is not None:
                d.setdefault("origin_country", code(*found))
    d.update(classifications=classifications, attributes=attributes)
    return group(Item, path, d)
