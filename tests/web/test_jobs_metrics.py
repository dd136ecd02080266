"""The web ensemble job records the community metrics on every census (inside the kernel) and
places the open plan among them: the plan's values against :func:`dayafter.metrics.evaluate`
and :func:`dayafter.ensemble.where_in_ensemble`, its percentiles against the chain's stored
columns, on the whole grid and on a subset (one governorate, the rest of the plan fixed)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dayafter._util import percentile_rank
from dayafter.web.jobs import LivePercentile, _column_info, available_kinds, ensemble_plan_values

needs_ensemble = pytest.mark.skipif(not any(k["kind"] == "ensemble" for k in available_kinds()),
                                    reason="dayafter.ensemble is not installed")


def _expected(territory, plan, part, threshold=0.1):
    """Every column's value from dayafter.metrics.evaluate, written out per metric."""
    from dayafter.metrics import evaluate

    ev = evaluate(territory, plan, threshold=threshold)
    out = {}
    for census in territory.census_names:
        cm = ev.census(census)
        for j, g in enumerate(territory.communities):
            out[f"{census}/empowerment_plurality:{g}"] = cm.empowerment_plurality[j]
            out[f"{census}/empowerment_majority:{g}"] = cm.empowerment_majority[j]
            out[f"{census}/stranded:{g}"] = cm.stranded[j]
        for r, v in enumerate(sorted(np.asarray(cm.largest_share)[part], reverse=True), start=1):
            out[f"{census}/largest_share@{r}"] = v
    return out


def _start(workspace, plan, subset=None):
    from dayafter.ensemble import ChainConstraints, ChainState, Proposal

    spec = {"tolerance": None, "census": "baseline"} | ({"subset": subset} if subset else {})
    return ChainState(workspace.territory, plan.assignment, plan.k, proposal=Proposal(),
                      constraints=ChainConstraints.from_dict(spec))


@needs_ensemble
@pytest.mark.parametrize("subset", [None, "governorate=GOV0"])
def test_plan_values_equal_evaluate(workspace, subset):
    t = workspace.territory
    plan = workspace.plan("halves")
    start = _start(workspace, plan, subset)
    got = ensemble_plan_values(t, plan, start, 0.1)
    want = _expected(t, plan, np.asarray(start.taking_part))
    assert set(want) <= set(got)
    for k, v in want.items():
        assert got[k] == pytest.approx(v, rel=1e-12, abs=1e-15), k
    # 3 community metrics x 3 communities + 2 ranks, on 2 censuses, + cut edges and deviation
    assert len(got) == 2 * (9 + 2) + 2
    # halves: the 6 vertical unit pairs across the middle row (by hand)
    assert got["cut_edges"] == 6
    pop = np.bincount(plan.assignment, weights=t.population("baseline"))
    assert got["max_abs_deviation"] == pytest.approx(np.max(np.abs(pop / pop.mean() - 1)))


def test_column_info_names_census_metric_community_rank():
    assert _column_info("current/stranded:gamma") == {
        "column": "current/stranded:gamma", "census": "current", "metric": "stranded",
        "community": "gamma", "rank": None}
    assert _column_info("baseline/largest_share@2")["rank"] == 2
    assert _column_info("cut_edges") == {"column": "cut_edges", "census": None,
                                         "metric": "cut_edges", "community": None, "rank": None}


def test_live_percentile_leaves_nan_steps_and_values_out(tmp_path):
    from dayafter.ensemble import store

    x = np.array([0.1, np.nan, 0.3, 0.5])
    store.write_part(tmp_path, 0, 0, {"status": np.zeros(4, np.int8), "a": x, "b": x}, None, None, "npz")
    got = LivePercentile(tmp_path, {"a": 0.3, "b": float("nan")}).update()
    assert got["sampled"] == 4
    assert got["percentile_live"]["a"] == pytest.approx(percentile_rank(x, 0.3, scale=1.0)) == 0.5
    assert got["percentile_live"]["b"] is None


def _run(client, params):
    r = client.post("/api/jobs", json={"kind": "ensemble", "params": params})
    assert r.status_code == 200, r.text
    jid = r.json()["id"]
    events = []
    with client.stream("GET", f"/api/jobs/{jid}/events") as s:
        for line in s.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    assert events[-1]["state"] == "done", events[-1]
    return events, client.get(f"/api/jobs/{jid}").json()["results"]


@needs_ensemble
@pytest.mark.parametrize("subset", [pytest.param(None, marks=pytest.mark.slow), "governorate=GOV0"])
def test_ensemble_job_places_the_plan_on_every_community_metric(client, workspace, subset):
    from dayafter.ensemble import store, where_in_ensemble

    client.post("/api/plans/halves/open")
    params = {"steps": 400, "seed": 7, "chunk": 20, "tolerance": 0.5}
    if subset:
        params["subset"] = subset
    events, res = _run(client, params)
    t = workspace.territory
    plan = workspace.plan("halves")
    assert res["subset"] == subset
    assert res["subset_units"] == (18 if subset else None)
    cols = store.load_chain(res["run_dir"], 0, "npz")
    names = [c["column"] for c in res["columns"]]
    # every column the chain recorded is reported (step bookkeeping aside)
    assert set(names) == set(cols) - {"step", "status", "trees", "plan_hash"}
    assert len(names) == 2 * (9 + 2) + 2
    part = np.bincount(plan.assignment[
        np.ones(t.n_units, bool) if subset is None else np.array(t.admin["governorate"]) == "GOV0"],
        minlength=plan.k) > 0
    want = _expected(t, plan, part)
    for k, v in want.items():
        assert res["plan"][k] == pytest.approx(v, rel=1e-12, abs=1e-15), k
    placed = where_in_ensemble(t, plan, res["run_dir"])["scalars"]
    for name in names:
        ens = np.asarray(cols[name], dtype=np.float64)
        assert res["plan"][name] == pytest.approx(placed[name]["value"], rel=1e-12), name
        assert res["percentile"][name] == pytest.approx(percentile_rank(ens, res["plan"][name], scale=1.0)), name
        assert res["percentile"][name] == pytest.approx(placed[name]["percentile"] / 100), name
        q = res["quantiles"][name]
        assert q == pytest.approx(np.quantile(ens[np.isfinite(ens)], [0.05, 0.25, 0.5, 0.75, 0.95]).tolist())
    # the live percentile covers every column; its last word is the final percentile
    lives = [e["partial"] for e in events if e["partial"].get("percentile_live")]
    assert lives and set(lives[-1]["percentile_live"]) == set(res["plan"])
    assert lives[-1]["sampled"] == 400
    for name in names:
        assert lives[-1]["percentile_live"][name] == pytest.approx(res["percentile"][name])
    for ev in lives[:-1]:  # read from the blocks while the chain ran: whole blocks of 20 steps
        assert ev["sampled"] % 20 == 0 and set(ev["percentile_live"]) == set(res["plan"])


@needs_ensemble
def test_subset_refused_with_a_clear_line(client):
    r = client.post("/api/jobs", json={"kind": "ensemble", "params": {"steps": 10, "subset": "governorate=NOPE"}})
    assert r.status_code in (400, 422) and "NOPE" in r.json()["message"], r.text
