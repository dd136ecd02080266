"""Settlement methods: who gets each disputed unit, and what money changes hands.

Every method takes a :class:`~dayafter.settle.problem.ClaimsProblem` and returns a
:class:`~dayafter.settle.result.Settlement` labelled with the method's name. The integer programs are
solved with SciPy's HiGHS interface (:func:`scipy.optimize.milp`).
"""

from __future__ import annotations

import itertools
import math
import time
import warnings
from collections.abc import Callable
from fractions import Fraction
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, milp
from scipy.sparse.csgraph import maximum_bipartite_matching

from dayafter.errors import ConfigError, ConvergenceWarning, InfeasibleError, InputDataError
from dayafter.settle.problem import ClaimsProblem
from dayafter.settle.result import Settlement, minimal_subsidies
from dayafter.validation import check_parameters

__all__ = [
    "METHODS",
    "adjusted_winner",
    "compensate",
    "efeq_transfers",
    "envy_free_matching_rounds",
    "knaster",
    "max_nash_welfare",
    "min_subsidy",
    "settle",
]

_MIP_GAP = 1e-9


def _onehot(owner: NDArray[np.int64], p: int) -> NDArray[np.float64]:
    s = np.zeros((p, owner.size))
    s[owner, np.arange(owner.size)] = 1.0
    return s


def _highest_valuer(v: NDArray[np.float64]) -> NDArray[np.int64]:
    """Each unit to the party valuing it most; ties go to the party listed first."""
    out: NDArray[np.int64] = np.argmax(v, axis=0).astype(np.int64)
    return out


def _check_milp(res: Any, what: str) -> None:
    if res.x is None:
        raise InfeasibleError(
            f"the solver found no solution for {what} (HiGHS status {res.status}: {res.message})",
            hint="check the values; raise the time limit if it was reached",
        )


# ---------------------------------------------------------------------- maximum Nash welfare
def _max_positive_set(v: NDArray[np.float64]) -> int:
    """Largest number of parties that can all hold a unit of positive value at once."""
    graph = sparse.csr_matrix((v > 0).astype(np.int8))
    match = maximum_bipartite_matching(graph, perm_type="column")
    return int((match >= 0).sum())


def _fallback_owner(v: NDArray[np.float64], active: list[int]) -> NDArray[np.int64]:
    """A feasible allocation: one valued unit per active party (a matching), the rest greedily."""
    m = v.shape[1]
    sub = sparse.csr_matrix((v[active] > 0).astype(np.int8))
    match = maximum_bipartite_matching(sub, perm_type="column")
    owner = np.full(m, -1, dtype=np.int64)
    for s, j in enumerate(match):
        if j >= 0:
            owner[j] = active[s]
    rest = owner < 0
    owner[rest] = np.asarray(active)[np.argmax(v[active][:, rest], axis=0)]
    return owner


