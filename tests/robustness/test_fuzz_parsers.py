"""Fuzzing the loaders and plan parsers: any input gives a plan or a DayafterError, never a crash."""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dayafter.errors import DayafterError
from dayafter.io import read_plan, read_units
from dayafter.io.plans import plan_from_dict
from dayafter.plan import Plan

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 20) | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=20,
)


def _parse(t, suffix: str, content: bytes):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"plan{suffix}"
        p.write_bytes(content)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return read_plan(p, t)
            except DayafterError as exc:
                assert exc.one_line() and "\n" not in exc.one_line()
                return None


@FUZZ
@given(content=st.binary(max_size=300))
def test_random_bytes_as_plans(grid_territory, content):
    for suffix in (".csv", ".json", ".psv", ".gpkg"):
        r = _parse(grid_territory, suffix, content)
        assert r is None or isinstance(r, Plan)


@FUZZ
@given(rows=st.lists(st.tuples(st.sampled_from(["C0000", "C0101", "C0303", "x", "", "007", " C0102 "]),
                               st.sampled_from(["1", "2", "0", "-1", "", "A", "3.0", "1e3", "nan", "Sinjar"])),
                     max_size=20),
       sep=st.sampled_from([",", "|"]), header=st.booleans())
def test_assignment_tables(grid_territory, rows, sep, header):
    text = ("unit_id" + sep + "region\n" if header else "") + "\n".join(a + sep + b for a, b in rows)
    r = _parse(grid_territory, ".csv", text.encode())
    assert r is None or isinstance(r, Plan)


@FUZZ
@given(data=st.fixed_dictionaries({"format": st.sampled_from(["dayafter.plan", "x"]), "version": st.sampled_from([1, 2])},
                                  optional={"regions": json_values, "assignment": json_values, "name": json_values,
                                            "territory_hash": json_values, "meta": json_values}))
def test_plan_dicts(grid_territory, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = plan_from_dict(data, grid_territory)
            assert isinstance(r, Plan)
        except DayafterError:
            pass
    r = _parse(grid_territory, ".json", json.dumps(data).encode())
    assert r is None or isinstance(r, Plan)


@settings(max_examples=60, deadline=None)
@given(content=st.binary(max_size=400) | st.text(max_size=300).map(str.encode))
def test_random_layers(content):
    for suffix in (".geojson", ".gpkg", ".zip", ".fgb"):
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / f"units{suffix}"
            p.write_bytes(content)
            try:
                read_units(p)
            except DayafterError as exc:
                assert str(p) in exc.one_line()
