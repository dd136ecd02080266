"""dayafter.project.Project: one context for the CLI, the web app and the report."""

from __future__ import annotations

import json

import pytest

from dayafter.errors import InputDataError
from dayafter.project import DEFAULT_CASE, Project, council_rules_from_file


def test_from_case_holds_the_case(iraq):
    p = Project.from_case()
    assert p.name == DEFAULT_CASE == iraq.name and p.case == DEFAULT_CASE and p.path is None
    assert p.territory is iraq.territory and list(p.plans) == list(iraq.plans)
    assert p.reference == iraq.reference and p.reference_plan is iraq.reference_plan
    assert list(p.criteria) == list(iraq.criteria)
    assert {k: p.community_label(k) for k in iraq.territory.communities} == {
        k: iraq.community_label(k) for k in iraq.territory.communities}
    assert Project.from_case(DEFAULT_CASE) is p  # loaded once
    with pytest.raises(InputDataError, match="unknown case"):
        Project.from_case("atlantis")


def test_engine_data_comes_from_the_case_files(iraq):
    from dayafter.cases.northern_iraq.councils import provincial_rules_2023
    from dayafter.security import load_force_catalog

    p = Project.from_case()
    assert p.council_rules == provincial_rules_2023()  # the generic reader agrees with the case's own
    forces = p.data_file("security", "forces.json")
    assert forces is not None and p.force_catalog == load_force_catalog(forces)
    spec = json.loads(p.data_file("settle", "parties.json").read_text(encoding="utf-8"))
    assert p.parties_spec == spec
    assert p.data_file("no", "such.json") is None
    with pytest.raises(InputDataError, match="--thing"):
        p.require_data_file("no", "such.json", option="--thing")


def test_resolve_plan_by_name_file_or_error(iraq, tmp_path):
    from dayafter.io.plans import write_plan

    p = Project.from_case()
    name = iraq.reference
    assert p.resolve_plan(name) is iraq.plans[name]
    f = tmp_path / "x.json"
    write_plan(iraq.plans[name].renamed("from a file"), iraq.territory, f)
    assert p.resolve_plan(str(f)).name == "from a file"
    with pytest.raises(InputDataError) as err:
        p.resolve_plan("no-such-plan")
    assert name in err.value.hint


def test_from_gpkg_and_open(grid_territory, tmp_path):
    import numpy as np

    from dayafter.io.project import write_project
    from dayafter.plan import Plan, Region

    plan = Plan(np.repeat([0, 1], 8), (Region("W", "a"), Region("E", "b")),
                grid_territory.content_hash, name="halves")
    path = tmp_path / "p.gpkg"
    write_project(grid_territory, path, plans=[plan])
    p = Project.from_gpkg(path)
    assert p.case is None and p.path == path.resolve() and p.reference_plan is None
    assert p.territory.content_hash == grid_territory.content_hash
    assert p.resolve_plan("halves").assignment.tolist() == plan.assignment.tolist()
    assert p.council_rules is None and p.force_catalog is None and p.parties_spec is None
    assert Project.open(None, path) is p and Project.open(None, None) is Project.from_case()
    with pytest.raises(InputDataError, match="saved in the project"):
        p.resolve_plan("nope")
    with pytest.raises(InputDataError, match="file not found"):
        Project.from_gpkg(tmp_path / "missing.gpkg")


def test_council_rules_file_without_admin_tables(tmp_path):
    f = tmp_path / "rules.json"
    f.write_text(json.dumps({"method": "dhondt", "size": 9, "name": "x",
                             "voting": {"turnout": 0.5}}), encoding="utf-8")
    r = council_rules_from_file(f)
    assert (r.method, r.first_divisor, r.admin, r.size, r.voting.turnout, r.name) == (
        "dhondt", None, None, 9, 0.5, "x")
    f.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputDataError, match="line 1"):
        council_rules_from_file(f)
