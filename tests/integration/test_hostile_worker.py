"""Hostile input through the running worker: one named test per attack or oddity.

One worker process (`python worker.py`) serves the whole module and must survive every case:
each test publishes its document to ``<prefix>.inbound``, waits for the single result and
checks it. Malformed or malicious documents end in ``rejected`` with the finding that says why
(German and English); well-formed invoices the rules accept are routed to their municipality.
After every case the worker is still the same process and its resident memory is below
``RSS_BOUND_MB``; the module's last test prints the peak per case.

The documents come from the library-level catalogue in tests/hostile (see
tests/test_intake_hostile.py for the same cases against the intake alone). Its invoices carry
the Leitweg-ID 991-01234-56, whose check digits are wrong (the official rules do not check
them, our router does); ``routable`` swaps in the correct ones where a case must be routed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hostile
import pytest
from hostile import mutate
from hostile.trap import Trap, serve

from einvoice import intake, native
from einvoice.routing import parse_table
from einvoice.worker.publisher import InboundPublisher
from einvoice.worker.topology import Names

from .helpers import AMQP_URL, Got, blocking, cleanup, counts, drain, unacked, wait_until
from .procs import Rss, WorkerProcess, running, worker_env, write_routing

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

# A worker that holds a 45 MB over-limit body, its 60 MB envelope and pika's frame buffers peaks
# near 350 MB; anything far beyond that means memory is not bounded by the message size.
RSS_BOUND_MB = 512
# After the big cases the worker must give memory back (no leak, no ever-growing cache).
SETTLED_RSS_MB = 200

HOSTILE_TABLE: dict[str, Any] = {
    "procedure": {"name": "Feindliche Eingaben"},
    "municipalities": [
        {"id": "amtshausen", "name": "Stadt Amtshausen", "leitweg_ids": ["991-01234"]},
    ],
}
MUNICIPALITY = "amtshausen"


def routable(data: bytes) -> bytes:
    """The catalogue invoice with the Leitweg-ID's correct check digits (991-01234-38)."""
    assert data.count(b"991-01234-56") == 1
    return data.replace(b"991-01234-56", b"991-01234-38")


# ---- fixtures: one trap server, one secret file, one worker for the module ---------------


@pytest.fixture(scope="module")
def trap() -> Iterator[Trap]:
    with serve() as t:
        yield t


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secret") / "secret.txt"
    path.write_text(f"{hostile.SECRET_MARKER} geheim\n", encoding="utf-8")
    return path


