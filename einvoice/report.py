"""Findings and the validation report: what the worker routes on and what people read."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["error", "warning", "information"]
Verdict = Literal["accept", "reject"]
Reason = Literal["not-wellformed", "no-scenario", "structure", "rules"]


class Finding(BaseModel):
    """One message about the document: an official rule id, or one of ours starting with EINV-."""

    model_config = ConfigDict(frozen=True)

    rule: str
    level: Level
    location: str = Field(description="XPath of the offending node, '/' for the whole document")
    message_de: str
    message_en: str


class Report(BaseModel):
    """The verdict on one document, like the official validator's: reject iff any error."""

    verdict: Verdict
    scenario: str | None = None
    syntax: str | None = None
    reason: Reason | None = None
    findings: list[Finding] = Field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level != "error"]


def report_from(
    findings: list[Finding], *, scenario: str | None, syntax: str | None, reason_if_error: Reason
) -> Report:
    """A report whose verdict follows from the findings, as the KoSIT report does."""
    rejected = any(f.level == "error" for f in findings)
    return Report(
        verdict="reject" if rejected else "accept",
        scenario=scenario,
        syntax=syntax,
        reason=reason_if_error if rejected else None,
        findings=findings,
    )
