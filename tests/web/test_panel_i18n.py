"""The names the engine panels show (criteria, metrics, forces, settlement methods and parties,
communities, the councils' default rules) have a message in every catalogue, for the built-in
case; names the catalogues lack fall back to the server's text on the page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

LOCALES = Path(__file__).resolve().parents[2] / "web" / "src" / "locales"


@pytest.fixture(scope="module")
def catalogues():
    return {c: json.loads((LOCALES / f"{c}.json").read_text(encoding="utf-8")) for c in ("en", "ar", "ckb")}


def case_keys() -> set[str]:
    """Catalogue keys of the names the built-in case sends to the engine panels."""
    from dayafter.project import Project
    from dayafter.settle import METHODS

    project = Project.from_case("northern-iraq")
    assert project.force_catalog is not None and project.parties_spec is not None
    keys = {"councils.no_rules", "councils.rules_default"}
    keys |= {f"settle.method.{m}" for m in METHODS}
    keys |= {f"settle.party.{p['name']}" for p in project.parties_spec["parties"]}
    keys |= {f"community.{c}" for c in project.community_labels}
    keys |= {f"security.force_name.{f.key}" for f in project.force_catalog.forces}
    for c in project.criteria:
        keys |= {f"criterion.{c.name}", f"metric.{c.metric}"}
    return keys


def test_the_case_names_are_in_every_catalogue(catalogues):
    keys = case_keys()
    assert {k.split(".")[0] for k in keys} >= {"settle", "security", "criterion", "community", "metric"}
    assert any(k.startswith("settle.party.") for k in keys)
    names = re.compile(r"\{(\w+)\}")
    for code, cat in catalogues.items():
        missing = sorted(k for k in keys if k not in cat)
        assert not missing, f"{code}.json lacks {missing}"
        for k in keys:
            assert set(names.findall(cat[k])) == set(names.findall(catalogues["en"][k])), (code, k)
