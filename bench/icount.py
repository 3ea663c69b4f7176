#!/usr/bin/env python3
"""Instructions per document, by stage: a speed figure that does not move with the machine's load.

    python bench/icount.py [--part PART ...] [--repeat N] [--every K] [--vary names|digits]
    python bench/icount.py --ratchet [--update-ratchet]

PART is ``process`` (the whole ``pipeline.process``: intake, scenario, structure, reader, rules),
``intake``, ``structure``, ``read``, ``rules`` (the engine with a fresh rule context),
``index`` (the rules' shared document index with the syntax walk), ``handle`` (the worker's
handling of one message: process + envelope JSON, without AMQP), or
``rules:REGEX`` (only the rules and rule families whose id or family name matches REGEX from
the start, e.g. ``rules:BR-CO-`` or ``rules:UBL-syntax``, each document with a fresh context, so
shared indexes those rules build are included).

Wall-clock time on a shared 2-core machine moves by a factor of two from one minute to the next
(the same run gave 2.5 and 3.8 ms median); the number of instructions executed repeats to about
1 %. Each part runs under ``valgrind --tool=cachegrind`` twice, once with zero and once with N
passes over the same documents (every K-th document of an XRechnung scenario in the corpus); the
difference divided by N x documents is the count per document, set-up and imports excluded.
``bench/validate.py`` stays the wall-clock figure that counts for the target.

The corpus repeats itself (thousands of mutants of a few dozen documents), so a memo that
remembers values from one document to the next hits far more often on it than on real traffic.
``--vary`` measures each pass over fresh copies of the sample whose names and identifiers
(``names``), or also amounts, quantities and rates (``digits``), were changed at random: a memo
must not make those figures worse than without it.

``--ratchet`` measures ``process`` on the ratchet's fixed sample and compares it with
``bench/speed-ratchet.json`` (tests/test_speed_ratchet.py does the same in CI): the figure may
only fall. ``--update-ratchet`` records a lower figure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "conformance"
RATCHET = ROOT / "bench" / "speed-ratchet.json"
PARTS = ("process", "intake", "structure", "read", "rules", "index", "handle")


def sample(every: int) -> list[bytes]:
    exp: dict[str, Any] = json.loads((SHARED / "expected.json").read_text(encoding="utf-8"))
    names = [k for k, v in sorted(exp.items()) if v.get("scenario") and "XRechnung" in v["scenario"]]
    return [(SHARED / "corpus" / k).read_bytes() for k in names[::every]]


# Element names whose text --vary leaves alone: the specification identifiers select the scenario.
_KEEP = ("CustomizationID", "ProfileID")
_DATE_TEXT = re.compile(r"\s*(\d{4}-\d{2}-\d{2}|\d{8})\s*")
_WORDY = ("Name", "Note", "Description", "Line", "ID")


def vary(data: bytes, mode: str, rnd: Any) -> bytes:
    """A copy of a document whose values a cross-document memo has not seen: in names, notes,
    descriptions and identifiers every lower-case letter is replaced at random, and the digits of
    identifiers (``names``) or of every text but dates (``digits``: amounts, quantities, rates
    too). Codes and the specification identifiers stay, as they do from invoice to invoice."""
    from lxml import etree

    root = etree.fromstring(data)
    for el in root.iter(etree.Element):
        t = el.text
        if len(el) or not t or not t.strip():
            continue
        local = etree.QName(el).localname
        parent = el.getparent()
        if local in _KEEP or (parent is not None and "DocumentContext" in etree.QName(parent).localname):
            continue
        if local.endswith("ID") if mode == "names" else not _DATE_TEXT.fullmatch(t):
            t = re.sub(r"\d", lambda _: str(rnd.randint(0, 9)), t)
        if any(w in local for w in _WORDY) and "Code" not in local:
            t = re.sub(r"[a-z]", lambda _: chr(rnd.randint(97, 122)), t)
        el.text = t
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


Prepared = list[tuple[bytes, Any, Any, Any, Any]]


def inner(part: str, passes: int, every: int, mode: str = "", copies: int = 0) -> None:
    """Run ``part`` ``passes`` times over the sample (under valgrind, started by ``outer``).

    With ``mode`` (see :func:`vary`), ``copies`` + 1 varied copies of the sample are built in
    every run, whatever ``passes`` is (so the two runs differ only in the passes), and each pass
    takes the next copy: no pass sees a value an earlier pass saw, unless it repeats anyway.
    """
    sys.path.insert(0, str(ROOT))
    import random

    from einvoice import intake, readers, scenario, structure
    from einvoice.pipeline import process, warm_up
    from einvoice.rules import engine
    from einvoice.rules.registry import Context
    from einvoice.syntax import detect

    warm_up()

    def prepare(docs: list[bytes]) -> Prepared:
        # With varied copies, preparing must not run the stage measured: its memos would see
        # every copy before the passes do.
        check = not (mode and part == "structure")
        read = not (mode and part in ("structure", "read"))
        prepared = []
        for data in docs:
            p = intake.parse(data)
            if not isinstance(p, intake.Parsed):
                continue
            s = detect(p.root)
            found = scenario.matching(p.root, s) if s is not None else []
            if s is None or len(found) != 1:
                continue
            if check and any(f.level == "error" for f in structure.check(p.root, s)):
                continue
            prepared.append((data, p, s, found[0], readers.read(p.root, s) if read else None))
        return prepared

    base = sample(every)
    if mode:
        rnd = random.Random(7)
        batches = [[vary(d, mode, rnd) for d in base] for _ in range(copies + 1)]
    else:
        batches = [base]
    whole = part in ("process", "intake", "handle")
    sets = [(docs, [] if whole else prepare(docs)) for docs in batches]

    if part == "handle":
        from einvoice.routing.table import Router, load
        from einvoice.worker.handling import Inbound, InvoiceHandler
        from einvoice.worker.topology import Names

        handler = InvoiceHandler(Names("einvoice"), Router(load(ROOT / "examples" / "routing.toml")))

        def run_once(docs: list[bytes], prepared: Prepared) -> None:
            for data in docs:
                handler.handle(Inbound(body=data, message_id="m", app_id="bench"))
    elif part == "process":
        def run_once(docs: list[bytes], prepared: Prepared) -> None:
            for data in docs:
                process(data)
    elif part == "intake":
        def run_once(docs: list[bytes], prepared: Prepared) -> None:
            for data in docs:
                intake.parse(data)
    elif part == "structure":
        def run_once(docs: list[bytes], prepared: Prepared) -> None:
            for _, p, s, _, _ in prepared:
                structure.check(p.root, s)
    elif part == "read":
        def run_once(docs: list[bytes], prepared: Prepared) -> None:
            for _, p, s, _, _ in prepared:
                readers.read(p.root, s)
    elif part == "rules":
        def run_once(docs: list[bytes], prepared: Prepared) -> None:
            for _, p, s, sc, inv in prepared:
                engine.run(Context(invoice=inv, root=p.root, syntax=s, scenario=sc))
    elif part == "index":
        from einvoice.rules._xr_helpers import doc

        def run_once(docs: list[bytes], prepared: Prepared) -> None:
            for _, p, s, sc, inv in prepared:
                doc(Context(invoice=inv, root=p.root, syntax=s, scenario=sc))
    else:  # rules:REGEX - only the single rules and families whose id or name matches
        pick = re.compile(part.split(":", 1)[1])
        # The selection is made once per plan, not per document: matching REGEX against ~200
        # rule ids per document would cost more than a single cheap rule.
        chosen: dict[tuple[str, bool], tuple[list[Any], list[Any]]] = {}

        def selection(family: str, xr: bool) -> tuple[list[Any], list[Any]]:
            sel = chosen.get((family, xr))
            if sel is None:
                singles, families, _ = engine._plan(family, xr)
                sel = chosen[(family, xr)] = ([r for r in singles if pick.match(r.id)],
                                              [f for f in families if pick.match(f.name)])
            return sel

        def run_once(docs: list[bytes], prepared: Prepared) -> None:
            for _, p, s, sc, inv in prepared:
                ctx = Context(invoice=inv, root=p.root, syntax=s, scenario=sc)
                singles, families = selection(ctx.family, sc.runs_xrechnung)
                for r in singles:
                    list(r.check(ctx))
                for f in families:
                    f.evaluate(ctx)

    run_once(*sets[0])  # caches, compiled expressions, first-use imports
    for i in range(passes):
        run_once(*sets[(i + 1) % len(sets)])
    # varied copies may fail the structure check in different numbers: count what the passes ran
    ran = [sets[(i + 1) % len(sets)] for i in range(passes)] or [sets[0]]
    n = sum(len(d) if whole else len(p) for d, p in ran) / len(ran)
    print(f"DOCS {n}")


def count(part: str, passes: int, every: int, mode: str = "", copies: int = 0) -> tuple[int, float]:
    cmd = [
        "valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
        sys.executable, __file__, "--inner", part, str(passes), str(every), mode or "-", str(copies),
    ]
    env = dict(os.environ, PYTHONHASHSEED="0")
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    m = re.search(r"I\s+refs:\s+([\d,]+)", r.stderr)
    d = re.search(r"DOCS ([\d.]+)", r.stdout)
    if r.returncode != 0 or not m or not d:
        raise SystemExit(f"valgrind run failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return int(m[1].replace(",", "")), float(d[1])


def per_document(part: str, passes: int, every: int, mode: str = "") -> float:
    """Instructions per document for ``part`` (two valgrind runs: 0 and ``passes`` passes),
    over the sample as it is or, with ``mode``, over varied copies of it."""
    copies = passes if mode else 0
    base, _ = count(part, 0, every, mode, copies)
    total, docs = count(part, passes, every, mode, copies)
    return (total - base) / (passes * docs)


def flavour() -> str:
    """``compiled`` when the hot modules run compiled by mypyc (setup.py), else ``interpreted``."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from einvoice import native, pipeline

    pipeline.warm_up()  # imports every module the measured path uses
    return native.flavour()


