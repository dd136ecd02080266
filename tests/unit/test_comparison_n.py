"""N plans compared, each metric judged by the registry's direction; units changing authority."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dayafter.comparison import authority_changes, compare, judge
from dayafter.errors import ConfigError, InputDataError
from dayafter.metrics import evaluate, registry
from dayafter.plan import Plan, Region
from dayafter.testing.grids import grid_territory, stripes
from dayafter.testing.strategies import plans_for, territories_and_plans


def _plan(t, a, name, auth=None):
    k = int(np.max(a)) + 1
    auth = auth or [""] * k
    return Plan(np.asarray(a), tuple(Region(f"r{j}", auth[j]) for j in range(k)), t.content_hash,
                name=name)


@pytest.fixture
def three():
    t = grid_territory(4, 4, population=np.arange(1, 17, dtype=float))
    four = _plan(t, stripes(4, 4, 4), "four")
    two = _plan(t, stripes(4, 4, 2), "two")
    # a region in two pieces: columns 0 and 3 together, 1 and 2 together
    c = np.tile(np.arange(4), 4)
    split = _plan(t, np.where((c == 0) | (c == 3), 0, 1), "split")
    return t, [four, two, split]


def _cut(t, a):
    u, v, _ = t.graph.edges()
    return int(np.sum(a[u] != a[v]))


def test_one_more_noncontiguous_region_is_worse(three):
    t, plans = three
    c = compare(t, plans, against="two")
    row = ("plan", "non-contiguous regions")
    assert c.table.loc[row].tolist() == [0.0, 0.0, 1.0]
    # the difference is +1, and it is judged worse (a sign said "up" before)
    assert c.verdicts.loc[row].tolist() == ["same", "same", "worse"]


def test_every_cell_follows_the_direction_against_a_brute_force_count(three):
    t, plans = three
    for against in ("four", "two", "split"):
        c = compare(t, plans, against=against)
        cuts = {p.name: _cut(t, p.assignment) for p in plans}
        assert c.table.loc[("plan", "cut edges")].to_dict() == pytest.approx(cuts)
        ref = cuts[against]
        want = ["same" if cuts[n] == ref else ("better" if cuts[n] < ref else "worse") for n in c.plans]
        assert c.verdicts.loc[("plan", "cut edges")].tolist() == want


def test_deviation_is_judged_by_its_size_and_neutral_rows_stay_neutral(three):
    t, plans = three
    c = compare(t, plans, against=0)
    pops = t.population()
    for col, p in zip(c.plans, plans, strict=True):
        tot = np.bincount(p.assignment, weights=pops)
        dev = np.max(np.abs(tot / (pops.sum() / p.k) - 1))
        assert c.table.loc[("census census", "max |deviation|"), col] == pytest.approx(dev)
    devs = c.table.loc[("census census", "max |deviation|")].to_numpy(dtype=float)
    verdicts = c.verdicts.loc[("census census", "max |deviation|")].tolist()
    for d, v in zip(devs, verdicts, strict=True):
        assert v == ("same" if np.isclose(d, devs[0]) else ("better" if d < devs[0] else "worse"))
    assert set(c.verdicts.loc[("census census", "population")]) == {"neutral"}
    assert set(c.verdicts.loc[("plan", "regions")]) == {"neutral"}  # no registry metric


def test_rows_carry_differences_direction_and_purposes(three):
    t, plans = three
    rows = {(r["section"], r["metric"]): r for r in compare(t, plans, against="two").rows()}
    r = rows[("plan", "cut edges")]
    assert r["key"] == "cut_edges" and r["direction"] == "lower"
    assert r["differences"] == [v - r["values"][1] for v in r["values"]]
    dev = rows[("census census", "max |deviation|")]
    assert dev["purposes"] == ["districts"]
    assert rows[("plan", "regions")]["key"] is None


def test_criterion_rows_pass_beats_fail():
    import pandas as pd

    t = pd.DataFrame({"A": ["FAIL", "pass"], "B": ["pass", "pass"]},
                     index=pd.MultiIndex.from_tuples([("c", "x"), ("c", "y")]))
    assert judge(t, "A")["B"].tolist() == ["better", "same"]
    assert judge(t, "B")["A"].tolist() == ["worse", "same"]


def test_bad_input_names_the_fix(three):
    t, plans = three
    with pytest.raises(InputDataError, match="distinct names"):
        compare(t, [plans[0], plans[0]])
    with pytest.raises(InputDataError, match="not in the comparison"):
        compare(t, plans, against="nope")
    with pytest.raises(InputDataError, match="position"):
        compare(t, plans, against=3)


def test_registry_purposes():
    assert not registry.fits("max_abs_deviation", "polities")
    assert not registry.fits("deviation", "polities")
    assert registry.fits("census/max_abs_deviation", "districts")
    assert registry.fits("stranded:a", "polities") and registry.fits("cut_edges", "districts")
    assert registry.get("deviation").to_dict()["purposes"] == ["districts"]
    with pytest.raises(ConfigError, match="purpose"):
        registry.fits("cut_edges", "cantons")


def test_authority_changes_by_hand():
    t = grid_territory(2, 3, population=np.array([10.0, 20, 30, 40, 50, 60]))
    a = _plan(t, [0, 0, 1, 0, 1, 1], "a", ["krg", "federal"])
    b = _plan(t, [0, 1, 1, 0, 0, 1], "b", ["krg", "federal"])
    ch = authority_changes(t, a, b)
    assert ch.units.tolist() == [1, 4]
    assert ch.old.tolist() == ["krg", "federal"] and ch.new.tolist() == ["federal", "krg"]
    assert ch.people == {"census": 70.0}
    assert ch.by_authority() == {"federal": 1, "krg": 1}
    held = b.with_control([0], "joint")
    ctl = authority_changes(t, b, held, layer="control")
    assert ctl.units.tolist() == [0] and ctl.new.tolist() == ["joint"]
    assert authority_changes(t, b, held).units.size == 0  # the polities did not move
    with pytest.raises(InputDataError, match="layer"):
        authority_changes(t, a, b, layer="nope")  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(data=st.data(), tp=territories_and_plans())
def test_authority_changes_match_the_evaluation(data, tp):
    t, p = tp
    q = data.draw(plans_for(t)).renamed("other")
    ch = authority_changes(t, q, p)
    ev = evaluate(t, p, reference=q)
    assert ch.units.size == ev.change.polity_units_moved
    for c in t.census_names:
        assert ch.people[c] == pytest.approx(ev.change.polity_people_moved[c])
    ctl = authority_changes(t, q, p, layer="control")
    assert ctl.units.size == ev.change.units_moved
    # brute force: the units whose region's authority differs
    auth = lambda plan, i: plan.regions[plan.assignment[i]].authority if plan.assignment[i] >= 0 else ""  # noqa: E731
    assert ch.units.tolist() == [i for i in range(t.n_units) if auth(p, i) != auth(q, i)]
