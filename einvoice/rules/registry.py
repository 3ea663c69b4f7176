"""The rule registry: every check is a small named unit with its id, level, source and BTs.

Rules are plain functions ``check(ctx) -> Iterable[Hit]`` registered with :func:`rule` (or
:func:`register` for table-driven families such as the UBL-CR "should not be present" rules).
The engine (:mod:`einvoice.rules.engine`) decides which rules run in a scenario, re-grades their
level from the scenario's table and turns hits into findings.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from types import FunctionType
from typing import Any, Literal, NamedTuple

from lxml import etree

from einvoice.model import Invoice
from einvoice.scenario import Level, Scenario
from einvoice.syntax import Syntax

Family = Literal["ubl", "cii"]
Source = Literal["en16931", "xrechnung"]
# Where a rule is documented and which module family holds it (for `einvoice rules`).
Layer = Literal["core", "vat", "codelist", "syntax", "decimal", "xrechnung", "peppol", "cvd"]


class Hit(NamedTuple):
    """One firing of a rule: where, and our own words for what is wrong (German, English)."""

    location: str
    message_de: str
    message_en: str


@dataclass
class Context:
    """What a rule may look at. Semantic rules read ``invoice``; syntax rules read ``root``."""

    invoice: Invoice
    root: etree._Element
    syntax: Syntax
    scenario: Scenario
    cache: dict[str, Any] = field(default_factory=dict)
    # A plain attribute, not a property: rules ask for it ~140 times per document, and a
    # property is a Python call each time.
    family: Family = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.family = "cii" if self.syntax == "cii" else "ubl"


Check = Callable[[Context], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    source: Source
    layer: Layer
    bts: tuple[str, ...]
    syntaxes: frozenset[Family]
    description: str
    check: Check
    # Only BR-51 is graded differently per syntax by the official rules.
    level_by_family: Mapping[Family, Level] = field(default_factory=dict)
    # Set for members of a table-driven family: the family evaluates them all in one pass.
    family_name: str | None = None
    # The most hits the engine takes from ``check`` per document (None: all of them). Applied
    # by the engine, so a capped rule costs no wrapper call on the many documents where it
    # finds nothing.
    max_hits: int | None = None

    def level_for(self, family: Family) -> Level:
        return self.level_by_family.get(family, self.level)


FamilyCheck = Callable[[Context], Mapping[str, list[Hit]]]


@dataclass(frozen=True)
class RuleFamily:
    """Many rules checked in one pass (e.g. hundreds of "should not be present" rules).

    ``evaluate`` returns the hits keyed by rule id; it runs once per document, which keeps a
    family of 600 table rules as cheap as one walk over the tree.
    """

    name: str
    source: Source
    syntaxes: frozenset[Family]
    evaluate: FamilyCheck


RULES: dict[tuple[str, Family], Rule] = {}
FAMILIES: dict[tuple[str, Family], RuleFamily] = {}


def _no_check(ctx: Context) -> Iterable[Hit]:
    return ()


def register_family(
    name: str,
    *,
    source: Source,
    syntaxes: Iterable[Family],
    members: Iterable[Rule],
    evaluate: FamilyCheck,
) -> RuleFamily:
    """Register a table-driven family: its members are listed like any rule, checked by ``evaluate``.

    Members may be built with ``check=None``-like placeholders; their ``check`` is replaced.
    """
    fams = frozenset(syntaxes)
    fam = RuleFamily(name=name, source=source, syntaxes=fams, evaluate=evaluate)
    for f in fams:
        if (name, f) in FAMILIES:
            raise ValueError(f"family {name} registered twice for {f}")
        FAMILIES[(name, f)] = fam
    for m in members:
        register(replace(m, family_name=name, check=_no_check, source=source))
    return fam


def register(r: Rule) -> Rule:
    """Add a rule; one entry per (id, syntax family), so a rule may have per-syntax checks."""
    for fam in r.syntaxes:
        key = (r.id, fam)
        if key in RULES:
            raise ValueError(f"rule {r.id} registered twice for {fam}")
        RULES[key] = r
    return r


def _description(check: Check) -> str:
    """The first line of ``check``'s docstring."""
    doc = check.__doc__
    if doc is None and not isinstance(check, FunctionType):
        # A function compiled with mypyc keeps no docstring: read it from the module's source.
        doc = _source_docstrings(check.__module__).get(getattr(check, "__name__", ""))
    return (doc or "").strip().split("\n")[0]


@cache
def _source_docstrings(module: str) -> dict[str, str]:
    """Docstrings of the functions in ``module``'s source file, by name (names defined more
    than once left out), or none when the source is not next to the compiled module."""
    import ast

    path = getattr(sys.modules.get(module), "__file__", None)
    if not path:
        return {}
    try:
        tree = ast.parse(Path(path).with_name(module.rpartition(".")[2] + ".py").read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}
    docs: dict[str, str] = {}
    seen: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=False)
            if node.name in seen:
                docs.pop(node.name, None)
            elif doc is not None:
                docs[node.name] = doc
            seen.add(node.name)
    return docs


def rule(
    id_: str,
    *,
    level: Level,
    source: Source,
    layer: Layer,
    bts: Iterable[str] = (),
    syntaxes: Iterable[Family] = ("ubl", "cii"),
    level_by_family: Mapping[Family, Level] | None = None,
    max_hits: int | None = None,
) -> Callable[[Check], Check]:
    """Decorator: register ``check`` as rule ``id_``; its docstring is the rule's description."""

    def wrap(check: Check) -> Check:
        register(
            Rule(
                id=id_,
                level=level,
                source=source,
                layer=layer,
                bts=tuple(bts),
                syntaxes=frozenset(syntaxes),
                description=_description(check),
                check=check,
                level_by_family=dict(level_by_family or {}),
                max_hits=max_hits,
            )
        )
        return check

    return wrap
