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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from dayafter.errors import ConfigError, InfeasibleError
from dayafter.optimize.bounds import decomposable, decomposition_bound
from dayafter.optimize.budget import columns_apply, region_columns, solve_columns
from dayafter.optimize.milp import ModelBuilder, SolveWatch, new_highs, run_highs
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
from dayafter.optimize.result import OptimizeResult, make_plan
from dayafter.plan import Plan
from dayafter.progress import CancelToken, ProgressCallback, Throttle
from dayafter.territory import Territory

if TYPE_CHECKING:
    import highspy

__all__ = ["Contraction", "MIPModel", "MIPOptimizer", "Solution", "build_model", "contract",
           "solve_model"]

_MAJ_EPS = 1e-7


@dataclass
class MIPModel:
    """A built model: the HiGHS LP data and the variable blocks needed to read a solution."""

    cp: CompiledProblem
    lp: highspy.HighsLp
    x: NDArray[np.int64]
    offset: float
    symmetric: bool
    n_vars: int
    n_rows: int
    blocks: dict[str, NDArray[np.int64]]
    conds: list[tuple[str, int, int, float, int, NDArray[np.int64], int]] = field(
        default_factory=list)
    costs: NDArray[np.float64] | None = None
    contiguity: bool = True
    offsets: list[float] = field(default_factory=list)
    parts: list[list[tuple[NDArray[np.int64], NDArray[np.float64]]]] = field(
        default_factory=list)
    consts: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0)))

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
                contiguity: bool = True, term_caps: Mapping[int, float] | None = None,
                edge_weight: NDArray[np.float64] | None = None,
                prune: bool = True) -> MIPModel:
    """Build the MIP of a compiled problem (see the module docstring).

    With ``contiguity=False`` the flow constraints are left out: the model is then a relaxation
    whose optimum bounds the true one from above (smaller and faster, used for bounds only).

    ``objectives`` (compiled on the same territory and censuses, their admin levels included in
    ``cp``'s) gives several objectives whose cost vectors are kept in ``MIPModel.costs``; the
    first is the one optimized. By default the objective is ``cp``'s own.

    ``term_caps`` maps a community to an upper bound on its weighted empowerment terms in ``cp``'s
    objective (e.g. from :func:`dayafter.optimize.bounds.decomposition_bound`); each becomes a row
    (a valid inequality: it cuts no plan off, and it tightens the linear relaxation). Single
    census only.

    ``edge_weight`` counts each edge of ``cp``'s graph that many times in cut edges (a contracted
    graph, see :func:`contract`).

    With ``prune`` (and a start plan), indicator variables that no plan within the move budget
    can switch on are left out: "community ``c`` is largest (or above half) in region ``r``" when
    another community of ``r``'s fixed units outnumbers every gain of ``c`` the budget allows, and
    ``x[i, r]`` for units farther from ``r``'s fixed units than the budget reaches.
    """
    objs = list(objectives) or [cp]
    for o in objs:
        _check_natural(o)
    t = cp.territory
    n_c, n, g = cp.tables.shape
    k = cp.k
    totals_c = cp.tables.sum(axis=(1, 2))
    Cs = cp.tables / totals_c[:, None, None]  # per census, people as shares of its total
    Ts = Cs.sum(axis=1)  # [n_c, g]
    pops = Cs.sum(axis=2)  # [n_c, n]
    total = float(cp.pop.sum())  # the balanced census (the first, unless a census was split off)
    bal = cp.pop / total
    lo = cp.lo / total
    hi = np.minimum(cp.hi / total, 1.0)
    indptr = np.asarray(t.graph.indptr, dtype=np.int64)
    ind = np.asarray(t.graph.indices, dtype=np.int64)
    U = float(n - k + 1)
    b = ModelBuilder(costs=[[] for _ in objs])
    x = b.add_vars((n, k), 0, 1, integer=True)
    root = b.add_vars((n, k), 0, 1, integer=True)
    flow = b.add_vars((ind.size, k), 0, U if contiguity else 0.0)
    P = b.add_vars((n_c, k, g), 0, 1)
    for cen in range(n_c):
        for r in range(k):
            for c in range(g):
                b.ub[P[cen, r, c]] = float(Ts[cen, c])
    blocks: dict[str, NDArray[np.int64]] = {"x": x, "root": root, "flow": flow, "P": P[0],
                                             "P_all": P}
    # locks, and units the budget keeps away from a region
    for i in np.flatnonzero(cp.lock >= 0).tolist():
        b.lb[x[i, cp.lock[i]]] = 1.0
        for r in range(k):
            if r != cp.lock[i]:
                b.ub[x[i, r]] = 0.0
    reach = _reachable(cp) if prune else None
    if reach is not None:
        for i, r in np.argwhere(~reach).tolist():
            b.ub[x[i, r]] = 0.0
    symmetric = cp.interchangeable
    for i in range(n):
        b.add_row(x[i], 1.0, 1.0, 1.0)
    for r in range(k):
        b.add_row(root[:, r], 1.0, 1.0, 1.0)
        for i in range(n):
            if b.ub[x[i, r]] == 0.0:
                b.ub[root[i, r]] = 0.0
            else:
                b.add_row([root[i, r], x[i, r]], [1.0, -1.0], -np.inf, 0.0)
    # flows
    for r in range(k if contiguity else 0):
        b.add_flow_contiguity(indptr, ind, x[:, r], root[:, r], flow[:, r], U)
        # a member that is not the root has a neighbour in the region (tightens the relaxation)
        for i in range(n):
            if b.ub[x[i, r]] > 0.0 and b.lb[x[i, r]] < 1.0:
                nb = [int(x[int(j), r]) for j in ind[indptr[i]:indptr[i + 1]]
                      if b.ub[x[int(j), r]] > 0.0]
                b.add_row([int(x[i, r]), int(root[i, r]), *nb],
                          [1.0, -1.0, *([-1.0] * len(nb))], -np.inf, 0.0)
    # tallies and bounds (population on the first census)
    for cen in range(n_c):
        for r in range(k):
            for c in range(g):
                nz = np.flatnonzero(Cs[cen, :, c] > 0)
                b.add_row(np.concatenate([[P[cen, r, c]], x[nz, r]]),
                          np.concatenate([[1.0], -Cs[cen, nz, c]]), 0.0, 0.0)
    for r in range(k):
        b.add_row(x[:, r], bal, float(lo[r]) - 1e-9, float(hi[r]) + 1e-9)
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
    # the move budget: units (and people) whose class differs from the start plan's
    if cp.start is not None and (cp.budget_units >= 0 or cp.budget_people >= 0):
        same = cp.region_class[None, :] == cp.home[:, None]  # [n, k]: x[i, r] keeps i's class
        ii, rr = np.nonzero(same)
        if cp.budget_units >= 0:
            b.add_row(x[ii, rr], 1.0, float(n - cp.budget_units) - 1e-9, np.inf)
        if cp.budget_people >= 0:
            share = cp.budget_pop / total
            b.add_row(x[ii, rr], share[ii],
                      float(share.sum() - cp.budget_people / total) - 1e-12, np.inf)
    # objective parts, per objective and census: (column, coefficient) lists and constants
    parts: list[list[tuple[list[int], list[float]]]] = [[([], []) for _ in range(n_c)]
                                                       for _ in objs]
    consts = np.zeros((len(objs), n_c))

    def add_part(j: int, cen: int, idx: int, v: float) -> None:
        if v:
            parts[j][cen][0].append(int(idx))
            parts[j][cen][1].append(float(v))

    conds: list[tuple[str, int, int, float, int, NDArray[np.int64], int]] = []
    reach_r = reach if reach is not None else np.ones((n, k), dtype=bool)

    def conditional(r: int, name: str, kind: str = "", c: int = -1, par: float = 0.0,
                    cen: int = 0) -> tuple[int, NDArray[np.int64]]:
        """A binary z and w[i] = x[i, r] * z (exact product linearization)."""
        z = int(b.add_vars((1,), 0, 1, integer=True)[0])
        w = b.add_vars((n,), 0, 1)
        for i in range(n):
            if b.ub[x[i, r]] == 0.0 or not reach_r[i, r]:
                b.ub[w[i]] = 0.0
                continue
            if b.lb[x[i, r]] == 1.0:  # locked into r: w = z
                b.add_row([w[i], z], [1.0, -1.0], 0.0, 0.0)
                continue
            b.add_row([w[i], x[i, r]], [1.0, -1.0], -np.inf, 0.0)
            b.add_row([w[i], z], [1.0, -1.0], -np.inf, 0.0)
            b.add_row([w[i], x[i, r], z], [1.0, -1.0, -1.0], -1.0, np.inf)
        # population of the region when z = 1
        b.add_row(np.concatenate([w, [z]]), np.concatenate([pop0, [-float(lo[r])]]),
                  -1e-9, np.inf)
        b.add_row(np.concatenate([w, [z]]), np.concatenate([pop0, [-float(hi[r])]]),
                  -np.inf, 1e-9)
        blocks[f"{name}_z"] = np.array([z], dtype=np.int64)
        blocks[f"{name}_w"] = w
        conds.append((kind, r, c, par, z, w, cen))
        if change_rows is not None and kind in ("plur", "maj", "str"):
            change_rows(kind, r, c, cen, z)
        return z, w

    pop0 = bal
    change_rows = _change_rows(cp, b, x, reach) if cp.start is not None and prune else None
    # community indicators: which communities need which blocks
    need_plur = {c for o in objs for c in np.flatnonzero(o.w_plur > 0).tolist()}
    need_maj = {c for o in objs for c in np.flatnonzero(o.w_maj > 0).tolist()}
    need_str = {c for o in objs for c in np.flatnonzero(o.w_str < 0).tolist()}
    for kind, c in zip(cp.cc_kind.tolist(), cp.cc_g.tolist(), strict=True):
        (need_plur if kind == CC_EMP_PLUR else need_maj if kind == CC_EMP_MAJ
         else need_str).add(c)
    possible = _possible(cp, reach) if prune else None
    counted: dict[tuple[str, int, int], list[NDArray[np.int64]]] = {}
    thr = cp.threshold
    for cen in range(n_c):
        C = Cs[cen]
        T = Ts[cen]
        pop_s = pops[cen]
        others = [h for h in range(g) if T[h] > 0]
        for kind_name, comms in (("plur", need_plur), ("maj", need_maj), ("str", need_str)):
            for c in sorted(comms):
                counted[(kind_name, c, cen)] = []
                for r in range(k):
                    if possible is not None and kind_name != "str" and \
                            not possible[kind_name][cen, r, c]:
                        continue  # c can never be largest (above half) in r: z = 0
                    _z, w = conditional(r, f"{kind_name}{c}_{r}_{cen}", kind_name, c, cen=cen)
                    counted[(kind_name, c, cen)].append(w)
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
                    for j, cf in enumerate(coef):
                        for i in np.flatnonzero(C[:, c] > 0).tolist():
                            add_part(j, cen, int(w[i]), cf * C[i, c])
                if kind_name == "str":
                    for j, o in enumerate(objs):
                        consts[j, cen] += o.w_str[c]
        if any(o.w_homog > 0 for o in objs):
            for r in range(k):
                zs = []
                for c in range(g):
                    if T[c] <= 0:
                        continue
                    z, w = conditional(r, f"homog{c}_{r}_{cen}", "homog", c, cen=cen)
                    zs.append(z)
                    for j, o in enumerate(objs):
                        for i in range(n):
                            add_part(j, cen, int(w[i]), o.w_homog * C[i, c])
                b.add_row(zs, 1.0, -np.inf, 1.0)
    # one largest community per region, unless two can tie (a tie counts for both)
    plur_z: dict[tuple[int, int], dict[int, int]] = {}
    maj_z: dict[tuple[int, int], dict[int, int]] = {}
    for kind, r, c, _par, z, _w, cen in conds:
        if kind == "plur":
            plur_z.setdefault((r, cen), {})[c] = z
        elif kind == "maj":
            maj_z.setdefault((r, cen), {})[c] = z
    for (r, cen), zmap in maj_z.items():
        if len(zmap) > 1:  # above half: one community at most
            b.add_row(list(zmap.values()), 1.0, -np.inf, 1.0)
        for c, z in zmap.items():
            if c in plur_z.get((r, cen), {}):  # above half is largest
                b.add_row([z, plur_z[(r, cen)][c]], [1.0, -1.0], -np.inf, 0.0)
    no_tie_everywhere = True
    global_ties: dict[int, set[tuple[int, int]]] = {}
    for (r, cen), zmap in plur_z.items():
        comms_r = sorted(zmap)
        if len(comms_r) < 2:
            continue
        if not prune:
            continue
        if cp.start is not None:
            tie = _ties(cp, r, cen, comms_r, reach)
        else:  # any region of the territory: one check per pair and census
            if cen not in global_ties:
                global_ties[cen] = _ties_anywhere(cp, cen, sorted(
                    {c for (_r, ce), z in plur_z.items() if ce == cen for c in z}))
            tie = global_ties[cen]
        if tie is None:
            continue
        for group in _cliques(comms_r, tie):
            if len(group) > 1:
                b.add_row([zmap[c] for c in group], 1.0, -np.inf, 1.0)
        if tie:
            no_tie_everywhere = False
    if change_rows is not None and no_tie_everywhere:
        change_rows("finish", -1, -1, -1, -1)
    if term_caps and n_c == 1:
        T = Ts[0]
        C = Cs[0]
        for c, cap in term_caps.items():
            idx_parts, coefs_c = [], []
            for kind_name, wt in (("plur", cp.w_plur[c]), ("maj", cp.w_maj[c])):
                ws_ = counted.get((kind_name, c, 0), [])
                if wt > 0 and ws_:
                    idx_parts.append(np.concatenate(ws_))
                    coefs_c.append(np.tile(wt * C[:, c] / T[c], len(ws_)))
            if idx_parts:
                b.add_row(np.concatenate(idx_parts), np.concatenate(coefs_c), -np.inf, float(cap))
    for cen in range(n_c):
        C = Cs[cen]
        T = Ts[cen]
        for kind, c, bound in zip(cp.cc_kind.tolist(), cp.cc_g.tolist(), cp.cc_bound.tolist(),
                                  strict=True):
            key = ("plur" if kind == CC_EMP_PLUR else "maj" if kind == CC_EMP_MAJ else "str", c,
                   cen)
            if counted[key]:
                ws = np.concatenate(counted[key])
                coefs = np.tile(C[:, c], len(counted[key]))
            else:
                ws = np.zeros(0, dtype=np.int64)
                coefs = np.zeros(0)
            if kind in (CC_EMP_PLUR, CC_EMP_MAJ):
                b.add_row(ws, coefs, bound * T[c] - 1e-9, np.inf)
            elif kind == CC_STRANDED:
                b.add_row(ws, coefs, (1.0 - bound) * T[c] - 1e-9, np.inf)
            else:
                b.add_row(ws, coefs, T[c] - bound / totals_c[cen] - 1e-9, np.inf)
        pop_s = pops[cen]
        for j in range(cp.rc_kind.size):
            r = int(cp.rc_region[j])
            kind = int(cp.rc_kind[j])
            rlo, rhi = float(cp.rc_lo[j]), float(cp.rc_hi[j])
            if kind == RC_SHARE:
                c = int(cp.rc_c[j])
                if np.isfinite(rlo):
                    share_row = np.full(g, -rlo)
                    share_row[c] += 1.0
                    b.add_row(P[cen, r], share_row, -1e-9, np.inf)
                if np.isfinite(rhi):
                    share_row = np.full(g, -rhi)
                    share_row[c] += 1.0
                    b.add_row(P[cen, r], share_row, -np.inf, 1e-9)
            elif kind == RC_AREA and cen == 0:
                b.add_row(x[:, r], cp.area_km2, rlo, rhi)
            elif kind == RC_LARGEST:
                zs = []
                for c in range(g):
                    if Ts[cen, c] <= 0:
                        continue
                    z, w = conditional(r, f"largest{j}c{c}_{cen}", "largest", c, rlo, cen=cen)
                    zs.append(z)
                    b.add_row(w, C[:, c] - rlo * pop_s, -1e-12, np.inf)
                b.add_row(zs, 1.0, 1.0, np.inf)
    # combine the censuses: weighted sum into the costs, or the worst through a variable
    offsets = [0.0] * len(objs)
    for j, o in enumerate(objs):
        if o.combine == "worst" and n_c > 1:
            zeta = int(b.add_vars((1,), -np.inf, np.inf)[0])
            blocks[f"worst_{j}"] = np.array([zeta], dtype=np.int64)
            b.costs[j][zeta] += 1.0
            for cen in range(n_c):
                idx, val = parts[j][cen]
                # zeta <= part + const
                b.add_row([zeta, *idx], [1.0, *(-v for v in val)], -np.inf,
                          float(consts[j, cen]))
        else:
            wts = o.census_weights if o.census_weights.size == n_c else np.ones(n_c) / n_c
            for cen in range(n_c):
                idx, val = parts[j][cen]
                for col, v in zip(idx, val, strict=True):
                    b.costs[j][col] += wts[cen] * v
                offsets[j] += float(wts[cen] * consts[j, cen])
    eu, ev, _ew = t.graph.edges()
    mult = np.ones(eu.size) if edge_weight is None else np.asarray(edge_weight, dtype=np.float64)
    if any(o.w_cut < 0 for o in objs) or cp.cut_cap >= 0:
        ce = b.add_vars((eu.size,), 0, 1)
        blocks["cut"] = ce
        for e in range(eu.size):
            for r in range(k):
                b.add_row([ce[e], x[eu[e], r], x[ev[e], r]], [1.0, -1.0, 1.0], 0.0, np.inf)
            for j, o in enumerate(objs):
                if o.w_cut:
                    b.costs[j][int(ce[e])] += o.w_cut * mult[e]
        if cp.cut_cap >= 0:
            b.add_row(ce, mult, -np.inf, float(cp.cut_cap))
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
            for i in members.tolist():
                for r in range(k):
                    b.add_row([R[r], x[i, r]], [1.0, -1.0], 0.0, np.inf)
            b.add_row(np.concatenate([R, [s]]), np.concatenate([np.ones(k), [-(k - 1.0)]]),
                      -np.inf, 1.0)
            for j, o in enumerate(objs):
                wgt = o.w_splits[o.adm_levels.index(level)] if level in o.adm_levels else 0.0
                if wgt:
                    b.costs[j][int(s)] += wgt
            svars.append(s)
        blocks[f"splits_{level}"] = np.asarray(svars, dtype=np.int64)
        if cp.split_caps[lev] >= 0 and svars:
            b.add_row(svars, 1.0, -np.inf, float(cp.split_caps[lev]))

    lp = b.to_lp()
    nv = len(b.lb)
    nr = len(b.rows_lo)
    return MIPModel(cp=cp, lp=lp, x=x, offset=offsets[0], symmetric=symmetric, n_vars=nv,
                    n_rows=nr, blocks=blocks, conds=conds, contiguity=contiguity,
                    costs=np.asarray(b.costs, dtype=np.float64), offsets=offsets,
                    parts=[[(np.asarray(i, np.int64), np.asarray(v)) for i, v in pj]
                           for pj in parts], consts=consts)


