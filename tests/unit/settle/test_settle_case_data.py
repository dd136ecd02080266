"""The built-in case's parties file and the claims problem derived from it."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from dayafter.errors import InputDataError
from dayafter.graph import UnitGraph
from dayafter.settle import claims_from_spec, max_nash_welfare
from dayafter.territory import Territory

BUILTIN = ["sunni_arab", "shia_arab", "kurd", "yazidi", "christian", "turkmen", "shabak",
           "kakai", "other"]


def _spec():
    pkg = resources.files("dayafter.cases.northern_iraq")
    return json.loads(pkg.joinpath("settle", "parties.json").read_text(encoding="utf-8"))


def test_parties_file_is_cited_and_consistent():
    spec = _spec()
    for p in spec["parties"]:
        assert p["sources"] and set(p["sources"]) <= set(spec["sources"])
        assert set(p["constituency"]) <= set(BUILTIN)
        assert p["authority"] in ("federal", "krg", "self-administered")
    units = spec["disputed_units"]
    assert len(units) == len(set(units)) == 35
    # each community belongs to one party at most
    comms = [c for p in spec["parties"] for c in p["constituency"]]
    assert len(comms) == len(set(comms))


def test_claims_from_spec_skips_missing_units():
    spec = _spec()
    keep = spec["disputed_units"][:6]
    rng = np.random.default_rng(3)
    table = rng.integers(0, 1000, size=(6, len(BUILTIN))).astype(float)
    g = UnitGraph.from_edges(6, np.arange(5), np.arange(1, 6), np.ones(5))
    t = Territory.from_arrays(keep, BUILTIN, {"current": table, "baseline": table + 1}, g)
    pr, auth, skipped = claims_from_spec(t, spec)
    assert pr.parties == ("federal", "krg", "minority-council")
    assert auth == {"federal": "federal", "krg": "krg", "minority-council": "self-administered"}
    assert len(skipped) == 29 and set(pr.unit_ids) == set(keep)
    j = pr.unit_ids.index(keep[0])
    row = t.census("current")[t.index([keep[0]])[0]]
    kurd = BUILTIN.index("kurd")
    assert pr.values[1, j] == row[kurd]
    assert pr.meta["census"] == "current"
    s = max_nash_welfare(pr)
    assert s.meta["converged"]
    with pytest.raises(InputDataError, match="none of the"):
        claims_from_spec(t, {**spec, "disputed_units": ["XX"]})
