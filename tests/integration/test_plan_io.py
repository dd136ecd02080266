"""Plan files: round trips, imports, and the errors for unknown, missing and duplicate units."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from dayafter.errors import DataQualityWarning, InputDataError, PlanMismatchError
from dayafter.io import read_plan, read_project, write_plan, write_project
from dayafter.io.plans import read_plans_gpkg, write_plans_gpkg
from dayafter.plan import Plan, Region


@pytest.fixture
def plan(grid_territory):
    t = grid_territory
    a = np.array([0, 0, 1, 1] * 2 + [2, 2, 1, 1] * 2)
    a[5] = -1
    return Plan(a, (Region("North", "federal", "governorate"), Region("East", "krg", "region"),
                    Region("South", "self-administered", "province")), t.content_hash,
                name="p1", notes="test plan", meta={"title": "A plan", "sources": ["PS1"]})


def test_json_round_trip(tmp_path, grid_territory, plan):
    path = tmp_path / "p.json"
    write_plan(plan, grid_territory, path)
    assert read_plan(path, grid_territory) == plan
    data = json.loads(path.read_text())
    assert data["assignment"]["C0000"] == "North" and data["assignment"]["C0101"] is None


@pytest.mark.parametrize("suffix", [".csv", ".psv"])
def test_csv_round_trip_assignment(tmp_path, grid_territory, plan, suffix):
    path = tmp_path / f"p{suffix}"
    write_plan(plan, grid_territory, path)
    text = path.read_text()
    assert text.splitlines()[0] == ("unit_id|region" if suffix == ".psv" else "unit_id,region")
    back = read_plan(path, grid_territory, regions=plan.regions)
    assert np.array_equal(back.assignment, plan.assignment)
    assert back.regions == plan.regions


def test_csv_conventions_for_unassigned(tmp_path, grid_territory):
    ids = grid_territory.unit_ids.tolist()
    rows = [f"{u},{v}" for u, v in zip(ids, ["1", "0", "-1", ""] * 4, strict=True)]
    path = tmp_path / "a.csv"
    path.write_text("\n".join(rows) + "\n")
    p = read_plan(path, grid_territory)
    assert p.k == 1
    assert (p.assignment == 0).sum() == 4 and (p.assignment == -1).sum() == 12


def test_csv_region_names(tmp_path, grid_territory):
    ids = grid_territory.unit_ids.tolist()
    path = tmp_path / "a.csv"
    path.write_text("id|region\n" + "\n".join(f"{u}|{'Sinjar' if i < 8 else 'Plains'}" for i, u in enumerate(ids)))
    p = read_plan(path, grid_territory)
    assert p.region_names == ["Sinjar", "Plains"]
    assert p.is_complete


def test_unknown_ids_are_an_error_and_missing_ones_a_warning(tmp_path, grid_territory):
    ids = grid_territory.unit_ids.tolist()
    path = tmp_path / "a.csv"
    path.write_text("unit_id,region\n" + "\n".join(f"{u},1" for u in ids[:10]) + "\nNOPE,1\n")
    with pytest.raises(InputDataError, match="'NOPE'") as exc:
        read_plan(path, grid_territory)
    assert str(path) in str(exc.value)
    path.write_text("unit_id,region\n" + "\n".join(f"{u},1" for u in ids[:10]))
    with pytest.warns(DataQualityWarning, match="6 units of the territory are not in the plan file"):
        p = read_plan(path, grid_territory)
    assert (p.assignment == -1).sum() == 6
    with pytest.raises(InputDataError, match="not assigned"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        read_plan(path, grid_territory, require_complete=True)


def test_duplicate_units_rejected(tmp_path, grid_territory):
    ids = grid_territory.unit_ids.tolist()
    path = tmp_path / "a.csv"
    path.write_text("\n".join(f"{u},1" for u in ids) + f"\n{ids[0]},2\n")
    with pytest.raises(InputDataError, match="more than once"):
        read_plan(path, grid_territory)


def test_districtr_import(tmp_path, grid_territory):
    ids = grid_territory.unit_ids.tolist()
    data = {"id": "abc", "assignment": {u: ([0] if i % 2 else 1) for i, u in enumerate(ids)},
            "parts": [{"id": 0, "name": "District 1"}, {"id": 1, "name": "District 2"}],
            "problem": {"numberOfParts": 3, "name": "test"}, "placeId": "grid"}
    path = tmp_path / "districtr.json"
    path.write_text(json.dumps(data))
    p = read_plan(path, grid_territory)
    assert p.k == 3 and p.region_names[:2] == ["District 1", "District 2"]
    assert p.assignment.tolist()[:4] == [1, 0, 1, 0]
    data["assignment"][ids[0]] = [0, 1]
    path.write_text(json.dumps(data))
    with pytest.raises(InputDataError, match="several districts"):
        read_plan(path, grid_territory)


def test_hash_mismatch_refused(tmp_path, grid_territory, plan, make_grid):
    from dayafter.geo import build_territory

    path = tmp_path / "p.json"
    write_plan(plan, grid_territory, path)
    g = make_grid(4, 4, seed=9)
    other = build_territory(g, id_col="uid", censuses={"now": {"a": "c0", "b": "c1", "c": "c2"}})
    with pytest.raises(PlanMismatchError, match="other territory data"):
        read_plan(path, other)
    assert read_plan(path, other, rebind=True).territory_hash == other.content_hash
    with pytest.raises(PlanMismatchError):
        plan.check_territory(other)


def test_project_gpkg_round_trip(tmp_path, grid_territory, plan):
    path = tmp_path / "project.gpkg"
    write_project(grid_territory, path, plans=[plan])
    proj = read_project(path)
    assert proj.territory.content_hash == grid_territory.content_hash
    assert proj.plans["p1"] == plan
    other = plan.with_moves([0, 1], 2).renamed("p2")
    write_plans_gpkg([other], grid_territory, path)
    stored = read_plans_gpkg(path, grid_territory)
    assert set(stored) == {"p1", "p2"} and stored["p2"] == other
    assert read_plan(path, grid_territory, name="p2") == other


def test_failed_gpkg_write_changes_nothing(tmp_path, grid_territory, plan):
    path = tmp_path / "project.gpkg"
    write_project(grid_territory, path, plans=[plan])
    before = read_plans_gpkg(path, grid_territory)
    bad = Plan(plan.assignment, plan.regions, "0" * 64, name="bad")
    with pytest.raises(PlanMismatchError):
        write_plans_gpkg([plan.renamed("p3"), bad], grid_territory, path)
    assert read_plans_gpkg(path, grid_territory) == before


def test_bad_json(tmp_path, grid_territory):
    path = tmp_path / "x.json"
    path.write_text('{"format": "dayafter.plan", "version": 1, ')
    with pytest.raises(InputDataError, match="invalid JSON at line 1"):
        read_plan(path, grid_territory)
    path.write_text(json.dumps({"format": "dayafter.plan", "version": 1, "regions": [{"name": "A"}],
                                "assignment": {"C0000": "B"}}))
    with pytest.raises(InputDataError, match="regions the plan does not define"):
        read_plan(path, grid_territory)