def _change_rows(cp: CompiledProblem, b: ModelBuilder, x: NDArray[np.int64],
                 reach: NDArray[np.bool_] | None
                 ) -> Callable[[str, int, int, int, int], None]:
    """Rows tying each indicator that is off in the start plan to the changes it needs.

    For "community ``c`` is largest in region ``r``" (or above half, or not stranded) when it is
    not so in the start plan, :func:`_min_changes` finds the fewest units (and people) that must
    join or leave ``r`` to switch it on; the row ``changes touching r >= d z`` cuts no plan off
    and ties the linear relaxation's fractional indicators to the move budget. An indicator that
    needs more than the budget is fixed at 0.
    """
    start = np.asarray(cp.start, dtype=np.int64)
    free = cp.lock < 0
    movable_idx = np.flatnonzero(free)
    weights = cp.budget_pop / float(cp.pop.sum())
    group: dict[tuple[int, int], tuple[NDArray[np.int64], NDArray[np.int64],
                                       list[tuple[int, int]]]] = {}

    def finish() -> None:
        """Per region and census: the plurality switches (at most one is on when no two
        communities can tie there, see the clique rows) share the region's changes."""
        for (r, _cen), (rem, add_, zs) in group.items():
            if len(zs) < 2:
                continue
            b.add_row(np.concatenate([x[rem, r], x[add_, r], [z for z, _d in zs]]),
                      np.concatenate([-np.ones(rem.size), np.ones(add_.size),
                                      [-float(d) for _z, d in zs]]),
                      -float(rem.size) - 1e-9, np.inf)

    def add(kind: str, r: int, c: int, cen: int, z: int) -> None:
        if kind == "finish":
            finish()
            return
        tab = cp.tables[cen]
        mine = start == r
        P = tab[mine].sum(axis=0)
        N = P.sum()
        if N > 0:
            s = P / N
            others = [h for h in range(P.size) if h != c and tab[:, h].sum() > 0]
            on = (P[c] > 0 and all(s[c] >= s[h] for h in others)) if kind == "plur" else \
                (s[c] > 0.5) if kind == "maj" else (s[c] >= cp.threshold)
            if on:
                return
        rem = movable_idx[start[movable_idx] == r]
        add_ = movable_idx[(start[movable_idx] != r)
                           & (reach[movable_idx, r] if reach is not None else True)]
        # deficit cuts: what the start lacks must come from units that join (or leave) r, each
        # counted only for what it helps: sum of the helpful parts >= deficit * z
        sh = tab / float(tab.sum())
        Ps = sh[mine].sum(axis=0)
        pops_ = sh.sum(axis=1)
        if kind == "plur":
            rivals = [(h, sh[:, c] - sh[:, h], float(Ps[h] - Ps[c])) for h in range(P.size)
                      if h != c and tab[:, h].sum() > 0 and Ps[h] > Ps[c]]
        else:
            q = 0.5 if kind == "maj" else cp.threshold
            rivals = [(-1, sh[:, c] - q * pops_, float(q * Ps.sum() - Ps[c]))]
        for _h, gain, deficit in rivals:
            if deficit <= 0:
                continue
            ga = np.maximum(gain[add_], 0.0)
            gr = np.maximum(-gain[rem], 0.0)
            if ga.sum() + gr.sum() < deficit * (1 - 1e-9):
                b.ub[z] = 0.0  # even every helpful change falls short
                return
            b.add_row(np.concatenate([x[add_, r], x[rem, r], [z]]),
                      np.concatenate([ga, -gr, [-deficit]]), -float(gr.sum()) - 1e-12, np.inf)
        d_units, d_people = _min_changes(cp, kind, r, c, cen, rem, add_, weights)
        if d_units is None:
            b.ub[z] = 0.0  # no change at all switches it on
            return
        if cp.budget_units >= 0 and d_units > cp.budget_units:
            b.ub[z] = 0.0
            return
        if cp.budget_people >= 0 and d_people * float(cp.pop.sum()) > \
                cp.budget_people * (1 + 1e-9) + 1e-6:
            b.ub[z] = 0.0
            return
        # changes touching r: its movable start units that leave, the others that join
        idx = np.concatenate([x[rem, r], x[add_, r], [z]])
        if cp.budget_units >= 0 and d_units > 0:
            val = np.concatenate([-np.ones(rem.size), np.ones(add_.size), [-float(d_units)]])
            b.add_row(idx, val, -float(rem.size) - 1e-9, np.inf)
            if kind == "plur":  # one largest community: the switches of r share its changes
                group.setdefault((r, cen), (rem, add_, []))[2].append((z, d_units))
        if cp.budget_people >= 0 and d_people > 0:
            val = np.concatenate([-weights[rem], weights[add_], [-float(d_people)]])
            b.add_row(idx, val, -float(weights[rem].sum()) - 1e-12, np.inf)

    return add


