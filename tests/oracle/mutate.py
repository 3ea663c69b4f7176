"""Seeded mutants of corpus documents, of the kinds the hidden test set has.

Each mutation works on an lxml tree and returns a short description, or None when it found
nothing to change. Callers keep only mutants that stay XSD-valid (the rules run only then).
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from lxml import etree

from .schematron import NS

CBC, CAC = f"{{{NS['cbc']}}}", f"{{{NS['cac']}}}"
RAM, UDT = f"{{{NS['ram']}}}", f"{{{NS['udt']}}}"

DECIMAL = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$")
DATE_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_102 = re.compile(r"^\d{8}$")

CURRENCIES = ["EUR", "USD", "HUF", "GBP", "CHF", "XXX", "EURO", "eur", "ABC", "SEK", "JPY", ""]
COUNTRIES = ["DE", "AT", "FR", "GR", "EL", "XI", "1A", "de", "GB", "IT", "NO", "ES", "DK", "XX", "ZZ", ""]
VAT_CATEGORIES = ["S", "Z", "E", "AE", "K", "G", "O", "L", "M", "B", "X", "s", ""]
UNITS = ["C62", "H87", "XPP", "KGM", "HUR", "DAY", "LTR", "MTR", "ZZ", "XYZ", "c62", "EA", ""]
PAYMENT_MEANS = ["1", "10", "30", "31", "42", "48", "49", "57", "58", "59", "68", "97", "ZZZ", "99", "0", ""]
ICD_EAS = ["0088", "0060", "0204", "0244", "0208", "9930", "EM", "0002", "0092", "0181", "9999", "XR01",
           "0243", "AN", "SS", "0009", "0130", "9957", "0192", "0"]
DOC_TYPES = ["380", "381", "384", "389", "326", "875", "876", "877", "383", "386", "751", "261", "1", "999"]
TAX_EXEMPTION = ["VATEX-EU-O", "VATEX-EU-AE", "VATEX-EU-G", "VATEX-EU-IC", "VATEX-EU-79-C", "vatex-eu-o", "X"]
ALLOWANCE_REASONS = ["95", "100", "102", "41", "42", "60", "62", "64", "65", "66", "67", "68", "70", "71",
                     "88", "AA", "ABL", "ADR", "FC", "ZZZ", "999", "X"]
MIME = ["application/pdf", "image/png", "image/jpeg", "text/csv", "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.spreadsheet", "text/xml", "application/xml", "text/plain", ""]
CUSTOMIZATIONS = [
    "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
    "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0#conformant#"
    "urn:xeinkauf.de:kosit:extension:xrechnung_3.0",
    "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0#compliant#"
    "urn:xeinkauf.de:kosit:xrechnung:cvd_0.9",
    "urn:cen.eu:en16931:2017",
]
PROFILES = ["urn:fdc:peppol.eu:2017:poacc:billing:01:1.0", "urn:fdc:peppol.eu:2017:poacc:billing:1:1.0",
            "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0 ", "anything", ""]
DATES = ["2024-02-29", "2023-02-29", "2024-12-31", "2025-01-01", "1999-12-31", "2024-13-01", "2024-1-1",
         "20240101", "2024-02-30", "0000-01-01"]


def _mod97_check(body: str) -> str:
    digits = "".join(str(int(c, 36)) for c in body.upper())
    return f"{98 - int(digits + '00') % 97:02d}"


def leitweg(rng: random.Random) -> str:
    """A Leitweg-ID, valid or broken in one of the usual ways."""
    coarse = "".join(rng.choice("0123456789") for _ in range(rng.choice([2, 3, 5, 9, 12])))
    fine = "".join(rng.choice("0123456789ABCXYZ") for _ in range(rng.choice([0, 1, 5, 12, 30])))
    body = coarse + fine
    good = f"{coarse}-{fine + '-' if fine else ''}{_mod97_check(body)}"
    kind = rng.choice(["good", "good", "lower", "space", "long", "check", "nodash", "short", "letters"])
    if kind == "lower":
        return good.lower().replace("X", "x") if "X" in good else good.lower() + "a"
    if kind == "space":
        return f" {good} " if rng.random() < 0.5 else good.replace("-", " -", 1)
    if kind == "long":
        return coarse + "-" + "1" * 40 + "-" + _mod97_check(coarse + "1" * 40)
    if kind == "check":
        return good[:-2] + f"{(int(good[-2:]) + rng.randint(1, 96)) % 100:02d}"
    if kind == "nodash":
        return good.replace("-", "")
    if kind == "short":
        return "1-" + _mod97_check("1")
    if kind == "letters":
        return "AB" + good
    return good


def _decimal(text: str) -> Decimal | None:
    if not DECIMAL.match(text):
        return None
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None


def amount_variant(d: Decimal, rng: random.Random) -> str:
    ops: list[Callable[[], Decimal | str]] = [
        lambda: d + Decimal("0.01"), lambda: d - Decimal("0.01"), lambda: d * 10, lambda: -d,
        lambda: d + Decimal("0.005"), lambda: d - Decimal("0.005"), lambda: d + Decimal("0.001"),
        lambda: Decimal(0), lambda: d + Decimal("0.02"), lambda: d + Decimal("0.03"),
        lambda: f"{d:.4f}", lambda: f"{d:.0f}", lambda: f"{d:.1f}", lambda: f"{d:.10f}",
        lambda: d.quantize(Decimal("0.01")) + Decimal("0.00000001"), lambda: Decimal("99999999999.99"),
        lambda: f"+{abs(d)}", lambda: f"{d}0", lambda: f".{abs(d).to_integral_value()}",
        lambda: d / 3, lambda: d * Decimal("1.19"), lambda: -Decimal("0.00"), lambda: d + 1,
        lambda: f"{d:.2f}".rstrip("0").rstrip(".") + ".", lambda: Decimal("0.50"), lambda: d * 100,
    ]
    v = rng.choice(ops)()
    return v if isinstance(v, str) else str(v)


def date_variant(text: str, rng: random.Random) -> str:
    if DATE_102.match(text):
        return rng.choice(["20240229", "20230229", "20241231", "2024-01-01", "20241301", "00000000",
                           "2024011"])
    return rng.choice(DATES)


def _leaves(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter() if isinstance(e.tag, str) and len(e) == 0]


def _named(root: etree._Element, *locals_: str) -> list[etree._Element]:
    return [e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname in locals_]


def _set(el: etree._Element, value: str) -> str:
    old = el.text
    el.text = value
    return f"{etree.QName(el).localname}: {old!r} -> {value!r}"


def m_leaf_value(root: etree._Element, rng: random.Random) -> str | None:
    leaves = [e for e in _leaves(root) if (e.text or "").strip()]
    if not leaves:
        return None
    el = rng.choice(leaves)
    text = (el.text or "").strip()
    name = etree.QName(el).localname
    d = _decimal(text)
    if DATE_ISO.match(text) or (DATE_102.match(text) and name == "DateTimeString"):
        return _set(el, date_variant(text, rng))
    if d is not None and not name.endswith(("ID", "Code")):
        return _set(el, amount_variant(d, rng))
    if name.endswith("CurrencyCode"):
        return _set(el, rng.choice(CURRENCIES))
    if name in ("IdentificationCode", "CountryID"):
        return _set(el, rng.choice(COUNTRIES))
    if name in ("PaymentMeansCode",) or (name == "TypeCode" and el.getparent() is not None
                                         and "PaymentMeans" in etree.QName(el.getparent()).localname):
        return _set(el, rng.choice(PAYMENT_MEANS))
    if name in ("InvoiceTypeCode", "CreditNoteTypeCode") or (name == "TypeCode"
                                                             and rng.random() < 0.5):
        return _set(el, rng.choice(DOC_TYPES))
    if name in ("CategoryCode",) or (name == "ID" and el.getparent() is not None
                                     and etree.QName(el.getparent()).localname.endswith("TaxCategory")):
        return _set(el, rng.choice(VAT_CATEGORIES))
    if name in ("TaxExemptionReasonCode", "ExemptionReasonCode"):
        return _set(el, rng.choice(TAX_EXEMPTION))
    if name in ("AllowanceChargeReasonCode", "ReasonCode"):
        return _set(el, rng.choice(ALLOWANCE_REASONS))
    if name == "BuyerReference":
        return _set(el, leitweg(rng))
    if name in ("CustomizationID",) or (name == "ID" and el.getparent() is not None
                                        and etree.QName(el.getparent()).localname
                                        == "GuidelineSpecifiedDocumentContextParameter"):
        return _set(el, rng.choice([*CUSTOMIZATIONS, rng.choice(CUSTOMIZATIONS) + " ", "urn:garbage"]))
    if name == "ProfileID":
        return _set(el, rng.choice(PROFILES))
    choice = rng.random()
    if choice < 0.2:
        return _set(el, "")
    if choice < 0.35:
        return _set(el, f" {text} ")
    if choice < 0.5:
        return _set(el, text.lower())
    if choice < 0.6:
        return _set(el, leitweg(rng))
    if choice < 0.7:
        return _set(el, rng.choice(ICD_EAS))
    if choice < 0.8:
        return _set(el, text + rng.choice(["X", "1", " ", "@", "-"]))
    if choice < 0.9:
        return _set(el, rng.choice(["DE123456789", "ATU12345678", "EL123456789", "GR12", "DE 12", "X",
                                    "DE75512108001245126199", "DE00000000000000000000", "info@example.org",
                                    "no-mail", "+49 30 1234", "12"]))
    return _set(el, "x" * rng.choice([1, 2, 100, 1001]))


ATTR_POOLS = {
    "schemeID": [*ICD_EAS, "VA", "FC", "VAT", "XYZ", ""],
    "unitCode": UNITS,
    "currencyID": CURRENCIES,
    "mimeCode": MIME,
    "listID": ["STI", "ZZZ", "IB", "MP", "XYZ", "TST", "AA", ""],
    "format": ["102", "103", "610", "616", "1", ""],
    "filename": ["a.pdf", "a.pdf", "b.csv", ""],
    "listVersionID": ["1", "D16B", ""],
}


def m_attribute(root: etree._Element, rng: random.Random) -> str | None:
    cands = [(e, a) for e in root.iter() if isinstance(e.tag, str) for a in e.attrib if a in ATTR_POOLS]
    if not cands:
        return None
    el, a = rng.choice(cands)
    if rng.random() < 0.15:
        del el.attrib[a]
        return f"drop @{a} on {etree.QName(el).localname}"
    old = el.get(a)
    el.set(a, rng.choice(ATTR_POOLS[a]))
    return f"@{a} on {etree.QName(el).localname}: {old!r} -> {el.get(a)!r}"


def m_add_attribute(root: etree._Element, rng: random.Random) -> str | None:
    cands = [e for e in _leaves(root) if not e.attrib]
    if not cands:
        return None
    el = rng.choice(cands)
    a = rng.choice(["schemeID", "currencyID", "unitCode", "listID", "mimeCode"])
    el.set(a, rng.choice(ATTR_POOLS[a]))
    return f"add @{a}={el.get(a)!r} on {etree.QName(el).localname}"


def m_delete(root: etree._Element, rng: random.Random) -> str | None:
    cands = [e for e in root.iter() if isinstance(e.tag, str) and e is not root]
    el = rng.choice(cands)
    parent = el.getparent()
    assert parent is not None
    parent.remove(el)
    return f"delete {etree.QName(el).localname}"


def m_duplicate(root: etree._Element, rng: random.Random) -> str | None:
    cands = [e for e in root.iter() if isinstance(e.tag, str) and e is not root]
    el = rng.choice(cands)
    el.addnext(copy.deepcopy(el))
    return f"duplicate {etree.QName(el).localname}"


def m_vat_category_all(root: etree._Element, rng: random.Random) -> str | None:
    """Change one VAT category code everywhere it occurs (keeps the breakdown consistent)."""
    els = [e for e in _named(root, "ID", "CategoryCode")
           if e.getparent() is not None and etree.QName(e.getparent()).localname in (
               "TaxCategory", "ClassifiedTaxCategory", "ApplicableTradeTax", "CategoryTradeTax")]
    codes = sorted({(e.text or "").strip() for e in els})
    if not codes:
        return None
    old, new = rng.choice(codes), rng.choice(VAT_CATEGORIES[:9])
    for e in els:
        if (e.text or "").strip() == old:
            e.text = new
    return f"VAT category {old} -> {new} everywhere"


def m_rate_all(root: etree._Element, rng: random.Random) -> str | None:
    els = _named(root, "Percent", "RateApplicablePercent")
    if not els:
        return None
    new = rng.choice(["0", "0.00", "7", "19", "19.00", "16", "20", "-19", "5.5", "100"])
    for e in els:
        e.text = new
    return f"every VAT rate -> {new}"


def m_clone_allowance(root: etree._Element, rng: random.Random) -> str | None:
    els = _named(root, "AllowanceCharge", "SpecifiedTradeAllowanceCharge")
    if not els:
        return None
    el = rng.choice(els)
    dup = copy.deepcopy(el)
    for ind in dup.iter(f"{CBC}ChargeIndicator", f"{UDT}Indicator"):
        if rng.random() < 0.5:
            ind.text = "false" if (ind.text or "").strip() == "true" else "true"
    el.addnext(dup)
    return f"clone {etree.QName(el).localname}"


def m_customization(root: etree._Element, rng: random.Random) -> str | None:
    els = _named(root, "CustomizationID") or [
        e for e in _named(root, "ID") if e.getparent() is not None
        and etree.QName(e.getparent()).localname == "GuidelineSpecifiedDocumentContextParameter"]
    if not els:
        return None
    return _set(els[0], rng.choice(CUSTOMIZATIONS))


def m_buyer_reference(root: etree._Element, rng: random.Random) -> str | None:
    els = _named(root, "BuyerReference")
    if not els:
        return None
    return _set(els[0], leitweg(rng))


def m_remove_all(root: etree._Element, rng: random.Random) -> str | None:
    """Remove every element of one name (an optional BT gone everywhere)."""
    names = sorted({etree.QName(e).localname for e in root.iter()
                    if isinstance(e.tag, str) and e is not root})
    name = rng.choice(names)
    n = 0
    for e in [e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname == name]:
        p = e.getparent()
        if p is not None:
            p.remove(e)
            n += 1
    return f"remove all {name} ({n})"


def iban(rng: random.Random) -> str:
    """An IBAN, valid or broken the usual ways (check digits, one BBAN digit, case, spaces)."""
    country = rng.choice(["DE", "AT", "FR", "NL", "de", "XX"])
    bban = "".join(rng.choice("0123456789") for _ in range(rng.choice([18, 10, 30, 31])))
    if rng.random() < 0.2:
        bban = "ABCD" + bban[4:]
    digits = "".join(str(int(c, 36)) for c in (bban + country.upper() + "00"))
    good = f"{country}{98 - int(digits) % 97:02d}{bban}"
    kind = rng.choice(["good", "good", "check", "bban", "spaces", "tab", "lower", "dash"])
    if kind == "check":
        return good[:2] + f"{(int(good[2:4]) + rng.randint(1, 90)) % 100:02d}" + good[4:]
    if kind == "bban":
        i = rng.randrange(4, len(good))
        return good[:i] + str((int(good[i], 36) + 1) % 10) + good[i + 1:]
    if kind == "spaces":
        return " ".join(good[i:i + 4] for i in range(0, len(good), 4))
    if kind == "tab":
        return good[:4] + "\t" + good[4:] + "\n"
    if kind == "lower":
        return good.lower()
    if kind == "dash":
        return good[:4] + "-" + good[4:]
    return good


def m_iban(root: etree._Element, rng: random.Random) -> str | None:
    els = [e for e in _named(root, "ID", "IBANID") if (e.getparent() is not None and etree.QName(
        e.getparent()).localname in ("PayeeFinancialAccount", "PayeePartyCreditorFinancialAccount",
                                      "PayerPartyDebtorFinancialAccount", "PaymentMandate"))
           or etree.QName(e).localname == "IBANID"]
    if not els:
        return None
    what = _set(rng.choice(els), iban(rng))
    if rng.random() < 0.3:
        codes = _named(root, "PaymentMeansCode") or [
            e for e in _named(root, "TypeCode") if e.getparent() is not None
            and etree.QName(e.getparent()).localname == "SpecifiedTradeSettlementPaymentMeans"]
        if codes:
            what += "; " + _set(rng.choice(codes), rng.choice(["30", "58", "59"]))
    return what


def m_whitespace(root: etree._Element, rng: random.Random) -> str | None:
    """Leading/trailing whitespace on a code, date or decimal value."""
    leaves = [e for e in _leaves(root) if (e.text or "").strip()
              and (etree.QName(e).localname.endswith(("Code", "Date", "Amount", "Quantity", "Percent",
                                                         "DateTimeString", "ID", "Indicator"))
                   or _decimal(e.text or "") is not None)]
    if not leaves:
        return None
    el = rng.choice(leaves)
    pad = rng.choice([" ", "\n", "\t", "  \n  "])
    t = (el.text or "").strip()
    return _set(el, rng.choice([pad + t, t + pad, pad + t + pad]))


def m_clone_line(root: etree._Element, rng: random.Random) -> str | None:
    lines = _named(root, "InvoiceLine", "CreditNoteLine", "IncludedSupplyChainTradeLineItem")
    if not lines:
        return None
    line = rng.choice(lines)
    dup = copy.deepcopy(line)
    if rng.random() < 0.5:
        for e in dup.iter(f"{CBC}ID", f"{RAM}LineID"):
            if e.getparent() in (dup, dup.find(f"{RAM}AssociatedDocumentLineDocument")):
                e.text = (e.text or "") + "9"
    line.addnext(dup)
    return f"clone line {etree.QName(line).localname}"


def m_same_line_id(root: etree._Element, rng: random.Random) -> str | None:
    lines = _named(root, "InvoiceLine", "CreditNoteLine", "IncludedSupplyChainTradeLineItem")
    ids = []
    for line in lines:
        for e in line.iter(f"{CBC}ID", f"{RAM}LineID"):
            parent = e.getparent()
            if parent is line or etree.QName(parent).localname == "AssociatedDocumentLineDocument":
                ids.append(e)
                break
    if len(ids) < 2:
        return None
    a, b = rng.sample(ids, 2)
    return _set(a, b.text or "")


def m_negate(root: etree._Element, rng: random.Random) -> str | None:
    els = _named(root, "InvoicedQuantity", "CreditedQuantity", "BilledQuantity", "PriceAmount",
                 "ChargeAmount", "BaseQuantity", "BasisQuantity")
    els = [e for e in els if _decimal(e.text or "") is not None]
    if not els:
        return None
    el = rng.choice(els)
    t = (el.text or "").strip()
    return _set(el, t[1:] if t.startswith("-") else "-" + t)


def m_swap_country(root: etree._Element, rng: random.Random) -> str | None:
    els = _named(root, "IdentificationCode", "CountryID")
    if len(els) < 2:
        return None
    a, b = rng.sample(els, 2)
    a.text, b.text = b.text, a.text
    return f"swap countries {a.text!r}/{b.text!r}"


TAX_SCHEMES = ["VAT", "vat", " VAT ", "Vat", "VAT\n", "FC", "TAX", "GST", "", "LOC"]


def m_tax_scheme(root: etree._Element, rng: random.Random) -> str | None:
    """UBL TaxScheme/cbc:ID or CII tax TypeCode: the 'is this VAT' test of many rules."""
    els = [e for e in _named(root, "ID", "TypeCode") if e.getparent() is not None and (
        etree.QName(e.getparent()).localname == "TaxScheme"
        or (etree.QName(e).localname == "TypeCode"
            and etree.QName(e.getparent()).localname in ("ApplicableTradeTax", "CategoryTradeTax")))]
    if not els:
        return None
    return _set(rng.choice(els), rng.choice(TAX_SCHEMES))


def m_tax_registration(root: etree._Element, rng: random.Random) -> str | None:
    """Duplicate a party's tax registration (UBL PartyTaxScheme / CII SpecifiedTaxRegistration),
    optionally with the other scheme."""
    els = _named(root, "PartyTaxScheme", "SpecifiedTaxRegistration")
    if not els:
        return None
    el = rng.choice(els)
    dup = copy.deepcopy(el)
    for i in dup.iter(f"{RAM}ID"):
        i.set("schemeID", rng.choice(["VA", "FC", "XX"]))
        i.text = rng.choice(["DE123456789", "123/456/789", "XX12", "EL999", i.text or ""])
    for i in dup.iter(f"{CBC}CompanyID"):
        i.text = rng.choice(["DE123456789", "123/456/789", "XX12", "EL999", i.text or ""])
    for i in dup.iter(f"{CAC}TaxScheme"):
        for j in i.iter(f"{CBC}ID"):
            j.text = rng.choice(TAX_SCHEMES)
    el.addnext(dup)
    return f"duplicate {etree.QName(el).localname} as another registration"


_AMOUNTISH = ("Amount", "Quantity", "Percent", "Numeric")


def _amount_leaves(root: etree._Element) -> list[etree._Element]:
    return [e for e in _leaves(root) if etree.QName(e).localname.endswith(_AMOUNTISH)
            and _decimal(e.text or "") is not None]


def m_perturb_amounts(root: etree._Element, rng: random.Random) -> str | None:
    """Nudge many amounts a little: rounding and tolerance boundaries of the sum rules."""
    els = _amount_leaves(root)
    if not els:
        return None
    deltas = ["0.001", "-0.001", "0.005", "-0.005", "0.004999", "0.01", "-0.01", "0.0049", "0.5", "-0.5"]
    n = 0
    for e in els:
        if rng.random() < 0.3:
            d = _decimal(e.text or "")
            assert d is not None
            e.text = str(d + Decimal(rng.choice(deltas)))
            n += 1
    return f"perturb {n} amounts"


def m_scale_amounts(root: etree._Element, rng: random.Random) -> str | None:
    """Scale every amount by one factor, rounded to cents (the totals stay nearly consistent)."""
    els = [e for e in _amount_leaves(root) if etree.QName(e).localname.endswith("Amount")]
    if not els:
        return None
    factor = Decimal(rng.choice(["1.5", "0.3333", "7", "1.005", "0.1", "123.456", "2.675"]))
    places = Decimal(rng.choice(["0.01", "0.01", "0.001", "1"]))
    for e in els:
        d = _decimal(e.text or "")
        assert d is not None
        e.text = str((d * factor).quantize(places))
    return f"scale amounts by {factor} to {places}"


SKONTO = ["#SKONTO#TAGE=14#PROZENT=2.00#", "#SKONTO#TAGE=14#PROZENT=2.00#BASISBETRAG=100.00#",
          "#SKONTO#TAGE=14#PROZENT=2#", "#SKONTO#TAGE=7#PROZENT=3.00#\n#SKONTO#TAGE=14#PROZENT=2.00#\n",
          "Zahlbar sofort\n#SKONTO#TAGE=14#PROZENT=2.00#\n", "#skonto#TAGE=14#PROZENT=2.00#",
          " #SKONTO#TAGE=14#PROZENT=2.00# ", "#SKONTO#TAGE=14#PROZENT=2.00#BASISBETRAG=-5.00#\n", "#", "x"]
EMAILS = ["a@b.de", "a@b", "a@@b.de", " a@b.de", "a b@c.de", "a@b.c.de", "@b.de", "a@b.de ", "a@.de", ""]
PHONES = ["+49 30 123", "12", "abc", "1 2 3", "", " 030-1234 ", "0"]


def m_xr_strings(root: etree._Element, rng: random.Random) -> str | None:
    """The regular-expression checks of the XRechnung rules: Skonto notes, e-mail, telephone."""
    notes = [e for e in _named(root, "Note", "Description") if e.getparent() is not None
             and etree.QName(e.getparent()).localname in ("PaymentTerms", "SpecifiedTradePaymentTerms")]
    mails = [e for e in _named(root, "ElectronicMail", "URIID")
             if etree.QName(e).localname == "ElectronicMail"
             or "EmailURI" in etree.QName(e.getparent()).localname]
    phones = [e for e in _named(root, "Telephone", "CompleteNumber")]
    pools = [(els, vals) for els, vals in ((notes, SKONTO), (mails, EMAILS), (phones, PHONES)) if els]
    if not pools:
        return None
    els, vals = rng.choice(pools)
    return _set(rng.choice(els), rng.choice(vals))


MUTATIONS: list[tuple[Callable[[etree._Element, random.Random], str | None], int]] = [
    (m_leaf_value, 40), (m_attribute, 10), (m_add_attribute, 3), (m_delete, 10), (m_duplicate, 8),
    (m_vat_category_all, 5), (m_rate_all, 3), (m_clone_allowance, 4), (m_customization, 3),
    (m_buyer_reference, 5), (m_remove_all, 4), (m_iban, 4), (m_whitespace, 6), (m_clone_line, 3),
    (m_same_line_id, 2), (m_negate, 3), (m_swap_country, 2), (m_tax_scheme, 4), (m_tax_registration, 3),
    (m_perturb_amounts, 5), (m_scale_amounts, 4), (m_xr_strings, 5),
]


def mutate(root: etree._Element, rng: random.Random, steps: int = 1) -> list[str]:
    funcs, weights = zip(*MUTATIONS, strict=True)
    done: list[str] = []
    for _ in range(steps):
        for _attempt in range(5):
            what = rng.choices(funcs, weights)[0](root, rng)
            if what:
                done.append(what)
                break
    return done
