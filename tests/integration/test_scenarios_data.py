"""Scenario plans of the built-in case northern-iraq: format, coverage, contiguity and facts.

Each plan has two layers: polities (``regions`` and ``assignment``: the governorates, and the
new province of scenario 3) and control (``control``: who holds each unit).

The plans are data files written by ``tools/build_scenarios.py``. These tests read them as plain
JSON and check them against the shared inputs they were built from (``../shared``): the unit
list of the OCHA hierarchy, the rook adjacency, the control columns of ``iraq_units.csv`` (with
an independent keyword reading, not the build script's decision table) and the source tables.
Checks that need ``../shared`` skip when it is absent.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(__file__).parents[2].parent / "shared"
IRAQ = SHARED / "data" / "iraq"
SCENARIOS = ROOT / "src" / "dayafter" / "cases" / "northern_iraq" / "scenarios"
TOOL = ROOT / "tools" / "build_scenarios.py"

NAMES = [
    "status-quo-2014",
    "after-october-2017",
    "nineveh-plains-sinjar-province",
    "krg-releases-claims",
    "local-deal-2015",
]
CASE_GOVERNORATES = {"IQG15", "IQG09", "IQG11", "IQG06", "IQG13", "IQG16", "IQG10"}
KRI_GOVERNORATES = ("IQG06", "IQG09", "IQG11")
AUTHORITIES = {"federal", "krg", "self-administered"}
CONTROLS = {"federal", "krg", "joint", "self-administered", "contested"}
GOVERNORATE_NAMES = {"IQG15": "Ninewa", "IQG09": "Duhok", "IQG11": "Erbil", "IQG06": "Sulaymaniyah",
                     "IQG13": "Kirkuk", "IQG16": "Salah Al-Din", "IQG10": "Diyala"}
PROVINCE = "Nineveh Plains and Sinjar"
CITE = re.compile(r"\b(PS\d+|S\d+|P\d+|X\d+)\b")

# District (8 characters) and subdistrict (11) pcodes used by the facts below.
AQRA, SHEKHAN, SINJAR, TAL_AFAR = "IQG15Q01", "IQG15Q06", "IQG15Q07", "IQG15Q08"
HAMDANIYA, TEL_KAIF, BAAJ, HATRA = "IQG15Q03", "IQG15Q09", "IQG15Q02", "IQG15Q04"
BASHIQA, MOSUL_CITY, QAHTANIYA = "IQG15Q05N03", "IQG15Q05N04", "IQG15Q02N02"
ALQOSH, WANA = "IQG15Q09N02", "IQG15Q09N03"
MAKHMUR, QARAJ, MAKHMUR_TOWN = "IQG11Q04", "IQG11Q04N01", "IQG11Q04N02"
HAWIJA, DAQUQ, DIBIS, KIRKUK = "IQG13Q01", "IQG13Q02", "IQG13Q03", "IQG13Q04"
TUZ, KHANAQIN, KIFRI = "IQG16Q07", "IQG10Q05", "IQG10Q06"
SAADIYA, JALAWLA = "IQG10Q05N01", "IQG10Q05N04"

needs_shared = pytest.mark.skipif(not IRAQ.is_dir(), reason="../shared/data/iraq is absent")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    dup = [k for k, n in Counter(keys).items() if n > 1]
    if dup:
        raise ValueError(f"duplicate keys {dup}")
    return dict(pairs)


def load(name: str) -> dict[str, Any]:
    text = (SCENARIOS / f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text, object_pairs_hook=_no_duplicate_keys)


def authority(plan: dict[str, Any]) -> dict[str, str]:
    """Control layer: who holds each unit."""
    return dict(plan["control"])


def polity_authority(plan: dict[str, Any]) -> dict[str, str]:
    """Polity layer: the authority of each unit's polity."""
    auth = {r["name"]: r["authority"] for r in plan["regions"]}
    return {u: auth[r] for u, r in plan["assignment"].items()}


def under(units: Any, *prefixes: str) -> list[str]:
    out = sorted(u for u in units if u.startswith(prefixes))
    assert out, f"no unit under {prefixes}"
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def case_units() -> set[str]:
    rows = read_csv(IRAQ / "irq_admin_hierarchy.csv")
    return {r["ADM3_PCODE"] for r in rows if r["ADM1_PCODE"] in CASE_GOVERNORATES}