def _min_changes(cp: CompiledProblem, kind: str, r: int, c: int, cen: int,
                 rem: NDArray[np.int64], add: NDArray[np.int64], weights: NDArray[np.float64]
                 ) -> tuple[int | None, float]:
    """Fewest units (and fewest people, as a share of the total) that must leave region ``r``
    (of ``rem``) or join it (of ``add``) so that community ``c`` becomes largest (``plur``), above
    half (``maj``) or at least the threshold (``str``) in it, within its population bounds;
    ``(None, inf)`` when no change does. Contiguity is ignored (a relaxation): the counts are
    lower bounds. Each is a small MIP (HiGHS); a bound is read from an unfinished solve."""
    import highspy

    tab = cp.tables[cen] / float(cp.tables[cen].sum())
    pop0 = cp.pop / float(cp.pop.sum())
    start = np.asarray(cp.start, dtype=np.int64)
    P = tab[start == r].sum(axis=0)
    N0 = float(pop0[start == r].sum())
    cand = np.concatenate([rem, add])
    sign = np.concatenate([-np.ones(rem.size), np.ones(add.size)])
    m = cand.size
    if m == 0:
        return None, float("inf")
    total0 = float(cp.pop.sum())
    lo = float(cp.lo[r]) / total0
    hi = float(min(cp.hi[r] / total0, 1.0)) if np.isfinite(cp.hi[r]) else np.inf
    out: list[float] = []
    for w in (np.ones(m), weights[cand]):
        bld = ModelBuilder()
        y = bld.add_vars((m,), 0, 1, integer=True)
        D = sign[:, None] * tab[cand]  # change of each community's share
        if kind == "plur":
            for h in range(tab.shape[1]):
                if h != c and tab[:, h].sum() > 0:
                    bld.add_row(y, D[:, c] - D[:, h], float(P[h] - P[c]) - 1e-12, np.inf)
            bld.add_row(y, D[:, c], -float(P[c]) + 1e-15, np.inf)
        else:
            q = 0.5 if kind == "maj" else cp.threshold
            eps = _MAJ_EPS if kind == "maj" else -1e-12
            Nv = D.sum(axis=1)
            bld.add_row(y, D[:, c] - q * Nv, float(q * P.sum() - P[c]) + eps, np.inf)
        bld.add_row(y, sign * pop0[cand], lo - N0 - 1e-12, hi - N0 + 1e-12 if np.isfinite(hi)
                    else np.inf)
        bld.costs[0] = list(-w)  # maximize minus the changes
        solver = new_highs()
        solver.setOptionValue("time_limit", 2.0)
        solver.setOptionValue("mip_rel_gap", 1e-9)
        solver.setOptionValue("random_seed", 0)
        solver.passModel(bld.to_lp())
        solver.run()
        st = solver.getModelStatus()
        if st == highspy.HighsModelStatus.kInfeasible:
            return None, float("inf")
        bound = -float(solver.getInfo().mip_dual_bound)
        out.append(bound if np.isfinite(bound) else 0.0)
    return int(np.ceil(out[0] - 1e-6)), max(out[1] - 1e-9, 0.0)


