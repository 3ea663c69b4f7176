"""The consumer's bookkeeping with a fake channel: confirms in any order, nacks, returns.

The real broker mostly confirms in order; these cases make sure an inbound delivery is
acknowledged only when its own result (and every earlier delivery's) is settled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pika
from pika.spec import Basic

from einvoice.worker import Hooks, Worker, WorkerConfig
from einvoice.worker.handling import Inbound, Publication
from einvoice.worker.topology import ATTEMPTS_HEADER, ERROR_HEADER, FIRST_RECEIVED_AT_HEADER


@dataclass
class FakeChannel:
    published: list[tuple[str, str, bytes, pika.BasicProperties]] = field(default_factory=list)
    acks: list[tuple[int, bool]] = field(default_factory=list)
    nacks: list[tuple[int, bool]] = field(default_factory=list)
    is_open: bool = True

    def basic_publish(self, exchange: str, routing_key: str, body: bytes,
                      properties: pika.BasicProperties, mandatory: bool) -> None:
        assert mandatory
        self.published.append((exchange, routing_key, body, properties))

    def basic_ack(self, delivery_tag: int, multiple: bool) -> None:
        self.acks.append((delivery_tag, multiple))

    def basic_nack(self, delivery_tag: int, multiple: bool, requeue: bool) -> None:
        assert requeue
        self.nacks.append((delivery_tag, multiple))


class Echo:
    def handle(self, msg: Inbound) -> Publication:
        if msg.body == b"boom":
            raise ValueError("no")
        props = pika.BasicProperties(message_id=msg.body.decode(), delivery_mode=2)
        return Publication("", "out", msg.body, props, "accepted")


@dataclass
class Frame:
    method: Any


def worker(max_attempts: int = 3) -> tuple[Worker, FakeChannel]:
    w = Worker(WorkerConfig(prefix="t", max_attempts=max_attempts), Echo())
    ch = FakeChannel()
    w._channel = ch
    return w, ch


def deliver(w: Worker, tag: int, body: bytes, headers: dict[str, Any] | None = None) -> None:
    w._on_message(None, Basic.Deliver(delivery_tag=tag), pika.BasicProperties(
        message_id=f"in-{tag}", headers=headers), body)


def ack(w: Worker, seq: int, multiple: bool = False) -> None:
    w._on_confirm(Frame(Basic.Ack(delivery_tag=seq, multiple=multiple)))


def nack(w: Worker, seq: int) -> None:
    w._on_confirm(Frame(Basic.Nack(delivery_tag=seq, multiple=False)))


def test_acks_wait_for_confirms_and_go_in_order() -> None:
    w, ch = worker()
    for tag in (1, 2, 3, 4):
        deliver(w, tag, f"d{tag}".encode())
    assert [p[1] for p in ch.published] == ["out"] * 4 and ch.acks == []
    ack(w, 3)  # out of order: delivery 3 is done, 1 and 2 are not
    assert ch.acks == []
    ack(w, 1)
    assert ch.acks == [(1, True)]
    ack(w, 2)
    assert ch.acks == [(1, True), (3, True)]  # 2 and 3 together
    ack(w, 4, multiple=True)
    assert ch.acks[-1] == (4, True)
    assert w.in_flight == 0


def test_multiple_confirm_settles_a_range() -> None:
    w, ch = worker()
    for tag in (5, 6, 7):
        deliver(w, tag, f"d{tag}".encode())
    ack(w, 2, multiple=True)
    assert ch.acks == [(6, True)]
    ack(w, 3)
    assert ch.acks == [(6, True), (7, True)]


def test_nacked_result_goes_to_retry_and_the_input_waits_for_that() -> None:
    w, ch = worker()
    deliver(w, 1, b"d1")
    deliver(w, 2, b"d2")
    nack(w, 1)
    assert ch.published[-1][1] == "t.retry"
    retry_props = ch.published[-1][3]
    assert retry_props.headers[ATTEMPTS_HEADER] == 1
    assert "nacked" in retry_props.headers[ERROR_HEADER]
    assert retry_props.message_id == "in-1" and retry_props.delivery_mode == 2
    ack(w, 2)
    assert ch.acks == []  # delivery 1 is still open: its retry copy is not confirmed
    ack(w, 3)  # the retry copy
    assert ch.acks == [(2, True)]


def test_returned_result_is_a_failed_attempt() -> None:
    w, ch = worker()
    deliver(w, 1, b"d1")
    w._on_return(None, Basic.Return(reply_code=312, reply_text="NO_ROUTE", exchange="",
                                    routing_key="out"),
                 pika.BasicProperties(message_id="d1"), b"d1")
    ack(w, 1)  # the broker confirms returned messages too
    assert ch.acks == []
    assert ch.published[-1][1] == "t.retry"
    assert "312 NO_ROUTE" in ch.published[-1][3].headers[ERROR_HEADER]


def test_exhausted_attempts_go_to_failed_through_the_dlx() -> None:
    w, ch = worker(max_attempts=3)
    deliver(w, 1, b"boom", headers={ATTEMPTS_HEADER: 2, "keep": "x"})
    ex, key, body, props = ch.published[-1]
    assert (ex, key, body) == ("t.dlx", "t.failed", b"boom")
    assert props.headers[ATTEMPTS_HEADER] == 3
    assert props.headers["keep"] == "x"
    assert "ValueError: no" in props.headers[ERROR_HEADER]
    ack(w, 1)
    assert ch.acks == [(1, True)]


def test_when_even_retry_is_refused_the_input_is_requeued() -> None:
    w, ch = worker()
    deliver(w, 1, b"boom")
    deliver(w, 2, b"d2")
    nack(w, 1)  # the retry copy of delivery 1 is refused
    assert ch.nacks == [(1, False)]
    ack(w, 2)
    assert ch.acks == [(2, True)]  # a multiple ack over an already rejected tag is fine
    assert w.in_flight == 0


def test_no_channel_no_ack() -> None:
    w, ch = worker()
    deliver(w, 1, b"d1")
    ch.is_open = False
    ack(w, 1)
    assert ch.acks == []


def test_handler_errors_reach_the_header_but_not_the_log() -> None:
    logged: list[dict[str, Any]] = []

    class Spy(Hooks):
        def message_done(self, outcome: str, duration_s: float, fields: Any) -> None:
            logged.append(dict(fields))

    class Leaky:
        def handle(self, msg: Inbound) -> Publication:
            raise ValueError("account DE02120300000000202051 of Erika Mustermann")

    w = Worker(WorkerConfig(prefix="t"), Leaky(), hooks=Spy())
    ch = FakeChannel()
    w._channel = ch
    deliver(w, 1, b"x")
    assert "Erika Mustermann" in ch.published[-1][3].headers[ERROR_HEADER]
    ack(w, 1)
    assert logged and "Mustermann" not in str(logged[0])
    assert logged[0]["error"].startswith("ValueError in handle (")


class Stamp:
    """Records when each message counts as received; fails the first attempt if asked to."""

    def __init__(self, fail_first: bool) -> None:
        self.seen: list[datetime] = []
        self.fail_first = fail_first

    def handle(self, msg: Inbound) -> Publication:
        self.seen.append(msg.received_at)
        if self.fail_first and len(self.seen) == 1:
            raise ValueError("transient")
        return Publication("", "out", msg.body, pika.BasicProperties(delivery_mode=2), "accepted")


def test_a_retried_message_keeps_its_first_receipt_time() -> None:
    stamp = Stamp(fail_first=True)
    w = Worker(WorkerConfig(prefix="t", max_attempts=3), stamp)
    ch = FakeChannel()
    w._channel = ch
    deliver(w, 1, b"d1")
    _, key, _, props = ch.published[-1]
    assert key == "t.retry"
    first = stamp.seen[0]
    assert datetime.fromisoformat(props.headers[FIRST_RECEIVED_AT_HEADER]) == first
    # The retry copy comes back through inbound (queue TTL, dead-lettering) with its headers.
    deliver(w, 2, b"d1", headers=dict(props.headers))
    assert stamp.seen[1] == first
    carried = Inbound(body=b"", headers=dict(props.headers)).carried_headers()
    assert FIRST_RECEIVED_AT_HEADER not in carried  # bookkeeping, not the publisher's header


def test_a_malformed_first_receipt_header_is_ignored() -> None:
    stamp = Stamp(fail_first=False)
    w = Worker(WorkerConfig(prefix="t", max_attempts=3), stamp)
    w._channel = FakeChannel()
    before = datetime.now(UTC)
    deliver(w, 1, b"d1", headers={FIRST_RECEIVED_AT_HEADER: "yesterday"})
    deliver(w, 2, b"d2", headers={FIRST_RECEIVED_AT_HEADER: "2026-01-01T10:00:00"})  # no time zone
    assert len(stamp.seen) == 2 and all(t >= before for t in stamp.seen)
