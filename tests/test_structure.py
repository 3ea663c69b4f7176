"""The structural layer: verdicts equal XSD validation, findings say what and where.

Hand-made cases are checked against two references: what the official validator (Xerces) is
known to do, and lxml's XSD validation of the official schemas where libxml2 agrees with Xerces.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from conftest import CORPUS, ROOT, SHARED, corpus_bytes
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from einvoice import intake
from einvoice.structure import check, datatypes
from einvoice.structure.table import table_for
from einvoice.syntax import Syntax, detect

XSD = SHARED / "reference" / "xsd"
NS_UBL = (
    'xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
    'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
    'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" '
    'xmlns:ext="urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)
UBL = f"""<Invoice {NS_UBL}>
  {{EXT}}<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>R-1</cbc:ID>
  <cbc:IssueDate>{{DATE}}</cbc:IssueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party><cac:PartyName><cbc:Name>S</cbc:Name></cac:PartyName>\
</cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party><cac:PartyName><cbc:Name>B</cbc:Name></cac:PartyName>\
</cac:Party></cac:AccountingCustomerParty>
  <cac:LegalMonetaryTotal><cbc:PayableAmount {{CUR}}>{{AMOUNT}}</cbc:PayableAmount></cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">10.00</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>X</cbc:Name></cac:Item>
  </cac:InvoiceLine>
</Invoice>"""

CII = """<rsm:CrossIndustryInvoice \
xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" \
xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" \
xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100" \
xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID>\
</ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>R-1</ram:ID>
    <ram:TypeCode {LISTID}>380</ram:TypeCode>
    <ram:IssueDateTime>{DATETIME}</ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty><ram:Name>S</ram:Name></ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>B</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:DuePayableAmount>{AMOUNT}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>"""


def ubl(date: str = "2024-02-29", amount: str = "10.00", cur: str = 'currencyID="EUR"', ext: str = "",
        replace: tuple[str, str] | None = None) -> bytes:
    doc = (UBL.replace("{DATE}", date).replace("{AMOUNT}", amount).replace("{CUR}", cur)
           .replace("{EXT}", ext))
    if replace:
        assert replace[0] in doc
        doc = doc.replace(*replace)
    return doc.encode()


def cii(datetime: str = '<udt:DateTimeString format="102">20240229</udt:DateTimeString>',
        amount: str = "10.00", listid: str = "", replace: tuple[str, str] | None = None) -> bytes:
    doc = CII.replace("{DATETIME}", datetime).replace("{AMOUNT}", amount).replace("{LISTID}", listid)
    if replace:
        assert replace[0] in doc
        doc = doc.replace(*replace)
    return doc.encode()


@cache
def lxml_schema(syntax: str) -> etree.XMLSchema:
    path = {
        "ubl-invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
        "ubl-creditnote": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
        "cii": "cii-d16b/CrossIndustryInvoice_100pD16B.xsd",
    }[syntax]
    return etree.XMLSchema(etree.parse(str(XSD / path)))


def run(data: bytes) -> tuple[list[tuple[str, str]], bool, list[str]]:
    """(rule, location) of our findings, lxml's verdict, and our English messages."""
    parsed = intake.parse(data)
    assert isinstance(parsed, intake.Parsed), parsed
    syntax = detect(parsed.root)
    assert syntax is not None
    found = check(parsed.root, syntax)
    assert all(f.level == "error" and f.rule.startswith("EINV-STRUCT-") for f in found)
    assert all(f.message_de and f.message_en for f in found)
    return [(f.rule, f.location) for f in found], lxml_schema(syntax).validate(parsed.root), [
        f.message_en for f in found
    ]


# -- the oracle corpus -----------------------------------------------------------------------------
def test_corpus_verdicts_equal_official_schema_step(expected: dict[str, dict[str, object]]) -> None:
    wrong = []
    n = 0
    for rel, exp in expected.items():
        if exp["xsd_ok"] is None:
            continue
        parsed = intake.parse(corpus_bytes(rel))
        assert isinstance(parsed, intake.Parsed), rel
        syntax: Syntax = exp["syntax"]  # type: ignore[assignment]
        found = check(parsed.root, syntax)
        n += 1
        if (not found) != exp["xsd_ok"]:
            wrong.append((rel, exp["xsd_ok"], [f.message_en for f in found][:2]))
    assert n > 3000
    assert wrong == []


