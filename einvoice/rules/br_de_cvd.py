"""BR-DE-CVD-01 … 06 and BR-TMP-CVD-01: the Clean Vehicles Directive (CVD) profile of XRechnung.

They apply only when BT-24 names the CVD profile (the Schematron's ``$isCVD``).
"""

from __future__ import annotations

from collections.abc import Iterator

from einvoice.rules._xr_helpers import (
    UNTDID_7143_CVD,
    Doc,
    El,
    any_filled,
    cac,
    cbc,
    doc,
    hit,
    in_padded_list,
    normalize,
    ram,
    rsm,
    string_value,
    xpath_of,
    xr_rule,
)
from einvoice.rules.registry import Context, Hit

_VEHICLE_CATEGORIES = frozenset({"M1", "M2", "M3", "N1", "N2", "N3"})
_CVA_CODES = frozenset({"clean", "zero-emission", "other"})


def _cvd(ctx: Context) -> bool:
    return doc(ctx).is_cvd


def _items(ctx: Context) -> list[El]:
    """The item of every invoice line (UBL cac:Item, CII SpecifiedTradeProduct)."""
    d = doc(ctx)
    if ctx.family == "cii":
        return d.below(
            ctx.root,
            rsm("SupplyChainTradeTransaction"),
            ram("IncludedSupplyChainTradeLineItem"),
            ram("SpecifiedTradeProduct"),
        )
    return d.below(ctx.root, cac("InvoiceLine"), cac("Item")) + d.below(
        ctx.root, cac("CreditNoteLine"), cac("Item")
    )


def _class_codes(d: Doc, item: El, cii: bool) -> list[El]:
    if cii:
        return d.below(item, ram("DesignatedProductClassification"), ram("ClassCode"))
    return d.below(item, cac("CommodityClassification"), cbc("ItemClassificationCode"))


def _cvd_class_codes(ctx: Context) -> Iterator[El]:
    """Every item classification code of a CVD invoice (nothing outside the CVD scenario)."""
    if not _cvd(ctx):
        return
    d, cii = doc(ctx), ctx.family == "cii"
    for item in _items(ctx):
        yield from _class_codes(d, item, cii)


def _attributes(d: Doc, item: El, cii: bool) -> list[tuple[El, str, El | None]]:
    """(attribute element, its name as written, its value element) of every item attribute."""
    if cii:
        return [
            (a, string_value(d.kid(a, ram("Description"))), d.kid(a, ram("Value")))
            for a in d.kids(item, ram("ApplicableProductCharacteristic"))
        ]
    return [
        (a, string_value(d.kid(a, cbc("Name"))), d.kid(a, cbc("Value")))
        for a in d.kids(item, cac("AdditionalItemProperty"))
    ]


def _has_name(d: Doc, a: El, cii: bool, name: str) -> bool:
    """``[Name = 'cva']``: some name element of the attribute is exactly ``name``."""
    return any(string_value(n) == name for n in d.kids(a, ram("Description") if cii else cbc("Name")))


@xr_rule("BR-DE-CVD-01", level="error", layer="cvd", bts=("BT-12",))
def br_de_cvd_01(ctx: Context) -> Iterator[Hit]:
    """BR-DE-CVD-01: A CVD invoice must give the contract reference (BT-12)."""
    d = doc(ctx)
    if not _cvd(ctx):
        return
    if ctx.family == "cii":
        for agr in d.below(
            ctx.root, rsm("SupplyChainTradeTransaction"), ram("ApplicableHeaderTradeAgreement")
        ):
            if not any_filled(d.below(agr, ram("ContractReferencedDocument"), ram("IssuerAssignedID"))):
                yield hit(
                    agr,
                    "Die Vertragsreferenz (BT-12) fehlt (CVD-Rechnung).",
                    "The contract reference (BT-12) is missing (CVD invoice).",
                )
    elif not any_filled(d.below(ctx.root, cac("ContractDocumentReference"), cbc("ID"))):
        yield hit(
            ctx.root,
            "Die Vertragsreferenz (BT-12) fehlt (CVD-Rechnung).",
            "The contract reference (BT-12) is missing (CVD invoice).",
        )


@xr_rule("BR-DE-CVD-02", level="error", layer="cvd", bts=("BT-17",))
def br_de_cvd_02(ctx: Context) -> Iterator[Hit]:
    """BR-DE-CVD-02: A CVD invoice must give the tender or lot reference (BT-17)."""
    d = doc(ctx)
    if not _cvd(ctx):
        return
    if ctx.family == "cii":
        for agr in d.below(
            ctx.root, rsm("SupplyChainTradeTransaction"), ram("ApplicableHeaderTradeAgreement")
        ):
            ok = any(
                normalize(string_value(d.kid(r, ram("TypeCode")))) == "50"
                and normalize(string_value(d.kid(r, ram("IssuerAssignedID"))))
                for r in d.kids(agr, ram("AdditionalReferencedDocument"))
            )
            if not ok:
                yield hit(
                    agr,
                    "Die Vergabe- oder Losreferenz (BT-17) fehlt (CVD-Rechnung).",
                    "The tender or lot reference (BT-17) is missing (CVD invoice).",
                )
    elif not any_filled(d.below(ctx.root, cac("OriginatorDocumentReference"), cbc("ID"))):
        yield hit(
            ctx.root,
            "Die Vergabe- oder Losreferenz (BT-17) fehlt (CVD-Rechnung).",
            "The tender or lot reference (BT-17) is missing (CVD invoice).",
        )


