"""Place search (gazetteer with normalised matching) and the map's offline reference layers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from dayafter.web import Settings, create_app
from dayafter.web.demo import grid_workspace
from dayafter.web.gazetteer import Gazetteer, normalize, skeleton


@pytest.fixture(scope="module")
def iraq():
    import dayafter as da

    t = da.cases.load("northern-iraq").territory
    return t, Gazetteer(t)


def _unit(t, name_en):
    i = np.flatnonzero(np.asarray(t.labels["name_en"]).astype(str) == name_en)
    assert len(i) == 1, name_en
    return int(i[0])


# each spelling of the brief, and the place it must find first (a unit named in the OCHA layer)
SPELLINGS = [
    ("Tal Afar", "Markaz Telafar"), ("Telafar", "Markaz Telafar"), ("Tall Afar", "Markaz Telafar"),
    ("Tel Afar", "Markaz Telafar"), ("Tal-Afar", "Markaz Telafar"), ("tal afar", "Markaz Telafar"),
    ("تلعفر", "Markaz Telafar"), ("تل عفر", "Markaz Telafar"), ("تَلْعَفَر", "Markaz Telafar"),
    ("تەلەعفەر", "Markaz Telafar"),
    ("Qaraqosh", "Markaz Al-Hamdaniya"), ("Qara Qosh", "Markaz Al-Hamdaniya"),
    ("Bakhdida", "Markaz Al-Hamdaniya"), ("Baghdeda", "Markaz Al-Hamdaniya"),
    ("Hamdaniya", "Markaz Al-Hamdaniya"), ("Al-Hamdaniya", "Markaz Al-Hamdaniya"),
    ("بخديدا", "Markaz Al-Hamdaniya"), ("قره قوش", "Markaz Al-Hamdaniya"), ("الحمدانية", "Markaz Al-Hamdaniya"),
    ("Sinjar", "Markaz Sinjar"), ("Shingal", "Markaz Sinjar"), ("Shengal", "Markaz Sinjar"),
    ("Şengal", "Markaz Sinjar"), ("سنجار", "Markaz Sinjar"), ("شنگال", "Markaz Sinjar"),
    ("شەنگال", "Markaz Sinjar"), ("شنكال", "Markaz Sinjar"),
    ("Qahtaniya", "Al-Qahtanya"), ("Qahtaniyah", "Al-Qahtanya"), ("Al-Qahtanya", "Al-Qahtanya"),
    ("القحطانية", "Al-Qahtanya"), ("القحطانيه", "Al-Qahtanya"),
    ("Bashiqa", "Bashiqa"), ("Bashika", "Bashiqa"), ("Ba'shiqa", "Bashiqa"), ("بعشيقة", "Bashiqa"),
    ("Erbil", "Markaz Erbil"), ("Irbil", "Markaz Erbil"), ("Hawler", "Markaz Erbil"), ("هەولێر", "Markaz Erbil"),
]


@pytest.mark.parametrize(("query", "place"), SPELLINGS)
def test_every_spelling_finds_its_place_first(iraq, query, place):
    t, g = iraq
    res = g.search(query, 5)
    assert res, query
    assert res[0]["kind"] == "unit" and res[0]["units"] == [_unit(t, place)], (query, res[:2])


def test_a_district_result_lists_its_units(iraq):
    t, g = iraq
    res = [r for r in g.search("Shingal") if r["kind"] == "district"]
    assert len(res) == 1
    want = np.flatnonzero(np.asarray(t.admin["district"]) == res[0]["key"]).tolist()
    assert res[0]["units"] == want and _unit(t, "Markaz Sinjar") in want


def test_normalisation_folds_the_variants_and_nothing_else():
    # Arabic-script letter variants
    assert normalize("إربيل") == normalize("اربيل") == normalize("أربيل")
    assert normalize("القحطانية") == normalize("القحطانيه")
    assert normalize("كركوك") == normalize("کەرکووک".replace("وو", "و"))
    assert normalize("مَوْصِل") == normalize("موصل")
    # Latin
    assert normalize("Şengal") == normalize("Shengal".replace("Sh", "S")) == "sengal"
    assert normalize("Al-Mosul") == normalize("Mosul") == normalize("el Mosul")
    assert normalize("Markaz Kirkuk") == normalize("Kirkuk")
    assert skeleton("Bashika") == skeleton("Bashiqa") and skeleton("Makhmour") == skeleton("Makhmur")
    # different places stay apart
    assert normalize("Sinjar") != normalize("Shingal") and skeleton("Kirkuk") != skeleton("Kifri")
    assert normalize("Erbil") != normalize("Aqra")


def test_unknown_or_too_short_queries_find_nothing(iraq):
    _t, g = iraq
    assert g.search("x") == [] and g.search("Zzyzx") == [] and g.search("  ") == []


def test_search_endpoint_and_aliases_of_missing_places_are_ignored(tmp_path):
    ws = grid_workspace(4, 4, plans_dir=tmp_path / "plans")
    c = TestClient(create_app(Settings(workspace=ws)))
    t = ws.territory
    name = str(t.labels["name_en"][5])
    r = c.get("/api/search", params={"q": name}).json()
    assert r["results"][0]["units"] == [5]
    # the package's aliases name places of the built-in case only: none applies to the grid
    g = Gazetteer(t)
    assert not any(e.alias for e in g.entries)
    assert c.get("/api/search", params={"q": "Tal Afar"}).json()["results"] == []
    assert c.get("/api/search", params={"q": "a" * 101}).status_code == 422


def test_reference_layers_are_served_with_their_licence():
    from importlib import resources

    ref = resources.files("dayafter.web") / "reference"
    readme = (ref / "README.md").read_text(encoding="utf-8")
    assert "public domain" in readme and "natural-earth-vector" in readme
    for layer in ("rivers", "lakes", "places", "boundaries"):
        d = json.loads((ref / f"{layer}.geojson").read_text(encoding="utf-8"))
        assert d["type"] == "FeatureCollection" and d["features"]
        for f in d["features"]:
            xs = np.asarray(_coords(f["geometry"]))
            assert xs[:, 0].min() >= 41.0 - 1e-9 and xs[:, 0].max() <= 46.5 + 1e-9
            assert xs[:, 1].min() >= 33.0 - 1e-9 and xs[:, 1].max() <= 37.5 + 1e-9


def test_reference_endpoint_applies_only_to_territories_in_the_box(tmp_path):
    from dayafter.project import Project
    from dayafter.web.workspace import Workspace

    ws = Workspace.from_project(Project.from_case("northern-iraq"), plans_dir=tmp_path / "p")
    c = TestClient(create_app(Settings(workspace=ws)))
    got = c.get("/api/reference").json()
    assert got["layers"] == ["rivers", "lakes", "places", "boundaries"] and "Natural Earth" in got["attribution"]
    rivers = c.get("/api/reference/rivers.geojson")
    assert rivers.status_code == 200 and "Tigris" in rivers.text
    assert c.get("/api/reference/secrets.geojson").status_code == 422


def _coords(g):
    if g["type"] == "Point":
        return [g["coordinates"]]
    if g["type"] in ("LineString", "MultiPoint"):
        return g["coordinates"]
    if g["type"] in ("Polygon", "MultiLineString"):
        return [p for ring in g["coordinates"] for p in ring]
    return [p for poly in g["coordinates"] for ring in poly for p in ring]
