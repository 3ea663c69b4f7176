"""Intra-community supply (BR-IC): VAT category K, tax-exempt supplies to VAT-registered buyers in
another EU member state; delivery date or period and destination country are required.

The ten (or more) official rules of the family share one implementation with the other VAT
categories, parameterised by the category: see :mod:`einvoice.rules._vat_helpers` and
docs/rules-vat-codelists.md.
"""

from __future__ import annotations

from einvoice.rules._vat_helpers import Category, register_category

CATEGORY = Category(
    prefix="BR-IC", code="K", de="innergemeinschaftliche Lieferung", en="intra-community supply"
)

check = register_category(CATEGORY, extra=('BR-IC-11', 'BR-IC-12'))
