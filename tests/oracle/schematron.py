"""An independent oracle for the Schematron layer, generated from ../shared/reference/rules.json.

For each (source, syntax) one XSLT 3.0 stylesheet is generated that behaves like the compiled
Schematron the KoSIT validator runs:

* every pattern is one mode; its rules are templates whose priorities fall with rule_position,
  so for each node only the FIRST rule whose context matches fires (ISO/SchXslt semantics);
* each mode is applied once to every node (document node, elements, attributes, text ...);
* schema-level and pattern-level lets are global variables (as SchXslt compiles them), rule
  lets are template-local variables in their written order;
* the two functions the tests call (u:slack, u:decimalOrZero) plus the check-digit helpers are
  declared, written from their documented meaning;
* a failed assert emits its id; a dynamic error inside a test is reported, not swallowed.

The scenario is chosen with the scenario match expressions of rules.json, and fired ids are
re-graded with the per-scenario `levels` (customLevel). Only documents without a DOCTYPE may be
fed in: Saxon would resolve external entities.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[3] / "shared"
RULES_JSON = SHARED / "reference" / "rules.json"

XSL = "http://www.w3.org/1999/XSL/Transform"
U_NS = "https://einvoice.test/oracle/functions"
NS = {
    "ubl": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "ubl-invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "ubl-creditnote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "creditnote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "xs": "http://www.w3.org/2001/XMLSchema",
    "u": U_NS,
    "err": "http://www.w3.org/2005/xqt-errors",  # xsl:catch binds $err:code
}

# Written from the functions' meaning (amount within a tolerance; absent amount counts as 0;
# GS1 and mod-11 check digits). Only u:slack and u:decimalOrZero are called by the rule set.
FUNCTIONS = """
<xsl:function name="u:slack" as="xs:boolean">
  <xsl:param name="expected" as="xs:decimal"/>
  <xsl:param name="actual" as="xs:decimal"/>
  <xsl:param name="tolerance" as="xs:decimal"/>
  <xsl:sequence select="xs:decimal($expected + $tolerance) ge $actual
                        and xs:decimal($expected - $tolerance) le $actual"/>
</xsl:function>
<xsl:function name="u:decimalOrZero" as="xs:decimal">
  <xsl:param name="items"/>
  <xsl:sequence select="if (boolean($items)) then xs:decimal($items) else 0"/>
</xsl:function>
<xsl:function name="u:gln" as="xs:boolean">
  <xsl:param name="v"/>
  <xsl:variable name="s" select="string($v)"/>
  <xsl:variable name="body" select="reverse(string-to-codepoints(substring($s, 1, string-length($s) - 1)))"/>
  <xsl:variable name="sum" select="sum(for $i in 1 to count($body)
                                        return ($body[$i] - 48) * (if ($i mod 2 = 1) then 3 else 1))"/>
  <xsl:sequence select="(10 - $sum mod 10) mod 10 = number(substring($s, string-length($s)))"/>
</xsl:function>
<xsl:function name="u:mod11" as="xs:boolean">
  <xsl:param name="v"/>
  <xsl:variable name="s" select="string($v)"/>
  <xsl:variable name="body" select="reverse(string-to-codepoints(substring($s, 1, string-length($s) - 1)))"/>
  <xsl:variable name="sum"
    select="sum(for $i in 1 to count($body) return ($body[$i] - 48) * (($i - 1) mod 6 + 2))"/>
  <xsl:sequence
    select="number($s) gt 0 and (11 - $sum mod 11) mod 11 = number(substring($s, string-length($s)))"/>
