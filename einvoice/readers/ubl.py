"""UBL 2.1 Invoice and CreditNote → EN 16931 model.

Each element's children are visited once and dispatched on their prefixed name; paths are built
by concatenation while walking. Nothing here raises on odd content: unknown or misplaced elements
are skipped, values that do not parse keep ``value=None``.
"""

from __future__ import annotations

import re
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
    ThirdPartyPayment,
    VatBreakdown,
)
from einvoice.model.values import Code, Identifier, Text
from einvoice.readers._common import (
    El,
    amount,
    binary,
    code,
    group,
    ident,
    iso_date,
    kids,
    new,
    percent,
    quantity,
    text,
    text_of,
)
from einvoice.syntax import Syntax

# The address and contact classes differ per party only in their BT ids.
A = TypeVar("A", SellerAddress, BuyerAddress, TaxRepresentativeAddress, DeliverToAddress)
C = TypeVar("C", SellerContact, BuyerContact)
_AllowanceOrCharge = DocumentAllowance | DocumentCharge | LineAllowance | LineCharge

# EN 16931 UBL binding: a note may start with its subject code as "#CODE#".
_NOTE_CODE = re.compile(r"#([^#\s]+)#")

# Address fields per party: UBL element → model field (the same names in every address class).
_ADDRESS = {
    "cbc:StreetName": "line1",
    "cbc:AdditionalStreetName": "line2",
    "cbc:CityName": "city",
    "cbc:PostalZone": "post_code",
    "cbc:CountrySubentity": "country_subdivision",
}


