"""Write the JSON Schemas of the envelope and the routing table into schemas/.

``python -m einvoice.worker.schemas [DIR]`` regenerates them; a test fails when they are stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from einvoice.routing import table
from einvoice.worker import envelope

FILES = {
    "envelope.schema.json": envelope.json_schema,
    "routing.schema.json": table.json_schema,
}


def render(schema: dict[str, Any]) -> str:
    doc = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def generate() -> dict[str, str]:
    return {name: render(make()) for name, make in FILES.items()}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "schemas"
    out.mkdir(parents=True, exist_ok=True)
    for name, text in generate().items():
        (out / name).write_text(text, encoding="utf-8")
        print(out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
