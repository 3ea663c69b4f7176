"""The consumer loop: at-least-once from ``<prefix>.inbound`` to the next queue.

One pika SelectConnection, one channel in confirm mode, everything on the I/O loop's thread:

1. a delivery is handled (validated, converted, routed) and its result published with
   ``mandatory`` on the same channel;
2. confirms arrive asynchronously (often several at once, ``multiple``); a confirmed result
   marks its inbound delivery done;
3. inbound deliveries are acknowledged in delivery order, as one ``multiple`` ack up to the
   highest delivery whose predecessors are all settled. Nothing is acknowledged before its
   result is confirmed.

A result that is returned (no such queue) or nacked by the broker, and any exception while
handling, count as a failed attempt: the original message goes to ``<prefix>.retry`` with the
attempt count in a header and comes back after the queue's TTL; once the attempts are spent it
goes to ``<prefix>.failed`` (through the dead-letter exchange) with the error. If even that
publish fails, the delivery is rejected with requeue, so input is never dropped.

When the connection goes, all unacknowledged deliveries return to the queue on the broker's
side; the worker drops its bookkeeping (delivery tags belong to the dead channel, so nothing is
acknowledged twice), waits with exponential backoff and reconnects. A result whose confirm was
lost with the connection is published again on redelivery: consumers deduplicate on
``message_id`` (the document's SHA-256).

SIGTERM/SIGINT: cancel the consumer, let in-flight deliveries finish (results confirmed, inputs
acknowledged), close the connection.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from types import FrameType
from typing import Any

import pika
import pika.exceptions
import structlog
from pika.adapters.select_connection import SelectConnection
from pika.spec import Basic

from einvoice.routing.table import RoutingTable
from einvoice.worker import topology
from einvoice.worker.config import WorkerConfig
from einvoice.worker.envelope import sha256_hex
from einvoice.worker.handling import Handler, Inbound, attempts_of
from einvoice.worker.hooks import Hooks
from einvoice.worker.topology import (
    ATTEMPTS_HEADER,
    ERROR_HEADER,
    FAILED_AT_HEADER,
    FIRST_FAILED_AT_HEADER,
    FIRST_RECEIVED_AT_HEADER,
    Names,
)

log = structlog.get_logger("einvoice.worker")

DRAIN_TIMEOUT_S = 30.0
MAX_ERROR_CHARS = 2000


def _where(exc: BaseException) -> str:
    """The exception's type and where it was raised, without its message (which may quote
    names or account numbers from the document)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return type(exc).__name__
    code = tb.tb_frame.f_code
    return f"{type(exc).__name__} in {code.co_name} ({code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno})"


def first_received_at(headers: dict[str, Any] | None) -> datetime | None:
    """The first receipt time a retried message carries, if it is a valid aware timestamp."""
    raw = (headers or {}).get(FIRST_RECEIVED_AT_HEADER)
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    if not isinstance(raw, str):
        return None
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


class TopologyConflict(Exception):
    """A queue or exchange exists with other arguments than ours; an operator must decide."""


class State(Enum):
    PENDING = 0  # result published, not yet confirmed
    DONE = 1  # result confirmed: ack the delivery
    SETTLED = 2  # already rejected back to the queue: nothing more to do


@dataclass
class Delivery:
    tag: int
    body: bytes
    props: pika.BasicProperties
    started: float
    fields: dict[str, Any] = field(default_factory=dict)
    outcome: str = ""
    state: State = State.PENDING
    received_at: datetime | None = None


@dataclass
class Published:
    delivery: Delivery
    routing_key: str
    message_id: str | None
    # "result": the handler's output; "retry"/"failed": the original after a failed attempt.
    kind: str
    returned: bool = False


