"""Upper bounds on an objective by decomposing it by community (a packing relaxation).

The full MIP (:mod:`dayafter.optimize.mip`) has a weak linear relaxation for "community ``c`` is
largest in region ``r``": with fractional indicators every region may be a little of a
``c``-plurality region for every ``c`` at once, and on the built-in case HiGHS spends the whole
time limit at the root node. When the objective is a sum of per-community empowerment terms
(weights >= 0) and terms that can never be positive (stranded shares, cut edges and splits
minimized), a much smaller problem bounds each community's term on its own:

    choose at most ``m`` disjoint connected regions (population within the widest bounds),
    each with ``c`` largest (or above half, for majority terms); maximize the people of ``c``
    they hold.

Every plan meeting the original constraints gives a feasible point of this *packing relaxation*
(take its ``c``-plurality regions; the rest of the territory, the other communities and every
criterion are dropped), so its optimum, or HiGHS's dual bound when the time runs out, bounds the
term from above, and the sum over communities bounds the objective. The model needs no big-M for
plurality (a slot that is not used holds no unit, so its tally rows read ``0 >= 0``), and the slot
count ``m`` comes from a counting argument: a ``c``-plurality region of at least ``lo`` people holds
at least ``p`` people of ``c``, with ``p`` the least value such that ``sum_h min(p, T_h) >= lo``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dayafter.optimize.mip import _Builder
from dayafter.optimize.problem import CompiledProblem

__all__ = ["DecompositionBound", "TermBound", "decomposable", "decomposition_bound",
           "max_plurality_regions", "packing_bound"]


@dataclass(frozen=True)
class TermBound:
    """Upper bound on one community's weighted empowerment terms.

    Attributes
    ----------
    community
        The community's name.
    value
        Upper bound on ``w_plur * plurality_empowerment + w_maj * majority_empowerment``.
    status
        ``"optimal"`` (the packing relaxation was solved), ``"time_limit"`` (HiGHS's dual bound
        at the time limit), ``"infeasible"`` (HiGHS proved that no packing exists: with
        ``min_used`` = 0 that is a region where the community is largest) or ``"counting"`` (no
        region can hold the community as largest, by the counting argument).
    slots
        Most regions in which the community can be largest (counting argument).
    nodes, elapsed
        HiGHS branch-and-bound nodes and seconds.
    regions
        Unit indices of each region of the best packing found (its people of ``c`` reach
        ``found``); they seed plans but are not plans (the rest of the territory is free).
    found
        The packing's value (a lower bound on the relaxation, not on the plan problem).
    """

    community: str
    value: float
    status: str
    slots: int
    nodes: int
    elapsed: float
    regions: tuple[tuple[int, ...], ...] = ()
    found: float = 0.0


@dataclass(frozen=True)
class DecompositionBound:
    """Upper bound on the whole objective: the sum of the community terms' bounds (the other
    terms can never be positive)."""

    value: float
    terms: tuple[TermBound, ...]
    elapsed: float


def decomposable(cp: CompiledProblem) -> bool:
    """True when the objective splits into community empowerment terms (weights >= 0) plus terms
    that are never positive (stranded, cut edges and splits minimized), and has at least one
    empowerment term."""
    return bool(cp.w_homog == 0.0 and np.all(cp.w_plur >= 0) and np.all(cp.w_maj >= 0)
                and np.all(cp.w_str <= 0) and cp.w_cut <= 0 and np.all(cp.w_splits <= 0)
                and (np.any(cp.w_plur > 0) or np.any(cp.w_maj > 0)))


def max_plurality_regions(totals: NDArray[np.float64], c: int, lo: float, k: int, *,
                          majority: bool = False) -> int:
    """Most disjoint regions of at least ``lo`` people in which community ``c`` can be largest
    (or hold a majority), given the communities' totals.

    >>> max_plurality_regions(np.array([100.0, 30.0, 30.0]), 1, 50.0, 5)
    1
    >>> max_plurality_regions(np.array([100.0, 30.0, 30.0]), 1, 100.0, 5)
    0
    """
    tc = float(totals[c])
    if tc <= 0:
        return 0
    p = _least_share(totals, c, lo, majority=majority)
    if not np.isfinite(p):
        return 0
    return int(min(k, np.floor(tc / p * (1 + 1e-9)))) if p > 0 else k


def _least_share(totals: NDArray[np.float64], c: int, lo: float, *, majority: bool) -> float:
    """Least number of people of ``c`` in a region of at least ``lo`` people where ``c`` is
    largest (or above half); ``inf`` when no such region can exist."""
    tc = float(totals[c])
    if lo <= 0:
        return 0.0
    if majority:
        return lo / 2.0 if tc >= lo / 2.0 * (1 - 1e-12) else float("inf")
    others = np.delete(np.asarray(totals, dtype=np.float64), c)
    # least p with p + sum_h min(p, T_h) >= lo (the region's own community counts p)
    if tc + np.minimum(others, tc).sum() < lo * (1 - 1e-12):
        return float("inf")
    lo_p, hi_p = 0.0, tc
    for _ in range(100):
        mid = 0.5 * (lo_p + hi_p)
        if mid + np.minimum(others, mid).sum() >= lo:
            hi_p = mid
        else:
            lo_p = mid
    return lo_p


def packing_bound(cp: CompiledProblem, c: int, *, time_limit: float = 60.0,
                  threads: int | None = None, slots: int | None = None,
                  min_used: int = 0, feasibility: bool = False) -> TermBound:
    """Bound community ``c``'s weighted empowerment terms by the packing relaxation.

    See the module docstring. Locks and criteria are dropped (a relaxation), the population
    bounds are the widest of all regions'.

    Parameters
    ----------
    slots
        Use at most this many regions instead of the counting argument's number (the result then
        bounds only plans with at most ``slots`` such regions).
    min_used
        Require at least this many regions (with ``feasibility=True``: can ``min_used`` regions
        with ``c`` largest exist at all?).
    feasibility
        Drop the objective: HiGHS only looks for a packing (``regions`` is empty when none was
        found; ``status`` tells whether that was proved).
    """
    import highspy

    name = cp.territory.communities[c]
    t0 = time.perf_counter()
    a_w, m_w = float(cp.w_plur[c]), float(cp.w_maj[c])
    n, g = cp.table.shape
    total = float(cp.pop.sum())
    C = cp.table / total
    T = C.sum(axis=0)
    pop = cp.pop / total
    lo = float(cp.lo.min()) / total
    hi = float(min(cp.hi.max() / total, 1.0))
    only_maj = a_w <= 0
    m = max_plurality_regions(T, c, lo, cp.k, majority=only_maj)
    p_min = _least_share(T, c, lo, majority=only_maj)
    if slots is not None:
        m = min(m, slots)
    if m == 0 or T[c] <= 0 or (a_w <= 0 and m_w <= 0):
        return TermBound(name, 0.0, "counting", m, 0, time.perf_counter() - t0)
    t = cp.territory
    indptr = np.asarray(t.graph.indptr, dtype=np.int64)
    ind = np.asarray(t.graph.indices, dtype=np.int64)
    U = float(n)
    b = _Builder()
    x = b.add_vars((n, m), 0, 1, integer=True)
    root = b.add_vars((n, m), 0, 1, integer=True)
    used = b.add_vars((m,), 0, 1, integer=True)
    flow = b.add_vars((ind.size, m), 0, U)
    for i in range(n):
        b.add_row(x[i], 1.0, -np.inf, 1.0)
    for r in range(min(min_used, m)):
        b.lb[used[r]] = 1.0
    others = [h for h in range(g) if h != c and T[h] > 0]
    big = hi  # |sum_i (C_ic - C_ih) x_i| is at most the region's population
    for r in range(m):
        b.add_row(np.concatenate([root[:, r], [used[r]]]),
                  np.concatenate([np.ones(n), [-1.0]]), 0.0, 0.0)
        for i in range(n):
            b.add_row([x[i, r], used[r]], [1.0, -1.0], -np.inf, 0.0)
            b.add_row([root[i, r], x[i, r]], [1.0, -1.0], -np.inf, 0.0)
        b.add_flow_contiguity(indptr, ind, x[:, r], root[:, r], flow[:, r], U)
        b.add_row(np.concatenate([x[:, r], [used[r]]]), np.concatenate([pop, [-lo]]),
                  -1e-12, np.inf)
        b.add_row(np.concatenate([x[:, r], [used[r]]]), np.concatenate([pop, [-hi]]),
                  -np.inf, 1e-12)
        # a used slot holds at least p_min people of c (the counting argument, per slot)
        b.add_row(np.concatenate([x[:, r], [used[r]]]), np.concatenate([C[:, c], [-p_min]]),
                  -1e-12, np.inf)
        if only_maj:
            # share at least one half (the metric's "above half", relaxed to >=)
            b.add_row(x[:, r], C[:, c] - 0.5 * pop, -1e-12, np.inf)
        else:
            for h in others:
                b.add_row(x[:, r], C[:, c] - C[:, h], -1e-12, np.inf)
        if r > 0:
            # used slots come first, their roots in increasing unit order
            b.add_row([used[r], used[r - 1]], [1.0, -1.0], -np.inf, 0.0)
            idx = np.concatenate([root[:, r - 1], root[:, r], [used[r]]])
            val = np.concatenate([np.arange(n, dtype=np.float64),
                                  -np.arange(n, dtype=np.float64), [float(n + 1)]])
            b.add_row(idx, val, -np.inf, float(n))
        for i in range(n):
            if a_w > 0 and C[i, c] > 0:
                b.costs[0][x[i, r]] += a_w * C[i, c] / T[c]
        if m_w > 0 and not only_maj:
            # majority indicator inside a plurality slot, counted people e <= tally, <= T_c z
            z = int(b.add_vars((1,), 0, 1, integer=True)[0])
            e = int(b.add_vars((1,), 0, float(T[c]))[0])
            b.add_row([z, used[r]], [1.0, -1.0], -np.inf, 0.0)
            b.add_row(np.concatenate([x[:, r], [z]]),
                      np.concatenate([C[:, c] - 0.5 * pop, [-big]]), -big, np.inf)
            b.add_row(np.concatenate([[e], x[:, r]]), np.concatenate([[1.0], -C[:, c]]),
                      -np.inf, 0.0)
            b.add_row([e, z], [1.0, -float(T[c])], -np.inf, 0.0)
            b.costs[0][e] += m_w / T[c]
        elif m_w > 0:
            for i in range(n):
                if C[i, c] > 0:
                    b.costs[0][x[i, r]] += m_w * C[i, c] / T[c]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(max(time_limit, 0.5)))
    h.setOptionValue("mip_rel_gap", 1e-7)
    h.setOptionValue("random_seed", 0)
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    if feasibility:
        b.costs[0] = [0.0] * len(b.costs[0])
    h.passModel(b.to_lp())
    h.run()
    info = h.getInfo()
    status = h.getModelStatus()
    cap = a_w + m_w
    if status == highspy.HighsModelStatus.kOptimal:
        value, sname = float(info.objective_function_value), "optimal"
    elif status == highspy.HighsModelStatus.kInfeasible:
        value, sname = 0.0, "infeasible"  # no packing at all: the term is 0 in every plan
    else:
        value = float(info.mip_dual_bound)
        sname = "time_limit"
        if not np.isfinite(value):
            value = cap
    regions: list[tuple[int, ...]] = []
    found = 0.0
    if info.primal_solution_status == 2:
        col = np.asarray(h.getSolution().col_value)
        xv = col[x] > 0.5
        regions = [tuple(np.flatnonzero(xv[:, r]).tolist()) for r in range(m) if xv[:, r].any()]
        found = float(info.objective_function_value) if not feasibility else 0.0
    # HiGHS's tolerances: a hair of slack keeps the bound valid
    value = float(min(max(value, 0.0) + 1e-7 * max(cap, 1.0), cap))
    return TermBound(name, value, sname, m, int(info.mip_node_count), time.perf_counter() - t0,
                     tuple(regions), found)


def decomposition_bound(cp: CompiledProblem, *, time_limit: float = 120.0,
                        threads: int | None = None) -> DecompositionBound | None:
    """Upper bound on ``cp``'s objective from per-community packing relaxations.

    ``None`` when the objective does not decompose (see :func:`decomposable`). The time limit is
    shared among the communities (unused time passes on to the next one).

    Examples
    --------
    >>> from dayafter.testing.grids import grid_territory
    >>> from dayafter.optimize import Problem
    >>> import numpy as np
    >>> b = np.array([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 9, 0, 0, 8, 9.0])
    >>> t = grid_territory(4, 4, communities=np.column_stack([10.0 - b, b]))
    >>> p = Problem.from_dict({"regions": 2, "maximize": [{"metric": "empowerment_plurality",
    ...                        "communities": ["b"]}], "constraints": {"tolerance": 0.5}})
    >>> db = decomposition_bound(p.compile(t), time_limit=30)
    >>> round(db.value, 4), db.terms[0].status, db.terms[0].regions
    (0.9655, 'optimal', ((10, 11, 14, 15),))
    """
    if not decomposable(cp):
        return None
    t0 = time.perf_counter()
    comms = [int(c) for c in np.flatnonzero((cp.w_plur > 0) | (cp.w_maj > 0))]
    total = float(cp.pop.sum())
    T = cp.table.sum(axis=0) / total
    lo = float(cp.lo.min()) / total
    # fewest possible regions first: those are the quick ones, and the time they leave goes on
    # to the communities that can be largest in many regions
    slots = {c: max_plurality_regions(T, c, lo, cp.k, majority=bool(cp.w_plur[c] <= 0))
             for c in comms}
    comms.sort(key=lambda c: (slots[c], c))
    terms = {}
    for j, c in enumerate(comms):
        left = time_limit - (time.perf_counter() - t0)
        share = max(left / (len(comms) - j), 0.5)
        terms[c] = packing_bound(cp, c, time_limit=share, threads=threads)
    ordered = tuple(terms[c] for c in sorted(terms))
    return DecompositionBound(float(sum(tb.value for tb in ordered)), ordered,
                              time.perf_counter() - t0)
