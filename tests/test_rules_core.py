"""The EN 16931 core rules (BR, BR-CO, BR-DEC, BR-B) on hand-built models.

Each test builds the smallest model (and, for the few rules that read the XML, the smallest
document) that shows one official semantic, including the quirks the oracle has.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from einvoice.model import Amount, Code, DateValue, Identifier, Invoice, InvoiceLine, Percent, Text
from einvoice.model.invoice import (
    Buyer,
    BuyerAddress,
    DocumentTotals,
    Item,
    LinePeriod,
    PriceDetails,
    Seller,
    VatBreakdown,
)
from einvoice.namespaces import CII_NS, UBL_NS
from einvoice.rules import RULES, load_all
from einvoice.rules._core_helpers import cents, dcents, dround, xround
from einvoice.rules.registry import Context
from einvoice.scenario import by_name

load_all()

SCEN = {
    "cii": "EN16931 (CII)",
    "ubl-invoice": "EN16931 (UBL Invoice)",
    "ubl-creditnote": "EN16931 (UBL CreditNote)",
}
ROOTS = {
    "cii": f"<rsm:CrossIndustryInvoice xmlns:rsm='{CII_NS['rsm']}' xmlns:ram='{CII_NS['ram']}'/>",
    "ubl-invoice": f"<ubl:Invoice xmlns:ubl='{UBL_NS['ubl']}' xmlns:cac='{UBL_NS['cac']}' "
    f"xmlns:cbc='{UBL_NS['cbc']}'/>",
    "ubl-creditnote": f"<cn:CreditNote xmlns:cn='{UBL_NS['cn']}' xmlns:cac='{UBL_NS['cac']}' "
    f"xmlns:cbc='{UBL_NS['cbc']}'/>",
}


def amt(raw: str, path: str = "/x", currency: str | None = None) -> Amount:
    return Amount(raw=raw, path=path, value=Decimal(raw.strip()), currency=currency)


def ctx(inv: Invoice, xml: str | None = None) -> Context:
    root = etree.fromstring(xml or ROOTS[inv.syntax])
    return Context(invoice=inv, root=root, syntax=inv.syntax, scenario=by_name(SCEN[inv.syntax]))  # type: ignore[arg-type]


def fired(rule_id: str, inv: Invoice, xml: str | None = None) -> list[Any]:
    c = ctx(inv, xml)
    fam = c.family
    return list(RULES[(rule_id, fam)].check(c))


def line(net: str | None = "10.00", **kw: Any) -> InvoiceLine:
    return InvoiceLine(path="/l", net_amount=amt(net) if net is not None else None, **kw)


# --- XPath number semantics -------------------------------------------------------------------


def test_round_is_half_towards_positive_infinity() -> None:
    assert xround(Decimal("2.5")) == 3
    assert xround(Decimal("-2.5")) == -2
    assert xround(Decimal("-2.51")) == -3
    assert dround(-2.5) == -2.0
    assert dround(0.49999999999999994) == 0.0
    assert cents(Decimal("1.005")) == Decimal("1.01")
    # as a double 1.005 is slightly below, so the xs:double rounding goes down
    assert dcents(1.005) == 1.0


# --- BR-CO-10: decimal in UBL, double sum cast to decimal in CII --------------------------------


def totals_inv(syntax: str, lines: list[InvoiceLine], **totals: Any) -> Invoice:
    return Invoice(syntax=syntax, path="/r", lines=lines, totals=DocumentTotals(path="/t", **totals))


def test_br_co_10_ubl_rounds_the_exact_sum() -> None:
    inv = totals_inv("ubl-invoice", [line("10.005")], line_net_total=amt("10.01"))
    assert fired("BR-CO-10", inv) == []
    inv = totals_inv("ubl-invoice", [line("10.005")], line_net_total=amt("10.00"))
    assert len(fired("BR-CO-10", inv)) == 1


def test_br_co_10_cii_sums_doubles() -> None:
    # the double nearest 1.005 lies below it, so CII rounds to 1.00 where UBL says 1.01
    inv = totals_inv("cii", [line("1.005")], line_net_total=amt("1.00"))
    assert fired("BR-CO-10", inv) == []
    inv = totals_inv("cii", [line("1.005")], line_net_total=amt("1.01"))
    hits = fired("BR-CO-10", inv)
    assert len(hits) == 1 and "1.01" in hits[0].message_en and "1.00" in hits[0].message_de
    assert len(fired("BR-CO-10", totals_inv("ubl-invoice", [line("1.005")], line_net_total=amt("1.00")))) == 1


def test_br_co_10_missing_total_fires_and_cii_counts_sub_lines() -> None:
    assert len(fired("BR-CO-10", totals_inv("ubl-invoice", [line()]))) == 1
    sub = line("5.00")
    inv = totals_inv("cii", [line("10.00", sub_lines=[sub])], line_net_total=amt("15.00"))
    assert fired("BR-CO-10", inv) == []
    inv = totals_inv("ubl-invoice", [line("10.00", sub_lines=[sub])], line_net_total=amt("10.00"))
    assert fired("BR-CO-10", inv) == []


# --- BR-CO-13 / BR-CO-16: formulas differ per syntax ---------------------------------------------


def test_br_co_13_ubl_without_allowances_compares_unrounded() -> None:
    inv = totals_inv("ubl-invoice", [], line_net_total=amt("10.001"), tax_exclusive=amt("10.00"))
    assert len(fired("BR-CO-13", inv)) == 1
    inv = totals_inv("cii", [], line_net_total=amt("10.001"), tax_exclusive=amt("10.00"))
    assert fired("BR-CO-13", inv) == []


def test_br_co_13_with_allowance_and_charge() -> None:
    kw = {"line_net_total": amt("100.00"), "allowance_total": amt("10.00"), "charge_total": amt("5.00")}
    assert fired("BR-CO-13", totals_inv("ubl-invoice", [], tax_exclusive=amt("95.00"), **kw)) == []
    assert len(fired("BR-CO-13", totals_inv("ubl-invoice", [], tax_exclusive=amt("105.00"), **kw))) == 1


def test_br_co_16_cii_treats_zero_prepaid_as_absent() -> None:
    kw = {"tax_inclusive": amt("119.00"), "payable": amt("119.00"), "paid": amt("0.00")}
    assert fired("BR-CO-16", totals_inv("cii", [], **kw)) == []
    # UBL with a paid amount and no rounding: 119 - 0 = 119 holds too
    assert fired("BR-CO-16", totals_inv("ubl-invoice", [], **kw)) == []
    kw["paid"] = amt("19.00")
    assert len(fired("BR-CO-16", totals_inv("cii", [], **kw))) == 1
    assert len(fired("BR-CO-16", totals_inv("ubl-invoice", [], **kw))) == 1


# --- BR-CO-17: tolerance strict in UBL, inclusive in CII -----------------------------------------


def vat(cat: str, base: str, tax: str, rate: str | None) -> VatBreakdown:
    return VatBreakdown(
        path="/v",
        category_code=Code(raw=cat, path="/c"),
        taxable_amount=amt(base),
        tax_amount=amt(tax),
        rate=Percent(raw=rate, path="/p", value=Decimal(rate)) if rate else None,
    )


def test_br_co_17_tolerance() -> None:
    # 100 x 19 % = 19.00; a tax amount of 20.00 is exactly one unit off
    ubl = Invoice(syntax="ubl-invoice", vat_breakdown=[vat("S", "100.00", "20.00", "19")])
    cii = Invoice(syntax="cii", vat_breakdown=[vat("S", "100.00", "20.00", "19")])
    assert len(fired("BR-CO-17", ubl)) == 1
    assert fired("BR-CO-17", cii) == []
    ok = Invoice(syntax="ubl-invoice", vat_breakdown=[vat("S", "100.00", "19.00", "19")])
    assert fired("BR-CO-17", ok) == []
    no_rate = Invoice(syntax="ubl-invoice", vat_breakdown=[vat("E", "100.00", "0.00", None)])
    assert fired("BR-CO-17", no_rate) == []


def test_cii_breakdowns_of_categories_l_m_o_are_shadowed() -> None:
    missing = VatBreakdown(path="/v", category_code=Code(raw="O", path="/c"))
    assert fired("BR-45", Invoice(syntax="cii", vat_breakdown=[missing])) == []
    assert len(fired("BR-45", Invoice(syntax="ubl-invoice", vat_breakdown=[missing]))) == 1
    s = VatBreakdown(path="/v", category_code=Code(raw="S", path="/c"))
    assert len(fired("BR-45", Invoice(syntax="cii", vat_breakdown=[s]))) == 1


def test_br_48_exempts_category_o_only() -> None:
    o = VatBreakdown(path="/v", category_code=Code(raw="O", path="/c"))
    e = VatBreakdown(path="/v", category_code=Code(raw="E", path="/c"))
    assert fired("BR-48", Invoice(syntax="ubl-invoice", vat_breakdown=[o])) == []
    assert len(fired("BR-48", Invoice(syntax="ubl-invoice", vat_breakdown=[e]))) == 1


# --- BR-CO-09: unpadded substring test in UBL ----------------------------------------------------


def seller_vat(syntax: str, raw: str) -> Invoice:
    scheme = "VA" if syntax == "cii" else None
    return Invoice(
        syntax=syntax, seller=Seller(path="/s", vat_identifier=Identifier(raw=raw, path="/v", scheme=scheme))
    )


@pytest.mark.parametrize(
    ("raw", "ubl", "cii"),
    [
        ("DE123456789", 0, 0),
        ("XX123", 1, 1),
        ("D", 0, 1),  # a single letter is a substring of the UBL list
        ("SS123", 0, 1),  # SS only in the UBL list
        ("AN123", 1, 0),  # AN only in the CII list
        ("E ", 0, 1),  # letter + blank spans two codes of the UBL list
    ],
)
def test_br_co_09_prefix(raw: str, ubl: int, cii: int) -> None:
    assert len(fired("BR-CO-09", seller_vat("ubl-invoice", raw))) == ubl
    assert len(fired("BR-CO-09", seller_vat("cii", raw))) == cii


# --- presence rules with syntax differences ------------------------------------------------------


def test_br_09_cii_fires_without_address() -> None:
    inv = Invoice(syntax="cii", seller=Seller(path="/s"))
    assert len(fired("BR-09", inv)) == 1
    assert fired("BR-09", Invoice(syntax="ubl-invoice", seller=Seller(path="/s"))) == []
    inv = Invoice(syntax="ubl-invoice", buyer=Buyer(path="/b", address=BuyerAddress(path="/a")))
    assert len(fired("BR-11", inv)) == 1


def test_br_27_fires_for_missing_and_negative_price() -> None:
    neg = line(price=PriceDetails(path="/p", net_price=amt("-1")))
    zero = line(price=PriceDetails(path="/p", net_price=amt("0")))
    inv = Invoice(syntax="ubl-invoice", lines=[line(), neg, zero])
    assert len(fired("BR-27", inv)) == 2
    assert len(fired("BR-26", inv)) == 1


def test_br_25_needs_non_blank_item_name() -> None:
    blank = line(item=Item(path="/i", name=Text(raw="", path="/n")))
    named = line(item=Item(path="/i", name=Text(raw="Pen", path="/n")))
    assert len(fired("BR-25", Invoice(syntax="cii", lines=[blank, named]))) == 1


def test_br_29_30_cii_compares_format_102_strings() -> None:
    def period(s: str, e: str, fmt: str = "102") -> LinePeriod:
        return LinePeriod(
            path="/p",
            start=DateValue(raw=s, path="/s", format=fmt),
            end=DateValue(raw=e, path="/e", format=fmt),
        )

    ok = line(period=period("20240101", "20240131"))
    bad = line(period=period("20240201", "20240131"))
    other_format = line(period=period("2024-01-01", "2024-01-31", fmt="610"))
    assert len(fired("BR-30", Invoice(syntax="cii", lines=[ok, bad, other_format]))) == 2


def test_br_co_25_never_checks_ubl_credit_notes() -> None:
    t = DocumentTotals(path="/t", payable=amt("10.00"))
    assert len(fired("BR-CO-25", Invoice(syntax="ubl-invoice", totals=t))) == 1
    assert fired("BR-CO-25", Invoice(syntax="ubl-creditnote", totals=t)) == []
    assert len(fired("BR-CO-25", Invoice(syntax="cii", totals=t))) == 1
    paid = Invoice(syntax="cii", totals=t, payment_terms=Text(raw="30 days", path="/x"))
    assert fired("BR-CO-25", paid) == []


def test_br_co_03_mutually_exclusive() -> None:
    both = {
        "tax_point_date": DateValue(raw="2024-01-01", path="/d"),
        "tax_point_date_code": Code(raw="3", path="/c"),
    }
    assert len(fired("BR-CO-03", Invoice(syntax="ubl-invoice", **both))) == 1
    # CII asks from each breakdown: without one nothing fires
    assert fired("BR-CO-03", Invoice(syntax="cii", **both)) == []
    with_vat = Invoice(syntax="cii", vat_breakdown=[vat("S", "1", "0.19", "19")], **both)
    assert len(fired("BR-CO-03", with_vat)) == 1


def test_br_co_18_cii_is_asked_per_line() -> None:
    assert len(fired("BR-CO-18", Invoice(syntax="ubl-invoice"))) == 1
    assert fired("BR-CO-18", Invoice(syntax="cii")) == []
    assert len(fired("BR-CO-18", Invoice(syntax="cii", lines=[line(), line()]))) == 2


def test_br_51_is_a_warning_in_ubl_only() -> None:
    assert RULES[("BR-51", "ubl")].level_for("ubl") == "warning"
    assert RULES[("BR-51", "cii")].level_for("cii") == "error"


# --- decimals ----------------------------------------------------------------------------------


def test_br_dec_counts_characters_after_the_dot() -> None:
    inv = totals_inv("ubl-invoice", [line("1.000"), line("1"), line("1.5")], payable=amt("3.500"))
    assert len(fired("BR-DEC-23", inv)) == 1
    assert len(fired("BR-DEC-18", inv)) == 1
    assert fired("BR-DEC-09", inv) == []


def test_br_dec_13_never_fires_in_ubl() -> None:
    inv = Invoice(syntax="ubl-invoice", currency_code=Code(raw="EUR", path="/c"))
    xml = (
        f"<ubl:Invoice xmlns:ubl='{UBL_NS['ubl']}' xmlns:cac='{UBL_NS['cac']}' xmlns:cbc='{UBL_NS['cbc']}'>"
        "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode><cac:TaxTotal>"
        "<cbc:TaxAmount currencyID='EUR'>1.234</cbc:TaxAmount></cac:TaxTotal></ubl:Invoice>"
    )
    assert fired("BR-DEC-13", inv, xml) == []


def cii_doc(summation: str, settlement: str = "") -> str:
    return (
        f"<rsm:CrossIndustryInvoice xmlns:rsm='{CII_NS['rsm']}' xmlns:ram='{CII_NS['ram']}'>"
        "<rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeSettlement>"
        f"{settlement}<ram:SpecifiedTradeSettlementHeaderMonetarySummation>{summation}"
        "</ram:SpecifiedTradeSettlementHeaderMonetarySummation></ram:ApplicableHeaderTradeSettlement>"
        "</rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>"
    )


def test_br_dec_15_and_br_53_cii() -> None:
    inv = Invoice(
        syntax="cii",
        currency_code=Code(raw="EUR", path="/c"),
        vat_accounting_currency_code=Code(raw="USD", path="/a"),
        totals=DocumentTotals(path="/t"),
    )
    only_eur = cii_doc("<ram:TaxTotalAmount currencyID='EUR'>19.00</ram:TaxTotalAmount>")
    both = cii_doc(
        "<ram:TaxTotalAmount currencyID='EUR'>19.00</ram:TaxTotalAmount>"
        "<ram:TaxTotalAmount currencyID='USD'>20.123</ram:TaxTotalAmount>"
    )
    assert len(fired("BR-53", inv, only_eur)) == 1
    assert len(fired("BR-DEC-15", inv, only_eur)) == 1
    assert fired("BR-53", inv, both) == []
    assert len(fired("BR-DEC-15", inv, both)) == 1
    same = inv.model_copy(update={"vat_accounting_currency_code": Code(raw="EUR", path="/a")})
    assert len(fired("BR-53", same, only_eur)) == 1  # CII: accounting currency = invoice currency


def test_br_co_15_ubl_needs_exactly_one_tax_total_in_invoice_currency() -> None:
    t = DocumentTotals(path="/t", tax_exclusive=amt("100.00"), tax_inclusive=amt("119.00"))
    inv = Invoice(syntax="ubl-invoice", currency_code=Code(raw="EUR", path="/c"), totals=t)
    one = "<cac:TaxTotal><cbc:TaxAmount currencyID='EUR'>19.00</cbc:TaxAmount></cac:TaxTotal>"
    head = (
        f"<ubl:Invoice xmlns:ubl='{UBL_NS['ubl']}' xmlns:cac='{UBL_NS['cac']}' xmlns:cbc='{UBL_NS['cbc']}'>"
    )
    assert fired("BR-CO-15", inv, head + one + "</ubl:Invoice>") == []
    assert len(fired("BR-CO-15", inv, head + one + one + "</ubl:Invoice>")) == 1
    assert len(fired("BR-CO-15", inv, head + "</ubl:Invoice>")) == 1


def test_xml_text_reads_untrimmed_leaves_as_written() -> None:
    # The document index remembers only leaves written with surrounding blanks; every other
    # value's text as written is its raw. Comments are no leaves, repeated names get positions.
    from einvoice.rules._core_helpers import decimals, xml_text

    xml = (
        f"<ubl:Invoice xmlns:ubl='{UBL_NS['ubl']}' xmlns:cac='{UBL_NS['cac']}' xmlns:cbc='{UBL_NS['cbc']}'>"
        "<!-- a comment -->"
        "<cac:InvoiceLine><cbc:LineExtensionAmount>1.00</cbc:LineExtensionAmount></cac:InvoiceLine>"
        "<cac:InvoiceLine><cbc:LineExtensionAmount>2.00 </cbc:LineExtensionAmount></cac:InvoiceLine>"
        "<cbc:Note><!-- c --> x </cbc:Note></ubl:Invoice>"
    )
    c = ctx(Invoice(syntax="ubl-invoice", path="/ubl:Invoice"), xml)
    first = amt("1.00", "/ubl:Invoice/cac:InvoiceLine[1]/cbc:LineExtensionAmount")
    second = amt("2.00", "/ubl:Invoice/cac:InvoiceLine[2]/cbc:LineExtensionAmount")
    note = Text(raw="x", path="/ubl:Invoice/cbc:Note")
    assert xml_text(c, first) == "1.00"
    assert xml_text(c, second) == "2.00 "
    assert decimals(c, first) == 2
    assert decimals(c, second) == 3
    assert xml_text(c, note) == "x"  # an element holding a comment is read as the model has it


def test_xml_text_with_many_untrimmed_leaves_looks_values_up() -> None:
    from einvoice.rules._core_helpers import decimals

    lines = "".join(
        f"<cac:InvoiceLine><cbc:LineExtensionAmount> {i}.00 </cbc:LineExtensionAmount></cac:InvoiceLine>"
        for i in range(100)
    )
    xml = (
        f"<ubl:Invoice xmlns:ubl='{UBL_NS['ubl']}' xmlns:cac='{UBL_NS['cac']}' xmlns:cbc='{UBL_NS['cbc']}'>"
        f"{lines}</ubl:Invoice>"
    )
    c = ctx(Invoice(syntax="ubl-invoice", path="/ubl:Invoice"), xml)
    v = amt("7.00", "/ubl:Invoice/cac:InvoiceLine[8]/cbc:LineExtensionAmount")
    assert decimals(c, v) == 3
