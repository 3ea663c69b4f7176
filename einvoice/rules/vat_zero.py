"""Zero rated goods and services (BR-Z): VAT category Z, taxable at a rate of 0 %.

The ten (or more) official rules of the family share one implementation with the other VAT
categories, parameterised by the category: see :mod:`einvoice.rules._vat_helpers` and
docs/rules-vat-codelists.md.
"""

from __future__ import annotations

from einvoice.rules._vat_helpers import Category, register_category

CATEGORY = Category(prefix="BR-Z", code="Z", de="Nullsatz", en="zero rated")

check = register_category(CATEGORY)
