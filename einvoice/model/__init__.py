"""The syntax-free EN 16931 model."""

from einvoice.model.invoice import *  # noqa: F403
from einvoice.model.invoice import Invoice, InvoiceLine
from einvoice.model.values import Amount, Binary, Code, DateValue, Identifier, Percent, Quantity, Text, Value

__all__ = [
    "Amount",
    "Binary",
    "Code",
    "DateValue",
    "Identifier",
    "Invoice",
    "InvoiceLine",
    "Percent",
    "Quantity",
    "Text",
    "Value",
]
