"""EN 16931 core rules BR-nn about the document as a whole: header, parties, payment, references.

Lines and periods are in :mod:`einvoice.rules.br_lines`; totals, document allowances/charges and
VAT breakdowns in :mod:`einvoice.rules.br_amounts`.
Each rule reproduces the official XPath for both syntaxes; where the syntaxes differ in what
fires, the rule branches on ``ctx.family`` and says why.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Final, cast

from lxml import etree

from einvoice.model.invoice import Buyer, PaymentInstructions, Seller
from einvoice.namespaces import PREFIX
from einvoice.rules._core_helpers import (
    clark,
    each,
    element_at,
    filled,
    first,
    hit,
    present,
    root_path,
    show,
    xml_text,
)
from einvoice.rules._vat_helpers import party_tax_schemes
from einvoice.rules._xr_helpers import Doc, doc
from einvoice.rules.registry import Context, Hit, rule
from einvoice.xmlnode import Node

E: Final = "error"
EN: Final = "en16931"


def _root_missing(ctx: Context, ok: bool, de: str, en: str) -> tuple[Hit, ...]:
    # a tuple, not a generator: these rules run on every document and almost never fire
    return () if ok else (hit(root_path(ctx), de, en),)


@rule("BR-01", level=E, source=EN, layer="core", bts=("BT-24",))
def br_01(ctx: Context) -> Iterable[Hit]:
    """BR-01: An invoice shall have a specification identifier (BT-24)."""
    pc = ctx.invoice.process_control
    return _root_missing(
        ctx, pc is not None and filled(pc.specification_identifier),
        "Die Spezifikationskennung (BT-24) fehlt oder ist leer.",
        "The specification identifier (BT-24) is missing or empty.",
    )


@rule("BR-02", level=E, source=EN, layer="core", bts=("BT-1",))
def br_02(ctx: Context) -> Iterable[Hit]:
    """BR-02: An invoice shall have an invoice number (BT-1)."""
    return _root_missing(
        ctx, filled(ctx.invoice.number),
        "Die Rechnungsnummer (BT-1) fehlt oder ist leer.",
        "The invoice number (BT-1) is missing or empty.",
    )


@rule("BR-03", level=E, source=EN, layer="core", bts=("BT-2",))
def br_03(ctx: Context) -> Iterable[Hit]:
    """BR-03: An invoice shall have an issue date (BT-2); in CII only a format-102 date counts."""
    d = ctx.invoice.issue_date
    ok = filled(d) and (ctx.family == "ubl" or (d is not None and d.format == "102"))
    return _root_missing(
        ctx, ok,
        f"Das Rechnungsdatum (BT-2) fehlt oder ist leer (gefunden: {show(d)}).",
        f"The invoice issue date (BT-2) is missing or empty (found: {show(d)}).",
    )


@rule("BR-04", level=E, source=EN, layer="core", bts=("BT-3",))
def br_04(ctx: Context) -> Iterable[Hit]:
    """BR-04: An invoice shall have an invoice type code (BT-3)."""
    return _root_missing(
        ctx, filled(ctx.invoice.type_code),
        "Der Rechnungsartcode (BT-3) fehlt oder ist leer.",
        "The invoice type code (BT-3) is missing or empty.",
    )


@rule("BR-05", level=E, source=EN, layer="core", bts=("BT-5",))
def br_05(ctx: Context) -> Iterable[Hit]:
    """BR-05: An invoice shall have an invoice currency code (BT-5)."""
    return _root_missing(
        ctx, filled(ctx.invoice.currency_code),
        "Der Code der Rechnungswährung (BT-5) fehlt oder ist leer.",
        "The invoice currency code (BT-5) is missing or empty.",
    )


@rule("BR-06", level=E, source=EN, layer="core", bts=("BT-27",))
def br_06(ctx: Context) -> Iterable[Hit]:
    """BR-06: An invoice shall contain the seller name (BT-27)."""
    s = ctx.invoice.seller
    return _root_missing(
        ctx, s is not None and filled(s.name),
        "Der Name des Verkäufers (BT-27) fehlt oder ist leer.",
        "The seller name (BT-27) is missing or empty.",
    )


@rule("BR-07", level=E, source=EN, layer="core", bts=("BT-44",))
def br_07(ctx: Context) -> Iterable[Hit]:
    """BR-07: An invoice shall contain the buyer name (BT-44)."""
    b = ctx.invoice.buyer
    return _root_missing(
        ctx, b is not None and filled(b.name),
        "Der Name des Käufers (BT-44) fehlt oder ist leer.",
        "The buyer name (BT-44) is missing or empty.",
    )


@rule("BR-08", level=E, source=EN, layer="core", bts=("BG-5",))
def br_08(ctx: Context) -> Iterable[Hit]:
    """BR-08: An invoice shall contain the seller postal address (BG-5)."""
    s = ctx.invoice.seller
    return _root_missing(
        ctx, s is not None and s.address is not None,
        "Die Postanschrift des Verkäufers (BG-5) fehlt.",
        "The seller postal address (BG-5) is missing.",
    )


@rule("BR-09", level=E, source=EN, layer="core", bts=("BT-40",))
def br_09(ctx: Context) -> Iterable[Hit]:
    """BR-09: The seller postal address (BG-5) shall contain a seller country code (BT-40).

    UBL checks each seller address; CII checks from the root, so a missing address fires too.
    """
    s = ctx.invoice.seller
    addr = s.address if s is not None else None
    if addr is None:
        if ctx.family == "cii":
            yield hit(root_path(ctx), "Der Ländercode des Verkäufers (BT-40) fehlt (keine Anschrift).",
                      "The seller country code (BT-40) is missing (no address).")
        return
    if not filled(addr.country_code):
        yield hit(addr.path or root_path(ctx), "Die Postanschrift des Verkäufers (BG-5) enthält keinen "
                  "Ländercode (BT-40).", "The seller postal address (BG-5) has no country code (BT-40).")


@rule("BR-10", level=E, source=EN, layer="core", bts=("BG-8",))
def br_10(ctx: Context) -> Iterable[Hit]:
    """BR-10: An invoice shall contain the buyer postal address (BG-8)."""
    b = ctx.invoice.buyer
    return _root_missing(
        ctx, b is not None and b.address is not None,
        "Die Postanschrift des Käufers (BG-8) fehlt.",
        "The buyer postal address (BG-8) is missing.",
    )


@rule("BR-11", level=E, source=EN, layer="core", bts=("BT-55",))
def br_11(ctx: Context) -> Iterable[Hit]:
    """BR-11: The buyer postal address (BG-8) shall contain a buyer country code (BT-55).

    As BR-09: CII checks from the root, so a missing buyer address fires too.
    """
    b = ctx.invoice.buyer
    addr = b.address if b is not None else None
    if addr is None:
        if ctx.family == "cii":
            yield hit(root_path(ctx), "Der Ländercode des Käufers (BT-55) fehlt (keine Anschrift).",
                      "The buyer country code (BT-55) is missing (no address).")
        return
    if not filled(addr.country_code):
        yield hit(addr.path or root_path(ctx), "Die Postanschrift des Käufers (BG-8) enthält keinen "
                  "Ländercode (BT-55).", "The buyer postal address (BG-8) has no country code (BT-55).")


@rule("BR-16", level=E, source=EN, layer="core", bts=("BG-25",))
def br_16(ctx: Context) -> Iterable[Hit]:
    """BR-16: An invoice shall have at least one invoice line (BG-25)."""
    return _root_missing(
        ctx, bool(ctx.invoice.lines),
        "Die Rechnung enthält keine Rechnungsposition (BG-25).",
        "The invoice has no invoice line (BG-25).",
    )


# --- payee and tax representative --------------------------------------------------------------


def _texts(d: Doc, el: etree._Element | None, path: str) -> set[str]:
    if el is None:
        return set()
    *steps, leaf = _steps(path)
    # The leaves by one child loop per parent: a parent map for cbc:ID, ram:ID or ram:Name would
    # take every such element of the document.
    # a leaf's string value is its text (an element holding a comment is no leaf: len counts it)
    return {(x.text or "") if not len(x) else "".join(str(t) for t in x.itertext())
            for parent in d.below(el, *steps) for x in cast("Iterable[Node]", parent) if x.tag == leaf}


@functools.cache
def _steps(path: str) -> tuple[str, ...]:
    return tuple(clark(s) for s in path.split("/"))


@rule("BR-17", level=E, source=EN, layer="core", bts=("BT-59", "BG-10"))
def br_17(ctx: Context) -> Iterable[Hit]:
    """BR-17: The payee name (BT-59) shall be given if the payee (BG-10) differs from the seller.

    The official test also fires when the payee repeats the seller's name or an identifier of
    the seller. Identifiers are compared as written, whatever their scheme, which the model
    splits over several terms; so the identifiers are read from the XML (payees are rare).
    """
    payee = ctx.invoice.payee
    if payee is None:
        return
    root = ctx.root
    # the parties through the shared index's parent maps, not lxml's tag-filtered iterators
    d = doc(ctx)
    if ctx.family == "ubl":
        p = d.kid(root, clark("cac:PayeeParty"))
        s = d.first(root, *_steps("cac:AccountingSupplierParty/cac:Party"))
        pairs = [("cac:PartyName/cbc:Name", "cac:PartyName/cbc:Name"),
                 ("cac:PartyIdentification/cbc:ID", "cac:PartyIdentification/cbc:ID")]
    else:
        tx = d.kid(root, clark("rsm:SupplyChainTradeTransaction"))
        if tx is None:
            return
        p = d.first(tx, *_steps("ram:ApplicableHeaderTradeSettlement/ram:PayeeTradeParty"))
        s = d.first(tx, *_steps("ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty"))
        pairs = [("ram:Name", "ram:Name"), ("ram:ID", "ram:ID"),
                 ("ram:SpecifiedLegalOrganization/ram:ID", "ram:SpecifiedLegalOrganization/ram:ID")]
    if p is None:
        return
    names = _texts(d, p, pairs[0][0])
    if not names:
        yield hit(payee.path, "Der Zahlungsempfänger (BG-10) hat keinen Namen (BT-59).",
                  "The payee (BG-10) has no name (BT-59).")
        return
    same: list[set[str]] = []
    for i, (a, b) in enumerate(pairs):
        mine = names if i == 0 else _texts(d, p, a)
        if mine:  # the seller's values are read only for what the payee has
            shared_here = mine & _texts(d, s, b)
            if shared_here:
                same.append(shared_here)
    if same:
        shared = ", ".join(sorted(set().union(*same)))
        yield hit(payee.path,
                  f"Der Zahlungsempfänger (BG-10) stimmt in Name oder Kennung mit dem Verkäufer überein "
                  f"({shared}); ein vom Verkäufer verschiedener Zahlungsempfänger braucht eigene Angaben.",
                  f"The payee (BG-10) repeats the seller's name or identifier ({shared}); a payee "
                  "different from the seller needs its own name and identifiers.")


@rule("BR-18", level=E, source=EN, layer="core", bts=("BT-62",))
def br_18(ctx: Context) -> Iterable[Hit]:
    """BR-18: A seller tax representative (BG-11) shall have a name (BT-62)."""
    t = ctx.invoice.tax_representative
    if t is None:
        return
    ok = filled(t.name) if ctx.family == "ubl" else present(t.name)
    if not ok:
        yield hit(t.path, "Der Steuervertreter des Verkäufers (BG-11) hat keinen Namen (BT-62).",
                  "The seller tax representative (BG-11) has no name (BT-62).")


@rule("BR-19", level=E, source=EN, layer="core", bts=("BG-12",))
def br_19(ctx: Context) -> Iterable[Hit]:
    """BR-19: A seller tax representative (BG-11) shall have a postal address (BG-12)."""
    t = ctx.invoice.tax_representative
    if t is not None and t.address is None:
        yield hit(t.path, "Der Steuervertreter des Verkäufers (BG-11) hat keine Postanschrift (BG-12).",
                  "The seller tax representative (BG-11) has no postal address (BG-12).")


@rule("BR-20", level=E, source=EN, layer="core", bts=("BT-69",))
def br_20(ctx: Context) -> Iterable[Hit]:
    """BR-20: The tax representative postal address (BG-12) shall contain a country code (BT-69).

    UBL checks each address (non-blank code); CII checks the party (a code element), so there a
    missing address fires as well.
    """
    t = ctx.invoice.tax_representative
    if t is None:
        return
    a = t.address
    if ctx.family == "ubl":
        bad = a is not None and not filled(a.country_code)
    else:
        bad = a is None or a.country_code is None
    if bad:
        where = a.path if a is not None and a.path else t.path
        yield hit(where, "Die Anschrift des Steuervertreters (BG-12) enthält keinen Ländercode (BT-69).",
                  "The tax representative address (BG-12) has no country code (BT-69).")


@rule("BR-56", level=E, source=EN, layer="core", bts=("BT-63",))
def br_56(ctx: Context) -> Iterable[Hit]:
    """BR-56: A seller tax representative (BG-11) shall have a VAT identifier (BT-63)."""
    t = ctx.invoice.tax_representative
    if t is None:
        return
    # Read from the XML: the model's BT-63 may come from another scheme (CII FC, UBL TaxScheme
    # written 'vat'), the rule asks for CII schemeID 'VA' and UBL TaxScheme upper-cased 'VAT'.
    el = element_at(ctx, t.path) if t.path else None
    if el is None:
        ok = present(t.vat_identifier) if ctx.family == "ubl" else filled(t.vat_identifier)
    elif ctx.family == "ubl":
        schemes = party_tax_schemes(ctx)
        ok = any(vat and cid is not None
                 for vat, cid in map(schemes.__getitem__, doc(ctx).kids(el, clark("cac:PartyTaxScheme"))))
    else:
        ok = any(i.get("schemeID") == "VA" and (i.text or "").strip(" \t\r\n") != ""
                 for i in each(el, "ram:SpecifiedTaxRegistration/ram:ID"))
    if not ok:
        yield hit(t.path, "Der Steuervertreter des Verkäufers (BG-11) hat keine "
                  "Umsatzsteuer-Identifikationsnummer (BT-63).",
                  "The seller tax representative (BG-11) has no VAT identifier (BT-63).")


# --- payment -----------------------------------------------------------------------------------


def _payment_means(ctx: Context) -> list[PaymentInstructions]:
    """Payment instructions read from a payment means element (CII keeps BT-83 outside them)."""
    pis = ctx.invoice.payment_instructions
    # UBL too: a payment instruction read from elsewhere (e.g. the mandate) is no cac:PaymentMeans
    return [p for p in pis if "PaymentMeans" in p.path or not p.path]


@rule("BR-49", level=E, source=EN, layer="core", bts=("BT-81",))
def br_49(ctx: Context) -> Iterable[Hit]:
    """BR-49: A payment instruction (BG-16) shall specify the payment means type code (BT-81)."""
    for p in _payment_means(ctx):
        if p.type_code is None:
            yield hit(p.path, "Die Zahlungsanweisung (BG-16) hat keinen Code für die Zahlungsart (BT-81).",
                      "The payment instruction (BG-16) has no payment means type code (BT-81).")


_CREDIT_TRANSFER = ("30", "58")
_ACCOUNT = {True: "cac:PayeeFinancialAccount", False: "ram:PayeePartyCreditorFinancialAccount"}


def _transfer_without_account(ctx: Context) -> Iterable[Hit]:
    """Accounts of payment means 30/58 that lack an identifier (the BR-50 context in both syntaxes)."""
    ubl = ctx.family == "ubl"
    for p in _payment_means(ctx):
        # the context compares the code as written: '58 ' is no credit transfer here
        if p.type_code is None or xml_text(ctx, p.type_code) not in _CREDIT_TRANSFER:
            continue
        for ct in p.credit_transfers:
            if _ACCOUNT[ubl] not in ct.path.rsplit("/", 1)[-1]:
                continue  # read from a bank (BIC) alone: the context is the account element
            ok = filled(ct.account_id) if ubl else present(ct.account_id)
            if not ok:
                yield hit(ct.path or p.path,
                          f"Überweisung (Zahlungsart {p.type_code.raw}) ohne Kennung des "
                          "Zahlungskontos (BT-84).",
                          f"Credit transfer (payment means {p.type_code.raw}) without a payment account "
                          "identifier (BT-84).")


@rule("BR-50", level=E, source=EN, layer="core", bts=("BT-84",))
def br_50(ctx: Context) -> Iterable[Hit]:
    """BR-50: A payment account identifier (BT-84) shall be present for a credit transfer (BG-17)."""
    return _transfer_without_account(ctx)


@rule("BR-51", level=E, source=EN, layer="core", bts=("BT-87",), level_by_family={"ubl": "warning"})
def br_51(ctx: Context) -> Iterable[Hit]:
    """BR-51: A card's primary account number (BT-87) should show at most 10 characters (PCI)."""
    for p in _payment_means(ctx):
        c = p.card
        if c is None:
            continue
        pan = c.primary_account_number
        if ctx.family == "ubl" and pan is None:
            continue  # the UBL context is the number element itself
        n = len(" ".join(pan.raw.split())) if pan is not None else 0
        if n > 10:
            yield hit(pan.path if pan is not None else c.path,
                      f"Die Kartennummer (BT-87) zeigt {n} Zeichen; höchstens 10 (erste 6, letzte 4) "
                      "sind erlaubt.",
                      f"The card account number (BT-87) shows {n} characters; at most 10 (first 6, last 4) "
                      "may be shown.")