@dataclass
class Result:
    got: Got
    envelope: dict[str, Any]
    seconds: float

    @property
    def findings(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.envelope["report"]["findings"]
        return found

    @property
    def rules(self) -> list[str]:
        return [f["rule"] for f in self.findings]


@dataclass
class HostileWorker:
    worker: WorkerProcess
    rss: Rss
    names: Names
    pid: int
    peaks: dict[str, tuple[int, int]] = field(default_factory=dict)  # case -> (after, peak) kB

    @property
    def outputs(self) -> list[str]:
        return [self.names.rejected, self.names.unroutable, self.names.failed,
                self.names.accounting(MUNICIPALITY)]

    def send(self, case: str, data: bytes, timeout: float = 120) -> Result:
        """Publish one document, wait for its one result, check the worker survived it."""
        assert self.worker.alive() and self.worker.pid == self.pid, "the worker is not running"
        mid = f"{case}-{uuid.uuid4().hex[:8]}"
        started = time.monotonic()
        conn = blocking()
        try:
            ch = conn.channel()
            with InboundPublisher(AMQP_URL, self.names.prefix) as pub:
                pub.publish(data, message_id=mid)
            assert wait_until(lambda: sum(counts(ch, self.outputs).values()) >= 1, timeout, 0.02), \
                f"no result for {case} within {timeout} s; worker log:\n" \
                + self.worker.log()[-3000:].decode("utf-8", "replace")
            seconds = time.monotonic() - started
            got = [g for q in self.outputs for g in drain(ch, q)]
        finally:
            conn.close()
        assert len(got) == 1, [(g.queue, g.props.message_id) for g in got]
        g = got[0]
        digest = hashlib.sha256(data).hexdigest()
        assert g.props.message_id == digest, "the result's message_id is the document's SHA-256"
        env = g.json() if g.queue != self.names.failed else {}
        assert g.queue != self.names.failed, f"{case} ended in failed: {g.props.headers}"
        assert env["source"]["message_id"] == mid
        assert env["document"]["sha256"] == digest
        assert env["document"]["size"] == len(data)
        assert base64.b64decode(env["document"]["base64"]) == data, "the original travels along"
        assert self.worker.alive() and self.worker.pid == self.pid, f"the worker died on {case}"
        assert self.worker.starts == 1
        after, peak = self.rss.now_kb(), self.rss.peak_kb()
        self.peaks[case] = (after, peak)
        assert peak < RSS_BOUND_MB * 1024, f"{case}: peak RSS {peak // 1024} MB"
        return Result(g, env, seconds)

    def rejected(self, case: str, data: bytes, rule: str, *, reason: str | None = None) -> Result:
        """The case ends in ``rejected`` and its first finding is ``rule``, in both languages."""
        r = self.send(case, data)
        env = r.envelope
        assert r.got.queue == self.names.rejected, (r.got.queue, r.rules[:5])
        assert env["outcome"] == "rejected"
        assert r.got.props.headers["x-einvoice-outcome"] == "rejected"
        assert env["report"]["verdict"] == "reject"
        if reason is not None:
            assert env["report"]["reason"] == reason
        assert r.rules and r.rules[0] == rule, r.rules[:5]
        for f in r.findings:
            assert f["level"] in ("error", "warning", "information")
            assert f["message_de"].strip() and f["message_en"].strip()
            assert f["message_de"] != f["message_en"]
        assert not [x for x in r.rules if x.startswith(("EINV-INTERNAL", "EINV-RULE-FAILED"))], r.rules
        if env["report"]["reason"] == "not-wellformed":
            assert env["invoice"] is None and r.rules == [rule]
        return r

    def routed(self, case: str, data: bytes) -> Result:
        """The case is an invoice the rules accept: it reaches the municipality's queue."""
        r = self.send(case, data)
        env = r.envelope
        assert r.got.queue == self.names.accounting(MUNICIPALITY), (r.got.queue, r.rules[:5])
        assert env["outcome"] == "accepted"
        assert env["report"]["verdict"] == "accept"
        assert env["routing"]["municipality"]["id"] == MUNICIPALITY
        assert env["invoice"] is not None
        assert not [x for x in r.rules if x.startswith("EINV-")], r.rules
        return r


@pytest.fixture(scope="module")
def hostile_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileWorker]:
    try:
        blocking().close()
    except Exception as exc:  # noqa: BLE001 - any reason means the same: no broker
        pytest.fail(f"RabbitMQ not reachable at {AMQP_URL}: {exc!r}")
    tmp = tmp_path_factory.mktemp("hostile-worker")
    prefix = f"test-hostile-{uuid.uuid4().hex[:10]}"
    names = Names(prefix)
    routing = write_routing(tmp / "routing.toml", HOSTILE_TABLE)
    worker = WorkerProcess("hostile", worker_env(prefix=prefix, routing=routing, prefetch=4), tmp)
    try:
        with running(worker):
            worker.start()
            assert wait_until(worker.consuming, 60, 0.1), worker.log()[-3000:].decode()
            with Rss(worker.pid) as rss:
                yield HostileWorker(worker, rss, names, worker.pid)
            # The worker acks an inbound message only after the broker confirmed its result,
            # which the last test may already have read: give that ack a moment under load.
            assert wait_until(lambda: unacked(names.inbound) == 0, 30, 0.2), "every input acked"
            assert worker.stop() == 0, "the worker stops cleanly after all of it"
    finally:
        cleanup(names, parse_table(HOSTILE_TABLE))


def test_start_line_says_whether_modules_run_compiled(hostile_worker: HostileWorker) -> None:
    """Operators see from the first log line whether the install's compiled modules run (a
    stale or failed build runs the source: correct, but a third slower)."""
    lines = [json.loads(line) for line in hostile_worker.worker.log().splitlines()
             if b'"worker_starting"' in line]
    assert len(lines) == 1, hostile_worker.worker.log()[-2000:].decode()
    compiled = bool(native.DIGESTS.exists() and json.loads(native.DIGESTS.read_text(encoding="utf-8")))
    want = "compiled" if compiled and not native.pure_python_requested() else "interpreted"
    assert lines[0]["modules"] == want
    assert "stale_compiled_modules" not in lines[0]


# ---- DTD-borne attacks ----------------------------------------------------------------


