"""Value added tax point date codes (BT-8): BR-CL-06.

Name: UBL uses UNTDID 2005 (Date/time/period function code qualifier), CII UNTDID 2475 (Event
time reference code); the two syntaxes therefore accept different codes for the same term.
Source: UN/CEFACT UNTDID.
Version: the list as embedded in the CEN EN 16931 validation artefacts 1.3.15 and the
XRechnung Schematron 2.5.0, run by the KoSIT XRechnung configuration v2026-01-31.
"""

from __future__ import annotations

from einvoice.codelists import codes

UBL: frozenset[str] = codes(
    """
    3 35 432
    """
)

CII: frozenset[str] = codes(
    """
    5 29 72
    """
)
