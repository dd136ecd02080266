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

Flow contiguity with a free root has a weak relaxation. Every region has a *head*, its unit with
the most people of ``c`` (ties by index), and :func:`plurality_heads` proves most units unable to
head one (too few people of ``c`` within reach, or HiGHS finds no region). The slots are then
rooted at the few heads that remain, holding nothing ranked above their head; with no more heads
than slots each slot gets its own head and the flow is rooted. On the built-in case this leaves
three Turkmen heads and two Yazidi ones, and the branches of :func:`decomposition_bound` that
timed out at their linear bound are solved to optimality.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from dayafter.optimize.milp import ModelBuilder, new_highs
from dayafter.optimize.problem import CompiledProblem

__all__ = ["DecompositionBound", "TermBound", "decomposable", "decomposition_bound",
           "max_plurality_regions", "packing_bound", "plurality_heads"]


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
    terms can never be positive), tightened by branching on units that two communities' best
    packings share.

    Attributes
    ----------
    value
        The bound: the largest over the open branches of the sum of their community bounds.
    terms
        Each community's bound without branching (their sum is ``root``).
    elapsed
        Seconds.
    root
        The sum of ``terms``.
    joint
        Communities whose regions were made disjoint by branching (pairs that cannot tie for
        largest in one region).
    nodes
        Branches explored (each solves two packings).
    open
        Branches still open at the end; ``value`` is the largest of theirs.
    leaf
        The community bounds of the branch that gives ``value``.
    ties
        ``(a, b, bound)`` for each pair that may tie for largest in one region: the bound over
        the plans in which they do (their packings with a tied region). ``value`` is never
        below these.
    """

    value: float
    terms: tuple[TermBound, ...]
    elapsed: float
    root: float = float("nan")
    joint: tuple[str, ...] = ()
    nodes: int = 0
    open: int = 0
    leaf: tuple[TermBound, ...] = ()
    ties: tuple[tuple[str, str, float], ...] = ()


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


def _least_share(totals: NDArray[np.float64], c: int, lo: float, *, majority: bool,
                 tied: int | None = None) -> float:
    """Least number of people of ``c`` in a region of at least ``lo`` people where ``c`` is
    largest (or above half), or, with ``tied``, where ``c`` and ``tied`` are largest together with
    as many people each; ``inf`` when no such region can exist."""
    tc = float(totals[c]) if tied is None else float(min(totals[c], totals[tied]))
    if lo <= 0:
        return 0.0
    if majority:
        return lo / 2.0 if tc >= lo / 2.0 * (1 - 1e-12) else float("inf")
    own = [c] if tied is None else [c, tied]
    others = np.delete(np.asarray(totals, dtype=np.float64), own)
    # least p with len(own) * p + sum_h min(p, T_h) >= lo (each own community counts p)
    if len(own) * tc + np.minimum(others, tc).sum() < lo * (1 - 1e-12):
        return float("inf")
    lo_p, hi_p = 0.0, tc
    for _ in range(100):
        mid = 0.5 * (lo_p + hi_p)
        if len(own) * mid + np.minimum(others, mid).sum() >= lo:
            hi_p = mid
        else:
            lo_p = mid
    return lo_p


def _slot_rows(b: ModelBuilder, indptr: NDArray[np.int64], ind: NDArray[np.int64],
               pop: NDArray[np.float64], lo: float, hi: float, x: NDArray[np.int64],
               root: NDArray[np.int64], used: int, flow: NDArray[np.int64]) -> None:
    """Rows of one packing slot: one root when used, members only when used, the root a member,
    connected by flow, population within ``[lo, hi]`` when used (nothing when not)."""
    n = x.size
    b.add_row(np.concatenate([root, [used]]), np.concatenate([np.ones(n), [-1.0]]), 0.0, 0.0)
    for i in range(n):
        b.add_row([x[i], used], [1.0, -1.0], -np.inf, 0.0)
        b.add_row([root[i], x[i]], [1.0, -1.0], -np.inf, 0.0)
    b.add_flow_contiguity(indptr, ind, x, root, flow, float(n))
    b.add_row(np.concatenate([x, [used]]), np.concatenate([pop, [-lo]]), -1e-12, np.inf)
    b.add_row(np.concatenate([x, [used]]), np.concatenate([pop, [-hi]]), -np.inf, 1e-12)



def _conflicts(indptr: NDArray[np.int64], ind: NDArray[np.int64], weights: NDArray[np.float64],
               caps: NDArray[np.float64]) -> NDArray[np.int64]:
    """Pairs of units ``(i, j)``, ``i < j``, that no connected region can hold together when
    column ``h`` of ``weights`` summed over the region may not exceed ``caps[h]``.

    A connected region holding ``i`` and ``j`` holds a path between them, so it holds at least
    the least weight of such a path (each unit counted once, both ends included) in every
    column; a pair whose least path weight exceeds a cap is a conflict.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    n = indptr.size - 1
    src = np.repeat(np.arange(n), np.diff(indptr))
    bad = np.zeros((n, n), dtype=bool)
    for h in range(weights.shape[1]):
        w = weights[:, h]
        if not np.isfinite(caps[h]) or w.sum() <= caps[h]:
            continue
        # arc u -> v costs v's weight (a hair more, so that no arc is dropped as empty)
        g = csr_matrix((w[ind] + 1e-12, (src, ind)), shape=(n, n))
        d = dijkstra(g, directed=True) + w[:, None]
        bad |= d > caps[h] * (1 + 1e-9) + 1e-12 * (n + 1)
    i, j = np.nonzero(np.triu(bad | bad.T, 1))
    return np.column_stack([i, j]).astype(np.int64)


