"""Shared logic of the nine VAT category rule families (BR-S, BR-Z, BR-E, BR-AE, BR-IC, BR-G,
BR-O, BR-AF, BR-AG).

The families state the same ten checks for each VAT category code (BT-95, BT-102, BT-118,
BT-151): 01 breakdown present iff the category is used, 02-04 the parties' VAT identifiers
that the category needs, 05-07 the rate allowed on lines, allowances and charges, 08 the
taxable amount equals lines plus charges minus allowances, 09 the tax amount, 10 exemption
reasons. They differ in the category code and in a few conditions, and the official
Schematron also differs between UBL and CII in details that decide whether a rule fires:

* UBL compares ``normalize-space`` of the category code and requires the tax scheme VAT; CII
  compares the code exactly as written (``'S '`` is not ``S``) and mostly requires the type
  code VAT. We read both from the model; the rare document whose category codes carry blanks
  or whose tax scheme is not plainly ``VAT`` is re-read at those nodes (found by the model's
  paths), so the common case stays cheap.
* Numbers: UBL sums ``xs:decimal`` values and compares exactly (E, Z, AE, K, G, O) or within
  one currency unit (S, L, M); CII rounds each sum to two decimals and compares the untyped
  taxable amount as ``xs:double``. These comparisons are reproduced literally.

Every family registers one rule per official id (so each id can be listed, documented and
re-graded), but the whole family is evaluated in one pass per document
(:func:`register_category`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from functools import partial
from typing import Any, cast

from lxml import etree

from einvoice.model import Invoice, InvoiceLine
from einvoice.model.invoice import VatBreakdown
from einvoice.model.values import Amount, Code, Percent, parse_decimal
from einvoice.namespaces import CAC, CBC, RAM, RSM, UDT
from einvoice.readers._common import qname
from einvoice.rules._xr_helpers import Doc, doc
from einvoice.rules.registry import Context, Family, Hit, Rule, register_family
from einvoice.xmlnode import Node

# --- per-document facts ---------------------------------------------------------------------


@dataclass(slots=True)
class Cat:
    """One VAT category occurrence (line, allowance, charge or breakdown) as the rules see it."""

    norm: str  # normalize-space(code): what UBL compares
    exact: str  # the code as written: what CII compares
    has_code: bool
    vat: bool  # UBL tax scheme / CII type code is VAT
    rate: Decimal | None
    has_rate: bool
    rate_raw: str
    amount: Decimal | None  # line net amount, allowance or charge amount
    path: str
    group: Any  # the model group, for breakdown amounts and exemption reasons
    # False for categories the model does not hold (a second line category, a line-level
    # allowance's category): they count where the official tests use `//`, not in the sums.
    root_level: bool = True

    def code(self, family: Family) -> str:
        return self.norm if family == "ubl" else self.exact


@dataclass(slots=True)
class Parties:
    seller_vat: bool  # BT-31 (UBL: PartyTaxScheme VAT; CII: schemeID VA)
    seller_any: bool  # BT-31 or BT-32 (UBL: any PartyTaxScheme; CII: schemeID VA or FC)
    taxrep_vat: bool  # BT-63
    buyer_vat: bool  # BT-48
    buyer_legal: bool  # BT-47


@dataclass(slots=True)
class VatFacts:
    family: Family
    root_path: str
    lines: list[Cat]  # UBL: top-level lines; CII: every line item (sub-lines are items too)
    sublines: list[Cat]  # UBL sub-invoice lines (counted by `//` paths only)
    allowances: list[Cat]
    charges: list[Cat]
    breakdowns: list[Cat]
    parties: Parties
    present: set[str] = field(default_factory=set)
    # the UBL 08 tests ask exists(//cac:InvoiceLine): lines without a VAT category count too
    any_line: bool = False
    # CII categories of an allowance/charge without a charge indicator (XSD-optional): neither
    # an allowance nor a charge, but the tests that ask //ram:CategoryTradeTax see them
    bare: list[Cat] = field(default_factory=list)

    def used(self) -> Iterable[Cat]:
        """Every category on lines, sub-lines, allowances and charges."""
        yield from self.lines
        yield from self.sublines
        yield from self.allowances
        yield from self.charges


_ROOT_PATH = {
    "ubl-invoice": "/ubl:Invoice",
    "ubl-creditnote": "/cn:CreditNote",
    "cii": "/rsm:CrossIndustryInvoice",
}

_TAXCAT = f"{{{CAC}}}TaxCategory"
_CLASSCAT = f"{{{CAC}}}ClassifiedTaxCategory"
_UBL_ID = f"{{{CBC}}}ID"
_UBL_SCHEME = f"{{{CAC}}}TaxScheme"
_CII_TAX = (f"{{{RAM}}}ApplicableTradeTax", f"{{{RAM}}}CategoryTradeTax")
_CII_CODE = f"{{{RAM}}}CategoryCode"
_CII_TYPE = f"{{{RAM}}}TypeCode"
_CII_RATE = f"{{{RAM}}}RateApplicablePercent"
_CII_LINE_SETTLEMENT = f"{{{RAM}}}SpecifiedLineTradeSettlement"
_CII_CHARGE_INDICATOR = f"{{{RAM}}}ChargeIndicator/{{{UDT}}}Indicator"
_UBL_PERCENT = f"{{{CBC}}}Percent"
_UBL_AC = f"{{{CAC}}}AllowanceCharge"
_UBL_CHARGE_INDICATOR = f"{{{CBC}}}ChargeIndicator"


def _norm(text: str) -> str:
    return " ".join(text.split())


@dataclass(slots=True)
class CategoryScan:
    """What one pass over the document's tax category elements tells (shared by the VAT
    families and the core rules, which all used to loop over the same elements)."""

    # Every category's tax scheme (UBL ``cac:TaxScheme/cbc:ID``) or type code (CII
    # ``ram:TypeCode``) is written exactly ``VAT``.
    all_vat: bool
    # The XML holds something about VAT categories that the model does not show (see
    # :func:`_has_quirks`).
    quirks: bool


def category_scan(ctx: Context) -> CategoryScan:
    """The document's :class:`CategoryScan`, computed once (``ctx.cache['vat.scan']``)."""
    got = ctx.cache.get("vat.scan")
    if got is None:
        got = ctx.cache["vat.scan"] = _scan_ubl(ctx) if ctx.family == "ubl" else _scan_cii(ctx)
    scan: CategoryScan = got
    return scan