@rule("BR-61", level=E, source=EN, layer="core", bts=("BT-81", "BT-84"))
def br_61(ctx: Context) -> Iterable[Hit]:
    """BR-61: For payment means 30 or 58 (credit transfer) a payment account identifier (BT-84) is required.

    UBL checks each payment means (trimmed code, any account identifier element); CII checks
    each creditor account of such a payment means, exactly like BR-50.
    """
    if ctx.family == "cii":
        yield from _transfer_without_account(ctx)
        return
    for p in _payment_means(ctx):
        code = " ".join(p.type_code.raw.split()) if p.type_code is not None else ""
        if code in _CREDIT_TRANSFER and not any(ct.account_id is not None for ct in p.credit_transfers):
            yield hit(p.path, f"Zahlungsart {code} (Überweisung) ohne Kennung des Zahlungskontos (BT-84).",
                      f"Payment means {code} (credit transfer) without a payment account identifier (BT-84).")


# --- references --------------------------------------------------------------------------------


def _blank_text(el: etree._Element | None) -> bool:
    return el is None or not "".join(str(t) for t in el.itertext()).strip(" \t\r\n")


@rule("BR-52", level=E, source=EN, layer="core", bts=("BT-122",))
def br_52(ctx: Context) -> Iterable[Hit]:
    """BR-52: Each additional supporting document (BG-24) shall contain a reference (BT-122).

    The context is every additional-document element, also those that carry the tender or
    project reference, the invoiced object identifier (BT-18) and, in CII, the line object
    identifier (BT-128); the model keeps those elsewhere or drops them without an identifier,
    so the elements are read from the XML.
    """
    ubl = ctx.family == "ubl"
    # the contexts match at any depth: every such element, from the document index
    name = "cac:AdditionalDocumentReference" if ubl else "ram:AdditionalReferencedDocument"
    docs = doc(ctx).all(clark(name))
    id_name = "cbc:ID" if ubl else "ram:IssuerAssignedID"
    for el in docs:
        if _blank_text(first(el, id_name)):
            yield hit(_xml_path(el), "Ein zusätzliches Dokument (BG-24) hat keine Kennung (BT-122).",
                      "An additional supporting document (BG-24) has no reference (BT-122).")


