"""Every exchange and queue name, their arguments, and their idempotent declaration.

All names live here so operations tools (replay, failed-message inspection, definitions export)
use the same ones:

* exchange ``<p>.inbound`` (fanout; publishers publish here) → queue ``<p>.inbound``;
* ``<p>.accounting.<municipality>``: one queue per municipality of the routing table;
* ``<p>.rejected``: invoices the validator rejects, with the full report;
* ``<p>.unroutable``: valid invoices whose Leitweg-ID is missing, malformed, has wrong check
  digits or names no municipality;
* ``<p>.retry``: failed attempts wait here (queue TTL), then dead-letter back to ``<p>.inbound``;
* exchange ``<p>.dlx`` (fanout) → ``<p>.failed``: messages whose attempts are spent, published
  there by the worker with the error in a header, or dead-lettered by the broker when a quorum
  queue's delivery limit is reached (input that keeps killing the worker).

Queues are durable, quorum where the broker has them (RabbitMQ ≥ 3.10 for TTL and
dead-lettering on quorum queues), classic otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from einvoice.routing.table import RoutingTable
from einvoice.worker.config import WorkerConfig

# Headers the worker owns on retried and failed messages.
ATTEMPTS_HEADER = "x-einvoice-attempts"
ERROR_HEADER = "x-einvoice-error"
FAILED_AT_HEADER = "x-einvoice-failed-at"
FIRST_FAILED_AT_HEADER = "x-einvoice-first-failed-at"  # the first failed attempt (ops: `failed list`)
# When the worker first received the message: a retried invoice keeps its first receipt time in
# the envelope's received_at (the receipt date matters for payment terms), not its last attempt.
FIRST_RECEIVED_AT_HEADER = "x-einvoice-first-received-at"
INTERNAL_HEADERS = frozenset({ATTEMPTS_HEADER, ERROR_HEADER, FAILED_AT_HEADER,
                              FIRST_FAILED_AT_HEADER, FIRST_RECEIVED_AT_HEADER, "x-death",
                              "x-first-death-exchange", "x-first-death-queue",
                              "x-first-death-reason", "x-delivery-count"})


@dataclass(frozen=True)
class Names:
    """The names under one prefix (EINVOICE_QUEUE_PREFIX)."""

    prefix: str

    @property
    def inbound_exchange(self) -> str:
        return f"{self.prefix}.inbound"

    @property
    def inbound(self) -> str:
        return f"{self.prefix}.inbound"

    @property
    def rejected(self) -> str:
        return f"{self.prefix}.rejected"

    @property
    def unroutable(self) -> str:
        return f"{self.prefix}.unroutable"

    @property
    def retry(self) -> str:
        return f"{self.prefix}.retry"

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.prefix}.dlx"

    @property
    def failed(self) -> str:
        return f"{self.prefix}.failed"

    def accounting(self, municipality_id: str) -> str:
        return f"{self.prefix}.accounting.{municipality_id}"

    def exchanges(self) -> list[str]:
        return [self.inbound_exchange, self.dead_letter_exchange]

    def fixed_queues(self) -> list[str]:
        return [self.inbound, self.rejected, self.unroutable, self.retry, self.failed]

    def queues(self, table: RoutingTable | None) -> list[str]:
        extra = [self.accounting(m.id) for m in table.municipalities] if table else []
        return self.fixed_queues() + extra


@dataclass(frozen=True)
class QueueSpec:
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ExchangeSpec:
    name: str
    type: Literal["fanout", "direct", "topic"]


@dataclass(frozen=True)
class BindingSpec:
    exchange: str
    queue: str
    routing_key: str = ""


@dataclass(frozen=True)
class Plan:
    exchanges: list[ExchangeSpec]
    queues: list[QueueSpec]
    bindings: list[BindingSpec]


def supports_quorum(server_properties: dict[Any, Any] | None) -> bool:
    """Quorum queues with message TTL and dead-lettering: RabbitMQ 3.10 or later."""
    raw = (server_properties or {}).get("version", b"")
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    try:
        major, minor = (int(x) for x in text.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= (3, 10)


def plan(names: Names, table: RoutingTable | None, *, quorum: bool, retry_delay_ms: int,
         delivery_limit: int) -> Plan:
    """What to declare. ``table`` None declares only the fixed part (e.g. for publishers)."""
    def args(**extra: Any) -> dict[str, Any]:
        base: dict[str, Any] = {"x-queue-type": "quorum"} if quorum else {}
        return {**base, **extra}

    inbound_args = args(**{"x-dead-letter-exchange": names.dead_letter_exchange})
    if quorum:
        inbound_args["x-delivery-limit"] = delivery_limit
    queues = [
        QueueSpec(names.inbound, inbound_args),
        QueueSpec(names.rejected, args()),
        QueueSpec(names.unroutable, args()),
        QueueSpec(names.retry, args(**{
            "x-message-ttl": retry_delay_ms,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": names.inbound,
        })),
        QueueSpec(names.failed, args()),
    ]
    if table is not None:
        queues += [QueueSpec(names.accounting(m.id), args()) for m in table.municipalities]
    return Plan(
        exchanges=[ExchangeSpec(names.inbound_exchange, "fanout"),
                   ExchangeSpec(names.dead_letter_exchange, "fanout")],
        queues=queues,
        bindings=[BindingSpec(names.inbound_exchange, names.inbound),
                  BindingSpec(names.dead_letter_exchange, names.failed)],
    )


class BlockingChannel(Protocol):
    """The part of pika's BlockingChannel that declaration needs."""

    def exchange_declare(self, exchange: str, exchange_type: str = ..., passive: bool = ...,
                         durable: bool = ..., auto_delete: bool = ..., internal: bool = ...,
                         arguments: dict[str, Any] | None = ...) -> Any: ...

    def queue_declare(self, queue: str, passive: bool = ..., durable: bool = ...,
                      exclusive: bool = ..., auto_delete: bool = ...,
                      arguments: dict[str, Any] | None = ...) -> Any: ...

    def queue_bind(self, queue: str, exchange: str, routing_key: str | None = ...,
                   arguments: dict[str, Any] | None = ...) -> Any: ...


