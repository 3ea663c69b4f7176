"""UNTDID 4461 payment means codes (BT-81): BR-CL-16, and the subsets rules select on.

Name: UNTDID 4461 Payment means code. Source: UN/CEFACT UNTDID.
Version: the list as embedded in the CEN EN 16931 validation artefacts 1.3.15 and the
XRechnung Schematron 2.5.0, run by the KoSIT XRechnung configuration v2026-01-31.
"""

from __future__ import annotations

from einvoice.codelists import codes

CODES: frozenset[str] = codes(
    """
    1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32
    33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61
    62 63 64 65 66 67 68 69 70 74 75 76 77 78 91 92 93 94 95 96 97 98 ZZZ
    """
)

CREDIT_TRANSFER: frozenset[str] = codes(
    """
    30 58
    """
)

DIRECT_DEBIT: frozenset[str] = codes(
    """
    49 59
    """
)

PAYMENT_CARD: frozenset[str] = codes(
    """
    48 54 55
    """
)
