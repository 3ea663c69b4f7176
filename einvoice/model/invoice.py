"""The EN 16931 semantic model (with the XRechnung extension), free of any syntax.

Each field declares its business term or group id (``bt``) in its JSON-schema extra, so the
flattened BT view, the JSON Schema in ``schemas/`` and rule documentation all read the ids from
one place. Readers for UBL and CII fill these models; nothing downstream looks at the XML again
except the syntax rules, which are about the XML by nature.

Groups are plain pydantic models; ``path`` on a group is the XPath of the element it came from,
so findings about a whole group (e.g. a VAT breakdown) can point at it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from einvoice.model.values import (
    Amount,
    Binary,
    Code,
    DateValue,
    Identifier,
    Percent,
    Quantity,
    Text,
)


def bt(id_: str, description: str) -> Any:
    """A single optional business term or group with its EN 16931 id."""
    return Field(default=None, description=description, json_schema_extra={"bt": id_})


def bts(id_: str, description: str) -> Any:
    """A repeatable business term or group with its EN 16931 id."""
    return Field(default_factory=list, description=description, json_schema_extra={"bt": id_})


class Group(BaseModel):
    model_config = ConfigDict(frozen=False, extra="forbid")

    path: str = Field(default="", description="XPath of the element this group was read from")


class InvoiceNote(Group):
    subject_code: Code | None = bt("BT-21", "Invoice note subject code")
    note: Text | None = bt("BT-22", "Invoice note")


class ProcessControl(Group):
    business_process: Text | None = bt("BT-23", "Business process type")
    specification_identifier: Text | None = bt("BT-24", "Specification identifier")


class PrecedingInvoice(Group):
    reference: Text | None = bt("BT-25", "Preceding Invoice reference")
    issue_date: DateValue | None = bt("BT-26", "Preceding Invoice issue date")


class Address(Group):
    """Postal address; ids differ per party, so each party's address carries its own subclass."""


class SellerAddress(Address):
    line1: Text | None = bt("BT-35", "Seller address line 1")
    line2: Text | None = bt("BT-36", "Seller address line 2")
    line3: Text | None = bt("BT-162", "Seller address line 3")
    city: Text | None = bt("BT-37", "Seller city")
    post_code: Text | None = bt("BT-38", "Seller post code")
    country_subdivision: Text | None = bt("BT-39", "Seller country subdivision")
    country_code: Code | None = bt("BT-40", "Seller country code")


class BuyerAddress(Address):
    line1: Text | None = bt("BT-50", "Buyer address line 1")
    line2: Text | None = bt("BT-51", "Buyer address line 2")
    line3: Text | None = bt("BT-163", "Buyer address line 3")
    city: Text | None = bt("BT-52", "Buyer city")
    post_code: Text | None = bt("BT-53", "Buyer post code")
    country_subdivision: Text | None = bt("BT-54", "Buyer country subdivision")
    country_code: Code | None = bt("BT-55", "Buyer country code")


class TaxRepresentativeAddress(Address):
    line1: Text | None = bt("BT-64", "Tax representative address line 1")
    line2: Text | None = bt("BT-65", "Tax representative address line 2")
    line3: Text | None = bt("BT-164", "Tax representative address line 3")
    city: Text | None = bt("BT-66", "Tax representative city")
    post_code: Text | None = bt("BT-67", "Tax representative post code")
    country_subdivision: Text | None = bt("BT-68", "Tax representative country subdivision")
    country_code: Code | None = bt("BT-69", "Tax representative country code")


class DeliverToAddress(Address):
    line1: Text | None = bt("BT-75", "Deliver to address line 1")
    line2: Text | None = bt("BT-76", "Deliver to address line 2")
    line3: Text | None = bt("BT-165", "Deliver to address line 3")
    city: Text | None = bt("BT-77", "Deliver to city")
    post_code: Text | None = bt("BT-78", "Deliver to post code")
    country_subdivision: Text | None = bt("BT-79", "Deliver to country subdivision")
    country_code: Code | None = bt("BT-80", "Deliver to country code")


