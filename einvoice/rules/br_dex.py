"""BR-DEX-01 … BR-DEX-15: rules of the XRechnung extension (sub-lines, third party payments, …).

They apply only when the document declares the extension in BT-24 (the Schematron's
``$isExtension``, reproduced exactly in :class:`einvoice.rules._xr_helpers.Doc`).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from einvoice.rules._xr_helpers import (
    DEC,
    EAS_EXT,
    ICD_EXT,
    UBL_INVOICE_ROOT,
    Doc,
    El,
    cac,
    cbc,
    doc,
    el_decimal,
    filled,
    fmt,
    hit,
    in_padded_list,
    ram,
    round2,
    rsm,
    string_value,
    xr_rule,
)
from einvoice.rules.registry import Context, Hit

_MIME = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/xml",
    }
)


def _ext(ctx: Context) -> Doc | None:
    d = doc(ctx)
    return d if d.is_extension else None


@xr_rule("BR-DEX-01", level="error", bts=("BT-125",))
def br_dex_01(ctx: Context) -> Iterator[Hit]:
    """BR-DEX-01: Attachments (BT-125) in the extension use an allowed MIME code (incl. application/xml)."""
    d = _ext(ctx)
    if d is None:
        return
    tag = ram("AttachmentBinaryObject") if d.cii else cbc("EmbeddedDocumentBinaryObject")
    for b in d.all(tag):
        mime = b.get("mimeCode")
        if mime not in _MIME:
            yield hit(
                b,
                f"Der MIME-Code '{mime}' des Anhangs (BT-125) ist nicht zulässig.",
                f"The attachment's (BT-125) MIME code '{mime}' is not allowed.",
            )


def _sum_lines(d: Doc, parent: El, tag: str) -> Decimal | None:
    total = Decimal(0)
    for s in d.kids(parent, tag):
        v = el_decimal(d.kid(s, cbc("LineExtensionAmount")))
        if v is None:
            continue
        total += v
    return total


@xr_rule("BR-DEX-02", level="warning", bts=("BT-131", "BG-DEX-01"), syntaxes=("ubl",))
def br_dex_02(ctx: Context) -> Iterator[Hit]:
    """BR-DEX-02: A line's net amount (BT-131) should equal the sum of its direct sub-lines' net amounts."""
    d = _ext(ctx)
    if d is None or ctx.root.tag != UBL_INVOICE_ROOT:
        return
    sub = cac("SubInvoiceLine")
    parents = [ln for ln in d.kids(ctx.root, cac("InvoiceLine")) if d.kid(ln, sub) is not None]
    parents += [s for s in d.all(sub) if d.kid(s, sub) is not None]
    for p in parents:
        own = el_decimal(d.kid(p, cbc("LineExtensionAmount")))
        total = _sum_lines(d, p, sub)
        if own is None or own != total:
            yield hit(
                p,
                f"Der Nettobetrag {fmt(own)} (BT-131) weicht von der Summe {fmt(total)} der "
                "Unterpositionen ab.",
                f"The net amount {fmt(own)} (BT-131) differs from the sum {fmt(total)} of its sub-lines.",
            )


@xr_rule("BR-DEX-03", level="error", bts=("BG-DEX-06",), syntaxes=("ubl",))
def br_dex_03(ctx: Context) -> Iterator[Hit]:
    """BR-DEX-03: Every sub-line (BG-DEX-01) has exactly one VAT information (BG-DEX-06)."""
    d = _ext(ctx)
    if d is None or ctx.root.tag != UBL_INVOICE_ROOT:
        return
    for s in d.all(cac("SubInvoiceLine")):
        for item in d.kids(s, cac("Item")):
            n = len(d.kids(item, cac("ClassifiedTaxCategory")))
            if n != 1:
                yield hit(
                    item,
                    f"Die Unterposition enthält {n} statt genau einer Umsatzsteuerangabe (BG-DEX-06).",
                    f"The sub-line has {n} instead of exactly one VAT information (BG-DEX-06).",
                )


def _scheme_hits(
    els: list[El], allowed: str, what_de: str, what_en: str, sepa_ok: bool = False
) -> Iterator[Hit]:
    for e in els:
        scheme = e.get("schemeID")
        if scheme is None or in_padded_list(scheme, allowed):
            continue
        if (
            sepa_ok
            and in_padded_list(scheme, " SEPA ")
            and (next(e.iterancestors(cac("AccountingSupplierParty"), cac("PayeeParty")), None) is not None)
        ):
            continue
        yield hit(
            e,
            f"Die Schema-Kennung '{scheme}' {what_de} steht nicht in der zulässigen Codeliste.",
            f"The scheme identifier '{scheme}' {what_en} is not in the allowed code list.",
        )


def _without_ancestor(els: list[El], *tags: str) -> list[El]:
    return [e for e in els if next(e.iterancestors(*tags), None) is None]


@xr_rule("BR-DEX-04", level="error", bts=("BT-29", "BT-46", "BT-60"))
def br_dex_04(ctx: Context) -> Iterator[Hit]:
    """BR-DEX-04: Party identifier schemes use ISO 6523 ICD (or the DiGA codes; SEPA for seller/payee)."""
    d = _ext(ctx)
    if d is None:
        return
    if d.cii:
        els = _without_ancestor(d.all(ram("GlobalID")), ram("SpecifiedTradeProduct"), ram("ShipToTradeParty"))
        yield from _scheme_hits(els, ICD_EXT, "der Partei-Kennung", "of the party identifier")
    else:
        yield from _scheme_hits(
            d.under(cbc("ID"), cac("PartyIdentification")),
            ICD_EXT,
            "der Partei-Kennung",
            "of the party identifier",
            sepa_ok=True,
        )


@xr_rule("BR-DEX-05", level="error", bts=("BT-30", "BT-47", "BT-61"))
def br_dex_05(ctx: Context) -> Iterator[Hit]:
    """BR-DEX-05: Legal registration identifier schemes use ISO 6523 ICD (or the DiGA codes)."""
    d = _ext(ctx)
    if d is None:
        return
    if d.cii:
        els = _without_ancestor(d.all(ram("ID")), ram("SpecifiedTaxRegistration"))
    else:
        els = d.under(cbc("CompanyID"), cac("PartyLegalEntity"))
    yield from _scheme_hits(els, ICD_EXT, "der Registerkennung", "of the legal registration identifier")


@xr_rule("BR-DEX-06", level="error", bts=("BT-157",))
def br_dex_06(ctx: Context) -> Iterator[Hit]:
    """BR-DEX-06: Item standard identifier schemes (BT-157) use ISO 6523 ICD (or the DiGA codes)."""
    d = _ext(ctx)
    if d is None:
        return
    els = (
        d.under(ram("GlobalID"), ram("SpecifiedTradeProduct"))
        if d.cii
        else d.under(cbc("ID"), cac("StandardItemIdentification"))
    )
    yield from _scheme_hits(els, ICD_EXT, "der Artikelkennung", "of the item standard identifier")


@xr_rule("BR-DEX-07", level="error", bts=("BT-34", "BT-49"))
def br_dex_07(ctx: Context) -> Iterator[Hit]:
    """BR-DEX-07: Electronic address schemes (BT-34, BT-49) use the CEF EAS list (or the DiGA codes)."""
    d = _ext(ctx)
    if d is None:
        return
    els = d.under(ram("URIID"), ram("URIUniversalCommunication")) if d.cii else d.all(cbc("EndpointID"))
    yield from _scheme_hits(els, EAS_EXT, "der elektronischen Adresse", "of the electronic address")


@xr_rule("BR-DEX-08", level="error", bts=("BT-71",))
def br_dex_08(ctx: Context) -> Iterator[Hit]:
    """BR-DEX-08: Deliver to location identifier schemes (BT-71) use ISO 6523 ICD (or the DiGA codes)."""
    d = _ext(ctx)
    if d is None:
        return
    if d.cii:
        hdr = ram("ApplicableHeaderTradeDelivery")
        els = [
            g for g in d.under(ram("GlobalID"), ram("ShipToTradeParty")) if _parent_tag(g.getparent()) == hdr
        ]
    else:
        els = d.under(cbc("ID"), cac("DeliveryLocation"))
    yield from _scheme_hits(els, ICD_EXT, "der Lieferortkennung", "of the deliver to location identifier")


def _parent_tag(el: El | None) -> str:
    p = el.getparent() if el is not None else None
    return p.tag if p is not None and isinstance(p.tag, str) else ""


def _opt_amount(d: Doc, total: El, local: str) -> Decimal | None:
    e = d.kid(total, cbc(local))
    return Decimal(0) if e is None else el_decimal(e)


@xr_rule(
    "BR-DEX-09", level="error", bts=("BT-115", "BT-112", "BT-113", "BT-114", "BT-DEX-002"), syntaxes=("ubl",)
)
def br_dex_09(ctx: Context) -> Iterator[Hit]:
    """BR-DEX-09: BT-115 = BT-112 - BT-113 + BT-114 + sum of third party payments (BT-DEX-002)."""
    d = _ext(ctx)
    if d is None:
        return
    for t in d.all(cac("LegalMonetaryTotal")):
        parent = t.getparent()
        paid = [p for pp in d.kids(parent, cac("PrepaidPayment")) for p in d.kids(pp, cbc("PaidAmount"))]
        third = Decimal(0)
        if any(filled(p) for p in paid):
            third = sum((v for v in (el_decimal(p) for p in paid) if v is not None), Decimal(0))
        payable = el_decimal(d.kid(t, cbc("PayableAmount")))
        incl = el_decimal(d.kid(t, cbc("TaxInclusiveAmount")))
        rounding = _opt_amount(d, t, "PayableRoundingAmount")
        prepaid = _opt_amount(d, t, "PrepaidAmount")
        ok = False
        if None not in (payable, incl, rounding, prepaid):
            assert payable is not None and incl is not None and rounding is not None and prepaid is not None
            left = round2(DEC.subtract(payable, rounding))
            right = round2(DEC.add(DEC.subtract(incl, prepaid), third))
            ok = left == right
        if not ok:
            yield hit(
                t,
                f"Der Zahlbetrag {fmt(payable)} (BT-115) passt nicht zu Bruttobetrag {fmt(incl)} (BT-112) "
                f"- Vorauszahlung {fmt(prepaid)} (BT-113) + Rundung {fmt(rounding)} (BT-114) "
                f"+ Zahlungen Dritter {fmt(third)} (BT-DEX-002).",
                f"The amount due {fmt(payable)} (BT-115) does not match total with VAT {fmt(incl)} (BT-112) "
                f"- paid {fmt(prepaid)} (BT-113) + rounding {fmt(rounding)} (BT-114) "
                f"+ third party payments {fmt(third)} (BT-DEX-002).",
            )


def _prepaid(ctx: Context) -> list[El]:
    d = _ext(ctx)
    if d is None or ctx.root.tag != UBL_INVOICE_ROOT:
        return []
    return d.kids(ctx.root, cac("PrepaidPayment"))


def _required(ctx: Context, local: str, bt: str, de: str, en: str) -> Iterator[Hit]:
    d = doc(ctx)
    for p in _prepaid(ctx):
        if not any(filled(e) for e in d.kids(p, cbc(local))):
            yield hit(
                p,
                f"Bei einer Zahlung Dritter (BG-DEX-09) fehlt {de} ({bt}).",
                f"A third party payment (BG-DEX-09) lacks its {en} ({bt}).",
            )


@xr_rule("BR-DEX-10", level="error", bts=("BT-DEX-001",), syntaxes=("ubl",))
def br_dex_10(ctx: Context) -> Iterator[Hit]:
    """BR-DEX-10: A third party payment (BG-DEX-09) has a type (BT-DEX-001)."""
    yield from _required(ctx, "ID", "BT-DEX-001", "die Art", "type")


@xr_rule("BR-DEX-11", level="error", bts=("BT-DEX-002",), syntaxes=("ubl",))
def br_dex_11(ctx: Context) -> Iterator[Hit]:
    """BR-DEX-11: A third party payment (BG-DEX-09) has an amount (BT-DEX-002)."""
    yield from _required(ctx, "PaidAmount", "BT-DEX-002", "der Betrag", "amount")


@xr_rule("BR-DEX-12", level="error", bts=("BT-DEX-003",), syntaxes=("ubl",))
def br_dex_12(ctx: Context) -> Iterator[Hit]:
    """BR-DEX-12: A third party payment (BG-DEX-09) has a description (BT-DEX-003)."""
    yield from _required(ctx, "InstructionID", "BT-DEX-003", "die Beschreibung", "description")


@xr_rule("BR-DEX-13", level="error", bts=("BT-DEX-002",), syntaxes=("ubl",))
def br_dex_13(ctx: Context) -> Iterator[Hit]:
    """BR-DEX-13: A third party payment amount (BT-DEX-002) has at most two decimals."""
    d = doc(ctx)
    for p in _prepaid(ctx):
        amount = d.kid(p, cbc("PaidAmount"))
        text = string_value(amount)
        frac = text.split(".", 1)[1] if "." in text else ""
        if len(frac) > 2:
            yield hit(
                amount if amount is not None else p,
                f"Der Betrag der Zahlung Dritter '{text}' (BT-DEX-002) hat mehr als zwei Nachkommastellen.",
                f"The third party payment amount '{text}' (BT-DEX-002) has more than two decimals.",
            )


@xr_rule("BR-DEX-14", level="error", bts=("BT-DEX-002", "BT-5"), syntaxes=("ubl",))
def br_dex_14(ctx: Context) -> Iterator[Hit]:
    """BR-DEX-14: A third party payment amount (BT-DEX-002) is in the invoice currency (BT-5)."""
    d = doc(ctx)
    prepaid = _prepaid(ctx)
    if not prepaid:
        return
    currencies = {string_value(c) for c in d.kids(ctx.root, cbc("DocumentCurrencyCode"))}
    for p in prepaid:
        ids = [a.get("currencyID") for a in d.kids(p, cbc("PaidAmount"))]
        if not any(i is not None and i in currencies for i in ids):
            shown = ", ".join(str(i) for i in ids)
            yield hit(
                p,
                f"Die Währung der Zahlung Dritter ({shown}) ist nicht die Rechnungswährung (BT-5).",
                f"The third party payment currency ({shown}) is not the invoice currency (BT-5).",
            )


@xr_rule("BR-DEX-15", level="warning", bts=("BG-DEX-01",), syntaxes=("cii",))
def br_dex_15(ctx: Context) -> Iterator[Hit]:
    """BR-DEX-15: CII sub-lines (ParentLineID) are not supported by XRechnung."""
    d = _ext(ctx)
    if d is None or not d.all(ram("ParentLineID")):
        return
    tx = d.kid(ctx.root, rsm("SupplyChainTradeTransaction"))
    for line in d.kids(tx, ram("IncludedSupplyChainTradeLineItem")):
        for ad in d.kids(line, ram("AssociatedDocumentLineDocument")):
            yield hit(
                ad,
                "Die CII-Datei nutzt Unterpositionen (ParentLineID); XRechnung unterstützt das nicht.",
                "The CII file uses sub-lines (ParentLineID), which XRechnung does not support.",
            )
