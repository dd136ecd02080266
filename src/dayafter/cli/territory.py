"""``dayafter territory build``: a territory from a polygon layer and population tables."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer

from dayafter.cli._common import console, err_line, print_json
from dayafter.errors import InputDataError

app = typer.Typer(help="Build and inspect territories.", no_args_is_help=True)


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values or []:
        key, sep, val = v.partition("=")
        if not sep or not key or not val:
            raise InputDataError(f"{what} {v!r} is not NAME=VALUE", hint=f"write {what} like level=COLUMN")
        out[key] = val
    return out


@app.command("build")
def build(
    layer: Annotated[Path, typer.Argument(help="Polygon layer: .gpkg, .geojson, .zip (shapefile) or .fgb.")],
    id_col: Annotated[str, typer.Option("--id-col", help="Column with the unit ids (kept as text).")],
    communities: Annotated[str | None, typer.Option(help="Comma-separated community columns.")] = None,
    census: Annotated[list[str] | None, typer.Option(
        help="NAME=FILE.csv|FILE.xlsx (joined on the id) or NAME=layer:{}_2014 (column template); repeatable.")] = None,
    table_id_col: Annotated[str | None, typer.Option(help="Id column of the census tables (default: --id-col).")] = None,
    admin: Annotated[list[str] | None, typer.Option(help="LEVEL=COLUMN of an existing admin level; repeatable.")] = None,
    label: Annotated[list[str] | None, typer.Option(help="KEY=COLUMN of a text column to keep; repeatable.")] = None,
    layer_name: Annotated[str | None, typer.Option("--layer", help="Layer inside a GeoPackage.")] = None,
    repair: Annotated[bool, typer.Option(help="Repair invalid geometries with make_valid.")] = False,
    link_islands: Annotated[bool, typer.Option(help="Link islands to their nearest unit.")] = False,
    queen: Annotated[bool, typer.Option(help="Count point contacts as adjacency.")] = False,
    crs: Annotated[str | None, typer.Option(help="CRS of the coordinates, for a file without one or with a wrong one, e.g. EPSG:4326.")] = None,
    grid_size: Annotated[float, typer.Option(help="Snap coordinates to this grid (metres).")] = 0.0,
    missing_population: Annotated[str, typer.Option(help="error or zero.")] = "error",
    out: Annotated[Path | None, typer.Option(help="Write a project GeoPackage here.")] = None,
    keep_plans: Annotated[bool, typer.Option(
        "--keep-plans", help="When --out is a project with saved plans: carry them over to the new territory.")] = False,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace an existing --out file (its saved plans are lost).")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Build a territory: validate the data, measure adjacency, areas and borders, and summarise."""
    from dayafter.io import read_territory
    from dayafter.io.project import rebuild_project

    if keep_plans and overwrite:
        raise InputDataError("--keep-plans and --overwrite contradict each other",
                             hint="keep the saved plans (--keep-plans) or drop them (--overwrite)")
    comms = [c.strip() for c in communities.split(",")] if communities else None
    with warnings.catch_warnings(record=True) as caught, console(stderr=True).status(
            f"building the territory from {layer} (validation, adjacency, measures)"):
        warnings.simplefilter("always")
        t = read_territory(
            layer, id_col=id_col, communities=comms, censuses=_pairs(census, "--census") or None,
            table_id_col=table_id_col, layer=layer_name, admin_cols=_pairs(admin, "--admin"),
            label_cols=_pairs(label, "--label"), repair=repair, link_islands=link_islands,
            queen=queen, crs=crs, grid_size=grid_size, missing_population=missing_population)
    for w in caught:
        err_line(f"warning: {w.message}")
    kept: list[str] = []
    if out is not None:
        tables = [v.partition("=")[2] for v in census or []]
        kept = rebuild_project(t, out, keep_plans=keep_plans, overwrite=overwrite,
                               inputs=[layer, *[x for x in tables if not x.startswith("layer:")]])
    s = t.summary()
    s["warnings"] = [str(w.message) for w in caught]
    if out is not None:
        s["project"] = str(out)
        s["plans_kept"] = kept
    if json_out:
        print_json(s)
        return
    c = console()
    c.print(f"[bold]{t.name}[/bold]: {s['units']} units, {s['edges']} adjacencies, {s['components']} "
            f"component(s), {s['area_km2']:,.0f} km2")
    c.print(f"communities: {', '.join(t.communities)}")
    for name, total in s["censuses"].items():
        c.print(f"census {name}: {total:,.0f} people")
    if s["admin_levels"]:
        c.print("admin levels: " + ", ".join(f"{k} ({v})" for k, v in s["admin_levels"].items()))
    c.print(f"content hash: {t.content_hash[:16]}")
    if out is not None:
        c.print(f"project written to {out}" + (f" (plans kept: {', '.join(kept)})" if kept else ""))
