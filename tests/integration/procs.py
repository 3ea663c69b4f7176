"""Real worker processes and real broker faults for the reliability tests.

``WorkerProcess`` runs ``python worker.py`` (the documented entry point) as a child process, so
SIGKILL is a real crash: no ``finally``, no goodbye to the broker. Each start writes its own JSON
log file; the tests read readiness and progress from it. ``restart_broker`` stops and starts the
RabbitMQ application (every client connection drops, queues stay) and always leaves it running.
``Rss`` samples a process's resident memory from /proc.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pika
import pika.exceptions

from .helpers import AMQP_URL

ROOT = Path(__file__).resolve().parents[2]

CONSUMING = b'"event": "consuming"'
PROCESSED = b'"event": "invoice_processed"'
LOST = (b'"event": "connection_lost"', b'"event": "broker_unavailable"',
        b'"event": "connect_failed"')


def write_routing(path: Path, table: Mapping[str, Any]) -> Path:
    """A routing table (TOML) from the same dict shape ``parse_table`` takes."""
    lines = ["[procedure]", f'name = "{table["procedure"]["name"]}"']
    for m in table["municipalities"]:
        lines += ["[[municipalities]]", f'id = "{m["id"]}"', f'name = "{m["name"]}"',
                  "leitweg_ids = [" + ", ".join(f'"{p}"' for p in m["leitweg_ids"]) + "]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def worker_env(*, prefix: str, routing: Path, amqp_url: str = AMQP_URL, prefetch: int = 16,
               max_attempts: int = 3, retry_delay_ms: int = 100, **extra: str) -> dict[str, str]:
    """The environment of a worker process; retry settings must match any test-side declaration
    of the topology (a different queue TTL is a topology conflict)."""
    return {
        **os.environ,
        "AMQP_URL": amqp_url,
        "EINVOICE_ROUTING": str(routing),
        "EINVOICE_QUEUE_PREFIX": prefix,
        "EINVOICE_PREFETCH": str(prefetch),
        "EINVOICE_MAX_ATTEMPTS": str(max_attempts),
        "EINVOICE_RETRY_DELAY_MS": str(retry_delay_ms),
        "LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def proc_status_kb(pid: int, field: str = "VmRSS") -> int:
    """A memory figure of a live process from /proc/<pid>/status (VmRSS now, VmHWM peak), in kB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(f"{field} not in /proc/{pid}/status")


class WorkerProcess:
    """One worker slot: start, SIGKILL, restart, SIGTERM; one log file per start."""

    def __init__(self, name: str, env: Mapping[str, str], log_dir: Path) -> None:
        self.name = name
        self.env = dict(env)
        self.log_dir = log_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0
        self.log_path = log_dir / f"{name}-0.log"

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, f"{self.name} is running"
        self.starts += 1
        self.log_path = self.log_dir / f"{self.name}-{self.starts}.log"
        env = {**self.env, "EINVOICE_CONNECTION_NAME": f"{self.env['EINVOICE_QUEUE_PREFIX']}-"
                                                       f"{self.name}-{self.starts}"}
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen([sys.executable, str(ROOT / "worker.py")], env=env,
                                         cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> bytes:
        try:
            return self.log_path.read_bytes()
        except FileNotFoundError:
            return b""

    def ready(self) -> bool:
        """Consuming on its current connection and has settled at least one message on it."""
        text = self.log()
        at = text.rfind(CONSUMING)
        if at < 0 or not self.alive():
            return False
        tail = text[at:]
        return PROCESSED in tail and not any(x in tail for x in LOST)

    def consuming(self) -> bool:
        text = self.log()
        at = text.rfind(CONSUMING)
        return at >= 0 and self.alive() and not any(x in text[at:] for x in LOST)

    def kill(self) -> None:
        """SIGKILL: the process dies mid-work, exactly as in an OOM kill or power loss."""
        assert self.proc is not None and self.alive(), f"{self.name} is not running"
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self.kills += 1

    def stop(self, timeout: float = 40) -> int:
        """SIGTERM and wait: the graceful stop; the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def ensure_dead(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)

    def all_logs(self) -> bytes:
        return b"".join((self.log_dir / f"{self.name}-{i}.log").read_bytes()
                        for i in range(1, self.starts + 1)
                        if (self.log_dir / f"{self.name}-{i}.log").exists())


@contextlib.contextmanager
def running(*workers: WorkerProcess) -> Iterator[None]:
    """Whatever happens inside, no worker process outlives the block."""
    try:
        yield
    finally:
        for w in workers:
            w.ensure_dead()


class Rss:
    """Samples VmRSS of one process in a background thread; ``peak_kb`` also takes VmHWM."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError, LookupError):
                self.samples.append(proc_status_kb(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> Rss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def now_kb(self) -> int:
        return proc_status_kb(self.pid)

    def peak_kb(self) -> int:
        hwm = 0
        with contextlib.suppress(OSError, LookupError):
            hwm = proc_status_kb(self.pid, "VmHWM")
        return max([hwm, *self.samples])


# ---- the broker ------------------------------------------------------------------------


def rabbitmqctl(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    # RABBITMQ_NODENAME in the environment selects the node, as for any rabbitmqctl call.
    return subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def broker_answers(url: str = AMQP_URL) -> bool:
    try:
        conn = pika.BlockingConnection(pika.URLParameters(url))
    except (pika.exceptions.AMQPError, OSError):
        return False
    with contextlib.suppress(pika.exceptions.AMQPError, OSError):
        conn.close()
    return True


def wait_broker(timeout: float = 120, url: str = AMQP_URL) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if broker_answers(url):
            return True
        time.sleep(0.25)
    return broker_answers(url)


def restart_broker(*, down_s: float = 1.0, url: str = AMQP_URL) -> float:
    """``rabbitmqctl stop_app`` + ``start_app``: every connection drops, durable queues stay.
    Returns the seconds until the broker accepted connections again. The broker is started
    again even when stopping fails halfway or the caller is interrupted."""
    started = time.monotonic()
    try:
        stop = rabbitmqctl("stop_app")
        assert stop.returncode == 0, f"rabbitmqctl stop_app failed: {stop.stderr[-500:]}"
        time.sleep(down_s)
    finally:
        start = rabbitmqctl("start_app")
        up = wait_broker(120, url)
    assert start.returncode == 0, f"rabbitmqctl start_app failed: {start.stderr[-500:]}"
    assert up, "RabbitMQ did not accept connections again within 120 s"
    return time.monotonic() - started


def ensure_broker_running(url: str = AMQP_URL) -> None:
    """Safety net for a test that restarts the broker: start the app if it is not answering."""
    if broker_answers(url):
        return
    rabbitmqctl("start_app")
    wait_broker(120, url)
