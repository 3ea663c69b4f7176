"""`einvoice validate FILE...`: the official verdict and our findings per file."""

from __future__ import annotations

import argparse
import sys

from einvoice.cli.common import emit, read_file
from einvoice.pipeline import validate
from einvoice.report import Report


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("validate", help="validate documents like the KoSIT validator")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--format", choices=("json", "text"), default="json")
    p.add_argument("--lang", choices=("de", "en"), default="de")
    p.set_defaults(func=run)


def _text(path: str, rep: Report, lang: str) -> str:
    head = {"accept": ("ANGENOMMEN", "ACCEPTED"), "reject": ("ABGELEHNT", "REJECTED")}[rep.verdict]
    word = head[0] if lang == "de" else head[1]
    lines = [f"{path}: {word}  ({rep.scenario or '-'}; {rep.syntax or '-'})"]
    names = {"error": ("Fehler", "Errors"), "warning": ("Warnungen", "Warnings"),
             "information": ("Hinweise", "Information")}
    for level in ("error", "warning", "information"):
        group = [f for f in rep.findings if f.level == level]
        if not group:
            continue
        lines.append(f"  {names[level][0 if lang == 'de' else 1]} ({len(group)}):")
        for f in group:
            msg = f.message_de if lang == "de" else f.message_en
            lines.append(f"    [{f.rule}] {msg}")
            lines.append(f"        @ {f.location}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    rc = 0
    for path in args.files:
        data = read_file(path)
        if data is None:
            return 2
        rep = validate(data)
        if rep.verdict == "reject":
            rc = 1
        if args.format == "json":
            emit({"file": path, **rep.model_dump(mode="json")})
        else:
            sys.stdout.write(_text(path, rep, args.lang) + "\n")
    return rc
