"""CII syntax-binding rules: CII-SR ("should not be present", occurrences) and CII-DT.

One Schematron pattern, so one table (``_syntax_tables.CII_RULES``) evaluated in one walk by
:class:`einvoice.rules._syntax_walk.Pattern`. This module holds what the table cannot say: the
contexts that match by name suffix, the "not(X) or condition" exemptions and the irregular tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from einvoice.namespaces import RAM, UDT
from einvoice.rules._syntax_tables import CII_BTS, CII_CONTEXTS, CII_RULES
from einvoice.rules._syntax_walk import (
    El,
    NamedContext,
    Pattern,
    Special,
    SpecialResult,
    State,
    children,
    clark,
    pname_of,
    register_pattern,
    string_value,
)


def _ram_suffix(suffix: str, *, but: str = "") -> Callable[[str, str], bool]:
    return lambda ns, local: ns == RAM and local.endswith(suffix) and local != but


NAMED = {
    "document_context_parameter": NamedContext(
        tag=lambda ns, local: local.endswith("DocumentContextParameter")
    ),
    "ram_id": NamedContext(tag=_ram_suffix("ID")),
    "ram_referenced_document": NamedContext(tag=_ram_suffix("ReferencedDocument")),
    "ram_amount": NamedContext(tag=_ram_suffix("Amount", but="TaxTotalAmount")),
    "ram_quantity": NamedContext(tag=_ram_suffix("Quantity")),
    "ram_trade_tax": NamedContext(tag=_ram_suffix("TradeTax")),
    "date_time_string_102": NamedContext(
        tag=lambda ns, local: ns == UDT and local == "DateTimeString",
        node=lambda el, stack: el.get("format") == "102",
    ),
}


def _is(ctx: El, pname: str) -> bool:
    return pname_of(ctx.tag)[0] == pname


def _type_code_in(ctx: El, codes: tuple[str, ...]) -> bool:
    return any(string_value(c) in codes for c in children(ctx, "ram:TypeCode"))


def _additional_with(*codes: str) -> Callable[[El, State], bool]:
    def cond(ctx: El, st: State) -> bool:
        return _is(ctx, "ram:AdditionalReferencedDocument") and _type_code_in(ctx, codes)

    return cond


def _in_header_settlement(ctx: El, st: State) -> bool:
    return any(_is(a, "ram:ApplicableHeaderTradeSettlement") for a in ctx.iterancestors())


def _is_applicable_trade_tax(ctx: El, st: State) -> bool:
    return _is(ctx, "ram:ApplicableTradeTax")


def _global_id_with_scheme(ctx: El, st: State) -> bool:
    return any(g.get("schemeID") is not None for g in children(ctx, "ram:GlobalID"))


def _one_origin_country_id(ctx: El, st: State) -> bool:
    return sum(len(children(o, "ram:ID")) for o in children(ctx, "ram:OriginTradeCountry")) == 1


# rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeDelivery,
# the path from the root down to a line's billed quantity, as the official test writes it
_BILLED_PATH = tuple(clark(p) for p in ("ram:SpecifiedLineTradeDelivery",
                                         "ram:IncludedSupplyChainTradeLineItem",
                                         "rsm:SupplyChainTradeTransaction"))


def _billed_quantity_has_unit(ctx: El, st: State) -> bool:
    if "billed_unit" not in st.cache:
        # The walk collected every ram:BilledQuantity: only those with a unit are climbed
        # from, instead of listing every line of every transaction.
        st.cache["billed_unit"] = any(
            q.get("unitCode") is not None and _on_billed_path(q, st.root)
            for q in st.names.get("ram:BilledQuantity", ())
        )
    return bool(st.cache["billed_unit"])


def _on_billed_path(q: El, root: El) -> bool:
    cur: El | None = q
    for tag in _BILLED_PATH:
        cur = cur.getparent() if cur is not None else None
        if cur is None or cur.tag != tag:
            return False
    return cur is not None and cur.getparent() is root


def _type_code_vat(ctx: El, st: State) -> bool:
    return _type_code_in(ctx, ("VAT",))


_IN_ATTACHMENT = ("außer in einem ram:AdditionalReferencedDocument mit TypeCode 916",
                  "except in a ram:AdditionalReferencedDocument with TypeCode 916")
_HEADER = ("außer in ram:ApplicableHeaderTradeSettlement",
           "except in ram:ApplicableHeaderTradeSettlement")
_SELF_TAX = ("außer in ram:ApplicableTradeTax", "except in ram:ApplicableTradeTax")

UNLESS = {
    "CII-SR-046": (_global_id_with_scheme, "außer mit Kennungsschema (@schemeID)",
                   "unless it has a scheme identifier (@schemeID)"),
    "CII-SR-090": (_one_origin_country_id, "außer mit genau einer ram:ID",
                   "unless it has exactly one ram:ID"),
    "CII-DT-015": (_additional_with("916"), *_IN_ATTACHMENT),
    "CII-DT-018": (_additional_with("50", "130", "916"),
                   "außer in einem ram:AdditionalReferencedDocument mit TypeCode 50, 130 oder 916",
                   "except in a ram:AdditionalReferencedDocument with TypeCode 50, 130 or 916"),
    "CII-DT-021": (_additional_with("916"), *_IN_ATTACHMENT),
    "CII-DT-022": (_additional_with("916"), *_IN_ATTACHMENT),
    "CII-DT-024": (_additional_with("130"),
                   "außer in einem ram:AdditionalReferencedDocument mit TypeCode 130",
                   "except in a ram:AdditionalReferencedDocument with TypeCode 130"),
    "CII-DT-027": (lambda ctx, st: _is(ctx, "ram:InvoiceReferencedDocument"),
                   "außer in ram:InvoiceReferencedDocument", "except in ram:InvoiceReferencedDocument"),
    "CII-DT-033": (_billed_quantity_has_unit,
                   "solange keine Rechnungsposition eine Einheit an ram:BilledQuantity angibt",
                   "as long as no invoice line gives a unit on ram:BilledQuantity"),
    "CII-DT-037": (_type_code_vat, "außer mit dem Wert VAT", "except with the value VAT"),
    "CII-DT-041": (_in_header_settlement, *_HEADER),
    "CII-DT-052": (_is_applicable_trade_tax, *_SELF_TAX),
    "CII-DT-054": (_in_header_settlement, *_HEADER),
    "CII-DT-058": (_in_header_settlement, *_HEADER),
    "CII-DT-098": (_is_applicable_trade_tax, *_SELF_TAX),
}


_XML_SPACE = " \t\n\r"


def _indicator_false(el: El) -> bool:
    for c in children(el, "udt:Indicator"):
        v = string_value(c).strip(_XML_SPACE)
        if v in ("false", "0"):
            return True
    return False


def _sr119(ctx: El, st: State) -> SpecialResult:
    """A gross price allowance is an allowance (indicator false) with an amount."""
    allowances = [a for g in children(ctx, "ram:GrossPriceProductTradePrice")
                  for a in children(g, "ram:AppliedTradeAllowanceCharge")]
    indicators = [i for a in allowances for i in children(a, "ram:ChargeIndicator")]
    amounts = [m for a in allowances for m in children(a, "ram:ActualAmount")]
    if any(_indicator_false(i) for i in indicators) and amounts:
        return None
    if not indicators and not amounts:
        return None
    return (
        ctx,
        "Ein Nachlass auf den Bruttopreis (ram:AppliedTradeAllowanceCharge) muss ein Abschlag "
        "(ChargeIndicator false) mit Betrag (ram:ActualAmount) sein (CII-SR-119).",
        "An allowance on the gross price (ram:AppliedTradeAllowanceCharge) must be an allowance "
        "(ChargeIndicator false) with an amount (ram:ActualAmount) (CII-SR-119).",
    )


def _sr462(ctx: El, st: State) -> SpecialResult:
    """All VAT due date type codes are the same."""
    codes = [e for e in st.names.get("ram:DueDateTypeCode", ())
             if (p := e.getparent()) is not None and _is(p, "ram:ApplicableTradeTax")]
    values = {string_value(e) for e in codes}
    if len(values) <= 1:
        return None
    shown = ", ".join(sorted(repr(v) for v in values))
    return (
        codes[0],
        f"Alle ram:ApplicableTradeTax/ram:DueDateTypeCode müssen denselben Code haben (gefunden: "
        f"{shown}) (CII-SR-462).",
        f"All ram:ApplicableTradeTax/ram:DueDateTypeCode must have the same code (found: {shown}) "
        "(CII-SR-462).",
    )


# YYYYMMDD with month 01-12 and day 01-31, blanks allowed around it. \d in XPath regexes matches
# any Unicode decimal digit, as Python's does; XPath \s is only space, tab, CR and LF.
_DATE_102 = re.compile(r"[ \t\n\r]*\d{4}(?:1[0-2]|0[1-9])(?:3[01]|[12][0-9]|0[1-9])[ \t\n\r]*")


def _dt097(ctx: El, st: State) -> SpecialResult:
    """Dates in format 102 are YYYYMMDD."""
    text = string_value(ctx)
    if _DATE_102.fullmatch(text):
        return None
    return (
        ctx,
        f"Das Datum '{text.strip()}' im Format 102 muss die Form JJJJMMTT haben (CII-DT-097).",
        f"The date '{text.strip()}' in format 102 must have the form YYYYMMDD (CII-DT-097).",
    )


SPECIAL: dict[str, Special] = {
    "CII-SR-119": _sr119,
    "CII-SR-462": _sr462,
    "CII-DT-097": _dt097,
}

PATTERN = Pattern(
    CII_CONTEXTS,
    CII_RULES,
    named=NAMED,
    unless=UNLESS,
    special=SPECIAL,
    watch_names=("ram:DueDateTypeCode", "ram:BilledQuantity"),
)

register_pattern("CII-syntax", "cii", PATTERN, CII_CONTEXTS, CII_BTS)