# -- valid documents -------------------------------------------------------------------------------
def test_minimal_documents_are_valid() -> None:
    for data in (ubl(), cii()):
        found, lx, _ = run(data)
        assert found == [] and lx


@pytest.mark.parametrize("date", [" 2024-02-29", "2024-02-29 ", "\n\t2024-02-29\n", "2024-02-29Z",
                                  "2024-02-29+14:00", "12024-02-29", "-0001-02-28"])
def test_dates_that_xerces_accepts(date: str) -> None:
    found, _lx, _ = run(ubl(date=date))
    # libxml2 refuses surrounding whitespace; Xerces (the official validator) collapses it first.
    assert found == []


@pytest.mark.parametrize(
    "date",
    ["2023-02-29", "2024-02-30", "2024-13-01", "2024-00-10", "2024-1-01", "24-01-01", "0000-01-01",
     "02024-01-01", "2024-01-01+14:30", "2024-01-01+15:00", "2024/01/01", "2024-01-01T00:00:00",
     "20240101", "", "2024-01 -01"],
)
def test_invalid_dates(date: str) -> None:
    found, lx, msgs = run(ubl(date=date))
    assert found == [("EINV-STRUCT-DATATYPE", "/ubl:Invoice/cbc:IssueDate")]
    assert not lx
    assert "not a valid date (YYYY-MM-DD)" in msgs[0]


def test_date_message_names_value_in_german_and_english() -> None:
    parsed = intake.parse(ubl(date="2026-02-30"))
    assert isinstance(parsed, intake.Parsed)
    (f,) = check(parsed.root, "ubl-invoice")
    assert f.message_de == "cbc:IssueDate '2026-02-30' ist kein gültiges Datum (JJJJ-MM-TT)."
    assert f.message_en == "cbc:IssueDate '2026-02-30' is not a valid date (YYYY-MM-DD)."


@pytest.mark.parametrize("amount", ["10", "-10.5", "+.5", "5.", "007.10", " 1.00 "])
def test_valid_decimals(amount: str) -> None:
    found, lx, _ = run(ubl(amount=amount))
    assert found == [] and lx


@pytest.mark.parametrize("amount", ["1,00", "1.0.0", "1e3", "+-1", ".", "", "1 000", "1.00 EUR", "١٢"])
def test_invalid_decimals(amount: str) -> None:
    found, lx, _ = run(ubl(amount=amount))
    assert found == [("EINV-STRUCT-DATATYPE", "/ubl:Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount")]
    assert not lx


# -- attributes ------------------------------------------------------------------------------------
def test_missing_required_attribute() -> None:
    found, lx, msgs = run(ubl(cur=""))
    assert found == [("EINV-STRUCT-ATTRIBUTE", "/ubl:Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount")]
    assert not lx
    assert "currencyID" in msgs[0]


def test_unexpected_attributes() -> None:
    found, lx, _ = run(ubl(cur='currencyID="EUR" foo="1"'))
    assert found == [("EINV-STRUCT-ATTRIBUTE", "/ubl:Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount/@foo")]
    assert not lx
    found, lx, _ = run(ubl(cur='currencyID="EUR" xml:lang="de"'))
    assert [r for r, _ in found] == ["EINV-STRUCT-ATTRIBUTE"] and not lx


def test_xsi_schema_location_is_allowed() -> None:
    found, lx, _ = run(ubl(cur='currencyID="EUR" xsi:schemaLocation="urn:x x.xsd"'))
    assert found == [] and lx
    # Xerces still checks the value against its type (a list of xs:anyURI).
    found, _lx, _ = run(ubl(cur='currencyID="EUR" xsi:schemaLocation="urn:x x%zz.xsd"'))
    assert [r for r, _ in found] == ["EINV-STRUCT-XSI"]
    found, lx, _ = run(ubl(cur='currencyID="EUR" xsi:foo="1"'))
    assert [r for r, _ in found] == ["EINV-STRUCT-ATTRIBUTE"] and not lx


