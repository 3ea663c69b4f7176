"""What both readers share: walking children with their XPaths, and building located values fast.

Why not ``Model(...)``/``model_construct``: a reader builds a few hundred objects per document
and pydantic validation (or ``model_construct``, which resolves every default each call) costs
more than parsing the XML. The readers only ever store values of the declared types, so they
fill ``__dict__`` directly from per-class defaults computed once. The property test in
``tests/test_model_roundtrip.py`` and the reader tests check the result is a valid model.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

from lxml import etree
from pydantic import BaseModel

from einvoice.model.invoice import Group
from einvoice.model.values import (
    Amount,
    Binary,
    Code,
    DateValue,
    Identifier,
    Percent,
    Quantity,
    Text,
    Value,
    parse_date,
    parse_decimal,
)
from einvoice.namespaces import PREFIX
from einvoice.xmlnode import Node

M = TypeVar("M", bound=BaseModel)
El = etree._Element

# XPath's whitespace (what the reference tools strip), not Python's wider notion of it.
WS = " \t\r\n"


class _ValueShell(Value):
    """A blank with the memory layout of every value class, for building values cheaply.

    Through a pydantic model's own ``__setattr__`` (or by calling the slot descriptors) each of
    the four slots of a model costs hundreds of instructions. This class keeps Python's plain
    attribute setting, so the slots are stored directly; the finished object then becomes an
    instance of its real class by ``__class__`` assignment, which Python allows between classes
    of the same layout (no model class declares slots of its own). Never handed out as a shell.
    """

    __setattr__ = object.__setattr__
    # Shares the C slot with __setattr__: pydantic's __delattr__ would make both slow.
    __delattr__ = object.__delattr__
    # Calling the class is then cheaper than object.__new__(cls), and validates nothing.
    __init__ = object.__init__


class _GroupShell(Group):
    """The same blank for the group classes (see ``_ValueShell``)."""

    __setattr__ = object.__setattr__
    __delattr__ = object.__delattr__
    __init__ = object.__init__


_SHELLS: tuple[type[BaseModel], ...] = (_ValueShell, _GroupShell)


# Per class: (scalar defaults, fields whose default factory must run per instance, its shell).
_Factories = tuple[tuple[str, Callable[[], Any]], ...]
_DEFAULTS: dict[type[BaseModel], tuple[dict[str, Any], _Factories, type[BaseModel]]] = {}


def _defaults(cls: type[BaseModel]) -> tuple[dict[str, Any], _Factories, type[BaseModel]]:
    found = _DEFAULTS.get(cls)
    if found is None:
        # Every field gets a slot in declaration order, so dumps list fields as declared.
        scalars: dict[str, Any] = {}
        factories: list[tuple[str, Callable[[], Any]]] = []
        for name, field in cls.model_fields.items():
            if field.default_factory is not None:
                factories.append((name, field.default_factory))  # type: ignore[arg-type]
                scalars[name] = None
            else:
                scalars[name] = None if field.is_required() else field.default
        shells = [s for s in _SHELLS if issubclass(cls, s.__base__)]  # type: ignore[arg-type]
        if not shells:
            raise TypeError(f"no construction blank for {cls.__name__}")
        found = _DEFAULTS[cls] = (scalars, tuple(factories), shells[0])
    return found


def new(cls: type[M], **values: Any) -> M:
    """An instance of ``cls`` with ``values`` and every other field at its default, unvalidated."""
    found = _DEFAULTS.get(cls)
    scalars, factories, shell = found if found is not None else _defaults(cls)
    d = scalars.copy()
    for name, factory in factories:
        d[name] = [] if factory is list else factory()
    d.update(values)
    obj: Any = shell()
    obj.__dict__ = d
    obj.__pydantic_fields_set__ = set(values)
    obj.__pydantic_extra__ = None
    obj.__pydantic_private__ = None
    obj.__class__ = cls
    made: M = obj
    return made


def group(cls: type[M], path: str, values: dict[str, Any]) -> M:
    """``new(cls, path=path, **values)`` without passing the fields as keywords (which copies them
    twice); ``values`` is the reader's own dict and is not kept."""
    # The shell steps are written out here and in new(): a shared helper behind both costs 20 K
    # instructions per document (read 1.71 -> 1.73 M, bench/icount.py).
    found = _DEFAULTS.get(cls)
    scalars, factories, shell = found if found is not None else _defaults(cls)
    # Display builds instead of copy()/update()/set() calls: fewer method calls per group.
    d = {**scalars, "path": path, **values}
    for name, factory in factories:
        if name not in values:
            d[name] = factory()
    fields = {"path", *values}
    obj: Any = shell()
    obj.__dict__ = d
    obj.__pydantic_fields_set__ = fields
    obj.__pydantic_extra__ = None
    obj.__pydantic_private__ = None
    obj.__class__ = cls
    made: M = obj
    return made


