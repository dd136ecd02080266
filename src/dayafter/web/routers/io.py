"""Import and export: plans, projects and territories (uploads are read through dayafter.io)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from dayafter.errors import InputDataError
from dayafter.web.routers._common import (
    _NAME_MAX,
    _PLAN_FORMATS,
    FileName,
    _name_upload,
    _upload_name,
    _ws,
    edit_of,
    session_of,
)
from dayafter.web.routers.draft import _draft_reply
from dayafter.web.workspace import Workspace, file_stem

router = APIRouter()


@router.get("/export/plan")
def export_plan(request: Request, format: Annotated[str, Query(max_length=16)] = "json",
                name: Annotated[str | None, Query(max_length=_NAME_MAX)] = None) -> Response:
    """Download a plan (the draft by default) as dayafter JSON, CSV, PSV, GeoPackage or regions
    GeoJSON."""
    from dayafter.io.export import write_regions_geojson
    from dayafter.io.plans import write_plan

    ws = _ws(request)
    fmt = format.lower()
    if fmt not in _PLAN_FORMATS:
        raise InputDataError(f"unknown export format {format!r}", hint=f"use one of {sorted(_PLAN_FORMATS)}",
                             key="web.unknown_export_format", args={"format": format},
                             hint_key="web.use_one_of", hint_args={"options": sorted(_PLAN_FORMATS)})
    plan = ws.plan(name) if name else ws.draft_of(session_of(request)).plan
    plan = plan if plan.name else plan.renamed("plan")
    with tempfile.TemporaryDirectory(prefix="dayafter-export-") as tmp:
        path = Path(tmp) / f"plan.{fmt}"
        if fmt == "gpkg":
            from dayafter.io.project import write_project

            write_project(ws.territory, path, plans=[plan])
        elif fmt == "geojson":
            write_regions_geojson(ws.territory, plan, path)
        else:
            write_plan(plan, ws.territory, path)
        data = path.read_bytes()
    from urllib.parse import quote

    stem = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-"
                   for ch in plan.name).strip("-.") or "plan"
    disposition = (f"attachment; filename*=UTF-8''{quote(plan.name or 'plan', safe='')}.{fmt}; "
                   f'filename="{stem}.{fmt}"')
    return Response(data, media_type=_PLAN_FORMATS[fmt], headers={"Content-Disposition": disposition})


@router.get("/export/project")
def export_project(request: Request) -> Response:
    """Download the territory with every scenario and saved plan as one project GeoPackage."""
    from dayafter.io.project import write_project

    ws = _ws(request)
    plans = list(ws.scenarios.values()) + [ws.saved[n] for n in sorted(ws.saved)]
    with tempfile.TemporaryDirectory(prefix="dayafter-export-") as tmp:
        path = Path(tmp) / "project.gpkg"
        write_project(ws.territory, path, plans=plans)
        data = path.read_bytes()
    return Response(data, media_type=_PLAN_FORMATS["gpkg"],
                    headers={"Content-Disposition": 'attachment; filename="project.gpkg"'})


@router.post("/import/plan")
async def import_plan(request: Request, filename: FileName) -> dict[str, Any]:
    """Import a plan file (request body; dayafter JSON, Districtr JSON, CSV/PSV or GeoPackage).

    Every plan in the file is added to the saved plans and the first one is opened.
    """
    from dayafter.io.plans import read_plan, read_plans_gpkg

    ws = _ws(request)
    e = edit_of(request)
    filename = _upload_name(filename)
    suffix = Path(filename).suffix.lower()
    if suffix not in (".json", ".csv", ".txt", ".psv", ".gpkg"):
        raise InputDataError(f"unsupported plan format {suffix or 'without extension'!r}",
                             hint="use .json (dayafter or Districtr), .csv (assignment), .psv or .gpkg",
                             source=filename, key="web.unsupported_plan_format", args={"suffix": suffix},
                             hint_key="web.plan_formats")
    data = await request.body()
    if not data and suffix in (".json", ".gpkg"):  # (the assignment readers say so themselves)
        raise InputDataError("the file is empty", hint="export the plan again", source=filename,
                             key="web.empty_file", hint_key="web.export_again")

    def work() -> list[str]:
        with tempfile.TemporaryDirectory(prefix="dayafter-import-") as tmp:
            path = Path(tmp) / f"{Path(filename).stem or 'plan'}{suffix}"
            path.write_bytes(data)
            try:
                if suffix == ".gpkg":
                    found = list(read_plans_gpkg(path, ws.territory).values())
                    if not found:
                        raise InputDataError("the GeoPackage holds no plans", source=filename,
                                             key="web.gpkg_no_plans")
                else:
                    found = [read_plan(path, ws.territory)]
            except InputDataError as exc:
                _name_upload(exc, {str(path): filename}, filename)
                raise
        added = [ws.add_plan(p, open_it=False).name for p in found]
        ws.open(added[0], **e)
        return added

    added = await asyncio.to_thread(work)
    return {"added": added, "plans": ws.list_plans(), **_draft_reply(ws, session=e["session"])}


@router.post("/import/project")
async def import_project(request: Request, filename: FileName) -> dict[str, Any]:
    """Open another territory: a project GeoPackage (units, censuses and plans) sent as the body.

    Its plans are listed as read-only scenarios; plans saved from then on go to a folder named after
    the territory's content hash under the plan folder.
    """
    from dayafter.io.project import read_project

    filename = _upload_name(filename)
    if Path(filename).suffix.lower() != ".gpkg":
        raise InputDataError("a project is a GeoPackage (.gpkg)", source=filename,
                             hint="export a project GeoPackage with 'dayafter territory build ... --out X.gpkg'",
                             key="web.project_not_gpkg", hint_key="web.project_export")
    data = await request.body()
    if not data:
        raise InputDataError("the file is empty", hint="export the project again", source=filename,
                             key="web.empty_file", hint_key="web.export_again")

    def work() -> Workspace:
        with tempfile.TemporaryDirectory(prefix="dayafter-import-") as tmp:
            path = Path(tmp) / "project.gpkg"
            path.write_bytes(data)
            try:
                proj = read_project(path)
            except InputDataError as exc:
                _name_upload(exc, {str(path): filename}, filename)
                raise
        t = proj.territory
        return Workspace(t, scenarios=proj.plans, plans_dir=_imported_dir(request, Path(filename).stem,
                                                                            t.content_hash),
                         title=t.name or Path(filename).stem)

    ws = await asyncio.to_thread(work)
    return _switch(request, ws)


def _switch(request: Request, ws: Workspace) -> dict[str, Any]:
    """Serve another workspace from now on (its caches start empty: they belong to it)."""
    ws.store.group_commits = True  # committed before every answer (app.CommitDraftsMiddleware)
    request.app.state.workspace = ws
    return {"title": ws.title, "n_units": ws.territory.n_units, "plans": ws.list_plans()}


def _imported_dir(request: Request, stem: str, content_hash: str) -> Path | None:
    import hashlib

    settings = request.app.state.settings
    old = _ws(request)
    root = Path(settings.plans_dir) if settings.plans_dir is not None else (
        old.plans_dir.parent if old.plans_dir is not None else None)
    key = hashlib.sha256(content_hash.encode()).hexdigest()[:12]
    # the stem comes from the client: only safe characters, so the folder stays under root/imported
    return root / "imported" / f"{file_stem(stem)[:64]}-{key}" if root is not None else None


_LAYER_SUFFIXES = (".geojson", ".json", ".gpkg", ".fgb", ".zip", ".shp")
_LAYER_HINT = "use a GeoPackage (.gpkg), GeoJSON (.geojson), zipped shapefile (.zip) or FlatGeobuf (.fgb)"


def _split(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").split(",") if x.strip()]


def _layer_suffix(filename: str) -> str:
    """The lower-case suffix of an uploaded units layer, refused unless it is a layer format."""
    suffix = Path(filename).suffix.lower()
    if suffix not in _LAYER_SUFFIXES:
        raise InputDataError(f"unsupported layer format {suffix or 'without extension'!r}", source=filename,
                             hint=_LAYER_HINT, key="web.unsupported_layer_format", args={"suffix": suffix},
                             hint_key="web.layer_formats")
    return suffix


def _non_empty(data: bytes, filename: str) -> bytes:
    """The uploaded bytes, refused when the upload is empty."""
    if not data:
        raise InputDataError("the file is empty", hint="export the layer again", source=filename,
                             key="web.empty_file", hint_key="web.export_again")
    return data


def _layer_censuses(censuses: str | None) -> dict[str, str]:
    """Parse ``'name=template; ...'`` (``{}`` stands for a community) into read_territory's census spec.

    >>> _layer_censuses("baseline={}_2014; current={}_2023")
    {'baseline': 'layer:{}_2014', 'current': 'layer:{}_2023'}
    """
    spec: dict[str, str] = {}
    for part in (censuses or "").split(";"):
        if not part.strip():
            continue
        name, sep, tmpl = part.partition("=")
        if not sep or not name.strip() or "{}" not in tmpl:
            raise InputDataError(f"census spec {part.strip()!r} is not NAME=TEMPLATE with {{}}",
                                 hint="e.g. baseline={}_2014; current={}_2023", key="web.bad_census_spec",
                                 args={"spec": part.strip()}, hint_key="web.census_spec_example")
        spec[name.strip()] = "layer:" + tmpl.strip()
    return spec


@router.post("/import/territory")
async def import_territory(
    request: Request,
    filename: FileName,
    id_col: str = Query(min_length=1, description="column with the unit ids"),
    communities: str = Query(min_length=1, description="comma-separated community columns"),
    censuses: str | None = Query(None, description="'name=template; ...', e.g. "
                                 "'baseline={}_2014; current={}_2023' ({} stands for a community)"),
    admin: str | None = Query(None, description="comma-separated admin-level columns"),
    labels: str | None = Query(None, description="comma-separated name columns (name_en, name_ar, ...)"),
) -> dict[str, Any]:
    """Open another territory built from a units layer (GeoJSON, GeoPackage, FlatGeobuf or a zipped
    shapefile) whose attribute table holds the population of each community."""
    from dayafter.io.units import read_territory

    filename = _upload_name(filename)
    suffix = _layer_suffix(filename)
    data = _non_empty(await request.body(), filename)
    comms = _split(communities)
    spec = _layer_censuses(censuses)

    def work() -> Workspace:
        with tempfile.TemporaryDirectory(prefix="dayafter-import-") as tmp:
            path = Path(tmp) / f"units{suffix}"
            path.write_bytes(data)
            try:
                t = read_territory(path, id_col=id_col, communities=comms, censuses=spec or None,
                                   admin_cols=_split(admin), label_cols=_split(labels),
                                   name=Path(filename).stem)
            except InputDataError as exc:
                _name_upload(exc, {str(path): filename}, filename)
                raise
        return Workspace(t, plans_dir=_imported_dir(request, Path(filename).stem, t.content_hash),
                         title=Path(filename).stem)

    return _switch(request, await asyncio.to_thread(work))


_TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")


@router.post("/import/territory/files")
async def import_territory_files(
    request: Request,
    layer: Annotated[UploadFile, File(description="the units layer (GeoJSON, GeoPackage, FlatGeobuf, "
                                      "zipped shapefile)")],
    id_col: Annotated[str, Form(min_length=1, description="column with the unit ids")],
    communities: Annotated[str | None, Form(description="comma-separated community columns (optional when "
                                            "every census is a table: its numeric columns are then the "
                                            "communities)")] = None,
    censuses: Annotated[str | None, Form(description="layer censuses, 'name=template; ...' as in "
                                         "/import/territory")] = None,
    tables: Annotated[list[UploadFile] | None, File(description="census tables (CSV or XLSX) joined on the "
                                                    "unit id, one per census")] = None,
    table_censuses: Annotated[list[str] | None, Form(description="the census name of each table, in the "
                                                     "order of 'tables'")] = None,
    table_id_col: Annotated[str | None, Form(description="id column of the tables (default: id_col)")] = None,
    admin: Annotated[str | None, Form(description="comma-separated admin-level columns")] = None,
    labels: Annotated[str | None, Form(description="comma-separated name columns (name_en, name_ar, ...)")] = None,
) -> dict[str, Any]:
    """Open another territory built from a units layer plus census tables kept in separate CSV/XLSX
    files (multipart upload). Each table holds one census: a row per unit, keyed by the unit id, and a
    column per community. Layer censuses (column templates) may be given alongside."""
    from dayafter.io.units import read_territory

    lname = _upload_name(layer.filename or "units")
    suffix = _layer_suffix(lname)
    data = _non_empty(await layer.read(), lname)
    comms = _split(communities)
    spec = _layer_censuses(censuses)
    tables = tables or []
    table_censuses = table_censuses or []
    if len(table_censuses) != len(tables):
        raise InputDataError(f"{len(tables)} census tables but {len(table_censuses)} census names",
                             hint="give one census name per table", key="web.census_tables_count",
                             args={"tables": len(tables), "names": len(table_censuses)},
                             hint_key="web.one_name_per_table")
    uploads: list[tuple[str, str, bytes]] = []  # (census, file name, bytes)
    for cname, up in zip(table_censuses, tables, strict=True):
        fname = _upload_name(up.filename or "table")
        cname = cname.strip()
        if not cname:
            raise InputDataError("a census table has no census name", hint="name its census, e.g. baseline",
                                 source=fname, key="web.table_without_census", hint_key="web.name_census")
        if cname in spec or any(cname == u[0] for u in uploads):
            raise InputDataError(f"census {cname!r} is given twice", hint="give each census one name",
                                 source=fname, key="web.census_twice", args={"census": cname},
                                 hint_key="web.one_name_per_census")
        if Path(fname).suffix.lower() not in _TABLE_SUFFIXES:
            raise InputDataError(f"unsupported census table {fname!r}", hint="use CSV or XLSX", source=fname,
                                 key="web.unsupported_table", args={"name": fname},
                                 hint_key="web.table_formats")
        blob = await up.read()
        if not blob:
            raise InputDataError("the file is empty", hint="export the table again", source=fname,
                                 key="web.empty_file", hint_key="web.export_again")
        uploads.append((cname, fname, blob))

    def work() -> Workspace:
        with tempfile.TemporaryDirectory(prefix="dayafter-import-") as tmp:
            path = Path(tmp) / f"units{suffix}"
            path.write_bytes(data)
            full: dict[str, str] = dict(spec)
            by_path: dict[str, str] = {}
            by_census: dict[str, str] = {}
            for i, (cname, fname, blob) in enumerate(uploads):
                tpath = Path(tmp) / f"table{i}{Path(fname).suffix.lower()}"
                tpath.write_bytes(blob)
                full[cname] = str(tpath)
                by_path[str(tpath)] = fname
                by_census[cname] = fname
            try:
                t = read_territory(path, id_col=id_col, communities=comms or None, censuses=full or None,
                                   table_id_col=table_id_col or None, admin_cols=_split(admin),
                                   label_cols=_split(labels), name=Path(lname).stem)
            except InputDataError as exc:
                source = by_path.get(exc.source) or next(
                    (f for c, f in by_census.items() if exc.message.startswith(f"census {c!r}")), lname)
                _name_upload(exc, {**by_path, str(path): lname}, source)
                exc.source = source
                raise
        return Workspace(t, plans_dir=_imported_dir(request, Path(lname).stem, t.content_hash),
                         title=Path(lname).stem)

    return _switch(request, await asyncio.to_thread(work))
