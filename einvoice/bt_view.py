"""The flattened BT view of an invoice: nested objects keyed by EN 16931 ids.

This is the shape of ``einvoice convert --format bt`` and of the reference facts the converter is
compared with (the KoSIT visualization's reading): terms are the text as written, groups are
objects, repeatable ids are lists, attributes are sibling keys (``BT-34-scheme``, ``BT-125-mime``),
unit codes are terms of their own (``BT-130``, ``BT-150``), dates are ``YYYY-MM-DD``.

The view is generated from the ``bt`` ids the model declares; a plan per model class is computed
once. The places where the view differs from the plain EN 16931 tree are handled explicitly:
groups inside XRechnung sub-lines are renamed (BG-DEX-02..08), BG-16 is built once per distinct
payment means code (BT-81), CII date terms count only in format 102, and BG-DEX-09 exists for
UBL Invoice only.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Union

from pydantic import BaseModel

from einvoice.model.invoice import (
    CreditTransfer,
    DocumentAllowance,
    DocumentCharge,
    Invoice,
    InvoiceLine,
    LineAllowance,
    LineCharge,
    PaymentInstructions,
    PriceDetails,
)
from einvoice.model.values import Binary, DateValue, Identifier, Quantity, Value

# Ids that are lists even with one occurrence.
REPEATABLE = frozenset({
    "BG-1", "BG-3", "BG-17", "BG-20", "BG-21", "BG-23", "BG-24", "BG-25", "BG-27", "BG-28", "BG-32",
    "BG-DEX-01", "BG-DEX-03", "BG-DEX-04", "BG-DEX-08", "BG-DEX-09", "BT-29", "BT-158",
})

# Inside an XRechnung sub-line (BG-DEX-01) the line's groups carry extension ids.
SUB_LINE_GROUPS = {
    "BG-31": "BG-DEX-02",
    "BG-27": "BG-DEX-03",
    "BG-28": "BG-DEX-04",
    "BG-26": "BG-DEX-05",
    "BG-30": "BG-DEX-06",
    "BG-29": "BG-DEX-07",
    "BG-32": "BG-DEX-08",
}

# A quantity's unit code is a term of its own.
UNIT_TERMS = {"BT-129": "BT-130", "BT-149": "BT-150"}

_ALLOWANCE_CHARGE = (DocumentAllowance, DocumentCharge, LineAllowance, LineCharge)

_VALUE, _VALUES, _GROUP, _GROUPS = 0, 1, 2, 3
# (field name, id, kind)
Plan = tuple[tuple[str, str, int], ...]
_PLANS: dict[type[BaseModel], Plan] = {}


def _target(annotation: Any) -> tuple[type[BaseModel], bool]:
    """The model class a field holds and whether it is a list."""
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _target(args[0])
    if origin is list:
        inner, _ = _target(typing.get_args(annotation)[0])
        return inner, True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    raise TypeError(f"unexpected field type {annotation!r}")


def plan(cls: type[BaseModel]) -> Plan:
    """The (field, id, kind) entries of a model class, in declaration order (cached)."""
    found = _PLANS.get(cls)
    if found is not None:
        return found
    entries: list[tuple[str, str, int]] = []
    for name, field in cls.model_fields.items():
        extra = field.json_schema_extra
        bt = extra.get("bt") if isinstance(extra, dict) else None
        if not isinstance(bt, str):
            continue
        target, many = _target(field.annotation)
        if issubclass(target, Value):
            entries.append((name, bt, _VALUES if many else _VALUE))
        else:
            entries.append((name, bt, _GROUPS if many else _GROUP))
    _PLANS[cls] = result = tuple(entries)
    return result


def _term(v: Value, key: str, out: dict[str, Any], cii: bool) -> bool:
    """Write one term (and its attributes and unit) into ``out``; False when it is not written."""
    if isinstance(v, DateValue):
        if cii and v.format != "102":
            return False
        out[key] = v.value.isoformat() if v.value is not None else v.raw
        return True
    out[key] = v.raw
    if isinstance(v, Identifier):
        if v.scheme is not None:
            out[key + "-scheme"] = v.scheme
        if v.scheme_version is not None:
            out[key + "-scheme-version"] = v.scheme_version
    elif isinstance(v, Quantity):
        unit_key = UNIT_TERMS.get(key)
        if unit_key is not None and v.unit is not None:
            out[unit_key] = v.unit
    elif isinstance(v, Binary):
        if v.mime is not None:
            out[key + "-mime"] = v.mime
        if v.filename is not None:
            out[key + "-filename"] = v.filename
    return True


def _terms(values: list[Value], key: str, out: dict[str, Any], cii: bool) -> None:
    entries: list[dict[str, Any]] = []
    for v in values:
        one: dict[str, Any] = {}
        if _term(v, key, one, cii):
            entries.append(one)
    if not entries:
        return
    out[key] = [e[key] for e in entries]
    for e in entries:
        for k in e:
            if k != key and k not in out:
                out[k] = [x.get(k) for x in entries]


def _shown(obj: BaseModel, cii: bool) -> bool:
    """False for groups the reference reading leaves out although the model keeps them."""
    if isinstance(obj, _ALLOWANCE_CHARGE):
        # Only the literal 'true'/'false' select an allowance or charge there (not 1/0).
        return obj.indicator is None or obj.indicator.raw in ("true", "false")
    if cii and isinstance(obj, CreditTransfer):
        # CII: BG-17 is the creditor account; a BIC without an account shows no BG-17.
        return obj.account_id is not None
    return True


def _group(obj: BaseModel, cii: bool, sub: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not _shown(obj, cii):
        return out
    d = obj.__dict__
    for name, key, kind in plan(type(obj)):
        v = d[name]
        if v is None or v == []:
            continue
        if kind == _VALUE:
            _term(v, key, out, cii)
        elif kind == _VALUES:
            _terms(v, key, out, cii)
        else:
            in_sub = sub or key == "BG-DEX-01"
            if sub:
                key = SUB_LINE_GROUPS.get(key, key)
            if key == "BG-16":
                gs = _payment_groups(v, cii)
            elif kind == _GROUP:
                gs = [g] if (g := _group(v, cii, in_sub)) else []
            else:
                gs = [g for g in (_group(x, cii, in_sub) for x in v) if g]
            if gs:
                # A single-valued id that occurs more than once becomes a list as well.
                out[key] = gs if key in REPEATABLE or len(gs) > 1 else gs[0]
    if isinstance(obj, InvoiceLine) and obj.additional_vat:
        # A line with several VAT categories: the reference lists them all (a repeated
        # single-valued group becomes a list).
        key = "BG-DEX-06" if sub else "BG-30"
        extra = [g for g in (_group(x, cii, sub) for x in obj.additional_vat) if g]
        found = out.get(key)
        both = ([found] if found else []) + extra
        if both:
            out[key] = both if len(both) > 1 else both[0]
    if isinstance(obj, PriceDetails) and obj.discount_indicator is not None \
            and obj.discount_indicator.raw != "false":
        out.pop("BT-147", None)
        out.pop("BT-148", None)
    return out


def _payment_groups(means: list[PaymentInstructions], cii: bool) -> list[dict[str, Any]]:
    """BG-16 once per distinct BT-81: payment means with the same code are merged."""
    by_code: dict[str | None, dict[str, Any]] = {}
    for pm in means:
        g = _group(pm, cii, False)
        if not g:
            continue
        code = pm.type_code.raw if pm.type_code is not None else None
        merged = by_code.get(code)
        if merged is None:
            by_code[code] = g
            continue
        for k, v in g.items():
            if k == "BG-17":
                merged.setdefault(k, []).extend(v)
            else:
                merged.setdefault(k, v)
    return list(by_code.values())


def bt_view(invoice: Invoice) -> dict[str, Any]:
    """The BT view of ``invoice`` (see the module docstring and docs/model.md)."""
    out = _group(invoice, invoice.syntax == "cii", False)
    if invoice.syntax != "ubl-invoice":
        # The reference reads third-party payments (BG-DEX-09) from UBL Invoice only.
        out.pop("BG-DEX-09", None)
    return out


__all__ = ["REPEATABLE", "SUB_LINE_GROUPS", "bt_view", "plan"]
