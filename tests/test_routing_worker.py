"""The worker's parts that need no broker: settings, topology plan, handler, envelope, logs."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from einvoice.model import Invoice, Text
from einvoice.pipeline import Outcome
from einvoice.report import Finding, Report
from einvoice.routing import Router, parse_table
from einvoice.routing.leitweg import check_digits
from einvoice.worker import config as wconfig
from einvoice.worker import topology
from einvoice.worker.envelope import Envelope, document_info
from einvoice.worker.handling import (
    Inbound,
    InvoiceHandler,
    PassThroughHandler,
    ValidatorFailure,
    attempts_of,
)
from einvoice.worker.topology import ATTEMPTS_HEADER, Names

ROOT = Path(__file__).resolve().parent.parent
TABLE = parse_table({"procedure": {"name": "T"},
                     "municipalities": [{"id": "weissensee", "name": "Stadt Weißensee",
                                         "leitweg_ids": ["16068058"]}]})
GOOD = "16068058-" + check_digits("16068058")


def outcome(verdict: str, bt10: str | None, *, invoice: bool = True) -> Outcome:
    findings = [] if verdict == "accept" else [
        Finding(rule="BR-01", level="error", location="/", message_de="d", message_en="e")]
    inv = Invoice(syntax="cii", buyer_reference=Text(raw=bt10, path="/x") if bt10 else None,
                  number=None) if invoice else None
    rep = Report(verdict=verdict, scenario="s" if invoice else None, syntax="cii" if invoice else None,
                 reason=None if verdict == "accept" else "rules", findings=findings)
    return Outcome(report=rep, invoice=inv, syntax="cii" if invoice else None)


def handle(result: Outcome, body: bytes = b"<x/>", **kw: object) -> tuple[str, dict[str, object],
                                                                          object]:
    h = InvoiceHandler(Names("p"), Router(TABLE), pipeline=lambda _b: result)
    pub = h.handle(Inbound(body=body, **kw))  # type: ignore[arg-type]
    env = json.loads(pub.body)
    Envelope.model_validate(env)
    return pub.routing_key, env, pub


def test_accepted_goes_to_the_municipality() -> None:
    queue, env, pub = handle(outcome("accept", GOOD), message_id="in-1", correlation_id="c",
                             app_id="fin", headers={"h": b"v", ATTEMPTS_HEADER: 2})
    assert queue == "p.accounting.weissensee"
    assert env["outcome"] == "accepted"
    assert env["routing"]["municipality"] == {"id": "weissensee", "name": "Stadt Weißensee"}
    assert env["routing"]["leitweg_id"] == GOOD
    assert env["source"] == {"message_id": "in-1", "app_id": "fin", "correlation_id": "c",
                             "headers": {"h": "v"}}
    assert base64.b64decode(env["document"]["base64"]) == b"<x/>"
    props = pub.properties  # type: ignore[attr-defined]
    assert props.message_id == env["document"]["sha256"]
    assert props.delivery_mode == 2 and props.content_type == "application/json"
    assert props.correlation_id == "c"
    assert ATTEMPTS_HEADER not in props.headers  # our bookkeeping does not travel on
    assert props.headers["x-einvoice-municipality"] == "weissensee"


@pytest.mark.parametrize(("bt10", "problem"), [
    (None, "missing"), ("Leitweg 4711", "malformed"), ("16068058-00", "check-digits"),
    ("991-33333TEST-33", "no-municipality")])
def test_valid_but_unroutable(bt10: str | None, problem: str) -> None:
    queue, env, _ = handle(outcome("accept", bt10))
    assert queue == "p.unroutable"
    assert env["outcome"] == "unroutable"
    assert env["routing"]["problem"] == problem
    assert env["routing"]["message_de"] and env["routing"]["message_en"]
    assert env["invoice"] is not None


def test_rejected_wins_over_routing() -> None:
    queue, env, _ = handle(outcome("reject", GOOD))
    assert queue == "p.rejected"
    assert env["outcome"] == "rejected"
    assert env["report"]["findings"][0]["rule"] == "BR-01"
    assert env["routing"]["municipality"]["id"] == "weissensee"  # for information


def test_unreadable_document_has_no_route() -> None:
    queue, env, _ = handle(outcome("reject", None, invoice=False))
    assert queue == "p.rejected"
    assert env["invoice"] is None and env["routing"]["problem"] is None


def test_real_pipeline_on_malformed_body() -> None:
    h = InvoiceHandler(Names("p"), Router(TABLE))
    pub = h.handle(Inbound(body=b"\x00not xml"))
    env = json.loads(pub.body)
    assert pub.routing_key == "p.rejected"
    assert env["report"]["reason"] == "not-wellformed"


def test_passthrough_forwards_the_body() -> None:
    pub = PassThroughHandler("sink").handle(Inbound(body=b"<a/>", headers={"k": "v"}))
    assert (pub.routing_key, pub.body, pub.properties.headers) == ("sink", b"<a/>", {"k": "v"})


def test_attempts_header() -> None:
    assert attempts_of(None) == 0
    assert attempts_of({ATTEMPTS_HEADER: 3}) == 3
    assert attempts_of({ATTEMPTS_HEADER: "x"}) == 0
    assert attempts_of({ATTEMPTS_HEADER: -4}) == 0


def test_topology_plan() -> None:
    names = Names("pre")
    p = topology.plan(names, TABLE, quorum=True, retry_delay_ms=1234, delivery_limit=7)
    qs = {q.name: q.arguments for q in p.queues}
    assert set(qs) == set(names.queues(TABLE))
    assert "pre.accounting.weissensee" in qs
    assert all(a["x-queue-type"] == "quorum" for a in qs.values())
    assert qs["pre.inbound"]["x-delivery-limit"] == 7
    assert qs["pre.inbound"]["x-dead-letter-exchange"] == "pre.dlx"
    assert qs["pre.retry"] == {"x-queue-type": "quorum", "x-message-ttl": 1234,
                               "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "pre.inbound"}
    assert {(b.exchange, b.queue) for b in p.bindings} == {("pre.inbound", "pre.inbound"),
                                                           ("pre.dlx", "pre.failed")}
    classic = topology.plan(names, None, quorum=False, retry_delay_ms=1, delivery_limit=1)
    assert all("x-queue-type" not in q.arguments for q in classic.queues)
    assert "x-delivery-limit" not in classic.queues[0].arguments
    assert topology.supports_quorum({"version": b"3.10.8"})
    assert topology.supports_quorum({"version": b"4.1.0"})
    assert not topology.supports_quorum({"version": b"3.8.9"})
    assert not topology.supports_quorum(None)


def test_config_from_env() -> None:
    c = wconfig.from_env({"EINVOICE_QUEUE_PREFIX": "t1", "EINVOICE_PREFETCH": "9",
                          "EINVOICE_ROUTING": "r.toml", "LOG_FORMAT": "JSON"})
    assert (c.prefix, c.prefetch, c.routing_path, c.log_format) == ("t1", 9, "r.toml", "json")
    assert c.amqp_url == wconfig.DEFAULT_AMQP_URL
    assert wconfig.from_env({}).prefix == "einvoice"
    for bad in ({"EINVOICE_PREFETCH": "0"}, {"EINVOICE_PREFETCH": "x"}, {"LOG_FORMAT": "xml"},
                {"EINVOICE_QUEUE_PREFIX": "amq.x"}, {"EINVOICE_QUEUE_TYPE": "stream"}):
        with pytest.raises(wconfig.ConfigError):
            wconfig.from_env(bad)


def test_logs_are_json_and_hold_no_iban() -> None:
    code = (
        "import logging, structlog\n"
        "from einvoice import logsetup\n"
        "logsetup.configure('json')\n"
        "structlog.get_logger('einvoice.worker').info('invoice_processed', sha256='ab', "
        "error='bad account DE89 3704 0044 0532 0130 00')\n"
        "logging.getLogger('pika.connection').warning('from %s', 'pika')\n"
        "logging.getLogger('pika.connection').info('hidden')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=60, check=True)
    lines = [json.loads(x) for x in out.stderr.splitlines()]
    assert [x["event"] for x in lines] == ["invoice_processed", "from pika"]
    assert lines[0]["error"] == "bad account [IBAN]"
    assert lines[1]["logger"] == "pika.connection" and lines[1]["level"] == "warning"
    assert all("timestamp" in x for x in lines)


def test_cli_usage_errors() -> None:
    from einvoice.cli import main

    # The worker configures logging for the whole process: run it in its own.
    bad = subprocess.run([sys.executable, "worker.py", "--routing", "nonexistent.toml"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, env={"LOG_FORMAT": "json"})
    assert bad.returncode == 2
    assert json.loads(bad.stderr.splitlines()[-1])["event"] == "config_error"
    assert main(["publish", "--header", "novalue", str(ROOT / "README.md")]) == 2
    assert main(["topology", "show", "--routing", str(ROOT / "examples" / "routing.toml")]) == 0


def test_malformed_buyer_reference_stays_out_of_the_log() -> None:
    _queue, env, pub = handle(outcome("accept", "Herr Max Mustermann"))
    assert env["routing"]["leitweg_id"] == "Herr Max Mustermann"  # the envelope has it all
    assert pub.log["leitweg_id"] is None  # type: ignore[attr-defined]
    assert "Mustermann" not in json.dumps(pub.log)  # type: ignore[attr-defined]


@pytest.mark.parametrize("rule", ["EINV-INTERNAL", "EINV-RULE-FAILED"])
def test_a_validator_failure_is_a_processing_failure_not_a_rejection(rule: str) -> None:
    """Our own crash must not tell the supplier the invoice is bad, nor let it pass unchecked."""
    res = outcome("accept", GOOD)
    res.report.findings.append(
        Finding(rule=rule, level="warning" if rule == "EINV-RULE-FAILED" else "error", location="/",
                message_de="kaputt", message_en="broken rule BR-XX"))
    h = InvoiceHandler(Names("p"), Router(TABLE), pipeline=lambda _b: res)
    with pytest.raises(ValidatorFailure, match="broken rule BR-XX"):
        h.handle(Inbound(body=b"<x/>"))


def test_envelope_bytes_equal_the_plain_serialization_even_with_lookalike_text() -> None:
    """to_json writes the base64 into the serializer's output; the result must be exactly what
    serializing the envelope with the field filled in gives, even when document content or a
    publisher's header spells out the marker the splice looks for."""
    marker = '"base64":""},"routing":'
    body = f"<x>{marker}</x>".encode() + bytes(range(256))
    result = outcome("reject", marker)
    result.report.findings[0] = result.report.findings[0].model_copy(update={"message_en": marker})
    _, _, pub = handle(result, body=body, headers={marker: marker, "base64": ""})
    env = Envelope.model_validate_json(pub.body)  # type: ignore[attr-defined]
    assert env.document.base64 == base64.b64encode(body).decode("ascii")
    plain = env.model_copy(update={"document": document_info(body, env.document.syntax)})
    assert pub.body == plain.model_dump_json().encode("utf-8")  # type: ignore[attr-defined]


def test_the_digest_is_remembered_only_for_the_very_same_bytes() -> None:
    """The handler and the metrics' pipeline wrapper hash the same body; the second call may reuse
    the first digest, but never for other or mutable data."""
    import hashlib

    from einvoice.worker.envelope import sha256_hex

    body = b"<Invoice>" + bytes(range(256))
    assert sha256_hex(body) == sha256_hex(body) == hashlib.sha256(body).hexdigest()
    assert sha256_hex(bytes(body)) == hashlib.sha256(body).hexdigest()
    assert sha256_hex(body[:-1]) == hashlib.sha256(body[:-1]).hexdigest()
    buf = bytearray(body)
    assert sha256_hex(buf) == hashlib.sha256(body).hexdigest()  # type: ignore[arg-type]
    buf[0] ^= 1
    assert sha256_hex(buf) == hashlib.sha256(buf).hexdigest()  # type: ignore[arg-type]
