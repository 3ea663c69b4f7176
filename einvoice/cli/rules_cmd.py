"""`einvoice rules`: every implemented rule with id, level, layer, syntaxes and BTs."""

from __future__ import annotations

import argparse

from einvoice.cli.common import emit
from einvoice.rules import RULES, load_all


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("rules", help="list the implemented rules")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    load_all()
    seen: dict[str, list[str]] = {}
    by_id = {}
    for (rid, fam), r in sorted(RULES.items()):
        seen.setdefault(rid, []).append(fam)
        by_id[rid] = r
    for rid in sorted(by_id):
        r = by_id[rid]
        fams = ",".join(sorted(seen[rid]))
        if args.format == "json":
            emit({"id": rid, "level": r.level, "source": r.source, "layer": r.layer,
                  "syntaxes": sorted(seen[rid]), "bts": list(r.bts), "description": r.description})
        else:
            print(f"{rid:24} {r.level:11} {r.layer:9} {fams:8} {' '.join(r.bts):30} {r.description}")
    return 0