def _is_cvd_code(c: El) -> bool:
    return c.get("listID") == "CVD"


@xr_rule("BR-DE-CVD-03", level="error", layer="cvd", bts=("BT-158", "BT-160"))
def br_de_cvd_03(ctx: Context) -> Iterator[Hit]:
    """BR-DE-CVD-03: At least one line classifies the vehicle (scheme 'CVD') and has the attribute 'cva'."""
    d = doc(ctx)
    if not _cvd(ctx):
        return
    cii = ctx.family == "cii"
    ok = any(
        any(_is_cvd_code(c) for c in _class_codes(d, item, cii))
        and any(_has_name(d, a, cii, "cva") for a, _, _ in _attributes(d, item, cii))
        for item in _items(ctx)
    )
    if not ok:
        where = d.kid(ctx.root, rsm("SupplyChainTradeTransaction")) if cii else ctx.root
        yield Hit(
            xpath_of(where if where is not None else ctx.root),
            "Keine Position enthält eine Fahrzeugklassifikation (Schema 'CVD', BT-158) zusammen mit "
            "dem Attribut 'cva' (BT-160).",
            "No line has a vehicle classification (scheme 'CVD', BT-158) together with the "
            "attribute 'cva' (BT-160).",
        )


@xr_rule("BR-DE-CVD-04", level="error", layer="cvd", bts=("BT-158",))
def br_de_cvd_04(ctx: Context) -> Iterator[Hit]:
    """BR-DE-CVD-04: A classification with scheme 'CVD' (BT-158) names a vehicle category M1 … N3."""
    for c in _cvd_class_codes(ctx):
        if normalize(c.get("listID")) == "CVD" and normalize(string_value(c)) not in _VEHICLE_CATEGORIES:
            yield hit(
                c,
                f"Die Fahrzeugkategorie '{string_value(c)}' (BT-158) ist nicht M1, M2, M3, "
                "N1, N2 oder N3.",
                f"The vehicle category '{string_value(c)}' (BT-158) is not M1, M2, M3, N1, N2 or N3.",
            )


@xr_rule("BR-TMP-CVD-01", level="error", layer="cvd", bts=("BT-158",))
def br_tmp_cvd_01(ctx: Context) -> Iterator[Hit]:
    """BR-TMP-CVD-01: The scheme of an item classification (BT-158) is from UNTDID 7143 (or 'CVD')."""
    for c in _cvd_class_codes(ctx):
        scheme = c.get("listID")
        if not in_padded_list(scheme, UNTDID_7143_CVD):
            yield hit(
                c,
                f"Das Schema '{scheme}' der Artikelklassifikation (BT-158) steht nicht in UNTDID 7143.",
                f"The item classification scheme '{scheme}' (BT-158) is not in UNTDID 7143.",
            )


@xr_rule("BR-DE-CVD-05", level="error", layer="cvd", bts=("BT-161",))
def br_de_cvd_05(ctx: Context) -> Iterator[Hit]:
    """BR-DE-CVD-05: The value of the attribute 'cva' (BT-161) is clean, zero-emission or other."""
    d = doc(ctx)
    if not _cvd(ctx):
        return
    cii = ctx.family == "cii"
    for item in _items(ctx):
        for a, _, _ in _attributes(d, item, cii):
            if not _has_name(d, a, cii, "cva"):
                continue
            value = normalize(string_value(d.kid(a, ram("Value") if cii else cbc("Value"))))
            if value not in _CVA_CODES:
                yield hit(
                    a,
                    f"Der Wert '{value}' des Attributs 'cva' (BT-161) ist nicht clean, "
                    "zero-emission oder other.",
                    f"The value '{value}' of the attribute 'cva' (BT-161) is not clean, "
                    "zero-emission or other.",
                )


@xr_rule("BR-DE-CVD-06-a", level="error", layer="cvd", bts=("BT-158", "BT-160"))
def br_de_cvd_06_a(ctx: Context) -> Iterator[Hit]:
    """BR-DE-CVD-06-a: A line classified with scheme 'CVD' has exactly one attribute 'cva'."""
    d = doc(ctx)
    if not _cvd(ctx):
        return
    cii = ctx.family == "cii"
    for item in _items(ctx):
        if not any(_is_cvd_code(c) for c in _class_codes(d, item, cii)):
            continue
        n = sum(1 for a, _, _ in _attributes(d, item, cii) if _has_name(d, a, cii, "cva"))
        if n != 1:
            yield hit(
                item,
                f"Die Position mit CVD-Klassifikation hat {n} statt genau eines Attributs 'cva'.",
                f"The line with a CVD classification has {n} instead of exactly one attribute 'cva'.",
            )


@xr_rule("BR-DE-CVD-06-b", level="error", layer="cvd", bts=("BT-158", "BT-160"))
def br_de_cvd_06_b(ctx: Context) -> Iterator[Hit]:
    """BR-DE-CVD-06-b: A line with the attribute 'cva' has exactly one classification with scheme 'CVD'."""
    d = doc(ctx)
    if not _cvd(ctx):
        return
    cii = ctx.family == "cii"
    for item in _items(ctx):
        if not any(_has_name(d, a, cii, "cva") for a, _, _ in _attributes(d, item, cii)):
            continue
        n = sum(1 for c in _class_codes(d, item, cii) if _is_cvd_code(c))
        if n != 1:
            yield hit(
                item,
                f"Die Position mit Attribut 'cva' hat {n} statt genau einer CVD-Klassifikation.",
                f"The line with the attribute 'cva' has {n} instead of exactly one CVD classification.",
            )