def _ties(cp: CompiledProblem, r: int, cen: int, comms: list[int],
          reach: NDArray[np.bool_] | None) -> set[tuple[int, int]] | None:
    """Pairs of ``comms`` that may tie for largest in region ``r`` of a plan within the budget.

    A tie counts the region for both communities, so the indicators "c is largest" of two
    communities may both be on only then. Each pair is a small MIP (HiGHS, like
    :func:`_min_changes`): a composition of ``r`` reachable from the start plan, within the
    population bounds and the budget, in which the two are equal (to half a person, or a
    millionth of the total for data that are not counts) and at least every other community.
    A pair not proved impossible in a short time counts as possible. ``None`` without a start plan.
    """
    import highspy

    if cp.start is None:
        return None
    start = np.asarray(cp.start, dtype=np.int64)
    tab = cp.tables[cen]
    total = float(tab.sum())
    counts = bool(np.all(tab == np.round(tab)))
    eps = 0.5 / total if counts else 1e-6
    sh = tab / total
    pop0 = cp.pop / float(cp.pop.sum())
    free = cp.lock < 0
    mine = start == r
    rem = np.flatnonzero(free & mine)
    add = np.flatnonzero(free & ~mine & (reach[:, r] if reach is not None else True))
    P = sh[mine].sum(axis=0)
    N0 = float(pop0[mine].sum())
    cand = np.concatenate([rem, add])
    sign = np.concatenate([-np.ones(rem.size), np.ones(add.size)])
    D = sign[:, None] * sh[cand]
    total0 = float(cp.pop.sum())
    lo = float(cp.lo[r]) / total0
    hi = float(min(cp.hi[r] / total0, 1.0)) if np.isfinite(cp.hi[r]) else np.inf
    others_all = [h for h in range(sh.shape[1]) if sh[:, h].sum() > 0]
    out: set[tuple[int, int]] = set()
    for ia, a in enumerate(comms):
        for b in comms[ia + 1:]:
            bld = ModelBuilder()
            y = bld.add_vars((cand.size,), 0, 1, integer=True)
            bld.add_row(y, D[:, a] - D[:, b], float(P[b] - P[a]) - eps, float(P[b] - P[a]) + eps)
            for h in others_all:
                if h not in (a, b):
                    bld.add_row(y, D[:, a] - D[:, h], float(P[h] - P[a]) - eps, np.inf)
            bld.add_row(y, D[:, a], -float(P[a]) + 1e-15, np.inf)
            bld.add_row(y, sign * pop0[cand], lo - N0 - 1e-12,
                        hi - N0 + 1e-12 if np.isfinite(hi) else np.inf)
            if cp.budget_units >= 0:
                bld.add_row(y, 1.0, -np.inf, float(cp.budget_units))
            if cp.budget_people >= 0:
                bld.add_row(y, cp.budget_pop[cand] / total0, -np.inf,
                            cp.budget_people / total0 + 1e-12)
            h_ = new_highs()
            h_.setOptionValue("time_limit", 1.0)
            h_.setOptionValue("random_seed", 0)
            h_.passModel(bld.to_lp())
            h_.run()
            if h_.getModelStatus() != highspy.HighsModelStatus.kInfeasible:
                out.add((a, b))
    return out


