"""What a parked message is about, and the inbound message it came from.

Three queues park messages an operator may have to act on (names in ``worker.topology``):

* ``failed``: the original inbound message (raw XML body, publisher's properties) whose
  processing attempts are spent, with the worker's ``x-einvoice-error``/``-attempts``/
  ``-failed-at`` headers, or the broker's ``x-death`` history when the broker dead-lettered it;
* ``rejected`` and ``unroutable``: the worker's JSON envelope, which carries the original
  document (``document.base64``) and the inbound metadata (``source``).

``summarize`` never raises: a message it cannot read is described as unreadable (and cannot be
replayed) rather than breaking a listing. ``original`` rebuilds the inbound message for replay.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from einvoice.routing.table import Router, RoutingTable
from einvoice.worker.topology import (
    ATTEMPTS_HEADER,
    ERROR_HEADER,
    FAILED_AT_HEADER,
    FIRST_FAILED_AT_HEADER,
    INTERNAL_HEADERS,
    Names,
)

ParkedQueue = Literal["failed", "rejected", "unroutable"]
PARKED_QUEUES: tuple[ParkedQueue, ...] = ("failed", "rejected", "unroutable")

# Replay bookkeeping, carried along by the worker like any publisher header (it only strips its
# own retry headers), so the envelope in the next queue still says it was replayed, by whom, when.
REPLAYS_HEADER = "x-einvoice-replays"
REPLAYED_BY_HEADER = "x-einvoice-replayed-by"
REPLAYED_AT_HEADER = "x-einvoice-replayed-at"
REPLAYED_FROM_HEADER = "x-einvoice-replayed-from"
REPLAY_HEADERS = frozenset({REPLAYS_HEADER, REPLAYED_BY_HEADER, REPLAYED_AT_HEADER,
                            REPLAYED_FROM_HEADER})

MAX_RULES_SHOWN = 5


def queue_name(names: Names, queue: ParkedQueue) -> str:
    return {"failed": names.failed, "rejected": names.rejected,
            "unroutable": names.unroutable}[queue]


@dataclass
class Summary:
    """One parked message as an operator reads it (``failed list``/``show``, replay selection)."""

    queue: str
    position: int
    message_id: str | None  # the inbound message's id (the publisher's), when it had one
    sha256: str | None  # of the raw document: the idempotency key downstream
    invoice_number: str | None = None
    supplier: str | None = None
    leitweg_id: str | None = None
    municipality: str | None = None
    reason: str = ""
    rules: list[str] = field(default_factory=list)
    error: str | None = None
    route_problem: str | None = None
    x_death: list[dict[str, Any]] = field(default_factory=list)
    first_failure: str | None = None
    attempts: int = 0
    replays: int = 0
    redelivered: bool = False
    readable: bool = True

    def matches_id(self, wanted: str) -> bool:
        w = wanted.strip().lower()
        if not w:
            return False
        if self.message_id is not None and self.message_id.lower() == w:
            return True
        # Long enough not to be ambiguous by accident: an abbreviated digest.
        return self.sha256 is not None and len(w) >= 8 and self.sha256.startswith(w)

    def matches_reason(self, text: str) -> bool:
        hay = " ".join(filter(None, [self.reason, self.error, self.route_problem, *self.rules]))
        return text.lower() in hay.lower()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)


def _int(value: Any) -> int:
    try:
        return max(0, int(_text(value)))
    except (TypeError, ValueError):
        return 0


def x_death(headers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The broker's dead-letter history, as plain JSON-able dicts (newest first, as sent)."""
    raw = headers.get("x-death")
    out: list[dict[str, Any]] = []
    if not isinstance(raw, list):
        return out
    for entry in raw:
        if not isinstance(entry, Mapping):
            continue
        item: dict[str, Any] = {}
        for key in ("queue", "reason", "count", "exchange", "time"):
            if key in entry:
                v = entry[key]
                item[key] = v if isinstance(v, int) and not isinstance(v, bool) else _text(v)
        out.append(item)
    return out


