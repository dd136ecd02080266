"""Coverage: on territories whose true census is drawn from the model, 90% intervals cover ~90%.

Each trial draws a "true" census with the figure-by-figure reference model
(tests/reference/uncertainty_ref.py, independent of the kernels), evaluates the plan on it with
the ordinary :func:`dayafter.metrics.evaluate`, and checks whether the p05-p95 interval from
vectorised draws (:func:`evaluate_draws`, fresh seed) contains the true value. Only figures with
a continuous distribution are counted (populations, shares, Theil's H, fractionalization,
dissimilarity): a figure with an atom (a stranded share that is exactly 0 in most draws) is
covered more often than 90% by any interval that includes its atom.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from tests.reference import uncertainty_ref as ref

from dayafter.metrics import evaluate
from dayafter.plan import Plan, Region
from dayafter.uncertainty import CensusModel, evaluate_draws, quantiles


def _figures(cm) -> np.ndarray:
    g = cm.tally.shape[-1]
    iu = np.triu_indices(g, 1)
    if cm.tally.ndim == 2:   # one census
        return np.concatenate([cm.population, cm.shares.ravel(), [cm.theil_h],
                               cm.fractionalization, cm.dissimilarity[iu]])
    d = cm.tally.shape[0]
    return np.concatenate([cm.population, cm.shares.reshape(d, -1), cm.theil_h[:, None],
                           cm.fractionalization, cm.dissimilarity[:, iu[0], iu[1]]], axis=1)


def coverage(trials: int, n_draws: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    t = ref.ranged_grid(5, 5, 3, rng, zero_share=0.0)
    r = t.ranges["now"]
    plan = Plan(np.arange(25) % 5, tuple(Region(f"R{j}") for j in range(5)), t.content_hash)
    model = CensusModel(t)
    hits = total = 0
    for _ in range(trials):
        truth = ref.draw_census(t.census("now"), r.low, r.high, r.total_low, r.total_high, rng)
        tt = replace(t, censuses={"now": truth}, ranges={})
        want = _figures(evaluate(tt, replace(plan, territory_hash=tt.content_hash)).census("now"))
        draws = model.draw(n_draws, seed=int(rng.integers(2**63)))
        got = _figures(evaluate_draws(t, plan, draws).census("now"))
        q = quantiles(got.T)
        ok = np.isfinite(want)
        hits += int(np.sum((q[ok, 0] <= want[ok]) & (want[ok] <= q[ok, 2])))
        total += int(ok.sum())
    return hits / total


def test_coverage_short(global_seed):
    """200 trials: the 90% intervals cover between 85% and 95% (a short run that can still fail)."""
    cov = coverage(200, 200, global_seed)
    assert 0.85 <= cov <= 0.95, cov


@pytest.mark.slow
@pytest.mark.long  # test_coverage_short above stays in make test
def test_coverage_full(global_seed):
    """2,000 trials of 400 draws: coverage between 88% and 92%."""
    cov = coverage(2000, 400, global_seed + 1)
    assert 0.88 <= cov <= 0.92, cov
