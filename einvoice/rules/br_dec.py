"""EN 16931 decimal rules BR-DEC-nn: amounts with at most two decimals.

The official test counts the characters after the first '.' of the amount as written, so
trailing zeros count ('1.000' fails) and an amount without a dot always passes. The VAT total
rules (BR-DEC-13/15) are different per syntax, see there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

from einvoice.model import Amount
from einvoice.model.invoice import DocumentTotals
from einvoice.rules._core_helpers import (
    breakdown_contexts,
    dcents,
    decimals,
    doc_allowance_contexts,
    hit,
    line_allowance_contexts,
    rule_lines,
    show,
    xml_text,
)
from einvoice.rules.br_co import cii_tax_total_amounts
from einvoice.rules.registry import Context, Hit, rule

E: Final = "error"
EN: Final = "en16931"


def _too_many(ctx: Context, v: Amount | None, bt: str, de_name: str, en_name: str) -> tuple[Hit, ...]:
    # a tuple, not a generator: called for every amount of every document, rarely fires
    if v is not None and decimals(ctx, v) > 2:
        return (hit(v.path, f"{de_name} ({bt}) {show(v)} hat mehr als zwei Nachkommastellen.",
                    f"The {en_name} ({bt}) {show(v)} has more than two decimals."),)
    return ()


def _total(
    ctx: Context, get: Callable[[DocumentTotals], Amount | None], bt: str, de: str, en: str
) -> tuple[Hit, ...]:
    t = ctx.invoice.totals
    return _too_many(ctx, get(t), bt, de, en) if t is not None else ()


@rule("BR-DEC-01", level=E, source=EN, layer="decimal", bts=("BT-92",))
def br_dec_01(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-01: Document level allowance amount (BT-92): at most 2 decimals."""
    for a in doc_allowance_contexts(ctx)[0]:
        yield from _too_many(ctx, a.amount, "BT-92", "Der Nachlassbetrag", "allowance amount")


