"""The broker drops the worker's connection mid-stream; every document is accounted for after.

The worker runs as its own process (`python worker.py`, the documented entry point); rabbitmqctl
closes its connections while documents are flowing; afterwards every published message id is
in an output queue (duplicates are allowed: at-least-once), nothing is left in inbound or
unacknowledged, and SIGTERM stops the worker cleanly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from einvoice.routing import RoutingTable
from einvoice.worker import WorkerConfig
from einvoice.worker.publisher import InboundPublisher
from einvoice.worker.topology import Names

from .conftest import TEST_TABLE, Doc
from .helpers import blocking, close_connections, counts, drain, unacked, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]


def write_table(path: Path) -> None:
    lines = ['[procedure]', f'name = "{TEST_TABLE["procedure"]["name"]}"']
    for m in TEST_TABLE["municipalities"]:
        lines += ["[[municipalities]]", f'id = "{m["id"]}"', f'name = "{m["name"]}"',
                  "leitweg_ids = [" + ", ".join(f'"{p}"' for p in m["leitweg_ids"]) + "]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_connection_killed_mid_stream_loses_nothing(
    config: WorkerConfig, table: RoutingTable, corpus_docs: dict[str, list[Doc]], tmp_path: Path
) -> None:
    names = Names(config.prefix)
    routing = tmp_path / "routing.toml"
    write_table(routing)
    conn_name = f"einvoice-worker-{config.prefix}-proc"
    env = {**os.environ, "AMQP_URL": config.amqp_url, "EINVOICE_ROUTING": str(routing),
           "EINVOICE_QUEUE_PREFIX": config.prefix, "EINVOICE_PREFETCH": "16",
           "LOG_FORMAT": "json", "EINVOICE_CONNECTION_NAME": conn_name}
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen([sys.executable, str(ROOT / "worker.py")], env=env, cwd=ROOT,
                                stdout=log_file, stderr=subprocess.STDOUT)
        try:
            _run_scenario(config, table, names, corpus_docs, conn_name, proc, log_path)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def _run_scenario(config: WorkerConfig, table: RoutingTable, names: Names,
                  corpus_docs: dict[str, list[Doc]], conn_name: str,
                  proc: subprocess.Popen[bytes], log_path: Path) -> None:
    docs = [d for g in corpus_docs.values() for d in g]
    outputs = [names.rejected, names.unroutable, names.failed,
               *(names.accounting(m.id) for m in table.municipalities)]
    assert wait_until(lambda: b'"consuming"' in log_path.read_bytes(), 60), log_path.read_text()
    n = 1500
    published: list[str] = []

    def publish() -> None:
        with InboundPublisher(config.amqp_url, config.prefix) as pub:
            for i in range(n):
                pub.publish(docs[i % len(docs)].data, message_id=f"m-{i}")
                published.append(f"m-{i}")

    publisher = threading.Thread(target=publish, daemon=True)
    publisher.start()
    conn = blocking()
    ch = conn.channel()
    try:
        kills = 0
        for target in (100, 600):
            assert wait_until(lambda t=target: sum(counts(ch, outputs).values()) >= t, 60)
            closed = close_connections(conn_name)
            assert closed >= 1, "the worker's connection was not found"
            kills += closed
            # it comes back by itself
            assert wait_until(lambda k=kills: log_path.read_bytes().count(b'"consuming"') > k, 60), \
                log_path.read_text()[-3000:]
        publisher.join(120)
        assert not publisher.is_alive()
        assert wait_until(lambda: sum(counts(ch, outputs).values()) >= n
                          and counts(ch, [names.inbound])[names.inbound] == 0, 120), \
            counts(ch, [*outputs, names.inbound])
        assert wait_until(lambda: unacked(names.inbound) == 0, 30)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        seen: dict[str, int] = {}
        for q in outputs:
            for g in drain(ch, q):
                mid = json.loads(g.body)["source"]["message_id"] if q != names.failed else \
                    g.props.message_id
                seen[mid] = seen.get(mid, 0) + 1
        assert set(seen) == set(published), (
            f"missing {sorted(set(published) - set(seen))[:10]}")
        dupes = sum(v - 1 for v in seen.values())
        assert dupes <= kills * 16 * 2, dupes  # only in-flight deliveries may repeat
        assert counts(ch, [names.inbound, names.retry]) == {names.inbound: 0, names.retry: 0}
        lines = [json.loads(x) for x in log_path.read_text().splitlines() if x.startswith("{")]
        assert any(x["event"] == "connection_lost" for x in lines)
        # a double or stale ack would close the channel with PRECONDITION_FAILED
        assert not [x for x in lines if x["event"] == "channel_closed"
                    or "PRECONDITION_FAILED" in json.dumps(x)]
        assert lines[-1]["event"] == "worker_stopped"
        print(f"published {n}, delivered {sum(seen.values())} ({dupes} duplicates), "
              f"connection closed {kills} times")
    finally:
        conn.close()