def _mnw_milp(
    v: NDArray[np.float64], active: list[int], *, max_iter: int, time_limit: float | None
) -> tuple[NDArray[np.int64], float, dict[str, Any]]:
    """Maximise sum of log utilities of ``active`` parties by outer approximation.

    The log of each utility is bounded above by tangent lines; after each MILP, tangents at the
    utilities just found are added. The incumbent is optimal once the MILP bound is within
    tolerance of the best true objective seen. The set of allocations is finite and a repeated
    allocation is scored exactly, so the loop ends.
    """
    p, m = v.shape
    nx = p * m
    na = len(active)
    nvar = nx + na
    total = v.sum(axis=1)
    minpos = np.array([v[i][v[i] > 0].min() for i in active])
    tot_a = total[active]
    # one column per unit: held by exactly one party
    rows = np.repeat(np.arange(m), p)
    cols = (np.arange(p)[None, :] * m + np.arange(m)[:, None]).ravel()
    a_assign = sparse.csr_matrix((np.ones(nx), (rows, cols)), shape=(m, nvar))
    # every active party gets positive value
    pr, pc, pv = [], [], []
    for s, i in enumerate(active):
        pr += [s] * m
        pc += list(range(i * m, (i + 1) * m))
        pv += v[i].tolist()
    a_pos = sparse.csr_matrix((pv, (pr, pc)), shape=(na, nvar))
    cut_rows: list[sparse.csr_matrix] = []
    cut_ub: list[float] = []
    cut_points: list[set[float]] = [set() for _ in active]

    def add_cut(s: int, a: float) -> bool:
        a = float(a)
        if a <= 0 or a in cut_points[s]:
            return False
        cut_points[s].add(a)
        i = active[s]
        # W_s <= log(a) + (u_i - a) / a   <=>   W_s - u_i / a <= log(a) - 1
        data = np.concatenate([-v[i] / a, [1.0]])
        idx = np.concatenate([np.arange(i * m, (i + 1) * m), [nx + s]])
        cut_rows.append(sparse.csr_matrix((data, (np.zeros(m + 1, int), idx)), shape=(1, nvar)))
        cut_ub.append(math.log(a) - 1.0)
        return True

    for s in range(na):
        hi = tot_a[s]
        lo = max(minpos[s], hi * 1e-6)  # lower utilities get their tangent when they occur
        k = int(min(120, max(2, math.ceil(math.log(hi / lo) / math.log(1.08)) + 1)))
        for a in np.geomspace(lo, hi, k):
            add_cut(s, a)
    c = np.concatenate([np.zeros(nx), -np.ones(na)])
    integrality = np.concatenate([np.ones(nx), np.zeros(na)])
    bounds = Bounds(
        np.concatenate([np.zeros(nx), np.log(minpos) - 1.0]),
        np.concatenate([np.ones(nx), np.log(tot_a) + 1e-9]),
    )
    best_owner: NDArray[np.int64] | None = None
    best_val = -np.inf
    bound = np.inf
    it = 0
    converged = False
    # parties with identical values are interchangeable: order their utilities (symmetry)
    sym_rows = []
    for s in range(na - 1):
        a, b = active[s], active[s + 1]
        if np.array_equal(v[a], v[b]):
            row = np.zeros(nvar)
            row[a * m:(a + 1) * m] = v[a]
            row[b * m:(b + 1) * m] = -v[b]
            sym_rows.append(row)
    deadline = None if time_limit is None else time.monotonic() + float(time_limit)
    timed_out = False
    for _round in range(max_iter):
        it += 1
        cons = [
            LinearConstraint(a_assign, 1.0, 1.0),
            LinearConstraint(a_pos, minpos, np.inf),
            LinearConstraint(sparse.vstack(cut_rows).tocsr(), -np.inf, np.array(cut_ub)),
        ]
        if sym_rows:
            cons.append(LinearConstraint(np.array(sym_rows), 0.0, np.inf))
        opts: dict[str, Any] = {"mip_rel_gap": _MIP_GAP}
        if deadline is not None:
            opts["time_limit"] = max(0.05, deadline - time.monotonic())
        res = milp(c, constraints=cons, integrality=integrality, bounds=bounds, options=opts)
        if res.x is None and res.status == 1:  # time limit before any solution in this round
            timed_out = True
            if best_owner is None:
                best_owner = _fallback_owner(v, active)
                u0 = (v * _onehot(best_owner, p)).sum(axis=1)
                best_val = float(np.sum(np.log(u0[active])))
            break
        _check_milp(res, "maximum Nash welfare")
        x = np.round(res.x[:nx]).reshape(p, m)
        owner = x.argmax(axis=0).astype(np.int64)
        u = (v * _onehot(owner, p)).sum(axis=1)
        val = float(np.sum(np.log(u[active]))) if np.all(u[active] > 0) else -np.inf
        if val > best_val:
            best_val, best_owner = val, owner
        dual = getattr(res, "mip_dual_bound", None)
        rb = -float(dual) if dual is not None and np.isfinite(dual) else -float(res.fun)
        bound = min(bound, rb)
        if bound - best_val <= 1e-9 * max(1.0, abs(best_val)) + 1e-12:
            converged = True
            break
        if res.status != 0:  # time limit: keep the best allocation found and its bound
            timed_out = True
            break
        added = False
        w = res.x[nx:]
        for s, i in enumerate(active):
            if w[s] > math.log(u[i]) + 1e-12:
                added |= add_cut(s, u[i])
        if not added:  # the model is exact at this allocation: it is optimal up to the MIP gap
            converged = True
            break
    if not converged:
        why = f"the time limit of {time_limit:g} s" if timed_out else f"{max_iter} rounds"
        gap = (f"a gap of at most {bound - best_val:.3g} in log welfare (Nash welfare within a "
               f"factor {math.exp(min(bound - best_val, 700.0)):.6g} of the optimum)"
               if np.isfinite(bound) else "no bound on the optimum")
        warnings.warn(
            f"maximum Nash welfare stopped after {why} with {gap}; the allocation may not be "
            "optimal",
            ConvergenceWarning,
            stacklevel=3,
        )
    assert best_owner is not None
    info = {"iterations": it, "converged": converged, "timed_out": timed_out,
            "log_gap": float(max(0.0, bound - best_val)) if np.isfinite(bound) else None,
            "cuts": int(sum(len(c) for c in cut_points))}
    return best_owner, best_val, info