def _ties_anywhere(cp: CompiledProblem, cen: int, comms: list[int]) -> set[tuple[int, int]]:
    """Pairs of ``comms`` that may tie for largest in some connected region within the
    population bounds (:func:`dayafter.optimize.bounds.tie_possible` on census ``cen``)."""
    from dayafter.optimize.bounds import tie_possible

    sub = replace(cp, table=cp.tables[cen], pop=cp.pop) if cen else cp
    out = set()
    for ia, a in enumerate(comms):
        for b in comms[ia + 1:]:
            if tie_possible(sub, a, b, time_limit=2.0) != "no":
                out.add((a, b))
    return out


def _cliques(comms: list[int], tie: set[tuple[int, int]]) -> list[list[int]]:
    """Groups of ``comms`` no two of which can tie (greedy cover of the non-tie graph), each at
    most one of them largest."""
    left = list(comms)
    groups = []
    while left:
        g = [left.pop(0)]
        for c in list(left):
            if all((min(c, d), max(c, d)) not in tie for d in g):
                g.append(c)
                left.remove(c)
        groups.append(g)
    # pairs that cannot tie but fell in different groups still exclude each other
    for ia, a in enumerate(comms):
        for b in comms[ia + 1:]:
            if (a, b) not in tie and not any(a in g and b in g for g in groups):
                groups.append([a, b])
    return groups


def _reachable(cp: CompiledProblem) -> NDArray[np.bool_] | None:
    """``bool[n, k]``: can unit ``i`` belong to region ``r`` within the unit budget?

    A region with fixed (locked) units keeps them, so a unit joining it is linked to them through
    units of the region; those not in it in the start plan have all changed. ``i`` is out of
    reach when every such path holds more units that are not ``r``'s at the start than the
    budget allows (a 0-1 breadth-first search from ``r``'s start units). ``None`` when there is
    no start plan or no unit budget (counted by region).
    """
    if cp.start is None or cp.budget_units < 0:
        return None
    t = cp.territory
    n, k = t.n_units, cp.k
    indptr = np.asarray(t.graph.indptr, dtype=np.int64)
    ind = np.asarray(t.graph.indices, dtype=np.int64)
    B = int(cp.budget_units)
    out = np.ones((n, k), dtype=bool)
    fixed = cp.lock >= 0
    for r in range(k):
        if not np.any(fixed & (cp.lock == r)):
            continue  # a region that may lose every start unit can move: no pruning
        same = cp.region_class[r] == cp.home  # units that do not change by joining r
        dist = np.full(n, np.iinfo(np.int64).max)
        from collections import deque

        dq: deque[int] = deque()
        for u in np.flatnonzero(cp.start == r).tolist():
            dist[u] = 0
            dq.append(u)
        while dq:
            u = dq.popleft()
            for p in range(indptr[u], indptr[u + 1]):
                v = int(ind[p])
                if fixed[v] and cp.lock[v] != r:
                    continue
                d = dist[u] + (0 if same[v] else 1)
                if d < dist[v]:
                    dist[v] = d
                    if d == dist[u]:
                        dq.appendleft(v)
                    else:
                        dq.append(v)
        out[:, r] = dist <= B
    return out


