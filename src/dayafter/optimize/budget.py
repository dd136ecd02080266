"""An exact model of a negotiation with a small move budget: one composition per region.

With a start plan and a budget of ``B`` units, a region of any plan within the budget is its start
units less some that leave (``L``) plus some that join (``J``), with ``|L| + |J| <= B`` (the units
leaving and joining a region are distinct moved units). The objective terms handled here
(plurality and majority empowerment, stranded shares, homogeneity, on one or several censuses)
are sums over the regions of a function of the region's composition alone:

    F_cen(a) = sum_r f_r^cen(S_r(a)).

:func:`region_columns` enumerates, for every region, each composition within the budget that is
connected and within the region's population bounds (a Numba kernel walking the subsets of the
region's candidates: its movable start units, and the movable units within reach of it, see
``dayafter.optimize.mip._reachable``), and scores it on every census. :func:`solve_columns` then
picks one composition per region (a set-partitioning model, solved by HiGHS):

    maximize   zeta   (the worst census; or the weighted sum of the censuses)
    subject to sum_{S ∋ i} z_S = 1          for every movable unit i
               sum_{S of r} z_S = 1         for every region r
               sum_S |J_S| z_S <= B         (each moved unit joins exactly one region)
               zeta <= sum_S f^cen(S) z_S   for every census
               z binary.

The model is exact: a choice of compositions covering every movable unit once is a plan (the fixed
units are in every composition of their region), each region connected and within its bounds,
and its moved units are exactly the joining ones, so the budget row is the budget; conversely every
feasible plan's regions are enumerated compositions. HiGHS's dual bound is therefore a valid
upper bound on the objective at any time, and its linear relaxation (a set-partitioning LP) is far
tighter than the flow model's: on the Nineveh negotiation (28 movable units, a budget of six,
eleven regions) there are about 71,000 feasible compositions among four million subsets, and the
model proves the optimum in seconds where the flow model needs minutes.

Only units counted by region (every region its own class for the budget) and only terms that are
sums over regions (no cut edges, splits or criteria) qualify (:func:`columns_apply`); the number
of subsets enumerated is capped.

References
----------
The set-partitioning formulation of districting goes back to R. S. Garfinkel and G. L. Nemhauser,
"Optimal political districting by implicit enumeration techniques", Management Science 16 (1970).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from math import comb
from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from numpy.typing import NDArray

from dayafter.optimize.problem import CompiledProblem

if TYPE_CHECKING:
    import highspy

    from dayafter.optimize.milp import SolveWatch

__all__ = ["ColumnSolution", "RegionColumns", "columns_apply", "region_columns",
           "solve_columns"]


@dataclass(frozen=True)
class RegionColumns:
    """The feasible compositions of every region of a negotiation.

    Attributes
    ----------
    free
        ``int64[m]``: the movable units (indices in the compiled problem's territory).
    region
        ``int64[q]``: the region of each composition.
    members
        ``bool[q, m]``: the movable units in each composition.
    joins
        ``int64[q]``: units in each composition that are not in the region at the start.
    values
        ``float64[q, C]``: the region's part of the objective on each census.
    subsets
        Subsets of the candidates enumerated.
    elapsed
        Seconds.
    """

    free: NDArray[np.int64]
    region: NDArray[np.int64]
    members: NDArray[np.bool_]
    joins: NDArray[np.int64]
    values: NDArray[np.float64]
    subsets: int
    elapsed: float


@dataclass
class ColumnSolution:
    """What :func:`solve_columns` returned (objective and bound in objective units)."""

    status: str
    assignment: NDArray[np.int64] | None
    objective: float | None
    bound: float | None
    nodes: int
    columns: int
    subsets: int
    kept: int
    lp_bound: float | None
    warm_used: bool
    elapsed: float


def columns_apply(cp: CompiledProblem) -> bool:
    """True when the composition model applies: a start plan, a budget in units (and none in
    people), every region its own class for the budget, locks only to the start region, and only
    terms that are sums over regions (no cut edges, splits or criteria)."""
    return bool(cp.start is not None and cp.budget_units >= 0 and cp.budget_people < 0
                and np.all((cp.lock < 0) | (cp.lock == cp.start))
                and np.unique(cp.region_class).size == cp.region_class.size == cp.k
                and cp.w_cut == 0 and not np.any(cp.w_splits != 0) and not cp.has_constraints)


def _candidates(cp: CompiledProblem) -> list[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    from dayafter.optimize.mip import _reachable

    n, k = cp.territory.n_units, cp.k
    start = np.asarray(cp.start, dtype=np.int64)
    free = cp.lock < 0
    reach = _reachable(cp)
    if reach is None:
        reach = np.ones((n, k), dtype=bool)
    out = []
    for r in range(k):
        leave = np.flatnonzero(free & (start == r))
        join = np.flatnonzero(free & (start != r) & reach[:, r])
        out.append((np.concatenate([leave, join]).astype(np.int64),
                    np.concatenate([-np.ones(leave.size, np.int64),
                                    np.ones(join.size, np.int64)])))
    return out


def subset_count(cp: CompiledProblem) -> int:
    """Subsets :func:`region_columns` would enumerate (0 when the model does not apply)."""
    if not columns_apply(cp):
        return 0
    B = int(cp.budget_units)
    return sum(sum(comb(int(c.size), s) for s in range(min(int(c.size), B) + 1))
               for c, _s in _candidates(cp))


def region_columns(cp: CompiledProblem, *, max_subsets: int = 20_000_000) -> RegionColumns | None:
    """Every connected composition of every region within the budget and the population bounds.

    Parameters
    ----------
    cp
        A compiled problem for which :func:`columns_apply` holds (best with its fixed units
        merged, :func:`dayafter.optimize.mip.contract`).
    max_subsets
        ``None`` is returned when more subsets than this would be enumerated.

    Returns
    -------
    RegionColumns or None

    Examples
    --------
    >>> from dayafter.testing.grids import grid_territory
    >>> from dayafter.plan import Plan, Region
    >>> from dayafter.optimize import Problem
    >>> t = grid_territory(1, 4)
    >>> start = Plan(np.array([0, 0, 1, 1]), (Region("W"), Region("E")), t.content_hash)
    >>> p = Problem.from_dict({"maximize": ["homogeneity"], "budget": {"units": 1},
    ...                        "constraints": {"tolerance": None}}, start=start)
    >>> cols = region_columns(p.compile(t))
    >>> cols.members.astype(int).tolist()  # W as it is, less a unit, with u00002; E likewise
    [[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 0], [0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 1, 1]]
    >>> cols.joins.tolist()
    [0, 0, 0, 1, 0, 0, 0, 1]
    """
    if not columns_apply(cp):
        return None
    t0 = time.perf_counter()
    t = cp.territory
    n_c, n, _g = cp.tables.shape
    k = cp.k
    B = int(cp.budget_units)
    start = np.asarray(cp.start, dtype=np.int64)
    free = np.flatnonzero(cp.lock < 0)
    pos_free = np.full(n, -1, dtype=np.int64)
    pos_free[free] = np.arange(free.size)
    cands = _candidates(cp)
    counts = [sum(comb(int(c.size), s) for s in range(min(int(c.size), B) + 1)) for c, _s in cands]
    if sum(counts) > max_subsets:
        return None
    W = np.stack([cp.w_plur, cp.w_maj, cp.w_str]).astype(np.float64)
    totals = np.ascontiguousarray(cp.tables.sum(axis=1))
    grand = np.ascontiguousarray(cp.tables.sum(axis=(1, 2)))
    indptr = np.asarray(t.graph.indptr, dtype=np.int64)
    ind = np.asarray(t.graph.indices, dtype=np.int64)
    pop = np.ascontiguousarray(cp.pop, dtype=np.float64)
    tables = np.ascontiguousarray(cp.tables, dtype=np.float64)
    regions, members, joins, values = [], [], [], []
    for r in range(k):
        cand, sign = cands[r]
        # two walks: count the compositions, then write them (memory for those kept only)
        cap = 0
        for write in (False, True):
            member = (start == r).astype(np.int8)
            mem = np.zeros((cap, free.size), dtype=np.bool_)
            jn = np.zeros(cap, dtype=np.int64)
            val = np.zeros((cap, n_c))
            cap = q = _enumerate(tables, pop, member, cand, sign, B, float(cp.lo[r]),
                                 float(cp.hi[r]), W, float(cp.w_homog), float(cp.threshold),
                                 totals, grand, indptr, ind, pos_free, mem, jn, val, write)
        regions.append(np.full(q, r, dtype=np.int64))
        members.append(mem[:q])
        joins.append(jn[:q])
        values.append(val[:q])
    return RegionColumns(free=free.astype(np.int64), region=np.concatenate(regions),
                         members=np.concatenate(members), joins=np.concatenate(joins),
                         values=np.concatenate(values), subsets=int(sum(counts)),
                         elapsed=time.perf_counter() - t0)


def solve_columns(cp: CompiledProblem, cols: RegionColumns, *, time_limit: float,
                  mip_rel_gap: float = 1e-6, warm_start: NDArray[np.integer] | None = None,
                  threads: int | None = None, watch: SolveWatch | None = None
                  ) -> ColumnSolution:
    """Pick one composition per region (the set-partitioning model of the module docstring).

    ``warm_start`` (an assignment of ``cp``'s units within the budget) is handed to HiGHS when
    each of its regions is among the columns; its value ``v`` then also prunes the model: the
    linear relaxation is solved, and with its row duals ``y`` (signs made valid, the census duals
    scaled to sum to one) every composition ``S`` has the reduced cost ``d_S`` and every plan using
    it is worth at most ``L + d_S``, ``L`` the dual objective (weak duality: the bound holds for
    any such ``y``, however accurate the LP solve). Compositions with ``L + d_S < v`` cannot be
    part of a plan better than the warm start and are dropped, which leaves the optimum, and so
    the bound, unchanged. Status is ``optimal``, ``time_limit``, ``infeasible``, ``cancelled`` or
    HiGHS's own wording; ``assignment`` is an assignment of ``cp``'s units.
    """
    import highspy

    from dayafter.optimize.milp import new_highs, run_highs

    t0 = time.perf_counter()
    n_c = cols.values.shape[1]
    q_all = cols.region.size
    worst = cp.combine == "worst" and n_c > 1
    w = np.ones(1)
    if not worst:
        w = cp.census_weights if cp.census_weights.size == n_c else np.ones(n_c) / n_c
        w = np.asarray(w, dtype=np.float64)
    chosen = None if warm_start is None else _columns_of(
        cp, cols, np.asarray(warm_start, dtype=np.int64))
    lagrange = None
    keep = np.ones(q_all, dtype=bool)
    if chosen is not None:
        tot = cols.values[chosen].sum(axis=0)
        inc = float(tot.min()) if worst else float(tot @ w)
        lp0 = _column_lp(cp, cols, worst, w, integer=False)
        h = new_highs()
        h.setOptionValue("presolve", "off")
        h.setOptionValue("time_limit", float(max(min(time_limit * 0.25, 30.0), 0.1)))
        if threads is not None:
            h.setOptionValue("threads", int(threads))
        h.passModel(lp0)
        h.run()
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            lag = _lagrangian(cp, cols, worst, w, np.asarray(h.getSolution().row_dual))
            if lag is not None:
                lagrange, red = lag
                keep = lagrange + red >= inc - 1e-7 * max(1.0, abs(inc))
                keep[chosen] = True
    sub = cols if keep.all() else RegionColumns(
        free=cols.free, region=cols.region[keep], members=cols.members[keep],
        joins=cols.joins[keep], values=cols.values[keep], subsets=cols.subsets,
        elapsed=cols.elapsed)
    q = sub.region.size
    lp = _column_lp(cp, sub, worst, w, integer=True)
    n_col = q + (1 if worst else 0)
    h = new_highs()
    h.setOptionValue("time_limit", float(max(time_limit - (time.perf_counter() - t0), 0.1)))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("random_seed", 0)
    # HiGHS's presolve spends minutes on tens of thousands of dense columns and removes little
    h.setOptionValue("presolve", "off")
    if chosen is not None:
        # the heuristics' sub-MIPs solve the whole model again and again: with a good plan in
        # hand the time goes to the bound instead
        h.setOptionValue("mip_heuristic_effort", 0.0)
        for opt in ("mip_heuristic_run_rins", "mip_heuristic_run_rens",
                    "mip_heuristic_run_root_reduced_cost", "mip_heuristic_run_feasibility_jump"):
            h.setOptionValue(opt, False)
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    h.passModel(lp)
    warm_used = False
    if chosen is not None:
        pos = np.flatnonzero(keep)
        local = np.searchsorted(pos, chosen)
        x = np.zeros(n_col)
        x[local] = 1.0
        if worst:
            x[q] = float(sub.values[local].sum(axis=0).min())
        sol = highspy.HighsSolution()
        sol.col_value = x.tolist()
        sol.value_valid = True
        h.setSolution(sol)
        warm_used = True
    sname = run_highs(h, watch)
    info = h.getInfo()
    bound = float(info.mip_dual_bound)
    if lagrange is not None:
        bound = min(bound, lagrange) if np.isfinite(bound) else lagrange
    a = None
    obj = None
    if sname != "infeasible" and info.primal_solution_status == 2:
        z = np.asarray(h.getSolution().col_value)[:q] > 0.5
        a = np.asarray(cp.start, dtype=np.int64).copy()
        for c in np.flatnonzero(z).tolist():
            a[sub.free[sub.members[c]]] = sub.region[c]
        obj = float(info.objective_function_value)
    if np.isfinite(bound):
        bound += 1e-9 * max(1.0, abs(bound))  # rounding of the scores and of HiGHS's tolerances
    return ColumnSolution(status=sname, assignment=a, objective=obj,
                          bound=bound if np.isfinite(bound) else None,
                          nodes=int(info.mip_node_count), columns=q_all,
                          subsets=cols.subsets, kept=q,
                          lp_bound=lagrange, warm_used=warm_used,
                          elapsed=time.perf_counter() - t0)


def _column_lp(cp: CompiledProblem, cols: RegionColumns, worst: bool, w: NDArray[np.float64],
               *, integer: bool) -> highspy.HighsLp:
    """The set-partitioning model as a ``highspy.HighsLp`` (rows: movable units, regions, the
    budget, then the censuses for the worst of several; a last column ``zeta`` for the worst)."""
    import highspy

    n_c = cols.values.shape[1]
    q, m = cols.members.shape
    k = cp.k
    ci, ui = np.nonzero(cols.members)
    rows_c = [ci, np.arange(q), np.arange(q)]
    rows_r = [ui, m + cols.region, np.full(q, m + k)]
    vals = [np.ones(ci.size), np.ones(q), cols.joins.astype(np.float64)]
    if worst:
        for cen in range(n_c):
            rows_c.append(np.arange(q))
            rows_r.append(np.full(q, m + k + 1 + cen))
            vals.append(-cols.values[:, cen])
        rows_c.append(np.full(n_c, q))
        rows_r.append(m + k + 1 + np.arange(n_c))
        vals.append(np.ones(n_c))
        cost = np.zeros(q + 1)
        cost[q] = 1.0
        n_col = q + 1
    else:
        cost = cols.values @ w
        n_col = q
    n_extra = n_c if worst else 0
    n_row = m + k + 1 + n_extra
    cc = np.concatenate(rows_c)
    rr = np.concatenate(rows_r)
    vv = np.concatenate(vals)
    nz = vv != 0
    cc, rr, vv = cc[nz], rr[nz], vv[nz]
    order = np.lexsort((rr, cc))
    cc, rr, vv = cc[order], rr[order], vv[order]
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    lp.col_cost_ = cost
    lp.col_lower_ = np.concatenate([np.zeros(q), [-inf] if worst else []])
    lp.col_upper_ = np.concatenate([np.ones(q), [inf] if worst else []])
    lp.row_lower_ = np.concatenate([np.ones(m + k), [-inf], np.full(n_extra, -inf)])
    lp.row_upper_ = np.concatenate([np.ones(m + k), [float(cp.budget_units)], np.zeros(n_extra)])
    start = np.zeros(n_col + 1, dtype=np.int32)
    np.cumsum(np.bincount(cc, minlength=n_col), out=start[1:])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = rr.astype(np.int32)
    lp.a_matrix_.value_ = vv
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = n_row
    kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
    lp.integrality_ = [kind] * q + ([highspy.HighsVarType.kContinuous] if worst else [])
    lp.sense_ = highspy.ObjSense.kMaximize
    return lp


def _lagrangian(cp: CompiledProblem, cols: RegionColumns, worst: bool, w: NDArray[np.float64],
                row_dual: NDArray[np.float64]
                ) -> tuple[float, NDArray[np.float64]] | None:
    """A valid dual bound ``L`` and the reduced costs ``d`` of the compositions from row duals.

    For any row multipliers ``y`` with ``y >= 0`` on the ``<=`` rows (budget, censuses) and, for
    the worst of several censuses, census multipliers summing to one (the column ``zeta`` is
    free), every 0-1 choice ``z`` meeting the rows has ``objective <= y'b + sum_S d_S z_S <=
    y'b + sum_S max(d_S, 0) = L``, with ``d = c - A'y``; a choice with ``z_S = 1`` is worth at
    most ``L + min(d_S, 0)``. HiGHS's sign convention is not assumed: both signs are made valid
    and the smaller ``L`` kept. ``None`` when neither gives a finite bound.
    """
    n_c = cols.values.shape[1]
    m = cols.members.shape[1]
    k = cp.k
    best: tuple[float, NDArray[np.float64]] | None = None
    for sgn in (1.0, -1.0):
        y = sgn * np.asarray(row_dual, dtype=np.float64)
        y[m + k:] = np.maximum(y[m + k:], 0.0)
        base = cols.members.astype(np.float64) @ y[:m] + y[m + cols.region] \
            + cols.joins * y[m + k]
        if worst:
            yc = y[m + k + 1:m + k + 1 + n_c]
            if yc.sum() <= 0:
                continue
            yc = yc / yc.sum()
            d = cols.values @ yc - base
        else:
            d = cols.values @ w - base
        L = float(y[:m + k].sum() + y[m + k] * cp.budget_units + np.maximum(d, 0.0).sum())
        if np.isfinite(L) and (best is None or L < best[0]):
            best = (L, d)
    return best


def _columns_of(cp: CompiledProblem, cols: RegionColumns, a: NDArray[np.int64]
                ) -> NDArray[np.int64] | None:
    """The column of each region of assignment ``a`` (``None`` when one is missing)."""
    out = []
    for r in range(cp.k):
        want = a[cols.free] == r
        idx = np.flatnonzero(cols.region == r)
        hit = idx[np.all(cols.members[idx] == want[None, :], axis=1)]
        if hit.size == 0:
            return None
        out.append(int(hit[0]))
    return np.asarray(out, dtype=np.int64)


@njit(cache=True)
def _region_value(P, N, W, w_homog, thr, totals, grand, out):  # pragma: no cover - compiled
    """``out[cen] = f^cen`` of one region's tallies ``P[cen, c]`` (the kernels' rules:
    a tie for largest counts for every community in it, above half is ``> 0.5``, stranded is
    a share ``< thr``; a share within ``1e-12`` of its edge is taken the way that raises the
    value, so that rounding cannot lower it below the objective's)."""
    n_c, g = P.shape
    eps = 1e-12
    for cen in range(n_c):
        out[cen] = 0.0
        nr = N[cen]
        if nr <= 0:
            continue
        top = -1.0
        for c in range(g):
            s = P[cen, c] / nr
            if s > top:
                top = s
        f = w_homog * top * nr / grand[cen] if grand[cen] > 0 else 0.0
        for c in range(g):
            if totals[cen, c] <= 0:
                continue
            s = P[cen, c] / nr
            x = 0.0
            # a condition within rounding of its edge counts when that raises the value
            w0, w1, w2 = W[0, c], W[1, c], W[2, c]
            if P[cen, c] > 0 and w0 != 0.0 and s >= top - (eps if w0 > 0 else -eps):
                x += w0 * P[cen, c]
            if w1 != 0.0 and s > 0.5 - (eps if w1 > 0 else -eps):
                x += w1 * P[cen, c]
            if w2 != 0.0 and s < thr + (eps if w2 > 0 else -eps):
                x += w2 * P[cen, c]
            f += x / totals[cen, c]
        out[cen] = f


@njit(cache=True)
def _connected(member, indptr, ind, stack, seen):  # pragma: no cover - compiled
    n = member.size
    first = -1
    count = 0
    for i in range(n):
        if member[i]:
            count += 1
            if first < 0:
                first = i
    if count <= 1:
        return True
    for i in range(n):
        seen[i] = 0
    top = 0
    stack[top] = first
    top += 1
    seen[first] = 1
    reached = 1
    while top > 0:
        top -= 1
        u = stack[top]
        for p in range(indptr[u], indptr[u + 1]):
            v = ind[p]
            if member[v] and not seen[v]:
                seen[v] = 1
                reached += 1
                stack[top] = v
                top += 1
    return reached == count


@njit(cache=True)
def _enumerate(tables, pop, member, cand, sign, B, lo, hi, W, w_homog, thr, totals, grand,
               indptr, ind, pos_free, mem, jn, val, write):  # pragma: no cover - compiled
    """Walk the subsets of ``cand`` of at most ``B`` units (``sign`` -1: the unit leaves the
    region, +1: it joins) and count each nonempty, connected composition within ``[lo, hi]``;
    with ``write``, also write its movable members (``mem``), joins (``jn``) and values
    (``val``). Returns the count."""
    n_c, n, g = tables.shape
    m = cand.size
    P = np.zeros((n_c, g))
    N = np.zeros(n_c)
    npop = 0.0
    size = 0
    for i in range(n):
        if member[i]:
            size += 1
            npop += pop[i]
            for cen in range(n_c):
                for c in range(g):
                    P[cen, c] += tables[cen, i, c]
    for cen in range(n_c):
        N[cen] = P[cen].sum()
    stack = np.empty(n, np.int64)
    seen = np.zeros(n, np.int8)
    pos = np.empty(max(B, 1), np.int64)
    out = np.empty(n_c)
    nj = 0
    d = 0
    nxt = 0
    q = 0
    tol = 1e-9 * max(1.0, hi if np.isfinite(hi) else lo)
    evaluate = True
    while True:
        if evaluate and size > 0 and npop >= lo - tol and npop <= hi + tol:
            if _connected(member, indptr, ind, stack, seen):
                if write:
                    _region_value(P, N, W, w_homog, thr, totals, grand, out)
                    for i in range(n):
                        if member[i] and pos_free[i] >= 0:
                            mem[q, pos_free[i]] = True
                    jn[q] = nj
                    for cen in range(n_c):
                        val[q, cen] = out[cen]
                q += 1
        evaluate = False
        if d < B and nxt < m:
            u = cand[nxt]
            s = sign[nxt]
            pos[d] = nxt
            d += 1
            member[u] = 1 if s > 0 else 0
            size += s
            npop += s * pop[u]
            for cen in range(n_c):
                for c in range(g):
                    P[cen, c] += s * tables[cen, u, c]
                N[cen] = P[cen].sum()
            if s > 0:
                nj += 1
            nxt = nxt + 1
            evaluate = True
        else:
            if d == 0:
                break
            d -= 1
            q0 = pos[d]
            u = cand[q0]
            s = sign[q0]
            member[u] = 0 if s > 0 else 1
            size -= s
            npop -= s * pop[u]
            for cen in range(n_c):
                for c in range(g):
                    P[cen, c] -= s * tables[cen, u, c]
                N[cen] = P[cen].sum()
            if s > 0:
                nj -= 1
            nxt = q0 + 1
    return q
