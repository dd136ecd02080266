"""Security over census draws: requirement on every draw, shortfall by LP on the first draws."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

from dayafter.errors import ConfigError
from dayafter.security import allocate_forces, force_requirement, load_force_catalog
from dayafter.security.draws import security_draws
from dayafter.uncertainty import CensusModel


@pytest.fixture(scope="module")
def catalog():
    path = resources.files("dayafter.cases.northern_iraq").joinpath("security", "forces.json")
    return load_force_catalog(str(path))


def test_requirement_and_shortfall_equal_the_engine_on_each_draw(iraq, catalog, global_seed):
    t = iraq.territory
    plan = iraq.plans["nineveh-plains-sinjar-province"]
    threat = {t.unit_ids[0]: 1.5, t.unit_ids[3]: 2.0}
    draws = CensusModel(t).draw(12, seed=global_seed)
    sd = security_draws(t, catalog, plan, draws, census="current", per_1000=25, threat=threat,
                        max_lp=3)
    assert sd.n_draws == 12 and sd.n_lp_draws == 3
    x = draws.census("current")
    for j in range(12):
        want = force_requirement(t, per_1000=25, threat=threat,
                                 census_table=np.ascontiguousarray(x[j]))
        np.testing.assert_array_equal(sd.requirement[j], want)
    for j in range(3):
        a = allocate_forces(t, catalog, plan=plan, census_table=np.ascontiguousarray(x[j]),
                            requirement=sd.requirement[j])
        assert sd.shortfall[j].sum() == pytest.approx(a.total_shortfall, rel=1e-6, abs=1e-3)
        np.testing.assert_allclose(sd.shortfall[j], a.shortfall, rtol=1e-6, atol=1e-3)


def test_zero_width_ranges_reproduce_the_point(iraq, catalog):
    t = iraq.territory.with_ranges({}, replace=True)
    plan = iraq.plans["status-quo-2014"]
    sd = security_draws(t, catalog, plan, CensusModel(t).draw(2, seed=0), census="baseline", max_lp=2)
    np.testing.assert_array_equal(sd.requirement[1], sd.point.requirement)
    assert sd.shortfall[1].sum() == pytest.approx(sd.point.total_shortfall, rel=1e-9, abs=1e-6)
    s = sd.summary()
    assert s["requirement"]["p05"] == pytest.approx(s["requirement"]["point"])
    assert [r["region"] for r in s["regions"]] == list(plan.region_names)


def test_fast_mode_and_bad_bound(iraq, catalog):
    t = iraq.territory
    plan = iraq.plans["status-quo-2014"]
    draws = CensusModel(t).draw(4, seed=1)
    sd = security_draws(t, catalog, plan, draws, max_lp=2, balance=False, prefer=False)
    s = sd.summary()
    assert s["lp_draws"] == 2 and s["regions"][0]["shortfall"] is None and s["forces"] == {}
    for bad in (0, -1, 2.5):
        with pytest.raises(ConfigError, match="max_lp"):
            security_draws(t, catalog, plan, draws, max_lp=bad)
