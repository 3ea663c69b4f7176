"""`einvoice topology declare|show|delete|export|apply`: the worker's exchanges and queues;
`export`/`apply`: least-privilege RabbitMQ definitions (einvoice/ops/definitions.py)."""

from __future__ import annotations

import argparse
import sys

import pika
import pika.exceptions

from einvoice.cli.common import emit


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("topology", help="declare, show or delete the worker's exchanges and queues; "
                       "export or apply least-privilege broker definitions")
    p.add_argument("action", choices=("declare", "show", "delete", "export", "apply"))
    p.add_argument("--amqp-url")
    p.add_argument("--routing", help="routing table (TOML); default $EINVOICE_ROUTING")
    p.add_argument("--prefix", help="queue name prefix; default $EINVOICE_QUEUE_PREFIX or einvoice")
    p.add_argument("--yes", action="store_true", help="confirm `delete` (drops queued messages!)")
    from einvoice.ops.topology_cli import add_options

    add_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from einvoice.routing.table import RoutingConfigError, RoutingTable, load
    from einvoice.worker import topology
    from einvoice.worker.config import ConfigError, from_env

    try:
        config = from_env().with_overrides(amqp_url=args.amqp_url, routing_path=args.routing,
                                           prefix=args.prefix)
        table: RoutingTable | None = load(config.routing_path) if config.routing_path else None
    except (ConfigError, RoutingConfigError) as exc:
        print(f"einvoice topology: {exc}", file=sys.stderr)
        return 2
    if args.action in ("export", "apply"):
        from einvoice.ops.topology_cli import run as run_definitions

        return run_definitions(args, config, table)
    names = topology.Names(config.prefix)
    if args.action == "show":
        emit({"exchanges": names.exchanges(), "queues": names.queues(table)})
        return 0
    if args.action == "delete" and not args.yes:
        print("einvoice topology delete: add --yes; this drops every queued message", file=sys.stderr)
        return 2
    try:
        conn = pika.BlockingConnection(pika.URLParameters(config.amqp_url))
        try:
            if args.action == "declare":
                p = topology.declare_on(conn, config, table=table)
                emit({"declared": {"exchanges": [e.name for e in p.exchanges],
                                   "queues": [q.name for q in p.queues]}})
            else:
                topology.delete(conn.channel(), names, names.queues(table))
                emit({"deleted": {"exchanges": names.exchanges(), "queues": names.queues(table)}})
        finally:
            if conn.is_open:
                conn.close()
    except (pika.exceptions.AMQPError, OSError) as exc:
        print(f"einvoice topology: broker: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    return 0