def test_fixed_attribute_value_cii() -> None:
    # ram:TypeCode's listID is fixed; whitespace is collapsed before comparing (xs:token).
    found, lx, _ = run(cii(listid='listID="1001"'))
    assert found == [] and lx
    found, lx, _ = run(cii(listid='listID=" 1001 "'))
    assert found == [] and lx
    found, lx, msgs = run(cii(listid='listID="4461"'))
    doc = "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument"
    assert found == [("EINV-STRUCT-ATTRIBUTE", f"{doc}/ram:TypeCode/@listID")]
    assert not lx and "fixed value '1001'" in msgs[0]


# -- content models --------------------------------------------------------------------------------
def test_missing_required_element() -> None:
    found, lx, msgs = run(ubl(replace=("<cbc:ID>R-1</cbc:ID>", "")))
    assert found == [("EINV-STRUCT-MISSING", "/ubl:Invoice")]
    assert not lx and "cbc:ID" in msgs[0]


def test_missing_required_element_at_end() -> None:
    found, lx, _ = run(ubl(replace=("<cac:Item><cbc:Name>X</cbc:Name></cac:Item>", "")))
    assert found == [("EINV-STRUCT-MISSING", "/ubl:Invoice/cac:InvoiceLine")]
    assert not lx


def test_wrong_order() -> None:
    data = ubl(replace=("<cbc:ID>R-1</cbc:ID>\n  <cbc:IssueDate>2024-02-29</cbc:IssueDate>",
                        "<cbc:IssueDate>2024-02-29</cbc:IssueDate>\n  <cbc:ID>R-1</cbc:ID>"))
    found, lx, _ = run(data)
    assert ("EINV-STRUCT-ORDER", "/ubl:Invoice/cbc:ID") in found
    assert not lx


def test_too_many() -> None:
    found, lx, msgs = run(ubl(replace=("<cbc:ID>R-1</cbc:ID>", "<cbc:ID>R-1</cbc:ID><cbc:ID>R-2</cbc:ID>")))
    assert found == [("EINV-STRUCT-TOO-MANY", "/ubl:Invoice/cbc:ID[2]")]
    assert not lx and "at most once" in msgs[0]


def test_unknown_element_and_wrong_namespace() -> None:
    found, lx, _ = run(ubl(replace=("<cbc:ID>R-1</cbc:ID>", "<cbc:ID>R-1</cbc:ID><cbc:Foo>1</cbc:Foo>")))
    assert found == [("EINV-STRUCT-UNKNOWN", "/ubl:Invoice/cbc:Foo")] and not lx
    found, lx, _ = run(ubl(replace=("<cbc:ID>R-1</cbc:ID>", "<cac:ID>R-1</cac:ID>")))
    assert ("EINV-STRUCT-NAMESPACE", "/ubl:Invoice/cac:ID") in found and not lx


def test_text_in_element_only_content() -> None:
    found, lx, _ = run(ubl(replace=("<cac:Item>", "<cac:Item>oops")))
    assert found == [("EINV-STRUCT-CONTENT", "/ubl:Invoice/cac:InvoiceLine/cac:Item")] and not lx
    # NO-BREAK SPACE is not XML whitespace.
    found, lx, _ = run(ubl(replace=("<cac:Item>", "<cac:Item>\u00a0")))
    assert [r for r, _ in found] == ["EINV-STRUCT-CONTENT"] and not lx
    found, lx, _ = run(ubl(replace=("<cac:Item>", "<cac:Item><!-- c --> \n")))
    assert found == [] and lx


