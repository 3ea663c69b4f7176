"""Not subject to VAT (BR-O): VAT category O, services outside the scope of VAT; such an invoice
may use no other category and carries no VAT identifiers and no rates.

The ten (or more) official rules of the family share one implementation with the other VAT
categories, parameterised by the category: see :mod:`einvoice.rules._vat_helpers` and
docs/rules-vat-codelists.md.
"""

from __future__ import annotations

from einvoice.rules._vat_helpers import Category, register_category

CATEGORY = Category(prefix="BR-O", code="O", de="nicht steuerbar", en="not subject to VAT")

check = register_category(CATEGORY, extra=('BR-O-11', 'BR-O-12', 'BR-O-13', 'BR-O-14'))
