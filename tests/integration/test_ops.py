"""Operating the queues against the real RabbitMQ: inspect, replay, dry run, interrupted replay."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pika
import pytest

from einvoice.cli import main
from einvoice.ops.messages import REPLAYED_BY_HEADER, REPLAYS_HEADER
from einvoice.pipeline import Outcome
from einvoice.routing import Router, RoutingTable, parse_table
from einvoice.worker import InvoiceHandler, WorkerConfig, topology
from einvoice.worker.publisher import InboundPublisher
from einvoice.worker.topology import ATTEMPTS_HEADER, ERROR_HEADER, FAILED_AT_HEADER, Names

from .conftest import ROOT, TEST_TABLE, Doc
from .helpers import AMQP_URL, blocking, count, drain, wait_until, worker_thread

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


def toml_table(data: dict[str, Any]) -> str:
    lines = ["[procedure]", f"name = {json.dumps(data['procedure']['name'])}", ""]
    for m in data["municipalities"]:
        lines += ["[[municipalities]]", f"id = {json.dumps(m['id'])}", f"name = {json.dumps(m['name'])}",
                  f"leitweg_ids = {json.dumps(m['leitweg_ids'])}", ""]
    return "\n".join(lines)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, Any]], str]:
    capsys.readouterr()
    rc = main(list(argv))
    out = capsys.readouterr()
    rows = [json.loads(line) for line in out.out.splitlines() if line.startswith("{")]
    return rc, rows, out.err


def peek(queue: str) -> list[tuple[str | None, bytes]]:
    """Every message of ``queue`` in order, given back afterwards (test-side view)."""
    conn = blocking()
    try:
        ch = conn.channel()
        out = []
        for _ in range(count(ch, queue)):
            method, props, body = ch.basic_get(queue=queue, auto_ack=False)
            if method is None:
                break
            out.append((props.message_id, body))
        ch.basic_nack(delivery_tag=0, multiple=True, requeue=True)
        return out
    finally:
        conn.close()


def wait_count(queue: str, n: int, timeout: float = 30) -> None:
    conn = blocking()
    try:
        ch = conn.channel()
        assert wait_until(lambda: count(ch, queue) == n, timeout), (queue, count(ch, queue), n)
    finally:
        conn.close()


def test_unroutable_then_add_municipality_then_replay(
    config: WorkerConfig, table: RoutingTable, corpus_docs: dict[str, list[Doc]],
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    names = Names(config.prefix)
    doc = corpus_docs["accepted"][0]
    muni = doc.municipality
    assert muni is not None
    # The procedure before the town joined: its Leitweg-IDs name no municipality yet.
    before = copy.deepcopy(TEST_TABLE)
    before["municipalities"] = [m for m in before["municipalities"] if m["id"] != muni]
    old_table = parse_table(before)
    with worker_thread(config, InvoiceHandler(names, Router(old_table)), old_table):
        with InboundPublisher(config.amqp_url, config.prefix) as pub:
            pub.publish(doc.data, message_id="story-1", correlation_id="corr-story",
                        headers={"x-source-system": "erp"})
        wait_count(names.unroutable, 1)

    new_path = tmp_path / "routing.toml"
    new_path.write_text(toml_table(TEST_TABLE), encoding="utf-8")
    rc, rows, _ = cli(capsys, "failed", "list", "--queue", "unroutable", "--prefix", config.prefix,
                      "--routing", str(new_path))
    assert rc == 0 and len(rows) == 1
    row = rows[0]
    assert row["message_id"] == "story-1"
    assert row["municipality"] == muni  # what the *current* table makes of its Leitweg-ID
    assert row["route_problem"] == "no-municipality"
    assert row["leitweg_id"] and row["invoice_number"]
    assert "no-municipality" in row["reason"]
    assert count_of(names.unroutable) == 1  # listing took nothing away

    audit = tmp_path / "audit.jsonl"
    # The admin added the municipality: the worker now runs with the new table ...
    with worker_thread(config, InvoiceHandler(names, Router(table)), table):
        rc, rows, err = cli(capsys, "replay", "--queue", "unroutable", "--municipality", muni,
                            "--prefix", config.prefix, "--routing", str(new_path), "--yes",
                            "--audit-log", str(audit))
        assert rc == 0, err
        assert [r["action"] for r in rows] == ["replayed"]
        wait_count(names.accounting(muni), 1)
    conn = blocking()
    try:
        [got] = drain(conn.channel(), names.accounting(muni))
    finally:
        conn.close()
    env = got.json()
    assert env["outcome"] == "accepted"
    assert env["routing"]["municipality"]["id"] == muni
    assert env["source"]["message_id"] == "story-1"
    assert env["source"]["correlation_id"] == "corr-story"
    assert env["source"]["headers"]["x-source-system"] == "erp"
    assert env["source"]["headers"][REPLAYS_HEADER] == "1"
    assert env["source"]["headers"][REPLAYED_BY_HEADER]
    assert got.props.message_id == hashlib.sha256(doc.data).hexdigest()
    assert count_of(names.unroutable) == 0
    lines = [json.loads(x) for x in audit.read_text("utf-8").splitlines()]
    assert len(lines) == 1
    assert lines[0]["event"] == "message_replayed" and lines[0]["message_id"] == "story-1"
    assert lines[0]["municipality"] == muni and lines[0]["replays"] == 1


def count_of(queue: str) -> int:
    conn = blocking()
    try:
        return count(conn.channel(), queue)
    finally:
        conn.close()


def broken_pipeline(_data: bytes) -> Outcome:
    raise RuntimeError("validator bug #42")


def test_failed_inspect_dry_run_and_replay_after_fix(
    config: WorkerConfig, table: RoutingTable, corpus_docs: dict[str, list[Doc]],
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    names = Names(config.prefix)
    docs = corpus_docs["accepted"][:3] + corpus_docs["rejected"][:1]
    with worker_thread(config, InvoiceHandler(names, Router(table), pipeline=broken_pipeline), table):
        with InboundPublisher(config.amqp_url, config.prefix) as pub:
            for i, d in enumerate(docs):
                pub.publish(d.data, message_id=f"f-{i}")
        wait_count(names.failed, len(docs))
    order = peek(names.failed)
    assert len(order) == len(docs)

    # Inspect: every field, and nothing moves.
    rc, rows, _ = cli(capsys, "failed", "list", "--prefix", config.prefix)
    assert rc == 0
    assert [r["message_id"] for r in rows] == [m for m, _ in order]
    for r in rows:
        assert "validator bug #42" in r["error"] and "validator bug #42" in r["reason"]
        assert r["attempts"] == config.max_attempts
        assert r["first_failure"]
        assert r["invoice_number"] and r["sha256"]
    rc, _, _ = cli(capsys, "failed", "list", "--prefix", config.prefix, "--table")
    assert rc == 0
    capsys.readouterr()
    assert main(["failed", "show", "f-1", "--prefix", config.prefix]) == 0
    detail = json.loads(capsys.readouterr().out)
    assert detail["message_id"] == "f-1" and detail["headers"][ATTEMPTS_HEADER] == config.max_attempts
    # The first failed attempt, before the last one that parked it.
    assert detail["first_failure"] == detail["headers"]["x-einvoice-first-failed-at"]
    assert detail["first_failure"] < detail["headers"][FAILED_AT_HEADER]
    assert FAILED_AT_HEADER in detail["headers"] and ERROR_HEADER in detail["headers"]
    assert main(["failed", "show", "f-2", "--document", "--prefix", config.prefix]) == 0
    assert capsys.readouterr().out.encode() == docs[2].data
    assert main(["failed", "show", "nope", "--prefix", config.prefix]) == 1
    assert peek(names.failed) == order

    # Dry run: reports the selection, changes nothing, writes no audit line.
    audit = tmp_path / "audit.jsonl"
    rc, rows, _ = cli(capsys, "replay", "--queue", "failed", "--dry-run", "--reason", "bug #42",
                      "--prefix", config.prefix, "--audit-log", str(audit))
    assert rc == 0 and [r["action"] for r in rows] == ["would-replay"] * len(docs)
    assert peek(names.failed) == order
    assert count_of(names.inbound) == 0
    assert not audit.exists() or audit.read_text() == ""
    # Without --yes (and no terminal to ask on) nothing happens.
    rc, _, _ = cli(capsys, "replay", "--queue", "failed", "--prefix", config.prefix)
    assert rc == 2 and peek(names.failed) == order

    # The bug is fixed: replay two by reason and limit, then one by id; the last one stays.
    with worker_thread(config, InvoiceHandler(names, Router(table)), table) as (_w, rec):
        rc, rows, _ = cli(capsys, "replay", "--queue", "failed", "--reason", "validator bug",
                          "--limit", "2", "--yes", "--prefix", config.prefix,
                          "--audit-log", str(audit))
        assert rc == 0 and [r["message_id"] for r in rows] == [m for m, _ in order[:2]]
        rc, rows, _ = cli(capsys, "replay", "--queue", "failed", "--id", order[3][0] or "",
                          "--yes", "--prefix", config.prefix, "--audit-log", str(audit))
        assert rc == 0 and [r["message_id"] for r in rows] == [order[3][0]]
        assert wait_until(lambda: len(rec.outcomes) == 3, 30), rec.outcomes
    assert sorted(rec.outcomes) == sorted(
        "rejected" if d.outcome == "rejected" else "accepted"
        for d in (docs[0], docs[1], docs[3]))
    assert peek(names.failed) == [order[2]]
    lines = [json.loads(x) for x in audit.read_text("utf-8").splitlines()]
    assert [x["message_id"] for x in lines] == [order[0][0], order[1][0], order[3][0]]
    assert all(x["replays"] == 1 and x["from_queue"] == names.failed for x in lines)


def _fill_failed(cfg: WorkerConfig, table: RoutingTable, n: int) -> None:
    conn = blocking()
    try:
        topology.declare_on(conn, cfg, table=table)
        ch = conn.channel()  # no confirms, one by one would take long: count at the end
        names = Names(cfg.prefix)
        for i in range(n):
            props = pika.BasicProperties(
                delivery_mode=2, message_id=f"m-{i:05d}", content_type="application/xml",
                headers={ATTEMPTS_HEADER: 3, ERROR_HEADER: "RuntimeError: broker outage",
                         FAILED_AT_HEADER: "2026-11-25T10:00:00+00:00"})
            ch.basic_publish("", names.failed, f"<doc n='{i}'/>".encode(), props)
        assert wait_until(lambda: count(ch, names.failed) == n, 60)
    finally:
        conn.close()


def test_replay_killed_midway_loses_nothing(config: WorkerConfig, table: RoutingTable,
                                            tmp_path: Path) -> None:
    n = 3000
    names = Names(config.prefix)
    _fill_failed(config, table, n)
    audit = tmp_path / "audit.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AMQP_URL": AMQP_URL,
           "EINVOICE_OPERATOR": "test-admin"}
    env.pop("EINVOICE_ROUTING", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from einvoice.cli import main; sys.exit(main(sys.argv[1:]))",
         "replay", "--queue", "failed", "--yes", "--prefix", config.prefix,
         "--audit-log", str(audit)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def replayed() -> int:
            try:
                return len(audit.read_bytes().splitlines())
            except FileNotFoundError:
                return 0
        assert wait_until(lambda: replayed() >= 200 or proc.poll() is not None, 60)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == -signal.SIGKILL, "the replay finished before it could be killed"
    done = replayed()
    print(f"killed after {done} of {n} replayed")
    assert done < n
    conn = blocking()
    try:
        ch = conn.channel()
        # The broker requeues the killed channel's unacknowledged messages.
        assert wait_until(lambda: count(ch, names.failed) + count(ch, names.inbound) >= n, 20)
        time.sleep(0.2)
        inbound = drain(ch, names.inbound)
        failed = drain(ch, names.failed)
    finally:
        conn.close()
    ids_in = [g.props.message_id for g in inbound]
    ids_failed = [g.props.message_id for g in failed]
    every = {f"m-{i:05d}" for i in range(n)}
    assert set(ids_in) | set(ids_failed) == every, "no message lost"
    assert len(set(ids_in)) == len(ids_in) and len(set(ids_failed)) == len(ids_failed)
    both = set(ids_in) & set(ids_failed)
    assert len(both) <= 1, "at most the one in flight is duplicated"
    assert len(ids_in) >= done
    for g in inbound:
        assert g.props.headers[REPLAYS_HEADER] == 1
        assert g.props.headers[REPLAYED_BY_HEADER] == "test-admin"
        assert ERROR_HEADER not in g.props.headers and ATTEMPTS_HEADER not in g.props.headers
        assert g.body == f"<doc n='{int(g.props.message_id[2:])}'/>".encode()


def test_replay_counter_grows_with_each_replay(
    config: WorkerConfig, table: RoutingTable, corpus_docs: dict[str, list[Doc]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    names = Names(config.prefix)
    doc = corpus_docs["unroutable"][0]
    with worker_thread(config, InvoiceHandler(names, Router(table)), table):
        with InboundPublisher(config.amqp_url, config.prefix) as pub:
            pub.publish(doc.data, message_id="again", headers={"x-source-system": "erp"})
        wait_count(names.unroutable, 1)
        for n in (1, 2):
            # Nothing was fixed: it comes back to unroutable, counting its replays. The listing
            # before held the message unacked; the broker requeues it on its own time (a quorum
            # queue asynchronously), so a replay right after may find the queue empty: retry
            # until it finds the message (a replay that selected nothing changed nothing).
            rows: list[dict[str, object]] = []

            def replay_again(rows: list[dict[str, object]] = rows) -> bool:
                rc, got, _ = cli(capsys, "replay", "--queue", "unroutable", "--id", "again",
                                 "--yes", "--prefix", config.prefix)
                assert rc == 0
                rows[:] = got
                return bool(got)

            assert wait_until(replay_again, 30)
            assert [r["replays"] for r in rows] == [n]
            assert wait_until(lambda n=n: [r["replays"] for r in cli(
                capsys, "failed", "list", "--queue", "unroutable", "--prefix", config.prefix)[1]]
                == [n], 30)
    conn = blocking()
    try:
        [got] = drain(conn.channel(), names.unroutable)
    finally:
        conn.close()
    env = got.json()
    assert env["source"]["message_id"] == "again"
    assert env["source"]["headers"][REPLAYS_HEADER] == "2"
    assert env["source"]["headers"]["x-source-system"] == "erp"
    assert hashlib.sha256(doc.data).hexdigest() == got.props.message_id == env["document"]["sha256"]


@pytest.mark.parametrize("queue_type", ["quorum", "classic"])
def test_partial_walks_keep_the_queue_order(
    config: WorkerConfig, table: RoutingTable, queue_type: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cfg = WorkerConfig(**{**config.__dict__, "queue_type": queue_type})
    names = Names(cfg.prefix)
    _fill_failed(cfg, table, 20)
    ids = [f"m-{i:05d}" for i in range(20)]
    assert [m for m, _ in peek(names.failed)] == ids
    assert main(["failed", "show", "m-00005", "--prefix", cfg.prefix]) == 0  # stops at the 6th
    assert [m for m, _ in peek(names.failed)] == ids
    rc, rows, _ = cli(capsys, "failed", "list", "--limit", "3", "--prefix", cfg.prefix)
    assert rc == 0 and [r["message_id"] for r in rows] == ids[:3]
    assert [m for m, _ in peek(names.failed)] == ids
    rc, rows, _ = cli(capsys, "replay", "--queue", "failed", "--limit", "2", "--dry-run",
                      "--prefix", cfg.prefix)
    assert rc == 0 and [r["message_id"] for r in rows] == ids[:2]
    assert [m for m, _ in peek(names.failed)] == ids
    rc, rows, _ = cli(capsys, "replay", "--queue", "failed", "--id", "m-00003", "--id", "m-00011",
                      "--yes", "--prefix", cfg.prefix)
    assert rc == 0 and [r["message_id"] for r in rows] == ["m-00003", "m-00011"]
    rest = [i for i in ids if i not in ("m-00003", "m-00011")]
    assert [m for m, _ in peek(names.failed)] == rest
    assert [m for m, _ in peek(names.inbound)] == ["m-00003", "m-00011"]