def test_tails_matching_the_indentation_or_stray_text() -> None:
    # Tails equal to a text already found blank pass at a glance; everything else is checked.
    line = "/ubl:Invoice/cac:InvoiceLine"
    end = "<cac:Item><cbc:Name>X</cbc:Name></cac:Item>\n  </cac:InvoiceLine>"
    found, lx, _ = run(ubl(replace=(end, end.replace("\n  </", "\n  x</"))))
    assert found == [("EINV-STRUCT-CONTENT", line)] and not lx
    found, lx, _ = run(ubl(replace=(end, end.replace("\n  </", "</"))))
    assert found == [] and lx
    # A stray text repeated as a tail, in the element and as its last child's tail one level down.
    item = "<cac:Item><cbc:Name>X</cbc:Name></cac:Item>"
    data = ubl(replace=(item, "<cac:Item>oops<cbc:Name>X</cbc:Name>oops</cac:Item>"))
    found, lx, _ = run(data)
    assert found == [("EINV-STRUCT-CONTENT", f"{line}/cac:Item")] * 2 and not lx
    data = ubl(replace=("<cac:InvoiceLine>\n", "<cac:InvoiceLine>oops")).replace(
        b"X</cbc:Name></cac:Item>", b"X</cbc:Name>oops</cac:Item>")
    found, lx, _ = run(data)
    assert found == [("EINV-STRUCT-CONTENT", line), ("EINV-STRUCT-CONTENT", f"{line}/cac:Item")]
    assert not lx


def test_sequence_occurrences_against_a_regular_expression() -> None:
    # A made-up model with a particle required twice (none in UBL or CII): every child sequence
    # of up to five elements, with our verdict and findings against the model as a regex.
    import itertools
    import re

    from einvoice.structure.table import Table
    from einvoice.structure.validator import Walk

    model = [("A", 2, 3), ("B", 0, 1), ("C", 1, 1), ("D", 0, -1)]
    table = Table({
        "version": 1, "roots": {"cii": "r"}, "only": {}, "globals": {"r": 0}, "named": {},
        "types": [
            {"k": "c", "a": {}, "aw": None,
             "m": {"t": "seq", "p": [[n, 1, mn, mx] for n, mn, mx in model], "mixed": 0}},
            {"k": "s", "p": "string", "ws": "p"},
        ],
    })
    valid = re.compile("A{2,3}B?CD*")
    for n in range(6):
        for kids in itertools.product("ABCD", repeat=n):
            root = etree.fromstring("<r>" + "".join(f"<{k}/>" for k in kids) + "</r>")
            found = Walk(table, "cii").run(root)
            assert (not found) is bool(valid.fullmatch("".join(kids))), kids
            assert all(f.rule in ("EINV-STRUCT-MISSING", "EINV-STRUCT-ORDER", "EINV-STRUCT-TOO-MANY")
                       for f in found)


def test_child_element_in_text_content() -> None:
    found, lx, _ = run(ubl(replace=("<cbc:ID>R-1</cbc:ID>", "<cbc:ID>R-<cbc:Note>x</cbc:Note>1</cbc:ID>")))
    assert found == [("EINV-STRUCT-CONTENT", "/ubl:Invoice/cbc:ID/cbc:Note")] and not lx


def test_comment_inside_a_date_is_not_part_of_the_value() -> None:
    found, lx, _ = run(ubl(date="2024-<!-- x -->02-29"))
    assert found == [] and lx
    found, lx, _ = run(ubl(date="2024-<!-- x -->02-30"))
    assert [r for r, _ in found] == ["EINV-STRUCT-DATATYPE"] and not lx


def test_cii_choice_model() -> None:
    found, lx, _ = run(cii(datetime=""))
    doc = "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument"
    assert found == [("EINV-STRUCT-MISSING", f"{doc}/ram:IssueDateTime")]
    assert not lx
    two = '<udt:DateTimeString format="102">20240229</udt:DateTimeString>' * 2
    found, lx, _ = run(cii(datetime=two))
    assert [r for r, _ in found] == ["EINV-STRUCT-ORDER"] and not lx


