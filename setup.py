"""Build script: compiles the hot modules with mypyc (docs/performance.md, "Sixth pass:
compiled modules").

Set ``EINVOICE_PURE_PYTHON=1`` to install without compiling: the package then runs as plain
Python with identical results, only slower. Either way ``einvoice/compiled-sources.json`` records
the sha256 of each compiled module's source, so that ``einvoice.native`` never lets a compiled
module stand in for a source that changed after the build.
"""

import glob
import hashlib
import json
import os
from pathlib import Path

from setuptools import setup

# The modules where the interpreter's own work dominates (tree walks, per-element checks); each
# was measured compiled against interpreted (bench/icount.py) and is listed only for a gain.
COMPILED = [
    # structure check
    "einvoice/structure/datatypes.py",
    "einvoice/structure/table.py",
    "einvoice/structure/validator.py",
    # readers
    "einvoice/readers/_common.py",
    "einvoice/readers/cii.py",
    "einvoice/readers/ubl.py",
    # rules: engine, shared index and walks, helpers, the families with most work per document
    "einvoice/rules/engine.py",
    "einvoice/rules/registry.py",
    "einvoice/rules/_syntax_walk.py",
    "einvoice/rules/_xr_helpers.py",
    "einvoice/rules/_core_helpers.py",
    "einvoice/rules/_vat_helpers.py",
    "einvoice/rules/br.py",
    "einvoice/rules/br_amounts.py",
    "einvoice/rules/br_b.py",
    "einvoice/rules/br_cl.py",
    "einvoice/rules/br_co.py",
    "einvoice/rules/br_de.py",
    "einvoice/rules/br_de_cvd.py",
    "einvoice/rules/br_dec.py",
    "einvoice/rules/br_dex.py",
    "einvoice/rules/br_lines.py",
    "einvoice/rules/br_tmp.py",
    "einvoice/rules/peppol_en16931.py",
]

HERE = Path(__file__).resolve().parent
pure = os.environ.get("EINVOICE_PURE_PYTHON", "").lower() in ("1", "true", "yes")

digests = {}
ext_modules = []
if pure:
    # Leftovers of an earlier compiled build in this tree would shadow the sources.
    for source in COMPILED:
        for leftover in glob.glob(str(HERE / source[: -len(".py")]) + "*.so"):
            os.remove(leftover)
else:
    from mypyc.build import mypycify

    # separate=True: one extension per module, each inside the package (no top-level library).
    ext_modules = mypycify(COMPILED, opt_level="3", separate=True)
    for source in COMPILED:
        module = source[: -len(".py")].replace("/", ".")
        digests[module] = hashlib.sha256((HERE / source).read_bytes()).hexdigest()
(HERE / "einvoice" / "compiled-sources.json").write_text(
    json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8"
)

# One extension per module: compile them on every core.
setup(ext_modules=ext_modules, options={"build_ext": {"parallel": os.cpu_count() or 1}})
