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

from lxml import etree

from einvoice.model import Invoice, InvoiceLine, Value
from einvoice.model.invoice import DocumentAllowance, DocumentCharge, LineAllowance, LineCharge, VatBreakdown
from einvoice.model.values import Amount, Percent, Quantity
from einvoice.namespaces import PREFIX
from einvoice.rules._vat_helpers import category_scan
from einvoice.rules._xr_helpers import doc, xpath_of
from einvoice.rules.registry import Context, Hit
from einvoice.xmlnode import Node

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


def decimals(ctx: Context, v: Value | None) -> int:
    """``string-length(substring-after(x, '.'))`` on the text as written (trailing blanks count)."""
    if v is None or "." not in v.raw:
        return 0
    _, dot, after = xml_text(ctx, v).partition(".")
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


def _shadowed(ctx: Context, b: VatBreakdown) -> bool:
    c = b.category_code
    if c is None or c.raw not in _CII_SHADOWED:
        return False
    return xml_text(ctx, c) in _CII_SHADOWED and vat_typed(ctx, c)


def vat_rate(ctx: Context, b: VatBreakdown) -> Percent | None:
    """The breakdown's rate when its tax category is VAT (``TaxCategory[VAT]/Percent``)."""
    r = b.rate
    return r if r is not None and vat_typed(ctx, r, normalize=True) else None


def breakdown_contexts(ctx: Context) -> list[VatBreakdown]:
    """The VAT breakdowns the generic VAT-breakdown context actually fires on."""
    if ctx.family == "ubl":
        return ctx.invoice.vat_breakdown
    got: list[VatBreakdown] | None = ctx.cache.get("core.breakdowns")
    if got is None:
        got = [b for b in ctx.invoice.vat_breakdown if not _shadowed(ctx, b)]
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


def category_code_set(ctx: Context) -> frozenset[str]:
    """:func:`category_codes` of the document as a set, worked out once per document."""
    got: frozenset[str] | None = ctx.cache.get("core.category_codes")
    if got is None:
        got = ctx.cache["core.category_codes"] = frozenset(category_codes(ctx.invoice))
    return got


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

_IND = "ram:ChargeIndicator/udt:Indicator"


def _literal_flags(settlement: object) -> tuple[list[bool], list[bool]]:
    allowances: list[bool] = []
    charges: list[bool] = []
    if settlement is None:
        return allowances, charges
    for ac in each(settlement, "ram:SpecifiedTradeAllowanceCharge"):  # type: ignore[arg-type]
        texts = [i.text or "" for i in each(ac, _IND)]
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
        st = first(ctx.root, "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement")
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
            # most lines have neither: skip building the pairs for them
            if line.allowances:
                al.extend((line, a) for a in line.allowances)
            if line.charges:
                ch.extend((line, c) for c in line.charges)
    else:
        els: list[object] | None = None
        for i, line in enumerate(lines):
            if not (line.allowances or line.charges):
                continue
            if els is None:
                tx = first(ctx.root, "rsm:SupplyChainTradeTransaction")
                els = list(each(tx, "ram:IncludedSupplyChainTradeLineItem"))
            st = first(els[i], "ram:SpecifiedLineTradeSettlement") if i < len(els) else None  # type: ignore[arg-type]
            fa, fc = _literal_flags(st)
            al.extend((line, a) for a in _pick(line.allowances, fa))
            ch.extend((line, c) for c in _pick(line.charges, fc))
    ctx.cache["core.line_ac"] = (al, ch)
    return al, ch


# --- fast navigation (direct children in C, no ElementPath parsing) -------------------------------

_URI = {pre: uri for uri, pre in PREFIX.items()}
_CLARK: dict[str, str] = {}


def clark(q: str) -> str:
    """``cac:TaxScheme`` as ``{urn:...}TaxScheme``."""
    c = _CLARK.get(q)
    if c is None:
        pre, _, local = q.partition(":")
        c = _CLARK[q] = f"{{{_URI[pre]}}}{local}"
    return c


# A relative path's steps as Clark names ("*" stays), split once per path.
_PATH_STEPS: dict[str, tuple[str, ...]] = {}


def _path_steps(path: str) -> tuple[str, ...]:
    got = _PATH_STEPS.get(path)
    if got is None:
        got = _PATH_STEPS[path] = tuple(s if s == "*" else clark(s) for s in path.split("/"))
    return got


def _children(el: etree._Element, step: str) -> list[etree._Element]:
    if step == "*":
        nodes: Iterable[Node] = el
        return [c for c in nodes if isinstance(c.tag, str)]
    return list(el.iterchildren(step))


def each(el: etree._Element | None, path: str) -> Iterator[etree._Element]:
    """Descendants along a relative child path such as ``cac:TaxTotal/cbc:TaxAmount`` (``*`` allowed),
    in document order."""
    if el is None:
        return iter(())
    steps = _PATH_STEPS.get(path) or _path_steps(path)
    if len(steps) == 1:
        step = steps[0]
        # lxml's own iterator over the named children: no list in between
        return el.iterchildren(step) if step != "*" else iter(_children(el, step))
    cur = [el]
    for step in steps:
        cur = [c for x in cur for c in _children(x, step)]
        if not cur:
            break
    return iter(cur)


