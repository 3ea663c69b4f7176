"""MIME codes of attached documents (BT-125): BR-CL-24, and the extension's list (BR-DEX-01).

Name: MIME media types allowed by EN 16931. Source: IANA media types, EN 16931 subset.
Version: the list as embedded in the CEN EN 16931 validation artefacts 1.3.15 and the
XRechnung Schematron 2.5.0, run by the KoSIT XRechnung configuration v2026-01-31.
"""

from __future__ import annotations

from einvoice.codelists import codes

CODES: frozenset[str] = codes(
    """
    application/pdf application/vnd.oasis.opendocument.spreadsheet
    application/vnd.openxmlformats-officedocument.spreadsheetml.sheet image/jpeg image/png
    text/csv
    """
)

EXTENSION: frozenset[str] = codes(
    """
    application/pdf application/vnd.oasis.opendocument.spreadsheet
    application/vnd.openxmlformats-officedocument.spreadsheetml.sheet application/xml
    image/jpeg image/png text/csv
    """
)
