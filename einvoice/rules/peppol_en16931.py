"""PEPPOL-EN16931-R*: the Peppol BIS Billing 3 rules merged into the XRechnung Schematron.

They read the document through the shared index: their contexts are "this element anywhere",
and one Schematron pattern hands a node only to its first matching rule, so an allowance with a
percentage but no base amount gets R041 and is no longer checked by R040/R043.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

from einvoice.rules._xr_helpers import (
    DEC,
    UBL_INVOICE_ROOT,
    UDT_DATETIMESTRING,
    UDT_INDICATOR,
    Doc,
    El,
    cac,
    cbc,
    doc,
    el_decimal,
    fmt,
    hit,
    normalize,
    ram,
    round2,
    rsm,
    slack,
    string_value,
    text_nodes,
    to_double,
    xr_rule,
    xs_date_instant,
)
from einvoice.rules.registry import Check, Context, Family, Hit
from einvoice.scenario import Level


def _p(
    rule_id: str, level: Level, bts: tuple[str, ...] = (), syntaxes: tuple[Family, ...] = ("ubl", "cii")
) -> Callable[[Check], Check]:
    return xr_rule(rule_id, level=level, layer="peppol", bts=bts, syntaxes=syntaxes)


# --- document level ------------------------------------------------------------------------------


@_p("PEPPOL-EN16931-R001", "error", ("BT-23",))
def peppol_r001(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R001: The business process (BT-23) must be given."""
    d = doc(ctx)
    if ctx.family == "cii":
        for c in d.kids(ctx.root, rsm("ExchangedDocumentContext")):
            if not d.below(c, ram("BusinessProcessSpecifiedDocumentContextParameter"), ram("ID")):
                yield hit(
                    c, "Der Geschäftsprozess (BT-23) fehlt.", "The business process (BT-23) is missing."
                )
    elif d.kid(ctx.root, cbc("ProfileID")) is None:
        yield hit(ctx.root, "Der Geschäftsprozess (BT-23) fehlt.", "The business process (BT-23) is missing.")