def _possible(cp: CompiledProblem, reach: NDArray[np.bool_] | None
              ) -> dict[str, NDArray[np.bool_]] | None:
    """Which "community largest / above half in region" indicators some plan can switch on.

    Only with a start plan whose fixed units keep part of each region: region ``r`` holds its
    fixed units ``F`` and possibly some of the others it can reach; community ``c`` can be largest
    in ``r`` only if ``F[c]`` plus all the ``c`` people ``r`` can gain reaches ``F[h]`` for every
    other ``h``, and above half only if ``(F[c] + G[c]) / (F + G[c]) > 1/2``.
    """
    if cp.start is None:
        return None
    n_c, n, g = cp.tables.shape
    k = cp.k
    fixed = cp.lock >= 0
    plur = np.ones((n_c, k, g), dtype=bool)
    maj = np.ones((n_c, k, g), dtype=bool)
    can = np.ones((n, k), dtype=bool) if reach is None else reach.copy()
    can[fixed] = False
    for r in range(k):
        can[fixed & (cp.lock == r), r] = False
        mine = fixed & (cp.lock == r)
        if not mine.any():
            continue
        for cen in range(n_c):
            tab = cp.tables[cen]
            F = tab[mine].sum(axis=0)
            # units that join r without changing class cost nothing; the others count against
            # the unit budget (at most that many join: those with most people of c)
            free = can[:, r] & (cp.home == cp.region_class[r])
            costly = can[:, r] & ~free
            gain = tab[free].sum(axis=0) + tab[costly].sum(axis=0)
            if cp.budget_units >= 0:
                top = np.sort(tab[costly], axis=0)[::-1][: cp.budget_units]
                gain = tab[free].sum(axis=0) + top.sum(axis=0)
            for c in range(g):
                best_c = F[c] + gain[c]
                if best_c <= 0 or np.any(np.delete(F, c) > best_c * (1 + 1e-12)):
                    plur[cen, r, c] = False
                if best_c <= 0.5 * (F.sum() + gain[c]) * (1 - 1e-12):
                    maj[cen, r, c] = False
    return {"plur": plur, "maj": maj}


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
    n_c, n, g = cp.tables.shape
    k = cp.k
    if model.symmetric:
        a = canonical_labels(a, k)
    totals_c = cp.tables.sum(axis=(1, 2))
    Cs = cp.tables / totals_c[:, None, None]
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
    Ps = np.zeros((n_c, k, g))
    for cen in range(n_c):
        np.add.at(Ps[cen], a, Cs[cen])
    val[bl["P_all"]] = Ps
    if "S" in bl:
        rootv = val[bl["root"]]
        val[bl["S"]] = np.cumsum(rootv, axis=0)
    xv = np.zeros((n, k))
    xv[np.arange(n), a] = 1.0
    for kind, r, c, cpar, z, wcols, cen in model.conds:
        P = Ps[cen]
        N = P.sum(axis=1)
        T = Cs[cen].sum(axis=0)
        others = [h for h in range(g) if T[h] > 0]
        if kind == "plur":
            on = all(P[r, c] >= P[r, h] for h in others if h != c)
        elif kind == "maj":
            on = P[r, c] - 0.5 * N[r] >= _MAJ_EPS
        elif kind == "str":
            on = P[r, c] - cp.threshold * N[r] >= 0
        elif kind == "homog":
            on = c == P[r].argmax()
        else:
            on = P[r, c] >= cpar * N[r]
        val[z] = 1.0 if on else 0.0
        val[wcols] = xv[:, r] * val[z]
    for j, parts in enumerate(model.parts):
        key = f"worst_{j}"
        if key in bl:
            val[bl[key][0]] = min(float(val[idx] @ v) + float(model.consts[j, cen])
                                  for cen, (idx, v) in enumerate(parts))
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
        A :data:`~dayafter.progress.ProgressCallback`: called at least once a second with a
        :class:`~dayafter.progress.ProgressEvent` (seconds done of the time limit; ``extra``:
        ``best``, ``bound``, ``gap``), from HiGHS's own callback during the solve.
    cancel
        A :class:`~dayafter.progress.CancelToken`: once set, HiGHS is interrupted and the best
        plan found so far is returned with status ``"cancelled"`` (its bound still holds).
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
    split_censuses
        For the worst of several censuses: first solve one census alone (a smaller model that
        closes sooner; the worst is at most each census's own optimum): the census that binds
        in the warm start (each census in turn without one), with ``split_share`` of the time.
        When its bound meets the best plan's value the plan is proved optimal; otherwise the
        joint model runs with the time left and the reported bound is the smaller.
    split_share
        Share of the time the census alone may use (unused time goes to the joint model).
    columns
        For a negotiation with a budget in units and an objective that is a sum over regions:
        solve the exact composition model of :mod:`dayafter.optimize.budget` instead (every
        connected composition of each region within the budget, one chosen per region), when
        it needs at most ``max_subsets`` subsets; its linear relaxation is far tighter than the
        flow model's. The flow model runs when it does not apply or finds no plan.
    max_subsets
        Cap on the subsets the composition model enumerates.
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
                 threads: int | None = None, progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None, lp_solver: str = "choose",
                 decompose: bool | str = "auto", decompose_share: float = 0.75,
                 split_censuses: bool = True, split_share: float = 0.9,
                 columns: bool = True, max_subsets: int = 20_000_000,
                 verbose: bool = False) -> None:
        self.time_limit = time_limit
        self.columns = columns
        self.max_subsets = max_subsets
        self.decompose = decompose
        self.decompose_share = decompose_share
        self.split_censuses = split_censuses
        self.split_share = split_share
        self.mip_rel_gap = mip_rel_gap
        self.warm_start = warm_start
        self.threads = threads
        self.progress = progress
        self.cancel = cancel
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
        note = Throttle(self.progress, "optimize", total=self.time_limit, interval=0.5)
        db = None
        # the packing relaxation drops locks: far too weak when most units are fixed
        if (self.decompose is True or (self.decompose == "auto" and cp.territory.n_units >= 40
                                       and cp.start is None)) and decomposable(cp):
            note(0.0, message="MIP: bounding each community's term (packing relaxation)")
            db = decomposition_bound(cp, time_limit=self.time_limit * self.decompose_share,
                                     threads=self.threads)
            if db is not None:
                note(time.perf_counter() - t_start,
                     message=f"MIP: bound by community {db.value:.6g}", bound=db.value)
        self.decomposition_ = db
        caps = None
        if db is not None:
            names = list(cp.territory.communities)
            caps = {names.index(tb.community): tb.value for tb in db.terms}
        # a negotiation: the fixed units merged into one unit per piece (a far smaller model)
        con = contract(cp) if cp.start is not None and np.any(cp.lock >= 0) else None
        self.contraction_ = con
        cpm = con.cp if con is not None else cp
        ew = con.edge_weight if con is not None else None
        warm = self.warm_start if self.warm_start is not None else cp.start
        warm_a = None if warm is None else np.asarray(
            warm.assignment if isinstance(warm, Plan) else warm, dtype=np.int64)
        if warm_a is not None and con is not None:
            warm_a = con.reduce(warm_a)

        def left() -> float:
            return self.time_limit - (time.perf_counter() - t_start)

        def watch(model: MIPModel, label: str) -> SolveWatch:
            return SolveWatch(note if self.progress is not None else None, self.cancel,
                              offset=model.offset, label=label,
                              elapsed0=time.perf_counter() - t_start)

        # a negotiation with a small unit budget: one composition per region, an exact model
        # whose linear relaxation is far tighter than the flow model's (dayafter.optimize.budget)
        col_sol = None
        if self.columns and columns_apply(cpm):
            note(time.perf_counter() - t_start,
                 message="MIP: enumerating each region's compositions within the budget")
            cols = region_columns(cpm, max_subsets=self.max_subsets)
            if cols is not None:
                note(time.perf_counter() - t_start,
                     message=f"MIP: {cols.region.size:,} compositions of {cpm.k} regions")
                col_sol = solve_columns(
                    cpm, cols, time_limit=max(left(), 1.0), mip_rel_gap=self.mip_rel_gap,
                    warm_start=warm_a, threads=self.threads,
                    watch=SolveWatch(note if self.progress is not None else None, self.cancel,
                                     label="MIP (compositions)",
                                     elapsed0=time.perf_counter() - t_start))
                if col_sol.assignment is None or col_sol.status == "infeasible":
                    col_sol = None  # the flow model below finds a plan or reports infeasibility
        census_bounds: dict[str, float] = {}
        if col_sol is not None:
            sol = Solution(status=col_sol.status, assignment=col_sol.assignment,
                           objective=col_sol.objective, bound=col_sol.bound,
                           nodes=col_sol.nodes, warm_used=col_sol.warm_used)
            n_vars, n_rows = col_sol.kept + 1, int(cpm.movable.sum()) + cpm.k + 3
            self.model_ = None
        else:
            # the worst of several censuses is at most each census's own optimum: bound the
            # censuses one at a time (smaller models that close sooner), the binding one first
            candidates: list[NDArray[np.int64]] = []
            if cpm.combine == "worst" and len(cpm.censuses) > 1 and self.split_censuses:
                order = list(range(len(cpm.censuses)))
                base = None
                if warm_a is not None:
                    from dayafter.optimize.result import kernel_census_scores

                    parts = kernel_census_scores(cpm, warm_a)
                    order.sort(key=lambda j: parts[j])
                    base = float(min(parts))
                # the census that binds in the warm start gets the time: its own optimum bounds
                # the worst (the others' optima are higher when it binds at the optimum too)
                for j in order[:1] if warm_a is not None else order:
                    sub = replace(cpm, censuses=(cpm.censuses[j],), tables=cpm.tables[j:j + 1],
                                  census_weights=np.ones(1), combine="weighted",
                                  table=cpm.tables[j])
                    m_j = build_model(sub, edge_weight=ew)
                    share = left() * self.split_share / (1 if warm_a is not None else len(order))
                    if share < 1.0:
                        break
                    label = f"MIP on census {cpm.censuses[j]!r} alone"
                    note(time.perf_counter() - t_start, message=f"{label}: {m_j.n_vars:,} variables")
                    s_j = solve_model(m_j, time_limit=share, mip_rel_gap=self.mip_rel_gap,
                                      warm_start=warm_a, threads=self.threads,
                                      lp_solver=self.lp_solver, verbose=self.verbose,
                                      watch=watch(m_j, label),
                                      heuristic_effort=0.0 if warm_a is not None else None)
                    if s_j.status == "infeasible":
                        break  # the joint model below reports it
                    if s_j.bound is not None:
                        census_bounds[cpm.censuses[j]] = float(s_j.bound)
                    if s_j.assignment is not None:
                        candidates.append(s_j.assignment)
                    if s_j.status == "cancelled":
                        break
                    if base is not None and census_bounds and \
                            min(census_bounds.values()) <= base + max(abs(base), 1e-9) \
                            * max(self.mip_rel_gap, 1e-9):
                        break  # the start's worst census is already proved best: done
            model = build_model(cpm, term_caps=caps, edge_weight=ew)
            self.model_ = model
            n_vars, n_rows = model.n_vars, model.n_rows
            note(time.perf_counter() - t_start, message=f"MIP: {model.n_vars:,} variables, "
                 f"{model.n_rows:,} rows", variables=model.n_vars, rows=model.n_rows)
            # the best plan known so far (the warm start or a census's own optimum), if feasible
            incumbent: tuple[float, NDArray[np.int64]] | None = None
            if candidates or warm_a is not None:
                from dayafter.optimize.result import kernel_score

                for a in ([warm_a] if warm_a is not None else []) + candidates:
                    val, viol = kernel_score(cpm, a)
                    if viol <= 1e-9 and (incumbent is None or val > incumbent[0]):
                        incumbent = (val, a)
                if incumbent is not None:
                    warm_a = incumbent[1]
            proved = bool(census_bounds) and incumbent is not None and \
                min(census_bounds.values()) <= incumbent[0] + max(abs(incumbent[0]), 1e-9) \
                * max(self.mip_rel_gap, 1e-9)
            if proved or (self.cancel is not None and self.cancel.cancelled) or left() < 1.0:
                sol = Solution(status="time_limit" if not proved else "optimal",
                               assignment=warm_a, objective=None,
                               bound=min(census_bounds.values()) if census_bounds else None,
                               nodes=0, warm_used=False)
            else:
                sol = solve_model(model, time_limit=left(), mip_rel_gap=self.mip_rel_gap,
                                  warm_start=warm_a, threads=self.threads,
                                  lp_solver=self.lp_solver, verbose=self.verbose,
                                  watch=watch(model, "MIP"))
                if sol.assignment is None and warm_a is not None and sol.status != "infeasible":
                    sol.assignment = warm_a
                if census_bounds:
                    cb = min(census_bounds.values())
                    sol.bound = cb if sol.bound is None else min(sol.bound, cb)
        if con is not None and sol.assignment is not None:
            sol.assignment = con.expand(sol.assignment)
        elapsed = time.perf_counter() - t_start
        if sol.status == "infeasible":
            raise InfeasibleError(
                f"HiGHS proved that no contiguous plan of {cp.k} regions meets the population "
                f"bounds{', locks' if np.any(cp.lock >= 0) else ''}"
                f"{' and criteria' if cp.has_constraints else ''} (census {cp.census!r})",
                hint="widen the tolerance, drop locks or relax the criteria")
        if sol.assignment is None:
            if sol.status == "cancelled":
                from dayafter.progress import Cancelled

                raise Cancelled("the MIP was cancelled before it found a plan",
                                hint="rerun it, with a warm start from a heuristic run")
            raise InfeasibleError(
                f"HiGHS found no plan within {self.time_limit:g} s (status {sol.status}); this "
                "is not a proof that none exists",
                hint="raise the time limit, or give a warm start from a heuristic run")
        stats: dict[str, object] = {
            "nodes": sol.nodes, "variables": n_vars, "rows": n_rows,
            "units_in_model": cpm.territory.n_units, "census_bounds": census_bounds,
            "symmetry_broken": bool(col_sol is None and model.symmetric),
            "warm_start": sol.warm_used,
            "highs_objective": sol.objective, "highs_bound": sol.bound}
        if col_sol is not None:
            stats["compositions"] = {
                "enumerated": col_sol.subsets, "feasible": col_sol.columns, "kept": col_sol.kept,
                "lp_bound": col_sol.lp_bound, "elapsed": col_sol.elapsed}
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
        if bound is not None and bound > cp.ceiling:
            stats["solver_bound_above_ceiling"] = bound
            bound = cp.ceiling  # the solver stopped before its root bound meant anything
        res = make_plan(cp, sol.assignment, method="mip", status=sol.status, bound=bound,
                        elapsed=elapsed, stats=stats)
        if res.gap is not None and res.gap <= max(self.mip_rel_gap, 1e-9) and \
                sol.status in ("optimal", "time_limit"):
            res.status = "optimal"
            if res.gap <= 1e-9:
                res.gap = 0.0
        note(elapsed, final=True, message=f"MIP {sol.status}: objective {res.objective:.6g}"
             + (f", gap {res.gap:.2%}" if res.gap is not None else ""), status=sol.status,
             best=res.objective, bound=res.bound, gap=res.gap)
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
                verbose: bool = False, watch: SolveWatch | None = None,
                heuristic_effort: float | None = None) -> Solution:
    """Run HiGHS on a model, maximizing cost vector ``objective`` of ``model.costs``.

    ``bounds`` adds rows ``objective_j >= value`` for other cost vectors (the
    epsilon-constraint method). ``watch`` reports progress and interrupts the solve on a cancel.
    Status is ``optimal``, ``time_limit``, ``infeasible``, ``cancelled`` or HiGHS's own wording.
    """
    import highspy

    if lp_solver not in ("choose", "simplex", "ipm"):
        raise ConfigError(f"unknown lp_solver {lp_solver!r}",
                          hint="use 'choose', 'simplex' or 'ipm'")
    costs = model.costs if model.costs is not None else np.asarray([model.lp.col_cost_])
    h = new_highs()
    h.setOptionValue("output_flag", bool(verbose))
    h.setOptionValue("log_to_console", bool(verbose))
    h.setOptionValue("time_limit", float(max(time_limit, 1.0)))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_lp_solver", lp_solver)
    if heuristic_effort is not None:
        h.setOptionValue("mip_heuristic_effort", float(heuristic_effort))
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
    sname = run_highs(h, watch)
    info = h.getInfo()
    offset = model.offsets[objective] if model.offsets else model.offset
    bound = float(info.mip_dual_bound) + offset
    a = None
    obj = None
    if sname != "infeasible" and info.primal_solution_status == 2:
        col = np.asarray(h.getSolution().col_value)
        xv = col[model.x].reshape(model.x.shape)
        a = xv.argmax(axis=1).astype(np.int64)
        obj = float(info.objective_function_value) + offset
    return Solution(status=sname, assignment=a, objective=obj,
                    bound=bound if np.isfinite(bound) else None,
                    nodes=int(info.mip_node_count), warm_used=warm_used)


