"""The engine's cached rule plan follows the registry: a rule registered after a first run counts."""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from einvoice.model import Invoice
from einvoice.rules import RULES, engine, load_all
from einvoice.rules.registry import Context, Hit, rule
from einvoice.scenario import by_name


def test_a_rule_registered_after_a_run_is_run() -> None:
    load_all()
    ctx = Context(invoice=Invoice(syntax="cii"), root=etree.Element("x"), syntax="cii",
                  scenario=by_name("EN16931 (CII)"))
    before = {f.rule for f in engine.run(ctx)}
    assert "EINV-TEST-LATE" not in before

    def late(ctx: Context) -> Iterable[Hit]:
        """A rule that always fires."""
        return [Hit("/", "spät", "late")]

    try:
        rule("EINV-TEST-LATE", level="warning", source="en16931", layer="core", syntaxes=("cii",))(late)
        assert "EINV-TEST-LATE" in {f.rule for f in engine.run(ctx)}
    finally:
        RULES.pop(("EINV-TEST-LATE", "cii"), None)
    assert "EINV-TEST-LATE" not in {f.rule for f in engine.run(ctx)}
