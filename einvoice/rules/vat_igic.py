"""Canary Islands general indirect tax (BR-AF): VAT category L (IGIC).

The ten (or more) official rules of the family share one implementation with the other VAT
categories, parameterised by the category: see :mod:`einvoice.rules._vat_helpers` and
docs/rules-vat-codelists.md.
"""

from __future__ import annotations

from einvoice.rules._vat_helpers import Category, register_category

CATEGORY = Category(prefix="BR-AF", code="L", de="IGIC, Kanarische Inseln", en="IGIC, Canary Islands")

check = register_category(CATEGORY)