@dataclass(frozen=True)
class Contraction:
    """A problem whose fixed units are merged, and the way back.

    Attributes
    ----------
    cp
        The contracted problem: every unit that may move stays a unit; the fixed units (locked to
        a region) are merged into one unit per connected piece of the units locked to the same
        region (and, with admin splits in play, lying in the same admin units).
    node
        ``int64[n]``: the contracted unit of each original unit.
    edge_weight
        Original edges behind each contracted edge (for cut edges).
    """

    cp: CompiledProblem
    node: NDArray[np.int64]
    edge_weight: NDArray[np.float64]

    def expand(self, a2: NDArray[np.integer]) -> NDArray[np.int64]:
        """The original assignment of a contracted one."""
        return np.asarray(a2, dtype=np.int64)[self.node]

    def reduce(self, a: NDArray[np.integer]) -> NDArray[np.int64]:
        """The contracted assignment of an original one (fixed units agree by construction)."""
        out = np.zeros(self.cp.territory.n_units, dtype=np.int64)
        out[self.node] = np.asarray(a, dtype=np.int64)
        return out


def contract(cp: CompiledProblem) -> Contraction:
    """Merge the fixed units of a problem (see :class:`Contraction`).

    Contiguity is unchanged: a region is connected exactly when its contracted units are (each
    merged piece is connected and wholly in the region); tallies, populations, areas, admin
    splits and (with ``edge_weight``) cut edges are sums over the merged units.

    Examples
    --------
    >>> from dayafter.testing.grids import grid_territory
    >>> from dayafter.plan import Plan, Region
    >>> t = grid_territory(2, 4)
    >>> start = Plan(np.array([0, 0, 1, 1, 0, 0, 1, 1]), (Region("W"), Region("E")),
    ...              t.content_hash)
    >>> p = Problem.from_dict({"maximize": ["homogeneity"], "movable": ["u00001", "u00002"],
    ...                        "constraints": {"tolerance": None}}, start=start)
    >>> c = contract(p.compile(t))
    >>> c.cp.territory.n_units, c.node.tolist()
    (4, [2, 0, 1, 3, 2, 2, 3, 3])
    """
    from dayafter.graph import UnitGraph
    from dayafter.territory import Territory

    t = cp.territory
    n = t.n_units
    fixed = cp.lock >= 0
    # pieces of fixed units: same region, same admin unit at every level in play
    key = np.where(fixed, cp.lock, -1).astype(np.int64)
    for lev in range(cp.adm_codes.shape[0]):
        key = key * (int(cp.adm_codes[lev].max()) + 2) + cp.adm_codes[lev]
    labels = np.where(fixed, np.unique(key, return_inverse=True)[1], -1 - np.arange(n))
    pieces = t.graph.components(labels.astype(np.int32))
    movable = np.flatnonzero(~fixed)
    node = np.empty(n, dtype=np.int64)
    node[movable] = np.arange(movable.size)
    fixed_pieces, inv = np.unique(pieces[fixed], return_inverse=True)
    node[fixed] = movable.size + inv
    n2 = movable.size + fixed_pieces.size
    u, v, _w = t.graph.edges()
    nu, nv = node[u], node[v]
    keep = nu != nv
    g2 = UnitGraph.from_edges(n2, nu[keep], nv[keep], np.ones(int(keep.sum())))
    _u2, _v2, mult = g2.edges()

    def agg(x: NDArray[Any]) -> NDArray[Any]:
        out = np.zeros((n2, *x.shape[1:]), dtype=np.float64)
        np.add.at(out, node, x)
        return out

    tables = np.stack([agg(tab) for tab in cp.tables])
    first = np.full(n2, n, dtype=np.int64)
    np.minimum.at(first, node, np.arange(n))
    ids = [f"c{i:06d}" for i in range(n2)]
    t2 = Territory.from_arrays(ids, list(t.communities),
                               {c: tables[j] for j, c in enumerate(cp.censuses)}, g2,
                               area=agg(np.asarray(t.area, np.float64)),
                               name=f"{t.name} (fixed units merged)")
    lock2 = cp.lock[first]
    cp2 = replace(
        cp, territory=t2, table=tables[0], pop=agg(cp.pop), lock=lock2,
        adm_codes=np.ascontiguousarray(cp.adm_codes[:, first]), area_km2=agg(cp.area_km2),
        tables=tables,
        start=None if cp.start is None else cp.start[first],
        movable=cp.movable[first] if cp.movable.size == n else cp.movable,
        home=cp.home[first] if cp.home.size == n else cp.home,
        budget_pop=agg(cp.budget_pop) if cp.budget_pop.size == n else cp.budget_pop)
    return Contraction(cp2, node, np.asarray(mult, dtype=np.float64))
