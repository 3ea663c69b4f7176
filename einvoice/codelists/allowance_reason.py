"""UNTDID 5189 allowance reason codes (BT-98, BT-140): BR-CL-19.

Name: UNTDID 5189 Allowance or charge identification code (allowances). Source: UN/CEFACT UNTDID.
Version: the list as embedded in the CEN EN 16931 validation artefacts 1.3.15 and the
XRechnung Schematron 2.5.0, run by the KoSIT XRechnung configuration v2026-01-31.
"""

from __future__ import annotations

from einvoice.codelists import codes

CODES: frozenset[str] = codes(
    """
    41 42 60 62 63 64 65 66 67 68 70 71 88 95 100 102 103 104 105
    """
)
