"""Leitweg-ID (BT-10 in XRechnung): format and check digits.

Facts from the Leitweg-ID format specification (KoSIT / XStelle XRechnung, version 2.0.2):

* A Leitweg-ID has up to three parts separated by hyphens (``-``):
  1. *Grobadressierung* (coarse address), mandatory: 2 to 12 digits. Its first two digits name
     the federal state by its official key (``01`` Schleswig-Holstein … ``16`` Thüringen) or the
     federation (``99`` Bund); the following digits refine it hierarchically (government
     district, district, municipality: the official municipality key, AGS/ARS).
  2. *Feinadressierung* (fine address), optional: 1 to 30 characters, digits and capital
     letters A–Z (no umlauts). When it is absent, its hyphen is absent too.
  3. *Prüfziffer* (check digits), mandatory: 2 digits.
* At most 46 characters in all, hyphens included.
* The check digits are ISO/IEC 7064 MOD 97-10 over the Grob- and Feinadressierung written
  together without hyphens, letters counted as A=10 … Z=35 (the IBAN scheme): the whole
  string with its check digits, read as a number, is 1 modulo 97.

We compare case-insensitively (suppliers type these by hand) and strip surrounding blanks;
everything else must be exact. The MOD 97-10 arithmetic is python-stdnum's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from stdnum.iso7064 import mod_97_10

MAX_LENGTH = 46
STATE_CODES = frozenset({f"{n:02d}" for n in range(1, 17)} | {"99"})

_FORMAT = re.compile(r"(?P<grob>[0-9]{2,12})(?:-(?P<fein>[0-9A-Z]{1,30}))?-(?P<check>[0-9]{2})")

Problem = Literal["missing", "malformed", "unknown-state", "check-digits"]


@dataclass(frozen=True)
class LeitwegId:
    """A well-formed Leitweg-ID with correct check digits."""

    grob: str
    fein: str | None
    check: str

    @property
    def base(self) -> str:
        """The ID without its check digits, as routing prefixes are written (``grob[-fein]``)."""
        return self.grob if self.fein is None else f"{self.grob}-{self.fein}"

    def __str__(self) -> str:
        return f"{self.base}-{self.check}"


@dataclass(frozen=True)
class LeitwegError:
    """Why a buyer reference is not a usable Leitweg-ID, in German and English."""

    problem: Problem
    message_de: str
    message_en: str


def normalize(text: str) -> str:
    return text.strip().upper()


def check_digits(base: str) -> str:
    """The two MOD 97-10 check digits for ``grob[-fein]`` (hyphens are ignored)."""
    result: str = mod_97_10.calc_check_digits(base.replace("-", ""))
    return result


def parse(text: str | None) -> LeitwegId | LeitwegError:
    """Check ``text`` as a Leitweg-ID: format, state code, check digits. Never raises."""
    if text is None or not text.strip():
        return LeitwegError(
            "missing",
            "Die Rechnung enthält keine Leitweg-ID (BT-10 Käuferreferenz fehlt oder ist leer).",
            "The invoice carries no Leitweg-ID (BT-10 buyer reference is missing or empty).",
        )
    value = normalize(text)
    if len(value) > MAX_LENGTH:
        return LeitwegError(
            "malformed",
            f"Die Leitweg-ID ist {len(value)} Zeichen lang; erlaubt sind höchstens {MAX_LENGTH}.",
            f"The Leitweg-ID is {len(value)} characters long; at most {MAX_LENGTH} are allowed.",
        )
    m = _FORMAT.fullmatch(value)
    if m is None:
        return LeitwegError(
            "malformed",
            "Die Käuferreferenz hat nicht das Format einer Leitweg-ID: 2 bis 12 Ziffern, optional "
            "ein Bindestrich und 1 bis 30 Ziffern oder Großbuchstaben, dann ein Bindestrich und "
            "2 Prüfziffern.",
            "The buyer reference is not in Leitweg-ID format: 2 to 12 digits, optionally a hyphen "
            "and 1 to 30 digits or capital letters, then a hyphen and 2 check digits.",
        )
    grob, fein, check = m["grob"], m["fein"], m["check"]
    if grob[:2] not in STATE_CODES:
        return LeitwegError(
            "unknown-state",
            f"Die Leitweg-ID beginnt mit {grob[:2]}; erlaubt sind die Länderkennzahlen 01 bis 16 "
            "und 99 für den Bund.",
            f"The Leitweg-ID starts with {grob[:2]}; allowed are the state codes 01 to 16 and 99 "
            "for the federation.",
        )
    if not mod_97_10.is_valid(grob + (fein or "") + check):
        expected = check_digits(grob + (fein or ""))
        return LeitwegError(
            "check-digits",
            f"Die Prüfziffern der Leitweg-ID stimmen nicht (angegeben {check}, richtig wäre {expected}).",
            f"The Leitweg-ID's check digits are wrong (given {check}, expected {expected}).",
        )
    return LeitwegId(grob=grob, fein=fein, check=check)
