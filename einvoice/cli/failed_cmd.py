"""`einvoice failed list|show ID`: what is parked in failed, rejected or unroutable, and why.

Inspection holds messages unacknowledged and gives every one back (requeue) when done; nothing is
removed. See einvoice/ops/inspect.py for the ordering note.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from typing import Any

import pika.exceptions

from einvoice.cli.common import emit


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from einvoice.ops.cli_support import add_connection_options
    from einvoice.ops.messages import PARKED_QUEUES

    p = sub.add_parser("failed", help="list or show parked messages (failed, rejected, unroutable)",
                       description="Reads without removing anything. See docs/runbook.md.")
    p.add_argument("action", choices=("list", "show"))
    p.add_argument("id", nargs="?", metavar="ID",
                   help="for show: the message id, or the document's SHA-256 (at least 8 hex digits)")
    p.add_argument("--queue", choices=PARKED_QUEUES, default="failed")
    p.add_argument("--limit", type=int, default=1000, help="look at the first N messages (1000)")
    p.add_argument("--table", action="store_true", help="list: a table for people, not JSON lines")
    p.add_argument("--document", action="store_true",
                   help="show: print the original document (XML) instead of the summary")
    add_connection_options(p, routing_help="routing table (TOML): fills in the municipality a "
                           "Leitweg-ID routes to now; default $EINVOICE_ROUTING")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from einvoice.ops.cli_support import connect, context
    from einvoice.ops.inspect import QueueWalk
    from einvoice.ops.messages import NotReplayable, original, queue_name, summarize

    if args.action == "show" and not args.id:
        print("einvoice failed show: give the message id (or SHA-256)", file=sys.stderr)
        return 2
    if args.limit < 1:
        print("einvoice failed: --limit must be at least 1", file=sys.stderr)
        return 2
    ctx = context(args, "failed")
    if ctx is None:
        return 2
    queue = queue_name(ctx.names, args.queue)
    rows: list[dict[str, Any]] = []
    found: tuple[dict[str, Any], bytes | None] | None = None
    try:
        conn = connect(ctx.config, "failed")
        try:
            ch = conn.channel()
            with QueueWalk(ch, queue, max_messages=args.limit) as walk:
                for held in walk:
                    s = summarize(args.queue, queue, held.position, held.props, held.body,
                                  ctx.table, held.redelivered)
                    if args.action == "list":
                        rows.append(s.as_dict())
                    elif s.matches_id(args.id):
                        detail = s.as_dict()
                        detail["headers"] = _headers(held.props.headers)
                        try:
                            doc: bytes | None = original(args.queue, held.props, held.body).body
                        except NotReplayable:
                            doc = None
                        if args.queue != "failed" and not args.document:
                            detail["findings"] = _findings(held.body)
                        found = (detail, doc)
                        break
        finally:
            if conn.is_open:
                conn.close()
    except pika.exceptions.ChannelClosedByBroker as exc:
        print(f"einvoice failed: {queue}: {exc.reply_text}", file=sys.stderr)
        return 2
    except (pika.exceptions.AMQPError, OSError) as exc:
        print(f"einvoice failed: broker: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if args.action == "list":
        _print_list(rows, args.table)
        return 0
    if found is None:
        print(f"einvoice failed show: no message {args.id!r} in {queue} "
              f"(first {args.limit} looked at)", file=sys.stderr)
        return 1
    detail, doc = found
    if args.document:
        if doc is None:
            print("einvoice failed show: the message holds no readable document", file=sys.stderr)
            return 1
        sys.stdout.buffer.write(doc)
        return 0
    sys.stdout.write(json.dumps(detail, ensure_ascii=False, indent=2, default=str) + "\n")
    return 0


def _headers(headers: dict[str, Any] | None) -> dict[str, Any]:
    def plain(v: Any) -> Any:
        if isinstance(v, bytes):
            try:
                return v.decode("utf-8")
            except UnicodeDecodeError:
                return base64.b64encode(v).decode("ascii")
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, list):
            return [plain(x) for x in v]
        return v

    return {str(k): plain(v) for k, v in (headers or {}).items()}


def _findings(body: bytes) -> list[dict[str, Any]] | None:
    try:
        env = json.loads(body)
        findings = env["report"]["findings"]
    except (ValueError, KeyError, TypeError):
        return None
    return [{k: f.get(k) for k in ("rule", "level", "location", "message_de", "message_en")}
            for f in findings if isinstance(f, dict)]


def _print_list(rows: list[dict[str, Any]], as_table: bool) -> None:
    from einvoice.ops.cli_support import table_lines

    if not as_table:
        for r in rows:
            emit(r)
        return
    for r in rows:
        r["id"] = r["message_id"] or (r["sha256"] or "")[:16]
    table_lines(rows, [("id", "ID", 32), ("invoice_number", "INVOICE", 16),
                       ("supplier", "SUPPLIER", 24), ("leitweg_id", "LEITWEG-ID", 20),
                       ("municipality", "MUNICIPALITY", 14), ("attempts", "ATT", 4),
                       ("replays", "REPL", 4), ("first_failure", "FIRST FAILURE", 25),
                       ("reason", "REASON", 60)])