def qname(tag: str) -> str:
    """``{ns}local`` as ``prefix:local`` with our fixed prefixes (cached)."""
    q = _QNAMES.get(tag)
    if q is None:
        if tag[:1] == "{":
            uri, _, local = tag[1:].partition("}")
            pre = PREFIX.get(uri)
            q = f"{pre}:{local}" if pre else f"*[local-name()='{local}']"
        else:
            q = tag
        # Interned, so the readers' dispatch on name literals compares by identity first.
        q = _QNAMES[tag] = sys.intern(q)
    return q


_QNAMES: dict[str, str] = {}


def kids(el: El, path: str) -> list[tuple[str, El, str]]:
    """The element children of ``el`` as (prefixed name, element, XPath).

    A position ``[n]`` is added only when siblings share the name, as lxml's getpath does.
    Comments and processing instructions are skipped.
    """
    names: dict[Any, str] = _QNAMES
    # Slicing hands over all child proxies at once, cheaper than iterating the element.
    children: list[Node] = el[:]  # type: ignore[index, assignment]  # stubs lack slicing
    if len(children) == 1:
        # Most calls: a wrapper around one element (cac:Country, cac:TaxScheme, …).
        c = children[0]
        t = c.tag
        q = names.get(t)
        if q is None:
            if t.__class__ is not str:
                return []
            q = qname(t)
        return [(q, c, f"{path}/{q}")]
    prefix = path + "/"
    out: list[tuple[str, El, str]] = []
    # One store per child; fewer distinct names than children means some name repeats
    # (cheaper than testing and adding to a set).
    distinct: dict[str, El] = {}
    for c in children:
        t = c.tag
        # Known names first: the type check (comments and processing instructions have a
        # function as tag, never in the cache) is needed only on a cache miss.
        q = names.get(t)
        if q is None:
            if t.__class__ is not str:
                continue
            q = qname(t)
        distinct[q] = c
        out.append((q, c, prefix + q))
    if len(distinct) != len(out):
        # Rare path: number the siblings that share a name.
        total: dict[str, int] = {}
        for q, _c, _p in out:
            total[q] = total.get(q, 0) + 1
        n: dict[str, int] = {}
        for i, (q, c, _p) in enumerate(out):
            if total[q] > 1:
                k = n[q] = n.get(q, 0) + 1
                out[i] = (q, c, f"{prefix}{q}[{k}]")
    return out


def text_of(el: El) -> str:
    """The string value of ``el`` (all descendant text, comments left out), trimmed."""
    if len(el) == 0:
        t = el.text
        return t.strip(WS) if t else ""
    parts: list[str] = []
    _collect(el, parts)
    return "".join(parts).strip(WS)


def _collect(el: El, parts: list[str]) -> None:
    if el.text and isinstance(el.tag, str):
        parts.append(el.text)
    c: Node
    for c in el:
        if isinstance(c.tag, str):
            _collect(c, parts)
        if c.tail:
            parts.append(c.tail)


# Value classes are frozen and the readers give every field, so the fields-set is all fields and
# never changes after construction: one set per class is shared by all its instances.
_F_TEXT = set(Text.model_fields)
_F_CODE = set(Code.model_fields)
_F_IDENT = set(Identifier.model_fields)
_F_AMOUNT = set(Amount.model_fields)
_F_QUANTITY = set(Quantity.model_fields)
_F_PERCENT = set(Percent.model_fields)
_F_DATE = set(DateValue.model_fields)
_F_BINARY = set(Binary.model_fields)


# Each value function reads a leaf's text itself (the common case) and calls text_of only for an
# element with children: a Python call per value costs more than the four lines. The shell's
# five stores are written out in each function for the same reason: folded into one helper they
# cost 40 K instructions more per document (read 1.71 -> 1.75 M, measured with bench/icount.py).


def text(el: El, path: str) -> Text:
    if len(el) == 0:
        t = el.text
        raw = t.strip(WS) if t else ""
    else:
        raw = text_of(el)
    obj: Any = _ValueShell()
    obj.__dict__ = {"raw": raw, "path": path}
    obj.__pydantic_fields_set__ = _F_TEXT
    obj.__pydantic_extra__ = None
    obj.__pydantic_private__ = None
    obj.__class__ = Text
    return obj  # type: ignore[no-any-return]