def _xml_path(el: etree._Element) -> str:
    """An XPath for an element found in the XML, in the model's notation."""
    steps: list[str] = []
    cur: etree._Element | None = el
    while cur is not None:
        parent = cur.getparent()
        name = _qn(cur.tag)
        if parent is not None:
            nodes: Iterable[Node] = parent
            same = [c for c in nodes if c.tag == cur.tag]
            if len(same) > 1:
                name += f"[{same.index(cur) + 1}]"
        steps.append(name)
        cur = parent
    return "/" + "/".join(reversed(steps))


def _qn(tag: object) -> str:
    uri, _, local = str(tag)[1:].partition("}")
    pre = PREFIX.get(uri)
    return f"{pre}:{local}" if pre else local


@rule("BR-55", level=E, source=EN, layer="core", bts=("BT-25",))
def br_55(ctx: Context) -> Iterable[Hit]:
    """BR-55: Each preceding invoice reference (BG-3) shall contain the preceding invoice number (BT-25).

    UBL: every billing-reference element needs an invoice document reference id (read from
    the XML, since a billing reference without one is no BG-3 in the model).
    """
    if ctx.family == "ubl":
        for i, el in enumerate(each(ctx.root, "cac:BillingReference"), 1):
            if first(el, "cac:InvoiceDocumentReference/cbc:ID") is None:
                yield hit(f"{root_path(ctx)}/cac:BillingReference[{i}]",
                          "Eine Rechnungsreferenz (BG-3) nennt keine vorausgegangene Rechnung (BT-25).",
                          "A billing reference (BG-3) names no preceding invoice (BT-25).")
        return
    for p in ctx.invoice.preceding_invoices:
        if not filled(p.reference):
            yield hit(p.path, "Eine Referenz auf eine vorausgegangene Rechnung (BG-3) hat keine "
                      "Nummer (BT-25).",
                      "A preceding invoice reference (BG-3) has no invoice number (BT-25).")


