"""One-step transition probabilities of every proposal against the exact rows.

From a fixed plan, thousands of single proposals are drawn with the compiled kernel and compared
with the exact row (sum over pairs and over every spanning tree of the merged pair) by a
chi-square test with pooled cells. Fixed seeds and a small significance level keep CI stable; each
test also checks that the same statistic rejects a different row, so it can fail.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from tests.reference import recom_ref as ref

from dayafter.ensemble.constraints import ChainConstraints
from dayafter.ensemble.recom import ChainState, Proposal, run_steps
from dayafter.testing.grids import grid_territory

ALPHA = 1e-4


def _sample(chain: ChainState, n: int, seed: int) -> Counter:
    snap = chain.snapshot()
    rng = np.random.default_rng(seed)
    out: Counter = Counter()
    for _ in range(n):
        chain.restore(snap)
        run_steps(chain, 1, rng)
        out[tuple(int(x) for x in chain.assignment)] += 1
    chain.restore(snap)
    return out


QUADRANTS = [0, 0, 1, 1,
             0, 0, 1, 1,
             2, 2, 3, 3,
             2, 2, 3, 3]
LSHAPES = [0, 0, 0, 1,
           0, 2, 1, 1,
           2, 2, 3, 1,
           2, 3, 3, 3]


@pytest.mark.parametrize("plan", [QUADRANTS, LSHAPES], ids=["quadrants", "lshapes"])
@pytest.mark.parametrize("pair_rule", ["cut_edge", "region_pair"])
@pytest.mark.parametrize("attempts", [1, 3])
def test_recom_ust_one_step(plan, pair_rule, attempts):
    t = grid_territory(4, 4)
    g = ref.graph_of(t)
    prop = Proposal(pair_rule=pair_rule, max_tree_attempts=attempts)
    chain = ChainState(t, np.array(plan), 4, proposal=prop,
                       constraints=ChainConstraints(tolerance=0.0))
    lo = hi = [4.0] * 4
    row = ref.exact_recom_row(g, [1] * 16, plan, 4, lo, hi, pair_rule=pair_rule,
                              attempts=attempts)
    assert abs(sum(row.values()) - 1) < 1e-12
    n = 6000
    counts = _sample(chain, n, seed=11)
    assert ref.pooled_chisquare(counts, row, n) > ALPHA
    other = "region_pair" if pair_rule == "cut_edge" else "cut_edge"
    wrong = ref.exact_recom_row(g, [1] * 16, plan, 4, lo, hi, pair_rule=other,
                                attempts=3 - attempts + 1)
    if plan is LSHAPES:  # the pair rules give visibly different rows here
        assert ref.pooled_chisquare(counts, wrong, n) < ALPHA


def test_recom_one_step_uneven_population_and_locks():
    rng = np.random.default_rng(5)
    pop = rng.integers(1, 9, size=12).astype(float)
    t = grid_territory(3, 4, population=pop)
    g = ref.graph_of(t)
    plan = [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 2, 2]
    cons = ChainConstraints(tolerance=0.35, locked_units=("u00000", "u00011"))
    chain = ChainState(t, np.array(plan), 3, proposal=Proposal(pair_rule="region_pair",
                                                                max_tree_attempts=2),
                       constraints=cons)
    lo, hi = cons.bounds(t, 3)
    lock = [-1] * 12
    lock[0], lock[11] = plan[0], plan[11]
    row = ref.exact_recom_row(g, pop.tolist(), plan, 3, lo, hi, pair_rule="region_pair",
                              lock=lock, attempts=2)
    free = ref.exact_recom_row(g, pop.tolist(), plan, 3, lo, hi, pair_rule="region_pair",
                               attempts=2)
    assert row != free
    n = 6000
    counts = _sample(chain, n, seed=3)
    assert ref.pooled_chisquare(counts, row, n) > ALPHA
    assert ref.pooled_chisquare(counts, free, n) < ALPHA


@pytest.mark.parametrize("plan", [QUADRANTS, LSHAPES], ids=["quadrants", "lshapes"])
def test_reversible_one_step(plan):
    t = grid_territory(4, 4)
    g = ref.graph_of(t)
    chain = ChainState(t, np.array(plan), 4, proposal=Proposal(method="reversible", m_bound=3),
                       constraints=ChainConstraints(tolerance=0.0))
    lo = hi = [4.0] * 4
    row = ref.exact_reversible_row(g, [1] * 16, plan, 4, lo, hi, 3)
    assert abs(sum(row.values()) - 1) < 1e-12
    n = 8000
    counts = _sample(chain, n, seed=7)
    assert ref.pooled_chisquare(counts, row, n) > ALPHA
    wrong = ref.exact_reversible_row(g, [1] * 16, plan, 4, lo, hi, 2)  # M wrong by one
    assert ref.pooled_chisquare(counts, wrong, n) < ALPHA


@pytest.mark.slow  # a two-sample test on many steps: 12-30 s
def test_random_mst_one_step_matches_networkx_reference():
    """The MST proposal has no closed form: compare with the networkx reference by two samples."""
    from scipy.stats import chi2_contingency

    t = grid_territory(4, 4)
    g = ref.graph_of(t)
    plan = LSHAPES
    chain = ChainState(t, np.array(plan), 4, proposal=Proposal(tree="random_mst",
                                                               max_tree_attempts=1),
                       constraints=ChainConstraints(tolerance=0.0))
    n = 5000
    ours = _sample(chain, n, seed=5)
    rng = np.random.default_rng(99)
    theirs: Counter = Counter()
    cut = [(u, v) for u, v in g.edges() if plan[u] != plan[v]]
    for _ in range(n):
        u, v = cut[rng.integers(len(cut))]
        a, b = plan[u], plan[v]
        nodes = [x for x in range(16) if plan[x] in (a, b)]
        w = {tuple(sorted(e)): rng.random() for e in g.subgraph(nodes).edges()}
        tree = ref.mst_edges(g, nodes, w)
        cuts = ref.tree_cuts(tree, nodes, [1] * 16, a, b, [4] * 4, [4] * 4)
        new = list(plan)
        if cuts:
            for x, lab in cuts[rng.integers(len(cuts))].items():
                new[x] = lab
        theirs[tuple(new)] += 1
    keys = sorted(set(ours) | set(theirs))
    table = np.array([[ours[q] for q in keys], [theirs[q] for q in keys]])
    keep = table.sum(axis=0) >= 10
    if (~keep).any():
        table = np.column_stack([table[:, keep], table[:, ~keep].sum(axis=1)])
    assert chi2_contingency(table).pvalue > ALPHA


@pytest.mark.parametrize("pair_rule", ["cut_edge", "region_pair"])
def test_recom_one_step_with_a_locked_region(pair_rule):
    t = grid_territory(4, 4)
    g = ref.graph_of(t)
    plan = LSHAPES
    cons = ChainConstraints(tolerance=0.0, locked_regions=(1,))
    chain = ChainState(t, np.array(plan), 4, proposal=Proposal(pair_rule=pair_rule,
                                                               max_tree_attempts=2),
                       constraints=cons)
    lo = hi = [4.0] * 4
    row = ref.exact_recom_row(g, [1] * 16, plan, 4, lo, hi, pair_rule=pair_rule, attempts=2,
                              locked_regions=(1,))
    free = ref.exact_recom_row(g, [1] * 16, plan, 4, lo, hi, pair_rule=pair_rule, attempts=2)
    n = 5000
    counts = _sample(chain, n, seed=21)
    assert all(np.array_equal(np.array(q) == 1, np.array(plan) == 1) for q in counts)
    assert ref.pooled_chisquare(counts, row, n) > ALPHA
    assert ref.pooled_chisquare(counts, free, n) < ALPHA
