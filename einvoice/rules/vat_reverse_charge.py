"""Reverse charge (BR-AE): VAT category AE; the buyer owes the VAT, so both parties must be identified.

The ten (or more) official rules of the family share one implementation with the other VAT
categories, parameterised by the category: see :mod:`einvoice.rules._vat_helpers` and
docs/rules-vat-codelists.md.
"""

from __future__ import annotations

from einvoice.rules._vat_helpers import Category, register_category

CATEGORY = Category(
    prefix="BR-AE", code="AE", de="Umkehrung der Steuerschuldnerschaft", en="VAT reverse charge"
)

check = register_category(CATEGORY)