def _scan_ubl(ctx: Context) -> CategoryScan:
    """Plain child loops over the shared document index's category elements: this runs for
    every document, and tag-filtered lxml iterators cost several times as much."""
    root = ctx.root
    d = doc(ctx)  # the shared document index: no walk of our own
    all_vat = True
    quirks = False
    child: Node
    i: Node
    nxt: Node
    for cat in (*d.all(_TAXCAT), *d.all(_CLASSCAT)):
        scheme_ok = False
        for child in cat:
            tag = child.tag
            if tag == _UBL_ID:
                t = child.text
                if t and t != t.strip():
                    quirks = True
            elif tag == _UBL_SCHEME:
                for i in child:
                    if i.tag == _UBL_ID and i.text == "VAT":
                        scheme_ok = True
        if not scheme_ok:
            all_vat = False
            break  # a quirk too: nothing more to learn
        if quirks:
            continue  # only the scheme is still in question
        nxt = cat.getnext()
        if nxt is not None and nxt.tag == cat.tag:
            quirks = True
            continue
        parent = cat.getparent()
        if parent is not None and parent.tag == _UBL_AC and parent.getparent() is not root:
            quirks = True
    return CategoryScan(all_vat=all_vat, quirks=quirks or not all_vat)


def _scan_cii(ctx: Context) -> CategoryScan:
    d = doc(ctx)
    all_vat = True
    quirks = False
    child: Node
    for tax in (*d.all(_CII_TAX[0]), *d.all(_CII_TAX[1])):
        type_ok = False
        for child in tax:
            tag = child.tag
            if tag == _CII_CODE:
                t = child.text
                if t and t != t.strip():
                    quirks = True
            elif tag == _CII_TYPE and child.text == "VAT":
                type_ok = True
        if not type_ok:
            all_vat = False
            break
        if quirks:
            continue
        quirks = _cii_structure_quirk(tax)
    return CategoryScan(all_vat=all_vat, quirks=quirks or not all_vat)


def _cii_structure_quirk(tax: etree._Element) -> bool:
    if tax.tag == _CII_TAX[0]:
        # Several breakdowns are normal; several taxes on one line are not in the model.
        nxt: Node = tax.getnext()
        if nxt is not None and nxt.tag == tax.tag:
            parent = tax.getparent()
            if parent is not None and parent.tag == _CII_LINE_SETTLEMENT:
                return True
    if tax.tag == _CII_TAX[1]:
        parent = tax.getparent()
        if parent is not None and parent.find(_CII_CHARGE_INDICATOR) is None:
            return True
        grand = parent.getparent() if parent is not None else None
        if grand is not None and grand.tag == _CII_LINE_SETTLEMENT:
            return True
    return False


def _has_quirks(ctx: Context) -> bool:
    """Whether the XML holds something about VAT categories that the model does not show.

    That is: a category code with blanks, a tax scheme/type code not written exactly ``VAT``, a
    line with several categories, or a category on a line-level allowance or charge. Only then
    are the category nodes re-read from the XML.
    """
    return category_scan(ctx).quirks


@dataclass(slots=True)
class _XmlCat:
    exact: str
    vat: bool
    rate_raw: str | None
    kind: str  # line, subline, allowance, charge or other


class _Resolver:
    """The XML text and tax scheme of category code nodes, by the model's paths.

    Only built when :func:`_has_quirks` found something: then one pass over the category
    elements computes each code node's path the way the readers write it (a position only where
    siblings share the name), so resolving stays linear even for documents with many lines.
    The category nodes the model does not hold are kept as :attr:`extras`.
    """

    def __init__(self, ctx: Context) -> None:
        self.by_path: dict[str, _XmlCat] | None = None
        self.used: set[str] = set()
        if not _has_quirks(ctx):
            return
        self.ubl = ctx.family == "ubl"
        self.root = ctx.root
        steps: PathMemo = {}
        found: dict[str, _XmlCat] = {}
        ubl = self.ubl
        tags = (_TAXCAT, _CLASSCAT) if ubl else _CII_TAX
        code_tag = _UBL_ID if ubl else _CII_CODE
        rate_tag = _UBL_PERCENT if ubl else _CII_RATE
        for cat in ctx.root.iter(*tags):
            # One loop over the category's children instead of a find() or tag-filtered
            # iterator per child tag (each costs several times a plain loop).
            codes: list[etree._Element] = []
            rate_el: etree._Element | None = None
            scheme: etree._Element | None = None
            vat = False
            child: Node
            for child in cat:
                tag = child.tag
                if tag == code_tag:
                    codes.append(child)
                elif tag == rate_tag:
                    if rate_el is None:
                        rate_el = child
                elif ubl:
                    if tag == _UBL_SCHEME and scheme is None:
                        scheme = child  # the first tax scheme decides, as find() took it
                elif tag == _CII_TYPE and not vat:
                    vat = (child.text or "").upper() == "VAT"
            if scheme is not None:
                vat = says_vat(scheme)
            rate_raw = (rate_el.text or "") if rate_el is not None else None
            kind = self._kind(cat)
            for el in codes:
                found[reader_path(el, steps)] = _XmlCat(el.text or "", vat, rate_raw, kind)
        self.by_path = found

    def _kind(self, cat: etree._Element) -> str:
        parent = cat.getparent()
        if parent is None:
            return "other"
        if self.ubl:
            if cat.tag == _CLASSCAT:
                line = parent.getparent()
                if line is None:
                    return "other"
                return "line" if line.getparent() is self.root else "subline"
            if parent.tag == _UBL_AC:
                ind = parent.find(_UBL_CHARGE_INDICATOR)
                return "charge" if _is_true(ind) else "allowance"
            return "other"
        if cat.tag == _CII_TAX[0]:
            return "line" if parent.tag == _CII_LINE_SETTLEMENT else "other"
        ind = parent.find(_CII_CHARGE_INDICATOR)
        if ind is None:
            return "bare"
        return "charge" if _is_true(ind) else "allowance"

    def exact_and_vat(self, code: Code | None) -> tuple[str | None, bool]:
        if self.by_path is None or code is None:
            return None, True
        got = self.by_path.get(code.path)
        if got is None:
            return None, True
        self.used.add(code.path)
        return got.exact, got.vat

    def extras(self) -> list[tuple[str, Cat]]:
        """(kind, category) of the category nodes no model value pointed at."""
        if self.by_path is None:
            return []
        out: list[tuple[str, Cat]] = []
        for path, x in self.by_path.items():
            if path in self.used or x.kind == "other":
                continue
            rate = parse_decimal(x.rate_raw.strip()) if x.rate_raw is not None else None
            out.append((x.kind, Cat(
                norm=_norm(x.exact), exact=x.exact, has_code=True, vat=x.vat, rate=rate,
                has_rate=x.rate_raw is not None, rate_raw=(x.rate_raw or "").strip(), amount=None,
                path=path.rsplit("/", 1)[0], group=None, root_level=False)))
        return out