class SellerContact(Group):
    point: Text | None = bt("BT-41", "Seller contact point")
    telephone: Text | None = bt("BT-42", "Seller contact telephone number")
    email: Text | None = bt("BT-43", "Seller contact email address")


class BuyerContact(Group):
    point: Text | None = bt("BT-56", "Buyer contact point")
    telephone: Text | None = bt("BT-57", "Buyer contact telephone number")
    email: Text | None = bt("BT-58", "Buyer contact email address")


class Seller(Group):
    name: Text | None = bt("BT-27", "Seller name")
    trading_name: Text | None = bt("BT-28", "Seller trading name")
    identifiers: list[Identifier] = bts("BT-29", "Seller identifier")
    legal_registration_id: Identifier | None = bt("BT-30", "Seller legal registration identifier")
    vat_identifier: Identifier | None = bt("BT-31", "Seller VAT identifier")
    tax_registration_id: Identifier | None = bt("BT-32", "Seller tax registration identifier")
    additional_legal_info: Text | None = bt("BT-33", "Seller additional legal information")
    electronic_address: Identifier | None = bt("BT-34", "Seller electronic address")
    address: SellerAddress | None = bt("BG-5", "SELLER POSTAL ADDRESS")
    contact: SellerContact | None = bt("BG-6", "SELLER CONTACT")


class Buyer(Group):
    name: Text | None = bt("BT-44", "Buyer name")
    trading_name: Text | None = bt("BT-45", "Buyer trading name")
    identifier: Identifier | None = bt("BT-46", "Buyer identifier")
    legal_registration_id: Identifier | None = bt("BT-47", "Buyer legal registration identifier")
    vat_identifier: Identifier | None = bt("BT-48", "Buyer VAT identifier")
    electronic_address: Identifier | None = bt("BT-49", "Buyer electronic address")
    address: BuyerAddress | None = bt("BG-8", "BUYER POSTAL ADDRESS")
    contact: BuyerContact | None = bt("BG-9", "BUYER CONTACT")


class Payee(Group):
    name: Text | None = bt("BT-59", "Payee name")
    identifier: Identifier | None = bt("BT-60", "Payee identifier")
    legal_registration_id: Identifier | None = bt("BT-61", "Payee legal registration identifier")


class TaxRepresentative(Group):
    name: Text | None = bt("BT-62", "Seller tax representative name")
    vat_identifier: Identifier | None = bt("BT-63", "Seller tax representative VAT identifier")
    address: TaxRepresentativeAddress | None = bt("BG-12", "SELLER TAX REPRESENTATIVE POSTAL ADDRESS")


class Delivery(Group):
    party_name: Text | None = bt("BT-70", "Deliver to party name")
    location_id: Identifier | None = bt("BT-71", "Deliver to location identifier")
    actual_delivery_date: DateValue | None = bt("BT-72", "Actual delivery date")
    address: DeliverToAddress | None = bt("BG-15", "DELIVER TO ADDRESS")


class Period(Group):
    start: DateValue | None = bt("BT-73", "Invoicing period start date")
    end: DateValue | None = bt("BT-74", "Invoicing period end date")


class CreditTransfer(Group):
    account_id: Identifier | None = bt("BT-84", "Payment account identifier")
    account_name: Text | None = bt("BT-85", "Payment account name")
    service_provider_id: Identifier | None = bt("BT-86", "Payment service provider identifier")


class PaymentCard(Group):
    primary_account_number: Text | None = bt("BT-87", "Payment card primary account number")
    holder_name: Text | None = bt("BT-88", "Payment card holder name")


class DirectDebit(Group):
    mandate_reference: Identifier | None = bt("BT-89", "Mandate reference identifier")
    creditor_id: Identifier | None = bt("BT-90", "Bank assigned creditor identifier")
    debited_account: Identifier | None = bt("BT-91", "Debited account identifier")


