"""Checks on the shipped census data of the built-in case ``northern-iraq``.

The files are read with the standard library only (no numba, no geopandas), so these tests are
fast. The last test reruns ``tools/build_northern_iraq.py`` into a temporary folder and compares
the output byte for byte; it is skipped when the shared input folder is absent.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CASE = REPO / "src" / "dayafter" / "cases" / "northern_iraq"
SHARED = REPO.parent / "shared"
ESTIMATES = SHARED / "data" / "iraq" / "estimates"
TOOL = REPO / "tools" / "build_northern_iraq.py"

COMMUNITIES = [
    "sunni_arab",
    "shia_arab",
    "kurd",
    "yazidi",
    "christian",
    "turkmen",
    "shabak",
    "kakai",
    "other",
]
CENSUSES = ("baseline", "current")
GOVERNORATES = {"IQG15", "IQG09", "IQG11", "IQG06", "IQG13", "IQG16", "IQG10"}
OUTPUTS = ("units.geojson", "census.csv", "provenance.csv", "communities.csv", "SOURCES.md")


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(CASE / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def units() -> dict:
    return json.loads((CASE / "units.geojson").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def census() -> dict[str, dict[str, dict[str, float]]]:
    out: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for row in _read_csv("census.csv"):
        out[row["census"]][row["unit_id"]] = {k: float(row[k]) for k in COMMUNITIES}
    return out


@pytest.fixture(scope="module")
def provenance() -> list[dict[str, str]]:
    return _read_csv("provenance.csv")


@pytest.fixture(scope="module")
def sources_md() -> str:
    return (CASE / "SOURCES.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def admin(units) -> dict[str, dict[str, str]]:
    return {f["properties"]["unit_id"]: f["properties"] for f in units["features"]}


def _share(census, cname: str, uid: str, keys: list[str]) -> float:
    row = census[cname][uid]
    return sum(row[k] for k in keys) / sum(row.values())


def _group_share(census, cname: str, uids: list[str], keys: list[str]) -> float:
    num = sum(census[cname][u][k] for u in uids for k in keys)
    den = sum(sum(census[cname][u].values()) for u in uids)
    return num / den


# ---------------------------------------------------------------------------------------------
# Files and their structure
# ---------------------------------------------------------------------------------------------
def test_files_exist() -> None:
    for name in OUTPUTS:
        assert (CASE / name).is_file(), name


def test_units_geojson(units) -> None:
    feats = units["features"]
    assert units["type"] == "FeatureCollection"
    ids = [f["properties"]["unit_id"] for f in feats]
    assert ids == sorted(ids)
    assert len(ids) == len(set(ids))
    assert 140 <= len(ids) <= 180
    expected = [
        "unit_id",
        "name_en",
        "name_ar",
        "district",
        "district_en",
        "district_ar",
        "governorate",
        "governorate_en",
        "governorate_ar",
    ]
    for f in feats:
        p = f["properties"]
        assert list(p) == expected
        assert p["governorate"] in GOVERNORATES
        assert p["unit_id"].startswith(p["district"]) and p["district"].startswith(p["governorate"])
        assert re.fullmatch(r"IQG\d\dQ\d\dN\d\d", p["unit_id"])
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert {f["properties"]["governorate"] for f in feats} == GOVERNORATES


def test_geometry_is_unchanged(units) -> None:
    src = SHARED / "data" / "iraq" / "irq_admbnda_adm3_cso_20190603.geojson"
    if not src.is_file():
        pytest.skip("shared COD-AB data not available")
    raw = json.loads(src.read_text(encoding="utf-8"))
    by_id = {f["properties"]["ADM3_PCODE"]: f for f in raw["features"]}
    wanted = {pc for pc, f in by_id.items() if f["properties"]["ADM1_PCODE"] in GOVERNORATES}
    got = {f["properties"]["unit_id"]: f for f in units["features"]}
    assert set(got) == wanted
    for uid, f in got.items():
        assert f["geometry"] == by_id[uid]["geometry"]
        assert f["properties"]["name_ar"] == by_id[uid]["properties"]["ADM3_AR"]


def test_census_complete_and_valid(census, admin) -> None:
    with open(CASE / "census.csv", newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header == ["census", "unit_id", *COMMUNITIES]
    assert set(census) == set(CENSUSES)
    for cname in CENSUSES:
        assert set(census[cname]) == set(admin), cname
        for uid, row in census[cname].items():
            for k, v in row.items():
                assert math.isfinite(v) and v >= 0, (cname, uid, k, v)
                assert v == round(v)
            assert sum(row.values()) > 0, (cname, uid)


def test_communities_csv() -> None:
    rows = _read_csv("communities.csv")
    assert [r["key"] for r in rows] == COMMUNITIES
    for r in rows:
        assert r["label_en"] and r["label_ar"] and r["description"]


# ---------------------------------------------------------------------------------------------
# Provenance
# ---------------------------------------------------------------------------------------------
def test_provenance_covers_every_value(census, provenance) -> None:
    seen = {}
    for r in provenance:
        key = (r["census"], r["unit_id"], r["field"])
        assert key not in seen, key
        seen[key] = r
    for cname, table in census.items():
        for uid, row in table.items():
            for k, v in row.items():
                assert float(seen[(cname, uid, k)]["value"]) == v
            assert float(seen[(cname, uid, "total")]["value"]) == sum(row.values())
    assert len(seen) == sum(len(t) for t in census.values()) * (len(COMMUNITIES) + 1)


def test_provenance_fields_valid(provenance, sources_md) -> None:
    rule_ids = set(re.findall(r"^- \*\*([A-Z0-9-]+)\*\*:", sources_md, flags=re.M))
    assert {"SRC", "R-GROWTH", "R-CUR-SINJAR"} <= rule_ids
    for r in provenance:
        assert r["status"] in ("sourced", "derived", "imputed"), r
        assert r["confidence"] in ("high", "medium", "low"), r
        assert r["rule"], r
        for rule in r["rule"].split(";"):
            assert rule in rule_ids, (rule, r)
        assert r["source_ids"], r
        for sid in r["source_ids"].split(";"):
            assert re.fullmatch(r"[SX]\d+", sid), sid
        v = float(r["value"])
        if r["low"]:
            assert float(r["low"]) >= 0
        if r["low"] and r["high"]:
            assert float(r["low"]) <= float(r["high"]) + 1
            assert min(float(r["low"]), v) >= 0


def test_imputed_values_are_flagged(provenance) -> None:
    """Rules that rest on an assumption may never appear on a value marked sourced/derived."""
    assumption_rules = {
        "R-QUAL",
        "R-XSUGGEST",
        "R-KRI-PROFILE",
        "R-CAPITAL",
        "R-PRIOR",
        "R-CUR-IDP-DUHOK",
    }
    n_imputed = 0
    for r in provenance:
        rules = set(r["rule"].split(";"))
        if rules & assumption_rules and float(r["value"]) > 0:
            assert r["status"] == "imputed", r
        if r["status"] == "imputed":
            n_imputed += 1
        if r["status"] == "sourced":
            assert not rules & assumption_rules, r
    assert n_imputed > 0


def test_source_ids_exist_in_source_lists(provenance, sources_md) -> None:
    used = {sid for r in provenance for sid in r["source_ids"].split(";")}
    listed = set(re.findall(r"^- \*\*([SX]\d+)\*\*:", sources_md, flags=re.M))
    assert used <= listed
    if ESTIMATES.is_dir():
        shared_ids = set()
        for name in ("iraq_units_sources.md", "iraq_composition_extra_sources.md"):
            text = (ESTIMATES / name).read_text(encoding="utf-8")
            shared_ids |= set(re.findall(r"^\|\s*([SX]\d+)\s*\|", text, flags=re.M))
        assert used <= shared_ids


def test_sources_md_content(sources_md) -> None:
    assert "CC BY-IGO 3.0" in sources_md
    assert (
        "Central Statistical Organization (CSO) Iraq / ITOS, via UN OCHA Iraq COD-AB" in sources_md
    )
    assert "estimate" in sources_md.lower()
    for needle in ("451,267", "151,267", "237,073", "300,000", "Sulaymaniyah", "NOT sourced"):
        assert needle in sources_md, needle


# ---------------------------------------------------------------------------------------------
# Totals
# ---------------------------------------------------------------------------------------------
def test_governorate_totals(census, admin) -> None:
    tot = defaultdict(float)
    for cname in CENSUSES:
        for uid, row in census[cname].items():
            tot[(cname, admin[uid]["governorate"])] += sum(row.values())
    # Ninewa baseline = UN 2013 figure; current = ~4 million (rounding of 9 counts per unit)
    assert abs(tot[("baseline", "IQG15")] - 3_353_875) < 200
    assert abs(tot[("current", "IQG15")] - 4_000_000) < 200
    assert abs(tot[("current", "IQG13")] - 1_900_000) < 200
    assert abs(tot[("current", "IQG06")] - 2_401_724) < 200
    for g in GOVERNORATES:
        assert 0.8e6 < tot[("baseline", g)] < 4e6, g


def test_sinjar_district_baseline(census, admin) -> None:
    sinjar = [u for u, p in admin.items() if p["district"] == "IQG15Q07"]
    total = sum(sum(census["baseline"][u].values()) for u in sinjar)
    assert abs(total - 237_073) < 50


# ---------------------------------------------------------------------------------------------
# Plausibility for a specialist
# ---------------------------------------------------------------------------------------------
ARABS = ["sunni_arab", "shia_arab"]


def test_mosul_city_sunni_arab_majority(census) -> None:
    for cname in CENSUSES:
        assert _share(census, cname, "IQG15Q05N04", ["sunni_arab"]) > 0.6


def test_sinjar_yazidi_majority_baseline(census, admin) -> None:
    sinjar = [u for u, p in admin.items() if p["district"] == "IQG15Q07"]
    assert _group_share(census, "baseline", sinjar, ["yazidi"]) > 0.6
    assert _share(census, "baseline", "IQG15Q07N03", ["yazidi"]) > 0.5
    # Sinjar lost people: the current Yazidi population there is below the baseline
    cur = sum(census["current"][u]["yazidi"] for u in sinjar)
    base = sum(census["baseline"][u]["yazidi"] for u in sinjar)
    assert cur < 0.6 * base


def test_yazidi_idps_in_duhok(census, admin) -> None:
    duhok = [u for u, p in admin.items() if p["governorate"] == "IQG09"]
    base = sum(census["baseline"][u]["yazidi"] for u in duhok)
    cur = sum(census["current"][u]["yazidi"] for u in duhok)
    assert cur > base + 50_000


def test_tal_afar_turkmen(census) -> None:
    for cname in CENSUSES:
        row = census[cname]["IQG15Q08N01"]
        assert max(row, key=row.get) == "turkmen"
        assert _share(census, cname, "IQG15Q08N01", ["turkmen"]) > 0.8


def test_hawija_sunni_arab(census, admin) -> None:
    hawija = [u for u, p in admin.items() if p["district"] == "IQG13Q01"]
    for cname in CENSUSES:
        assert _group_share(census, cname, hawija, ["sunni_arab"]) > 0.9


def test_kurdistan_region_overwhelmingly_kurdish(census, admin) -> None:
    for g in ("IQG09", "IQG11", "IQG06"):
        uids = [u for u, p in admin.items() if p["governorate"] == g]
        assert _group_share(census, "baseline", uids, ["kurd"]) > 0.85, g
        assert _group_share(census, "current", uids, ["kurd"]) > 0.75, g


def test_kirkuk_city_mixed(census) -> None:
    for cname in CENSUSES:
        kurd = _share(census, cname, "IQG13Q04N06", ["kurd"])
        turkmen = _share(census, cname, "IQG13Q04N06", ["turkmen"])
        arab = _share(census, cname, "IQG13Q04N06", ARABS)
        for s in (kurd, turkmen, arab):
            assert 0.15 < s < 0.5


def test_khanaqin_kurdish(census) -> None:
    for cname in CENSUSES:
        row = census[cname]["IQG10Q05N02"]
        assert max(row, key=row.get) == "kurd"
        assert _share(census, cname, "IQG10Q05N02", ["kurd"]) > 0.5


def test_jalawla_saadiya_arab(census) -> None:
    for uid in ("IQG10Q05N04", "IQG10Q05N01"):
        for cname in CENSUSES:
            assert _share(census, cname, uid, ARABS) > 0.5, (uid, cname)
    # the Kurdish share fell after October 2017 [S40][S45]
    for uid in ("IQG10Q05N04", "IQG10Q05N01"):
        assert _share(census, "current", uid, ["kurd"]) < _share(census, "baseline", uid, ["kurd"])


def test_nineveh_plains_minorities(census) -> None:
    assert _share(census, "baseline", "IQG15Q03N03", ["christian"]) > 0.4  # Qaraqosh
    assert _share(census, "baseline", "IQG15Q05N03", ["yazidi"]) > 0.4  # Bashiqa-Bahzani
    assert _share(census, "baseline", "IQG15Q03N02", ["shabak", "christian"]) > 0.8  # Bartella
    # Christian returns are partial
    assert (
        census["current"]["IQG15Q03N03"]["christian"]
        < census["baseline"]["IQG15Q03N03"]["christian"]
    )


def test_governorate_shares_against_independent_sources(census, admin) -> None:
    """Aggregates vs governorate figures not used to build the units they summarize."""
    ninewa = [u for u, p in admin.items() if p["governorate"] == "IQG15"]
    # Niqash 2013 counts / ~2.8M [S32]: Yazidis 10.7%, Turkmen 10.7%, Christians 7.1%
    assert abs(_group_share(census, "baseline", ninewa, ["yazidi"]) - 0.107) < 0.03
    assert abs(_group_share(census, "baseline", ninewa, ["turkmen"]) - 0.107) < 0.03
    assert abs(_group_share(census, "baseline", ninewa, ["christian"]) - 0.071) < 0.03
    # MICS6 2018 language of household head, Kirkuk [S62]: Arabic 37.8, Kurdish 29.8, Turkmen 30.8
    kirkuk = [u for u, p in admin.items() if p["governorate"] == "IQG13"]
    assert abs(_group_share(census, "current", kirkuk, ARABS) - 0.378) < 0.10
    assert abs(_group_share(census, "current", kirkuk, ["kurd"]) - 0.298) < 0.10
    assert abs(_group_share(census, "current", kirkuk, ["turkmen"]) - 0.308) < 0.10


# ---------------------------------------------------------------------------------------------
# Reproducibility
# ---------------------------------------------------------------------------------------------
def _load_tool():
    spec = importlib.util.spec_from_file_location("build_northern_iraq", TOOL)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["build_northern_iraq"] = mod
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.modules.pop("build_northern_iraq", None)
    return mod


@pytest.mark.skipif(not ESTIMATES.is_dir(), reason="../shared data folder not available")
def test_build_script_rejects_invented_figures() -> None:
    mod = _load_tool()
    inp = mod.read_inputs(SHARED)
    assert mod.cite(inp, 237073, "S20") == 237073.0
    with pytest.raises(SystemExit, match="not found"):
        mod.cite(inp, 237074, "S20")
    with pytest.raises(SystemExit, match="unknown source id"):
        mod.cite(inp, 237073, "S999")


@pytest.mark.skipif(not ESTIMATES.is_dir(), reason="../shared data folder not available")
def test_build_script_reproduces_shipped_files(tmp_path) -> None:
    mod = _load_tool()
    rc = mod.main(["--shared", str(SHARED), "--out", str(tmp_path)])
    assert rc == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(OUTPUTS)
    for name in OUTPUTS:
        assert (tmp_path / name).read_bytes() == (CASE / name).read_bytes(), name
