"""Fixtures for the worker's integration tests: a private queue prefix per test, a routing table
covering Leitweg-IDs that occur in the corpus, and corpus documents by expected outcome."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pika.exceptions
import pytest

from einvoice.pipeline import process
from einvoice.routing import Router, RoutingTable, parse_table
from einvoice.worker import WorkerConfig
from einvoice.worker.topology import Names

from .helpers import AMQP_URL, blocking, cleanup

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT.parent / "shared" / "conformance"
CORPUS = CONFORMANCE / "corpus"

# Prefixes of Leitweg-IDs the corpus uses with correct check digits, so accepted corpus
# documents can reach a municipality; others stay unroutable on purpose.
TEST_TABLE: dict[str, Any] = {
    "procedure": {"name": "Integrationstest"},
    "municipalities": [
        {"id": "musterstadt", "name": "Musterstadt", "leitweg_ids": ["04011000"]},
        {"id": "brandenburg", "name": "Land Brandenburg", "leitweg_ids": ["12"]},
        {"id": "bund", "name": "Bund", "leitweg_ids": ["991-33333"]},
    ],
}


@pytest.fixture(scope="session")
def broker() -> None:
    try:
        blocking().close()
    except pika.exceptions.AMQPError as exc:
        pytest.fail(f"RabbitMQ not reachable at {AMQP_URL}: {exc!r}")


@pytest.fixture
def table() -> RoutingTable:
    return parse_table(TEST_TABLE)


@pytest.fixture
def prefix(broker: None, table: RoutingTable) -> Iterator[str]:
    p = f"test-{uuid.uuid4().hex[:12]}"
    yield p
    cleanup(Names(p), table)


@pytest.fixture
def config(prefix: str, table: RoutingTable, tmp_path: Path) -> WorkerConfig:
    return WorkerConfig(amqp_url=AMQP_URL, prefix=prefix, prefetch=32, max_attempts=3,
                        retry_delay_ms=100, connection_name=f"einvoice-worker-{prefix}")


@dataclass(frozen=True)
class Doc:
    rel: str
    data: bytes
    outcome: str  # accepted | rejected | unroutable, as our own pipeline and the table say
    municipality: str | None
    oracle: dict[str, Any]


@pytest.fixture(scope="session")
def corpus_docs() -> dict[str, list[Doc]]:
    """Corpus documents whose verdict from our validator already agrees with the official one,
    grouped by the outcome the worker must produce (computed from einvoice itself)."""
    expected: dict[str, Any] = json.loads((CONFORMANCE / "expected.json").read_text("utf-8"))
    router = Router(parse_table(TEST_TABLE))
    groups: dict[str, list[Doc]] = {"accepted": [], "rejected": [], "unroutable": []}
    for rel in sorted(expected):
        if not rel.startswith(("xrechnung-testsuite/", "mutants/", "kosit-config-tests/")):
            continue
        if all(len(g) >= 6 for g in groups.values()):
            break
        data = (CORPUS / rel).read_bytes()
        if len(data) > 200_000:
            continue
        out = process(data)
        if out.report.verdict != expected[rel]["verdict"]:
            continue
        muni = None
        if out.report.verdict == "reject":
            outcome = "rejected"
        else:
            bt10 = out.invoice.buyer_reference.raw if out.invoice and out.invoice.buyer_reference else None
            route = router.route(bt10)
            muni = route.municipality.id if route.municipality else None
            outcome = "accepted" if muni else "unroutable"
        if len(groups[outcome]) < 6:
            groups[outcome].append(Doc(rel, data, outcome, muni, expected[rel]))
    return groups