class PaymentInstructions(Group):
    """One payment means element of the syntax (UBL cac:PaymentMeans, CII …PaymentMeans).

    EN 16931 has one BG-16; the syntaxes allow several payment means, and rules such as
    BR-61 apply to each, so the model keeps one entry per element. CII keeps BT-83 and BG-19
    outside the payment means: readers put them into the first entry.
    """

    type_code: Code | None = bt("BT-81", "Payment means type code")
    text: Text | None = bt("BT-82", "Payment means text")
    remittance_information: Text | None = bt("BT-83", "Remittance information")
    credit_transfers: list[CreditTransfer] = bts("BG-17", "CREDIT TRANSFER")
    card: PaymentCard | None = bt("BG-18", "PAYMENT CARD INFORMATION")
    direct_debit: DirectDebit | None = bt("BG-19", "DIRECT DEBIT")


class DocumentAllowance(Group):
    amount: Amount | None = bt("BT-92", "Document level allowance amount")
    base_amount: Amount | None = bt("BT-93", "Document level allowance base amount")
    percentage: Percent | None = bt("BT-94", "Document level allowance percentage")
    vat_category_code: Code | None = bt("BT-95", "Document level allowance VAT category code")
    vat_rate: Percent | None = bt("BT-96", "Document level allowance VAT rate")
    reason: Text | None = bt("BT-97", "Document level allowance reason")
    reason_code: Code | None = bt("BT-98", "Document level allowance reason code")
    indicator: Text | None = Field(
        default=None, description="ChargeIndicator as written (not a BT; 'true'/'false' or 1/0)"
    )


class DocumentCharge(Group):
    amount: Amount | None = bt("BT-99", "Document level charge amount")
    base_amount: Amount | None = bt("BT-100", "Document level charge base amount")
    percentage: Percent | None = bt("BT-101", "Document level charge percentage")
    vat_category_code: Code | None = bt("BT-102", "Document level charge VAT category code")
    vat_rate: Percent | None = bt("BT-103", "Document level charge VAT rate")
    reason: Text | None = bt("BT-104", "Document level charge reason")
    reason_code: Code | None = bt("BT-105", "Document level charge reason code")
    indicator: Text | None = Field(
        default=None, description="ChargeIndicator as written (not a BT; 'true'/'false' or 1/0)"
    )


class DocumentTotals(Group):
    line_net_total: Amount | None = bt("BT-106", "Sum of Invoice line net amount")
    allowance_total: Amount | None = bt("BT-107", "Sum of allowances on document level")
    charge_total: Amount | None = bt("BT-108", "Sum of charges on document level")
    tax_exclusive: Amount | None = bt("BT-109", "Invoice total amount without VAT")
    vat_total: Amount | None = bt("BT-110", "Invoice total VAT amount")
    vat_total_accounting: Amount | None = bt("BT-111", "Invoice total VAT amount in accounting currency")
    tax_inclusive: Amount | None = bt("BT-112", "Invoice total amount with VAT")
    paid: Amount | None = bt("BT-113", "Paid amount")
    rounding: Amount | None = bt("BT-114", "Rounding amount")
    payable: Amount | None = bt("BT-115", "Amount due for payment")


class VatBreakdown(Group):
    taxable_amount: Amount | None = bt("BT-116", "VAT category taxable amount")
    tax_amount: Amount | None = bt("BT-117", "VAT category tax amount")
    category_code: Code | None = bt("BT-118", "VAT category code")
    rate: Percent | None = bt("BT-119", "VAT category rate")
    exemption_reason: Text | None = bt("BT-120", "VAT exemption reason text")
    exemption_reason_code: Code | None = bt("BT-121", "VAT exemption reason code")


class SupportingDocument(Group):
    reference: Identifier | None = bt("BT-122", "Supporting document reference")
    description: Text | None = bt("BT-123", "Supporting document description")
    external_location: Text | None = bt("BT-124", "External document location")
    attachment: Binary | None = bt("BT-125", "Attached document")


class LinePeriod(Group):
    start: DateValue | None = bt("BT-134", "Invoice line period start date")
    end: DateValue | None = bt("BT-135", "Invoice line period end date")