def read(root: El, syntax: Syntax) -> Invoice:
    credit = syntax == "ubl-creditnote"
    top = "/cn:CreditNote" if credit else "/ubl:Invoice"
    d: dict[str, Any] = {"syntax": syntax, "path": top}
    notes: list[InvoiceNote] = []
    preceding: list[PrecedingInvoice] = []
    means: list[PaymentInstructions] = []
    allowances: list[DocumentAllowance] = []
    charges: list[DocumentCharge] = []
    breakdown: list[VatBreakdown] = []
    documents: list[SupportingDocument] = []
    lines: list[InvoiceLine] = []
    third: list[ThirdPartyPayment] = []
    tax_totals: list[tuple[El, str]] = []
    sepa: list[Identifier] = []
    proc: dict[str, Any] = {}
    due_in_means: Any = None
    for q, c, p in kids(root, top):
        if q == "cbc:ID":
            d.setdefault("number", ident(c, p))
        elif q == "cbc:IssueDate":
            d.setdefault("issue_date", iso_date(c, p))
        elif q in ("cbc:InvoiceTypeCode", "cbc:CreditNoteTypeCode"):
            d.setdefault("type_code", code(c, p))
        elif q == "cbc:DocumentCurrencyCode":
            d.setdefault("currency_code", code(c, p))
        elif q == "cbc:TaxCurrencyCode":
            d.setdefault("vat_accounting_currency_code", code(c, p))
        elif q == "cbc:TaxPointDate":
            d.setdefault("tax_point_date", iso_date(c, p))
        elif q == "cbc:DueDate":
            d.setdefault("payment_due_date", iso_date(c, p))
        elif q == "cbc:BuyerReference":
            d.setdefault("buyer_reference", text(c, p))
        elif q == "cbc:AccountingCost":
            d.setdefault("buyer_accounting_reference", text(c, p))
        elif q == "cbc:Note":
            notes.append(_note(c, p))
        elif q == "cbc:ProfileID":
            proc.setdefault("business_process", text(c, p))
        elif q == "cbc:CustomizationID":
            proc.setdefault("specification_identifier", text(c, p))
        elif q == "cac:InvoicePeriod":
            period, desc = _period(c, p)
            if period is not None and "invoicing_period" not in d:
                d["invoicing_period"] = period
            if desc is not None and "tax_point_date_code" not in d:
                d["tax_point_date_code"] = desc
        elif q == "cac:OrderReference":
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:ID":
                    d.setdefault("purchase_order_reference", ident(c2, p2))
                elif q2 == "cbc:SalesOrderID":
                    d.setdefault("sales_order_reference", ident(c2, p2))
        elif q == "cac:BillingReference":
            for q2, c2, p2 in kids(c, p):
                if q2 == "cac:InvoiceDocumentReference":
                    preceding.append(_preceding(c2, p2))
        elif q in _DOC_REFS:
            v = _id_of(c, p)
            if v is not None:
                d.setdefault(_DOC_REFS[q], v)
        elif q == "cac:ProjectReference":
            v = _id_of(c, p)
            if v is not None:
                d.setdefault("project_reference", v)
        elif q == "cac:AdditionalDocumentReference":
            _additional_document(c, p, d, documents, credit)
        elif q == "cac:AccountingSupplierParty":
            d["seller"] = _seller(c, p, sepa)
        elif q == "cac:AccountingCustomerParty":
            d["buyer"] = _buyer(c, p)
        elif q == "cac:PayeeParty":
            d["payee"] = _payee(c, p, sepa)
        elif q == "cac:TaxRepresentativeParty":
            d["tax_representative"] = _tax_rep(c, p)
        elif q == "cac:Delivery":
            if "delivery" not in d:
                d["delivery"] = _delivery(c, p)
        elif q == "cac:PaymentMeans":
            pm, due = _payment_means(c, p)
            means.append(pm)
            if due is not None and due_in_means is None:
                due_in_means = due
        elif q == "cac:PaymentTerms":
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:Note" and "payment_terms" not in d:
                    d.setdefault("payment_terms", text(c2, p2))
        elif q == "cac:PrepaidPayment":
            third.append(_third_party(c, p))
        elif q == "cac:AllowanceCharge":
            ac = _allowance_charge(c, p, doc_level=True)
            if isinstance(ac, DocumentAllowance):
                allowances.append(ac)
            elif isinstance(ac, DocumentCharge):
                charges.append(ac)
        elif q == "cac:TaxTotal":
            tax_totals.append((c, p))
        elif q == "cac:LegalMonetaryTotal":
            d["totals"] = _totals(c, p)
        elif q in ("cac:InvoiceLine", "cac:CreditNoteLine"):
            lines.append(_line(c, p))
    if due_in_means is not None and "payment_due_date" not in d:
        d["payment_due_date"] = due_in_means
    if proc:
        d["process_control"] = group(ProcessControl, top, proc)
    _tax_totals(tax_totals, d, breakdown)
    if sepa:
        _put_creditor_id(sepa[0], means, top)
    d.update(notes=notes, preceding_invoices=preceding, payment_instructions=means,
             allowances=allowances, charges=charges, vat_breakdown=breakdown,
             supporting_documents=documents, lines=lines, third_party_payments=third)
    return group(Invoice, top, d)


_DOC_REFS = {
    "cac:ContractDocumentReference": "contract_reference",
    "cac:ReceiptDocumentReference": "receiving_advice_reference",
    "cac:DespatchDocumentReference": "despatch_advice_reference",
    "cac:OriginatorDocumentReference": "tender_or_lot_reference",
}


def _id_of(el: El, path: str) -> Identifier | None:
    for q, c, p in kids(el, path):
        if q == "cbc:ID":
            return ident(c, p)
    return None


def _note(el: El, path: str) -> InvoiceNote:
    note = text(el, path)
    m = _NOTE_CODE.match(note.raw)
    subject = new(Code, raw=m.group(1), path=path) if m else None
    return new(InvoiceNote, path=path, note=note, subject_code=subject)


def _period(el: El, path: str) -> tuple[Period | None, Code | None]:
    d: dict[str, Any] = {}
    desc = None
    for q, c, p in kids(el, path):
        if q == "cbc:StartDate":
            d.setdefault("start", iso_date(c, p))
        elif q == "cbc:EndDate":
            d.setdefault("end", iso_date(c, p))
        elif q == "cbc:DescriptionCode":
            desc = code(c, p)
    return (group(Period, path, d) if d else None), desc


