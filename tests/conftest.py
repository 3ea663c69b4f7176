"""Shared fixtures: the conformance corpus (read-only, tests only) and the RabbitMQ broker."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CONFORMANCE = SHARED / "conformance"
CORPUS = CONFORMANCE / "corpus"
AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


@pytest.fixture(scope="session")
def expected() -> dict[str, Any]:
    if not CONFORMANCE.is_dir():
        pytest.fail(f"conformance corpus not found at {CONFORMANCE}")
    data: dict[str, Any] = json.loads((CONFORMANCE / "expected.json").read_text(encoding="utf-8"))
    return data


def corpus_bytes(rel: str) -> bytes:
    return (CORPUS / rel).read_bytes()
