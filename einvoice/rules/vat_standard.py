"""Standard rate (BR-S): VAT category S, the normal rates (19 % and 7 % in Germany).

The ten (or more) official rules of the family share one implementation with the other VAT
categories, parameterised by the category: see :mod:`einvoice.rules._vat_helpers` and
docs/rules-vat-codelists.md.
"""

from __future__ import annotations

from einvoice.rules._vat_helpers import Category, register_category

CATEGORY = Category(prefix="BR-S", code="S", de="Normalsatz", en="standard rated")

check = register_category(CATEGORY)
