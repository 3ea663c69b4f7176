"""Queue depths, and a walk over a queue that leaves every message where it was.

The walk consumes with manual acknowledgement and holds the messages unacked; a held message is
not handed out again, so the walk sees each message once and stops at the depth it found when
it started. At the end every message not explicitly acknowledged is rejected with
requeue in one ``multiple`` nack; if the process dies instead, the broker requeues them when the
channel goes. Nothing is lost either way.

Order: a quorum queue (RabbitMQ 3.10) puts returned messages at its *tail*, a classic queue back
in their place. So a walk always takes the whole queue before it gives anything back, even when
the caller stopped early (``show`` found its message, ``--limit`` reached): the returned
messages then form the queue again in their old order. Only a message parked *while* a walk
holds the others, or a walk killed halfway, can change the order (the untouched rest then comes
first); no message is ever lost or duplicated by inspection. Quorum queues count each walk as a
delivery (``x-delivery-count``); the parked queues have no delivery limit, so that is harmless.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pika
import pika.exceptions

from einvoice.routing.table import RoutingTable
from einvoice.worker.topology import Names


@dataclass
class QueueDepth:
    queue: str
    role: str
    messages: int | None  # None: the queue does not exist
    consumers: int | None


def roles(names: Names, table: RoutingTable | None) -> list[tuple[str, str]]:
    out = [
        (names.inbound, "inbound: waiting to be processed"),
        (names.retry, "retry: failed attempt, waiting for its next try"),
        (names.failed, "failed: attempts spent, needs an operator"),
        (names.rejected, "rejected: invalid invoice, report in the envelope"),
        (names.unroutable, "unroutable: valid, but no municipality for its Leitweg-ID"),
    ]
    if table is not None:
        out += [(names.accounting(m.id), f"accounting: {m.name}") for m in table.municipalities]
    return out


def depths(connection: pika.BlockingConnection, names: Names,
           table: RoutingTable | None) -> list[QueueDepth]:
    """Ready messages and consumers of every queue of the procedure (passive declares)."""
    out: list[QueueDepth] = []
    ch = connection.channel()
    for queue, role in roles(names, table):
        try:
            ok = ch.queue_declare(queue=queue, passive=True)
        except pika.exceptions.ChannelClosedByBroker as exc:
            if exc.reply_code != 404:
                raise
            out.append(QueueDepth(queue, role, None, None))
            ch = connection.channel()  # a failed passive declare closes the channel
            continue
        out.append(QueueDepth(queue, role, int(ok.method.message_count),
                              int(ok.method.consumer_count)))
    if ch.is_open:
        ch.close()
    return out


@dataclass
class Held:
    position: int  # 0 = head of the queue when the walk started
    tag: int
    props: pika.BasicProperties
    body: bytes
    redelivered: bool
    acked: bool = False


# A walk gives up waiting after this long without a delivery (someone else took the rest).
IDLE_TIMEOUT_S = 5.0
MAX_PREFETCH = 65535  # prefetch_count is a 16-bit field; 0 means unlimited


class QueueWalk:
    """Hold the messages of one queue unacked, one at a time; give back all unacked at the end.

    A consumer with a prefetch as large as the queue streams the messages (``basic.get`` costs a
    round trip, and a Raft command on quorum queues, per message). Use as a context manager:
    leaving it (normally or by an exception) requeues whatever was not acknowledged with ``ack``.
    """

    def __init__(self, channel: Any, queue: str, *, max_messages: int | None = None,
                 idle_timeout: float = IDLE_TIMEOUT_S) -> None:
        self.channel = channel
        self.queue = queue
        self.idle_timeout = idle_timeout
        self.depth = int(channel.queue_declare(queue=queue, passive=True).method.message_count)
        self.budget = self.depth if max_messages is None else min(self.depth, max_messages)
        self._taken = 0
        self._outstanding = 0
        self._buffer: deque[tuple[Any, Any, bytes]] = deque()
        self._consumer: str | None = None
        if self.depth:
            channel.basic_qos(prefetch_count=self.depth if self.depth <= MAX_PREFETCH else 0)
            self._consumer = channel.basic_consume(queue=queue, on_message_callback=self._on_message,
                                                   auto_ack=False)

    def _on_message(self, _ch: Any, method: Any, props: Any, body: bytes) -> None:
        self._outstanding += 1
        self._buffer.append((method, props, body))

    def _next(self) -> tuple[Any, Any, bytes] | None:
        if self._taken >= self.depth or self._consumer is None:
            return None
        deadline = time.monotonic() + self.idle_timeout
        while not self._buffer:
            if time.monotonic() > deadline or not self.channel.is_open:
                return None  # someone else took the rest
            self.channel.connection.process_data_events(time_limit=0.1)
        self._taken += 1
        return self._buffer.popleft()

    def __iter__(self) -> Iterator[Held]:
        while self._taken < self.budget:
            got = self._next()
            if got is None:
                return
            method, props, body = got
            yield Held(self._taken - 1, method.delivery_tag, props, body, bool(method.redelivered))

    def ack(self, held: Held) -> None:
        self.channel.basic_ack(delivery_tag=held.tag)
        held.acked = True
        self._outstanding -= 1

    def release(self) -> None:
        if not self.channel.is_open:
            return
        if self._consumer is not None:
            # Take the rest too, so that the returned messages line up in their old order ...
            while self._next() is not None:
                pass
            # ... and everything already on its way, before the consumer goes.
            self.channel.connection.process_data_events(time_limit=0)
            self.channel.basic_cancel(self._consumer)
            self._consumer = None
        if self._outstanding:
            # Tag 0 with multiple: every unacknowledged delivery of this channel, in order.
            self.channel.basic_nack(delivery_tag=0, multiple=True, requeue=True)
        self._outstanding = 0
        self._buffer.clear()

    def __enter__(self) -> QueueWalk:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()
