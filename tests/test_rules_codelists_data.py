"""Our code-list data against the reference facts (what the official tests really accept)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from conftest import SHARED

from einvoice.codelists import (
    allowance_reason,
    charge_reason,
    country,
    currency,
    document_type,
    eas,
    icd,
    item_type,
    mime,
    payment_means,
    reference_qualifier,
    text_subject,
    unit,
    vat_category,
    vat_date_code,
    vat_prefix,
    vatex,
)
from einvoice.rules.registry import RULES

REF = SHARED / "reference"


@pytest.fixture(scope="module")
def lists() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REF / "codelists.json").read_text(encoding="utf-8"))
    return data


def accepted(lists: dict[str, Any], name: str, syntax: str | None = None) -> set[str]:
    codes = lists[name]["codes"]
    return set(codes[syntax] if isinstance(codes, dict) else codes)


@pytest.mark.parametrize("name, ours", [
    ("ISO 4217 currency code", currency.CODES),
    ("ISO 6523 ICD", icd.CODES),
    ("ISO 6523 ICD + DiGA codes (XRechnung extension)", icd.EXTENSION),
    ("UNTDID 1153 reference code qualifier (object identifier scheme, BT-18)", reference_qualifier.CODES),
    ("UNTDID 7143 item type identification code", item_type.CODES),
    ("UNTDID 4461 payment means code", payment_means.CODES),
    ("UNTDID 5305 duty/tax/fee category code (EN16931 subset)", vat_category.CODES),
    ("UNTDID 5189 allowance reason code", allowance_reason.CODES),
    ("UNTDID 7161 charge reason code", charge_reason.CODES),
    ("CEF VATEX VAT exemption reason code", vatex.CODES),
    ("UNECE Rec 20 / Rec 21 unit of measure code", unit.CODES),
    ("MIME code (attachments, BT-125)", mime.CODES),
    ("CEF EAS electronic address scheme", eas.CODES),
    ("CEF EAS + DiGA codes (XRechnung extension)", eas.EXTENSION),
    ("UNTDID 1001 document type code", document_type.CII),
])
def test_single_lists(lists: dict[str, Any], name: str, ours: frozenset[str]) -> None:
    assert set(ours) == accepted(lists, name)


@pytest.mark.parametrize("name, module", [
    ("ISO 3166-1 alpha-2 country code", country),
    ("VAT point date code (BT-8)", vat_date_code),
    ("UNTDID 4451 text subject code qualifier (BT-21)", text_subject),
    ("VAT identifier country prefix (BR-CL-14 country list + EL)", vat_prefix),
])
def test_per_syntax_lists(lists: dict[str, Any], name: str, module: Any) -> None:
    assert set(module.UBL) == accepted(lists, name, "ubl")
    assert set(module.CII) == accepted(lists, name, "cii")


def test_ubl_type_code_sublists(lists: dict[str, Any]) -> None:
    sub = lists["UNTDID 1001 document type code"]["sublists"]["ubl"]
    assert set(document_type.UBL_INVOICE) == set(sub["cbc:InvoiceTypeCode"])
    assert set(document_type.UBL_CREDIT_NOTE) == set(sub["cbc:CreditNoteTypeCode"])


def test_0244_is_left_out() -> None:
    assert "0244" not in icd.CODES and "0243" in icd.CODES


def test_unpadded_literals_equal_the_official_ones() -> None:
    rules = json.loads((REF / "rules.json").read_text(encoding="utf-8"))["rules"]
    by_id = {r["id"]: r for r in rules}
    lit08 = re.findall(r"'([^']{80,})'", by_id["BR-CL-08"]["per_syntax"]["ubl"]["test"])
    assert lit08 == [text_subject.UBL_LITERAL]
    co09 = by_id["BR-CO-09"]["per_syntax"]["ubl"]
    assert vat_prefix.UBL_LITERAL in re.findall(r"'([^']{80,})'", co09.get("test_resolved", co09["test"]))


def test_registered_levels_match_the_official_defaults() -> None:
    import importlib

    for m in ("br_cl", "vat_standard", "vat_zero", "vat_exempt", "vat_reverse_charge",
              "vat_intra_community", "vat_export", "vat_not_subject", "vat_igic", "vat_ipsi"):
        importlib.import_module(f"einvoice.rules.{m}")
    rules = json.loads((REF / "rules.json").read_text(encoding="utf-8"))["rules"]
    fams = {"BR-S", "BR-Z", "BR-E", "BR-AE", "BR-IC", "BR-G", "BR-O", "BR-AF", "BR-AG", "BR-CL"}
    seen = 0
    for r in rules:
        if r["family"] not in fams:
            continue
        for syn in r["syntaxes"]:
            ours = RULES.get((r["id"], syn))
            assert ours is not None, (r["id"], syn)
            assert ours.level == r["default_level"], r["id"]
            assert ours.source == "en16931"
            seen += 1
    assert seen > 200
