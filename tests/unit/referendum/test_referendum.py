"""Referendum outcomes against hand computations, the tie rule, eligibility, draws, the resulting
plan and bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import dayafter as da
from dayafter._ranges import Estimate
from dayafter.errors import ConfigError, InputDataError
from dayafter.graph import UnitGraph
from dayafter.plan import Plan, Region
from dayafter.referendum import (
    Normalisation,
    NormalisationRow,
    VotingModel,
    case_referendum,
    decide,
    electorate,
    load_voting_model,
    simulate_referendum,
)

CASE_DIR = Path(da.__file__).parent / "cases" / "northern_iraq" / "referendum"


def _territory():
    """Three units in two districts; communities k and a."""
    g = UnitGraph.from_edges(3, [0, 1], [1, 2], [1.0, 1.0])
    return da.Territory.from_arrays(
        ["u1", "u2", "u3"], ["k", "a"],
        {"baseline": np.array([[100.0, 0.0], [50.0, 50.0], [0.0, 100.0]]),
         "current": np.array([[60.0, 40.0], [50.0, 50.0], [0.0, 100.0]])}, g,
        admin={"district": ["D1", "D1", "D2"]}, name="three")


def _model(k_shares=(0.9, 0.1, 0.0), a_shares=(0.0, 0.8, 0.2), k_turnout=1.0, a_turnout=0.5,
           spread=0.0):
    def e(v):
        return Estimate(v, max(0.0, v - spread), min(1.0, v + spread))

    return VotingModel(communities=("k", "a"),
                       shares=(tuple(e(v) for v in k_shares), tuple(e(v) for v in a_shares)),
                       turnout=(e(k_turnout), e(a_turnout)), adult_share=Estimate.exact(1.0))


def test_votes_and_outcomes_equal_hand_computation():
    t = _territory()
    r = simulate_referendum(t, model=_model(), census="current", level="unit")
    # u1: k 60 (turnout 1) -> krg 54, federal 6; a 40 (turnout .5) -> 20 voters: federal 16, self 4
    np.testing.assert_allclose(r.votes[0], [54.0, 22.0, 4.0])
    # u2: k 50 -> krg 45, fed 5; a 50 -> 25 voters: fed 20, self 5
    np.testing.assert_allclose(r.votes[1], [45.0, 25.0, 5.0])
    np.testing.assert_allclose(r.votes[2], [0.0, 40.0, 10.0])
    assert [r.option_of(i) for i in range(3)] == ["krg", "krg", "federal"]
    d = simulate_referendum(t, model=_model(), census="current", level="district")
    np.testing.assert_allclose(d.votes, [[99.0, 47.0, 9.0], [0.0, 40.0, 10.0]])
    assert [d.option_of(i) for i in range(2)] == ["krg", "federal"]
    assert d.margin[0] == pytest.approx((99 - 47) / 155)
    # one vote over everything: krg 99, federal 87, self 19
    s = simulate_referendum(t, model=_model(), census="current", level="scope")
    np.testing.assert_allclose(s.votes, [[99.0, 87.0, 19.0]])
    assert s.option_of(0) == "krg"
    m = simulate_referendum(t, model=_model(), census="current", level="scope", rule="majority")
    assert m.winner[0] == -1  # 99 of 205 is no majority and there is no reference plan


def test_tie_rule_prefers_status_quo_then_option_order():
    # tied krg/federal: status quo federal keeps federal; status quo self or none -> krg (first)
    v = np.array([[10.0, 10.0, 3.0]] * 3)
    assert decide(v, [1, 2, -1]).tolist() == [1, 0, 0]
    # three-way tie with the status quo among them
    assert decide([[5.0, 5.0, 5.0]], [2]).tolist() == [2]
    # no votes: status quo (or no decision)
    assert decide([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], [1, -1]).tolist() == [1, -1]
    # majority: more than half needed, exactly half is not enough
    assert decide([[10.0, 10.0, 0.0]], [2], rule="majority").tolist() == [2]
    with pytest.raises(ConfigError):
        decide(v, [0, 0, 0], rule="unanimity")


def test_tie_on_a_territory_keeps_the_reference_control():
    t = _territory()
    # u3 only: 100 'a' people, half federal, half self -> tie; reference control decides
    m = _model(a_shares=(0.0, 0.5, 0.5), a_turnout=1.0)
    for auth, expect in (("self-administered", "self-administered"), ("federal", "federal"),
                         ("shared", "federal")):
        ref = Plan(np.array([0, 0, 1]), (Region("W", "krg"), Region("E", auth)), t.content_hash,
                   name="ref")
        r = simulate_referendum(t, model=m, census="current", level="unit", reference=ref)
        assert r.option_of(2) == expect, auth


def test_eligibility_rules_by_hand():
    t = _territory()
    C, B = t.census("current"), t.census("baseline")
    np.testing.assert_allclose(electorate("residents", t, C), C)
    # totals are equal (250), so growth is 1 and origin is the baseline
    np.testing.assert_allclose(electorate("origin", t, C, baseline=B), B)
    norm = Normalisation((NormalisationRow("district", "D1", "k", Estimate.exact(30.0)),
                          NormalisationRow("unit", "u3", "a", Estimate.exact(-150.0))))
    E = electorate("normalised", t, C, baseline=B, normalisation=norm)
    # +30 k in D1 spread by the origin k electorate 100:50; -150 a in u3 capped at 0
    np.testing.assert_allclose(E, [[120.0, 0.0], [60.0, 50.0], [0.0, 0.0]])
    with pytest.raises(ConfigError, match="needs a normalisation"):
        electorate("normalised", t, C, baseline=B)
    with pytest.raises(ConfigError, match="unknown eligibility"):
        electorate("voters", t, C)


def test_pivotal_units_by_brute_force():
    t = _territory()
    r = simulate_referendum(t, model=_model(), census="current", level="district")
    # D1 = u1 + u2: krg 99 vs federal 47; without u1: 45 vs 25 (krg); without u2: 54 vs 22 (krg)
    assert r.pivotal == {}
    m = _model(k_shares=(0.5, 0.5, 0.0), a_shares=(0.0, 0.1, 0.9), a_turnout=1.0)
    r = simulate_referendum(t, model=m, census="current", level="district")
    # u1: krg 30 fed 34 self 36; u2: krg 25, fed 30, self 45 -> D1: krg 55 fed 64 self 81: self
    assert r.option_of(0) == "self-administered"
    # without u2: u1 alone -> self (36) wins; without u1: u2 alone -> self: nobody pivotal
    assert r.pivotal == {}
    m = _model(k_shares=(0.6, 0.4, 0.0), a_shares=(0.0, 0.2, 0.8), a_turnout=1.0)
    r = simulate_referendum(t, model=m, census="current", level="district")
    # u1: krg 36 fed 24+8=32 self 32; u2: krg 30 fed 20+10=30 self 40 -> D1 krg 66 fed 62 self 72
    assert r.option_of(0) == "self-administered"
    # without u2 -> u1 alone: krg 36 wins -> u2 pivotal; without u1 -> u2: self 40 -> not pivotal
    assert r.pivotal == {"u2": 1.0}


def test_probability_over_draws_matches_a_loop(global_seed):
    t = _territory()
    rng = np.random.default_rng(global_seed)
    C = t.census("current")
    draws = C[None] * rng.uniform(0.5, 1.5, (300, 3, 2))
    m = _model(k_shares=(0.45, 0.55, 0.0), a_shares=(0.0, 0.2, 0.8), a_turnout=1.0)
    r = simulate_referendum(t, model=m, census="current", level="district", census_draws=draws,
                            rng=rng)
    assert r.n_draws == 300
    # exact parameters (zero-width ranges): the probability is the share of census draws won
    wins = np.zeros((2, 3))
    for d in range(300):
        t_d = da.Territory.from_arrays(t.unit_ids, t.communities, {"current": draws[d]}, t.graph,
                                       admin={"district": t.admin["district"]})
        one = simulate_referendum(t_d, model=m, census="current", level="district")
        for a in range(2):
            wins[a, one.winner[a]] += 1
    np.testing.assert_allclose(r.probability, wins / 300)
    assert np.all(r.margin_quantiles[0] <= r.margin_quantiles[2])


def test_parameter_draws_give_probabilities_that_sum_to_one(global_seed):
    t = _territory()
    r = simulate_referendum(t, model=_model(spread=0.2), census="current", level="unit",
                            draws=500, rng=np.random.default_rng(global_seed))
    np.testing.assert_allclose(r.probability.sum(axis=1), 1.0)
    assert r.probability[2, 1] > 0.5  # u3 is mostly federal
    json.dumps(r.to_dict())


def test_resulting_plan_changes_control_only_in_scope():
    t = _territory()
    ref = Plan(np.array([0, 0, 0]), (Region("All", "federal"),), t.content_hash, name="ref")
    r = simulate_referendum(t, model=_model(), census="current", level="unit", scope=["u1", "u3"],
                            reference=ref)
    assert r.area_ids == ("u1", "u3")
    p = r.plan
    assert p.control_of_units().tolist() == ["krg", "federal", "federal"]
    assert p.region_names == ["All"] and p.assignment.tolist() == [0, 0, 0]  # polities kept
    ev = da.evaluate(t, p)
    assert ev.plan.k == 1


def test_bad_inputs():
    t = _territory()
    with pytest.raises(ConfigError, match="unknown referendum level"):
        simulate_referendum(t, model=_model(), level="province")
    with pytest.raises(InputDataError, match="not in territory"):
        simulate_referendum(t, model=_model(), scope=["u9"])
    with pytest.raises(InputDataError, match="unknown census"):
        simulate_referendum(t, model=_model(), census="2030")
    with pytest.raises(ConfigError, match="rng"):
        simulate_referendum(t, model=_model(), draws=10)
    with pytest.raises(InputDataError, match="sum to"):
        VotingModel(("k",), ((Estimate.exact(0.5), Estimate.exact(0.4), Estimate.exact(0.0)),),
                    (Estimate.exact(1.0),), Estimate.exact(1.0))


# ------------------------------------------------------------------ the built-in data
def test_case_voting_model_and_scope(iraq):
    model, scope, norm = case_referendum(iraq.territory)
    assert set(model.communities) == set(iraq.territory.communities)
    for row in model.shares:
        assert sum(e.value for e in row) == pytest.approx(1.0)
    districts = set(iraq.territory.admin["district"][scope].tolist())
    assert len(districts) == 15  # 14 UNAMI districts and Mandali's district
    cited = {s for row in model.shares for e in row for s in e.sources}
    cited |= {s for e in model.turnout for s in e.sources}
    cited |= {s for r in norm.rows for s in r.change.sources}
    listed = set(model.sources)
    assert {s for s in cited if s.startswith("RF")} <= listed
    assert all("ILLUSTRATIVE" in r.change.basis for r in norm.rows)


def test_case_referendum_runs_on_every_census(iraq, global_seed):
    model, scope, norm = case_referendum(iraq.territory)
    t = iraq.territory
    for census in t.census_names:
        for elig in ("residents", "origin", "normalised"):
            r = simulate_referendum(t, model=model, census=census, scope=scope, eligibility=elig,
                                    normalisation=norm, reference=iraq.reference_plan, draws=64,
                                    rng=np.random.default_rng(global_seed))
            assert r.probability.shape == (15, 3)
            assert r.plan is not None and r.plan.is_complete
            # the eligible total is the census total of the scope under 'residents'
            if elig == "residents":
                assert r.eligible.sum() == pytest.approx(t.census(census)[scope].sum())


@pytest.mark.parametrize(("file", "old", "new", "match"), [
    ("voting.csv", "kurd,krg,0.9,", "kurd,krg,0.8,", r"voting.csv: community 'kurd': the vote shares sum to 0.9"),
    ("voting.csv", "kurd,krg,0.9,", "kurd,kurdistan,0.9,", r"voting.csv: row 2: option 'kurdistan' is not one of"),
    ("turnout.csv", "kurd,0.72,", "kurd,1.72,", r"turnout.csv: row 2: turnout 1.72 is outside"),
])
def test_bad_voting_files_name_file_row_and_fix(tmp_path, file, old, new, match):
    root = tmp_path / "referendum"
    shutil.copytree(CASE_DIR, root)
    p = root / file
    text = p.read_text(encoding="utf-8")
    assert old in text
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputDataError, match=match) as exc:
        load_voting_model(root)
    assert "Fix:" in exc.value.one_line()