def test_all_errors_reported_in_one_walk_and_bounded() -> None:
    found, lx, _ = run(ubl(date="x", amount="y", cur=""))
    rules = sorted(r for r, _ in found)
    assert rules == ["EINV-STRUCT-ATTRIBUTE", "EINV-STRUCT-DATATYPE", "EINV-STRUCT-DATATYPE"] and not lx
    many = "".join(f"<cbc:Foo{i}/>" for i in range(200))
    found, _lx, _ = run(ubl(replace=("<cbc:ID>R-1</cbc:ID>", "<cbc:ID>R-1</cbc:ID>" + many)))
    assert len(found) == 51 and found[-1][0] == "EINV-STRUCT-LIMIT"


# -- extensions: xs:any namespace="##other" processContents="lax" --------------------------------
def ext(content: str) -> str:
    return (f"<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent>{content}"
            "</ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>")


@pytest.mark.parametrize(
    ("content", "ok"),
    [
        ('<x:Anything xmlns:x="urn:x"><x:More a="1">text</x:More></x:Anything>', True),
        ("<cbc:Note>free text</cbc:Note>", True),
        ("<cbc:IssueDate>2024-02-30</cbc:IssueDate>", False),  # declared: checked strictly
        ('<x:W xmlns:x="urn:x"><cbc:IssueDate>nope</cbc:IssueDate></x:W>', False),  # lax descends
        ("<ext:UBLExtensions/>", False),  # ##other: not the extension namespace itself
        ("<Plain/>", True),  # the default namespace is Invoice-2 here: another namespace, undeclared
        ("<Invoice/>", False),  # ubl:Invoice is declared: checked strictly, and it lacks everything
        ('<plain xmlns=""/>', False),
        ("", False),  # exactly one element
        ('<x:A xmlns:x="urn:x"/><x:B xmlns:x="urn:x"/>', False),
    ],
)
def test_extension_content_wildcard(content: str, ok: bool) -> None:
    found, lx, _ = run(ubl(ext=ext(content)))
    assert (found == []) is ok
    assert lx is ok


SIG = """<sig:UBLDocumentSignatures \
xmlns:sig="urn:oasis:names:specification:ubl:schema:xsd:CommonSignatureComponents-2" \
xmlns:sac="urn:oasis:names:specification:ubl:schema:xsd:SignatureAggregateComponents-2" \
xmlns:sbc="urn:oasis:names:specification:ubl:schema:xsd:SignatureBasicComponents-2" \
xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><sac:SignatureInformation>
  <cbc:ID>urn:x</cbc:ID><sbc:ReferencedSignatureID>urn:y</sbc:ReferencedSignatureID>
  <ds:Signature Id="sig1"><ds:SignedInfo>
    <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
    <ds:SignatureMethod Algorithm="urn:rsa-sha256">{HMAC}</ds:SignatureMethod>
    <ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="urn:enveloped">{XPATH}</ds:Transform>\
</ds:Transforms><ds:DigestMethod Algorithm="urn:sha256"/><ds:DigestValue>{DIGEST}</ds:DigestValue>\
</ds:Reference></ds:SignedInfo>
   <ds:SignatureValue>QUJD</ds:SignatureValue><ds:KeyInfo>{KEYINFO}</ds:KeyInfo>{OBJECT}
  </ds:Signature></sac:SignatureInformation></sig:UBLDocumentSignatures>"""
XADES = ('<ds:Object><xades:QualifyingProperties xmlns:xades="http://uri.etsi.org/01903/v1.3.2#" '
         'Target="#sig1"><xades:SignedProperties Id="sp"><xades:SignedSignatureProperties>'
         "<xades:SigningTime>{T}</xades:SigningTime></xades:SignedSignatureProperties>"
         "</xades:SignedProperties></xades:QualifyingProperties></ds:Object>")


