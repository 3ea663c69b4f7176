"""The JSON envelope the worker publishes for every document: accepted, rejected or unroutable.

The original XML travels in ``document.base64``: it is the legal invoice, the model is our
reading of it. ``message_id`` of the AMQP message is ``document.sha256``, the idempotency key
consumers deduplicate on (at-least-once delivery may hand them the same document twice).
Schema: schemas/envelope.schema.json, generated from these models (``python -m
einvoice.worker.schemas``).
"""

from __future__ import annotations

import binascii
import hashlib
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from einvoice.model import Invoice
from einvoice.report import Report

ENVELOPE_VERSION: Literal[1] = 1
Outcome = Literal["accepted", "rejected", "unroutable"]
RouteProblem = Literal["missing", "malformed", "unknown-state", "check-digits", "no-municipality"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocumentInfo(_Strict):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 (hex) of the raw document")
    syntax: str | None = Field(description="ubl-invoice | ubl-creditnote | cii, null if unknown")
    size: int = Field(ge=0, description="Size of the raw document in bytes")
    base64: str = Field(description="The original document, base64: the legal invoice")


class MunicipalityRef(_Strict):
    id: str
    name: str


class RoutingInfo(_Strict):
    leitweg_id: str | None = Field(description="BT-10 as checked (upper case), null if absent")
    municipality: MunicipalityRef | None = Field(
        default=None, description="Whose invoice this is, when the Leitweg-ID names one")
    matched_prefix: str | None = Field(default=None, description="The routing-table prefix that won")
    queue: str = Field(description="The queue this envelope was published to")
    problem: RouteProblem | None = Field(
        default=None, description="Why the Leitweg-ID could not be routed")
    message_de: str | None = None
    message_en: str | None = None


class SourceInfo(_Strict):
    message_id: str | None = Field(default=None, description="message_id of the inbound message")
    app_id: str | None = None
    correlation_id: str | None = None
    headers: dict[str, str] = Field(
        default_factory=dict, description="The inbound message's own headers, as text")


class Envelope(_Strict):
    """What accounting, rejected and unroutable queues receive, as JSON."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"title": "einvoice result envelope",
                           "$comment": "Generated from einvoice.worker.envelope.Envelope; "
                                       "do not edit by hand."},
    )

    version: Literal[1] = ENVELOPE_VERSION
    outcome: Outcome
    invoice: Invoice | None = Field(description="The normalized EN 16931 model, null when the "
                                                "document could not be read")
    report: Report
    document: DocumentInfo
    routing: RoutingInfo
    received_at: datetime
    processed_at: datetime
    source: SourceInfo


# The last document hashed and its digest. The worker hashes each inbound body twice: the handler
# for the message id, and the metrics' pipeline wrapper to key the findings by it; both get the
# very same bytes object, so the second call is an identity check instead of hashing again
# (some 20 µs for a 30 KB invoice). Only immutable ``bytes`` qualify.
_last_hashed: tuple[bytes, str] = (b"", hashlib.sha256(b"").hexdigest())


def sha256_hex(data: bytes) -> str:
    global _last_hashed
    last = _last_hashed  # one read: another thread may replace it meanwhile
    if data is last[0]:
        return last[1]
    digest = hashlib.sha256(data).hexdigest()
    if type(data) is bytes:
        _last_hashed = (data, digest)
    return digest


def document_info(data: bytes, syntax: str | None, digest: str | None = None) -> DocumentInfo:
    return DocumentInfo(
        sha256=digest or sha256_hex(data),
        syntax=syntax,
        size=len(data),
        base64=binascii.b2a_base64(data, newline=False).decode("ascii"),
    )


# How the serializer writes an empty ``document.base64``: the last field of "document", followed
# by "routing". Nothing else can produce these bytes: inside JSON strings every quote is escaped,
# and no other object of the envelope has a "base64" key followed by a "routing" key.
_EMPTY_BASE64 = b'"base64":""},"routing":'
_BASE64_VALUE_AT = len(b'"base64":"')


def to_json(envelope: Envelope, data: bytes) -> bytes:
    """The envelope as UTF-8 JSON with ``document.base64`` set to the base64 of ``data``: byte for
    byte ``envelope.model_dump_json().encode()`` had the field been filled in.

    ``envelope.document.base64`` must be empty. The body is some 60 KB per invoice, so copies
    count: the serializer's bytes are used as they are (``model_dump_json`` decodes them into a
    str that ``.encode()`` copies back), and the base64 text, the largest part (4/3 of the
    document), goes in as the bytes binascii makes instead of as a str field value that the
    serializer would scan for characters to escape (base64 has none) and copy again.
    """
    if envelope.document.base64:
        raise ValueError("to_json fills in document.base64 itself; leave it empty")
    out = envelope.__pydantic_serializer__.to_json(envelope)
    # "document" comes after the invoice and the report, a few hundred bytes before the end:
    # searching backwards finds it without scanning the invoice's JSON (the marker occurs once).
    at = out.rindex(_EMPTY_BASE64) + _BASE64_VALUE_AT
    # Views, not slices: join copies each part once, straight into the body.
    whole = memoryview(out)
    return b"".join((whole[:at], binascii.b2a_base64(data, newline=False), whole[at:]))


SCHEMA_ID = "https://einvoice.local/schemas/envelope.schema.json"
# The model has its own schema (schemas/invoice.schema.json, tools/gen_schemas.py); referring to
# it keeps one source of truth for the invoice and this file stable when the model grows.
INVOICE_SCHEMA_REF = "invoice.schema.json"


def _refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            out.add(ref.removeprefix("#/$defs/"))
        for v in node.values():
            _refs(v, out)
    elif isinstance(node, list):
        for v in node:
            _refs(v, out)


def json_schema() -> dict[str, Any]:
    schema = Envelope.model_json_schema(mode="serialization")
    prop = schema["properties"]["invoice"]
    schema["properties"]["invoice"] = {
        "anyOf": [{"$ref": INVOICE_SCHEMA_REF}, {"type": "null"}],
        "description": prop.get("description", ""),
    }
    defs: dict[str, Any] = schema.pop("$defs", {})
    keep: set[str] = set()
    _refs(schema, keep)
    while True:
        more: set[str] = set()
        for name in keep:
            _refs(defs.get(name, {}), more)
        if more <= keep:
            break
        keep |= more
    schema["$defs"] = {k: v for k, v in defs.items() if k in keep}
    return {"$id": SCHEMA_ID, **schema}
