"""Split R-hat and effective sample size against known cases."""

from __future__ import annotations

import numpy as np

from dayafter.ensemble.diagnostics import effective_sample_size, split_rhat


def _ar1(rng, rho, chains, n):
    x = np.zeros((chains, n))
    x[:, 0] = rng.normal(size=chains) / np.sqrt(1 - rho**2)
    e = rng.normal(size=(chains, n))
    for i in range(1, n):
        x[:, i] = rho * x[:, i - 1] + e[:, i]
    return x


def test_ess_of_ar1_matches_theory(global_seed):
    rng = np.random.default_rng(global_seed)
    rho, chains, n = 0.8, 4, 20_000
    ess = effective_sample_size(_ar1(rng, rho, chains, n))
    theory = chains * n * (1 - rho) / (1 + rho)  # integrated autocorrelation time of AR(1)
    assert abs(ess / theory - 1) < 0.15


def test_ess_of_independent_draws_is_the_count(global_seed):
    rng = np.random.default_rng(global_seed)
    ess = effective_sample_size(rng.normal(size=(4, 5000)))
    assert 0.85 * 20_000 < ess < 1.15 * 20_000


def test_rhat_is_one_for_mixed_chains_and_large_for_stuck_ones(global_seed):
    rng = np.random.default_rng(global_seed)
    good = _ar1(rng, 0.5, 4, 4000)
    assert split_rhat(good) < 1.01
    stuck = good + np.array([0.0, 0.0, 0.0, 3.0])[:, None]
    assert split_rhat(stuck) > 1.2
    trend = good + np.linspace(0, 5, 4000)[None, :]  # a drift only split chains reveal
    assert split_rhat(trend) > 1.2
    assert split_rhat(np.ones((2, 10))) == 1.0