def rook_graph(units: set[str]) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(units)
    for r in read_csv(IRAQ / "irq_admin_adjacency.csv"):
        if r["level"] == "3" and r["contact"] == "edge" and {r["pcode_a"], r["pcode_b"]} <= units:
            g.add_edge(r["pcode_a"], r["pcode_b"])
    return g


# ------------------------------------------------------------------------------- structure


def test_index_lists_the_five_scenarios_with_one_reference() -> None:
    index = json.loads((SCENARIOS / "index.json").read_text(encoding="utf-8"))
    assert [e["name"] for e in index] == NAMES
    for e in index:
        assert set(e) == {"name", "title", "file", "reference"}
        assert e["file"] == f"{e['name']}.json"
        assert e["title"] == load(e["name"])["title"]
    assert [e["name"] for e in index if e["reference"] is True] == ["status-quo-2014"]
    assert all(e["reference"] is False for e in index if e["name"] != "status-quo-2014")
    assert sorted(p.name for p in SCENARIOS.glob("*.json")) == sorted(
        [f"{n}.json" for n in NAMES] + ["index.json"])


@pytest.mark.parametrize("name", NAMES)
def test_plan_format(name: str) -> None:
    plan = load(name)
    assert plan["format"] == "dayafter.plan"
    assert plan["version"] == 2
    assert plan["name"] == name
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
    assert isinstance(plan["title"], str) and plan["title"]
    assert isinstance(plan["notes"], str) and len(plan["notes"]) > 200
    regions = plan["regions"]
    names = [r["name"] for r in regions]
    assert len(set(names)) == len(names), "region names must be unique"
    for r in regions:
        assert set(r) == {"name", "authority", "status"}
        assert r["authority"] in AUTHORITIES
        assert isinstance(r["status"], str) and r["status"]
    assignment = plan["assignment"]
    assert list(assignment) == sorted(assignment), "assignment keys must be sorted by unit id"
    assert all(re.fullmatch(r"IQG\d\dQ\d\dN\d\d", u) for u in assignment)
    assert set(assignment.values()) == set(names), "every region used, no undefined region"
    assert list(plan["control"]) == list(assignment), "control stated for every unit, sorted"
    assert set(plan["control"].values()) <= CONTROLS


def test_every_plan_has_the_same_units() -> None:
    units = [set(load(n)["assignment"]) for n in NAMES]
    assert all(u == units[0] for u in units)
    assert len(units[0]) == 148


@needs_shared
@pytest.mark.parametrize("name", NAMES)
def test_every_case_unit_assigned_exactly_once(name: str) -> None:
    # load() rejects repeated keys, so a unit cannot appear twice.
    assert set(load(name)["assignment"]) == case_units()


# Polities in several pieces, by scenario: the province of PS1 (Sinjar does not touch the
# Plains) and the Ninewa it leaves (Aqra and Shekhan cut off by the Plains).
SPLIT = {"nineveh-plains-sinjar-province": {PROVINCE: 2, "Ninewa": 2}}


@needs_shared
@pytest.mark.parametrize("name", NAMES)
def test_polities_are_rook_contiguous_unless_declared(name: str) -> None:
    plan = load(name)
    g = rook_graph(set(plan["assignment"]))
    assert nx.is_connected(g)  # the case as a whole is one piece
    for region in plan["regions"]:
        members = [u for u, r in plan["assignment"].items() if r == region["name"]]
        parts = list(nx.connected_components(g.subgraph(members)))
        want = SPLIT.get(name, {}).get(region["name"], 1)
        assert len(parts) == want, f"{region['name']} splits into {sorted(map(sorted, parts))}"
        if want > 1:
            assert f"Polity {region['name']} is in {want} pieces" in plan["notes"]


