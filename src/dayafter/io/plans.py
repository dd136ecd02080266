"""Plan files: dayafter JSON, assignment CSV, Districtr JSON, GeoPackage tables.

Every reader maps unit ids to the territory's units, reports ids it does not know (an error) and
units the file does not mention (a warning; they stay unassigned), and never drops anything
silently. Every writer writes to a temporary file and renames it, or uses one SQLite transaction.

Every format carries both layers of a plan: the polities (regions with name, authority and
status) and the control of each unit (a label, or nothing where control follows the polity):
dayafter JSON version 2 has a ``control`` object (version 1 files, which have none, are still
read); the assignment CSV has optional ``region_name``, ``authority``, ``status`` and
``control`` columns; Districtr imports accept an optional ``control`` object; the GeoPackage
table ``plan_assignments`` has a ``control`` column (added to older projects on write).
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dayafter._inputs import (
    MAX_LAYER_BYTES,
    MAX_TABLE_BYTES,
    check_input_file,
    parse_json,
    read_input_text,
)
from dayafter.errors import DataQualityWarning, InputDataError, PlanMismatchError, first_ids
from dayafter.io.atomic import atomic_write_text
from dayafter.plan import UNASSIGNED, Plan, Region
from dayafter.territory import Territory

__all__ = [
    "PLAN_FORMAT",
    "PLAN_VERSION",
    "plan_from_dict",
    "plan_to_dict",
    "read_assignment_csv",
    "read_districtr",
    "read_plan",
    "read_plans_gpkg",
    "write_assignment_csv",
    "write_plan",
    "write_plans_gpkg",
]

PLAN_FORMAT = "dayafter.plan"
PLAN_VERSION = 2
"""The version :func:`plan_to_dict` writes (2: control layer); versions 1 and 2 are read."""


# ------------------------------------------------------------------------------------------ common


def _finish(
    territory: Territory,
    pairs: Sequence[tuple[str, int]],
    regions: Sequence[Region],
    *,
    source: str,
    name: str,
    notes: str = "",
    meta: Mapping[str, Any] | None = None,
    territory_hash: str | None = None,
    require_complete: bool = False,
    control: Mapping[str, str | None] | None = None,
) -> Plan:
    ids = [u for u, _ in pairs]
    dups = sorted(u for u, c in Counter(ids).items() if c > 1)
    if dups:
        raise InputDataError(f"units listed more than once: {first_ids(dups)}",
                             hint="keep one row per unit", unit_ids=dups, source=source,
                             key="plan.duplicate_units", args={"n": len(dups), "ids": dups[:5]},
                             hint_key="plan.one_row_per_unit", hint_args={})
    idx = territory.index(ids, source=source)  # raises on unknown ids, naming them
    a = np.full(territory.n_units, UNASSIGNED, dtype=np.int64)
    a[idx] = [r for _, r in pairs]
    missing = territory.unit_ids[a < 0]
    explicit_unassigned = sum(1 for _, r in pairs if r == UNASSIGNED)
    not_listed = int(missing.size) - explicit_unassigned
    if require_complete and missing.size:
        raise InputDataError(
            f"{missing.size} units are not assigned to any region: {first_ids(missing.tolist())}",
            hint="assign them, or allow incomplete plans", unit_ids=missing.tolist(), source=source,
            key="plan.unassigned_units", args={"n": int(missing.size), "ids": missing[:5].tolist()},
            hint_key="plan.assign_them", hint_args={})
    if not_listed > 0:
        listed = set(ids)
        absent = [u for u in missing.tolist() if u not in listed]
        warnings.warn(
            f"{source}: {len(absent)} units of the territory are not in the plan file and stay "
            f"unassigned: {first_ids(absent)}",
            DataQualityWarning, stacklevel=3)
    plan = Plan(a.astype(np.int32), tuple(regions), territory.content_hash, name=name, notes=notes, meta=meta or {})
    if control:
        plan = _with_control(plan, territory, control, source=source)
    if territory_hash and territory_hash != territory.content_hash:
        raise PlanMismatchError(
            f"the plan was made for other territory data (hash {territory_hash[:12]}, this territory "
            f"is {territory.content_hash[:12]})",
            hint="a plan is tied to the data it was made on: remake it on this data, or, if its unit ids are "
                 "this territory's, attach it in Python with read_plan(path, territory, rebind=True) after "
                 "checking the units",
            source=source, key="plan.other_territory", hint_key="plan.remake_on_this_data")
    return plan


def _with_control(plan: Plan, territory: Territory, control: Mapping[str, str | None], *,
                  source: str) -> Plan:
    """``plan`` with the stated control of the units in ``control`` (``None``/blank: none)."""
    bad = [str(u) for u, v in control.items() if v is not None and not isinstance(v, str)]
    if bad:
        raise InputDataError(f"control of units {first_ids(bad)} must be a label such as 'federal'",
                             hint="write \"control\": {\"unit_id\": \"krg\", ...}",
                             unit_ids=bad, source=source)
    stated = {str(u): v.strip() for u, v in control.items() if v is not None and v.strip()}
    if not stated:
        return plan
    idx = territory.index(list(stated), source=source)  # unknown ids raise, naming them
    return plan.with_control_of(dict(zip(idx.tolist(), stated.values(), strict=True)))


def _control_map(plan: Plan, territory: Territory) -> dict[str, str]:
    """``{unit_id: label}`` for the units with stated control (sorted by unit id)."""
    labels = plan._stated_control()
    return {str(u): str(c) for u, c in zip(territory.unit_ids.tolist(), labels.tolist(), strict=True)
            if c is not None}


# ------------------------------------------------------------------------------------------ JSON


def plan_to_dict(plan: Plan, territory: Territory) -> dict[str, Any]:
    """The dayafter JSON form of a plan (version 2).

    ``assignment`` maps unit ids to region (polity) names; ``control`` maps the unit ids with a
    stated control to its label (units not listed follow their polity's authority).
    """
    plan.check_territory(territory)
    names = plan.region_names
    assignment = {
        str(u): (names[r] if r >= 0 else None)
        for u, r in zip(territory.unit_ids.tolist(), plan.assignment.tolist(), strict=True)
    }
    meta = dict(plan.meta)
    out: dict[str, Any] = {
        "format": PLAN_FORMAT,
        "version": PLAN_VERSION,
        "name": plan.name,
        "title": meta.pop("title", ""),
        "notes": plan.notes,
        "sources": meta.pop("sources", []),
        "territory_hash": plan.territory_hash,
        "regions": [r.to_dict() for r in plan.regions],
        "assignment": assignment,
        "control": _control_map(plan, territory),
    }
    if meta:
        out["meta"] = meta
    return out


def plan_from_dict(
    data: Mapping[str, Any],
    territory: Territory,
    *,
    source: str = "",
    rebind: bool = False,
    require_complete: bool = False,
) -> Plan:
    """Parse the dayafter JSON form, versions 1 and 2 (see :func:`plan_to_dict`)."""
    if data.get("format") != PLAN_FORMAT:
        raise InputDataError(f"not a dayafter plan (format {data.get('format')!r})",
                             hint=f"expected \"format\": \"{PLAN_FORMAT}\"", source=source,
                             key="plan.not_a_plan", hint_key="plan.export_from_dayafter")
    version = data.get("version")
    if isinstance(version, bool) or version not in (1, 2):
        raise InputDataError(f"unsupported plan version {data.get('version')!r}",
                             hint="this dayafter reads versions 1 and 2", source=source)
    raw_regions = data.get("regions")
    if not isinstance(raw_regions, list) or not all(isinstance(r, Mapping) and "name" in r
                                                    for r in raw_regions):
        raise InputDataError("'regions' must be a list of objects with a 'name'",
                             hint="see the plan format in the README", source=source)
    regions = []
    for r in raw_regions:
        extra = set(r) - {"name", "authority", "status"}
        if extra:
            raise InputDataError(f"region {r.get('name')!r} has unknown fields {sorted(extra)}",
                                 hint="regions have name, authority and status", source=source)
        bad_fields = [k for k in ("name", "authority", "status")
                      if r.get(k) is not None and not isinstance(r.get(k), str)]
        if bad_fields or not r["name"]:
            raise InputDataError(f"region {r.get('name')!r}: {bad_fields or ['name']} must be non-empty text",
                                 hint="write regions as {\"name\": \"...\", \"authority\": \"...\"}",
                                 source=source)
        regions.append(Region(r["name"], r.get("authority") or "", r.get("status") or ""))
    by_name = {r.name: j for j, r in enumerate(regions)}
    if len(by_name) != len(regions):
        raise InputDataError("region names must be unique", hint="rename the duplicated regions", source=source)
    assignment = data.get("assignment")
    if not isinstance(assignment, Mapping):
        raise InputDataError("'assignment' must map unit ids to region names", source=source)
    pairs: list[tuple[str, int]] = []
    bad: list[str] = []
    for u, r in assignment.items():
        if r is None or r == "":
            pairs.append((str(u), UNASSIGNED))
        elif isinstance(r, str) and r in by_name:
            pairs.append((str(u), by_name[r]))
        elif isinstance(r, int) and not isinstance(r, bool) and 0 <= r < len(regions):
            pairs.append((str(u), r))
        else:
            bad.append(str(u))
    if bad:
        raise InputDataError(
            f"{len(bad)} units are assigned to regions the plan does not define: {first_ids(bad)}",
            hint="list every region in 'regions'", unit_ids=bad, source=source)
    raw_meta = data.get("meta") or {}
    if not isinstance(raw_meta, Mapping):
        raise InputDataError("'meta' must be an object", hint="write \"meta\": {...} or leave it out",
                             source=source)
    meta = dict(raw_meta)
    if data.get("title"):
        meta["title"] = str(data["title"])
    if data.get("sources"):
        if not isinstance(data["sources"], list):
            raise InputDataError("'sources' must be a list of source ids", source=source,
                                 hint="write \"sources\": [\"PS1\"]")
        meta["sources"] = [str(x) for x in data["sources"]]
    control = data.get("control") or {}
    if not isinstance(control, Mapping):
        raise InputDataError("'control' must map unit ids to control labels",
                             hint="write \"control\": {\"IQG15Q07N01\": \"krg\"} or leave it out",
                             source=source)
    return _finish(territory, pairs, regions, source=source, name=str(data.get("name", "")),
                   notes=str(data.get("notes", "") or ""), meta=meta,
                   territory_hash=None if rebind else data.get("territory_hash"),
                   require_complete=require_complete, control=control)


# ------------------------------------------------------------------------------------------ CSV

_ID_HEADERS = ("unit_id", "id", "geoid", "geoid10", "geoid20", "pcode", "unit")
_REGION_HEADERS = ("region", "district", "assignment", "part", "region_id")
_OPTIONAL_COLUMNS = {"region_name": "region_name", "name": "region_name", "authority": "authority",
                     "region_authority": "authority", "status": "status", "control": "control"}


def _is_int(s: str) -> bool:
    try:
        return float(s) == int(float(s))
    except (ValueError, OverflowError):
        return False


def read_assignment_csv(
    path: str | Path,
    territory: Territory,
    *,
    regions: Sequence[Region] | None = None,
    name: str | None = None,
    require_complete: bool = False,
) -> Plan:
    """Read an assignment table ``unit_id,region[,region_name,authority,status,control]``.

    Comma or ``|`` separated; the header is optional for the two-column form and needed for the
    optional columns. Regions are numbers (``1..k``; ``0``, ``-1`` or blank mean unassigned) or
    names. Numbered regions take their name, authority and status from the ``region_name``,
    ``authority`` and ``status`` columns (the same on every row of a region), else from
    ``regions`` (region number ``j`` is ``regions[j - 1]``), else they are called ``"1"``,
    ``"2"``, ... ``control`` gives each unit's control label (blank: follows its polity).
    """
    p = Path(path)
    src = str(p)
    text = read_input_text(p, what="assignment table", max_bytes=MAX_TABLE_BYTES)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise InputDataError("the assignment file is empty", hint="write one 'unit_id,region' row per unit",
                             source=src, key="plan.empty_table", hint_key="plan.one_row_per_unit_csv")
    if "\x00" in text:
        raise InputDataError("the assignment table holds NUL bytes: it is not a text (CSV) file",
                             hint="save it as CSV (UTF-8): one 'unit_id,region' row per unit", source=src,
                             key="plan.not_text", hint_key="plan.save_as_csv")
    sep = "|" if "|" in lines[0] and "," not in lines[0] else ","
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=sep))
    except csv.Error as exc:
        raise InputDataError(f"the assignment table is not a readable CSV ({exc})",
                             hint="close every quote; write one 'unit_id,region' row per unit", source=src) from None
    head = [c.strip().lower() for c in rows[0]]
    has_header = len(head) >= 2 and (head[0] in _ID_HEADERS or head[1] in _REGION_HEADERS)
    width = len(head) if has_header else 2
    extra: dict[str, int] = {}
    if has_header:
        unknown = [c for c in head[2:] if c not in _OPTIONAL_COLUMNS]
        if unknown:
            raise InputDataError(
                f"unknown columns {unknown} in the assignment table",
                hint="columns are unit_id, region, then optionally region_name, authority, status, "
                "control", source=src)
        for i, c in enumerate(head[2:], start=2):
            key = _OPTIONAL_COLUMNS[c]
            if key in extra:
                raise InputDataError(f"column {c!r} repeats {key!r}", hint="keep one of them", source=src)
            extra[key] = i
    bad_rows = [i + 1 for i, r in enumerate(rows) if len(r) != width]
    if bad_rows and width == 2:
        raise InputDataError(f"rows {first_ids(bad_rows)} do not have two columns (unit id, region)",
                             hint=f"write 'unit_id{sep}region' on every row, or add a header naming "
                             "the extra columns (region_name, authority, status, control)", source=src,
                             key="plan.not_two_columns", args={"n": len(bad_rows), "rows": bad_rows[:5]},
                             hint_key="plan.one_row_per_unit_csv", hint_args={})
    if bad_rows:
        raise InputDataError(f"rows {first_ids(bad_rows)} do not have the header's {width} columns",
                             hint="give every row a value (possibly empty) for every column", source=src)
    body = rows[1:] if has_header else rows
    first_row = 2 if has_header else 1
    values = [r[1].strip() for r in body]
    numeric = all(v == "" or _is_int(v) for v in values)
    pairs: list[tuple[str, int]] = []
    if numeric:
        nums = sorted({int(float(v)) for v in values if v != "" and int(float(v)) > 0})
        limit = max(territory.n_units, len(regions or ()))
        if nums and nums[-1] > limit:
            raise InputDataError(
                f"region number {nums[-1]} is larger than the number of units ({territory.n_units})",
                hint="number regions from 1 (a plan has at most one region per unit)", source=src)
        if regions is not None:
            regs = list(regions)
            too_big = [x for x in nums if x > len(regs)]
            if too_big:
                raise InputDataError(f"region numbers {too_big} exceed the {len(regs)} regions given",
                                     source=src)
        else:
            regs = [Region(str(x)) for x in range(1, (max(nums) if nums else 0) + 1)]
        if regions is None and {"region_name", "authority", "status"} & set(extra):
            regs = _regions_from_columns(body, nums, extra, first_row, src)
        for r in body:
            v = r[1].strip()
            num = int(float(v)) if v else 0
            pairs.append((r[0].strip(), num - 1 if num > 0 else UNASSIGNED))
    else:
        names: list[str] = []
        for v in values:
            if v and v not in names and not (_is_int(v) and int(float(v)) <= 0):
                names.append(v)
        if regions is not None:
            regs = list(regions)
        else:
            attrs = _name_attributes(body, names, extra, first_row, src)
            regs = [Region(n, *attrs.get(n, ("", ""))) for n in names]
        by_name = {rg.name: j for j, rg in enumerate(regs)}
        unknown_names = sorted(set(names) - set(by_name))
        if unknown_names:
            raise InputDataError(f"region names {unknown_names[:5]} are not in the regions given", source=src)
        for r in body:
            v = r[1].strip()
            pairs.append((r[0].strip(), by_name[v] if v in by_name else UNASSIGNED))
    empty_ids = [i + first_row for i, (u, _) in enumerate(pairs) if not u]
    if empty_ids:
        raise InputDataError(f"rows {first_ids(empty_ids)} have no unit id", source=src)
    control = None
    if "control" in extra:
        control = {r[0].strip(): (r[extra["control"]].strip() or None) for r in body}
    return _finish(territory, pairs, regs, source=src, name=name or p.stem,
                   require_complete=require_complete, control=control)


def _cell(row: list[str], extra: dict[str, int], key: str) -> str:
    return row[extra[key]].strip() if key in extra else ""


def _regions_from_columns(body: list[list[str]], nums: list[int], extra: dict[str, int],
                          first_row: int, src: str) -> list[Region]:
    """Regions ``1..max(nums)`` named by the region_name/authority/status columns."""
    seen: dict[int, tuple[tuple[str, str, str], int]] = {}
    for i, r in enumerate(body):
        v = r[1].strip()
        if not v or int(float(v)) <= 0:
            continue
        num = int(float(v))
        attrs = (_cell(r, extra, "region_name"), _cell(r, extra, "authority"), _cell(r, extra, "status"))
        if num in seen and seen[num][0] != attrs:
            raise InputDataError(
                f"rows {seen[num][1]} and {i + first_row} give region {num} different names, "
                f"authorities or statuses ({list(seen[num][0])} and {list(attrs)})",
                hint="write the same region_name, authority and status on every row of a region",
                source=src)
        seen.setdefault(num, (attrs, i + first_row))
    k = max(nums) if nums else 0
    regs = []
    for j in range(1, k + 1):
        nm, auth, status = seen[j][0] if j in seen else ("", "", "")
        regs.append(Region(nm or str(j), auth, status))
    names = [r.name for r in regs]
    dup = sorted({x for x in names if names.count(x) > 1})
    if dup:
        raise InputDataError(f"several region numbers have the names {dup}",
                             hint="give every region its own region_name", source=src)
    return regs


def _name_attributes(body: list[list[str]], names: list[str], extra: dict[str, int],
                     first_row: int, src: str) -> dict[str, tuple[str, str]]:
    """Authority and status of regions named in the region column."""
    out: dict[str, tuple[tuple[str, str], int]] = {}
    if not ({"authority", "status"} & set(extra)):
        return {}
    for i, r in enumerate(body):
        v = r[1].strip()
        if v not in names:
            continue
        attrs = (_cell(r, extra, "authority"), _cell(r, extra, "status"))
        if v in out and out[v][0] != attrs:
            raise InputDataError(
                f"rows {out[v][1]} and {i + first_row} give region {v!r} different authorities or "
                f"statuses ({list(out[v][0])} and {list(attrs)})",
                hint="write the same authority and status on every row of a region", source=src)
        out.setdefault(v, (attrs, i + first_row))
    return {k: v[0] for k, v in out.items()}


def write_assignment_csv(plan: Plan, territory: Territory, path: str | Path, *,
                         sep: str = ",", labels: str = "full") -> None:
    """Write the plan as an assignment table.

    Parameters
    ----------
    plan, territory
        The plan and the territory it belongs to.
    path
        Output file (written to a temporary file, then renamed).
    sep
        ``","`` or ``"|"``.
    labels
        ``"full"`` (default): ``unit_id,region,region_name,authority,status,control``, regions
        numbered from 1 (0 = unassigned) with their attributes on every row and each unit's stated
        control (blank where it follows the polity), so a re-import gives back the same plan (empty
        regions aside); ``"numbers"``: ``unit_id,region`` only; ``"names"``: ``unit_id,region``
        with region names.
    """
    plan.check_territory(territory)
    if sep not in (",", "|"):
        raise InputDataError("the separator must be ',' or '|'")
    if labels not in ("full", "numbers", "names"):
        raise InputDataError(f"labels must be 'full', 'numbers' or 'names', got {labels!r}")
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\n")
    names = plan.region_names
    ids = territory.unit_ids.tolist()
    if labels == "full":
        w.writerow(["unit_id", "region", "region_name", "authority", "status", "control"])
        stated = plan._stated_control().tolist()
        for u, r, c in zip(ids, plan.assignment.tolist(), stated, strict=True):
            reg = plan.regions[r] if r >= 0 else Region("-")
            w.writerow([u, r + 1 if r >= 0 else 0, reg.name if r >= 0 else "",
                        reg.authority if r >= 0 else "", reg.status if r >= 0 else "",
                        c or ""])
    else:
        w.writerow(["unit_id", "region"])
        for u, r in zip(ids, plan.assignment.tolist(), strict=True):
            if labels == "names":
                w.writerow([u, names[r] if r >= 0 else ""])
            else:
                w.writerow([u, r + 1 if r >= 0 else 0])
    atomic_write_text(path, buf.getvalue())


# ------------------------------------------------------------------------------------------ Districtr


def read_districtr(path: str | Path, territory: Territory, *, require_complete: bool = False) -> Plan:
    """Import a plan saved by Districtr (``assignment`` of unit id to part id, ``parts`` names).

    Districtr has no control layer: control follows each region's authority, unless the file
    carries the optional extensions ``control`` (``{unit_id: label}``) or parts with
    ``authority`` and ``status``.
    """
    p = Path(path)
    src = str(p)
    data = _load_json(p)
    return _districtr_from_dict(data, territory, source=src, name=p.stem,
                                require_complete=require_complete)


def _districtr_from_dict(data: Mapping[str, Any], territory: Territory, *, source: str, name: str,
                         require_complete: bool) -> Plan:
    assignment = data.get("assignment")
    if not isinstance(assignment, Mapping):
        raise InputDataError("not a Districtr plan: no 'assignment' object", source=source)
    part_ids: list[int] = []
    pairs_raw: list[tuple[str, int | None]] = []
    multi: list[str] = []
    for u, v in assignment.items():
        if isinstance(v, list):
            vals = [x for x in v if x is not None]
            if not all(isinstance(x, int | float | str) and not isinstance(x, bool) for x in vals):
                raise InputDataError(f"unit {u!r} has a malformed Districtr part {v!r}",
                                     hint="parts are district numbers", unit_ids=[str(u)], source=source)
            if len(set(vals)) > 1:
                multi.append(str(u))
                continue
            v = vals[0] if vals else None
        if v is None:
            pairs_raw.append((str(u), None))
            continue
        try:
            if isinstance(v, bool):
                raise TypeError
            iv = int(v)
            if iv < 0:
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            raise InputDataError(f"unit {u!r} has a non-numeric Districtr part {v!r}",
                                 unit_ids=[str(u)], source=source) from None
        pairs_raw.append((str(u), iv))
        part_ids.append(iv)
    if multi:
        raise InputDataError(f"{len(multi)} units are painted in several districts: {first_ids(multi)}",
                             hint="keep one district per unit in Districtr", unit_ids=multi, source=source)
    parts_raw = data.get("parts") or []
    problem = data.get("problem") or {}
    if not isinstance(parts_raw, list) or not isinstance(problem, Mapping):
        raise InputDataError("malformed Districtr plan: 'parts' must be a list and 'problem' an object",
                             hint="export the plan from Districtr again", source=source)
    try:
        parts_meta = {int(pt["id"]): pt for pt in parts_raw if isinstance(pt, Mapping) and "id" in pt}
        n_parts = int(problem.get("numberOfParts", 0) or 0)
    except (TypeError, ValueError, OverflowError):
        raise InputDataError("malformed Districtr plan: part ids and numberOfParts must be whole numbers",
                             hint="export the plan from Districtr again", source=source) from None
    k = max([n_parts, *(i + 1 for i in part_ids), *(i + 1 for i in parts_meta)])
    if k > max(territory.n_units, 1) or min([0, *parts_meta]) < 0:
        raise InputDataError(
            f"the Districtr plan numbers {k} districts for {territory.n_units} units",
            hint="district numbers must lie in 0..number of units - 1", source=source)
    def _text(part: Mapping[str, Any], key: str) -> str:
        v = part.get(key)
        return v.strip() if isinstance(v, str) else ""

    regions = [
        Region(str(parts_meta.get(j, {}).get("name") or f"District {j + 1}"),
               _text(parts_meta.get(j, {}), "authority"), _text(parts_meta.get(j, {}), "status"))
        for j in range(k)
    ]
    # Districtr may repeat a name; keep names unique
    seen: dict[str, int] = {}
    for j, r in enumerate(regions):
        if r.name in seen:
            regions[j] = Region(f"{r.name} ({j + 1})", r.authority, r.status)
        seen[regions[j].name] = j
    pairs = [(u, UNASSIGNED if v is None else v) for u, v in pairs_raw]
    plan_name = str(data.get("placeId") or problem.get("name") or name)
    control = data.get("control") or {}
    if not isinstance(control, Mapping):
        raise InputDataError("malformed plan: 'control' must map unit ids to control labels",
                             hint="Districtr itself writes no control; remove the key or fix it",
                             source=source)
    return _finish(territory, pairs, regions, source=source, name=name if name else plan_name,
                   meta={"imported_from": "districtr", "districtr_id": str(data.get("id", ""))},
                   require_complete=require_complete, control=control)


# ------------------------------------------------------------------------------------------ GeoPackage

_GPKG_TABLES = {
    "plans": "CREATE TABLE IF NOT EXISTS plans (plan_id TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "notes TEXT, territory_hash TEXT NOT NULL, meta_json TEXT, saved_at TEXT)",
    "plan_regions": "CREATE TABLE IF NOT EXISTS plan_regions (plan_id TEXT NOT NULL, region_index "
    "INTEGER NOT NULL, name TEXT NOT NULL, authority TEXT, status TEXT, PRIMARY KEY (plan_id, region_index))",
    "plan_assignments": "CREATE TABLE IF NOT EXISTS plan_assignments (plan_id TEXT NOT NULL, unit_id "
    "TEXT NOT NULL, region_index INTEGER NOT NULL, control TEXT, PRIMARY KEY (plan_id, unit_id))",
}


def _has_column(con: sqlite3.Connection, table: str, column: str) -> bool:
    return any(r[1] == column for r in con.execute(f"PRAGMA table_info({table})"))


def _register_attribute_table(con: sqlite3.Connection, table: str) -> None:
    has_contents = con.execute(
        "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='gpkg_contents'").fetchone()[0]
    if has_contents:
        con.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, "
            "last_change) VALUES (?, 'attributes', ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
            (table, table, f"dayafter {table}"))


def write_plans_gpkg(plans: Sequence[Plan], territory: Territory, path: str | Path) -> None:
    """Save plans into the GeoPackage at ``path`` (tables plans, plan_regions, plan_assignments).

    One SQLite transaction: either every plan is saved, or nothing changes. A plan with the same
    name replaces the stored one. A dayafter project records its territory's content hash: plans
    of other territory data are refused before anything is written (they would make the project
    impossible to open).

    Raises
    ------
    PlanMismatchError
        The project belongs to other territory data.
    InputDataError
        The file is missing, not a GeoPackage, or locked by another program.
    """
    p = Path(path)
    if not p.exists():
        raise InputDataError("the GeoPackage does not exist",
                             hint="create the project first (dayafter territory build --out FILE.gpkg)",
                             source=str(p))
    check_input_file(p, what="GeoPackage", max_bytes=MAX_LAYER_BYTES)
    for plan in plans:
        plan.check_territory(territory)
        if not plan.name:
            raise InputDataError("a plan needs a name to be saved in a GeoPackage",
                                 hint="give it one with --name", source=str(p))
    try:
        _write_plans_gpkg(plans, territory, p)
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise InputDataError("another program is writing the GeoPackage (it is locked)",
                                 hint="close it in the other program (QGIS, a second dayafter) and retry",
                                 source=str(p)) from None
        raise InputDataError(f"cannot write plans into the GeoPackage ({exc})",
                             hint="check that it is a valid GeoPackage you may write to",
                             source=str(p)) from None
    except sqlite3.DatabaseError as exc:
        raise InputDataError(f"cannot write plans into the GeoPackage ({exc})",
                             hint="check that the file is a valid, complete GeoPackage", source=str(p)) from None


def _project_hash(con: sqlite3.Connection) -> str | None:
    """The territory hash a dayafter project records (``None`` for another GeoPackage)."""
    has_meta = con.execute("SELECT count(*) FROM sqlite_master WHERE type='table' "
                           "AND name='dayafter_meta'").fetchone()[0]
    if not has_meta:
        return None
    row = con.execute("SELECT value FROM dayafter_meta WHERE key = 'content_hash'").fetchone()
    try:
        value = json.loads(row[0]) if row else None
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, str) else None


def _write_plans_gpkg(plans: Sequence[Plan], territory: Territory, p: Path) -> None:
    import datetime as _dt

    con = sqlite3.connect(p, isolation_level=None, timeout=5.0)
    try:
        con.execute("BEGIN IMMEDIATE")
        stored = _project_hash(con)
        if stored is not None and stored != territory.content_hash:
            # a plan of other territory data would make the project unreadable (its plans are
            # checked against its own territory when it is opened)
            raise PlanMismatchError(
                f"the project holds other territory data (hash {stored[:12]}) than the plan "
                f"{plans[0].name!r} (territory {territory.content_hash[:12]}); nothing was written",
                hint="open the plan with this project's territory (--project FILE), or export it "
                "to a new .gpkg or to a .json file", source=str(p))
        for table, ddl in _GPKG_TABLES.items():
            con.execute(ddl)
            _register_attribute_table(con, table)
        if not _has_column(con, "plan_assignments", "control"):  # a project saved before control
            con.execute("ALTER TABLE plan_assignments ADD COLUMN control TEXT")
        now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        ids = territory.unit_ids.tolist()
        for plan in plans:
            pid = plan.name
            for t in ("plan_assignments", "plan_regions", "plans"):
                con.execute(f"DELETE FROM {t} WHERE plan_id = ?", (pid,))
            con.execute("INSERT INTO plans VALUES (?, ?, ?, ?, ?, ?)",
                        (pid, plan.name, plan.notes, plan.territory_hash,
                         json.dumps(dict(plan.meta), sort_keys=True), now))
            con.executemany("INSERT INTO plan_regions VALUES (?, ?, ?, ?, ?)",
                            [(pid, j, r.name, r.authority, r.status) for j, r in enumerate(plan.regions)])
            con.executemany("INSERT INTO plan_assignments (plan_id, unit_id, region_index, control) "
                            "VALUES (?, ?, ?, ?)",
                            list(zip([pid] * len(ids), ids, plan.assignment.tolist(),
                                     plan._stated_control().tolist(), strict=True)))
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()


def read_plans_gpkg(path: str | Path, territory: Territory, *, rebind: bool = False) -> dict[str, Plan]:
    """All plans stored in a GeoPackage, by name."""
    p = Path(path)
    src = str(p)
    try:
        con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "plans" not in tables:
                return {}
            plans_rows = con.execute("SELECT plan_id, name, notes, territory_hash, meta_json FROM plans "
                                     "ORDER BY plan_id").fetchall()
            has_control = _has_column(con, "plan_assignments", "control")
            out = {}
            for pid, name, notes, thash, meta_json in plans_rows:
                regs = con.execute("SELECT region_index, name, authority, status FROM plan_regions "
                                   "WHERE plan_id = ? ORDER BY region_index", (pid,)).fetchall()
                if [r[0] for r in regs] != list(range(len(regs))):
                    raise InputDataError(f"plan {pid!r}: region indices are not 0..k-1", source=src)
                ctl_col = "control" if has_control else "NULL"
                rows = con.execute(f"SELECT unit_id, region_index, {ctl_col} FROM plan_assignments "
                                   "WHERE plan_id = ?", (pid,)).fetchall()
                out[name] = _finish(
                    territory, [(str(u), int(r)) for u, r, _ in rows],
                    [Region(r[1], r[2] or "", r[3] or "") for r in regs],
                    source=f"{src} (plan {pid})", name=name, notes=notes or "",
                    meta=json.loads(meta_json or "{}"), territory_hash=None if rebind else thash,
                    control={str(u): c for u, _, c in rows if c})
            return out
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise InputDataError(f"cannot read the GeoPackage ({exc})",
                             hint="check that the file is a valid, complete GeoPackage", source=src) from None


# ------------------------------------------------------------------------------------------ dispatch


def _load_json(p: Path) -> Any:
    text = read_input_text(p, what="plan file", max_bytes=MAX_TABLE_BYTES)
    return parse_json(text, source=str(p), what="plan file")


def read_plan(
    path: str | Path,
    territory: Territory,
    *,
    name: str | None = None,
    rebind: bool = False,
    require_complete: bool = False,
    regions: Sequence[Region] | None = None,
) -> Plan:
    """Read a plan from any supported file, chosen by extension and content.

    ``.json``: a dayafter plan or a Districtr export; ``.csv``/``.txt``/``.psv``: an assignment table;
    ``.gpkg``: the plan called ``name`` (or the only plan) stored in a project GeoPackage.
    """
    p = Path(path)
    src = str(p)
    check_input_file(p, what="plan file", max_bytes=MAX_LAYER_BYTES)
    suffix = p.suffix.lower()
    if suffix == ".json":
        data = _load_json(p)
        if not isinstance(data, Mapping):
            raise InputDataError("a plan file must hold a JSON object",
                                 hint=f"write {{\"format\": \"{PLAN_FORMAT}\", ...}} or a Districtr export", source=src)
        if data.get("format") == PLAN_FORMAT:
            return plan_from_dict(data, territory, source=src, rebind=rebind,
                                  require_complete=require_complete)
        if "assignment" in data:
            return _districtr_from_dict(data, territory, source=src, name=name or p.stem,
                                        require_complete=require_complete)
        raise InputDataError("unknown JSON plan format",
                             hint=f"use a dayafter plan (\"format\": \"{PLAN_FORMAT}\") or a Districtr export",
                             source=src, key="plan.not_a_plan", hint_key="plan.export_from_dayafter")
    if suffix in (".csv", ".txt", ".psv"):
        return read_assignment_csv(p, territory, regions=regions, name=name,
                                   require_complete=require_complete)
    if suffix == ".gpkg":
        plans = read_plans_gpkg(p, territory, rebind=rebind)
        if not plans:
            raise InputDataError("the GeoPackage holds no plans", hint="save one first", source=src)
        if name is None:
            if len(plans) > 1:
                raise InputDataError(f"the GeoPackage holds several plans {sorted(plans)}",
                                     hint="pick one with --name", source=src)
            return next(iter(plans.values()))
        if name not in plans:
            raise InputDataError(f"no plan {name!r} in the GeoPackage", hint=f"use one of {sorted(plans)}",
                                 source=src)
        return plans[name]
    raise InputDataError(f"unsupported plan format {suffix!r}",
                         hint="use .json (dayafter or Districtr), .csv (assignment) or .gpkg", source=src)


def write_plan(plan: Plan, territory: Territory, path: str | Path, *, sep: str = ",") -> None:
    """Write a plan; the format follows the extension (.json, .csv/.psv, .gpkg)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".json":
        atomic_write_text(p, json.dumps(plan_to_dict(plan, territory), indent=1, ensure_ascii=False) + "\n")
    elif suffix in (".csv", ".txt"):
        write_assignment_csv(plan, territory, p, sep=sep)
    elif suffix == ".psv":
        write_assignment_csv(plan, territory, p, sep="|")
    elif suffix == ".gpkg":
        write_plans_gpkg([plan], territory, p)
    else:
        raise InputDataError(f"unsupported plan format {suffix!r}",
                             hint="use .json, .csv, .psv or .gpkg", source=str(p))
