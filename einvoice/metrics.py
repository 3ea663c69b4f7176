"""Prometheus metrics and health endpoints for the worker.

``Metrics`` is a ``worker.Hooks``: the worker reports every settled message and every change of
its broker connection; ``instrument(worker, metrics)`` also wraps the handler's pipeline to see
each report's findings. ``serve(metrics, port)`` starts a small HTTP server in a daemon thread:

* ``/metrics``: the Prometheus text format;
* ``/healthz``: 200 while the process serves HTTP at all (liveness);
* ``/readyz``: 200 while connected to the broker and consuming, 503 otherwise (readiness).

Metric names (all prefixed ``einvoice_``):

* ``invoices_total{outcome,municipality}``: settled messages by final outcome (accepted,
  rejected, unroutable, failed, passed); municipality is the routing table's id or "" ;
* ``findings_total{rule,level}``: findings of settled accepted/rejected/unroutable invoices;
* ``processing_seconds{outcome}``: histogram, delivery to settlement (ack) per message;
* ``retries_total``: failed attempts sent to the retry queue; ``requeued_total``: messages
  handed back to the broker because not even the retry/failed queue took them;
* ``broker_reconnects_total``: consuming again after a lost connection;
  ``broker_connection_lost_total``; ``consuming``: 1 while consuming (the readiness signal).

Labels carry ids and codes only; their number is bounded by the routing table and the rules.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from einvoice.pipeline import Outcome as PipelineOutcome
from einvoice.worker.envelope import sha256_hex
from einvoice.worker.hooks import Hooks

FINAL_OUTCOMES = frozenset({"accepted", "rejected", "unroutable", "failed", "passed"})
REPORTED_OUTCOMES = frozenset({"accepted", "rejected", "unroutable"})
DURATION_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Findings wait here from the pipeline until their message settles; a message whose connection
# dies before that never settles, so the stash is bounded (oldest dropped).
MAX_PENDING = 10_000


class Metrics(Hooks):
    """Counters fed by the worker's hooks; one registry per instance (tests make several)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.invoices = Counter("einvoice_invoices", "Settled messages by final outcome and "
                                "municipality", ["outcome", "municipality"], registry=r)
        self.findings = Counter("einvoice_findings", "Findings of settled invoices by rule id and "
                                "level", ["rule", "level"], registry=r)
        self.duration = Histogram("einvoice_processing_seconds", "Delivery to settlement per "
                                  "message", ["outcome"], buckets=DURATION_BUCKETS, registry=r)
        self.retries = Counter("einvoice_retries", "Failed attempts sent to the retry queue",
                               registry=r)
        self.requeued = Counter("einvoice_requeued", "Messages handed back to the broker",
                                registry=r)
        self.reconnects = Counter("einvoice_broker_reconnects", "Consuming again after a lost "
                                  "broker connection", registry=r)
        self.lost = Counter("einvoice_broker_connection_lost", "Broker connections lost",
                            registry=r)
        self.consuming = Gauge("einvoice_consuming", "1 while connected and consuming", registry=r)
        self._consumed_before = False
        self._ready = threading.Event()
        self._pending: OrderedDict[str, list[tuple[str, str]]] = OrderedDict()
        self._lock = threading.Lock()

    # ---- hooks ----------------------------------------------------------------------------

    def message_done(self, outcome: str, duration_s: float, fields: Mapping[str, Any]) -> None:
        sha = fields.get("sha256")
        with self._lock:
            found = self._pending.pop(sha, None) if isinstance(sha, str) else None
        self.duration.labels(outcome).observe(duration_s)
        if outcome == "retry":
            self.retries.inc()
        elif outcome == "requeued":
            self.requeued.inc()
        elif outcome in FINAL_OUTCOMES:
            muni = fields.get("municipality")
            self.invoices.labels(outcome, muni if isinstance(muni, str) else "").inc()
            if outcome in REPORTED_OUTCOMES and found:
                for rule, level in found:
                    self.findings.labels(rule, level).inc()

    def connection_state(self, state: str) -> None:
        if state == "consuming":
            if self._consumed_before:
                self.reconnects.inc()
            self._consumed_before = True
            self.consuming.set(1)
            self._ready.set()
            return
        if state == "lost":
            self.lost.inc()
        self.consuming.set(0)
        self._ready.clear()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    # ---- pipeline -------------------------------------------------------------------------

    def observe_pipeline(self, pipeline: Callable[[bytes], PipelineOutcome]
                         ) -> Callable[[bytes], PipelineOutcome]:
        """``pipeline`` that remembers each report's findings until its message settles."""

        def observed(data: bytes) -> PipelineOutcome:
            out = pipeline(data)
            key = sha256_hex(data)  # the handler hashed this body just before: no second pass
            with self._lock:
                self._pending[key] = [(f.rule, f.level) for f in out.report.findings]
                self._pending.move_to_end(key)
                while len(self._pending) > MAX_PENDING:
                    self._pending.popitem(last=False)
            return out

        return observed

    def exposition(self) -> bytes:
        data: bytes = generate_latest(self.registry)
        return data