def first(el: etree._Element | None, path: str) -> etree._Element | None:
    """The first element ``each`` would give, found depth-first without listing the rest."""
    if el is None:
        return None
    steps = _PATH_STEPS.get(path) or _path_steps(path)
    if len(steps) == 1 and steps[0] != "*":
        return next(el.iterchildren(steps[0]), None)
    if len(steps) == 2 and "*" not in steps:
        # the common ``a/b``: a plain loop instead of the recursive search's generators
        outer, inner = steps
        for c in el.iterchildren(outer):
            found = next(c.iterchildren(inner), None)
            if found is not None:
                return found
        return None
    return _first(el, steps, 0)


def _first(el: etree._Element, steps: tuple[str, ...], i: int) -> etree._Element | None:
    step = steps[i]
    nodes: Iterable[Node] = el
    kids = (c for c in nodes if isinstance(c.tag, str)) if step == "*" else el.iterchildren(step)
    if i == len(steps) - 1:
        return next(kids, None)
    for c in kids:
        found = _first(c, steps, i + 1)
        if found is not None:
            return found
    return None


# --- the XML behind a model value ---------------------------------------------------------------
# The model keeps values trimmed and leaves out what no business term holds (tax scheme and type
# codes). Some official tests see exactly that: an amount '1.00 ' has three characters after the
# dot, a currency ' EUR' matches no currencyID, a tax type ' VAT' is no VAT. These helpers find
# the element a model path names (parents cached per document) to read it as written.


def element_at(ctx: Context, path: str) -> etree._Element | None:
    """The element at a model path such as ``/ubl:Invoice/cac:InvoiceLine[2]/cbc:ID``."""
    cache: dict[str, etree._Element | None] | None = ctx.cache.get("core.els")
    if cache is None:
        cache = ctx.cache["core.els"] = {root_path(ctx): ctx.root}
    found = cache.get(path, _MISS)
    if found is not _MISS:
        return found  # type: ignore[return-value]
    parent_path, _, step = path.rpartition("/")
    parent = element_at(ctx, parent_path) if parent_path else None
    found = None
    if parent is not None and step[:1] not in ("*", ""):
        name, _, pos = step.partition("[")
        n = int(pos[:-1]) if pos else 1
        tag = _CLARK.get(name) or (clark(name) if ":" in name else name)
        # Index each parent's children by tag once: scanning siblings per lookup made
        # documents with many lines quadratic.
        kids: dict[tuple[etree._Element, str], list[etree._Element]] = ctx.cache.setdefault(
            "core.kids", {}
        )
        key = (parent, tag)
        same = kids.get(key)
        if same is None:
            same = kids[key] = list(parent.iterchildren(tag))
        if 0 < n <= len(same):
            found = same[n - 1]
    cache[path] = found
    return found


_MISS = object()


def xml_text(ctx: Context, v: Value) -> str:
    """The text of a leaf value exactly as written (untrimmed), or ``raw`` when it cannot be found."""
    written = _untrimmed_texts(ctx)
    if written is not None:
        return written.get(v.path, v.raw)
    el = element_at(ctx, v.path)
    if el is None or len(el):
        return v.raw
    return el.text or ""


_UNTRIMMED_MAX = 64


def _untrimmed_texts(ctx: Context) -> dict[str, str] | None:
    """The texts of the leaves written with surrounding whitespace, by path (every other leaf's
    text is its ``raw``); None when a path does not lead back to its element, then each value
    is looked up."""
    cache = ctx.cache
    if "core.untrimmed" in cache:
        got: dict[str, str] | None = cache["core.untrimmed"]
        return got
    d = doc(ctx)
    if len(d.untrimmed) > _UNTRIMMED_MAX:
        # Many untrimmed leaves: looking up the few values rules ask for is cheaper.
        cache["core.untrimmed"] = None
        return None
    texts: dict[str, str] = {}
    for el in d.untrimmed:
        p = xpath_of(el, d.steps)
        if element_at(ctx, p) is not el:
            cache["core.untrimmed"] = None
            return None
        texts[p] = el.text or ""
    cache["core.untrimmed"] = texts
    return texts


def vat_typed(ctx: Context, code: Value, *, normalize: bool = False) -> bool:
    """Whether the tax category holding ``code`` is VAT as the official tests ask it.

    UBL: ``cac:TaxScheme/normalize-space(upper-case(cbc:ID)) = 'VAT'``. CII: ``upper-case(
    ram:TypeCode) = 'VAT'`` as written (``normalize`` trims it first, as BR-CO-17 does).
    """
    if all_vat(ctx):
        return True
    key = (code.path, normalize)
    memo: dict[tuple[str, bool], bool] = ctx.cache.setdefault("core.vat", {})
    got = memo.get(key)
    if got is None:
        got = memo[key] = _vat_typed(ctx, code, normalize)
    return got


def all_vat(ctx: Context) -> bool:
    """Whether every tax category of the document is plainly VAT (the usual case; from the index)."""
    # one shared pass over the category elements, also used by the VAT families
    return category_scan(ctx).all_vat


def _vat_typed(ctx: Context, code: Value, normalize: bool) -> bool:
    el = element_at(ctx, code.path)
    parent = el.getparent() if el is not None else None
    if parent is None:
        return True
    if ctx.family == "ubl":
        ids = each(parent, "cac:TaxScheme/cbc:ID")
        return any(" ".join((x.text or "").split()).upper() == "VAT" for x in ids)
    for x in each(parent, "ram:TypeCode"):
        t = (x.text or "").upper()
        if (t.strip(_XML_WS) if normalize else t) == "VAT":
            return True
    return False
