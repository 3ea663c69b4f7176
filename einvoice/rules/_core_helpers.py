"""Shared helpers of the EN 16931 core rules (BR, BR-CO, BR-DEC, BR-B).

The official rules are XPath 2.0 over the XML; these helpers restate the few evaluation
semantics the core rules depend on, so every rule reproduces the oracle and not our intuition:

* ``normalize-space(x) != ''`` (:func:`filled`) versus ``exists(x)`` (:func:`present`): an empty
  element exists but is not filled.
* ``fn:round`` rounds half towards positive infinity, on xs:decimal (:func:`xround`) and on
  xs:double (:func:`dround`); ``round(x * 10 * 10) div 100`` is :func:`cents`.
* An untyped value compared with a number, and ``sum()`` over untyped nodes, is xs:double
  arithmetic (:func:`num`, :func:`dsum`); ``xs:decimal(..)`` casts stay exact (``Decimal``).
* Which line elements a context reaches differs per syntax (:func:`rule_lines`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from decimal import ROUND_FLOOR, Decimal
from typing import TypeVar

from einvoice.model import Invoice, InvoiceLine, Value
from einvoice.model.invoice import DocumentAllowance, DocumentCharge, LineAllowance, LineCharge, VatBreakdown
from einvoice.model.values import Amount, Percent, Quantity
from einvoice.rules.registry import Context, Hit

T = TypeVar("T")

HALF = Decimal("0.5")
HUNDRED = Decimal(100)
ZERO = Decimal(0)

ROOT_PATHS = {
    "ubl-invoice": "/ubl:Invoice",
    "ubl-creditnote": "/cn:CreditNote",
    "cii": "/rsm:CrossIndustryInvoice",
}

# XML whitespace as normalize-space() sees it (not Python's wider notion of whitespace).
_XML_WS = " \t\r\n"


def present(v: Value | None) -> bool:
    """``exists(x)``: the element is there, even when empty."""
    return v is not None


def filled(v: Value | None) -> bool:
    """``normalize-space(x) != ''``: the element is there and has non-blank text."""
    return v is not None and v.raw.strip(_XML_WS) != ""


def show(v: Value | None) -> str:
    """A value for a message: as written, quoted; or a dash when absent."""
    if v is None:
        return "—"
    return f"'{v.raw}'"


def root_path(ctx: Context) -> str:
    return ctx.invoice.path or ROOT_PATHS.get(ctx.syntax, "/")


def loc(group_path: str, fallback: str) -> str:
    return group_path or fallback


# --- numbers ---------------------------------------------------------------------------------


def xround(d: Decimal) -> Decimal:
    """``fn:round`` on xs:decimal: the nearest integer, halves towards positive infinity."""
    return (d + HALF).to_integral_value(rounding=ROUND_FLOOR)


def cents(d: Decimal) -> Decimal:
    """``round(d * 10 * 10) div 100`` on xs:decimal."""
    return xround(d * HUNDRED) / HUNDRED


def dround(x: float) -> float:
    """``fn:round`` on xs:double (Java's Math.round: exact floor(x + 0.5))."""
    if math.isnan(x) or math.isinf(x):
        return x
    f = math.floor(x)
    return float(f + 1) if x - f >= 0.5 else float(f)


def dcents(x: float) -> float:
    """``round(x * 10 * 10) div 100`` on xs:double, operation by operation."""
    return dround(x * 10 * 10) / 100


def dec(v: Amount | Percent | Quantity | None) -> Decimal | None:
    """``xs:decimal(x)``: None for an absent element (the empty sequence) or a non-decimal."""
    return None if v is None else v.value


def num(v: Amount | Percent | Quantity | None) -> float:
    """An untyped value as xs:double (as in ``x >= 0``); NaN when absent or not a number."""
    if v is None or v.value is None:
        return math.nan
    return float(v.value)


def dsum(values: Iterable[Amount | None]) -> float:
    """``sum()`` over untyped nodes: xs:double addition in document order (absent ones skipped)."""
    total = 0.0
    for v in values:
        if v is not None:
            # a left fold like Saxon's, not Python's compensated float sum
            total = total + num(v)
    return total


def exact(x: float) -> Decimal:
    """``xs:decimal(double)``: Saxon keeps the exact binary value of the double."""
    return Decimal(x)


def decimals(v: Value | None) -> int:
    """``string-length(substring-after(x, '.'))``: digits after the first dot, 0 without one."""
    if v is None:
        return 0
    _, dot, after = v.raw.partition(".")
    return len(after) if dot else 0


# --- where the contexts reach ------------------------------------------------------------------


def _walk(lines: Iterable[InvoiceLine]) -> Iterator[InvoiceLine]:
    for line in lines:
        yield line
        yield from _walk(line.sub_lines)


def all_lines(ctx: Context) -> list[InvoiceLine]:
    """Every line and sub-line, in document order."""
    got: list[InvoiceLine] | None = ctx.cache.get("core.all_lines")
    if got is None:
        got = list(_walk(ctx.invoice.lines))
        ctx.cache["core.all_lines"] = got
    return got


def rule_lines(ctx: Context) -> list[InvoiceLine]:
    """The lines a line rule's context matches.

    UBL contexts name ``cac:InvoiceLine``/``cac:CreditNoteLine``, which XRechnung sub-lines
    (``cac:SubInvoiceLine``) are not; CII sub-lines are ordinary
    ``ram:IncludedSupplyChainTradeLineItem`` elements, so CII contexts reach them all.
    """
    if ctx.family == "ubl":
        return ctx.invoice.lines
    return all_lines(ctx)


# Header trade-tax elements of these categories (with type VAT) are matched earlier in the CII
# model pattern by the BR-AF/BR-AG/BR-O rules, so the generic VAT-breakdown rule never sees them.
_CII_SHADOWED = frozenset({"L", "M", "O"})


def breakdown_contexts(ctx: Context) -> list[VatBreakdown]:
    """The VAT breakdowns the generic VAT-breakdown context actually fires on."""
    if ctx.family == "ubl":
        return ctx.invoice.vat_breakdown
    got: list[VatBreakdown] | None = ctx.cache.get("core.breakdowns")
    if got is None:
        got = [
            b
            for b in ctx.invoice.vat_breakdown
            if b.category_code is None or b.category_code.raw not in _CII_SHADOWED
        ]
        ctx.cache["core.breakdowns"] = got
    return got


def category_codes(inv: Invoice) -> Iterator[str]:
    """Every VAT category code of the document (breakdowns, allowances, charges, lines)."""
    for b in inv.vat_breakdown:
        if b.category_code is not None:
            yield b.category_code.raw
    for a in inv.allowances:
        if a.vat_category_code is not None:
            yield a.vat_category_code.raw
    for c in inv.charges:
        if c.vat_category_code is not None:
            yield c.vat_category_code.raw
    for line in _walk(inv.lines):
        if line.vat is not None and line.vat.category_code is not None:
            yield line.vat.category_code.raw


def hit(location: str, de: str, en: str) -> Hit:
    return Hit(location, de, en)


def line_label(line: InvoiceLine) -> str:
    """How messages name a line: its identifier as written, or its position in the XML."""
    if line.id is not None and line.id.raw:
        return f"'{line.id.raw}'"
    return line.path or "?"


# --- CII allowance/charge contexts ---------------------------------------------------------------
# The CII contexts of the allowance/charge rules compare the indicator with the literal strings
# 'true'/'false', while the model (and the CII sums) read it as xs:boolean, where '1'/'0' count
# too. So in CII an allowance written with '0' is summed but not checked on its own. The model's
# allowances/charges are in document order, so the k-th one is the k-th boolean-false element.

_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
_IND = "ram:ChargeIndicator/udt:Indicator"


def _literal_flags(settlement: object) -> tuple[list[bool], list[bool]]:
    allowances: list[bool] = []
    charges: list[bool] = []
    if settlement is None:
        return allowances, charges
    for ac in settlement.iterfind("ram:SpecifiedTradeAllowanceCharge", _NS):  # type: ignore[attr-defined]
        texts = [i.text or "" for i in ac.iterfind(_IND, _NS)]
        first = texts[0].strip(_XML_WS) if texts else None
        if first in ("true", "1"):
            charges.append("true" in texts)
        elif first in ("false", "0"):
            allowances.append("false" in texts)
    return allowances, charges


def _pick(items: list[T], flags: list[bool]) -> list[T]:
    if len(flags) != len(items) or all(flags):
        return items
    return [x for x, ok in zip(items, flags, strict=True) if ok]


def doc_allowance_contexts(ctx: Context) -> tuple[list[DocumentAllowance], list[DocumentCharge]]:
    """The document allowances and charges the allowance/charge contexts match."""
    inv = ctx.invoice
    if ctx.family == "ubl" or not (inv.allowances or inv.charges):
        return inv.allowances, inv.charges
    got: tuple[list[DocumentAllowance], list[DocumentCharge]] | None = ctx.cache.get("core.doc_ac")
    if got is None:
        st = ctx.root.find("rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement", _NS)
        fa, fc = _literal_flags(st)
        got = (_pick(inv.allowances, fa), _pick(inv.charges, fc))
        ctx.cache["core.doc_ac"] = got
    return got


def line_allowance_contexts(
    ctx: Context,
) -> tuple[list[tuple[InvoiceLine, LineAllowance]], list[tuple[InvoiceLine, LineCharge]]]:
    """(line, allowance) and (line, charge) pairs the line allowance/charge contexts match."""
    got = ctx.cache.get("core.line_ac")
    if got is not None:
        return got  # type: ignore[no-any-return]
    lines = rule_lines(ctx)
    al: list[tuple[InvoiceLine, LineAllowance]] = []
    ch: list[tuple[InvoiceLine, LineCharge]] = []
    if ctx.family == "ubl":
        for line in lines:
            al.extend((line, a) for a in line.allowances)
            ch.extend((line, c) for c in line.charges)
    else:
        els: list[object] | None = None
        for i, line in enumerate(lines):
            if not (line.allowances or line.charges):
                continue
            if els is None:
                tx = ctx.root.find("rsm:SupplyChainTradeTransaction", _NS)
                els = [] if tx is None else list(tx.iterfind("ram:IncludedSupplyChainTradeLineItem", _NS))
            st = els[i].find("ram:SpecifiedLineTradeSettlement", _NS) if i < len(els) else None  # type: ignore[attr-defined]
            fa, fc = _literal_flags(st)
            al.extend((line, a) for a in _pick(line.allowances, fa))
            ch.extend((line, c) for c in _pick(line.charges, fc))
    ctx.cache["core.line_ac"] = (al, ch)
    return al, ch