def _first_failure(headers: Mapping[str, Any], deaths: list[dict[str, Any]]) -> str | None:
    first = headers.get(FIRST_FAILED_AT_HEADER)
    if first is not None:
        return _text(first)
    # Older messages, or the broker's own dead-lettering: the earliest time anything recorded.
    times = [d["time"] for d in deaths if isinstance(d.get("time"), str)]
    failed_at = headers.get(FAILED_AT_HEADER)
    if failed_at is not None:
        times.append(_text(failed_at))
    return min(times) if times else None


def _raw(value: Any) -> str | None:
    """``raw`` of a located model value, from the model object or its JSON form."""
    raw = value.get("raw") if isinstance(value, Mapping) else getattr(value, "raw", None)
    return raw if isinstance(raw, str) else None


def _route(router: Router | None, leitweg_id: str | None) -> str | None:
    if router is None or not leitweg_id:
        return None
    m = router.route(leitweg_id).municipality
    return m.id if m else None


def _rules_reason(findings: list[Mapping[str, Any]], reason: str | None) -> tuple[str, list[str]]:
    errors: list[str] = []
    for f in findings:
        rule = f.get("rule")
        if f.get("level") == "error" and isinstance(rule, str) and rule not in errors:
            errors.append(rule)
    shown = ", ".join(errors[:MAX_RULES_SHOWN])
    more = f" (+{len(errors) - MAX_RULES_SHOWN} more)" if len(errors) > MAX_RULES_SHOWN else ""
    head = reason or "rejected"
    text = f"{head}: {len(errors)} error(s): {shown}{more}" if errors else head
    return text, errors


def summarize_envelope(queue: str, position: int, props: Any, body: bytes,
                       router: Router | None, redelivered: bool = False) -> Summary:
    headers = dict(getattr(props, "headers", None) or {})
    s = Summary(queue=queue, position=position, message_id=None,
                sha256=getattr(props, "message_id", None), redelivered=redelivered, attempts=1)
    try:
        env = json.loads(body)
        if not isinstance(env, dict):
            raise ValueError("not an object")
    except (ValueError, UnicodeDecodeError):
        s.readable = False
        s.reason = "unreadable envelope (not JSON)"
        return s
    source = env.get("source") or {}
    routing = env.get("routing") or {}
    document = env.get("document") or {}
    invoice = env.get("invoice") or {}
    report = env.get("report") or {}
    src_headers = source.get("headers") or {}
    s.message_id = source.get("message_id")
    s.sha256 = document.get("sha256") or s.sha256
    s.invoice_number = _raw(invoice.get("number"))
    s.supplier = _raw((invoice.get("seller") or {}).get("name"))
    s.leitweg_id = routing.get("leitweg_id")
    muni = routing.get("municipality") or {}
    s.municipality = muni.get("id") or _route(router, s.leitweg_id)
    s.route_problem = routing.get("problem")
    s.first_failure = env.get("processed_at")
    s.replays = _int(src_headers.get(REPLAYS_HEADER, headers.get(REPLAYS_HEADER, 0)))
    if env.get("outcome") == "unroutable":
        msg = routing.get("message_en") or ""
        s.reason = f"{s.route_problem or 'unroutable'}: {msg}".strip().rstrip(":")
    else:
        s.reason, s.rules = _rules_reason(list(report.get("findings") or []), report.get("reason"))
    if not document.get("base64"):
        s.readable = False
    return s