def max_nash_welfare(
    problem: ClaimsProblem, *, max_iter: int = 200, time_limit: float | None = 60.0
) -> Settlement:
    """Integral allocation maximising the product of the parties' values (no money).

    Parameters
    ----------
    problem
        The claims problem.
    max_iter
        Rounds of tangent cuts before giving up with a :class:`ConvergenceWarning`.
    time_limit
        Seconds allowed to all MILP solves of one group of parties together (``None``: no
        limit). When it is reached, the best allocation found is returned with a
        :class:`ConvergenceWarning`, and ``meta["log_gap"]`` bounds how far its log Nash welfare
        can be from the optimum.

    Returns
    -------
    Settlement
        Labelled ``"max-nash-welfare"``; transfers are zero. ``meta["converged"]`` says whether
        optimality was proved.

    Notes
    -----
    As usual (Caragiannis et al., "The unreasonable fairness of maximum Nash welfare", EC 2016),
    when not every party can get positive value, the number of parties with positive value is
    maximised first (a bipartite matching), then the product over them. The product is
    maximised as a sum of logs with a MILP whose log terms are bounded by tangent lines, refined
    at each solution until the bound meets the true value (exact up to 1e-9 in log welfare).
    Values are rescaled per party first (MNW does not change when one party's values are
    multiplied by a constant).
    """
    check_parameters({"time_limit": time_limit}, "max_nash_welfare")
    v = problem.values
    p, m = v.shape
    total = v.sum(axis=1)
    scaled = np.where(total[:, None] > 0, v / np.where(total > 0, total, 1.0)[:, None] * 1e6, 0.0)
    k = _max_positive_set(scaled)
    notes = []
    if k == 0:
        owner = np.zeros(m, dtype=np.int64)
        notes.append("no party values any disputed unit: all units go to the first party")
        info: dict[str, Any] = {"iterations": 0, "converged": True}
        active: list[int] = []
    else:
        if k == p:
            candidates = [list(range(p))]
        else:
            candidates = [
                list(c) for c in itertools.combinations(range(p), k)
                if _max_positive_set(scaled[list(c)]) == k
            ]
            notes.append(
                f"only {k} of {p} parties can hold a unit they value at the same time; "
                "Nash welfare is maximised over the best such group"
            )
        best: tuple[float, NDArray[np.int64], dict[str, Any], list[int]] | None = None
        for cand in candidates:
            o, _, inf = _mnw_milp(scaled, cand, max_iter=max_iter, time_limit=time_limit)
            # compare groups on the values as given: the per-party scaling changes the product
            # by a factor that depends on the group
            held = (v * _onehot(o, p)).sum(axis=1)[cand]
            val = float(np.sum(np.log(held)))
            if best is None or val > best[0]:
                best = (val, o, inf, cand)
        # candidates is never empty: some group of k parties reaches the maximum positive set
        assert best is not None
        _, owner, info, active = best
    return Settlement(
        method="max-nash-welfare",
        problem=problem,
        shares=_onehot(owner, p),
        transfers=np.zeros(p),
        notes=tuple(notes),
        meta={"solver": "HiGHS MILP with tangent cuts on log utility",
              "parties_with_positive_value": [problem.parties[i] for i in active], **info},
    )