def test_xxe_local_file(hostile_worker: HostileWorker, secret_file: Path) -> None:
    r = hostile_worker.rejected("xxe_local_file", hostile.xxe_local_file(str(secret_file)),
                                "EINV-INTAKE-DOCTYPE", reason="not-wellformed")
    assert hostile.SECRET_MARKER.encode() not in r.got.body


def test_xxe_etc_passwd(hostile_worker: HostileWorker) -> None:
    r = hostile_worker.rejected("xxe_etc_passwd", hostile.xxe_local_file("/etc/passwd"),
                                "EINV-INTAKE-DOCTYPE")
    assert b"root:" not in r.got.body


def test_xxe_url_on_localhost_never_contacted(hostile_worker: HostileWorker, trap: Trap) -> None:
    r = hostile_worker.rejected("xxe_url", hostile.xxe_url(f"{trap.base}/xxe"),
                                "EINV-INTAKE-DOCTYPE")
    assert hostile.SECRET_MARKER.encode() not in r.got.body
    time.sleep(0.2)  # a request the worker had started would have arrived by now
    assert trap.hits == [], "the worker fetched the URL"


def test_billion_laughs(hostile_worker: HostileWorker) -> None:
    r = hostile_worker.rejected("billion_laughs", hostile.billion_laughs(), "EINV-INTAKE-DOCTYPE")
    assert len(r.got.body) < 100_000, "nothing was expanded"


def test_quadratic_blowup(hostile_worker: HostileWorker) -> None:
    data = hostile.quadratic_blowup()
    r = hostile_worker.rejected("quadratic_blowup", data, "EINV-INTAKE-DOCTYPE")
    assert len(r.got.body) < 3 * len(data), "nothing was expanded"


def test_external_dtd_never_fetched(hostile_worker: HostileWorker, trap: Trap) -> None:
    hostile_worker.rejected("external_dtd", hostile.external_dtd(f"{trap.base}/invoice.dtd"),
                            "EINV-INTAKE-DOCTYPE")
    time.sleep(0.2)
    assert trap.hits == []


def test_external_parameter_entity_never_fetched(hostile_worker: HostileWorker, trap: Trap) -> None:
    hostile_worker.rejected("parameter_entities",
                            hostile.parameter_entities(f"{trap.base}/evil.dtd"), "EINV-INTAKE-DOCTYPE")
    time.sleep(0.2)
    assert trap.hits == []


def test_xinclude_not_processed(hostile_worker: HostileWorker, secret_file: Path) -> None:
    """Not a DTD: the document parses, the xi:include stays an element the schema forbids."""
    data = hostile.xinclude(str(secret_file))
    r = hostile_worker.send("xinclude", data)
    assert r.got.queue == hostile_worker.names.rejected
    assert r.envelope["report"]["reason"] == "structure"
    assert hostile.SECRET_MARKER.encode() not in r.got.body
    assert any("XInclude" in f["message_en"] for f in r.findings), r.findings[:3]


# ---- size and shape -------------------------------------------------------------------


def test_body_over_the_size_limit(hostile_worker: HostileWorker) -> None:
    data = hostile.oversized()
    assert len(data) == intake.DEFAULT_MAX_BYTES + 1
    r = hostile_worker.rejected("over_size_limit", data, "EINV-INTAKE-SIZE")
    assert "20.0 MB" in r.findings[0]["message_en"]


def test_nesting_100000_levels(hostile_worker: HostileWorker) -> None:
    r = hostile_worker.rejected("nesting_100000", hostile.deep_nesting(100_000), "EINV-INTAKE-DEPTH")
    assert str(intake.DEFAULT_MAX_DEPTH) in r.findings[0]["message_en"]


def test_invoice_with_100000_lines(hostile_worker: HostileWorker) -> None:
    """Routed like any invoice if it fits the size limit; at about 430 bytes a line it does
    not (47 MB > 20 MB), so the worker must refuse it cleanly, without reading it."""
    data = routable(hostile.many_lines(100_000))
    if len(data) <= intake.DEFAULT_MAX_BYTES:
        r = hostile_worker.routed("lines_100000", data)
        assert len(r.envelope["invoice"]["lines"]) == 100_000
    else:
        r = hostile_worker.rejected("lines_100000", data, "EINV-INTAKE-SIZE")
        assert f"{len(data)} bytes" in r.findings[0]["message_en"]


def test_note_of_10_mb_is_routed(hostile_worker: HostileWorker) -> None:
    data = routable(hostile.big_note())
    assert 10 * 1024 * 1024 < len(data) < intake.DEFAULT_MAX_BYTES
    r = hostile_worker.routed("note_10mb", data)
    notes = json.dumps(r.envelope["invoice"].get("notes"))
    assert "0123456789" * 1000 in notes, "the note is in the model, whole"