def _is_true(indicator: etree._Element | None) -> bool:
    return indicator is not None and (indicator.text or "").strip() in ("true", "1")


# Per parent element already seen: its element children by tag, in document order.
PathMemo = dict[etree._Element, dict[str, list[etree._Element]]]


def reader_path(el: etree._Element, memo: PathMemo) -> str:
    """``el``'s XPath as the readers write it, with the children of each parent grouped by tag
    once (``memo``).

    Only the steps on the path are named: a parent's other children (the root has dozens) cost
    one pass each, not a name and a position each.
    """
    parts: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        parent = node.getparent()
        tag = node.tag
        if parent is None:
            parts.append(qname(tag) if isinstance(tag, str) else "*")
            break
        if isinstance(tag, str):
            groups = memo.get(parent)
            if groups is None:
                groups = memo[parent] = _child_groups(parent)
            same = groups[tag]
            q = qname(tag)
            parts.append(q if len(same) == 1 else f"{q}[{same.index(node) + 1}]")
        else:
            parts.append("*")
        node = parent
    parts.reverse()
    return "/" + "/".join(parts)


def _child_groups(parent: etree._Element) -> dict[str, list[etree._Element]]:
    groups: dict[str, list[etree._Element]] = {}
    c: Node
    for c in parent:
        tag = c.tag
        if isinstance(tag, str):
            same = groups.get(tag)
            if same is None:
                groups[tag] = [c]
            else:
                same.append(c)
    return groups


def _dec(v: Amount | Percent | None) -> Decimal | None:
    return v.value if v is not None else None


def _cat(res: _Resolver, code: Code | None, rate: Percent | None, amount: Amount | None,
         path: str, group: Any) -> Cat:
    # Runs for every line, allowance, charge and breakdown of every document: the resolver is
    # asked only when it read the XML (quirks), and a code of letters and digits (all of
    # them, in practice) is its own normalize-space.
    text = code.raw if code is not None else ""
    vat = True
    if res.by_path is not None:
        exact, vat = res.exact_and_vat(code)
        if exact is not None:
            text = exact
    return Cat(
        text if text.isalnum() else _norm(text),
        text,
        code is not None,
        vat,
        rate.value if rate is not None else None,
        rate is not None,
        rate.raw if rate is not None else "",
        amount.value if amount is not None else None,
        path,
        group,
    )


def _line_cat(res: _Resolver, line: InvoiceLine) -> Cat | None:
    if line.vat is None:
        return None
    path = line.vat.path or (line.vat.category_code.path if line.vat.category_code else line.path)
    return _cat(res, line.vat.category_code, line.vat.rate, line.net_amount, path, line)


_PTS = f"{{{CAC}}}PartyTaxScheme"
_UBL_COMPANY_ID = f"{{{CBC}}}CompanyID"
_CII_TAX_REG = f"{{{RAM}}}SpecifiedTaxRegistration"
_CII_ID = f"{{{RAM}}}ID"


def ubl_vat_scheme(pts: etree._Element) -> tuple[bool, etree._Element | None]:
    """Whether the party tax scheme ``pts`` has a ``cac:TaxScheme/cbc:ID`` that is VAT
    (upper-cased, trimmed), and its first ``cbc:CompanyID``.

    One Python loop over its few children: cheaper than a tag-filtered lxml iterator per step.
    """
    vat = False
    cid = None
    child: Node
    for child in pts:
        tag = child.tag
        if tag == _UBL_COMPANY_ID:
            if cid is None:
                cid = child
        elif tag == _UBL_SCHEME and not vat:
            vat = says_vat(child)
    return vat, cid


def says_vat(scheme: etree._Element) -> bool:
    """UBL ``cac:TaxScheme``: some ``cbc:ID`` is VAT, upper-cased and trimmed (what the
    official tests ask of category and party tax schemes alike)."""
    nodes: Iterable[Node] = scheme
    return any(i.tag == _UBL_ID and _norm((i.text or "").upper()) == "VAT" for i in nodes)


def party_tax_schemes(ctx: Context) -> dict[etree._Element, tuple[bool, etree._Element | None]]:
    """:func:`ubl_vat_scheme` of every ``cac:PartyTaxScheme``, in document order, computed once
    per document (the VAT families, BR-CO-09 and BR-56 all ask)."""
    got = ctx.cache.get("vat.pts")
    if got is None:
        got = ctx.cache["vat.pts"] = {pts: ubl_vat_scheme(pts) for pts in doc(ctx).all(_PTS)}
    schemes: dict[etree._Element, tuple[bool, etree._Element | None]] = got
    return schemes


def _ubl_tax_ids(schemes: dict[etree._Element, tuple[bool, etree._Element | None]], d: Doc,
                 party: etree._Element | None) -> tuple[bool, bool]:
    """Whether ``cac:PartyTaxScheme[VAT]/cbc:CompanyID`` (tax scheme upper-cased, trimmed) and
    whether any ``cac:PartyTaxScheme/cbc:CompanyID`` exists: one pass answers both.

    The party tax schemes come from the document index, read once per document.
    """
    found_any = False
    for pts in d.kids(party, _PTS):
        vat, cid = schemes[pts]
        if cid is not None:
            if vat:
                return True, True
            found_any = True
    return False, found_any


def _cii_tax_ids(d: Doc, party: etree._Element | None) -> tuple[bool, bool]:
    """Whether ``ram:SpecifiedTaxRegistration/ram:ID[@schemeID = 'VA']`` exists, and whether
    one with ``@schemeID`` VA or FC does: one pass answers both."""
    found_any = False
    i: Node
    for r in d.kids(party, _CII_TAX_REG):
        for i in r:
            if i.tag == _CII_ID:
                scheme = i.get("schemeID")
                if scheme == "VA":
                    return True, True
                if scheme == "FC":
                    found_any = True
    return False, found_any


def _model_parties(inv: Invoice, family: Family) -> Parties:
    """The parties as the model holds them (for hand-built contexts whose XML lacks the parties)."""
    s, b, t = inv.seller, inv.buyer, inv.tax_representative
    s_vat = s.vat_identifier if s else None
    s_tax = s.tax_registration_id if s else None
    if family == "cii":
        # CII tells the kind of a tax registration by its schemeID (VA = VAT, FC = tax number).
        ids = [i for i in (s_vat, s_tax) if i is not None]
        seller_vat = any(i.scheme == "VA" for i in ids)
        seller_any = any(i.scheme in ("VA", "FC") for i in ids)
        taxrep_vat = bool(t and t.vat_identifier and t.vat_identifier.scheme == "VA")
        buyer_vat = bool(b and b.vat_identifier and b.vat_identifier.scheme == "VA")
    else:
        seller_vat = s_vat is not None
        seller_any = s_vat is not None or s_tax is not None
        taxrep_vat = bool(t and t.vat_identifier)
        buyer_vat = bool(b and b.vat_identifier)
    return Parties(
        seller_vat=seller_vat,
        seller_any=seller_any,
        taxrep_vat=taxrep_vat,
        buyer_vat=buyer_vat,
        buyer_legal=bool(b and b.legal_registration_id),
    )