def _preceding(el: El, path: str) -> PrecedingInvoice:
    d: dict[str, Any] = {}
    for q, c, p in kids(el, path):
        if q == "cbc:ID":
            d.setdefault("reference", text(c, p))
        elif q == "cbc:IssueDate":
            d.setdefault("issue_date", iso_date(c, p))
    return group(PrecedingInvoice, path, d)


def _additional_document(
    el: El, path: str, inv: dict[str, Any], documents: list[SupportingDocument], credit: bool
) -> None:
    d: dict[str, Any] = {}
    type_code = None
    id_el: tuple[El, str] | None = None
    for q, c, p in kids(el, path):
        if q == "cbc:ID":
            id_el = (c, p)
        elif q == "cbc:DocumentTypeCode":
            type_code = text_of(c)
        elif q == "cbc:DocumentDescription":
            d.setdefault("description", text(c, p))
        elif q == "cac:Attachment":
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:EmbeddedDocumentBinaryObject":
                    d.setdefault("attachment", binary(c2, p2))
                elif q2 == "cac:ExternalReference":
                    for q3, c3, p3 in kids(c2, p2):
                        if q3 == "cbc:URI":
                            d.setdefault("external_location", text(c3, p3))
    if type_code == "130" and id_el is not None and "invoiced_object_identifier" not in inv:
        # Still a BG-24 entry too: UBL rules on cac:AdditionalDocumentReference see it as one.
        inv.setdefault("invoiced_object_identifier", ident(*id_el))
    if credit and type_code == "50":
        # UBL CreditNote has no cac:ProjectReference: the project is a document reference.
        if id_el is not None and "project_reference" not in inv:
            inv.setdefault("project_reference", ident(*id_el))
        return
    if id_el is not None:
        d.setdefault("reference", ident(*id_el))
    documents.append(group(SupportingDocument, path, d))


def _address(el: El, path: str, cls: type[A]) -> A:
    d: dict[str, Any] = {}
    for q, c, p in kids(el, path):
        f = _ADDRESS.get(q)
        if f is not None:
            d[f] = text(c, p)
        elif q == "cac:AddressLine":
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:Line" and "line3" not in d:
                    d.setdefault("line3", text(c2, p2))
        elif q == "cac:Country":
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:IdentificationCode":
                    d.setdefault("country_code", code(c2, p2))
    return group(cls, path, d)


def _contact(el: El, path: str, cls: type[C]) -> C:
    d: dict[str, Any] = {}
    for q, c, p in kids(el, path):
        if q == "cbc:Name":
            d.setdefault("point", text(c, p))
        elif q == "cbc:Telephone":
            d.setdefault("telephone", text(c, p))
        elif q == "cbc:ElectronicMail":
            d.setdefault("email", text(c, p))
    return group(cls, path, d)


class _Party:
    """The parts of a cac:Party every role reads from (filled in one pass)."""

    __slots__ = ("address", "contact", "endpoint", "ids", "legal", "legal_form", "names",
                 "registration_name", "tax_other", "tax_vat")

    def __init__(self) -> None:
        self.endpoint: Identifier | None = None
        self.ids: list[Identifier] = []
        self.names: list[Text] = []
        self.address: tuple[El, str] | None = None
        self.contact: tuple[El, str] | None = None
        self.tax_vat: Identifier | None = None
        self.tax_other: Identifier | None = None
        self.registration_name: Text | None = None
        self.legal: Identifier | None = None
        self.legal_form: Text | None = None


def _party(el: El, path: str) -> _Party:
    r = _Party()
    for q, c, p in kids(el, path):
        if q == "cbc:EndpointID":
            r.endpoint = ident(c, p)
        elif q == "cac:PartyIdentification":
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:ID":
                    r.ids.append(ident(c2, p2))
        elif q == "cac:PartyName":
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:Name":
                    r.names.append(text(c2, p2))
        elif q == "cac:PostalAddress":
            r.address = (c, p)
        elif q == "cac:PartyTaxScheme":
            company: Identifier | None = None
            scheme = None
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:CompanyID":
                    company = ident(c2, p2)
                elif q2 == "cac:TaxScheme":
                    for q3, c3, _p3 in kids(c2, p2):
                        if q3 == "cbc:ID":
                            scheme = text_of(c3)
            if company is not None:
                if scheme == "VAT":
                    r.tax_vat = r.tax_vat or company
                else:
                    r.tax_other = r.tax_other or company
        elif q == "cac:PartyLegalEntity":
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:RegistrationName":
                    r.registration_name = text(c2, p2)
                elif q2 == "cbc:CompanyID":
                    r.legal = ident(c2, p2)
                elif q2 == "cbc:CompanyLegalForm":
                    r.legal_form = text(c2, p2)
        elif q == "cac:Contact":
            r.contact = (c, p)
    return r