# ---- encodings ------------------------------------------------------------------------


def test_invalid_utf8(hostile_worker: HostileWorker) -> None:
    r = hostile_worker.rejected("invalid_utf8", hostile.invalid_utf8(), "EINV-INTAKE-UTF8")
    assert "UTF-8" in r.findings[0]["message_de"]


def test_utf16_with_bom(hostile_worker: HostileWorker) -> None:
    hostile_worker.rejected("utf16_bom", hostile.utf16_bom(), "EINV-INTAKE-UTF16")


def test_utf16_without_bom(hostile_worker: HostileWorker) -> None:
    hostile_worker.rejected("utf16_no_bom", hostile.utf16_no_bom(), "EINV-INTAKE-UTF16")


# ---- not an XML invoice ---------------------------------------------------------------


def test_empty_body(hostile_worker: HostileWorker) -> None:
    hostile_worker.rejected("empty", hostile.empty(), "EINV-INTAKE-EMPTY")


def test_binary_garbage(hostile_worker: HostileWorker) -> None:
    hostile_worker.rejected("binary_garbage", hostile.binary_garbage(), "EINV-INTAKE-NOT-XML")


def test_gzip_file(hostile_worker: HostileWorker) -> None:
    r = hostile_worker.rejected("gzip", hostile.gzip_invoice(), "EINV-INTAKE-COMPRESSED")
    assert "gzip" in r.findings[0]["message_en"]


def test_valid_xml_that_is_not_an_invoice(hostile_worker: HostileWorker) -> None:
    r = hostile_worker.rejected("not_an_invoice", hostile.not_an_invoice(), "EINV-SCENARIO-ROOT",
                                reason="no-scenario")
    assert r.envelope["invoice"] is None


# ---- amounts and dates ----------------------------------------------------------------


def _every_amount(value: str) -> bytes:
    return mutate.set_text(hostile.invoice(), mutate.is_amount, value)


def test_amount_1e400(hostile_worker: HostileWorker) -> None:
    r = hostile_worker.rejected("amount_1e400", _every_amount("1e400"), "EINV-STRUCT-DATATYPE",
                                reason="structure")
    assert "1e400" in r.findings[0]["message_en"]


def test_amount_nan(hostile_worker: HostileWorker) -> None:
    r = hostile_worker.rejected("amount_nan", _every_amount("NaN"), "EINV-STRUCT-DATATYPE",
                                reason="structure")
    assert "NaN" in r.findings[0]["message_en"]


def test_amount_10_to_the_30(hostile_worker: HostileWorker) -> None:
    """A valid xs:decimal, far beyond any real invoice; here the totals do not add up."""
    ten30 = "1" + "0" * 30
    data = mutate.set_text(hostile.invoice(), mutate.named("PayableAmount"), ten30)
    r = hostile_worker.rejected("amount_10e30", data, "BR-CO-16", reason="rules")
    assert ten30 in r.findings[0]["message_en"]
    assert r.envelope["invoice"]["totals"]["payable"]["raw"] == ten30


def test_ubl_date_0000_00_00(hostile_worker: HostileWorker) -> None:
    r = hostile_worker.rejected("date_0000_00_00", hostile.invoice(issue_date="0000-00-00"),
                                "EINV-STRUCT-DATATYPE", reason="structure")
    assert "0000-00-00" in r.findings[0]["message_en"]


def test_ubl_date_2026_02_30(hostile_worker: HostileWorker) -> None:
    r = hostile_worker.rejected("date_2026_02_30", hostile.invoice(issue_date="2026-02-30"),
                                "EINV-STRUCT-DATATYPE", reason="structure")
    assert "2026-02-30" in r.findings[0]["message_en"]


# ---- a body whose envelope the broker would refuse ------------------------------------------


