"""One walk over the XML tree that evaluates a whole Schematron syntax pattern.

The syntax-binding rules (UBL-CR/SR/DT, CII-SR/DT) are hundreds of small tests of the shape
"this element should not be present" or "this element may occur at most once", each bound to a
*context* (a rule position of the pattern). Evaluating them one XPath at a time would cost
hundreds of tree searches per document; instead :class:`Pattern` compiles the table once and
:meth:`Pattern.evaluate` walks the tree once:

* each element is assigned to the **first** context (by rule position) that matches it, as the
  Schematron pattern does: later rules of the pattern never see that node;
* each element (and each attribute, as a virtual child) is counted at the context node its
  targets belong to;
* after the walk, the counts are turned into hits by rule kind.

What the rules say about an element depends on its path from the root (and, for a few
contexts, on a node test), so each distinct path gets a :class:`PathState` computed once and
cached: the walk itself is a few dict lookups per element.

Hand-written pieces (contexts with functions, "not(X) or condition" exemptions and a few
irregular tests) are plugged in by the rule modules by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from lxml import etree

from einvoice.namespaces import PREFIX
from einvoice.rules.registry import Context, Family, Hit, Rule, register_family
from einvoice.scenario import Level
from einvoice.xmlnode import Node

El = etree._Element
Loc = El | tuple[El, str]  # an element, or (owner element, attribute name)
# A predicate on a step: (prefix steps, last step, upper-case?, "=" | "!=", literal, or-missing child)
Pred = tuple[tuple[str, ...], str, bool, str, str, str | None]
Step = str | tuple[str, Pred]
Target = tuple[str, tuple[Step, ...]]

LEVELS: dict[str, Level] = {"e": "error", "w": "warning", "i": "information"}
_LAZY = frozenset(("absent", "max", "unless", "both"))
_EAGER = frozenset(("exact", "present", "all", "special"))


@dataclass
class State:
    """What hand-written checks may look at besides their context node."""

    root: El
    names: dict[str, list[El]]
    attrs: dict[str, list[El]]
    cache: dict[str, Any] = field(default_factory=dict)


# A named context: (does this tag qualify at all?, does this node match, given its ancestors?)
TagTest = Callable[[str, str], bool]  # (namespace uri, local name)
NodeTest = Callable[[El, list[Any]], bool]
Unless = Callable[[El, State], bool]
SpecialResult = tuple[Loc, str, str] | None
Special = Callable[[El, State], SpecialResult]


@dataclass(frozen=True)
class NamedContext:
    tag: TagTest
    node: NodeTest | None = None


@dataclass(frozen=True)
class TableRule:
    idx: int
    id: str
    level: Level
    pos: int
    kind: str  # absent | max | exact | present | both | all | never | unless | special
    targets: tuple[Target, ...]
    n: int
    # judged only where its target was found (absent, at most n, absent-unless, not both)
    lazy: bool
    # every alternative counted separately (kinds "both" and "all"): mask of all of them
    full: int = 0


def pname_of(tag: str) -> tuple[str, str, str]:
    """(prefixed name, namespace, local name) of a Clark tag; unknown namespaces stay unmatched."""
    got = _PNAMES.get(tag)
    if got is None:
        if tag[:1] == "{":
            uri, _, local = tag[1:].partition("}")
            pre = PREFIX.get(uri)
            got = (f"{pre}:{local}" if pre else f"*[local-name()='{local}']"), uri, local
        else:
            got = tag, "", tag
        if len(_PNAMES) < 4096:  # bounded: tags come from untrusted documents
            _PNAMES[tag] = got
    return got


_PNAMES: dict[str, tuple[str, str, str]] = {}


# Sibling numbering per (parent, tag): None when the tag occurs once under that parent, else
# each same-named sibling's position.
Positions = dict[tuple[El, str], "dict[El, int] | None"]


def xpath_of(loc: Loc, positions: Positions | None = None) -> str:
    """XPath of a node with our prefixes; ``[n]`` only where siblings share the name.

    ``positions`` caches the numbering of each parent's same-named children, so that many
    hits under one parent (say one per line of a 100,000-line invoice) stay linear; only the
    names on the path are numbered, not every child of every ancestor.
    """
    attr = None
    if isinstance(loc, tuple):
        loc, attr = loc
    if positions is None:
        positions = {}
    parts: list[str] = []
    el: El | None = loc
    while el is not None:
        tag: Any = el.tag  # a hand-written check may hand over a comment (einvoice/xmlnode.py)
        if not isinstance(tag, str):
            break
        name = pname_of(tag)[0]
        parent = el.getparent()
        if parent is None:
            parts.append(name)
            break
        key = (parent, tag)
        if key in positions:
            numbers = positions[key]
        else:
            numbers = positions[key] = _numbered(parent, tag)
        parts.append(name if numbers is None else f"{name}[{numbers[el]}]")
        el = parent
    path = "/" + "/".join(reversed(parts))
    return f"{path}/@{attr}" if attr else path


def _numbered(parent: El, tag: str) -> dict[El, int] | None:
    kids: list[Node] = parent[:]  # type: ignore[index, assignment]  # stubs lack slicing
    same = [c for c in kids if c.tag == tag]
    if len(same) < 2:
        return None
    return {c: n for n, c in enumerate(same, 1)}


def string_value(el: El) -> str:
    """The XPath string value of an element (its text, descendants' text included)."""
    if len(el):
        return "".join(cast(Iterable[str], el.itertext()))
    return el.text or ""


def children(el: El, pname: str) -> list[El]:
    """Element children named ``prefix:local`` (our prefixes)."""
    tag = _CLARK.get(pname)
    if tag is None:
        tag = _CLARK[pname] = clark(pname)
    kids: list[Node] = el[:]  # type: ignore[index, assignment]  # stubs lack slicing
    return [c for c in kids if c.tag == tag]


_CLARK: dict[str, str] = {}


def _values(el: El, last: str) -> list[str]:
    if last.startswith("@"):
        v = el.get(last[1:])
        return [] if v is None else [v]
    return [string_value(c) for c in children(el, last)]


def eval_pred(el: El, pred: Pred) -> bool:
    """XPath 2.0 general comparison of a step predicate (existential, untyped = string)."""
    prefix, last, upper, op, lit, missing = pred
    nodes = [el]
    for s in prefix:
        nodes = [c for n in nodes for c in children(n, s)]
    vals: list[str] = []
    for n in nodes:
        got = _values(n, last)
        if upper:
            # upper-case() of nothing is the empty string, so a missing value still compares
            vals.append(got[0].upper() if got else "")
        else:
            vals.extend(got)
    res = any(v == lit for v in vals) if op == "=" else any(v != lit for v in vals)
    if not res and missing is not None:
        res = not children(el, missing)
    return res


def _plain(step: Step) -> str:
    return step if isinstance(step, str) else step[0]


def target_text(target: Target) -> str:
    anchor, steps = target
    text = "/".join(_plain(s) for s in steps)
    return "//" + text if anchor == "doc" else text


def describe(rule: TableRule, ctx_name: str | None) -> tuple[str, str]:
    """German and English noun phrase for a rule's first target ("das Element …")."""
    text = target_text(rule.targets[0])
    if ctx_name:
        text = f"{ctx_name}/{text}"
    head, _, last = text.rpartition("/")
    if last.startswith("@"):
        owner = head or (ctx_name or "")
        return f"Das Attribut {last} an {owner}", f"The attribute {last} on {owner}"
    return f"Das Element {text}", f"The element {text}"


def _times_de(n: int) -> str:
    return {1: "einmal", 2: "zweimal"}.get(n, f"{n}-mal")


def _times_en(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def table_message(rule: TableRule, ctx_name: str | None, count: int,
                  hint: tuple[str, str] | None = None) -> tuple[str, str]:
    de, en = describe(rule, ctx_name)
    rid = rule.id
    if rule.kind in ("absent", "unless"):
        must_de, must_en = ("darf", "must") if rule.level == "error" else ("soll", "should")
        extra_de = f", {hint[0]}" if hint else ""
        extra_en = f", {hint[1]}" if hint else ""
        return (f"{de} {must_de} in einer Rechnung nach EN 16931 nicht vorkommen{extra_de} ({rid}).",
                f"{en} {must_en} not be present in an EN 16931 invoice{extra_en} ({rid}).")
    if rule.kind == "max":
        return (f"{de} darf höchstens {_times_de(rule.n)} vorkommen, gefunden: {count} ({rid}).",
                f"{en} may occur at most {_times_en(rule.n)}, found {count} ({rid}).")
    if rule.kind in ("both", "all"):
        names = [target_text(t) for t in rule.targets]
        if ctx_name:
            names = [f"{ctx_name}/{n}" for n in names]
        pair = " und ".join(names), " and ".join(names)
        if rule.kind == "both":
            return (f"{pair[0]} sollen nicht beide angegeben sein ({rid}).",
                    f"{pair[1]} should not both be present ({rid}).")
        return (f"{pair[0]} müssen angegeben sein ({rid}).", f"{pair[1]} must both be present ({rid}).")
    if rule.kind == "exact":
        return (f"{de} muss genau {_times_de(rule.n)} vorkommen, gefunden: {count} ({rid}).",
                f"{en} must occur exactly {_times_en(rule.n)}, found {count} ({rid}).")
    return (f"{de} muss angegeben sein ({rid}).", f"{en} must be present ({rid}).")


# Target table entry: (steps before the last one, rule, alternative index, predicates, anchored
# at the document root?). Predicates are (index into the steps, predicate).
Entry = tuple[tuple[str, ...], TableRule, int, tuple[tuple[int, Pred], ...], bool]
# Absolute target entry: (number of steps from the context, rule, alternative, predicates)
AbsEntry = tuple[int, TableRule, int, tuple[tuple[int, Pred], ...]]
# Trie node over Clark tags from the root: (children, context position, targets, attribute targets)
Trie = tuple[dict[str, Any], int, "list[AbsEntry] | None", "dict[str, list[AbsEntry]] | None"]
# An element target at a known path: (context depth, rule, alternative, predicates, depth of the
# target's first step)
StateEntry = tuple[int, TableRule, int, tuple[tuple[int, Pred], ...], int]
_MAX_STATES = 20_000  # distinct element paths remembered (bounded: paths come from documents)


class PathState:
    """Everything static about an element at one path from the root, computed once."""

    __slots__ = ("attrs", "busy", "cands", "chain", "children", "depth", "entries", "fixed",
                 "names", "pname", "poses", "trie", "watched")

    pname: str
    depth: int
    names: tuple[str, ...]
    chain: tuple[PathState, ...]
    trie: Trie | None
    cands: tuple[tuple[int, NodeTest | None], ...]
    # the context position when the path alone decides it (0: no context), -1 when a node
    # test must look at the element
    fixed: int
    poses: frozenset[int]
    entries: tuple[StateEntry, ...]
    attrs: dict[str, tuple[bool, tuple[StateEntry, ...]]]
    children: dict[str, PathState]
    watched: bool
    busy: bool


# A context node: [element, position, counts, prefixed name]; counts are rule idx →
# [count, first location, surplus (or pair-completing) location, alternative, alternatives seen]
CtxRec = list[Any]
Frame = tuple[El, str, "CtxRec | None", PathState]
# What a walk leaves for the finishing step: context nodes to judge, flagged counts, the state.
Walked = tuple[list[CtxRec], list[tuple[CtxRec, TableRule, list[Any]]], State]
# The shared document index's part of a fused walk: elements by tag and the element leaves,
# each in document order.
Index = tuple[dict[str, list[El]], list[El]]


# lxml's stubs type attribute names as str | bytes; parsed documents always give str.
keys: Callable[[El], list[str]] = etree._Element.keys  # type: ignore[assignment]


def clark(pname: str) -> str:
    pre, _, local = pname.partition(":")
    return f"{{{NS_OF[pre]}}}{local}"


NS_OF = {p: uri for uri, p in PREFIX.items()}


class Pattern:
    """A compiled Schematron syntax pattern: contexts by position and the rule table."""

    def __init__(
        self,
        contexts: Mapping[int, tuple[str, Any]],
        rows: Iterable[tuple[str, str, int, str, tuple[Any, ...], int]],
        *,
        named: Mapping[str, NamedContext],
        unless: Mapping[str, tuple[Unless, str, str]],
        special: Mapping[str, Special],
        watch_names: Iterable[str] = (),
        watch_attrs: Iterable[str] = (),
    ) -> None:
        self.rules = [TableRule(i, r[0], LEVELS[r[1]], r[2], r[3], r[4], r[5], r[3] in _LAZY,
                                (1 << len(r[4])) - 1 if r[3] in ("both", "all") else 0)
                      for i, r in enumerate(rows)]
        self.unless = dict(unless)
        self.special = dict(special)
        self.watch_names = frozenset(watch_names)
        self.watch_attrs = frozenset(watch_attrs)
        for r in self.rules:
            if r.kind == "unless" and r.id not in self.unless:
                raise ValueError(f"{r.id}: no exemption condition")
            if r.kind == "special" and r.id not in self.special:
                raise ValueError(f"{r.id}: no hand-written check")
        # trie under construction: clark tag → [children, pos, entries, attr entries]
        trie: dict[str, list[Any]] = {}

        def trie_node(path: str) -> list[Any]:
            level = trie
            node: list[Any] = []
            for step in path.strip("/").split("/"):
                node = level.setdefault(clark(step), [{}, 0, None, None])
                level = node[0]
            return node

        self._by_name: dict[str, list[tuple[int, str, Any]]] = {}
        self._named: list[tuple[int, NamedContext]] = []
        for pos, (kind, data) in sorted(contexts.items()):
            if kind == "abs":
                for p in data:
                    node = trie_node(p)
                    node[1] = node[1] or pos
            elif kind == "tail":
                for steps in data:
                    self._by_name.setdefault(steps[-1], []).append((pos, "tail", tuple(steps[:-1])))
            elif kind == "named":
                self._named.append((pos, named[data]))
            else:
                raise ValueError(f"context kind {kind}")
        # rules per position that must be looked at even where nothing was counted
        self._eager: dict[int, list[TableRule]] = {}
        for r in self.rules:
            if r.kind in _EAGER:
                self._eager.setdefault(r.pos, []).append(r)
        self._eager_fns: dict[int, list[tuple[TableRule, Special | None]]] = {
            pos: [(r, self.special.get(r.id) if r.kind == "special" else None) for r in rules]
            for pos, rules in self._eager.items()
        }
        self._tail: dict[str, list[Entry]] = {}
        for r in self.rules:
            for ai, (anchor, steps) in enumerate(r.targets):
                plain = tuple(_plain(s) for s in steps)
                preds = tuple((i, s[1]) for i, s in enumerate(steps) if not isinstance(s, str))
                ctx = contexts[r.pos]
                if anchor == "rel" and ctx[0] == "abs":
                    for p in ctx[1]:
                        elems = plain[:-1] if plain[-1].startswith("@") else plain
                        node = trie_node(p + "/" + "/".join(elems)) if elems else trie_node(p)
                        entry = (len(plain), r, ai, preds)
                        if plain[-1].startswith("@"):
                            if node[3] is None:
                                node[3] = {}
                            node[3].setdefault(plain[-1][1:], []).append(entry)
                        else:
                            if node[2] is None:
                                node[2] = []
                            node[2].append(entry)
                else:
                    self._tail.setdefault(plain[-1], []).append((plain[:-1], r, ai, preds, anchor == "doc"))

        def freeze(level: dict[str, list[Any]]) -> dict[str, Trie]:
            return {k: (freeze(v[0]), v[1], v[2], v[3]) for k, v in level.items()}

        self._trie: dict[str, Trie] = freeze(trie)
        self._attr_tail: dict[str, list[Entry]] = {
            k[1:]: v for k, v in self._tail.items() if k.startswith("@")
        }
        self._roots: dict[str, PathState] = {}
        self._states = 0

    # ---- per-path states ---------------------------------------------------------------------

    def _state(self, parent: PathState | None, tag: str) -> PathState:
        """What the rules say about an element at this path: computed once per distinct path."""
        pname, ns, local = pname_of(tag)
        st = PathState()
        st.pname = pname
        st.children = {}
        st.attrs = {}
        names: tuple[str, ...]
        chain_before: tuple[PathState, ...]
        if parent is None:
            depth, names, chain_before = 0, (pname,), ()
            tnode = self._trie.get(tag)
        else:
            depth, names = parent.depth + 1, (*parent.names, pname)
            chain_before = parent.chain
            tnode = parent.trie[0].get(tag) if parent.trie is not None else None
        st.depth, st.names, st.trie = depth, names, tnode
        st.chain = (*chain_before, st)
        # contexts, first by position; a static one (decided by the path) ends the list
        cands: list[tuple[int, NodeTest | None]] = []
        if tnode is not None and tnode[1]:
            cands.append((tnode[1], None))
        for pos, _, before in self._by_name.get(pname, ()):
            n = len(before)
            if depth >= n and names[depth - n:depth] == before:
                cands.append((pos, None))
        cands += [(pos, nc.node) for pos, nc in self._named if nc.tag(ns, local)]
        cands.sort(key=lambda c: c[0])
        kept: list[tuple[int, NodeTest | None]] = []
        for c in cands:
            kept.append(c)
            if c[1] is None:
                break
        st.cands = tuple(kept)
        st.fixed = -1 if kept and kept[0][1] is not None else kept[0][0] if kept else 0
        st.poses = frozenset(p for p, _ in kept)
        # element targets ending here, with their context depth resolved
        entries: list[StateEntry] = []
        if tnode is not None and tnode[2]:
            for length, rule, ai, preds in tnode[2]:
                self._keep(entries, st, depth - length, rule, ai, preds, depth - length + 1)
        for before, rule, ai, preds, doc in self._tail.get(pname, ()):
            self._tail_entry(entries, st, names, depth, before, rule, ai, preds, doc)
        st.entries = tuple(entries)
        st.watched = pname in self.watch_names
        st.busy = bool(kept or entries or st.watched)
        if parent is not None and self._states < _MAX_STATES:
            self._states += 1
            parent.children[tag] = st
        elif parent is None:
            self._roots[tag] = st
        return st

    def _tail_entry(self, entries: list[StateEntry], st: PathState, names: tuple[str, ...],
                    depth: int, before: tuple[str, ...], rule: TableRule, ai: int,
                    preds: tuple[tuple[int, Pred], ...], doc: bool) -> None:
        n = len(before)
        start = depth - n  # depth of the target's first step
        if start < (0 if doc else 1) or names[start:depth] != before:
            return
        self._keep(entries, st, 0 if doc else start - 1, rule, ai, preds, start)

    @staticmethod
    def _keep(entries: list[StateEntry], st: PathState, ctx_depth: int, rule: TableRule, ai: int,
              preds: tuple[tuple[int, Pred], ...], start: int) -> None:
        # only where the node at the context depth can be that rule's context at all
        if ctx_depth >= 0 and rule.pos in st.chain[ctx_depth].poses:
            entries.append((ctx_depth, rule, ai, preds, start))

    def _attr_state(self, st: PathState, name: str) -> tuple[bool, tuple[StateEntry, ...]]:
        """Targets for attribute ``name`` on an element at this path (a virtual child)."""
        entries: list[StateEntry] = []
        depth = st.depth + 1
        names = (*st.names, "@" + name)
        tnode = st.trie
        if tnode is not None and tnode[3]:
            for length, rule, ai, preds in tnode[3].get(name, ()):
                self._keep(entries, st, depth - length, rule, ai, preds, depth - length + 1)
        for before, rule, ai, preds, doc in self._attr_tail.get(name, ()):
            self._tail_entry(entries, st, names, depth, before, rule, ai, preds, doc)
        got = (name in self.watch_attrs, tuple(entries))
        if len(st.attrs) < 64:  # bounded: attribute names come from untrusted documents
            st.attrs[name] = got
        return got

    # ---- the walk ---------------------------------------------------------------------------

    def evaluate(self, root: El) -> dict[str, list[Hit]]:
        """All hits of the pattern in one walk: {rule id: [Hit, ...]}."""
        return self.finish(self.walk(root))

    def walk(self, root: El, index: Index | None = None) -> Walked:
        """The counting pass over the tree; :meth:`finish` turns it into hits.

        With ``index`` the same pass also fills the shared document index's elements by tag
        and its leaves (see ``_xr_helpers.doc``), so the tree is walked once for both.
        """
        state = State(root=root, names={}, attrs={})
        stack: list[Frame] = []
        ctx_recs: list[CtxRec] = []
        flagged: list[tuple[CtxRec, TableRule, list[Any]]] = []
        eager = self._eager
        names_w = state.names
        attrs_w = state.attrs
        make = self._state
        attr_state = self._attr_state

        def count(ctx_depth: int, rule: TableRule, ai: int, preds: tuple[tuple[int, Pred], ...],
                  start: int, loc: Loc) -> None:
            crec = stack[ctx_depth][2]
            if crec is None or crec[1] != rule.pos:
                return
            if preds:
                for i, pred in preds:
                    if not eval_pred(stack[start + i][0], pred):
                        return
            counts = crec[2]
            if counts is None:
                counts = crec[2] = {}
            rec = counts.get(rule.idx)
            if rec is None:
                counts[rule.idx] = rec = [0, loc, None, ai, 0]
            rec[0] += 1
            if rule.full:
                mask = rec[4] | (1 << ai)
                if mask != rec[4]:
                    rec[4] = mask
                    if mask == rule.full and rule.lazy:  # "both": the pair is complete
                        rec[2] = loc
                        flagged.append((crec, rule, rec))
                return
            if rec[0] == rule.n + 1:
                rec[2] = loc
                if rule.lazy:
                    flagged.append((crec, rule, rec))

        push = stack.append
        pop = stack.pop
        fused = index is not None
        by_tag, leaves = index if index is not None else ({}, [])
        by_tag_get = by_tag.get
        leaf = leaves.append

        # Document order over elements only (C-level iteration, no Python recursion); the
        # stack of ancestors is kept by comparing each element's parent with the stack top.
        # Its element and the states of its children are kept at hand: most elements are the
        # first child of the previous one or follow a leaf that got no frame.
        top_el: El | None = None
        kids = self._roots
        for el in root.iter(etree.Element):
            tag: str = el.tag  # elements only: iter(etree.Element)
            n = len(el)
            if fused:
                lst = by_tag_get(tag)
                if lst is None:
                    by_tag[tag] = [el]
                else:
                    lst.append(el)
                if not n:
                    leaf(el)
            parent = el.getparent()
            if parent is not top_el:
                pop()
                frame = stack[-1]
                while frame[0] is not parent:
                    pop()
                    frame = stack[-1]
                top_el = parent
                kids = frame[3].children
            try:
                st = kids[tag]
            except KeyError:  # a path not seen before (or not remembered: see _MAX_STATES)
                st = make(stack[-1][3] if stack else None, tag)
            if st.busy:
                pos = st.fixed
                if pos < 0:
                    pos = 0
                    for cpos, test in st.cands:
                        if test is None or test(el, stack):
                            pos = cpos
                            break
                crec: CtxRec | None = None
                if pos:
                    crec = [el, pos, None, st.pname]
                    if pos in eager:
                        ctx_recs.append(crec)
                push((el, st.pname, crec, st))
                if st.watched:
                    names_w.setdefault(st.pname, []).append(el)
                for ctx_depth, rule, ai, preds, start in st.entries:
                    count(ctx_depth, rule, ai, preds, start, el)
            elif n or keys(el):
                push((el, st.pname, None, st))
            else:
                continue  # a leaf nothing is said about, without attributes: no frame
            top_el = el
            kids = st.children
            for name in keys(el):
                got = st.attrs.get(name) or attr_state(st, name)
                if got[0]:
                    attrs_w.setdefault(name, []).append(el)
                for ctx_depth, rule, ai, preds, start in got[1]:
                    count(ctx_depth, rule, ai, preds, start, (el, name))

        return ctx_recs, flagged, state

    # ---- turning counts into hits -----------------------------------------------------------

    def finish(self, walked: Walked) -> dict[str, list[Hit]]:
        """The hits of a :meth:`walk`: {rule id: [Hit, ...]}."""
        ctx_recs, flagged, state = walked
        out: dict[str, list[Hit]] = {}
        root = state.root
        positions: Positions = {}

        def add(rule: TableRule, loc: Loc, de: str, en: str) -> None:
            out.setdefault(rule.id, []).append(Hit(xpath_of(loc, positions), de, en))

        # absent / at most n / absent-unless: only what was found (more than n times)
        for crec, rule, rec in flagged:
            el, _, _, pname = crec
            ctx_name = None if el is root else pname
            count, first, surplus, _, _ = rec
            kind = rule.kind
            if kind == "absent":
                add(rule, first, *table_message(rule, ctx_name, count))
            elif kind in ("max", "both"):
                add(rule, surplus, *table_message(rule, ctx_name, count))
            elif kind == "unless":
                fn, hint_de, hint_en = self.unless[rule.id]
                if not fn(el, state):
                    add(rule, first, *table_message(rule, ctx_name, count, (hint_de, hint_en)))
        # exactly n / present / hand-written: every context node
        eager = self._eager_fns
        for el, pos, counts, pname in ctx_recs:
            for rule, special in eager[pos]:
                if special is not None:
                    res = special(el, state)
                    if res is not None:
                        add(rule, *res)
                    continue
                got: list[Any] | None = counts.get(rule.idx) if counts else None
                count = got[0] if got else 0
                ctx_name = None if el is root else pname
                if rule.kind == "exact" and count != rule.n:
                    loc = got[2] if got and got[2] is not None else el
                    add(rule, loc, *table_message(rule, ctx_name, count))
                elif (rule.kind == "present" and count == 0) or (
                        rule.kind == "all" and (got[4] if got else 0) != rule.full):
                    add(rule, el, *table_message(rule, ctx_name, count))
        return out



# ---- registration ---------------------------------------------------------------------------

def _context_label(ctx: tuple[str, Any]) -> str:
    kind, data = ctx
    if kind == "abs":
        return str(data[0]).rsplit("/", 1)[1]
    if kind == "tail":
        return " | ".join("/".join(steps) for steps in data)
    return str(data)


def _description(rule: TableRule, label: str) -> str:
    targets = " | ".join(target_text(t) for t in rule.targets)
    if rule.kind in ("absent", "unless"):
        text = f"{targets} should not be present"
        if rule.kind == "unless":
            text += " (with an exemption)"
    elif rule.kind == "max":
        text = f"{targets} at most {_times_en(rule.n)}"
    elif rule.kind == "exact":
        text = f"{targets} exactly {_times_en(rule.n)}"
    elif rule.kind == "present":
        text = f"{targets} must be present"
    elif rule.kind == "both":
        text = f"not both of {targets}"
    elif rule.kind == "all":
        text = f"all of {targets} must be present"
    elif rule.kind == "never":
        text = "a test that always holds"
    else:
        text = "hand-written syntax check"
    return f"{text} (in {label})"


def _special_doc(pattern: Pattern, rule: TableRule) -> str:
    fn = pattern.special.get(rule.id) if rule.kind == "special" else None
    doc = (fn.__doc__ or "").strip() if fn is not None else ""
    return doc.splitlines()[0] if doc else ""


def register_pattern(name: str, family: Family, pattern: Pattern,
                     contexts: Mapping[int, tuple[str, Any]],
                     bts: Mapping[str, tuple[str, ...]] | None = None) -> None:
    """Register a pattern as one rule family: one evaluation per document, every rule listed."""

    def _unused(ctx: Context) -> Iterable[Hit]:
        return ()

    def evaluate(ctx: Context) -> dict[str, list[Hit]]:
        # The document index of the XRechnung rules may have walked the tree for this family
        # already (it runs first); the result is taken once.
        walked: Walked | None = ctx.cache.pop(WALKED, None)
        if walked is None or walked[2].root is not ctx.root:
            walked = pattern.walk(ctx.root)
        return pattern.finish(walked)

    members = [
        Rule(
            id=r.id,
            level=r.level,
            source="en16931",
            layer="syntax",
            bts=(bts or {}).get(r.id, ()),
            syntaxes=frozenset((family,)),
            description=_special_doc(pattern, r) or _description(r, _context_label(contexts[r.pos])),
            check=_unused,
        )
        for r in pattern.rules
    ]
    register_family(name, source="en16931", syntaxes=(family,), members=members, evaluate=evaluate)
    PATTERNS[family] = pattern


# The pattern registered per syntax family, and the context cache key of a walk done ahead.
PATTERNS: dict[Family, Pattern] = {}
WALKED = "syntax.walked"