class LineAllowance(Group):
    amount: Amount | None = bt("BT-136", "Invoice line allowance amount")
    base_amount: Amount | None = bt("BT-137", "Invoice line allowance base amount")
    percentage: Percent | None = bt("BT-138", "Invoice line allowance percentage")
    reason: Text | None = bt("BT-139", "Invoice line allowance reason")
    reason_code: Code | None = bt("BT-140", "Invoice line allowance reason code")
    indicator: Text | None = Field(
        default=None, description="ChargeIndicator as written (not a BT; 'true'/'false' or 1/0)"
    )


class LineCharge(Group):
    amount: Amount | None = bt("BT-141", "Invoice line charge amount")
    base_amount: Amount | None = bt("BT-142", "Invoice line charge base amount")
    percentage: Percent | None = bt("BT-143", "Invoice line charge percentage")
    reason: Text | None = bt("BT-144", "Invoice line charge reason")
    reason_code: Code | None = bt("BT-145", "Invoice line charge reason code")
    indicator: Text | None = Field(
        default=None, description="ChargeIndicator as written (not a BT; 'true'/'false' or 1/0)"
    )


class PriceDetails(Group):
    net_price: Amount | None = bt("BT-146", "Item net price")
    discount: Amount | None = bt("BT-147", "Item price discount")
    gross_price: Amount | None = bt("BT-148", "Item gross price")
    base_quantity: Quantity | None = bt("BT-149", "Item price base quantity (unit: BT-150)")
    discount_indicator: Text | None = Field(
        default=None, description="ChargeIndicator of the price allowance as written (not a BT)"
    )


class LineVat(Group):
    category_code: Code | None = bt("BT-151", "Invoiced item VAT category code")
    rate: Percent | None = bt("BT-152", "Invoiced item VAT rate")


class ItemAttribute(Group):
    name: Text | None = bt("BT-160", "Item attribute name")
    value: Text | None = bt("BT-161", "Item attribute value")


class Item(Group):
    name: Text | None = bt("BT-153", "Item name")
    description: Text | None = bt("BT-154", "Item description")
    seller_id: Identifier | None = bt("BT-155", "Item Sellers identifier")
    buyer_id: Identifier | None = bt("BT-156", "Item Buyers identifier")
    standard_id: Identifier | None = bt("BT-157", "Item standard identifier")
    classifications: list[Identifier] = bts("BT-158", "Item classification identifier")
    origin_country: Code | None = bt("BT-159", "Item country of origin")
    attributes: list[ItemAttribute] = bts("BG-32", "ITEM ATTRIBUTES")


class InvoiceLine(Group):
    """An invoice line (BG-25) or, nested in ``sub_lines``, an XRechnung sub-line (BG-DEX-01)."""

    id: Identifier | None = bt("BT-126", "Invoice line identifier")
    note: Text | None = bt("BT-127", "Invoice line note")
    object_identifier: Identifier | None = bt("BT-128", "Invoice line object identifier")
    quantity: Quantity | None = bt("BT-129", "Invoiced quantity (unit: BT-130)")
    net_amount: Amount | None = bt("BT-131", "Invoice line net amount")
    order_line_reference: Text | None = bt("BT-132", "Referenced purchase order line reference")
    accounting_reference: Text | None = bt("BT-133", "Invoice line Buyer accounting reference")
    period: LinePeriod | None = bt("BG-26", "INVOICE LINE PERIOD")
    allowances: list[LineAllowance] = bts("BG-27", "INVOICE LINE ALLOWANCES")
    charges: list[LineCharge] = bts("BG-28", "INVOICE LINE CHARGES")
    price: PriceDetails | None = bt("BG-29", "PRICE DETAILS")
    vat: LineVat | None = bt("BG-30", "LINE VAT INFORMATION")
    item: Item | None = bt("BG-31", "ITEM INFORMATION")
    sub_lines: list[InvoiceLine] = bts("BG-DEX-01", "SUB INVOICE LINE (XRechnung extension)")
    parent_line_id: Text | None = Field(
        default=None, description="CII ParentLineID: the line this one is a sub-line of (not a BT)"
    )
    additional_vat: list[LineVat] = Field(
        default_factory=list,
        description="Further VAT categories written for the line; EN 16931 allows one (not a BT)",
    )


