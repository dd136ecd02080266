"""Build the data of the built-in case ``northern-iraq``.

Usage::

    python tools/build_northern_iraq.py [--shared ../shared] [--out DIR]

Reads ``<shared>/data/iraq/`` (COD-AB boundaries, the 2024 census by nahiya, Natural Earth city points,
the sourced estimates) and the data tables in ``tools/northern_iraq/data/`` (crosswalk, figures,
composition profiles, current-census rules, rules, sources) and writes, into ``--out`` (default:
``src/dayafter/cases/northern_iraq``), ``units.geojson``, ``census.csv``, ``provenance.csv``,
``communities.csv``, ``SOURCES.md`` and ``census2024/``. The figures live in the tables; the code in
``tools/northern_iraq/`` holds only the rules (``rules.py``, tested in ``tests/unit/cases/``) and the
assembly. The output is deterministic (byte-identical on rerun); every hand-typed figure is checked
against the text of its sources.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from northern_iraq.build import main

if __name__ == "__main__":
    raise SystemExit(main())
