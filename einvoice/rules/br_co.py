"""EN 16931 conditions and calculations BR-CO-nn, on the model, for both syntaxes.

The calculation rules follow the official arithmetic per syntax: where the official test casts
with ``xs:decimal`` the check is exact decimal arithmetic; where it compares untyped values or
sums them with ``sum()`` it is xs:double arithmetic (see :mod:`einvoice.rules._core_helpers`).
The UBL and CII tests of several rules are not the same formula; the differences are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Final

from lxml import etree

from einvoice.model import Amount, Identifier, InvoiceLine
from einvoice.model.values import parse_decimal
from einvoice.rules._core_helpers import (
    HUNDRED,
    ZERO,
    all_vat,
    breakdown_contexts,
    cents,
    clark,
    dcents,
    dec,
    doc_allowance_contexts,
    dsum,
    each,
    element_at,
    exact,
    first,
    hit,
    line_allowance_contexts,
    line_label,
    num,
    present,
    root_path,
    rule_lines,
    show,
    vat_rate,
    vat_typed,
    xml_text,
    xround,
)
from einvoice.rules._vat_helpers import party_tax_schemes
from einvoice.rules._xr_helpers import Doc, doc, xpath_of
from einvoice.rules.registry import Context, Hit, rule
from einvoice.xmlnode import Node

CENT = Decimal("0.01")
E: Final = "error"
EN: Final = "en16931"
_WS = " \t\r\n"


def _fmt(d: Decimal | float | None) -> str:
    if d is None:
        return "—"
    if isinstance(d, float):
        return f"{d:.2f}" if d == round(d, 2) else repr(d)
    try:
        cents = d == d.quantize(CENT)
    except InvalidOperation:  # more digits than the context holds (10^30 and up)
        cents = False
    return f"{d:.2f}" if cents else f"{d:f}"


@rule("BR-CO-03", level=E, source=EN, layer="core", bts=("BT-7", "BT-8"))
def br_co_03(ctx: Context) -> Iterable[Hit]:
    """BR-CO-03: The VAT point date (BT-7) and the VAT point date code (BT-8) are mutually exclusive.

    UBL checks once per document; CII checks in each VAT breakdown whether the document
    contains both anywhere.
    """
    inv = ctx.invoice
    if inv.tax_point_date is None or inv.tax_point_date_code is None:
        return
    de = (f"Steuerpunktdatum (BT-7) {show(inv.tax_point_date)} und Code des Steuerpunktdatums (BT-8) "
          f"{show(inv.tax_point_date_code)} schließen einander aus.")
    en = (f"The VAT point date (BT-7) {show(inv.tax_point_date)} and the VAT point date code (BT-8) "
          f"{show(inv.tax_point_date_code)} are mutually exclusive.")
    if ctx.family == "ubl":
        yield hit(root_path(ctx), de, en)
        return
    for b in breakdown_contexts(ctx):
        yield hit(b.path, de, en)


@rule("BR-CO-04", level=E, source=EN, layer="core", bts=("BT-151",))
def br_co_04(ctx: Context) -> Iterable[Hit]:
    """BR-CO-04: Each invoice line (BG-25) shall be categorized with a VAT category code (BT-151)."""
    ubl = ctx.family == "ubl"
    # When every tax category of the document is plainly VAT, a line whose first category has
    # a code passes both the XML test and the model test below: the reader took that code from
    # the line's first category element. Only the other lines need the XML.
    plain_vat = all_vat(ctx)
    for line in rule_lines(ctx):
        if plain_vat and line.vat is not None and line.vat.category_code is not None:
            continue
        el = element_at(ctx, line.path) if line.path else None
        if el is not None:
            # any category of the line will do (a line may carry several in the XML)
            if ubl:
                ok = any(_vat_scheme(c) and first(c, "cbc:ID") is not None
                         for c in each(el, "cac:Item/cac:ClassifiedTaxCategory"))
            else:
                ok = any(
                    any((t.text or "").upper() == "VAT" for t in each(c, "ram:TypeCode"))
                    and first(c, "ram:CategoryCode") is not None
                    for c in each(el, "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax"))
        else:
            code = line.vat.category_code if line.vat is not None else None
            ok = code is not None and vat_typed(ctx, code)
        if not ok:
            yield hit(line.path, f"Position {line_label(line)}: der Umsatzsteuerkategoriecode (BT-151) "
                                 "fehlt.",
                      f"Line {line_label(line)}: the invoiced item VAT category code (BT-151) is missing.")


# BR-CO-05 to BR-CO-08 are asserted as always true by the official rules (reason code and text
# cannot be compared mechanically); they are registered so they are listed, and never fire.


@rule("BR-CO-05", level=E, source=EN, layer="core", bts=("BT-97", "BT-98"))
def br_co_05(ctx: Context) -> Iterable[Hit]:
    """BR-CO-05: Document level allowance reason code (BT-98) and reason (BT-97) shall agree (never "
      "checked)."""
    return ()


@rule("BR-CO-06", level=E, source=EN, layer="core", bts=("BT-104", "BT-105"))
def br_co_06(ctx: Context) -> Iterable[Hit]:
    """BR-CO-06: Document level charge reason code (BT-105) and reason (BT-104) shall agree (never "
      "checked)."""
    return ()


@rule("BR-CO-07", level=E, source=EN, layer="core", bts=("BT-139", "BT-140"))
def br_co_07(ctx: Context) -> Iterable[Hit]:
    """BR-CO-07: Line allowance reason code (BT-140) and reason (BT-139) shall agree (never checked)."""
    return ()


@rule("BR-CO-08", level=E, source=EN, layer="core", bts=("BT-144", "BT-145"))
def br_co_08(ctx: Context) -> Iterable[Hit]:
    """BR-CO-08: Line charge reason code (BT-145) and reason (BT-144) shall agree (never checked)."""
    return ()


# ISO 3166-1 alpha-2 codes accepted as VAT identifier prefixes (EL for Greece, XI for Northern
# Ireland, 1A for Kosovo). The UBL rule also knows SS, the CII rule AN instead.
_PREFIX_TEXT = (
    "1A AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR "
    "BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC "
    "EE EG EH EL ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY "
    "HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA "
    "LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY "
    "MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS "
    "RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN "
    "TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XI YE YT ZA ZM ZW"
)
_PREFIXES = _PREFIX_TEXT.split()
# UBL tests the prefix as a substring of the space-separated list, unpadded: a one-letter
# prefix, or a letter next to a separating blank, is found too. CII pads it with blanks.
_UBL_LIST = " " + " ".join(sorted([*_PREFIXES, "SS"])) + " "
_CII_CODES = frozenset([*_PREFIXES, "AN"])


def _vat_ids(ctx: Context) -> Iterable[tuple[str, Identifier]]:
    inv = ctx.invoice
    for bt, party in (("BT-31", inv.seller), ("BT-48", inv.buyer), ("BT-63", inv.tax_representative)):
        v = party.vat_identifier if party is not None else None
        if v is not None and (ctx.family == "ubl" or v.scheme == "VA"):
            yield bt, v


def _registration_ids(d: Doc) -> list[etree._Element]:
    """The ``ram:ID`` children of the tax registrations, in document order.

    Asking the few registrations for their children is cheaper than checking the parent of
    every ``ram:ID`` of the document; registrations nested in one another (schema-invalid) would
    interleave, so then the IDs are taken the long way round, in document order.
    """
    tag, ident = clark("ram:SpecifiedTaxRegistration"), clark("ram:ID")
    regs = d.all(tag)
    if any(next(r.iterancestors(tag), None) is not None for r in regs):
        return d.under(ident, tag)
    return [i for r in regs for i in r.iterchildren(ident)]


@rule("BR-CO-09", level=E, source=EN, layer="core", bts=("BT-31", "BT-48", "BT-63"))
def br_co_09(ctx: Context) -> Iterable[Hit]:
    """BR-CO-09: VAT identifiers (BT-31, BT-48, BT-63) shall start with an ISO 3166-1 alpha-2 prefix "
      "(EL for Greece)."""
    # The contexts are every VAT registration of any party in the XML (CII: each ID with
    # schemeID 'VA' under a ram:SpecifiedTaxRegistration; UBL: each PartyTaxScheme whose tax
    # scheme, upper-cased and trimmed, is VAT), not only the model's one per party.
    d = doc(ctx)
    # (context element or location, identifier as written); an element's XPath is worked out
    # only when it fires
    found: list[tuple[etree._Element | str, str]] = []
    if ctx.family == "ubl":
        for pts, (vat, cid) in party_tax_schemes(ctx).items():
            if vat:
                found.append((pts, (cid.text or "") if cid is not None else ""))
    else:
        found = [(i, i.text or "") for i in _registration_ids(d)
                 if i.get("schemeID") == "VA"]
    seller = "cac:AccountingSupplierParty" if ctx.family == "ubl" else "ram:SellerTradeParty"
    if not d.all(clark(seller)):  # a hand-built context without the XML: the model's identifiers
        found = [(v.path, xml_text(ctx, v)) for _, v in _vat_ids(ctx)]
    for where, text in found:
        prefix = text[:2]
        ok = prefix in _UBL_LIST if ctx.family == "ubl" else prefix in _CII_CODES
        if not ok:
            if not isinstance(where, str):
                where = xpath_of(where, d.steps)
            yield hit(where,
                      f"Die Umsatzsteuer-Identifikationsnummer '{text}' beginnt nicht mit einem "
                      "Ländercode nach ISO 3166-1 alpha-2.",
                      f"The VAT identifier '{text}' does not start with an ISO 3166-1 alpha-2 country "
                      "prefix.")


# --- document totals ---------------------------------------------------------------------------


@rule("BR-CO-10", level=E, source=EN, layer="core", bts=("BT-106", "BT-131"))
def br_co_10(ctx: Context) -> Iterable[Hit]:
    """BR-CO-10: Sum of invoice line net amounts (BT-106) = Σ invoice line net amount (BT-131).

    UBL sums the xs:decimal line amounts; CII sums untyped values as xs:double and casts the sum
    to xs:decimal before rounding to cents.
    """
    t = ctx.invoice.totals
    if t is None:
        return
    nets = [line.net_amount for line in rule_lines(ctx)]
    if ctx.family == "ubl":
        s = sum((v.value for v in nets if v is not None and v.value is not None), ZERO)
        expect = cents(s)
    else:
        expect = xround(exact(dsum(nets)) * HUNDRED) / HUNDRED
    got = dec(t.line_net_total)
    if got is None or got != expect:
        where = t.line_net_total.path if t.line_net_total is not None else t.path
        yield hit(where, f"Summe der Positionsnettobeträge (BT-106) {show(t.line_net_total)} ≠ Summe der "
                  f"Nettobeträge der Positionen (BT-131) {_fmt(expect)}.",
                  f"Sum of invoice line net amounts (BT-106) {show(t.line_net_total)} ≠ sum of the line net "
                  f"amounts (BT-131) {_fmt(expect)}.")


def _ac_total(
    ctx: Context, total: Amount | None, amounts: list[Amount | None], exists: bool
) -> Decimal | float | None:
    """None when BR-CO-11/12 hold, else the expected sum for the message."""
    if not exists and total is None:
        return None
    if ctx.family == "ubl":
        s = sum((v.value for v in amounts if v is not None and v.value is not None), ZERO)
        exp_d = cents(s)
        return None if total is not None and total.value == exp_d else exp_d
    exp_f = dcents(dsum(amounts))
    return None if total is not None and num(total) == exp_f else exp_f


@rule("BR-CO-11", level=E, source=EN, layer="core", bts=("BT-107", "BT-92"))
def br_co_11(ctx: Context) -> Iterable[Hit]:
    """BR-CO-11: Sum of allowances on document level (BT-107) = Σ document level allowance amount (BT-92)."""
    t = ctx.invoice.totals
    if t is None:
        return
    al = ctx.invoice.allowances
    expect = _ac_total(ctx, t.allowance_total, [a.amount for a in al], bool(al))
    if expect is not None:
        yield hit(t.allowance_total.path if t.allowance_total is not None else t.path,
                  f"Summe der Nachlässe (BT-107) {show(t.allowance_total)} ≠ Summe der Nachlassbeträge "
                  "(BT-92) "
                  f"{_fmt(expect)}.",
                  f"Sum of allowances (BT-107) {show(t.allowance_total)} ≠ sum of the allowance amounts "
                  "(BT-92) "
                  f"{_fmt(expect)}.")


@rule("BR-CO-12", level=E, source=EN, layer="core", bts=("BT-108", "BT-99"))
def br_co_12(ctx: Context) -> Iterable[Hit]:
    """BR-CO-12: Sum of charges on document level (BT-108) = Σ document level charge amount (BT-99)."""
    t = ctx.invoice.totals
    if t is None:
        return
    ch = ctx.invoice.charges
    expect = _ac_total(ctx, t.charge_total, [c.amount for c in ch], bool(ch))
    if expect is not None:
        yield hit(t.charge_total.path if t.charge_total is not None else t.path,
                  f"Summe der Zuschläge (BT-108) {show(t.charge_total)} ≠ Summe der Zuschlagsbeträge (BT-99) "
                  f"{_fmt(expect)}.",
                  f"Sum of charges (BT-108) {show(t.charge_total)} ≠ sum of the charge amounts (BT-99) "
                  f"{_fmt(expect)}.")


def _eq(a: Decimal | None, b: Decimal | None) -> bool:
    return a is not None and b is not None and a == b


def _add(*xs: Decimal | None) -> Decimal | None:
    """Arithmetic on possibly empty operands: the empty sequence propagates."""
    total = ZERO
    for x in xs:
        if x is None:
            return None
        total += x
    return total


def _c(x: Decimal | None) -> Decimal | None:
    return None if x is None else cents(x)


@rule("BR-CO-13", level=E, source=EN, layer="core", bts=("BT-109", "BT-106", "BT-107", "BT-108"))
def br_co_13(ctx: Context) -> Iterable[Hit]:
    """BR-CO-13: Total without VAT (BT-109) = Σ line net (BT-106) − allowances (BT-107) + charges (BT-108).

    UBL picks one formula by which of BT-107/BT-108 are present and compares BT-109 with BT-106
    unrounded when neither is; CII accepts any formula whose absent terms are absent.
    """
    t = ctx.invoice.totals
    if t is None:
        return
    line, a, c, tx = dec(t.line_net_total), dec(t.allowance_total), dec(t.charge_total), dec(t.tax_exclusive)
    has_a, has_c = t.allowance_total is not None, t.charge_total is not None
    na = None if a is None else -a
    if ctx.family == "ubl":
        if has_a and has_c:
            ok = _eq(tx, _c(_add(line, c, na)))
        elif has_a:
            ok = _eq(tx, _c(_add(line, na)))
        elif has_c:
            ok = _eq(tx, _c(_add(line, c)))
        else:
            ok = _eq(tx, line)
    else:
        ok = (_eq(tx, _c(_add(line, na, c)))
              or (_eq(tx, _c(_add(line, na))) and not has_c)
              or (_eq(tx, _c(_add(line, c))) and not has_a)
              or (_eq(tx, _c(line)) and not has_c and not has_a))
    if not ok:
        yield hit(t.tax_exclusive.path if t.tax_exclusive is not None else t.path,
                  f"Gesamtbetrag ohne Umsatzsteuer (BT-109) {show(t.tax_exclusive)} ≠ Positionssumme "
                  "(BT-106) "
                  f"{show(t.line_net_total)} − Nachlässe (BT-107) {show(t.allowance_total)} + Zuschläge "
                  "(BT-108) "
                  f"{show(t.charge_total)}.",
                  f"Invoice total without VAT (BT-109) {show(t.tax_exclusive)} ≠ line total (BT-106) "
                  f"{show(t.line_net_total)} − allowances (BT-107) {show(t.allowance_total)} + charges "
                  "(BT-108) "
                  f"{show(t.charge_total)}.")


# --- VAT totals (read from the XML: the model keeps one amount per currency role) --------------


def _xml_decimal(el: etree._Element | None) -> Decimal | None:
    if el is None:
        return None
    return parse_decimal((el.text or "").strip(_WS))


def _xml_double(el: etree._Element) -> float:
    d = _xml_decimal(el)
    return float("nan") if d is None else float(d)


_TAX_TOTAL = clark("cac:TaxTotal")
_TAX_SUBTOTAL = clark("cac:TaxSubtotal")
_TAX_AMOUNT = clark("cbc:TaxAmount")
_CII_SUMMATION = tuple(clark(s) for s in (
    "rsm:SupplyChainTradeTransaction", "ram:ApplicableHeaderTradeSettlement",
    "ram:SpecifiedTradeSettlementHeaderMonetarySummation"))
_CII_TAX_TOTAL_AMOUNT = clark("ram:TaxTotalAmount")


def _ubl_tax_totals(ctx: Context) -> list[etree._Element]:
    got: list[etree._Element] | None = ctx.cache.get("core.ubl_taxtotals")
    if got is None:
        # from the shared index: a parent map answers in a look-up, lxml's tag-filtered
        # iterator costs thousands of instructions per call
        got = doc(ctx).kids(ctx.root, _TAX_TOTAL)
        ctx.cache["core.ubl_taxtotals"] = got
    return got


def _ubl_tax_amounts(ctx: Context) -> list[list[etree._Element]]:
    """The ``cbc:TaxAmount`` children of each ``cac:TaxTotal`` (BR-CO-14 and BR-CO-15 read both)."""
    got: list[list[etree._Element]] | None = ctx.cache.get("core.ubl_taxamounts")
    if got is None:
        kids = doc(ctx).kids
        got = ctx.cache["core.ubl_taxamounts"] = [kids(tt, _TAX_AMOUNT) for tt in _ubl_tax_totals(ctx)]
    return got


def cii_summation(ctx: Context) -> etree._Element | None:
    if "core.cii_sum" not in ctx.cache:
        ctx.cache["core.cii_sum"] = doc(ctx).first(ctx.root, *_CII_SUMMATION)
    got: etree._Element | None = ctx.cache["core.cii_sum"]
    return got


def cii_tax_total_amounts(ctx: Context) -> list[etree._Element]:
    """The header tax total amounts (BT-110/BT-111), listed once per document (do not mutate)."""
    got: list[etree._Element] | None = ctx.cache.get("core.cii_tax_totals")
    if got is None:
        s = cii_summation(ctx)
        got = ctx.cache["core.cii_tax_totals"] = doc(ctx).kids(s, _CII_TAX_TOTAL_AMOUNT)
    return got


@rule("BR-CO-14", level=E, source=EN, layer="core", bts=("BT-110", "BT-117"))
def br_co_14(ctx: Context) -> Iterable[Hit]:
    """BR-CO-14: Invoice total VAT amount (BT-110) = Σ VAT category tax amount (BT-117).

    UBL checks each tax total against its own subtotals (decimal); CII checks each tax total
    amount in the invoice currency against all breakdowns (xs:double).
    """
    if ctx.family == "ubl":
        kids = doc(ctx).kids
        for i, (tt, amounts) in enumerate(zip(_ubl_tax_totals(ctx), _ubl_tax_amounts(ctx), strict=True), 1):
            subs = kids(tt, _TAX_SUBTOTAL)
            if not subs:
                continue
            s = ZERO
            for sub in subs:
                for amt in kids(sub, _TAX_AMOUNT):
                    v = _xml_decimal(amt)
                    if v is not None:
                        s += v
            got = _xml_decimal(amounts[0] if amounts else None)
            expect = cents(s)
            if got is None or got != expect:
                n = len(_ubl_tax_totals(ctx))
                where = f"{root_path(ctx)}/cac:TaxTotal" + (f"[{i}]" if n > 1 else "")
                yield hit(where, f"Umsatzsteuergesamtbetrag (BT-110) {_fmt(got)} ≠ Summe der "
                                 "Steuerbeträge der "
                          f"Kategorien (BT-117) {_fmt(expect)}.",
                          f"Invoice total VAT amount (BT-110) {_fmt(got)} ≠ sum of the category tax amounts "
                          f"(BT-117) {_fmt(expect)}.")
        return
    cur = ctx.invoice.currency_code
    if cur is None:
        return
    expect_f = dcents(dsum(b.tax_amount for b in ctx.invoice.vat_breakdown))
    code = xml_text(ctx, cur)
    for el in cii_tax_total_amounts(ctx):
        if el.get("currencyID") != code:
            continue
        got_f = _xml_double(el)
        if got_f != expect_f:
            t = ctx.invoice.totals
            yield hit(t.path + "/ram:TaxTotalAmount" if t is not None else root_path(ctx),
                      f"Umsatzsteuergesamtbetrag (BT-110) '{(el.text or '').strip()}' ≠ Summe der "
                      "Steuerbeträge "
                      f"der Kategorien (BT-117) {_fmt(expect_f)}.",
                      f"Invoice total VAT amount (BT-110) '{(el.text or '').strip()}' ≠ sum of the "
                      "category tax "
                      f"amounts (BT-117) {_fmt(expect_f)}.")


@rule("BR-CO-15", level=E, source=EN, layer="core", bts=("BT-112", "BT-109", "BT-110"))
def br_co_15(ctx: Context) -> Iterable[Hit]:
    """BR-CO-15: Invoice total with VAT (BT-112) = total without VAT (BT-109) + total VAT amount (BT-110).

    Exactly one tax total in the invoice currency is required; CII also accepts BT-112 = BT-109.
    """
    inv = ctx.invoice
    cur = inv.currency_code
    if cur is None:
        return
    t = inv.totals
    incl = dec(t.tax_inclusive) if t is not None else None
    excl = dec(t.tax_exclusive) if t is not None else None
    code = xml_text(ctx, cur)
    if ctx.family == "ubl":
        vats = [a for amounts in _ubl_tax_amounts(ctx) for a in amounts if a.get("currencyID") == code]
        vat = _xml_decimal(vats[0]) if len(vats) == 1 else None
        ok = len(vats) == 1 and _eq(incl, _c(_add(excl, vat)))
    else:
        vats = [a for a in cii_tax_total_amounts(ctx) if a.get("currencyID") == code]
        vat = _xml_decimal(vats[0]) if len(vats) == 1 else None
        ok = (len(vats) == 1 and _eq(incl, _c(_add(excl, vat)))) or _eq(incl, excl)
    if not ok:
        where = t.tax_inclusive.path if t is not None and t.tax_inclusive is not None else root_path(ctx)
        yield hit(where, f"Gesamtbetrag mit Umsatzsteuer (BT-112) {_fmt(incl)} ≠ Gesamtbetrag ohne "
                         "Umsatzsteuer "
                  f"(BT-109) {_fmt(excl)} + Umsatzsteuergesamtbetrag (BT-110) {_fmt(vat)} "
                  f"({len(vats)} Steuergesamtbetrag/-beträge in {cur.raw}).",
                  f"Invoice total with VAT (BT-112) {_fmt(incl)} ≠ total without VAT (BT-109) {_fmt(excl)} + "
                  f"total VAT amount (BT-110) {_fmt(vat)} ({len(vats)} VAT total(s) in {cur.raw}).")


@rule("BR-CO-16", level=E, source=EN, layer="core", bts=("BT-115", "BT-112", "BT-113", "BT-114"))
def br_co_16(ctx: Context) -> Iterable[Hit]:
    """BR-CO-16: Amount due (BT-115) = total with VAT (BT-112) − paid (BT-113) + rounding (BT-114).

    UBL rounds to cents and picks the formula by which of BT-113/BT-114 exist. CII compares
    without rounding and treats a zero paid or rounding amount like an absent one.
    """
    t = ctx.invoice.totals
    if t is None:
        return
    due, g, p, r = dec(t.payable), dec(t.tax_inclusive), dec(t.paid), dec(t.rounding)
    np_ = None if p is None else -p
    nr = None if r is None else -r
    if ctx.family == "ubl":
        has_p, has_r = t.paid is not None, t.rounding is not None
        if has_p and not has_r:
            ok = _eq(due, _c(_add(g, np_)))
        elif not has_p and not has_r:
            ok = _eq(due, g)
        elif has_p:
            ok = _eq(_c(_add(due, nr)), _c(_add(g, np_)))
        else:
            ok = _eq(_c(_add(due, nr)), g)
    else:
        no_p = p is None or p == 0
        no_r = r is None or r == 0
        ok = (_eq(due, _add(g, np_, r))
              or (_eq(due, _add(g, r)) and no_p)
              or (_eq(due, _add(g, np_)) and no_r)
              or (_eq(due, g) and no_p and no_r))
    if not ok:
        yield hit(t.payable.path if t.payable is not None else t.path,
                  f"Fälliger Betrag (BT-115) {show(t.payable)} ≠ Gesamtbetrag mit Umsatzsteuer (BT-112) "
                  f"{show(t.tax_inclusive)} − gezahlter Betrag (BT-113) {show(t.paid)} + Rundungsbetrag "
                  "(BT-114) "
                  f"{show(t.rounding)}.",
                  f"Amount due (BT-115) {show(t.payable)} ≠ total with VAT (BT-112) "
                  f"{show(t.tax_inclusive)} − "
                  f"paid amount (BT-113) {show(t.paid)} + rounding amount (BT-114) {show(t.rounding)}.")


@rule("BR-CO-17", level=E, source=EN, layer="core", bts=("BT-117", "BT-116", "BT-119"))
def br_co_17(ctx: Context) -> Iterable[Hit]:
    """BR-CO-17: VAT category tax amount (BT-117) = taxable amount (BT-116) × rate (BT-119) / 100, rounded.

    A difference of up to one currency unit is tolerated: UBL strictly below 1, CII up to 1.
    """
    strict = ctx.family == "ubl"
    for b in breakdown_contexts(ctx):
        pct, ta, base = dec(vat_rate(ctx, b)), dec(b.tax_amount), dec(b.taxable_amount)
        ok = False
        if pct is not None:
            if xround(pct) == 0:
                ok = ta is not None and xround(ta) == 0
            elif ta is not None and base is not None:
                calc = cents(abs(base) * (pct / HUNDRED))
                lo, hi = abs(ta) - 1, abs(ta) + 1
                ok = (lo < calc < hi) if strict else (lo <= calc <= hi)
        else:
            ok = ta is not None and xround(ta) == 0
        if not ok:
            yield hit(b.path, f"Kategorie {show(b.category_code)}: Steuerbetrag (BT-117) "
                              f"{show(b.tax_amount)} passt "
                      f"nicht zu Nettobetrag (BT-116) {show(b.taxable_amount)} × Satz (BT-119) "
                      f"{show(b.rate)} %.",
                      f"Category {show(b.category_code)}: tax amount (BT-117) {show(b.tax_amount)} does "
                      "not match "
                      f"taxable amount (BT-116) {show(b.taxable_amount)} × rate (BT-119) {show(b.rate)} %.")


@rule("BR-CO-18", level=E, source=EN, layer="core", bts=("BG-23",))
def br_co_18(ctx: Context) -> Iterable[Hit]:
    """BR-CO-18: An invoice shall have at least one VAT breakdown (BG-23).

    CII asks it from every line, so a CII document without lines is not checked.
    """
    if ctx.invoice.vat_breakdown:
        return
    de = "Die Rechnung enthält keine Umsatzsteueraufschlüsselung (BG-23)."
    en = "The invoice has no VAT breakdown (BG-23)."
    if ctx.family == "ubl":
        yield hit(root_path(ctx), de, en)
        return
    for line in rule_lines(ctx):
        yield hit(line.path, de, en)


# --- periods -----------------------------------------------------------------------------------


def _sub_lines(lines: list[InvoiceLine]) -> Iterable[InvoiceLine]:
    for line in lines:
        for sub in line.sub_lines:
            yield sub
            yield from _sub_lines([sub])


_INVOICE_PERIOD = clark("cac:InvoicePeriod")
_PERIOD_GIVEN = frozenset(clark(n) for n in ("cbc:StartDate", "cbc:EndDate", "cbc:DescriptionCode"))


@rule("BR-CO-19", level=E, source=EN, layer="core", bts=("BG-14", "BT-73", "BT-74"))
def br_co_19(ctx: Context) -> Iterable[Hit]:
    """BR-CO-19: An invoicing period (BG-14) shall have a start date (BT-73) or an end date (BT-74).

    In UBL a period with only a VAT point date code (BT-8) passes, and the context also reaches
    sub-line periods. Document periods are read from the XML: the model keeps only one.
    """
    de = "Der Abrechnungszeitraum (BG-14) enthält weder Anfangs- (BT-73) noch Enddatum (BT-74)."
    en = "The invoicing period (BG-14) has neither a start date (BT-73) nor an end date (BT-74)."
    if ctx.family == "ubl":
        periods = doc(ctx).kids(ctx.root, _INVOICE_PERIOD)
        for i, el in enumerate(periods, 1):
            # one loop over the period's few children instead of three lxml look-ups
            nodes: Iterable[Node] = el
            if not any(c.tag in _PERIOD_GIVEN for c in nodes):
                pos = f"[{i}]" if len(periods) > 1 else ""
                yield hit(f"{root_path(ctx)}/cac:InvoicePeriod{pos}", de, en)
        for line in _sub_lines(ctx.invoice.lines):
            p = line.period
            if p is not None and p.start is None and p.end is None:
                yield hit(p.path, de, en)
        return
    ip = ctx.invoice.invoicing_period
    if ip is not None and ip.start is None and ip.end is None:
        yield hit(ip.path, de, en)


@rule("BR-CO-20", level=E, source=EN, layer="core", bts=("BG-26", "BT-134", "BT-135"))
def br_co_20(ctx: Context) -> Iterable[Hit]:
    """BR-CO-20: An invoice line period (BG-26) shall have a start date (BT-134) or an end date (BT-135)."""
    for line in rule_lines(ctx):
        p = line.period
        if p is not None and p.start is None and p.end is None:
            yield hit(p.path, f"Der Leistungszeitraum der Position {line_label(line)} (BG-26) enthält weder "
                      "Anfangs- (BT-134) noch Enddatum (BT-135).",
                      f"The period of line {line_label(line)} (BG-26) has neither a start date (BT-134) nor "
                      "an end date (BT-135).")


# --- reasons (the same tests as BR-33/38/42/44, reported under their own ids) -------------------


@rule("BR-CO-21", level=E, source=EN, layer="core", bts=("BT-97", "BT-98"))
def br_co_21(ctx: Context) -> Iterable[Hit]:
    """BR-CO-21: Each document level allowance (BG-20) shall contain a reason (BT-97) or a reason code "
      "(BT-98)."""
    for a in doc_allowance_contexts(ctx)[0]:
        if a.reason is None and a.reason_code is None:
            yield hit(a.path, "Ein Nachlass auf Dokumentebene (BG-20) nennt weder Grund (BT-97) noch "
                              "Grundcode "
                      "(BT-98).", "A document level allowance (BG-20) has neither reason (BT-97) nor reason "
                      "code (BT-98).")


@rule("BR-CO-22", level=E, source=EN, layer="core", bts=("BT-104", "BT-105"))
def br_co_22(ctx: Context) -> Iterable[Hit]:
    """BR-CO-22: Each document level charge (BG-21) shall contain a reason (BT-104) or a reason code "
      "(BT-105)."""
    for c in doc_allowance_contexts(ctx)[1]:
        if c.reason is None and c.reason_code is None:
            yield hit(c.path, "Ein Zuschlag auf Dokumentebene (BG-21) nennt weder Grund (BT-104) noch "
                              "Grundcode "
                      "(BT-105).", "A document level charge (BG-21) has neither reason (BT-104) nor reason "
                      "code (BT-105).")


@rule("BR-CO-23", level=E, source=EN, layer="core", bts=("BT-139", "BT-140"))
def br_co_23(ctx: Context) -> Iterable[Hit]:
    """BR-CO-23: Each invoice line allowance (BG-27) shall contain a reason (BT-139) or a reason code "
      "(BT-140)."""
    for line, a in line_allowance_contexts(ctx)[0]:
        if a.reason is None and a.reason_code is None:
            yield hit(a.path, f"Ein Nachlass der Position {line_label(line)} (BG-27) nennt weder Grund "
                              "(BT-139) "
                      "noch Grundcode (BT-140).", f"An allowance of line {line_label(line)} (BG-27) has "
                                                  "neither "
                      "reason (BT-139) nor reason code (BT-140).")


@rule("BR-CO-24", level=E, source=EN, layer="core", bts=("BT-144", "BT-145"))
def br_co_24(ctx: Context) -> Iterable[Hit]:
    """BR-CO-24: Each invoice line charge (BG-28) shall contain a reason (BT-144) or a reason code "
      "(BT-145)."""
    for line, c in line_allowance_contexts(ctx)[1]:
        if c.reason is None and c.reason_code is None:
            yield hit(c.path, f"Ein Zuschlag der Position {line_label(line)} (BG-28) nennt weder Grund "
                              "(BT-144) "
                      "noch Grundcode (BT-145).", f"A charge of line {line_label(line)} (BG-28) has neither "
                      "reason (BT-144) nor reason code (BT-145).")


@rule("BR-CO-25", level=E, source=EN, layer="core", bts=("BT-115", "BT-9", "BT-20"))
def br_co_25(ctx: Context) -> Iterable[Hit]:
    """BR-CO-25: A positive amount due (BT-115) needs a payment due date (BT-9) or payment terms (BT-20).

    The UBL rule is bound to the Invoice root only: UBL credit notes are never checked.
    """
    inv = ctx.invoice
    if ctx.syntax == "ubl-creditnote":
        return
    t = inv.totals
    due = t.payable if t is not None else None
    if ctx.family == "ubl" and due is None:
        return
    if not num(due) > 0:
        return
    date = inv.payment_due_date
    if ctx.family == "ubl":
        has_date = date is not None and date.path.endswith("cbc:DueDate")
    else:
        has_date = present(date)
    if has_date or inv.payment_terms is not None:
        return
    yield hit(due.path if due is not None else root_path(ctx),
              f"Der fällige Betrag (BT-115) {show(due)} ist positiv, aber weder Fälligkeitsdatum (BT-9) noch "
              "Zahlungsbedingungen (BT-20) sind angegeben.",
              f"The amount due (BT-115) {show(due)} is positive, but neither a payment due date (BT-9) nor "
              "payment terms (BT-20) are given.")


def _vat_scheme(el: etree._Element) -> bool:
    """``cac:TaxScheme/normalize-space(upper-case(cbc:ID)) = 'VAT'``."""
    return any(" ".join((x.text or "").split()).upper() == "VAT"
               for x in each(el, "cac:TaxScheme/cbc:ID"))


_POSITIONS = re.compile(r"\[[0-9]+\]")


def _read_from(v: Identifier | None, parent: str, steps: str) -> bool:
    """Whether the reader took ``v`` from an element ``parent/steps`` (any positions in ``steps``)."""
    if v is None or not v.path.startswith(parent + "/"):
        return False
    return _POSITIONS.sub("", v.path[len(parent) + 1:]) == steps


def _seller_id_in_model(ctx: Context) -> bool:
    """Whether the model proves that BR-CO-26's XML test passes (the usual case).

    An identifier the reader took from the element the test looks at is one the test finds.
    The parent path is unindexed, so it names the first (only) such element, as the test does.
    """
    s = ctx.invoice.seller
    if s is None:
        return False
    if ctx.family == "ubl":
        party = f"{root_path(ctx)}/cac:AccountingSupplierParty/cac:Party"
        return (any(_read_from(i, party, "cac:PartyIdentification/cbc:ID") for i in s.identifiers)
                or _read_from(s.legal_registration_id, party, "cac:PartyLegalEntity/cbc:CompanyID"))
    return (any(_read_from(i, s.path, "ram:ID") or _read_from(i, s.path, "ram:GlobalID")
                for i in s.identifiers)
            or _read_from(s.legal_registration_id, s.path, "ram:SpecifiedLegalOrganization/ram:ID")
            or (s.vat_identifier is not None and s.vat_identifier.scheme == "VA"
                and _read_from(s.vat_identifier, s.path, "ram:SpecifiedTaxRegistration/ram:ID")))


@rule("BR-CO-26", level=E, source=EN, layer="core", bts=("BT-29", "BT-30", "BT-31"))
def br_co_26(ctx: Context) -> Iterable[Hit]:
    """BR-CO-26: The seller shall have an identifier (BT-29), registration id (BT-30) or VAT id (BT-31).

    Read from the seller element: any party identifier counts (also one with scheme SEPA), and
    in CII a global identifier without scheme too.
    """
    if _seller_id_in_model(ctx):
        return
    if ctx.family == "ubl":
        el = first(ctx.root, "cac:AccountingSupplierParty")
        if el is None:
            return
        p = first(el, "cac:Party")
        ok = p is not None and (
            first(p, "cac:PartyIdentification/cbc:ID") is not None
            or first(p, "cac:PartyLegalEntity/cbc:CompanyID") is not None
            or any(first(ts, "cbc:CompanyID") is not None and _vat_scheme(ts)
                   for ts in each(p, "cac:PartyTaxScheme")))
        where = f"{root_path(ctx)}/cac:AccountingSupplierParty"
    else:
        s = ctx.invoice.seller
        el = element_at(ctx, s.path) if s is not None else None
        if el is None:
            return
        ok = (first(el, "ram:ID") is not None or first(el, "ram:GlobalID") is not None
              or first(el, "ram:SpecifiedLegalOrganization/ram:ID") is not None
              or any(x.get("schemeID") == "VA"
                     for x in each(el, "ram:SpecifiedTaxRegistration/ram:ID")))
        seller = ctx.invoice.seller
        where = seller.path if seller is not None else root_path(ctx)
    if not ok:
        yield hit(where, "Der Verkäufer hat weder Kennung (BT-29) noch Registernummer (BT-30) noch "
                  "Umsatzsteuer-Identifikationsnummer (BT-31).",
                  "The seller has no identifier (BT-29), legal registration identifier (BT-30) or VAT "
                  "identifier (BT-31).")