def _party_el(el: El, path: str) -> tuple[El, str] | None:
    for q, c, p in kids(el, path):
        if q == "cac:Party":
            return c, p
    return None


def _split_sepa(ids: list[Identifier], sepa: list[Identifier]) -> list[Identifier]:
    # EN 16931 binds BT-90 (bank assigned creditor id) to a party identifier with scheme SEPA.
    out = []
    for i in ids:
        if i.scheme == "SEPA":
            sepa.append(i)
        else:
            out.append(i)
    return out


def _seller(el: El, path: str, sepa: list[Identifier]) -> Seller:
    found = _party_el(el, path)
    if found is None:
        return new(Seller, path=path)
    r = _party(*found)
    d: dict[str, Any] = {
        "name": r.registration_name,
        "trading_name": r.names[0] if r.names else None,
        "identifiers": _split_sepa(r.ids, sepa),
        "legal_registration_id": r.legal,
        "vat_identifier": r.tax_vat,
        "tax_registration_id": r.tax_other,
        "additional_legal_info": r.legal_form,
        "electronic_address": r.endpoint,
    }
    if r.address:
        d["address"] = _address(*r.address, SellerAddress)
    if r.contact:
        d["contact"] = _contact(*r.contact, SellerContact)
    return group(Seller, path, d)


def _buyer(el: El, path: str) -> Buyer:
    found = _party_el(el, path)
    if found is None:
        return new(Buyer, path=path)
    r = _party(*found)
    d: dict[str, Any] = {
        "name": r.registration_name,
        "trading_name": r.names[0] if r.names else None,
        "identifier": r.ids[0] if r.ids else None,
        "legal_registration_id": r.legal,
        "vat_identifier": r.tax_vat,
        "electronic_address": r.endpoint,
    }
    if r.address:
        d["address"] = _address(*r.address, BuyerAddress)
    if r.contact:
        d["contact"] = _contact(*r.contact, BuyerContact)
    return group(Buyer, path, d)


def _payee(el: El, path: str, sepa: list[Identifier]) -> Payee:
    r = _party(el, path)
    ids = _split_sepa(r.ids, sepa)
    return new(Payee, path=path, name=r.names[0] if r.names else None,
               identifier=ids[0] if ids else None, legal_registration_id=r.legal)


def _tax_rep(el: El, path: str) -> TaxRepresentative:
    r = _party(el, path)
    d: dict[str, Any] = {"name": r.names[0] if r.names else None, "vat_identifier": r.tax_vat}
    if r.address:
        d["address"] = _address(*r.address, TaxRepresentativeAddress)
    return group(TaxRepresentative, path, d)


def _delivery(el: El, path: str) -> Delivery:
    d: dict[str, Any] = {}
    for q, c, p in kids(el, path):
        if q == "cbc:ActualDeliveryDate":
            d.setdefault("actual_delivery_date", iso_date(c, p))
        elif q == "cac:DeliveryLocation":
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:ID":
                    d.setdefault("location_id", ident(c2, p2))
                elif q2 == "cac:Address":
                    d["address"] = _address(c2, p2, DeliverToAddress)
        elif q == "cac:DeliveryParty":
            for q2, c2, p2 in kids(c, p):
                if q2 == "cac:PartyName":
                    for q3, c3, p3 in kids(c2, p2):
                        if q3 == "cbc:Name" and "party_name" not in d:
                            d.setdefault("party_name", text(c3, p3))
    return group(Delivery, path, d)


