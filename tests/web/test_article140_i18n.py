"""Every key the Article 140 panel can receive from the server has a message in every catalogue.

The keys are enumerated from the engines (step kinds, statuses, reasons, sequence metrics,
effects, referendum options, the built-in case's settlements and their preconditions), and a run
of each settlement through the web app checks that the server sends no key outside them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

LOCALES = Path(__file__).resolve().parents[2] / "web" / "src" / "locales"
CODES = ("en", "ar", "ckb")


@pytest.fixture(scope="module")
def catalogues() -> dict[str, dict[str, Any]]:
    return {c: json.loads((LOCALES / f"{c}.json").read_text(encoding="utf-8")) for c in CODES}


def engine_keys() -> set[str]:
    """The ``a140.*`` keys the server can send, from the engines and the built-in case."""
    from dayafter import cases
    from dayafter.criteria import Criterion
    from dayafter.referendum import OPTIONS
    from dayafter.referendum.simulate import NO_DECISION
    from dayafter.sequence import SEQUENCE_METRICS, STEP_KINDS, SequenceInputs, case_settlements
    from dayafter.sequence.run import (
        CENSUS_OF_RECORD,
        EFFECTS,
        NORMALISED,
        PLAN_TEXTS,
        REASONS,
        STATUS_KEYS,
    )

    case = cases.load("northern-iraq")
    criteria = {c.name: c for c in case.criteria}
    keys = {"tie_rule"}
    keys |= {f"step.{k}" for k in STEP_KINDS}  # the key of a step without a name
    keys |= {f"status.{k}" for k in STATUS_KEYS.values()}
    keys |= {f"reason.{k}" for k in REASONS}
    keys |= {f"metric.{m}" for m in SEQUENCE_METRICS}
    keys |= {f"effect.{k}" for k in EFFECTS}
    keys |= set(PLAN_TEXTS)
    keys |= {"level.unit", "level.scope"}  # the admin levels are the general admin.* messages
    keys |= {f"option.{o}" for o in (*OPTIONS, NO_DECISION)}
    fields = SequenceInputs.__dataclass_fields__
    keys |= {f"census.{c}" for c in (NORMALISED, CENSUS_OF_RECORD, fields["baseline"].default,
                                     fields["current"].default)}
    settlements = case_settlements()
    assert settlements
    for s in settlements.values():
        assert s.key, f"the case's settlement {s.name!r} has no key"
        keys.add(f"settlement.{s.key}")
        for step in s.steps:
            assert step.key, f"step {step.name!r} of {s.name!r} has no key"
            keys.add(f"step.{step.key}")
            if step.kind == "census":
                keys.add(f"census.{step.params.get('census', CENSUS_OF_RECORD)}")

            for pre in step.preconditions:
                crit = pre if isinstance(pre, Criterion) else criteria[pre]
                keys |= {f"criterion.{crit.name}", f"metric.{crit.metric}"}
    return {f"a140.{k}" for k in keys}


def test_every_engine_key_is_in_every_catalogue(catalogues):
    keys = engine_keys()
    assert len(keys) > 60
    for code, cat in catalogues.items():
        missing = sorted(k for k in keys if k not in cat)
        assert not missing, f"{code}.json lacks {missing}"


def test_every_referendum_level_of_the_case_has_a_name(catalogues):
    """A referendum votes by unit, by scope or by an admin level (``admin.<level>``)."""
    from dayafter import cases
    from dayafter.sequence import case_settlements

    admin = set(cases.load("northern-iraq").territory.admin)
    levels = {str(st.params.get("level", "district")) for s in case_settlements().values()
              for st in s.steps if st.kind == "referendum"}
    assert levels and levels <= admin | {"unit", "scope"}
    for cat in catalogues.values():
        assert all(f"admin.{a}" in cat for a in admin)
        assert all(f"a140.level.{x}" in cat for x in ("unit", "scope"))


def test_the_catalogues_agree_on_placeholders_and_translate(catalogues):
    """Arabic and Sorani use the placeholders of the English, and are not the English."""
    names = re.compile(r"\{(\w+)\}")
    for key in engine_keys():
        en = catalogues["en"][key]
        for code in ("ar", "ckb"):
            assert set(names.findall(catalogues[code][key])) == set(names.findall(en)), (code, key)
            if re.search(r"[a-z]{3,}", names.sub("", en)):
                assert catalogues[code][key] != en, (code, key)
                assert not re.search(r"[A-Za-z]{3,}", names.sub("", catalogues[code][key])), (code, key)


def _sent_keys(obj: Any, out: set[str]) -> set[str]:
    """The keys of every ``*_i18n`` object in a JSON answer."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k.endswith("_i18n") and isinstance(v, dict):
                out.add(v["key"])
            else:
                _sent_keys(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _sent_keys(v, out)
    return out


def test_the_server_sends_only_enumerated_keys(case_client):
    """A run of each settlement from the draft: every key sent is enumerated (and so in the
    catalogues), every step effect is a documented one, and the English stays next to each key."""
    from dayafter.sequence.run import EFFECTS, PLAN_TEXTS

    client = case_client
    keys = engine_keys()
    info = client.get("/api/article140").json()
    sent = _sent_keys(info, set())
    assert all(s["title"] and s["title_i18n"]["key"] for s in info["settlements"])
    for s in info["settlements"]:
        got = client.get("/api/draft/article140", params={"settlement": s["name"], "draws": 10}).json()
        sent |= _sent_keys(got, set())
        for o in got["timeline"]:
            assert set(o["effects"]) <= set(EFFECTS), o["effects"].keys()
            assert o["name"] and o["status"] and "name_i18n" in o and "status_i18n" in o
            for p in o["preconditions"]:
                assert p["passed"] or (p["reason"] and "reason_i18n" in p)
        ref = got["referendum"]
        assert ref["tie_rule"].startswith("Options with equal votes")
        assert ref["tie_rule_i18n"]["args"]["order"] == ref["options"]
        # the plan the referendum made: its English name is the template's
        plan = got["plan_i18n"]
        assert PLAN_TEXTS[plan["key"]].format(**plan["args"]) == got["plan"]
    assert {"tie_rule", "status.done", "reason.bounds", "reason.criterion"} <= sent
    assert {f"a140.{k}" for k in sent} <= keys, sorted({f"a140.{k}" for k in sent} - keys)


@pytest.fixture(scope="module")
def case_client(tmp_path_factory):
    from fastapi.testclient import TestClient

    from dayafter.project import Project
    from dayafter.web import Settings, create_app
    from dayafter.web.security import CSRF_HEADER
    from dayafter.web.workspace import Workspace

    ws = Workspace.from_project(Project.from_case("northern-iraq"),
                                plans_dir=tmp_path_factory.mktemp("plans"))
    with TestClient(create_app(Settings(workspace=ws)), headers={CSRF_HEADER: "1"}) as c:
        yield c
