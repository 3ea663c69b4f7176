"""The exported definitions on the real broker, in a vhost of their own: each role can do its job
and nothing else; municipality A cannot read B's invoices."""

from __future__ import annotations

import json
import secrets
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pika
import pika.exceptions
import pytest

from einvoice.cli import main
from einvoice.ops.definitions import user_name, users
from einvoice.routing import Router, RoutingTable
from einvoice.worker import InvoiceHandler, WorkerConfig
from einvoice.worker.publisher import InboundPublisher
from einvoice.worker.topology import Names

from .conftest import Doc
from .helpers import wait_until, worker_thread
from .test_ops import toml_table

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

PREFIX = "lp"


def ctl(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["rabbitmqctl", *argv], capture_output=True, text=True, timeout=90,
                          check=False)


def url(user: str, password: str, vhost: str) -> str:
    return f"amqp://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:5672/{quote(vhost, safe='')}"


@pytest.fixture
def procedure(broker: None, table: RoutingTable, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A fresh vhost loaded with `einvoice topology apply`; vhost and users deleted afterwards."""
    vhost = f"einvoice-test-{uuid.uuid4().hex[:10]}"
    names = Names(PREFIX)
    specs = users(names, table)
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    passwords: dict[str, str] = {}
    for i, u in enumerate(specs):
        pw = secrets.token_urlsafe(16)
        passwords[u.name] = pw
        if i % 2:  # half from the environment, half from secret files: both paths work
            monkeypatch.setenv(u.password_variable, pw)
        else:
            (secrets_dir / u.name).write_text(pw + "\n", encoding="utf-8")
    routing = tmp_path / "routing.toml"
    from .conftest import TEST_TABLE

    routing.write_text(toml_table(TEST_TABLE), encoding="utf-8")
    out = tmp_path / "definitions.json"
    common = ["--prefix", PREFIX, "--routing", str(routing), "--vhost", vhost,
              "--secrets-dir", str(secrets_dir), "--queue-type", "quorum"]
    try:
        assert main(["topology", "export", "-o", str(out), *common]) == 0
        assert out.stat().st_mode & 0o077 == 0, "definitions hold password hashes: owner only"
        text = out.read_text("utf-8")
        assert not any(pw in text for pw in passwords.values()), "no clear-text password"
        assert main(["topology", "apply", "--definitions", str(out)]) == 0
        yield {"vhost": vhost, "names": names, "passwords": passwords, "definitions": json.loads(text),
               "routing": routing}
    finally:
        # In parallel: each rabbitmqctl call starts an Erlang VM (about a second).
        procs = [subprocess.Popen(["rabbitmqctl", *argv], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
                 for argv in [["delete_vhost", vhost], *(["delete_user", u.name] for u in specs)]]
        for p in procs:
            p.wait(90)


def connect(proc: dict[str, Any], user: str) -> pika.BlockingConnection:
    return pika.BlockingConnection(pika.URLParameters(
        url(user, proc["passwords"][user], proc["vhost"])))


def refused(conn: pika.BlockingConnection, op: Callable[[Any], Any]) -> bool:
    """True when ``op`` on a fresh channel is refused with ACCESS_REFUSED (403)."""
    ch = conn.channel()
    try:
        op(ch)
        ch.basic_qos(prefetch_count=1)  # a round trip: an asynchronous refusal arrives before it
    except pika.exceptions.ChannelClosedByBroker as exc:
        return exc.reply_code == 403
    ch.close()
    return False


def test_roles_can_do_their_job_and_nothing_else(
    procedure: dict[str, Any], table: RoutingTable, corpus_docs: dict[str, list[Doc]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    names: Names = procedure["names"]
    vhost = procedure["vhost"]
    listed = ctl("list_permissions", "-p", vhost, "-q", "--no-table-headers").stdout
    assert user_name(PREFIX, "municipality", "musterstadt") in listed
    assert f"{PREFIX}.parked" in ctl("list_policies", "-p", vhost, "-q").stdout

    a, b = "musterstadt", "brandenburg"
    doc_a = next(d for d in corpus_docs["accepted"] if d.municipality == a)
    worker_user = user_name(PREFIX, "worker")
    publisher_user = user_name(PREFIX, "publisher")
    cfg = WorkerConfig(amqp_url=url(worker_user, procedure["passwords"][worker_user], vhost),
                       prefix=PREFIX, prefetch=8, max_attempts=2, retry_delay_ms=5000,
                       queue_type="quorum", connection_name=f"einvoice-worker-lp-{vhost}")
    # The worker works with its own credentials: declares (over the imported topology, same
    # arguments), consumes inbound, publishes to accounting queues.
    with worker_thread(cfg, InvoiceHandler(names, Router(table)), table) as (_w, rec):
        publisher_url = url(publisher_user, procedure["passwords"][publisher_user], vhost)
        with InboundPublisher(publisher_url, PREFIX) as pub:
            pub.publish(doc_a.data, message_id="for-a")
        assert wait_until(lambda: len(rec.outcomes) == 1, 60), rec.outcomes
    assert rec.outcomes == ["accepted"]
    # An invoice for B (the worker may write to any accounting queue).
    conn = connect(procedure, worker_user)
    try:
        ch = conn.channel()
        ch.confirm_delivery()
        ch.basic_publish("", names.accounting(b), json.dumps({"source": {"message_id": "for-b"}}),
                         pika.BasicProperties(delivery_mode=2), mandatory=True)
    finally:
        conn.close()

    muni_a = connect(procedure, user_name(PREFIX, "municipality", a))
    try:
        # A reads its own queue ...
        ch = muni_a.channel()
        method, _props, body = ch.basic_get(names.accounting(a), auto_ack=True)
        assert method is not None and json.loads(body)["source"]["message_id"] == "for-a"
        ch.close()
        # ... and nothing else.
        assert refused(muni_a, lambda c: c.basic_get(names.accounting(b), auto_ack=False))
        assert refused(muni_a, lambda c: c.basic_consume(names.accounting(b), lambda *_: None))
        assert refused(muni_a, lambda c: c.basic_get(names.inbound, auto_ack=False))
        assert refused(muni_a, lambda c: c.basic_get(names.failed, auto_ack=False))
        assert refused(muni_a, lambda c: c.basic_get(names.unroutable, auto_ack=False))
        assert refused(muni_a, lambda c: c.basic_publish(names.inbound_exchange, "", b"<x/>"))
        assert refused(muni_a, lambda c: c.basic_publish("", names.accounting(a), b"forged"))
        assert refused(muni_a, lambda c: c.queue_declare("lp.accounting.evil", durable=True))
        assert refused(muni_a, lambda c: c.queue_purge(names.accounting(b)))
    finally:
        muni_a.close()

    publisher = connect(procedure, publisher_user)
    try:
        for q in [names.inbound, names.accounting(a), names.accounting(b), names.failed,
                  names.rejected, names.unroutable, names.retry]:
            assert refused(publisher, lambda c, q=q: c.basic_get(q, auto_ack=False)), q
            assert refused(publisher, lambda c, q=q: c.basic_consume(q, lambda *_: None)), q
        assert refused(publisher, lambda c: c.basic_publish("", names.accounting(a), b"forged"))
        assert refused(publisher, lambda c: c.queue_declare("lp.sneaky", durable=True))
    finally:
        publisher.close()
    # B's invoice is still there for B, untouched by A's attempts.
    muni_b = connect(procedure, user_name(PREFIX, "municipality", b))
    try:
        method, _props, body = muni_b.channel().basic_get(names.accounting(b), auto_ack=True)
        assert method is not None and json.loads(body)["source"]["message_id"] == "for-b"
    finally:
        muni_b.close()

    # The admin inspects every queue of the procedure with its own credentials.
    admin_user = user_name(PREFIX, "admin")
    admin_url = url(admin_user, procedure["passwords"][admin_user], vhost)
    capsys.readouterr()
    assert main(["queues", "--amqp-url", admin_url, "--prefix", PREFIX,
                 "--routing", str(procedure["routing"])]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert {r["queue"] for r in rows} >= {names.inbound, names.failed, names.accounting(a)}
    assert all(r["messages"] == 0 for r in rows)
    # ... and replays a parked message (read on failed, write on the inbound exchange).
    conn = connect(procedure, worker_user)
    try:
        ch = conn.channel()
        ch.confirm_delivery()
        ch.basic_publish("", names.failed, b"<parked/>", pika.BasicProperties(
            delivery_mode=2, message_id="parked-1", headers={"x-einvoice-error": "outage"}),
            mandatory=True)
    finally:
        conn.close()
    # A municipality can neither look at parked messages nor replay them.
    muni_url = url(user_name(PREFIX, "municipality", a),
                   procedure["passwords"][user_name(PREFIX, "municipality", a)], vhost)
    assert main(["failed", "list", "--amqp-url", muni_url, "--prefix", PREFIX]) == 2
    assert main(["replay", "--queue", "failed", "--yes", "--amqp-url", muni_url,
                 "--prefix", PREFIX]) == 2
    capsys.readouterr()
    assert main(["failed", "list", "--amqp-url", admin_url, "--prefix", PREFIX]) == 0
    assert json.loads(capsys.readouterr().out)["message_id"] == "parked-1"
    assert main(["replay", "--queue", "failed", "--yes", "--amqp-url", admin_url,
                 "--prefix", PREFIX]) == 0
    conn = connect(procedure, worker_user)
    try:
        method, props, body = conn.channel().basic_get(names.inbound, auto_ack=True)
        assert method is not None and body == b"<parked/>" and props.message_id == "parked-1"
    finally:
        conn.close()


def test_publisher_publishes_only_to_inbound(procedure: dict[str, Any]) -> None:
    names: Names = procedure["names"]
    publisher_user = user_name(PREFIX, "publisher")
    publisher_url = url(publisher_user, procedure["passwords"][publisher_user], procedure["vhost"])
    with InboundPublisher(publisher_url, PREFIX) as pub:
        done = pub.publish(b"<doc/>", message_id="p-1")
    assert done.message_id == "p-1"
    worker_user = user_name(PREFIX, "worker")
    conn = connect(procedure, worker_user)
    try:
        method, _p, body = conn.channel().basic_get(names.inbound, auto_ack=True)
        assert method is not None and body == b"<doc/>"
    finally:
        conn.close()
    # Another procedure's inbound (same vhost, other prefix) is not ours to write to.
    with InboundPublisher(publisher_url, "lp2") as pub, \
            pytest.raises(pika.exceptions.ChannelClosedByBroker) as exc:
        pub.publish(b"<doc/>")
    assert exc.value.reply_code == 403
