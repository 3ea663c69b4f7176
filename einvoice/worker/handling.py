"""What the worker does with one inbound message, free of any connection handling.

``InvoiceHandler`` validates and converts the document, routes it by Leitweg-ID and builds the
outbound message: the envelope, to the municipality's accounting queue, to ``rejected`` or to
``unroutable``. ``PassThroughHandler`` forwards the raw body with the same acks and confirms: the
ceiling the benchmark compares the real path with.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import pika

from einvoice.pipeline import Outcome as PipelineOutcome
from einvoice.pipeline import process
from einvoice.routing.table import Route, Router
from einvoice.worker.envelope import (
    DocumentInfo,
    Envelope,
    MunicipalityRef,
    RoutingInfo,
    SourceInfo,
    sha256_hex,
    to_json,
)
from einvoice.worker.topology import ATTEMPTS_HEADER, INTERNAL_HEADERS, Names

APP_ID = "einvoice-worker"

# Findings that mean our validator broke, not the supplier's invoice: such a verdict cannot be
# trusted either way (a rule that could not run might have rejected it), so the document is a
# processing failure (retried, then parked in `failed` for the admins), never `rejected`.
VALIDATOR_FAILURES = frozenset({"EINV-INTERNAL", "EINV-RULE-FAILED"})


class ValidatorFailure(RuntimeError):
    """The pipeline reported that it could not check the document completely."""


@dataclass
class Inbound:
    """One delivery as the handler sees it."""

    body: bytes
    message_id: str | None = None
    app_id: str | None = None
    correlation_id: str | None = None
    headers: dict[str, Any] = field(default_factory=dict)
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def from_amqp(cls, body: bytes, props: pika.BasicProperties) -> Inbound:
        return cls(
            body=body,
            message_id=props.message_id,
            app_id=props.app_id,
            correlation_id=props.correlation_id,
            headers=dict(props.headers or {}),
        )

    def carried_headers(self) -> dict[str, Any]:
        """The publisher's own headers, without the worker's retry bookkeeping."""
        return {k: v for k, v in self.headers.items() if k not in INTERNAL_HEADERS}


@dataclass
class Publication:
    """The one message to publish for an inbound message, and its canonical log fields."""

    exchange: str
    routing_key: str
    body: bytes
    properties: pika.BasicProperties
    outcome: str
    log: dict[str, Any] = field(default_factory=dict)


class Handler(Protocol):
    def handle(self, msg: Inbound) -> Publication: ...


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _raw(value: Any) -> str | None:
    raw = getattr(value, "raw", None)
    return raw if isinstance(raw, str) else None


class InvoiceHandler:
    """Validate, convert, route: the real path."""

    def __init__(self, names: Names, router: Router,
                 pipeline: Callable[[bytes], PipelineOutcome] = process) -> None:
        self.names = names
        self.router = router
        self.pipeline = pipeline
        if pipeline is process:
            # The rule modules load on first use; do it now, not on the first invoice.
            from einvoice.rules import load_all

            load_all()

    def handle(self, msg: Inbound) -> Publication:
        started = time.perf_counter()
        digest = sha256_hex(msg.body)
        result = self.pipeline(msg.body)
        rep = result.report
        broken = sorted({f.rule for f in rep.findings if f.rule in VALIDATOR_FAILURES})
        if broken:
            raise ValidatorFailure(
                f"validator could not check the document completely ({', '.join(broken)}): "
                + "; ".join(f.message_en for f in rep.findings if f.rule in VALIDATOR_FAILURES)[:500]
            )
        inv = result.invoice
        # A document we could not read has no Leitweg-ID to speak of: no routing verdict then.
        route = self.router.route(_raw(inv.buyer_reference)) if inv is not None else Route(None)
        if rep.verdict == "reject":
            outcome, queue = "rejected", self.names.rejected
        elif route.municipality is not None:
            outcome, queue = "accepted", self.names.accounting(route.municipality.id)
        else:
            outcome, queue = "unroutable", self.names.unroutable
        muni = route.municipality
        carried = msg.carried_headers()
        envelope = Envelope(
            outcome=outcome,
            invoice=inv,
            report=rep,
            # to_json writes the base64 text straight into the output.
            document=DocumentInfo(sha256=digest, syntax=result.syntax, size=len(msg.body), base64=""),
            routing=RoutingInfo(
                leitweg_id=route.leitweg_id,
                municipality=MunicipalityRef(id=muni.id, name=muni.name) if muni else None,
                matched_prefix=route.prefix,
                queue=queue,
                problem=route.problem,
                message_de=route.message_de,
                message_en=route.message_en,
            ),
            received_at=msg.received_at,
            processed_at=datetime.now(UTC),
            source=SourceInfo(
                message_id=msg.message_id,
                app_id=msg.app_id,
                correlation_id=msg.correlation_id,
                headers={k: _text(v) for k, v in carried.items()},
            ),
        )
        body = to_json(envelope, msg.body)
        headers = {
            **carried,
            "x-einvoice-outcome": outcome,
            "x-einvoice-verdict": rep.verdict,
        }
        if muni is not None:
            headers["x-einvoice-municipality"] = muni.id
        props = pika.BasicProperties(
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=digest,
            correlation_id=msg.correlation_id,
            app_id=APP_ID,
            type=f"einvoice.{outcome}",
            timestamp=int(time.time()),
            headers=headers,
        )
        errors = sum(1 for f in rep.findings if f.level == "error")
        log = {
            "sha256": digest,
            "syntax": result.syntax,
            "invoice_number": _raw(inv.number) if inv is not None else None,
            # BT-10 is free text: a malformed one may hold a person's name, so only IDs of
            # Leitweg-ID shape reach the log.
            "leitweg_id": route.leitweg_id if route.problem != "malformed" else None,
            "municipality": muni.id if muni else None,
            "route_problem": route.problem,
            "verdict": rep.verdict,
            "reason": rep.reason,
            "errors": errors,
            "warnings": len(rep.findings) - errors,
            "process_ms": round((time.perf_counter() - started) * 1000, 2),
        }
        return Publication("", queue, body, props, outcome, log)


class PassThroughHandler:
    """Forward the raw document unchanged to one queue (benchmark ceiling)."""

    def __init__(self, queue: str) -> None:
        self.queue = queue

    def handle(self, msg: Inbound) -> Publication:
        digest = sha256_hex(msg.body)
        props = pika.BasicProperties(
            content_type="application/xml",
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=digest,
            correlation_id=msg.correlation_id,
            app_id=APP_ID,
            headers=msg.carried_headers() or None,
        )
        return Publication("", self.queue, msg.body, props, "passed", {"sha256": digest})


def attempts_of(headers: Mapping[str, Any] | None) -> int:
    """Failed processing attempts so far, as counted in our own header."""
    raw = (headers or {}).get(ATTEMPTS_HEADER, 0)
    try:
        return max(0, int(raw))
    except (TypeError, ValueError):
        return 0