</xsl:function>
"""


def _rules() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RULES_JSON.read_text(encoding="utf-8"))
    return data


@cache
def rules_data() -> dict[str, Any]:
    return _rules()


def _attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;"))


# XPath round() of a small negative double is -0; SaxonC-HE 13 then finds untyped '0' unequal
# to it. With zero_fix every round() result gets + 0 (so -0 becomes 0): used only to tell such
# disagreements apart, since whether the validator's Saxon 12 does the same is unknown.
ROUND_CALL = re.compile(r"(?<![\w:$-])round\(")
ROUND0 = """
<xsl:function name="u:round0"><xsl:param name="x"/><xsl:sequence select="round($x) + 0"/></xsl:function>
"""


def build_stylesheet(source: str, syntax: str, zero_fix: bool = False) -> str:
    """The XSLT text for one Schematron (source en16931|xrechnung, syntax ubl|cii)."""
    data = rules_data()
    key = f"{source}/{syntax}"
    # pattern -> rule_position -> {"context", "lets", "asserts"}
    patterns: dict[str, dict[int, dict[str, Any]]] = {}
    for r in data["rules"]:
        if r["source"] != source or syntax not in r["per_syntax"]:
            continue
        p = r["per_syntax"][syntax]
        rule = patterns.setdefault(p["pattern"], {}).setdefault(
            p["rule_position"], {"context": p["context"], "lets": {}, "asserts": []})
        assert rule["context"] == p["context"], (r["id"], rule["context"], p["context"])
        for name, value in (p.get("rule_lets") or {}).items():
            rule["lets"].setdefault(name, value)
        rule["asserts"].append((r["id"], p["flag"], p["test"]))
    def fix(expr: str) -> str:
        return ROUND_CALL.sub("u:round0(", expr) if zero_fix else expr

    ns_decl = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items())
    out = [f'<xsl:stylesheet version="3.0" xmlns:xsl="{XSL}" {ns_decl} exclude-result-prefixes="#all">',
           '<xsl:output method="text"/>', FUNCTIONS + (ROUND0 if zero_fix else "")]
    for name, var in data["meta"]["variables"].get(key, {}).items():
        out.append(f'<xsl:variable name="{name}" select="{_attr(var["value"])}"/>')
    modes = sorted(patterns)
    for i, _ in enumerate(modes):
        out.append(f'<xsl:mode name="p{i}" on-no-match="deep-skip"/>')
    out.append('<xsl:template match="/">')
    out.append('<xsl:variable name="all" select="descendant-or-self::node() | descendant::*/@*"/>')
    for i, _ in enumerate(modes):
        out.append(f'<xsl:apply-templates select="$all" mode="p{i}"/>')
    out.append("</xsl:template>")
    for i, pat in enumerate(modes):
        rules = patterns[pat]
        for pos in sorted(rules):
            rule = rules[pos]
            prio = 10000 - pos
            out.append(f'<xsl:template match="{_attr(rule["context"])}" mode="p{i}" priority="{prio}">')
            out.append("<xsl:try>")  # a rule let may fail too (e.g. xs:decimal of two nodes)
            for name, value in rule["lets"].items():
                out.append(f'<xsl:variable name="{name}" select="{_attr(fix(value))}"/>')
            for rid, flag, test in rule["asserts"]:
                out.append(
                    "<xsl:try>"
                    f'<xsl:if test="not({_attr(fix(test))})">'
                    f"<xsl:text>F {rid} {flag}&#10;</xsl:text></xsl:if>"
                    "<xsl:catch><xsl:text>E " + rid
                    + ' </xsl:text><xsl:value-of select="$err:code"/><xsl:text>&#10;</xsl:text>'
                    "</xsl:catch></xsl:try>")
            out.append(f'<xsl:catch><xsl:text>E {pat}#{pos} </xsl:text><xsl:value-of select="$err:code"/>'
                       "<xsl:text>&#10;</xsl:text></xsl:catch></xsl:try>")
            out.append("</xsl:template>")
    out.append("</xsl:stylesheet>")
    return "\n".join(out)


@dataclass
class Verdict:
    scenario: str | None
    error: set[str] = field(default_factory=set)
    warning: set[str] = field(default_factory=set)
    information: set[str] = field(default_factory=set)
    dynamic_errors: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "reject" if self.error or self.scenario is None else "accept"


DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)


class Oracle:
    """Compiles the four stylesheets once; `run(xml_bytes)` gives the re-graded fired ids."""

    def __init__(self, zero_fix: bool = False) -> None:
        from saxonche import PySaxonProcessor

        self.zero_fix = zero_fix
        self._proc = PySaxonProcessor(license=False)
        self._xslt = self._proc.new_xslt30_processor()
        self._xpath = self._proc.new_xpath_processor()
        for k, v in NS.items():
            self._xpath.declare_namespace(k, v)
        self._exec: dict[tuple[str, str], Any] = {}
        data = rules_data()
        self.scenarios: list[dict[str, Any]] = data["meta"]["scenarios"]
        self.levels: dict[tuple[str, str], dict[str, str]] = {}
        for r in data["rules"]:
            self.levels[(r["source"], r["id"])] = r["levels"]

    def _executable(self, source: str, syntax: str) -> Any:
        key = (source, syntax)
        if key not in self._exec:
            text = build_stylesheet(source, syntax, self.zero_fix)
            self._exec[key] = self._xslt.compile_stylesheet(stylesheet_text=text)
        return self._exec[key]

    def parse(self, data: bytes) -> Any:
        if DOCTYPE.search(data):
            raise ValueError("refusing a document with a DOCTYPE (Saxon resolves external entities)")
        return self._proc.parse_xml(xml_text=data.decode("utf-8"))

    def scenario(self, doc: Any) -> dict[str, Any] | None:
        self._xpath.set_context(xdm_item=doc)
        hits = [s for s in self.scenarios if self._xpath.effective_boolean_value(s["match"])]
        return hits[0] if len(hits) == 1 else None

    def fired(self, doc: Any, source: str, syntax: str) -> tuple[list[tuple[str, str]], list[str]]:
        """(id, flag) of every failed assert, and 'id code' for every dynamic error."""
        ex = self._executable(source, syntax)
        ex.set_global_context_item(xdm_item=doc)
        text = ex.apply_templates_returning_string(xdm_value=doc)
        text = text or ""
        fired, errors = [], []
        for line in text.splitlines():
            kind, rid, rest = line.split(" ", 2)
            (fired if kind == "F" else errors).append((rid, rest) if kind == "F" else f"{rid} {rest}")
        return fired, errors

    def run(self, data: bytes) -> Verdict:
        doc = self.parse(data)
        sc = self.scenario(doc)
        if sc is None:
            return Verdict(scenario=None)
        v = Verdict(scenario=sc["name"])
        for xsl in sc["schematron"]:
            fired, errors = self.fired(doc, xsl["source"], xsl["syntax"])
            v.dynamic_errors += errors
            for rid, _flag in fired:
                level = self.levels[(xsl["source"], rid)][sc["name"]]
                getattr(v, level).add(rid)
        return v
