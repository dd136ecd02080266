"""The built-in case's forces file: every force and rule cites sources, and the LP respects it."""

from __future__ import annotations

import json
import re
from importlib import resources

import numpy as np
import pytest

from dayafter.graph import UnitGraph
from dayafter.security import allocate_forces, catalog_from_dict
from dayafter.territory import Territory

BUILTIN_COMMUNITIES = ["sunni_arab", "shia_arab", "kurd", "yazidi", "christian", "turkmen",
                       "shabak", "kakai", "other"]
SOURCE_ID = re.compile(r"^(PS\d+|P\d\d)$")


def _data():
    pkg = resources.files("dayafter.cases.northern_iraq")
    return json.loads(pkg.joinpath("security", "forces.json").read_text(encoding="utf-8"))


def test_every_force_and_rule_cites_known_sources():
    data = _data()
    listed = set(data["sources"])
    assert all(SOURCE_ID.match(s) for s in listed)
    for item in data["forces"] + data["rules"]:
        assert item["sources"], item
        assert set(item["sources"]) <= listed, item
    for f in data["forces"]:
        assert f["strength_basis"]
        if "assumption" not in f["strength_basis"]:
            assert re.search(r"\bP\d\d\b", f["strength_basis"])
    cat = catalog_from_dict(data)
    assert {"iraqi_army", "federal_police", "cts", "peshmerga", "pmf", "npu", "sinjar_police",
            "sinjar_units", "sunni_tribal"} == set(cat.keys)
    for r in cat.rules:
        assert set(r.communities) <= set(BUILTIN_COMMUNITIES)
        assert all(re.match(r"^IQG\d\d(Q\d\d(N\d\d)?)?\*?$", u) for u in r.units)
        assert r.text


def _toy_iraq():
    """Five units with real pcodes: Mosul city, a Sinjar unit, a Plains unit, Kirkuk, Tuz."""
    ids = ["IQG15Q05N04", "IQG15Q07N03", "IQG15Q03N03", "IQG13Q04N06", "IQG16Q07N02"]
    c = {k: i for i, k in enumerate(BUILTIN_COMMUNITIES)}
    t = np.zeros((5, len(BUILTIN_COMMUNITIES)))
    t[0, c["sunni_arab"]] = 1_500_000
    t[1, [c["yazidi"], c["sunni_arab"]]] = [70_000, 18_000]
    t[2, [c["christian"], c["shabak"]]] = [40_000, 10_000]
    t[3, [c["kurd"], c["sunni_arab"], c["turkmen"]]] = [400_000, 300_000, 250_000]
    t[4, [c["turkmen"], c["kurd"], c["sunni_arab"]]] = [35_000, 15_000, 10_000]
    g = UnitGraph.from_edges(5, np.array([0, 0, 3]), np.array([1, 2, 4]), np.ones(3))
    return Territory.from_arrays(ids, BUILTIN_COMMUNITIES, {"current": t}, g)


def test_rules_hold_on_real_pcodes():
    t = _toy_iraq()
    cat = catalog_from_dict(_data())
    a = allocate_forces(t, cat)
    alloc = dict(zip(cat.keys, a.allocation, strict=True))
    idx = {u: i for i, u in enumerate(t.unit_ids)}
    mosul, sinjar = idx["IQG15Q05N04"], idx["IQG15Q07N03"]
    plains, kirkuk = idx["IQG15Q03N03"], idx["IQG13Q04N06"]
    assert alloc["peshmerga"][mosul] == 0 and alloc["pmf"][mosul] == 0  # R3 (and R1, R2)
    assert alloc["pmf"][[mosul, sinjar, plains]].sum() == 0  # R4: no PMF in Nineveh
    assert alloc["peshmerga"][sinjar] == 0 and alloc["sinjar_units"][sinjar] == 0  # R8
    assert np.all(np.delete(alloc["sinjar_police"], sinjar) == 0)  # R9
    assert alloc["npu"][[mosul, sinjar, kirkuk]].sum() == 0  # R10
    assert a.reason[cat.keys.index("peshmerga"), mosul] == "min_accept_share"
    assert a.reason[cat.keys.index("pmf"), plains] == "R4"
    # requirement 20 per 1,000 of 2.6 million residents is about 52,000 personnel
    assert a.requirement.sum() == pytest.approx(0.02 * t.population().sum())
    assert a.total_shortfall == pytest.approx(0.0, abs=1e-6)


def test_builtin_case_runs_when_available():
    pkg = resources.files("dayafter.cases.northern_iraq")
    if not pkg.joinpath("units.geojson").is_file():
        pytest.skip("the built-in case's units are not in the tree yet")
    from dayafter import cases

    case = cases.load("northern-iraq")
    cat = catalog_from_dict(_data())
    a = allocate_forces(case.territory, cat, census="current")
    assert np.all(a.allocation[~a.allowed] == 0)
    assert a.covered.sum() <= a.strength.sum() + 1e-6
    rows = a.by_region(case.reference_plan)
    assert sum(r["requirement"] for r in rows) == pytest.approx(a.requirement.sum())
