"""Rule descriptions survive compilation: mypyc-compiled functions carry no docstring, so the
registry reads it from the module's source, which must give what ``__doc__`` gives."""

from __future__ import annotations

from collections.abc import Iterable

from einvoice.rules import RULES, load_all
from einvoice.rules.registry import Context, Hit, _description, _source_docstrings


def test_source_docstrings_match_the_descriptions() -> None:
    load_all()
    checked = 0
    for r in RULES.values():
        name = getattr(r.check, "__name__", "")
        doc = _source_docstrings(r.check.__module__).get(name)
        if r.family_name is None and doc is not None:
            assert doc.strip().split("\n")[0] == r.description, r.id
            checked += 1
    assert checked > 300


class _Undocumented:
    __doc__ = None
    __module__ = "einvoice.no_such_module"

    def __call__(self, ctx: Context) -> Iterable[Hit]:
        return ()


def test_a_check_without_docstring_or_source_has_no_description() -> None:
    assert _description(_Undocumented()) == ""
