"""Clean Vehicles Directive value sets (XRechnung CVD): BR-DE-CVD-04/05.

Name: vehicle categories of the Clean Vehicles Directive and the clean-vehicle attribute values.
Source: Directive (EU) 2019/1161 as profiled by XRechnung CVD.
Version: the list as embedded in the CEN EN 16931 validation artefacts 1.3.15 and the
XRechnung Schematron 2.5.0, run by the KoSIT XRechnung configuration v2026-01-31.
"""

from __future__ import annotations

from einvoice.codelists import codes

VEHICLE_CATEGORY: frozenset[str] = codes(
    """
    M1 M2 M3 N1 N2 N3
    """
)

CLEAN_VEHICLE: frozenset[str] = codes(
    """
    clean other zero-emission
    """
)