@pytest.mark.parametrize(
    ("subs", "ok"),
    [
        ({}, True),
        ({"HMAC": "<ds:HMACOutputLength>128</ds:HMACOutputLength>"}, True),
        ({"HMAC": "<ds:HMACOutputLength>12.5</ds:HMACOutputLength>"}, False),
        ({"XPATH": '<ds:XPath>/a</ds:XPath><foo:x xmlns:foo="urn:foo"/>'}, True),
        ({"DIGEST": "QUJ"}, False),
        ({"KEYINFO": ""}, False),
        ({"KEYINFO": "<ds:X509Data><ds:X509Certificate>QUJD</ds:X509Certificate></ds:X509Data>"}, True),
        ({"KEYINFO": '<foo:x xmlns:foo="urn:foo">t</foo:x>mixed text'}, True),
        ({"KEYINFO": "<ds:Foo/>"}, False),
        ({"OBJECT": XADES.replace("{T}", "2024-01-01T00:00:00Z")}, True),
        ({"OBJECT": XADES.replace("{T}", "2024-01-01")}, False),
        ({"OBJECT": '<ds:Object Id="sig1"/>'}, False),  # xs:ID values are unique per document
        ({"OBJECT": '<ds:Object Id="1abc"/>'}, False),
    ],
)
def test_signatures_in_extensions_are_checked_strictly(subs: dict[str, str], ok: bool) -> None:
    doc = SIG
    defaults = {"DIGEST": "QUJD", "KEYINFO": "<ds:KeyName>k</ds:KeyName>"}
    for key in ("HMAC", "XPATH", "DIGEST", "KEYINFO", "OBJECT"):
        doc = doc.replace("{" + key + "}", subs.get(key, defaults.get(key, "")))
    found, lx, _ = run(ubl(ext=ext(doc)))
    assert (found == []) is ok
    assert lx is ok


# -- xsi:type / xsi:nil ----------------------------------------------------------------------------
def test_xsi_type_and_nil() -> None:
    good = 'currencyID="EUR" xsi:type="cbc:PayableAmountType"'
    found, lx, _ = run(ubl(cur=good))
    assert found == [] and lx
    bad = 'currencyID="EUR" xsi:type="cbc:NoteType"'
    found, lx, _ = run(ubl(cur=bad))
    assert [r for r, _ in found] == ["EINV-STRUCT-XSI"] and not lx
    found, lx, _ = run(ubl(cur='currencyID="EUR" xsi:type="cbc:NoSuchType"'))
    assert [r for r, _ in found] == ["EINV-STRUCT-XSI"] and not lx
    found, lx, _ = run(ubl(cur='currencyID="EUR" xsi:nil="false"'))
    assert [r for r, _ in found] == ["EINV-STRUCT-XSI"] and not lx


# -- datatypes -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "ok"),
    [("", True), ("QUJD", True), ("QUI=", True), ("QQ==", True), ("QR==", False), ("QUJ=", False),
     ("QUJ", False), ("Q U J D", True), ("QU\nJD", True), ("QUJD====", False), ("QQ==QUJD", False),
     ("Q!JD", False), ("Q!JDQUJD", False), ("QUJ=QUJD", False), ("QUJD+/+/", True), ("QUJD-_JD", False),
     ("QUJD" * 100 + "Q\x00JD" + "QUJD", False)],
)
def test_base64_follows_xerces(value: str, ok: bool) -> None:
    assert datatypes.is_base64(datatypes.collapse_ws(value)) is ok


@pytest.mark.parametrize(
    ("check", "value", "ok"),
    [(datatypes.is_time, "24:00:00", True), (datatypes.is_time, "24:00:01", False),
     (datatypes.is_time, "23:59:60", False), (datatypes.is_time, "12:00:00.5+01:00", True),
     (datatypes.is_time, "12:00", False), (datatypes.is_datetime, "2024-02-29T12:00:00Z", True),
     (datatypes.is_datetime, "2023-02-29T12:00:00", False), (datatypes.is_language, "de-DE", True),
     (datatypes.is_language, "deutschland-x", False), (datatypes.is_any_uri, "urn:x:y", True),
     (datatypes.is_any_uri, "1abc:x", False), (datatypes.is_any_uri, "a%zz", False),
     (datatypes.is_any_uri, "http://x/a b", True)],
)
def test_other_lexical_spaces(check: object, value: str, ok: bool) -> None:
    assert check(value) is ok  # type: ignore[operator]