# ---------------------------------------------------------------------- envy-free with subsidy
def min_subsidy(problem: ClaimsProblem, *, time_limit: float | None = 60.0) -> Settlement:
    """Envy-free allocation with the smallest total outside subsidy.

    Parameters
    ----------
    problem
        The claims problem; values must be in money (subsidies are added to them).
    time_limit
        Seconds allowed to each of the two MILP solves (``None``: no limit); past it the best
        allocation found is used, with a :class:`ConvergenceWarning` and ``meta["converged"]``
        False.

    Returns
    -------
    Settlement
        Labelled ``"min-subsidy"``; transfers are the subsidies (all >= 0, paid from outside).
        ``within_budget`` says whether they fit the problem's budget.

    Notes
    -----
    One MILP over allocations ``x`` and subsidies ``s >= 0`` minimises ``sum(s)`` subject to
    ``v_i(A_i) + s_i >= v_i(A_k) + s_k`` for every ordered pair; a second one keeps that total and
    maximises the value held (utilitarian welfare). The subsidies reported are then the smallest
    ones for the chosen allocation: the heaviest path from each party in its envy graph (Halpern and
    Shah, "Fair division with subsidy", SAGT 2019), so at least one party gets nothing. Brustle et
    al. ("One dollar each eliminates envy", EC 2020) bound the optimum by ``(p - 1) * max value``.
    """
    check_parameters({"time_limit": time_limit}, "min_subsidy")
    v = problem.values
    p, m = v.shape
    nx = p * m
    nvar = nx + p
    rows, cols, data = [], [], []
    r = 0
    for i in range(p):
        for k in range(p):
            if i == k:
                continue
            # sum_j v_ij x_ij + s_i - sum_j v_ij x_kj - s_k >= 0
            rows += [r] * (2 * m + 2)
            cols += list(range(i * m, (i + 1) * m)) + list(range(k * m, (k + 1) * m))
            cols += [nx + i, nx + k]
            data += v[i].tolist() + (-v[i]).tolist() + [1.0, -1.0]
            r += 1
    a_ef = sparse.csr_matrix((data, (rows, cols)), shape=(r, nvar))
    arow = np.repeat(np.arange(m), p)
    acol = (np.arange(p)[None, :] * m + np.arange(m)[:, None]).ravel()
    a_assign = sparse.csr_matrix((np.ones(nx), (arow, acol)), shape=(m, nvar))
    integrality = np.concatenate([np.ones(nx), np.zeros(p)])
    bounds = Bounds(np.zeros(nvar), np.concatenate([np.ones(nx), np.full(p, np.inf)]))
    opts: dict[str, Any] = {"mip_rel_gap": _MIP_GAP}
    if time_limit is not None:
        opts["time_limit"] = float(time_limit)
    cons = [LinearConstraint(a_assign, 1.0, 1.0)]
    if r:
        cons.append(LinearConstraint(a_ef, 0.0, np.inf))
    c1 = np.concatenate([np.zeros(nx), np.ones(p)])
    res = milp(c1, constraints=cons, integrality=integrality, bounds=bounds, options=opts)
    _check_milp(res, "minimum subsidy")
    best = float(res.fun)
    proved = res.status == 0
    if not proved:
        warnings.warn(
            f"minimum subsidy stopped at the time limit of {time_limit:g} s: the total subsidy "
            f"{best:.6g} may not be the smallest (solver bound {res.mip_dual_bound:.6g})",
            ConvergenceWarning, stacklevel=2)
    scale = max(1.0, float(v.max(initial=0.0)))
    cons2 = [*cons, LinearConstraint(sparse.csr_matrix(c1), -np.inf, best + 1e-7 * scale)]
    c2 = np.concatenate([-v.ravel(), np.zeros(p)])
    res2 = milp(c2, constraints=cons2, integrality=integrality, bounds=bounds, options=opts)
    x = res2.x if res2.x is not None else res.x
    owner = np.round(x[:nx]).reshape(p, m).argmax(axis=0).astype(np.int64)
    subs = minimal_subsidies(v, owner)
    return Settlement(
        method="min-subsidy",
        problem=problem,
        shares=_onehot(owner, p),
        transfers=subs,
        notes=("subsidies are paid from outside (the donor fund)",),
        meta={"solver": "HiGHS MILP", "min_total_subsidy": float(subs.sum()), "converged": proved,
              "bound_brustle": float((p - 1) * v.max(initial=0.0))},
    )


