"""BR-DE-1 … BR-DE-31: the XRechnung CIUS rules (German national requirements).

Rules about the value of a business term read the model; rules about the shape of the syntax
(which elements exist, how payment means are nested) read the document through the shared
index of :mod:`einvoice.rules._xr_helpers`, because the official tests are about that shape.
"""

from __future__ import annotations

from collections.abc import Iterator

from einvoice.model.values import Value
from einvoice.rules._xr_helpers import EMAIL as _EMAIL
from einvoice.rules._xr_helpers import (
    Doc,
    El,
    any_filled,
    blank,
    cac,
    cbc,
    doc,
    filled,
    has_three_digits,
    hit,
    iban_ok,
    normalize,
    ram,
    rsm,
    skonto_ok,
    string_value,
    xpath_of,
    xr_rule,
)
from einvoice.rules.registry import Context, Hit
from einvoice.syntax import XRECHNUNG_3, XRECHNUNG_3_CVD, XRECHNUNG_3_EXTENSION
from einvoice.xmlnode import Node


def _given(v: Value | None) -> bool:
    """A business term counts as given when it holds more than whitespace."""
    return v is not None and not blank(v.raw)


def _raw(v: Value | None) -> str:
    return "" if v is None else v.raw


def _root_hit(ctx: Context, de: str, en: str) -> Hit:
    return Hit(xpath_of(ctx.root), de, en)


# --- document level ------------------------------------------------------------------------------


@xr_rule("BR-DE-1", level="error", bts=("BG-16",))
def br_de_1(ctx: Context) -> Iterator[Hit]:
    """BR-DE-1: An invoice must contain payment instructions (BG-16)."""
    d = doc(ctx)
    if ctx.family == "cii":
        pm = d.below(
            ctx.root,
            rsm("SupplyChainTradeTransaction"),
            ram("ApplicableHeaderTradeSettlement"),
            ram("SpecifiedTradeSettlementPaymentMeans"),
        )
    else:
        pm = d.kids(ctx.root, cac("PaymentMeans"))
    if not pm:
        yield _root_hit(
            ctx,
            "Die Rechnung enthält keine Zahlungsanweisungen (BG-16).",
            "The invoice has no payment instructions (BG-16).",
        )


@xr_rule("BR-DE-15", level="error", bts=("BT-10",))
def br_de_15(ctx: Context) -> Iterator[Hit]:
    """BR-DE-15: Buyer reference (BT-10) must be given."""
    inv = ctx.invoice
    if not _given(inv.buyer_reference):
        where = inv.buyer_reference.path if inv.buyer_reference else xpath_of(ctx.root)
        yield Hit(
            where,
            f"Die Käuferreferenz (BT-10, Leitweg-ID) fehlt oder ist leer ('{_raw(inv.buyer_reference)}').",
            f"The buyer reference (BT-10, Leitweg-ID) is missing or empty ('{_raw(inv.buyer_reference)}').",
        )


_VAT_CODES = frozenset({"S", "Z", "E", "AE", "K", "G", "L", "M"})


def _ubl_charge_category_ids(d: Doc, root: El, indicator: str) -> list[str]:
    return [
        string_value(i)
        for ac in d.kids(root, cac("AllowanceCharge"))
        if any(string_value(ci) == indicator for ci in d.kids(ac, cbc("ChargeIndicator")))
        for i in d.below(ac, cac("TaxCategory"), cbc("ID"))
    ]


def _ubl_line_uses_vat_code(d: Doc, root: El) -> bool:
    """Whether a line's ClassifiedTaxCategory has an ID in ``_VAT_CODES``."""
    tag_id = cbc("ID")
    for line_tag in (cac("InvoiceLine"), cac("CreditNoteLine")):
        # Down through the index's parent maps; the category's IDs by one child loop, not by a
        # parent map over every cbc:ID of the document.
        for c in d.below(root, line_tag, cac("Item"), cac("ClassifiedTaxCategory")):
            i: Node
            for i in c:
                if i.tag == tag_id and string_value(i) in _VAT_CODES:
                    return True
    return False


def _cii_lines_use_vat_code(line_tax: list[El]) -> bool:
    """Whether some line tax has the type code VAT and some (maybe another) a code in ``_VAT_CODES``.

    One child loop per line tax instead of parent maps over every TypeCode and CategoryCode of
    the document; it stops once both are seen (usually on the first line).
    """
    tag_type, tag_cat = ram("TypeCode"), ram("CategoryCode")
    vat = cat = False
    c: Node
    for lt in line_tax:
        for c in lt:
            tag = c.tag
            if tag == tag_type:
                vat = vat or string_value(c) == "VAT"
            elif tag == tag_cat:
                cat = cat or string_value(c) in _VAT_CODES
            else:
                continue
            if vat and cat:
                return True
    return False