def _payment_means(el: El, path: str) -> tuple[PaymentInstructions, Any]:
    d: dict[str, Any] = {}
    transfers: list[CreditTransfer] = []
    due = None
    for q, c, p in kids(el, path):
        if q == "cbc:PaymentMeansCode":
            d.setdefault("type_code", code(c, p))
            name = c.get("name")
            if name is not None:
                d["text"] = new(Text, raw=name.strip(" \t\r\n"), path=p + "/@name")
        elif q == "cbc:PaymentID":
            d.setdefault("remittance_information", text(c, p))
        elif q == "cbc:PaymentDueDate":
            due = iso_date(c, p)
        elif q == "cac:CardAccount":
            card: dict[str, Any] = {}
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:PrimaryAccountNumberID":
                    card.setdefault("primary_account_number", text(c2, p2))
                elif q2 == "cbc:HolderName":
                    card.setdefault("holder_name", text(c2, p2))
            d["card"] = group(PaymentCard, p, card)
        elif q == "cac:PayeeFinancialAccount":
            ct: dict[str, Any] = {}
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:ID":
                    ct.setdefault("account_id", ident(c2, p2))
                elif q2 == "cbc:Name":
                    ct.setdefault("account_name", text(c2, p2))
                elif q2 == "cac:FinancialInstitutionBranch":
                    for q3, c3, p3 in kids(c2, p2):
                        if q3 == "cbc:ID":
                            ct.setdefault("service_provider_id", ident(c3, p3))
            transfers.append(group(CreditTransfer, p, ct))
        elif q == "cac:PaymentMandate":
            dd: dict[str, Any] = {}
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:ID":
                    dd.setdefault("mandate_reference", ident(c2, p2))
                elif q2 == "cac:PayerFinancialAccount":
                    for q3, c3, p3 in kids(c2, p2):
                        if q3 == "cbc:ID":
                            dd.setdefault("debited_account", ident(c3, p3))
            d["direct_debit"] = group(DirectDebit, p, dd)
    d["credit_transfers"] = transfers
    return group(PaymentInstructions, path, d), due


def _put_creditor_id(creditor: Identifier, means: list[PaymentInstructions], top: str) -> None:
    if not means:
        means.append(new(PaymentInstructions, path=top))
    pi = means[0]
    dd = pi.direct_debit
    if dd is None:
        pi.__dict__["direct_debit"] = new(DirectDebit, path=creditor.path, creditor_id=creditor)
    elif dd.creditor_id is None:
        dd.__dict__["creditor_id"] = creditor


def _third_party(el: El, path: str) -> ThirdPartyPayment:
    d: dict[str, Any] = {}
    for q, c, p in kids(el, path):
        if q == "cbc:ID":
            d.setdefault("type", text(c, p))
        elif q == "cbc:PaidAmount":
            d.setdefault("amount", amount(c, p))
        elif q == "cbc:InstructionID":
            d.setdefault("description", text(c, p))
    return group(ThirdPartyPayment, path, d)


def _allowance_charge(el: El, path: str, *, doc_level: bool) -> _AllowanceOrCharge | None:
    """A document or line allowance/charge, or None when ChargeIndicator is missing or odd."""
    d: dict[str, Any] = {}
    indicator = None
    for q, c, p in kids(el, path):
        if q == "cbc:ChargeIndicator":
            ind = text(c, p)
            d["indicator"] = ind
            indicator = ind.raw
        elif q == "cbc:Amount":
            d.setdefault("amount", amount(c, p))
        elif q == "cbc:BaseAmount":
            d.setdefault("base_amount", amount(c, p))
        elif q == "cbc:MultiplierFactorNumeric":
            d.setdefault("percentage", percent(c, p))
        elif q == "cbc:AllowanceChargeReason":
            d.setdefault("reason", text(c, p))
        elif q == "cbc:AllowanceChargeReasonCode":
            d.setdefault("reason_code", code(c, p))
        elif q == "cac:TaxCategory" and doc_level:
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:ID":
                    d.setdefault("vat_category_code", code(c2, p2))
                elif q2 == "cbc:Percent":
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


