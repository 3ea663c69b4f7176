"""Hostile and odd documents for intake, pipeline and worker tests: one function per case.

Every function returns the bytes to send. Cases that point somewhere (a file, a URL) take the
target as an argument so a test can aim them at something it controls and then prove the
target was never read. ``CASES`` maps each case name to a zero-argument factory and the
EINV-INTAKE-* code the intake must answer with (``None``: the intake must parse it, a later
layer decides).

The invoice skeleton is our own minimal XRechnung 3.0 UBL invoice (made-up parties, one VAT
rate of 19 %); ``invoice()`` can stretch its note or multiply its lines.
"""

from __future__ import annotations

import gzip
import io
import random
import zipfile
from collections.abc import Callable
from decimal import Decimal

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
SECRET_MARKER = "EINV-HOSTILE-SECRET-7f3a9c"

_UBL_OPEN = (
    '<ubl:Invoice xmlns:ubl="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"'
    ' xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"'
    ' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"{extra}>'
)

_HEAD = """
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</cbc:CustomizationID>
  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
  <cbc:ID>HOSTILE-{number}</cbc:ID>
  <cbc:IssueDate>{issue_date}</cbc:IssueDate>
  <cbc:DueDate>2026-03-31</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:Note>{note}</cbc:Note>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>991-01234-56</cbc:BuyerReference>
  <cac:AccountingSupplierParty>
    <cac:Party>
      <cbc:EndpointID schemeID="EM">rechnung@lieferant.example</cbc:EndpointID>
      <cac:PostalAddress>
        <cbc:StreetName>Lieferweg 1</cbc:StreetName>
        <cbc:CityName>Musterstadt</cbc:CityName>
        <cbc:PostalZone>12345</cbc:PostalZone>
        <cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country>
      </cac:PostalAddress>
      <cac:PartyTaxScheme>
        <cbc:CompanyID>DE123456789</cbc:CompanyID>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:PartyTaxScheme>
      <cac:PartyLegalEntity><cbc:RegistrationName>Lieferant GmbH</cbc:RegistrationName></cac:PartyLegalEntity>
      <cac:Contact>
        <cbc:Name>Erika Muster</cbc:Name>
        <cbc:Telephone>+49 123 456789</cbc:Telephone>
        <cbc:ElectronicMail>erika@lieferant.example</cbc:ElectronicMail>
      </cac:Contact>
    </cac:Party>
  </cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty>
    <cac:Party>
      <cbc:EndpointID schemeID="EM">eingang@stadt.example</cbc:EndpointID>
      <cac:PostalAddress>
        <cbc:CityName>Amtshausen</cbc:CityName>
        <cbc:PostalZone>54321</cbc:PostalZone>
        <cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country>
      </cac:PostalAddress>
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>Stadt Amtshausen</cbc:RegistrationName>
      </cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingCustomerParty>
  <cac:PaymentMeans>
    <cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
    <cac:PayeeFinancialAccount><cbc:ID>DE02120300000000202051</cbc:ID></cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">{net}</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount>
      <cac:TaxCategory>
        <cbc:ID>S</cbc:ID>
        <cbc:Percent>19</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">{net}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">{net}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">{gross}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">{gross}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
"""

# One line, compact: 100,000 of them must stay well inside memory and time bounds.
_LINE = (
    '<cac:InvoiceLine><cbc:ID>{i}</cbc:ID><cbc:InvoicedQuantity unitCode="C62">1'
    '</cbc:InvoicedQuantity><cbc:LineExtensionAmount currencyID="EUR">{amount}'
    "</cbc:LineExtensionAmount><cac:Item><cbc:Name>Posten {i}</cbc:Name>"
    "<cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent>"
    "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>"
    '<cac:Price><cbc:PriceAmount currencyID="EUR">{amount}</cbc:PriceAmount></cac:Price>'
    "</cac:InvoiceLine>\n"
)


def invoice(
    *,
    note: str = "Vielen Dank für Ihren Auftrag.",
    lines: int = 1,
    line_amount: str = "100.00",
    issue_date: str = "2026-03-01",
    prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n',
    root_extra: str = "",
    body_extra: str = "",
) -> bytes:
    """A plausible XRechnung UBL invoice; ``note`` and ``body_extra`` are inserted verbatim."""
    net = Decimal(line_amount) * lines
    tax = (net * Decimal("0.19")).quantize(Decimal("0.01"))
    head = _HEAD.format(
        number=lines, issue_date=issue_date, note=note, net=net, tax=tax, gross=net + tax
    )
    parts = [prolog, _UBL_OPEN.format(extra=root_extra), head, body_extra]
    parts.extend(_LINE.format(i=i + 1, amount=line_amount) for i in range(lines))
    parts.append("</ubl:Invoice>\n")
    return "".join(parts).encode("utf-8")


# --- DTD-borne attacks -------------------------------------------------------------------


