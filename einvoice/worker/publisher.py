"""Publishing documents to ``<prefix>.inbound`` with publisher confirms (operators, tests, bench)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pika
import pika.exceptions

from einvoice.worker.envelope import sha256_hex
from einvoice.worker.topology import Names


@dataclass(frozen=True)
class Published:
    message_id: str
    sha256: str
    size: int


class PublishError(Exception):
    """The broker did not take the message (nacked, or no queue bound to the exchange)."""


class InboundPublisher:
    """A blocking connection in confirm mode; every ``publish`` returns once the broker has it."""

    def __init__(self, amqp_url: str, prefix: str, *, app_id: str = "einvoice-publish") -> None:
        self.names = Names(prefix)
        self.app_id = app_id
        params = pika.URLParameters(amqp_url)
        params.client_properties = {"connection_name": f"einvoice-publish-{prefix}"}
        self.connection = pika.BlockingConnection(params)
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()

    def publish(self, data: bytes, *, message_id: str | None = None,
                correlation_id: str | None = None,
                headers: Mapping[str, Any] | None = None) -> Published:
        mid = message_id or uuid.uuid4().hex
        props = pika.BasicProperties(
            content_type="application/xml",
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=mid,
            correlation_id=correlation_id,
            app_id=self.app_id,
            headers=dict(headers) if headers else None,
        )
        try:
            self.channel.basic_publish(exchange=self.names.inbound_exchange, routing_key="",
                                       body=data, properties=props, mandatory=True)
        except pika.exceptions.UnroutableError:
            raise PublishError(f"no queue bound to exchange {self.names.inbound_exchange}") from None
        except pika.exceptions.NackError:
            raise PublishError("the broker refused the message (nack)") from None
        return Published(mid, sha256_hex(data), len(data))

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()

    def __enter__(self) -> InboundPublisher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
