#!/usr/bin/env python3
"""Write schemas/invoice.schema.json: the JSON Schema of the EN 16931 model (`convert --format json`).

Generated from the pydantic model, so every field carries its BT/BG id (`"bt"`) and description.
tests/test_schema_fresh.py fails when the file no longer matches the model: run this script.

    python tools/gen_schemas.py [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from einvoice.model import Invoice  # noqa: E402

TARGET = ROOT / "schemas" / "invoice.schema.json"
SCHEMA_ID = "https://einvoice.local/schemas/invoice.schema.json"


def invoice_schema() -> dict[str, Any]:
    schema = Invoice.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "EN 16931 invoice (einvoice model, `einvoice convert --format json`)",
    }


def render() -> str:
    return json.dumps(invoice_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--check", action="store_true", help="exit 1 when the file is stale")
    args = ap.parse_args()
    text = render()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run python tools/gen_schemas.py", file=sys.stderr)
            return 1
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
