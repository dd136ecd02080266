"""Exact optimization by mixed-integer programming through HiGHS (highspy).

Formulation (populations scaled by the census total so that every big-M is at most 1):

* ``x[i, r]`` binary: unit ``i`` belongs to region ``r``; each unit in exactly one region;
* contiguity by single-commodity flows per region (Shirabe 2009; the flow model compared by
  Validi, Buchanan and Lykhovyd 2022): each region has one root ``s[i, r]``, which sends flow
  along arcs inside the region; every other unit of the region absorbs one unit of flow;
* ``P[r, c] = sum_i table[i, c] x[i, r]``; population bounds on ``sum_c P[r, c]``;
* "community ``c`` is largest in region ``r``" as a binary ``z[r, c]`` with
  ``P[r, c] >= P[r, h] - T_h (1 - z[r, c])`` for every other community ``h``, and the people
  counted ``e[r, c] <= P[r, c]``, ``e[r, c] <= T_c z[r, c]``; majority and "not stranded"
  (share at least the threshold) likewise; homogeneity by choosing one community per region;
  cut edges and admin splits by the usual indicator inequalities;
* where regions are interchangeable (no locks, equal bounds, no per-region criteria) the symmetry
  is broken: a region's root is its lowest-numbered unit and roots increase with the region index.

The linearization is exact for terms pushed in their natural direction (empowerment and
homogeneity maximized, stranded shares, cut edges and splits minimized) and for the criteria the
optimizers support; :class:`MIPOptimizer` refuses other objectives. Majority (a share *above* one
half) is modelled as a share of at least ``0.5 + 1e-7``.

References
----------
T. Shirabe, "Districting modeling with exact contiguity constraints", Environment and Planning B
36 (2009). H. Validi, A. Buchanan, E. Lykhovyd, "Imposing contiguity constraints in political
districting models", Operations Research 70 (2022).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from dayafter.errors import ConfigError, InfeasibleError
from dayafter.optimize.bounds import decomposable, decomposition_bound
from dayafter.optimize.milp import ModelBuilder
from dayafter.optimize.problem import (
    CC_EMP_MAJ,
    CC_EMP_PLUR,
    CC_STRANDED,
    RC_AREA,
    RC_LARGEST,
    RC_SHARE,
    CompiledProblem,
    Problem,
)
from dayafter.optimize.result import OptimizeResult, Progress, make_plan
from dayafter.plan import Plan
from dayafter.territory import Territory

__all__ = ["MIPModel", "MIPOptimizer", "Solution", "build_model", "solve_model"]

_MAJ_EPS = 1e-7


@dataclass
class MIPModel:
    """A built model: the HiGHS LP data and the variable blocks needed to read a solution."""

    cp: CompiledProblem
    lp: object
    x: NDArray[np.int64]
    offset: float
    symmetric: bool
    n_vars: int
    n_rows: int
    blocks: dict[str, NDArray[np.int64]]
    conds: list[tuple[str, int, int, float, int, NDArray[np.int64]]] = field(default_factory=list)
    costs: NDArray[np.float64] | None = None
    contiguity: bool = True
    offsets: list[float] = field(default_factory=list)

    def warm_values(self, assignment: NDArray[np.integer]) -> NDArray[np.float64] | None:
        """A full solution vector for ``assignment`` (``None`` when it is not contiguous)."""
        return _warm_values(self, np.asarray(assignment, dtype=np.int64))


def _check_natural(cp: CompiledProblem) -> None:
    bad = [t.label for t in cp.problem.objective.terms if not t.natural]
    if bad:
        raise ConfigError(
            f"the MIP can only push each metric in its natural direction; terms {bad} go the "
            "other way (e.g. maximizing stranded people)",
            hint="use a heuristic (method 'anneal' or 'bursts') for this objective")


def build_model(cp: CompiledProblem, objectives: Sequence[CompiledProblem] = (), *,
                contiguity: bool = True, term_caps: Mapping[int, float] | None = None
                ) -> MIPModel:
    """Build the MIP of a compiled problem (see the module docstring).

    With ``contiguity=False`` the flow constraints are left out: the model is then a relaxation
    whose optimum bounds the true one from above (smaller and faster, used for bounds only).

    ``objectives`` (compiled on the same territory and census, their admin levels included in
    ``cp``'s) gives several objectives whose cost vectors are kept in ``MIPModel.costs``; the
    first is the one optimized. By default the objective is ``cp``'s own.

    ``term_caps`` maps a community to an upper bound on its weighted empowerment terms in ``cp``'s
    objective (e.g. from :func:`dayafter.optimize.bounds.decomposition_bound`); each becomes a row
    (a valid inequality: it cuts no plan off, and it tightens the linear relaxation).
    """
    objs = list(objectives) or [cp]
    for o in objs:
        _check_natural(o)
    t = cp.territory
    n, g = cp.table.shape
    k = cp.k
    total = float(cp.pop.sum())
    C = cp.table / total
    T = C.sum(axis=0)
    lo = cp.lo / total
    hi = np.minimum(cp.hi / total, 1.0)
    indptr = np.asarray(t.graph.indptr, dtype=np.int64)
    ind = np.asarray(t.graph.indices, dtype=np.int64)
    U = float(n - k + 1)
    b = ModelBuilder(costs=[[] for _ in objs])
    x = b.add_vars((n, k), 0, 1, integer=True)
    root = b.add_vars((n, k), 0, 1, integer=True)
    flow = b.add_vars((ind.size, k), 0, U if contiguity else 0.0)
    P = b.add_vars((k, g), 0, 1)
    for r in range(k):
        for c in range(g):
            b.ub[P[r, c]] = float(T[c])
    blocks: dict[str, NDArray[np.int64]] = {"x": x, "root": root, "flow": flow, "P": P}
    # locks
    for i in np.flatnonzero(cp.lock >= 0):
        b.lb[x[i, cp.lock[i]]] = 1.0
    symmetric = cp.interchangeable
    for i in range(n):
        b.add_row(x[i], 1.0, 1.0, 1.0)
    for r in range(k):
        b.add_row(root[:, r], 1.0, 1.0, 1.0)
        for i in range(n):
            b.add_row([root[i, r], x[i, r]], [1.0, -1.0], -np.inf, 0.0)
    # flows
    for r in range(k if contiguity else 0):
        b.add_flow_contiguity(indptr, ind, x[:, r], root[:, r], flow[:, r], U)
    # tallies and bounds
    for r in range(k):
        for c in range(g):
            nz = np.flatnonzero(C[:, c] > 0)
            b.add_row(np.concatenate([[P[r, c]], x[nz, r]]),
                      np.concatenate([[1.0], -C[nz, c]]), 0.0, 0.0)
        b.add_row(P[r], 1.0, float(lo[r]) - 1e-9, float(hi[r]) + 1e-9)
    if symmetric:
        # canonical labels: S[i, r] = number of roots of r among units 0..i; a unit can only
        # join a region whose root comes before it, and roots increase with the region index
        S = b.add_vars((n, k), 0, 1)
        blocks["S"] = S
        for r in range(k):
            for i in range(min(r, n)):
                b.ub[root[i, r]] = 0.0
            for i in range(n):
                if i == 0:
                    b.add_row([S[0, r], root[0, r]], [1.0, -1.0], 0.0, 0.0)
                else:
                    b.add_row([S[i, r], S[i - 1, r], root[i, r]], [1.0, -1.0, -1.0], 0.0, 0.0)
                b.add_row([x[i, r], S[i, r]], [1.0, -1.0], -np.inf, 0.0)
        for r in range(k - 1):
            for i in range(1, n):
                b.add_row([S[i, r + 1], S[i - 1, r]], [1.0, -1.0], -np.inf, 0.0)
    else:
        # a region with locked units is rooted at the first of them
        for r in range(k):
            mine = np.flatnonzero(cp.lock == r)
            if mine.size:
                b.lb[root[mine[0], r]] = 1.0
    offsets = [0.0] * len(objs)

    def add_cost(idx: int, values: Sequence[float]) -> None:
        for j, v in enumerate(values):
            if v:
                b.costs[j][idx] += v

    conds: list[tuple[str, int, int, float, int, NDArray[np.int64]]] = []

    def conditional(r: int, name: str, kind: str = "", c: int = -1, par: float = 0.0
                    ) -> tuple[int, NDArray[np.int64]]:
        """A binary z and w[i] = x[i, r] * z (exact product linearization)."""
        z = int(b.add_vars((1,), 0, 1, integer=True)[0])
        w = b.add_vars((n,), 0, 1)
        for i in range(n):
            if b.ub[x[i, r]] == 0.0 or (cp.lock[i] >= 0 and cp.lock[i] != r):
                b.ub[w[i]] = 0.0
                continue
            b.add_row([w[i], x[i, r]], [1.0, -1.0], -np.inf, 0.0)
            b.add_row([w[i], z], [1.0, -1.0], -np.inf, 0.0)
            b.add_row([w[i], x[i, r], z], [1.0, -1.0, -1.0], -1.0, np.inf)
        # population of the region when z = 1
        b.add_row(np.concatenate([w, [z]]), np.concatenate([pop_s, [-float(lo[r])]]),
                  -1e-9, np.inf)
        b.add_row(np.concatenate([w, [z]]), np.concatenate([pop_s, [-float(hi[r])]]),
                  -np.inf, 1e-9)
        blocks[f"{name}_z"] = np.array([z], dtype=np.int64)
        blocks[f"{name}_w"] = w
        conds.append((kind, r, c, par, z, w))
        return z, w

    pop_s = cp.pop / total
    # community indicators: which communities need which blocks
    need_plur = {c for o in objs for c in np.flatnonzero(o.w_plur > 0).tolist()}
    need_maj = {c for o in objs for c in np.flatnonzero(o.w_maj > 0).tolist()}
    need_str = {c for o in objs for c in np.flatnonzero(o.w_str < 0).tolist()}
    for kind, c in zip(cp.cc_kind.tolist(), cp.cc_g.tolist(), strict=True):
        (need_plur if kind == CC_EMP_PLUR else need_maj if kind == CC_EMP_MAJ
         else need_str).add(c)
    others = [h for h in range(g) if T[h] > 0]
    counted: dict[tuple[str, int], list[NDArray[np.int64]]] = {}
    thr = cp.threshold
    for kind_name, comms in (("plur", need_plur), ("maj", need_maj), ("str", need_str)):
        for c in sorted(comms):
            counted[(kind_name, c)] = []
            for r in range(k):
                _z, w = conditional(r, f"{kind_name}{c}_{r}", kind_name, c)
                counted[(kind_name, c)].append(w)
                if kind_name == "plur":  # c at least as large as every other community
                    for h in others:
                        if h != c:
                            b.add_row(w, C[:, c] - C[:, h], -1e-12, np.inf)
                    coef = [o.w_plur[c] / T[c] for o in objs]
                elif kind_name == "maj":  # c above half
                    b.add_row(np.concatenate([w, [_z]]),
                              np.concatenate([C[:, c] - 0.5 * pop_s, [-_MAJ_EPS]]),
                              0.0, np.inf)
                    coef = [o.w_maj[c] / T[c] for o in objs]
                else:  # c at least the threshold share: not stranded
                    b.add_row(w, C[:, c] - thr * pop_s, -1e-12, np.inf)
                    coef = [-o.w_str[c] / T[c] for o in objs]
                for i in range(n):
                    add_cost(int(w[i]), [cf * C[i, c] for cf in coef])
            if kind_name == "str":
                for j, o in enumerate(objs):
                    offsets[j] += o.w_str[c]
    for c, cap in (term_caps or {}).items():
        parts, coefs_c = [], []
        for kind_name, wt in (("plur", cp.w_plur[c]), ("maj", cp.w_maj[c])):
            if wt > 0 and (kind_name, c) in counted:
                parts.append(np.concatenate(counted[(kind_name, c)]))
                coefs_c.append(np.tile(wt * C[:, c] / T[c], k))
        if parts:
            b.add_row(np.concatenate(parts), np.concatenate(coefs_c), -np.inf, float(cap))
    for kind, c, bound in zip(cp.cc_kind.tolist(), cp.cc_g.tolist(), cp.cc_bound.tolist(),
                              strict=True):
        key = ("plur" if kind == CC_EMP_PLUR else "maj" if kind == CC_EMP_MAJ else "str", c)
        ws = np.concatenate(counted[key])
        coefs = np.tile(C[:, c], k)
        if kind in (CC_EMP_PLUR, CC_EMP_MAJ):
            b.add_row(ws, coefs, bound * T[c] - 1e-9, np.inf)
        elif kind == CC_STRANDED:
            b.add_row(ws, coefs, (1.0 - bound) * T[c] - 1e-9, np.inf)
        else:
            b.add_row(ws, coefs, T[c] - bound / total - 1e-9, np.inf)
    if any(o.w_homog > 0 for o in objs):
        for r in range(k):
            zs = []
            for c in range(g):
                if T[c] <= 0:
                    continue
                z, w = conditional(r, f"homog{c}_{r}", "homog", c)
                zs.append(z)
                for i in range(n):
                    add_cost(int(w[i]), [o.w_homog * C[i, c] for o in objs])
            b.add_row(zs, 1.0, -np.inf, 1.0)
    for j in range(cp.rc_kind.size):
        r = int(cp.rc_region[j])
        kind = int(cp.rc_kind[j])
        rlo, rhi = float(cp.rc_lo[j]), float(cp.rc_hi[j])
        if kind == RC_SHARE:
            c = int(cp.rc_c[j])
            if np.isfinite(rlo):
                coef = np.full(g, -rlo)
                coef[c] += 1.0
                b.add_row(P[r], coef, -1e-9, np.inf)
            if np.isfinite(rhi):
                coef = np.full(g, -rhi)
                coef[c] += 1.0
                b.add_row(P[r], coef, -np.inf, 1e-9)
        elif kind == RC_AREA:
            b.add_row(x[:, r], cp.area_km2, rlo, rhi)
        elif kind == RC_LARGEST:
            zs = []
            for c in range(g):
                if T[c] <= 0:
                    continue
                z, w = conditional(r, f"largest{j}c{c}", "largest", c, rlo)
                zs.append(z)
                b.add_row(w, C[:, c] - rlo * pop_s, -1e-12, np.inf)
            b.add_row(zs, 1.0, 1.0, np.inf)
    eu, ev, _w = t.graph.edges()
    if any(o.w_cut < 0 for o in objs) or cp.cut_cap >= 0:
        ce = b.add_vars((eu.size,), 0, 1)
        blocks["cut"] = ce
        for e in range(eu.size):
            for r in range(k):
                b.add_row([ce[e], x[eu[e], r], x[ev[e], r]], [1.0, -1.0, 1.0], 0.0, np.inf)
            add_cost(int(ce[e]), [o.w_cut for o in objs])
        if cp.cut_cap >= 0:
            b.add_row(ce, 1.0, -np.inf, float(cp.cut_cap))
    for lev, level in enumerate(cp.adm_levels):
        codes = cp.adm_codes[lev]
        n_adm = int(cp.adm_offsets[lev + 1] - cp.adm_offsets[lev])
        svars = []
        for a_unit in range(n_adm):
            members = np.flatnonzero(codes == a_unit)
            if members.size < 2:
                continue
            R = b.add_vars((k,), 0, 1)
            s = b.add_vars((1,), 0, 1, integer=True)[0]
            for i in members:
                for r in range(k):
                    b.add_row([R[r], x[i, r]], [1.0, -1.0], 0.0, np.inf)
            b.add_row(np.concatenate([R, [s]]), np.concatenate([np.ones(k), [-(k - 1.0)]]),
                      -np.inf, 1.0)
            add_cost(int(s), [o.w_splits[o.adm_levels.index(level)]
                              if level in o.adm_levels else 0.0 for o in objs])
            svars.append(s)
        blocks[f"splits_{level}"] = np.asarray(svars, dtype=np.int64)
        if cp.split_caps[lev] >= 0 and svars:
            b.add_row(svars, 1.0, -np.inf, float(cp.split_caps[lev]))

    lp = b.to_lp()
    nv = len(b.lb)
    nr = len(b.rows_lo)
    return MIPModel(cp=cp, lp=lp, x=x, offset=offsets[0], symmetric=symmetric, n_vars=nv,
                    n_rows=nr, blocks=blocks, conds=conds, contiguity=contiguity,
                    costs=np.asarray(b.costs, dtype=np.float64), offsets=offsets)


def canonical_labels(a: NDArray[np.integer], k: int) -> NDArray[np.int64]:
    """Relabel regions in the order of their lowest-numbered unit."""
    a = np.asarray(a, dtype=np.int64)
    first = np.full(k, a.size, dtype=np.int64)
    np.minimum.at(first, a, np.arange(a.size))
    order = np.argsort(first, kind="stable")
    inv = np.empty(k, dtype=np.int64)
    inv[order] = np.arange(k)
    return inv[a]


def _warm_values(model: MIPModel, a: NDArray[np.int64]) -> NDArray[np.float64] | None:
    cp = model.cp
    t = cp.territory
    n, g = cp.table.shape
    k = cp.k
    if model.symmetric:
        a = canonical_labels(a, k)
    total = float(cp.pop.sum())
    C = cp.table / total
    T = C.sum(axis=0)
    val = np.zeros(model.n_vars)
    bl = model.blocks
    val[bl["x"][np.arange(n), a]] = 1.0
    indptr = np.asarray(t.graph.indptr, dtype=np.int64)
    ind = np.asarray(t.graph.indices, dtype=np.int64)
    # roots (lowest unit) and BFS trees inside each region: flow on a tree arc = subtree size
    for r in range(k):
        members = np.flatnonzero(a == r)
        if members.size == 0:
            return None
        mine = np.flatnonzero(cp.lock == r)
        rt = int(mine[0]) if (mine.size and not model.symmetric) else int(members[0])
        val[bl["root"][rt, r]] = 1.0
        parent_entry = {rt: -1}
        order = [rt]
        head = 0
        while head < len(order):
            u = order[head]
            head += 1
            for p in range(indptr[u], indptr[u + 1]):
                w = int(ind[p])
                if a[w] == r and w not in parent_entry:
                    parent_entry[w] = p
                    order.append(w)
        if len(order) != members.size:
            return None
        sub = {u: 1.0 for u in order}
        for u in reversed(order[1:]):
            p = parent_entry[u]
            if model.contiguity:
                val[bl["flow"][p, r]] = sub[u]
            par = int(np.searchsorted(indptr, p, side="right") - 1)
            sub[par] += sub[u]
    P = np.zeros((k, g))
    np.add.at(P, a, C)
    val[bl["P"]] = P
    N = P.sum(axis=1)
    if "S" in bl:
        rootv = val[bl["root"]]
        val[bl["S"]] = np.cumsum(rootv, axis=0)
    xv = np.zeros((n, k))
    xv[np.arange(n), a] = 1.0
    others = [h for h in range(g) if T[h] > 0]
    top = P.argmax(axis=1)
    for kind, r, c, par, z, w in model.conds:
        if kind == "plur":
            on = all(P[r, c] >= P[r, h] for h in others if h != c)
        elif kind == "maj":
            on = P[r, c] - 0.5 * N[r] >= _MAJ_EPS
        elif kind == "str":
            on = P[r, c] - cp.threshold * N[r] >= 0
        elif kind == "homog":
            on = c == top[r]
        else:
            on = P[r, c] >= par * N[r]
        val[z] = 1.0 if on else 0.0
        val[w] = xv[:, r] * val[z]
    if "cut" in bl:
        eu, ev, _w = t.graph.edges()
        val[bl["cut"]] = (a[eu] != a[ev]).astype(float)
    # admin splits: R variables precede their s variable in each admin unit block
    for lev, level in enumerate(cp.adm_levels):
        codes = cp.adm_codes[lev]
        svars = bl[f"splits_{level}"]
        n_adm = int(cp.adm_offsets[lev + 1] - cp.adm_offsets[lev])
        j = 0
        for a_unit in range(n_adm):
            members = np.flatnonzero(codes == a_unit)
            if members.size < 2:
                continue
            s = int(svars[j])
            R = np.arange(s - k, s)
            present = np.zeros(k)
            present[np.unique(a[members])] = 1.0
            val[R] = present
            val[s] = 1.0 if present.sum() > 1 else 0.0
            j += 1
    return val


class MIPOptimizer:
    """Exact optimum (or best bound and gap) of a problem by MIP with HiGHS.

    Parameters
    ----------
    time_limit
        Seconds given to HiGHS.
    mip_rel_gap
        Relative gap at which HiGHS stops (``0`` to prove optimality exactly).
    warm_start
        A plan (or assignment) given to HiGHS as a starting solution, e.g. the best heuristic plan.
    threads
        HiGHS threads (``None``: HiGHS decides).
    progress
        Called once before and once after the solve.
    lp_solver
        LP solver HiGHS uses inside branch and bound: ``"choose"``, ``"simplex"`` or ``"ipm"``.
    decompose
        Bound the objective community by community first
        (:func:`dayafter.optimize.bounds.decomposition_bound`, a packing relaxation far smaller
        than the full model) and add each community's bound to the MIP as a valid inequality;
        the reported bound is the smaller of HiGHS's and the decomposition's. ``"auto"``: when
        the objective decomposes and the territory has at least 40 units (small models close
        without it).
    decompose_share
        Share of ``time_limit`` given to the decomposition (unused time goes to the MIP). On
        models the size of the built-in case HiGHS's own bound hardly moves from the root, so
        most of the time goes to the decomposition's branching.
    verbose
        Let HiGHS write its log to the console (off by default: the library never prints).

    Attributes
    ----------
    result_, model_
        Filled by :meth:`run`.
    decomposition_
        The :class:`~dayafter.optimize.bounds.DecompositionBound` computed by :meth:`run`
        (``None`` when none was).

    Examples
    --------
    >>> from dayafter.testing.grids import grid_territory
    >>> t = grid_territory(3, 3)
    >>> p = Problem.from_dict({"regions": 3, "minimize": ["cut_edges"],
    ...                        "constraints": {"tolerance": 0.0}})
    >>> r = MIPOptimizer(time_limit=30).run(p, t)
    >>> r.objective, r.status, r.gap
    (-6.0, 'optimal', 0.0)
    """

    method = "mip"

    def __init__(self, *, time_limit: float = 600.0, mip_rel_gap: float = 1e-6,
                 warm_start: Plan | NDArray[np.integer] | None = None,
                 threads: int | None = None, progress: Progress | None = None,
                 lp_solver: str = "choose", decompose: bool | str = "auto",
                 decompose_share: float = 0.75, verbose: bool = False) -> None:
        self.time_limit = time_limit
        self.decompose = decompose
        self.decompose_share = decompose_share
        self.mip_rel_gap = mip_rel_gap
        self.warm_start = warm_start
        self.threads = threads
        self.progress = progress
        self.lp_solver = lp_solver
        self.verbose = verbose

    def run(self, problem: Problem | CompiledProblem, territory: Territory | None = None
            ) -> OptimizeResult:
        """Solve; returns the result (also kept in ``result_``).

        Raises
        ------
        InfeasibleError
            The quick checks fail, or HiGHS proves that no plan meets the constraints, or no plan
            was found within the time limit and no warm start was given.
        ConfigError
            An objective term goes against its metric's natural direction.
        """
        if not self.time_limit > 0:
            raise ConfigError(f"time_limit must be positive, got {self.time_limit}", hint="seconds, e.g. 60")
        if isinstance(problem, Problem):
            if territory is None:
                raise ConfigError("run(problem, territory) needs the territory")
            cp = problem.compile(territory)
        else:
            cp = problem
        t_start = time.perf_counter()
        if self.decompose not in (True, False, "auto"):
            raise ConfigError(f"decompose must be True, False or 'auto', not {self.decompose!r}")
        if not 0.0 < self.decompose_share < 1.0:
            raise ConfigError("decompose_share must be between 0 and 1 (exclusive)")
        db = None
        if (self.decompose is True or (self.decompose == "auto" and cp.territory.n_units >= 40)) \
                and decomposable(cp):
            db = decomposition_bound(cp, time_limit=self.time_limit * self.decompose_share,
                                     threads=self.threads)
            if self.progress is not None:
                self.progress({"method": "mip", "elapsed": time.perf_counter() - t_start,
                               "decomposition_bound": db.value})
        self.decomposition_ = db
        caps = None
        if db is not None:
            names = list(cp.territory.communities)
            caps = {names.index(tb.community): tb.value for tb in db.terms}
        model = build_model(cp, term_caps=caps)
        self.model_ = model
        if self.progress is not None:
            self.progress({"method": "mip", "elapsed": time.perf_counter() - t_start,
                           "variables": model.n_vars, "rows": model.n_rows})
        sol = solve_model(model, time_limit=self.time_limit - (time.perf_counter() - t_start),
                          mip_rel_gap=self.mip_rel_gap, warm_start=self.warm_start,
                          threads=self.threads, lp_solver=self.lp_solver, verbose=self.verbose)
        elapsed = time.perf_counter() - t_start
        if sol.status == "infeasible":
            raise InfeasibleError(
                f"HiGHS proved that no contiguous plan of {cp.k} regions meets the population "
                f"bounds{', locks' if np.any(cp.lock >= 0) else ''}"
                f"{' and criteria' if cp.has_constraints else ''} (census {cp.census!r})",
                hint="widen the tolerance, drop locks or relax the criteria")
        if sol.assignment is None:
            raise InfeasibleError(
                f"HiGHS found no plan within {self.time_limit:g} s (status {sol.status}); this "
                "is not a proof that none exists",
                hint="raise the time limit, or give a warm start from a heuristic run")
        stats: dict[str, object] = {
            "nodes": sol.nodes, "variables": model.n_vars, "rows": model.n_rows,
            "symmetry_broken": model.symmetric, "warm_start": sol.warm_used,
            "highs_objective": sol.objective, "highs_bound": sol.bound}
        bound = sol.bound
        if db is not None:
            stats["decomposition"] = {
                "bound": db.value, "elapsed": db.elapsed, "sum": db.root,
                "terms": [{"community": tb.community, "bound": tb.value, "status": tb.status,
                           "regions": tb.slots, "nodes": tb.nodes, "elapsed": tb.elapsed}
                          for tb in db.terms],
                "joint": list(db.joint), "branches": db.nodes, "open": db.open,
                "ties": [{"communities": [a, b], "bound": v} for a, b, v in db.ties]}
            if sol.status != "optimal":
                bound = db.value if bound is None else min(bound, db.value)
        res = make_plan(cp, sol.assignment, method="mip", status=sol.status, bound=bound,
                        elapsed=elapsed, stats=stats)
        if sol.status == "optimal" and res.gap is not None and res.gap <= 1e-9:
            res.gap = 0.0
        if self.progress is not None:
            self.progress({"method": "mip", "elapsed": elapsed, "status": sol.status,
                           "best": res.objective, "bound": sol.bound, "gap": res.gap})
        self.result_ = res
        return res


@dataclass
class Solution:
    """What one HiGHS run returned (objective and bound in objective units)."""

    status: str
    assignment: NDArray[np.int64] | None
    objective: float | None
    bound: float | None
    nodes: int
    warm_used: bool


def solve_model(model: MIPModel, *, time_limit: float, mip_rel_gap: float = 1e-6,
                warm_start: Plan | NDArray[np.integer] | None = None,
                objective: int = 0, bounds: Sequence[tuple[int, float]] = (),
                threads: int | None = None, lp_solver: str = "choose",
                verbose: bool = False) -> Solution:
    """Run HiGHS on a model, maximizing cost vector ``objective`` of ``model.costs``.

    ``bounds`` adds rows ``objective_j >= value`` for other cost vectors (the
    epsilon-constraint method). Status is ``optimal``, ``time_limit``, ``infeasible`` or HiGHS's
    own wording.
    """
    import highspy

    if lp_solver not in ("choose", "simplex", "ipm"):
        raise ConfigError(f"unknown lp_solver {lp_solver!r}",
                          hint="use 'choose', 'simplex' or 'ipm'")
    costs = model.costs if model.costs is not None else np.asarray([model.lp.col_cost_])
    h = highspy.Highs()
    h.setOptionValue("output_flag", bool(verbose))
    h.setOptionValue("log_to_console", bool(verbose))
    h.setOptionValue("time_limit", float(max(time_limit, 1.0)))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_lp_solver", lp_solver)
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    lp = model.lp
    lp.col_cost_ = np.ascontiguousarray(costs[objective])
    h.passModel(lp)
    for j, value in bounds:
        nz = np.flatnonzero(costs[j])
        h.addRow(float(value - model.offsets[j]), highspy.kHighsInf, int(nz.size),
                 nz.astype(np.int32), costs[j][nz])
    warm_used = False
    if warm_start is not None:
        wa = np.asarray(warm_start.assignment if isinstance(warm_start, Plan) else warm_start,
                        dtype=np.int64)
        vals = model.warm_values(wa)
        if vals is not None:
            sol = highspy.HighsSolution()
            sol.col_value = vals.tolist()
            sol.value_valid = True
            h.setSolution(sol)
            warm_used = True
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    names = {highspy.HighsModelStatus.kOptimal: "optimal",
             highspy.HighsModelStatus.kTimeLimit: "time_limit",
             highspy.HighsModelStatus.kInfeasible: "infeasible"}
    sname = names.get(status, h.modelStatusToString(status).lower().replace(" ", "_"))
    offset = model.offsets[objective] if model.offsets else model.offset
    bound = float(info.mip_dual_bound) + offset
    a = None
    obj = None
    if status != highspy.HighsModelStatus.kInfeasible and info.primal_solution_status == 2:
        col = np.asarray(h.getSolution().col_value)
        xv = col[model.x].reshape(model.x.shape)
        a = xv.argmax(axis=1).astype(np.int64)
        obj = float(info.objective_function_value) + offset
    return Solution(status=sname, assignment=a, objective=obj,
                    bound=bound if np.isfinite(bound) else None,
                    nodes=int(info.mip_node_count), warm_used=warm_used)
