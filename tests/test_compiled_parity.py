"""Comments and processing instructions anywhere must not change a report.

Guards code compiled with mypyc (see docs/performance.md): compiled code checks declared types at
run time, and lxml's stubs type every node's ``tag`` as ``str`` while a comment's or processing
instruction's tag is a function. A ``.tag`` read into a ``str`` annotation then raises there, and
only there; the pipeline turns that into an EINV-INTERNAL or EINV-RULE-FAILED finding. The same
documents run in pure Python must of course give the same reports too.

Where a comment cannot matter (between elements, around the root) the report and the model must
equal those of the document without them. Inside a text-only leaf a comment splits the text,
which some rules read as the first text node only (as XPath's ``text()[1]`` would), so there the
test asks only that nothing failed.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from conftest import CONFORMANCE, CORPUS
from lxml import etree

from einvoice import pipeline

FAILED = ("EINV-INTERNAL", "EINV-RULE-FAILED")
# A sample of the corpus wide enough to reach every reader branch and many rule hits: every
# n-th document in sorted order.
EVERY = 45


@cache
def _sample() -> list[str]:
    exp: dict[str, Any] = json.loads((CONFORMANCE / "expected.json").read_text(encoding="utf-8"))
    return sorted(exp)[::EVERY]


def _parse(data: bytes) -> etree._Element | None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None


def _junk(i: int) -> etree._Element:
    if i % 2:
        return etree.ProcessingInstruction("pi", f"n{i}")
    return etree.Comment(f" c{i} ")


def _blank(text: str | None) -> str | None:
    """The indentation a neighbour has, never its (stray) text: that must not be doubled."""
    return text if text is not None and not text.strip() else None


def between(root: etree._Element) -> bytes:
    """Around the root, and in every element with element children: first, last and between
    each pair of children (with the indentation the neighbour has, so pretty-printed layouts
    stay as they were; stray text is not doubled)."""
    parents = [e for e in root.iter(etree.Element) if len(e)]
    i = 0
    for el in parents:
        kids = list(el)  # a copy: the loop inserts
        for k in kids:
            j = _junk(i)
            i += 1
            j.tail = _blank(k.tail)
            k.addnext(j)
        j = _junk(i)
        i += 1
        j.tail = _blank(el.text)
        el.insert(0, j)
    root.addprevious(etree.Comment(" before "))
    root.addprevious(etree.ProcessingInstruction("pi", "before"))
    root.addnext(etree.Comment(" after "))
    root.addnext(etree.ProcessingInstruction("pi", "after"))
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def in_leaves(root: etree._Element) -> bytes:
    """Into every text-only leaf: before, inside or after its text, in turn."""
    leaves = [e for e in root.iter(etree.Element) if not len(e) and e.text and e.text.strip()]
    for n, el in enumerate(leaves):
        t = el.text or ""
        j = _junk(n)
        where = n % 3
        if where == 0:
            el.text, j.tail = None, t
        elif where == 1:
            half = len(t) // 2
            el.text, j.tail = t[:half], t[half:]
        el.insert(0, j)
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def _outputs(data: bytes) -> tuple[str, str, list[str]]:
    o = pipeline.process(data)
    failed = [f"{f.rule}: {f.message_en}" for f in o.report.findings if f.rule in FAILED]
    inv = o.invoice.model_dump_json() if o.invoice is not None else ""
    return o.report.model_dump_json(), inv, failed


@pytest.mark.parametrize("rel", _sample())
def test_comments_between_elements_change_nothing(rel: str) -> None:
    data = (CORPUS / rel).read_bytes()
    root = _parse(data)
    if root is None:
        pytest.skip("not well-formed")
    rep, inv, failed = _outputs(etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8"))
    rep2, inv2, failed2 = _outputs(between(root))
    assert not failed
    assert not failed2
    assert rep2 == rep
    assert inv2 == inv


@pytest.mark.parametrize("rel", _sample())
def test_comments_in_leaves_fail_nothing(rel: str) -> None:
    root = _parse((CORPUS / rel).read_bytes())
    if root is None:
        pytest.skip("not well-formed")
    _rep, _inv, failed = _outputs(in_leaves(root))
    assert not failed
