"""Leitweg-ID format and MOD 97-10 check digits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.de import leitweg as stdnum_leitweg

from einvoice.routing import leitweg


@pytest.mark.parametrize(
    "text",
    ["04011000-12345-03", "04011000-1234512345-06", "991-33333TEST-33", "1234567890-54321-40",
     "991-03730-19", " 991-03730-19 ", "991-33333test-33"],
)
def test_valid(text: str) -> None:
    got = leitweg.parse(text)
    assert isinstance(got, leitweg.LeitwegId), got
    assert str(got) == text.strip().upper()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (None, "missing"),
        ("", "missing"),
        ("   ", "missing"),
        ("Leitweg-ID", "malformed"),
        ("1-03730-19", "malformed"),  # Grobadressierung needs 2 digits
        ("1234567890123-12", "malformed"),  # and at most 12
        ("991--19", "malformed"),  # an empty Feinadressierung keeps no hyphen
        ("991-0373Ä-19", "malformed"),
        ("991-03730-1", "malformed"),
        ("991-" + "A" * 31 + "-19", "malformed"),
        ("05 123456 123", "malformed"),
        ("17000000-12", "unknown-state"),
        ("00000000-12", "unknown-state"),
        ("04011000-12345-34", "check-digits"),
        ("90000000-03083-12", "unknown-state"),
        ("99000000-01944-98", "check-digits"),
    ],
)
def test_invalid(text: str | None, problem: str) -> None:
    got = leitweg.parse(text)
    assert isinstance(got, leitweg.LeitwegError)
    assert got.problem == problem
    assert got.message_de and got.message_en


def test_length_limit() -> None:
    base = "99" + "1" * 10 + "-" + "A" * 30  # 43 characters, the longest allowed
    text = f"{base}-{leitweg.check_digits(base)}"
    assert len(text) == 46
    assert isinstance(leitweg.parse(text), leitweg.LeitwegId)


def test_check_digit_message_names_the_right_digits() -> None:
    got = leitweg.parse("04011000-12345-34")
    assert isinstance(got, leitweg.LeitwegError)
    assert "03" in got.message_en


_ALNUM = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=30)


@given(
    state=st.sampled_from(sorted(leitweg.STATE_CODES)),
    rest=st.text(alphabet="0123456789", max_size=10),
    fein=st.none() | _ALNUM,
)
def test_agrees_with_stdnum(state: str, rest: str, fein: str | None) -> None:
    base = state + rest + (f"-{fein}" if fein else "")
    good = f"{base}-{leitweg.check_digits(base)}"
    assert isinstance(leitweg.parse(good), leitweg.LeitwegId)
    assert stdnum_leitweg.is_valid(good)
    bad_digits = f"{(int(good[-2:]) + 1) % 100:02d}"
    bad = good[:-2] + bad_digits
    assert isinstance(leitweg.parse(bad), leitweg.LeitwegError)
    assert not stdnum_leitweg.is_valid(bad)
