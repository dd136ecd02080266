"""Reading polygon layers and attribute tables, with errors that name the file and the fix."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from dayafter._inputs import MAX_LAYER_BYTES, MAX_TABLE_BYTES, check_input_file, read_input_text
from dayafter.errors import InputDataError
from dayafter.geo.build import build_territory, normalise_ids
from dayafter.io.ranges import ranges_from_wide, split_range_columns
from dayafter.territory import Territory

__all__ = ["read_table", "read_territory", "read_units"]

_VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".fgb"}


def read_units(path: str | Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a polygon layer: GeoPackage, GeoJSON, shapefile (``.shp`` or zipped) or FlatGeobuf."""
    p = Path(path)
    src = str(p)
    if not p.exists():
        raise InputDataError("file not found", hint="check the path", source=src)
    suffix = p.suffix.lower()
    if suffix not in _VECTOR_SUFFIXES:
        raise InputDataError(
            f"unsupported layer format {suffix!r}",
            hint="use a GeoPackage (.gpkg), GeoJSON (.geojson), zipped shapefile (.zip) or FlatGeobuf (.fgb)",
            source=src)
    check_input_file(p, what="layer", max_bytes=MAX_LAYER_BYTES)
    if p.stat().st_size == 0:
        raise InputDataError("the file is empty", hint="export the layer again", source=src)
    read_path: str = src
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(p) as zf:
                names = zf.namelist()
        except zipfile.BadZipFile:
            raise InputDataError("not a valid zip archive", hint="zip the shapefile's files again",
                                 source=src) from None
        shps = [n for n in names if n.lower().endswith(".shp")]
        if not shps:
            raise InputDataError("the zip holds no .shp file", hint="zip a shapefile (.shp, .shx, .dbf, .prj)",
                                 source=src)
        stem = shps[0][:-4]
        for ext in (".shx", ".dbf"):
            if not any(n.lower() == (stem + ext).lower() for n in names):
                raise InputDataError(
                    f"the shapefile {shps[0]!r} in the zip has no {ext} file",
                    hint=f"add {stem}{ext} to the zip (a shapefile needs .shp, .shx and .dbf)",
                    source=src)
        read_path = f"/vsizip/{p.resolve()}/{shps[0]}"
    if suffix == ".shp":
        for ext in (".shx", ".dbf"):
            side = next((q for q in (p.with_suffix(ext), p.with_suffix(ext.upper())) if q.exists()), None)
            if side is None:
                raise InputDataError(f"the shapefile has no {ext} file next to it",
                                     hint=f"copy {p.with_suffix(ext).name} next to it", source=src)
            check_input_file(side, what=f"shapefile's {ext} file", max_bytes=MAX_LAYER_BYTES)
    try:
        import pyogrio

        kwargs: dict[str, Any] = {}
        if layer is not None:
            kwargs["layer"] = layer
        elif suffix == ".gpkg":
            layers = pyogrio.list_layers(read_path)
            spatial = [str(name) for name, gtype in layers if gtype is not None]
            if "units" in spatial:
                kwargs["layer"] = "units"
            elif len(spatial) > 1:
                raise InputDataError(
                    f"the GeoPackage has several layers {spatial}",
                    hint="pick one with --layer", source=src)
        gdf = pyogrio.read_dataframe(read_path, **kwargs)
    except InputDataError:
        raise
    except Exception as exc:  # GDAL errors come in many classes
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputDataError(
            f"cannot read the layer ({msg})",
            hint="check that the file is a complete, valid " + {
                ".gpkg": "GeoPackage", ".geojson": "GeoJSON", ".json": "GeoJSON", ".zip": "zipped shapefile",
                ".shp": "shapefile", ".fgb": "FlatGeobuf"}[suffix] + " (open it in QGIS)",
            source=src) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name is None:
        raise InputDataError("the layer has no geometry column", hint="export it with geometries",
                             source=src)
    if len(gdf) == 0:
        raise InputDataError("the layer has no features", hint="check the file and layer name",
                             source=src)
    return gdf