@xr_rule("BR-DE-16", level="error", bts=("BT-31", "BT-32", "BG-11"))
def br_de_16(ctx: Context) -> Iterator[Hit]:
    """BR-DE-16: VAT codes S, Z, E, AE, K, G, L, M need BT-31, BT-32 or a tax representative."""
    d = doc(ctx)
    root = ctx.root
    if ctx.family == "cii":
        tx = d.kid(root, rsm("SupplyChainTradeTransaction"))
        line_tax = d.below(
            tx,
            ram("IncludedSupplyChainTradeLineItem"),
            ram("SpecifiedLineTradeSettlement"),
            ram("ApplicableTradeTax"),
        )
        if not _cii_lines_use_vat_code(line_tax):
            # The header clause compares the whole CategoryTradeTax element with 'VAT', as written.
            cat_tax = d.below(
                tx,
                ram("ApplicableHeaderTradeSettlement"),
                ram("SpecifiedTradeAllowanceCharge"),
                ram("CategoryTradeTax"),
            )
            hdr = any(string_value(c) == "VAT" for c in cat_tax) and any(
                string_value(c) in _VAT_CODES for ct in cat_tax for c in d.kids(ct, ram("CategoryCode"))
            )
            if not hdr:
                return
        agr = d.kid(tx, ram("ApplicableHeaderTradeAgreement"))
        ids = [
            i
            for i in d.below(agr, ram("SellerTradeParty"), ram("SpecifiedTaxRegistration"), ram("ID"))
            if normalize(i.get("schemeID")) in ("VA", "FC") and filled(i)
        ]
        ok = bool(ids) or bool(d.kids(agr, ram("SellerTaxRepresentativeTradeParty")))
    else:
        # Only whether some code is listed counts: the lines come first (nearly every document
        # names one on its first line) and the search stops there.
        if not (_ubl_line_uses_vat_code(d, root) or any(
            u in _VAT_CODES
            for u in _ubl_charge_category_ids(d, root, "false") + _ubl_charge_category_ids(d, root, "true")
        )):
            return
        ok = bool(d.kids(root, cac("TaxRepresentativeParty"))) or any_filled(
            d.below(
                root, cac("AccountingSupplierParty"), cac("Party"), cac("PartyTaxScheme"), cbc("CompanyID")
            )
        )
    if not ok:
        yield _root_hit(
            ctx,
            "Es werden Umsatzsteuerkategorien S, Z, E, AE, K, G, L oder M verwendet, aber weder die "
            "USt-IdNr. (BT-31) oder Steuernummer (BT-32) des Verkäufers noch ein "
            "Steuervertreter (BG-11) ist angegeben.",
            "VAT categories S, Z, E, AE, K, G, L or M are used, but neither the seller's VAT identifier "
            "(BT-31) or tax registration identifier (BT-32) nor a tax representative (BG-11) is given.",
        )


_TYPE_CODES = frozenset({"326", "380", "384", "389", "381", "875", "876", "877"})


@xr_rule("BR-DE-17", level="warning", bts=("BT-3",))
def br_de_17(ctx: Context) -> Iterator[Hit]:
    """BR-DE-17: Invoice type code (BT-3) should be 326, 380, 384, 389, 381, 875, 876 or 877."""
    tc = ctx.invoice.type_code
    if normalize(_raw(tc)) not in _TYPE_CODES:
        yield Hit(
            tc.path if tc else xpath_of(ctx.root),
            f"Der Rechnungsartcode (BT-3) '{_raw(tc)}' gehört nicht zu den in XRechnung vorgesehenen Codes "
            "326, 380, 384, 389, 381, 875, 876, 877.",
            f"The invoice type code (BT-3) '{_raw(tc)}' is not one of the codes XRechnung provides for "
            "(326, 380, 384, 389, 381, 875, 876, 877).",
        )