def envy_free_matching_rounds(problem: ClaimsProblem) -> Settlement:
    """Envy-freeable allocation by rounds of maximum-weight matchings, with minimal subsidies.

    Returns
    -------
    Settlement
        Labelled ``"ef-matching-rounds"``; transfers are the minimal subsidies for the allocation.

    Notes
    -----
    Each round matches the parties to the remaining units with maximum total value (one unit per
    party per round). Any permutation of the final bundles permutes every round's matching, so no
    permutation raises welfare and the allocation is envy-freeable (Halpern and Shah 2019). Brustle,
    Dippel, Narayan, Suzuki and Vetta ("One dollar each eliminates envy", EC 2020) show that this
    needs a subsidy of at most ``max value`` per party. Polynomial: use it when the exact
    :func:`min_subsidy` MILP is too slow.
    """
    v = problem.values
    p, m = v.shape
    owner = np.full(m, -1, dtype=np.int64)
    remaining = np.arange(m)
    rounds = 0
    while remaining.size:
        rows, cols = linear_sum_assignment(v[:, remaining], maximize=True)
        owner[remaining[cols]] = rows
        remaining = np.setdiff1d(remaining, remaining[cols])
        rounds += 1
    subs = minimal_subsidies(v, owner)
    return Settlement(
        method="ef-matching-rounds",
        problem=problem,
        shares=_onehot(owner, p),
        transfers=subs,
        notes=("subsidies are paid from outside (the donor fund)",),
        meta={"rounds": rounds, "bound_per_party": float(v.max(initial=0.0))},
    )


# ---------------------------------------------------------------------- budget-balanced transfers
def efeq_transfers(
    problem: ClaimsProblem, owner: NDArray[np.int64] | None = None
) -> Settlement:
    """Budget-balanced transfers that make an allocation envy-free and equitable.

    Parameters
    ----------
    problem
        The claims problem; values in money.
    owner
        ``int[m]`` party holding each unit; by default each unit goes to the party valuing it most
        (ties to the party listed first), which always works for additive values.

    Returns
    -------
    Settlement
        Labelled ``"efeq-transfers"``: everyone ends with the same utility, the mean value held;
        transfers sum to zero.

    Raises
    ------
    InfeasibleError
        When ``owner`` cannot be made envy-free and equitable with budget-balanced transfers.

    Notes
    -----
    Equitability with budget balance fixes the transfers: ``t_i = mean_k v_k(A_k) - v_i(A_i)``.
    Envy-freeness then holds exactly when every bundle is worth at least as much to its holder as to
    anyone else, ``v_k(A_k) >= v_i(A_k)`` (Aziz, "Achieving envy-freeness and equitability with
    monetary transfers", AAAI 2021). Values must be interpersonally comparable (money).
    """
    v = problem.values
    p, m = v.shape
    if owner is None:
        owner = _highest_valuer(v)
    owner = np.asarray(owner, dtype=np.int64)
    if owner.shape != (m,) or owner.min() < 0 or owner.max() >= p:
        raise InputDataError(f"owner must give a party 0..{p - 1} for each of the {m} units")
    vb = v @ _onehot(owner, p).T
    held = np.diag(vb)
    short = vb - held[None, :]  # short[i, k] = v_i(A_k) - v_k(A_k)
    np.fill_diagonal(short, -np.inf)
    if short.max() > 1e-9 * max(1.0, float(v.sum())):
        i, k = np.unravel_index(int(np.argmax(short)), short.shape)
        raise InfeasibleError(
            f"party {problem.parties[i]!r} values the units of {problem.parties[k]!r} more than "
            f"{problem.parties[k]!r} does ({vb[i, k]:.6g} > {held[k]:.6g}), so no budget-balanced "
            "transfers make this allocation envy-free and equitable",
            hint="leave the allocation to the method (each unit to the party valuing it most)",
        )
    t = held.mean() - held
    return Settlement(
        method="efeq-transfers",
        problem=problem,
        shares=_onehot(owner, p),
        transfers=t,
        notes=("transfers are budget-balanced: what some pay, the others receive",),
        meta={"common_utility": float(held.mean())},
    )