def _parties(ctx: Context) -> Parties:
    """The parties' identifiers exactly as the 02-04 tests look for them in the XML (the model
    keeps one identifier per kind and reads the tax scheme strictly).

    Each step is a look-up in the shared document index (first child of that name), not an
    lxml child iterator: those cost as much as the rest of the VAT facts together."""
    root = ctx.root
    d = doc(ctx)
    if ctx.family == "cii":
        agr = next((a for t in d.kids(root, f"{{{RSM}}}SupplyChainTradeTransaction")
                    for a in d.kids(t, f"{{{RAM}}}ApplicableHeaderTradeAgreement")), None)
        seller = d.kid(agr, f"{{{RAM}}}SellerTradeParty")
        rep = d.kid(agr, f"{{{RAM}}}SellerTaxRepresentativeTradeParty")
        buyer = d.kid(agr, f"{{{RAM}}}BuyerTradeParty")
        if seller is None:
            return _model_parties(ctx.invoice, "cii")
        seller_vat, seller_any = _cii_tax_ids(d, seller)
        return Parties(
            seller_vat=seller_vat,
            seller_any=seller_any,
            taxrep_vat=_cii_tax_ids(d, rep)[0],
            buyer_vat=_cii_tax_ids(d, buyer)[0],
            buyer_legal=any(i.tag == _CII_ID
                            for o in d.kids(buyer, f"{{{RAM}}}SpecifiedLegalOrganization")
                            for i in cast("Iterable[Node]", o)),
        )

    def party(tag: str) -> etree._Element | None:
        return d.kid(d.kid(root, f"{{{CAC}}}{tag}"), f"{{{CAC}}}Party")

    supplier, customer = party("AccountingSupplierParty"), party("AccountingCustomerParty")
    rep = d.kid(root, f"{{{CAC}}}TaxRepresentativeParty")
    if supplier is None:
        return _model_parties(ctx.invoice, "ubl")
    schemes = party_tax_schemes(ctx)
    seller_vat, seller_any = _ubl_tax_ids(schemes, d, supplier)
    return Parties(
        seller_vat=seller_vat,
        seller_any=seller_any,
        taxrep_vat=_ubl_tax_ids(schemes, d, rep)[0],
        buyer_vat=_ubl_tax_ids(schemes, d, customer)[0],
        buyer_legal=any(i.tag == _UBL_COMPANY_ID
                        for e in d.kids(customer, f"{{{CAC}}}PartyLegalEntity")
                        for i in cast("Iterable[Node]", e)),
    )


def facts(ctx: Context) -> VatFacts:
    """The VAT category occurrences of the document, computed once and shared by all families."""
    cached = ctx.cache.get("vat.facts")
    if isinstance(cached, VatFacts):
        return cached
    inv = ctx.invoice
    fam = ctx.family
    res = _Resolver(ctx)
    lines: list[Cat] = []
    sublines: list[Cat] = []
    bare: list[Cat] = []
    seen: set[int] = set()

    def walk(line: InvoiceLine, nested: bool) -> None:
        if id(line) in seen:
            return
        seen.add(id(line))
        c = _line_cat(res, line)
        if c is not None:
            # CII sub-lines are ordinary line items in the XML, UBL ones are cac:SubInvoiceLine.
            (sublines if nested and fam == "ubl" else lines).append(c)
        for sub in line.sub_lines:
            walk(sub, True)

    for line in inv.lines:
        walk(line, False)
    allowances = [
        _cat(res, a.vat_category_code, a.vat_rate, a.amount, a.path, a) for a in inv.allowances
    ]
    charges = [_cat(res, c.vat_category_code, c.vat_rate, c.amount, c.path, c) for c in inv.charges]
    breakdowns = [
        _cat(res, b.category_code, b.rate, b.taxable_amount, b.path, b) for b in inv.vat_breakdown
    ]
    extras = res.extras()
    if extras:
        by_path = {id(c.group): c for c in lines}
        line_of = {c.group.path: c.group for c in by_path.values() if isinstance(c.group, InvoiceLine)}
        for kind, extra in extras:
            if kind == "line":
                # A further category of a line: the line's net amount counts for it too.
                owner = line_of.get(extra.path.rsplit("/", 2)[0])
                if owner is not None:
                    extra.group = owner
                    extra.amount = _dec(owner.net_amount)
            kinds = {"line": lines, "subline": sublines, "allowance": allowances, "charge": charges,
                     "bare": bare}
            kinds[kind].append(extra)
    f = VatFacts(
        family=fam,
        root_path=inv.path or _ROOT_PATH.get(ctx.syntax, "/"),
        lines=lines,
        sublines=sublines,
        bare=bare,
        allowances=allowances,
        charges=charges,
        breakdowns=breakdowns,
        parties=_parties(ctx),
        any_line=bool(inv.lines),
    )
    present = f.present
    for group in (lines, sublines, allowances, charges, breakdowns, bare):
        for c in group:
            present.add(c.norm)
            present.add(c.exact)
    ctx.cache["vat.facts"] = f
    return f


# --- XPath 2.0 arithmetic as the official tests do it -----------------------------------------

_HALF = Decimal("0.5")
_HUNDRED = Decimal(100)


def xpath_round(x: Decimal) -> Decimal:
    """XPath ``round`` on xs:decimal: to the nearest integer, halves towards positive infinity."""
    return (x + _HALF).to_integral_value(rounding=ROUND_FLOOR)


def round2(x: Decimal) -> Decimal:
    """``round(x * 10 * 10) div 100`` as the CII rules write it."""
    return xpath_round(x * _HUNDRED) / _HUNDRED


def _double_round(x: float) -> float:
    import math

    if math.isinf(x) or math.isnan(x):  # fn:round keeps them; math.floor would raise
        return x
    return float(math.floor(x + 0.5))


def _as_double(raw: str) -> float | None:
    try:
        return float(raw)
    except ValueError:
        return None


def _amount_raw(a: Amount | None) -> str | None:
    return a.raw if a is not None else None


# --- the category spec ----------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """One VAT category and how its family names it."""

    prefix: str  # "BR-S"
    code: str  # "S"
    de: str  # German name of the category, for messages
    en: str