def read_table(path: str | Path, *, id_col: str, sheet: str | int | None = 0) -> pd.DataFrame:
    """Read a CSV or XLSX attribute table keyed by unit id (ids kept as text)."""
    p = Path(path)
    src = str(p)
    check_input_file(p, what="table", max_bytes=MAX_TABLE_BYTES)
    suffix = p.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            df = pd.read_excel(p, sheet_name=sheet, dtype={id_col: str})
        elif suffix in (".csv", ".txt", ".tsv"):
            text = read_input_text(p, what="table", max_bytes=MAX_TABLE_BYTES)
            if not text.strip():
                raise InputDataError("the table is empty",
                                     hint=f"write a header ({id_col},<community>,...) and one row per unit",
                                     source=src)
            if "\x00" in text:
                raise InputDataError("the table holds NUL bytes: it is not a text (CSV) file",
                                     hint="save it as CSV (UTF-8) or XLSX", source=src)
            head = text.split("\n", 1)[0]
            sep = "\t" if suffix == ".tsv" or ("\t" in head and "," not in head) else (
                "|" if "|" in head and "," not in head else (";" if ";" in head and "," not in head else ","))
            df = pd.read_csv(io.StringIO(text), sep=sep, dtype={id_col: str})
        else:
            raise InputDataError(f"unsupported table format {suffix!r}", hint="use CSV or XLSX",
                                 source=src)
    except InputDataError:
        raise
    except UnicodeDecodeError:
        raise InputDataError("the table is not UTF-8 text", hint="save it as UTF-8 CSV or as XLSX",
                             source=src) from None
    except Exception as exc:
        raise InputDataError(f"cannot read the table ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})",
                             hint="check that it is a valid CSV/XLSX file", source=src) from None
    if id_col not in df.columns:
        raise InputDataError(f"the table has no id column {id_col!r} (columns: {list(df.columns)})",
                             hint="pass --table-id-col with the right column", source=src)
    df.index = normalise_ids(df[id_col], source=src).to_numpy()
    return df.drop(columns=[id_col])


def read_territory(
    path: str | Path,
    *,
    id_col: str,
    communities: Sequence[str] | None = None,
    censuses: Mapping[str, str | Path | Mapping[str, str]] | None = None,
    table_id_col: str | None = None,
    layer: str | None = None,
    admin_cols: Mapping[str, str] | Sequence[str] = (),
    label_cols: Mapping[str, str] | Sequence[str] = (),
    name: str = "",
    **kwargs: Any,
) -> Territory:
    """Build a territory from files.

    ``censuses`` maps a census name to one of: a CSV/XLSX path (joined on the unit id), a mapping
    ``{community: column}`` in the layer, or a column template such as ``"layer:{}_2014"`` where
    ``{}`` stands for each community. Without ``censuses``, ``communities`` are columns of the
    layer forming a single census called ``"census"``.
    """
    if communities is not None:
        names = [str(c) for c in communities]
        if any(not c.strip() for c in names):
            raise InputDataError(f"the community names {names} include an empty one",
                                 hint="write --communities a,b,c without empty entries", source=str(path))
        dup = sorted({c for c in names if names.count(c) > 1})
        if dup:
            raise InputDataError(f"the community names repeat {dup}",
                                 hint="name each community column once in --communities", source=str(path))
    gdf = read_units(path, layer=layer)
    specs: dict[str, Any] = {}
    range_tables: dict[str, tuple[pd.DataFrame, str]] = {}
    if not censuses:
        if not communities:
            raise InputDataError("name the community population columns",
                                 hint="pass --communities a,b,c or --census NAME=FILE", source=str(path))
        specs["census"] = {c: c for c in communities}
    else:
        for cname, spec in censuses.items():
            if isinstance(spec, Mapping):
                specs[cname] = dict(spec)
            elif isinstance(spec, str) and spec.startswith("layer:"):
                if not communities:
                    raise InputDataError(f"census {cname!r} uses a column template; name the communities",
                                         hint="pass --communities a,b,c", source=str(path))
                tmpl = spec[len("layer:"):]
                specs[cname] = {c: tmpl.replace("{}", c) for c in communities}
            else:
                table = read_table(spec, id_col=table_id_col or id_col)
                table, rcols = split_range_columns(table, communities)
                if len(rcols.columns):
                    range_tables[cname] = (rcols, str(spec))
                if communities:
                    absent = [c for c in communities if c not in table.columns]
                    if absent:
                        raise InputDataError(
                            f"census {cname!r}: the table has no columns {absent} "
                            f"(columns: {list(table.columns)})",
                            hint="rename the columns or fix --communities", source=str(spec))
                    table = table[list(communities)]
                else:
                    text_cols = [c for c in table.columns
                                 if not pd.api.types.is_numeric_dtype(table[c])]
                    if text_cols:
                        raise InputDataError(
                            f"census {cname!r}: columns {text_cols} are not numeric, so the "
                            "communities cannot be guessed",
                            hint="name the population columns with --communities a,b,c "
                            "(and fix any non-numeric values)", source=str(spec))
                specs[cname] = table
    territory = build_territory(gdf, id_col=id_col, censuses=specs, admin_cols=admin_cols,
                                label_cols=label_cols, name=name or Path(path).stem,
                                source=str(path), **kwargs)
    if range_tables:  # <community>_low / _high columns beside a census: its figures' ranges
        from dayafter.territory import CensusRange

        found: dict[str, CensusRange] = {}
        for cname, (rcols, src) in range_tables.items():
            r = ranges_from_wide(rcols, territory, cname, source=src)
            if r is not None:
                found[cname] = r
        territory = territory.with_ranges(found)
    return territory
