"""Fuzzing the whole validate path with mutated corpus documents.

Hypothesis takes accepted and rejected corpus documents of every syntax and applies one to four
mutations: byte flips, element deletion, duplication and reordering, text replaced by random
strings, numbers and dates, attributes replaced. Intake, syntax and scenario detection, structure,
readers and rules must hold: ``pipeline.process`` returns a sound report and never falls back to
EINV-INTERNAL (``hostile.mutate.check_report``).

Bounded for every test run: derandomized, ``FUZZ_EXAMPLES`` examples (default 300, well under
60 s). For a longer exploration: ``FUZZ_EXAMPLES=20000 FUZZ_RANDOM=1 pytest tests/test_fuzz_validate.py``.
A crash found must become a named regression test (tests/test_fuzz_regressions.py).
"""

from __future__ import annotations

import copy
import json
import os
from functools import cache

import pytest
from conftest import CONFORMANCE, CORPUS
from hostile import mutate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"

# Documents of each syntax and scenario kind, accepted and rejected, as mutation bases.
_WANT = [
    ("EN16931 XRechnung (UBL Invoice)", "accept"),
    ("EN16931 XRechnung (UBL CreditNote)", "accept"),
    ("EN16931 XRechnung (CII)", "accept"),
    ("EN16931 XRechnung Extension (UBL Invoice)", "accept"),
    ("EN16931 XRechnung Extension (CII)", "accept"),
    ("EN16931 XRechnung CVD (UBL Invoice)", "accept"),
    ("EN16931 XRechnung (UBL Invoice)", "reject"),
    ("EN16931 XRechnung (CII)", "reject"),
    ("EN16931 (UBL Invoice)", "accept"),
    ("EN16931 (CII)", "accept"),
]


@cache
def bases() -> tuple[bytes, ...]:
    exp = json.loads((CONFORMANCE / "expected.json").read_text(encoding="utf-8"))
    picked: list[bytes] = []
    for scenario, verdict in _WANT:
        for rel in sorted(exp):
            e = exp[rel]
            if e["scenario"] == scenario and e["verdict"] == verdict and e["reason"] != "xsd-invalid":
                picked.append((CORPUS / rel).read_bytes())
                break
    assert len(picked) >= 8, "the corpus no longer has the expected mix of bases"
    return tuple(picked)


def _xml_char(c: str) -> bool:
    o = ord(c)
    return o in (0x9, 0xA, 0xD) or 0x20 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD or o >= 0x10000


xml_text = st.text(st.characters(codec="utf-8").filter(_xml_char), max_size=40)
numbers = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers().map(str),
    st.floats().map(repr),
    st.sampled_from(["1e400", "-1E+400", "NaN", "INF", "1" + "0" * 30, "0." + "0" * 30 + "1",
                     "12.345", "-0", "+1.", ".5", "1,5", " 1.00 ", "١٢٣"]),
)
dates = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.strftime("%Y%m%d")),
    st.sampled_from(["0000-00-00", "2026-02-30", "00000000", "20260230", "2026-02-29Z",
                     "2026-01-01+14:00", "9999-99-99", "2026-W05"]),
)
texts = st.one_of(xml_text, numbers, dates)


def _elements(root: etree._Element) -> list[etree._Element]:
    return [el for el in root.iter() if isinstance(el.tag, str) and el is not root]


def _mutate_tree(data: st.DataObject, root: etree._Element) -> None:
    els = _elements(root)
    if not els:
        return
    el = data.draw(st.sampled_from(els), label="element")
    parent = el.getparent()
    op = data.draw(
        st.sampled_from(["delete", "duplicate", "swap", "shuffle", "text", "attr", "clear", "move"]),
        label="op",
    )
    if op == "delete" and parent is not None:
        parent.remove(el)
    elif op == "duplicate" and parent is not None:
        for _ in range(data.draw(st.integers(1, 3), label="copies")):
            el.addnext(copy.deepcopy(el))
    elif op == "swap" and parent is not None:
        nxt = el.getnext()
        if nxt is not None:
            nxt.addnext(el)
    elif op == "shuffle":
        children = list(el)
        order = data.draw(st.permutations(range(len(children))), label="order")
        for i in order:
            el.append(children[i])
    elif op == "text":
        el.text = data.draw(texts, label="text")
    elif op == "attr":
        name = data.draw(
            st.sampled_from([*el.attrib.keys(), "currencyID", "unitCode", "schemeID", "listID",
                             "format", "mimeCode", "filename"]),
            label="attr",
        )
        el.set(name, data.draw(texts, label="value"))
    elif op == "clear":
        el.clear()
    elif op == "move" and parent is not None:
        target = data.draw(st.sampled_from(_elements(root)), label="target")
        if el not in target.iterancestors() and el is not target:
            target.append(el)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_fuzz_validate_never_breaks(data: st.DataObject) -> None:
    doc = data.draw(st.sampled_from(bases()), label="base")
    root = etree.fromstring(doc)
    for _ in range(data.draw(st.integers(1, 4), label="tree mutations")):
        _mutate_tree(data, root)
    out = bytearray(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(out) - 1), st.integers(0, 255)),
                               max_size=2), label="byte flips")
    for pos, byte in flips:
        out[pos] = byte
    mutate.check_report(bytes(out))


@pytest.mark.parametrize("index", range(10))
def test_bases_validate_cleanly(index: int) -> None:
    """The unmutated bases themselves, so a fuzz failure is never just a bad base."""
    if index < len(bases()):
        mutate.check_report(bases()[index])
