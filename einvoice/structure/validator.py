"""One walk over the lxml tree that decides what XSD validation (Xerces) would decide.

Covered: element order and cardinality (flat sequences directly, other models through a
deterministic automaton), unknown elements and wrong namespaces, text where only elements may be
and elements where only text may be, simple-type values of text and attributes (after the
whitespace rule of their type), required, unexpected and fixed attributes, wildcards with
strict/lax/skip processing, xsi:type, xsi:nil, abstract declarations and duplicate xs:ID values.

Every error found is reported (up to a limit), not only the first, as far as the walk can
sensibly continue after it: an element that is not allowed is reported and its content skipped.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from einvoice.report import Finding
from einvoice.structure import datatypes as dt
from einvoice.structure import messages as msg
from einvoice.structure.anyuri import is_any_uri
from einvoice.structure.names import attribute_path, display, listing, local_of, namespace_of, xpath
from einvoice.structure.table import DFA, SEQ, SIMPLE, TEXT, CType, SType, Table, Wildcard
from einvoice.xmlnode import Node

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSI_TYPE = f"{{{XSI}}}type"
XSI_NIL = f"{{{XSI}}}nil"
WS_RUNS = dt.WS_RUNS
XSI_HINTS = (f"{{{XSI}}}schemaLocation", f"{{{XSI}}}noNamespaceSchemaLocation")
MAX_FINDINGS = 50

El = etree._Element
Flags = dict[str, Any] | None
Type = SType | CType


class _Stop(Exception):
    """Raised when the finding limit is reached: the verdict is clear, stop walking."""


class Walk:
    def __init__(self, table: Table, syntax: str, limit: int = MAX_FINDINGS) -> None:
        self.table = table
        self.syntax = syntax
        self.limit = limit
        self.findings: list[Finding] = []
        self.ids: set[str] = set()

    # -- reporting -------------------------------------------------------------------------------
    def report(self, rule: str, location: str, de: str, en: str) -> None:
        self.findings.append(
            Finding(rule=rule, level="error", location=location, message_de=de, message_en=en)
        )
        if len(self.findings) >= self.limit:
            self.findings.append(
                Finding(
                    rule="EINV-STRUCT-LIMIT",
                    level="error",
                    location="/",
                    message_de=f"Nach {self.limit} Strukturfehlern wurde die Prüfung abgebrochen; "
                    "weitere Fehler sind möglich.",
                    message_en=f"Structure check stopped after {self.limit} errors; there may be more.",
                )
            )
            raise _Stop

    # -- entry -----------------------------------------------------------------------------------
    def run(self, root: El) -> list[Finding]:
        try:
            tag: Any = root.tag  # a str for elements only (einvoice/xmlnode.py)
            decl = self.table.global_element(tag, self.syntax) if isinstance(tag, str) else None
            if decl is None or tag != self.table.roots.get(self.syntax):
                name = display(tag) if isinstance(tag, str) else "?"
                want = display(self.table.roots.get(self.syntax, "?"))
                self.report(
                    "EINV-STRUCT-UNKNOWN",
                    "/" + name,
                    f"Das Wurzelelement {name} ist im Schema nicht vorgesehen; erwartet: {want}.",
                    f"The root element {name} is not declared by the schema; expected: {want}.",
                )
            else:
                self.element(root, decl[0], decl[1])
        except _Stop:
            pass
        return self.findings

    # -- elements --------------------------------------------------------------------------------
    def element(self, el: El, typ: Type, flags: Flags) -> None:
        items = el.items()
        if items:
            found = self.attributes(el, typ, flags, items)
            if found is None:
                return
            typ = found
        elif typ.required:
            self.missing_attributes(el, typ, {})
        if flags:
            self.declaration_flags(el, flags)
        kind = typ.kind
        if kind == SEQ:
            self.sequence(el, typ)  # type: ignore[arg-type]
        elif kind in (SIMPLE, TEXT):
            self.simple_text(el, typ.simple, flags)
        elif kind == DFA:
            self.automaton(el, typ)  # type: ignore[arg-type]
        else:
            self.empty(el, typ)  # type: ignore[arg-type]
        if typ.abstract:
            name = display(el.tag)
            self.report(
                "EINV-STRUCT-XSI",
                xpath(el),
                f"{name} hat einen abstrakten Typ; ein konkreter Typ muss mit xsi:type angegeben werden.",
                f"{name} has an abstract type; a concrete type must be given with xsi:type.",
            )

    def sequence(self, el: El, ct: CType, outer: str | None = None) -> None:
        """``outer``: a text found blank in the parent's content (pretty-printing gives the last
        child the indentation of the parent's children)."""
        t = el.text
        if t and t not in WS_RUNS and not (t.isspace() and t.isascii()):
            if not ct.mixed:
                self.stray_text(el, t)
            t = None
        # The last text found blank: pretty-printing gives a child's tail the parent's text or,
        # for the last child, the parent's indentation; comparing with those costs a third of
        # the set look-up, which must hash the new string.
        blank = t
        index = ct.index
        pos = -1
        cnt = 0
        # A child in order may be any particle after the current one up to ``hi`` (see
        # Particle.hi): one comparison settles the common case; the rest is checked in full.
        hi = ct.hi
        child: Node
        for child in el[:]:  # type: ignore[index]  # a slice: no iterator object per parent
            tail = child.tail
            if tail != blank and tail != outer:
                # XML whitespace only; str.isspace alone would also accept e.g. NO-BREAK SPACE.
                if tail and tail not in WS_RUNS and not (tail.isspace() and tail.isascii()):
                    if not ct.mixed:
                        self.stray_text(el, tail)
                else:
                    blank = tail
            # A comment's or processing instruction's tag is a function, found in no index: the
            # type test (a generic attribute look-up) is needed only for what the index lacks.
            p = index.get(child.tag)
            if p is None:
                if child.tag.__class__ is str:
                    self.unexpected(el, child, ct, self.expected_seq(ct, pos, cnt))
                continue
            i = p.index
            if i > pos:
                if i > hi:  # something required may be missing: missing_before tells
                    self.missing_before(el, ct, pos, cnt, i, child)
                pos = i
                cnt = 1
                hi = p.hi
            elif i == pos:
                cnt += 1
                if cnt > p.max >= 0:
                    self.too_many(el, child, p.max)
            else:
                self.out_of_order(el, child, self.expected_seq(ct, pos, cnt), ct.particles[pos].name)
            if p.inline:
                # Text-only child with a valid value: the common case, done inline. Attributes (a
                # schemeID, a currencyID) are checked at a glance where the type allows; without
                # any, only a type that requires none is done.
                quick = p.quick
                if (quick is None or quick(child.text or "")) and not len(child):
                    items = child.items()
                    if p.leaf if not items else p.attr_leaf and self.plain_attributes(items, p.type):
                        continue
            elif p.group and not child.items():
                self.sequence(child, p.type, blank)  # type: ignore[arg-type]
                continue
            self.element(child, p.type, p.flags)
        if hi < ct.end:
            self.missing_before(el, ct, pos, cnt, ct.end, None)

    @staticmethod
    def plain_attributes(items: Any, typ: Type) -> bool:
        """True when every attribute is declared with a valid value and none required is missing
        (for types without fixed values, IDs or attribute wildcards)."""
        attrs = typ.attrs
        seen = 0
        for name, value in items:
            d = attrs.get(name)
            if d is None:
                return False
            ast = d[0]
            if not ast.trivial and not (ast.quick is not None and ast.quick(value)):
                return False
            seen += d[1]
        return seen == len(typ.required)

    def automaton(self, el: El, ct: CType) -> None:
        mixed = ct.mixed
        ws_runs = WS_RUNS
        t = el.text
        if t and t not in ws_runs and not (t.isspace() and t.isascii()):
            if not mixed:
                self.stray_text(el, t)
            t = None
        blank = t  # as in sequence
        states = ct.states
        state = states[0]
        child: Node
        for child in el[:]:  # type: ignore[index]  # a slice: no iterator object per parent
            tail = child.tail
            if tail != blank:
                if tail and tail not in ws_runs and not (tail.isspace() and tail.isascii()):
                    if not mixed:
                        self.stray_text(el, tail)
                else:
                    blank = tail
            tag = child.tag
            hit = state.named.get(tag)  # as in sequence: a comment's tag is found in no state
            if hit is not None:
                state = states[hit[0]]
                typ = hit[1]
                if hit[3]:
                    # A valid text leaf (e.g. a CII date string with its format) at a glance.
                    st = typ.simple
                    if (
                        (st.trivial or (st.quick is not None and st.quick(child.text or "")))
                        and len(child) == 0
                        and self.plain_attributes(child.items(), typ)
                    ):
                        continue
                self.element(child, typ, hit[2])
                continue
            if tag.__class__ is not str:
                continue
            ns = namespace_of(tag)
            for w, nxt in state.wild:
                if w.admits(ns):
                    state = states[nxt]
                    self.wildcard_element(child, w)
                    break
            else:
                expected: list[Any] = [*sorted(state.named), *(w for w, _ in state.wild)]
                if tag in ct.names:
                    self.out_of_order(el, child, expected)
                else:
                    self.unexpected(el, child, ct, expected)
        if not state.accepting:
            want: list[Any] = [*sorted(state.named), *(w for w, _ in state.wild)]
            name = display(el.tag)
            self.report(
                "EINV-STRUCT-MISSING",
                xpath(el),
                f"In {name} fehlt ein Pflichtelement; erwartet: {listing(want, 'de')}.",
                f"{name} lacks a required element; expected: {listing(want, 'en')}.",
            )

    def empty(self, el: El, ct: CType) -> None:
        name = display(el.tag)
        t = el.text
        if t and not ct.mixed and not (t.isspace() and t.isascii()):
            self.stray_text(el, t)
        child: Node
        for child in el:
            tail = child.tail
            if tail and not ct.mixed and not (tail.isspace() and tail.isascii()):
                self.stray_text(el, tail)
            if isinstance(child.tag, str):
                self.report(
                    "EINV-STRUCT-CONTENT",
                    xpath(child),
                    f"{name} muss leer sein; gefunden: {display(child.tag)}.",
                    f"{name} must be empty; found: {display(child.tag)}.",
                )

    def simple_text(self, el: El, st: SType, flags: Flags) -> None:
        if len(el):
            parts = [el.text or ""]
            child: Node
            for child in el:
                if isinstance(child.tag, str):
                    name = display(el.tag)
                    self.report(
                        "EINV-STRUCT-CONTENT",
                        xpath(child),
                        f"{name} enthält nur Text; das Unterelement {display(child.tag)} ist nicht erlaubt.",
                        f"{name} holds text only; the child element {display(child.tag)} is not allowed.",
                    )
                    return
                parts.append(child.tail or "")
            text = "".join(parts)
        else:
            text = el.text or ""
        if not st.trivial:
            problem = st.problem(text)
            if problem is not None:
                de, en = msg.value_problem(display(el.tag), text, st, problem)
                self.report("EINV-STRUCT-DATATYPE", xpath(el), de, en)
                return
        if st.is_id:
            self.unique_id(el, None, text)
        if flags and flags.get("fixed") is not None and not st.same_value(text, flags["fixed"]):
            name = display(el.tag)
            fixed = flags["fixed"]
            self.report(
                "EINV-STRUCT-DATATYPE",
                xpath(el),
                f"{name} muss den festen Wert '{fixed}' haben; gefunden: '{msg.shown(text)}'.",
                f"{name} must have the fixed value '{fixed}'; found: '{msg.shown(text)}'.",
            )

    # -- wildcards -------------------------------------------------------------------------------
    def wildcard_element(self, el: El, w: Wildcard) -> None:
        if w.process == "skip":
            return
        decl = self.table.global_element(el.tag, self.syntax)
        if decl is not None:
            self.element(el, decl[0], decl[1])
        elif w.process == "strict":
            name = display(el.tag)
            self.report(
                "EINV-STRUCT-UNKNOWN",
                xpath(el),
                f"{name} ist in keinem der Schemas deklariert und hier nicht erlaubt.",
                f"{name} is declared by none of the schemas and not allowed here.",
            )
        else:
            self.lax(el)

    def lax(self, el: El) -> None:
        """An undeclared element under a lax wildcard: only declared descendants are checked,
        and the values of its xsi: attributes (an xsi:type makes it checked against that type)."""
        items: list[tuple[str, str]] = el.items()  # type: ignore[assignment]
        if items:
            for name, value in items:
                if name in XSI_HINTS:
                    self.xsi_hint(el, name, value)
                elif name == XSI_NIL and dt.collapse_ws(value) not in dt.BOOLEANS:
                    self.report(
                        "EINV-STRUCT-XSI",
                        attribute_path(el, name),
                        f"xsi:nil '{msg.shown(value)}' ist kein Wahrheitswert (true, false, 1, 0).",
                        f"xsi:nil '{msg.shown(value)}' is not a boolean (true, false, 1, 0).",
                    )
            xt = el.get(XSI_TYPE)
            if xt is not None:
                found = self.xsi_type(el, None, xt)
                if found is not None:
                    self.element(el, found, None)
                return
        child: Node
        for child in el:
            tag = child.tag
            if tag.__class__ is not str:
                continue
            decl = self.table.global_element(tag, self.syntax)
            if decl is not None:
                self.element(child, decl[0], decl[1])
            else:
                self.lax(child)

    # -- attributes ------------------------------------------------------------------------------
    def attributes(self, el: El, typ: Type, flags: Flags, items: Any) -> Type | None:
        """Check the attributes; returns the type to check the content with (xsi:type may change
        it), or None when the content is not to be checked (unknown xsi:type, valid xsi:nil)."""
        nil = None
        for name, value in items:
            if name[0] == "{" and name.startswith(XSI, 1):
                if name == XSI_TYPE:
                    found = self.xsi_type(el, typ, value)
                    if found is None:
                        return None
                    typ = found
                elif name == XSI_NIL:
                    nil = value
        decls = typ.attrs
        seen_required = 0
        for name, value in items:
            d = decls.get(name)
            if d is not None:
                st, required, fixed = d
                if required:
                    seen_required += 1
                if not st.trivial and not (st.quick is not None and st.quick(value)):
                    problem = st.problem(value)
                    if problem is not None:
                        de, en = msg.value_problem(f"Attribut {display(name)}", value, st, problem)
                        en = "Attribute" + en[len("Attribut") :]
                        self.report("EINV-STRUCT-ATTRIBUTE", attribute_path(el, name), de, en)
                        continue
                if fixed is not None and not st.same_value(value, fixed):
                    self.report(
                        "EINV-STRUCT-ATTRIBUTE",
                        attribute_path(el, name),
                        f"Das Attribut {display(name)} muss den festen Wert '{fixed}' haben; "
                        f"gefunden: '{msg.shown(value)}'.",
                        f"Attribute {display(name)} must have the fixed value '{fixed}'; "
                        f"found: '{msg.shown(value)}'.",
                    )
                if st.is_id:
                    self.unique_id(el, name, value)
                continue
            if name[0] == "{" and name.startswith(XSI, 1):
                if name in (XSI_TYPE, XSI_NIL):
                    continue
                if name in XSI_HINTS:
                    self.xsi_hint(el, name, value)
                    continue
            else:
                aw = typ.aw
                if aw is not None and aw.admits(namespace_of(name)):
                    if aw.process == "strict":
                        self.report(
                            "EINV-STRUCT-ATTRIBUTE",
                            attribute_path(el, name),
                            f"Das Attribut {display(name)} ist in keinem Schema deklariert.",
                            f"Attribute {display(name)} is declared by no schema.",
                        )
                    continue
            self.unexpected_attribute(el, name, decls)
        if seen_required < len(typ.required):
            self.missing_attributes(el, typ, dict(items))
        if nil is not None and self.nil(el, flags, nil):
            return None
        return typ

    def xsi_hint(self, el: El, name: str, value: str) -> None:
        """xsi:schemaLocation / xsi:noNamespaceSchemaLocation load nothing here (the official
        validator's schemas are fixed), but Xerces still checks their values: URIs."""
        uris = value.split() if name == XSI_HINTS[0] else [dt.collapse_ws(value)]
        if not all(is_any_uri(u) for u in uris):
            self.report(
                "EINV-STRUCT-XSI",
                attribute_path(el, name),
                f"{display(name)} '{msg.shown(value)}' enthält keine gültigen URIs.",
                f"{display(name)} '{msg.shown(value)}' does not hold valid URIs.",
            )

    def missing_attributes(self, el: El, ct: Type, attrib: dict[str, str]) -> None:
        for name in ct.required:
            if name not in attrib:
                elname = display(el.tag)
                self.report(
                    "EINV-STRUCT-ATTRIBUTE",
                    xpath(el),
                    f"{elname}: Das Pflichtattribut {display(name)} fehlt.",
                    f"{elname}: the required attribute {display(name)} is missing.",
                )

    def unexpected_attribute(self, el: El, name: str, decls: Any) -> None:
        allowed = sorted(decls)
        elname = display(el.tag)
        de_allowed = f"erlaubt: {listing(allowed)}" if allowed else "hier sind keine Attribute erlaubt"
        en_allowed = f"allowed: {listing(allowed)}" if allowed else "no attributes are allowed here"
        self.report(
            "EINV-STRUCT-ATTRIBUTE",
            attribute_path(el, name),
            f"{elname}: Das Attribut {display(name)} ist nicht erlaubt ({de_allowed}).",
            f"{elname}: attribute {display(name)} is not allowed ({en_allowed}).",
        )

    def unique_id(self, el: El, attr: str | None, value: str) -> None:
        key = value.strip(" \t\r\n")
        if key in self.ids:
            where = attribute_path(el, attr) if attr else xpath(el)
            self.report(
                "EINV-STRUCT-DATATYPE",
                where,
                f"Der Bezeichner '{msg.shown(key)}' (xs:ID) kommt im Dokument mehrfach vor.",
                f"The identifier '{msg.shown(key)}' (xs:ID) occurs more than once in the document.",
            )
        self.ids.add(key)

    # -- xsi:type, xsi:nil, declaration flags ----------------------------------------------------
    def xsi_type(self, el: El, declared: SType | CType | None, value: str) -> SType | CType | None:
        raw = value.strip(" \t\r\n")
        prefix, _, local = raw.rpartition(":")
        uri = el.nsmap.get(prefix or None)
        qname = f"{{{uri}}}{local}" if uri else local
        found = self.table.named.get(qname) if (uri or not prefix) else None
        name = display(el.tag)
        if found is None:
            self.report(
                "EINV-STRUCT-XSI",
                attribute_path(el, XSI_TYPE),
                f"{name}: xsi:type '{msg.shown(raw)}' benennt keinen bekannten Typ.",
                f"{name}: xsi:type '{msg.shown(raw)}' names no known type.",
            )
            return None
        if declared is not None:
            t: SType | CType | None = found
            while t is not None and t is not declared:
                t = t.base
            if t is None:
                self.report(
                    "EINV-STRUCT-XSI",
                    attribute_path(el, XSI_TYPE),
                    f"{name}: Der Typ '{msg.shown(raw)}' ist nicht vom deklarierten Typ abgeleitet.",
                    f"{name}: type '{msg.shown(raw)}' is not derived from the declared type.",
                )
                return None
        return found

    def nil(self, el: El, flags: Flags, value: str) -> bool:
        """Check xsi:nil; True when the element is validly nil (its content is not checked)."""
        name = display(el.tag)
        if not flags or not flags.get("nillable"):
            self.report(
                "EINV-STRUCT-XSI",
                attribute_path(el, XSI_NIL),
                f"{name} darf nicht mit xsi:nil als leer markiert werden.",
                f"{name} may not be marked empty with xsi:nil.",
            )
            return False
        v = value.strip(" \t\r\n")
        if v not in ("true", "1"):
            return False
        kids: list[Node] = list(el)
        if any(isinstance(c.tag, str) for c in kids) or (el.text or "").strip(" \t\r\n"):
            self.report(
                "EINV-STRUCT-XSI",
                xpath(el),
                f"{name} ist mit xsi:nil als leer markiert, hat aber Inhalt.",
                f"{name} is marked empty with xsi:nil but has content.",
            )
        return True

    def declaration_flags(self, el: El, flags: dict[str, Any]) -> None:
        if flags.get("abstract"):
            name = display(el.tag)
            self.report(
                "EINV-STRUCT-UNKNOWN",
                xpath(el),
                f"{name} ist abstrakt deklariert und darf nicht selbst vorkommen.",
                f"{name} is declared abstract and may not occur itself.",
            )

    # -- content-model errors --------------------------------------------------------------------
    def expected_seq(self, ct: CType, pos: int, cnt: int) -> list[str]:
        """What may come next in a flat sequence: up to and including the next required element."""
        out: list[str] = []
        parts = ct.particles
        if pos >= 0 and (parts[pos].max < 0 or cnt < parts[pos].max):
            out.append(parts[pos].name)
        if pos >= 0 and cnt < parts[pos].min:
            return out
        for p in parts[pos + 1 :]:
            out.append(p.name)
            if p.min > 0:
                break
        return out

    def stray_text(self, el: El, text: str) -> None:
        name = display(el.tag)
        v = msg.shown(text.strip(" \t\r\n"))
        self.report(
            "EINV-STRUCT-CONTENT",
            xpath(el),
            f"{name} darf nur Unterelemente enthalten, aber enthält den Text '{v}'.",
            f"{name} may only contain child elements but contains the text '{v}'.",
        )

    def unexpected(self, parent: El, child: El, ct: CType, expected: list[Any]) -> None:
        tag: str = child.tag
        name, pname = display(tag), display(parent.tag)
        local = local_of(tag)
        same_local = [n for n in ct.names if local_of(n) == local]
        if same_local:
            want = same_local[0]
            self.report(
                "EINV-STRUCT-NAMESPACE",
                xpath(child),
                f"{name} steht im falschen Namensraum '{namespace_of(tag)}'; in {pname} erwartet: "
                f"{display(want)} (Namensraum '{namespace_of(want)}').",
                f"{name} is in the wrong namespace '{namespace_of(tag)}'; {pname} expects "
                f"{display(want)} (namespace '{namespace_of(want)}').",
            )
            return
        exp_de = listing(expected, "de") if expected else "kein weiteres Element"
        exp_en = listing(expected, "en") if expected else "no further element"
        self.report(
            "EINV-STRUCT-UNKNOWN",
            xpath(child),
            f"Das Element {name} ist in {pname} nicht vorgesehen; an dieser Stelle erwartet: {exp_de}.",
            f"Element {name} is not allowed in {pname}; expected at this point: {exp_en}.",
        )

    def out_of_order(self, parent: El, child: El, expected: list[Any], before: str | None = None) -> None:
        name, pname = display(child.tag), display(parent.tag)
        if before is not None:
            # In a sequence: it belongs in front of an element that already came.
            self.report(
                "EINV-STRUCT-ORDER",
                xpath(child),
                f"{name} steht in {pname} an der falschen Stelle: es muss vor {display(before)} stehen.",
                f"{name} is out of order in {pname}: it must come before {display(before)}.",
            )
            return
        exp = listing(expected, "de") if expected else "kein weiteres Element"
        exp_en = listing(expected, "en") if expected else "no further element"
        self.report(
            "EINV-STRUCT-ORDER",
            xpath(child),
            f"{name} steht in {pname} an der falschen Stelle; an dieser Stelle erwartet: {exp}.",
            f"{name} is out of order in {pname}; expected at this point: {exp_en}.",
        )

    def too_many(self, parent: El, child: El, mx: int) -> None:
        name, pname = display(child.tag), display(parent.tag)
        times_de = "einmal" if mx == 1 else f"{mx}-mal"
        times_en = "once" if mx == 1 else f"{mx} times"
        self.report(
            "EINV-STRUCT-TOO-MANY",
            xpath(child),
            f"{name} darf in {pname} höchstens {times_de} vorkommen.",
            f"{name} may occur at most {times_en} in {pname}.",
        )

    def missing_before(self, el: El, ct: CType, pos: int, cnt: int, upto: int, child: El | None) -> None:
        parts = ct.particles
        missing = []
        if pos >= 0 and cnt < parts[pos].min:
            missing.append(parts[pos].name)
        missing += [p.name for p in parts[pos + 1 : upto] if p.min > 0]
        pname = display(el.tag)
        where_de = f" (vor {display(child.tag)})" if child is not None else ""
        where_en = f" (before {display(child.tag)})" if child is not None else ""
        for m in missing:
            self.report(
                "EINV-STRUCT-MISSING",
                xpath(el),
                f"In {pname} fehlt das Pflichtelement {display(m)}{where_de}.",
                f"{pname} lacks the required element {display(m)}{where_en}.",
            )