@_p("PEPPOL-EN16931-R008", "error")
def peppol_r008(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R008: The document must not contain empty elements."""
    for e in doc(ctx).empty_leaves:
        yield hit(e, "Das Element ist leer.", "The element is empty.")


def _join_text(el: El | None) -> str:
    if el is None:
        return ""
    if not len(el):  # a leaf (no child, comment or PI): its text is its only text node
        return el.text or ""
    return "".join(text_nodes(el))




@_p("PEPPOL-EN16931-R005", "error", ("BT-5", "BT-6"))
def peppol_r005(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R005: VAT accounting currency (BT-6) differs from invoice currency (BT-5)."""
    d = doc(ctx)
    if d.cii:
        for s in d.all(ram("ApplicableHeaderTradeSettlement")):
            tax = d.kid(s, ram("TaxCurrencyCode"))
            if tax is None:
                continue
            inv = d.kid(s, ram("InvoiceCurrencyCode"))
            if normalize(_join_text(tax)) == normalize(_join_text(inv)):
                yield _same_currency(tax)
        return
    for tax in d.all(cbc("TaxCurrencyCode")):
        parent = tax.getparent()
        inv = d.kid(parent, cbc("DocumentCurrencyCode"))
        if normalize(_join_text(tax)) == normalize(_join_text(inv)):
            yield _same_currency(tax)


def _same_currency(el: El) -> Hit:
    code = normalize(_join_text(el))
    return hit(
        el,
        f"Die Umsatzsteuer-Buchungswährung (BT-6) '{code}' ist gleich der Rechnungswährung (BT-5).",
        f"The VAT accounting currency (BT-6) '{code}' equals the invoice currency (BT-5).",
    )


def _tax_totals_ubl(d: Doc, root: El) -> tuple[list[El], list[El]]:
    """UBL cac:TaxTotal elements with and without tax subtotals."""
    with_sub: list[El] = []
    without: list[El] = []
    for t in d.kids(root, cac("TaxTotal")):
        (with_sub if d.kid(t, cac("TaxSubtotal")) is not None else without).append(t)
    return with_sub, without


def _cii_tax_amounts(d: Doc, s: El) -> list[El]:
    return d.below(s, ram("SpecifiedTradeSettlementHeaderMonetarySummation"), ram("TaxTotalAmount"))


def _doc_currencies(d: Doc) -> list[str]:
    return [string_value(e) for e in d.currency_nodes()]


@_p("PEPPOL-EN16931-R053", "error", ("BT-110",))
def peppol_r053(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R053: Exactly one VAT total with breakdown (in the invoice currency)."""
    d = doc(ctx)
    if d.cii:
        cur = _doc_currencies(d)
        for s in d.all(ram("ApplicableHeaderTradeSettlement")):
            n = sum(1 for a in _cii_tax_amounts(d, s) if a.get("currencyID") in cur)
            if n > 1:
                yield hit(
                    s,
                    f"{n} Umsatzsteuer-Gesamtbeträge in Rechnungswährung statt höchstens einem.",
                    f"{n} VAT total amounts in the invoice currency instead of at most one.",
                )
        return
    with_sub, _ = _tax_totals_ubl(d, ctx.root)
    if len(with_sub) != 1:
        yield hit(
            ctx.root,
            f"{len(with_sub)} Steuersummen mit Aufschlüsselung statt genau einer.",
            f"{len(with_sub)} tax totals with subtotals instead of exactly one.",
        )


@_p("PEPPOL-EN16931-R054", "error", ("BT-111", "BT-6"))
def peppol_r054(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R054: One VAT total in accounting currency (BT-111) exactly when BT-6 is given."""
    d = doc(ctx)
    if d.cii:
        cur = _doc_currencies(d)
        for s in d.all(ram("ApplicableHeaderTradeSettlement")):
            n = sum(
                1
                for a in _cii_tax_amounts(d, s)
                if (cid := a.get("currencyID")) is not None and any(cid != c for c in cur)
            )
            want = 1 if d.kid(s, ram("TaxCurrencyCode")) is not None else 0
            if n != want:
                yield hit(
                    s,
                    f"{n} Umsatzsteuer-Gesamtbeträge in anderer Währung, erwartet {want}.",
                    f"{n} VAT total amounts in another currency, expected {want}.",
                )
        return
    _, without = _tax_totals_ubl(d, ctx.root)
    want = 1 if d.kid(ctx.root, cbc("TaxCurrencyCode")) is not None else 0
    if len(without) != want:
        yield hit(
            ctx.root,
            f"{len(without)} Steuersummen ohne Aufschlüsselung, erwartet {want}.",
            f"{len(without)} tax totals without subtotals, expected {want}.",
        )


def _signs(values: list[float | None], cmp: str) -> bool:
    """Existential comparison of untyped amounts with zero (values cast to xs:double)."""
    vals = [v for v in values if v is not None]
    if cmp == "<=":
        return any(v <= 0 for v in vals)
    if cmp == "<":
        return any(v < 0 for v in vals)
    return any(v >= 0 for v in vals)


@_p("PEPPOL-EN16931-R055", "error", ("BT-110", "BT-111"))
def peppol_r055(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R055: VAT totals in both currencies (BT-110, BT-111) share their sign."""
    d = doc(ctx)
    msg = (
        "Die Umsatzsteuer-Gesamtbeträge in Rechnungs- und Buchungswährung (BT-110, BT-111) haben "
        "unterschiedliche Vorzeichen.",
        "The VAT totals in invoice and accounting currency (BT-110, BT-111) differ in sign.",
    )
    if d.cii:
        cur = _doc_currencies(d)
        tax_cur = [string_value(e) for e in d.below(d.settlement, ram("TaxCurrencyCode"))]
        for s in d.all(ram("ApplicableHeaderTradeSettlement")):
            amounts = _cii_tax_amounts(d, s)
            in_doc = [to_double(string_value(a)) for a in amounts if a.get("currencyID") in cur]
            in_tax = [to_double(string_value(a)) for a in amounts if a.get("currencyID") in tax_cur]
            if not (tax_cur and in_doc):
                continue
            if not (
                (_signs(in_tax, "<") and _signs(in_doc, "<"))
                or (_signs(in_tax, ">=") and _signs(in_doc, ">="))
            ):
                yield hit(s, *msg)
        return
    root = ctx.root
    tax_code = d.kid(root, cbc("TaxCurrencyCode"))
    if tax_code is None:
        return
    tax_cur_s = normalize(string_value(tax_code))
    doc_cur_s = normalize(string_value(d.kid(root, cbc("DocumentCurrencyCode"))))
    amounts = d.below(root, cac("TaxTotal"), cbc("TaxAmount"))
    in_tax_u = [to_double(string_value(a)) for a in amounts if a.get("currencyID") == tax_cur_s]
    in_doc_u = [to_double(string_value(a)) for a in amounts if a.get("currencyID") == doc_cur_s]
    if not (
        (_signs(in_tax_u, "<=") and _signs(in_doc_u, "<="))
        or (_signs(in_tax_u, ">=") and _signs(in_doc_u, ">="))
    ):
        yield hit(root, *msg)


# --- parties -------------------------------------------------------------------------------------


@_p("PEPPOL-EN16931-R010", "error", ("BT-49",))
def peppol_r010(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R010: The buyer electronic address (BT-49) must be given."""
    d = doc(ctx)
    if d.cii:
        parties = d.all(ram("BuyerTradeParty"))
        missing = [p for p in parties if not d.below(p, ram("URIUniversalCommunication"), ram("URIID"))]
    else:
        parties = d.under(cac("Party"), cac("AccountingCustomerParty"))
        missing = [p for p in parties if d.kid(p, cbc("EndpointID")) is None]
    for p in missing:
        yield hit(
            p,
            "Die elektronische Adresse des Käufers (BT-49) fehlt.",
            "The buyer electronic address (BT-49) is missing.",
        )


@_p("PEPPOL-EN16931-R020", "error", ("BT-34",))
def peppol_r020(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R020: The seller electronic address (BT-34) must be given."""
    d = doc(ctx)
    if d.cii:
        parties = d.all(ram("SellerTradeParty"))
        missing = [p for p in parties if not d.below(p, ram("URIUniversalCommunication"), ram("URIID"))]
    else:
        parties = d.under(cac("Party"), cac("AccountingSupplierParty"))
        missing = [p for p in parties if d.kid(p, cbc("EndpointID")) is None]
    for p in missing:
        yield hit(
            p,
            "Die elektronische Adresse des Verkäufers (BT-34) fehlt.",
            "The seller electronic address (BT-34) is missing.",
        )


# --- allowances and charges ----------------------------------------------------------------------


def _allowances(ctx: Context) -> list[tuple[El, str]]:
    """Document and line allowances/charges, each with the rule of the pattern that handles it.

    "R041" (percentage without base), "R042" (base without percentage) or "R040" (all others,
    also checked by R043/R043-1).
    """
    cached = ctx.cache.get("xr.peppol.ac")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    d = doc(ctx)
    if d.cii:
        acs = d.all(ram("SpecifiedTradeAllowanceCharge"))
        pct, base = ram("CalculationPercent"), ram("BasisAmount")
    else:
        root = ctx.root
        line = cac("InvoiceLine") if root.tag == UBL_INVOICE_ROOT else cac("CreditNoteLine")
        acs = d.kids(root, cac("AllowanceCharge")) + d.below(root, line, cac("AllowanceCharge"))
        pct, base = cbc("MultiplierFactorNumeric"), cbc("BaseAmount")
    out: list[tuple[El, str]] = []
    for ac in acs:
        has_p, has_b = d.kid(ac, pct) is not None, d.kid(ac, base) is not None
        out.append((ac, "R041" if has_p and not has_b else "R042" if has_b and not has_p else "R040"))
    ctx.cache["xr.peppol.ac"] = out
    return out


@_p("PEPPOL-EN16931-R040", "error", ("BT-92", "BT-93", "BT-94", "BT-99", "BT-100", "BT-101"))
def peppol_r040(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R040: Allowance/charge amount = base amount * percentage / 100 (within tolerance)."""
    d = doc(ctx)
    if d.cii:
        amt, pct, base = ram("ActualAmount"), ram("CalculationPercent"), ram("BasisAmount")
    else:
        amt, pct, base = cbc("Amount"), cbc("MultiplierFactorNumeric"), cbc("BaseAmount")
    tol = d.slack_value()
    for ac, which in _allowances(ctx):
        if which != "R040":
            continue
        p_el, b_el = d.kid(ac, pct), d.kid(ac, base)
        if p_el is None or b_el is None:
            continue
        a_el = d.kid(ac, amt)
        a = Decimal(0) if a_el is None else el_decimal(a_el)
        p, b = el_decimal(p_el), el_decimal(b_el)
        if a is None or p is None or b is None:
            continue  # not castable: the original stops with an error, no finding
        expected = DEC.divide(DEC.multiply(b, p), Decimal(100))
        if not slack(a, expected, tol):
            yield hit(
                ac,
                f"Der Betrag {fmt(a)} weicht von Basisbetrag {fmt(b)} × {fmt(p)} % = {fmt(expected)} ab.",
                f"The amount {fmt(a)} differs from base amount {fmt(b)} × {fmt(p)} % = {fmt(expected)}.",
            )


@_p("PEPPOL-EN16931-R041", "error", ("BT-93", "BT-100"))
def peppol_r041(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R041: An allowance/charge percentage requires the base amount."""
    for ac, which in _allowances(ctx):
        if which == "R041":
            yield hit(
                ac,
                "Prozentsatz ohne Basisbetrag bei Ab-/Zuschlag.",
                "Allowance/charge percentage without base amount.",
            )


@_p("PEPPOL-EN16931-R042", "error", ("BT-94", "BT-101"))
def peppol_r042(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R042: An allowance/charge base amount requires the percentage."""
    for ac, which in _allowances(ctx):
        if which == "R042":
            yield hit(
                ac,
                "Basisbetrag ohne Prozentsatz bei Ab-/Zuschlag.",
                "Allowance/charge base amount without percentage.",
            )


def _indicator_hits(d: Doc, acs: list[El], cii: bool) -> Iterator[Hit]:
    for ac in acs:
        ind = d.first(ac, ram("ChargeIndicator"), UDT_INDICATOR) if cii else d.kid(ac, cbc("ChargeIndicator"))
        value = normalize(_join_text(ind))
        if value not in ("true", "false"):
            yield hit(
                ac,
                f"Der Ab-/Zuschlagsindikator '{value}' ist weder 'true' noch 'false'.",
                f"The allowance/charge indicator '{value}' is neither 'true' nor 'false'.",
            )


@_p("PEPPOL-EN16931-R043", "error", syntaxes=("ubl",))
def peppol_r043(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R043: The allowance/charge indicator must be 'true' or 'false'."""
    d = doc(ctx)
    yield from _indicator_hits(d, [ac for ac, w in _allowances(ctx) if w == "R040"], cii=False)


@_p("PEPPOL-EN16931-R043-1", "error", syntaxes=("cii",))
def peppol_r043_1(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R043-1: The allowance/charge indicator must be 'true' or 'false'."""
    d = doc(ctx)
    yield from _indicator_hits(d, [ac for ac, w in _allowances(ctx) if w == "R040"], cii=True)


@_p("PEPPOL-EN16931-R043-2", "error", syntaxes=("cii",))
def peppol_r043_2(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R043-2: The price allowance indicator must be 'true' or 'false'."""
    d = doc(ctx)
    yield from _indicator_hits(d, doc(ctx).all(ram("AppliedTradeAllowanceCharge")), cii=True)


def _cii_gross_prices(d: Doc) -> list[El]:
    """GrossPriceProductTradePrice of line items directly in a transaction (the R044/R046 context)."""
    out = []
    for g in d.under(ram("GrossPriceProductTradePrice"), ram("SpecifiedLineTradeAgreement")):
        line = g.getparent().getparent()  # type: ignore[union-attr]
        tx = line.getparent() if line is not None else None
        if (
            line is not None
            and line.tag == ram("IncludedSupplyChainTradeLineItem")
            and tx is not None
            and tx.tag == rsm("SupplyChainTradeTransaction")
        ):
            out.append(g)
    return out


@_p("PEPPOL-EN16931-R044", "error", ("BT-147",))
def peppol_r044(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R044: Charges on price level are not allowed (only price discounts)."""
    d = doc(ctx)
    if d.cii:
        for g in _cii_gross_prices(d):
            atac = d.kids(g, ram("AppliedTradeAllowanceCharge"))
            if not any(d.kid(a, ram("ActualAmount")) is not None for a in atac):
                continue
            if not any(
                string_value(i) == "false"
                for a in atac
                for i in d.below(a, ram("ChargeIndicator"), UDT_INDICATOR)
            ):
                yield hit(
                    g,
                    "Zuschläge auf Preisebene sind nicht erlaubt.",
                    "Charges on price level are not allowed.",
                )
        return
    for ac in d.under(cac("AllowanceCharge"), cac("Price")):
        if normalize(string_value(d.kid(ac, cbc("ChargeIndicator")))) != "false":
            yield hit(
                ac, "Zuschläge auf Preisebene sind nicht erlaubt.", "Charges on price level are not allowed."
            )


@_p("PEPPOL-EN16931-R046", "error", ("BT-146", "BT-147", "BT-148"))
def peppol_r046(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R046: Item net price (BT-146) = gross price (BT-148) - price discount (BT-147)."""
    d = doc(ctx)
    if d.cii:
        for g in _cii_gross_prices(d):
            gross_el = d.kid(g, ram("ChargeAmount"))
            if gross_el is None:
                continue
            net = el_decimal(d.first(g.getparent(), ram("NetPriceProductTradePrice"), ram("ChargeAmount")))
            gross = el_decimal(gross_el)
            disc_el = d.first(g, ram("AppliedTradeAllowanceCharge"), ram("ActualAmount"))
            disc = el_decimal(disc_el) if disc_el is not None else None
            disc = disc if disc is not None else Decimal(0)
            if net is None or gross is None or net != gross - disc:
                yield _price_hit(g, net, gross, disc)
        return
    for ac in d.under(cac("AllowanceCharge"), cac("Price")):
        base_el = d.kid(ac, cbc("BaseAmount"))
        if base_el is None:
            continue
        net = el_decimal(d.kid(ac.getparent(), cbc("PriceAmount")))
        gross = el_decimal(base_el)
        disc = el_decimal(d.kid(ac, cbc("Amount")))
        if net is None or gross is None or disc is None or net != gross - disc:
            yield _price_hit(ac, net, gross, disc)


def _price_hit(el: El, net: Decimal | None, gross: Decimal | None, disc: Decimal | None) -> Hit:
    return hit(
        el,
        f"Nettopreis {fmt(net)} ≠ Bruttopreis {fmt(gross)} - Rabatt {fmt(disc)} (BT-146/147/148).",
        f"Net price {fmt(net)} ≠ gross price {fmt(gross)} - discount {fmt(disc)} (BT-146/147/148).",
    )


# --- payment -------------------------------------------------------------------------------------


@_p("PEPPOL-EN16931-R061", "error", ("BT-89",))
def peppol_r061(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R061: Direct debit (BT-81 = 49, 59) requires the mandate reference (BT-89)."""
    d = doc(ctx)
    if d.cii:
        for pm in d.all(ram("SpecifiedTradeSettlementPaymentMeans")):
            if normalize(string_value(d.kid(pm, ram("TypeCode")))) in ("49", "59") and not d.below(
                pm.getparent(), ram("SpecifiedTradePaymentTerms"), ram("DirectDebitMandateID")
            ):
                yield _no_mandate(pm)
        return
    for pm in d.all(cac("PaymentMeans")):
        if normalize(string_value(d.kid(pm, cbc("PaymentMeansCode")))) in ("49", "59") and not d.below(
            pm, cac("PaymentMandate"), cbc("ID")
        ):
            yield _no_mandate(pm)


def _no_mandate(el: El) -> Hit:
    return hit(
        el, "Lastschrift ohne Mandatsreferenz (BT-89).", "Direct debit without mandate reference (BT-89)."
    )


# --- lines ---------------------------------------------------------------------------------------


def _lines(ctx: Context) -> list[El]:
    d = doc(ctx)
    if d.cii:
        return d.all(ram("IncludedSupplyChainTradeLineItem"))
    return d.all(cac("InvoiceLine")) + d.all(cac("CreditNoteLine"))


@_p("PEPPOL-EN16931-R101", "error", ("BT-128",))
def peppol_r101(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R101: A line document reference may only be an invoiced object (type 130)."""
    d = doc(ctx)
    cii = ctx.family == "cii"
    for ln in _lines(ctx):
        if cii:
            refs = d.below(ln, ram("SpecifiedLineTradeSettlement"), ram("AdditionalReferencedDocument"))
            codes = [string_value(c) for r in refs for c in d.kids(r, ram("TypeCode"))]
        else:
            refs = d.kids(ln, cac("DocumentReference"))
            codes = [string_value(c) for r in refs for c in d.kids(r, cbc("DocumentTypeCode"))]
        if refs and "130" not in codes:
            yield hit(
                ln,
                "Ein Dokumentverweis in der Position darf nur die Objektkennung (Typ 130) sein.",
                "A line document reference may only be the invoiced object identifier (type 130).",
            )


class _Children:
    """The children of one tag under any parent, from the document index (one map per tag)."""

    def __init__(self, d: Doc) -> None:
        self._map = d.children_map

    def all(self, el: El | None, tag: str) -> list[El]:
        if el is None:
            return _NONE_LIST
        return self._map(tag).get(el, _NONE_LIST)

    def one(self, el: El | None, tag: str) -> El | None:
        """The first child ``tag`` of ``el`` (None when there is none)."""
        if el is None:
            return None
        found = self._map(tag).get(el)
        return found[0] if found else None


_NONE_LIST: list[El] = []


# Defaults of the line figures, built once (Decimal values are immutable).
_ZERO = Decimal(0)
_ONE = Decimal(1)


def _line_sums(ch: _Children, acs: list[El], cii: bool, indicator: str) -> Decimal | None:
    """Rounded sum of the allowance (``false``) or charge (``true``) amounts of one line."""
    total = _ZERO
    picked = False
    for ac in acs:
        ind = ch.all(ac, _CHARGE_INDICATOR_CII if cii else _CHARGE_INDICATOR_UBL)
        if cii and ind:
            ind = [i for x in ind for i in ch.all(x, UDT_INDICATOR)]
        if normalize(string_value(ind[0]) if ind else "") != indicator:
            continue
        picked = True
        for a in ch.all(ac, _AC_AMOUNT_CII if cii else _AC_AMOUNT_UBL):
            v = el_decimal(a)
            if v is None:
                return None
            total += v
    return round2(total) if picked else _ZERO


_CHARGE_INDICATOR_CII = ram("ChargeIndicator")
_CHARGE_INDICATOR_UBL = cbc("ChargeIndicator")
_AC_AMOUNT_CII = ram("ActualAmount")
_AC_AMOUNT_UBL = cbc("Amount")


def _dec_or(el: El | None, default: Decimal) -> Decimal | None:
    return default if el is None else el_decimal(el)


def _nonzero_or_none(el: El | None) -> Decimal | None:
    v = el_decimal(el) if el is not None else None
    return v if v is not None and v != 0 else None


_Figures = tuple[Decimal | None, Decimal | None, Decimal | None, Decimal, list[El]]
# ``(m.get(el) or _NO)[0]``: the first child from a parent map, None for none (or for no
# parent: no map has the key None, as only the root lacks a parent).
_NO: tuple[None] = (None,)


def _cii_line_figures(d: Doc) -> Callable[[El], _Figures]:
    """(net amount, quantity, net price, base quantity, allowances/charges) of a CII line.

    The parent maps are fetched once per document; each step is then one dict look-up.
    """
    m = d.children_map
    settle_m = m(ram("SpecifiedLineTradeSettlement"))
    summ_m = m(ram("SpecifiedTradeSettlementLineMonetarySummation"))
    total_m, delivery_m = m(ram("LineTotalAmount")), m(ram("SpecifiedLineTradeDelivery"))
    billed_m, agr_m = m(ram("BilledQuantity")), m(ram("SpecifiedLineTradeAgreement"))
    net_m, gross_m = m(ram("NetPriceProductTradePrice")), m(ram("GrossPriceProductTradePrice"))
    charge_m, basis_m = m(ram("ChargeAmount")), m(ram("BasisQuantity"))
    ac_m = m(ram("SpecifiedTradeAllowanceCharge"))

    def figures(ln: El) -> _Figures:
        settle = (settle_m.get(ln) or _NO)[0]
        summ = (summ_m.get(settle) or _NO)[0]
        net = _dec_or((total_m.get(summ) or _NO)[0], _ZERO)
        qty = _dec_or((billed_m.get((delivery_m.get(ln) or _NO)[0]) or _NO)[0], _ONE)
        agr = (agr_m.get(ln) or _NO)[0]
        net_price = (net_m.get(agr) or _NO)[0]
        gross_price = (gross_m.get(agr) or _NO)[0]
        price = _dec_or((charge_m.get(net_price) or _NO)[0], _ZERO)
        base = (
            _nonzero_or_none((basis_m.get(net_price) or _NO)[0])
            or _nonzero_or_none((basis_m.get(gross_price) or _NO)[0])
            or _ONE
        )
        return net, qty, price, base, ac_m.get(settle) or _NONE_LIST

    return figures


def _ubl_line_figures(d: Doc, invoice: bool) -> Callable[[El], _Figures]:
    """(net amount, quantity, net price, base quantity, allowances/charges) of a UBL line."""
    m = d.children_map
    net_m = m(cbc("LineExtensionAmount"))
    qty_m = m(cbc("InvoicedQuantity") if invoice else cbc("CreditedQuantity"))
    price_m, amount_m, base_m = m(cac("Price")), m(cbc("PriceAmount")), m(cbc("BaseQuantity"))
    ac_m = m(cac("AllowanceCharge"))

    def figures(ln: El) -> _Figures:
        net = _dec_or((net_m.get(ln) or _NO)[0], _ZERO)
        qty = _dec_or((qty_m.get(ln) or _NO)[0], _ONE)
        price_el = (price_m.get(ln) or _NO)[0]
        price = _dec_or((amount_m.get(price_el) or _NO)[0], _ZERO)
        base = _nonzero_or_none((base_m.get(price_el) or _NO)[0]) or _ONE
        return net, qty, price, base, ac_m.get(ln) or _NONE_LIST

    return figures


@_p("PEPPOL-EN16931-R120", "warning", ("BT-131", "BT-129", "BT-146", "BT-149"))
def peppol_r120(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R120: Line net = quantity × net price / base quantity + charges - allowances."""
    d = doc(ctx)
    tol = d.slack_value()
    cii = d.cii
    invoice = ctx.root.tag == UBL_INVOICE_ROOT
    lines = _lines(ctx)
    if not lines:
        return
    # Every line asks for the same few child tags: one parent map per tag answers them all.
    ch = _Children(d)
    figures = _cii_line_figures(d) if cii else _ubl_line_figures(d, invoice)
    for ln in lines:
        net, qty, price, base, acs = figures(ln)
        if acs:
            allowances = _line_sums(ch, acs, cii, "false")
            charges = _line_sums(ch, acs, cii, "true")
        else:
            allowances = charges = _ZERO
        if net is None or qty is None or price is None or allowances is None or charges is None:
            continue
        expected = DEC.add(DEC.multiply(qty, DEC.divide(price, base)), charges) - allowances
        if not slack(net, expected, tol):
            yield hit(
                ln,
                f"Der Nettobetrag der Position {fmt(net)} weicht von Menge {fmt(qty)} × Preis {fmt(price)} "
                f"/ Basismenge {fmt(base)} + Zuschläge {fmt(charges)} - Abschläge {fmt(allowances)} "
                f"= {fmt(expected)} ab.",
                f"The line net amount {fmt(net)} differs from quantity {fmt(qty)} × price {fmt(price)} "
                f"/ base quantity {fmt(base)} + charges {fmt(charges)} - allowances {fmt(allowances)} "
                f"= {fmt(expected)}.",
            )


@_p("PEPPOL-EN16931-R121", "error", ("BT-149",))
def peppol_r121(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R121: The price base quantity (BT-149) must be above zero."""
    d = doc(ctx)
    quantities: list[tuple[El, El | None]]
    if d.cii:
        holders = d.all(ram("NetPriceProductTradePrice")) + d.all(ram("GrossPriceProductTradePrice"))
        quantities = [(h, d.kid(h, ram("BasisQuantity"))) for h in holders]
    else:
        line_tags = (cac("InvoiceLine"), cac("CreditNoteLine"))
        quantities = []
        for bq in d.under(cbc("BaseQuantity"), cac("Price")):
            holder = bq.getparent()
            line = holder.getparent() if holder is not None else None
            if line is not None and line.tag in line_tags:
                quantities.append((line, bq))
    for h, q in quantities:
        if q is None:
            continue
        v = el_decimal(q)
        if v is not None and not v > 0:
            yield hit(
                h,
                f"Die Basismenge des Preises '{string_value(q)}' (BT-149) ist nicht größer als null.",
                f"The price base quantity '{string_value(q)}' (BT-149) is not above zero.",
            )


@_p("PEPPOL-EN16931-R130", "error", ("BT-150", "BT-130"))
def peppol_r130(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R130: Price base quantity unit (BT-150) = invoiced quantity unit (BT-130)."""
    d = doc(ctx)
    if d.cii:
        bqs = d.under(ram("BasisQuantity"), ram("NetPriceProductTradePrice")) + d.under(
            ram("BasisQuantity"), ram("GrossPriceProductTradePrice")
        )
        for q in bqs:
            unit = q.get("unitCode")
            if unit is None:
                continue
            line = _up(q, 3)
            billed = d.below(line, ram("SpecifiedLineTradeDelivery"), ram("BilledQuantity"))
            if not any(b.get("unitCode") == unit for b in billed):
                yield _unit_hit(q, unit, [b.get("unitCode") for b in billed])
        return
    invoice = ctx.root.tag == UBL_INVOICE_ROOT
    for q in d.under(cbc("BaseQuantity"), cac("Price")):
        unit = q.get("unitCode")
        if unit is None:
            continue
        line = _up(q, 2)
        if d.kid(line, cbc("InvoicedQuantity")) is None and d.kid(line, cbc("CreditedQuantity")) is None:
            continue
        qty = d.kids(line, cbc("InvoicedQuantity") if invoice else cbc("CreditedQuantity"))
        if not any(x.get("unitCode") == unit for x in qty):
            yield _unit_hit(q, unit, [x.get("unitCode") for x in qty])


def _up(el: El, n: int) -> El | None:
    cur: El | None = el
    for _ in range(n):
        cur = cur.getparent() if cur is not None else None
    return cur


def _unit_hit(el: El, unit: str, other: list[str | None]) -> Hit:
    shown = ", ".join(str(o) for o in other) or "-"
    return hit(
        el,
        f"Die Einheit der Preisbasismenge '{unit}' (BT-150) weicht von der Mengeneinheit "
        f"{shown} (BT-130) ab.",
        f"The price base quantity unit '{unit}' (BT-150) differs from the invoiced quantity "
        f"unit {shown} (BT-130).",
    )


def _period_dates(ctx: Context, start: bool) -> Iterator[tuple[El, bool]]:
    """(line date element, within the invoicing period?) for R110 (start) and R111 (end)."""
    d = doc(ctx)
    root = ctx.root
    if ctx.family == "cii":
        tag = ram("StartDateTime") if start else ram("EndDateTime")
        for tx in doc(ctx).all(rsm("SupplyChainTradeTransaction")):
            hdr = d.below(tx, ram("ApplicableHeaderTradeSettlement"), ram("BillingSpecifiedPeriod"), tag)
            if not hdr:
                continue
            hdr_s = [string_value(e) for h in hdr for e in d.kids(h, UDT_DATETIMESTRING)]
            for ln in d.kids(tx, ram("IncludedSupplyChainTradeLineItem")):
                for el in d.below(
                    ln, ram("SpecifiedLineTradeSettlement"), ram("BillingSpecifiedPeriod"), tag
                ):
                    own = [string_value(e) for e in d.kids(el, UDT_DATETIMESTRING)]
                    ok = any((o >= h) if start else (o <= h) for o in own for h in hdr_s)
                    yield el, ok
        return
    tag = cbc("StartDate") if start else cbc("EndDate")
    hdr_dates = d.below(root, cac("InvoicePeriod"), tag)
    if not hdr_dates:
        return
    line = cac("InvoiceLine") if root.tag == UBL_INVOICE_ROOT else cac("CreditNoteLine")
    hdr_i = xs_date_instant(string_value(hdr_dates[0])) if len(hdr_dates) == 1 else None
    for el in d.below(root, line, cac("InvoicePeriod"), tag):
        own_i = xs_date_instant(_join_text(el))
        if own_i is None or hdr_i is None:
            continue  # not a date: the original stops with an error, no finding
        yield el, (own_i >= hdr_i) if start else (own_i <= hdr_i)


@_p("PEPPOL-EN16931-R110", "error", ("BT-134", "BT-73"))
def peppol_r110(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R110: A line period start (BT-134) lies within the invoicing period (BT-73)."""
    for el, ok in _period_dates(ctx, start=True):
        if not ok:
            yield hit(
                el,
                f"Der Beginn des Positionszeitraums '{string_value(el).strip()}' liegt vor dem "
                "Rechnungszeitraum.",
                f"The line period start '{string_value(el).strip()}' lies before the invoicing period.",
            )


@_p("PEPPOL-EN16931-R111", "error", ("BT-135", "BT-74"))
def peppol_r111(ctx: Context) -> Iterator[Hit]:
    """PEPPOL-EN16931-R111: A line period end (BT-135) lies within the invoicing period (BT-74)."""
    for el, ok in _period_dates(ctx, start=False):
        if not ok:
            yield hit(
                el,
                f"Das Ende des Positionszeitraums '{string_value(el).strip()}' liegt nach dem "
                "Rechnungszeitraum.",
                f"The line period end '{string_value(el).strip()}' lies after the invoicing period.",
            )
