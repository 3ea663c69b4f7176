"""The routing table: loading, validation, longest-prefix lookup, the example and its schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from einvoice.routing import Router, RoutingConfigError, load, parse_table
from einvoice.routing.leitweg import check_digits
from einvoice.worker import schemas

ROOT = Path(__file__).resolve().parent.parent


def lid(base: str) -> str:
    return f"{base}-{check_digits(base)}"


def table(*munis: tuple[str, list[str]]) -> dict[str, object]:
    return {
        "procedure": {"name": "Test"},
        "municipalities": [{"id": i, "name": i.title(), "leitweg_ids": p} for i, p in munis],
    }


def test_example_loads_and_has_three_thuringian_municipalities() -> None:
    t = load(ROOT / "examples" / "routing.toml")
    assert len(t.municipalities) >= 3
    assert all(p.startswith("16") for m in t.municipalities for p in m.leitweg_ids)
    r = Router(t)
    route = r.route(lid("16068058"))
    assert route.municipality is not None and route.municipality.id == "weissensee"


def test_longest_prefix_wins() -> None:
    r = Router(parse_table(table(("kreis", ["16068"]), ("stadt", ["16068058"]),
                                 ("amt", ["16068058-BAU"]))))
    def who(base: str) -> str | None:
        m = r.route(lid(base)).municipality
        return m.id if m else None
    assert who("16068058") == "stadt"
    assert who("16068058-KASSE") == "stadt"
    assert who("16068058-BAU") == "amt"
    assert who("16068058-BAUHOF") == "amt"
    assert who("16068051") == "kreis"
    assert who("16069") is None
    assert r.route(lid("16068058")).prefix == "16068058"


def test_lowercase_prefixes_and_ids_compare_equal() -> None:
    r = Router(parse_table(table(("amt", ["16068058-bau"]))))
    route = r.route(lid("16068058-BAU").lower())
    assert route.municipality is not None


@pytest.mark.parametrize(
    ("value", "problem"),
    [(None, "missing"), ("x", "malformed"), ("16068058-00", "check-digits"),
     ("17068058-00", "unknown-state")],
)
def test_unroutable_reasons(value: str | None, problem: str) -> None:
    r = Router(parse_table(table(("a", ["16"]))))
    route = r.route(value)
    assert route.municipality is None
    assert route.problem == problem
    assert route.message_de and route.message_en


def test_no_municipality() -> None:
    r = Router(parse_table(table(("a", ["16068"]))))
    route = r.route(lid("991-33333TEST"))
    assert route.problem == "no-municipality"
    assert route.leitweg_id == lid("991-33333TEST")


def test_remembered_routes_equal_fresh_ones_and_the_memory_stays_bounded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from einvoice.routing import table as table_module

    monkeypatch.setattr(table_module, "ROUTE_MEMO_SIZE", 3)
    spec = parse_table(table(("kreis", ["16068"]), ("stadt", ["16068058"])))
    memo = Router(spec)
    texts = [lid("16068058"), lid("16068051"), None, "x", " " + lid("16068058").lower() + " ",
             "16068058-00", lid("991-33333TEST"), lid("16068058")]
    for text in texts * 2:
        assert memo.route(text) == Router(spec).route(text)
        assert len(memo._memo) <= 3


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (table(("a", ["16068"]), ("b", ["16068"])), "claimed by both"),
        (table(("a", ["16068-bau"]), ("b", ["16068-BAU"])), "claimed by both"),
        (table(("a", ["16068"]), ("a", ["16069"])), "used twice"),
        (table(("a", ["16068", "16068"])), "listed twice"),
        (table(("a", ["16068-"]), ("b", ["1"])), "not a Leitweg-ID prefix"),
        (table(("a", ["17068"])), "state code"),
        (table(("A b", ["16068"])), "id"),
        (table(), "municipalities"),
        ({"municipalities": []}, "procedure"),
        ({**table(("a", ["16"])), "extra": 1}, "extra"),
    ],
)
def test_configuration_errors(data: dict[str, object], needle: str) -> None:
    with pytest.raises(RoutingConfigError) as err:
        parse_table(data)
    assert needle in str(err.value)


def test_load_reports_file_problems(tmp_path: Path) -> None:
    with pytest.raises(RoutingConfigError, match="cannot read"):
        load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[procedure\n", encoding="utf-8")
    with pytest.raises(RoutingConfigError, match="not valid TOML"):
        load(bad)
    dup = tmp_path / "dup.toml"
    dup.write_text('[procedure]\nname="x"\n[[municipalities]]\nid="a"\nname="A"\nleitweg_ids=["16"]\n'
                   '[[municipalities]]\nid="b"\nname="B"\nleitweg_ids=["16"]\n', encoding="utf-8")
    with pytest.raises(RoutingConfigError, match="claimed by both"):
        load(dup)


@pytest.mark.parametrize("name", sorted(schemas.FILES))
def test_schemas_are_current(name: str) -> None:
    on_disk = (ROOT / "schemas" / name).read_text(encoding="utf-8")
    assert json.loads(on_disk) == json.loads(schemas.generate()[name]), (
        f"schemas/{name} is stale: run `python -m einvoice.worker.schemas`"
    )


def test_example_matches_its_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import tomllib

    schema = json.loads((ROOT / "schemas" / "routing.schema.json").read_text(encoding="utf-8"))
    data = tomllib.loads((ROOT / "examples" / "routing.toml").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
