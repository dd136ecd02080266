"""Every place-name alias shipped with the workbench names a source the reference README describes
(no alias "from general knowledge")."""

from __future__ import annotations

import csv
import io
import re
from importlib import resources


def test_every_alias_has_a_described_source():
    ref = resources.files("dayafter.web") / "reference"
    rows = list(csv.DictReader(io.StringIO((ref / "aliases.csv").read_text(encoding="utf-8"))))
    readme = (ref / "README.md").read_text(encoding="utf-8")
    described = set(re.findall(r"^\s*- ([A-Z][A-Z0-9]*):", readme, flags=re.M))
    assert rows and {"W1", "W5", "NE", "OCHA"} <= described
    missing = sorted({r["source"] for r in rows} - described)
    assert not missing, f"sources used in aliases.csv but not described in README.md: {missing}"
    assert all(r["alias"].strip() and r["target"].strip() for r in rows)
    assert "K" not in {r["source"] for r in rows}