def knaster(problem: ClaimsProblem) -> Settlement:
    """Knaster's sealed bids: units to the highest bidder, money to even out fair shares.

    Returns
    -------
    Settlement
        Labelled ``"knaster"``; transfers sum to zero.

    Notes
    -----
    Each party's fair share is its total bid over ``p``. The winner of each unit (ties to the party
    listed first) pays in what it won beyond its fair share, the others draw what they lack, and the
    surplus left is divided equally (H. Steinhaus, "The problem of fair division", Econometrica 16,
    1948, crediting B. Knaster). Every party ends with at least its fair share by its own bids.
    """
    v = problem.values
    p, _ = v.shape
    owner = _highest_valuer(v)
    won = v @ _onehot(owner, p).T
    fair = v.sum(axis=1) / p
    first = fair - np.diag(won)
    surplus = -first.sum()
    t = first + surplus / p
    return Settlement(
        method="knaster",
        problem=problem,
        shares=_onehot(owner, p),
        transfers=t,
        notes=("transfers are budget-balanced: what some pay, the others receive",),
        meta={"fair_share": fair.tolist(), "first_settlement": first.tolist(),
              "surplus": float(surplus), "surplus_each": float(surplus / p)},
    )


# ---------------------------------------------------------------------- a given allocation
def compensate(
    problem: ClaimsProblem,
    owner: NDArray[np.int64],
    *,
    rule: Literal["min-subsidy", "knaster", "efeq"] = "min-subsidy",
) -> Settlement:
    """Money that makes a given allocation acceptable (e.g. a scenario plan's).

    Parameters
    ----------
    problem
        The claims problem; values in money.
    owner
        ``int[m]`` party holding each unit (e.g. from :func:`dayafter.settle.owner_from_plan`).
    rule
        ``"min-subsidy"``: the smallest outside payments that remove all envy (Halpern and Shah
        2019); ``"knaster"``: budget-balanced, every party gets its fair share by its own values
        plus an equal share of the surplus (Knaster's settlement applied to this allocation);
        ``"efeq"``: budget-balanced, envy-free and equitable (Aziz 2021), when possible.

    Returns
    -------
    Settlement
        Labelled ``"compensate-<rule>"``.

    Raises
    ------
    InfeasibleError
        ``"min-subsidy"`` when the allocation is not envy-freeable (some parties would all gain by
        swapping their units round a cycle, so no payment removes envy); ``"efeq"`` when the
        condition of :func:`efeq_transfers` fails.

    Examples
    --------
    A holds u1 and u3, B holds u2. B values A's units at 2 + 4 = 6 and its own at 5: the smallest
    outside payment that removes all envy is 1 to B.

    >>> import numpy as np
    >>> from dayafter.settle import ClaimsProblem
    >>> pr = ClaimsProblem(("A", "B"), ("u1", "u2", "u3"), np.array([[6.0, 1.0, 3.0], [2.0, 5.0, 4.0]]))
    >>> compensate(pr, np.array([0, 1, 0])).transfers.tolist()
    [0.0, 1.0]
    """
    v = problem.values
    p, m = v.shape
    owner = np.asarray(owner, dtype=np.int64)
    if owner.shape != (m,) or (m and (owner.min() < 0 or owner.max() >= p)):
        raise InputDataError(f"owner must give a party 0..{p - 1} for each of the {m} units")
    if rule == "efeq":
        s = efeq_transfers(problem, owner)
        return Settlement("compensate-efeq", problem, s.shares, s.transfers, s.notes, s.meta)
    held = np.diag(v @ _onehot(owner, p).T)
    if rule == "min-subsidy":
        subs = minimal_subsidies(v, owner)
        if np.isinf(subs).any():
            raise InfeasibleError(
                "no outside payment makes this allocation envy-free: some parties would all gain "
                "by passing their units round a cycle (Halpern and Shah 2019)",
                hint="use --rule knaster, or let a method choose the allocation",
            )
        return Settlement("compensate-min-subsidy", problem, _onehot(owner, p), subs,
                          notes=("payments come from outside (the donor fund)",),
                          meta={"total": float(subs.sum())})
    if rule == "knaster":
        fair = v.sum(axis=1) / p
        first = fair - held
        surplus = -first.sum()
        t = first + surplus / p
        notes = ["transfers are budget-balanced: what some pay, the others receive"]
        if surplus < 0:
            notes.append("the allocation is worth less than the parties' fair shares together: "
                         "each party ends below its fair share by the same amount")
        return Settlement("compensate-knaster", problem, _onehot(owner, p), t, notes=tuple(notes),
                          meta={"fair_share": fair.tolist(), "surplus": float(surplus)})
    raise ConfigError(f"unknown compensation rule {rule!r}",
                      hint="use 'min-subsidy', 'knaster' or 'efeq'")


