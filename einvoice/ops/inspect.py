"""Queue depths, and a walk over a queue that leaves every message where it was.

The walk takes messages with ``basic.get`` and manual acknowledgement and holds them unacked; a
held message is not handed out again, so the walk sees each message once and stops at the depth
it found when it started. At the end every message not explicitly acknowledged is rejected with
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


class QueueWalk:
    """Hold the messages of one queue unacked, one at a time; give back all unacked at the end.

    Use as a context manager: leaving it (normally or by an exception) requeues whatever was not
    acknowledged with ``ack``.
    """

    def __init__(self, channel: Any, queue: str, *, max_messages: int | None = None) -> None:
        self.channel = channel
        self.queue = queue
        self.depth = int(channel.queue_declare(queue=queue, passive=True).method.message_count)
        self.budget = self.depth if max_messages is None else min(self.depth, max_messages)
        self._taken = 0
        self._outstanding = 0
        self._exhausted = False

    def _get(self) -> tuple[Any, Any, bytes] | None:
        if self._exhausted or self._taken >= self.depth:
            return None
        method, props, body = self.channel.basic_get(queue=self.queue, auto_ack=False)
        if method is None:
            self._exhausted = True  # someone else took the rest
            return None
        self._taken += 1
        self._outstanding += 1
        return method, props, body

    def __iter__(self) -> Iterator[Held]:
        while self._taken < self.budget:
            got = self._get()
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
        # Take the rest too, so that the returned messages line up in their old order.
        while self._outstanding and self._get() is not None:
            pass
        if self._outstanding:
            # Tag 0 with multiple: every unacknowledged delivery of this channel, in order.
            self.channel.basic_nack(delivery_tag=0, multiple=True, requeue=True)
        self._outstanding = 0

    def __enter__(self) -> QueueWalk:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()
