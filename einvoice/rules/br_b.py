"""EN 16931 split payment rules BR-B-nn (VAT category B, Italy)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final

from einvoice.model import Invoice
from einvoice.rules._core_helpers import all_lines, category_code_set, hit, root_path
from einvoice.rules.registry import Context, Hit, rule

E: Final = "error"
EN: Final = "en16931"


def _country_codes(ctx: Context) -> Iterator[str]:
    """Every country code the official test looks at.

    UBL looks at every country identification code, item origins included; CII at every
    address country, which excludes the item origin (a different element there).
    """
    inv: Invoice = ctx.invoice
    for party in (inv.seller, inv.buyer, inv.tax_representative, inv.delivery):
        addr = party.address if party is not None else None
        if addr is not None and addr.country_code is not None:
            yield addr.country_code.raw
    if ctx.family == "ubl":
        for line in all_lines(ctx):
            if line.item is not None and line.item.origin_country is not None:
                yield line.item.origin_country.raw


@rule("BR-B-01", level=E, source=EN, layer="core", bts=("BT-151", "BT-95", "BT-102"))
def br_b_01(ctx: Context) -> Iterable[Hit]:
    """BR-B-01: An invoice with VAT category "Split payment" (B) shall be a domestic Italian invoice."""
    if "B" not in category_code_set(ctx):
        return
    foreign = sorted({c for c in _country_codes(ctx) if c != "IT"})
    if foreign:
        yield hit(root_path(ctx), "Umsatzsteuerkategorie B (Split Payment) nur für Inlandsrechnungen "
                                  "in Italien; "
                  f"gefunden: {', '.join(foreign)}.",
                  f"VAT category B (split payment) is for domestic Italian invoices only; found: "
                  f"{', '.join(foreign)}.")


@rule("BR-B-02", level=E, source=EN, layer="core", bts=("BT-151", "BT-95", "BT-102"))
def br_b_02(ctx: Context) -> Iterable[Hit]:
    """BR-B-02: An invoice with VAT category B (split payment) shall not also use category S (standard rate).

    The UBL test looks for S in lines and document allowances/charges only (its breakdown term
    names an element that does not exist); CII looks at every category code.
    """
    codes = category_code_set(ctx)
    if "B" not in codes:  # every term below reads a subset of these codes
        return
    inv = ctx.invoice
    if ctx.family == "ubl":
        ac = [x.vat_category_code.raw for x in inv.allowances if x.vat_category_code is not None]
        ac += [x.vat_category_code.raw for x in inv.charges if x.vat_category_code is not None]
        lines = [ln.vat.category_code.raw for ln in all_lines(ctx)
                 if ln.vat is not None and ln.vat.category_code is not None]
        breakdown = [b.category_code.raw for b in inv.vat_breakdown if b.category_code is not None]
        has_b = "B" in breakdown or "B" in ac or "B" in lines
        has_s = "S" in ac or "S" in lines
    else:
        has_b, has_s = "B" in codes, "S" in codes
    if has_b and has_s:
        yield hit(root_path(ctx), "Umsatzsteuerkategorie B (Split Payment) und S (Normalsatz) dürfen "
                                  "nicht in "
                  "derselben Rechnung vorkommen.",
                  "VAT categories B (split payment) and S (standard rate) must not occur in the same "
                  "invoice.")
