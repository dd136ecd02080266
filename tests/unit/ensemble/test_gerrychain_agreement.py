"""Two-sample agreement with GerryChain 1.0's ``ReCom.cut_edges_ust`` (test-only dependency).

GerryChain labels the two new districts its own way, so proposals are compared as partitions
(labels ignored). GerryChain draws trees until one has a balanced cut, as our ReCom does with a
large ``max_tree_attempts``.
"""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest
from scipy.stats import chi2_contingency
from tests.reference import recom_ref as ref

from dayafter.ensemble.constraints import ChainConstraints
from dayafter.ensemble.recom import ChainState, Proposal, run_steps
from dayafter.testing.grids import grid_territory

gerrychain = pytest.importorskip("gerrychain")

PLAN = [0, 0, 0, 1,
        0, 2, 1, 1,
        2, 2, 3, 1,
        2, 3, 3, 3]
N = 3000


def _gerrychain_sample(t, plan, pair_rule):
    from gerrychain import Graph, Partition
    from gerrychain.proposals import ReCom
    from gerrychain.updaters import Tally, cut_edges

    nxg = ref.graph_of(t)
    for u in nxg.nodes:
        nxg.nodes[u]["population"] = 1
    graph = Graph.from_networkx(nxg)
    part = Partition(graph, {u: plan[u] for u in range(16)},
                     updaters={"population": Tally("population", alias="population"),
                               "cut_edges": cut_edges})
    make = ReCom.cut_edges_ust if pair_rule == "cut_edge" else ReCom.district_pairs_ust
    proposal = make(pop_col="population", pop_target=4, epsilon=0.0)
    rng = random.Random(4321)
    out: Counter = Counter()
    for _ in range(N):
        new = proposal(part, rng=rng)
        out[ref.canonical([new.assignment[u] for u in range(16)])] += 1
    return out


@pytest.mark.slow
@pytest.mark.parametrize("pair_rule", ["cut_edge", "region_pair"])
def test_matches_gerrychain_ust(pair_rule):
    t = grid_territory(4, 4)
    chain = ChainState(t, np.array(PLAN), 4, proposal=Proposal(pair_rule=pair_rule),
                       constraints=ChainConstraints(tolerance=0.0))
    snap = chain.snapshot()
    rng = np.random.default_rng(8)
    ours: Counter = Counter()
    for _ in range(N):
        chain.restore(snap)
        run_steps(chain, 1, rng)
        ours[ref.canonical(chain.assignment.tolist())] += 1
    theirs = _gerrychain_sample(t, PLAN, pair_rule)
    keys = sorted(set(ours) | set(theirs))
    table = np.array([[ours[q] for q in keys], [theirs[q] for q in keys]])
    keep = table.sum(axis=0) >= 10
    if (~keep).any():
        table = np.column_stack([table[:, keep], table[:, ~keep].sum(axis=1)])
    assert chi2_contingency(table).pvalue > 1e-4
    if pair_rule == "region_pair":
        # the test can fail: our cut-edge rule differs from GerryChain's district-pairs rule here
        g = ref.graph_of(t)
        row = ref.exact_recom_row(g, [1] * 16, PLAN, 4, [4] * 4, [4] * 4,
                                  pair_rule="cut_edge", attempts=1000)
        canon: Counter = Counter()
        for q, p in row.items():
            canon[ref.canonical(q)] += p
        assert ref.pooled_chisquare(theirs, dict(canon), N) < 1e-4
        assert ref.pooled_chisquare(ours, dict(canon), N) < 1e-4