class ThirdPartyPayment(Group):
    type: Text | None = bt("BT-DEX-001", "Third party payment type")
    amount: Amount | None = bt("BT-DEX-002", "Third party payment amount")
    description: Text | None = bt("BT-DEX-003", "Third party payment description")


class Invoice(Group):
    """An invoice or credit note in the EN 16931 semantic model."""

    syntax: str = Field(description="ubl-invoice | ubl-creditnote | cii")
    number: Identifier | None = bt("BT-1", "Invoice number")
    issue_date: DateValue | None = bt("BT-2", "Invoice issue date")
    type_code: Code | None = bt("BT-3", "Invoice type code")
    currency_code: Code | None = bt("BT-5", "Invoice currency code")
    vat_accounting_currency_code: Code | None = bt("BT-6", "VAT accounting currency code")
    tax_point_date: DateValue | None = bt("BT-7", "Value added tax point date")
    tax_point_date_code: Code | None = bt("BT-8", "Value added tax point date code")
    payment_due_date: DateValue | None = bt("BT-9", "Payment due date")
    buyer_reference: Text | None = bt("BT-10", "Buyer reference (Leitweg-ID in XRechnung)")
    project_reference: Identifier | None = bt("BT-11", "Project reference")
    contract_reference: Identifier | None = bt("BT-12", "Contract reference")
    purchase_order_reference: Identifier | None = bt("BT-13", "Purchase order reference")
    sales_order_reference: Identifier | None = bt("BT-14", "Sales order reference")
    receiving_advice_reference: Identifier | None = bt("BT-15", "Receiving advice reference")
    despatch_advice_reference: Identifier | None = bt("BT-16", "Despatch advice reference")
    tender_or_lot_reference: Identifier | None = bt("BT-17", "Tender or lot reference")
    invoiced_object_identifier: Identifier | None = bt("BT-18", "Invoiced object identifier")
    buyer_accounting_reference: Text | None = bt("BT-19", "Buyer accounting reference")
    payment_terms: Text | None = bt("BT-20", "Payment terms")
    notes: list[InvoiceNote] = bts("BG-1", "INVOICE NOTE")
    process_control: ProcessControl | None = bt("BG-2", "PROCESS CONTROL")
    preceding_invoices: list[PrecedingInvoice] = bts("BG-3", "PRECEDING INVOICE REFERENCE")
    seller: Seller | None = bt("BG-4", "SELLER")
    buyer: Buyer | None = bt("BG-7", "BUYER")
    payee: Payee | None = bt("BG-10", "PAYEE")
    tax_representative: TaxRepresentative | None = bt("BG-11", "SELLER TAX REPRESENTATIVE PARTY")
    delivery: Delivery | None = bt("BG-13", "DELIVERY INFORMATION")
    invoicing_period: Period | None = bt("BG-14", "INVOICING PERIOD")
    payment_instructions: list[PaymentInstructions] = bts("BG-16", "PAYMENT INSTRUCTIONS")
    allowances: list[DocumentAllowance] = bts("BG-20", "DOCUMENT LEVEL ALLOWANCES")
    charges: list[DocumentCharge] = bts("BG-21", "DOCUMENT LEVEL CHARGES")
    totals: DocumentTotals | None = bt("BG-22", "DOCUMENT TOTALS")
    vat_breakdown: list[VatBreakdown] = bts("BG-23", "VAT BREAKDOWN")
    supporting_documents: list[SupportingDocument] = bts("BG-24", "ADDITIONAL SUPPORTING DOCUMENTS")
    lines: list[InvoiceLine] = bts("BG-25", "INVOICE LINE")
    third_party_payments: list[ThirdPartyPayment] = bts("BG-DEX-09", "THIRD PARTY PAYMENT")