@rule("BR-57", level=E, source=EN, layer="core", bts=("BT-80",))
def br_57(ctx: Context) -> Iterable[Hit]:
    """BR-57: Each deliver-to address (BG-15) shall contain a country code (BT-80)."""
    d = ctx.invoice.delivery
    a = d.address if d is not None else None
    if a is None:
        return
    ok = present(a.country_code) if ctx.family == "ubl" else filled(a.country_code)
    if not ok:
        yield hit(a.path, "Die Lieferanschrift (BG-15) enthält keinen Ländercode (BT-80).",
                  "The deliver-to address (BG-15) has no country code (BT-80).")


# --- electronic addresses ----------------------------------------------------------------------


def _address_without_scheme(ctx: Context, party: Seller | Buyer | None) -> str | None:
    """Where the party's electronic address lacks its scheme, or None.

    UBL checks each endpoint element for the attribute. CII asks the party: its first
    communication element needs a non-blank scheme on its URI identifier, so one without a
    URI identifier fails too (the model has no address then); read from the XML.
    """
    if party is None:
        return None
    if ctx.family == "ubl":
        ea = party.electronic_address
        return ea.path if ea is not None and ea.scheme is None else None
    ea = party.electronic_address
    if (ea is not None and ea.scheme is not None and ea.scheme.strip(" \t\r\n")
            and ea.path == f"{party.path}/ram:URIUniversalCommunication/ram:URIID"):
        # an unindexed path: the party's only communication element and its only URI
        # identifier, so the XML below would find this very identifier and its scheme
        return None
    el = element_at(ctx, party.path)
    comm = first(el, "ram:URIUniversalCommunication") if el is not None else None
    if comm is None:
        return None
    uri = first(comm, "ram:URIID")
    scheme = uri.get("schemeID") if uri is not None else None
    if scheme is None or not scheme.strip(" \t\r\n"):
        return _xml_path(comm)
    return None


@rule("BR-62", level=E, source=EN, layer="core", bts=("BT-34",))
def br_62(ctx: Context) -> Iterable[Hit]:
    """BR-62: The seller electronic address (BT-34) shall have a scheme identifier."""
    s = ctx.invoice.seller
    where = _address_without_scheme(ctx, s)
    if where is not None:
        ea = s.electronic_address if s is not None else None
        yield hit(where,
                  f"Die elektronische Adresse des Verkäufers (BT-34) {show(ea)} hat keine Schemakennung.",
                  f"The seller electronic address (BT-34) {show(ea)} has no scheme identifier.")


@rule("BR-63", level=E, source=EN, layer="core", bts=("BT-49",))
def br_63(ctx: Context) -> Iterable[Hit]:
    """BR-63: The buyer electronic address (BT-49) shall have a scheme identifier."""
    b = ctx.invoice.buyer
    where = _address_without_scheme(ctx, b)
    if where is not None:
        ea = b.electronic_address if b is not None else None
        yield hit(where,
                  f"Die elektronische Adresse des Käufers (BT-49) {show(ea)} hat keine Schemakennung.",
                  f"The buyer electronic address (BT-49) {show(ea)} has no scheme identifier.")