# Variant groups: which categories share a formulation of a rule (per the official tests).
_ZERO_RATE = frozenset({"AE", "E", "G", "K", "Z"})
_EXEMPT_REASON_REQUIRED = frozenset({"AE", "E", "G", "K", "O"})
_SELLER_ANY = frozenset({"S", "E", "Z", "L", "M", "AE"})


def _party_ok(code: str, p: Parties) -> bool:
    """The party condition of rules 02-04 for ``code``."""
    if code == "O":
        return not p.seller_vat and not p.taxrep_vat and not p.buyer_vat
    # G and K accept only a VAT identifier of the seller or the tax representative.
    ok = (p.seller_any if code in _SELLER_ANY else p.seller_vat) or p.taxrep_vat
    if code == "AE":
        ok = ok and (p.buyer_vat or p.buyer_legal)
    elif code == "K":
        ok = ok and p.buyer_vat
    return ok


_PARTY_TEXT = {
    "O": ("darf weder eine Umsatzsteuer-Identifikationsnummer des Verkäufers (BT-31), des "
          "Steuervertreters (BT-63) noch des Käufers (BT-48) enthalten",
          "shall contain no VAT identifier of the Seller (BT-31), the tax representative (BT-63) "
          "or the Buyer (BT-48)"),
    "AE": ("muss eine Steuernummer oder USt-IdNr. des Verkäufers (BT-31/BT-32) oder die USt-IdNr. "
           "des Steuervertreters (BT-63) sowie die USt-IdNr. (BT-48) oder Registernummer (BT-47) "
           "des Käufers enthalten",
           "shall contain the Seller's VAT or tax registration identifier (BT-31/BT-32) or the tax "
           "representative's VAT identifier (BT-63), and the Buyer's VAT identifier (BT-48) or "
           "legal registration identifier (BT-47)"),
    "K": ("muss die USt-IdNr. des Verkäufers (BT-31) oder des Steuervertreters (BT-63) und die "
          "USt-IdNr. des Käufers (BT-48) enthalten",
          "shall contain the VAT identifier of the Seller (BT-31) or of the tax representative "
          "(BT-63) and the Buyer's VAT identifier (BT-48)"),
    "G": ("muss die USt-IdNr. des Verkäufers (BT-31) oder des Steuervertreters (BT-63) enthalten",
          "shall contain the VAT identifier of the Seller (BT-31) or of the tax representative "
          "(BT-63)"),
}
_PARTY_DEFAULT = (
    "muss eine USt-IdNr. oder Steuernummer des Verkäufers (BT-31/BT-32) oder die USt-IdNr. des "
    "Steuervertreters (BT-63) enthalten",
    "shall contain the Seller's VAT identifier or tax registration identifier (BT-31/BT-32) or "
    "the tax representative's VAT identifier (BT-63)",
)

_RATE_TEXT = {
    "zero": ("muss 0 sein", "shall be 0"),
    "positive": ("muss größer als 0 sein", "shall be greater than 0"),
    "non-negative": ("muss 0 oder größer sein", "shall be 0 or greater"),
    "absent": ("darf nicht angegeben sein", "shall not be given"),
}


def _rate_kind(code: str, family: Family) -> str:
    if code == "O":
        return "absent"
    if code in _ZERO_RATE:
        return "zero"
    if code == "S" or (code == "L" and family == "cii"):
        return "positive"
    return "non-negative"  # L, M in UBL; M in CII


def _rate_ok(kind: str, c: Cat) -> bool:
    if kind == "absent":
        return not c.has_rate
    if c.rate is None:
        return False
    if kind == "zero":
        return c.rate == 0
    if kind == "positive":
        return c.rate > 0
    return c.rate >= 0


def _show(v: Any) -> str:
    if v is None:
        return "—"
    return str(getattr(v, "raw", v)) or "''"


# --- the checks, one per rule number --------------------------------------------------------

Hits = dict[str, list[Hit]]


def _add(out: Hits, rid: str, location: str, de: str, en: str) -> None:
    out.setdefault(rid, []).append(Hit(location, de, en))


def _check_01(cat: Category, f: VatFacts, out: Hits) -> None:
    x = cat.code
    rid = f"{cat.prefix}-01"
    if f.family == "ubl":
        used = [c for c in f.used()]
        if x in ("AE", "E", "G", "K", "O", "Z"):
            any_x = any(c.vat and c.norm == x for c in (*used, *f.breakdowns))
            n_bd = sum(1 for c in f.breakdowns if c.vat and c.norm == x)
            ok = (any_x and n_bd == 1) or not any_x
        else:
            if x == "S":
                n_used = sum(1 for c in used if c.norm == x)
                n_bd_first = n_bd_second = sum(1 for c in f.breakdowns if c.norm == x)
            else:
                n_used = sum(1 for c in used if c.vat and c.norm == x)
                # IGIC counts breakdowns by the code as written and ignores the scheme; IPSI
                # checks the scheme. Both use the normalised code when nothing uses the category.
                n_bd_first = sum(1 for c in f.breakdowns if c.exact == x and (x == "L" or c.vat))
                n_bd_second = sum(1 for c in f.breakdowns if c.vat and c.norm == x)
            ok = (n_used > 0 and n_bd_first > 0) or (n_used == 0 and n_bd_second == 0)
        n_bd = sum(1 for c in f.breakdowns if c.norm == x)
    else:
        h = sum(1 for c in f.breakdowns if c.exact == x)
        n_l = sum(1 for c in f.lines if c.exact == x)
        n_a = sum(1 for c in (*f.allowances, *f.charges, *f.bare) if c.exact == x)
        if x == "O":
            ok = h == 0 or (h == 1 and (n_l > 0 or n_a > 0))
        elif x in ("S", "L", "M"):
            ok = (n_l + h >= 2 or n_l == 0) and (n_a + h >= 2 or n_a == 0)
        else:
            ok = (h == 0 and n_l == 0 and n_a == 0) or (h == 1 and (n_l > 0 or n_a > 0))
        n_bd = h
    if not ok:
        if x in ("S", "L", "M"):
            de = (f"Die Kategorie {x} ({cat.de}) wird in Positionen, Nachlässen oder Zuschlägen "
                  f"verwendet, aber es fehlt eine passende Aufschlüsselung (BG-23) oder umgekehrt; "
                  f"gefundene Aufschlüsselungen mit {x}: {n_bd}.")
            en = (f"VAT category {x} ({cat.en}) is used on lines, allowances or charges without a "
                  f"matching VAT breakdown (BG-23), or the other way round; breakdowns with {x}: "
                  f"{n_bd}.")
        else:
            de = (f"Wird die Kategorie {x} ({cat.de}) verwendet, muss es genau eine "
                  f"Aufschlüsselung (BG-23) mit {x} geben, und sie muss in Positionen, Nachlässen "
                  f"oder Zuschlägen vorkommen; gefunden: {n_bd}.")
            en = (f"When VAT category {x} ({cat.en}) is used there shall be exactly one VAT "
                  f"breakdown (BG-23) with {x}, used on lines, allowances or charges; found: "
                  f"{n_bd}.")
        _add(out, rid, f.root_path, de, en)


