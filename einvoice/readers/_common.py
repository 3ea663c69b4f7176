"""What both readers share: walking children with their XPaths, and building located values fast.

Why not ``Model(...)``/``model_construct``: a reader builds a few hundred objects per document
and pydantic validation (or ``model_construct``, which resolves every default each call) costs
more than parsing the XML. The readers only ever store values of the declared types, so they
fill ``__dict__`` directly from per-class defaults computed once. The property test in
``tests/test_model_roundtrip.py`` and the reader tests check the result is a valid model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

from lxml import etree
from pydantic import BaseModel

from einvoice.model.values import (
    Amount,
    Binary,
    Code,
    DateValue,
    Identifier,
    Percent,
    Quantity,
    Text,
    parse_date,
    parse_decimal,
)
from einvoice.namespaces import PREFIX

M = TypeVar("M", bound=BaseModel)
El = etree._Element

# XPath's whitespace (what the reference tools strip), not Python's wider notion of it.
WS = " \t\r\n"

_set = object.__setattr__
# Per class: (scalar defaults, names of list fields that need a fresh list per instance).
_DEFAULTS: dict[type[BaseModel], tuple[dict[str, Any], tuple[str, ...]]] = {}


def _defaults(cls: type[BaseModel]) -> tuple[dict[str, Any], tuple[str, ...]]:
    found = _DEFAULTS.get(cls)
    if found is None:
        # Every field gets a slot in declaration order, so dumps list fields as declared.
        scalars: dict[str, Any] = {}
        lists: list[str] = []
        for name, field in cls.model_fields.items():
            if field.default_factory is not None:
                lists.append(name)
                scalars[name] = None
            else:
                scalars[name] = None if field.is_required() else field.default
        found = _DEFAULTS[cls] = (scalars, tuple(lists))
    return found


def new(cls: type[M], **values: Any) -> M:
    """An instance of ``cls`` with ``values`` and every other field at its default, unvalidated."""
    scalars, lists = _defaults(cls)
    d = dict(scalars)
    for name in lists:
        d[name] = []
    d.update(values)
    obj = cls.__new__(cls)
    _set(obj, "__dict__", d)
    _set(obj, "__pydantic_fields_set__", set(values))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


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
        _QNAMES[tag] = q
    return q


_QNAMES: dict[str, str] = {}


def kids(el: El, path: str) -> Iterator[tuple[str, El, str]]:
    """The element children of ``el`` as (prefixed name, element, XPath).

    A position ``[n]`` is added only when siblings share the name, as lxml's getpath does.
    """
    children = [c for c in el if isinstance(c.tag, str)]
    if not children:
        return
    counts: dict[str, int] = {}
    for c in children:
        t = c.tag
        counts[t] = counts.get(t, 0) + 1
    seen: dict[str, int] = {}
    for c in children:
        t = c.tag
        q = _QNAMES.get(t) or qname(t)
        if counts[t] > 1:
            n = seen.get(t, 0) + 1
            seen[t] = n
            yield q, c, f"{path}/{q}[{n}]"
        else:
            yield q, c, f"{path}/{q}"


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
    for c in el:
        if isinstance(c.tag, str):
            _collect(c, parts)
        if c.tail:
            parts.append(c.tail)


def text(el: El, path: str) -> Text:
    return new(Text, raw=text_of(el), path=path)


def code(el: El, path: str) -> Code:
    return new(Code, raw=text_of(el), path=path, list_id=el.get("listID"),
               list_version=el.get("listVersionID"))


def ident(el: El, path: str) -> Identifier:
    return new(Identifier, raw=text_of(el), path=path, scheme=el.get("schemeID"),
               scheme_version=el.get("schemeVersionID"))


def amount(el: El, path: str) -> Amount:
    raw = text_of(el)
    return new(Amount, raw=raw, path=path, value=parse_decimal(raw), currency=el.get("currencyID"))


def quantity(el: El, path: str) -> Quantity:
    raw = text_of(el)
    return new(Quantity, raw=raw, path=path, value=parse_decimal(raw), unit=el.get("unitCode"))


def percent(el: El, path: str) -> Percent:
    raw = text_of(el)
    return new(Percent, raw=raw, path=path, value=parse_decimal(raw))


def iso_date(el: El, path: str) -> DateValue:
    raw = text_of(el)
    return new(DateValue, raw=raw, path=path, value=parse_date(raw))


def binary(el: El, path: str) -> Binary:
    return new(Binary, raw=text_of(el), path=path, mime=el.get("mimeCode"), filename=el.get("filename"))
