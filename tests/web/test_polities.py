"""GET /api/draft/polities: who governs each region and who holds each unit where that differs,
counted here from the plan; the security finding against the allocation made here."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from dayafter.web import Settings, create_app
from dayafter.web.security import CSRF_HEADER


def test_control_that_differs_from_the_polity_by_brute_force(client, workspace):
    r = client.get("/api/draft/polities").json()
    assert r["count"] == 0 and r["units"] == [] and r["security"] is None  # control follows the polities
    regions = client.get("/api/draft").json()["draft"]["regions"]
    # hold units 0 and 1 by another authority than their polity's: a control edit of the plan
    p = workspace.draft_of("").plan
    other = "krg" if regions[int(p.assignment[0])]["authority"] != "krg" else "federal"
    workspace.apply_plan(p.with_control([0, 1], other), session="")  # clients without a cookie
    r = client.get("/api/draft/polities").json()
    q = workspace.draft_of("").plan
    t = workspace.territory
    ctl = q.control_of_units()
    auth = q.authority_of_units()
    want = [i for i in range(t.n_units) if q.assignment[i] >= 0 and ctl[i] != auth[i]]
    assert r["units"] == want == [0, 1]
    assert r["control"] == [other, other] and r["ids"] == [str(t.unit_ids[i]) for i in want]
    for c in t.census_names:
        assert r["people"][c] == pytest.approx(float(t.population(c)[want].sum()))
    for j, g in enumerate(r["regions"]):
        sel = q.assignment == j
        assert g["authority"] == q.regions[j].authority
        assert g["units"] == int(sel.sum())
        assert sum(g["control"].values()) == int(sel.sum())
        assert g["held_by_others"] == sum(1 for i in want if q.assignment[i] == j)


@pytest.mark.slow
def test_security_finding_matches_the_allocation(tmp_path):
    from dayafter.security import allocate_forces
    from dayafter.web.app import workspace_from_settings

    ws = workspace_from_settings(Settings(plans_dir=tmp_path))
    if ws.force_catalog is None:
        pytest.skip("the built-in case ships no force catalog")
    with TestClient(create_app(Settings(workspace=ws)), headers={CSRF_HEADER: "1"}) as c:
        body = c.get("/api/draft/polities", params={"census": "current"}).json()
    a = allocate_forces(ws.territory, ws.force_catalog, census="current", plan=ws.draft.plan)
    s = body["security"]
    assert s["shortfall_total"] == pytest.approx(a.total_shortfall, abs=1e-6)
    assert s["requirement_total"] == pytest.approx(float(a.requirement.sum()))
    short = a.shortfall > 1e-6 * np.maximum(1.0, a.requirement)
    assert s["units_short"] == int(short.sum())
    assert s["zero_capacity_count"] == len(a.zero_capacity_units())
