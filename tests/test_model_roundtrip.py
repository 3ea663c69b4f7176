"""Property: model → JSON → model is the identity, for any invoice the model can hold.

Strategies are derived from the model's own field annotations, so new fields are covered
without touching this test. Lines nest sub-lines up to three levels.
"""

from __future__ import annotations

import types
import typing
from datetime import date
from decimal import Decimal
from typing import Any, Union

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from einvoice.model import Invoice, InvoiceLine

_text = st.text(max_size=8)
_decimal = st.decimals(allow_nan=False, allow_infinity=False, places=3,
                       min_value=Decimal("-1e9"), max_value=Decimal("1e9"))


def _for(annotation: Any, depth: int) -> st.SearchStrategy[Any]:
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = [_for(a, depth) for a in typing.get_args(annotation) if a is not type(None)]
        if type(None) in typing.get_args(annotation):
            options.insert(0, st.none())
        return st.one_of(options)
    if origin is list:
        (inner,) = typing.get_args(annotation)
        if inner is InvoiceLine and depth >= 3:
            return st.just([])
        return st.lists(_for(inner, depth + 1 if inner is InvoiceLine else depth), max_size=2)
    if annotation is str:
        return _text
    if annotation is Decimal:
        return _decimal
    if annotation is date:
        return st.dates()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _model(annotation, depth)
    raise TypeError(f"no strategy for {annotation!r}")


def _model(cls: type[BaseModel], depth: int) -> st.SearchStrategy[Any]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, field in cls.model_fields.items():
        if cls is Invoice and name == "syntax":
            fields[name] = st.sampled_from(["ubl-invoice", "ubl-creditnote", "cii"])
        else:
            fields[name] = _for(field.annotation, depth)
    return st.builds(cls, **fields)


invoices = _model(Invoice, 0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.data_too_large])
@given(invoices)
def test_model_json_model_is_identity(inv: Invoice) -> None:
    text = inv.model_dump_json()
    again = Invoice.model_validate_json(text)
    assert again == inv
    assert again.model_dump_json() == text
    assert Invoice.model_validate(inv.model_dump(mode="json")) == inv


def test_strategy_reaches_nested_sub_lines() -> None:
    deepest = 0

    def depth(lines: list[InvoiceLine], d: int) -> int:
        return max([d, *(depth(ln.sub_lines, d + 1) for ln in lines)])

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                     HealthCheck.data_too_large])
    @given(invoices)
    def probe(inv: Invoice) -> None:
        nonlocal deepest
        deepest = max(deepest, depth(inv.lines, 0))

    probe()
    assert deepest >= 2
