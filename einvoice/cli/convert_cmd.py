"""`einvoice convert FILE... [--format json|bt]`: the EN 16931 model (or its BT view) per file.

One JSON object per file per line with a ``file`` key (the path as given). The document is read
without validation: a schema-invalid invoice still converts as far as it can be read.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from einvoice.bt_view import bt_view
from einvoice.cli.common import emit, read_file
from einvoice.intake import IntakeError
from einvoice.model import Invoice
from einvoice.pipeline import convert


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("convert", help="convert documents to the EN 16931 model (JSON) or its BT view")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--format", choices=("json", "bt"), default="json",
                   help="json: the normalized model with paths; bt: nested EN 16931 ids")
    p.set_defaults(func=run)


def _error(path: str, rule: str, de: str, en: str) -> dict[str, Any]:
    print(f"einvoice: {path}: {en}", file=sys.stderr)
    return {"file": path, "error": {"rule": rule, "message_de": de, "message_en": en}}


def run(args: argparse.Namespace) -> int:
    rc = 0
    io_error = False
    for path in args.files:
        data = read_file(path)
        if data is None:
            io_error = True  # keep converting the others; the exit code says 2 at the end
            continue
        result = convert(data)
        if isinstance(result, Invoice):
            body = bt_view(result) if args.format == "bt" else result.model_dump(mode="json")
            emit({"file": path, **body})
            continue
        rc = 1
        if isinstance(result, IntakeError):
            emit(_error(path, result.code, result.message_de, result.message_en))
        else:
            emit(_error(path, result.rule, result.message_de, result.message_en))
    return 2 if io_error else rc