@xr_rule("BR-DE-18", level="error", bts=("BT-20",))
def br_de_18(ctx: Context) -> Iterator[Hit]:
    """BR-DE-18: Cash discount lines in payment terms (BT-20) must follow the #SKONTO# format."""
    d = doc(ctx)
    if ctx.family == "cii":
        terms = d.below(
            ctx.root,
            rsm("SupplyChainTradeTransaction"),
            ram("ApplicableHeaderTradeSettlement"),
            ram("SpecifiedTradePaymentTerms"),
        )
        first_notes = [n for t in terms for n in d.kids(t, ram("Description"))[:1]]
    else:
        first_notes = [n for t in d.kids(ctx.root, cac("PaymentTerms")) for n in d.kids(t, cbc("Note"))[:1]]
    texts = [string_value(n) for n in first_notes]
    # only a line starting with '#' is checked: most payment terms hold none
    bad = skonto_ok(texts) if any("#" in t for t in texts) else []
    if bad:
        shown = " | ".join(normalize(b) for b in bad)
        yield Hit(
            xpath_of(first_notes[0]),
            f"Skonto-Angaben in den Zahlungsbedingungen (BT-20) entsprechen nicht dem Format "
            f"'#SKONTO#TAGE=n#PROZENT=n.nn#[BASISBETRAG=n.nn#]' mit abschließendem Zeilenumbruch: {shown}",
            f"Cash discount lines in the payment terms (BT-20) do not follow the format "
            f"'#SKONTO#TAGE=n#PROZENT=n.nn#[BASISBETRAG=n.nn#]' ending with a line break: {shown}",
        )


_XR3_IDS = (XRECHNUNG_3, XRECHNUNG_3_EXTENSION, XRECHNUNG_3_CVD)


@xr_rule("BR-DE-21", level="warning", bts=("BT-24",))
def br_de_21(ctx: Context) -> Iterator[Hit]:
    """BR-DE-21: Specification identifier (BT-24) should be an XRechnung 3.0 identifier."""
    d = doc(ctx)
    ok_ids = _XR3_IDS
    if ctx.family == "cii":
        ctx_els = d.kids(ctx.root, rsm("ExchangedDocumentContext"))
        for c in ctx_els:
            ids = d.below(c, ram("GuidelineSpecifiedDocumentContextParameter"), ram("ID"))
            if not any(string_value(i) in ok_ids for i in ids):
                shown = ", ".join(string_value(i) for i in ids)
                yield hit(
                    c,
                    f"Die Spezifikationskennung (BT-24) '{shown}' ist keine XRechnung-3.0-Kennung.",
                    f"The specification identifier (BT-24) '{shown}' is no XRechnung 3.0 identifier.",
                )
        return
    ids = d.kids(ctx.root, cbc("CustomizationID"))
    if not any(string_value(i) in ok_ids for i in ids):
        shown = ", ".join(string_value(i) for i in ids)
        yield _root_hit(
            ctx,
            f"Die Spezifikationskennung (BT-24) '{shown}' ist keine XRechnung-3.0-Kennung.",
            f"The specification identifier (BT-24) '{shown}' is no XRechnung 3.0 identifier.",
        )


@xr_rule("BR-DE-22", level="error", bts=("BT-125",))
def br_de_22(ctx: Context) -> Iterator[Hit]:
    """BR-DE-22: File names of attached documents (BT-125 filename) must be unique."""
    d = doc(ctx)
    if ctx.family == "cii":
        refs = doc(ctx).all(ram("AdditionalReferencedDocument"))
        att = ram("AttachmentBinaryObject")
    else:
        refs = d.kids(ctx.root, cac("AdditionalDocumentReference"))
        att = cac("Attachment")
    # A reference repeats a name when it shares one with an earlier sibling reference.
    seen: dict[object, set[str]] = {}
    dups: list[str] = []
    for r in refs:
        if ctx.family == "cii":
            names = [n for n in (a.get("filename") for a in d.kids(r, att)) if n is not None]
        else:
            names = [
                n
                for n in (o.get("filename") for o in d.below(r, att, cbc("EmbeddedDocumentBinaryObject")))
                if n is not None
            ]
        prev = seen.setdefault(r.getparent(), set())
        dups += [n for n in names if n in prev]
        prev.update(names)
    if dups:
        shown = ", ".join(sorted(set(dups)))
        yield _root_hit(
            ctx,
            f"Mehrere Anhänge tragen denselben Dateinamen: {shown}.",
            f"Several attachments carry the same file name: {shown}.",
        )


@xr_rule("BR-DE-26", level="warning", bts=("BT-3", "BG-3"))
def br_de_26(ctx: Context) -> Iterator[Hit]:
    """BR-DE-26: A corrected invoice (BT-3 = 384) should reference the preceding invoice (BG-3)."""
    d = doc(ctx)
    tc = ctx.invoice.type_code
    if normalize(_raw(tc)) != "384":
        return
    if ctx.family == "cii":
        refs = d.below(
            ctx.root,
            rsm("SupplyChainTradeTransaction"),
            ram("ApplicableHeaderTradeSettlement"),
            ram("InvoiceReferencedDocument"),
        )
    else:
        refs = d.below(ctx.root, cac("BillingReference"), cac("InvoiceDocumentReference"))
    if not refs:
        yield Hit(
            tc.path if tc else xpath_of(ctx.root),
            "Korrekturrechnung (BT-3 = 384) ohne Verweis auf die vorausgehende Rechnung (BG-3).",
            "Corrected invoice (BT-3 = 384) without a reference to the preceding invoice (BG-3).",
        )


