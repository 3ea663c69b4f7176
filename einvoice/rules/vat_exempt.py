"""Exempt from VAT (BR-E): VAT category E; the breakdown must say why (BT-120/BT-121).

The ten (or more) official rules of the family share one implementation with the other VAT
categories, parameterised by the category: see :mod:`einvoice.rules._vat_helpers` and
docs/rules-vat-codelists.md.
"""

from __future__ import annotations

from einvoice.rules._vat_helpers import Category, register_category

CATEGORY = Category(prefix="BR-E", code="E", de="steuerbefreit", en="exempt from VAT")

check = register_category(CATEGORY)