# ---------------------------------------------------------------------- Adjusted Winner
def _frac(x: float) -> Fraction:
    return Fraction(repr(float(x)))


def adjusted_winner(
    problem: ClaimsProblem, *, split: Literal["shared", "money"] = "shared"
) -> Settlement:
    """Brams and Taylor's Adjusted Winner for two parties, computed in exact fractions.

    Parameters
    ----------
    problem
        Two parties; each party's values are normalised to 100 points.
    split
        ``"shared"``: the one unit that has to be split is reported as shared administration with
        each party's fraction. ``"money"``: it goes whole to the party holding the larger fraction,
        which pays the other the other's points for the fraction it gives up (this reads points
        as money, so it presumes the points were set from monetary valuations).

    Returns
    -------
    Settlement
        Labelled ``"adjusted-winner"`` on the problem in points. The exact split fraction and the
        final points are in ``meta`` as fraction strings.

    Notes
    -----
    Winner phase: each unit to the party giving it more points; a tied unit goes to the party with
    fewer points from the untied units (to the first party if equal). Adjusting phase: the party
    ahead gives units to the other in increasing order of the ratio of its points to the other's,
    splitting the first unit that would overshoot, so both end with equal points. The result is
    envy-free, equitable and efficient (S. J. Brams and A. D. Taylor, *Fair Division*, 1996).
    """
    if problem.n_parties != 2:
        raise ConfigError(
            f"Adjusted Winner needs exactly two parties, got {problem.n_parties}",
            hint="use max-nash-welfare, min-subsidy or knaster for more parties",
        )
    check_parameters({"split": split}, "adjusted_winner")
    v = problem.values
    m = v.shape[1]
    raw = [[_frac(x) for x in row] for row in v]
    pts: list[list[Fraction]] = []
    for i, row in enumerate(raw):
        tot = sum(row, Fraction(0))
        if tot == 0:
            raise InputDataError(f"party {problem.parties[i]!r} gives no points to any unit",
                                 hint="give each party positive points")
        pts.append([100 * x / tot for x in row])
    notes = []
    if any(sum(r, Fraction(0)) != 100 for r in raw):
        notes.append("values were normalised to 100 points per party")
    share: list[Fraction] = [Fraction(0)] * m  # fraction held by party 0
    tied = []
    untied = [Fraction(0), Fraction(0)]
    for j in range(m):
        if pts[0][j] > pts[1][j]:
            share[j] = Fraction(1)
            untied[0] += pts[0][j]
        elif pts[0][j] < pts[1][j]:
            untied[1] += pts[1][j]
        else:
            tied.append(j)
    tie_to = 1 if untied[1] < untied[0] else 0
    for j in tied:
        share[j] = Fraction(1) if tie_to == 0 else Fraction(0)
    if tied:
        notes.append(
            f"tied units {[problem.unit_ids[j] for j in tied]} went first to "
            f"{problem.parties[tie_to]!r}, which had fewer points from the untied units"
        )
    total = [sum((pts[0][j] * share[j] for j in range(m)), Fraction(0)),
             sum((pts[1][j] * (1 - share[j]) for j in range(m)), Fraction(0))]
    split_unit: int | None = None
    if total[0] != total[1]:
        lead = 0 if total[0] > total[1] else 1
        other = 1 - lead
        held = [j for j in range(m) if (share[j] == 1) == (lead == 0)]

        def ratio(j: int) -> tuple[int, Fraction]:
            if pts[other][j] == 0:
                return (1, Fraction(0)) if pts[lead][j] > 0 else (0, Fraction(1))
            return (0, pts[lead][j] / pts[other][j])

        for j in sorted(held, key=lambda j: (ratio(j), j)):
            gain_other, loss_lead = pts[other][j], pts[lead][j]
            if total[lead] - loss_lead >= total[other] + gain_other:
                share[j] = Fraction(1) - share[j]
                total[lead] -= loss_lead
                total[other] += gain_other
                if total[lead] == total[other]:
                    break
            else:
                f = (total[lead] - total[other]) / (loss_lead + gain_other)
                total[lead] -= f * loss_lead
                total[other] += f * gain_other
                share[j] = (1 - f) if lead == 0 else f
                split_unit = j
                break
    shares = np.array([[float(s) for s in share], [float(1 - s) for s in share]])
    transfers = np.zeros(2)
    meta: dict[str, Any] = {"points_after": [str(total[0]), str(total[1])],
                            "points_after_float": [float(total[0]), float(total[1])]}
    pts_problem = ClaimsProblem(problem.parties, problem.unit_ids,
                                np.array([[float(x) for x in r] for r in pts]),
                                budget=problem.budget, value_unit="points", meta=problem.meta)
    if split_unit is not None:
        sid = problem.unit_ids[split_unit]
        s0 = share[split_unit]
        meta.update(split_unit=sid, split_shares={problem.parties[0]: str(s0),
                                                  problem.parties[1]: str(1 - s0)})
        if split == "money":
            keeper = 0 if s0 >= Fraction(1, 2) else 1
            giver_share = (1 - s0) if keeper == 0 else s0
            pay = giver_share * pts[1 - keeper][split_unit]
            shares[:, split_unit] = 0.0
            shares[keeper, split_unit] = 1.0
            transfers[keeper] -= float(pay)
            transfers[1 - keeper] += float(pay)
            meta["split_payment"] = str(pay)
            notes.append(
                f"split unit {sid} goes whole to {problem.parties[keeper]!r}, which pays "
                f"{float(pay):.6g} points to {problem.parties[1 - keeper]!r}"
            )
        else:
            notes.append(
                f"unit {sid} is split: shared administration, {problem.parties[0]!r} "
                f"{float(s0):.4f}, {problem.parties[1]!r} {float(1 - s0):.4f}"
            )
    return Settlement(method="adjusted-winner", problem=pts_problem, shares=shares,
                      transfers=transfers, notes=tuple(notes), meta=meta)


