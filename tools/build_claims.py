"""Build the built-in case's claims table from the published aggregate counts.

    python tools/build_claims.py            # writes src/dayafter/cases/northern_iraq/claims/claims.csv
    python tools/build_claims.py --check    # exit 1 if the shipped table differs from a rebuild

The split rule lives in :func:`dayafter.claims.expand_aggregates` (largest remainder over areas,
communities, property types and evidence tiers); this script only reads and writes files.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from dayafter.claims.aggregate import CLAIMS_COLUMNS, expand_aggregates, read_aggregates

FOLDER = Path(__file__).resolve().parents[1] / "src" / "dayafter" / "cases" / "northern_iraq" / "claims"


def build(folder: Path = FOLDER) -> str:
    """The claims table as CSV text."""
    records = expand_aggregates(read_aggregates(folder / "aggregates.csv"))
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(CLAIMS_COLUMNS), lineterminator="\n")
    w.writeheader()
    for r in records:
        w.writerow(r)
    return out.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args()
    text = build()
    target = FOLDER / "claims.csv"
    if args.check:
        same = target.is_file() and target.read_text(encoding="utf-8") == text
        print("claims.csv is up to date" if same else "claims.csv differs from a rebuild")
        return 0 if same else 1
    tmp = target.with_suffix(".csv.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    print(f"wrote {target} ({text.count(chr(10)) - 1} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
