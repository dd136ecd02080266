"""Assemble the built-in case ``northern-iraq`` from the shared inputs and the data tables.

Inputs: ``<shared>/data/iraq/`` (COD-AB ADM3 boundaries and areas, the 2024 census by nahiya, the
Natural Earth city points, the sourced estimates whose text every hand-typed figure is checked
against) and the tables in ``tools/northern_iraq/data/``. Output (deterministic, byte-identical on
rerun) into the case folder: ``units.geojson``, ``census.csv``, ``provenance.csv``,
``communities.csv``, ``SOURCES.md`` and ``census2024/`` (the census tables the case reads at run
time, the crosswalk, the district comparison and the ground moves).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import rules as R
from .tables import (
    COMMUNITIES,
    DATA,
    CrosswalkRow,
    CurrentRule,
    Figure,
    Profile,
    TableError,
    read_arab_split,
    read_communities,
    read_conflicts,
    read_crosswalk,
    read_current_rules,
    read_figures,
    read_profiles,
    read_rules,
    read_sources,
)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "src" / "dayafter" / "cases" / "northern_iraq"

GOVS = ("IQG06", "IQG09", "IQG10", "IQG11", "IQG13", "IQG15", "IQG16")
BASE_YEAR = 2013
# COSIT governorate code of each COD-AB governorate (for the ground moves, rule R-GROUND)
GOV_CODE = {"IQG09": "11", "IQG15": "12", "IQG06": "13", "IQG13": "14", "IQG11": "15", "IQG10": "21", "IQG16": "27"}
CENSUS_FILES = {
    "nahiya.csv": "iraq_census2024_nahiya.csv",
    "district.csv": "iraq_census2024_district.csv",
    "governorate.csv": "iraq_census2024_governorate.csv",
}
ATTRIBUTION = (
    "Administrative boundaries: Central Statistical Organization (CSO) Iraq / ITOS, via\n"
    "  UN OCHA Iraq COD-AB (2019-06-03), CC BY-IGO 3.0"
)
# log-odds spread of a share by the status of the share (rule RR-SPREAD)
SPREAD = {"sourced": 0.4, "derived": 0.7, "imputed": 1.0, "assumption": 1.5}
CURRENT_SPREAD = 0.5
ASSUMPTION_PROFILE_RULES = {"R-KRI-PROFILE"}


class BuildError(RuntimeError):
    """The inputs do not fit together (the message says where and what to fix)."""


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------
@dataclass
class Unit:
    uid: str
    name: str
    name_ar: str
    district: str
    district_en: str
    gov: str
    gov_en: str
    area: float
    props: dict[str, str]
    geometry: dict[str, Any]


@dataclass
class Inputs:
    shared: Path
    units: list[Unit]
    nahiya: dict[str, dict[str, str]]
    district24: dict[str, dict[str, str]]
    gov24: dict[str, dict[str, str]]
    census_bytes: dict[str, bytes]
    text: str
    source_ids: set[str]
    xw: list[CrosswalkRow]
    figures: dict[str, Figure]
    profiles: dict[tuple[str, str], Profile]
    arab_split: dict[str, float]
    current_rules: list[CurrentRule]
    rules: dict[str, tuple[str, str, str]]
    sources_shared: dict[str, str]
    sources_new: dict[str, dict[str, str]]
    conflicts: list[tuple[str, str]]
    communities: list[dict[str, str]]

    @property
    def by_uid(self) -> dict[str, Unit]:
        return {u.uid: u for u in self.units}


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def read_inputs(shared: Path) -> Inputs:
    base = shared / "data" / "iraq"
    if not (base / "census2024").is_dir():
        raise BuildError(f"{base / 'census2024'} is missing; pass --shared pointing at the shared folder")
    geo = json.loads((base / "irq_admbnda_adm3_cso_20190603.geojson").read_text(encoding="utf-8"))
    area = {r["ADM3_PCODE"]: float(r["area_km2"]) for r in _read_csv(base / "irq_admin_hierarchy.csv")}
    units = []
    for f in geo["features"]:
        p = f["properties"]
        if p["ADM1_PCODE"] not in GOVS:
            continue
        props = {
            "unit_id": p["ADM3_PCODE"],
            "name_en": p["ADM3_EN"],
            "name_ar": p["ADM3_AR"],
            "district": p["ADM2_PCODE"],
            "district_en": p["ADM2_EN"],
            "district_ar": p["ADM2_AR"],
            "governorate": p["ADM1_PCODE"],
            "governorate_en": p["ADM1_EN"],
            "governorate_ar": p["ADM1_AR"],
        }
        units.append(Unit(p["ADM3_PCODE"], p["ADM3_EN"], p["ADM3_AR"], p["ADM2_PCODE"], p["ADM2_EN"],
                          p["ADM1_PCODE"], p["ADM1_EN"], area[p["ADM3_PCODE"]], props, f["geometry"]))
    units.sort(key=lambda u: u.uid)
    c24 = base / "census2024"
    census_bytes = {name: (c24 / src).read_bytes() for name, src in CENSUS_FILES.items()}
    nahiya = {r["nahiya_code"]: r for r in _read_csv(c24 / CENSUS_FILES["nahiya.csv"])}
    district24 = {r["district_code"]: r for r in _read_csv(c24 / CENSUS_FILES["district.csv"])}
    gov24 = {r["gov_code"]: r for r in _read_csv(c24 / CENSUS_FILES["governorate.csv"])}
    est = base / "estimates"
    parts = [(est / n).read_text(encoding="utf-8") for n in (
        "iraq_units.csv", "iraq_units_sources.md", "iraq_composition_extra.csv",
        "iraq_composition_extra_sources.md", "README.md")]
    parts.append((base / "SOURCES.md").read_text(encoding="utf-8"))
    parts.append((DATA / "source_excerpts.md").read_text(encoding="utf-8"))
    sources_shared, sources_new = read_sources()
    parts.extend(r["figures"] for r in sources_new.values())
    ids: set[str] = set(sources_new)
    for name in ("iraq_units_sources.md", "iraq_composition_extra_sources.md"):
        for line in (est / name).read_text(encoding="utf-8").splitlines():
            m = re.match(r"^\|\s*([SX]\d+)\s*\|", line)
            if m:
                ids.add(m.group(1))
    return Inputs(
        shared, units, nahiya, district24, gov24, census_bytes, "\n".join(parts), ids,
        read_crosswalk(), read_figures(), read_profiles(), read_arab_split(), read_current_rules(),
        read_rules(), sources_shared, sources_new, read_conflicts(), read_communities(),
    )


def _num_variants(value: float) -> list[str]:
    iv = round(value)
    if abs(value - iv) > 1e-9:
        return [f"{value:g}", f"{value:.3f}".rstrip("0")]
    return [f"{iv:,}", str(iv)]


def check_figures(inp: Inputs) -> None:
    """Every source id exists and every hand-typed figure appears in the source texts."""
    for f in inp.figures.values():
        for sid in f.source_ids:
            if sid not in inp.source_ids:
                raise BuildError(f"figures.csv {f.id}: unknown source id {sid}")
        if f.value is None or not f.source_ids or f.flag("assumption") is not None:
            continue
        parts = f.flag("sum")
        if parts:
            terms = [float(x) for x in parts.split("+")]
            if abs(sum(terms) - f.value) > 0.5:
                raise BuildError(f"figures.csv {f.id}: the terms of sum:{parts} do not add up to {f.value:,.0f}")
            for t in terms:
                if not any(v in inp.text for v in _num_variants(t)):
                    raise BuildError(f"figures.csv {f.id}: term {t:,.0f} is not in the source texts")
            continue
        if not any(v in inp.text for v in _num_variants(f.value)):
            raise BuildError(f"figures.csv {f.id}: {f.value:,.0f} ({';'.join(f.source_ids)}) is not in the source texts")
    for r in inp.current_rules:
        for sid in r.source_ids:
            if sid not in inp.source_ids:
                raise BuildError(f"current_rules.csv {r.id}: unknown source id {sid}")
    for p in inp.profiles.values():
        for sid in p.source_ids:
            if sid not in inp.source_ids:
                raise BuildError(f"profiles.csv {p.key}: unknown source id {sid}")
    if ATTRIBUTION not in inp.text:
        raise BuildError("the COD-AB attribution wording changed in shared/data/iraq/SOURCES.md")


# ---------------------------------------------------------------------------------------------
# Current totals: the 2024 census through the crosswalk
# ---------------------------------------------------------------------------------------------
@dataclass
class CurrentSize:
    value: int = 0
    certain: int = 0
    by_data: int = 0
    by_area: int = 0
    high: int = 0
    methods: set[str] = field(default_factory=set)
    nahiyas: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return R.size_status(self.certain, self.by_data, self.by_area)


def _disc_areas(units: list[Unit], lon: float, lat: float, radius_km: float) -> list[float]:
    import numpy as np
    import shapely
    from pyproj import Transformer
    from shapely.geometry import Point, shape

    proj = Transformer.from_crs(
        "EPSG:4326", f"+proj=laea +lat_0={lat} +lon_0={lon} +ellps=WGS84 +units=m", always_xy=True
    )

    def to_local(xy: Any) -> Any:
        x, y = proj.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    disc = Point(0.0, 0.0).buffer(radius_km * 1000.0, quad_segs=64)
    return [shapely.transform(shape(u.geometry), to_local).intersection(disc).area / 1e6 for u in units]


def crosswalk_allocation(inp: Inputs) -> tuple[dict[str, dict[str, int]], dict[str, CurrentSize], dict[str, list[float]]]:
    """People of every nahiya by unit (integers that add up to the nahiya), the unit totals, and
    the weights used for split rows."""
    by_uid = inp.by_uid
    density = inp.figures["C-DISC-DENSITY"].value
    assert density is not None
    alloc: dict[str, dict[str, int]] = {}
    size = {u.uid: CurrentSize() for u in inp.units}
    weights_used: dict[str, list[float]] = {}
    if {r.nahiya for r in inp.xw} != set(inp.nahiya):
        missing = sorted(set(inp.nahiya) - {r.nahiya for r in inp.xw})
        extra = sorted({r.nahiya for r in inp.xw} - set(inp.nahiya))
        raise BuildError(f"crosswalk_census2024.csv: nahiyas missing {missing[:5]}, unknown {extra[:5]}")
    for row in inp.xw:
        n = inp.nahiya[row.nahiya]
        total = int(n["total"])
        for uid in row.units:
            if uid not in by_uid:
                raise BuildError(f"crosswalk_census2024.csv nahiya {row.nahiya}: {uid} is not a unit of the case")
        govs = {by_uid[u].gov for u in row.units}
        if len(govs) != 1:
            raise BuildError(f"crosswalk_census2024.csv nahiya {row.nahiya}: candidates in several governorates")
        if row.certain:
            parts = {row.units[0]: total}
            s = size[row.units[0]]
            s.certain += total
            s.high += total
        else:
            cand = [by_uid[u] for u in row.units]
            kind = row.split.split(":")[0]
            if kind == "disc":
                _, lon, lat = row.split.split(":")
                radius = R.disc_radius_km(float(n["urban"]), density)
                w = R.split_weights("disc", [], _disc_areas(cand, float(lon), float(lat), radius))
            else:
                w = R.split_weights("area", [u.area for u in cand])
            weights_used[row.nahiya] = w
            ints = R.largest_remainder(w, total)
            parts = dict(zip(row.units, ints, strict=True))
            for uid, v in parts.items():
                s = size[uid]
                if kind == "disc":
                    s.by_data += v
                else:
                    s.by_area += v
                s.high += total
        alloc[row.nahiya] = parts
        for uid, v in parts.items():
            size[uid].value += v
            size[uid].methods.add(row.method)
            size[uid].nahiyas.append(row.nahiya)
    empty = [u for u, s in size.items() if s.value <= 0]
    if empty:
        raise BuildError(f"crosswalk: units without any 2024 population: {empty}; assign a nahiya to them")
    return alloc, size, weights_used


# ---------------------------------------------------------------------------------------------
# Baseline totals
# ---------------------------------------------------------------------------------------------
@dataclass
class BaseFig:
    value: float
    low: float
    high: float
    status: str
    rules: list[str]
    ids: list[str]
    conf: str
    range_rules: list[str]


def _uniq(xs: list[str]) -> list[str]:
    out: list[str] = []
    for x in xs:
        for y in x.split(";"):
            if y and y not in out:
                out.append(y)
    return out


def resolve_set(spec: str, inp: Inputs) -> list[str]:
    """Nahiya codes of a ``census:`` set (census districts, nahiyas, ``-`` to remove)."""
    if not spec.startswith("census:"):
        raise BuildError(f"figures.csv: set {spec!r} should start with census:")
    inc: list[str] = []
    exc: set[str] = set()
    for tok in spec[len("census:"):].split():
        neg = tok.startswith("-")
        code = tok.lstrip("-")
        if len(code) == 4:
            codes = [c for c, r in inp.nahiya.items() if r["district_code"] == code]
        elif len(code) == 5:
            codes = [code] if code in inp.nahiya else []
        else:
            codes = []
        if not codes:
            raise BuildError(f"figures.csv: {tok!r} in {spec!r} is neither a census district nor a nahiya code")
        if neg:
            exc.update(codes)
        else:
            inc.extend(codes)
    return sorted(set(inc) - exc)


@dataclass
class Baseline:
    rate: float
    gov: dict[str, BaseFig]
    sets: dict[str, dict[str, Any]]
    units: dict[str, BaseFig]
    closure: dict[str, float]
    share24_range: tuple[float, float]
    share24_pairs: list[tuple[str, float, float]]
    notes: list[str]
    idp_weights: dict[str, float]


def _grown_range(fig: Figure, alts: list[Figure], grow: Any) -> tuple[float, float, float]:
    assert fig.value is not None and fig.year is not None
    v = grow(fig.value, fig.year)
    cands = [v]
    if fig.low is not None:
        cands.append(grow(fig.low, fig.year))
    if fig.high is not None:
        cands.append(grow(fig.high, fig.year))
    for a in alts:
        assert a.value is not None and a.year is not None
        cands.append(grow(a.value, a.year))
    return v, min(cands), max(cands)


def idp_weights(inp: Inputs, size: dict[str, CurrentSize]) -> dict[str, float]:
    """Displaced Yazidis hosted at the census, by unit (rule R-CUR-IDP-DUHOK, point value)."""
    rule = next(r for r in inp.current_rules if r.id == "CUR-IDP-DUHOK")
    units = expand_units(rule.units, inp)
    tot = sum(size[u].value for u in units)
    assert rule.value is not None
    return {u: rule.value * size[u].value / tot for u in units}


def expand_units(tokens: tuple[str, ...], inp: Inputs) -> list[str]:
    out: list[str] = []
    for t in tokens:
        if t.startswith("district:"):
            d = t.split(":", 1)[1]
            got = [u.uid for u in inp.units if u.district == d]
            if not got:
                raise BuildError(f"current_rules.csv: no unit in district {d}")
            out.extend(got)
        elif t in inp.by_uid:
            out.append(t)
        else:
            raise BuildError(f"current_rules.csv: unit {t!r} unknown")
    return out


def baseline_sizes(inp: Inputs, alloc: dict[str, dict[str, int]], size: dict[str, CurrentSize]) -> Baseline:
    figs = inp.figures
    by_uid = inp.by_uid
    g09 = figs["G-NIN-2009"]
    g15 = figs["G-IQG15"]
    assert g09.value and g09.year and g15.value and g15.year
    rate = R.growth_rate(g09.value, g09.year, g15.value, g15.year)

    def grow(v: float, y: float) -> float:
        return R.grow(v, y, rate, BASE_YEAR)

    alts: dict[str, list[Figure]] = defaultdict(list)
    for f in figs.values():
        if f.kind == "alt":
            alts[f.unit].append(f)
    gov: dict[str, BaseFig] = {}
    for g in GOVS:
        f = figs[f"G-{g}"]
        v, lo, hi = _grown_range(f, alts[f.id], grow)
        status = "sourced" if f.year == BASE_YEAR else "derived"
        rules = ["R-GOV-BASE"] + ([] if f.year == BASE_YEAR else ["R-GROWTH"])
        ids = _uniq([*f.source_ids, *(s for a in alts[f.id] for s in a.source_ids)])
        gov[g] = BaseFig(v, lo, hi, status, rules, ids, "medium", ["RR-CONFLICT"] if lo < v or hi > v else [])

    # people of each unit in 2024 by nahiya; the governorate of every nahiya on COD-AB ground
    nahiya_gov = {n: by_uid[next(iter(parts))].gov for n, parts in alloc.items()}
    idp = idp_weights(inp, size)

    sets: dict[str, dict[str, Any]] = {}
    covered: dict[str, str] = {}
    for f in figs.values():
        if f.kind != "district_total":
            continue
        codes = resolve_set(f.unit, inp)
        for c in codes:
            if c in covered:
                raise BuildError(f"figures.csv {f.id}: nahiya {c} is already in {covered[c]}")
            covered[c] = f.id
        g = {nahiya_gov[c] for c in codes}
        if len(g) != 1:
            raise BuildError(f"figures.csv {f.id}: the set spans governorates {sorted(g)} on COD-AB ground")
        sets[f.id] = {"fig": f, "codes": codes, "gov": g.pop()}
    for g in GOVS:
        rest = sorted(n for n, gg in nahiya_gov.items() if gg == g and n not in covered)
        has_sets = any(s["gov"] == g for s in sets.values())
        if rest and has_sets:
            raise BuildError(f"{g}: nahiyas {rest[:6]} are in no district set of figures.csv; add them to one")
        if rest:
            sets[f"GOV-{g}"] = {"fig": None, "codes": rest, "gov": g}

    # 2024 weights of each set by unit (people of the set's nahiyas in each unit), hosted IDPs out
    for s in sets.values():
        w: dict[str, float] = defaultdict(float)
        for c in s["codes"]:
            for uid, v in alloc[c].items():
                w[uid] += v
        s["c24_raw"] = dict(w)
        s["c24"] = {u: max(v - idp.get(u, 0.0) * v / size[u].value, 0.0) for u, v in w.items()}

    # fixed subdistrict figures and town floors (units wholly inside one set)
    unit_set: dict[str, str] = {}
    for sid, s in sets.items():
        for u, v in s["c24_raw"].items():
            if v == size[u].value:
                unit_set[u] = sid
    fixed: dict[str, BaseFig] = {}
    floors: dict[str, tuple[float, Figure]] = {}
    alt_high: dict[str, tuple[float, Figure]] = {}
    alt_low: dict[str, tuple[float, Figure]] = {}
    round_rel = figs["C-ROUND"].value
    assert round_rel is not None
    for f in figs.values():
        if f.kind not in ("unit_total", "town_floor", "alt_high", "alt_low"):
            continue
        if f.unit not in unit_set:
            raise BuildError(f"figures.csv {f.id}: unit {f.unit} is not wholly inside one district set")
        assert f.value is not None and f.year is not None
        v = f.value * (figs["C-HH"].value or 0) if f.flag("families") is not None else f.value
        vv = grow(v, f.year)
        if f.kind == "unit_total":
            if f.low is not None or f.high is not None:
                lo = grow(f.low, f.year) if f.low is not None else vv
                hi = grow(f.high, f.year) if f.high is not None else vv
                rr = ["RR-SOURCE"]
            else:
                lo, hi, rr = vv * (1 - round_rel), vv * (1 + round_rel), ["RR-ROUND"]
            status = "sourced" if f.year == BASE_YEAR and f.rule == "SRC" else "derived"
            rules = _uniq([f.rule] + (["R-GROWTH"] if f.year != BASE_YEAR else []))
            conf = "medium" if status != "imputed" else "low"
            fixed[f.unit] = BaseFig(vv, lo, hi, status, rules, list(f.source_ids), conf, rr)
        elif f.kind == "town_floor":
            floors[f.unit] = (vv, f)
        elif f.kind == "alt_low":
            alt_low[f.unit] = (vv, f)
        else:
            alt_high[f.unit] = (vv, f)

    notes: list[str] = []
    # set values (2013), raised to their parts, ranges from conflicting figures
    for sid, s in sets.items():
        f = s["fig"]
        if f is None:
            continue
        if f.flag("ratio") is not None:
            continue
        v, lo, hi = _grown_range(f, alts[f.id], grow)
        s.update(value=v, lo=lo, hi=hi, locked=f.flag("locked") is not None)
        members = s["c24"]
        c_tot = sum(members.values())
        need = 0.0
        for u, c in members.items():
            if unit_set.get(u) == sid and u in fixed:
                need += fixed[u].value
            elif unit_set.get(u) == sid and u in floors:
                need += floors[u][0]
            else:
                need += v * c / c_tot
        if f.flag("raise") is not None and v < need:
            notes.append(f"{f.id}: district figure {v:,.0f} (2013) is below its sourced parts and the share-based rest ({need:,.0f}); raised (R-TOWN-FLOOR)")
            s.update(value=need, lo=min(lo, v), hi=max(hi, need), raised=True, locked=True)
    for s in sets.values():
        f = s["fig"]
        if f is not None and f.flag("ratio") is not None:
            ref = f.flag("ratio")
            ref_sets = [x for x in sets.values() if x["gov"] == ref]
            if len(ref_sets) != 1 or ref_sets[0]["fig"] is not None:
                raise BuildError(f"figures.csv {f.id}: ratio:{ref} needs a governorate without district sets")
            c_ref = sum(ref_sets[0]["c24"].values())
            k = gov[ref].value / c_ref
            c_here = sum(s["c24"].values())
            s.update(value=c_here * k, lo=c_here * gov[ref].low / c_ref, hi=c_here * gov[ref].high / c_ref,
                     locked=True, ratio=k)

    # closure per governorate
    closure: dict[str, float] = {}
    for g in GOVS:
        gsets = {sid: s for sid, s in sets.items() if s["gov"] == g}
        if list(gsets) == [f"GOV-{g}"]:
            s = gsets[f"GOV-{g}"]
            s.update(value=gov[g].value, lo=gov[g].low, hi=gov[g].high, locked=False)
            closure[g] = 1.0
            continue
        vals = {sid: s["value"] for sid, s in gsets.items()}
        locked = [sid for sid, s in gsets.items() if s.get("locked")]
        closed, k = R.close_to_total(vals, gov[g].value, locked)
        closure[g] = k
        for sid, s in gsets.items():
            if sid in locked:
                continue
            lo_r, hi_r = s["lo"] / s["value"], s["hi"] / s["value"]
            s["value"] = closed[sid]
            s["lo"] = closed[sid] * lo_r * gov[g].low / gov[g].value
            s["hi"] = closed[sid] * hi_r * gov[g].high / gov[g].value

    # share each set among its units: fixed figures set aside, floors respected (R-BASE-SHARE24)
    part: dict[str, dict[str, float]] = {}
    pairs: list[tuple[str, float, float]] = []
    for sid, s in sets.items():
        members = s["c24"]
        own_fixed = {u: fixed[u].value for u in members if unit_set.get(u) == sid and u in fixed}
        own_floor = {u: floors[u][0] for u in members if unit_set.get(u) == sid and u in floors and u not in fixed}
        total = s["value"]
        c_tot = sum(members.values())
        for u, fv in own_fixed.items():
            pairs.append((u, fv, total * members[u] / c_tot))
        fx_sum = sum(own_fixed.values())
        rest_w = {u: c for u, c in members.items() if u not in own_fixed}
        scale = 1.0
        if total < fx_sum + sum(own_floor.values()):
            if fx_sum <= 0:
                raise BuildError(f"{sid}: town floors ({sum(own_floor.values()):,.0f}) exceed the district ({total:,.0f}); flag the figure 'raise'")
            scale = max(total - sum(own_floor.values()), 0.0) / fx_sum
            notes.append(f"{sid}: sourced subdistricts scaled by {scale:.3f} to fit the district")
        vals = {u: fv * scale for u, fv in own_fixed.items()}
        if rest_w:
            vals.update(R.waterfill(total - sum(vals.values()), rest_w, own_floor))
        s["scale_fixed"] = scale
        part[sid] = vals

    # measured spread of the 2024-share rule against the sourced subdistricts (RR-SHARE24)
    q_lo, q_hi = R.ratio_range([p[1] for p in pairs], [p[2] for p in pairs])

    units: dict[str, BaseFig] = {}
    for u in inp.units:
        contrib = [(sid, v) for sid, vals in part.items() for uu, v in vals.items() if uu == u.uid]
        value = sum(v for _, v in contrib)
        lo = hi = 0.0
        rules: list[str] = []
        ids: list[str] = []
        rr: list[str] = []
        status = "derived"
        for sid, v in contrib:
            s = sets[sid]
            f = s["fig"]
            if u.uid in fixed and unit_set.get(u.uid) == sid:
                fb = fixed[u.uid]
                k = s["scale_fixed"]
                lo += fb.low * k
                hi += fb.high * k
                rules += fb.rules + (["R-GOV-CLOSE"] if k != 1.0 else [])
                ids += fb.ids
                rr += fb.range_rules
                status = fb.status
                continue
            lo += v * s["lo"] / s["value"] * q_lo
            hi += v * s["hi"] / s["value"] * q_hi
            rr += ["RR-SHARE24"] + (["RR-CONFLICT"] if s["lo"] < s["value"] or s["hi"] > s["value"] else [])
            if f is None:
                rules += ["R-GOV-BASE", "R-BASE-SHARE24"] + (["R-GROWTH"] if gov[s["gov"]].status != "sourced" else [])
                ids += gov[s["gov"]].ids
            elif f.flag("ratio") is not None:
                rules += ["R-BASE-KRI-RATIO", "R-BASE-SHARE24"]
                ids += gov[f.flag("ratio") or ""].ids
            else:
                rules += ["R-DIST-SET", "R-BASE-SHARE24"] + (["R-GROWTH"] if f.year != BASE_YEAR else [])
                rules += [] if s.get("locked") else ["R-GOV-CLOSE"]
                rules += ["R-TOWN-FLOOR"] if s.get("raised") else []
                ids += list(f.source_ids) + [i for a in alts[f.id] for i in a.source_ids]
            ids += ["N01"]
        if u.uid in floors:
            fv, ff = floors[u.uid]
            lo = max(lo, min(fv, value))
            if ff.high is not None:
                hi = max(hi, grow(ff.high, ff.year or BASE_YEAR))
            rules.append("R-TOWN-FLOOR")
            ids += list(ff.source_ids)
        if u.uid in alt_high:
            av, af = alt_high[u.uid]
            hi = max(hi, av)
            ids += list(af.source_ids)
            rr.append("RR-CONFLICT")
        if u.uid in alt_low:
            av, af = alt_low[u.uid]
            lo = min(lo, av)
            ids += list(af.source_ids)
            rr.append("RR-CONFLICT")
        if size[u.uid].status == "imputed" and u.uid not in fixed:
            status = "imputed"
        conf = "medium" if status != "imputed" else "low"
        units[u.uid] = BaseFig(value, min(lo, value), max(hi, value), status, _uniq(rules), _uniq(ids),
                               conf, _uniq(rr))
    for g in GOVS:
        got = sum(units[u.uid].value for u in inp.units if u.gov == g)
        if abs(got - gov[g].value) > 1.0:
            raise BuildError(f"{g}: baseline units add up to {got:,.0f}, the governorate is {gov[g].value:,.0f}")
    return Baseline(rate, gov, sets, units, closure, (q_lo, q_hi), pairs, notes, idp)


# ---------------------------------------------------------------------------------------------
# Composition
# ---------------------------------------------------------------------------------------------
@dataclass
class Comp:
    shares: dict[str, float]
    status: dict[str, str]
    rules: list[str]
    ids: list[str]
    conf: str
    ranges: dict[str, tuple[float, float]]
    range_rules: dict[str, list[str]]


def sunni_frac(inp: Inputs, u: Unit) -> float:
    for key in (u.uid, u.district, u.gov):
        if key in inp.arab_split:
            return inp.arab_split[key]
    raise BuildError(f"arab_split.csv: no entry for {u.uid}, its district or governorate")


def place_profile(inp: Inputs, u: Unit) -> tuple[Profile, bool]:
    for key, own in ((u.uid, True), (u.district, False), (u.gov, False)):
        p = inp.profiles.get(("place", key))
        if p is not None:
            return p, own
    raise BuildError(f"profiles.csv: no composition profile for {u.uid}, its district or governorate")


def _spread_class(p: Profile) -> str:
    if p.rule in ASSUMPTION_PROFILE_RULES and not p.source_ids:
        return "assumption"
    return p.status


def composition(inp: Inputs, u: Unit, town_fraction: float | None) -> Comp:
    """Shares of a unit from its profile, with the town overlay at ``town_fraction`` of its people
    (rules R-GOV-PROFILE ... R-TOWN-SHARES) and a range for every share (RR-SOURCE, RR-SPREAD)."""
    prof, own = place_profile(inp, u)
    sf = sunni_frac(inp, u)
    shares = R.parse_shares(prof.shares, sf, COMMUNITIES)
    rules = [prof.rule, "R-TURKMEN-MERGE"]
    if re.search(r"(^|\s)arab=", prof.shares):
        rules.append("R-ARAB-SPLIT")
    status = prof.status
    conf = prof.confidence
    if not own and prof.rule == "R-DIST-SHARES":
        status = "derived"
    explicit = R.parse_ranges(prof.ranges)
    spread = SPREAD[_spread_class(prof)]
    ids = list(prof.source_ids)
    town = inp.profiles.get(("town", u.uid))
    st = dict.fromkeys(COMMUNITIES, status)
    if town is not None and town_fraction is not None:
        t = min(max(town_fraction, 0.0), 1.0)
        tsh = R.parse_shares(town.shares, sf, COMMUNITIES)
        shares = R.blend(tsh, shares, t)
        tstat = "derived" if (town.status == "derived" and t >= 0.75) else "imputed"
        st = dict.fromkeys(COMMUNITIES, tstat)
        rules = _uniq(["R-TOWN-SHARES", *rules] + ([] if town.status == "derived" else ["R-XSUGGEST"]))
        ids = _uniq([*town.source_ids, *ids])
        conf = "low"
        town_rng = R.parse_ranges(town.ranges)
        explicit = {k: (t * lo + (1 - t) * shares[k], t * hi + (1 - t) * shares[k]) for k, (lo, hi) in town_rng.items()}
        spread = max(spread, SPREAD[tstat])
    ranges: dict[str, tuple[float, float]] = {}
    rr: dict[str, list[str]] = {}
    for k in COMMUNITIES:
        ranges[k] = R.share_range(shares[k], spread, explicit.get(k))
        rr[k] = ["RR-SOURCE"] if k in explicit else [f"RR-SPREAD:{spread:g}"]
    return Comp(shares, st, rules, ids, conf, ranges, rr)


# ---------------------------------------------------------------------------------------------
# Current composition
# ---------------------------------------------------------------------------------------------
@dataclass
class CurComp:
    shares: dict[str, float]
    ranges: dict[str, tuple[float, float]]
    status: dict[str, str]
    rules: list[str]
    ids: list[str]
    range_rules: dict[str, list[str]]
    touched: set[str]


def current_rules_by_unit(inp: Inputs, size: dict[str, CurrentSize]) -> dict[str, list[tuple[CurrentRule, float]]]:
    """Current rules by unit; a count or a number of people added over several units is shared in
    proportion to their totals."""
    out: dict[str, list[tuple[CurrentRule, float]]] = defaultdict(list)
    for r in inp.current_rules:
        units = expand_units(r.units, inp)
        tot = sum(size[u].value for u in units)
        for u in units:
            frac = size[u].value / tot if r.kind in ("count", "delta") else 1.0
            out[u].append((r, frac))
    return out


def _apply(total: float, shares: dict[str, float], rules: list[tuple[CurrentRule, float]], which: str,
           extra: dict[str, float] | None = None) -> dict[str, float]:
    weights: dict[str, float] = dict(extra or {})
    deltas: dict[str, float] = defaultdict(float)
    counts: dict[str, float] = {}
    fixed_sh: dict[str, float] = {}
    for r, frac in rules:
        v = r.value if which == "value" else (r.low if which == "low" else r.high)
        if v is None:
            v = r.value
        if r.kind == "share_range" or v is None:
            continue
        if r.kind == "weight":
            for c in r.communities:
                weights[c] = weights.get(c, 1.0) * v
        elif r.kind == "delta":
            base = {c: total * shares[c] for c in r.communities}
            bsum = sum(base.values())
            for c in r.communities:
                deltas[c] += v * frac * (base[c] / bsum if bsum > 0 else 1.0 / len(r.communities))
        elif r.kind == "count":
            for c in r.communities:
                counts[c] = counts.get(c, 0.0) + v * frac
        elif r.kind == "share":
            for c in r.communities:
                fixed_sh[c] = v
    counts = {c: min(v, total) for c, v in counts.items()}
    got = R.apply_current(total, shares, weights=weights, deltas=dict(deltas), fixed_counts=counts,
                          fixed_shares=fixed_sh)
    return {k: v / total for k, v in got.items()} if total > 0 else dict(shares)


def constrained(rules: list[tuple[CurrentRule, float]]) -> set[str]:
    """Communities of a unit whose current count a specific rule sets (not a mere range)."""
    return {c for r, _ in rules if r.kind != "share_range" for c in r.communities}


def current_composition(base: Comp, total: float, rules: list[tuple[CurrentRule, float]],
                        extra: tuple[dict[str, float], dict[str, float], dict[str, float]] | None = None,
                        emigration: list[str] | None = None) -> CurComp:
    """Current shares of a unit: the R-CUR rules, and for communities no rule sets the emigration
    factor ``extra`` (point, low, high) of rule R-CUR-EMIGRATION."""
    ex0, ex_lo, ex_hi = extra if extra else ({}, {}, {})
    if not rules and not ex0:
        return CurComp(dict(base.shares), dict(base.ranges), dict(base.status), ["R-CUR-SHARES"], [],
                       {k: list(v) for k, v in base.range_rules.items()}, set())
    s0 = _apply(total, base.shares, rules, "value", ex0)
    s_lo = _apply(total, base.shares, rules, "low", ex_lo)
    s_hi = _apply(total, base.shares, rules, "high", ex_hi)
    touched = {c for r, _ in rules for c in r.communities} | set(ex0)
    status = dict(base.status)
    for r, _ in rules:
        for c in r.communities:
            status[c] = R.worst_status(status[c], r.status)
    ranges: dict[str, tuple[float, float]] = {}
    rr: dict[str, list[str]] = {}
    for k in COMMUNITIES:
        blo, bhi = base.ranges[k]
        # the baseline range of the share, moved with the share, widened by the rule
        d_lo = base.shares[k] - blo
        d_hi = bhi - base.shares[k]
        lg_lo, lg_hi = R.logit_range(s0[k], CURRENT_SPREAD) if 0 < s0[k] < 1 else (s0[k], s0[k])
        lo = min(s0[k], s_lo[k], s_hi[k], max(s0[k] - d_lo, 0.0), lg_lo)
        hi = max(s0[k], s_lo[k], s_hi[k], min(s0[k] + d_hi, 1.0), lg_hi)
        for r, _ in rules:
            if r.kind == "share_range" and k in r.communities:
                if r.low is not None:
                    lo = min(lo, r.low)
                if r.high is not None:
                    hi = max(hi, r.high)
        ranges[k] = (max(lo, 0.0), min(hi, 1.0))
        rr[k] = _uniq([*base.range_rules[k], "RR-SPREAD:+0.5"])
    rule_ids = _uniq(["R-CUR-SHARES"] + [r.rule for r, _ in rules] + (["R-CUR-EMIGRATION"] if ex0 else []))
    ids = _uniq([s for r, _ in rules for s in r.source_ids] + list(emigration or []))
    for c in ex0:
        status[c] = R.worst_status(status[c], "derived")
    return CurComp(s0, ranges, status, rule_ids, ids, rr, touched)


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------
@dataclass
class Row:
    census: str
    uid: str
    field: str
    value: int
    low: int
    high: int
    size_status: str
    composition_status: str
    status: str
    rules: list[str]
    range_rules: list[str]
    ids: list[str]
    conf: str


def _sid_key(s: str) -> tuple[str, int]:
    return (s[0], int(s[1:]))


def unit_rows(census: str, uid: str, total: float, t_lo: float, t_hi: float, size_status: str,
              size_rules: list[str], size_rr: list[str], size_ids: list[str], size_conf: str,
              shares: dict[str, float], ranges: dict[str, tuple[float, float]], comp_status: dict[str, str],
              comp_rules: list[str], comp_rr: dict[str, list[str]], comp_ids: list[str], comp_conf: str) -> list[Row]:
    t_int = round(total)
    counts = R.largest_remainder([shares[k] for k in COMMUNITIES], t_int)
    rows = []
    worst_comp = "sourced"
    for k, v in zip(COMMUNITIES, counts, strict=True):
        if v > 0:
            worst_comp = R.worst_status(worst_comp, comp_status[k])
    t_low = min(math.floor(t_lo + 1e-9), t_int)
    t_high = max(math.ceil(t_hi - 1e-9), t_int)
    rows.append(Row(census, uid, "total", t_int, t_low, t_high, size_status, worst_comp, size_status,
                    size_rules, size_rr, sorted(set(size_ids), key=_sid_key), size_conf))
    for k, v in zip(COMMUNITIES, counts, strict=True):
        lo_s, hi_s = ranges[k]
        low = min(math.floor(t_lo * lo_s + 1e-9), v)
        high = max(math.ceil(t_hi * hi_s - 1e-9), v)
        cs = comp_status[k]
        rows.append(Row(census, uid, k, v, max(low, 0), high, size_status, cs,
                        R.worst_status(size_status, cs), _uniq([*size_rules, *comp_rules]),
                        _uniq([*size_rr, *comp_rr[k]]),
                        sorted(set([*size_ids, *comp_ids]), key=_sid_key),
                        R.worst_confidence(size_conf, comp_conf)))
    return rows


# ---------------------------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------------------------
@dataclass
class Built:
    inp: Inputs
    alloc: dict[str, dict[str, int]]
    size: dict[str, CurrentSize]
    weights_used: dict[str, list[float]]
    base: Baseline
    rows: list[Row]
    base_comp: dict[str, Comp]
    cur_comp: dict[str, CurComp]
    emigration: dict[str, Emigration]


@dataclass
class Emigration:
    community: str
    base_total: float
    ratio: tuple[float, float, float]
    expected: tuple[float, float, float]
    factor: tuple[float, float, float]
    constrained: float
    current: float
    ids: list[str]


def emigration_ratios(inp: Inputs, rate: float) -> dict[str, tuple[tuple[float, float, float], list[str]]]:
    """Change of each community in Iraq that the sources give, as (point, low, high) ratios of the
    current to the baseline stock (rule R-CUR-EMIGRATION)."""
    f = inp.figures
    b, now, left, killed = f["E-YAZ-BEFORE"], f["E-YAZ-NOW"], f["E-YAZ-LEFT"], f["E-YAZ-KILLED"]
    c14, c22 = f["E-CHR-2014"], f["E-CHR-2022"]
    assert b.value and now.value and left.value and killed.value and c14.value and c22.value
    g = (1.0 + rate) ** (2024 - BASE_YEAR)
    lh = left.high or left.value
    ll = left.low or left.value
    kh = killed.high or killed.value
    kl = killed.low or killed.value
    # point: the 2024 stock over the 2014 stock; low: no growth, most emigrants and missing;
    # high: growth at r, fewest emigrants and killed
    yaz = (now.value / b.value, (b.value - lh - kh) / b.value, (b.value * g - ll - kl) / b.value)
    chr_ = (c22.value / c14.value, (c22.low or c22.value) / c14.value, (c22.high or c22.value) / c14.value)
    ids_y = _uniq([*b.source_ids, *now.source_ids, *left.source_ids, *killed.source_ids])
    ids_c = _uniq([*c14.source_ids, *c22.source_ids])
    return {"yazidi": (yaz, ids_y), "christian": (chr_, ids_c)}


def emigration_factors(units: list[Unit], totals: dict[str, float], comps: dict[str, Comp],
                       rules: dict[str, list[tuple[CurrentRule, float]]], base_totals: dict[str, float],
                       ratios: dict[str, tuple[tuple[float, float, float], list[str]]]) -> dict[str, Emigration]:
    """One factor per community and run (point, low, high) on the weight of that community in the
    units no specific rule constrains, such that the case total equals the baseline total times the
    sourced ratio (fixed point of :func:`_apply`)."""
    out: dict[str, Emigration] = {}
    runs = ("value", "low", "high")
    factors: dict[str, list[float]] = {c: [1.0, 1.0, 1.0] for c in ratios}
    cons_tot: dict[str, float] = dict.fromkeys(ratios, 0.0)
    cur_tot: dict[str, float] = dict.fromkeys(ratios, 0.0)
    for i, which in enumerate(runs):
        k = dict.fromkeys(ratios, 1.0)
        for _ in range(50):
            tot = dict.fromkeys(ratios, 0.0)
            cons = dict.fromkeys(ratios, 0.0)
            for u in units:
                rl = rules.get(u.uid, [])
                fixed = constrained(rl)
                ex = {c: k[c] for c in ratios if c not in fixed}
                sh = _apply(totals[u.uid], comps[u.uid].shares, rl, which, ex)
                for c in ratios:
                    v = totals[u.uid] * sh[c]
                    tot[c] += v
                    if c in fixed:
                        cons[c] += v
            done = True
            for c, ((rp, rlo, rhi), _) in ratios.items():
                target = base_totals[c] * (rp, rlo, rhi)[i]
                free = tot[c] - cons[c]
                if target <= cons[c] or free <= 0:
                    raise BuildError(f"R-CUR-EMIGRATION: {c} units with return rules already hold {cons[c]:,.0f}, more than the {target:,.0f} the sources allow")
                step = (target - cons[c]) / free
                k[c] *= step
                done = done and abs(step - 1.0) < 1e-10
            if i == 0:
                cons_tot, cur_tot = cons, tot
            if done:
                break
        for c in ratios:
            factors[c][i] = k[c]
    for c, (ratio, ids) in ratios.items():
        exp = tuple(base_totals[c] * x for x in ratio)
        out[c] = Emigration(c, base_totals[c], ratio, exp, tuple(factors[c]), cons_tot[c], cur_tot[c], ids)  # type: ignore[arg-type]
    return out


def assemble(shared: Path) -> Built:
    inp = read_inputs(shared)
    check_figures(inp)
    alloc, size, weights_used = crosswalk_allocation(inp)
    base = baseline_sizes(inp, alloc, size)
    cur_rules = current_rules_by_unit(inp, size)
    figs = inp.figures
    base_comp: dict[str, Comp] = {}
    cur_base: dict[str, Comp] = {}
    base_rows: list[Row] = []
    for u in inp.units:
        b = base.units[u.uid]
        town = inp.profiles.get(("town", u.uid))
        t_base = None
        t_cur = None
        if town is not None:
            f = figs[town.town_figure]
            assert f.value is not None and f.year is not None
            t_base = R.grow(f.value, f.year, base.rate, BASE_YEAR) / b.value
            n = inp.nahiya[town.town_nahiya]
            if town.town_nahiya not in size[u.uid].nahiyas:
                raise BuildError(f"profiles.csv {u.uid}: town nahiya {town.town_nahiya} is not in the unit")
            t_cur = int(n["urban"]) / size[u.uid].value
        bc = composition(inp, u, t_base)
        base_comp[u.uid] = bc
        base_rows += unit_rows(
            "baseline", u.uid, b.value, b.low, b.high, b.status, b.rules, b.range_rules, b.ids, b.conf,
            bc.shares, bc.ranges, bc.status, bc.rules, bc.range_rules, bc.ids, bc.conf)
        cb = composition(inp, u, t_cur)
        if t_cur is not None:
            cb.rules = _uniq([*cb.rules, "R-CUR-TOWN24"])
        cur_base[u.uid] = cb
    base_totals: dict[str, float] = defaultdict(float)
    for r in base_rows:
        if r.field != "total":
            base_totals[r.field] += r.value
    totals = {u: float(s.value) for u, s in size.items()}
    ratios = emigration_ratios(inp, base.rate)
    emig = emigration_factors(inp.units, totals, cur_base, cur_rules, base_totals, ratios)
    cur_comp: dict[str, CurComp] = {}
    cur_rows: list[Row] = []
    for u in inp.units:
        cb = cur_base[u.uid]
        s = size[u.uid]
        rl = cur_rules.get(u.uid, [])
        fixed = constrained(rl)
        ex = tuple({c: e.factor[i] for c, e in emig.items() if c not in fixed and cb.shares[c] > 0}
                   for i in range(3))
        em_ids = _uniq([i for c, e in emig.items() if c in ex[0] for i in e.ids])
        cc = current_composition(cb, float(s.value), rl, ex if ex[0] else None, em_ids)  # type: ignore[arg-type]
        cur_comp[u.uid] = cc
        xw_rules = ["R-CENSUS24"] + sorted({
            {"same": "R-XW-SAME", "merge": "R-XW-MERGE"}.get(m, "") for m in s.methods} - {""})
        if s.by_area:
            xw_rules.append("R-XW-AREA")
        if s.by_data:
            xw_rules.append("R-XW-DISC")
        if any(inp.nahiya[n]["gov_code"] != GOV_CODE[u.gov] for n in s.nahiyas):
            xw_rules.append("R-GROUND")
        size_ids = ["N01"] + (["N16"] if s.by_data else [])
        size_rr = ["RR-CENSUS"] if s.status == "sourced" else ["RR-CROSSWALK"]
        size_conf = {"sourced": "high", "derived": "medium", "imputed": "low"}[s.status]
        cur_rows += unit_rows(
            "current", u.uid, float(s.value), float(s.certain), float(s.high), s.status, xw_rules, size_rr,
            size_ids, size_conf, cc.shares, cc.ranges, cc.status, _uniq([*cb.rules, *cc.rules]),
            cc.range_rules, _uniq([*cb.ids, *cc.ids]), cb.conf)
    rows = base_rows + cur_rows
    for r in rows:
        for rule in r.rules:
            if rule not in inp.rules:
                raise BuildError(f"rule {rule} used by {r.census}/{r.uid}/{r.field} is not in rules.csv")
        for rr in r.range_rules:
            if rr.split(":")[0] not in inp.rules:
                raise BuildError(f"range rule {rr} used by {r.census}/{r.uid}/{r.field} is not in rules.csv")
        for sid in r.ids:
            if sid not in inp.source_ids:
                raise BuildError(f"source id {sid} used by {r.census}/{r.uid} is unknown")
    return Built(inp, alloc, size, weights_used, base, rows, base_comp, cur_comp, emig)


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------
def _csv(rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def write_geojson(units: list[Unit]) -> str:
    fc = {
        "type": "FeatureCollection",
        "name": "northern_iraq_units",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": [{"type": "Feature", "properties": u.props, "geometry": u.geometry} for u in units],
    }
    return json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n"


PROVENANCE_COLUMNS = ["census", "unit_id", "field", "value", "low", "high", "size_status",
                      "composition_status", "status", "rule", "range_rule", "source_ids", "confidence"]


def write_census(b: Built) -> str:
    out = [["census", "unit_id", *COMMUNITIES]]
    by = {(r.census, r.uid, r.field): r.value for r in b.rows}
    for cname in ("baseline", "current"):
        for u in b.inp.units:
            out.append([cname, u.uid, *(by[(cname, u.uid, k)] for k in COMMUNITIES)])
    return _csv(out)


def write_provenance(b: Built) -> str:
    out: list[list[Any]] = [PROVENANCE_COLUMNS]
    for r in b.rows:
        out.append([r.census, r.uid, r.field, r.value, r.low, r.high, r.size_status, r.composition_status,
                    r.status, ";".join(r.rules), ";".join(r.range_rules), ";".join(r.ids), r.conf])
    return _csv(out)


def write_communities(b: Built) -> str:
    return _csv([["key", "label_en", "label_ar", "description"]]
                + [[r["key"], r["label_en"], r["label_ar"], r["description"]] for r in b.inp.communities])


def crosswalk_table(b: Built) -> list[list[Any]]:
    by_uid = b.inp.by_uid
    out: list[list[Any]] = [["nahiya_code", "nahiya", "nahiya_ar", "census_district", "census_governorate",
                             "total", "unit_ids", "unit_names", "unit_names_ar", "ocha_governorate",
                             "method", "split", "people_by_unit", "confidence", "reasoning"]]
    for row in b.inp.xw:
        n = b.inp.nahiya[row.nahiya]
        us = [by_uid[u] for u in row.units]
        people = ";".join(str(b.alloc[row.nahiya][u]) for u in row.units)
        out.append([row.nahiya, n["nahiya"], n["nahiya_ar"], f"{n['district_code']} {n['district']}",
                    n["governorate"], n["total"], ";".join(row.units), ";".join(u.name for u in us),
                    ";".join(u.name_ar for u in us), us[0].gov, row.method, row.split, people,
                    row.confidence, row.reasoning])
    return out


def ground_moves(b: Built) -> list[dict[str, Any]]:
    by_uid = b.inp.by_uid
    moves: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in b.inp.xw:
        n = b.inp.nahiya[row.nahiya]
        g = by_uid[row.units[0]].gov
        if GOV_CODE[g] != n["gov_code"]:
            moves[(n["gov_code"], g, n["district_code"])] += int(n["total"])
    out = []
    for (gc, g, dc), people in sorted(moves.items()):
        d = b.inp.district24[dc]
        whole = people == int(d["total"])
        out.append({"census_governorate": b.inp.gov24[gc]["governorate"], "census_district": f"{dc} {d['district']}",
                    "to": f"{g} {next(u.gov_en for u in b.inp.units if u.gov == g)}",
                    "people": people, "whole_district": "yes" if whole else "part"})
    return out


def district_comparison(b: Built) -> list[dict[str, Any]]:
    """Per COD-AB district: the census districts wholly inside it, the case's totals, and whether
    they match the census exactly (rule R-CENSUS24)."""
    inp = b.inp
    by_uid = inp.by_uid
    rows_by = {(r.census, r.uid, r.field): r for r in b.rows}
    out = []
    for d in sorted({u.district for u in inp.units}):
        us = [u for u in inp.units if u.district == d]
        uids = {u.uid for u in us}
        touch: dict[str, int] = defaultdict(int)
        low = high = 0
        for row in inp.xw:
            cand = {by_uid[x].district for x in row.units}
            total = int(inp.nahiya[row.nahiya]["total"])
            if cand == {d}:
                low += total
            if d in cand:
                high += total
            for uid, v in b.alloc[row.nahiya].items():
                if uid in uids:
                    touch[inp.nahiya[row.nahiya]["district_code"]] += v
        whole = [dc for dc, v in touch.items() if v == int(inp.district24[dc]["total"])]
        parts = [dc for dc in touch if dc not in whole]
        census_whole = sum(int(inp.district24[dc]["total"]) for dc in whole)
        cur = sum(rows_by[("current", u, "total")].value for u in uids)
        bas = sum(rows_by[("baseline", u, "total")].value for u in uids)
        label = lambda dc: f"{dc} {inp.district24[dc]['district']}"  # noqa: E731
        out.append({
            "district": d, "district_en": us[0].district_en, "governorate": us[0].gov,
            "governorate_en": us[0].gov_en,
            "census_districts": "; ".join(label(dc) for dc in sorted(whole)),
            "census_districts_part": "; ".join(f"{label(dc)}: {touch[dc]}" for dc in sorted(parts)),
            "census_total": census_whole, "case_current": cur, "current_low": low, "current_high": high,
            "difference": cur - census_whole,
            "match": "exact" if not parts and cur == census_whole else "moves",
            "case_baseline": bas, "growth": f"{cur / bas:.3f}" if bas else "",
        })
    return out


def _dicts_csv(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    return _csv([list(rows[0])] + [list(r.values()) for r in rows])


def build(shared: Path) -> dict[str, str | bytes]:
    """All output files (relative path -> text or bytes)."""
    from .report import census_readme, sources_md

    b = assemble(shared)
    files: dict[str, str | bytes] = {
        "units.geojson": write_geojson(b.inp.units),
        "census.csv": write_census(b),
        "provenance.csv": write_provenance(b),
        "communities.csv": write_communities(b),
    }
    for name, data in b.inp.census_bytes.items():
        files[f"census2024/{name}"] = data
    files["census2024/crosswalk.csv"] = _csv(crosswalk_table(b))
    comp = district_comparison(b)
    moves = ground_moves(b)
    files["census2024/comparison.csv"] = _dicts_csv(comp)
    files["census2024/ground_moves.csv"] = _dicts_csv(moves)
    files["census2024/README.md"] = census_readme(b)
    files["SOURCES.md"] = sources_md(b, comp, moves)
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build the data of the built-in case northern-iraq.")
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared",
                    help="the shared folder (default ../shared)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = ap.parse_args(argv)
    try:
        files = build(args.shared)
    except (BuildError, TableError, R.RuleError) as exc:
        print(f"error: {exc}")
        return 3
    for name, data in files.items():
        path = args.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8", newline="")
        tmp.replace(path)
    print(f"wrote {len(files)} files to {args.out}")
    return 0
