"""EN 16931 core rules BR-nn about invoice lines, their items and prices, and invoicing periods.

Which lines a rule sees follows the syntax: UBL contexts name ``cac:InvoiceLine`` /
``cac:CreditNoteLine`` (XRechnung sub-lines are other elements), CII contexts match every
``ram:IncludedSupplyChainTradeLineItem``, sub-lines included (see ``rule_lines``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from einvoice.model.invoice import InvoiceLine, LinePeriod, Period
from einvoice.rules._core_helpers import (
    all_lines,
    filled,
    hit,
    line_allowance_contexts,
    line_label,
    num,
    rule_lines,
    show,
    xml_text,
)
from einvoice.rules.registry import Context, Hit, rule

E: Final = "error"
EN: Final = "en16931"


def _each_line_missing(ctx: Context, bad: bool | None, line: InvoiceLine, de: str, en: str) -> Iterable[Hit]:
    if bad:
        lab = line_label(line)
        yield hit(line.path, f"Position {lab}: {de}", f"Line {lab}: {en}")


@rule("BR-21", level=E, source=EN, layer="core", bts=("BT-126",))
def br_21(ctx: Context) -> Iterable[Hit]:
    """BR-21: Each invoice line (BG-25) shall have an invoice line identifier (BT-126)."""
    for line in rule_lines(ctx):
        if not filled(line.id):
            yield hit(line.path, "Eine Rechnungsposition (BG-25) hat keine Positionsnummer (BT-126).",
                      "An invoice line (BG-25) has no line identifier (BT-126).")


@rule("BR-22", level=E, source=EN, layer="core", bts=("BT-129",))
def br_22(ctx: Context) -> Iterable[Hit]:
    """BR-22: Each invoice line (BG-25) shall have an invoiced quantity (BT-129)."""
    for line in rule_lines(ctx):
        yield from _each_line_missing(ctx, line.quantity is None, line,
                                      "die Menge (BT-129) fehlt.", "the invoiced quantity (BT-129) is "
                                                                   "missing.")


@rule("BR-23", level=E, source=EN, layer="core", bts=("BT-130",))
def br_23(ctx: Context) -> Iterable[Hit]:
    """BR-23: Each invoice line (BG-25) shall have a quantity unit of measure code (BT-130)."""
    for line in rule_lines(ctx):
        q = line.quantity
        if q is None or q.unit is None:
            yield hit(q.path if q is not None else line.path,
                      f"Position {line_label(line)}: die Mengeneinheit (BT-130) fehlt.",
                      f"Line {line_label(line)}: the quantity unit of measure (BT-130) is missing.")


@rule("BR-24", level=E, source=EN, layer="core", bts=("BT-131",))
def br_24(ctx: Context) -> Iterable[Hit]:
    """BR-24: Each invoice line (BG-25) shall have an invoice line net amount (BT-131)."""
    for line in rule_lines(ctx):
        yield from _each_line_missing(ctx, line.net_amount is None, line,
                                      "der Nettobetrag (BT-131) fehlt.", "the line net amount (BT-131) "
                                                                         "is missing.")


@rule("BR-25", level=E, source=EN, layer="core", bts=("BT-153",))
def br_25(ctx: Context) -> Iterable[Hit]:
    """BR-25: Each invoice line (BG-25) shall contain the item name (BT-153)."""
    for line in rule_lines(ctx):
        name = line.item.name if line.item is not None else None
        yield from _each_line_missing(ctx, not filled(name), line,
                                      "der Artikelname (BT-153) fehlt oder ist leer.",
                                      "the item name (BT-153) is missing or empty.")


@rule("BR-26", level=E, source=EN, layer="core", bts=("BT-146",))
def br_26(ctx: Context) -> Iterable[Hit]:
    """BR-26: Each invoice line (BG-25) shall contain the item net price (BT-146)."""
    for line in rule_lines(ctx):
        net = line.price.net_price if line.price is not None else None
        yield from _each_line_missing(ctx, net is None, line,
                                      "der Nettopreis (BT-146) fehlt.", "the item net price (BT-146) is "
                                                                        "missing.")


@rule("BR-27", level=E, source=EN, layer="core", bts=("BT-146",))
def br_27(ctx: Context) -> Iterable[Hit]:
    """BR-27: The item net price (BT-146) shall not be negative.

    The test compares the price with 0, so it also fails when the price is missing.
    """
    for line in rule_lines(ctx):
        net = line.price.net_price if line.price is not None else None
        if not num(net) >= 0:
            yield hit(net.path if net is not None else line.path,
                      f"Position {line_label(line)}: der Nettopreis (BT-146) {show(net)} ist negativ "
                      "oder fehlt.",
                      f"Line {line_label(line)}: the item net price (BT-146) {show(net)} is negative or "
                      "missing.")


@rule("BR-28", level=E, source=EN, layer="core", bts=("BT-148",))
def br_28(ctx: Context) -> Iterable[Hit]:
    """BR-28: The item gross price (BT-148) shall not be negative."""
    for line in rule_lines(ctx):
        gross = line.price.gross_price if line.price is not None else None
        if gross is not None and not num(gross) >= 0:
            yield hit(gross.path, f"Position {line_label(line)}: der Bruttopreis (BT-148) {show(gross)} "
                                  "ist negativ.",
                      f"Line {line_label(line)}: the item gross price (BT-148) {show(gross)} is negative.")


def period_end_before_start(ctx: Context, p: Period | LinePeriod) -> bool:
    """The shared test of BR-29/BR-30: both dates given and the end earlier than the start.

    UBL casts both to xs:date. CII compares the two format-102 strings as strings, and a date
    in another format counts as absent inside the comparison although its element exists, so
    such a pair fails.
    """
    s, e = p.start, p.end
    if s is None or e is None:
        return False
    if ctx.family == "ubl":
        if s.value is None or e.value is None:
            return True
        return e.value < s.value
    a = xml_text(ctx, e) if e.format == "102" else None
    b = xml_text(ctx, s) if s.format == "102" else None
    return a is None or b is None or not a >= b


def _period_hit(p: Period | LinePeriod, de_what: str, en_what: str) -> Hit:
    return hit(p.path, f"{de_what}: das Enddatum {show(p.end)} liegt vor dem Anfangsdatum {show(p.start)}.",
               f"{en_what}: the end date {show(p.end)} is before the start date {show(p.start)}.")


def invoice_level_periods(ctx: Context) -> list[Period | LinePeriod]:
    """The periods the document-period context matches.

    In UBL that context is any ``cac:InvoicePeriod`` not directly in an invoice/credit note line,
    which includes the periods of XRechnung sub-lines.
    """
    got: list[Period | LinePeriod] = []
    if ctx.invoice.invoicing_period is not None:
        got.append(ctx.invoice.invoicing_period)
    if ctx.family == "ubl":
        got.extend(sub.period for top in ctx.invoice.lines for sub in _subs(top) if sub.period is not None)
    return got


def _subs(line: InvoiceLine) -> Iterable[InvoiceLine]:
    for sub in line.sub_lines:
        yield sub
        yield from _subs(sub)


@rule("BR-29", level=E, source=EN, layer="core", bts=("BT-73", "BT-74"))
def br_29(ctx: Context) -> Iterable[Hit]:
    """BR-29: The invoicing period end date (BT-74) shall not be before its start date (BT-73)."""
    for p in invoice_level_periods(ctx):
        if period_end_before_start(ctx, p):
            yield _period_hit(p, "Abrechnungszeitraum (BG-14)", "Invoicing period (BG-14)")


@rule("BR-30", level=E, source=EN, layer="core", bts=("BT-134", "BT-135"))
def br_30(ctx: Context) -> Iterable[Hit]:
    """BR-30: The invoice line period end date (BT-135) shall not be before its start date (BT-134)."""
    for line in rule_lines(ctx):
        p = line.period
        if p is not None and period_end_before_start(ctx, p):
            yield _period_hit(p, f"Leistungszeitraum der Position {line_label(line)}",
                              f"Period of line {line_label(line)}")


# --- line allowances and charges ---------------------------------------------------------------


@rule("BR-41", level=E, source=EN, layer="core", bts=("BT-136",))
def br_41(ctx: Context) -> Iterable[Hit]:
    """BR-41: Each invoice line allowance (BG-27) shall have an amount (BT-136)."""
    for line, a in line_allowance_contexts(ctx)[0]:
        if a.amount is None:
            yield hit(a.path, f"Ein Nachlass der Position {line_label(line)} (BG-27) hat keinen "
                                  "Betrag (BT-136).",
                          f"An allowance of line {line_label(line)} (BG-27) has no amount (BT-136).")


@rule("BR-42", level=E, source=EN, layer="core", bts=("BT-139", "BT-140"))
def br_42(ctx: Context) -> Iterable[Hit]:
    """BR-42: Each invoice line allowance (BG-27) shall have a reason (BT-139) or a reason code (BT-140)."""
    for line, a in line_allowance_contexts(ctx)[0]:
        if a.reason is None and a.reason_code is None:
            yield hit(a.path, f"Ein Nachlass der Position {line_label(line)} (BG-27) nennt weder "
                                  "Grund (BT-139) "
                          "noch Grundcode (BT-140).",
                          f"An allowance of line {line_label(line)} (BG-27) has neither reason (BT-139) "
                          "nor reason code (BT-140).")


@rule("BR-43", level=E, source=EN, layer="core", bts=("BT-141",))
def br_43(ctx: Context) -> Iterable[Hit]:
    """BR-43: Each invoice line charge (BG-28) shall have an amount (BT-141)."""
    for line, c in line_allowance_contexts(ctx)[1]:
        if c.amount is None:
            yield hit(c.path, f"Ein Zuschlag der Position {line_label(line)} (BG-28) hat keinen "
                                  "Betrag (BT-141).",
                          f"A charge of line {line_label(line)} (BG-28) has no amount (BT-141).")


@rule("BR-44", level=E, source=EN, layer="core", bts=("BT-144", "BT-145"))
def br_44(ctx: Context) -> Iterable[Hit]:
    """BR-44: Each invoice line charge (BG-28) shall have a reason (BT-144) or a reason code (BT-145)."""
    for line, c in line_allowance_contexts(ctx)[1]:
        if c.reason is None and c.reason_code is None:
            yield hit(c.path, f"Ein Zuschlag der Position {line_label(line)} (BG-28) nennt weder "
                                  "Grund (BT-144) "
                          "noch Grundcode (BT-145).",
                          f"A charge of line {line_label(line)} (BG-28) has neither reason (BT-144) "
                          "nor reason code (BT-145).")


# --- items -------------------------------------------------------------------------------------


@rule("BR-54", level=E, source=EN, layer="core", bts=("BT-160", "BT-161"))
def br_54(ctx: Context) -> Iterable[Hit]:
    """BR-54: Each item attribute (BG-32) shall contain a name (BT-160) and a value (BT-161).

    Both contexts match attributes at any depth, sub-lines included.
    """
    for line in all_lines(ctx):
        if line.item is None:
            continue
        for at in line.item.attributes:
            if at.name is None or at.value is None:
                yield hit(at.path, f"Position {line_label(line)}: ein Artikelattribut (BG-32) ohne Name "
                          f"(BT-160) oder Wert (BT-161) (Name {show(at.name)}, Wert {show(at.value)}).",
                          f"Line {line_label(line)}: an item attribute (BG-32) lacks its name (BT-160) or "
                          f"value (BT-161) (name {show(at.name)}, value {show(at.value)}).")


def _blank(s: str | None) -> bool:
    return s is None or not s.strip(" \t\r\n")


@rule("BR-64", level=E, source=EN, layer="core", bts=("BT-157",))
def br_64(ctx: Context) -> Iterable[Hit]:
    """BR-64: The item standard identifier (BT-157) shall have a scheme identifier."""
    cii = ctx.family == "cii"
    for line in rule_lines(ctx):
        sid = line.item.standard_id if line.item is not None else None
        if sid is not None and (_blank(sid.scheme) if cii else sid.scheme is None):
            yield hit(sid.path, f"Position {line_label(line)}: die Artikelkennung (BT-157) {show(sid)} hat "
                      "keine Schemakennung.",
                      f"Line {line_label(line)}: the item standard identifier (BT-157) {show(sid)} has no "
                      "scheme identifier.")


@rule("BR-65", level=E, source=EN, layer="core", bts=("BT-158",))
def br_65(ctx: Context) -> Iterable[Hit]:
    """BR-65: The item classification identifier (BT-158) shall have a scheme identifier."""
    cii = ctx.family == "cii"
    for line in rule_lines(ctx):
        if line.item is None:
            continue
        for c in line.item.classifications:
            if _blank(c.scheme) if cii else c.scheme is None:
                yield hit(c.path, f"Position {line_label(line)}: die Klassifizierung (BT-158) {show(c)} hat "
                          "keine Schemakennung.",
                          f"Line {line_label(line)}: the item classification (BT-158) {show(c)} has no "
                          "scheme identifier.")