def interpreter() -> str:
    """The ratchet's key: counts differ between builds of the same Python (PGO, LTO), and
    between the compiled and the interpreted package."""
    return " ".join(sys.version.split()) + f" [{flavour()}]"


def ratchet_limit(rec: dict[str, Any]) -> tuple[float, str]:
    """The most instructions per document this interpreter may take, and what it is based on."""
    figures: dict[str, float] = rec["figures"]
    key = interpreter()
    mine = figures.get(key)
    if mine is not None:
        return mine * (1 + rec["tolerance"]), f"{mine / 1e6:.2f} M recorded for this interpreter"
    # Another build of Python is held to the best figure of the same flavour.
    same = [v for k, v in figures.items() if k.endswith(key[key.rindex(" [") :])] or list(figures.values())
    best = min(same)
    return best * (1 + rec["other_interpreter_tolerance"]), (
        f"{best / 1e6:.2f} M recorded for another interpreter build")


def ratchet(update: bool) -> int:
    rec = json.loads(RATCHET.read_text(encoding="utf-8"))
    now = per_document("process", rec["passes"], rec["every"])
    limit, basis = ratchet_limit(rec)
    print(f"process {now / 1e6:.2f} M instructions per document; limit {limit / 1e6:.2f} M ({basis})")
    key = interpreter()
    if update and now < rec["figures"].get(key, float("inf")):
        rec["figures"][key] = round(now)
        RATCHET.write_text(json.dumps(rec, indent=2) + "\n", encoding="utf-8")
        print(f"ratchet recorded for {key}")
    return 0 if now <= limit else 1


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--inner":
        mode = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] != "-" else ""
        inner(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), mode, int(sys.argv[6]) if mode else 0)
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", nargs="+", default=["process"], help=f"{', '.join(PARTS)} or rules:REGEX")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--every", type=int, default=30, help="take every K-th XRechnung document")
    ap.add_argument("--vary", choices=("names", "digits"), default="",
                    help="each pass over fresh copies of the sample with other names and identifiers "
                         "(names) or also other amounts, quantities and rates (digits): what "
                         "cross-document memos save when values do not repeat")
    ap.add_argument("--ratchet", action="store_true", help="compare process with bench/speed-ratchet.json")
    ap.add_argument("--update-ratchet", action="store_true", help="with --ratchet: record a lower figure")
    args = ap.parse_args()
    if args.ratchet:
        return ratchet(args.update_ratchet)
    for part in args.part:
        if part not in PARTS and not part.startswith("rules:"):
            ap.error(f"unknown part {part}")
        per = per_document(part, args.repeat, args.every, args.vary)
        print(f"{part:10} {per / 1e6:9.3f} M instructions per document", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