def xxe_local_file(path: str = "/etc/passwd") -> bytes:
    """An external general entity reading a local file into the buyer reference."""
    dtd = f'<!DOCTYPE ubl:Invoice [<!ENTITY xxe SYSTEM "file://{path}">]>\n'
    return invoice(prolog='<?xml version="1.0" encoding="UTF-8"?>\n' + dtd, note="&xxe;")


def xxe_url(url: str = "http://127.0.0.1:9/xxe") -> bytes:
    """An external general entity fetched over HTTP (server-side request forgery)."""
    dtd = f'<!DOCTYPE ubl:Invoice [<!ENTITY xxe SYSTEM "{url}">]>\n'
    return invoice(prolog='<?xml version="1.0" encoding="UTF-8"?>\n' + dtd, note="&xxe;")


def billion_laughs() -> bytes:
    """Ten levels of ten-fold entity expansion: 10^9 copies of 'lol' if expanded."""
    ents = ['<!ENTITY lol0 "lol">']
    ents += [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    dtd = "<!DOCTYPE ubl:Invoice [\n" + "\n".join(ents) + "\n]>\n"
    return invoice(prolog='<?xml version="1.0"?>\n' + dtd, note="&lol9;")


def quadratic_blowup(size: int = 100_000, refs: int = 10_000) -> bytes:
    """One big entity referenced many times: quadratic memory without nesting."""
    dtd = f'<!DOCTYPE ubl:Invoice [<!ENTITY a "{"x" * size}">]>\n'
    return invoice(prolog='<?xml version="1.0"?>\n' + dtd, note="&a;" * refs)


def external_dtd(url: str = "http://127.0.0.1:9/invoice.dtd") -> bytes:
    """A DOCTYPE with an external subset (SYSTEM identifier)."""
    dtd = f'<!DOCTYPE ubl:Invoice SYSTEM "{url}">\n'
    return invoice(prolog='<?xml version="1.0"?>\n' + dtd)


def parameter_entities(url: str = "http://127.0.0.1:9/evil.dtd") -> bytes:
    """The out-of-band exfiltration pattern: an external parameter entity pulled in by %ext;."""
    dtd = (
        "<!DOCTYPE ubl:Invoice [\n"
        f'  <!ENTITY % ext SYSTEM "{url}">\n'
        "  %ext;\n"
        '  <!ENTITY % local "<!ENTITY inner \'x\'>">\n'
        "  %local;\n"
        "]>\n"
    )
    return invoice(prolog='<?xml version="1.0"?>\n' + dtd, note="&inner;")


def doctype_after_comments() -> bytes:
    """A DOCTYPE hidden behind a declaration, processing instructions and long comments."""
    filler = "<!-- " + "harmlos " * 2000 + "-->\n"
    prolog = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<?note harmless?>\n'
        + filler * 3
        + '<!DOCTYPE ubl:Invoice [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<!-- after -->\n'
    )
    return invoice(prolog=prolog, note="&x;")


def xinclude(path: str = "/etc/passwd") -> bytes:
    """An XInclude element that would pull a local file in if XInclude were processed."""
    inc = f'<xi:include href="file://{path}" parse="text"/>'
    return invoice(
        root_extra=' xmlns:xi="http://www.w3.org/2001/XInclude"',
        note="Siehe Anlage",
        body_extra=f"  <cbc:Note>{inc}</cbc:Note>\n",
    )


def undefined_entity() -> bytes:
    """An HTML entity that XML does not know, without any DTD."""
    return invoice(note="Gr&uuml;&szlig;e &nbsp; aus Musterstadt")


def bare_ampersand() -> bytes:
    """The everyday mistake: an unescaped '&' in a company name."""
    return invoice(note="Lieferung von Müller & Söhne")


# --- size and shape ----------------------------------------------------------------------


