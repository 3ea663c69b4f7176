"""Export outside the EU (BR-G): VAT category G, free export item, VAT not charged.

The ten (or more) official rules of the family share one implementation with the other VAT
categories, parameterised by the category: see :mod:`einvoice.rules._vat_helpers` and
docs/rules-vat-codelists.md.
"""

from __future__ import annotations

from einvoice.rules._vat_helpers import Category, register_category

CATEGORY = Category(prefix="BR-G", code="G", de="Ausfuhr außerhalb der EU", en="export outside the EU")

check = register_category(CATEGORY)
