"""`einvoice worker`: run the queue worker (settings from the environment, see docs/worker.md)."""

from __future__ import annotations

import argparse
import sys

import structlog

from einvoice import logsetup, native, pipeline


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "worker",
        help="consume <prefix>.inbound, validate, convert, route by Leitweg-ID",
        description="Settings come from AMQP_URL, EINVOICE_ROUTING, EINVOICE_QUEUE_PREFIX, "
        "EINVOICE_PREFETCH, LOG_FORMAT (and EINVOICE_MAX_ATTEMPTS, EINVOICE_RETRY_DELAY_MS, "
        "EINVOICE_QUEUE_TYPE, EINVOICE_DELIVERY_LIMIT); options override them.",
    )
    p.add_argument("--amqp-url")
    p.add_argument("--routing", help="routing table (TOML); default $EINVOICE_ROUTING")
    p.add_argument("--prefix", help="queue name prefix; default $EINVOICE_QUEUE_PREFIX or einvoice")
    p.add_argument("--prefetch", type=int)
    p.add_argument("--log-format", choices=("auto", "json", "console"))
    p.add_argument("--metrics-port", type=int, help="serve /metrics, /healthz, /readyz here; "
                   "default $EINVOICE_METRICS_PORT (unset: no endpoint)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from einvoice.routing.table import RoutingConfigError
    from einvoice.worker import build
    from einvoice.worker.config import ConfigError, from_env, validate_prefix
    from einvoice.worker.consumer import TopologyConflict

    try:
        config = from_env().with_overrides(
            amqp_url=args.amqp_url, routing_path=args.routing, prefix=args.prefix,
            prefetch=args.prefetch, log_format=args.log_format)
        validate_prefix(config.prefix)
        if config.prefetch < 1:
            raise ConfigError("prefetch must be at least 1")
    except ConfigError as exc:
        print(f"einvoice worker: {exc}", file=sys.stderr)
        return 2
    logsetup.configure(config.log_format)
    log = structlog.get_logger("einvoice.worker")
    from einvoice.metrics import start_for

    try:
        worker = build(config)
        metrics = start_for(worker, args.metrics_port)
    except (RoutingConfigError, ValueError, OSError) as exc:
        log.error("config_error", error=str(exc))
        return 2
    if metrics is not None:
        log.info("metrics_serving", port=metrics.port)
    # Load the rules now, not on the first invoice, so that the start line can say whether the
    # hot modules run compiled: a stale build runs the source, correct but slower.
    pipeline.warm_up()
    stale = native.stale_modules()
    log.info("worker_starting", prefix=config.prefix, routing=config.routing_path,
             municipalities=len(worker.table.municipalities) if worker.table else 0,
             prefetch=config.prefetch, modules=native.flavour(),
             **({"stale_compiled_modules": stale} if stale else {}))
    try:
        worker.run()
    except TopologyConflict:
        return 2  # logged by the worker: a queue exists with other arguments
    finally:
        if metrics is not None:
            metrics.close()
    return 0