def test_tables_load_for_every_syntax() -> None:
    for syntax in ("ubl-invoice", "ubl-creditnote", "cii"):
        t = table_for(syntax)
        assert t.roots[syntax] in t.globals


def test_shipped_tables_are_current() -> None:
    """The JSON tables are what tools/gen_structure.py makes of the official XSDs today."""
    pytest.importorskip("xmlschema")
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_structure", ROOT / "tools" / "gen_structure.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.main(["--check", "--xsd", str(XSD)]) == 0


def test_corpus_has_documents() -> None:
    assert CORPUS.is_dir()


# -- robustness: any tree gives findings, never an exception ---------------------------------------
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
RANDOM_ATTRS = ["currencyID", "schemeID", "unitCode", f"{{{XSI_NS}}}type", f"{{{XSI_NS}}}nil", "{urn:x}a",
                "Id"]
RANDOM_TEXTS = ["", " ", "1", "2024-02-30", "x", "QUJD", "true", "a%zz", "cbc:NoteType"]


@cache
def random_names(syntax: str) -> list[str]:
    extra = ["{urn:x}Foo", "Bar", "{http://www.w3.org/2000/09/xmldsig#}Signature"]
    return sorted(table_for(syntax).globals)[::4] + extra


def random_tree(draw: Any, syntax: str) -> etree._Element:
    names = random_names(syntax)
    cbc = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
    root = etree.Element(table_for(syntax).roots[syntax], nsmap={"cbc": cbc})
    nodes = [root]
    for _ in range(draw(st.integers(0, 40))):
        parent = nodes[draw(st.integers(0, len(nodes) - 1))]
        kind = draw(st.integers(0, 9))
        if kind == 0:
            parent.append(etree.Comment("c"))
            continue
        child = etree.SubElement(parent, draw(st.sampled_from(names)))
        child.text = draw(st.sampled_from(RANDOM_TEXTS))
        if kind < 4:
            child.set(draw(st.sampled_from(RANDOM_ATTRS)), draw(st.sampled_from(RANDOM_TEXTS)))
        nodes.append(child)
    return root


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(st.data(), st.sampled_from(["ubl-invoice", "ubl-creditnote", "cii"]))
def test_random_trees_never_raise(data: st.DataObject, syntax: Syntax) -> None:
    found = check(random_tree(data.draw, syntax), syntax)
    assert len(found) <= 51
    assert all(f.rule.startswith("EINV-STRUCT-") and f.location.startswith("/") for f in found)


@given(st.text(alphabet=" \t\r\n\u00a0+-.0123456789eE", max_size=12))
@settings(max_examples=500, deadline=None)
def test_decimal_fast_check_equals_trim_then_check(raw: str) -> None:
    # The walk's one-call decimal check must agree with trimming XML whitespace and checking.
    fast = datatypes.DECIMAL_TRIMMED.fullmatch(raw) is not None
    assert fast == datatypes.is_decimal(raw.strip(datatypes.XML_WS))


def test_text_leaves_with_optional_attributes_still_checked() -> None:
    # Text with valid optional attributes is accepted inline; anything else must still be found.
    ok = ubl(replace=("<cbc:ID>R-1</cbc:ID>", '<cbc:ID schemeID="0088">R-1</cbc:ID>'))
    assert run(ok)[0] == []
    undeclared = ubl(replace=("<cbc:ID>R-1</cbc:ID>", '<cbc:ID schemeID="0088" bogus="1">R-1</cbc:ID>'))
    assert [r for r, _ in run(undeclared)[0]] == ["EINV-STRUCT-ATTRIBUTE"]
    bad_value = ubl(replace=('unitCode="C62">1<', 'unitCode="C62">x<'))
    assert [r for r, _ in run(bad_value)[0]] == ["EINV-STRUCT-DATATYPE"]
    # CII date strings sit in a choice (an automaton), with their format attribute.
    bad_format = cii('<udt:DateTimeString format="102" bogus="1">20240229</udt:DateTimeString>')
    assert [r for r, _ in run(bad_format)[0]] == ["EINV-STRUCT-ATTRIBUTE"]
    assert run(cii())[0] == []
