"""Every schema-valid corpus document converts and its BT view matches the reference facts.

The reference is the KoSIT visualization's reading (``/work/shared/conformance/facts.json``),
compared with the oracle's own ``compare_facts.mismatches`` (multiset of values per BT id).
"""

from __future__ import annotations

import importlib.util
import json
from collections import defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from lxml import etree

from einvoice import pipeline, readers
from einvoice.bt_view import bt_view
from einvoice.model import Invoice
from einvoice.syntax import detect

ROOT = Path(__file__).resolve().parent.parent
CONFORMANCE = ROOT.parent / "shared" / "conformance"
CORPUS = CONFORMANCE / "corpus"

# Documents whose reference reading cannot be matched by a faithful reader, with the reason.
KNOWN_DIFFERENT: dict[str, str] = {}


def _compare_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compare_facts", CONFORMANCE / "compare_facts.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def facts() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CONFORMANCE / "facts.json").read_text(encoding="utf-8"))
    return data


def test_every_fact_document_matches(facts: dict[str, Any]) -> None:
    compare = _compare_module()
    anomalies = facts.get("__anomalies__", {})
    per_key: dict[str, list[str]] = defaultdict(list)
    docs = [k for k in facts if not k.startswith("__")]
    assert len(docs) > 1000
    failed_docs = 0
    for key in docs:
        expected = facts[key]
        result = pipeline.convert((CORPUS / key).read_bytes())
        assert isinstance(result, Invoice), f"{key}: did not convert: {result}"
        diff = compare.mismatches(expected, bt_view(result), expected["__syntax__"], anomalies.get(key))
        if key in KNOWN_DIFFERENT:
            assert diff, f"{key} is listed as known different but now matches: remove it"
            continue
        if diff:
            failed_docs += 1
            for d in diff:
                per_key[d.split(":")[0]].append(f"{key}: {d}")
    if per_key:
        lines = [f"{failed_docs} documents differ from the reference facts; per BT:"]
        for bt, items in sorted(per_key.items(), key=lambda kv: -len(kv[1])):
            lines.append(f"  {bt}: {len(items)} documents, e.g. {items[0]}")
        pytest.fail("\n".join(lines))


def test_known_different_are_few() -> None:
    assert len(KNOWN_DIFFERENT) <= 10


# --- the view's own rules, on hand-built models ------------------------------------------------

def _ubl(body: str, root: str = "Invoice") -> Invoice:
    ns = "CreditNote-2" if root == "CreditNote" else "Invoice-2"
    xml = (f'<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{ns}" '
           'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
           'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
           f"{body}</{root}>")
    el = etree.fromstring(xml.encode())
    syntax = detect(el)
    assert syntax is not None
    return readers.read(el, syntax)


def test_sub_line_groups_are_renamed_at_every_depth() -> None:
    line = ("<cbc:ID>{id}</cbc:ID><cac:InvoicePeriod><cbc:StartDate>2024-01-01</cbc:StartDate>"
            "</cac:InvoicePeriod><cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator>"
            "<cbc:Amount currencyID='EUR'>1</cbc:Amount></cac:AllowanceCharge>"
            "<cac:Item><cbc:Name>n</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID>"
            "</cac:ClassifiedTaxCategory><cac:AdditionalItemProperty><cbc:Name>a</cbc:Name>"
            "<cbc:Value>b</cbc:Value></cac:AdditionalItemProperty></cac:Item>"
            "<cac:Price><cbc:PriceAmount currencyID='EUR'>1</cbc:PriceAmount></cac:Price>")
    view = bt_view(_ubl("<cac:InvoiceLine>" + line.format(id="1")
                        + "<cac:SubInvoiceLine>" + line.format(id="1.1")
                        + "<cac:SubInvoiceLine>" + line.format(id="1.1.1")
                        + "</cac:SubInvoiceLine></cac:SubInvoiceLine></cac:InvoiceLine>"))
    (top,) = view["BG-25"]
    assert {"BG-26", "BG-27", "BG-29", "BG-30", "BG-31", "BG-DEX-01"} <= set(top)
    assert top["BG-31"]["BG-32"] == [{"BT-160": "a", "BT-161": "b"}]
    (sub,) = top["BG-DEX-01"]
    (deep,) = sub["BG-DEX-01"]
    for s in (sub, deep):
        assert {"BG-DEX-02", "BG-DEX-03", "BG-DEX-05", "BG-DEX-06", "BG-DEX-07"} <= set(s)
        assert not any(k in s for k in ("BG-26", "BG-27", "BG-29", "BG-30", "BG-31"))
        assert s["BG-DEX-02"]["BG-DEX-08"] == [{"BT-160": "a", "BT-161": "b"}]
        assert isinstance(s["BG-DEX-03"], list) and isinstance(s["BG-DEX-06"], dict)
    assert deep["BT-126"] == "1.1.1" and deep["BG-DEX-05"] == {"BT-134": "2024-01-01"}


