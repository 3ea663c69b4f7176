"""UNTDID 5305 VAT category codes (BT-95, BT-102, BT-118, BT-151): BR-CL-17/18.

Name: UNTDID 5305 Duty or tax or fee category code, EN 16931 subset. Source: UN/CEFACT UNTDID.
Version: the list as embedded in the CEN EN 16931 validation artefacts 1.3.15 and the
XRechnung Schematron 2.5.0, run by the KoSIT XRechnung configuration v2026-01-31.
:data:`SELLER_VAT_ID_REQUIRED` is the XRechnung subset that makes BR-DE-16 ask for a seller VAT
identifier or tax representative (all but B and O).
"""

from __future__ import annotations

from einvoice.codelists import codes

CODES: frozenset[str] = codes(
    """
    AE B E G K L M O S Z
    """
)

SELLER_VAT_ID_REQUIRED: frozenset[str] = codes(
    """
    AE E G K L M S Z
    """
)