def summarize_failed(queue: str, position: int, props: Any, body: bytes,
                     router: Router | None, redelivered: bool = False) -> Summary:
    headers = dict(getattr(props, "headers", None) or {})
    deaths = x_death(headers)
    s = Summary(queue=queue, position=position, message_id=getattr(props, "message_id", None),
                sha256=hashlib.sha256(body).hexdigest(), redelivered=redelivered)
    s.x_death = deaths
    s.first_failure = _first_failure(headers, deaths)
    s.replays = _int(headers.get(REPLAYS_HEADER, 0))
    error = headers.get(ERROR_HEADER)
    s.attempts = _int(headers.get(ATTEMPTS_HEADER, 0))
    if error is not None:
        s.error = _text(error)
        s.reason = s.error
    else:
        limit = next((d for d in deaths if d.get("reason") == "delivery_limit"), None)
        if limit is not None:
            s.attempts = max(s.attempts, _int(limit.get("count", 0)), _int(
                headers.get("x-delivery-count", 0)))
            s.reason = (f"dead-lettered by the broker from {limit.get('queue')} after its "
                        "delivery limit (the message kept stopping the worker)")
        elif deaths:
            d = deaths[0]
            s.reason = f"dead-lettered by the broker from {d.get('queue')} ({d.get('reason')})"
        else:
            s.reason = "failed (no error recorded)"
    _read_document(s, body, router)
    return s


def _read_document(s: Summary, body: bytes, router: Router | None) -> None:
    # Reading without validating: cheap, and it must not fail on the very input that failed.
    from einvoice.pipeline import convert

    try:
        inv = convert(body)
    except Exception:  # noqa: BLE001 - a listing must survive any document
        return
    number = getattr(inv, "number", None)
    if number is None and not hasattr(inv, "seller"):
        return
    s.invoice_number = _raw(number)
    s.supplier = _raw(getattr(getattr(inv, "seller", None), "name", None))
    s.leitweg_id = _raw(getattr(inv, "buyer_reference", None))
    if s.leitweg_id is not None:
        s.leitweg_id = s.leitweg_id.strip()
    s.municipality = _route(router, s.leitweg_id)


def summarize(kind: ParkedQueue, queue: str, position: int, props: Any, body: bytes,
              table: RoutingTable | None = None, redelivered: bool = False) -> Summary:
    router = Router(table) if table is not None else None
    if kind == "failed":
        return summarize_failed(queue, position, props, body, router, redelivered)
    return summarize_envelope(queue, position, props, body, router, redelivered)


@dataclass
class Original:
    """The inbound message to publish again: body and the publisher's own metadata."""

    body: bytes
    message_id: str | None
    correlation_id: str | None
    app_id: str | None
    content_type: str
    headers: dict[str, Any]
    replays: int


class NotReplayable(ValueError):
    """The parked message does not hold an original document we can trust."""


def original(kind: ParkedQueue, props: Any, body: bytes) -> Original:
    """The inbound message a parked message came from (raises ``NotReplayable``)."""
    headers = dict(getattr(props, "headers", None) or {})
    if kind == "failed":
        carried = {k: v for k, v in headers.items()
                   if k not in INTERNAL_HEADERS and k not in REPLAY_HEADERS}
        return Original(body=body, message_id=getattr(props, "message_id", None),
                        correlation_id=getattr(props, "correlation_id", None),
                        app_id=getattr(props, "app_id", None),
                        content_type=getattr(props, "content_type", None) or "application/xml",
                        headers=carried, replays=_int(headers.get(REPLAYS_HEADER, 0)))
    try:
        env = json.loads(body)
        doc = env["document"]
        raw = base64.b64decode(doc["base64"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise NotReplayable("the envelope holds no readable document") from None
    if hashlib.sha256(raw).hexdigest() != doc.get("sha256"):
        raise NotReplayable("the document does not match its SHA-256 in the envelope")
    source = env.get("source") or {}
    src_headers = {str(k): v for k, v in (source.get("headers") or {}).items()}
    replays = _int(src_headers.get(REPLAYS_HEADER, 0))
    carried = {k: v for k, v in src_headers.items()
               if k not in INTERNAL_HEADERS and k not in REPLAY_HEADERS}
    return Original(body=raw, message_id=source.get("message_id"),
                    correlation_id=source.get("correlation_id"), app_id=source.get("app_id"),
                    content_type="application/xml", headers=carried, replays=replays)
