"""The generated structural tables (``ubl_2_1.json``, ``cii_d16b.json``) as runtime objects.

The JSON is written by ``tools/gen_structure.py`` from the official XSDs (see docs/structure.md);
here it is turned, once per process, into small objects the validator walks without further
lookups: content models become dicts keyed by Clark-notation tag, type indexes become objects.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

from einvoice.structure import datatypes as dt
from einvoice.structure.names import namespace_label

# Content kinds. TEXT marks a simple type used directly as an element's type.
EMPTY, SIMPLE, SEQ, DFA, TEXT = 0, 1, 2, 3, 4
UNBOUNDED = -1
_NUMERIC = {
    "decimal", "integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger",
    "negativeInteger", "long", "int", "short", "byte", "unsignedLong", "unsignedInt",
    "unsignedShort", "unsignedByte",
}


class Wildcard:
    """An ``xs:any``/``xs:anyAttribute``: which namespaces it admits and how it processes them."""

    __slots__ = ("any", "listed", "other", "process")

    def __init__(self, spec: dict[str, Any]) -> None:
        ns: list[str] = spec["ns"]
        self.process: str = spec["pc"]
        self.any = ns == ["##any"]
        self.other: str | None = ns[1] if ns[0] == "##other" else None
        self.listed = frozenset(ns) if not self.any and self.other is None else frozenset()

    def admits(self, namespace: str) -> bool:
        if self.any:
            return True
        if self.other is not None:
            # ##other excludes the target namespace and unqualified names (XSD 1.0).
            return namespace not in (self.other, "")
        return namespace in self.listed

    def describe(self, lang: str) -> str:
        """What the wildcard admits, in words (``lang`` "de" or "en")."""
        if self.any:
            return "ein beliebiges Element" if lang == "de" else "any element"
        if self.other is not None:
            ns = namespace_label(self.other)
            if lang == "de":
                return f"ein Element aus einem anderen Namensraum als {ns}"
            return f"an element from a namespace other than {ns}"
        names = ", ".join(namespace_label(n) for n in sorted(self.listed))
        return f"ein Element aus {names}" if lang == "de" else f"an element from {names}"


class SType:
    """A simple type: built-in base, whitespace rule, facets. ``trivial`` types accept any text."""

    __slots__ = (
        "abstract", "attrs", "aw", "base", "builtin", "check", "enum", "is_id", "item", "kind",
        "length", "max_len", "members", "min_len", "quick", "required", "simple", "trivial", "ws",
    )

    def __init__(self) -> None:
        # The same face as CType for the walk: no attributes, text content of this very type.
        self.kind = TEXT
        self.attrs: dict[str, tuple[SType, bool, str | None]] = {}
        self.required: tuple[str, ...] = ()
        self.aw: Wildcard | None = None
        self.abstract = False
        self.simple: SType = self
        self.builtin = ""
        self.ws = "p"
        self.check: Any = None
        self.enum: frozenset[str] | None = None
        self.length: int | None = None
        self.min_len: int | None = None
        self.max_len: int | None = None
        self.item: SType | None = None
        self.members: tuple[SType, ...] = ()
        self.base: SType | CType | None = None
        self.trivial = False
        self.is_id = False
        # For facet-free types whose lexical space has no inner whitespace, collapsing is the same
        # as trimming: ``quick(raw)`` is then the whole check (the common case, kept cheap).
        self.quick: Any = None

    def fill(self, d: dict[str, Any], types: list[SType | CType]) -> None:
        self.builtin = d["p"]
        self.ws = d["ws"]
        if self.builtin == "list":
            self.item = _as_simple(types[d["item"]])
        elif self.builtin == "union":
            self.members = tuple(_as_simple(types[i]) for i in d["union"])
        else:
            check, _ws = dt.BUILTINS[self.builtin]
            self.check = check
        if "b" in d:
            self.base = types[d["b"]]
        if "enum" in d:
            self.enum = frozenset(dt.normalize(v, self.ws) for v in d["enum"])
        self.length = d.get("len")
        self.min_len = d.get("minLen")
        self.max_len = d.get("maxLen")
        self.is_id = self.builtin == "ID"
        facet_free = (
            self.enum is None and self.length is None and self.min_len is None and self.max_len is None
        )
        self.trivial = self.check is None and self.builtin not in ("list", "union") and facet_free
        if self.check is not None and facet_free and self.ws == "c":
            if self.builtin == "decimal":
                self.quick = dt.decimal_quick
            elif self.builtin in dt.STRIP_ENOUGH:
                self.quick = dt.trimmed_quick(self.check)
            elif self.builtin == "base64Binary":
                # The base64 check drops every whitespace character itself: no need to collapse.
                self.quick = dt.is_base64

    def problem(self, raw: str) -> str | None:
        """None when ``raw`` is valid; otherwise what is wrong: "lexical", "enum" or "length"."""
        v = dt.normalize(raw, self.ws)
        if self.builtin == "list":
            items = v.split()
            for it in items:
                assert self.item is not None
                if self.item.problem(it):
                    return "lexical"
            n = len(items)
        elif self.builtin == "union":
            if not any(m.problem(v) is None for m in self.members):
                return "lexical"
            n = len(v)
        else:
            if self.check is not None and not self.check(v):
                return "lexical"
            n = -1
        if self.enum is not None and v not in self.enum:
            return "enum"
        if self.length is not None or self.min_len is not None or self.max_len is not None:
            if n < 0:
                n = dt.length_of(self.builtin, v)
            if (
                (self.length is not None and n != self.length)
                or (self.min_len is not None and n < self.min_len)
                or (self.max_len is not None and n > self.max_len)
            ):
                return "length"
        return None

    def same_value(self, raw: str, fixed: str) -> bool:
        """Whether ``raw`` equals the fixed value ``fixed`` in the type's value space."""
        a, b = dt.normalize(raw, self.ws), dt.normalize(fixed, self.ws)
        if a == b:
            return True
        if self.builtin in _NUMERIC:
            try:
                return Decimal(a) == Decimal(b)
            except InvalidOperation:
                return False
        if self.builtin == "boolean":
            return (a in ("true", "1")) == (b in ("true", "1")) and a in dt.BOOLEANS and b in dt.BOOLEANS
        return False


