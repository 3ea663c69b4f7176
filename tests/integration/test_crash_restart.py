"""No invoice disappears: 2,000 corpus documents, two worker processes, SIGKILLs and a broker
restart while they work.

Two `python worker.py` processes consume ``<prefix>.inbound`` while the test publishes 2,000
distinct corpus documents in bursts. Between bursts it kills a worker with SIGKILL six times
(each time while that worker is consuming and has just been handed a burst; it is started again
at once) and restarts RabbitMQ once (``rabbitmqctl stop_app``/``start_app``: every connection
drops). Afterwards every idempotency key (the document's SHA-256, the result's ``message_id``)
is in exactly one of accounting/rejected/unroutable/failed, in the queue our own pipeline
assigns it; repeats of a key in its queue are the at-least-once duplicates, counted and
reported; inbound and retry are empty and nothing is unacknowledged. Printed: lost (must be 0),
duplicated, drain time. RabbitMQ is left running whatever happens.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from einvoice.pipeline import process
from einvoice.routing import Router, RoutingTable
from einvoice.worker import WorkerConfig, topology
from einvoice.worker.publisher import InboundPublisher
from einvoice.worker.topology import Names

from .conftest import CONFORMANCE, CORPUS, TEST_TABLE
from .helpers import blocking, count, counts, unacked, wait_until
from .procs import (
    WorkerProcess,
    ensure_broker_running,
    restart_broker,
    running,
    worker_env,
    write_routing,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(420)]

N_DOCS = 2000
BURST = 100
PREFETCH = 16
# After which burst (0-based) which fault: a worker slot to SIGKILL, or the broker to restart.
FAULTS: dict[int, str] = {1: "a", 3: "b", 5: "a", 8: "broker", 10: "b", 12: "a", 14: "b"}
MAX_DOC_BYTES = 64_000


@dataclass(frozen=True)
class Doc:
    rel: str
    data: bytes
    key: str  # SHA-256: the idempotency key
    queue: str  # where our own pipeline and the routing table send it


def pick_documents(names: Names, router: Router, n: int) -> list[Doc]:
    """``n`` distinct corpus documents (a fixed sample over every source), with their queue."""
    expected: dict[str, Any] = json.loads((CONFORMANCE / "expected.json").read_text("utf-8"))
    candidates: list[tuple[str, bytes, str]] = []
    seen: set[str] = set()
    for rel in sorted(expected):
        data = (CORPUS / rel).read_bytes()
        key = hashlib.sha256(data).hexdigest()
        if len(data) <= MAX_DOC_BYTES and key not in seen:
            seen.add(key)
            candidates.append((rel, data, key))
    assert len(candidates) >= n, f"only {len(candidates)} distinct corpus documents"
    docs = []
    for rel, data, key in sorted(random.Random(20260301).sample(candidates, n)):
        out = process(data)
        if out.report.verdict == "reject":
            queue = names.rejected
        else:
            bt10 = out.invoice.buyer_reference if out.invoice is not None else None
            route = router.route(bt10.raw if bt10 is not None else None)
            queue = names.accounting(route.municipality.id) if route.municipality else names.unroutable
        docs.append(Doc(rel, data, key, queue))
    return docs


def test_sigkill_and_broker_restart_lose_nothing(
    config: WorkerConfig, table: RoutingTable, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = Names(config.prefix)
    docs = pick_documents(names, Router(table), N_DOCS)
    by_key = {d.key: d for d in docs}
    assert len(by_key) == N_DOCS
    outputs = [names.rejected, names.unroutable, names.failed,
               *(names.accounting(m.id) for m in table.municipalities)]
    assert {d.queue for d in docs} <= set(outputs)

    env = worker_env(prefix=config.prefix, routing=write_routing(tmp_path / "routing.toml", TEST_TABLE),
                     amqp_url=config.amqp_url, prefetch=PREFETCH, max_attempts=config.max_attempts,
                     retry_delay_ms=config.retry_delay_ms)
    workers = {"a": WorkerProcess("a", env, tmp_path), "b": WorkerProcess("b", env, tmp_path)}
    with InboundPublisher(config.amqp_url, config.prefix) as pub:
        topology.declare_on(pub.connection, config, table=table)

    try:
        with running(*workers.values()):
            figures = _run(config, names, docs, outputs, workers)
    finally:
        ensure_broker_running(config.amqp_url)

    def say(text: str) -> None:
        with capsys.disabled():  # the figures belong in every test run's output
            print(text)

    _check(names, by_key, outputs, workers, figures, say)


def _run(config: WorkerConfig, names: Names, docs: list[Doc], outputs: list[str],
         workers: dict[str, WorkerProcess]) -> dict[str, Any]:
    for w in workers.values():
        w.start()
    for w in workers.values():
        assert wait_until(w.consuming, 60, 0.1), w.log()[-3000:].decode()
    t0 = time.monotonic()
    kills: list[str] = []
    broker_down_s = 0.0
    pub = InboundPublisher(config.amqp_url, config.prefix, app_id="crash-test")
    try:
        for i in range(0, N_DOCS, BURST):
            for d in docs[i:i + BURST]:
                pub.publish(d.data, message_id=d.key, headers={"x-corpus-path": d.rel})
            fault = FAULTS.get(i // BURST)
            if fault == "broker":
                pub.close()
                broker_down_s = restart_broker(down_s=1.0, url=config.amqp_url)
                pub = InboundPublisher(config.amqp_url, config.prefix, app_id="crash-test")
            elif fault is not None:
                w = workers[fault]
                # A kill that hits a worker still starting proves nothing: wait until it is
                # consuming and working; the burst just published keeps it busy.
                assert wait_until(w.ready, 90, 0.05), \
                    f"worker {fault} not working:\n" + w.log()[-3000:].decode("utf-8", "replace")
                w.kill()
                kills.append(fault)
                w.start()
    finally:
        pub.close()
    published_at = time.monotonic()
    conn = blocking()
    try:
        ch = conn.channel()

        def drained() -> bool:
            c = counts(ch, [names.inbound, names.retry, *outputs])
            return (c[names.inbound] == 0 and c[names.retry] == 0
                    and sum(c[q] for q in outputs) >= N_DOCS)

        assert wait_until(drained, 180, 0.05), counts(ch, [names.inbound, names.retry, *outputs])
        drain_s = time.monotonic() - published_at
        assert wait_until(lambda: unacked(names.inbound) == 0, 60, 0.5), "unacknowledged deliveries"
        total_s = time.monotonic() - t0
    finally:
        conn.close()
    for name, w in workers.items():
        assert w.stop() == 0, f"worker {name} did not stop cleanly"
    return {"kills": kills, "broker_down_s": broker_down_s, "drain_s": drain_s,
            "total_s": total_s}


def _check(names: Names, by_key: dict[str, Doc], outputs: list[str],
           workers: dict[str, WorkerProcess], figures: dict[str, Any],
           say: Callable[[str], None]) -> None:
    seen: dict[str, Counter[str]] = {}
    unknown: list[str] = []
    conn = blocking()
    try:
        ch = conn.channel()
        assert count(ch, names.inbound) == 0 and count(ch, names.retry) == 0
        ch.basic_qos(prefetch_count=500)
        for q in outputs:
            n = count(ch, q)
            for _ in range(n):
                method, props, _body = ch.basic_get(queue=q, auto_ack=True)
                assert method is not None
                key = props.message_id
                if key not in by_key:
                    unknown.append(f"{q}: {key}")
                    continue
                if q != names.failed:
                    outcome = props.headers["x-einvoice-outcome"]
                    assert q.endswith(outcome) or (outcome == "accepted" and ".accounting." in q), \
                        (q, outcome)
                seen.setdefault(key, Counter())[q] += 1
            assert count(ch, q) == 0
    finally:
        conn.close()

    lost = sorted(set(by_key) - set(seen))
    split = {k: dict(c) for k, c in seen.items() if len(c) > 1}
    misrouted = {by_key[k].rel: (next(iter(c)), by_key[k].queue) for k, c in seen.items()
                 if len(c) == 1 and next(iter(c)) != by_key[k].queue}
    deliveries = sum(sum(c.values()) for c in seen.values())
    duplicated = deliveries - len(seen)
    dup_keys = sum(1 for c in seen.values() if sum(c.values()) > 1)
    failed = sum(c[names.failed] for c in seen.values())
    logs = b"".join(w.all_logs() for w in workers.values())
    redelivered = logs.count(b'"redelivered": true')
    per_queue = Counter(q.removeprefix(names.prefix + ".") for c in seen.values() for q in c)
    say(f"\ncrash/restart: published {len(by_key)}, lost {len(lost)}, duplicated {duplicated} "
          f"({dup_keys} keys), unknown {len(unknown)}, in failed {failed}; "
          f"SIGKILLs {len(figures['kills'])} ({''.join(figures['kills'])}), broker restarts 1 "
          f"(back after {figures['broker_down_s']:.1f} s); redelivered {redelivered}; "
          f"drain {figures['drain_s']:.1f} s after the last publish, total {figures['total_s']:.1f} s; "
          f"per queue {dict(sorted(per_queue.items()))}")
    assert not lost, f"lost {len(lost)}: " + ", ".join(by_key[k].rel for k in lost[:10])
    assert not unknown, unknown[:10]
    assert not split, f"keys in more than one queue: {list(split.items())[:5]}"
    assert not misrouted, f"{len(misrouted)} misrouted: {list(misrouted.items())[:5]}"
    assert failed == 0, "a corpus document was given up on"
    assert len(figures["kills"]) >= 5
    assert redelivered > 0, "no kill hit a worker with deliveries in flight"
    # Only deliveries in flight at a kill or at the broker restart may be handled twice.
    assert duplicated <= 2 * (len(figures["kills"]) + 2) * PREFETCH, duplicated
