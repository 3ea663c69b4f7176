"""`einvoice queues`: depth and consumers of every queue of the procedure."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

import pika.exceptions

from einvoice.cli.common import emit


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from einvoice.ops.cli_support import add_connection_options

    p = sub.add_parser("queues", help="depth of every queue of the procedure",
                       description="Ready messages and consumers per queue (accounting queues "
                       "from the routing table). See docs/runbook.md.")
    add_connection_options(p, routing_help="routing table (TOML) naming the accounting queues; "
                           "default $EINVOICE_ROUTING")
    p.add_argument("--table", action="store_true", help="a table for people instead of JSON lines")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from einvoice.ops.cli_support import connect, context, table_lines
    from einvoice.ops.inspect import depths

    ctx = context(args, "queues")
    if ctx is None:
        return 2
    try:
        conn = connect(ctx.config, "queues")
        try:
            rows = [asdict(d) for d in depths(conn, ctx.names, ctx.table)]
        finally:
            if conn.is_open:
                conn.close()
    except (pika.exceptions.AMQPError, OSError) as exc:
        print(f"einvoice queues: broker: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if args.table:
        for r in rows:
            if r["messages"] is None:
                r["messages"] = "missing"
        table_lines(rows, [("queue", "QUEUE", 48), ("messages", "MESSAGES", 9),
                           ("consumers", "CONSUMERS", 9), ("role", "ROLE", 60)])
    else:
        for r in rows:
            emit(r)
    return 0
