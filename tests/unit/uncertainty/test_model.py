"""The census model: reproducible draws, shares summing to one, calibration, the stated defaults."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from tests.reference import uncertainty_ref as ref

from dayafter.errors import ConfigError, InputDataError
from dayafter.territory import CensusRange
from dayafter.uncertainty import CensusModel, ErrorModel


@pytest.fixture
def ranged(global_seed):
    return ref.ranged_grid(4, 5, 3, np.random.default_rng(global_seed), censuses=("now", "then"))


def test_same_seed_same_draws_and_prefix(ranged):
    m = CensusModel(ranged)
    a, b = m.draw(50, seed=11), m.draw(50, seed=11)
    for name in ranged.census_names:
        assert np.array_equal(a.census(name), b.census(name))
    c = m.draw(50, seed=12)
    assert not np.array_equal(a.census("now"), c.census("now"))
    short = m.draw(7, seed=11)          # the first draws of a longer run
    assert np.array_equal(short.census("now"), a.census("now")[:7])
    assert np.array_equal(a.head(7).census("then"), short.census("then"))


def test_a_census_does_not_depend_on_which_others_are_drawn(ranged):
    m = CensusModel(ranged)
    both = m.draw(20, seed=3)
    one = m.draw(20, seed=3, censuses=["then"])
    assert one.census_names == ("then",)
    assert np.array_equal(one.census("then"), both.census("then"))


def test_draws_are_non_negative_and_shares_sum_to_one(ranged):
    m = CensusModel(ranged)
    d = m.draw(300, seed=5)
    x = d.census("now")
    assert x.shape == (300, ranged.n_units, ranged.n_communities)
    assert np.all(x >= 0) and np.all(np.isfinite(x))
    tot = x.sum(axis=2)
    shares = x / tot[:, :, None]
    assert np.allclose(shares.sum(axis=2), 1.0)
    # a community counted as zero with a zero-width range stays zero
    zero = ranged.census("now") == 0
    assert np.all(x[:, zero] == 0)


def test_without_ranges_every_draw_is_the_census_bit_for_bit(ranged):
    bare = ranged.with_ranges({}, replace=True)
    d = CensusModel(bare).draw(9, seed=1)
    for name in bare.census_names:
        assert np.array_equal(d.census(name), np.broadcast_to(bare.census(name), d.census(name).shape))
    # zero-width stated ranges give the same
    zero = {n: CensusRange(bare.census(n), bare.census(n), bare.population(n), bare.population(n))
            for n in bare.census_names}
    d2 = CensusModel(bare.with_ranges(zero)).draw(9, seed=1)
    for name in bare.census_names:
        assert np.array_equal(d2.census(name), d.census(name))


def test_sizes_are_two_piece_normal_with_the_range_as_central_interval(global_seed):
    """P(size < low) = P(size > high) = 5% and the median is the point value (10k draws)."""
    t = ref.ranged_grid(2, 3, 2, np.random.default_rng(global_seed), rel_size=(0.1, 0.3))
    m = CensusModel(t)
    x = m.draw(10_000, seed=global_seed).census("now").sum(axis=2)      # [d, n]
    r = t.ranges["now"]
    V = t.population("now")
    below, above = (x < r.total_low).mean(axis=0), (x > r.total_high).mean(axis=0)
    se = np.sqrt(0.05 * 0.95 / 10_000)
    assert np.all(np.abs(below - 0.05) < 5 * se) and np.all(np.abs(above - 0.05) < 5 * se)
    assert np.all(np.abs((x < V).mean(axis=0) - 0.5) < 5 * np.sqrt(0.25 / 10_000))


def test_kernel_draws_follow_the_reference_model(global_seed):
    """Quantiles of every drawn count agree with the figure-by-figure reference (KS-style bound)."""
    rng = np.random.default_rng(global_seed)
    t = ref.ranged_grid(2, 2, 3, rng)
    r = t.ranges["now"]
    d = 4000
    fast = CensusModel(t).draw(d, seed=global_seed).census("now")
    slow = np.stack([ref.draw_census(t.census("now"), r.low, r.high, r.total_low, r.total_high, rng)
                     for _ in range(d)])
    qs = [0.05, 0.25, 0.5, 0.75, 0.95]
    for i in range(t.n_units):
        for j in range(t.n_communities):
            a, b = fast[:, i, j], slow[:, i, j]
            if np.all(a == a[0]) and np.all(b == b[0]):
                assert a[0] == b[0]
                continue
            # two-sample Kolmogorov-Smirnov distance below its 99.9% critical value
            grid = np.quantile(np.concatenate([a, b]), qs)
            fa = np.searchsorted(np.sort(a), grid, side="right") / d
            fb = np.searchsorted(np.sort(b), grid, side="right") / d
            assert np.max(np.abs(fa - fb)) < 1.95 * np.sqrt(2 / d)


def test_defaults_apply_by_status_where_no_range_is_stated():
    from dayafter.testing.grids import grid_territory

    t = grid_territory(1, 2, communities=np.array([[100.0, 0.0], [50.0, 50.0]]))
    st = np.array([["imputed", "imputed"], ["sourced", ""]], dtype=object)
    r = CensusRange(np.full((2, 2), np.nan), np.full((2, 2), np.nan), np.full(2, np.nan),
                    np.full(2, np.nan), st, np.array(["derived", ""], dtype=object))
    em = ErrorModel(size_error={"derived": 0.2}, composition_error={"imputed": 0.3, "sourced": 0.1},
                    unknown_error=0.0)
    iv = CensusModel(t.with_ranges({"census": r}), em).intervals("census")
    assert iv["low"][0, 0] == pytest.approx(70.0) and iv["high"][0, 0] == pytest.approx(130.0)
    assert iv["low"][0, 1] == 0 and iv["high"][0, 1] == 0          # zero stays zero
    assert iv["low"][1, 0] == pytest.approx(45.0) and iv["high"][1, 1] == 50.0  # sourced; unknown
    assert iv["total_low"][0] == pytest.approx(80.0) and iv["total_high"][1] == 100.0
    # an unknown non-empty status takes the largest error of its table
    assert em.relative_error("assumption", size=False) == 0.3


def test_truncate_keeps_sizes_inside_their_range(ranged):
    m = CensusModel(ranged, ErrorModel(truncate=True))
    x = m.draw(500, seed=2).census("now").sum(axis=2)
    r = ranged.ranges["now"]
    assert np.all(x >= r.total_low - 1e-6) and np.all(x <= r.total_high + 1e-6)


def test_group_correlation_links_units_of_one_admin_unit(global_seed):
    t = ref.ranged_grid(4, 4, 2, np.random.default_rng(global_seed))
    em = ErrorModel(group_level="block", group_correlation=0.8)
    x = CensusModel(t, em).draw(3000, seed=global_seed).census("now").sum(axis=2)
    codes = t.admin["block"]
    same = [(i, j) for i in range(16) for j in range(i + 1, 16) if codes[i] == codes[j]]
    other = [(i, j) for i in range(16) for j in range(i + 1, 16) if codes[i] != codes[j]]
    cor = np.corrcoef(x.T)
    assert np.mean([cor[i, j] for i, j in same]) > 0.5
    assert abs(np.mean([cor[i, j] for i, j in other])) < 0.1


def test_census_correlation_links_the_same_figure_across_censuses(ranged):
    em = ErrorModel(census_correlation=1.0)
    d = CensusModel(ranged, em).draw(2000, seed=1)
    a, b = d.census("now").sum(axis=2), d.census("then").sum(axis=2)
    from scipy.stats import spearmanr

    # the same score moves both sizes (two-piece scales differ, so ranks agree exactly)
    cor = [spearmanr(a[:, i], b[:, i])[0] for i in range(ranged.n_units)]
    assert min(cor) > 0.999


def test_range_coverage_reports_the_calibration(ranged):
    m = CensusModel(ranged)
    cov = m.range_coverage(m.draw(4000, seed=9))
    assert abs(cov["now"]["total"] - 0.90) < 0.02
    assert 0.75 < cov["now"]["share"] < 0.97


def test_joint_reading_narrows_composition_by_the_size_range():
    from dayafter.testing.grids import grid_territory

    t = grid_territory(1, 1, communities=np.array([[60.0, 40.0]]))
    # community ranges exactly as wide as the size range: under "joint" the shares are fixed
    r = CensusRange(np.array([[48.0, 32.0]]), np.array([[72.0, 48.0]]), np.array([80.0]),
                    np.array([120.0]))
    t = t.with_ranges({"census": r})
    joint = CensusModel(t, ErrorModel(community_ranges="joint")).draw(200, seed=1).census("census")
    comp = CensusModel(t).draw(200, seed=1).census("census")
    share_j = joint[:, 0, 0] / joint[:, 0].sum(axis=1)
    share_c = comp[:, 0, 0] / comp[:, 0].sum(axis=1)
    assert np.allclose(share_j, 0.6)
    assert share_c.std() > 0.01


def test_describe_counts_stated_and_defaulted_ends(ranged):
    desc = CensusModel(ranged).describe()
    n, g = ranged.n_units, ranged.n_communities
    c = desc["censuses"]["now"]
    assert c["stated_ends"] + c["defaulted_ends"] == 2 * n * (g + 1)
    assert desc["errors"]["coverage"] == 0.9


@pytest.mark.parametrize("kwargs", [{"coverage": 1.0}, {"coverage": 0}, {"size_error": {"x": -1}},
                                    {"community_ranges": "both"}, {"group_correlation": 0.5},
                                    {"census_correlation": 2}])
def test_bad_error_models_are_config_errors(kwargs):
    with pytest.raises(ConfigError):
        ErrorModel(**kwargs)


def test_bad_draw_requests(ranged):
    m = CensusModel(ranged)
    for n in (0, -3, 2.5, True):
        with pytest.raises(ConfigError, match="positive integer"):
            m.draw(n)
    with pytest.raises(ConfigError, match="seed"):
        m.draw(3, seed=-1)
    with pytest.raises(InputDataError, match="unknown census"):
        m.draw(3, censuses=["nope"])
    with pytest.raises(InputDataError, match="not drawn"):
        m.draw(3, censuses=["now"]).census("then")


def test_fresh_entropy_is_recorded_and_reproduces(ranged):
    m = CensusModel(ranged)
    a = m.draw(5)
    b = m.draw(5, seed=a.seed)
    assert np.array_equal(a.census("now"), b.census("now"))


def test_z_coverage_is_the_normal_quantile():
    assert ErrorModel(coverage=0.9).z_coverage == pytest.approx(norm.ppf(0.95))
