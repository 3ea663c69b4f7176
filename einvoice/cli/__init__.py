"""The `einvoice` command. Each sub-command lives in its own module with ``add(sub)``.

Exit codes everywhere: 0 success (all accepted/converted), 1 some document failed or was
rejected, 2 usage or I/O error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Module names under einvoice.cli, in the order `einvoice --help` lists them.
COMMANDS = ("convert", "validate", "rules", "worker", "publish", "topology", "queues", "failed", "replay")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="einvoice", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f"einvoice.cli.{name}_cmd")
        except ModuleNotFoundError as exc:
            if exc.name == f"einvoice.cli.{name}_cmd":
                continue  # not built yet
            raise
        mod.add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    rc: int = args.func(args)
    return rc


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
