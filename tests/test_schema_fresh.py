"""schemas/invoice.schema.json is generated from the model and must not go stale."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from einvoice.bt_view import plan
from einvoice.model import Invoice

ROOT = Path(__file__).resolve().parent.parent


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_schemas", ROOT / "tools" / "gen_schemas.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["gen_schemas"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_schema_file_matches_the_model() -> None:
    gen = _generator()
    current = (ROOT / "schemas" / "invoice.schema.json").read_text(encoding="utf-8")
    assert current == gen.render(), "schemas/invoice.schema.json is stale: run python tools/gen_schemas.py"


def _bt_ids(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("bt"), str):
            found.add(node["bt"])
        for v in node.values():
            found |= _bt_ids(v)
    elif isinstance(node, list):
        for v in node:
            found |= _bt_ids(v)
    return found


def _model_ids(cls: type[Any], seen: set[type[Any]]) -> set[str]:
    ids: set[str] = set()
    if cls in seen:
        return ids
    seen.add(cls)
    for name, bt, _kind in plan(cls):
        ids.add(bt)
        ann = cls.model_fields[name].annotation
        for arg in (*getattr(ann, "__args__", ()), ann):
            inner = getattr(arg, "__args__", (arg,))[0] if hasattr(arg, "__args__") else arg
            if isinstance(inner, type) and hasattr(inner, "model_fields"):
                ids |= _model_ids(inner, seen)
    return ids


def test_schema_names_every_business_term() -> None:
    schema = json.loads((ROOT / "schemas" / "invoice.schema.json").read_text(encoding="utf-8"))
    in_schema = _bt_ids(schema)
    in_model = _model_ids(Invoice, set())
    assert len(in_model) > 190
    assert in_model == in_schema
