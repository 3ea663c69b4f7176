"""The routing table of a shared procedure: which municipality a Leitweg-ID belongs to.

A TOML file (``EINVOICE_ROUTING``) with one ``[procedure]`` and ``[[municipalities]]``; each
municipality claims prefixes of the Leitweg-ID without its check digits. The longest matching
prefix wins, so a district can claim ``16068`` and one of its towns ``16068058``. Two
municipalities claiming the same prefix is a configuration error, found when the table loads.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from einvoice.routing import leitweg

# Municipality ids become queue-name parts: keep them to what every broker tool handles.
MUNICIPALITY_ID = r"^[a-z0-9](?:[a-z0-9_-]{0,62})$"
# A prefix of ``grob[-fein]``: digits, then possibly the hyphen and the start of the fine part.
LEITWEG_PREFIX = r"^[0-9]{2,12}(?:-[0-9A-Z]{0,30})?$"


class Procedure(BaseModel):
    """The shared finance procedure the municipalities belong to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="Name of the shared procedure (Verfahren)")


class Municipality(BaseModel):
    """One municipality (or other body) of the procedure and the Leitweg-ID prefixes it owns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(
        pattern=MUNICIPALITY_ID,
        description="Short id, lower case; its accounting queue is <prefix>.accounting.<id>",
    )
    name: str = Field(min_length=1, description="Display name, e.g. 'Stadt Weißensee'")
    leitweg_ids: list[str] = Field(
        min_length=1,
        description="Prefixes of the Leitweg-ID without its check digits, e.g. '16068058' or "
        "'16068058-BAU'. The longest matching prefix over all municipalities wins.",
        json_schema_extra={"items": {"type": "string", "pattern": LEITWEG_PREFIX}},
    )

    @field_validator("leitweg_ids")
    @classmethod
    def _prefixes(cls, value: list[str]) -> list[str]:
        out: list[str] = []
        for raw in value:
            prefix = leitweg.normalize(raw)
            if not re.fullmatch(LEITWEG_PREFIX, prefix):
                raise ValueError(
                    f"{raw!r} is not a Leitweg-ID prefix (2-12 digits, optionally '-' and up to 30 "
                    "digits or capital letters; without the check digits)"
                )
            if prefix[:2] not in leitweg.STATE_CODES:
                raise ValueError(f"{raw!r} does not start with a state code (01-16) or 99 (Bund)")
            if prefix in out:
                raise ValueError(f"prefix {raw!r} is listed twice")
            out.append(prefix)
        return out


class RoutingTable(BaseModel):
    """The whole routing table file."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"title": "einvoice routing table", "$comment": "Generated from "
                           "einvoice.routing.table.RoutingTable; do not edit by hand."},
    )

    procedure: Procedure
    municipalities: list[Municipality] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> RoutingTable:
        ids: set[str] = set()
        owner: dict[str, str] = {}
        for m in self.municipalities:
            if m.id in ids:
                raise ValueError(f"municipality id {m.id!r} is used twice")
            ids.add(m.id)
            for p in m.leitweg_ids:
                if p in owner:
                    raise ValueError(
                        f"Leitweg-ID prefix {p!r} is claimed by both {owner[p]!r} and {m.id!r}"
                    )
                owner[p] = m.id
        return self

    def municipality(self, id_: str) -> Municipality | None:
        return next((m for m in self.municipalities if m.id == id_), None)


RouteProblem = Literal["missing", "malformed", "unknown-state", "check-digits", "no-municipality"]


@dataclass(frozen=True)
class Route:
    """Where a Leitweg-ID goes: a municipality, or the reason it cannot be routed."""

    leitweg_id: str | None
    municipality: Municipality | None = None
    prefix: str | None = None
    problem: RouteProblem | None = None
    message_de: str | None = None
    message_en: str | None = None


class RoutingConfigError(Exception):
    """The routing table cannot be used (unreadable, not TOML, or invalid)."""


# Routes remembered per buyer reference. A procedure's invoices carry a few recurring Leitweg-IDs,
# and working one out (format, MOD 97-10 digit by digit, prefix lookups) costs more than the rest
# of routing; the text is the supplier's, so the memory is bounded and simply starts afresh.
ROUTE_MEMO_SIZE = 4096


class Router:
    """Longest-prefix lookup over a validated table."""

    def __init__(self, table: RoutingTable) -> None:
        self.table = table
        self._by_prefix = {p: m for m in table.municipalities for p in m.leitweg_ids}
        self._lengths = sorted({len(p) for p in self._by_prefix}, reverse=True)
        self._memo: dict[str | None, Route] = {}

    def route(self, buyer_reference: str | None) -> Route:
        """Where ``buyer_reference`` goes (a Route is immutable, so equal texts share one)."""
        found = self._memo.get(buyer_reference)
        if found is None:
            if len(self._memo) >= ROUTE_MEMO_SIZE:
                self._memo.clear()
            found = self._memo[buyer_reference] = self._route(buyer_reference)
        return found

    def _route(self, buyer_reference: str | None) -> Route:
        parsed = leitweg.parse(buyer_reference)
        shown = buyer_reference.strip() if buyer_reference else None
        if isinstance(parsed, leitweg.LeitwegError):
            return Route(shown or None, problem=parsed.problem, message_de=parsed.message_de,
                         message_en=parsed.message_en)
        base = parsed.base
        for n in self._lengths:
            if n <= len(base):
                m = self._by_prefix.get(base[:n])
                if m is not None:
                    return Route(str(parsed), municipality=m, prefix=base[:n])
        return Route(
            str(parsed),
            problem="no-municipality",
            message_de=f"Die Leitweg-ID {parsed} gehört zu keiner Kommune des Verfahrens "
            f"'{self.table.procedure.name}'.",
            message_en=f"The Leitweg-ID {parsed} belongs to no municipality of the procedure "
            f"'{self.table.procedure.name}'.",
        )


def parse_table(data: dict[str, Any]) -> RoutingTable:
    try:
        return RoutingTable.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(table)'}: {e['msg']}" for e in exc.errors()
        )
        raise RoutingConfigError(f"invalid routing table: {problems}") from None


def load(path: str | Path) -> RoutingTable:
    """Read and validate a routing table file; RoutingConfigError says what is wrong."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RoutingConfigError(f"cannot read routing table {p}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RoutingConfigError(f"routing table {p} is not valid TOML: {exc}") from None
    try:
        return parse_table(data)
    except RoutingConfigError as exc:
        raise RoutingConfigError(f"{p}: {exc}") from None


def json_schema() -> dict[str, Any]:
    return RoutingTable.model_json_schema()
