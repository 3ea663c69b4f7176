"""Worker settings, from the environment (12-factor) with command-line overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
DEFAULT_PREFIX = "einvoice"
# RabbitMQ's default max_message_size (128 MiB); larger publishes close the channel.
DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024

QueueType = Literal["auto", "quorum", "classic"]
LogFormat = Literal["auto", "json", "console"]


class ConfigError(ValueError):
    """A setting has an unusable value."""


@dataclass(frozen=True)
class WorkerConfig:
    amqp_url: str = DEFAULT_AMQP_URL
    routing_path: str | None = None
    prefix: str = DEFAULT_PREFIX
    prefetch: int = 64
    log_format: LogFormat = "auto"
    # Processing attempts before a message goes to <prefix>.failed.
    max_attempts: int = 5
    # Delay before a failed message is tried again (queue TTL of <prefix>.retry).
    retry_delay_ms: int = 5000
    queue_type: QueueType = "auto"
    # Quorum queues only: deliveries of one message (worker crashes included) before the broker
    # dead-letters it to <prefix>.failed; the safety net for input that kills the process.
    delivery_limit: int = 20
    reconnect_max_s: float = 30.0
    # The broker's max_message_size: a larger result (the envelope carries the document in
    # base64) goes to <prefix>.failed at once instead of closing the channel on every redelivery.
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    # Extra client properties, e.g. a connection name tests can find the connection by.
    connection_name: str = field(default_factory=lambda: f"einvoice-worker-{os.getpid()}")

    def with_overrides(self, **kwargs: object) -> WorkerConfig:
        clean = {k: v for k, v in kwargs.items() if v is not None}
        return replace(self, **clean)  # type: ignore[arg-type]


def _int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ConfigError(f"{name}={value} must be at least {minimum}")
    return value


def from_env(env: Mapping[str, str] | None = None) -> WorkerConfig:
    e = os.environ if env is None else env
    prefix = e.get("EINVOICE_QUEUE_PREFIX", "").strip() or DEFAULT_PREFIX
    log_format = (e.get("LOG_FORMAT", "").strip().lower() or "auto")
    if log_format not in ("auto", "json", "console"):
        raise ConfigError(f"LOG_FORMAT={log_format!r}: use json, console or auto")
    queue_type = (e.get("EINVOICE_QUEUE_TYPE", "").strip().lower() or "auto")
    if queue_type not in ("auto", "quorum", "classic"):
        raise ConfigError(f"EINVOICE_QUEUE_TYPE={queue_type!r}: use auto, quorum or classic")
    validate_prefix(prefix)
    return WorkerConfig(
        connection_name=e.get("EINVOICE_CONNECTION_NAME", "").strip()
        or f"einvoice-worker-{prefix}-{os.getpid()}",
        amqp_url=e.get("AMQP_URL", "").strip() or DEFAULT_AMQP_URL,
        routing_path=e.get("EINVOICE_ROUTING", "").strip() or None,
        prefix=prefix,
        prefetch=_int(e, "EINVOICE_PREFETCH", 64, 1),
        log_format=log_format,  # type: ignore[arg-type]
        max_attempts=_int(e, "EINVOICE_MAX_ATTEMPTS", 5, 1),
        retry_delay_ms=_int(e, "EINVOICE_RETRY_DELAY_MS", 5000, 0),
        queue_type=queue_type,  # type: ignore[arg-type]
        delivery_limit=_int(e, "EINVOICE_DELIVERY_LIMIT", 20, 1),
        max_message_bytes=_int(e, "EINVOICE_MAX_MESSAGE_BYTES", DEFAULT_MAX_MESSAGE_BYTES, 1024),
    )


def validate_prefix(prefix: str) -> str:
    # Queue names are at most 255 bytes; leave room for '.accounting.<id>'.
    if not prefix or len(prefix.encode()) > 150 or any(c.isspace() for c in prefix):
        raise ConfigError(f"EINVOICE_QUEUE_PREFIX={prefix!r}: 1-150 bytes, no blanks")
    if prefix.startswith("amq."):
        raise ConfigError("EINVOICE_QUEUE_PREFIX must not start with 'amq.' (reserved by the broker)")
    return prefix