def _party_hit(cat: Category, f: VatFacts, out: Hits, num: str, where_de: str, where_en: str,
               location: str) -> None:
    de_cond, en_cond = _PARTY_TEXT.get(cat.code, _PARTY_DEFAULT)
    _add(out, f"{cat.prefix}-{num}", location,
         f"Eine Rechnung mit {where_de} der Kategorie {cat.code} ({cat.de}) {de_cond}.",
         f"An invoice with {where_en} in VAT category {cat.code} ({cat.en}) {en_cond}.")


_WHERE = {
    "02": ("Position", "an invoice line"),
    "03": ("Nachlass auf Dokumentebene", "a document level allowance"),
    "04": ("Zuschlag auf Dokumentebene", "a document level charge"),
}


def _check_02_04(cat: Category, f: VatFacts, out: Hits) -> None:
    x = cat.code
    ok = _party_ok(x, f.parties)
    groups = {"02": [*f.lines, *f.sublines], "03": f.allowances, "04": f.charges}
    for num, cats in groups.items():
        where_de, where_en = _WHERE[num]
        if x == "O" and num != "02" and f.family == "ubl":
            cats = [c for c in cats if c.root_level]  # BR-O-03/04 look at document level only
        if f.family == "cii":
            if not ok:
                for c in cats:
                    if c.exact == x and c.vat:
                        _party_hit(cat, f, out, num, where_de, where_en, c.path)
            continue
        # UBL asserts (used and parties ok) or not used, on the whole document; the two halves
        # of some families test "used" differently (scheme checked or not, code as written).
        ex_first = any(c.norm == x and (c.vat or (x == "G" and num != "02")) for c in cats)
        if x == "S" and num == "02":
            ex_second = any(c.norm == x for c in cats)
        elif x == "L" and num == "04":
            ex_second = any(c.vat and c.exact == x for c in cats)
        else:
            ex_second = any(c.vat and c.norm == x for c in cats)
        if ex_second and not (ex_first and ok):
            _party_hit(cat, f, out, num, where_de, where_en, f.root_path)


def _check_05_07(cat: Category, f: VatFacts, out: Hits) -> None:
    x = cat.code
    kind = _rate_kind(x, f.family)
    text_de, text_en = _RATE_TEXT[kind]
    groups = (
        ("05", f.lines, "BT-152", "einer Position", "an invoice line"),
        ("06", f.allowances, "BT-96", "eines Nachlasses", "an allowance"),
        ("07", f.charges, "BT-103", "eines Zuschlags", "a charge"),
    )
    ubl = f.family == "ubl"
    for num, cats, bt, where_de, where_en in groups:
        for c in cats:
            if (c.norm if ubl else c.exact) != x or not c.vat or _rate_ok(kind, c):
                continue
            shown = c.rate_raw if c.has_rate else "—"
            _add(out, f"{cat.prefix}-{num}", c.path,
                 f"Der Umsatzsteuersatz ({bt}) {where_de} der Kategorie {x} ({cat.de}) "
                 f"{text_de}; angegeben: {shown}.",
                 f"The VAT rate ({bt}) of {where_en} in VAT category {x} ({cat.en}) {text_en}; "
                 f"given: {shown}.")


def _sum(cats: Iterable[Cat]) -> Decimal:
    return sum((c.amount for c in cats if c.amount is not None), Decimal(0))


def _sum_lines(cats: Iterable[Cat]) -> Decimal:
    """Net amounts of the lines of ``cats``, each line once (a line may hold several categories)."""
    seen: set[int] = set()
    total = Decimal(0)
    for c in cats:
        key = id(c.group if c.group is not None else c)
        if c.amount is None or key in seen:
            continue
        seen.add(key)
        total += c.amount
    return total


def _double_to_decimal(x: float) -> Decimal:
    # xs:decimal(xs:double) keeps the double's exact binary value.
    return Decimal(x)


def _ubl_expected(f: VatFacts, x: str, rate: Decimal | None, lines: bool) -> tuple[Decimal, bool]:
    """Lines (optional) plus charges minus allowances of category ``x`` (and ``rate``)."""

    def sel(c: Cat) -> bool:
        return c.norm == x and (rate is None or c.rate == rate)

    matched_lines = [c for c in f.lines if sel(c)] if lines else []
    ch = [c for c in f.charges if sel(c)]
    al = [c for c in f.allowances if sel(c)]
    return _sum_lines(matched_lines) + _sum(ch) - _sum(al), bool(matched_lines) or bool(ch) or bool(al)


def _within_one(taxable_raw: str | None, expected: Decimal) -> bool:
    """``xs:decimal(T - 1) < E and xs:decimal(T + 1) > E`` with T untyped (so a double)."""
    t = _as_double(taxable_raw) if taxable_raw is not None else None
    if t is None:
        return False
    return _double_to_decimal(t - 1) < expected and _double_to_decimal(t + 1) > expected


def _cii_expected(f: VatFacts, x: str, rate: Decimal | None) -> Decimal:
    def sel(c: Cat) -> bool:
        return c.exact == x and (rate is None or c.rate == rate)

    return (round2(_sum_lines(c for c in f.lines if sel(c)))
            + round2(_sum(c for c in f.charges if sel(c)))
            - round2(_sum(c for c in f.allowances if sel(c))))


def _bd_matches(c: Cat, x: str, family: Family) -> bool:
    """Whether a breakdown is the context of rules 08-10 (and IC-11/12, O-11..14)."""
    if family == "ubl":
        return c.norm == x and c.vat
    if x in ("S", "Z"):
        return c.exact == x  # these CII contexts do not look at the type code
    return c.exact == x and c.vat


