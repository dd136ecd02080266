"""Building territories from polygon layers: adjacency, measures, validation errors and warnings."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from dayafter.errors import DataQualityWarning, GeometryError, InputDataError
from dayafter.geo import build_territory
from dayafter.plan import Plan, Region

CENSUS = {"now": {"a": "c0", "b": "c1", "c": "c2"}}


def _build(gdf, **kw):
    kw.setdefault("censuses", CENSUS)
    return build_territory(gdf, id_col="uid", **kw)


def test_rook_adjacency_matches_libpysal(make_grid):
    from libpysal.weights import Rook

    gdf = make_grid(5, 7)
    t = _build(gdf)
    w = Rook.from_dataframe(gdf, ids=gdf["uid"].tolist(), use_index=False)
    ours = {(t.unit_ids[u], t.unit_ids[v]) for u, v, _ in zip(*t.graph.edges(), strict=True)}
    theirs = {tuple(sorted((a, b))) for a, nbrs in w.neighbors.items() for b in nbrs}
    assert ours == theirs
    assert t.graph.n_edges == 5 * 6 + 4 * 7


def test_measures_in_metres(make_grid):
    gdf = make_grid(2, 2, size=0.01)
    t = _build(gdf)
    # cells of 0.01 degree near 36N: about 1,113 m north-south and 900 m east-west
    assert t.area == pytest.approx(np.full(4, 1.0e6), rel=0.02)
    assert np.all(t.graph.border_length > 800) and np.all(t.graph.border_length < 1200)
    assert t.outer_border.sum() + 2 * t.graph.border_length.sum() / 2 == pytest.approx(t.perimeter.sum())


def test_polsby_popper_equals_dissolved_geometry(make_grid):
    from dayafter.geo import dissolve_regions
    from dayafter.metrics import evaluate

    gdf = make_grid(6, 6)
    t = _build(gdf)
    rng = np.random.default_rng(3)
    a = rng.integers(0, 4, t.n_units)
    plan = Plan(a, tuple(Region(f"R{j}") for j in range(4)), t.content_hash)
    ev = evaluate(t, plan)
    geoms = dissolve_regions(t, plan)
    pp = 4 * np.pi * shapely.area(geoms.values) / shapely.length(geoms.values) ** 2
    assert np.allclose(ev.geometry.polsby_popper, pp, rtol=1e-6, atol=0)


def test_admin_levels_and_labels_kept(make_grid):
    t = _build(make_grid(4, 4), admin_cols={"province": "prov"}, label_cols={"name": "dist"})
    assert set(t.admin) == {"province"}
    assert t.admin["province"].tolist()[:4] == ["P0"] * 4
    assert t.labels["name"][0] == "D00"


def test_units_sorted_and_ids_text(make_grid):
    gdf = make_grid(3, 3).sample(frac=1.0, random_state=1)
    t = _build(gdf)
    assert list(t.unit_ids) == sorted(t.unit_ids)
    g2 = make_grid(2, 2)
    g2["uid"] = ["007", "010", "011", "012"]
    t2 = _build(g2)
    assert t2.unit_ids.tolist() == ["007", "010", "011", "012"]


def test_census_from_table(make_grid):
    gdf = make_grid(3, 3)
    table = pd.DataFrame({"a": 1.0, "b": 2.0}, index=gdf["uid"])
    t = build_territory(gdf, id_col="uid", censuses={"t": table})
    assert t.communities == ("a", "b")
    assert t.census("t").sum() == 27.0


@pytest.mark.parametrize(
    ("mutate", "expect"),
    [
        (lambda g: g.assign(uid=["X"] * len(g)), "duplicate unit ids"),
        (lambda g: g.assign(uid=[None] + g["uid"].tolist()[1:]), "have no unit id"),
        (lambda g: g.assign(c0=[np.nan] + g["c0"].tolist()[1:]), "have no population value"),
        (lambda g: g.assign(c0=[-5.0] + g["c0"].tolist()[1:]), "negative populations"),
        (lambda g: g.assign(c0=["many"] + [str(x) for x in g["c0"].tolist()[1:]]), "non-numeric"),
        (lambda g: g.drop(columns=["c0"]), "has no columns"),
    ],
)
def test_bad_population_and_ids(make_grid, mutate, expect):
    gdf = mutate(make_grid(3, 3))
    with pytest.raises(InputDataError, match=expect) as exc:
        _build(gdf, source="units.gpkg")
    assert "units.gpkg" in str(exc.value)
    assert "Fix:" in str(exc.value)


def test_missing_population_as_zero(make_grid):
    gdf = make_grid(3, 3)
    gdf.loc[0, "c0"] = np.nan
    t = _build(gdf, missing_population="zero")
    assert t.census("now")[t.index("C0000")[0], 0] == 0


def test_invalid_geometry_reported_then_repaired(make_grid):
    gdf = make_grid(3, 3)
    x0, y0, x1, y1 = gdf.geometry.iloc[4].bounds
    bowtie = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    gdf.loc[4, "geometry"] = bowtie
    with pytest.raises(GeometryError, match="invalid geometries") as exc:
        _build(gdf)
    assert exc.value.unit_ids == ["C0101"]
    assert "--repair" in str(exc.value)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        t = _build(gdf, repair=True)
    msgs = [str(w.message) for w in rec]
    assert any("repaired 1 invalid geometries with make_valid: 'C0101'" in m for m in msgs)
    assert any("gaps inside the territory" in m for m in msgs)  # the bow tie leaves two holes
    assert t.n_units == 9


def test_empty_geometry_and_points(make_grid):
    gdf = make_grid(3, 3)
    gdf.loc[2, "geometry"] = Polygon()
    with pytest.raises(GeometryError, match="empty"):
        _build(gdf)
    gdf = make_grid(3, 3)
    gdf.loc[2, "geometry"] = shapely.Point(44, 36)
    with pytest.raises(GeometryError, match="not polygons"):
        _build(gdf)


def test_no_crs_and_wrong_crs(make_grid):
    gdf = make_grid(2, 2).set_crs(None, allow_override=True)
    with pytest.raises(GeometryError, match="no coordinate reference system"):
        _build(gdf)
    t = _build(gdf, crs="EPSG:4326")
    assert t.n_units == 4
    g = make_grid(2, 2)
    g = g.set_geometry(g.geometry.scale(10000, 10000, origin=(0, 0)))
    with pytest.raises(GeometryError, match="not longitudes/latitudes"):
        _build(g)


def test_projected_layer_used_as_is(make_grid):
    g = make_grid(2, 2).to_crs(32638)
    t = _build(g)
    assert "32638" in t.crs or "UTM" in t.crs


def test_islands_warn_and_link(make_grid):
    gdf = make_grid(2, 2)
    island = {"uid": "ZZ", "geometry": box(45.0, 36.0, 45.1, 36.1), "prov": "P9", "dist": "D9",
              "c0": 1.0, "c1": 1.0, "c2": 1.0}
    gdf = pd.concat([gdf, gpd.GeoDataFrame([island], crs=4326)], ignore_index=True)
    gdf = gpd.GeoDataFrame(gdf, crs=4326)
    with pytest.warns(DataQualityWarning, match="2 components.*ZZ.*--link-islands"):
        t = _build(gdf)
    assert t.graph.components().max() == 1
    with pytest.warns(DataQualityWarning, match="linked 1 islands"):
        t2 = _build(gdf, link_islands=True)
    assert t2.graph.components().max() == 0
    assert t2.meta["island_links"] == [("ZZ", "C0101")]


def test_gap_and_overlap_warnings(make_grid):
    gdf = make_grid(3, 3)
    gdf = gdf[gdf["uid"] != "C0101"].reset_index(drop=True)  # a hole in the middle
    with pytest.warns(DataQualityWarning, match="1 gaps inside the territory"):
        _build(gdf)
    gdf = make_grid(2, 2)
    gdf.loc[0, "geometry"] = gdf.geometry.iloc[0].buffer(0.01, join_style="mitre")
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        _build(gdf)
    assert any("overlap" in str(w.message) for w in rec)


def test_point_contacts_not_edges_unless_queen(make_grid):
    gdf = make_grid(2, 2)
    t = _build(gdf)
    assert t.graph.n_edges == 4 and t.meta["point_contacts"] == 2
    tq = _build(gdf, queen=True)
    assert tq.graph.n_edges == 6


def test_censuses_keep_one_community_order(make_grid):
    gdf = make_grid(2, 2)
    t = build_territory(gdf, id_col="uid", censuses={"c1": {"a": "c0", "b": "c1"},
                                                     "c2": {"b": "c1_old", "a": "c0_old"}})
    assert t.communities == ("a", "b")
    assert t.census("c2")[:, 0].tolist() == gdf.sort_values("uid")["c0_old"].tolist()
    with pytest.raises(InputDataError, match="same communities"):
        build_territory(gdf, id_col="uid", censuses={"c1": {"a": "c0", "b": "c1"}, "c2": {"a": "c0", "z": "c1"}})
