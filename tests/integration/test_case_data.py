"""Checks on the shipped data of the built-in case ``northern-iraq``.

The files are read with the standard library only (no numba, no geopandas), so these tests are fast.
Census sums are recomputed from the shipped 2024 census tables; expectations about the case's totals
come from those tables and from a hand-written list of which census districts make up which COD-AB
district, never from the build code. The last tests rerun ``tools/build_northern_iraq.py`` into a
temporary folder and compare the output byte for byte; they are skipped when the shared input
folder is absent.
"""

from __future__ import annotations

import csv
import math
import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CASE = REPO / "src" / "dayafter" / "cases" / "northern_iraq"
C24 = CASE / "census2024"
SHARED = REPO.parent / "shared"
ESTIMATES = SHARED / "data" / "iraq" / "estimates"
TOOLS = REPO / "tools"
DATA = TOOLS / "northern_iraq" / "data"

COMMUNITIES = ["sunni_arab", "shia_arab", "kurd", "yazidi", "christian", "turkmen", "shabak", "kakai", "other"]
CENSUSES = ("baseline", "current")
GOVERNORATES = {"IQG15", "IQG09", "IQG11", "IQG06", "IQG13", "IQG16", "IQG10"}
OUTPUTS = ("units.geojson", "census.csv", "provenance.csv", "communities.csv", "SOURCES.md",
           "census2024/nahiya.csv", "census2024/district.csv", "census2024/governorate.csv",
           "census2024/crosswalk.csv", "census2024/comparison.csv", "census2024/ground_moves.csv",
           "census2024/README.md")
PROVENANCE_COLUMNS = ["census", "unit_id", "field", "value", "low", "high", "size_status", "composition_status",
                      "status", "rule", "range_rule", "source_ids", "confidence"]
