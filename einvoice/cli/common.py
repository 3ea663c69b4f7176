"""Helpers shared by the sub-commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def read_file(path: str) -> bytes | None:
    """The bytes of ``path`` ('-' for standard input), or None after printing the I/O error."""
    try:
        if path == "-":
            return sys.stdin.buffer.read()
        return Path(path).read_bytes()
    except OSError as exc:
        print(f"einvoice: {path}: {exc.strerror or exc}", file=sys.stderr)
        return None


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
