"""The metrics endpoint scraped while the worker runs on the real broker: its counters match what
was processed; /healthz and /readyz follow the connection."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from einvoice.metrics import Metrics, instrument, serve
from einvoice.pipeline import Outcome, process
from einvoice.routing import Router, RoutingTable
from einvoice.worker import InvoiceHandler, Worker, WorkerConfig
from einvoice.worker.publisher import InboundPublisher
from einvoice.worker.topology import Names

from .conftest import ROOT, TEST_TABLE, Doc
from .helpers import AMQP_URL, close_connections, wait_until
from .test_ops import toml_table
from .test_worker import collect

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def samples(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, text = get(port, "/metrics")
    assert status == 200
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def by_name(smp: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str) -> dict[
        tuple[tuple[str, str], ...], float]:
    return {labels: v for (n, labels), v in smp.items() if n == name and v}


def poisoned(data: bytes) -> Outcome:
    if data == b"<POISON/>":
        raise RuntimeError("cannot digest this one")
    return process(data)


def test_counters_match_what_was_processed(
    config: WorkerConfig, table: RoutingTable, corpus_docs: dict[str, list[Doc]]
) -> None:
    names = Names(config.prefix)
    worker = Worker(config, InvoiceHandler(names, Router(table), pipeline=poisoned), table=table)
    metrics = instrument(worker, Metrics())
    server = serve(metrics, 0, "127.0.0.1")
    thread = threading.Thread(target=worker.run, kwargs={"install_signal_handlers": False},
                              daemon=True)
    try:
        assert get(server.port, "/healthz")[0] == 200
        assert get(server.port, "/readyz")[0] == 503  # not consuming yet
        thread.start()
        assert wait_until(lambda: get(server.port, "/readyz")[0] == 200, 20)
        docs = [d for group in corpus_docs.values() for d in group[:3]]
        with InboundPublisher(config.amqp_url, config.prefix) as pub:
            for i, d in enumerate(docs):
                pub.publish(d.data, message_id=f"m-{i}")
            pub.publish(b"not xml at all", message_id="garbage")
            pub.publish(b"<POISON/>", message_id="poison")
        got = collect(names, table, len(docs) + 2)

        expected_invoices: Counter[tuple[str, str]] = Counter()
        expected_findings: Counter[tuple[str, str]] = Counter()
        for g in got:
            if g.queue == names.failed:
                expected_invoices["failed", ""] += 1
                continue
            env = g.json()
            muni = (env["routing"]["municipality"] or {}).get("id", "")
            expected_invoices[env["outcome"], muni] += 1
            for f in env["report"]["findings"]:
                expected_findings[f["rule"], f["level"]] += 1
        assert expected_invoices["failed", ""] == 1 and sum(expected_findings.values()) > 0

        def settled() -> float:
            inv = by_name(samples(server.port), "einvoice_invoices_total")
            return sum(inv.values())
        assert wait_until(lambda: settled() == len(docs) + 2, 20)
        smp = samples(server.port)
        invoices = {(dict(k)["outcome"], dict(k)["municipality"]): v
                    for k, v in by_name(smp, "einvoice_invoices_total").items()}
        assert invoices == dict(expected_invoices)
        findings = {(dict(k)["rule"], dict(k)["level"]): v
                    for k, v in by_name(smp, "einvoice_findings_total").items()}
        assert findings == dict(expected_findings)
        assert smp[("einvoice_retries_total", ())] == config.max_attempts - 1
        durations = {dict(k)["outcome"]: v
                     for k, v in by_name(smp, "einvoice_processing_seconds_count").items()}
        per_outcome: Counter[str] = Counter()
        for (outcome, _m), n in expected_invoices.items():
            per_outcome[outcome] += n
        per_outcome["retry"] = config.max_attempts - 1
        assert durations == dict(per_outcome)
        assert smp[("einvoice_consuming", ())] == 1
        assert smp[("einvoice_broker_reconnects_total", ())] == 0

        # The broker drops the connection: not ready until the worker consumes again.
        assert close_connections(config.connection_name) >= 1
        assert wait_until(lambda: samples(server.port)[("einvoice_broker_reconnects_total", ())]
                          == 1, 30)
        assert get(server.port, "/readyz")[0] == 200
        assert samples(server.port)[("einvoice_broker_connection_lost_total", ())] >= 1
    finally:
        worker.request_stop()
        thread.join(40)
    assert not thread.is_alive()
    assert get(server.port, "/readyz")[0] == 503
    assert get(server.port, "/healthz")[0] == 200
    server.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_worker_command_serves_metrics(config: WorkerConfig, table: RoutingTable,
                                       corpus_docs: dict[str, list[Doc]], tmp_path: Path) -> None:
    routing = tmp_path / "routing.toml"
    routing.write_text(toml_table(TEST_TABLE), encoding="utf-8")
    port = free_port()
    env: dict[str, Any] = {**os.environ, "PYTHONPATH": str(ROOT), "AMQP_URL": AMQP_URL,
                           "EINVOICE_ROUTING": str(routing), "EINVOICE_QUEUE_PREFIX": config.prefix,
                           "EINVOICE_METRICS_PORT": str(port), "EINVOICE_METRICS_HOST": "127.0.0.1",
                           "LOG_FORMAT": "json"}
    proc = subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def ready() -> bool:
            try:
                return get(port, "/readyz")[0] == 200
            except OSError:
                return False
        assert wait_until(ready, 60, 0.2), "worker never became ready"
        docs = corpus_docs["accepted"][:2]
        with InboundPublisher(config.amqp_url, config.prefix) as pub:
            for d in docs:
                pub.publish(d.data)
        assert wait_until(lambda: sum(by_name(samples(port), "einvoice_invoices_total").values())
                          == len(docs), 30)
        inv = by_name(samples(port), "einvoice_invoices_total")
        assert {dict(k)["outcome"] for k in inv} == {"accepted"}
        assert {dict(k)["municipality"] for k in inv} == {d.municipality for d in docs}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(40) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        err = proc.stderr.read().decode() if proc.stderr else ""
    events = [json.loads(x).get("event") for x in err.splitlines() if x.startswith("{")]
    assert "metrics_serving" in events
