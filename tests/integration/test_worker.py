"""The worker against the real RabbitMQ: routing, envelopes, failures, competing consumers."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pika
import pytest

from einvoice.pipeline import process
from einvoice.routing import Router, RoutingTable
from einvoice.worker import InvoiceHandler, WorkerConfig
from einvoice.worker.envelope import Envelope
from einvoice.worker.handling import Inbound, Publication
from einvoice.worker.publisher import InboundPublisher
from einvoice.worker.topology import ATTEMPTS_HEADER, ERROR_HEADER, Names

from .conftest import Doc
from .helpers import Got, blocking, count, counts, drain, unacked, wait_until, worker_thread

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def output_queues(names: Names, table: RoutingTable) -> list[str]:
    return [names.rejected, names.unroutable, names.failed,
            *(names.accounting(m.id) for m in table.municipalities)]


def collect(names: Names, table: RoutingTable, total: int, timeout: float = 60) -> list[Got]:
    conn = blocking()
    try:
        ch = conn.channel()
        queues = output_queues(names, table)
        assert wait_until(lambda: sum(counts(ch, queues).values()) >= total, timeout), \
            counts(ch, queues)
        got: list[Got] = []
        for q in queues:
            got += drain(ch, q)
        return got
    finally:
        conn.close()


def test_corpus_documents_land_in_the_right_queue(
    config: WorkerConfig, table: RoutingTable, corpus_docs: dict[str, list[Doc]]
) -> None:
    for outcome, docs in corpus_docs.items():
        assert docs, f"no corpus document for outcome {outcome} agrees with the oracle yet"
    docs = [d for group in corpus_docs.values() for d in group]
    names = Names(config.prefix)
    malformed = b"<Invoice><unclosed></Invoice>"
    handler = InvoiceHandler(names, Router(table))
    with worker_thread(config, handler, table) as (worker, rec):
        sent: dict[str, Doc | None] = {}
        with InboundPublisher(config.amqp_url, config.prefix) as pub:
            for i, d in enumerate(docs):
                mid = f"doc-{i}"
                pub.publish(d.data, message_id=mid, correlation_id=f"corr-{i}",
                            headers={"x-source-system": "test"})
                sent[mid] = d
            pub.publish(malformed, message_id="malformed")
            sent["malformed"] = None
        got = collect(names, table, len(sent))
        assert wait_until(lambda: worker.in_flight == 0, 10)
        assert unacked(names.inbound) == 0
    by_id = {g.json()["source"]["message_id"]: g for g in got}
    assert set(by_id) == set(sent), "every published document accounted for, exactly once"
    for mid, d in sent.items():
        g = by_id[mid]
        env = g.json()
        Envelope.model_validate(env)  # the published JSON is a valid envelope
        data = malformed if d is None else d.data
        digest = hashlib.sha256(data).hexdigest()
        assert g.props.message_id == digest
        assert g.props.content_type == "application/json"
        assert g.props.delivery_mode == 2
        assert env["document"]["sha256"] == digest
        assert base64.b64decode(env["document"]["base64"]) == data
        assert env["document"]["size"] == len(data)
        if d is None:
            assert g.queue == names.rejected
            assert env["report"]["reason"] == "not-wellformed"
            assert env["invoice"] is None
            continue
        assert env["source"]["correlation_id"] == g.props.correlation_id == f"corr-{mid[4:]}"
        assert env["source"]["headers"] == {"x-source-system": "test"}
        assert env["outcome"] == d.outcome, d.rel
        assert env["report"]["verdict"] == d.oracle["verdict"], d.rel
        if d.oracle["syntax"] in ("ubl-invoice", "ubl-creditnote", "cii"):
            assert env["document"]["syntax"] == d.oracle["syntax"], d.rel
        assert env["report"] == process(data).report.model_dump(mode="json")
        if d.outcome == "accepted":
            assert g.queue == names.accounting(d.municipality or "?"), d.rel
            assert env["routing"]["municipality"]["id"] == d.municipality
            assert env["invoice"] is not None
            assert env["routing"]["problem"] is None
        elif d.outcome == "rejected":
            assert g.queue == names.rejected, d.rel
            assert any(f["level"] == "error" for f in env["report"]["findings"])
        else:
            assert g.queue == names.unroutable, d.rel
            assert env["routing"]["problem"] in ("missing", "malformed", "unknown-state",
                                                 "check-digits", "no-municipality")
            assert env["routing"]["message_de"] and env["routing"]["message_en"]
    assert sorted(rec.outcomes) == sorted(
        ["rejected"] + [d.outcome for d in docs]), "one canonical settlement per message"


class Exploding:
    """Fails on bodies containing b'POISON', passes everything else to the real handler."""

    def __init__(self, inner: InvoiceHandler) -> None:
        self.inner = inner
        self.calls = 0

    def handle(self, msg: Inbound) -> Publication:
        if b"POISON" in msg.body:
            self.calls += 1
            raise RuntimeError("cannot digest this one")
        return self.inner.handle(msg)


def test_poison_message_ends_in_failed_and_does_not_block(
    config: WorkerConfig, table: RoutingTable, corpus_docs: dict[str, list[Doc]]
) -> None:
    names = Names(config.prefix)
    handler = Exploding(InvoiceHandler(names, Router(table)))
    good = corpus_docs["accepted"][:3]
    with worker_thread(config, handler, table) as (_worker, rec):
        with InboundPublisher(config.amqp_url, config.prefix) as pub:
            pub.publish(b"<POISON/>", message_id="poison", headers={"keep": "me"})
            for i, d in enumerate(good):
                pub.publish(d.data, message_id=f"good-{i}")
        got = collect(names, table, len(good) + 1)
    failed = [g for g in got if g.queue == names.failed]
    assert len(failed) == 1
    f = failed[0]
    assert f.body == b"<POISON/>"  # the original, ready for replay
    assert f.props.message_id == "poison"
    assert f.props.headers[ATTEMPTS_HEADER] == config.max_attempts
    assert "cannot digest this one" in f.props.headers[ERROR_HEADER]
    assert f.props.headers["keep"] == "me"
    assert f.props.delivery_mode == 2
    assert handler.calls == config.max_attempts
    assert rec.outcomes.count("retry") == config.max_attempts - 1
    assert rec.outcomes.count("failed") == 1
    # Good documents were not held up behind the poison (they finish before its retries).
    assert rec.outcomes.index("failed") > max(i for i, o in enumerate(rec.outcomes) if o == "accepted")


class ToNowhere:
    """Publishes results to a queue that does not exist: the broker returns them."""

    def handle(self, msg: Inbound) -> Publication:
        props = pika.BasicProperties(delivery_mode=2, message_id="x")
        return Publication("", "no-such-queue-einvoice-test", msg.body, props, "accepted")


def test_returned_publish_never_loses_the_input(config: WorkerConfig, table: RoutingTable) -> None:
    names = Names(config.prefix)
    with worker_thread(config, ToNowhere(), table) as (_worker, rec):
        with InboundPublisher(config.amqp_url, config.prefix) as pub:
            pub.publish(b"<doc/>", message_id="lonely")
        got = collect(names, table, 1)
    assert [g.queue for g in got] == [names.failed]
    assert got[0].body == b"<doc/>"
    assert "returned" in got[0].props.headers[ERROR_HEADER]
    assert rec.outcomes == ["retry"] * (config.max_attempts - 1) + ["failed"]


def test_competing_consumers_share_the_queue(
    config: WorkerConfig, table: RoutingTable, corpus_docs: dict[str, list[Doc]]
) -> None:
    names = Names(config.prefix)
    docs = [d for g in corpus_docs.values() for d in g]
    n = 120
    cfg = WorkerConfig(**{**config.__dict__, "prefetch": 4})
    with worker_thread(cfg, InvoiceHandler(names, Router(table)), table) as (_w1, rec1), \
            worker_thread(cfg, InvoiceHandler(names, Router(table)), table) as (_w2, rec2):
        with InboundPublisher(config.amqp_url, config.prefix) as pub:
            for i in range(n):
                pub.publish(docs[i % len(docs)].data, message_id=f"m-{i}")
        got = collect(names, table, n)
        assert wait_until(lambda: len(rec1.outcomes) + len(rec2.outcomes) == n, 10)
    ids = [g.json()["source"]["message_id"] for g in got]
    assert sorted(ids) == sorted(f"m-{i}" for i in range(n))
    assert rec1.outcomes and rec2.outcomes, (len(rec1.outcomes), len(rec2.outcomes))


def test_cli_topology_and_publish(config: WorkerConfig, table: RoutingTable, tmp_path: Any,
                                  monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    from einvoice.cli import main

    routing = tmp_path / "routing.toml"
    routing.write_text(
        '[procedure]\nname = "T"\n'
        + "".join(f'[[municipalities]]\nid = "{m.id}"\nname = "{m.name}"\nleitweg_ids = '
                  f'{list(m.leitweg_ids)!r}\n'.replace("'", '"') for m in table.municipalities),
        encoding="utf-8")
    monkeypatch.setenv("EINVOICE_QUEUE_PREFIX", config.prefix)
    monkeypatch.setenv("AMQP_URL", config.amqp_url)
    assert main(["topology", "declare", "--routing", str(routing)]) == 0
    assert main(["topology", "declare", "--routing", str(routing)]) == 0  # idempotent
    doc = tmp_path / "a.xml"
    doc.write_bytes(b"<a/>")
    assert main(["publish", str(doc), str(doc), "--header", "k=v"]) == 0
    out = capsys.readouterr().out
    assert out.count('"published": true') == 2
    names = Names(config.prefix)
    conn = blocking()
    try:
        ch = conn.channel()
        for q in names.queues(table):
            ch.queue_declare(queue=q, passive=True)
        assert count(ch, names.inbound) == 2
    finally:
        conn.close()
    assert main(["topology", "delete", "--routing", str(routing)]) == 2  # needs --yes


def test_existing_queue_with_other_arguments_stops_the_worker(
    config: WorkerConfig, table: RoutingTable
) -> None:
    from einvoice.worker import Worker
    from einvoice.worker.consumer import TopologyConflict

    names = Names(config.prefix)
    conn = blocking()
    try:
        conn.channel().queue_declare(queue=names.rejected, durable=True,
                                     arguments={"x-queue-type": "classic"})
    finally:
        conn.close()
    w = Worker(WorkerConfig(**{**config.__dict__, "queue_type": "quorum"}),
               InvoiceHandler(names, Router(table)), table=table)
    with pytest.raises(TopologyConflict):
        w.run(install_signal_handlers=False)


class Slow:
    def __init__(self, inner: InvoiceHandler) -> None:
        self.inner = inner

    def handle(self, msg: Inbound) -> Publication:
        import time

        time.sleep(0.005)
        return self.inner.handle(msg)


def test_graceful_stop_finishes_in_flight_and_loses_nothing(
    config: WorkerConfig, table: RoutingTable, corpus_docs: dict[str, list[Doc]]
) -> None:
    names = Names(config.prefix)
    docs = [d for g in corpus_docs.values() for d in g]
    n = 400
    queues = output_queues(names, table)
    with InboundPublisher(config.amqp_url, config.prefix) as pub:
        from einvoice.worker import topology

        topology.declare_on(pub.connection, config, table=table)
        for i in range(n):
            pub.publish(docs[i % len(docs)].data, message_id=f"m-{i}")
    conn = blocking()
    try:
        ch = conn.channel()
        with worker_thread(config, Slow(InvoiceHandler(names, Router(table))), table) as (_w, rec):
            assert wait_until(lambda: sum(counts(ch, queues).values()) >= 50, 60)
        # stopped: everything it took is finished and acknowledged, the rest is still queued
        done = sum(counts(ch, queues).values())
        left = count(ch, names.inbound)
        assert 50 <= done < n
        assert done + left == n, (done, left)
        assert len(rec.outcomes) == done
        got = [g.json()["source"]["message_id"] for q in queues for g in drain(ch, q)]
        assert len(set(got)) == len(got) == done
    finally:
        conn.close()


def test_input_that_kills_workers_is_dead_lettered_by_the_broker(
    config: WorkerConfig, table: RoutingTable
) -> None:
    """A message whose processing kills the process is never acknowledged nor failed by a
    worker; the quorum queue's delivery limit moves it to `failed` through the DLX."""
    from einvoice.worker import topology

    cfg = WorkerConfig(**{**config.__dict__, "queue_type": "quorum", "delivery_limit": 2})
    names = Names(cfg.prefix)
    with InboundPublisher(cfg.amqp_url, cfg.prefix) as pub:
        topology.declare_on(pub.connection, cfg, table=table)
        pub.publish(b"<crash/>", message_id="killer")
    deliveries = 0
    for _ in range(6):  # each "worker" takes the message and dies without a word
        conn = blocking()
        method, _props, _body = conn.channel().basic_get(names.inbound, auto_ack=False)
        conn.close()
        if method is None:
            break
        deliveries += 1
    conn = blocking()
    try:
        ch = conn.channel()
        assert wait_until(lambda: count(ch, names.failed) == 1, 10)
        [g] = drain(ch, names.failed)
        assert g.body == b"<crash/>" and g.props.message_id == "killer"
        assert 2 <= deliveries <= 3  # the first delivery and up to the limit more
        assert count(ch, names.inbound) == 0
    finally:
        conn.close()


