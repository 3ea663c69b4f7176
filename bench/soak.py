"""Soak: 20,000 documents through one worker process; its resident memory along the way.

    python bench/soak.py [-n 20000] [--every 5000] [--prefetch 64] [--max-bytes 200000]

Starts `python worker.py` (the production entry point, JSON logs to a temporary file) under a
private queue prefix, then keeps ``--window`` documents in flight: corpus documents (every
source, up to ``--max-bytes``, shuffled with a fixed seed, cycled) are published to
``<prefix>.inbound`` with confirms while a consumer here empties the output queues, so
neither side piles up in the broker. Printed: the worker's RSS (VmRSS from /proc) at the
start, after every ``--every`` settled documents and at the end, its peak (VmHWM), the rate,
and the growth after warm-up (the first checkpoint is the warm-up: rule tables, caches and
the allocator's arenas fill there). Target: peak ≤ 200 MB, no growth trend after warm-up.
Exit code 1 when the target is missed, 2 when documents are missing.

The rates depend on what else the machine does; the memory figures do not, much.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pika  # noqa: E402

from einvoice.routing import parse_table  # noqa: E402
from einvoice.worker import topology  # noqa: E402
from einvoice.worker.publisher import InboundPublisher  # noqa: E402
from einvoice.worker.topology import Names  # noqa: E402

CONFORMANCE = ROOT.parent / "shared" / "conformance"
AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
TARGET_PEAK_MB = 200.0
# Growth per checkpoint after warm-up that still counts as noise (allocator fragmentation).
TREND_TOLERANCE_MB = 5.0

TABLE: dict[str, Any] = {
    "procedure": {"name": "Soak"},
    "municipalities": [
        {"id": "musterstadt", "name": "Musterstadt", "leitweg_ids": ["04011000"]},
        {"id": "brandenburg", "name": "Land Brandenburg", "leitweg_ids": ["12"]},
        {"id": "bund", "name": "Bund", "leitweg_ids": ["991-33333"]},
    ],
}


def corpus(max_bytes: int) -> list[bytes]:
    expected: dict[str, Any] = json.loads((CONFORMANCE / "expected.json").read_text("utf-8"))
    docs = [(CONFORMANCE / "corpus" / r).read_bytes() for r in sorted(expected)]
    docs = [d for d in docs if len(d) <= max_bytes]
    random.Random(20000).shuffle(docs)
    return docs


def status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def write_table(path: Path) -> None:
    lines = ["[procedure]", f'name = "{TABLE["procedure"]["name"]}"']
    for m in TABLE["municipalities"]:
        lines += ["[[municipalities]]", f'id = "{m["id"]}"', f'name = "{m["name"]}"',
                  "leitweg_ids = [" + ", ".join(f'"{p}"' for p in m["leitweg_ids"]) + "]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--documents", type=int, default=20_000)
    ap.add_argument("--every", type=int, default=5_000, help="RSS checkpoint interval")
    ap.add_argument("--prefetch", type=int, default=64)
    ap.add_argument("--window", type=int, default=500, help="documents in flight at most")
    ap.add_argument("--max-bytes", type=int, default=200_000, help="largest corpus document used")
    ap.add_argument("--timeout", type=float, default=1800, help="give up after this many seconds")
    args = ap.parse_args()

    docs = corpus(args.max_bytes)
    prefix = f"soak-{uuid.uuid4().hex[:10]}"
    names = Names(prefix)
    table = parse_table(TABLE)
    outputs = [names.rejected, names.unroutable, names.failed,
               *(names.accounting(m.id) for m in table.municipalities)]
    tmp = Path(tempfile.mkdtemp(prefix="einvoice-soak-"))
    write_table(tmp / "routing.toml")
    log_path = tmp / "worker.log"
    env = {**os.environ, "AMQP_URL": AMQP_URL, "EINVOICE_ROUTING": str(tmp / "routing.toml"),
           "EINVOICE_QUEUE_PREFIX": prefix, "EINVOICE_PREFETCH": str(args.prefetch),
           "LOG_FORMAT": "json"}
    print(f"soak: {args.documents} documents ({len(docs)} distinct corpus documents up to "
          f"{args.max_bytes} bytes, cycled), one worker, prefetch {args.prefetch}, prefix {prefix}")
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, str(ROOT / "worker.py")], env=env, cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        end = time.monotonic() + 60
        while b'"event": "consuming"' not in log_path.read_bytes():
            if proc.poll() is not None or time.monotonic() > end:
                print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
                return 2
            time.sleep(0.05)
        return soak(args, proc.pid, docs, names, outputs)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        conn = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
        try:
            topology.delete(conn.channel(), names, names.queues(table))
        finally:
            conn.close()
        log_path.unlink(missing_ok=True)
        (tmp / "routing.toml").unlink(missing_ok=True)
        tmp.rmdir()


def soak(args: argparse.Namespace, pid: int, docs: list[bytes], names: Names,
         outputs: list[str]) -> int:
    n = args.documents
    settled = 0
    published = 0
    conn = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    ch = conn.channel()

    def on_result(_ch: Any, _method: Any, _props: Any, _body: bytes) -> None:
        nonlocal settled
        settled += 1

    for q in outputs:
        ch.basic_consume(queue=q, on_message_callback=on_result, auto_ack=True)
    start_rss = status_kb(pid, "VmRSS")
    rows: list[tuple[int, float, float, float]] = [(0, start_rss / 1024, 0.0, 0.0)]
    print(f"{'documents':>10} {'RSS MB':>8} {'seconds':>8} {'docs/s':>7}")
    print(f"{0:>10} {start_rss / 1024:>8.1f} {0:>8.1f} {'':>7}")
    t0 = last_t = time.monotonic()
    next_mark = args.every
    pub = InboundPublisher(AMQP_URL, names.prefix, app_id="einvoice-soak")
    try:
        while settled < n:
            if time.monotonic() - t0 > args.timeout:
                print(f"timeout: {settled} of {n} settled", file=sys.stderr)
                return 2
            while published < n and published - settled < args.window:
                pub.publish(docs[published % len(docs)], message_id=f"soak-{published}")
                published += 1
            conn.process_data_events(time_limit=0.02)
            if settled >= next_mark or settled >= n:
                now = time.monotonic()
                rss = status_kb(pid, "VmRSS") / 1024
                mark = min(settled, n)
                rate = (mark - rows[-1][0]) / (now - last_t)
                rows.append((mark, rss, now - t0, rate))
                print(f"{mark:>10} {rss:>8.1f} {now - t0:>8.1f} {rate:>7.0f}", flush=True)
                last_t = now
                next_mark += args.every
    finally:
        pub.close()
        conn.close()
    peak = status_kb(pid, "VmHWM") / 1024
    end_rss = status_kb(pid, "VmRSS") / 1024
    total = rows[-1][2]
    after_warmup = [r[1] for r in rows[1:]]
    steps = [b - a for a, b in pairwise(after_warmup)]
    trend = max(steps) if steps else 0.0
    growth = after_warmup[-1] - after_warmup[0] if after_warmup else 0.0
    print(f"end: RSS {end_rss:.1f} MB, peak (VmHWM) {peak:.1f} MB, start {start_rss / 1024:.1f} MB; "
          f"{n} documents in {total:.1f} s ({n / total:.0f}/s)")
    print(f"after warm-up (from {rows[1][0]} documents): {growth:+.1f} MB overall, largest step "
          f"{trend:+.1f} MB per {args.every}")
    ok_peak = peak <= TARGET_PEAK_MB
    ok_trend = growth <= TREND_TOLERANCE_MB * max(1, len(steps))
    print(f"target peak ≤ {TARGET_PEAK_MB:.0f} MB: {'met' if ok_peak else 'MISSED'}; "
          f"no growth trend after warm-up: {'met' if ok_trend else 'MISSED'}")
    return 0 if ok_peak and ok_trend else 1


if __name__ == "__main__":
    sys.exit(main())
