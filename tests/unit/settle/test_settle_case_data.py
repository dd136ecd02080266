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
    assert spec["version"] == 2 and spec["reference"] == "status-quo-2014"
    for p in spec["parties"]:
        assert p["sources"] and set(p["sources"]) <= set(spec["sources"])
        assert set(p["constituency"]) <= set(BUILTIN)
        assert p["authority"] in ("federal", "krg", "self-administered")
        assert p["symbolic_basis"] and "assumption" in p["symbolic_basis"]
    units = spec["disputed_units"]
    assert len(units) == len(set(units)) == 35
    # each community belongs to one party at most
    comms = [c for p in spec["parties"] for c in p["constituency"]]
    assert len(comms) == len(set(comms))
    # every weight: a basis that cites known sources or says it is an assumption, and a range
    val = spec["valuation"]
    params = [val[k] for k in ("people_weight", "budget_weight", "oil_price", "oil_net_share",
                               "symbolic_factor")] + [f["barrels_per_day"] for f in val["oil_fields"]]
    for par in params:
        assert par["low"] <= par["value"] <= par["high"]
        assert set(par["sources"]) <= set(spec["sources"])
        assert par["sources"] or "assumption" in par["basis"]
    pkg = resources.files("dayafter.cases.northern_iraq")
    doc = pkg.joinpath("settle", "SOURCES.md").read_text(encoding="utf-8")
    for sid in spec["sources"]:
        if sid[0] in "BO":
            assert f"| {sid} |" in doc


def test_claims_from_spec_values_in_money_by_component():
    spec = _spec()
    keep = spec["disputed_units"][:6] + ["IQG13Q03N01", "IQG13Q03N02"]  # two Dibis subdistricts
    keep = list(dict.fromkeys(keep))
    rng = np.random.default_rng(3)
    table = rng.integers(0, 1000, size=(len(keep), len(BUILTIN))).astype(float)
    g = UnitGraph.from_edges(len(keep), np.arange(len(keep) - 1), np.arange(1, len(keep)),
                             np.ones(len(keep) - 1))
    t = Territory.from_arrays(keep, BUILTIN, {"current": table, "baseline": table + 1}, g)
    pr, auth, skipped = claims_from_spec(t, spec)
    assert pr.parties == ("federal", "krg", "minority-council")
    assert auth == {"federal": "federal", "krg": "krg", "minority-council": "self-administered"}
    assert len(skipped) == 35 - len(set(keep) & set(spec["disputed_units"]))
    assert pr.value_unit == "USD per year" and pr.meta["census"] == "current"
    val = spec["valuation"]
    w_people, w_budget = val["people_weight"]["value"], val["budget_weight"]["value"]
    # the KRG's value of a unit, by hand: Kurds x people weight + residents x budget weight,
    # plus the Dibis fields' revenue shared among the district's subdistricts in the territory
    dibis = val["oil_fields"][0]
    revenue = (dibis["barrels_per_day"]["value"] * 365 * val["oil_price"]["value"]
               * val["oil_net_share"]["value"])
    n_dibis = sum(u.startswith("IQG13Q03") for u in t.unit_ids)
    for u in pr.unit_ids:
        j = pr.unit_ids.index(u)
        row = t.census("current")[t.index([u])[0]]
        want = row[BUILTIN.index("kurd")] * w_people + row.sum() * w_budget
        if u.startswith("IQG13Q03"):
            want += revenue / n_dibis
        assert pr.values[1, j] == pytest.approx(want)
        assert sum(c[1, j] for c in pr.components.values()) == pytest.approx(pr.values[1, j])
    s = max_nash_welfare(pr)
    assert s.meta["converged"]
    with pytest.raises(InputDataError, match="none of the"):
        claims_from_spec(t, {**spec, "disputed_units": ["XX"]})
    with pytest.raises(InputDataError, match="population-weight"):
        claims_from_spec(t, spec, population_weight=2.0)


def test_version_1_parties_files_still_value_residents():
    spec = {k: v for k, v in _spec().items() if k != "valuation"}
    keep = spec["disputed_units"][:3]
    table = np.arange(3 * len(BUILTIN), dtype=float).reshape(3, len(BUILTIN))
    g = UnitGraph.from_edges(3, np.arange(2), np.arange(1, 3), np.ones(2))
    t = Territory.from_arrays(keep, BUILTIN, {"current": table}, g)
    pr, _, _ = claims_from_spec(t, spec)
    assert pr.value_unit == "residents"
    j = pr.unit_ids.index(keep[0])
    assert pr.values[1, j] == t.census("current")[t.index([keep[0]])[0], BUILTIN.index("kurd")]