STATUSES = ("sourced", "derived", "imputed")


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def units() -> dict:
    import json

    return json.loads((CASE / "units.geojson").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def admin(units) -> dict[str, dict[str, str]]:
    return {f["properties"]["unit_id"]: f["properties"] for f in units["features"]}


@pytest.fixture(scope="module")
def census() -> dict[str, dict[str, dict[str, float]]]:
    out: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for row in _read_csv(CASE / "census.csv"):
        out[row["census"]][row["unit_id"]] = {k: float(row[k]) for k in COMMUNITIES}
    return out


@pytest.fixture(scope="module")
def provenance() -> list[dict[str, str]]:
    return _read_csv(CASE / "provenance.csv")


@pytest.fixture(scope="module")
def sources_md() -> str:
    return (CASE / "SOURCES.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def nahiya() -> dict[str, dict[str, str]]:
    return {r["nahiya_code"]: r for r in _read_csv(C24 / "nahiya.csv")}


@pytest.fixture(scope="module")
def district24() -> dict[str, dict[str, str]]:
    return {r["district_code"]: r for r in _read_csv(C24 / "district.csv")}


@pytest.fixture(scope="module")
def crosswalk() -> list[dict[str, str]]:
    return _read_csv(C24 / "crosswalk.csv")


def _total(census, cname: str, uid: str) -> float:
    return sum(census[cname][uid].values())


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
    ids = [f["properties"]["unit_id"] for f in feats]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == 148
    expected = ["unit_id", "name_en", "name_ar", "district", "district_en", "district_ar", "governorate",
                "governorate_en", "governorate_ar"]
    for f in feats:
        p = f["properties"]
        assert list(p) == expected
        assert p["unit_id"].startswith(p["district"]) and p["district"].startswith(p["governorate"])
        assert re.fullmatch(r"IQG\d\dQ\d\dN\d\d", p["unit_id"])
    assert {f["properties"]["governorate"] for f in feats} == GOVERNORATES


def test_geometry_is_unchanged(units) -> None:
    import json

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
                assert math.isfinite(v) and v >= 0 and v == round(v), (cname, uid, k, v)
            assert sum(row.values()) > 0, (cname, uid)


def test_communities_csv() -> None:
    rows = _read_csv(CASE / "communities.csv")
    assert [r["key"] for r in rows] == COMMUNITIES
    for r in rows:
        assert r["label_en"] and r["label_ar"] and r["description"]


# ---------------------------------------------------------------------------------------------
# Provenance: statuses and ranges (the format the uncertainty model reads)
# ---------------------------------------------------------------------------------------------
def test_provenance_columns_and_coverage(census, provenance) -> None:
    with open(CASE / "provenance.csv", newline="", encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == PROVENANCE_COLUMNS
    seen = {}
    for r in provenance:
        key = (r["census"], r["unit_id"], r["field"])
        assert key not in seen, key
        seen[key] = r
    for cname, table in census.items():
        for uid, row in table.items():
            for k, v in row.items():
                assert float(seen[(cname, uid, k)]["value"]) == v
            # the communities of a unit add up to its total exactly
            assert float(seen[(cname, uid, "total")]["value"]) == sum(row.values())
    assert len(seen) == sum(len(t) for t in census.values()) * (len(COMMUNITIES) + 1)


def test_every_figure_has_a_valid_range(provenance) -> None:
    by_unit: dict[tuple[str, str], dict[str, tuple[float, float, float]]] = defaultdict(dict)
    for r in provenance:
        v, lo, hi = float(r["value"]), float(r["low"]), float(r["high"])
        assert all(math.isfinite(x) for x in (v, lo, hi)), r
        assert 0 <= lo <= v <= hi, r
        assert r["range_rule"], r
        by_unit[(r["census"], r["unit_id"])][r["field"]] = (v, lo, hi)
    for key, fields in by_unit.items():
        _tv, tlo, thi = fields["total"]
        lows = sum(fields[k][1] for k in COMMUNITIES)
        highs = sum(fields[k][2] for k in COMMUNITIES)
        assert lows <= thi, key
        assert highs >= tlo, key


def test_statuses_rules_and_sources_are_valid(provenance, sources_md) -> None:
    rule_ids = set(re.findall(r"^- \*\*([A-Z0-9-]+)\*\*:", sources_md, flags=re.M))
    assert {"SRC", "R-GROWTH", "R-CENSUS24", "R-BASE-SHARE24", "R-CUR-SINJAR", "RR-CROSSWALK"} <= rule_ids
    listed = set(re.findall(r"^- \*\*([SXN]\d+)\*\*:", sources_md, flags=re.M))
    for r in provenance:
        for col in ("size_status", "composition_status", "status"):
            assert r[col] in STATUSES, r
        assert r["confidence"] in ("high", "medium", "low"), r
        order = {s: i for i, s in enumerate(STATUSES)}
        if r["field"] == "total":
            assert r["status"] == r["size_status"], r
        else:
            assert order[r["status"]] == max(order[r["size_status"]], order[r["composition_status"]]), r
        for rule in r["rule"].split(";"):
            assert rule in rule_ids, (rule, r)
        for rr in r["range_rule"].split(";"):
            assert rr.split(":")[0] in rule_ids, (rr, r)
        assert r["source_ids"], r
        for sid in r["source_ids"].split(";"):
            assert sid in listed, (sid, r)


def test_assumptions_are_flagged_imputed(provenance) -> None:
    """Rules that rest on an assumption never appear on a share marked sourced or derived."""
    assumption_rules = {"R-QUAL", "R-XSUGGEST", "R-KRI-PROFILE", "R-CUR-IDP-DUHOK"}
    n = 0
    for r in provenance:
        if r["field"] == "total":
            continue
        rules = set(r["rule"].split(";"))
        if rules & assumption_rules and float(r["value"]) > 0:
            n += 1
            # R-TOWN-SHARES: a town of sourced shares holding at least 75% of the unit makes it derived
            assert r["composition_status"] == "imputed" or "R-TOWN-SHARES" in rules, r
    assert n > 0
    # a unit total shared out by area (an assumption) for more than half its people is imputed
    area_only = [r for r in provenance if r["census"] == "current" and r["field"] == "total"
                 and "R-XW-AREA" in r["rule"]
                 and not {"R-XW-SAME", "R-XW-MERGE", "R-XW-DISC"} & set(r["rule"].split(";"))]
    assert area_only and all(r["size_status"] == "imputed" for r in area_only)


def test_source_ids_exist_in_source_lists(provenance) -> None:
    used = {sid for r in provenance for sid in r["source_ids"].split(";")}
    new_ids = {r["id"] for r in _read_csv(DATA / "sources_new.csv")}
    if ESTIMATES.is_dir():
        shared_ids = set()
        for name in ("iraq_units_sources.md", "iraq_composition_extra_sources.md"):
            text = (ESTIMATES / name).read_text(encoding="utf-8")
            shared_ids |= set(re.findall(r"^\|\s*([SX]\d+)\s*\|", text, flags=re.M))
        assert used <= shared_ids | new_ids


def test_sources_md_content(sources_md) -> None:
    assert "CC BY-IGO 3.0" in sources_md
    assert "Central Statistical Organization (CSO) Iraq / ITOS, via UN OCHA Iraq COD-AB" in sources_md
    assert "no explicit open licence" in sources_md  # the census table's licence status
    assert "Community figures are estimates" in sources_md
    for col in PROVENANCE_COLUMNS:
        assert f"`{col}`" in sources_md, col
    for section in ("## Ground moves", "## Census comparison by district", "## Emigration"):
        assert section in sources_md
    for needle in ("451,267", "151,267", "237,073", "300,000", "NOT sourced"):
        assert needle in sources_md, needle


def test_census_readme_records_source_and_licence() -> None:
    text = (C24 / "README.md").read_text(encoding="utf-8")
    assert "Annual Abstract of Statistics 2024" in text and "Table 11/2" in text
    assert "no explicit open licence" in text


# ---------------------------------------------------------------------------------------------
# Census sums the case relies on, recomputed from the shipped census tables
# ---------------------------------------------------------------------------------------------
PRINTED_GOVERNORATES = {"11": 1_599_871, "12": 4_261_980, "13": 2_401_724, "14": 2_034_627, "15": 2_517_534,
                        "21": 1_934_504, "27": 1_774_542}  # census2024/README.md (the printed table)


def test_census_tables_add_up(nahiya, district24) -> None:
    gov = {r["gov_code"]: r for r in _read_csv(C24 / "governorate.csv")}
    cols = ("total", "female", "male", "urban", "rural")
    by_d: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(cols, 0))
    for r in nahiya.values():
        assert int(r["total"]) == int(r["female"]) + int(r["male"]) == int(r["urban"]) + int(r["rural"])
        for c in cols:
            by_d[r["district_code"]][c] += int(r[c])
    assert set(by_d) == set(district24)
    for dc, row in district24.items():
        for c in cols:
            assert by_d[dc][c] == int(row[c]), (dc, c)
    by_g: dict[str, int] = defaultdict(int)
    for row in district24.values():
        by_g[row["gov_code"]] += int(row["total"])
    assert dict(by_g) == {g: int(r["total"]) for g, r in gov.items()} == PRINTED_GOVERNORATES


def test_crosswalk_covers_every_nahiya_once(nahiya, crosswalk, admin) -> None:
    assert sorted(r["nahiya_code"] for r in crosswalk) == sorted(nahiya)
    for r in crosswalk:
        units = r["unit_ids"].split(";")
        people = [int(x) for x in r["people_by_unit"].split(";")]
        assert sum(people) == int(nahiya[r["nahiya_code"]]["total"]), r
        assert all(u in admin for u in units)
        assert r["method"] in ("same", "merge", "split", "district")
        assert (len(units) == 1) == (r["method"] in ("same", "merge")), r
        assert r["reasoning"] and r["confidence"] in ("high", "medium", "low")
        assert {admin[u]["governorate"] for u in units} == {r["ocha_governorate"]}


def test_current_totals_are_the_crosswalked_census(census, crosswalk) -> None:
    got: dict[str, int] = defaultdict(int)
    for r in crosswalk:
        for u, p in zip(r["unit_ids"].split(";"), r["people_by_unit"].split(";"), strict=True):
            got[u] += int(p)
    for uid in census["current"]:
        assert _total(census, "current", uid) == got[uid], uid


# Which 2024 census districts make up which COD-AB district(s): written by hand from the two
# sources' names (a 5-digit code is a single nahiya, '-' removes it). Every group whose census
# districts correspond to COD-AB districts must match the census exactly.
CORRESPONDING = {
    ("IQG15Q01",): "1106 1107",
    ("IQG15Q02",): "1209",
    ("IQG15Q03",): "1203",
    ("IQG15Q04",): "1208",
    ("IQG15Q05",): "1201",
    ("IQG15Q06",): "1105 1207",
    ("IQG15Q07",): "1205",
    ("IQG15Q08",): "1206",
    ("IQG15Q09",): "1204 -12044",
    ("IQG11Q04",): "1211",
    ("IQG11Q01", "IQG11Q02", "IQG11Q03", "IQG11Q05", "IQG11Q06"): "15",
    ("IQG13Q01",): "1402",
    ("IQG13Q02",): "1403",
    ("IQG13Q03", "IQG13Q04"): "1401 1404",
    ("IQG09Q01",): "1104",
    ("IQG09Q02",): "1101",
    ("IQG09Q03", "IQG09Q04"): "1102 1103 1108 12044",
    ("IQG06Q01",): "1301 1302 1317",
    ("IQG06Q02",): "1315",
    ("IQG06Q03",): "1312",
    ("IQG06Q04",): "1311",
    ("IQG06Q05", "IQG06Q10"): "1303 1304 1305 1307 1308",
    ("IQG06Q06",): "1313",
    ("IQG06Q07",): "1306",
    ("IQG06Q08",): "1309",
    ("IQG06Q09",): "1310 1318",
    ("IQG10Q01",): "2103 2107",
    ("IQG10Q02",): "2102",
    ("IQG10Q03",): "2105 2108",
    ("IQG10Q04",): "2101",
    ("IQG10Q05",): "2104 1316",
    ("IQG10Q06",): "2106 1314",
    ("IQG16Q01",): "2706",
    ("IQG16Q02",): "2707",
    ("IQG16Q03",): "2705",
    ("IQG16Q04",): "2704 2708 2711",
    ("IQG16Q05",): "2703",
    ("IQG16Q06",): "2701 2710",
    ("IQG16Q07",): "2702 2709",
}


def _census_sum(spec: str, nahiya, district24) -> int:
    total = 0
    for tok in spec.split():
        neg = tok.startswith("-")
        code = tok.lstrip("-")
        if len(code) == 2:
            v = sum(int(r["total"]) for r in district24.values() if r["gov_code"] == code)
        elif len(code) == 4:
            v = int(district24[code]["total"])
        else:
            v = int(nahiya[code]["total"])
        total += -v if neg else v
    return total


def test_current_totals_match_the_census_in_corresponding_districts(census, admin, nahiya, district24) -> None:
    covered = [d for group in CORRESPONDING for d in group]
    assert sorted(covered) == sorted({p["district"] for p in admin.values()})  # every COD-AB district once
    for group, spec in CORRESPONDING.items():
        case_total = sum(_total(census, "current", u) for u, p in admin.items() if p["district"] in group)
        assert case_total == _census_sum(spec, nahiya, district24), (group, spec)


# The census counts these areas under another governorate than COD-AB draws them (written by hand
# from census2024/README.md): code -> (census governorate, COD-AB governorate)
GROUND_MOVES = {"1105": ("11", "IQG15"), "1106": ("11", "IQG15"), "1107": ("11", "IQG15"),
                "12044": ("12", "IQG09"), "1211": ("12", "IQG11"), "1314": ("13", "IQG10"),
                "1316": ("13", "IQG10")}
GOV_OF = {"IQG09": "11", "IQG15": "12", "IQG06": "13", "IQG13": "14", "IQG11": "15", "IQG10": "21", "IQG16": "27"}


def test_governorate_totals_differ_only_by_the_ground_moves(census, admin, nahiya, district24) -> None:
    moved: dict[str, int] = defaultdict(int)
    for code, (src, dst) in GROUND_MOVES.items():
        people = _census_sum(code, nahiya, district24)
        moved[dst] += people
        moved[next(g for g, c in GOV_OF.items() if c == src)] -= people
    for g in GOVERNORATES:
        case_total = sum(_total(census, "current", u) for u, p in admin.items() if p["governorate"] == g)
        assert case_total == PRINTED_GOVERNORATES[GOV_OF[g]] + moved[g], g
    # and the shipped table of moves says the same
    table = _read_csv(C24 / "ground_moves.csv")
    assert sum(int(r["people"]) for r in table) == sum(_census_sum(c, nahiya, district24) for c in GROUND_MOVES)
    assert sum(int(r["people"]) for r in table if r["to"].startswith("IQG15")) == 415_140


def test_comparison_table_recomputed(census, admin, district24) -> None:
    rows = _read_csv(C24 / "comparison.csv")
    assert sorted(r["district"] for r in rows) == sorted({p["district"] for p in admin.values()})
    for r in rows:
        uids = [u for u, p in admin.items() if p["district"] == r["district"]]
        assert int(r["case_current"]) == sum(_total(census, "current", u) for u in uids)
        assert int(r["case_baseline"]) == sum(_total(census, "baseline", u) for u in uids)
        whole = [x.split()[0] for x in r["census_districts"].split("; ") if x]
        assert int(r["census_total"]) == sum(int(district24[d]["total"]) for d in whole)
        assert int(r["current_low"]) <= int(r["case_current"]) <= int(r["current_high"])
        if r["match"] == "exact":
            assert int(r["case_current"]) == int(r["census_total"]) and not r["census_districts_part"]
    assert sum(r["match"] == "exact" for r in rows) >= 30


# ---------------------------------------------------------------------------------------------
# Baseline: no equal priors
# ---------------------------------------------------------------------------------------------
def test_no_unit_total_is_an_equal_share(census, admin) -> None:
    for cname in CENSUSES:
        seen: dict[tuple[str, int], list[str]] = defaultdict(list)
        for uid in census[cname]:
            seen[(admin[uid]["governorate"], round(_total(census, cname, uid)))].append(uid)
        dup = {k: v for k, v in seen.items() if len(v) > 1}
        assert not dup, (cname, dup)


def test_baseline_governorates_follow_their_sources(census, admin) -> None:
    tot: dict[str, float] = defaultdict(float)
    for uid in census["baseline"]:
        tot[admin[uid]["governorate"]] += _total(census, "baseline", uid)
    figs = {r["id"]: r for r in _read_csv(DATA / "figures.csv")}
    r = (float(figs["G-IQG15"]["value"]) / float(figs["G-NIN-2009"]["value"])) ** 0.25 - 1.0
    assert abs(tot["IQG15"] - 3_353_875) < 50  # UN 2013 figure [S47]
    for g in GOVERNORATES - {"IQG15"}:
        expect = float(figs[f"G-{g}"]["value"]) * (1 + r) ** 3  # COSIT 2010 projection brought to 2013
        assert abs(tot[g] - expect) < 50, g


def test_sinjar_district_baseline(census, admin) -> None:
    sinjar = [u for u, p in admin.items() if p["district"] == "IQG15Q07"]
    assert abs(sum(_total(census, "baseline", u) for u in sinjar) - 237_073) < 5


# ---------------------------------------------------------------------------------------------
# Emigration: the community totals stay within the sourced bounds
# ---------------------------------------------------------------------------------------------
def test_yazidi_and_christian_totals_within_sourced_emigration(census) -> None:
    figs = {r["id"]: r for r in _read_csv(DATA / "figures.csv")}

    def v(key: str, col: str = "value") -> float:
        return float(figs[key][col] or figs[key]["value"])

    tot = {c: {k: sum(row[k] for row in census[c].values()) for k in COMMUNITIES} for c in CENSUSES}
    r = (v("G-IQG15") / v("G-NIN-2009")) ** 0.25 - 1.0
    before = v("E-YAZ-BEFORE")
    lo = (before - v("E-YAZ-LEFT", "high") - v("E-YAZ-KILLED", "high")) / before
    hi = (before * (1 + r) ** 11 - v("E-YAZ-LEFT", "low") - v("E-YAZ-KILLED", "low")) / before
    ratio = tot["current"]["yazidi"] / tot["baseline"]["yazidi"]
    assert lo - 0.01 <= ratio <= hi + 0.01
    assert ratio < 1.14  # the old case's +14% despite emigration is gone
    c_ratio = tot["current"]["christian"] / tot["baseline"]["christian"]
    assert v("E-CHR-2022", "low") / v("E-CHR-2014") - 0.01 <= c_ratio <= v("E-CHR-2022", "high") / v("E-CHR-2014") + 0.01


# ---------------------------------------------------------------------------------------------
# Plausibility for a specialist
# ---------------------------------------------------------------------------------------------
ARABS = ["sunni_arab", "shia_arab"]


def test_mosul_city_sunni_arab_majority(census) -> None:
    for cname in CENSUSES:
        assert _share(census, cname, "IQG15Q05N04", ["sunni_arab"]) > 0.6


def test_sinjar_yazidi_majority(census, admin) -> None:
    sinjar = [u for u, p in admin.items() if p["district"] == "IQG15Q07"]
    for cname in CENSUSES:
        assert _group_share(census, cname, sinjar, ["yazidi"]) > 0.6
    assert _share(census, "baseline", "IQG15Q07N03", ["yazidi"]) > 0.5
    # fewer Yazidis live in Sinjar than before 2014
    assert sum(census["current"][u]["yazidi"] for u in sinjar) < sum(census["baseline"][u]["yazidi"] for u in sinjar)


def test_yazidi_idps_counted_in_duhok(census, admin) -> None:
    camps = float(next(r["value"] for r in _read_csv(DATA / "current_rules.csv") if r["id"] == "CUR-IDP-DUHOK"))
    hosts = [u for u, p in admin.items() if p["district"] in ("IQG09Q03", "IQG09Q04")]
    assert sum(census["current"][u]["yazidi"] for u in hosts) >= camps - 1
    assert sum(census["current"][u]["yazidi"] for u in hosts) > sum(census["baseline"][u]["yazidi"] for u in hosts)


def test_tal_afar_turkmen(census) -> None:
    for cname in CENSUSES:
        row = census[cname]["IQG15Q08N01"]
        assert max(row, key=row.get) == "turkmen"
        assert _share(census, cname, "IQG15Q08N01", ["turkmen"]) > 0.7


def test_hawija_sunni_arab(census, admin) -> None:
    hawija = [u for u, p in admin.items() if p["district"] == "IQG13Q01"]
    for cname in CENSUSES:
        assert _group_share(census, cname, hawija, ["sunni_arab"]) > 0.9


def test_kurdistan_region_overwhelmingly_kurdish(census, admin) -> None:
    for g in ("IQG09", "IQG11", "IQG06"):
        uids = [u for u, p in admin.items() if p["governorate"] == g]
        assert _group_share(census, "baseline", uids, ["kurd"]) > 0.80, g
        assert _group_share(census, "current", uids, ["kurd"]) > 0.75, g


def test_kirkuk_city_mixed(census) -> None:
    for cname in CENSUSES:
        for keys in (["kurd"], ["turkmen"], ARABS):
            assert 0.15 < _share(census, cname, "IQG13Q04N06", keys) < 0.5


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
        assert _share(census, "current", uid, ["kurd"]) < _share(census, "baseline", uid, ["kurd"])


def test_nineveh_plains_minorities(census) -> None:
    assert _share(census, "baseline", "IQG15Q03N03", ["christian"]) > 0.4  # Qaraqosh
    assert _share(census, "baseline", "IQG15Q05N03", ["yazidi"]) > 0.3  # Bashiqa-Bahzani
    assert _share(census, "baseline", "IQG15Q03N02", ["shabak", "christian"]) > 0.8  # Bartella
    # Christian returns are partial
    assert census["current"]["IQG15Q03N03"]["christian"] < census["baseline"]["IQG15Q03N03"]["christian"]


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
def _build_module():
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    from northern_iraq import build

    return build


@pytest.mark.skipif(not ESTIMATES.is_dir(), reason="../shared data folder not available")
def test_build_rejects_invented_figures() -> None:
    import dataclasses

    build = _build_module()
    inp = build.read_inputs(SHARED)
    build.check_figures(inp)
    good = inp.figures["D-NIN-SINJAR"]
    inp.figures["D-NIN-SINJAR"] = dataclasses.replace(good, value=237_074.0)
    with pytest.raises(build.BuildError, match=r"D-NIN-SINJAR: 237,074 .* not in the source texts"):
        build.check_figures(inp)
    inp.figures["D-NIN-SINJAR"] = dataclasses.replace(good, source_ids=("S999",))
    with pytest.raises(build.BuildError, match=r"unknown source id S999"):
        build.check_figures(inp)


@pytest.mark.skipif(not ESTIMATES.is_dir(), reason="../shared data folder not available")
def test_build_script_reproduces_shipped_files(tmp_path) -> None:
    build = _build_module()
    assert build.main(["--shared", str(SHARED), "--out", str(tmp_path)]) == 0
    got = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert got == sorted(OUTPUTS)
    for name in OUTPUTS:
        assert (tmp_path / name).read_bytes() == (CASE / name).read_bytes(), name
