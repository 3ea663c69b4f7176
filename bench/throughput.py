"""End-to-end worker throughput against the local RabbitMQ, beside the pass-through ceiling.

    python bench/throughput.py [-n 3000] [--processes 1 2] [--prefetch 64] [--all-corpus]

For each process count, two runs under a private queue prefix, both measured in this one run:

* ``passthrough``: the same worker (consume, publish with confirms and ``mandatory``, ack after
  the confirm, canonical log line) with a handler that forwards the raw document unchanged;
* ``worker``: the real handler (validate, convert, route, envelope);
* with ``--breakdown`` also ``memoized``: the real handler with validation results computed
  before the clock runs, i.e. what the worker itself (envelope, routing, AMQP, logs) costs.

N corpus documents (by default those the official validator ran an XRechnung scenario on,
cycled) are loaded into ``<prefix>.inbound`` first; the worker processes connect, declare and
wait at a barrier; the clock runs from the barrier until every document is settled (the
workers count settlements in shared memory) and then the output queues are checked to hold N
messages. Logs go to /dev/null in JSON, so their cost is included. Beside the rates it prints
the worker processes' CPU time per invoice, which does not depend on what else the machine is
doing (the rates do, a lot, on a shared machine), and the load average.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pika  # noqa: E402

from einvoice.routing import parse_table  # noqa: E402
from einvoice.worker import topology  # noqa: E402
from einvoice.worker.config import WorkerConfig  # noqa: E402
from einvoice.worker.topology import Names  # noqa: E402

CONFORMANCE = ROOT.parent / "shared" / "conformance"
AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")

TABLE: dict[str, Any] = {
    "procedure": {"name": "Benchmark"},
    "municipalities": [
        {"id": "weissensee", "name": "Stadt Weißensee", "leitweg_ids": ["16068058"]},
        {"id": "musterstadt", "name": "Musterstadt", "leitweg_ids": ["04011000"]},
        {"id": "brandenburg", "name": "Land Brandenburg", "leitweg_ids": ["12"]},
        {"id": "bund", "name": "Bund", "leitweg_ids": ["99"]},
    ],
}


def corpus(all_docs: bool) -> list[bytes]:
    expected: dict[str, Any] = json.loads((CONFORMANCE / "expected.json").read_text("utf-8"))
    rels = sorted(k for k, v in expected.items()
                  if all_docs or (v.get("scenario") and "XRechnung" in v["scenario"]))
    return [(CONFORMANCE / "corpus" / r).read_bytes() for r in rels]


def child(mode: str, config: WorkerConfig, ready: Any, start: Any, done: Any, cpu: Any,
          docs: list[bytes]) -> None:
    # Each worker process as in production: JSON logs (to /dev/null), SIGTERM stops it.
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the child's whole life
    from einvoice import logsetup
    from einvoice.routing import Router
    from einvoice.worker import Hooks, InvoiceHandler, PassThroughHandler, Worker
    from einvoice.worker.handling import Handler

    logsetup.configure("json")
    table = parse_table(TABLE)
    names = Names(config.prefix)
    handler: Handler
    from einvoice.pipeline import Outcome, process

    if mode == "passthrough":
        handler = PassThroughHandler(names.accounting("weissensee"))
    elif mode == "memoized":
        # The worker's own cost: envelope, routing, AMQP, logs, with validation results
        # computed before the clock runs.
        memo: dict[bytes, Outcome] = {d: process(d) for d in docs}
        handler = InvoiceHandler(names, Router(table), pipeline=memo.__getitem__)
    else:
        handler = InvoiceHandler(names, Router(table))  # loads the rule modules

    class Count(Hooks):
        def message_done(self, outcome: str, duration_s: float, fields: Mapping[str, Any]) -> None:
            with done.get_lock():
                done.value += 1

    began: list[float] = []

    def gate() -> None:
        ready.release()
        start.wait()
        began.append(time.process_time())

    Worker(config, handler, table=table, hooks=Count(), before_consume=gate).run()
    if began:
        with cpu.get_lock():
            cpu.value += time.process_time() - began[0]


def load_inbound(config: WorkerConfig, docs: list[bytes], n: int) -> None:
    conn = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        topology.declare_on(conn, config, table=parse_table(TABLE))
        ch = conn.channel()
        ch.confirm_delivery()
        props = pika.BasicProperties(delivery_mode=2, content_type="application/xml")
        for i in range(n):
            ch.basic_publish(exchange=Names(config.prefix).inbound_exchange, routing_key="",
                             body=docs[i % len(docs)], properties=props, mandatory=True)
    finally:
        conn.close()


def output_total(config: WorkerConfig) -> int:
    names = Names(config.prefix)
    table = parse_table(TABLE)
    conn = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        ch = conn.channel()
        queues = [names.rejected, names.unroutable, names.failed,
                  *(names.accounting(m.id) for m in table.municipalities)]
        return sum(ch.queue_declare(queue=q, passive=True).method.message_count for q in queues)
    finally:
        conn.close()


def cleanup(config: WorkerConfig) -> None:
    names = Names(config.prefix)
    conn = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        topology.delete(conn.channel(), names, names.queues(parse_table(TABLE)))
    finally:
        conn.close()


def run(mode: str, processes: int, docs: list[bytes], n: int, prefetch: int) -> tuple[float, float]:
    """Invoices per second, and the worker processes' CPU milliseconds per invoice."""
    prefix = f"bench-{uuid.uuid4().hex[:10]}"
    config = WorkerConfig(amqp_url=AMQP_URL, prefix=prefix, prefetch=prefetch,
                          connection_name=f"einvoice-bench-{prefix}")
    ctx = mp.get_context("spawn")
    ready = ctx.Semaphore(0)
    start = ctx.Event()
    done = ctx.Value("q", 0)
    cpu = ctx.Value("d", 0.0)
    procs: list[Any] = []
    try:
        load_inbound(config, docs, n)
        used = docs[:n] if mode == "memoized" else []
        procs = [ctx.Process(target=child, args=(mode, config, ready, start, done, cpu, used))
                 for _ in range(processes)]
        for p in procs:
            p.start()
        for _ in procs:
            if not ready.acquire(timeout=120):
                raise RuntimeError("a worker process did not get ready")
        t0 = time.perf_counter()
        start.set()
        deadline = t0 + max(120.0, n / 20)
        while done.value < n:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"only {done.value} of {n} settled")
            time.sleep(0.005)
        elapsed = time.perf_counter() - t0
        total = output_total(config)
        if total != n:
            raise RuntimeError(f"{total} messages in the output queues, expected {n}")
        for p in procs:
            if p.pid is not None:
                os.kill(p.pid, signal.SIGTERM)
        for p in procs:
            p.join(30)
        return n / elapsed, cpu.value * 1000 / n
    finally:
        for p in procs:
            if p.is_alive() and p.pid is not None:
                os.kill(p.pid, signal.SIGTERM)
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
        cleanup(config)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("-n", type=int, default=3000, help="documents per run (default 3000)")
    ap.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--prefetch", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per figure, the best is printed (the machine is shared)")
    ap.add_argument("--breakdown", action="store_true",
                    help="also run the worker with validation results memoized (its own cost)")
    ap.add_argument("--all-corpus", action="store_true",
                    help="cycle through the whole corpus, not only XRechnung documents")
    args = ap.parse_args()
    load_before = f"{os.getloadavg()[0]:.1f}"
    docs = corpus(args.all_corpus)
    size = sum(len(d) for d in docs) / len(docs)
    print(f"{len(docs)} distinct documents (mean {size / 1024:.1f} KiB), N={args.n}, "
          f"prefetch={args.prefetch}, cpus={os.cpu_count()}")
    head = (f"{'processes':>9} {'passthrough/s':>14} {'worker/s':>10} {'worker/ceiling':>15} "
            f"{'cpu ms/inv (pass, worker)':>26}")
    print(head + (f" {'memoized/s':>11}" if args.breakdown else ""), flush=True)

    def best(mode: str, p: int) -> tuple[float, float]:
        return max(run(mode, p, docs, args.n, args.prefetch) for _ in range(args.repeat))

    for p in args.processes:
        ceiling, cpu_pass = best("passthrough", p)
        real, cpu_real = best("worker", p)
        line = (f"{p:>9} {ceiling:>14.0f} {real:>10.0f} {real / ceiling:>14.0%} "
                f"{cpu_pass:>13.2f} {cpu_real:>12.2f}")
        if args.breakdown:
            line += f" {best('memoized', p)[0]:>11.0f}"
        print(line, flush=True)
    print(f"load average before/after: {load_before} / {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
