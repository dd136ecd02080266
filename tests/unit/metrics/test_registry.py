"""The metric registry: one vocabulary for criteria, objectives, ensemble columns, report, CLI, web."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from dayafter.errors import ConfigError
from dayafter.metrics import evaluate, registry
from dayafter.plan import Plan, Region


@pytest.fixture
def ev(grid_territory):
    t = grid_territory
    a = np.repeat([0, 1, 2, 3], 4)
    ref = Plan(np.repeat([0, 1], 8), (Region("W", "x"), Region("E", "y")), t.content_hash, name="ref")
    plan = Plan(a, tuple(Region(f"R{j}", "x" if j < 2 else "y") for j in range(4)), t.content_hash)
    return evaluate(t, plan, reference=ref)


def test_every_scalar_of_an_evaluation_is_a_registered_metric(ev):
    for key in ev.scalars():
        m = registry.get(key)
        census = key.partition("/")[0] if "/" in key else None
        assert m.census == (census is not None), key
        v = registry.value(ev, key)
        assert v == pytest.approx(ev.scalars()[key], nan_ok=True), key


def test_region_and_community_values_equal_the_evaluation(ev):
    cm = ev.census("now")
    for name in ("population", "deviation", "largest_share", "fractionalization", "polarization"):
        assert np.array_equal(registry.value(ev, name, "now"), getattr(cm, name), equal_nan=True)
    assert np.array_equal(registry.value(ev, "share:b", "now"), cm.shares[:, 1], equal_nan=True)
    assert np.array_equal(registry.value(ev, "polsby_popper"), ev.geometry.polsby_popper, equal_nan=True)
    assert np.array_equal(registry.value(ev, "now/stranded"), cm.stranded)
    # homogeneity by hand: population-weighted mean largest share
    w = cm.population / cm.population.sum()
    assert registry.value(ev, "homogeneity", "now") == pytest.approx(float(np.sum(w * cm.largest_share)))
    a, b = cm.communities[:2]
    assert registry.value(ev, f"dissimilarity:{a}|{b}", "now") == pytest.approx(cm.dissimilarity[0, 1])
    with pytest.raises(ConfigError):
        registry.value(ev, "share:nobody", "now")


def test_names_levels_directions_and_formats():
    assert registry.get("current/stranded:yazidi").name == "stranded"
    assert registry.get("geometry/splits:governorate").arg == "level"
    with pytest.raises(ConfigError, match="unknown metric"):
        registry.get("bogus")
    assert registry.format_value("deviation", -0.0512) == "-5.1%"
    assert registry.format_value("theil_h", 0.12345) == "0.123"
    assert registry.format_value("stranded_people", 1234567.0) == "1,234,567"
    assert registry.format_value("stranded", float("nan")) == "-"
    assert registry.get("stranded").better(0.1, 0.2) and not registry.get("population").better(2, 1)
    assert {m["name"] for m in registry.metadata()} == set(registry.METRICS)
    json.dumps(registry.metadata())


def test_the_four_vocabularies_are_the_registry():
    from dayafter.criteria import COMMUNITY_METRICS, REGION_METRICS, Criterion
    from dayafter.optimize.problem import METRICS

    assert set(REGION_METRICS) == set(registry.names("region"))
    assert set(COMMUNITY_METRICS) == set(registry.names("community"))
    for name, sense in METRICS.items():  # optimizer objectives
        assert registry.get(name).sense == sense
    pkg = resources.files("dayafter.cases.northern_iraq")
    for c in json.loads(pkg.joinpath("criteria.json").read_text(encoding="utf-8"))["criteria"]:
        crit = Criterion.from_dict(c)  # the case's criteria name registered metrics
        assert crit.scope in ("region", "community", "plan")
        registry.get(crit.metric)



def test_engine_metrics_are_registered_with_their_engine(ev):
    from dayafter.criteria import Criterion

    pkg = resources.files("dayafter.cases.northern_iraq")
    spec = json.loads(pkg.joinpath("criteria_engines.json").read_text(encoding="utf-8"))
    engines = set()
    for c in spec["criteria"]:
        crit = Criterion.from_dict(c)
        m = registry.get(crit.metric)  # every engine criterion names a registered metric
        assert crit.engine == m.engine is not None
        assert crit.scope == ("plan" if m.level == "plan" else m.level)
        engines.add(m.engine)
    assert engines == {"councils", "security", "settle"}
    assert registry.get("seats:kurd").level == "region" and registry.get("transfer:krg").level == "plan"
    assert registry.get("security_gap").layer == "control"
    assert registry.format_value("transfer:krg", -1234567.8) == "-1,234,568"
    with pytest.raises(ConfigError, match="output of the councils engine"):
        registry.value(ev, "council_seats", "now")
    # the evaluation's own metrics name no engine
    assert all(registry.get(k).engine is None for k in ev.scalars())