# ---------------------------------------------------------------------- dispatch
METHODS: dict[str, Callable[[ClaimsProblem], Settlement]] = {
    "max-nash-welfare": max_nash_welfare,
    "min-subsidy": min_subsidy,
    "ef-matching-rounds": envy_free_matching_rounds,
    "efeq-transfers": efeq_transfers,
    "adjusted-winner": adjusted_winner,
    "knaster": knaster,
}
"""Method label to function; every label appears in the output of its method."""


def settle(problem: ClaimsProblem, method: str, **options: Any) -> Settlement:
    """Run the settlement method called ``method`` (a key of :data:`METHODS`).

    Parameters
    ----------
    problem
        The claims problem: each party's value of each disputed unit.
    method
        A key of :data:`METHODS` (``"knaster"``, ``"max-nash-welfare"``, ...).
    **options
        Passed to the method.

    Returns
    -------
    Settlement

    Raises
    ------
    ConfigError
        An unknown method (the hint lists the known ones).

    Examples
    --------
    Knaster's procedure gives each unit to its highest valuer and balances the money so that each
    party gets its fair share plus an equal part of the surplus:

    >>> import numpy as np
    >>> from dayafter.settle import ClaimsProblem
    >>> pr = ClaimsProblem(("A", "B"), ("u1", "u2", "u3"), np.array([[6.0, 1.0, 3.0], [2.0, 5.0, 4.0]]))
    >>> s = settle(pr, "knaster")
    >>> s.shares.argmax(axis=0).tolist(), s.transfers.tolist()
    ([0, 1, 1], [1.25, -1.25])
    """
    try:
        fn = METHODS[method]
    except KeyError:
        raise ConfigError(f"unknown settlement method {method!r}",
                          hint=f"use one of {sorted(METHODS)}") from None
    return fn(problem, **options)
