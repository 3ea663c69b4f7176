"""Run the registered rules for one document in its scenario and collect findings."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

import structlog

from einvoice.report import Finding
from einvoice.rules.registry import FAMILIES, RULES, Context, Family, Hit, Rule, RuleFamily

log = structlog.get_logger(__name__)

# Rule lists per (syntax family, XRechnung scenario?, registry size): the registry only grows, so
# its size tells whether a plan is stale (a module imported after a first run adds rules).
_PLAN: dict[tuple[Family, bool, int, int], tuple[list[Rule], list[RuleFamily], dict[str, Rule]]] = {}


def _plan(fam: Family, xr: bool) -> tuple[list[Rule], list[RuleFamily], dict[str, Rule]]:
    key = (fam, xr, len(RULES), len(FAMILIES))
    if key not in _PLAN:
        runs = [r for (_, f), r in RULES.items() if f == fam and (r.source == "en16931" or xr)]
        singles = [r for r in runs if r.family_name is None]
        members = {r.id: r for r in runs if r.family_name is not None}
        families = [x for (_, f), x in FAMILIES.items() if f == fam and (x.source == "en16931" or xr)]
        _PLAN[key] = (singles, families, members)
    return _PLAN[key]


def _failed(name: str, exc: Exception) -> Finding:
    log.error("rule_failed", rule=name, error=repr(exc))
    return Finding(
        rule="EINV-RULE-FAILED",
        level="warning",
        location="/",
        message_de=f"Regel {name} konnte nicht geprüft werden ({type(exc).__name__}).",
        message_en=f"Rule {name} could not be checked ({type(exc).__name__}).",
    )


def run(ctx: Context) -> list[Finding]:
    singles, families, members = _plan(ctx.family, ctx.scenario.runs_xrechnung)
    findings: list[Finding] = []
    levels = ctx.scenario.levels

    def add(r: Rule, hits: Iterable[Hit]) -> None:
        level = levels.get(r.id, r.level_for(ctx.family))
        findings.extend(
            Finding(rule=r.id, level=level, location=h.location, message_de=h.message_de,
                    message_en=h.message_en)
            for h in hits
        )

    for r in singles:
        # Most of the ~200 rules find nothing: looking for a first hit with a plain loop is
        # cheaper than list() on every rule's iterator (a global look-up and a call each).
        try:
            it = iter(r.check(ctx))
            for first in it:
                cap = r.max_hits
                # islice stops without asking for hit cap + 1, as the cap always did.
                hits = [first, *it] if cap is None else [first, *islice(it, cap - 1)]
                break
            else:
                continue
        except Exception as exc:  # noqa: BLE001 - one broken rule must not lose the report
            findings.append(_failed(r.id, exc))
            continue
        add(r, hits)
    for fam in families:
        try:
            by_id = fam.evaluate(ctx)
        except Exception as exc:  # noqa: BLE001
            findings.append(_failed(fam.name, exc))
            continue
        for rid, fam_hits in by_id.items():
            member = members.get(rid)
            if member is not None and fam_hits:
                add(member, fam_hits)
    return findings
