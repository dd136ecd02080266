"""GET /api/compare with N plans judged against one, and /api/compare/changes (units changing
authority), checked against counts made here from the plans themselves."""

from __future__ import annotations

import numpy as np
import pytest


def _cut(t, a):
    u, v, _ = t.graph.edges()
    return int(np.sum(a[u] != a[v]))


def test_three_plans_each_cell_judged_against_the_chosen_one(client, workspace):
    names = [p["name"] for p in client.get("/api/plans").json()]
    assert len(names) >= 2
    chosen = [*names[:2], "(draft)"]
    r = client.get("/api/compare", params={"plans": chosen, "against": names[1]}).json()
    assert [p["name"] for p in r["plans"]][:2] == names[:2] and r["against"] == names[1]
    rows = {(x["section"], x["metric"]): x for x in r["table"]}
    cut = rows[("plan", "cut edges")]
    t = workspace.territory
    want = [_cut(t, workspace.plan(n).assignment) for n in names[:2]]
    assert cut["values"][:2] == want
    ref = cut["values"][1]
    for v, d, verdict in zip(cut["values"], cut["differences"], cut["verdicts"], strict=True):
        assert d == pytest.approx(v - ref)
        assert verdict == ("same" if v == ref else ("better" if v < ref else "worse"))
    assert "a" not in cut  # the N-plan form has no two-plan fields


def test_non_contiguous_region_is_worse_not_green(client, workspace):
    names = [p["name"] for p in client.get("/api/plans").json()]
    # make the draft a copy of the first plan with one unit of region 0 moved into a far corner
    client.post(f"/api/plans/{names[0]}/open")
    p = workspace.plan(names[0])
    a = p.assignment
    far = int(np.flatnonzero(a != a[0])[-1])
    client.post("/api/draft/paint", json={"units": [far], "region": int(a[0])})
    r = client.get("/api/compare", params={"plans": [names[0], "(draft)"]}).json()
    row = next(x for x in r["table"] if x["key"] == "noncontiguous_regions")
    assert row["values"][1] > row["values"][0]
    assert row["differences"][1] > 0 and row["verdicts"][1] == "worse"


def test_two_plan_form_keeps_a_b_delta(client):
    names = [p["name"] for p in client.get("/api/plans").json()]
    r = client.get("/api/compare", params={"a": names[0], "b": names[1]}).json()
    for x in r["table"]:
        if x.get("delta") is not None:
            assert x["delta"] == pytest.approx(x["b"] - x["a"])


def test_purposes_travel_with_rows_and_plans(client):
    names = [p["name"] for p in client.get("/api/plans").json()]
    r = client.get("/api/compare", params={"plans": names[:2]}).json()
    assert all(p["purpose"] in ("polities", "districts") for p in r["plans"])
    dev = next(x for x in r["table"] if x["key"] == "max_abs_deviation")
    assert dev["purposes"] == ["districts"]
    meta = client.get("/api/meta").json()
    assert next(m for m in meta["metrics"] if m["name"] == "deviation")["purposes"] == ["districts"]


def test_bad_comparisons_are_422(client):
    names = [p["name"] for p in client.get("/api/plans").json()]
    assert client.get("/api/compare").status_code == 422
    assert client.get("/api/compare", params={"plans": names[:2], "against": "nope"}).status_code == 422
    assert client.get("/api/compare", params={"plans": [names[0]] * 13}).status_code == 422
    assert client.get("/api/compare", params={"plans": [names[0], "nope"]}).status_code == 422
    assert client.get("/api/compare/changes", params={"before": names[0], "after": names[1],
                                                       "layer": "x"}).status_code == 422


def test_changes_between_two_plans_by_brute_force(client, workspace):
    names = [p["name"] for p in client.get("/api/plans").json()]
    t = workspace.territory
    p0, p1 = workspace.plan(names[0]), workspace.plan(names[1])
    for layer, of in (("polity", lambda p: p.authority_of_units()), ("control", lambda p: p.control_of_units())):
        r = client.get("/api/compare/changes", params={"before": names[0], "after": names[1], "layer": layer}).json()
        old, new = of(p0), of(p1)
        want = [i for i in range(t.n_units) if old[i] != new[i]]
        assert r["units"] == want and r["count"] == len(want)
        assert r["new"] == [new[i] for i in want]
        for c in t.census_names:
            assert r["people"][c] == pytest.approx(float(t.population(c)[want].sum()))
        assert sum(r["by_authority"].values()) == len(want)
        assert r["ids"] == [str(t.unit_ids[i]) for i in want]