@pytest.mark.parametrize("name", [n for n in NAMES if n != "nineveh-plains-sinjar-province"])
def test_polities_are_the_governorates(name: str) -> None:
    """Status quo and control-only scenarios: the seven governorates, Nineveh one council."""
    plan = load(name)
    assert [r["name"] for r in plan["regions"]] == ["Ninewa", "Kirkuk", "Salah Al-Din", "Diyala",
                                                     "Duhok", "Erbil", "Sulaymaniyah"]
    assert {u: GOVERNORATE_NAMES[u[:5]] for u in plan["assignment"]} == plan["assignment"]
    assert not any("held" in r["name"] or "joint" in r["name"] for r in plan["regions"])


# ----------------------------------------------------------------------------------- sources


@pytest.mark.parametrize("name", NAMES)
def test_notes_cite_a_policy_source_and_list_their_sources(name: str) -> None:
    plan = load(name)
    cited = set(CITE.findall(plan["notes"]))
    assert any(i.startswith("PS") for i in cited)
    assert cited == set(plan["sources"])


def _ids(path: Path, prefix: str) -> set[str]:
    return set(re.findall(rf"^\|\s*({prefix}\d+)\s*\|", path.read_text(encoding="utf-8"),
                          re.MULTILINE))


@needs_shared
@pytest.mark.parametrize("name", NAMES)
def test_cited_ids_exist(name: str) -> None:
    known = (_ids(SHARED / "POLICY_SOURCES.md", "PS")
             | _ids(IRAQ / "estimates" / "iraq_units_sources.md", "S")
             | _ids(IRAQ / "estimates" / "iraq_policy_facts.md", "P")
             | _ids(IRAQ / "estimates" / "iraq_composition_extra_sources.md", "X"))
    assert {"PS1", "PS4", "S37", "P33", "X27"} <= known  # the parser reads the tables
    missing = set(load(name)["sources"]) - known
    assert not missing


# ------------------------------------------------------------------ control versus the data


def _keyword_reading(text: str) -> str | None:
    """Unambiguous control texts only: 'KRG...' is krg; 'Baghdad...' with no Kurdish actor is
    federal; everything else (mixed, contested, militia names) is left to the plan's notes."""
    t = text.strip()
    if t.startswith("KRG"):
        return "krg"
    if t.startswith("Baghdad") and not re.search(r"KRG|Kurdish|Peshmerga", t):
        return "federal"
    return None


# Units where the plan departs from the literal district-wide reading, with the reason.
DEPARTURES = {
    ("after-october-2017", "IQG11Q04N03"): "Makhmur row says the town only; Dibaga stays KRG",
    ("after-october-2017", "IQG11Q04N04"): "Makhmur row says the town only; Gwer stays KRG",
}


@needs_shared
@pytest.mark.parametrize(("name", "column"), [("status-quo-2014", "control_2014_pre_june"),
                                              ("after-october-2017", "control_2017_after_oct")])
def test_control_matches_unambiguous_rows(name: str, column: str) -> None:
    rows = read_csv(IRAQ / "estimates" / "iraq_units.csv")
    text = {r["pcode"]: r[column] for r in rows if r["pcode"] and r[column].strip()}
    auth = authority(load(name))
    checked = 0
    for unit, got in auth.items():
        row = text.get(unit) or text.get(unit[:8])  # the most specific row with a value
        want = _keyword_reading(row) if row else None
        if want is None or (name, unit) in DEPARTURES:
            continue
        assert got == want, f"{name}: {unit} is {got}, {column} reads {row!r}"
        checked += 1
    assert checked >= 40
    for (n, unit), _why in DEPARTURES.items():
        if n == name:
            assert auth[unit] == "krg"


# ------------------------------------------------------------------------- scenario facts


def test_kurdistan_region_governorates_stay_krg_in_every_plan() -> None:
    for name in NAMES:
        plan = load(name)
        auth = authority(plan)
        assert {auth[u] for u in under(auth, *KRI_GOVERNORATES)
                if not u.startswith(MAKHMUR)} == {"krg"}, name
        pol = polity_authority(plan)
        assert {pol[u] for u in under(pol, *KRI_GOVERNORATES)} == {"krg"}, name


