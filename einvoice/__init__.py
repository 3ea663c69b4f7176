"""einvoice: XRechnung intake for municipalities in a shared procedure.

``einvoice.validate(data)`` gives the official validator's verdict with our findings;
``einvoice.process(data)`` also returns the EN 16931 model the worker routes.
"""

from einvoice import native

native.install()  # before anything imports a compiled module: a stale one must not shadow its source

from einvoice.pipeline import Outcome, convert, process, validate  # noqa: E402
from einvoice.report import Finding, Report  # noqa: E402

__all__ = ["Finding", "Outcome", "Report", "convert", "process", "validate"]
__version__ = "0.1.0"
