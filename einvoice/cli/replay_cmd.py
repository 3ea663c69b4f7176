"""`einvoice replay`: send parked messages back to inbound once their cause is fixed.

Each message is published with a broker confirm before its parked copy is acknowledged, so an
interrupted replay can duplicate a document (same SHA-256, the downstream idempotency key) but
never lose one. One audit line per replayed message. See docs/runbook.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

import pika.exceptions

from einvoice.cli.common import emit


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from einvoice.ops.cli_support import add_connection_options
    from einvoice.ops.messages import PARKED_QUEUES

    p = sub.add_parser("replay", help="publish parked messages to inbound again (after a fix)",
                       description="Selects messages of one parked queue (all of them, or by id, "
                       "reason text or municipality) and publishes their original document to "
                       "inbound. Without --yes it only asks (on a terminal) or refuses.")
    p.add_argument("--queue", choices=PARKED_QUEUES, required=True)
    p.add_argument("--id", action="append", default=[], dest="ids", metavar="ID",
                   help="message id or document SHA-256 (repeatable)")
    p.add_argument("--reason", metavar="TEXT",
                   help="only messages whose reason, error, rule ids or routing problem contain TEXT")
    p.add_argument("--municipality", metavar="ID",
                   help="only messages for this municipality (routed now by the current table)")
    p.add_argument("--limit", type=int, metavar="N", help="replay at most N messages")
    p.add_argument("--dry-run", action="store_true", help="show what would be replayed, change nothing")
    p.add_argument("--yes", action="store_true", help="do it without asking")
    p.add_argument("--audit-log", metavar="FILE",
                   help="append one JSON line per replayed message; default $EINVOICE_AUDIT_LOG "
                   "(the audit line always goes to the log on stderr too)")
    add_connection_options(p, routing_help="routing table (TOML), the current one: --municipality "
                           "routes Leitweg-IDs with it; default $EINVOICE_ROUTING")
    p.set_defaults(func=run)


def _confirm(prompt: str) -> bool:
    if not sys.stdin.isatty():
        return False
    sys.stderr.write(prompt)
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes", "j", "ja")


def run(args: argparse.Namespace) -> int:
    from einvoice.ops.cli_support import connect, context, operator
    from einvoice.ops.replay import Item, Selection, replay

    if args.limit is not None and args.limit < 1:
        print("einvoice replay: --limit must be at least 1", file=sys.stderr)
        return 2
    ctx = context(args, "replay")
    if ctx is None:
        return 2
    if args.municipality and ctx.table is None and args.queue != "rejected":
        print("einvoice replay: --municipality needs the routing table (--routing or "
              "$EINVOICE_ROUTING) to route Leitweg-IDs", file=sys.stderr)
        return 2
    if not args.dry_run and not args.yes and not _confirm(
            f"Replay selected messages of {args.queue} to inbound? [y/N] "):
        print("einvoice replay: not confirmed; add --yes (or try --dry-run first)", file=sys.stderr)
        return 2
    audit_path = args.audit_log or os.environ.get("EINVOICE_AUDIT_LOG", "").strip() or None
    audit_file = open(audit_path, "a", encoding="utf-8") if audit_path else None  # noqa: SIM115

    def audit(record: dict[str, Any]) -> None:
        # A JSON line like the worker's logs (no global logging setup: this may run in-process).
        line = json.dumps({**record, "logger": "einvoice.audit", "level": "info",
                           "timestamp": datetime.now(UTC).isoformat()}, ensure_ascii=False)
        if audit_file is not None:
            audit_file.write(line + "\n")
            audit_file.flush()
            os.fsync(audit_file.fileno())
        sys.stderr.write(line + "\n")

    def show(item: Item) -> None:
        s = item.summary
        emit({"action": item.action, "message_id": s.message_id, "sha256": s.sha256,
              "invoice_number": s.invoice_number, "leitweg_id": s.leitweg_id,
              "municipality": s.municipality, "reason": s.reason, "replays": item.replays,
              "error": item.error})

    selection = Selection(ids=list(args.ids), reason=args.reason,
                          municipality=args.municipality, limit=args.limit)
    try:
        conn = connect(ctx.config, "replay")
        try:
            result = replay(conn, ctx.names, args.queue, selection, by=operator(),
                            dry_run=args.dry_run, table=ctx.table, audit=audit, on_item=show)
        finally:
            if conn.is_open:
                conn.close()
    except pika.exceptions.ChannelClosedByBroker as exc:
        print(f"einvoice replay: {exc.reply_text}", file=sys.stderr)
        return 2
    except (pika.exceptions.AMQPError, OSError) as exc:
        print(f"einvoice replay: broker: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    finally:
        if audit_file is not None:
            audit_file.close()
    print(json.dumps({"queue": result.queue, "scanned": result.scanned, "selected": result.selected,
                      "replayed": result.replayed, "dry_run": args.dry_run, "error": result.error}),
          file=sys.stderr)
    bad = any(i.action in ("failed", "not-replayable") for i in result.items)
    return 1 if bad else 0