def _direct_debit_parts(ctx: Context) -> tuple[bool, bool, bool]:
    """CII: whether mandate (BT-89), creditor id (BT-90) and debited account (BT-91) exist."""
    d = doc(ctx)
    s = doc(ctx).settlement
    return (
        bool(d.below(s, ram("SpecifiedTradePaymentTerms"), ram("DirectDebitMandateID"))),
        bool(d.kids(s, ram("CreditorReferenceID"))),
        bool(
            d.below(
                s,
                ram("SpecifiedTradeSettlementPaymentMeans"),
                ram("PayerPartyDebtorFinancialAccount"),
                ram("IBANID"),
            )
        ),
    )


@xr_rule("BR-DE-30", level="error", bts=("BG-19", "BT-90"))
def br_de_30(ctx: Context) -> Iterator[Hit]:
    """BR-DE-30: With direct debit (BG-19) the bank assigned creditor identifier (BT-90) must be given."""
    d = doc(ctx)
    if ctx.family == "cii":
        b89, b90, b91 = _direct_debit_parts(ctx)
        ok = ((b89 or b91) and b90) or not (b89 or b90 or b91)
    else:
        root = ctx.root
        mandates = d.below(root, cac("PaymentMeans"), cac("PaymentMandate"))
        sepa = [
            i
            for i in (
                d.below(
                    root, cac("AccountingSupplierParty"), cac("Party"), cac("PartyIdentification"), cbc("ID")
                )
                + d.below(root, cac("PayeeParty"), cac("PartyIdentification"), cbc("ID"))
            )
            if i.get("schemeID") == "SEPA"
        ]
        ok = not mandates or bool(sepa)
    if not ok:
        yield _root_hit(
            ctx,
            "Lastschrift (BG-19) ohne Gläubiger-Identifikationsnummer (BT-90).",
            "Direct debit (BG-19) without the bank assigned creditor identifier (BT-90).",
        )


@xr_rule("BR-DE-31", level="error", bts=("BG-19", "BT-91"))
def br_de_31(ctx: Context) -> Iterator[Hit]:
    """BR-DE-31: With direct debit (BG-19) the debited account identifier (BT-91) must be given."""
    d = doc(ctx)
    if ctx.family == "cii":
        b89, b90, b91 = _direct_debit_parts(ctx)
        ok = ((b89 or b90) and b91) or not (b89 or b90 or b91)
    else:
        mandates = d.below(ctx.root, cac("PaymentMeans"), cac("PaymentMandate"))
        ok = not mandates or any(d.below(m, cac("PayerFinancialAccount"), cbc("ID")) for m in mandates)
    if not ok:
        yield _root_hit(
            ctx,
            "Lastschrift (BG-19) ohne Kennung des zu belastenden Kontos (BT-91).",
            "Direct debit (BG-19) without the debited account identifier (BT-91).",
        )


# --- parties -------------------------------------------------------------------------------------


def _seller_parties(ctx: Context) -> list[El]:
    """The element whose children hold the seller's contact: UBL cac:Party, CII SellerTradeParty."""
    d = doc(ctx)
    if ctx.family == "cii":
        return d.below(doc(ctx).agreement, ram("SellerTradeParty"))
    return d.below(ctx.root, cac("AccountingSupplierParty"))


@xr_rule("BR-DE-2", level="error", bts=("BG-6",))
def br_de_2(ctx: Context) -> Iterator[Hit]:
    """BR-DE-2: The seller contact group (BG-6) must be given."""
    d = doc(ctx)
    for p in _seller_parties(ctx):
        has = (
            d.kids(p, ram("DefinedTradeContact"))
            if ctx.family == "cii"
            else d.below(p, cac("Party"), cac("Contact"))
        )
        if not has:
            yield hit(
                p, "Die Kontaktangaben des Verkäufers (BG-6) fehlen.", "The seller contact (BG-6) is missing."
            )


