"""EN 16931 core rules BR-nn about document totals, document allowances/charges and VAT breakdowns."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from einvoice.rules._core_helpers import (
    breakdown_contexts,
    doc_allowance_contexts,
    each,
    hit,
    show,
    vat_typed,
    xml_text,
)
from einvoice.rules.br_co import cii_tax_total_amounts
from einvoice.rules.registry import Context, Hit, rule

E: Final = "error"
EN: Final = "en16931"


def _total_missing(ctx: Context, field: str, de: str, en: str) -> tuple[Hit, ...]:
    # a tuple, not a generator: these rules run on every document and almost never fire
    t = ctx.invoice.totals
    if t is not None and getattr(t, field) is None:
        return (hit(t.path, f"In den Gesamtbeträgen (BG-22) fehlt {de}.", "The document totals (BG-22) "
                                                                          f"lack {en}."),)
    return ()


@rule("BR-12", level=E, source=EN, layer="core", bts=("BT-106",))
def br_12(ctx: Context) -> Iterable[Hit]:
    """BR-12: An invoice shall have the sum of invoice line net amounts (BT-106)."""
    return _total_missing(ctx, "line_net_total", "die Summe der Positionsnettobeträge (BT-106)",
                          "the sum of invoice line net amounts (BT-106)")


@rule("BR-13", level=E, source=EN, layer="core", bts=("BT-109",))
def br_13(ctx: Context) -> Iterable[Hit]:
    """BR-13: An invoice shall have the invoice total amount without VAT (BT-109)."""
    return _total_missing(ctx, "tax_exclusive", "der Gesamtbetrag ohne Umsatzsteuer (BT-109)",
                          "the invoice total amount without VAT (BT-109)")


@rule("BR-14", level=E, source=EN, layer="core", bts=("BT-112",))
def br_14(ctx: Context) -> Iterable[Hit]:
    """BR-14: An invoice shall have the invoice total amount with VAT (BT-112)."""
    return _total_missing(ctx, "tax_inclusive", "der Gesamtbetrag mit Umsatzsteuer (BT-112)",
                          "the invoice total amount with VAT (BT-112)")


@rule("BR-15", level=E, source=EN, layer="core", bts=("BT-115",))
def br_15(ctx: Context) -> Iterable[Hit]:
    """BR-15: An invoice shall have the amount due for payment (BT-115)."""
    return _total_missing(ctx, "payable", "der fällige Zahlungsbetrag (BT-115)", "the amount due for "
                                                                                 "payment (BT-115)")


# --- document level allowances and charges -----------------------------------------------------
# The CII contexts are the charge-indicator elements of the allowance/charge.


def _where(ctx: Context, path: str) -> str:
    return f"{path}/ram:ChargeIndicator" if ctx.family == "cii" and path else path


@rule("BR-31", level=E, source=EN, layer="core", bts=("BT-92",))
def br_31(ctx: Context) -> Iterable[Hit]:
    """BR-31: Each document level allowance (BG-20) shall have an amount (BT-92)."""
    for a in doc_allowance_contexts(ctx)[0]:
        if a.amount is None:
            yield hit(_where(ctx, a.path), "Ein Nachlass auf Dokumentebene (BG-20) hat keinen Betrag "
                                           "(BT-92).",
                      "A document level allowance (BG-20) has no amount (BT-92).")


@rule("BR-32", level=E, source=EN, layer="core", bts=("BT-95",))
def br_32(ctx: Context) -> Iterable[Hit]:
    """BR-32: Each document level allowance (BG-20) shall have a VAT category code (BT-95)."""
    for a in doc_allowance_contexts(ctx)[0]:
        if a.vat_category_code is None or not vat_typed(ctx, a.vat_category_code):
            yield hit(_where(ctx, a.path), "Ein Nachlass auf Dokumentebene (BG-20) hat keinen "
                      "Umsatzsteuerkategoriecode (BT-95).",
                      "A document level allowance (BG-20) has no VAT category code (BT-95).")


@rule("BR-33", level=E, source=EN, layer="core", bts=("BT-97", "BT-98"))
def br_33(ctx: Context) -> Iterable[Hit]:
    """BR-33: Each document level allowance (BG-20) shall have a reason (BT-97) or a reason code (BT-98)."""
    for a in doc_allowance_contexts(ctx)[0]:
        if a.reason is None and a.reason_code is None:
            yield hit(_where(ctx, a.path), "Ein Nachlass auf Dokumentebene (BG-20) nennt weder Grund (BT-97) "
                      "noch Grundcode (BT-98).",
                      "A document level allowance (BG-20) has neither reason (BT-97) nor reason code "
                      "(BT-98).")


@rule("BR-36", level=E, source=EN, layer="core", bts=("BT-99",))
def br_36(ctx: Context) -> Iterable[Hit]:
    """BR-36: Each document level charge (BG-21) shall have an amount (BT-99)."""
    for c in doc_allowance_contexts(ctx)[1]:
        if c.amount is None:
            yield hit(_where(ctx, c.path), "Ein Zuschlag auf Dokumentebene (BG-21) hat keinen Betrag "
                                           "(BT-99).",
                      "A document level charge (BG-21) has no amount (BT-99).")


@rule("BR-37", level=E, source=EN, layer="core", bts=("BT-102",))
def br_37(ctx: Context) -> Iterable[Hit]:
    """BR-37: Each document level charge (BG-21) shall have a VAT category code (BT-102)."""
    for c in doc_allowance_contexts(ctx)[1]:
        if c.vat_category_code is None or not vat_typed(ctx, c.vat_category_code):
            yield hit(_where(ctx, c.path), "Ein Zuschlag auf Dokumentebene (BG-21) hat keinen "
                      "Umsatzsteuerkategoriecode (BT-102).",
                      "A document level charge (BG-21) has no VAT category code (BT-102).")


@rule("BR-38", level=E, source=EN, layer="core", bts=("BT-104", "BT-105"))
def br_38(ctx: Context) -> Iterable[Hit]:
    """BR-38: Each document level charge (BG-21) shall have a reason (BT-104) or a reason code (BT-105)."""
    for c in doc_allowance_contexts(ctx)[1]:
        if c.reason is None and c.reason_code is None:
            yield hit(_where(ctx, c.path), "Ein Zuschlag auf Dokumentebene (BG-21) nennt weder Grund "
                                           "(BT-104) "
                      "noch Grundcode (BT-105).",
                      "A document level charge (BG-21) has neither reason (BT-104) nor reason code (BT-105).")


# --- VAT breakdown -----------------------------------------------------------------------------


@rule("BR-45", level=E, source=EN, layer="core", bts=("BT-116",))
def br_45(ctx: Context) -> Iterable[Hit]:
    """BR-45: Each VAT breakdown (BG-23) shall have a VAT category taxable amount (BT-116)."""
    for b in breakdown_contexts(ctx):
        if b.taxable_amount is None:
            yield hit(b.path, "Die Umsatzsteueraufschlüsselung (BG-23) der Kategorie "
                              f"{show(b.category_code)} hat "
                      "keinen Nettobetrag (BT-116).",
                      f"The VAT breakdown (BG-23) of category {show(b.category_code)} has no taxable "
                      "amount (BT-116).")


@rule("BR-46", level=E, source=EN, layer="core", bts=("BT-117",))
def br_46(ctx: Context) -> Iterable[Hit]:
    """BR-46: Each VAT breakdown (BG-23) shall have a VAT category tax amount (BT-117)."""
    for b in breakdown_contexts(ctx):
        if b.tax_amount is None:
            yield hit(b.path, "Die Umsatzsteueraufschlüsselung (BG-23) der Kategorie "
                              f"{show(b.category_code)} hat "
                      "keinen Steuerbetrag (BT-117).",
                      f"The VAT breakdown (BG-23) of category {show(b.category_code)} has no tax amount "
                      "(BT-117).")


@rule("BR-47", level=E, source=EN, layer="core", bts=("BT-118",))
def br_47(ctx: Context) -> Iterable[Hit]:
    """BR-47: Each VAT breakdown (BG-23) shall be defined by a VAT category code (BT-118)."""
    for b in breakdown_contexts(ctx):
        if b.category_code is None or not vat_typed(ctx, b.category_code):
            yield hit(b.path, "Eine Umsatzsteueraufschlüsselung (BG-23) hat keinen Kategoriecode (BT-118).",
                      "A VAT breakdown (BG-23) has no VAT category code (BT-118).")


@rule("BR-48", level=E, source=EN, layer="core", bts=("BT-119",))
def br_48(ctx: Context) -> Iterable[Hit]:
    """BR-48: Each VAT breakdown (BG-23) shall have a VAT rate (BT-119), except category O (not subject "
      "to VAT)."""
    ubl = ctx.family == "ubl"
    for b in breakdown_contexts(ctx):
        # CII asks upper-case(ram:TypeCode) = 'VAT' untrimmed here (BR-CO-17 trims it)
        if b.rate is not None and vat_typed(ctx, b.rate, normalize=ubl):
            continue
        c = b.category_code
        if c is not None and vat_typed(ctx, c):
            code = xml_text(ctx, c)
            if (" ".join(code.split()) if ubl else code) == "O":
                continue
        yield hit(b.path, "Die Umsatzsteueraufschlüsselung (BG-23) der Kategorie "
                          f"{show(b.category_code)} hat "
                  "keinen Steuersatz (BT-119).",
                  f"The VAT breakdown (BG-23) of category {show(b.category_code)} has no VAT rate (BT-119).")


@rule("BR-53", level=E, source=EN, layer="core", bts=("BT-6", "BT-111"))
def br_53(ctx: Context) -> Iterable[Hit]:
    """BR-53: With a VAT accounting currency (BT-6) the total VAT in it (BT-111) is required.

    UBL: some tax amount anywhere in that currency. CII: a tax total amount in that currency, and
    the accounting currency must differ from the invoice currency (CII fires when they are equal).
    """
    inv = ctx.invoice
    acc = inv.vat_accounting_currency_code
    if acc is None:
        return
    if ctx.family == "ubl":
        amounts = each(ctx.root, "cac:TaxTotal/cbc:TaxAmount")
        code = xml_text(ctx, acc)
        ok = any(a.get("currencyID") == code for a in amounts)
        if not ok:
            line_el = "cac:CreditNoteLine" if ctx.syntax == "ubl-creditnote" else "cac:InvoiceLine"
            ok = any(a.get("currencyID") == code
                     for a in each(ctx.root, f"{line_el}/cac:TaxTotal/cbc:TaxAmount"))
        where = acc.path
    else:
        if inv.totals is None:
            return
        cur = inv.currency_code
        code = xml_text(ctx, acc)
        ok = any(a.get("currencyID") == code for a in cii_tax_total_amounts(ctx)) and not (
            cur is not None and xml_text(ctx, cur) == code)
        where = inv.totals.path
    if not ok:
        yield hit(where, f"Die Umsatzsteuer-Buchungswährung (BT-6) {show(acc)} ist angegeben, aber kein "
                  "Umsatzsteuergesamtbetrag in dieser Währung (BT-111) (in CII muss sie zudem von der "
                  "Rechnungswährung abweichen).",
                  f"The VAT accounting currency (BT-6) {show(acc)} is given, but no total VAT amount in that "
                  "currency (BT-111) (in CII it must also differ from the invoice currency).")
