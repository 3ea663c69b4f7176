"""UBL syntax-binding rules: UBL-CR ("should not be present"), UBL-SR (occurrences), UBL-DT.

All of them form one Schematron pattern, so they are one table (``_syntax_tables.UBL_RULES``)
evaluated in one walk by :class:`einvoice.rules._syntax_walk.Pattern`. This module holds what
the table cannot say: the contexts with functions or predicates, the "not(X) or condition"
exemptions and the few irregular tests, each written out by hand.
"""

from __future__ import annotations

from collections.abc import Callable

from einvoice.namespaces import CAC, UBL_CREDITNOTE
from einvoice.rules._syntax_tables import UBL_BTS, UBL_CONTEXTS, UBL_RULES
from einvoice.rules._syntax_walk import (
    El,
    Frame,
    NamedContext,
    Pattern,
    Special,
    SpecialResult,
    State,
    children,
    pname_of,
    register_pattern,
    string_value,
)

_XML_SPACE = " \t\n\r"


def xs_boolean(text: str) -> bool | None:
    """The xs:boolean a string casts to, or None when the cast fails."""
    v = text.strip(_XML_SPACE)
    if v in ("true", "1"):
        return True
    if v in ("false", "0"):
        return False
    return None


def _charge_indicator_is(el: El, want: bool) -> bool:
    # general comparison with a boolean: each cbc:ChargeIndicator is cast in turn; a failing
    # cast is a dynamic error, which makes the match pattern not match.
    for c in children(el, "cbc:ChargeIndicator"):
        got = xs_boolean(string_value(c))
        if got is None:
            return False
        if got is want:
            return True
    return False


def _not_under_priced_allowance(el: El, stack: list[Frame]) -> bool:
    # ancestor::cac:Price/cac:AllowanceCharge: any Price ancestor that has an allowance. The
    # parent's path names every ancestor, so most amounts are settled without the loop.
    if not stack or "cac:Price" not in stack[-1][3].names:
        return True
    for frame in stack:  # noqa: SIM110 - a plain loop is cheaper on this hot path
        if frame[1] == "cac:Price" and children(frame[0], "cac:AllowanceCharge"):
            return False
    return True


NAMED = {
    "amount": NamedContext(
        tag=lambda ns, local: local.endswith("Amount") and not local.endswith("PriceAmount"),
        node=_not_under_priced_allowance,
    ),
    "binary_object": NamedContext(tag=lambda ns, local: local.endswith("BinaryObject")),
    "allowance": NamedContext(
        tag=lambda ns, local: ns == CAC and local == "AllowanceCharge",
        node=lambda el, stack: _charge_indicator_is(el, False),
    ),
    "charge": NamedContext(
        tag=lambda ns, local: ns == CAC and local == "AllowanceCharge",
        node=lambda el, stack: _charge_indicator_is(el, True),
    ),
}


def _ubl_version_21(ctx: El, st: State) -> bool:
    return any(string_value(c) == "2.1" for c in children(ctx, "cbc:UBLVersionID"))


def _is_credit_note(ctx: El, st: State) -> bool:
    return st.root.tag == f"{{{UBL_CREDITNOTE}}}CreditNote"


UNLESS = {
    "UBL-CR-002": (_ubl_version_21, "außer mit dem Wert 2.1", "except with the value 2.1"),
    "UBL-CR-412": (_is_credit_note, "außer in einer Gutschrift", "except in a credit note"),
}


def _sr43(ctx: El, st: State) -> SpecialResult:
    """An additional document reference with scheme or type code is an invoiced object (130)."""
    codes = [string_value(c) for c in children(ctx, "cbc:DocumentTypeCode")]
    if "130" in codes:
        return None
    if "50" in codes and st.root.tag == f"{{{UBL_CREDITNOTE}}}CreditNote":
        return None
    has_scheme = any(c.get("schemeID") is not None for c in children(ctx, "cbc:ID"))
    if not has_scheme and not codes:
        return None
    return (
        ctx,
        "Eine weitere Belegreferenz (cac:AdditionalDocumentReference) mit Kennungsschema oder "
        "Dokumentart muss die Dokumentart 130 (Rechnungsobjekt; in Gutschriften auch 50) haben "
        "(UBL-SR-43).",
        "An additional document reference (cac:AdditionalDocumentReference) with an identifier "
        "scheme or a document type code must have document type 130 (invoiced object; in credit "
        "notes also 50) (UBL-SR-43).",
    )


def _dt01(ctx: El, st: State) -> SpecialResult:
    """Amounts have at most two fraction digits."""
    text = string_value(ctx)
    _, dot, frac = text.partition(".")
    if not dot or len(frac) <= 2:
        return None
    name = pname_of(ctx.tag)[0]
    return (
        ctx,
        f"Der Betrag {name} '{text.strip()}' hat mehr als zwei Nachkommastellen (UBL-DT-01).",
        f"The amount {name} '{text.strip()}' has more than two fraction digits (UBL-DT-01).",
    )


def _dt18(ctx: El, st: State) -> SpecialResult:
    """The name attribute only on payment means codes."""
    for owner in st.attrs.get("name", ()):
        if pname_of(owner.tag)[0] != "cbc:PaymentMeansCode":
            name = pname_of(owner.tag)[0]
            return (
                (owner, "name"),
                f"Das Attribut @name an {name} soll nicht vorkommen; erlaubt ist es nur an "
                "cbc:PaymentMeansCode (UBL-DT-18).",
                f"The attribute @name on {name} should not be present; it is allowed on "
                "cbc:PaymentMeansCode only (UBL-DT-18).",
            )
    return None