NO_TEXT = SType()  # the "simple type" of complex types without simple content (never checked)


class Particle:
    """One element of a flat sequence: its position, occurrence bounds and declaration."""

    __slots__ = (
        "attr_leaf", "fixed", "flags", "group", "hi", "index", "inline", "leaf", "max", "min", "name",
        "quick", "type",
    )

    def __init__(self, index: int, name: str, typ: SType | CType, flags: dict[str, Any] | None,
                 mn: int, mx: int) -> None:

        self.index = index
        self.name = name
        self.type = typ
        self.flags = flags
        self.fixed: str | None = flags.get("fixed") if flags else None
        self.min = mn
        self.max = mx
        # The furthest particle the next other child may be without anything required missing:
        # the next required one (or one past the last). A particle required more than once gives
        # its own index: every step past it is then checked in full. Set by CType.fill.
        self.hi = index
        self.leaf = False  # set by settle() once every type is filled
        self.quick: Any = None
        self.group = False
        self.attr_leaf = False
        self.inline = False

    def settle(self) -> None:
        typ = self.type
        st = typ.simple
        # A value any text is or one glance (``quick``; None for a trivial type) decides.
        glance = st.trivial or st.quick is not None
        self.quick = None if st.trivial else st.quick
        # Text-only, nothing to check beyond the value: the walk may handle it inline.
        self.leaf = (
            typ.kind in (SIMPLE, TEXT) and not typ.abstract and not typ.required
            and self.flags is None and not st.is_id and glance
        )
        # An aggregate: with no attributes on the element, its sequence is all there is to check.
        self.group = typ.kind == SEQ and not typ.abstract and not typ.required and self.flags is None
        # Text with plain attributes (amounts, quantities, identifiers with a scheme): value checks
        # only, no fixed values, IDs or wildcards; the walk may check it inline.
        self.attr_leaf = (
            typ.kind == SIMPLE and not typ.abstract and self.flags is None and typ.aw is None
            and not st.is_id and glance
            and all(fixed is None and not ast.is_id for ast, _req, fixed in typ.attrs.values())
        )
        self.inline = self.leaf or self.attr_leaf


def plain_leaf(typ: SType | CType, flags: dict[str, Any] | None) -> bool:
    """Text with at most plain attributes: value checks only, no fixed values, IDs, wildcards or
    declaration flags, so the walk may accept a valid one at a glance."""
    return (
        flags is None and typ.kind in (SIMPLE, TEXT) and not typ.abstract and typ.aw is None
        and not typ.simple.is_id
        and all(fixed is None and not st.is_id for st, _req, fixed in typ.attrs.values())
    )


class State:
    """A state of a content-model automaton (models with choices, groups or wildcards)."""

    __slots__ = ("accepting", "named", "wild")

    def __init__(self) -> None:
        # tag → (next state, type, declaration flags, plain text leaf? (see ``plain_leaf``))
        self.named: dict[str, tuple[int, SType | CType, dict[str, Any] | None, bool]] = {}
        self.wild: tuple[tuple[Wildcard, int], ...] = ()
        self.accepting = False