@rule("BR-DEC-02", level=E, source=EN, layer="decimal", bts=("BT-93",))
def br_dec_02(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-02: Document level allowance base amount (BT-93): at most 2 decimals."""
    for a in doc_allowance_contexts(ctx)[0]:
        yield from _too_many(ctx, a.base_amount, "BT-93", "Der Grundbetrag des Nachlasses", "allowance base "
                                                                                       "amount")


@rule("BR-DEC-05", level=E, source=EN, layer="decimal", bts=("BT-99",))
def br_dec_05(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-05: Document level charge amount (BT-99): at most 2 decimals."""
    for c in doc_allowance_contexts(ctx)[1]:
        yield from _too_many(ctx, c.amount, "BT-99", "Der Zuschlagsbetrag", "charge amount")


@rule("BR-DEC-06", level=E, source=EN, layer="decimal", bts=("BT-100",))
def br_dec_06(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-06: Document level charge base amount (BT-100): at most 2 decimals."""
    for c in doc_allowance_contexts(ctx)[1]:
        yield from _too_many(ctx, c.base_amount, "BT-100", "Der Grundbetrag des Zuschlags", "charge "
                                                                                            "base amount")


@rule("BR-DEC-09", level=E, source=EN, layer="decimal", bts=("BT-106",))
def br_dec_09(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-09: Sum of invoice line net amounts (BT-106): at most 2 decimals."""
    return _total(ctx, lambda t: t.line_net_total, "BT-106", "Die Summe der Positionsnettobeträge",
                  "sum of invoice line net amounts")


@rule("BR-DEC-10", level=E, source=EN, layer="decimal", bts=("BT-107",))
def br_dec_10(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-10: Sum of allowances on document level (BT-107): at most 2 decimals."""
    return _total(ctx, lambda t: t.allowance_total, "BT-107", "Die Summe der Nachlässe", "sum of allowances")


@rule("BR-DEC-11", level=E, source=EN, layer="decimal", bts=("BT-108",))
def br_dec_11(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-11: Sum of charges on document level (BT-108): at most 2 decimals."""
    return _total(ctx, lambda t: t.charge_total, "BT-108", "Die Summe der Zuschläge", "sum of charges")


@rule("BR-DEC-12", level=E, source=EN, layer="decimal", bts=("BT-109",))
def br_dec_12(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-12: Invoice total amount without VAT (BT-109): at most 2 decimals."""
    return _total(ctx, lambda t: t.tax_exclusive, "BT-109", "Der Gesamtbetrag ohne Umsatzsteuer",
                  "invoice total without VAT")


def _cii_vat_total_decimals(ctx: Context, currency: str | None, bt: str) -> Iterable[Hit]:
    """CII BR-DEC-13/15: some tax total amount must pass, either by another currency or by value.

    The CII test keeps a tax total amount that is in another currency (or, for BR-DEC-15, any
    amount when there is no VAT accounting currency), or whose value equals itself rounded to
    cents as xs:double. It fails when no tax total amount is kept, even when the one needed is
    simply missing.
    """
    els = cii_tax_total_amounts(ctx)
    if not els:
        return
    for el in els:
        cur = el.get("currencyID")
        if currency is None:
            return
        if cur != currency:
            if bt == "BT-110":
                return
            continue
        text = (el.text or "").strip(" \t\r\n")
        try:
            v = float(text)
        except ValueError:
            continue
        if v == dcents(v):
            return
    path = ctx.invoice.totals.path if ctx.invoice.totals is not None else ctx.invoice.path
    yield hit(path, f"Kein Steuergesamtbetrag ({bt}) in {currency} mit höchstens zwei Nachkommastellen.",
              f"No VAT total amount ({bt}) in {currency} with at most two decimals.")


@rule("BR-DEC-13", level=E, source=EN, layer="decimal", bts=("BT-110",))
def br_dec_13(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-13: Invoice total VAT amount (BT-110): at most 2 decimals.

    The UBL test looks for the currency code below the tax amount element, where it never is,
    so it never fires; the CII test compares values (see ``_cii_vat_total_decimals``).
    """
    if ctx.family == "ubl":
        return
    cur = ctx.invoice.currency_code
    yield from _cii_vat_total_decimals(ctx, xml_text(ctx, cur) if cur is not None else None, "BT-110")


@rule("BR-DEC-14", level=E, source=EN, layer="decimal", bts=("BT-112",))
def br_dec_14(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-14: Invoice total amount with VAT (BT-112): at most 2 decimals."""
    return _total(ctx, lambda t: t.tax_inclusive, "BT-112", "Der Gesamtbetrag mit Umsatzsteuer",
                  "invoice total with VAT")


@rule("BR-DEC-15", level=E, source=EN, layer="decimal", bts=("BT-111",))
def br_dec_15(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-15: Invoice total VAT amount in accounting currency (BT-111): at most 2 decimals.

    As BR-DEC-13, the UBL test never fires. In CII it also fires when a VAT accounting currency
    is given but no tax total amount in it exists.
    """
    if ctx.family == "ubl":
        return
    acc = ctx.invoice.vat_accounting_currency_code
    yield from _cii_vat_total_decimals(ctx, xml_text(ctx, acc) if acc is not None else None, "BT-111")


@rule("BR-DEC-16", level=E, source=EN, layer="decimal", bts=("BT-113",))
def br_dec_16(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-16: Paid amount (BT-113): at most 2 decimals."""
    return _total(ctx, lambda t: t.paid, "BT-113", "Der gezahlte Betrag", "paid amount")


@rule("BR-DEC-17", level=E, source=EN, layer="decimal", bts=("BT-114",))
def br_dec_17(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-17: Rounding amount (BT-114): at most 2 decimals."""
    return _total(ctx, lambda t: t.rounding, "BT-114", "Der Rundungsbetrag", "rounding amount")


@rule("BR-DEC-18", level=E, source=EN, layer="decimal", bts=("BT-115",))
def br_dec_18(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-18: Amount due for payment (BT-115): at most 2 decimals."""
    return _total(ctx, lambda t: t.payable, "BT-115", "Der fällige Betrag", "amount due for payment")


@rule("BR-DEC-19", level=E, source=EN, layer="decimal", bts=("BT-116",))
def br_dec_19(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-19: VAT category taxable amount (BT-116): at most 2 decimals."""
    for b in breakdown_contexts(ctx):
        yield from _too_many(ctx, b.taxable_amount, "BT-116", "Der Nettobetrag der Steuerkategorie",
                             "VAT category taxable amount")


@rule("BR-DEC-20", level=E, source=EN, layer="decimal", bts=("BT-117",))
def br_dec_20(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-20: VAT category tax amount (BT-117): at most 2 decimals."""
    for b in breakdown_contexts(ctx):
        yield from _too_many(ctx, b.tax_amount, "BT-117", "Der Steuerbetrag der Steuerkategorie",
                             "VAT category tax amount")


@rule("BR-DEC-23", level=E, source=EN, layer="decimal", bts=("BT-131",))
def br_dec_23(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-23: Invoice line net amount (BT-131): at most 2 decimals."""
    for line in rule_lines(ctx):
        yield from _too_many(ctx, line.net_amount, "BT-131", "Der Nettobetrag der Position", "invoice line "
                                                                                        "net amount")


@rule("BR-DEC-24", level=E, source=EN, layer="decimal", bts=("BT-136",))
def br_dec_24(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-24: Invoice line allowance amount (BT-136): at most 2 decimals."""
    for _, a in line_allowance_contexts(ctx)[0]:
        yield from _too_many(ctx, a.amount, "BT-136", "Der Nachlassbetrag der Position", "line "
                                                                                         "allowance amount")


@rule("BR-DEC-25", level=E, source=EN, layer="decimal", bts=("BT-137",))
def br_dec_25(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-25: Invoice line allowance base amount (BT-137): at most 2 decimals."""
    for _, a in line_allowance_contexts(ctx)[0]:
        yield from _too_many(ctx, a.base_amount, "BT-137", "Der Grundbetrag des Positionsnachlasses",
                             "line allowance base amount")


@rule("BR-DEC-27", level=E, source=EN, layer="decimal", bts=("BT-141",))
def br_dec_27(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-27: Invoice line charge amount (BT-141): at most 2 decimals."""
    for _, c in line_allowance_contexts(ctx)[1]:
        yield from _too_many(ctx, c.amount, "BT-141", "Der Zuschlagsbetrag der Position", "line charge "
                                                                                          "amount")


@rule("BR-DEC-28", level=E, source=EN, layer="decimal", bts=("BT-142",))
def br_dec_28(ctx: Context) -> Iterable[Hit]:
    """BR-DEC-28: Invoice line charge base amount (BT-142): at most 2 decimals."""
    for _, c in line_allowance_contexts(ctx)[1]:
        yield from _too_many(ctx, c.base_amount, "BT-142", "Der Grundbetrag des Positionszuschlags",
                             "line charge base amount")