def _tax_totals(totals: list[tuple[El, str]], inv: dict[str, Any], breakdown: list[VatBreakdown]) -> None:
    cur = inv.get("currency_code")
    acc = inv.get("vat_accounting_currency_code")
    cur_code = cur.raw if cur is not None else None
    acc_code = acc.raw if acc is not None else None
    vat_total = vat_acc = None
    for el, path in totals:
        for q, c, p in kids(el, path):
            if q == "cbc:TaxAmount":
                a = amount(c, p)
                # BT-110 is the total in the invoice currency, BT-111 the one in the VAT
                # accounting currency; when both codes are equal one amount is both.
                if a.currency is not None and a.currency == cur_code:
                    vat_total = vat_total or a
                if a.currency is not None and a.currency == acc_code:
                    vat_acc = vat_acc or a
            elif q == "cac:TaxSubtotal":
                breakdown.append(_subtotal(c, p))
    if vat_total is None and vat_acc is None:
        return
    totals_group = inv.get("totals")
    if totals_group is None:
        totals_group = inv["totals"] = new(DocumentTotals, path=totals[0][1])
    if vat_total is not None:
        totals_group.__dict__["vat_total"] = vat_total
    if vat_acc is not None:
        totals_group.__dict__["vat_total_accounting"] = vat_acc


def _subtotal(el: El, path: str) -> VatBreakdown:
    d: dict[str, Any] = {}
    for q, c, p in kids(el, path):
        if q == "cbc:TaxableAmount":
            d.setdefault("taxable_amount", amount(c, p))
        elif q == "cbc:TaxAmount":
            d.setdefault("tax_amount", amount(c, p))
        elif q == "cac:TaxCategory":
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:ID":
                    d.setdefault("category_code", code(c2, p2))
                elif q2 == "cbc:Percent":
                    d.setdefault("rate", percent(c2, p2))
                elif q2 == "cbc:TaxExemptionReason":
                    d.setdefault("exemption_reason", text(c2, p2))
                elif q2 == "cbc:TaxExemptionReasonCode":
                    d.setdefault("exemption_reason_code", code(c2, p2))
    return group(VatBreakdown, path, d)


_TOTALS = {
    "cbc:LineExtensionAmount": "line_net_total",
    "cbc:TaxExclusiveAmount": "tax_exclusive",
    "cbc:TaxInclusiveAmount": "tax_inclusive",
    "cbc:AllowanceTotalAmount": "allowance_total",
    "cbc:ChargeTotalAmount": "charge_total",
    "cbc:PrepaidAmount": "paid",
    "cbc:PayableRoundingAmount": "rounding",
    "cbc:PayableAmount": "payable",
}


def _totals(el: El, path: str) -> DocumentTotals:
    d: dict[str, Any] = {}
    for q, c, p in kids(el, path):
        f = _TOTALS.get(q)
        if f is not None:
            d[f] = amount(c, p)
    return group(DocumentTotals, path, d)


def _line(el: El, path: str) -> InvoiceLine:
    d: dict[str, Any] = {}
    allowances: list[LineAllowance] = []
    charges: list[LineCharge] = []
    subs: list[InvoiceLine] = []
    for q, c, p in kids(el, path):
        if q == "cbc:ID":
            d.setdefault("id", ident(c, p))
        elif q == "cbc:Note":
            d.setdefault("note", text(c, p))
        elif q in ("cbc:InvoicedQuantity", "cbc:CreditedQuantity"):
            d.setdefault("quantity", quantity(c, p))
        elif q == "cbc:LineExtensionAmount":
            d.setdefault("net_amount", amount(c, p))
        elif q == "cbc:AccountingCost":
            d.setdefault("accounting_reference", text(c, p))
        elif q == "cac:InvoicePeriod":
            lp: dict[str, Any] = {}
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:StartDate":
                    lp.setdefault("start", iso_date(c2, p2))
                elif q2 == "cbc:EndDate":
                    lp.setdefault("end", iso_date(c2, p2))
            d["period"] = group(LinePeriod, p, lp)
        elif q == "cac:OrderLineReference":
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:LineID":
                    d.setdefault("order_line_reference", text(c2, p2))
        elif q == "cac:DocumentReference":
            _line_document(c, p, d)
        elif q == "cac:AllowanceCharge":
            ac = _allowance_charge(c, p, doc_level=False)
            if isinstance(ac, LineAllowance):
                allowances.append(ac)
            elif isinstance(ac, LineCharge):
                charges.append(ac)
        elif q == "cac:Item":
            _item(c, p, d)
        elif q == "cac:Price":
            d["price"] = _price(c, p)
        elif q in ("cac:SubInvoiceLine", "cac:SubCreditNoteLine"):
            subs.append(_line(c, p))
    d.update(allowances=allowances, charges=charges, sub_lines=subs)
    return group(InvoiceLine, path, d)


