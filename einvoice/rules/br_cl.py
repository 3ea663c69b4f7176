"""BR-CL: code lists (EN 16931 1.3.15), checked on the model for both syntaxes.

The official code-list rules match XML nodes by element name anywhere in the document
(``cac:Country/cbc:IdentificationCode``, every amount's ``@currencyID``, every CII ``ram:ID``
with a ``@schemeID``, …). The model keeps each value's XPath, so the values are indexed once per
document by the last one and two steps of their path and each rule looks up the element names
its official context names, per syntax. Values are compared as the tests do: ``normalize-space``
and membership in the list (our data in :mod:`einvoice.codelists`), with the few quirks the
official tests have (UBL BR-CL-08's unpadded substring search, BR-CL-22's upper-casing,
BR-CL-24's exact MIME comparison, SEPA for UBL seller/payee identifiers).

Levels are the rules' defaults; the engine re-grades per scenario (e.g. BR-CL-21/23 are
warnings in XRechnung, several are information in the Extension scenarios).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, get_args, get_origin

from lxml import etree
from pydantic import BaseModel

from einvoice.codelists import (
    allowance_reason,
    charge_reason,
    country,
    currency,
    document_type,
    eas,
    icd,
    item_type,
    mime,
    payment_means,
    reference_qualifier,
    text_subject,
    unit,
    vat_category,
    vat_date_code,
    vatex,
)
from einvoice.model import Invoice, InvoiceLine
from einvoice.model.values import (
    Amount,
    Binary,
    Code,
    Identifier,
    Quantity,
    Value,
)
from einvoice.namespaces import ALL_NS, CBC, RAM
from einvoice.rules._vat_helpers import PathMemo, reader_path
from einvoice.rules._xr_helpers import doc
from einvoice.rules.registry import Context, Hit, rule

# --- the value index --------------------------------------------------------------------------

_CII_DUE_DATE_CODE = f"{{{RAM}}}DueDateTypeCode"
_CII_TAX_TOTAL = f"{{{RAM}}}TaxTotalAmount"
_UBL_TAX_AMOUNT = f"{{{CBC}}}TaxAmount"
_UBL_BINARY = f"{{{CBC}}}EmbeddedDocumentBinaryObject"
_CII_ID = f"{{{RAM}}}ID"
_CII_GLOBAL_ID = f"{{{RAM}}}GlobalID"
_CII_TAX_REG = f"{{{RAM}}}SpecifiedTaxRegistration"
_CII_NOT_PARTY = frozenset({f"{{{RAM}}}SpecifiedTradeProduct", f"{{{RAM}}}ShipToTradeParty"})
_CII_BINARY = f"{{{RAM}}}AttachmentBinaryObject"
_CII_QUANTITIES = (f"{{{RAM}}}BasisQuantity", f"{{{RAM}}}BilledQuantity")
_UBL_QUANTITIES = ("cbc:InvoicedQuantity", "cbc:BaseQuantity", "cbc:CreditedQuantity")


# The element names the code-list contexts end in (both syntaxes); other values are not indexed.
_WANTED = frozenset({
    "cbc:InvoiceTypeCode", "cbc:CreditNoteTypeCode", "ram:TypeCode", "cbc:Amount", "cbc:BaseAmount",
    "cbc:PriceAmount", "cbc:TaxableAmount", "cbc:LineExtensionAmount",
    "cbc:TaxExclusiveAmount", "cbc:TaxInclusiveAmount", "cbc:AllowanceTotalAmount",
    "cbc:ChargeTotalAmount", "cbc:PrepaidAmount", "cbc:PayableRoundingAmount", "cbc:PayableAmount",
    "ram:TaxTotalAmount", "cbc:DocumentCurrencyCode", "ram:InvoiceCurrencyCode", "cbc:TaxCurrencyCode",
    "ram:TaxCurrencyCode", "cbc:DescriptionCode", "ram:SubjectCode", "cbc:ID", "ram:ID",
    "ram:GlobalID", "cbc:CompanyID", "cbc:ItemClassificationCode", "ram:ClassCode",
    "cbc:IdentificationCode", "ram:CountryID", "cbc:PaymentMeansCode", "ram:CategoryCode",
    "cbc:TaxExemptionReasonCode", "ram:ExemptionReasonCode", "cbc:InvoicedQuantity",
    "cbc:BaseQuantity", "cbc:CreditedQuantity", "ram:BasisQuantity", "ram:BilledQuantity",
    "cbc:EmbeddedDocumentBinaryObject", "ram:AttachmentBinaryObject", "cbc:EndpointID", "ram:URIID",
})
# Names whose contexts also name the parent element.
_PAIRED = frozenset({
    "ram:TypeCode", "cbc:DescriptionCode", "cbc:ID", "cbc:CompanyID", "cbc:ItemClassificationCode",
    "cbc:IdentificationCode", "ram:ID", "cbc:PaymentMeansCode", "ram:CategoryCode", "ram:GlobalID",
    "ram:URIID",
})
# Value kinds that can carry a code-list value; texts, dates and rates are skipped.
_CODED_KINDS: tuple[type[Value], ...] = (Code, Identifier, Amount, Quantity, Binary)
_CODED = frozenset(_CODED_KINDS)


def _step(step: str) -> str:
    i = step.find("[")
    return step if i < 0 else step[:i]


_NO_VALUES: list[Value] = []


class ValueIndex:
    """The model's coded values by the element name ending their path (``cbc:ID``) and, for
    names that need it, by parent and name (``cac:Country/cbc:IdentificationCode``); predicates
    removed."""

    __slots__ = ("by_name", "by_pair")

    def __init__(self) -> None:
        self.by_name: dict[str, list[Value]] = {}
        self.by_pair: dict[str, list[Value]] = {}

    def named(self, *names: str) -> Iterable[Value]:
        # One name (nearly every rule) needs no generator: its list is the answer.
        if len(names) == 1:
            return self.by_name.get(names[0], _NO_VALUES)
        return [v for n in names for v in self.by_name.get(n, _NO_VALUES)]

    def paired(self, *pairs: str) -> Iterable[Value]:
        if len(pairs) == 1:
            return self.by_pair.get(pairs[0], _NO_VALUES)
        return [v for p in pairs for v in self.by_pair.get(p, _NO_VALUES)]

    def add(self, v: Value) -> None:
        self.add_all((v,))

    def add_all(self, values: Iterable[Value]) -> None:
        """Index ``values`` in order (one loop: this runs for every coded value of a document)."""
        by_name = self.by_name
        by_pair = self.by_pair
        paths = _PATHS
        for v in values:
            name, pair = paths.get(v.path) or _path_keys(v.path)
            if name is None:
                continue
            got = by_name.get(name)
            if got is None:
                by_name[name] = [v]
            else:
                got.append(v)
            if pair is not None:
                by_pair.setdefault(pair, []).append(v)


# Path → (indexed name or None, parent/name key or None). Paths repeat from document to
# document, so their parsing is remembered (bounded: cleared when it grows large).
_PATHS: dict[str, tuple[str | None, str | None]] = {}
_PATHS_MAX = 20_000


def _path_keys(p: str) -> tuple[str | None, str | None]:
    end = p.rfind("/")
    name = _step(p[end + 1:])
    info: tuple[str | None, str | None] = (None, None)
    if name in _WANTED:
        pair = None
        if name in _PAIRED:
            pair = f"{_step(p[p.rfind('/', 0, end) + 1:end])}/{name}"
        info = (name, pair)
    if len(_PATHS) >= _PATHS_MAX:
        _PATHS.clear()
    _PATHS[p] = info
    return info


# Per model class: the fields that can hold a coded value or a group holding one, with their
# shape (0 value, 1 list of values, 2 group, 3 list of groups), worked out once from the
# annotations so the per-document walk skips texts, dates, rates and groups of only those.
_Plan = tuple[tuple[str, int], ...]
_PLANS: dict[type, _Plan] = {}


def _inner(ann: Any) -> tuple[Any, bool]:
    """The element type of an ``X | None`` or ``list[X]`` annotation, and whether it is a list."""
    origin = get_origin(ann)
    if origin is list:
        return get_args(ann)[0], True
    if origin is not None:  # X | None
        args = [a for a in get_args(ann) if a is not type(None)]
        return (args[0] if len(args) == 1 else None), False
    return ann, False


def _plan(cls: type[BaseModel]) -> _Plan:
    got = _PLANS.get(cls)
    if got is not None:
        return got
    _PLANS[cls] = ()  # recursion guard (InvoiceLine holds InvoiceLines)
    fields: list[tuple[str, int]] = []
    for name, info in cls.model_fields.items():
        t, many = _inner(info.annotation)
        if not isinstance(t, type):
            continue
        if t in _CODED:
            fields.append((name, 1 if many else 0))
        elif issubclass(t, BaseModel) and not issubclass(t, Value) and (t is cls or _plan(t)):
            fields.append((name, 3 if many else 2))
    plan = _PLANS[cls] = tuple(fields)
    return plan


class _Walkers(dict[type, Callable[[Any, list[Value]], None]]):
    """Per model class, a function appending the coded values of an object and its groups to a
    list, in model order, written out from the class's plan on first use.

    The walk runs over every group of every document (about 125 fields, 25 groups): a generic
    loop pays a tuple unpack, a look-up and a shape test per field, the generated code one
    dict look-up and one test (the walk's instructions roughly halve).
    """

    def __missing__(self, cls: type) -> Callable[[Any, list[Value]], None]:
        body = ["def walk(obj, out):", "    d = obj.__dict__"]
        for name, shape in _plan(cls):
            body.append(f"    v = d[{name!r}]")
            body.append("    if v:")
            body.append({0: "        out.append(v)",
                         1: "        out.extend(v)",
                         2: "        _WALKERS[type(v)](v, out)",
                         3: "        for x in v:\n            _WALKERS[type(x)](x, out)"}[shape])
        scope: dict[str, Any] = {"_WALKERS": self}
        exec("\n".join(body), scope)  # noqa: S102 - source built above from field names only
        walk: Callable[[Any, list[Value]], None] = scope["walk"]
        self[cls] = walk
        return walk


_WALKERS = _Walkers()


def _walk(obj: BaseModel, out: list[Value]) -> None:
    """Append the coded values held by ``obj`` and its groups to ``out``, in model order."""
    _WALKERS[type(obj)](obj, out)


def value_index(ctx: Context) -> ValueIndex:
    """The document's value index, built once per document (``ctx.cache['model.values']``)."""
    cached = ctx.cache.get("model.values")
    if isinstance(cached, ValueIndex):
        return cached
    idx = ValueIndex()
    values: list[Value] = []
    _walk(ctx.invoice, values)
    idx.add_all(values)
    ctx.cache["model.values"] = idx
    return idx


def _xml_nodes(ctx: Context, *tags: str) -> Iterator[etree._Element]:
    """The document's elements named ``tags`` (in document order per tag), from the shared
    document index (one walk per document for all rule families)."""
    every = doc(ctx).all
    for tag in tags:
        yield from every(tag)


def _norm(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _listed(text: str | None, codes: frozenset[str]) -> bool:
    """``normalize-space(text)`` is one of ``codes``.

    No code of our lists holds a blank (they are split at blanks), so a value found as written is
    already its own normalised form: only the rare value that is not needs normalising.
    """
    return text is not None and (text in codes or _norm(text) in codes)


def _hit(v: Value, what_de: str, what_en: str, shown: str) -> Hit:
    return Hit(
        v.path,
        f"{what_de} '{shown}' ist kein gültiger Code der Liste.",
        f"{what_en} '{shown}' is not a valid code of its list.",
    )


def _check_values(values: Iterable[Value], codes: frozenset[str], what_de: str,
                  what_en: str) -> Iterator[Hit]:
    for v in values:
        raw = v.raw
        if raw not in codes and not _listed(raw, codes):  # the plain test first: most are listed
            yield _hit(v, what_de, what_en, raw)


def _check_schemes(values: Iterable[Value], codes: frozenset[str], what_de: str,
                   what_en: str) -> Iterator[Hit]:
    """Identifiers (or codes) whose scheme attribute is present but not in ``codes``."""
    for v in values:
        scheme = _scheme(v)
        if scheme is not None and scheme not in codes and not _listed(scheme, codes):
            yield _hit(v, what_de, what_en, scheme)


def _scheme(v: Value) -> str | None:
    if isinstance(v, Identifier):
        return v.scheme
    if isinstance(v, Code):
        return v.list_id
    return None


# --- the rules --------------------------------------------------------------------------------


@rule("BR-CL-01", level="error", source="en16931", layer="codelist", bts=("BT-3",))
def br_cl_01(ctx: Context) -> Iterator[Hit]:
    """Invoice type code (BT-3) from UNTDID 1001 (UBL: separate lists for invoices and credit notes)."""
    idx = value_index(ctx)
    if ctx.family == "ubl":
        yield from _check_values(idx.named("cbc:InvoiceTypeCode"), document_type.UBL_INVOICE,
                                 "Rechnungsart (BT-3)", "Invoice type code (BT-3)")
        yield from _check_values(idx.named("cbc:CreditNoteTypeCode"), document_type.UBL_CREDIT_NOTE,
                                 "Gutschriftart (BT-3)", "Credit note type code (BT-3)")
    else:
        yield from _check_values(idx.paired("rsm:ExchangedDocument/ram:TypeCode"), document_type.CII,
                                 "Rechnungsart (BT-3)", "Invoice type code (BT-3)")


# The amount elements of UBL BR-CL-03 but cbc:TaxAmount, which is read from the XML.
_UBL_AMOUNTS = (
    "cbc:Amount", "cbc:BaseAmount", "cbc:PriceAmount", "cbc:TaxableAmount",
    "cbc:LineExtensionAmount", "cbc:TaxExclusiveAmount", "cbc:TaxInclusiveAmount",
    "cbc:AllowanceTotalAmount", "cbc:ChargeTotalAmount", "cbc:PrepaidAmount",
    "cbc:PayableRoundingAmount", "cbc:PayableAmount",
)


@rule("BR-CL-03", level="error", source="en16931", layer="codelist", bts=("BT-5", "BT-6"))
def br_cl_03(ctx: Context) -> Iterator[Hit]:
    """Currency of every amount (currencyID) from ISO 4217 (CII: the VAT totals only)."""
    # The VAT totals (UBL cbc:TaxAmount, CII ram:TaxTotalAmount) are read from the XML: the model
    # tells BT-110 from BT-111 by their currency, so one in an unknown currency is not in it.
    tax_tag = _UBL_TAX_AMOUNT if ctx.family == "ubl" else _CII_TAX_TOTAL
    memo: PathMemo = {}
    for el in _xml_nodes(ctx, tax_tag):
        cur = el.get("currencyID")
        if cur is None and ctx.family == "cii":
            continue  # the CII context needs the attribute
        if cur not in currency.CODES and not _listed(cur, currency.CODES):
            yield _currency_hit(reader_path(el, memo), cur, (el.text or "").strip())
    if ctx.family == "cii":
        return
    codes = currency.CODES
    for v in value_index(ctx).named(*_UBL_AMOUNTS):
        if isinstance(v, Amount) and v.currency not in codes and not _listed(v.currency, codes):
            yield _currency_hit(v.path, v.currency, v.raw)


def _currency_hit(path: str, cur: str | None, raw: str) -> Hit:
    return Hit(path,
               f"Die Währung '{cur or ''}' des Betrags {raw} ist kein ISO-4217-Code.",
               f"The currency '{cur or ''}' of amount {raw} is not an ISO 4217 code.")


@rule("BR-CL-04", level="error", source="en16931", layer="codelist", bts=("BT-5",))
def br_cl_04(ctx: Context) -> Iterator[Hit]:
    """Invoice currency code (BT-5) from ISO 4217."""
    name = "cbc:DocumentCurrencyCode" if ctx.family == "ubl" else "ram:InvoiceCurrencyCode"
    yield from _check_values(value_index(ctx).named(name), currency.CODES,
                             "Der Rechnungswährungscode (BT-5)", "The invoice currency code (BT-5)")


@rule("BR-CL-05", level="error", source="en16931", layer="codelist", bts=("BT-6",))
def br_cl_05(ctx: Context) -> Iterator[Hit]:
    """VAT accounting currency code (BT-6) from ISO 4217."""
    name = "cbc:TaxCurrencyCode" if ctx.family == "ubl" else "ram:TaxCurrencyCode"
    yield from _check_values(value_index(ctx).named(name), currency.CODES,
                             "Der Code der Umsatzsteuer-Buchungswährung (BT-6)",
                             "The VAT accounting currency code (BT-6)")


@rule("BR-CL-06", level="error", source="en16931", layer="codelist", bts=("BT-8",))
def br_cl_06(ctx: Context) -> Iterator[Hit]:
    """VAT point date code (BT-8): UBL UNTDID 2005 (3, 35, 432), CII UNTDID 2475 (5, 29, 72)."""
    what = ("Der Code des Steuerzeitpunkts (BT-8)", "The VAT point date code (BT-8)")
    if ctx.family == "ubl":
        values = value_index(ctx).paired("cac:InvoicePeriod/cbc:DescriptionCode")
        yield from _check_values(values, vat_date_code.UBL, *what)
        return
    # CII may repeat BT-8 in every VAT breakdown; the model keeps one, the rule checks each.
    tree = ctx.root.getroottree()
    for el in _xml_nodes(ctx, _CII_DUE_DATE_CODE):
        raw = el.text or ""
        if _norm(raw) not in vat_date_code.CII:
            yield Hit(tree.getpath(el), f"{what[0]} '{raw.strip()}' ist kein gültiger Code der Liste.",
                      f"{what[1]} '{raw.strip()}' is not a valid code of its list.")


@rule("BR-CL-07", level="error", source="en16931", layer="codelist", bts=("BT-18", "BT-128"))
def br_cl_07(ctx: Context) -> Iterator[Hit]:
    """Scheme of the invoiced object identifier (BT-18, BT-128) from UNTDID 1153."""
    inv = ctx.invoice
    ids = [inv.invoiced_object_identifier, *(ln.object_identifier for ln in _all_lines(inv))]
    for v in ids:
        if v is None or v.scheme is None:
            continue
        if _norm(v.scheme) not in reference_qualifier.CODES:
            loc = v.path
            if ctx.family == "cii":
                loc = v.path.rsplit("/", 1)[0] + "/ram:ReferenceTypeCode"
            yield Hit(loc,
                      f"Die Kennungsart '{v.scheme}' der Objektkennung '{v.raw}' ist kein "
                      "UNTDID-1153-Code.",
                      f"The scheme '{v.scheme}' of object identifier '{v.raw}' is not an "
                      "UNTDID 1153 code.")


@rule("BR-CL-08", level="error", source="en16931", layer="codelist", bts=("BT-21",))
def br_cl_08(ctx: Context) -> Iterator[Hit]:
    """Invoice note subject code (BT-21) from UNTDID 4451 (UBL: the #CODE# prefix of the note)."""
    if ctx.family == "cii":
        yield from _check_values(value_index(ctx).named("ram:SubjectCode"), text_subject.CII,
                                 "Der Betreffcode der Bemerkung (BT-21)",
                                 "The invoice note subject code (BT-21)")
        return
    for n in ctx.invoice.notes:
        note = n.note
        if note is None or note.path.count("/") != 2:
            continue  # only the document's own cbc:Note elements
        text = note.raw
        if "#" not in text:
            continue
        code = text.split("#", 1)[1]
        if "#" not in code:
            continue  # substring-before of a missing '#' is empty: length 0, not tested
        code = code.split("#", 1)[0]
        # The official UBL test searches the list without blank padding (substring test).
        if len(code) == 3 and code not in text_subject.UBL_LITERAL:
            yield Hit(note.path,
                      f"Der Betreffcode '#{code}#' der Bemerkung ist kein UNTDID-4451-Code.",
                      f"The note subject code '#{code}#' is not an UNTDID 4451 code.")


def _all_lines(inv: Invoice) -> Iterator[InvoiceLine]:
    stack = list(inv.lines)
    while stack:
        ln = stack.pop()
        yield ln
        stack.extend(ln.sub_lines)


@rule("BR-CL-10", level="error", source="en16931", layer="codelist", bts=("BT-29", "BT-46", "BT-60"))
def br_cl_10(ctx: Context) -> Iterator[Hit]:
    """Scheme of party identifiers (BT-29, BT-46, BT-60) from ISO 6523 (UBL: SEPA for seller/payee)."""
    idx = value_index(ctx)
    if ctx.family == "ubl":
        for v in idx.paired("cac:PartyIdentification/cbc:ID"):
            s = _scheme(v)
            if s is None:
                continue
            ns = _norm(s)
            if ns in icd.CODES:
                continue
            if ns == icd.SEPA and ("cac:AccountingSupplierParty" in v.path or "cac:PayeeParty" in v.path):
                continue
            yield _hit(v, "Die Kennungsart (ISO 6523) der Partei-Kennung",
                       "The scheme (ISO 6523) of the party identifier", s)
        return
    # CII: every ram:GlobalID outside products and the ship-to party, read from the XML since
    # the model keeps global identifiers of the main parties only.
    memo: PathMemo = {}
    for el in _xml_nodes(ctx, _CII_GLOBAL_ID):
        scheme = el.get("schemeID")
        if scheme is None or _norm(scheme) in icd.CODES:
            continue
        if any(a.tag in _CII_NOT_PARTY for a in el.iterancestors()):
            continue
        yield _xml_hit(reader_path(el, memo), "Die Kennungsart (ISO 6523) der globalen Kennung",
                       "The scheme (ISO 6523) of the global identifier", scheme)


@rule("BR-CL-11", level="error", source="en16931", layer="codelist", bts=("BT-30", "BT-47", "BT-61"))
def br_cl_11(ctx: Context) -> Iterator[Hit]:
    """Scheme of legal registration identifiers (BT-30, BT-47, BT-61) from ISO 6523."""
    if ctx.family == "ubl":
        yield from _check_schemes(value_index(ctx).paired("cac:PartyLegalEntity/cbc:CompanyID"),
                                  icd.CODES, "Die Kennungsart (ISO 6523) der Kennung",
                                  "The scheme (ISO 6523) of the identifier")
        return
    # CII checks the schemeID of every ram:ID outside tax registrations, wherever it stands
    # (also identifiers the model keeps as plain text, such as the specification identifier).
    memo: PathMemo = {}
    for el in _xml_nodes(ctx, _CII_ID):
        scheme = el.get("schemeID")
        if scheme is None or _norm(scheme) in icd.CODES:
            continue
        parent = el.getparent()
        if parent is not None and any(a.tag == _CII_TAX_REG for a in (parent, *parent.iterancestors())):
            continue
        yield _xml_hit(reader_path(el, memo), "Die Kennungsart (ISO 6523) der Kennung",
                       "The scheme (ISO 6523) of the identifier", scheme)


def _xml_hit(path: str, what_de: str, what_en: str, shown: str) -> Hit:
    return Hit(path, f"{what_de} '{shown}' ist kein gültiger Code der Liste.",
               f"{what_en} '{shown}' is not a valid code of its list.")


@rule("BR-CL-13", level="error", source="en16931", layer="codelist", bts=("BT-158",))
def br_cl_13(ctx: Context) -> Iterator[Hit]:
    """Scheme of item classification identifiers (BT-158) from UNTDID 7143."""
    idx = value_index(ctx)
    values = (idx.paired("cac:CommodityClassification/cbc:ItemClassificationCode")
              if ctx.family == "ubl" else idx.named("ram:ClassCode"))
    yield from _check_schemes(values, item_type.CODES,
                              "Die Kennungsart (UNTDID 7143) der Artikelklassifizierung (BT-158)",
                              "The scheme (UNTDID 7143) of the item classification (BT-158)")


@rule("BR-CL-14", level="error", source="en16931", layer="codelist",
      bts=("BT-40", "BT-55", "BT-69", "BT-80"))
def br_cl_14(ctx: Context) -> Iterator[Hit]:
    """Country codes of addresses (BT-40, BT-55, BT-69, BT-80) from ISO 3166-1 alpha-2."""
    idx = value_index(ctx)
    if ctx.family == "ubl":
        values, codes = idx.paired("cac:Country/cbc:IdentificationCode"), country.UBL
    else:
        values, codes = idx.named("ram:CountryID"), country.CII
    yield from _check_values(values, codes, "Der Ländercode", "The country code")


@rule("BR-CL-15", level="error", source="en16931", layer="codelist", bts=("BT-159",))
def br_cl_15(ctx: Context) -> Iterator[Hit]:
    """Item country of origin (BT-159) from ISO 3166-1 alpha-2."""
    what = ("Das Herkunftsland (BT-159)", "The item country of origin (BT-159)")
    if ctx.family == "ubl":
        values = value_index(ctx).paired("cac:OriginCountry/cbc:IdentificationCode")
        yield from _check_values(values, country.UBL, *what)
        return
    for v in value_index(ctx).paired("ram:OriginTradeCountry/ram:ID"):
        if _norm(v.raw) in country.CII:
            continue
        # An origin country ram:ID with a schemeID is taken by BR-CL-11, which comes first in the
        # official pattern; this rule never sees it.
        el = _element_at(ctx, v.path)
        if el is not None and el.get("schemeID") is not None:
            continue
        yield _hit(v, *what, v.raw)


@rule("BR-CL-16", level="error", source="en16931", layer="codelist", bts=("BT-81",))
def br_cl_16(ctx: Context) -> Iterator[Hit]:
    """Payment means type code (BT-81) from UNTDID 4461."""
    pair = ("cac:PaymentMeans/cbc:PaymentMeansCode" if ctx.family == "ubl"
            else "ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode")
    yield from _check_values(value_index(ctx).paired(pair), payment_means.CODES,
                             "Der Code der Zahlungsart (BT-81)", "The payment means type code (BT-81)")


@rule("BR-CL-17", level="error", source="en16931", layer="codelist", bts=("BT-95", "BT-102", "BT-118"))
def br_cl_17(ctx: Context) -> Iterator[Hit]:
    """VAT category codes of tax categories (UBL: BT-95, BT-102, BT-118; CII: BT-95, BT-102)."""
    pair = "cac:TaxCategory/cbc:ID" if ctx.family == "ubl" else "ram:CategoryTradeTax/ram:CategoryCode"
    yield from _check_values(value_index(ctx).paired(pair), vat_category.CODES,
                             "Der Umsatzsteuer-Kategoriecode", "The VAT category code")


@rule("BR-CL-18", level="error", source="en16931", layer="codelist", bts=("BT-151", "BT-118"))
def br_cl_18(ctx: Context) -> Iterator[Hit]:
    """VAT category codes of lines (BT-151; CII also the breakdowns, BT-118) from UNTDID 5305."""
    pair = ("cac:ClassifiedTaxCategory/cbc:ID" if ctx.family == "ubl"
            else "ram:ApplicableTradeTax/ram:CategoryCode")
    yield from _check_values(value_index(ctx).paired(pair), vat_category.CODES,
                             "Der Umsatzsteuer-Kategoriecode", "The VAT category code")


def _reason_codes(ctx: Context, charges: bool) -> list[Code]:
    """The reason codes of the document's and the lines' allowances (or charges), document
    level first; both lists come from one walk over the lines (BR-CL-19 and BR-CL-20 ask)."""
    got = ctx.cache.get("cl.reasons")
    if got is None:
        got = ctx.cache["cl.reasons"] = _collect_reasons(ctx.invoice)
    both: tuple[list[Code], list[Code]] = got
    return both[1] if charges else both[0]


def _collect_reasons(inv: Invoice) -> tuple[list[Code], list[Code]]:
    allowances: list[Code] = []
    charges: list[Code] = []
    _add_reasons(inv.allowances, allowances)
    _add_reasons(inv.charges, charges)
    for ln in _all_lines(inv):
        if ln.allowances:
            _add_reasons(ln.allowances, allowances)
        if ln.charges:
            _add_reasons(ln.charges, charges)
    return allowances, charges


def _add_reasons(group: Iterable[object], out: list[Code]) -> None:
    for ac in group:
        rc = getattr(ac, "reason_code", None)
        if isinstance(rc, Code):
            out.append(rc)


@rule("BR-CL-19", level="error", source="en16931", layer="codelist", bts=("BT-98", "BT-140"))
def br_cl_19(ctx: Context) -> Iterator[Hit]:
    """Allowance reason codes (BT-98, BT-140) from UNTDID 5189."""
    yield from _check_values(_reason_codes(ctx, False), allowance_reason.CODES,
                             "Der Code des Nachlassgrunds", "The allowance reason code")


@rule("BR-CL-20", level="error", source="en16931", layer="codelist", bts=("BT-105", "BT-145"))
def br_cl_20(ctx: Context) -> Iterator[Hit]:
    """Charge reason codes (BT-105, BT-145) from UNTDID 7161."""
    yield from _check_values(_reason_codes(ctx, True), charge_reason.CODES,
                             "Der Code des Zuschlagsgrunds", "The charge reason code")


@rule("BR-CL-21", level="error", source="en16931", layer="codelist", bts=("BT-157",))
def br_cl_21(ctx: Context) -> Iterator[Hit]:
    """Scheme of the item standard identifier (BT-157) from ISO 6523."""
    pair = ("cac:StandardItemIdentification/cbc:ID" if ctx.family == "ubl"
            else "ram:SpecifiedTradeProduct/ram:GlobalID")
    yield from _check_schemes(value_index(ctx).paired(pair), icd.CODES,
                              "Die Kennungsart (ISO 6523) der Artikelkennung (BT-157)",
                              "The scheme (ISO 6523) of the item standard identifier (BT-157)")


@rule("BR-CL-22", level="error", source="en16931", layer="codelist", bts=("BT-121",))
def br_cl_22(ctx: Context) -> Iterator[Hit]:
    """VAT exemption reason code (BT-121) from the VATEX list (case-insensitive)."""
    name = "cbc:TaxExemptionReasonCode" if ctx.family == "ubl" else "ram:ExemptionReasonCode"
    for v in value_index(ctx).named(name):
        n = _norm(v.raw)
        if " " in n or _norm(v.raw.upper()) not in vatex.CODES:
            yield _hit(v, "Der Code des Befreiungsgrunds (BT-121)",
                       "The VAT exemption reason code (BT-121)", v.raw)


def _element_at(ctx: Context, path: str) -> etree._Element | None:
    """The element at a model path (rare look-ups only: an XPath evaluation each)."""
    try:
        found = ctx.root.xpath(path, namespaces=ALL_NS)
    except etree.XPathError:
        return None
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None


def _xml_attrs(ctx: Context, attr: str, *tags: str) -> Iterator[tuple[etree._Element | Value, str]]:
    """(element, attribute value) of every element named ``tags`` that has ``attr``, from the XML.

    For the few contexts whose elements the model keeps only in part (a CII price has two base
    quantities, the model one; attachments of references that are not supporting documents).
    """
    for el in _xml_nodes(ctx, *tags):
        value = el.get(attr)
        if value is not None:
            yield el, value


def _where(node: etree._Element | Value, memo: PathMemo) -> str:
    """The XPath of a model value or (worked out only for a finding) of an XML element."""
    return node.path if isinstance(node, Value) else reader_path(node, memo)


@rule("BR-CL-23", level="error", source="en16931", layer="codelist", bts=("BT-130", "BT-150"))
def br_cl_23(ctx: Context) -> Iterator[Hit]:
    """Units of measure (BT-130, BT-150) from UN/ECE Recommendation 20/21."""
    if ctx.family == "ubl":
        units: Iterator[tuple[etree._Element | Value, str]] = (
            (v, v.unit) for v in value_index(ctx).named(*_UBL_QUANTITIES)
            if isinstance(v, Quantity) and v.unit is not None)
    else:
        units = _xml_attrs(ctx, "unitCode", *_CII_QUANTITIES)
    memo: PathMemo = {}
    for node, code in units:
        if _norm(code) not in unit.CODES:
            yield Hit(_where(node, memo),
                      f"Die Mengeneinheit '{code}' ist kein Code aus UN/ECE Empfehlung 20/21.",
                      f"The unit of measure '{code}' is not a UN/ECE Recommendation 20/21 code.")


@rule("BR-CL-24", level="error", source="en16931", layer="codelist", bts=("BT-125",))
def br_cl_24(ctx: Context) -> Iterator[Hit]:
    """MIME code of attachments (BT-125): one of the six EN 16931 types, compared exactly."""
    tag = _UBL_BINARY if ctx.family == "ubl" else _CII_BINARY
    memo: PathMemo = {}
    for node, code in _xml_attrs(ctx, "mimeCode", tag):
        if code not in mime.CODES:
            yield Hit(_where(node, memo),
                      f"Der MIME-Code '{code}' des Anhangs ist nicht erlaubt.",
                      f"The MIME code '{code}' of the attachment is not allowed.")


@rule("BR-CL-25", level="error", source="en16931", layer="codelist", bts=("BT-34", "BT-49"))
def br_cl_25(ctx: Context) -> Iterator[Hit]:
    """Scheme of electronic addresses (BT-34, BT-49) from the EAS list."""
    idx = value_index(ctx)
    values = (idx.named("cbc:EndpointID") if ctx.family == "ubl"
              else idx.paired("ram:URIUniversalCommunication/ram:URIID"))
    yield from _check_schemes(values, eas.CODES, "Die Kennungsart (EAS) der elektronischen Adresse",
                              "The scheme (EAS) of the electronic address")


@rule("BR-CL-26", level="error", source="en16931", layer="codelist", bts=("BT-71",))
def br_cl_26(ctx: Context) -> Iterator[Hit]:
    """Scheme of the deliver-to location identifier (BT-71) from ISO 6523."""
    idx = value_index(ctx)
    if ctx.family == "ubl":
        values: Iterable[Value] = idx.paired("cac:DeliveryLocation/cbc:ID")
    else:
        values = (v for v in idx.paired("ram:ShipToTradeParty/ram:GlobalID")
                  if "ram:ApplicableHeaderTradeDelivery/" in v.path)
    yield from _check_schemes(values, icd.CODES, "Die Kennungsart (ISO 6523) der Lieferortkennung (BT-71)",
                              "The scheme (ISO 6523) of the deliver-to location identifier (BT-71)")
