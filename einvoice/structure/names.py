"""Readable names and XPaths for structural findings (computed only when something is wrong)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lxml import etree

from einvoice.namespaces import PREFIX

# Namespaces only the structural layer meets (signatures inside UBL extensions, xsi, xml).
_EXTRA = {
    "http://www.w3.org/2000/09/xmldsig#": "ds",
    "http://uri.etsi.org/01903/v1.3.2#": "xades",
    "http://uri.etsi.org/01903/v1.4.1#": "xades141",
    "urn:oasis:names:specification:ubl:schema:xsd:CommonSignatureComponents-2": "sig",
    "urn:oasis:names:specification:ubl:schema:xsd:SignatureAggregateComponents-2": "sac",
    "urn:oasis:names:specification:ubl:schema:xsd:SignatureBasicComponents-2": "sbc",
    "http://www.w3.org/2001/XMLSchema-instance": "xsi",
    "http://www.w3.org/XML/1998/namespace": "xml",
}
_PREFIXES = {**_EXTRA, **PREFIX}
_CACHE: dict[str, str] = {}


def namespace_of(tag: str) -> str:
    return tag[1 : tag.index("}")] if tag[:1] == "{" else ""


def local_of(tag: str) -> str:
    return tag[tag.index("}") + 1 :] if tag[:1] == "{" else tag


def display(tag: str) -> str:
    """``{ns}local`` as ``prefix:local`` (our fixed prefixes) or ``Q{ns}local`` when unknown."""
    found = _CACHE.get(tag)
    if found is None:
        if tag[:1] == "{":
            uri, _, local = tag[1:].partition("}")
            pre = _PREFIXES.get(uri)
            found = f"{pre}:{local}" if pre else f"Q{{{uri}}}{local}"
        else:
            found = tag
        if len(_CACHE) < 10_000:
            _CACHE[tag] = found
    return found


def namespace_label(uri: str) -> str:
    """A namespace by its usual prefix when we have one, else quoted in full."""
    if not uri:
        return "(kein Namensraum / no namespace)"
    pre = _PREFIXES.get(uri)
    return pre if pre else f"'{uri}'"


def listing(items: Sequence[Any], lang: str = "en", limit: int = 8) -> str:
    """Expected elements for a message: Clark names, or wildcards (objects with ``describe``)."""
    shown = [display(t) if isinstance(t, str) else t.describe(lang) for t in items[:limit]]
    more = len(items) - limit
    return ", ".join(shown) + (f", … (+{more})" if more > 0 else "")


def xpath(el: etree._Element) -> str:
    """``/ubl:Invoice/cac:InvoiceLine[2]/cbc:ID``: a position only where siblings share the name."""
    steps: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        tag = node.tag
        name = display(tag) if isinstance(tag, str) else "node()"
        parent = node.getparent()
        if parent is not None and isinstance(tag, str):
            # lxml filters siblings by tag in C: cheap even among thousands of invoice lines.
            before = sum(1 for _ in node.itersiblings(tag, preceding=True))
            if before or next(node.itersiblings(tag), None) is not None:
                name = f"{name}[{before + 1}]"
        steps.append(name)
        node = parent
    return "/" + "/".join(reversed(steps))


def attribute_path(el: etree._Element, name: str) -> str:
    return f"{xpath(el)}/@{display(name)}"
