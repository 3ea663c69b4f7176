"""The queue worker: consume XRechnung documents, validate, convert, route by Leitweg-ID.

``build(config)`` makes a ready ``Worker`` from settings (see ``config.from_env``); names of
queues and exchanges are in ``topology.Names``; the published JSON is ``envelope.Envelope``.
Operations documentation: docs/worker.md.
"""

from __future__ import annotations

from einvoice.routing.table import Router, RoutingConfigError, RoutingTable, load
from einvoice.worker.config import ConfigError, WorkerConfig, from_env
from einvoice.worker.consumer import Worker
from einvoice.worker.handling import InvoiceHandler, PassThroughHandler
from einvoice.worker.hooks import Hooks
from einvoice.worker.topology import Names


def load_table(config: WorkerConfig) -> RoutingTable:
    if not config.routing_path:
        raise RoutingConfigError("EINVOICE_ROUTING is not set: the worker needs a routing table "
                                 "(see examples/routing.toml)")
    return load(config.routing_path)


def build(config: WorkerConfig, *, hooks: Hooks | None = None) -> Worker:
    """A worker with the real handler and the configured routing table (raises on bad config)."""
    table = load_table(config)
    handler = InvoiceHandler(Names(config.prefix), Router(table))
    return Worker(config, handler, table=table, hooks=hooks)


__all__ = [
    "ConfigError",
    "Hooks",
    "InvoiceHandler",
    "Names",
    "PassThroughHandler",
    "RoutingConfigError",
    "Worker",
    "WorkerConfig",
    "build",
    "from_env",
    "load_table",
]