def oversized(max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """A well-formed invoice one byte over the size limit (the note carries the padding)."""
    base = len(invoice(note=""))
    return invoice(note="x" * (max_bytes + 1 - base))


def deep_nesting(levels: int = 100_000) -> bytes:
    """An invoice note holding ``levels`` nested elements."""
    return invoice(note="<cbc:X>" * levels + "tief" + "</cbc:X>" * levels)


def big_note(size: int = 10 * 1024 * 1024) -> bytes:
    """A single text node of ``size`` bytes: over libxml2's default 10,000,000-byte limit."""
    return invoice(note="Lieferschein " + "0123456789" * (size // 10))


def many_lines(lines: int = 100_000) -> bytes:
    """An invoice with ``lines`` compact invoice lines (about 430 bytes each)."""
    return invoice(lines=lines, line_amount="1.00")


# --- encodings ---------------------------------------------------------------------------


def invalid_utf8() -> bytes:
    """Declared UTF-8, but the note was written in Windows-1252 (ä as 0xE4)."""
    doc = invoice(note="Gr\u00fc\u00dfe aus M\u00fcnchen")
    return doc.replace("Gr\u00fc\u00dfe aus M\u00fcnchen".encode(), "Grüße aus München".encode("cp1252"))


def utf16_bom() -> bytes:
    return invoice(prolog='<?xml version="1.0" encoding="UTF-16"?>\n').decode("utf-8").encode("utf-16")


def utf16_no_bom() -> bytes:
    text = invoice(prolog='<?xml version="1.0" encoding="UTF-16"?>\n').decode("utf-8")
    return text.encode("utf-16-le")


def declared_latin1() -> bytes:
    """Honestly ISO-8859-1: declared so and encoded so."""
    text = invoice(prolog='<?xml version="1.0" encoding="ISO-8859-1"?>\n', note="Grüße").decode("utf-8")
    return text.encode("latin-1")


def declared_windows1252() -> bytes:
    text = invoice(prolog="<?xml version='1.0' encoding='windows-1252'?>\n", note="Preis in €").decode(
        "utf-8"
    )
    return text.encode("cp1252")


def declared_utf8_with_bom() -> bytes:
    """Legitimate: UTF-8 with a byte order mark."""
    return b"\xef\xbb\xbf" + invoice()


# --- not an XML invoice ------------------------------------------------------------------


def empty() -> bytes:
    return b""


def whitespace_only() -> bytes:
    return b" \r\n\t \n" * 100


def binary_garbage(size: int = 4096, seed: int = 20260301) -> bytes:
    """Random bytes that do not start like XML, gzip, ZIP or PDF."""
    data = bytearray(random.Random(seed).randbytes(size))
    data[0:2] = b"\x89Z"
    return bytes(data)


def gzip_invoice() -> bytes:
    return gzip.compress(invoice(), mtime=0)


def zip_invoice() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("rechnung.xml", invoice())
    return buf.getvalue()


def pdf() -> bytes:
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def not_an_invoice() -> bytes:
    """Well-formed XML, just not an invoice."""
    return b'<?xml version="1.0" encoding="UTF-8"?>\n<order xmlns="urn:example:order"><id>1</id></order>\n'


def pis_and_comments_before_root() -> bytes:
    """Legitimate: processing instructions and comments may precede the root element."""
    prolog = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<?xml-stylesheet type="text/xsl" href="http://127.0.0.1:9/style.xsl"?>\n'
        "<!-- erzeugt von Fakturaprogramm 1.0 -->\n<?fakturaprogramm version=\"1.0\"?>\n"
        "<!-- <!DOCTYPE in einem Kommentar ist harmlos> -->\n"
    )
    return invoice(prolog=prolog)


def truncated() -> bytes:
    doc = invoice()
    return doc[: len(doc) // 2]


def nul_byte() -> bytes:
    return invoice(note="vor\x00nach")


# name -> (factory, EINV-INTAKE-* code the intake must return, or None: it must parse)
CASES: dict[str, tuple[Callable[[], bytes], str | None]] = {
    "xxe_local_file": (xxe_local_file, "EINV-INTAKE-DOCTYPE"),
    "xxe_url": (xxe_url, "EINV-INTAKE-DOCTYPE"),
    "billion_laughs": (billion_laughs, "EINV-INTAKE-DOCTYPE"),
    "quadratic_blowup": (quadratic_blowup, "EINV-INTAKE-DOCTYPE"),
    "external_dtd": (external_dtd, "EINV-INTAKE-DOCTYPE"),
    "parameter_entities": (parameter_entities, "EINV-INTAKE-DOCTYPE"),
    "doctype_after_comments": (doctype_after_comments, "EINV-INTAKE-DOCTYPE"),
    "xinclude": (xinclude, None),
    "undefined_entity": (undefined_entity, "EINV-INTAKE-ENTITY"),
    "bare_ampersand": (bare_ampersand, "EINV-INTAKE-AMPERSAND"),
    "oversized": (oversized, "EINV-INTAKE-SIZE"),
    "deep_nesting": (deep_nesting, "EINV-INTAKE-DEPTH"),
    "big_note": (big_note, None),
    "invalid_utf8": (invalid_utf8, "EINV-INTAKE-UTF8"),
    "utf16_bom": (utf16_bom, "EINV-INTAKE-UTF16"),
    "utf16_no_bom": (utf16_no_bom, "EINV-INTAKE-UTF16"),
    "declared_latin1": (declared_latin1, "EINV-INTAKE-ENCODING"),
    "declared_windows1252": (declared_windows1252, "EINV-INTAKE-ENCODING"),
    "declared_utf8_with_bom": (declared_utf8_with_bom, None),
    "empty": (empty, "EINV-INTAKE-EMPTY"),
    "whitespace_only": (whitespace_only, "EINV-INTAKE-EMPTY"),
    "binary_garbage": (binary_garbage, "EINV-INTAKE-NOT-XML"),
    "gzip_invoice": (gzip_invoice, "EINV-INTAKE-COMPRESSED"),
    "zip_invoice": (zip_invoice, "EINV-INTAKE-COMPRESSED"),
    "pdf": (pdf, "EINV-INTAKE-PDF"),
    "not_an_invoice": (not_an_invoice, None),
    "pis_and_comments_before_root": (pis_and_comments_before_root, None),
    "truncated": (truncated, "EINV-INTAKE-MALFORMED"),
    "nul_byte": (nul_byte, "EINV-INTAKE-CHAR"),
}
