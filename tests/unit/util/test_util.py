"""The ground-floor helpers: strict JSON, atomic writes, percentile ranks (dayafter._util)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import percentileofscore

from dayafter._util import (
    atomic_path,
    atomic_savez,
    atomic_write_json,
    atomic_write_text,
    finite,
    json_bytes,
    json_dumps,
    percentile_rank,
    quantiles,
    to_jsonable,
)

_floats = st.floats(allow_nan=True, allow_infinity=True)
_leaves = st.one_of(st.none(), st.booleans(), st.integers(-2**60, 2**60), _floats, st.text(max_size=5),
                    _floats.map(np.float64), st.integers(-1000, 1000).map(np.int32))
_data = st.recursive(_leaves, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.tuples(kids, kids),
    st.dictionaries(st.text(max_size=4), kids, max_size=4)), max_leaves=20)


def _expected(v):
    """The independent reading: what strict JSON must hold for ``v``."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _expected(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_expected(x) for x in v]
    return v


@given(_data)
def test_strict_json_of_any_nested_data(value):
    text = json_dumps(value)
    assert json.loads(text) == _expected(value)
    assert json.loads(json_bytes(value)) == _expected(value)
    json.dumps(to_jsonable(value), allow_nan=False)  # never raises


def test_arrays_paths_and_objects():
    class Obj:
        def to_dict(self):
            return {"x": np.array([1.0, np.nan])}

    assert to_jsonable({"a": np.arange(3), "p": Path("/tmp/x"), "o": Obj(), 2: {3}}) == {
        "a": [0, 1, 2], "p": "/tmp/x", "o": {"x": [1.0, None]}, "2": [3]}
    assert json_dumps(object(), default=lambda o: "obj") == '"obj"'
    with pytest.raises(TypeError):
        json_dumps(object(), default=None)
    assert json_dumps({"a": "ع"}) == '{"a":"ع"}'  # text stays text


def test_finite():
    assert finite(np.float32(0.5)) == 0.5
    assert finite(np.inf) is None and finite(float("nan")) is None


def test_atomic_write_keeps_the_old_file_on_error(tmp_path):
    target = tmp_path / "sub" / "f.txt"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert sorted(os.listdir(target.parent)) == ["f.txt"]  # no temporary file left behind
    atomic_write_text(target, "new", durable=False)
    assert target.read_text() == "new"


def test_atomic_json_and_npz(tmp_path):
    atomic_write_json(tmp_path / "m.json", {"x": np.float64("nan"), "k": (1, 2)})
    assert json.loads((tmp_path / "m.json").read_text()) == {"x": None, "k": [1, 2]}
    assert (tmp_path / "m.json").read_text().endswith("\n")
    atomic_savez(tmp_path / "a.npz", {"a": np.arange(4)})
    with np.load(tmp_path / "a.npz") as z:
        assert z["a"].tolist() == [0, 1, 2, 3]
    assert sorted(os.listdir(tmp_path)) == ["a.npz", "m.json"]


@given(st.lists(st.integers(0, 6).map(float), min_size=1, max_size=30), st.integers(-1, 7).map(float))
def test_percentile_rank_equals_scipy_mean_kind(sample, value):
    # scipy's percentileofscore(kind="mean") is the mid-rank definition, computed independently
    assert percentile_rank(sample, value) == pytest.approx(percentileofscore(sample, value, kind="mean"))
    assert percentile_rank(sample, value, scale=1.0) == pytest.approx(
        percentileofscore(sample, value, kind="mean") / 100)


def test_percentile_rank_ignores_nan_and_quantiles():
    assert percentile_rank([np.nan, 1.0, 3.0], 2.0) == 50.0
    assert math.isnan(percentile_rank([np.nan], 1.0))
    assert math.isnan(percentile_rank([1.0], np.nan))
    x = np.array([5.0, np.nan, 1.0, 3.0, np.inf])
    assert quantiles(x, (0.25, 0.5)).tolist() == np.nanquantile([5.0, 1.0, 3.0], [0.25, 0.5]).tolist()
    assert np.isnan(quantiles([np.nan], (0.5,))).all()