def _address_hits(
    ctx: Context, party_field: str, field: str, bt: str, what_de: str, what_en: str
) -> Iterator[Hit]:
    """When the party's address group exists, its ``field`` must be given."""
    party = getattr(ctx.invoice, party_field)
    addr = party.address if party is not None else None
    if addr is None:
        return
    v = getattr(addr, field)
    if not _given(v):
        yield Hit(
            v.path if v is not None and v.path else addr.path,
            f"{what_de} ({bt}) fehlt oder ist leer ('{_raw(v)}').",
            f"{what_en} ({bt}) is missing or empty ('{_raw(v)}').",
        )


@xr_rule("BR-DE-3", level="error", bts=("BT-37",))
def br_de_3(ctx: Context) -> Iterator[Hit]:
    """BR-DE-3: Seller city (BT-37) must be given."""
    yield from _address_hits(ctx, "seller", "city", "BT-37", "Der Ort des Verkäufers", "The seller city")


@xr_rule("BR-DE-4", level="error", bts=("BT-38",))
def br_de_4(ctx: Context) -> Iterator[Hit]:
    """BR-DE-4: Seller post code (BT-38) must be given."""
    yield from _address_hits(
        ctx, "seller", "post_code", "BT-38", "Die Postleitzahl des Verkäufers", "The seller post code"
    )


@xr_rule("BR-DE-8", level="error", bts=("BT-52",))
def br_de_8(ctx: Context) -> Iterator[Hit]:
    """BR-DE-8: Buyer city (BT-52) must be given."""
    yield from _address_hits(ctx, "buyer", "city", "BT-52", "Der Ort des Käufers", "The buyer city")


@xr_rule("BR-DE-9", level="error", bts=("BT-53",))
def br_de_9(ctx: Context) -> Iterator[Hit]:
    """BR-DE-9: Buyer post code (BT-53) must be given."""
    yield from _address_hits(
        ctx, "buyer", "post_code", "BT-53", "Die Postleitzahl des Käufers", "The buyer post code"
    )


def _delivery_addresses(ctx: Context) -> list[El]:
    """Every deliver-to address (BG-15) element; UBL allows several deliveries."""
    d = doc(ctx)
    if ctx.family == "cii":
        return d.at(
            rsm("SupplyChainTradeTransaction"),
            ram("ApplicableHeaderTradeDelivery"),
            ram("ShipToTradeParty"),
            ram("PostalTradeAddress"),
        )
    return d.at(cac("Delivery"), cac("DeliveryLocation"), cac("Address"))


def _delivery_hits(ctx: Context, ubl_tag: str, cii_tag: str, bt: str, de: str, en: str) -> Iterator[Hit]:
    d = doc(ctx)
    tag = ram(cii_tag) if ctx.family == "cii" else cbc(ubl_tag)
    for a in _delivery_addresses(ctx):
        found = d.kids(a, tag)
        if not any_filled(found):
            yield hit(
                a,
                f"{de} ({bt}) fehlt oder ist leer ('{_shown(found)}').",
                f"{en} ({bt}) is missing or empty ('{_shown(found)}').",
            )


@xr_rule("BR-DE-10", level="error", bts=("BT-77",))
def br_de_10(ctx: Context) -> Iterator[Hit]:
    """BR-DE-10: Deliver to city (BT-77) must be given when a delivery address (BG-15) exists."""
    yield from _delivery_hits(
        ctx, "CityName", "CityName", "BT-77", "Der Ort der Lieferanschrift", "The deliver to city"
    )


@xr_rule("BR-DE-11", level="error", bts=("BT-78",))
def br_de_11(ctx: Context) -> Iterator[Hit]:
    """BR-DE-11: Deliver to post code (BT-78) must be given when a delivery address (BG-15) exists."""
    yield from _delivery_hits(
        ctx,
        "PostalZone",
        "PostcodeCode",
        "BT-78",
        "Die Postleitzahl der Lieferanschrift",
        "The deliver to post code",
    )


def _seller_contacts(ctx: Context) -> list[El]:
    d = doc(ctx)
    if ctx.family == "cii":
        return d.below(doc(ctx).agreement, ram("SellerTradeParty"), ram("DefinedTradeContact"))
    return d.below(ctx.root, cac("AccountingSupplierParty"), cac("Party"), cac("Contact"))


@xr_rule("BR-DE-5", level="error", bts=("BT-41",))
def br_de_5(ctx: Context) -> Iterator[Hit]:
    """BR-DE-5: Seller contact point (BT-41) must be given."""
    d = doc(ctx)
    for c in _seller_contacts(ctx):
        if ctx.family == "cii":
            ok = any_filled(d.kids(c, ram("PersonName")) + d.kids(c, ram("DepartmentName")))
        else:
            ok = any_filled(d.kids(c, cbc("Name")))
        if not ok:
            yield hit(
                c,
                "Die Kontaktstelle des Verkäufers (BT-41) fehlt oder ist leer.",
                "The seller contact point (BT-41) is missing or empty.",
            )


