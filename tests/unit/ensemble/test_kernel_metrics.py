"""Community metrics computed in the kernel at every step, against dayafter.metrics.evaluate.

The oracle is :func:`dayafter.metrics.evaluate_assignment` on the plan of each step (recorded by
running the same chain one step at a time: the kernel's random stream does not depend on how the
steps are grouped, which these tests check too).
"""

from __future__ import annotations

import numpy as np
import pytest

from dayafter.ensemble import store
from dayafter.ensemble.constraints import ChainConstraints
from dayafter.ensemble.recom import ChainState, Proposal, run_steps
from dayafter.ensemble.sampler import ReComSampler
from dayafter.graph import UnitGraph
from dayafter.metrics import evaluate_assignment
from dayafter.plan import Plan, Region
from dayafter.territory import Territory
from dayafter.testing.grids import stripes

THRESHOLD = 0.2


def _territory(rows: int, cols: int, seed: int) -> Territory:
    """A grid with two censuses of four communities: small integer counts, so ties for largest
    and shares exactly at the threshold happen, and some zeros (empty communities in regions)."""
    rng = np.random.default_rng(seed)
    n = rows * cols
    idx = np.arange(n).reshape(rows, cols)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    g = UnitGraph.from_edges(n, u, v, np.ones(u.size))
    base = rng.integers(0, 6, size=(n, 4)).astype(float)
    base[:, 0] += 1  # no empty unit
    cur = base.copy()
    cur[:, 3] = 0.0  # a community with no people on one census: NaN shares
    cur[:, 1] += rng.integers(0, 3, size=n)
    return Territory.from_arrays([f"u{i:03d}" for i in range(n)], ["a", "b", "c", "d"],
                                 {"baseline": base, "current": cur}, g)


def _oracle(t, a, k, census, part):
    cm = evaluate_assignment(t, a.astype(np.int32), k, census=census, threshold=THRESHOLD)
    ranked = np.sort(cm.largest_share[part])[::-1]
    return cm.empowerment_plurality, cm.empowerment_majority, cm.stranded, ranked


@pytest.mark.parametrize("subset", [None, "prov=P0"])
def test_kernel_metrics_equal_evaluate_on_every_step(global_seed, subset):
    t = _territory(6, 6, global_seed)
    if subset:
        t = Territory.from_arrays(
            t.unit_ids.tolist(), list(t.communities), dict(t.censuses), t.graph,
            admin={"prov": np.array(["P0" if i % 6 < 4 else "P1" for i in range(36)])})
    k = 3
    a0 = stripes(6, 6, k)
    cons = ChainConstraints(tolerance=0.6, census="baseline", subset=subset, balance="wide")
    censuses = ("baseline", "current")

    def chain():
        return ChainState(t, a0, k, proposal=Proposal(), constraints=cons, censuses=censuses,
                          threshold=THRESHOLD)

    whole = chain()
    rec = run_steps(whole, 120, np.random.default_rng(global_seed))
    # the same chain one step at a time gives the same steps, and its plans are the oracle's
    single = chain()
    rng = np.random.default_rng(global_seed)
    part = whole.taking_part
    assert rec.plurality.shape == (120, 2, 4) and rec.largest_share.shape == (120, 2, part.sum())
    moved = 0
    for s in range(120):
        one = run_steps(single, 1, rng)
        assert one.status[0] == rec.status[s] and one.plan_hash[0] == rec.plan_hash[s]
        moved += int(one.status[0] == 0)
        for ci, census in enumerate(censuses):
            plur, maj, strn, ranked = _oracle(t, single.assignment, k, census, part)
            np.testing.assert_allclose(rec.plurality[s, ci], plur, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(rec.majority[s, ci], maj, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(rec.stranded[s, ci], strn, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(rec.largest_share[s, ci], ranked, rtol=1e-12)
    assert moved > 10
    assert np.array_equal(single.assignment, whole.assignment)
    assert np.all(np.isnan(rec.plurality[:, 1, 3]))  # no people of 'd' on 'current'


def test_metrics_cannot_fail_silently():
    """The comparison above can fail: a chain whose kernel reads another census disagrees."""
    t = _territory(5, 5, 3)
    a0 = (np.arange(25) % 5 >= 3).astype(np.int32)
    ch = ChainState(t, a0, 2, proposal=Proposal(), constraints=ChainConstraints(
        tolerance=None, census="baseline"), censuses=("current",), threshold=THRESHOLD)
    rec = run_steps(ch, 30, np.random.default_rng(0))
    plur, _, _, _ = _oracle(t, ch.assignment, 2, "baseline", np.ones(2, bool))
    assert not np.allclose(rec.plurality[-1, 0, :3], plur[:3])


def test_sampler_streams_kernel_metrics(tmp_path):
    t = _territory(6, 6, 1)
    plan = Plan(stripes(6, 6, 3), tuple(Region(f"R{j}") for j in range(3)), t.content_hash)
    res = ReComSampler(steps=200, chains=2, seed=4, n_jobs=1, thin=1, threshold=THRESHOLD,
                       metrics=["community"], checkpoint_every=70,
                       constraints={"tolerance": 0.6, "census": "baseline"}).run(
        t, plan, tmp_path / "r")
    assert not res.interrupted
    cols = store.load_chain(tmp_path / "r", 1, "npz")
    a, steps = store.load_assignments(tmp_path / "r", 1, "npz")
    for row, s in zip(a[::17], steps[::17], strict=True):
        for census in ("baseline", "current"):
            cm = evaluate_assignment(t, row.astype(np.int32), 3, census=census,
                                     threshold=THRESHOLD).scalars()
            for key in ("empowerment_plurality:a", "empowerment_majority:b", "stranded:c"):
                assert cols[f"{census}/{key}"][s - 1] == pytest.approx(cm[key], rel=1e-12)
            top = evaluate_assignment(t, row.astype(np.int32), 3, census=census,
                                      threshold=THRESHOLD).largest_share
            got = [cols[f"{census}/largest_share@{j}"][s - 1] for j in (1, 2, 3)]
            assert got == pytest.approx(np.sort(top)[::-1].tolist(), rel=1e-12)
    assert "baseline/empowerment_plurality:a" in res.diagnostics
