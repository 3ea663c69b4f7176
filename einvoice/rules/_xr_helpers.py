"""Shared machinery for the XRechnung rule modules (BR-DE, BR-DEX, CVD, BR-TMP, PEPPOL-EN16931-R).

The XRechnung Schematron compares many values exactly as XPath 2.0 does: whitespace is only
space, tab, CR and LF; ``=`` between untyped nodes compares strings; regexes use the XSD flavour
(``.`` excludes line ends, ``$`` is the true end). The helpers here restate those semantics in
Python so each rule stays a few lines, and :func:`doc` indexes the document once (one pass over
the tree) so that rules whose context is "this element anywhere" stay cheap.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Context, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, cast

from lxml import etree

from einvoice import namespaces as ns
from einvoice.rules._syntax_walk import PATTERNS, WALKED, Pattern
from einvoice.rules.registry import Check, Family, Hit, Layer, rule
from einvoice.rules.registry import Context as RuleContext
from einvoice.scenario import Level
from einvoice.syntax import XRECHNUNG_3_CVD, XRECHNUNG_3_EXTENSION
from einvoice.xmlnode import Node

El = etree._Element

# --- qualified names (Clark notation) ------------------------------------------------------------


class _Names(dict[str, str]):
    """Clark names of one namespace, built on first use: rules ask for them on every call."""

    def __init__(self, uri: str) -> None:
        super().__init__()
        self.uri = uri

    def __missing__(self, local: str) -> str:
        name = self[local] = f"{{{self.uri}}}{local}"
        return name


# ``cbc("ID")`` is a dict lookup (bound ``__getitem__``), not a string built per call.
cbc: Callable[[str], str] = _Names(ns.CBC).__getitem__
cac: Callable[[str], str] = _Names(ns.CAC).__getitem__
ram: Callable[[str], str] = _Names(ns.RAM).__getitem__
rsm: Callable[[str], str] = _Names(ns.RSM).__getitem__


UDT_INDICATOR = f"{{{ns.UDT}}}Indicator"
UDT_DATETIMESTRING = f"{{{ns.UDT}}}DateTimeString"
UBL_INVOICE_ROOT = f"{{{ns.UBL_INVOICE}}}Invoice"

# --- XPath string semantics ----------------------------------------------------------------------

XML_WS = " \t\n\r"
_WS_RUN = re.compile(r"[ \t\n\r]+")


def string_value(el: El | None) -> str:
    """XPath string value: the element's descendant text (comments and PIs excluded)."""
    if el is None:
        return ""
    if len(el) == 0:
        return el.text or ""
    return "".join(cast("Iterator[str]", el.itertext()))


# Rules normalise and cast the same few texts over and over: codes and names ("380", "VA"),
# amounts ("0.00", "100.00"), the document's dates on every line, within a document and from one
# document to the next. Their results are remembered by text, one look-up instead of a regular
# expression and a parse (several thousand instructions). The results are immutable, so sharing
# them between rules is safe; each memo keeps the most recent texts only, so a hostile document
# cannot make it grow.
_by_text = lru_cache(maxsize=4096)


def normalize(s: str | None) -> str:
    """XPath normalize-space()."""
    return _normalized(s) if s else ""


@_by_text
def _normalized(s: str) -> str:
    return _WS_RUN.sub(" ", s).strip(XML_WS)


def blank(s: str | None) -> bool:
    """``not(boolean(normalize-space(s)))``: nothing but XML whitespace."""
    return not s or not s.strip(XML_WS)


def filled(el: El | None) -> bool:
    """``el[boolean(normalize-space(.))]`` is non-empty."""
    return el is not None and not blank(string_value(el))


def any_filled(els: Iterable[El]) -> bool:
    return any(filled(e) for e in els)


def text_nodes(el: El) -> list[str]:
    """The element's own text node children (``text()``), as XPath sees them."""
    out = [el.text] if el.text else []
    out += [c.tail for c in el if c.tail]
    return out


def attr(el: El | None, name: str) -> str | None:
    return None if el is None else el.get(name)


# --- numbers -------------------------------------------------------------------------------------

# Saxon's xs:decimal keeps at least 18 fractional digits in divisions; 40 significant digits
# here make rounding differences irrelevant to every comparison with a tolerance.
DEC = Context(prec=40)
_DECIMAL_LEXICAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def to_decimal(s: str | None) -> Decimal | None:
    """``xs:decimal(s)`` (whitespace collapsed first, as the cast does), or None if not castable."""
    return None if s is None else _cast_decimal(s)