def _contact_values(ctx: Context, d: Doc, c: El, what: str) -> list[El]:
    """The telephone ("tel") or e-mail ("mail") elements of one seller contact element."""
    if ctx.family == "cii":
        comm = "TelephoneUniversalCommunication" if what == "tel" else "EmailURIUniversalCommunication"
        leaf = "CompleteNumber" if what == "tel" else "URIID"
        return d.below(c, ram(comm), ram(leaf))
    return d.kids(c, cbc("Telephone") if what == "tel" else cbc("ElectronicMail"))


def _shown(els: list[El]) -> str:
    return " ".join(string_value(e) for e in els)


@xr_rule("BR-DE-6", level="error", bts=("BT-42",))
def br_de_6(ctx: Context) -> Iterator[Hit]:
    """BR-DE-6: Seller contact telephone number (BT-42) must be given."""
    d = doc(ctx)
    for c in _seller_contacts(ctx):
        tel = _contact_values(ctx, d, c, "tel")
        if not any_filled(tel):
            yield hit(
                c,
                f"Die Telefonnummer des Verkäufers (BT-42) fehlt oder ist leer ('{_shown(tel)}').",
                f"The seller contact telephone number (BT-42) is missing or empty ('{_shown(tel)}').",
            )


@xr_rule("BR-DE-7", level="error", bts=("BT-43",))
def br_de_7(ctx: Context) -> Iterator[Hit]:
    """BR-DE-7: Seller contact email address (BT-43) must be given."""
    d = doc(ctx)
    for c in _seller_contacts(ctx):
        mail = _contact_values(ctx, d, c, "mail")
        if not any_filled(mail):
            yield hit(
                c,
                f"Die E-Mail-Adresse des Verkäufers (BT-43) fehlt oder ist leer ('{_shown(mail)}').",
                f"The seller contact email address (BT-43) is missing or empty ('{_shown(mail)}').",
            )


@xr_rule("BR-DE-27", level="warning", bts=("BT-42",))
def br_de_27(ctx: Context) -> Iterator[Hit]:
    """BR-DE-27: Seller contact telephone number (BT-42) should contain at least three digits."""
    d = doc(ctx)
    for c in _seller_contacts(ctx):
        tel = _contact_values(ctx, d, c, "tel")
        if not has_three_digits(normalize(_shown(tel))):
            yield hit(
                tel[0] if tel else c,
                f"Die Telefonnummer des Verkäufers (BT-42) '{_shown(tel)}' enthält weniger als drei Ziffern.",
                f"The seller telephone number (BT-42) '{_shown(tel)}' has fewer than three digits.",
            )


@xr_rule("BR-DE-28", level="warning", bts=("BT-43",))
def br_de_28(ctx: Context) -> Iterator[Hit]:
    """BR-DE-28: Seller contact email address (BT-43) should be a plausible e-mail address."""
    d = doc(ctx)
    for c in _seller_contacts(ctx):
        mail = _contact_values(ctx, d, c, "mail")
        if not _EMAIL.fullmatch(normalize(_shown(mail))):
            yield hit(
                mail[0] if mail else c,
                f"Die E-Mail-Adresse des Verkäufers (BT-43) '{_shown(mail)}' ist nicht plausibel "
                "(genau ein @, davor und danach Zeichen, im Domänenteil ein Punkt).",
                f"The seller email address (BT-43) '{_shown(mail)}' is not plausible "
                "(exactly one @, characters on both sides, a dot in the domain part).",
            )


# --- VAT breakdown -------------------------------------------------------------------------------


@xr_rule("BR-DE-14", level="error", bts=("BT-119",))
def br_de_14(ctx: Context) -> Iterator[Hit]:
    """BR-DE-14: VAT category rate (BT-119) must be given in every VAT breakdown."""
    for b in ctx.invoice.vat_breakdown:
        if not _given(b.rate):
            cat = _raw(b.category_code)
            yield Hit(
                b.path,
                f"In der Umsatzsteueraufschlüsselung (Kategorie '{cat}') fehlt der Steuersatz (BT-119).",
                f"The VAT breakdown (category '{cat}') has no VAT category rate (BT-119).",
            )


# --- payment means -------------------------------------------------------------------------------


