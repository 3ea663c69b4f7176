"""Settings and connections shared by the operations commands (queues, failed, replay)."""

from __future__ import annotations

import argparse
import getpass
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pika

from einvoice.routing.table import RoutingConfigError, RoutingTable, load
from einvoice.worker.config import ConfigError, WorkerConfig, from_env
from einvoice.worker.topology import Names


def add_connection_options(p: argparse.ArgumentParser, *, routing_help: str | None = None) -> None:
    p.add_argument("--amqp-url", help="default $AMQP_URL or amqp://guest:guest@127.0.0.1:5672/%%2F")
    p.add_argument("--prefix", help="queue name prefix; default $EINVOICE_QUEUE_PREFIX or einvoice")
    p.add_argument("--routing", help=routing_help or "routing table (TOML); default $EINVOICE_ROUTING")


@dataclass
class Context:
    config: WorkerConfig
    names: Names
    table: RoutingTable | None


def context(args: argparse.Namespace, command: str) -> Context | None:
    """Settings from the environment and options, or None after printing why not."""
    try:
        config = from_env().with_overrides(amqp_url=args.amqp_url, prefix=args.prefix,
                                           routing_path=args.routing)
        table = load(config.routing_path) if config.routing_path else None
    except (ConfigError, RoutingConfigError) as exc:
        print(f"einvoice {command}: {exc}", file=sys.stderr)
        return None
    return Context(config, Names(config.prefix), table)


def connect(config: WorkerConfig, command: str) -> pika.BlockingConnection:
    params = pika.URLParameters(config.amqp_url)
    params.client_properties = {"connection_name": f"einvoice-{command}-{config.prefix}-{os.getpid()}"}
    return pika.BlockingConnection(params)


def operator() -> str:
    """Who is replaying: $EINVOICE_OPERATOR, else the login name at this host."""
    who = os.environ.get("EINVOICE_OPERATOR", "").strip()
    if who:
        return who
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid-{os.getuid()}"
    return f"{user}@{socket.gethostname()}"


def table_lines(rows: list[dict[str, Any]], columns: list[tuple[str, str, int]],
                write: Callable[[str], Any] | None = None) -> None:
    """A plain fixed-width table for people; JSON lines stay the default for scripts."""
    write = write or sys.stdout.write
    write("  ".join(title.ljust(width) for _key, title, width in columns).rstrip() + "\n")
    for row in rows:
        cells = []
        for key, _title, width in columns:
            v = row.get(key)
            text = "" if v is None else str(v)
            cells.append((text[: width - 1] + "…") if len(text) > width else text.ljust(width))
        write("  ".join(cells).rstrip() + "\n")