class Worker:
    """Consume, handle, publish with confirms, acknowledge; reconnect; stop on request."""

    def __init__(
        self,
        config: WorkerConfig,
        handler: Handler,
        *,
        table: RoutingTable | None = None,
        hooks: Hooks | None = None,
        before_consume: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.names = Names(config.prefix)
        self.handler = handler
        self.table = table
        self.hooks = hooks or Hooks()
        self.before_consume = before_consume
        self._stop = threading.Event()
        self._connection: SelectConnection | None = None
        self._channel: Any = None
        self._consumer_tag: str | None = None
        self._reset()

    # ---- public -------------------------------------------------------------------------

    def run(self, *, install_signal_handlers: bool = True) -> None:
        """Serve until stopped; reconnect with backoff when the broker goes away."""
        if install_signal_handlers and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
        delay = 0.5
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self._declare_topology()
                self._serve_once()
            except pika.exceptions.ChannelClosedByBroker as exc:
                if exc.reply_code == 406:  # PRECONDITION_FAILED: same name, other arguments
                    log.error("topology_conflict", error=str(exc)[:500])
                    raise TopologyConflict(str(exc)) from None
                log.warning("broker_unavailable", error=repr(exc)[:500])
            except (pika.exceptions.AMQPError, OSError) as exc:
                log.warning("broker_unavailable", error=repr(exc)[:500])
            if self._stop.is_set():
                break
            if time.monotonic() - started > 30:
                delay = 0.5  # it ran for a while: the next outage starts with a short wait
            log.info("reconnecting", delay_s=delay)
            self._stop.wait(delay)
            delay = min(delay * 2, self.config.reconnect_max_s)
        self.hooks.connection_state("stopped")
        log.info("worker_stopped")

    def request_stop(self) -> None:
        """Stop gracefully; safe from any thread and from signal handlers."""
        self._stop.set()
        conn = self._connection
        if conn is not None:
            # If the loop is already gone, run() sees _stop and ends anyway.
            with contextlib.suppress(Exception):
                conn.ioloop.add_callback_threadsafe(self._begin_shutdown)

    @property
    def in_flight(self) -> int:
        return len(self._deliveries)

    # ---- connection lifecycle ------------------------------------------------------------

    def _reset(self) -> None:
        self._deliveries: dict[int, Delivery] = {}
        self._order: deque[int] = deque()
        self._unconfirmed: OrderedDict[int, Published] = OrderedDict()
        self._seq = 0
        self._consumer_tag = None
        self._closing = False
        self._drain_deadline: float | None = None

    def _parameters(self) -> pika.URLParameters:
        params = pika.URLParameters(self.config.amqp_url)
        params.client_properties = {"connection_name": self.config.connection_name,
                                    "product": "einvoice-worker"}
        return params

    def _declare_topology(self) -> None:
        conn = pika.BlockingConnection(self._parameters())
        try:
            topology.declare_on(conn, self.config, table=self.table)
        finally:
            if conn.is_open:
                conn.close()

    def _serve_once(self) -> None:
        self._reset()
        conn = SelectConnection(
            self._parameters(),
            on_open_callback=self._on_connection_open,
            on_open_error_callback=self._on_open_error,
            on_close_callback=self._on_connection_closed,
        )
        self._connection = conn
        if self._stop.is_set():  # a stop that raced with connecting
            conn.ioloop.add_callback_threadsafe(self._begin_shutdown)
        try:
            conn.ioloop.start()
        finally:
            self._connection = None
            self._channel = None
            self._reset()

    def _on_open_error(self, conn: SelectConnection, err: BaseException | str) -> None:
        log.warning("connect_failed", error=str(err)[:500])
        conn.ioloop.stop()

    def _on_connection_open(self, conn: SelectConnection) -> None:
        conn.channel(on_open_callback=self._on_channel_open)

    def _on_connection_closed(self, conn: SelectConnection, reason: BaseException) -> None:
        self._channel = None
        self.hooks.connection_state("closed" if self._closing else "lost")
        if not self._closing:
            log.warning("connection_lost", error=str(reason)[:500], in_flight=len(self._deliveries))
        conn.ioloop.stop()

    def _on_channel_open(self, channel: Any) -> None:
        self._channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        channel.add_on_cancel_callback(self._on_consumer_cancelled)
        channel.confirm_delivery(ack_nack_callback=self._on_confirm, callback=self._on_confirm_ok)

    def _on_confirm_ok(self, _frame: Any) -> None:
        self._channel.basic_qos(prefetch_count=self.config.prefetch, callback=self._on_qos_ok)

    def _on_qos_ok(self, _frame: Any) -> None:
        if self._stop.is_set():
            self._begin_shutdown()
            return
        if self.before_consume is not None:
            self.before_consume()
        self._consumer_tag = self._channel.basic_consume(
            queue=self.names.inbound, on_message_callback=self._on_message, auto_ack=False)
        self.hooks.connection_state("consuming")
        log.info("consuming", queue=self.names.inbound, prefetch=self.config.prefetch,
                 connection=self.config.connection_name)

    def _on_channel_closed(self, _channel: Any, reason: BaseException) -> None:
        self._channel = None
        conn = self._connection
        if conn is None:
            return
        # When the whole connection goes, connection_lost says so; this is about the channel.
        if not self._closing and not isinstance(reason, pika.exceptions.ConnectionClosed):
            log.warning("channel_closed", error=str(reason)[:500])
        if conn.is_open:
            self._closing = self._closing or self._stop.is_set()
            conn.close()

    def _on_consumer_cancelled(self, _frame: Any) -> None:
        # The broker cancelled us (queue deleted): reconnecting declares the topology again.
        log.warning("consumer_cancelled_by_broker", queue=self.names.inbound)
        if self._connection is not None and self._connection.is_open:
            self._connection.close()

    # ---- shutdown -------------------------------------------------------------------------

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("stop_requested", signal=signal.Signals(signum).name)
        self.request_stop()

    def _begin_shutdown(self) -> None:
        if self._closing:
            return
        self._closing = True
        self._drain_deadline = time.monotonic() + DRAIN_TIMEOUT_S
        ch = self._channel
        if ch is not None and ch.is_open and self._consumer_tag is not None:
            ch.basic_cancel(self._consumer_tag, callback=lambda _f: self._maybe_close())
            self._consumer_tag = None
        else:
            self._maybe_close()
        if self._connection is not None:
            self._connection.ioloop.call_later(DRAIN_TIMEOUT_S, self._force_close)

    def _maybe_close(self) -> None:
        if not self._closing or self._deliveries:
            return
        self._close_connection()

    def _force_close(self) -> None:
        if self._deliveries:
            log.warning("drain_timeout", in_flight=len(self._deliveries))
        self._close_connection()

    def _close_connection(self) -> None:
        conn = self._connection
        if conn is not None and conn.is_open:
            conn.close()
        elif conn is not None and not conn.is_closing:
            conn.ioloop.stop()

    # ---- the message path -----------------------------------------------------------------

    def _on_message(self, channel: Any, method: Basic.Deliver, props: pika.BasicProperties,
                    body: bytes) -> None:
        d = Delivery(tag=method.delivery_tag, body=body, props=props, started=time.perf_counter())
        d.fields["message_id"] = props.message_id
        if method.redelivered:
            d.fields["redelivered"] = True
        self._deliveries[d.tag] = d
        self._order.append(d.tag)
        msg = Inbound.from_amqp(body, props)
        msg.received_at = d.received_at = first_received_at(props.headers) or datetime.now(UTC)
        try:
            pub = self.handler.handle(msg)
        except Exception as exc:  # noqa: BLE001 - any failure is an attempt, never a crash
            self._failed_attempt(d, f"{type(exc).__name__}: {exc}", log_error=_where(exc))
            return
        d.fields.update(pub.log)
        d.outcome = pub.outcome
        if len(pub.body) > self.config.max_message_bytes:
            # The broker would close the channel, the delivery would come back and do the same
            # again; the result cannot shrink, so no retries either.
            self._failed_attempt(d, f"result of {len(pub.body)} bytes exceeds the broker's maximum "
                                    f"message size ({self.config.max_message_bytes} bytes)", final=True)
            return
        self._publish(d, pub.exchange, pub.routing_key, pub.body, pub.properties, "result")

    def _publish(self, d: Delivery, exchange: str, routing_key: str, body: bytes,
                 props: pika.BasicProperties, kind: str) -> None:
        ch = self._channel
        if ch is None or not ch.is_open:
            return  # the delivery dies with the channel and comes back from the queue
        self._seq += 1
        self._unconfirmed[self._seq] = Published(d, routing_key, props.message_id, kind)
        ch.basic_publish(exchange=exchange, routing_key=routing_key, body=body,
                         properties=props, mandatory=True)

    def _on_return(self, _channel: Any, method: Basic.Return, props: pika.BasicProperties,
                   _body: bytes) -> None:
        # A return precedes the confirm of the same publish; mark the oldest matching one.
        for pub in self._unconfirmed.values():
            if (not pub.returned and pub.routing_key == method.routing_key
                    and pub.message_id == props.message_id):
                pub.returned = True
                pub.delivery.fields["return"] = f"{method.reply_code} {method.reply_text}"
                return

    def _on_confirm(self, frame: Any) -> None:
        m = frame.method
        acked = isinstance(m, Basic.Ack)
        if m.multiple:
            seqs = []
            for seq in self._unconfirmed:
                if seq > m.delivery_tag:
                    break
                seqs.append(seq)
        else:
            seqs = [m.delivery_tag] if m.delivery_tag in self._unconfirmed else []
        for seq in seqs:
            pub = self._unconfirmed.pop(seq)
            d = pub.delivery
            if acked and not pub.returned:
                d.state = State.DONE
                if pub.kind != "result":
                    d.outcome = pub.kind
                continue
            why = "returned: " + d.fields.get("return", "") if pub.returned else "nacked by broker"
            if pub.kind == "result":
                self._failed_attempt(d, f"publish to {pub.routing_key} {why}")
            else:
                # Even the retry/failed queue does not take it: give it back to the broker.
                self._requeue(d, f"publish to {pub.routing_key} {why}")
        self._flush_acks()

    def _failed_attempt(self, d: Delivery, error: str, log_error: str | None = None, *,
                        final: bool = False) -> None:
        """Send the original to retry or, attempts spent, to failed. ``error`` goes into the
        message header (next to the invoice itself); the log gets ``log_error`` when the error
        text may quote document content."""
        error = error[:MAX_ERROR_CHARS]
        attempts = attempts_of(d.props.headers) + 1
        headers = dict(d.props.headers or {})
        headers[ATTEMPTS_HEADER] = attempts
        headers[ERROR_HEADER] = error
        headers.setdefault(FIRST_FAILED_AT_HEADER, datetime.now(UTC).isoformat())
        if d.received_at is not None:
            headers.setdefault(FIRST_RECEIVED_AT_HEADER, d.received_at.isoformat())
        give_up = final or attempts >= self.config.max_attempts
        if give_up:
            headers[FAILED_AT_HEADER] = datetime.now(UTC).isoformat()
        p = d.props
        props = pika.BasicProperties(
            content_type=p.content_type, content_encoding=p.content_encoding,
            delivery_mode=pika.DeliveryMode.Persistent, message_id=p.message_id,
            correlation_id=p.correlation_id, app_id=p.app_id, type=p.type,
            timestamp=p.timestamp, headers=headers)
        d.fields.setdefault("sha256", sha256_hex(d.body))
        d.fields["error"] = log_error or error
        d.fields["attempt"] = attempts
        if give_up:
            self._publish(d, self.names.dead_letter_exchange, self.names.failed, d.body, props,
                          "failed")
        else:
            self._publish(d, "", self.names.retry, d.body, props, "retry")

    def _requeue(self, d: Delivery, error: str) -> None:
        ch = self._channel
        d.fields["error"] = error
        d.outcome = "requeued"
        d.state = State.SETTLED
        if ch is not None and ch.is_open:
            ch.basic_nack(delivery_tag=d.tag, multiple=False, requeue=True)

    def _flush_acks(self) -> None:
        ch = self._channel
        last_done: int | None = None
        finished: list[Delivery] = []
        while self._order:
            d = self._deliveries[self._order[0]]
            if d.state is State.PENDING:
                break
            self._order.popleft()
            del self._deliveries[d.tag]
            finished.append(d)
            if d.state is State.DONE:
                last_done = d.tag
        if last_done is not None and ch is not None and ch.is_open:
            ch.basic_ack(delivery_tag=last_done, multiple=True)
        now = time.perf_counter()
        for d in finished:
            self._log(d, now)
        if self._closing:
            self._maybe_close()

    def _log(self, d: Delivery, now: float) -> None:
        duration = now - d.started
        fields = d.fields
        fields["duration_ms"] = round(duration * 1000, 2)
        outcome = d.outcome or "unknown"
        if outcome in ("retry", "failed", "requeued"):
            log.warning("invoice_processed", outcome=outcome, **fields)
        else:
            log.info("invoice_processed", outcome=outcome, **fields)
        self.hooks.message_done(outcome, duration, fields)
