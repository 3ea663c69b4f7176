"""Replay parked messages: their original document goes back to ``<prefix>.inbound``.

For each selected message, in queue order: rebuild the original inbound message (raw document,
the publisher's message id, correlation id, app id and headers), add the replay bookkeeping
headers, publish it to the inbound exchange on a channel in confirm mode with ``mandatory`` and
wait for the broker's confirm, and only then acknowledge the parked message. A crash between the
two leaves the parked message unacknowledged, so the broker requeues it: the worst case is the
same document twice on inbound, with the same SHA-256 (the downstream idempotency key), never a
lost one. Messages that are not selected are held unacked during the walk and requeued at the
end (see ``inspect.QueueWalk``). ``dry_run`` selects and reports but publishes and acknowledges
nothing. Every replayed message yields one audit record.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pika
import pika.exceptions

from einvoice.ops.inspect import QueueWalk
from einvoice.ops.messages import (
    REPLAYED_AT_HEADER,
    REPLAYED_BY_HEADER,
    REPLAYED_FROM_HEADER,
    REPLAYS_HEADER,
    NotReplayable,
    ParkedQueue,
    Summary,
    original,
    queue_name,
    summarize,
)
from einvoice.routing.table import RoutingTable
from einvoice.worker.topology import Names

MAX_AUDIT_REASON = 300


@dataclass
class Selection:
    """Which parked messages to replay; empty criteria select everything."""

    ids: list[str] = field(default_factory=list)
    reason: str | None = None
    municipality: str | None = None
    limit: int | None = None

    def matches(self, s: Summary) -> bool:
        if self.ids and not any(s.matches_id(i) for i in self.ids):
            return False
        if self.reason and not s.matches_reason(self.reason):
            return False
        return not (self.municipality and s.municipality != self.municipality)


@dataclass
class Item:
    summary: Summary
    action: str  # replayed | would-replay | not-replayable | failed
    error: str | None = None
    replays: int | None = None


@dataclass
class Result:
    queue: str
    scanned: int = 0
    items: list[Item] = field(default_factory=list)
    error: str | None = None

    @property
    def replayed(self) -> int:
        return sum(1 for i in self.items if i.action == "replayed")

    @property
    def selected(self) -> int:
        return len(self.items)


class ReplayError(Exception):
    """The broker did not take a replayed message; the parked original stays where it was."""


AuditSink = Callable[[dict[str, Any]], None]


def _properties(kind: ParkedQueue, props: Any, body: bytes, *, by: str, at: str, from_queue: str
                ) -> tuple[bytes, pika.BasicProperties, int]:
    orig = original(kind, props, body)
    replays = orig.replays + 1
    headers = {
        **orig.headers,
        REPLAYS_HEADER: replays,
        REPLAYED_BY_HEADER: by,
        REPLAYED_AT_HEADER: at,
        REPLAYED_FROM_HEADER: from_queue,
    }
    from einvoice.worker.envelope import sha256_hex

    out = pika.BasicProperties(
        content_type=orig.content_type,
        delivery_mode=pika.DeliveryMode.Persistent,
        message_id=orig.message_id or sha256_hex(orig.body),
        correlation_id=orig.correlation_id,
        app_id=orig.app_id,
        timestamp=int(time.time()),
        headers=headers,
    )
    return orig.body, out, replays


def replay(connection: pika.BlockingConnection, names: Names, kind: ParkedQueue,
           selection: Selection, *, by: str, dry_run: bool = False,
           table: RoutingTable | None = None, audit: AuditSink | None = None,
           on_item: Callable[[Item], None] | None = None) -> Result:
    """Replay the selected messages of one parked queue (see the module text for guarantees)."""
    queue = queue_name(names, kind)
    result = Result(queue=queue)
    ch = connection.channel()
    ch.confirm_delivery()
    try:
        with QueueWalk(ch, queue) as walk:
            for held in walk:
                result.scanned += 1
                s = summarize(kind, queue, held.position, held.props, held.body, table,
                              held.redelivered)
                if not selection.matches(s):
                    continue
                item = Item(s, "would-replay")
                try:
                    body, props, replays = _properties(
                        kind, held.props, held.body, by=by,
                        at=datetime.now(UTC).isoformat(), from_queue=queue)
                except NotReplayable as exc:
                    item.action, item.error = "not-replayable", str(exc)
                    body, props, replays = b"", pika.BasicProperties(), 0
                item.replays = replays if item.action == "would-replay" else None
                if item.action == "would-replay" and not dry_run:
                    try:
                        ch.basic_publish(exchange=names.inbound_exchange, routing_key="",
                                         body=body, properties=props, mandatory=True)
                    except pika.exceptions.UnroutableError:
                        item.action, item.error = "failed", (
                            f"no queue bound to {names.inbound_exchange}: declare the topology")
                    except pika.exceptions.NackError:
                        item.action, item.error = "failed", "the broker refused the message (nack)"
                    else:
                        walk.ack(held)
                        item.action = "replayed"
                        if audit is not None:
                            audit(audit_record(item, props, by=by, selection=selection))
                result.items.append(item)
                if on_item is not None:
                    on_item(item)
                if item.action == "failed":
                    result.error = item.error
                    break  # the broker refuses: stop, the rest stays parked
                if selection.limit is not None and result.selected >= selection.limit:
                    break
    finally:
        if ch.is_open:
            ch.close()
    return result


def audit_record(item: Item, props: pika.BasicProperties, *, by: str,
                 selection: Selection) -> dict[str, Any]:
    """One audit line per replayed message: ids and codes, no names or addresses."""
    s = item.summary
    headers = props.headers or {}
    return {
        "event": "message_replayed",
        "message_id": props.message_id,
        "sha256": s.sha256,
        "from_queue": s.queue,
        "invoice_number": s.invoice_number,
        "leitweg_id": s.leitweg_id,
        "municipality": s.municipality,
        "parked_reason": s.reason[:MAX_AUDIT_REASON],
        "replays": item.replays,
        "replayed_by": by,
        "replayed_at": headers.get(REPLAYED_AT_HEADER),
        "selection": {"ids": selection.ids or None, "reason": selection.reason,
                      "municipality": selection.municipality, "limit": selection.limit},
    }