def _line_document(el: El, path: str, line: dict[str, Any]) -> None:
    id_el = None
    type_code = None
    for q, c, p in kids(el, path):
        if q == "cbc:ID":
            id_el = (c, p)
        elif q == "cbc:DocumentTypeCode":
            type_code = text_of(c)
    if id_el is not None and type_code == "130" and "object_identifier" not in line:
        line.setdefault("object_identifier", ident(*id_el))


def _item(el: El, path: str, line: dict[str, Any]) -> None:
    d: dict[str, Any] = {}
    classifications: list[Identifier] = []
    attributes: list[ItemAttribute] = []
    for q, c, p in kids(el, path):
        if q == "cbc:Name":
            d.setdefault("name", text(c, p))
        elif q == "cbc:Description":
            d.setdefault("description", text(c, p))
        elif q in _ITEM_IDS:
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:ID":
                    d[_ITEM_IDS[q]] = ident(c2, p2)
        elif q == "cac:CommodityClassification":
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:ItemClassificationCode":
                    classifications.append(new(
                        Identifier, raw=text_of(c2), path=p2, scheme=c2.get("listID"),
                        scheme_version=c2.get("listVersionID")))
        elif q == "cac:OriginCountry":
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:IdentificationCode":
                    d.setdefault("origin_country", code(c2, p2))
        elif q == "cac:ClassifiedTaxCategory":
            v: dict[str, Any] = {}
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:ID":
                    v.setdefault("category_code", code(c2, p2))
                elif q2 == "cbc:Percent":
                    v.setdefault("rate", percent(c2, p2))
            vat = group(LineVat, p, v)
            if "vat" in line:
                line.setdefault("additional_vat", []).append(vat)
            else:
                line["vat"] = vat
        elif q == "cac:AdditionalItemProperty":
            a: dict[str, Any] = {}
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:Name":
                    a.setdefault("name", text(c2, p2))
                elif q2 == "cbc:Value":
                    a.setdefault("value", text(c2, p2))
            attributes.append(group(ItemAttribute, p, a))
    d.update(classifications=classifications, attributes=attributes)
    line["item"] = group(Item, path, d)


_ITEM_IDS = {
    "cac:SellersItemIdentification": "seller_id",
    "cac:BuyersItemIdentification": "buyer_id",
    "cac:StandardItemIdentification": "standard_id",
}


def _price(el: El, path: str) -> PriceDetails:
    d: dict[str, Any] = {}
    for q, c, p in kids(el, path):
        if q == "cbc:PriceAmount":
            d.setdefault("net_price", amount(c, p))
        elif q == "cbc:BaseQuantity":
            d.setdefault("base_quantity", quantity(c, p))
        elif q == "cac:AllowanceCharge":
            indicator = None
            found: dict[str, Any] = {}
            for q2, c2, p2 in kids(c, p):
                if q2 == "cbc:ChargeIndicator":
                    found["discount_indicator"] = ind = text(c2, p2)
                    indicator = ind.raw
                elif q2 == "cbc:Amount":
                    found.setdefault("discount", amount(c2, p2))
                elif q2 == "cbc:BaseAmount":
                    found.setdefault("gross_price", amount(c2, p2))
            if indicator in ("false", "0"):
                for k, v in found.items():
                    d.setdefault(k, v)
    return group(PriceDetails, path, d)