def declare(channel: BlockingChannel, p: Plan) -> None:
    """Declare everything in ``p`` on a blocking channel (idempotent for the same arguments)."""
    for ex in p.exchanges:
        channel.exchange_declare(exchange=ex.name, exchange_type=ex.type, durable=True)
    for q in p.queues:
        channel.queue_declare(queue=q.name, durable=True, arguments=q.arguments)
    for b in p.bindings:
        channel.queue_bind(queue=b.queue, exchange=b.exchange, routing_key=b.routing_key)


def use_quorum(queue_type: str, server_properties: dict[Any, Any] | None) -> bool:
    if queue_type != "auto":
        return queue_type == "quorum"
    return supports_quorum(server_properties)


def declare_on(connection: Any, config: WorkerConfig, *, table: RoutingTable | None) -> Plan:
    """Declare the topology for ``config`` on an open pika BlockingConnection; the plan used."""
    props = getattr(getattr(connection, "_impl", None), "server_properties", None)
    p = plan(Names(config.prefix), table, quorum=use_quorum(config.queue_type, props),
             retry_delay_ms=config.retry_delay_ms, delivery_limit=config.delivery_limit)
    channel = connection.channel()
    try:
        declare(channel, p)
    finally:
        if channel.is_open:
            channel.close()
    return p


def delete(channel: Any, names: Names, queues: Iterable[str]) -> None:
    """Delete the given queues and the prefix's exchanges (tests, decommissioning)."""
    for q in queues:
        channel.queue_delete(queue=q)
    for ex in names.exchanges():
        channel.exchange_delete(exchange=ex)
