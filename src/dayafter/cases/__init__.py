"""Built-in cases, shipped inside the package (no download).

>>> from dayafter import cases
>>> cases.available()
['northern-iraq']
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import pandas as pd

from dayafter.criteria import Criterion, criteria_from_spec
from dayafter.errors import InputDataError
from dayafter.plan import Plan
from dayafter.territory import Territory

__all__ = ["Case", "available", "load"]

_CASES = {"northern-iraq": "northern_iraq"}


@dataclass(frozen=True)
class Case:
    """A built-in case: territory, scenario plans, default criteria and the provenance of figures.

    Attributes
    ----------
    name, title
        Identifier and display title.
    territory
        The units with their censuses.
    plans
        Scenario plans by name, in the case's order.
    reference
        Name of the reference plan (the status quo) that changes are measured from.
    criteria
        Default criteria (each citing its sources).
    provenance
        One row per (census, unit, field) with ``field`` the unit ``total`` or a community key:
        value, low, high, size_status and composition_status (sourced, derived, imputed), status
        (the less certain of the two), rule, range_rule, source_ids, confidence. See the case's
        SOURCES file for the columns.
    communities
        Community key to display labels.
    sources_md
        The case's SOURCES file (attribution, licences, imputation rules).
    census2024
        The 2024 census tables the case was built from, by name: ``nahiya``, ``district`` and
        ``governorate`` (COSIT counts), ``crosswalk`` (nahiya to unit), ``comparison`` (per district:
        the census total against the case's totals) and ``ground_moves``. Empty for a case without
        them.
    """

    name: str
    title: str
    territory: Territory
    plans: dict[str, Plan]
    reference: str
    criteria: list[Criterion] = field(default_factory=list)
    provenance: pd.DataFrame | None = None
    communities: dict[str, dict[str, str]] = field(default_factory=dict)
    sources_md: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    census2024: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def reference_plan(self) -> Plan:
        """The reference (status quo) plan."""
        return self.plans[self.reference]

    def community_label(self, key: str) -> str:
        """English label of a community key."""
        return self.communities.get(key, {}).get("label_en", key)


def available() -> list[str]:
    """Names of the built-in cases."""
    return sorted(_CASES)


@functools.lru_cache(maxsize=4)
def load(name: str = "northern-iraq") -> Case:
    """Load a built-in case (built once per process, then cached)."""
    if name not in _CASES:
        raise InputDataError(f"unknown case {name!r}", hint=f"use one of {available()}")
    import geopandas as gpd
    import pyogrio

    from dayafter.geo.build import build_territory
    from dayafter.io.plans import plan_from_dict

    pkg = resources.files(f"dayafter.cases.{_CASES[name]}")
    with resources.as_file(pkg / "units.geojson") as path:
        units = pyogrio.read_dataframe(path)
    units = gpd.GeoDataFrame(units)
    with resources.as_file(pkg / "census.csv") as path:
        census = pd.read_csv(path, dtype={"unit_id": str, "census": str})
    with pkg.joinpath("communities.csv").open(encoding="utf-8") as fh:
        communities_df = pd.read_csv(fh, dtype=str, keep_default_na=False)
    comms = communities_df["key"].tolist()
    tables = {c: g.set_index("unit_id")[comms] for c, g in census.groupby("census", sort=False)}
    order = [c for c in ("baseline", "current") if c in tables] + [c for c in tables if c not in
                                                                     ("baseline", "current")]
    territory = build_territory(
        units,
        id_col="unit_id",
        censuses={c: tables[c] for c in order},
        admin_cols={"governorate": "governorate", "district": "district"},
        label_cols=["name_en", "name_ar", "district_en", "district_ar", "governorate_en", "governorate_ar"],
        name=name,
        source=f"case {name}",
        meta={"case": name},
    )
    index = json.loads(pkg.joinpath("scenarios", "index.json").read_text(encoding="utf-8"))
    plans: dict[str, Plan] = {}
    reference = ""
    for entry in index:
        data = json.loads(pkg.joinpath("scenarios", entry["file"]).read_text(encoding="utf-8"))
        plan = plan_from_dict(data, territory, source=f"case {name}: scenarios/{entry['file']}",
                              require_complete=True)
        plans[plan.name] = plan
        if entry.get("reference"):
            reference = plan.name
    crit_path = pkg.joinpath("criteria.json")
    criteria = criteria_from_spec(json.loads(crit_path.read_text(encoding="utf-8"))) if crit_path.is_file() else []
    with pkg.joinpath("provenance.csv").open(encoding="utf-8") as fh:
        prov = pd.read_csv(fh, dtype=str, keep_default_na=False)
    census2024: dict[str, pd.DataFrame] = {}
    folder = pkg.joinpath("census2024")
    if folder.is_dir():
        for tab in ("nahiya", "district", "governorate", "crosswalk", "comparison", "ground_moves"):
            entry = folder.joinpath(f"{tab}.csv")
            if entry.is_file():
                with entry.open(encoding="utf-8") as fh:
                    census2024[tab] = pd.read_csv(fh, dtype=str, keep_default_na=False)
    # every figure's low/high, the uncertainty model's input: built (range_rule column) as the
    # total's range times a share range ("joint") and checked strictly; older provenance without
    # that column is read leniently (contradicting ends set aside with a note)
    from dayafter.io.ranges import ranges_from_table

    built = "range_rule" in prov.columns
    territory = territory.with_ranges(ranges_from_table(
        prov, territory, source=f"case {name}: provenance.csv", strict=built,
        community_ranges="joint" if built else "composition"))
    return Case(
        name=name,
        title="Northern Iraq: Nineveh and the disputed territories",
        territory=territory,
        plans=plans,
        reference=reference or next(iter(plans)),
        criteria=criteria,
        provenance=prov,
        communities={r["key"]: dict(r) for r in communities_df.to_dict("records")},
        sources_md=pkg.joinpath("SOURCES.md").read_text(encoding="utf-8"),
        census2024=census2024,
    )
