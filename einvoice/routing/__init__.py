"""Routing by Leitweg-ID (BT-10): the procedure's routing table and the ID's own checks."""

from einvoice.routing.leitweg import LeitwegError, LeitwegId
from einvoice.routing.table import (
    Municipality,
    Procedure,
    Route,
    Router,
    RoutingConfigError,
    RoutingTable,
    load,
    parse_table,
)

__all__ = [
    "LeitwegError",
    "LeitwegId",
    "Municipality",
    "Procedure",
    "Route",
    "Router",
    "RoutingConfigError",
    "RoutingTable",
    "load",
    "parse_table",
]
