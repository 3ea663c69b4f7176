"""Extension points for observability: the worker calls these, the default does nothing.

A metrics exporter subclasses ``Hooks`` and passes it to ``Worker(hooks=...)``; the worker
never imports a metrics library itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Hooks:
    def message_done(self, outcome: str, duration_s: float, fields: Mapping[str, Any]) -> None:
        """One inbound message is settled (acknowledged or handed back to the broker).

        ``outcome``: accepted, rejected, unroutable, retry, failed, requeued (or passed for the
        pass-through handler); ``fields``: the canonical log line's fields.
        """

    def connection_state(self, state: str) -> None:
        """The broker connection changed: connected, consuming, lost, stopped."""