def _payment_means(ctx: Context, codes: frozenset[str]) -> list[El]:
    """The payment means elements whose normalised type code (BT-81) is one of ``codes``."""
    coded: list[tuple[El, str]] | None = ctx.cache.get("xr.payment_means")
    if coded is None:
        d = doc(ctx)
        if ctx.family == "cii":
            pms = d.below(d.settlement, ram("SpecifiedTradeSettlementPaymentMeans"))
            code = ram("TypeCode")
        else:
            pms = d.kids(ctx.root, cac("PaymentMeans"))
            code = cbc("PaymentMeansCode")
        coded = [(p, normalize(string_value(d.kid(p, code)))) for p in pms]
        ctx.cache["xr.payment_means"] = coded
    return [p for p, c in coded if c in codes]


_TRANSFER = frozenset({"30", "58"})
_CARD = frozenset({"48", "54", "55"})
_DEBIT = frozenset({"59"})


def _cii_direct_debit(ctx: Context, pm: El) -> bool:
    """CII: BG-19 exists for this payment means (mandate, creditor id, or its debited account)."""
    d = doc(ctx)
    s = doc(ctx).settlement
    return bool(
        d.below(s, ram("SpecifiedTradePaymentTerms"), ram("DirectDebitMandateID"))
        or d.kids(s, ram("CreditorReferenceID"))
        or d.below(pm, ram("PayerPartyDebtorFinancialAccount"), ram("IBANID"))
    )


def _code_of(d: Doc, pm: El, cii: bool) -> str:
    return normalize(string_value(d.kid(pm, ram("TypeCode") if cii else cbc("PaymentMeansCode"))))


@xr_rule("BR-DE-19", level="warning", bts=("BT-84",))
def br_de_19(ctx: Context) -> Iterator[Hit]:
    """BR-DE-19: With SEPA credit transfer (BT-81 = 58) the payment account (BT-84) should be a valid IBAN."""
    d = doc(ctx)
    cii = ctx.family == "cii"
    for pm in _payment_means(ctx, _TRANSFER):
        if _code_of(d, pm, cii) != "58":
            continue
        acc = (
            d.below(pm, ram("PayeePartyCreditorFinancialAccount"), ram("IBANID"))
            if cii
            else d.below(pm, cac("PayeeFinancialAccount"), cbc("ID"))
        )
        raw = "".join(string_value(a) for a in acc)
        if not iban_ok(raw):
            yield hit(
                pm,
                f"Die Kontokennung (BT-84) '{raw}' ist keine gültige IBAN (SEPA-Überweisung, Code 58).",
                f"The payment account identifier (BT-84) '{raw}' is no valid IBAN (SEPA credit "
                "transfer, code 58).",
            )


@xr_rule("BR-DE-20", level="warning", bts=("BT-91",))
def br_de_20(ctx: Context) -> Iterator[Hit]:
    """BR-DE-20: With SEPA direct debit (BT-81 = 59) the debited account (BT-91) should be a valid IBAN."""
    d = doc(ctx)
    cii = ctx.family == "cii"
    for pm in _payment_means(ctx, _DEBIT):
        acc = (
            d.below(pm, ram("PayerPartyDebtorFinancialAccount"), ram("IBANID"))
            if cii
            else d.below(pm, cac("PaymentMandate"), cac("PayerFinancialAccount"), cbc("ID"))
        )
        raw = "".join(string_value(a) for a in acc)
        if not iban_ok(raw):
            yield hit(
                pm,
                f"Die Kennung des zu belastenden Kontos (BT-91) '{raw}' ist keine gültige IBAN "
                "(SEPA-Lastschrift, Code 59).",
                f"The debited account identifier (BT-91) '{raw}' is no valid IBAN (SEPA direct "
                "debit, code 59).",
            )


@xr_rule("BR-DE-23-a", level="error", bts=("BT-81", "BG-17"))
def br_de_23_a(ctx: Context) -> Iterator[Hit]:
    """BR-DE-23-a: Credit transfer (BT-81 = 30, 58) requires the credit transfer group (BG-17)."""
    d = doc(ctx)
    cii = ctx.family == "cii"
    for pm in _payment_means(ctx, _TRANSFER):
        if not d.kids(pm, ram("PayeePartyCreditorFinancialAccount") if cii else cac("PayeeFinancialAccount")):
            yield hit(
                pm,
                f"Überweisung (Code '{_code_of(d, pm, cii)}') ohne Überweisungsangaben (BG-17).",
                f"Credit transfer (code '{_code_of(d, pm, cii)}') without credit transfer details (BG-17).",
            )