def code(el: El, path: str) -> Code:
    list_id = list_version = None
    # One items() call: most codes carry no attribute, and two get() calls cost several times more.
    for k, v in el.items():
        if k == "listID":
            list_id = v
        elif k == "listVersionID":
            list_version = v
    if len(el) == 0:
        t = el.text
        raw = t.strip(WS) if t else ""
    else:
        raw = text_of(el)
    obj: Any = _ValueShell()
    obj.__dict__ = {"raw": raw, "path": path, "list_id": list_id, "list_version": list_version}
    obj.__pydantic_fields_set__ = _F_CODE
    obj.__pydantic_extra__ = None
    obj.__pydantic_private__ = None
    obj.__class__ = Code
    return obj  # type: ignore[no-any-return]


def ident(el: El, path: str) -> Identifier:
    scheme = version = None
    for k, v in el.items():
        if k == "schemeID":
            scheme = v
        elif k == "schemeVersionID":
            version = v
    if len(el) == 0:
        t = el.text
        raw = t.strip(WS) if t else ""
    else:
        raw = text_of(el)
    obj: Any = _ValueShell()
    obj.__dict__ = {"raw": raw, "path": path, "scheme": scheme, "scheme_version": version}
    obj.__pydantic_fields_set__ = _F_IDENT
    obj.__pydantic_extra__ = None
    obj.__pydantic_private__ = None
    obj.__class__ = Identifier
    return obj  # type: ignore[no-any-return]


def amount(el: El, path: str) -> Amount:
    if len(el) == 0:
        t = el.text
        raw = t.strip(WS) if t else ""
    else:
        raw = text_of(el)
    obj: Any = _ValueShell()
    obj.__dict__ = {"raw": raw, "path": path, "value": parse_decimal(raw), "currency": el.get("currencyID")}
    obj.__pydantic_fields_set__ = _F_AMOUNT
    obj.__pydantic_extra__ = None
    obj.__pydantic_private__ = None
    obj.__class__ = Amount
    return obj  # type: ignore[no-any-return]


def quantity(el: El, path: str) -> Quantity:
    if len(el) == 0:
        t = el.text
        raw = t.strip(WS) if t else ""
    else:
        raw = text_of(el)
    obj: Any = _ValueShell()
    obj.__dict__ = {"raw": raw, "path": path, "value": parse_decimal(raw), "unit": el.get("unitCode")}
    obj.__pydantic_fields_set__ = _F_QUANTITY
    obj.__pydantic_extra__ = None
    obj.__pydantic_private__ = None
    obj.__class__ = Quantity
    return obj  # type: ignore[no-any-return]


def percent(el: El, path: str) -> Percent:
    if len(el) == 0:
        t = el.text
        raw = t.strip(WS) if t else ""
    else:
        raw = text_of(el)
    obj: Any = _ValueShell()
    obj.__dict__ = {"raw": raw, "path": path, "value": parse_decimal(raw)}
    obj.__pydantic_fields_set__ = _F_PERCENT
    obj.__pydantic_extra__ = None
    obj.__pydantic_private__ = None
    obj.__class__ = Percent
    return obj  # type: ignore[no-any-return]


def iso_date(el: El, path: str) -> DateValue:
    if len(el) == 0:
        t = el.text
        raw = t.strip(WS) if t else ""
    else:
        raw = text_of(el)
    obj: Any = _ValueShell()
    obj.__dict__ = {"raw": raw, "path": path, "value": parse_date(raw), "format": None}
    obj.__pydantic_fields_set__ = _F_DATE
    obj.__pydantic_extra__ = None
    obj.__pydantic_private__ = None
    obj.__class__ = DateValue
    return obj  # type: ignore[no-any-return]


def binary(el: El, path: str) -> Binary:
    mime = filename = None
    for k, v in el.items():
        if k == "mimeCode":
            mime = v
        elif k == "filename":
            filename = v
    if len(el) == 0:
        t = el.text
        raw = t.strip(WS) if t else ""
    else:
        raw = text_of(el)
    obj: Any = _ValueShell()
    obj.__dict__ = {"raw": raw, "path": path, "mime": mime, "filename": filename}
    obj.__pydantic_fields_set__ = _F_BINARY
    obj.__pydantic_extra__ = None
    obj.__pydantic_private__ = None
    obj.__class__ = Binary
    return obj  # type: ignore[no-any-return]
