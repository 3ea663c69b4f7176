"""BR-TMP-2, BR-TMP-3 and BR-DE-TMP-32: XRechnung's provisional ("TMP") rules."""

from __future__ import annotations

from collections.abc import Iterator

from einvoice.rules._xr_helpers import (
    URL_SCHEME,
    El,
    cac,
    cbc,
    doc,
    hit,
    ram,
    rsm,
    string_value,
    xr_rule,
)
from einvoice.rules.registry import Context, Hit


@xr_rule("BR-TMP-2", level="warning", bts=("BT-124",))
def br_tmp_2(ctx: Context) -> Iterator[Hit]:
    """BR-TMP-2: External document location (BT-124) should be an absolute URL with a scheme."""
    d = doc(ctx)
    if ctx.family == "cii":
        refs = [
            r
            for r in d.below(doc(ctx).agreement, ram("AdditionalReferencedDocument"))
            if any(string_value(t) == "916" for t in d.kids(r, ram("TypeCode")))
        ]
        for r in refs:
            uris = d.kids(r, ram("URIID"))
            if uris and not URL_SCHEME.match(string_value(uris[0])):
                yield _bad_url(uris[0], string_value(uris[0]))
        return
    for ext in d.below(
        ctx.root, cac("AdditionalDocumentReference"), cac("Attachment"), cac("ExternalReference")
    ):
        uri = d.kid(ext, cbc("URI"))
        value = string_value(uri)
        if not URL_SCHEME.match(value):
            yield _bad_url(uri if uri is not None else ext, value)


def _bad_url(el: El, value: str) -> Hit:
    return hit(
        el,
        f"Der Ort des externen Dokuments (BT-124) '{value}' ist keine absolute URL mit Schema.",
        f"The external document location (BT-124) '{value}' is no absolute URL with a scheme.",
    )


@xr_rule("BR-TMP-3", level="error", bts=("BT-149", "BT-150"), syntaxes=("cii",))
def br_tmp_3(ctx: Context) -> Iterator[Hit]:
    """BR-TMP-3: Gross and net price base quantities (BT-149, BT-150) must agree when both are given."""
    d = doc(ctx)
    tx = d.kid(ctx.root, rsm("SupplyChainTradeTransaction"))
    for line in d.kids(tx, ram("IncludedSupplyChainTradeLineItem")):
        agr = d.kid(line, ram("SpecifiedLineTradeAgreement"))
        g = d.below(agr, ram("GrossPriceProductTradePrice"), ram("BasisQuantity"))
        n = d.below(agr, ram("NetPriceProductTradePrice"), ram("BasisQuantity"))
        if not (g and n):
            continue
        # '=' between two nodes compares their text: '1' and '1.0' differ, as in the original.
        same_value = any(string_value(a) == string_value(b) for a in g for b in n)
        g_units = [u for u in (e.get("unitCode") for e in g) if u is not None]
        n_units = [u for u in (e.get("unitCode") for e in n) if u is not None]
        same_unit = not (g_units and n_units) or any(a == b for a in g_units for b in n_units)
        if not (same_value and same_unit):
            gv, nv = string_value(g[0]), string_value(n[0])
            yield hit(
                line,
                f"Die Basismengen von Brutto- und Nettopreis weichen ab: '{gv}' {g_units} gegenüber "
                f"'{nv}' {n_units} (BT-149/BT-150).",
                f"The gross and net price base quantities differ: '{gv}' {g_units} versus "
                f"'{nv}' {n_units} (BT-149/BT-150).",
            )


@xr_rule("BR-DE-TMP-32", level="information", bts=("BT-72", "BG-14", "BG-26"))
def br_de_tmp_32(ctx: Context) -> Iterator[Hit]:
    """BR-DE-TMP-32: Delivery date (BT-72), invoicing period (BG-14) or line periods (BG-26)."""
    d = doc(ctx)
    root = ctx.root
    if ctx.family == "cii":
        for tx in d.kids(root, rsm("SupplyChainTradeTransaction")):
            if d.below(
                tx,
                ram("ApplicableHeaderTradeDelivery"),
                ram("ActualDeliverySupplyChainEvent"),
                ram("OccurrenceDateTime"),
            ) or d.below(tx, ram("ApplicableHeaderTradeSettlement"), ram("BillingSpecifiedPeriod")):
                continue
            lines = d.kids(tx, ram("IncludedSupplyChainTradeLineItem"))
            if all(
                d.first(ln, ram("SpecifiedLineTradeSettlement"), ram("BillingSpecifiedPeriod")) is not None
                for ln in lines
            ):
                continue
            yield _no_period(tx)
        return
    if d.below(root, cac("Delivery"), cbc("ActualDeliveryDate")) or d.kids(root, cac("InvoicePeriod")):
        return
    lines = d.kids(root, cac("InvoiceLine")) + d.kids(root, cac("CreditNoteLine"))
    if all(d.kid(ln, cac("InvoicePeriod")) is not None for ln in lines):
        return
    yield _no_period(root)


def _no_period(el: El) -> Hit:
    return hit(
        el,
        "Es ist weder ein Liefer-/Leistungsdatum (BT-72) noch ein Rechnungszeitraum (BG-14) "
        "noch in jeder Position ein Positionszeitraum (BG-26) angegeben.",
        "Neither an actual delivery date (BT-72) nor an invoicing period (BG-14) nor a period on "
        "every line (BG-26) is given.",
    )
