"""Chain runs: outputs, manifest, replay, checkpoint/resume, processes and constraints."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dayafter.ensemble import store
from dayafter.ensemble.sampler import ReComSampler, replay, summarize
from dayafter.errors import ConfigError, InfeasibleError
from dayafter.plan import Plan, Region
from dayafter.progress import CancelToken
from dayafter.testing.grids import grid_territory, stripes


@pytest.fixture(scope="module")
def grid():
    rng = np.random.default_rng(3)
    table = rng.integers(0, 20, size=(36, 2)).astype(float) + 1
    admin = {"province": np.array([f"P{(i % 6) // 2}" for i in range(36)])}
    t = grid_territory(6, 6, communities=table, admin=admin)
    plan = Plan(stripes(6, 6, 3), tuple(Region(f"R{j}") for j in range(3)), t.content_hash,
                name="stripes")
    return t, plan


def _sampler(**kw):
    base = dict(steps=300, chains=2, seed=5, n_jobs=1, thin=25, checkpoint_every=100,
                constraints={"tolerance": 0.25},
                metrics=["theil_h", "stranded:a", "mean_polsby_popper", "splits:province"])
    base.update(kw)
    return ReComSampler(**base)


def test_run_writes_results_and_manifest(grid, tmp_path):
    t, plan = grid
    res = _sampler().run(t, plan, tmp_path / "a")
    man = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert man["status"] == "complete"
    assert man["parameters"]["steps"] == 300 and man["seeds"]["root_entropy"] == 5
    assert man["seeds"]["spawn_keys"] == [[0], [1]]
    assert man["inputs"]["territory_hash"] == t.content_hash
    assert man["constraints"]["tolerance"] == 0.25 and "numba" in man["versions"]
    c = res.counts
    assert c["proposals"] == 600
    assert c["moved"] + sum(c[k] for k in ("no_balanced_cut", "same_plan", "rejected_metropolis",
                                          "rejected_splits", "pair_not_adjacent")) == 600
    cols = store.load_chain(tmp_path / "a", 0, "npz")
    assert set(cols) >= {"step", "status", "cut_edges", "max_abs_deviation", "plan_hash",
                         "census/theil_h", "census/stranded:a", "geometry/mean_polsby_popper",
                         "geometry/splits:province"}
    assert np.all(cols["max_abs_deviation"] <= 0.25 + 1e-12)
    a, steps = store.load_assignments(tmp_path / "a", 1, "npz")
    assert a.dtype == np.int16 and a.shape == (12, 36) and steps.tolist() == list(range(25, 301, 25))
    # the recorded metrics are those of the stored plans
    from dayafter.metrics import evaluate_assignment

    for row, s in zip(a[:3], steps[:3], strict=True):
        want = evaluate_assignment(t, row.astype(np.int32), 3).scalars()["theil_h"]
        got = store.load_chain(tmp_path / "a", 1, "npz")["census/theil_h"][s - 1]
        assert got == pytest.approx(want, abs=1e-12)
    assert 1 < res.unique_plans <= 600
    assert set(res.diagnostics) == {"cut_edges", "max_abs_deviation", "census/theil_h",
                                    "census/stranded:a", "geometry/mean_polsby_popper",
                                    "geometry/splits:province"}
    from dayafter.metrics import geometry_metrics

    last = store.load_chain(tmp_path / "a", 1, "npz")
    geo = geometry_metrics(t, a[-1].astype(np.int32), 3).scalars()
    assert last["geometry/splits:province"][-1] == geo["splits:province"]
    assert last["geometry/mean_polsby_popper"][-1] == pytest.approx(geo["mean_polsby_popper"])
    summ = summarize(tmp_path / "a")
    assert summ["quantiles"]["cut_edges"]["min"] >= 5
    assert 0 < summ["acceptance_rate"] <= 1


def test_replay_is_bit_for_bit_and_seed_matters(grid, tmp_path):
    t, plan = grid
    _sampler().run(t, plan, tmp_path / "a")
    rep = replay(tmp_path / "a", tmp_path / "b", n_jobs=1)
    assert rep.identical and all(c["identical"] for c in rep.chains)
    other = _sampler(seed=6).run(t, plan, tmp_path / "c")
    man = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert other.per_chain[0]["results_sha256"] != man["chains"][0]["results_sha256"]


@pytest.mark.parametrize("fmt", ["npz", "parquet"])
def test_resume_equals_uninterrupted(grid, tmp_path, fmt):
    t, plan = grid
    full = _sampler(format=fmt).run(t, plan, tmp_path / "full")
    token = CancelToken()
    token.cancel()  # already set: chain 0 stops after its first chunk, mid-block
    events = []
    part = _sampler(format=fmt).run(t, plan, tmp_path / "cut", progress=events.append,
                                    cancel=token)
    assert part.interrupted
    assert events[-1].final and 0 < events[-1].done < 100
    man = json.loads((tmp_path / "cut" / "manifest.json").read_text())
    assert man["status"] == "interrupted"
    assert (tmp_path / "cut" / "chain_000.ckpt.npz").exists()
    with pytest.raises(ConfigError, match="not empty"):
        _sampler(format=fmt).run(t, plan, tmp_path / "cut")
    with pytest.raises(ConfigError, match="parameters differ"):
        _sampler(format=fmt, steps=301).run(t, plan, tmp_path / "cut", resume=True)
    done = _sampler(format=fmt).run(t, plan, tmp_path / "cut", resume=True)
    assert not done.interrupted
    assert [c["results_sha256"] for c in done.per_chain] == \
        [c["results_sha256"] for c in full.per_chain]
    assert done.counts == full.counts


@pytest.mark.slow
def test_processes_give_the_same_chains(grid, tmp_path):
    t, plan = grid
    one = _sampler(metrics=[], thin=0).run(t, plan, tmp_path / "one")
    two = _sampler(metrics=[], thin=0, n_jobs=2).run(t, plan, tmp_path / "two")
    assert [c["results_sha256"] for c in one.per_chain] == \
        [c["results_sha256"] for c in two.per_chain]


def test_constraints_hold_along_the_chain(grid, tmp_path):
    t, plan = grid
    cons = {"tolerance": 0.3, "locked_regions": ["R0"], "locked_units": ["u00035"],
            "max_splits": {"province": 1}}
    s = _sampler(constraints=cons, thin=1, metrics=[], steps=200, chains=1)
    res = s.run(t, plan, tmp_path / "a")
    a, _ = store.load_assignments(tmp_path / "a", 0, "npz")
    start = plan.assignment
    assert np.all(a[:, start == 0] == 0) and np.all(a[:, start != 0] != 0)
    assert np.all(a[:, 35] == start[35])
    codes, names = t.admin_codes("province")
    for row in a:
        split = sum(np.unique(row[codes == j]).size > 1 for j in range(names.size))
        assert split <= 1
        pops = np.bincount(row, weights=t.population(), minlength=3)
        assert np.all(np.abs(pops / pops.mean() - 1) <= 0.3 + 1e-9)
    assert res.counts["moved"] > 0 and res.counts["rejected_splits"] > 0
    man = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert man["constraints"]["locked_regions"] == ["R0"]
    assert man["constraints"]["max_splits"] == {"province": 1}


def test_bad_configuration_is_rejected(grid, tmp_path):
    t, plan = grid
    from dayafter.ensemble.constraints import ChainConstraints

    c = ChainConstraints(tolerance=0.3)
    assert ChainConstraints.from_dict(c) is c
    assert ChainConstraints.from_dict(c.to_dict()) == c
    with pytest.raises(ConfigError, match="must be a mapping"):
        ChainConstraints.from_dict([0.1])
    with pytest.raises(ConfigError, match="tolerance"):
        ChainConstraints.from_dict({"tolerance": 1.5})
    with pytest.raises(ConfigError, match="steps"):
        _sampler(steps=0).run(t, plan, tmp_path / "v")
    with pytest.raises(ConfigError, match="unknown constraint keys"):
        _sampler(constraints={"tolerence": 0.1}).run(t, plan, tmp_path / "x")
    with pytest.raises(ConfigError, match="unknown metric"):
        _sampler(metrics=["nope"]).run(t, plan, tmp_path / "y")
    with pytest.raises(InfeasibleError, match="population bounds"):
        _sampler(constraints={"tolerance": 0.0001}).run(t, plan, tmp_path / "z")
    with pytest.raises(InfeasibleError, match="max_splits"):
        _sampler(constraints={"tolerance": 0.3, "max_splits": {"province": 0}}).run(
            t, plan.with_moves([1], 1), tmp_path / "w")


def test_m_bound_exceeded_names_bound_and_regions(grid, tmp_path):
    t, plan = grid
    with pytest.raises(InfeasibleError, match=r"M=1\b.*") as info:
        _sampler(method="reversible", m_bound=1, constraints={"tolerance": 0.5}).run(
            t, plan, tmp_path / "m")
    assert "regions" in str(info.value)
