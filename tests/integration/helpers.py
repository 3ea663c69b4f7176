"""Helpers for the worker's integration tests against the real RabbitMQ on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pika
import pika.exceptions

from einvoice.routing.table import RoutingTable
from einvoice.worker import Hooks, Worker, WorkerConfig, topology
from einvoice.worker.handling import Handler
from einvoice.worker.topology import Names

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def blocking() -> pika.BlockingConnection:
    return pika.BlockingConnection(pika.URLParameters(AMQP_URL))


def count(ch: Any, queue: str) -> int:
    return int(ch.queue_declare(queue=queue, passive=True).method.message_count)


def counts(ch: Any, queues: list[str]) -> dict[str, int]:
    return {q: count(ch, q) for q in queues}


def wait_until(pred: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(interval)
    return pred()


@dataclass
class Got:
    queue: str
    props: pika.BasicProperties
    body: bytes

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


def drain(ch: Any, queue: str) -> list[Got]:
    out = []
    while True:
        method, props, body = ch.basic_get(queue=queue, auto_ack=True)
        if method is None:
            return out
        out.append(Got(queue, props, body))


class Recorder(Hooks):
    def __init__(self) -> None:
        self.outcomes: list[str] = []
        self.consuming = threading.Event()

    def message_done(self, outcome: str, duration_s: float, fields: Any) -> None:
        self.outcomes.append(outcome)

    def connection_state(self, state: str) -> None:
        if state == "consuming":
            self.consuming.set()


@contextlib.contextmanager
def worker_thread(config: WorkerConfig, handler: Handler, table: RoutingTable | None) -> Iterator[
        tuple[Worker, Recorder]]:
    """A worker consuming in a background thread; stopped gracefully (bounded) on exit."""
    rec = Recorder()
    w = Worker(config, handler, table=table, hooks=rec)
    t = threading.Thread(target=w.run, kwargs={"install_signal_handlers": False}, daemon=True)
    t.start()
    try:
        assert rec.consuming.wait(20), "worker did not start consuming"
        yield w, rec
    finally:
        w.request_stop()
        t.join(40)
        assert not t.is_alive(), "worker did not stop"


def cleanup(names: Names, table: RoutingTable | None, extra_queues: tuple[str, ...] = ()) -> None:
    conn = blocking()
    try:
        ch = conn.channel()
        topology.delete(ch, names, [*names.queues(table), *extra_queues])
    finally:
        conn.close()


def worker_connections(name_part: str) -> list[str]:
    """rabbitmqctl's pids of the connections whose connection_name contains ``name_part``."""
    out = subprocess.run(
        ["rabbitmqctl", "list_connections", "pid", "client_properties", "-q", "--no-table-headers"],
        capture_output=True, text=True, timeout=60, check=True).stdout
    return [line.split("\t", 1)[0] for line in out.splitlines()
            if f'{{"connection_name","{name_part}' in line]


def close_connections(name_part: str) -> int:
    pids = worker_connections(name_part)
    for pid in pids:
        subprocess.run(["rabbitmqctl", "close_connection", pid, "integration test: broker goes away"],
                       capture_output=True, text=True, timeout=60, check=False)
    return len(pids)


def unacked(queue: str) -> int:
    out = subprocess.run(
        ["rabbitmqctl", "list_queues", "name", "messages_unacknowledged", "-q", "--no-table-headers"],
        capture_output=True, text=True, timeout=60, check=True).stdout
    for line in out.splitlines():
        name, _, n = line.partition("\t")
        if name == queue:
            return int(n)
    raise AssertionError(f"queue {queue} not listed")