def test_status_quo_2014() -> None:
    auth = authority(load("status-quo-2014"))
    krg = under(auth, AQRA, SHEKHAN, SINJAR, ALQOSH, WANA, BASHIQA, MAKHMUR, DIBIS, DAQUQ,
                KHANAQIN, KIFRI)
    assert {auth[u] for u in krg} == {"krg"}
    assert {auth[u] for u in under(auth, KIRKUK, TUZ)} == {"joint"}
    federal = under(auth, MOSUL_CITY, HAWIJA, TAL_AFAR, HAMDANIYA, BAAJ, HATRA, "IQG15Q09N01")
    assert {auth[u] for u in federal} == {"federal"}
    assert "self-administered" not in auth.values()
    # KRG-held Sinjar is control, not a polity: Nineveh is one council
    plan = load("status-quo-2014")
    assert {plan["assignment"][u] for u in under(auth, "IQG15")} == {"Ninewa"}


def test_after_october_2017() -> None:
    auth = authority(load("after-october-2017"))
    kri = set(under(auth, *KRI_GOVERNORATES)) - {QARAJ, MAKHMUR_TOWN}
    assert {u for u, a in auth.items() if a == "krg"} == kri | set(under(auth, AQRA, SHEKHAN,
                                                                       KIFRI))
    assert set(auth.values()) == {"federal", "krg"}
    assert auth[QARAJ] == auth[MAKHMUR_TOWN] == "federal"


def test_nineveh_plains_sinjar_province() -> None:
    plan = load("nineveh-plains-sinjar-province")
    auth = authority(plan)
    base_plan = load("after-october-2017")
    base = authority(base_plan)
    plains = under(auth, HAMDANIYA, TEL_KAIF, BASHIQA)
    sinjar = under(auth, SINJAR, QAHTANIYA)
    assert {u for u, a in auth.items() if a == "self-administered"} == set(plains + sinjar)
    assert {plan["assignment"][u] for u in plains + sinjar} == {PROVINCE}  # one council
    assert polity_authority(plan)[plains[0]] == "self-administered"
    assert all(auth[u] == base[u] for u in auth if u not in plains + sinjar)
    assert all(plan["assignment"][u] == base_plan["assignment"][u] for u in auth
               if u not in plains + sinjar)
    assert auth[under(auth, SHEKHAN)[0]] == "krg"


@needs_shared
def test_sinjar_does_not_touch_the_plains() -> None:
    # The reason the province is two regions rather than one.
    g = rook_graph(case_units())
    plains = under(g.nodes, HAMDANIYA, TEL_KAIF, BASHIQA)
    sinjar = under(g.nodes, SINJAR, QAHTANIYA)
    assert not any(g.has_edge(a, b) for a in sinjar for b in plains)


def test_krg_releases_claims() -> None:
    plan = load("krg-releases-claims")
    auth = authority(plan)
    base = authority(load("status-quo-2014"))
    released = under(auth, SINJAR, HAMDANIYA, TEL_KAIF, TAL_AFAR, BASHIQA, QAHTANIYA)
    assert not any(auth[u] == "krg" for u in released)
    assert {auth[u] for u in released} == {"federal"}
    assert {plan["assignment"][u] for u in released} == {"Ninewa"}
    assert plan["assignment"] == load("status-quo-2014")["assignment"]  # polities unchanged
    assert {auth[u] for u in under(auth, AQRA, SHEKHAN, MAKHMUR, DIBIS, DAQUQ, KHANAQIN,
                                    KIFRI)} == {"krg"}
    assert all(auth[u] == base[u] for u in auth if u not in released)
    assert "compensation" in plan["notes"]


def test_local_deal_2015() -> None:
    plan = load("local-deal-2015")
    base = load("status-quo-2014")
    auth = authority(plan)
    assert auth[SAADIYA] == "federal"
    assert auth[JALAWLA] == "krg"
    assert plan["regions"] == base["regions"]
    assert plan["assignment"] == base["assignment"]
    changed = {u for u in plan["control"] if plan["control"][u] != base["control"][u]}
    assert changed == {SAADIYA}


# ---------------------------------------------------------------------------- reproducible


@needs_shared
def test_build_script_reproduces_the_files(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(TOOL), "--shared", str(SHARED),
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    built = sorted(p.name for p in tmp_path.iterdir())
    assert built == sorted(p.name for p in SCENARIOS.glob("*.json"))
    for name in built:
        assert (tmp_path / name).read_bytes() == (SCENARIOS / name).read_bytes(), name
