#!/usr/bin/env python3
"""Compile the official XSDs into the structural tables shipped in ``einvoice/structure/``.

Dev-time only: reads the UBL 2.1 and CII D16B schemas from ``/work/shared/reference/xsd`` (or
``--xsd DIR``) with the ``xmlschema`` package and writes our own compact description:

* ``einvoice/structure/ubl_2_1.json``  (UBL Invoice and CreditNote, one table)
* ``einvoice/structure/cii_d16b.json`` (CII CrossIndustryInvoice)

Format (version 1), all type references are indexes into ``types``:

    {"version": 1, "roots": {syntax: qname}, "only": {qname: syntax},
     "globals": {qname: elem}, "named": {qname: type}, "types": [type, ...], "sources": {...}}

    elem    = type index | [type index, flags]   flags: {"nillable": 1, "fixed": str, "abstract": 1}
    simple  = {"k": "s", "p": builtin, "ws": "p"|"r"|"c", "b": base?, facets...}
              facets: "enum" [str], "len"/"minLen"/"maxLen" int, "item" (list item type), "union" [types]
    complex = {"k": "c", "a": {qname: [simple, required, fixed|null]}, "aw": wildcard|null,
               "b": base?, "d": "ext"|"res"?, "abstract": 1?, "m": content}
    content = {"t": "empty"} | {"t": "simple", "s": simple}
            | {"t": "seq", "p": [[qname, elem, min, max(-1 = unbounded)], ...], "mixed": 0|1}
            | {"t": "dfa", "s": [[{qname: [next, elem]}, [[wildcard, next], ...], accepting], ...],
               "mixed": 0|1}                      (state 0 is the start state)
    wildcard = {"ns": ["##any"] | ["##other", tns] | [namespace, ...] ("" = no namespace),
                "pc": "strict"|"lax"|"skip"}

Run:  .venv/bin/python tools/gen_structure.py [--xsd DIR] [--check]
``--check`` regenerates in memory and fails when the shipped tables differ.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import xmlschema
from xmlschema.validators import (
    XsdAnyAttribute,
    XsdAnyElement,
    XsdAtomicBuiltin,
    XsdComplexType,
    XsdElement,
    XsdGroup,
    XsdList,
    XsdUnion,
)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "einvoice" / "structure"
DEFAULT_XSD = Path("/work/shared/reference/xsd")
XS = "http://www.w3.org/2001/XMLSchema"
# xmlschema predefines these; Xerces knows them only when a schema imports them (ours don't).
PREDEFINED_NS = ("http://www.w3.org/XML/1998/namespace", "http://www.w3.org/2001/XMLSchema-instance", XS)

# Built-in types our validator implements (einvoice/structure/datatypes.py).
SUPPORTED_BUILTINS = {
    "string", "normalizedString", "token", "language", "Name", "NCName", "ID", "IDREF", "NMTOKEN",
    "decimal", "integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger",
    "negativeInteger", "long", "int", "short", "byte", "unsignedLong", "unsignedInt",
    "unsignedShort", "unsignedByte", "boolean", "date", "time", "dateTime", "gYear", "gYearMonth",
    "gMonth", "gMonthDay", "gDay", "duration", "base64Binary", "hexBinary", "anyURI", "QName",
    "anySimpleType", "double", "float",
}
WS = {"preserve": "p", "replace": "r", "collapse": "c"}
MAX_UNFOLD = 50


class Unsupported(Exception):
    pass


class Compiler:
    def __init__(self) -> None:
        self.types: list[dict[str, Any]] = []
        self.index: dict[Any, int] = {}
        self.named: dict[str, int] = {}
        self.globals: dict[str, Any] = {}

    # -- types -------------------------------------------------------------------------------
    def type_ref(self, t: Any) -> int:
        key = ("N", t.name) if t.name else ("A", id(t))
        if key in self.index:
            return self.index[key]
        idx = len(self.types)
        self.index[key] = idx
        self.types.append({})  # placeholder: recursive types refer to themselves
        entry = self._complex(t) if isinstance(t, XsdComplexType) else self._simple(t)
        self.types[idx] = entry
        if (t.name and not t.name.startswith(f"{{{XS}}}")) or t.name:
            self.named[t.name] = idx
        return idx

    def _base(self, t: Any) -> int | None:
        base = getattr(t, "base_type", None)
        if base is None or base is t:
            return None
        if getattr(base, "name", None) == f"{{{XS}}}anyType":
            return None
        return self.type_ref(base)

    def _simple(self, t: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {"k": "s", "ws": WS[t.white_space or "preserve"]}
        if isinstance(t, XsdList):
            entry["p"] = "list"
            entry["item"] = self.type_ref(t.item_type)
            self._facets(t, entry, list_type=True)
            return entry
        if isinstance(t, XsdUnion):
            entry["p"] = "union"
            entry["union"] = [self.type_ref(m) for m in t.member_types]
            self._facets(t, entry)
            return entry
        builtin = t
        while not isinstance(builtin, XsdAtomicBuiltin):
            builtin = builtin.content if isinstance(builtin, XsdComplexType) else builtin.base_type
            if builtin is None:
                raise Unsupported(f"simple type {t} has no built-in ancestor")
        local = builtin.name.split("}")[1]
        if local not in SUPPORTED_BUILTINS:
            raise Unsupported(f"built-in type xs:{local} (used by {t})")
        entry["p"] = local
        base = self._base(t)
        if base is not None and not isinstance(t, XsdAtomicBuiltin):
            entry["b"] = base
        if not isinstance(t, XsdAtomicBuiltin):
            self._facets(t, entry)
        return entry

    def _facets(self, t: Any, entry: dict[str, Any], list_type: bool = False) -> None:
        """Facets of every restriction step down to the built-in type (they all apply)."""
        step = t
        enum_seen = False
        while step is not None and not isinstance(step, XsdAtomicBuiltin):
            if isinstance(step, XsdComplexType):
                step = step.content if step.has_simple_content() else None
                continue
            for name, facet in (step.facets or {}).items():
                if name is None:
                    continue
                local = name.split("}")[1]
                if local == "whiteSpace":
                    continue
                if local == "enumeration":
                    if not enum_seen:  # the most derived enumeration is the effective one
                        entry["enum"] = [str(v) for v in facet.enumeration]
                        enum_seen = True
                    continue
                if local in ("length", "minLength", "maxLength"):
                    key = {"length": "len", "minLength": "minLen", "maxLength": "maxLen"}[local]
                    prev = entry.get(key)
                    v = int(facet.value)
                    if prev is None:
                        entry[key] = v
                    elif key == "minLen":
                        entry[key] = max(prev, v)
                    else:
                        entry[key] = min(prev, v)
                    continue
                raise Unsupported(f"facet {local} on {t}")
            if step.patterns:
                raise Unsupported(f"pattern facet on {t}")
            nxt = getattr(step, "base_type", None)
            if nxt is step or (list_type and isinstance(step, XsdList)):
                break
            step = nxt

    def _complex(self, t: XsdComplexType) -> dict[str, Any]:
        if t.block or t.final:
            # They restrict xsi:type substitution; the validator does not model that.
            raise Unsupported(f"block/final on {t}")
        entry: dict[str, Any] = {"k": "c"}
        base = self._base(t)
        if base is not None:
            entry["b"] = base
            entry["d"] = "ext" if t.derivation == "extension" else "res"
        if t.abstract:
            entry["abstract"] = 1
        attrs: dict[str, list[Any]] = {}
        wildcard = None
        for name, a in t.attributes.items():
            if isinstance(a, XsdAnyAttribute):
                wildcard = self._wildcard(a)
                continue
            if a.use == "prohibited":
                continue
            attrs[name] = [self.type_ref(a.type), 1 if a.use == "required" else 0, a.fixed]
        entry["a"] = attrs
        entry["aw"] = wildcard
        if t.has_simple_content():
            entry["m"] = {"t": "simple", "s": self.type_ref(t.content)}
        elif t.is_empty() and not t.mixed:
            entry["m"] = {"t": "empty"}
        else:
            entry["m"] = self._model(t.content, mixed=bool(t.mixed))
        return entry

    def _wildcard(self, w: Any) -> dict[str, Any]:
        if getattr(w, "not_qname", None) or getattr(w, "not_namespace", None):
            raise Unsupported(f"XSD 1.1 wildcard {w}")
        ns = sorted(w.namespace)
        if ns == ["##any"]:
            spec = ["##any"]
        elif ns == ["##other"]:
            spec = ["##other", w.target_namespace or ""]
        else:
            spec = [("" if n == "##local" else (w.target_namespace or "") if n == "##targetNamespace" else n)
                    for n in ns]
        return {"ns": spec, "pc": w.process_contents}

    def elem_ref(self, e: XsdElement) -> Any:
        idx = self.type_ref(e.type)
        flags: dict[str, Any] = {}
        if e.nillable:
            flags["nillable"] = 1
        if e.fixed is not None:
            flags["fixed"] = e.fixed
        if e.abstract:
            flags["abstract"] = 1
        if getattr(e, "substitution_group", None):
            raise Unsupported(f"substitution group on {e}")
        if e.identities:
            raise Unsupported(f"identity constraints (key/unique/keyref) on {e}")
        if e.block or e.final:
            raise Unsupported(f"block/final on {e}")
        return [idx, flags] if flags else idx

    # -- content models ----------------------------------------------------------------------
    def _model(self, group: XsdGroup, mixed: bool) -> dict[str, Any]:
        particles = list(group)
        flat = (
            group.model == "sequence"
            and group.min_occurs == 1
            and group.max_occurs == 1
            and all(isinstance(p, XsdElement) for p in particles)
            and len({p.name for p in particles}) == len(particles)
        )
        if flat:
            return {
                "t": "seq",
                "p": [
                    [p.name, self.elem_ref(p), p.min_occurs, -1 if p.max_occurs is None else p.max_occurs]
                    for p in particles
                ],
                "mixed": int(mixed),
            }
        return {"t": "dfa", "s": self._dfa(group), "mixed": int(mixed)}

    def _dfa(self, group: XsdGroup) -> list[Any]:
        positions: list[tuple[str, Any]] = []  # (label, payload)
        wildcards: list[dict[str, Any]] = []

        def leaf(p: Any) -> Any:
            if isinstance(p, XsdElement):
                positions.append((p.name, self.elem_ref(p)))
            else:
                w = self._wildcard(p)
                if w not in wildcards:
                    wildcards.append(w)
                positions.append((f"#w{wildcards.index(w)}", None))
            return ("sym", len(positions) - 1)

        def occurs(p: Any, build: Any) -> Any:
            mn, mx = p.min_occurs, p.max_occurs
            if (mx is not None and mx > MAX_UNFOLD) or mn > MAX_UNFOLD:
                raise Unsupported(f"occurs {mn}..{mx} on {p}")
            parts = [build() for _ in range(mn)]
            if mx is None:
                parts.append(("star", build()))
            else:
                tail: Any = None
                for _ in range(mx - mn):
                    inner = build() if tail is None else ("seq", [build(), tail])
                    tail = ("opt", inner)
                if tail is not None:
                    parts.append(tail)
            return ("seq", parts)

        def node(p: Any) -> Any:
            if isinstance(p, XsdGroup):
                if p.model == "all":
                    raise Unsupported("xs:all")
                kind = "seq" if p.model == "sequence" else "alt"
                return occurs(p, lambda: (kind, [node(c) for c in p]))
            if isinstance(p, XsdElement | XsdAnyElement):
                return occurs(p, lambda: leaf(p))
            raise Unsupported(f"particle {p}")

        tree = node(group)
        follow: dict[int, set[int]] = {i: set() for i in range(len(positions))}

        def walk(n: Any) -> tuple[bool, set[int], set[int]]:
            kind = n[0]
            if kind == "sym":
                return False, {n[1]}, {n[1]}
            if kind == "seq":
                nullable, first, last = True, set(), set()
                for c in n[1]:
                    cn, cf, cl = walk(c)
                    for p in last:
                        follow[p] |= cf
                    if nullable:
                        first |= cf
                    last = (last | cl) if cn else cl
                    nullable = nullable and cn
                return nullable, first, last
            if kind == "alt":
                nullable, first, last = not n[1], set(), set()
                for c in n[1]:
                    cn, cf, cl = walk(c)
                    nullable, first, last = nullable or cn, first | cf, last | cl
                return nullable, first, last
            cn, cf, cl = walk(n[1])
            if kind == "star":
                for p in cl:
                    follow[p] |= cf
            return True, cf, cl

        nullable, first, last = walk(tree)
        start: frozenset[int] = frozenset([-1])
        states: dict[frozenset[int], int] = {start: 0}
        order = [start]
        out: list[Any] = []
        i = 0
        while i < len(order):
            cur = order[i]
            i += 1
            nxt: set[int] = set()
            for p in cur:
                nxt |= first if p == -1 else follow[p]
            by_label: dict[str, set[int]] = {}
            for p in nxt:
                by_label.setdefault(positions[p][0], set()).add(p)
            named: dict[str, list[Any]] = {}
            wild: list[list[Any]] = []
            for label in sorted(by_label):
                target = frozenset(by_label[label])
                if target not in states:
                    states[target] = len(order)
                    order.append(target)
                payloads = {json.dumps(positions[p][1]) for p in target}
                if len(payloads) != 1:
                    raise Unsupported(f"element {label} with different declarations in one model")
                if label.startswith("#w"):
                    wild.append([wildcards[int(label[2:])], states[target]])
                else:
                    named[label] = [states[target], positions[next(iter(target))][1]]
            accepting = (-1 in cur and nullable) or bool(cur & last)
            out.append([named, wild, int(accepting)])
        return out


def compile_schemas(xsd_dir: Path, syntaxes: dict[str, str]) -> dict[str, Any]:
    comp = Compiler()
    roots: dict[str, str] = {}
    per_syntax_globals: dict[str, set[str]] = {}
    sources: dict[str, str] = {}
    for syntax, rel in syntaxes.items():
        path = xsd_dir / rel
        schema = xmlschema.XMLSchema10(str(path))
        if schema.maps.substitution_groups:
            raise Unsupported("substitution groups")
        names: set[str] = set()
        for qname, el in sorted(schema.maps.elements.items()):
            if qname.startswith(tuple(f"{{{ns}}}" for ns in PREDEFINED_NS)):
                continue
            names.add(qname)
            ref = comp.elem_ref(el)
            if qname in comp.globals and json.dumps(comp.globals[qname]) != json.dumps(ref):
                raise Unsupported(f"global element {qname} differs between schemas")
            comp.globals[qname] = ref
        for tname, t in sorted(schema.maps.types.items()):
            if not tname.startswith(f"{{{XS}}}"):
                comp.type_ref(t)
        per_syntax_globals[syntax] = names
        root = [q for q in names if q.startswith(f"{{{schema.target_namespace}}}")]
        if len(root) != 1:
            raise Unsupported(f"expected one root element in {rel}, found {root}")
        roots[syntax] = root[0]
        for sch in schema.maps.iter_schemas():
            local = Path(str(sch.url or "").removeprefix("file://"))
            if local.is_file() and xsd_dir in local.parents:
                sources[str(local.relative_to(xsd_dir))] = hashlib.sha256(local.read_bytes()).hexdigest()
    everywhere = set.intersection(*per_syntax_globals.values())
    only = {q: s for s, names in per_syntax_globals.items() for q in names if q not in everywhere}
    return {
        "version": 1,
        "roots": roots,
        "only": dict(sorted(only.items())),
        "globals": dict(sorted(comp.globals.items())),
        "named": dict(sorted(comp.named.items())),
        "types": comp.types,
        "sources": dict(sorted(sources.items())),
    }


TABLES = {
    "ubl_2_1.json": {
        "ubl-invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
        "ubl-creditnote": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
    },
    "cii_d16b.json": {"cii": "cii-d16b/CrossIndustryInvoice_100pD16B.xsd"},
}


def render(table: dict[str, Any]) -> str:
    return json.dumps(table, separators=(",", ":"), ensure_ascii=False, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--xsd", type=Path, default=DEFAULT_XSD)
    ap.add_argument("--check", action="store_true", help="fail when the shipped tables are stale")
    args = ap.parse_args(argv)
    stale = 0
    for fname, syntaxes in TABLES.items():
        text = render(compile_schemas(args.xsd.resolve(), syntaxes))
        target = OUT / fname
        if args.check:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                print(f"stale: {target}")
                stale += 1
            continue
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)} ({len(text) // 1024} KiB)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
