"""Opening a territory from a units layer plus census tables in separate CSV/XLSX files."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from tests.conftest import grid_gdf


def _layer_bytes(tmp_path):
    gdf = grid_gdf(3, 3, communities=2)[["uid", "prov", "c0", "c1", "geometry"]]
    path = tmp_path / "units.geojson"
    gdf.to_file(path, driver="GeoJSON")
    return gdf["uid"].tolist(), path.read_bytes()


def _tables(ids):
    rng = np.random.default_rng(7)
    old = pd.DataFrame({"code": ids, "kurd": rng.integers(0, 500, len(ids)).astype(float),
                        "arab": rng.integers(0, 500, len(ids)).astype(float)})
    new = pd.DataFrame({"code": ids, "kurd": rng.integers(0, 500, len(ids)).astype(float),
                        "arab": rng.integers(0, 500, len(ids)).astype(float)})
    xlsx = io.BytesIO()
    new.to_excel(xlsx, index=False)
    return old, new, old.to_csv(index=False).encode(), xlsx.getvalue()


def test_import_a_layer_with_csv_and_xlsx_census_tables(client, tmp_path):
    ids, layer = _layer_bytes(tmp_path)
    old, new, csv_bytes, xlsx_bytes = _tables(ids)
    r = client.post("/api/import/territory/files", data={
        "id_col": "uid", "table_id_col": "code", "communities": "kurd,arab", "admin": "prov",
        "table_censuses": ["baseline", "current"]}, files=[
        ("layer", ("units.geojson", layer, "application/geo+json")),
        ("tables", ("census_2014.csv", csv_bytes, "text/csv")),
        ("tables", ("census_2023.xlsx", xlsx_bytes,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))])
    assert r.status_code == 200, r.text
    assert r.json()["n_units"] == 9
    meta = client.get("/api/meta").json()
    assert meta["censuses"] == ["baseline", "current"]
    assert [c["key"] for c in meta["communities"]] == ["kurd", "arab"]
    t = client.app.state.workspace.territory
    for census, table in (("baseline", old), ("current", new)):
        assert t.population(census).sum() == pytest.approx(table[["kurd", "arab"]].to_numpy().sum())
        # joined on the id, not by row order
        by_id = table.set_index("code")[["kurd", "arab"]].sum(axis=1)
        assert t.population(census).tolist() == pytest.approx(by_id.loc[t.unit_ids.tolist()].tolist())
    # without tables, the multipart route reads populations in the layer, like the raw-body route
    r = client.post("/api/import/territory/files", data={"id_col": "uid", "communities": "c0,c1"},
                    files=[("layer", ("units.geojson", layer, "application/geo+json"))])
    assert r.status_code == 200, r.text
    assert client.get("/api/meta").json()["censuses"] == ["census"]
    raw = client.post("/api/import/territory", content=layer, params={
        "filename": "units.geojson", "id_col": "uid", "communities": "c0,c1"})
    assert raw.status_code == 200, raw.text


def test_a_census_table_with_an_unknown_unit_names_the_file_and_the_unit(client, tmp_path):
    ids, layer = _layer_bytes(tmp_path)
    old, _, _, _ = _tables(ids)
    bad = pd.concat([old, pd.DataFrame({"code": ["ZZ99"], "kurd": [1.0], "arab": [2.0]})])
    r = client.post("/api/import/territory/files", data={
        "id_col": "uid", "table_id_col": "code", "communities": "kurd,arab",
        "table_censuses": ["baseline"]}, files=[
        ("layer", ("units.geojson", layer, "application/geo+json")),
        ("tables", ("census_2014.csv", bad.to_csv(index=False).encode(), "text/csv"))])
    assert 400 <= r.status_code < 500, r.text
    body = r.json()
    assert body["error"] == "InputDataError"
    assert body["source"] == "census_2014.csv"
    assert "ZZ99" in body["unit_ids"] and "ZZ99" in body["message"]
    # errors raised while reading the table name the uploaded file too
    r = client.post("/api/import/territory/files", data={
        "id_col": "uid", "table_id_col": "nope", "communities": "kurd,arab",
        "table_censuses": ["baseline"]}, files=[
        ("layer", ("units.geojson", layer, "application/geo+json")),
        ("tables", ("census_2014.csv", bad.to_csv(index=False).encode(), "text/csv"))])
    assert r.status_code == 422 and r.json()["source"] == "census_2014.csv"
    # one census name per table
    r = client.post("/api/import/territory/files", data={"id_col": "uid"}, files=[
        ("layer", ("units.geojson", layer, "application/geo+json")),
        ("tables", ("census_2014.csv", bad.to_csv(index=False).encode(), "text/csv"))])
    assert r.status_code == 422 and "census names" in r.json()["message"]
    # the workspace was not replaced by a failed import
    assert client.app.state.workspace.territory.n_units == 36
