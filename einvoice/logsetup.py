"""Logging: structlog, JSON by default, the console renderer on a terminal.

Standard-library loggers (pika, the pipeline's own stdlib users) go through the same processors
and renderer, so every line of a worker's output is one JSON object. Log lines carry ids, counts
and verdicts only; ``scrub`` masks anything shaped like an IBAN in free text (exception messages,
errors) as a second line of defence, because names, addresses and bank accounts must not reach
the logs.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, Literal

import structlog

LogFormat = Literal["auto", "json", "console"]

# Two letters, two digits, then 11-30 alphanumerics, possibly in blocks of four.
_IBAN = re.compile(r"\b[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]){11,30}\b")
# Keys whose values are ours (ids, codes, counts) and may legitimately look like an IBAN.
_SAFE_KEYS = frozenset({"event", "level", "logger", "timestamp", "sha256", "message_id",
                        "invoice_number", "leitweg_id", "municipality", "queue"})


_PIKA_CONNECT_LOGGERS = (
    "pika.adapters.utils.connection_workflow",
    "pika.adapters.utils.io_services_utils",
    "pika.adapters.blocking_connection",
    "pika.adapters.base_connection",
)


def scrub(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key not in _SAFE_KEYS and isinstance(value, str) and _IBAN.search(value):
            event[key] = _IBAN.sub("[IBAN]", value)
    return event


def resolve_format(fmt: str | None) -> Literal["json", "console"]:
    if fmt == "console":
        return "console"
    if fmt in (None, "", "auto"):
        return "console" if sys.stderr.isatty() else "json"
    return "json"


def configure(fmt: str | None = "auto", level: int = logging.INFO) -> None:
    """Route structlog and the standard library through one renderer on stderr.

    structlog's own loggers write directly (the worker logs one line per message, and the
    stdlib round trip would cost a third of a pass-through message's time); stdlib records
    (pika, libraries) pass through the same processors via ``ProcessorFormatter``.
    """
    console = resolve_format(fmt) == "console"
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        scrub,
    ]
    renderer: Any
    if console:
        renderer = structlog.dev.ConsoleRenderer()
        tail: list[Any] = [renderer]
    else:
        renderer = structlog.processors.JSONRenderer()
        tail = [structlog.processors.format_exc_info, renderer]
    structlog.configure(
        processors=[*shared, *tail],
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # pika is chatty at INFO about every connection step; its warnings and errors matter,
    # except the connection workflow's, which repeat (with tracebacks) what the worker already
    # reports as one broker_unavailable line per attempt.
    logging.getLogger("pika").setLevel(logging.WARNING)
    for name in _PIKA_CONNECT_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)
