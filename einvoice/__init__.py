"""einvoice: XRechnung intake for municipalities in a shared procedure.

``einvoice.validate(data)`` gives the official validator's verdict with our findings;
``einvoice.process(data)`` also returns the EN 16931 model the worker routes.
"""

from einvoice.pipeline import Outcome, convert, process, validate
from einvoice.report import Finding, Report

__all__ = ["Finding", "Outcome", "Report", "convert", "process", "validate"]
__version__ = "0.1.0"