@_by_text
def _cast_decimal(s: str) -> Decimal | None:
    t = s.strip(XML_WS)
    if not _DECIMAL_LEXICAL.fullmatch(t):
        return None
    try:
        return Decimal(t)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
        return None


_DOUBLE_LEXICAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN")


def to_double(s: str | None) -> float | None:
    """Untyped value compared with a number: cast to xs:double (None when not castable)."""
    if s is None:
        return None
    t = s.strip(XML_WS)
    if not _DOUBLE_LEXICAL.fullmatch(t):
        return None
    return float(t.replace("INF", "inf"))


def el_decimal(el: El | None) -> Decimal | None:
    """``xs:decimal`` of the element's string value (None when absent or not castable)."""
    if el is None:
        return None
    if len(el):  # element content (a comment inside): the full string value
        return to_decimal(string_value(el))
    return to_decimal(el.text or "")


def xpath_round(d: Decimal) -> Decimal:
    """XPath ``round()``: halves go towards positive infinity."""
    return (d + Decimal("0.5")).to_integral_value(rounding=ROUND_FLOOR)


def round2(d: Decimal) -> Decimal:
    """``round(d * 10 * 10) div 100``, the Schematron's way to round an amount to cents."""
    return DEC.divide(xpath_round(d * 100), Decimal(100))


def slack(exp: Decimal, val: Decimal, tolerance: Decimal) -> bool:
    """The Peppol ``u:slack``: ``exp`` equals ``val`` within ``tolerance`` (both ends inclusive)."""
    return exp + tolerance >= val and exp - tolerance <= val


def fmt(d: Decimal | None) -> str:
    return "-" if d is None else format(d.normalize(), "f") if d == d.to_integral() else str(d)


# --- dates ---------------------------------------------------------------------------------------

_XS_DATE = re.compile(r"(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?")


def xs_date_instant(s: str | None) -> datetime | None:
    """``xs:date(s)`` as the instant it starts (no time zone: UTC, the validator's implicit one)."""
    return None if s is None else _cast_date(s)


@_by_text
def _cast_date(s: str) -> datetime | None:
    m = _XS_DATE.fullmatch(s.strip(XML_WS))
    if not m:
        return None
    try:
        start = datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=UTC)
    except ValueError:
        return None
    tz = m[4]
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        start -= sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6]))
    return start


# --- code lists (values as the XRechnung Schematron 2.5.0 writes them) ---------------------------


def _icd_list() -> str:
    ranges = ((2, 91), (93, 102), (104, 180), (183, 244))
    codes = [f"{n:04d}" for lo, hi in ranges for n in range(lo, hi + 1)]
    # The official literal has no blank after its last code, so that code is never accepted
    # by the padded ``contains`` test; kept as is to judge exactly like the validator.
    return " " + " ".join(codes)


_EAS = (
    "0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0147 0151 0154 0158 0170 0177 "
    "0183 0184 0188 0190 0191 0192 0193 0194 0195 0196 0198 0199 0200 0201 0202 0203 0204 0205 "
    "0208 0209 0210 0211 0212 0213 0215 0216 0217 0218 0219 0220 0221 0225 0230 0235 0240 0244 "
    "9910 9913 9914 9915 9918 9919 9920 9922 9923 9924 9925 9926 9927 9928 9929 9930 9931 9932 "
    "9933 9934 9935 9936 9937 9938 9939 9940 9941 9942 9943 9944 9945 9946 9947 9948 9949 9950 "
    "9951 9952 9953 9957 9959 AN AQ AS AU EM"
)