def _check_08_10(cat: Category, f: VatFacts, out: Hits) -> None:
    x = cat.code
    fam = f.family
    for c in f.breakdowns:
        if not _bd_matches(c, x, fam):
            continue
        bd: VatBreakdown = c.group
        taxable_raw = _amount_raw(bd.taxable_amount)
        # --- 08: taxable amount
        ok8 = True
        expected: Decimal | None = None
        if fam == "ubl":
            if x in ("S", "L", "M"):
                if c.rate is not None:
                    r = c.rate
                    expected, own = _ubl_expected(f, x, r, True)
                    if x == "S":
                        ok8 = own and _within_one(taxable_raw, expected)
                        if not ok8:  # the test's second branch: allowances and charges only
                            exp_ac, any_ac = _ubl_expected(f, x, r, False)
                            ok8 = any_ac and _within_one(taxable_raw, exp_ac)
                    else:
                        ok8 = f.any_line and _within_one(taxable_raw, expected)
            else:
                expected, _ = _ubl_expected(f, x, None, True)
                t = _dec(bd.taxable_amount)
                ok8 = f.any_line and t is not None and t == expected
        else:
            basis = _as_double(taxable_raw) if taxable_raw is not None else None
            if x in ("L", "M"):
                # The CII IGIC/IPSI context is the ram:ApplicableTradeTax element itself, so the
                # test's `../ram:RateApplicablePercent` names nothing: `every` over no rate holds.
                pass
            elif x == "S":
                if c.rate is not None:
                    expected = _cii_expected(f, x, c.rate)
                    ok8 = basis is not None and basis == float(expected)
            elif x == "O":
                expected = _cii_expected(f, x, None)
                ok8 = basis is not None and basis == float(expected)
            else:
                expected = _cii_expected(f, x, None)
                e = float(expected)
                ok8 = basis is not None and basis - 1 < e and basis + 1 > e
        if not ok8:
            _add(out, f"{cat.prefix}-08", c.path,
                 f"Der steuerpflichtige Betrag (BT-116) der Aufschlüsselung der Kategorie {x} "
                 f"({cat.de}{', Satz ' + c.rate_raw if c.has_rate and x in 'SLM' else ''}) ist "
                 f"{_show(bd.taxable_amount)}, die Summe der Positionen zuzüglich Zuschlägen "
                 f"abzüglich Nachlässen ergibt {_show(expected)}.",
                 f"The VAT category taxable amount (BT-116) of the breakdown for category {x} "
                 f"({cat.en}{', rate ' + c.rate_raw if c.has_rate and x in 'SLM' else ''}) is "
                 f"{_show(bd.taxable_amount)}; lines plus charges minus allowances give "
                 f"{_show(expected)}.")
        # --- 09: tax amount
        ok9, calc = _tax_amount_ok(x, fam, bd, c)
        if not ok9:
            if calc is None:
                de = (f"Der Steuerbetrag (BT-117) der Aufschlüsselung der Kategorie {x} ({cat.de}) "
                      f"muss 0 sein; angegeben: {_show(bd.tax_amount)}.")
                en = (f"The VAT category tax amount (BT-117) for category {x} ({cat.en}) shall be "
                      f"0; given: {_show(bd.tax_amount)}.")
            else:
                de = (f"Der Steuerbetrag (BT-117) der Aufschlüsselung der Kategorie {x} ({cat.de}) "
                      f"ist {_show(bd.tax_amount)}, erwartet wird steuerpflichtiger Betrag mal "
                      f"Satz: {calc}.")
                en = (f"The VAT category tax amount (BT-117) for category {x} ({cat.en}) is "
                      f"{_show(bd.tax_amount)}; taxable amount times rate gives {calc}.")
            _add(out, f"{cat.prefix}-09", c.path, de, en)
        # --- 10: exemption reason
        has_reason = bd.exemption_reason is not None or bd.exemption_reason_code is not None
        if x in _EXEMPT_REASON_REQUIRED and not has_reason:
            _add(out, f"{cat.prefix}-10", c.path,
                 f"Die Aufschlüsselung der Kategorie {x} ({cat.de}) muss einen "
                 f"Befreiungsgrund (BT-120) oder dessen Code (BT-121) enthalten.",
                 f"The VAT breakdown for category {x} ({cat.en}) shall have a VAT exemption reason "
                 f"(BT-120) or exemption reason code (BT-121).")
        elif x not in _EXEMPT_REASON_REQUIRED and has_reason:
            given = _show(bd.exemption_reason_code or bd.exemption_reason)
            _add(out, f"{cat.prefix}-10", c.path,
                 f"Die Aufschlüsselung der Kategorie {x} ({cat.de}) darf keinen Befreiungsgrund "
                 f"(BT-120/BT-121) enthalten; angegeben: {given}.",
                 f"The VAT breakdown for category {x} ({cat.en}) shall not have a VAT exemption "
                 f"reason (BT-120/BT-121); given: {given}.")


def _tax_amount_ok(x: str, fam: Family, bd: VatBreakdown, c: Cat) -> tuple[bool, str | None]:
    """Rule 09; returns (ok, expected amount as text or None for the "shall be 0" rules).

    The text is worked out only when the check fails (the caller reads it only then)."""
    tax = bd.tax_amount
    if x not in ("S", "L", "M"):
        if fam == "ubl":
            v = _dec(tax)
            return v is not None and v == 0, None
        d = _as_double(tax.raw) if tax is not None else None
        return d is not None and d == 0, None
    if fam == "cii" and x != "S":
        return True, None  # the CII IGIC/IPSI tests are `true()`
    t, b = _dec(tax), _dec(bd.taxable_amount)
    if fam == "ubl":
        if t is None or b is None or c.rate is None:
            return False, "—"
        calc = xpath_round(abs(b) * (c.rate / _HUNDRED) * _HUNDRED) / _HUNDRED
        ok = abs(t) - 1 < calc and abs(t) + 1 > calc
        return ok, None if ok else str(calc)  # the text only for a finding
    # CII: decimal taxable amount times the untyped rate is an xs:double product.
    rate = _as_double(c.rate_raw) if c.has_rate else None
    if t is None or b is None or rate is None:
        return False, "—"
    calc_d = _double_round(float(abs(b)) * rate) / 100
    ok = float(abs(t) - 1) < calc_d and float(abs(t) + 1) > calc_d
    return ok, None if ok else repr(calc_d)


def _check_ic_11_12(cat: Category, f: VatFacts, inv: Invoice, out: Hits) -> None:
    ks = [c for c in f.breakdowns if _bd_matches(c, "K", f.family)]
    if not ks:
        return
    d, p = inv.delivery, inv.invoicing_period
    has_period_dates = bool(p and (p.start is not None or p.end is not None))
    if f.family == "ubl":
        ok11 = bool(d and d.actual_delivery_date and len(d.actual_delivery_date.raw) > 1) or (
            has_period_dates or inv.tax_point_date_code is not None)
        cc = d.address.country_code if d and d.address else None
        ok12 = bool(cc and len(cc.raw) > 1)
        locs = [f.root_path]
    else:
        ok11 = bool(d and d.actual_delivery_date is not None) or has_period_dates
        ok12 = bool(d and d.address and d.address.country_code is not None)
        locs = [c.path for c in ks]
    for loc in locs:
        if not ok11:
            _add(out, "BR-IC-11", loc,
                 "Eine Rechnung mit innergemeinschaftlicher Lieferung (Kategorie K) muss das "
                 "Lieferdatum (BT-72) oder den Rechnungszeitraum (BG-14) angeben.",
                 "An invoice with an intra-community supply (category K) shall give the actual "
                 "delivery date (BT-72) or the invoicing period (BG-14).")
        if not ok12:
            _add(out, "BR-IC-12", loc,
                 "Eine Rechnung mit innergemeinschaftlicher Lieferung (Kategorie K) muss das "
                 "Land der Lieferanschrift (BT-80) angeben.",
                 "An invoice with an intra-community supply (category K) shall give the deliver "
                 "to country code (BT-80).")


