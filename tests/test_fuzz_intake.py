"""Fuzzing the intake alone: arbitrary bytes and XML-shaped fragments.

Whatever arrives, ``intake.parse`` returns ``Parsed`` or an ``IntakeError`` with an EINV-INTAKE-*
code and two messages, and a parsed tree never carries a DTD. Bounded: derandomized,
``FUZZ_EXAMPLES`` examples per test (default 300).
"""

from __future__ import annotations

import os

import hostile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from einvoice import intake

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"

_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

_PIECES = [
    b"<?xml version='1.0'?>", b'<?xml version="1.0" encoding="UTF-8"?>', b"<?xml encoding='latin1'?>",
    b"\xef\xbb\xbf", b"\xff\xfe", b"\x00", b" ", b"\n", b"<!--", b"-->", b"<!-- c -->",
    b"<!DOCTYPE a [", b"<!ENTITY x SYSTEM 'file:///etc/passwd'>", b"<!ENTITY % p 'x'>", b"%p;",
    b"]>", b"<!DOCTYPE a SYSTEM 'http://127.0.0.1:9/'>", b"<a>", b"</a>", b"<a/>", b"&x;",
    b"&amp;", b"&#0;", b"&#x10FFFF;", b"<![CDATA[", b"]]>", b"<?pi x?>", b"<b xmlns='u'>", b"</b>",
    b"<c:d xmlns:c='v'/>", b"\xc3\xa4", b"\xe4", b"\xed\xa0\x80", b"x" * 100, b"<", b">", b"'", b'"',
    b"\x1f\x8b", b"PK\x03\x04", b"%PDF-",
]


def _check(data: bytes) -> None:
    result = intake.parse(data)
    if isinstance(result, intake.IntakeError):
        assert result.code.startswith("EINV-INTAKE-")
        assert result.code != "EINV-INTAKE-INTERNAL", result.message_en
        assert result.message_de and result.message_en
    else:
        assert isinstance(result, intake.Parsed)
        docinfo = result.root.getroottree().docinfo
        assert docinfo.internalDTD is None and not docinfo.doctype


@_SETTINGS
@given(st.binary(max_size=2000))
def test_fuzz_intake_arbitrary_bytes(data: bytes) -> None:
    _check(data)


@_SETTINGS
@given(st.lists(st.sampled_from(_PIECES), max_size=30))
def test_fuzz_intake_xml_shaped_fragments(pieces: list[bytes]) -> None:
    _check(b"".join(pieces))


@_SETTINGS
@given(st.sampled_from(sorted(hostile.CASES)), st.integers(0, 10_000), st.binary(min_size=1, max_size=4))
def test_fuzz_intake_hostile_cases_with_spliced_bytes(case: str, pos: int, patch: bytes) -> None:
    factory, _ = hostile.CASES[case]
    data = factory()
    if len(data) > 2_000_000:  # the big cases are covered by name; keep the fuzzer fast
        return
    pos = pos % (len(data) + 1)
    _check(data[:pos] + patch + data[pos + len(patch):])
