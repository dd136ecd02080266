"""Every supported layer and table format gives the same territory."""

from __future__ import annotations

import zipfile

import pytest

from dayafter.io import read_territory

COMMS = ["c0", "c1", "c2"]


@pytest.fixture
def reference(tmp_path, make_grid):
    gdf = make_grid(3, 4)
    gdf.to_file(tmp_path / "u.geojson", driver="GeoJSON")
    t = read_territory(tmp_path / "u.geojson", id_col="uid", communities=COMMS, admin_cols={"prov": "prov"})
    return gdf, t


def _shp_zip(gdf, tmp_path):
    d = tmp_path / "shp"
    d.mkdir()
    gdf.to_file(d / "units.shp")
    z = tmp_path / "units.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in d.iterdir():
            zf.write(f, f"folder/{f.name}")
    return z


@pytest.mark.parametrize("fmt", ["gpkg", "fgb", "zip", "shp"])
def test_formats_agree(tmp_path, reference, fmt):
    gdf, t = reference
    if fmt == "gpkg":
        path = tmp_path / "u.gpkg"
        gdf.to_file(path, layer="units", driver="GPKG")
    elif fmt == "fgb":
        path = tmp_path / "u.fgb"
        gdf.to_file(path, driver="FlatGeobuf")
    elif fmt == "zip":
        path = _shp_zip(gdf, tmp_path)
    else:
        path = tmp_path / "u.shp"
        gdf.to_file(path)
    t2 = read_territory(path, id_col="uid", communities=COMMS, admin_cols={"prov": "prov"})
    assert t2.content_hash == t.content_hash


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_census_tables_joined_on_id(tmp_path, reference, suffix):
    gdf, t = reference
    table = gdf[["uid", *COMMS]].copy()
    table["uid"] = table["uid"].astype(str)
    path = tmp_path / f"census{suffix}"
    if suffix == ".csv":
        table.to_csv(path, index=False)
    else:
        table.to_excel(path, index=False)
    t2 = read_territory(tmp_path / "u.geojson", id_col="uid", communities=COMMS,
                        censuses={"census": str(path)}, admin_cols={"prov": "prov"})
    assert t2.content_hash == t.content_hash


def test_ids_with_leading_zeros_stay_text(tmp_path, make_grid):
    gdf = make_grid(2, 2)
    gdf["uid"] = ["0101", "0102", "0201", "0202"]
    gdf.to_file(tmp_path / "u.geojson", driver="GeoJSON")
    table = gdf[["uid", *COMMS]]
    table.to_csv(tmp_path / "t.csv", index=False)
    t = read_territory(tmp_path / "u.geojson", id_col="uid", communities=COMMS,
                       censuses={"c": str(tmp_path / "t.csv")})
    assert t.unit_ids.tolist() == ["0101", "0102", "0201", "0202"]
