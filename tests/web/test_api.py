"""The workbench API through FastAPI's TestClient, checked against direct computations."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from dayafter.io.plans import read_plan
from dayafter.web import Settings, create_app
from dayafter.web.demo import grid_workspace
from dayafter.web.security import CSRF_HEADER


def _region_pop(workspace, assignment, census):
    """Independent tally: population of each region with a plain Python loop."""
    table = workspace.territory.censuses[census]
    k = max(assignment) + 1
    out = [0.0] * k
    for i, r in enumerate(assignment):
        if r >= 0:
            out[r] += float(table[i].sum())
    return out


def test_meta_and_units(client, workspace):
    meta = client.get("/api/meta").json()
    assert meta["n_units"] == 36
    assert [c["key"] for c in meta["communities"]] == ["alpha", "beta", "gamma"]
    assert meta["censuses"] == ["baseline", "current"]
    lon0, lat0, lon1, lat1 = meta["bounds"]
    assert 42 < lon0 < lon1 < 44 and 35 < lat0 < lat1 < 37  # UTM 38N near Mosul, converted to WGS 84
    units = client.get("/api/units").json()
    assert units["ids"] == workspace.territory.unit_ids.astype(str).tolist()
    assert units["labels"]["name_ar"][0].startswith("وحدة")
    gj = client.get("/api/units.geojson").json()
    assert len(gj["features"]) == 36
    assert sorted(f["id"] for f in gj["features"]) == list(range(36))
    one = client.get("/api/units/7").json()
    assert one["unit_id"] == units["ids"][7]
    assert one["censuses"]["baseline"]["alpha"] == pytest.approx(workspace.territory.censuses["baseline"][7, 0])


def test_paint_updates_population_like_a_direct_tally(client, workspace):
    before = client.get("/api/draft").json()
    a = before["draft"]["assignment"]
    pop0 = [r["population"] for r in before["evaluation"]["censuses"]["baseline"]["regions"]]
    assert pop0 == pytest.approx(_region_pop(workspace, a, "baseline"))
    r = client.post("/api/draft/paint", json={"region": 1, "units": [0, 6, 12]})
    assert r.status_code == 200
    body = r.json()
    assert body["changed"] == [0, 6, 12]
    for i in body["changed"]:
        a[i] = 1
    for census in ("baseline", "current"):
        pops = [x["population"] for x in body["evaluation"]["censuses"][census]["regions"]]
        assert pops == pytest.approx(_region_pop(workspace, a, census))
    assert body["draft"]["undo"] == 1
    # painting units already in the region changes nothing and adds no undo step
    again = client.post("/api/draft/paint", json={"region": 1, "units": [0]}).json()
    assert again["changed"] == [] and again["draft"]["undo"] == 1


def test_paint_by_unit_id_and_by_admin_unit(client, workspace):
    t = workspace.territory
    r = client.post("/api/draft/paint", json={"region": -1, "unit_ids": [str(t.unit_ids[5])]}).json()
    assert r["changed"] == [5]
    d = client.post("/api/draft/paint", json={"region": 0, "admin_level": "district",
                                              "admin_code": "D001-002"}).json()
    expected = np.flatnonzero(t.admin["district"].astype(str) == "D001-002")
    state = client.get("/api/draft").json()["draft"]["assignment"]
    assert all(state[i] == 0 for i in expected)
    assert set(d["changed"]) <= set(expected.tolist())


def test_undo_redo_unbounded(client):
    start = client.get("/api/draft").json()["draft"]["assignment"]
    snapshots = [start]
    for step in range(40):  # more than any fixed-size buffer a UI would keep
        client.post("/api/draft/paint", json={"region": step % 2, "units": [step % 36, (step * 7) % 36]})
        snapshots.append(client.get("/api/draft").json()["draft"]["assignment"])
    n_edits = client.get("/api/draft").json()["draft"]["undo"]
    for _i in range(n_edits):
        r = client.post("/api/draft/undo").json()
        assert r["done"]
    assert client.get("/api/draft").json()["draft"]["assignment"] == start
    assert client.post("/api/draft/undo").json()["done"] is False
    for _ in range(n_edits):
        client.post("/api/draft/redo")
    assert client.get("/api/draft").json()["draft"]["assignment"] == snapshots[-1]
    # a new edit clears the redo stack
    client.post("/api/draft/undo")
    client.post("/api/draft/paint", json={"region": -1, "units": [35]})
    assert client.get("/api/draft").json()["draft"]["redo"] == 0


def test_regions_edit_add_and_lock(client):
    r = client.patch("/api/draft/regions/0", json={"name": "West", "authority": "krg", "status": "autonomous"})
    assert r.json()["draft"]["regions"][0] == {"name": "West", "authority": "krg", "status": "autonomous"}
    r = client.post("/api/draft/regions", json={"name": "Plains", "authority": "self-administered"})
    assert len(r.json()["draft"]["regions"]) == 3
    # a duplicate name is refused with a JSON error
    bad = client.patch("/api/draft/regions/1", json={"name": "West"})
    assert bad.status_code == 422 and bad.json()["error"] == "InputDataError"
    # lock region 0: its units stay, other units move
    a = client.get("/api/draft").json()["draft"]["assignment"]
    in0 = [i for i, x in enumerate(a) if x == 0][:2]
    in1 = [i for i, x in enumerate(a) if x == 1][:2]
    client.put("/api/draft/regions/0/lock", json={"locked": True})
    res = client.post("/api/draft/paint", json={"region": 2, "units": in0 + in1}).json()
    assert sorted(res["changed"]) == sorted(in1) and res["skipped_locked"] == 2
    refused = client.post("/api/draft/paint", json={"region": 0, "units": in1})
    assert refused.status_code == 422 and "locked" in refused.json()["message"]
    client.put("/api/draft/regions/0/lock", json={"locked": False})
    assert client.post("/api/draft/paint", json={"region": 0, "units": in1}).json()["changed"] == sorted(in1)
    # region edits are undoable too
    client.post("/api/draft/undo")
    client.post("/api/draft/undo")
    regions = client.post("/api/draft/undo").json()["draft"]["regions"]
    assert len(regions) == 2


def test_save_reload_rename_duplicate_delete(tmp_path):
    ws = grid_workspace(6, 6, plans_dir=tmp_path / "plans")
    with TestClient(create_app(Settings(workspace=ws)), headers={CSRF_HEADER: "1"}) as c:
        c.post("/api/draft/paint", json={"region": 0, "units": [35, 34]})
        saved = c.post("/api/draft/save", json={"name": "my plan"}).json()
        assert {"name": "my plan", "kind": "saved"}.items() <= saved["plans"][-1].items()
        painted = c.get("/api/draft").json()["draft"]["assignment"]
        refused = c.post("/api/draft/save", json={"name": "stripes"})
        assert refused.status_code == 422 and "built-in" in refused.json()["message"]
    # a fresh server on the same plan folder lists and opens the saved plan
    ws2 = grid_workspace(6, 6, plans_dir=tmp_path / "plans")
    with TestClient(create_app(Settings(workspace=ws2)), headers={CSRF_HEADER: "1"}) as c:
        names = [p["name"] for p in c.get("/api/plans").json()]
        assert names == ["stripes", "halves", "my plan"]
        assert c.post("/api/plans/my plan/open").json()["draft"]["assignment"] == painted
        c.post("/api/plans/my plan/duplicate", json={"new_name": "copy"})
        c.post("/api/plans/copy/rename", json={"new_name": "renamed copy"})
        names = [p["name"] for p in c.get("/api/plans").json()]
        assert names == ["stripes", "halves", "my plan", "renamed copy"]
        assert c.get("/api/plans/renamed copy").json()["assignment"] == painted
        files = sorted(p.name for p in (tmp_path / "plans").glob("*.json"))
        assert len(files) == 2 and files[0].startswith("my-plan-") and files[1].startswith("renamed-copy-")
        plan = read_plan(tmp_path / "plans" / files[1], ws2.territory)
        assert plan.name == "renamed copy" and plan.assignment.tolist() == painted
        assert c.post("/api/plans/stripes/rename", json={"new_name": "x"}).status_code == 422
        c.delete("/api/plans/renamed copy")
        assert [p.name for p in (tmp_path / "plans").glob("*.json")] == [files[0]]


def test_compare_deltas(client, workspace):
    r = client.get("/api/compare", params={"a": "stripes", "b": "halves"}).json()
    assert [p["name"] for p in r["plans"]] == ["stripes", "halves"]
    rows = {(x["section"], x["metric"]): x for x in r["table"]}
    for x in r["table"]:
        if x.get("delta") is not None:
            assert x["delta"] == pytest.approx(x["b"] - x["a"])
    # cut edges checked by brute force over the grid's edges
    t = workspace.territory
    u, v, _ = t.graph.edges()
    for name in ("stripes", "halves"):
        a = workspace.plan(name).assignment
        cut = int(np.sum(a[u] != a[v]))
        assert rows[("plan", "cut edges")]["a" if name == "stripes" else "b"] == cut
    assert ("census baseline", "criterion contiguous-regions") in rows
    assert client.get("/api/compare", params={"a": "stripes", "b": "nope"}).status_code == 422


@pytest.mark.parametrize("fmt", ["json", "csv", "psv", "gpkg"])
def test_export_import_round_trip(client, fmt):
    client.post("/api/plans/halves/open")
    client.post("/api/draft/paint", json={"region": 0, "units": [33, 34, 35]})
    client.post("/api/draft/save", json={"name": "to export"})
    want = client.get("/api/draft").json()["draft"]["assignment"]
    r = client.get("/api/export/plan", params={"format": fmt, "name": "to export"})
    assert r.status_code == 200
    assert r.headers["content-disposition"].endswith(f'.{fmt}"')
    imp = client.post("/api/import/plan", params={"filename": f"exported.{fmt}"}, content=r.content)
    assert imp.status_code == 200, imp.text
    added = imp.json()["added"][0]
    got = client.get(f"/api/plans/{added}").json()
    # region labels may be renumbered by a CSV round trip; the partition must be the same
    pairs = {(x, y) for x, y in zip(want, got["assignment"], strict=True)}
    assert len(pairs) == len(set(want)) == len(set(got["assignment"]))


def test_export_regions_geojson_and_project(client):
    gj = client.get("/api/export/plan", params={"format": "geojson", "name": "stripes"}).json()
    assert [f["properties"]["name"] for f in gj["features"]] == ["Stripe 1", "Stripe 2"]
    assert [f["properties"]["units"] for f in gj["features"]] == [18, 18]
    proj = client.get("/api/export/project")
    assert proj.status_code == 200 and proj.content[:16] == b"SQLite format 3\x00"


def test_import_errors_are_json(client):
    bad = client.post("/api/import/plan", params={"filename": "x.csv"}, content=b"unit_id,region\nNOPE,1\n")
    assert bad.status_code == 422
    body = bad.json()
    assert body["error"] == "InputDataError" and "NOPE" in json.dumps(body)
    assert client.post("/api/import/plan", params={"filename": "x.doc"}, content=b"x").status_code == 422
    assert client.get("/api/export/plan", params={"format": "xls"}).status_code == 422


def test_contiguity_problems_match_networkx(client, workspace):
    client.post("/api/plans/stripes/open")
    # cut a hole through stripe 1 (columns 0-2) by moving column 1 of row 2 and rows 0-5 of col 1
    col1 = [r * 6 + 1 for r in range(6)]
    body = client.post("/api/draft/paint", json={"region": 1, "units": col1}).json()
    problems = body["evaluation"]["contiguity"]
    a = np.array(client.get("/api/draft").json()["draft"]["assignment"])
    g = nx.Graph()
    u, v, _ = workspace.territory.graph.edges()
    g.add_nodes_from(range(36))
    g.add_edges_from((int(x), int(y)) for x, y in zip(u, v, strict=True) if a[x] == a[y])
    expected = {}
    for j in range(2):
        comps = sorted((sorted(c) for c in nx.connected_components(g.subgraph(np.flatnonzero(a == j).tolist()))),
                       key=len, reverse=True)
        if len(comps) > 1:
            expected[j] = sorted(sorted(c) for c in comps[1:])
    assert {p["index"]: sorted(sorted(x) for x in p["detached"]) for p in problems} == expected
    assert expected  # the edit did split a region
    crit = [c for c in body["evaluation"]["criteria"] if c["name"] == "contiguous-regions"]
    assert crit and not any(c["passed"] for c in crit)


def test_unknown_plan_and_bad_unit(client):
    r = client.post("/api/plans/nope/open")
    assert r.status_code == 422 and r.json()["hint"]
    r = client.post("/api/draft/paint", json={"region": 0, "units": [999]})
    assert r.status_code == 422
    r = client.post("/api/draft/paint", json={"region": 0, "unit_ids": ["XX"]})
    assert r.status_code == 422 and r.json()["error"] == "InputDataError"


def test_static_front_end_is_served(client):
    r = client.get("/")
    assert r.status_code == 200 and "<html" in r.text.lower()
    assert "https://" not in r.text and "http://" not in r.text  # nothing from a CDN


def test_councils_panel_matches_the_engine(client, workspace):
    from dayafter.councils import CouncilRules, simulate_councils

    r = client.get("/api/draft/councils", params={"census": "current"})
    assert r.status_code == 200
    body = r.json()
    sim = simulate_councils(workspace.territory, workspace.draft.plan,
                            rules=CouncilRules(residents_per_seat=100_000), census="current")
    assert [g["council_size"] for g in body["regions"]] == sim.regions["council_size"].tolist()
    assert body["note"]  # default rules are announced, with the keys the page translates them by
    assert body["note_i18n"] == {"key": "no_rules", "args": {"n": 100_000}}
    assert body["rules_i18n"] == {"key": "rules_default", "args": {"n": 100_000}}
    assert client.get("/api/draft/councils", params={"census": "nope"}).status_code == 422
    # no force catalog on the grid: a clear error, and the meta says so
    assert client.get("/api/meta").json()["engines"]["security"] is False
    assert client.get("/api/draft/security").status_code == 422


@pytest.mark.slow
def test_security_panel_sums_the_allocation_by_region(tmp_path):
    from dayafter.web.app import workspace_from_settings

    ws = workspace_from_settings(Settings(plans_dir=tmp_path))
    if ws.force_catalog is None:
        pytest.skip("the built-in case ships no force catalog")
    from dayafter.security import allocate_forces

    with TestClient(create_app(Settings(workspace=ws)), headers={CSRF_HEADER: "1"}) as c:
        body = c.get("/api/draft/security", params={"census": "current"}).json()
    plan = ws.draft.plan
    a = allocate_forces(ws.territory, ws.force_catalog, census="current", plan=plan)
    for j, g in enumerate(body["regions"]):
        sel = plan.assignment == j
        assert g["requirement"] == pytest.approx(a.requirement[sel].sum())
        assert g["shortfall"] == pytest.approx((a.requirement - a.covered)[sel].sum(), abs=1e-6)


def test_import_a_project_switches_the_territory(client, tmp_path):
    from dayafter.io.project import write_project
    from dayafter.web.demo import grid_plans, grid_territory_with_geometry

    t = grid_territory_with_geometry(3, 4)
    path = tmp_path / "small.gpkg"
    write_project(t, path, plans=list(grid_plans(t, 4).values()))
    r = client.post("/api/import/project", params={"filename": "small.gpkg"}, content=path.read_bytes())
    assert r.status_code == 200, r.text
    assert r.json()["n_units"] == 12
    assert client.get("/api/meta").json()["n_units"] == 12
    assert len(client.get("/api/units.geojson").json()["features"]) == 12
    assert sorted(p["name"] for p in client.get("/api/plans").json()) == ["halves", "stripes"]
    painted = client.post("/api/draft/paint", json={"region": 0, "units": [11]})
    assert painted.status_code == 200
    saved = client.post("/api/draft/save", json={"name": "on the small grid"})
    assert saved.status_code == 200
    bad = client.post("/api/import/project", params={"filename": "x.gpkg"}, content=b"not sqlite")
    assert bad.status_code == 422 and bad.json()["source"] == "x.gpkg"


def test_borders_are_the_graph_edges(client, workspace):
    gj = client.get("/api/borders.geojson").json()
    u, v, _ = workspace.territory.graph.edges()
    assert sorted((f["properties"]["u"], f["properties"]["v"]) for f in gj["features"]) == \
        sorted(zip(u.tolist(), v.tolist(), strict=True))
    assert all(f["geometry"]["type"] == "LineString" for f in gj["features"])  # squares share one side


def test_serving_a_project_geopackage(tmp_path):
    from dayafter.io.project import write_project
    from dayafter.web.demo import grid_plans, grid_territory_with_geometry

    t = grid_territory_with_geometry(4, 4, name="four by four")
    path = tmp_path / "proj.gpkg"
    write_project(t, path, plans=list(grid_plans(t, 4).values()))
    with TestClient(create_app(Settings(project=path)), headers={CSRF_HEADER: "1"}) as c:
        meta = c.get("/api/meta").json()
        assert meta["n_units"] == 16 and meta["title"] == "four by four"
        assert {p["name"]: p["kind"] for p in c.get("/api/plans").json()} == {"halves": "scenario",
                                                                              "stripes": "scenario"}
        c.post("/api/draft/save", json={"name": "mine"})
    assert (tmp_path / "proj.plans" / "mine.json").is_file()  # saved next to the project


@pytest.mark.slow
def test_settlement_panel_on_the_built_in_case(tmp_path):
    from dayafter.settle import claims_from_spec, settle, settlement_plan
    from dayafter.web.app import workspace_from_settings

    ws = workspace_from_settings(Settings(plans_dir=tmp_path))
    if ws.parties_spec is None:
        pytest.skip("the built-in case ships no parties")
    with TestClient(create_app(Settings(workspace=ws)), headers={CSRF_HEADER: "1"}) as c:
        info = c.get("/api/settle").json()
        assert info["available"] and "knaster" in info["methods"]
        shown = c.post("/api/draft/settle", json={"method": "knaster"}).json()
        assert shown["applied"] is False and c.get("/api/draft").json()["draft"]["undo"] == 0
        problem, auth, _ = claims_from_spec(ws.territory, ws.parties_spec)
        direct = settle(problem, "knaster")
        assert shown["settlement"]["transfers"] == pytest.approx(dict(zip(problem.parties, direct.transfers.tolist(),
                                                                          strict=True)))
        expected = settlement_plan(ws.draft.plan, ws.territory, direct, authorities=auth)
        applied = c.post("/api/draft/settle", json={"method": "knaster", "apply": True}).json()
        assert applied["draft"]["undo"] == 1
        assert c.get("/api/draft").json()["draft"]["assignment"] == expected.assignment.tolist()
        c.post("/api/draft/undo")
        assert c.get("/api/draft").json()["draft"]["assignment"] == ws.plan(ws.reference).assignment.tolist()
        assert c.post("/api/draft/settle", json={"method": "nope"}).status_code == 422


def test_settlement_is_unavailable_without_parties(client):
    assert client.get("/api/settle").json()["available"] is False
    assert client.post("/api/draft/settle", json={"method": "knaster"}).status_code == 422


def test_openapi_lists_the_routes_and_no_cdn_page(client):
    spec = client.get("/api/openapi.json").json()
    for path in ("/api/draft/paint", "/api/plans", "/api/compare", "/api/jobs/{job_id}/events",
                 "/api/export/plan", "/api/import/plan"):
        assert path in spec["paths"]
    assert client.get("/api/docs").status_code == 404


def test_import_a_units_layer_as_a_territory(client, tmp_path):
    import geopandas as gpd
    import shapely

    from dayafter.geo.build import build_territory

    # a 3x3 grid of squares with two communities in two censuses, as a GIS user would have it
    boxes = [shapely.box(44 + 0.1 * c, 36 + 0.1 * r, 44.1 + 0.1 * c, 36.1 + 0.1 * r) for r in range(3) for c in range(3)]
    gdf = gpd.GeoDataFrame({"code": [f"U{i}" for i in range(9)], "gov": ["A"] * 5 + ["B"] * 4,
                            "name_en": [f"Unit {i}" for i in range(9)],
                            "kurd_2014": [100.0 * (i + 1) for i in range(9)], "arab_2014": [50.0] * 9,
                            "kurd_2023": [90.0 * (i + 1) for i in range(9)], "arab_2023": [60.0] * 9},
                           geometry=boxes, crs=4326)
    path = tmp_path / "units.geojson"
    gdf.to_file(path, driver="GeoJSON")
    r = client.post("/api/import/territory", content=path.read_bytes(), params={
        "filename": "units.geojson", "id_col": "code", "communities": "kurd,arab",
        "censuses": "baseline={}_2014; current={}_2023", "admin": "gov", "labels": "name_en"})
    assert r.status_code == 200, r.text
    meta = client.get("/api/meta").json()
    assert meta["n_units"] == 9 and meta["censuses"] == ["baseline", "current"]
    assert meta["admin_levels"] == ["gov"] and [c["key"] for c in meta["communities"]] == ["kurd", "arab"]
    # the same territory built directly: same content hash, so plans made on either attach to both
    direct = build_territory(gdf, id_col="code", censuses={
        "baseline": {"kurd": "kurd_2014", "arab": "arab_2014"}, "current": {"kurd": "kurd_2023", "arab": "arab_2023"}},
        admin_cols=["gov"], label_cols=["name_en"])
    assert client.app.state.workspace.territory.content_hash == direct.content_hash
    assert client.post("/api/draft/paint", json={"region": 0, "units": list(range(9))}).status_code == 200
    bad = client.post("/api/import/territory", content=path.read_bytes(), params={
        "filename": "units.geojson", "id_col": "nope", "communities": "kurd,arab"})
    assert bad.status_code == 422 and bad.json()["source"] == "units.geojson"
    spec = client.post("/api/import/territory", content=path.read_bytes(), params={
        "filename": "units.geojson", "id_col": "code", "communities": "kurd", "censuses": "baseline"})
    assert spec.status_code == 422 and "TEMPLATE" in spec.json()["message"]