def test_body_whose_envelope_exceeds_the_broker_message_limit(tmp_path: Path) -> None:
    """Regression: a body of ~106 MB (RabbitMQ takes up to 128 MiB) makes an envelope of
    ~141 MB; publishing it closed the worker's channel, the delivery came back, and the worker
    looped on it while everything behind it waited. Now the original goes to ``failed`` at once.
    Its own worker process: this one peaks near 600 MB, beyond the module's memory bound."""
    from einvoice.worker.config import DEFAULT_MAX_MESSAGE_BYTES
    from einvoice.worker.topology import ERROR_HEADER

    data = hostile.oversized(101 * 1024 * 1024)
    assert len(data) < DEFAULT_MAX_MESSAGE_BYTES < len(data) * 4 // 3
    small = routable(hostile.invoice())
    prefix = f"test-hostile-big-{uuid.uuid4().hex[:10]}"
    names = Names(prefix)
    worker = WorkerProcess("big", worker_env(prefix=prefix, routing=write_routing(
        tmp_path / "routing.toml", HOSTILE_TABLE), prefetch=4), tmp_path)
    outputs = [names.rejected, names.unroutable, names.failed, names.accounting(MUNICIPALITY)]
    try:
        with running(worker):
            worker.start()
            assert wait_until(worker.consuming, 60, 0.1), worker.log()[-3000:].decode()
            with InboundPublisher(AMQP_URL, prefix) as pub:
                pub.publish(data, message_id="huge")
                pub.publish(small, message_id="small")
            conn = blocking()
            try:
                ch = conn.channel()
                assert wait_until(lambda: sum(counts(ch, outputs).values()) >= 2, 90, 0.1), \
                    counts(ch, outputs)
                got = {q: drain(ch, q) for q in outputs}
            finally:
                conn.close()
            assert [g.props.message_id for g in got[names.accounting(MUNICIPALITY)]] == [
                hashlib.sha256(small).hexdigest()], "the invoice behind it was routed"
            [failed] = got[names.failed]
            assert failed.props.message_id == "huge" and failed.body == data
            assert "maximum message size" in failed.props.headers[ERROR_HEADER]
            assert not got[names.rejected] and not got[names.unroutable]
            log = worker.log()
            assert b'"event": "channel_closed"' not in log and b'"event": "connection_lost"' not in log
            assert worker.stop() == 0
    finally:
        cleanup(names, parse_table(HOSTILE_TABLE))


# ---- the rest of the catalogue, and the plain invoice -----------------------------------

_NAMED = {"xxe_local_file", "xxe_url", "billion_laughs", "quadratic_blowup", "external_dtd",
          "parameter_entities", "xinclude", "oversized", "deep_nesting", "big_note", "invalid_utf8",
          "utf16_bom", "utf16_no_bom", "empty", "binary_garbage", "gzip_invoice", "not_an_invoice"}


@pytest.mark.parametrize("case", sorted(set(hostile.CASES) - _NAMED))
def test_catalogue_case(hostile_worker: HostileWorker, case: str) -> None:
    """Every other catalogue case: refused with its intake finding, or read and judged."""
    factory, code = hostile.CASES[case]
    data = factory()
    if code is not None:
        hostile_worker.rejected(case, data, code, reason="not-wellformed")
        return
    expected = mutate.check_report(data)
    r = hostile_worker.send(case, data)
    assert r.envelope["report"] == expected.report.model_dump(mode="json")


def test_well_formed_invoice_is_routed(hostile_worker: HostileWorker) -> None:
    r = hostile_worker.routed("plain_invoice", routable(hostile.invoice()))
    assert r.envelope["routing"]["leitweg_id"] == "991-01234-38"


def test_worker_survived_everything_with_bounded_memory(
    hostile_worker: HostileWorker, capsys: pytest.CaptureFixture[str]
) -> None:
    """Last in the module: still the first process, memory given back after the big cases."""
    hw = hostile_worker
    assert hw.worker.alive() and hw.worker.pid == hw.pid and hw.worker.starts == 1
    r = hw.routed("after_all", routable(hostile.invoice(note="Nach allem noch da.")))
    assert r.seconds < 30
    now = hw.rss.now_kb()
    peak = hw.rss.peak_kb()
    lines = ["\nworker RSS per hostile case (MB after / peak so far):"]
    lines += [f"  {case:28s} {after / 1024:7.1f} {pk / 1024:7.1f}"
              for case, (after, pk) in hw.peaks.items()]
    lines.append(f"worker RSS now {now / 1024:.1f} MB, peak {peak / 1024:.1f} MB over "
                 f"{len(hw.peaks)} cases (bound {RSS_BOUND_MB} MB)")
    with capsys.disabled():  # the figures belong in every test run's output
        print("\n".join(lines))
    assert peak < RSS_BOUND_MB * 1024
    assert now < SETTLED_RSS_MB * 1024, f"RSS stays at {now // 1024} MB after the big cases"
