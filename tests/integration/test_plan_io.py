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


@pytest.fixture
def controlled(plan):
    """The test plan with a control layer: units 0-1 krg-held inside North, unit 8 joint."""
    return plan.with_control([0, 1], "krg").with_control([8], "joint")


@pytest.mark.parametrize("suffix", [".csv", ".psv"])
def test_csv_round_trip_assignment(tmp_path, grid_territory, plan, suffix):
    path = tmp_path / f"p{suffix}"
    write_plan(plan, grid_territory, path)
    text = path.read_text()
    s = "|" if suffix == ".psv" else ","
    assert text.splitlines()[0] == s.join(["unit_id", "region", "region_name", "authority", "status",
                                           "control"])
    back = read_plan(path, grid_territory, regions=plan.regions)
    assert np.array_equal(back.assignment, plan.assignment)
    assert back.regions == plan.regions
    # names and authorities travel with the file: no regions argument needed (issue 19)
    back = read_plan(path, grid_territory)
    assert back.regions == plan.regions and np.array_equal(back.assignment, plan.assignment)
    assert np.array_equal(back.authority_of_units(), plan.authority_of_units())


@pytest.mark.parametrize("suffix", [".json", ".csv", ".psv", ".gpkg"])
def test_control_layer_round_trips_in_every_format(tmp_path, grid_territory, controlled, suffix):
    t = grid_territory
    path = tmp_path / f"p{suffix}"
    if suffix == ".gpkg":
        write_project(t, path, plans=[controlled])
    else:
        write_plan(controlled, t, path)
    back = read_plan(path, t)
    assert back.control_of_units().tolist() == controlled.control_of_units().tolist()
    assert back._stated_control().tolist() == controlled._stated_control().tolist()
    assert back.regions == controlled.regions
    if suffix in (".json", ".gpkg"):
        assert back == controlled
    ctl = back.control_of_units()
    assert ctl[0] == "krg" and ctl[8] == "joint" and ctl[4] == "federal"  # unit 4 follows North


def test_version_1_json_is_read_and_control_follows_the_polities(tmp_path, grid_territory, plan,
                                                                  controlled):
    from dayafter.io.plans import plan_to_dict

    t = grid_territory
    data = plan_to_dict(controlled, t)
    assert data["version"] == 2 and data["control"] == {t.unit_ids[0]: "krg", t.unit_ids[1]: "krg",
                                                         t.unit_ids[8]: "joint"}
    old = {k: v for k, v in data.items() if k != "control"}
    old["version"] = 1
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(old))
    back = read_plan(path, t)
    assert back == plan and not back.has_control
    assert back.control_of_units().tolist() == [
        {"federal": "federal", "krg": "krg", "self-administered": "self-administered", "": ""}[x]
        for x in plan.authority_of_units().tolist()]


def test_control_errors_name_the_units(tmp_path, grid_territory, controlled):
    from dayafter.io.plans import plan_to_dict

    t = grid_territory
    data = plan_to_dict(controlled, t)
    path = tmp_path / "p.json"
    path.write_text(json.dumps({**data, "control": {"NOPE": "krg"}}))
    with pytest.raises(InputDataError, match="NOPE"):
        read_plan(path, t)
    path.write_text(json.dumps({**data, "control": {t.unit_ids[0]: 3}}))
    with pytest.raises(InputDataError, match=str(t.unit_ids[0])):
        read_plan(path, t)
    path.write_text(json.dumps({**data, "control": ["krg"]}))
    with pytest.raises(InputDataError, match="'control' must map"):
        read_plan(path, t)