def test_nacked_publish_never_loses_the_input(
    config: WorkerConfig, table: RoutingTable, corpus_docs: dict[str, list[Doc]]
) -> None:
    """A full accounting queue (policy: max-length 0, reject-publish) makes the broker nack the
    result; the input goes through retry to failed instead of being lost."""
    import subprocess

    import pika.exceptions

    from einvoice.worker import topology

    names = Names(config.prefix)
    policy = f"{config.prefix}-full"
    doc = corpus_docs["accepted"][0]
    target = names.accounting(doc.municipality or "?")
    conn = blocking()
    subprocess.run(["rabbitmqctl", "set_policy", "--apply-to", "queues", policy,
                    f"^{config.prefix}\\.accounting\\.",
                    '{"max-length": 0, "overflow": "reject-publish"}'],
                   check=True, capture_output=True, timeout=60)
    try:
        topology.declare_on(conn, config, table=table)
        ch = conn.channel()
        ch.confirm_delivery()
        props = pika.BasicProperties(delivery_mode=2)

        def full() -> bool:  # quorum queues take one message over the limit, then refuse
            try:
                ch.basic_publish("", target, b"filler", props, mandatory=True)
            except pika.exceptions.NackError:
                return True
            return False

        assert wait_until(full, 20, interval=0.2)
        fillers = count(ch, target)
        with worker_thread(config, InvoiceHandler(names, Router(table)), table) as (_w, rec):
            with InboundPublisher(config.amqp_url, config.prefix) as pub:
                pub.publish(doc.data, message_id="full")
            assert wait_until(lambda: count(ch, names.failed) == 1, 60)
        assert count(ch, target) == fillers
        [g] = drain(ch, names.failed)
    finally:
        subprocess.run(["rabbitmqctl", "clear_policy", policy], capture_output=True, timeout=60,
                       check=False)
        conn.close()
    assert g.body == doc.data and g.props.message_id == "full"
    assert "nacked" in g.props.headers[ERROR_HEADER]
    assert rec.outcomes == ["retry"] * (config.max_attempts - 1) + ["failed"]