def _untdid_7143() -> str:
    two = [a + b for a in "AB" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
    rest = str.split(
        "CC CG CL CR CV DR DW EC EF EMD EN FS GB GN GMN GS HS IB IN IS IT IZ MA MF MN MP NB ON PD "
        "PL PO PPI PV QS RC RN RU RY SA SG SK SN"
    )
    series = (
        ["SR" + c for c in "STUVWXYZ"]
        + ["SS"]
        + ["SS" + c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
        + ["ST"]
        + ["ST" + c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
        + ["SU" + c for c in "ABCDEFGHIJKLM"]
        + ["TG"]
        + ["TS" + c for c in "NOPQRSTU"]
        + ["UA", "UP", "VN", "VP", "VS", "VX", "ZZZ"]
    )
    return " " + " ".join(two + rest + series) + " "


DIGA = " XR01 XR02 XR03 "
ICD_EXT = DIGA + _icd_list()
EAS_EXT = DIGA + " " + _EAS + " "
UNTDID_7143_CVD = " CVD " + _untdid_7143()


def in_padded_list(value: str | None, padded: str) -> bool:
    """The Schematron's code test: no blank inside, and `` value `` occurs in the padded list.

    ``value`` is normalised first. As in the original, an empty value passes when the list
    contains two adjacent blanks (the concatenated lists do).
    """
    v = normalize(value)
    return " " not in v and f" {v} " in padded


# --- XPath regexes (XSD flavour) -----------------------------------------------------------------


# '.*([0-9].*){3,}.*' : at least three ASCII digits.
def has_three_digits(s: str) -> bool:
    return sum(1 for c in s if "0" <= c <= "9") >= 3


EMAIL = re.compile(r"[^@ \t\n\r]+@(?:[^@. \t\n\r]+\.)+[^@. \t\n\r]+")
URL_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]+:")
SKONTO_LINE = re.compile(r"#SKONTO#TAGE=[0-9]+#PROZENT=[0-9]+\.[0-9]{2}(?:#BASISBETRAG=-?[0-9]+\.[0-9]{2})?#")
# tokenize(., '#.+#'): '.' matches anything but a line end.
_HASH_SPAN = re.compile(r"#[^\n\r]+#")
_LINE_SPLIT = re.compile(r"\r?\n")
_LEADING_WS_NEWLINE = re.compile(r"[ \t\n\r]*\n")
IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{0,30}")
_XML_WS_CHARS = re.compile(r"[ \t\n\r]")


def tokenize(s: str, pattern: re.Pattern[str]) -> list[str]:
    """XPath ``tokenize``: the empty string has no tokens."""
    return [] if s == "" else pattern.split(s)


def skonto_ok(notes: list[str]) -> list[str]:
    """BR-DE-18 on the first payment terms texts: the offending '#' lines (empty when valid).

    Every line starting with '#' must be a well-formed discount line, and the text after the
    last '#…#' span must begin with a line end (the last line must be terminated).
    """
    lines = [ln for n in notes for ln in tokenize(n, _LINE_SPLIT) if normalize(ln).startswith("#")]
    if not lines:
        return []
    tails = [tokenize(n, _HASH_SPAN)[-1] if tokenize(n, _HASH_SPAN) else "" for n in notes]
    # matches() on several strings is a type error in the original; one note is the real case.
    tail_ok = len(tails) == 1 and bool(_LEADING_WS_NEWLINE.match(tails[0]))
    return [ln for ln in lines if not (tail_ok and SKONTO_LINE.fullmatch(normalize(ln)))]


def iban_ok(raw: str) -> bool:
    """BR-DE-19/20: the identifier looks like an IBAN and its check digits give 1 modulo 97.

    Letters after the country code count as code point - 55 (so lower-case letters give
    42…67), exactly as the official test computes it.
    """
    s = normalize(_XML_WS_CHARS.sub("", raw))
    if not IBAN_SHAPE.fullmatch(s):
        return False
    moved = s[4:] + s[:2].upper() + s[2:4]
    return int(moved.translate(_IBAN_DIGITS)) % 97 == 1


# The shape test admits ASCII letters and digits only: each becomes its number as a string.
_IBAN_DIGITS = {
    ord(c): str(ord(c) - 55) if ord(c) > 64 else str(ord(c) - 48)
    for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
}


# --- locations -----------------------------------------------------------------------------------


def _step_name(tag: str) -> str:
    if tag[:1] == "{":
        uri, _, local = tag[1:].partition("}")
        return f"{ns.PREFIX.get(uri, 'ns')}:{local}"
    return tag


def xpath_of(el: El, steps_cache: dict[El, str] | None = None) -> str:
    """The XPath of ``el`` with our prefixes, indexed where a name repeats among siblings.

    With ``steps_cache`` the siblings of each parent are numbered once, so locating many nodes
    under one parent (thousands of lines) stays linear.
    """
    steps: list[str] = []
    cur: El | None = el
    while cur is not None:
        parent = cur.getparent()
        tag: Any = cur.tag  # Any: ``el`` may be a comment, whose tag is a function (mypyc checks)
        if parent is None:
            steps.append(_step_name(tag))
        elif steps_cache is not None:
            step = steps_cache.get(cur)
            if step is None:
                _number_children(parent, steps_cache)
                step = steps_cache[cur]
            steps.append(step)
        else:
            same = parent.findall(tag)
            name = _step_name(tag)
            steps.append(f"{name}[{same.index(cur) + 1}]" if len(same) > 1 else name)
        cur = parent
    return "/" + "/".join(reversed(steps))


def _number_children(parent: El, out: dict[El, str]) -> None:
    nodes: Iterable[Node] = parent
    kids = [c for c in nodes if isinstance(c.tag, str)]
    counts: dict[str, int] = {}
    for c in kids:
        counts[c.tag] = counts.get(c.tag, 0) + 1
    seen: dict[str, int] = {}
    for c in kids:
        name = _step_name(c.tag)
        if counts[c.tag] > 1:
            seen[c.tag] = k = seen.get(c.tag, 0) + 1
            name = f"{name}[{k}]"
        out[c] = name


# --- the per-document index ----------------------------------------------------------------------


_NONE: list[El] = []
_MAP_LIMIT = 256


@dataclass
class Doc:
    """One pass over the document: elements by tag, the empty leaves, scenario variables."""

    root: El
    cii: bool
    by_tag: dict[str, list[El]] = field(default_factory=dict)
    is_extension: bool = False
    is_cvd: bool = False
    _paths: dict[tuple[str, ...], list[El]] = field(default_factory=dict)
    _kids: dict[str, dict[El | None, list[El]]] = field(default_factory=dict)
    steps: dict[El, str] = field(default_factory=dict)

    empty_leaves: list[El] = field(default_factory=list)
    # The leaf elements whose text has leading or trailing XML whitespace (usually none or a
    # few notes): every other value's text as written is its trimmed ``raw``.
    untrimmed: list[El] = field(default_factory=list)
    _slack: Decimal | None = None

    def all(self, tag: str) -> list[El]:
        """Every element ``tag`` in document order (do not mutate)."""
        return self.by_tag.get(tag, _NONE)

    def kids(self, el: El | None, tag: str) -> list[El]:
        """The children ``tag`` of ``el`` (do not mutate the result).

        For tags that occur a few times a parent map, built once, answers every lookup; for
        tags that occur thousands of times (one per line) asking the element itself is cheaper
        than a map over all of them.
        """
        if el is None:
            return _NONE
        m = self._kids.get(tag)
        if m is None:
            els = self.by_tag.get(tag, _NONE)
            if len(els) > _MAP_LIMIT:
                return list(el.iterchildren(tag))
            m = self._group(tag, els)
        return m.get(el, _NONE)

    def children_map(self, tag: str) -> dict[El | None, list[El]]:
        """Every element ``tag`` grouped by its parent, in document order (do not mutate).

        Built once per tag whatever its count: a rule that visits every line asks each line
        for its children, and one ``getparent()`` per element is far cheaper than one
        ``iterchildren(tag)`` per line.
        """
        m = self._kids.get(tag)
        if m is None:
            m = self._group(tag, self.by_tag.get(tag, _NONE))
        return m

    def _group(self, tag: str, els: list[El]) -> dict[El | None, list[El]]:
        # About 50 maps are built per document, most for a tag that occurs once: that case
        # skips the loop and its look-ups.
        if len(els) == 1:
            e = els[0]
            m: dict[El | None, list[El]] = {e.getparent(): [e]}
        else:
            m = {}
            for e in els:
                p = e.getparent()
                lst = m.get(p)
                if lst is None:
                    m[p] = [e]
                else:
                    lst.append(e)
        self._kids[tag] = m
        return m

    def kid(self, el: El | None, tag: str) -> El | None:
        found = self.kids(el, tag)
        return found[0] if found else None

    def below(self, el: El | None, *tags: str) -> list[El]:
        """All elements reached from ``el`` by the child steps ``tags`` (like ``a/b/c``)."""
        if el is None:
            return _NONE
        kids = self.kids
        cur = [el]
        for t in tags:
            cur = kids(cur[0], t) if len(cur) == 1 else [c for x in cur for c in kids(x, t)]
            if not cur:
                break
        return cur

    def first(self, el: El | None, *tags: str) -> El | None:
        found = self.below(el, *tags)
        return found[0] if found else None

    def under(self, tag: str, parent_tag: str) -> list[El]:
        """Elements ``tag`` whose parent is a ``parent_tag`` (the pattern ``parent/tag``)."""
        key = ("/", tag, parent_tag)
        got = self._paths.get(key)
        if got is None:
            got = [e for e in self.by_tag.get(tag, ()) if _tag(e.getparent()) == parent_tag]
            self._paths[key] = got
        return got

    def at(self, *tags: str) -> list[El]:
        """The elements at the absolute path ``/root/tags[0]/…/tags[-1]``, in document order."""
        got = self._paths.get(tags)
        if got is None:
            got = []
            root = self.root
            for e in self.all(tags[-1]):
                cur: El | None = e
                for t in reversed(tags[:-1]):
                    cur = cur.getparent() if cur is not None else None
                    if cur is None or cur.tag != t:
                        break
                else:
                    if cur is not None and cur.getparent() is root:
                        got.append(e)
            self._paths[tags] = got
        return got

    @property
    def settlement(self) -> El | None:
        """CII ApplicableHeaderTradeSettlement of the (first) transaction."""
        found = self.at(rsm("SupplyChainTradeTransaction"), ram("ApplicableHeaderTradeSettlement"))
        return found[0] if found else None

    @property
    def agreement(self) -> El | None:
        found = self.at(rsm("SupplyChainTradeTransaction"), ram("ApplicableHeaderTradeAgreement"))
        return found[0] if found else None

    def currency_nodes(self) -> list[El]:
        """``$documentCurrencyCode``: the nodes holding the document currency."""
        if self.cii:
            return self.at(
                rsm("SupplyChainTradeTransaction"),
                ram("ApplicableHeaderTradeSettlement"),
                ram("InvoiceCurrencyCode"),
            )
        return self.at(cbc("DocumentCurrencyCode"))

    def slack_value(self) -> Decimal:
        """``$slackValue``: 0.5 for forint documents, else 0.02."""
        if self._slack is None:
            huf = any(string_value(e) == "HUF" for e in self.currency_nodes())
            self._slack = Decimal("0.5") if huf else Decimal("0.02")
        return self._slack


def _tag(el: El | None) -> str:
    if el is None:
        return ""
    t: Any = el.tag  # a function for comments, not the str the stubs say (mypyc checks it)
    return t if isinstance(t, str) else ""


_CII_DELIVERY_EXEMPT = ("ram", "ApplicableHeaderTradeDelivery")


def _build(root: El, cii: bool, cache: dict[str, object] | None = None,
           pattern: Pattern | None = None) -> Doc:
    """Index every element by tag and collect the empty leaves, in one pass over the tree."""
    # Hundreds of thousands of element proxies would otherwise trigger repeated full cycle
    # collections (superlinear on big documents); nothing built here forms a cycle.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _index(root, cii, cache, pattern)
    finally:
        if was_enabled:
            gc.enable()


def _elements(root: El, by_tag: dict[str, list[El]], cache: dict[str, object] | None,
              pattern: Pattern | None) -> list[El]:
    """Fill ``by_tag`` and return the element leaves, both in document order.

    The syntax family of the document walks the same tree later: with its pattern the one
    walk serves both, and the family takes its counts from ``cache``.
    """
    if pattern is not None and cache is not None:
        leaves: list[El] = []
        try:
            cache[WALKED] = pattern.walk(root, (by_tag, leaves))
            return leaves
        except Exception:  # noqa: BLE001 - the family walks again and reports the failure itself
            by_tag.clear()
    leaves = []
    get = by_tag.get
    # Elements only: sample documents carry about as many comments as leaves, and skipping
    # them in C is cheaper than indexing them and filtering them out afterwards.
    for el in root.iter(etree.Element):
        tag = el.tag
        lst = get(tag)
        if lst is None:
            by_tag[tag] = [el]
        else:
            lst.append(el)
        if not len(el):
            leaves.append(el)
    return leaves


def _index(root: El, cii: bool, cache: dict[str, object] | None = None,
           pattern: Pattern | None = None) -> Doc:
    d = Doc(root=root, cii=cii)
    empties = d.empty_leaves
    untrimmed = d.untrimmed
    for el in _elements(root, d.by_tag, cache, pattern):
        t = el.text
        if t is None:
            empties.append(el)
            continue
        s = t.strip(XML_WS)
        if not s:
            empties.append(el)
        elif s != t:  # stripping only shortens: equal when nothing was stripped
            untrimmed.append(el)
    # An element holding only comments or PIs is still a leaf for XPath.
    odd = _odd_nodes(root)
    if odd:
        _add_comment_only_leaves(odd, empties)
    if cii:
        # The CII check spares elements whose *written* name is ram:ApplicableHeaderTradeDelivery.
        pfx, local = _CII_DELIVERY_EXEMPT
        empties[:] = [e for e in empties if not (e.prefix == pfx and etree.QName(e).localname == local)]
    # Down from the root through the parent maps, which BR-DE-21 asks for again (``at()`` would
    # climb from every ram:ID of the document instead).
    if cii:
        spec = d.below(root, rsm("ExchangedDocumentContext"),
                       ram("GuidelineSpecifiedDocumentContextParameter"), ram("ID"))
    else:
        spec = d.kids(root, cbc("CustomizationID"))
    texts = [t for e in spec for t in text_nodes(e)]
    d.is_extension = XRECHNUNG_3_EXTENSION in texts
    d.is_cvd = XRECHNUNG_3_CVD in texts
    return d


def _odd_nodes(root: El) -> list[El]:
    """The comments, PIs and entities below ``root``, grouped by kind in the order each kind
    first occurs (the order the parents of comment-only elements have always been added in)."""
    groups: dict[object, list[El]] = {}
    o: Node
    for o in root.iter(etree.Comment, etree.ProcessingInstruction, etree.Entity):
        lst = groups.get(o.tag)
        if lst is None:
            groups[o.tag] = [o]
        else:
            lst.append(o)
    if len(groups) < 2:
        return next(iter(groups.values()), [])
    return [o for lst in groups.values() for o in lst]


def _add_comment_only_leaves(odd: list[El], empties: list[El]) -> None:
    """Append the blank parents of comments and PIs that have no element children.

    Sample documents carry a comment beside almost every element: counting the odd children
    per parent and comparing with ``len()`` decides each parent once, without walking its
    children for every comment in it.
    """
    per_parent: dict[El, int] = {}
    for o in odd:
        p = o.getparent()
        if p is not None:
            per_parent[p] = per_parent.get(p, 0) + 1
    seen = set(empties)
    for p, n in per_parent.items():
        # every child is a comment or PI exactly when all of them are among the odd nodes
        if n == len(p) and p not in seen and blank("".join(text_nodes(p))):
            empties.append(p)


def doc(ctx: RuleContext) -> Doc:
    """The document index, built once per document and shared through ``ctx.cache``."""
    # Rules ask about a hundred times per document and only the first call builds: a plain
    # subscript (no cost in 3.11 for the ``try``) is the cheapest way to the built index.
    try:
        d: Doc = ctx.cache["xr.doc"]
        return d
    except KeyError:
        pass
    d = _build(ctx.root, ctx.family == "cii", ctx.cache, PATTERNS.get(ctx.family))
    ctx.cache["xr.doc"] = d
    _CURRENT.set(d)
    return d


# The document being checked in this thread/task: hit() numbers its siblings through it.
_CURRENT: ContextVar[Doc | None] = ContextVar("xr_current_doc", default=None)

# A rule reports at most this many hits per document: the verdict and the rule ids stay exact,
# and a hostile document with 100,000 offending lines cannot blow up the report.
MAX_HITS = 1000


def xr_rule(
    id_: str,
    *,
    level: Level,
    layer: Layer = "xrechnung",
    bts: Iterable[str] = (),
    syntaxes: Iterable[Family] = ("ubl", "cii"),
) -> Callable[[Check], Check]:
    """Register a rule of the XRechnung Schematron (runs only in XRechnung scenarios).

    The engine takes at most :data:`MAX_HITS` hits from the rule; the function stays as written.
    """
    return rule(id_, level=level, source="xrechnung", layer=layer, bts=bts, syntaxes=syntaxes,
                max_hits=MAX_HITS)


def hit(el: El | str, de: str, en: str) -> Hit:
    if isinstance(el, str):
        return Hit(el, de, en)
    d = _CURRENT.get()
    cache = d.steps if d is not None and el.getroottree().getroot() is d.root else None
    return Hit(xpath_of(el, cache), de, en)