def _check_o_11_14(cat: Category, f: VatFacts, out: Hits) -> None:
    os_ = [c for c in f.breakdowns if _bd_matches(c, "O", f.family)]
    if not os_:
        return
    groups = {
        "11": ("Aufschlüsselungen", "VAT breakdowns", f.breakdowns),
        "12": ("Positionen", "invoice lines", [*f.lines, *f.sublines]),
        "13": ("Nachlässe", "allowances", f.allowances),
        "14": ("Zuschläge", "charges", f.charges),
    }
    if f.family == "ubl":
        for num, (w_de, w_en, cats) in groups.items():
            others = sorted({c.norm or "''" for c in cats if c.vat and c.norm != "O"})
            if others:
                _add(out, f"BR-O-{num}", f.root_path, *_o_text(w_de, w_en, others))
        return
    # CII: 11 and 12 both look at every ApplicableTradeTax, 13 and 14 at every CategoryTradeTax.
    taxes = sorted({c.exact for c in (*f.breakdowns, *f.lines) if c.has_code and c.exact != "O"})
    ac = sorted({c.exact for c in (*f.allowances, *f.charges, *f.bare) if c.has_code and c.exact != "O"})
    for c in os_:
        if taxes:
            _add(out, "BR-O-11", c.path, *_o_text("Aufschlüsselungen", "VAT breakdowns", taxes))
            _add(out, "BR-O-12", c.path, *_o_text("Positionen", "invoice lines", taxes))
        if ac:
            _add(out, "BR-O-13", c.path, *_o_text("Nachlässe", "allowances", ac))
            _add(out, "BR-O-14", c.path, *_o_text("Zuschläge", "charges", ac))


def _o_text(w_de: str, w_en: str, others: list[str]) -> tuple[str, str]:
    shown = ", ".join(others)
    return (f"Eine Rechnung mit der Kategorie O (nicht steuerbar) darf keine {w_de} anderer "
            f"Kategorien enthalten; gefunden: {shown}.",
            f"An invoice with VAT category O (not subject to VAT) shall have no {w_en} in other "
            f"categories; found: {shown}.")


def evaluate(cat: Category, ctx: Context) -> Hits:
    """All rules of ``cat``'s family on one document; rule id → hits."""
    f = facts(ctx)
    out: Hits = {}
    if cat.code not in f.present:
        return out
    _check_01(cat, f, out)
    _check_02_04(cat, f, out)
    _check_05_07(cat, f, out)
    _check_08_10(cat, f, out)
    if cat.code == "K":
        _check_ic_11_12(cat, f, ctx.invoice, out)
    elif cat.code == "O":
        _check_o_11_14(cat, f, out)
    return out


# --- registration ---------------------------------------------------------------------------

_BTS: dict[str, tuple[str, ...]] = {
    "01": ("BG-23", "BT-118", "BT-151", "BT-95", "BT-102"),
    "02": ("BT-151", "BT-31", "BT-32", "BT-63"),
    "03": ("BT-95", "BT-31", "BT-32", "BT-63"),
    "04": ("BT-102", "BT-31", "BT-32", "BT-63"),
    "05": ("BT-151", "BT-152"),
    "06": ("BT-95", "BT-96"),
    "07": ("BT-102", "BT-103"),
    "08": ("BT-116", "BT-118", "BT-119", "BT-131", "BT-92", "BT-99"),
    "09": ("BT-117", "BT-116", "BT-119"),
    "10": ("BT-118", "BT-120", "BT-121"),
    "IC-11": ("BT-72", "BG-14"),
    "IC-12": ("BT-80",),
    "O-11": ("BT-118",),
    "O-12": ("BT-151",),
    "O-13": ("BT-95",),
    "O-14": ("BT-102",),
}

_DESCRIPTIONS: dict[str, str] = {
    "01": "category {x}: used on lines, allowances or charges iff a VAT breakdown has it",
    "02": "lines in category {x}: the VAT identifiers the category needs",
    "03": "document allowances in category {x}: the VAT identifiers the category needs",
    "04": "document charges in category {x}: the VAT identifiers the category needs",
    "05": "lines in category {x}: allowed VAT rate (BT-152)",
    "06": "document allowances in category {x}: allowed VAT rate (BT-96)",
    "07": "document charges in category {x}: allowed VAT rate (BT-103)",
    "08": "breakdown {x}: taxable amount = lines + charges - allowances",
    "09": "breakdown {x}: tax amount",
    "10": "breakdown {x}: VAT exemption reason",
    "IC-11": "intra-community supply: delivery date or invoicing period given",
    "IC-12": "intra-community supply: deliver-to country given",
    "O-11": "not subject to VAT: no breakdown of another category",
    "O-12": "not subject to VAT: no line of another category",
    "O-13": "not subject to VAT: no allowance of another category",
    "O-14": "not subject to VAT: no charge of another category",
}


# The buyer identifiers that rules 02-04 also ask for, per category.
_BUYER_BTS = {"AE": ("BT-48", "BT-47"), "K": ("BT-48",), "O": ("BT-48",)}


def _member(rid: str, key: str, cat: Category) -> Rule:
    bts = _BTS[key]
    if key in ("02", "03", "04"):
        bts = bts + _BUYER_BTS.get(cat.code, ())
    return Rule(
        id=rid,
        level="error",
        source="en16931",
        layer="vat",
        bts=bts,
        syntaxes=frozenset(("ubl", "cii")),
        description=_DESCRIPTIONS[key].format(x=f"{cat.code} ({cat.en})"),
        check=lambda ctx: (),
    )


def register_category(cat: Category, extra: Iterable[str] = ()) -> Callable[[Context], Hits]:
    """Register ``cat``'s ten rules (plus ``extra`` ids such as BR-IC-11) as one family."""
    members = [_member(f"{cat.prefix}-{n:02d}", f"{n:02d}", cat) for n in range(1, 11)]
    members += [_member(rid, rid.removeprefix("BR-"), cat) for rid in extra]
    check = partial(evaluate, cat)
    register_family(cat.prefix, source="en16931", syntaxes=("ubl", "cii"), members=members,
                    evaluate=check)
    return check
