"""`einvoice publish FILE...`: put documents on <prefix>.inbound, each confirmed by the broker."""

from __future__ import annotations

import argparse
import sys

import pika.exceptions

from einvoice.cli.common import emit, read_file


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("publish", help="publish documents to the worker's inbound exchange")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--amqp-url", help="default $AMQP_URL or amqp://guest:guest@127.0.0.1:5672/%%2F")
    p.add_argument("--prefix", help="queue name prefix; default $EINVOICE_QUEUE_PREFIX or einvoice")
    p.add_argument("--correlation-id")
    p.add_argument("--header", action="append", default=[], metavar="KEY=VALUE",
                   help="an AMQP header to carry along (repeatable)")
    p.add_argument("--declare", action="store_true",
                   help="declare the fixed topology first (exchange, inbound queue, …)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from einvoice.worker import topology
    from einvoice.worker.config import ConfigError, from_env
    from einvoice.worker.publisher import InboundPublisher, PublishError

    try:
        config = from_env().with_overrides(amqp_url=args.amqp_url, prefix=args.prefix)
    except ConfigError as exc:
        print(f"einvoice publish: {exc}", file=sys.stderr)
        return 2
    headers = {}
    for item in args.header:
        key, sep, value = item.partition("=")
        if not sep or not key:
            print(f"einvoice publish: --header {item!r}: use KEY=VALUE", file=sys.stderr)
            return 2
        headers[key] = value
    rc = 0
    try:
        with InboundPublisher(config.amqp_url, config.prefix) as pub:
            if args.declare:
                topology.declare_on(pub.connection, config, table=None)
            for path in args.files:
                data = read_file(path)
                if data is None:
                    return 2
                try:
                    done = pub.publish(data, correlation_id=args.correlation_id,
                                       headers=headers or None)
                except PublishError as exc:
                    emit({"file": path, "published": False, "error": str(exc)})
                    rc = 1
                    continue
                emit({"file": path, "published": True, "message_id": done.message_id,
                      "sha256": done.sha256, "size": done.size})
    except pika.exceptions.ChannelClosedByBroker as exc:
        hint = (" (start the worker or run `einvoice topology declare` first, or pass --declare)"
                if exc.reply_code == 404 else "")
        print(f"einvoice publish: broker: {exc.reply_text}{hint}", file=sys.stderr)
        return 2
    except (pika.exceptions.AMQPError, OSError) as exc:
        print(f"einvoice publish: broker: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    return rc