class CType:
    """A complex type: attributes, attribute wildcard and content model."""

    __slots__ = (
        "abstract", "attrs", "aw", "base", "end", "hi", "index", "kind", "mixed", "names", "particles",
        "required", "simple", "states",
    )

    def __init__(self) -> None:
        self.attrs: dict[str, tuple[SType, bool, str | None]] = {}
        self.required: tuple[str, ...] = ()
        self.aw: Wildcard | None = None
        self.kind = EMPTY
        self.mixed = False
        self.simple: SType = NO_TEXT
        self.particles: tuple[Particle, ...] = ()
        self.index: dict[str, Particle] = {}
        self.hi = 0  # the furthest particle the first child may be (as Particle.hi)
        self.end = 0  # the number of particles: hi is this when nothing required is left
        self.states: tuple[State, ...] = ()
        self.names: frozenset[str] = frozenset()
        self.base: SType | CType | None = None
        self.abstract = False

    def fill(self, d: dict[str, Any], types: list[SType | CType]) -> None:
        self.attrs = {
            name: (_as_simple(types[t]), bool(req), fixed) for name, (t, req, fixed) in d["a"].items()
        }
        self.required = tuple(n for n, (_t, req, _f) in self.attrs.items() if req)
        self.aw = Wildcard(d["aw"]) if d.get("aw") else None
        self.abstract = bool(d.get("abstract"))
        if "b" in d:
            self.base = types[d["b"]]
        m = d["m"]
        kind = m["t"]
        self.mixed = bool(m.get("mixed"))
        if kind == "simple":
            self.kind = SIMPLE
            self.simple = _as_simple(types[m["s"]])
        elif kind == "seq":
            self.kind = SEQ
            parts = []
            for i, (name, ref, mn, mx) in enumerate(m["p"]):
                typ, flags = _elem(ref, types)
                parts.append(Particle(i, name, typ, flags, mn, mx))
            self.particles = tuple(parts)
            self.index = {p.name: p for p in parts}
            hi = self.end = len(parts)
            for p in reversed(parts):
                p.hi = p.index if p.min > 1 else hi
                if p.min > 0:
                    hi = p.index
            self.hi = hi
            self.names = frozenset(self.index)
        elif kind == "dfa":
            self.kind = DFA
            states = []
            names: set[str] = set()
            for named, wild, accepting in m["s"]:
                st = State()
                for name, (nxt, ref) in named.items():
                    typ, flags = _elem(ref, types)
                    st.named[name] = (nxt, typ, flags, False)  # plain flag: Table, once all are filled
                    names.add(name)
                st.wild = tuple((Wildcard(w), nxt) for w, nxt in wild)
                st.accepting = bool(accepting)
                states.append(st)
            self.states = tuple(states)
            self.names = frozenset(names)
        else:
            self.kind = EMPTY


def _as_simple(t: SType | CType) -> SType:
    if not isinstance(t, SType):
        raise ValueError("structure table: attribute or content type is not simple")
    return t


def _elem(ref: Any, types: list[SType | CType]) -> tuple[SType | CType, dict[str, Any] | None]:
    if isinstance(ref, int):
        return types[ref], None
    return types[ref[0]], dict(ref[1])


class Table:
    """One compiled schema set: global element declarations, named types, root per syntax."""

    def __init__(self, raw: dict[str, Any]) -> None:
        if raw.get("version") != 1:
            raise ValueError("structure table: unknown version")
        types: list[SType | CType] = [SType() if d["k"] == "s" else CType() for d in raw["types"]]
        for obj, d in zip(types, raw["types"], strict=True):
            obj.fill(d, types)
        for obj in types:
            if isinstance(obj, CType):
                for p in obj.particles:
                    p.settle()
                for st in obj.states:
                    st.named = {k: (n, t, f, plain_leaf(t, f)) for k, (n, t, f, _) in st.named.items()}
        self.types = types
        self.roots: dict[str, str] = raw["roots"]
        self.only: dict[str, str] = raw["only"]
        self.globals = {q: _elem(ref, types) for q, ref in raw["globals"].items()}
        self.named: dict[str, SType | CType] = {q: types[i] for q, i in raw["named"].items()}

    def global_element(self, tag: str, syntax: str) -> tuple[SType | CType, dict[str, Any] | None] | None:
        only = self.only.get(tag)
        if only is not None and only != syntax:
            return None
        return self.globals.get(tag)


FILES = {"ubl-invoice": "ubl_2_1.json", "ubl-creditnote": "ubl_2_1.json", "cii": "cii_d16b.json"}


@cache
def _load(fname: str) -> Table:
    text = resources.files("einvoice.structure").joinpath(fname).read_text(encoding="utf-8")
    return Table(json.loads(text))


def table_for(syntax: str) -> Table:
    return _load(FILES[syntax])