def test_csv_regions_must_agree_on_their_attributes(tmp_path, grid_territory):
    ids = grid_territory.unit_ids.tolist()
    path = tmp_path / "a.csv"
    rows = [f"{u},1,North,federal,,krg" for u in ids[:8]] + [f"{u},2,South,krg,,"
                                                            for u in ids[8:]]
    path.write_text("unit_id,region,region_name,authority,status,control\n" + "\n".join(rows))
    p = read_plan(path, grid_territory)
    assert p.regions == (Region("North", "federal"), Region("South", "krg"))
    assert p.control_of_units().tolist() == ["krg"] * 8 + ["krg"] * 8
    assert p._stated_control().tolist() == ["krg"] * 8 + [None] * 8
    rows[3] = f"{ids[3]},1,North,krg,,"
    path.write_text("unit_id,region,region_name,authority,status,control\n" + "\n".join(rows))
    with pytest.raises(InputDataError, match="rows 2 and 5 give region 1 different"):
        read_plan(path, grid_territory)
    path.write_text("unit_id,region,colour\n" + "\n".join(f"{u},1,red" for u in ids))
    with pytest.raises(InputDataError, match="unknown columns"):
        read_plan(path, grid_territory)


def test_csv_by_name_with_authority_and_control(tmp_path, grid_territory):
    ids = grid_territory.unit_ids.tolist()
    path = tmp_path / "a.csv"
    path.write_text("unit_id,region,authority,control\n" + "\n".join(
        f"{u},{'Sinjar' if i < 8 else 'Plains'},{'federal' if i < 8 else 'self-administered'},"
        f"{'krg' if i == 0 else ''}" for i, u in enumerate(ids)))
    p = read_plan(path, grid_territory)
    assert [(r.name, r.authority) for r in p.regions] == [("Sinjar", "federal"),
                                                          ("Plains", "self-administered")]
    assert p.control_of_units()[:2].tolist() == ["krg", "federal"]


def test_csv_numbers_and_names_forms_stay_available(tmp_path, grid_territory, plan):
    from dayafter.io.plans import write_assignment_csv

    path = tmp_path / "n.csv"
    write_assignment_csv(plan, grid_territory, path, labels="numbers")
    assert path.read_text().splitlines()[:2] == ["unit_id,region", f"{grid_territory.unit_ids[0]},1"]
    write_assignment_csv(plan, grid_territory, path, labels="names")
    assert path.read_text().splitlines()[1] == f"{grid_territory.unit_ids[0]},North"


def test_old_project_without_control_column_is_read_and_upgraded(tmp_path, grid_territory, plan,
                                                                 controlled):
    import sqlite3

    path = tmp_path / "project.gpkg"
    write_project(grid_territory, path, plans=[plan])
    con = sqlite3.connect(path)
    con.execute("ALTER TABLE plan_assignments DROP COLUMN control")
    con.commit()
    con.close()
    assert read_plans_gpkg(path, grid_territory)["p1"] == plan
    write_plans_gpkg([controlled.renamed("p2")], grid_territory, path)
    stored = read_plans_gpkg(path, grid_territory)
    assert stored["p1"] == plan and stored["p2"] == controlled.renamed("p2")


def test_districtr_control_extension(tmp_path, grid_territory):
    ids = grid_territory.unit_ids.tolist()
    data = {"assignment": {u: i % 2 for i, u in enumerate(ids)},
            "parts": [{"id": 0, "name": "A", "authority": "federal"}, {"id": 1, "name": "B"}],
            "control": {ids[1]: "contested"}}
    path = tmp_path / "d.json"
    path.write_text(json.dumps(data))
    p = read_plan(path, grid_territory)
    assert p.regions[0] == Region("A", "federal") and p.control_of_units()[:3].tolist() == [
        "federal", "contested", "federal"]


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
    with pytest.raises(InputDataError, match="not valid JSON: syntax error at line 1"):
        read_plan(path, grid_territory)
    path.write_text(json.dumps({"format": "dayafter.plan", "version": 1, "regions": [{"name": "A"}],
                                "assignment": {"C0000": "B"}}))
    with pytest.raises(InputDataError, match="regions the plan does not define"):
        read_plan(path, grid_territory)
