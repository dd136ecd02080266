"""Metrics on small hand-computed examples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dayafter.graph import UnitGraph
from dayafter.metrics import composition as comp
from dayafter.metrics import evaluate, tally
from dayafter.plan import Plan, Region
from dayafter.territory import Territory


@pytest.fixture
def six():
    """Two rows of three unit squares (side 1): ids a..f, communities x, y, z.

    a b c
    d e f
    """
    ids = list("abcdef")
    edges = [(0, 1), (1, 2), (3, 4), (4, 5), (0, 3), (1, 4), (2, 5)]
    u, v = zip(*edges, strict=True)
    g = UnitGraph.from_edges(6, u, v, np.ones(7))
    pop = np.array([[60, 40, 0], [50, 50, 0], [0, 90, 10], [100, 0, 0], [10, 10, 80], [0, 20, 80]], float)
    degree = np.bincount(np.r_[u, v], minlength=6)
    t = Territory.from_arrays(ids, ["x", "y", "z"], {"c": pop}, g, area=np.ones(6),
                              outer_border=4.0 - degree, admin={"prov": ["P", "P", "Q", "P", "P", "Q"]})
    return t


def test_hand_computed(six):
    t = six
    plan = Plan(np.array([0, 0, 1, 0, 1, 1]), (Region("W", "federal"), Region("E", "krg")),
                territory_hash=t.content_hash)
    ev = evaluate(t, plan)
    cm = ev.census()
    # W = a, b, d: x 210, y 90, z 0 ; E = c, e, f: x 10, y 120, z 170
    assert cm.tally.tolist() == [[210, 90, 0], [10, 120, 170]]
    assert cm.population.tolist() == [300, 300]
    assert cm.deviation.tolist() == [0, 0]
    assert cm.largest.tolist() == [0, 2]
    assert cm.largest_share == pytest.approx([0.7, 170 / 300])
    assert cm.fractionalization[0] == pytest.approx(1 - 0.7**2 - 0.3**2)
    assert cm.polarization[0] == pytest.approx(4 * (0.49 * 0.3 + 0.09 * 0.7))
    # x: 210 of 220 where largest; y: largest nowhere; z: 170 of 170
    assert cm.empowerment_plurality == pytest.approx([210 / 220, 0.0, 1.0])
    assert cm.empowerment_majority == pytest.approx([210 / 220, 0.0, 1.0])  # 170/300 > 1/2
    # stranded at 10%: x in E (10/300 < 0.1) -> 10/220; y nowhere; z in W (0 people) -> 0
    assert cm.stranded == pytest.approx([10 / 220, 0.0, 0.0])
    # Theil H by hand
    tot = np.array([220, 210, 170]) / 600
    E = -np.sum(tot * np.log(tot))
    def ent(p):
        p = p[p > 0]
        return -np.sum(p * np.log(p))
    Ek = [ent(np.array([0.7, 0.3])), ent(np.array([10, 120, 170]) / 300)]
    assert cm.theil_h == pytest.approx((300 * (E - Ek[0]) + 300 * (E - Ek[1])) / (600 * E))
    # dissimilarity x|y = 1/2 (|210/220 - 90/210| + |10/220 - 120/210|)
    assert cm.dissimilarity[0, 1] == pytest.approx(0.5 * (abs(210 / 220 - 90 / 210) + abs(10 / 220 - 120 / 210)))
    geo = ev.geometry
    # cut edges: b-c, d-e, a-? no; edges: ab(W W) bc(W E) de(W E) ef(E E) ad(W W) be(W E) cf(E E)
    assert geo.cut_edges == 3
    # W: area 3, perimeter: outer borders a 2, b 1, d 2 = 5, plus cut edges b-c, b-e, d-e = 3 -> 8
    assert geo.perimeter.tolist() == [8.0, 8.0]
    assert geo.polsby_popper[0] == pytest.approx(4 * math.pi * 3 / 64)
    assert geo.pieces.tolist() == [1, 1]
    assert geo.splits["prov"] == 1  # P has a, b, d (W) and e (E)


def test_noncontiguous_and_unassigned(six):
    t = six
    plan = Plan(np.array([0, 1, 0, 1, -1, 1]), (Region("A"), Region("B")), territory_hash=t.content_hash)
    ev = evaluate(t, plan)
    assert ev.geometry.pieces.tolist() == [2, 3]  # A: a | c ; B: b | d | f
    assert ev.geometry.unassigned_units == 1
    assert ev.census().unassigned_population == 100.0
    assert ev.census().population.sum() == 500.0
    # shares are of each community's whole population, unassigned units included (DESIGN.md)
    cm = ev.census()
    assert cm.community_totals().tolist() == [220, 210, 170]
    # A = a, c: x 60, y 130, z 10 ; B = b, d, f: x 150, y 70, z 80 ; e (10, 10, 80) unassigned
    assert cm.empowerment_plurality == pytest.approx([150 / 220, 130 / 210, 0.0])
    assert cm.stranded == pytest.approx([0.0, 0.0, 10 / 170])


def test_change_from_reference(six):
    t = six
    ref = Plan(np.array([0, 0, 1, 0, 1, 1]), (Region("W", "federal"), Region("E", "krg")), t.content_hash,
               name="ref")
    new = Plan(np.array([1, 1, 0, 1, 0, 1]), (Region("East", "krg"), Region("West", "federal")),
               t.content_hash, name="new")
    ev = evaluate(t, new, reference=ref)
    ch = ev.change
    # labels swapped, only f moved (from E/krg to West/federal)
    assert ch.units_moved == 1
    assert ch.people_moved["c"] == 100.0
    assert ch.region_match.tolist() == [1, 0]
    assert ch.units_reassigned == 1
    i, j = ch.authorities.index("krg"), ch.authorities.index("federal")
    assert ch.transition_units[i, j] == 1


def test_tally_matches_numpy():
    rng = np.random.default_rng(1)
    a = rng.integers(-1, 5, size=200).astype(np.int32)
    tab = rng.random((200, 4))
    expect = np.zeros((5, 4))
    for i, r in enumerate(a):
        if r >= 0:
            expect[r] += tab[i]
    assert np.allclose(tally(a, tab, 5), expect)


def test_empty_region_and_single_community():
    P = np.array([[0.0, 0.0], [5.0, 0.0]])
    assert np.isnan(comp.fractionalization(P)[0])
    assert comp.empowerment(P).tolist()[0] == 1.0
    assert np.isnan(comp.empowerment(P)[1])
    assert math.isnan(comp.theil_h(P))