def _distinct(rid: str, pname: str, what_de: str, what_en: str) -> Special:
    def check(ctx: El, st: State) -> SpecialResult:
        seen: set[str] = set()
        for el in st.names.get(pname, ()):
            seen.add(string_value(el))
            if len(seen) > 1:
                return (
                    el,
                    f"Alle {what_de} ({pname}) müssen denselben Wert haben (gefunden: "
                    f"{', '.join(sorted(repr(v) for v in seen))}) ({rid}).",
                    f"All {what_en} ({pname}) must have the same value (found: "
                    f"{', '.join(sorted(repr(v) for v in seen))}) ({rid}).",
                )
        return None

    check.__doc__ = f"All {what_en} ({pname}) have the same value."
    return check


def _payee(rid: str, de: str, en: str, count: Callable[[El], int]) -> Special:
    """UBL-SR-19..21: a count limit, and the payee name must differ from the seller's name.

    The name comparison is existential and fails when either side is missing, so a payee
    without a name (or a seller without a registration name) always fails these rules.
    """

    def check(ctx: El, st: State) -> SpecialResult:
        differs = _payee_differs(ctx, st)
        n = count(ctx)
        if n <= 1 and differs:
            return None
        if not differs:
            return (
                ctx,
                "Der Zahlungsempfänger (cac:PayeeParty) muss einen Namen haben, der vom Namen des "
                f"Verkäufers (cbc:RegistrationName) abweicht ({rid}).",
                "The payee (cac:PayeeParty) must have a name that differs from the seller's name "
                f"(cbc:RegistrationName) ({rid}).",
            )
        return (ctx, f"{de} darf höchstens einmal vorkommen, gefunden: {n} ({rid}).",
                f"{en} may occur at most once, found {n} ({rid}).")

    check.__doc__ = f"{en} at most once, and the payee name differs from the seller name."
    return check


def _payee_differs(ctx: El, st: State) -> bool:
    """Whether a payee name differs from a seller registration name (shared by SR-19..21)."""
    got: tuple[El, bool] | None = st.cache.get("payee")
    if got is not None and got[0] is ctx:
        return got[1]
    names = [string_value(n) for p in children(ctx, "cac:PartyName") for n in children(p, "cbc:Name")]
    differs = False
    parent = ctx.getparent()
    if names and parent is not None:
        # the seller parties were collected by the walk: no scan of the root's children
        regs = [
            string_value(r)
            for a in st.names.get("cac:AccountingSupplierParty", ())
            if a.getparent() is parent
            for p in children(a, "cac:Party")
            for le in children(p, "cac:PartyLegalEntity")
            for r in children(le, "cbc:RegistrationName")
        ]
        differs = any(a != b for a in names for b in regs)
    st.cache["payee"] = (ctx, differs)
    return differs


def _payee_names(ctx: El) -> int:
    return sum(len(children(p, "cbc:Name")) for p in children(ctx, "cac:PartyName"))


def _payee_ids(ctx: El) -> int:
    return sum(
        1
        for p in children(ctx, "cac:PartyIdentification")
        for i in children(p, "cbc:ID")
        if (i.get("schemeID") or "").upper() != "SEPA"
    )


def _payee_company_ids(ctx: El) -> int:
    return sum(len(children(p, "cbc:CompanyID")) for p in children(ctx, "cac:PartyLegalEntity"))


SPECIAL: dict[str, Special] = {
    "UBL-SR-43": _sr43,
    "UBL-DT-01": _dt01,
    "UBL-DT-18": _dt18,
    "UBL-SR-44": _distinct("UBL-SR-44", "cbc:PaymentID", "Verwendungszwecke", "payment identifiers"),
    "UBL-SR-47": _distinct("UBL-SR-47", "cbc:PaymentMeansCode", "Zahlungsartcodes", "payment means codes"),
    "UBL-SR-19": _payee("UBL-SR-19", "Der Name des Zahlungsempfängers (cac:PartyName/cbc:Name)",
                        "The payee name (cac:PartyName/cbc:Name)", _payee_names),
    "UBL-SR-20": _payee("UBL-SR-20", "Die Kennung des Zahlungsempfängers (cac:PartyIdentification/cbc:ID)",
                        "The payee identifier (cac:PartyIdentification/cbc:ID)", _payee_ids),
    "UBL-SR-21": _payee("UBL-SR-21", "Die Registernummer des Zahlungsempfängers "
                        "(cac:PartyLegalEntity/cbc:CompanyID)",
                        "The payee legal registration identifier (cac:PartyLegalEntity/cbc:CompanyID)",
                        _payee_company_ids),
}

PATTERN = Pattern(
    UBL_CONTEXTS,
    UBL_RULES,
    named=NAMED,
    unless=UNLESS,
    special=SPECIAL,
    watch_names=("cbc:PaymentID", "cbc:PaymentMeansCode", "cac:AccountingSupplierParty"),
    watch_attrs=("name",),
)

register_pattern("UBL-syntax", "ubl", PATTERN, UBL_CONTEXTS, UBL_BTS)
