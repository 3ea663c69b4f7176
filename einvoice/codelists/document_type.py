"""UNTDID 1001 document type codes (BT-3): BR-CL-01, and the XRechnung subset of BR-DE-17.

Name: UNTDID 1001 Document name code. Source: UN/CEFACT UNTDID (EN 16931 subset).
Version: the list as embedded in the CEN EN 16931 validation artefacts 1.3.15 and the
XRechnung Schematron 2.5.0, run by the KoSIT XRechnung configuration v2026-01-31.
UBL checks cbc:InvoiceTypeCode and cbc:CreditNoteTypeCode against separate lists; CII has one.
"""

from __future__ import annotations

from einvoice.codelists import codes

CII: frozenset[str] = codes(
    """
    71 80 81 82 83 84 102 130 202 203 204 211 218 219 261 262 295 296 308 325 326 331 380
    381 382 383 384 385 386 387 388 389 390 393 394 395 396 420 456 457 458 471 472 473 500
    501 502 503 527 532 553 575 623 633 751 780 817 870 875 876 877 935
    """
)

UBL_INVOICE: frozenset[str] = codes(
    """
    71 80 81 82 84 102 130 202 203 204 211 218 219 295 325 326 331 380 382 383 384 385 386
    387 388 389 390 393 394 395 456 457 471 472 473 500 501 502 503 527 553 575 623 633 751
    780 817 870 875 876 877 935
    """
)

UBL_CREDIT_NOTE: frozenset[str] = codes(
    """
    81 83 261 262 296 308 381 396 420 458 532
    """
)

XRECHNUNG: frozenset[str] = codes(
    """
    326 380 381 384 389 875 876 877
    """
)