def test_payment_instructions_once_per_distinct_means_code() -> None:
    means = ("<cac:PaymentMeans><cbc:PaymentMeansCode>{code}</cbc:PaymentMeansCode>"
             "<cac:PayeeFinancialAccount><cbc:ID>{iban}</cbc:ID></cac:PayeeFinancialAccount>"
             "</cac:PaymentMeans>")
    view = bt_view(_ubl(means.format(code="58", iban="A") + means.format(code="58", iban="B")))
    assert view["BG-16"] == {"BT-81": "58", "BG-17": [{"BT-84": "A"}, {"BT-84": "B"}]}
    view = bt_view(_ubl(means.format(code="58", iban="A") + means.format(code="30", iban="B")))
    assert [g["BT-81"] for g in view["BG-16"]] == ["58", "30"]


def test_repeatable_terms_are_lists_with_aligned_attributes() -> None:
    view = bt_view(_ubl(
        "<cbc:IssueDate>2024-01-31+01:00</cbc:IssueDate>"
        "<cac:AccountingSupplierParty><cac:Party>"
        "<cbc:EndpointID schemeID='EM'>a@b.de</cbc:EndpointID>"
        "<cac:PartyIdentification><cbc:ID>X</cbc:ID></cac:PartyIdentification>"
        "<cac:PartyIdentification><cbc:ID schemeID='0088'>Y</cbc:ID></cac:PartyIdentification>"
        "</cac:Party></cac:AccountingSupplierParty>"
        "<cac:InvoicePeriod><cbc:StartDate>2024-01-01</cbc:StartDate></cac:InvoicePeriod>"
        "<cac:Delivery><cbc:ActualDeliveryDate>2024-01-02</cbc:ActualDeliveryDate></cac:Delivery>"
        "<cac:PrepaidPayment><cbc:ID>t</cbc:ID></cac:PrepaidPayment>"))
    assert view["BT-2"] == "2024-01-31"
    assert view["BG-4"]["BT-29"] == ["X", "Y"] and view["BG-4"]["BT-29-scheme"] == [None, "0088"]
    assert view["BG-4"]["BT-34-scheme"] == "EM"
    assert view["BG-14"] == {"BT-73": "2024-01-01"} and "BG-14" not in view["BG-13"]
    assert view["BG-DEX-09"] == [{"BT-DEX-001": "t"}]
    credit = bt_view(_ubl("<cac:PrepaidPayment><cbc:ID>t</cbc:ID></cac:PrepaidPayment>", "CreditNote"))
    assert "BG-DEX-09" not in credit


def test_allowance_with_numeric_indicator_is_in_the_model_but_not_the_view() -> None:
    inv = _ubl("<cac:AllowanceCharge><cbc:ChargeIndicator>0</cbc:ChargeIndicator>"
               "<cbc:Amount currencyID='EUR'>5</cbc:Amount></cac:AllowanceCharge>")
    assert len(inv.allowances) == 1
    assert "BG-20" not in bt_view(inv)
