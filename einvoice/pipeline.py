"""The whole check of one document: intake → syntax → scenario → structure → model → rules.

``process`` returns everything the worker needs (report, model, syntax); ``validate`` only the
report. Neither raises: every failure becomes a finding with its reason, as the official
validator reports every document.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

import structlog

from einvoice import intake, readers, scenario, structure
from einvoice.model import Invoice
from einvoice.report import Finding, Reason, Report, report_from
from einvoice.rules import engine, load_all
from einvoice.rules.registry import Context
from einvoice.syntax import Syntax, detect, specification_identifier

log = structlog.get_logger(__name__)


@dataclass
class Outcome:
    report: Report
    invoice: Invoice | None = None
    syntax: Syntax | None = None


def _reject(reason: Reason, finding: Finding, *, syntax: Syntax | None = None) -> Outcome:
    rep = Report(verdict="reject", reason=reason, syntax=syntax, findings=[finding])
    return Outcome(report=rep, syntax=syntax)


def _finding(rule: str, de: str, en: str, location: str = "/") -> Finding:
    return Finding(rule=rule, level="error", location=location, message_de=de, message_en=en)


def process(data: bytes, *, max_bytes: int = intake.DEFAULT_MAX_BYTES) -> Outcome:
    """Validate and convert one document. Never raises."""
    try:
        return _process(data, max_bytes=max_bytes)
    except Exception as exc:  # noqa: BLE001 - last line of defence: a report, never a crash
        # Type and place only: the message of an exception may quote document content
        # (names, IBANs), which must not reach the logs.
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb is not None else "?"
        log.error("pipeline_failed", error=type(exc).__name__, where=where)
        return _reject(
            "rules",
            _finding(
                "EINV-INTERNAL",
                f"Interner Fehler bei der Prüfung ({type(exc).__name__}); bitte den Betrieb informieren.",
                f"Internal error while checking ({type(exc).__name__}); please tell the operators.",
            ),
        )


_warmed = False
YOUNG_GENERATION_THRESHOLD = 10_000


def warm_up() -> None:
    """Load every rule module and structure table, then take everything loaded out of the
    garbage collector's full passes (``gc.freeze``). These ~70,000 objects live as long as the
    process; without this every full collection re-scans them, a pause of milliseconds that lands
    on a random document. The young generation is also allowed to grow to 10,000 objects before
    it is collected (Python's default is 700): a document allocates thousands of short-lived,
    acyclic objects (element proxies, located values) that reference counting frees anyway, and
    the frequent young collections cost about 2 % of the validation's instructions (measured with
    bench/icount.py: 9.35 → 9.18 M per document; 50,000 gains nothing more). Runs once, on the
    first document, or earlier when a worker calls it."""
    global _warmed
    if not _warmed:
        load_all()
        structure.preload()
        gc.freeze()
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(YOUNG_GENERATION_THRESHOLD, older, oldest)
        _warmed = True


def _process(data: bytes, *, max_bytes: int) -> Outcome:
    if not _warmed:
        warm_up()
    parsed = intake.parse(data, max_bytes=max_bytes)
    if isinstance(parsed, intake.IntakeError):
        return _reject("not-wellformed", _finding(parsed.code, parsed.message_de, parsed.message_en))
    root = parsed.root
    syntax = detect(root)
    if syntax is None:
        tag = root.tag if isinstance(root.tag, str) else "?"
        return _reject(
            "no-scenario",
            _finding(
                "EINV-SCENARIO-ROOT",
                f"Das Wurzelelement {tag} ist keine Rechnung. Erwartet: UBL 2.1 Invoice oder "
                "CreditNote, oder UN/CEFACT CrossIndustryInvoice (D16B).",
                f"The root element {tag} is not an invoice. Expected: UBL 2.1 Invoice or "
                "CreditNote, or UN/CEFACT CrossIndustryInvoice (D16B).",
            ),
        )
    found = scenario.matching(root, syntax)
    if len(found) != 1:
        spec = specification_identifier(root, syntax)
        accepted = ", ".join(scenario.ACCEPTED_IDENTIFIERS)
        what_de = "keinem" if not found else "mehreren"
        what_en = "no" if not found else "several"
        return _reject(
            "no-scenario",
            _finding(
                "EINV-SCENARIO-NONE" if not found else "EINV-SCENARIO-SEVERAL",
                f"Die Spezifikationskennung (BT-24) '{spec}' passt zu {what_de} Prüfszenario. "
                f"Angenommen werden: {accepted}.",
                f"The specification identifier (BT-24) '{spec}' matches {what_en} validation "
                f"scenario. Accepted identifiers: {accepted}.",
            ),
            syntax=syntax,
        )
    sc = found[0]
    struct = structure.check(root, syntax)
    if any(f.level == "error" for f in struct):
        return Outcome(
            report=Report(verdict="reject", scenario=sc.name, syntax=syntax, reason="structure",
                          findings=struct),
            syntax=syntax,
        )
    invoice = readers.read(root, syntax)
    load_all()
    findings = struct + engine.run(Context(invoice=invoice, root=root, syntax=syntax, scenario=sc))
    rep = report_from(findings, scenario=sc.name, syntax=syntax, reason_if_error="rules")
    return Outcome(report=rep, invoice=invoice, syntax=syntax)


def validate(data: bytes) -> Report:
    """The official validator's verdict on one document, with our findings."""
    return process(data).report


def convert(data: bytes) -> Invoice | intake.IntakeError | Finding:
    """Read a document into the model without validating it (for `einvoice convert`)."""
    parsed = intake.parse(data)
    if isinstance(parsed, intake.IntakeError):
        return parsed
    syntax = detect(parsed.root)
    if syntax is None:
        return _finding("EINV-SCENARIO-ROOT", "Keine Rechnung.", "Not an invoice.")
    return readers.read(parsed.root, syntax)