class _Chain(Hooks):
    """Several hooks (e.g. a test's recorder and the metrics) behind one."""

    def __init__(self, *hooks: Hooks) -> None:
        self.hooks = hooks

    def message_done(self, outcome: str, duration_s: float, fields: Mapping[str, Any]) -> None:
        for h in self.hooks:
            h.message_done(outcome, duration_s, fields)

    def connection_state(self, state: str) -> None:
        for h in self.hooks:
            h.connection_state(state)


def instrument(worker: Any, metrics: Metrics) -> Metrics:
    """Attach ``metrics`` to a ``worker.Worker`` (before ``run``): its hooks and, when the handler
    runs the validation pipeline, the pipeline (for findings by rule)."""
    current = getattr(worker, "hooks", None)
    worker.hooks = metrics if current is None or type(current) is Hooks else _Chain(current, metrics)
    handler = getattr(worker, "handler", None)
    pipeline = getattr(handler, "pipeline", None)
    if handler is not None and callable(pipeline):
        handler.pipeline = metrics.observe_pipeline(pipeline)
    return metrics


@dataclass
class Server:
    httpd: ThreadingHTTPServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def serve(metrics: Metrics, port: int, host: str = "0.0.0.0") -> Server:  # noqa: S104
    """Serve /metrics, /healthz and /readyz on ``host:port`` (0: any free port) in a thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server interface
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(200, metrics.exposition(), CONTENT_TYPE_LATEST)
            elif path == "/healthz":
                self._send(200, b"ok\n")
            elif path == "/readyz":
                if metrics.ready:
                    self._send(200, b"ready\n")
                else:
                    self._send(503, b"not consuming\n")
            else:
                self._send(404, b"not found\n")

        def _send(self, status: int, body: bytes, ctype: str = "text/plain; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # scrapes every few seconds would drown the worker's own log lines

    httpd = ThreadingHTTPServer((host, port), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="einvoice-metrics", daemon=True)
    thread.start()
    return Server(httpd, thread)


def port_from_env(env: Mapping[str, str]) -> int | None:
    """EINVOICE_METRICS_PORT: unset or empty = no endpoint."""
    raw = env.get("EINVOICE_METRICS_PORT", "").strip()
    if not raw:
        return None
    try:
        port = int(raw)
    except ValueError:
        raise ValueError(f"EINVOICE_METRICS_PORT={raw!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"EINVOICE_METRICS_PORT={port} is not a port number")
    return port


def start_for(worker: Any, port: int | None, env: Mapping[str, str] | None = None) -> Server | None:
    """The worker command's endpoint: ``port`` or $EINVOICE_METRICS_PORT (none: no endpoint),
    on $EINVOICE_METRICS_HOST (default all interfaces). Raises ValueError/OSError."""
    e = os.environ if env is None else env
    chosen = port if port is not None else port_from_env(e)
    if chosen is None:
        return None
    metrics = instrument(worker, Metrics())
    return serve(metrics, chosen, e.get("EINVOICE_METRICS_HOST", "").strip() or "0.0.0.0")  # noqa: S104