@xr_rule("BR-DE-23-b", level="error", bts=("BT-81", "BG-18", "BG-19"))
def br_de_23_b(ctx: Context) -> Iterator[Hit]:
    """BR-DE-23-b: Credit transfer (BT-81 = 30, 58) excludes card (BG-18) and direct debit (BG-19) data."""
    d = doc(ctx)
    cii = ctx.family == "cii"
    for pm in _payment_means(ctx, _TRANSFER):
        if cii:
            bad = bool(d.kids(pm, ram("ApplicableTradeSettlementFinancialCard"))) or _cii_direct_debit(
                ctx, pm
            )
        else:
            bad = bool(d.kids(pm, cac("CardAccount")) or d.kids(pm, cac("PaymentMandate")))
        if bad:
            yield hit(
                pm,
                f"Überweisung (Code '{_code_of(d, pm, cii)}') mit Karten- (BG-18) oder "
                "Lastschriftangaben (BG-19).",
                f"Credit transfer (code '{_code_of(d, pm, cii)}') with card (BG-18) or direct "
                "debit (BG-19) data.",
            )


@xr_rule("BR-DE-24-a", level="error", bts=("BT-81", "BG-18"))
def br_de_24_a(ctx: Context) -> Iterator[Hit]:
    """BR-DE-24-a: Card payment (BT-81 = 48, 54, 55) requires payment card information (BG-18)."""
    d = doc(ctx)
    cii = ctx.family == "cii"
    for pm in _payment_means(ctx, _CARD):
        if not d.kids(pm, ram("ApplicableTradeSettlementFinancialCard") if cii else cac("CardAccount")):
            yield hit(
                pm,
                f"Kartenzahlung (Code '{_code_of(d, pm, cii)}') ohne Kartenangaben (BG-18).",
                f"Card payment (code '{_code_of(d, pm, cii)}') without payment card information (BG-18).",
            )


@xr_rule("BR-DE-24-b", level="error", bts=("BT-81", "BG-17", "BG-19"))
def br_de_24_b(ctx: Context) -> Iterator[Hit]:
    """BR-DE-24-b: Card payment (BT-81 = 48, 54, 55) excludes BG-17 and BG-19."""
    d = doc(ctx)
    cii = ctx.family == "cii"
    for pm in _payment_means(ctx, _CARD):
        if cii:
            bad = bool(d.kids(pm, ram("PayeePartyCreditorFinancialAccount"))) or _cii_direct_debit(ctx, pm)
        else:
            bad = bool(d.kids(pm, cac("PayeeFinancialAccount")) or d.kids(pm, cac("PaymentMandate")))
        if bad:
            yield hit(
                pm,
                f"Kartenzahlung (Code '{_code_of(d, pm, cii)}') mit Überweisungs- (BG-17) oder "
                "Lastschriftangaben (BG-19).",
                f"Card payment (code '{_code_of(d, pm, cii)}') with credit transfer (BG-17) or "
                "direct debit (BG-19) data.",
            )


@xr_rule("BR-DE-25-a", level="error", bts=("BT-81", "BG-19"))
def br_de_25_a(ctx: Context) -> Iterator[Hit]:
    """BR-DE-25-a: Direct debit (BT-81 = 59) requires the direct debit group (BG-19)."""
    d = doc(ctx)
    cii = ctx.family == "cii"
    for pm in _payment_means(ctx, _DEBIT):
        ok = _cii_direct_debit(ctx, pm) if cii else bool(d.kids(pm, cac("PaymentMandate")))
        if not ok:
            yield hit(
                pm,
                "Lastschrift (Code '59') ohne Lastschriftangaben (BG-19).",
                "Direct debit (code '59') without direct debit details (BG-19).",
            )


@xr_rule("BR-DE-25-b", level="error", bts=("BT-81", "BG-17", "BG-18"))
def br_de_25_b(ctx: Context) -> Iterator[Hit]:
    """BR-DE-25-b: Direct debit (BT-81 = 59) excludes credit transfer (BG-17) and card (BG-18) data."""
    d = doc(ctx)
    cii = ctx.family == "cii"
    for pm in _payment_means(ctx, _DEBIT):
        if cii:
            bad = any(
                d.kids(pm, ram(t))
                for t in (
                    "PayeePartyCreditorFinancialAccount",
                    "PayeeSpecifiedCreditorFinancialInstitution",
                    "PayerSpecifiedDebtorFinancialInstitution",
                    "ApplicableTradeSettlementFinancialCard",
                )
            )
        else:
            bad = bool(d.kids(pm, cac("PayeeFinancialAccount")) or d.kids(pm, cac("CardAccount")))
        if bad:
            yield hit(
                pm,
                "Lastschrift (Code '59') mit Überweisungs- (BG-17) oder Kartenangaben (BG-18).",
                "Direct debit (code '59') with credit transfer (BG-17) or card (BG-18) data.",
            )
