"""Tax for production, services and importation in Ceuta and Melilla (BR-AG): VAT category M (IPSI).

The ten (or more) official rules of the family share one implementation with the other VAT
categories, parameterised by the category: see :mod:`einvoice.rules._vat_helpers` and
docs/rules-vat-codelists.md.
"""

from __future__ import annotations

from einvoice.rules._vat_helpers import Category, register_category

CATEGORY = Category(prefix="BR-AG", code="M", de="IPSI, Ceuta und Melilla", en="IPSI, Ceuta and Melilla")

check = register_category(CATEGORY)