def _head_rank(table: NDArray[np.float64], c: int) -> NDArray[np.int64]:
    """Each unit's rank by its people of ``c`` (most first, ties by index): a region's *head* is
    its best-ranked unit."""
    n = table.shape[0]
    order = np.lexsort((np.arange(n), -table[:, c]))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return rank


def plurality_heads(cp: CompiledProblem, c: int, *, time_limit: float = 30.0,
                    threads: int | None = None) -> tuple[int, ...]:
    """The units that can head a region in which ``c`` is largest (or above half, for a
    majority-only term): the region's unit with the most people of ``c`` (ties by index).

    Every such region has one head, so regions are counted by their heads and each can be
    rooted there (:func:`packing_bound` with ``heads``). A unit is ruled out when the units
    ranked below it that a path of at most the population bound reaches from it hold fewer than
    the least people of ``c`` such a region needs, or when HiGHS proves that no region headed
    by it exists. Units left undecided when ``time_limit`` runs out are kept (the result is a
    superset of the true heads, which keeps every bound built on it valid).
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    t0 = time.perf_counter()
    n = cp.table.shape[0]
    total = float(cp.pop.sum())
    T = cp.table.sum(axis=0) / total
    lo = float(cp.lo.min()) / total
    hi = float(cp.hi.max()) / total
    only_maj = float(cp.w_plur[c]) <= 0
    p_min = _least_share(T, c, lo, majority=only_maj)
    if T[c] <= 0 or not np.isfinite(p_min):
        return ()
    rank = _head_rank(cp.table, c)
    pop = cp.pop / total
    share = cp.table[:, c] / total
    indptr = np.asarray(cp.territory.graph.indptr, dtype=np.int64)
    ind = np.asarray(cp.territory.graph.indices, dtype=np.int64)
    src = np.repeat(np.arange(n), np.diff(indptr))
    heads: list[int] = []
    for u in np.argsort(rank):
        u = int(u)
        if share[u] <= 0:
            break  # a head holds people of c (it holds the region's most)
        left = time_limit - (time.perf_counter() - t0)
        allowed = rank >= rank[u]
        w = np.where(allowed, pop, np.inf)
        keep = np.isfinite(w[ind])
        g = csr_matrix((w[ind][keep] + 1e-12, (src[keep], ind[keep])), shape=(n, n))
        d = dijkstra(g, directed=True, indices=u) + pop[u]
        reach = allowed & (d <= hi * (1 + 1e-9))
        if share[reach].sum() < p_min * (1 - 1e-9):
            continue
        if left < 0.5:
            heads.append(u)  # undecided: kept
            continue
        tb = packing_bound(cp, c, time_limit=min(left, max(2.0, 0.2 * time_limit)),
                           threads=threads, slots=1, min_used=1, feasibility=True,
                           exclude=np.flatnonzero(~reach).tolist(), heads=[u])
        if tb.status != "infeasible":
            heads.append(u)
    return tuple(heads)


def packing_bound(cp: CompiledProblem, c: int, *, time_limit: float = 60.0,
                  threads: int | None = None, slots: int | None = None,
                  min_used: int = 0, feasibility: bool = False,
                  exclude: Collection[int] = (), tie_with: int | None = None,
                  heads: Collection[int] | None = None) -> TermBound:
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
    exclude
        Units no region may hold (the branches of :func:`decomposition_bound`).
    tie_with
        Another community: the first region must hold it tied with ``c`` (at least as many
        people; with ``c`` largest that is a tie). This bounds ``c``'s term over the plans in
        which the two tie somewhere (the tie case of :func:`decomposition_bound`).
    heads
        The units that can head a region (:func:`plurality_heads`). Each region is rooted at
        its head, and holds no unit ranked above it. With no more heads than slots, each slot
        is given its own head (a rooted flow, much tighter than a free root).
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
    fixed: list[int] | None = None
    free_heads: list[int] | None = None
    if heads is not None:
        rank = _head_rank(cp.table, c)
        gone = {int(i) for i in exclude}
        hs = sorted({int(u) for u in heads} - gone, key=lambda u: rank[u])
        if not hs:
            # HiGHS proved that no unit left can head such a region
            return TermBound(name, 0.0, "infeasible", 0, 0, time.perf_counter() - t0)
        if tie_with is None and len(hs) <= m:
            fixed = hs
        else:
            free_heads = hs
        m = min(m, len(hs))
    t = cp.territory
    indptr = np.asarray(t.graph.indptr, dtype=np.int64)
    ind = np.asarray(t.graph.indices, dtype=np.int64)
    U = float(n)
    b = ModelBuilder()
    x = b.add_vars((n, m), 0, 1, integer=True)
    root = b.add_vars((n, m), 0, 1, integer=True)
    used = b.add_vars((m,), 0, 1, integer=True)
    flow = b.add_vars((ind.size, m), 0, U)
    for i in range(n):
        b.add_row(x[i], 1.0, -np.inf, 1.0)
    for i in exclude:
        for col in (*x[int(i)], *root[int(i)]):
            b.ub[int(col)] = 0.0
    if fixed is not None:
        if min_used > 0:  # slots are not ordered: count them
            b.add_row(used, np.ones(m), float(min(min_used, m)), np.inf)
    else:
        for r in range(min(max(min_used, 1 if tie_with is not None else 0), m)):
            b.lb[used[r]] = 1.0
    others = [h for h in range(g) if h != c and T[h] > 0]
    if tie_with is not None:
        if T[tie_with] <= 0 or tie_with == c:
            return TermBound(name, 0.0, "counting", m, 0, time.perf_counter() - t0)
        # the tied region's people of the other community reach c's (half a person of slack)
        b.add_row(x[:, 0], C[:, tie_with] - C[:, c], -0.5 / total, np.inf)
    big = hi  # |sum_i (C_ic - C_ih) x_i| is at most the region's population
    if fixed is not None:
        # slot r is the region headed by fixed[r]: rooted there, nothing ranked above it
        for r, u in enumerate(fixed):
            for i in range(n):
                if i != u:
                    b.ub[int(root[i, r])] = 0.0
                if rank[i] < rank[u]:
                    b.ub[int(x[i, r])] = 0.0
    elif free_heads is not None:
        # a region is rooted at its head: no member ranks above its root
        hset = set(free_heads)  # in rank order
        for r in range(m):
            for i in range(n):
                if i not in hset:
                    b.ub[int(root[i, r])] = 0.0
            for i in range(n):
                lower = [int(root[u, r]) for u in free_heads if rank[u] > rank[i]]
                if lower:
                    b.add_row([int(x[i, r]), *lower], np.ones(len(lower) + 1), -np.inf, 1.0)
    for r in range(m):
        _slot_rows(b, indptr, ind, pop, lo, hi, x[:, r], root[:, r], used[r], flow[:, r])
        # a used slot holds at least p_min people of c (the counting argument, per slot)
        b.add_row(np.concatenate([x[:, r], [used[r]]]), np.concatenate([C[:, c], [-p_min]]),
                  -1e-12, np.inf)
        if only_maj:
            # share at least one half (the metric's "above half", relaxed to >=)
            b.add_row(x[:, r], C[:, c] - 0.5 * pop, -1e-12, np.inf)
        else:
            for h in others:
                b.add_row(x[:, r], C[:, c] - C[:, h], -1e-12, np.inf)
        if r > 0 and fixed is None and not (r == 1 and tie_with is not None):
            # used slots come first, their roots in increasing unit order (the tied region,
            # first, is not ordered with the others)
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
    solver = new_highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("log_to_console", False)
    solver.setOptionValue("time_limit", float(max(time_limit, 0.5)))
    solver.setOptionValue("mip_rel_gap", 1e-7)
    solver.setOptionValue("random_seed", 0)
    if threads is not None:
        solver.setOptionValue("threads", int(threads))
    if feasibility:
        b.costs[0] = [0.0] * len(b.costs[0])
    solver.passModel(b.to_lp())
    solver.run()
    info = solver.getInfo()
    status = solver.getModelStatus()
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
        col = np.asarray(solver.getSolution().col_value)
        xv = col[x] > 0.5
        regions = [tuple(np.flatnonzero(xv[:, r]).tolist()) for r in range(m) if xv[:, r].any()]
        found = float(info.objective_function_value) if not feasibility else 0.0
    # HiGHS's tolerances: a hair of slack keeps the bound valid
    value = float(min(max(value, 0.0) + 1e-7 * max(cap, 1.0), cap))
    return TermBound(name, value, sname, m, int(info.mip_node_count), time.perf_counter() - t0,
                     tuple(regions), found)


def tie_possible(cp: CompiledProblem, a: int, b: int, *, time_limit: float = 10.0,
                 threads: int | None = None) -> str:
    """Can one region hold communities ``a`` and ``b`` tied for largest?

    A tie counts the region for both communities (see
    :func:`dayafter.metrics.composition.empowerment`), so their regions may overlap only where a
    tie is possible. One connected region within the widest population bounds, in which ``a`` and
    ``b`` are at least every other community and within half a person of each other (a
    relaxation of an exact tie), is looked for.

    Returns ``"no"`` (HiGHS proved none exists), ``"yes"`` (one was found) or ``"unknown"``.
    """
    import highspy

    n, g = cp.table.shape
    total = float(cp.pop.sum())
    C = cp.table / total
    T = C.sum(axis=0)
    if T[a] <= 0 or T[b] <= 0:
        return "no"
    pop = cp.pop / total
    lo = float(cp.lo.min()) / total
    hi = float(min(cp.hi.max() / total, 1.0))
    t = cp.territory
    indptr = np.asarray(t.graph.indptr, dtype=np.int64)
    ind = np.asarray(t.graph.indices, dtype=np.int64)
    bld = ModelBuilder()
    x = bld.add_vars((n,), 0, 1, integer=True)
    root = bld.add_vars((n,), 0, 1, integer=True)
    used = int(bld.add_vars((1,), 1, 1, integer=True)[0])
    flow = bld.add_vars((ind.size,), 0, float(n))
    _slot_rows(bld, indptr, ind, pop, lo, hi, x, root, used, flow)
    for h in range(g):
        if h not in (a, b) and T[h] > 0:
            bld.add_row(x, C[:, a] - C[:, h], -1e-12, np.inf)
            bld.add_row(x, C[:, b] - C[:, h], -1e-12, np.inf)
    eps = 0.5 / total
    bld.add_row(x, C[:, a] - C[:, b], -eps, eps)
    # each of the two holds at least the counting argument's share for a tie
    lo_p = _least_share(T, a, lo, majority=False, tied=b)
    if not np.isfinite(lo_p):
        return "no"
    bld.add_row(x, C[:, a], lo_p - eps, np.inf)
    bld.add_row(x, C[:, b], lo_p - eps, np.inf)
    # no other community may exceed the smaller of the two totals: units holding more are out,
    # and so are pairs of units that no path joins without more
    cap = float(min(T[a], T[b])) + eps
    for i in np.flatnonzero((np.delete(C, [a, b], axis=1) > cap).any(axis=1)):
        bld.ub[int(x[i])] = 0.0
        bld.ub[int(root[i])] = 0.0
    wts = np.column_stack([pop, np.delete(C, [a, b], axis=1)])
    caps = np.concatenate([[hi], np.full(g - 2, cap)])
    for i, j in _conflicts(indptr, ind, wts, caps):
        bld.add_row([x[i], x[j]], [1.0, 1.0], -np.inf, 1.0)
    solver = new_highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("log_to_console", False)
    solver.setOptionValue("time_limit", float(max(time_limit, 0.5)))
    solver.setOptionValue("random_seed", 0)
    if threads is not None:
        solver.setOptionValue("threads", int(threads))
    solver.passModel(bld.to_lp())
    solver.run()
    status = solver.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return "no"
    if solver.getInfo().primal_solution_status == 2:
        return "yes"
    return "unknown"


@dataclass(order=True)
class _Node:
    neg_value: float
    seq: int
    excl: dict[int, frozenset[int]] = field(compare=False)
    terms: dict[int, TermBound] = field(compare=False)


def _branch_unit(node: _Node, pairs: list[tuple[int, int]], share: NDArray[np.float64]
                 ) -> tuple[int, int, int] | None:
    """The unit to branch on, with its pair of communities; ``None`` when there is none.

    A unit held by the best packings of both communities, worth most to them (``share[u, c]``:
    the weighted term ``u`` carries for ``c``). When a packing was not solved to optimality its
    bound may rest on units its best packing does not hold, so a unit of the other community's
    packing that it may still use counts too, for what it carries for it.
    """
    best: tuple[float, int, int, int] | None = None
    for a, b in pairs:
        ra = {u for reg in node.terms[a].regions for u in reg}
        rb = {u for reg in node.terms[b].regions for u in reg}
        loose_a = node.terms[a].status != "optimal"
        loose_b = node.terms[b].status != "optimal"
        for u in ra | rb:
            if u in ra and u in rb:
                score = float(share[u, a] + share[u, b]) + 1e-9  # units of neither count too
            elif u in ra and loose_b and u not in node.excl[b]:
                score = float(share[u, b])
            elif u in rb and loose_a and u not in node.excl[a]:
                score = float(share[u, a])
            else:
                continue
            if score > 0 and (best is None or (score, -u) > (best[0], -best[1])):
                best = (score, u, a, b)
    return None if best is None else best[1:]


def decomposition_bound(cp: CompiledProblem, *, time_limit: float = 120.0,
                        threads: int | None = None, branch: bool = True,
                        root_share: float = 0.2, solve_share: float = 0.1
                        ) -> DecompositionBound | None:
    """Upper bound on ``cp``'s objective from per-community packing relaxations.

    ``None`` when the objective does not decompose (see :func:`decomposable`).

    1. Each community's packing relaxation is solved on its own (``root_share`` of the time,
       shared among the communities; unused time passes on), its regions rooted at the units
       that can head them (:func:`plurality_heads`, found in part of that time). Their sum
       bounds the objective.
    2. With ``branch``, the sum is tightened. In a plan, the regions where two communities are
       largest are disjoint unless the two tie for largest in one region (a tie counts for
       both). The plans split into cases:

       - for each pair that may tie (:func:`tie_possible` does not rule it out), the plans in
         which they do: bounded by the two communities' packings with a tied region
         (``tie_with``), the others' as in step 1;
       - the plans without ties, in which every pair's regions are disjoint: when the best
         packings of two communities share a unit ``u``, every such plan has ``u`` outside the
         regions of one or the other, so the bound is the larger of two branches, each
         forbidding ``u`` to one of them (its packing solved again, with at most
         ``solve_share`` of the time). Branches are explored best first until the best one's
         packings are disjoint, its bound falls to the tie cases' or the time runs out.

       The bound is the largest over the tie cases and the open branches.

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
    >>> round(db.value, 4), db.terms[0].status
    (0.9655, 'optimal')
    >>> {10, 11, 14, 15} <= set(db.terms[0].regions[0])   # b's units (13 may join: a tie)
    True
    """
    if not decomposable(cp):
        return None
    if not (0.0 < root_share <= 1.0 and 0.0 < solve_share <= 1.0):
        raise ValueError("root_share and solve_share must lie in (0, 1]")
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
    terms: dict[int, TermBound] = {}
    root_time = time_limit * (root_share if branch else 1.0)
    heads: dict[int, tuple[int, ...] | None] = {}
    for j, c in enumerate(comms):
        left = root_time - (time.perf_counter() - t0)
        share = max(left / (len(comms) - j), 0.5)
        s0 = time.perf_counter()
        # the units that can head a region of c: each region is rooted at its head
        heads[c] = (plurality_heads(cp, c, time_limit=0.4 * share, threads=threads)
                    if slots[c] > 0 else None)
        share = max(share - (time.perf_counter() - s0), 0.5)
        terms[c] = packing_bound(cp, c, time_limit=share, threads=threads, heads=heads[c])
    ordered = tuple(terms[c] for c in sorted(terms))
    root = float(sum(tb.value for tb in ordered))

    def done(value: float, joint: tuple[str, ...] = (), nodes: int = 0, n_open: int = 0,
             leaf: dict[int, TermBound] | None = None,
             ties: tuple[tuple[str, str, float], ...] = ()) -> DecompositionBound:
        return DecompositionBound(value, ordered, time.perf_counter() - t0, root, joint, nodes,
                                  n_open, tuple(leaf[c] for c in sorted(leaf)) if leaf else (),
                                  ties)

    names = cp.territory.communities
    # communities whose term can be positive; the pairs of them, with those that may tie
    live = [c for c in comms if terms[c].value > 1e-6 * max(cp.w_plur[c] + cp.w_maj[c], 1e-12)]
    pairs: list[tuple[int, int]] = []
    ties: list[tuple[str, str, float]] = []
    floor = -np.inf  # the largest bound over the plans in which some pair ties
    for ia, a in enumerate(live):
        for b in live[ia + 1:]:
            if not branch or time_limit - (time.perf_counter() - t0) < 1.0:
                break
            pairs.append((a, b))
            if cp.w_plur[a] <= 0 or cp.w_plur[b] <= 0:
                continue  # a majority region has no other largest community
            left = time_limit - (time.perf_counter() - t0)
            if tie_possible(cp, a, b, time_limit=min(5.0, 0.1 * left), threads=threads) == "no":
                continue
            # plans in which a and b tie somewhere: each holds a region tied with the other
            tie_terms = dict(terms)
            for c, o in ((a, b), (b, a)):
                left = time_limit - (time.perf_counter() - t0)
                tb = packing_bound(cp, c, tie_with=o, threads=threads, heads=heads[c],
                                   time_limit=max(min(left, solve_share * time_limit), 0.5))
                tie_terms[c] = min(tb, terms[c], key=lambda x: x.value)
            bound = float(sum(tb.value for tb in tie_terms.values()))
            ties.append((names[a], names[b], bound))
            floor = max(floor, bound)
    if not pairs or floor >= root:
        return done(root, ties=tuple(ties))
    joint = tuple(sorted({names[c] for pair in pairs for c in pair}))
    share_u = np.zeros_like(cp.table, dtype=np.float64)
    for c in live:
        share_u[:, c] = (cp.w_plur[c] + cp.w_maj[c]) * cp.table[:, c] / (T[c] * total)
    cache: dict[tuple[int, frozenset[int]], TermBound] = {}
    seq = 0
    heap = [_Node(-root, seq, {c: frozenset() for c in comms}, dict(terms))]
    nodes = 0
    while True:
        node = heap[0]
        left = time_limit - (time.perf_counter() - t0)
        pick = _branch_unit(node, pairs, share_u)
        if pick is None or left < 1.0 or -node.neg_value <= floor:
            break
        heapq.heappop(heap)
        nodes += 1
        u, a, b = pick
        for c in (a, b):
            excl = dict(node.excl)
            excl[c] = node.excl[c] | {u}
            key = (c, excl[c])
            if key not in cache:
                left = time_limit - (time.perf_counter() - t0)
                tb = packing_bound(cp, c, exclude=sorted(excl[c]), threads=threads,
                                   heads=heads[c],
                                   time_limit=max(min(left, solve_share * time_limit), 0.5))
                # a branch holds fewer plans than its parent: its bound is never higher
                if tb.value > node.terms[c].value:
                    tb = TermBound(tb.community, node.terms[c].value, tb.status, tb.slots,
                                   tb.nodes, tb.elapsed, tb.regions, tb.found)
                cache[key] = tb
            child = dict(node.terms)
            child[c] = cache[key]
            seq += 1
            heapq.heappush(heap, _Node(-float(sum(tb.value for tb in child.values())), seq,
                                       excl, child))
    top = heap[0]
    return done(max(-top.neg_value, floor), joint, nodes, len(heap), top.terms, tuple(ties))
