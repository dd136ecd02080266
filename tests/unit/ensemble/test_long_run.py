"""Long-run frequencies of reversible ReCom against the spanning-tree distribution.

On the 4x4 grid cut into 4 regions of 4 units there are 117 balanced plans. Reversible ReCom's
target is proportional to the product of the regions' spanning-tree counts. The test statistic is
the chi-square distance between the chain's visit frequencies and the target; its null
distribution is calibrated by simulating the exact transition matrix (built by brute force from
the reference) for the same number of steps, since successive states are correlated. A proposal
that draws random-weight minimum spanning trees while claiming uniform ones must be rejected.
"""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit
from tests.reference import recom_ref as ref

from dayafter.ensemble.constraints import ChainConstraints
from dayafter.ensemble.recom import ChainState, Proposal, run_steps
from dayafter.testing.grids import grid_territory

N_STEPS = 600_000
N_NULL = 199
M_BOUND = 2
SEED = 2024


@pytest.fixture(scope="module")
def exact():
    t = grid_territory(4, 4)
    g = ref.graph_of(t)
    states = ref.balanced_partitions(g, [1] * 16, 4, 4, 4)
    index = {s: i for i, s in enumerate(states)}
    P = np.zeros((len(states), len(states)))
    for i, s in enumerate(states):
        for q, p in ref.exact_reversible_row(g, [1] * 16, s, 4, [4] * 4, [4] * 4,
                                             M_BOUND).items():
            P[i, index[ref.canonical(q)]] += p
    w = np.array([ref.tree_weight(g, s) for s in states], dtype=float)
    pi = w / w.sum()
    hashes = {}
    for i, s in enumerate(states):
        ch = ChainState(t, np.array(s), 4, proposal=Proposal(method="reversible", m_bound=2),
                        constraints=ChainConstraints(tolerance=0.0))
        hashes[ch.plan_hash] = i
    return t, states, P, pi, hashes


@pytest.mark.slow
def test_exact_matrix_has_spanning_tree_stationary_distribution(exact):
    _, states, P, pi, hashes = exact
    assert len(states) == 117 and len(hashes) == 117  # plan hashes tell all plans apart
    assert np.allclose(P.sum(axis=1), 1.0, atol=1e-12)
    assert np.max(np.abs(pi @ P - pi)) < 1e-12
    # detailed balance, the stronger property reversible ReCom is built for
    flow = pi[:, None] * P
    assert np.max(np.abs(flow - flow.T)) < 1e-12
    assert np.ptp(pi) > 0  # the target is not uniform, so the test can tell them apart


@njit
def _simulate(cum, nxt, start, n_steps, n_chains, rng):
    n = cum.shape[0]
    out = np.zeros((n_chains, n))
    for c in range(n_chains):
        s = start
        for _ in range(n_steps):
            u = rng.random()
            j = 0
            while cum[s, j] < u and nxt[s, j + 1] >= 0:
                j += 1
            s = nxt[s, j]
            out[c, s] += 1
    return out


def _stat(freq, pi):
    f = freq / freq.sum()
    return float(freq.sum() * np.sum((f - pi) ** 2 / pi))


def _null(P, start):
    n = P.shape[0]
    width = int((P > 0).sum(axis=1).max()) + 1
    nxt = np.full((n, width), -1, dtype=np.int64)
    cum = np.ones((n, width))
    for i in range(n):
        js = np.flatnonzero(P[i] > 0)
        nxt[i, : js.size] = js
        cum[i, : js.size] = np.cumsum(P[i, js])
        cum[i, js.size - 1] = 1.0
    return _simulate(cum, nxt, start, N_STEPS, N_NULL, np.random.default_rng(12345))


def _chain_freq(t, hashes, start, tree, seed):
    ch = ChainState(t, np.array(start), 4,
                    proposal=Proposal(method="reversible", m_bound=M_BOUND),
                    constraints=ChainConstraints(tolerance=0.0))
    ch.params = ch.params._replace(tree=tree)  # 1 = random-weight MST: deliberately wrong
    rec = run_steps(ch, N_STEPS, np.random.default_rng(seed))
    idx = np.array([hashes[int(h)] for h in rec.plan_hash])
    return np.bincount(idx, minlength=len(hashes)).astype(float)


@pytest.mark.slow
def test_reversible_long_run_matches_and_mst_is_rejected(exact):
    t, states, P, pi, hashes = exact
    start = states[0]
    null = _null(P, 0)
    null_stats = np.array([_stat(f, pi) for f in null])
    good = _stat(_chain_freq(t, hashes, start, 0, SEED), pi)
    p_good = (1 + np.sum(null_stats >= good)) / (N_NULL + 1)
    bad = _stat(_chain_freq(t, hashes, start, 1, SEED), pi)
    p_bad = (1 + np.sum(null_stats >= bad)) / (N_NULL + 1)
    assert p_good > 0.01, (good, np.quantile(null_stats, [0.5, 0.99]))
    assert p_bad <= 1 / (N_NULL + 1), (bad, np.quantile(null_stats, [0.5, 0.99]))


@pytest.mark.slow
def test_chain_on_5x5_visits_only_and_nearly_all_of_the_4006_plans():
    t = grid_territory(5, 5)
    g = ref.graph_of(t)
    plans = ref.balanced_partitions(g, [1] * 25, 5, 5, 5)
    assert len(plans) == 4006
    cons = ChainConstraints(tolerance=0.0)
    prop = Proposal(pair_rule="region_pair")
    known = {ChainState(t, np.array(p), 5, proposal=prop, constraints=cons).plan_hash
             for p in plans}
    assert len(known) == 4006
    start = np.repeat(np.arange(5), 5)  # horizontal stripes
    chain = ChainState(t, start, 5, proposal=prop, constraints=cons)
    rec = run_steps(chain, 200_000, np.random.default_rng(31))
    seen = {int(h) for h in rec.plan_hash}
    assert seen <= known  # every plan visited is a balanced contiguous partition
    assert len(seen) > 0.95 * 4006  # and the chain reaches nearly all of them
