"""Run the registered rules for one document in its scenario and collect findings."""

from __future__ import annotations

import structlog

from einvoice.report import Finding
from einvoice.rules.registry import RULES, Context, Rule

log = structlog.get_logger(__name__)


def applicable(ctx: Context) -> list[Rule]:
    """The rules the scenario runs: EN 16931 always, XRechnung only in XRechnung scenarios."""
    fam = ctx.family
    xr = ctx.scenario.runs_xrechnung
    return [r for (rid, f), r in RULES.items() if f == fam and (r.source == "en16931" or xr)]


def run(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    levels = ctx.scenario.levels
    for r in applicable(ctx):
        try:
            hits = list(r.check(ctx))
        except Exception as exc:  # noqa: BLE001 - one broken rule must not lose the report
            log.error("rule_failed", rule=r.id, error=repr(exc))
            findings.append(
                Finding(
                    rule="EINV-RULE-FAILED",
                    level="warning",
                    location="/",
                    message_de=f"Regel {r.id} konnte nicht geprüft werden ({type(exc).__name__}).",
                    message_en=f"Rule {r.id} could not be checked ({type(exc).__name__}).",
                )
            )
            continue
        if not hits:
            continue
        level = levels.get(r.id, r.level_for(ctx.family))
        findings.extend(
            Finding(rule=r.id, level=level, location=h.location, message_de=h.message_de,
                    message_en=h.message_en)
            for h in hits
        )
    return findings
