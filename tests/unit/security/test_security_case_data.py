"""The built-in case's forces file: every force, rule and threshold cites sources or says it is an
assumption, and the allocation follows each scenario's control layer."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from dayafter.graph import UnitGraph
from dayafter.plan import Plan, Region
from dayafter.security import allocate_forces, catalog_from_dict
from dayafter.territory import Territory

BUILTIN_COMMUNITIES = ["sunni_arab", "shia_arab", "kurd", "yazidi", "christian", "turkmen",
                       "shabak", "kakai", "other"]
SOURCE_ID = re.compile(r"^(PS\d+|P\d\d|S\d+|F\d\d)$")
SHARED = Path(__file__).resolve().parents[3].parent / "shared"
KRG_FORCES = ("peshmerga",)
FEDERAL_FORCES = ("iraqi_army", "federal_police", "cts", "pmf")


def _data():
    pkg = resources.files("dayafter.cases.northern_iraq")
    return json.loads(pkg.joinpath("security", "forces.json").read_text(encoding="utf-8"))


def _table_ids(path: Path, prefix: str) -> set[str]:
    return set(re.findall(rf"^\|\s*({prefix}\d+)\s*\|", path.read_text(encoding="utf-8"),
                          re.MULTILINE))


def test_every_force_rule_and_threshold_cites_known_sources():
    data = _data()
    listed = set(data["sources"])
    assert all(SOURCE_ID.match(s) for s in listed)
    for item in data["forces"] + data["rules"]:
        assert item["sources"], item
        assert set(item["sources"]) <= listed, item
    for f in data["forces"]:
        assert f["strength_basis"]
        if "assumption" not in f["strength_basis"]:
            assert re.search(r"\b(P\d\d|F\d\d)\b", f["strength_basis"]), f["key"]
    for key in ("accept_basis", "veto_basis"):
        assert "assumption" in data[key] or re.search(r"\b(PS\d|P\d\d)\b", data[key])
    pkg = resources.files("dayafter.cases.northern_iraq")
    f_ids = set(re.findall(r"^\| (F\d\d) \|", pkg.joinpath("security", "SOURCES.md").read_text(
        encoding="utf-8"), re.MULTILINE))
    assert {s for s in listed if s.startswith("F")} == f_ids
    cat = catalog_from_dict(data)
    assert {"iraqi_army", "federal_police", "cts", "peshmerga", "pmf", "local_police", "npu",
            "yazidi_units", "sinjar_police", "sunni_tribal", "coalition"} == set(cat.keys)
    assert {f.kind for f in cat.forces} == {"pooled", "local", "community"}
    assert cat.veto_share is not None and cat.needs_control
    for r in cat.rules:
        assert set(r.communities) <= set(BUILTIN_COMMUNITIES)
        assert all(re.match(r"^IQG\d\d(Q\d\d(N\d\d)?)?\*?$", u) for u in r.units)
        assert set(r.control) <= {"federal", "krg", "joint", "self-administered", "contested"}
        assert r.text


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is absent")
def test_cited_ids_exist_in_the_shared_tables():
    iraq = SHARED / "data" / "iraq" / "estimates"
    known = (_table_ids(SHARED / "POLICY_SOURCES.md", "PS")
             | _table_ids(iraq / "iraq_policy_facts.md", "P")
             | _table_ids(iraq / "iraq_units_sources.md", "S"))
    cited = {s for s in _data()["sources"] if not s.startswith("F")}
    assert cited <= known, sorted(cited - known)


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
    idx = {u: i for i, u in enumerate(t.unit_ids)}
    plan = Plan(np.zeros(5, dtype=np.int32), (Region("All", "federal"),), t.content_hash)
    plan = plan.with_control_of({idx["IQG15Q07N03"]: "krg", idx["IQG13Q04N06"]: "joint"})
    a = allocate_forces(t, cat, plan=plan)
    alloc = dict(zip(cat.keys, a.allocation, strict=True))
    mosul, sinjar = idx["IQG15Q05N04"], idx["IQG15Q07N03"]
    plains, kirkuk = idx["IQG15Q03N03"], idx["IQG13Q04N06"]
    assert alloc["peshmerga"][mosul] == 0 and alloc["pmf"][mosul] == 0  # R3 (and R1, R2)
    assert alloc["pmf"][[mosul, sinjar, plains]].sum() == 0  # R4: no PMF in Nineveh
    assert alloc["peshmerga"][sinjar] == 0 and alloc["yazidi_units"][sinjar] == 0  # R8
    assert np.all(np.delete(alloc["sinjar_police"], sinjar) == 0)  # R9
    assert alloc["sinjar_police"][sinjar] == 0  # R15: Sinjar is KRG-held in this plan
    for k in FEDERAL_FORCES:
        assert alloc[k][sinjar] == 0  # R11, R12: federal forces not where the KRG holds
    for k in KRG_FORCES:
        assert np.all(alloc[k][[mosul, plains, idx["IQG16Q07N02"]]] == 0)  # R10: federal units
    # Kirkuk city: 42% Kurds; Sunni Arabs (32%) and Turkmen (26%) reject the Peshmerga: vetoed
    assert a.reason[cat.keys.index("peshmerga"), kirkuk].startswith("veto:")
    assert a.reason[cat.keys.index("peshmerga"), mosul] == "R3"
    assert a.reason[cat.keys.index("pmf"), plains] == "R4"
    # the Christian force covers the Christian share of the Plains unit at most
    assert alloc["npu"][plains] <= 0.8 * a.requirement[plains] + 1e-6
    assert alloc["npu"][plains] > 0
    assert a.requirement.sum() == pytest.approx(0.02 * t.population().sum())


@pytest.fixture(scope="module")
def case():
    from dayafter import cases

    return cases.load("northern-iraq")


@pytest.fixture(scope="module")
def runs(case):
    cat = catalog_from_dict(_data())
    return cat, {name: allocate_forces(case.territory, cat, plan=p, census="current")
                 for name, p in case.plans.items()}


def test_krg_releases_claims_no_krg_force_in_federal_units(case, runs):
    cat, res = runs
    plan = case.plans["krg-releases-claims"]
    a = res["krg-releases-claims"]
    federal = plan.control_of_units() == "federal"
    for k in KRG_FORCES:
        assert a.allocation[cat.keys.index(k)][federal].sum() == 0
    # the released units (KRG-held in 2014, federal now) get no Peshmerga
    ref = case.plans["status-quo-2014"].control_of_units()
    released = (ref == "krg") & federal
    assert released.sum() >= 4
    assert a.allocation[cat.keys.index("peshmerga")][released].sum() == 0


def test_every_scenario_follows_its_control_and_explains_every_force(case, runs):
    cat, res = runs
    for name, a in res.items():
        ctl = case.plans[name].control_of_units()
        for k in FEDERAL_FORCES:
            assert a.allocation[cat.keys.index(k)][ctl == "krg"].sum() == 0, (name, k)
        for k in KRG_FORCES:
            assert a.allocation[cat.keys.index(k)][np.isin(ctl, ["federal",
                                                                 "self-administered"])].sum() == 0
        for row in a.force_report():
            assert row["status"] == "used" or row["why"], (name, row["force"])
        assert np.all(a.allocation[~a.allowed] == 0)
        assert a.covered.sum() <= a.strength.sum() + 1e-6
        rows = a.by_region(case.plans[name])
        assert sum(r["requirement"] for r in rows) == pytest.approx(a.requirement.sum())


def test_veto_and_minority_forces_on_the_case(case, runs):
    cat, res = runs
    t = case.territory
    tab = t.census("current")
    pop = tab.sum(axis=1)
    share = np.divide(tab, pop[:, None], out=np.zeros_like(tab), where=pop[:, None] > 0)
    pesh = cat.keys.index("peshmerga")
    rejecting = [t.community_index(c) for c in ("sunni_arab", "turkmen", "yazidi")]
    for a in res.values():
        served = a.allocation[pesh] > 1e-9
        # never where a community that rejects it holds more than the veto share
        assert np.all(share[served][:, rejecting].max(axis=1) <= cat.veto_share + 1e-9)
    # the Nineveh Plain Protection Units serve where Christians live, in every scenario
    npu = cat.keys.index("npu")
    chr_ = t.community_index("christian")
    for a in res.values():
        assert a.used[npu] > 0
        assert np.all(share[a.allocation[npu] > 1e-9, chr_] > 0)
