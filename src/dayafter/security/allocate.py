"""Force requirements per unit and the linear program that allocates forces to units."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.optimize import linprog

from dayafter.errors import ConfigError, InfeasibleError, InputDataError, first_ids
from dayafter.security.forces import ForceCatalog
from dayafter.validation import Interval, validate_params

if TYPE_CHECKING:
    from dayafter.plan import Plan
    from dayafter.territory import Territory

__all__ = [
    "DEFAULT_PER_1000",
    "SecurityAssessment",
    "acceptance_shares",
    "allocate_forces",
    "force_requirement",
    "requirement_sensitivity",
]

DEFAULT_PER_1000 = 20.0
"""Security personnel per 1,000 residents: Quinlivan (RAND, 1995) and FM 3-24 para 1-67 [P01, P03]."""

ALLOWED = ""
SHARE_RULE = "min_accept_share"


def _per_unit(territory: Territory, x: ArrayLike | Mapping[str, float] | None,
              what: str) -> NDArray[np.float64]:
    n = territory.n_units
    if x is None:
        return np.ones(n)
    if isinstance(x, Mapping):
        out = np.ones(n)
        idx = territory.index(list(x), source=what)
        out[idx] = np.array([float(v) for v in x.values()])
    else:
        out = np.asarray(x, dtype=np.float64)
        if out.shape != (n,):
            raise InputDataError(f"{what} need one value per unit ({n}), got shape {out.shape}")
    if not np.isfinite(out).all() or (out < 0).any():
        raise InputDataError(f"{what} must be finite and >= 0")
    return out


def force_requirement(
    territory: Territory,
    *,
    census: str | None = None,
    per_1000: float = DEFAULT_PER_1000,
    threat: ArrayLike | Mapping[str, float] | None = None,
    urban: ArrayLike | Mapping[str, float] | None = None,
) -> NDArray[np.float64]:
    """Security personnel each unit needs.

    ``requirement = population / 1000 * per_1000 * threat * urban``.

    Parameters
    ----------
    territory
        The territory.
    census
        Census giving the population (the first one when ``None``).
    per_1000
        Personnel per 1,000 residents: 20 by default (Quinlivan; FM 3-24), 10-40 as a
        sensitivity range.
    threat, urban
        Optional multipliers, per unit (array in unit order, or ``{unit_id: factor}`` with 1 for
        units not listed).

    Returns
    -------
    ndarray
        ``float64[n]`` personnel.
    """
    if not np.isfinite(per_1000) or per_1000 < 0:
        raise ConfigError(f"per_1000 must be >= 0, got {per_1000}",
                          hint="pass --per-1000 in the 10-40 range (20 is the FM 3-24 benchmark)")
    pop = territory.population(census)
    return (pop / 1000.0 * float(per_1000) * _per_unit(territory, threat, "threat multipliers")
            * _per_unit(territory, urban, "urban multipliers"))


def acceptance_shares(
    territory: Territory, catalog: ForceCatalog, *, census: str | None = None
) -> tuple[NDArray[np.float64], NDArray[np.object_]]:
    """Share of each unit's population that accepts each force, and why a pair is barred.

    Returns
    -------
    shares
        ``float64[F, n]``: population share of the communities accepting force ``f`` in unit ``u``
        (0 for empty units).
    reason
        ``object[F, n]``: ``""`` where force ``f`` may serve unit ``u``; otherwise
        ``"min_accept_share"`` or the id of the unit rule that bars it.
    """
    table = territory.census(census)
    pop = table.sum(axis=1)
    acc = catalog.effective_acceptance(territory.communities)
    nf, n = len(catalog.forces), territory.n_units
    shares = np.zeros((nf, n))
    reason = np.full((nf, n), ALLOWED, dtype=object)
    ids = territory.unit_ids.tolist()
    for fi, f in enumerate(catalog.forces):
        cols = [territory.community_index(c) for c in sorted(acc[f.key][0])]
        num = table[:, cols].sum(axis=1) if cols else np.zeros(n)
        shares[fi] = np.divide(num, pop, out=np.zeros(n), where=pop > 0)
        thr = catalog.min_accept_share if f.min_share is None else f.min_share
        reason[fi, shares[fi] < thr - 1e-12] = SHARE_RULE
    for r in catalog.rules:
        if r.kind not in ("exclude_units", "only_units"):
            continue
        hit = np.array([r.matches_unit(u) for u in ids])
        barred = hit if r.kind == "exclude_units" else ~hit
        for k in r.forces:
            fi = catalog.keys.index(k)
            row = reason[fi]
            row[barred & (row == ALLOWED)] = r.id
    return shares, reason


@dataclass(frozen=True, eq=False)
class SecurityAssessment:
    """Result of :func:`allocate_forces`.

    Attributes
    ----------
    unit_ids, forces
        Units (territory order) and force keys (catalog order).
    requirement
        ``float64[n]`` personnel needed per unit.
    allocation
        ``float64[F, n]`` personnel of each force placed in each unit.
    shortfall
        ``float64[n]`` requirement not covered.
    weights
        ``float64[n]`` weight of a unit's shortfall in the objective.
    acceptance
        ``float64[F, n]`` share of each unit's population accepting each force.
    reason
        ``object[F, n]`` why a force may not serve a unit (``""`` where it may).
    strength_price
        ``float64[F]``: drop in weighted shortfall per extra member of each force (LP dual of its
        strength); positive means the force's strength binds.
    unit_price
        ``float64[n]``: rise in weighted shortfall per extra person of requirement in each unit.
    bound_price
        ``float64[F, n]``: drop in weighted shortfall per person force ``f`` could add in ``u``
        if the bound on that pair (a barring rule, or the force's cap) were relaxed.
    objective
        Weighted shortfall at the optimum.
    """

    unit_ids: NDArray[np.object_]
    forces: tuple[str, ...]
    force_names: tuple[str, ...]
    strength: NDArray[np.float64]
    requirement: NDArray[np.float64]
    allocation: NDArray[np.float64]
    shortfall: NDArray[np.float64]
    weights: NDArray[np.float64]
    acceptance: NDArray[np.float64]
    reason: NDArray[np.object_]
    capped: NDArray[np.bool_]
    strength_price: NDArray[np.float64]
    unit_price: NDArray[np.float64]
    bound_price: NDArray[np.float64]
    objective: float
    rule_sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule_sources", MappingProxyType(dict(self.rule_sources)))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))

    @property
    def covered(self) -> NDArray[np.float64]:
        """Requirement covered in each unit."""
        return self.allocation.sum(axis=0)

    @property
    def used(self) -> NDArray[np.float64]:
        """Personnel of each force placed."""
        return self.allocation.sum(axis=1)

    @property
    def total_shortfall(self) -> float:
        """Unweighted personnel short over all units."""
        return float(self.shortfall.sum())

    @property
    def allowed(self) -> NDArray[np.bool_]:
        """``bool[F, n]``: force ``f`` may serve unit ``u``."""
        return self.reason == ALLOWED

    def zero_capacity_units(self) -> list[dict[str, Any]]:
        """Units with a requirement that no force may serve, each with the reason per force."""
        need = self.requirement > 0
        none = need & ~self.allowed.any(axis=0)
        out = []
        for u in np.flatnonzero(none):
            best = int(np.argmax(self.acceptance[:, u]))
            out.append({
                "unit_id": self.unit_ids[u],
                "requirement": float(self.requirement[u]),
                "barred_by": {self.forces[f]: self.reason[f, u] for f in range(len(self.forces))},
                "best_acceptance": {"force": self.forces[best],
                                    "share": float(self.acceptance[best, u])},
            })
        return out

    def binding_rules(self, tol: float = 1e-9) -> list[dict[str, Any]]:
        """Rules and caps whose relaxation would lower the weighted shortfall (positive duals).

        One row per (rule, force): the units where it binds and the largest and summed price.
        Also one row per force whose strength binds (rule ``"strength"``).
        """
        rows = []
        for f, key in enumerate(self.forces):
            if self.strength_price[f] > tol:
                rows.append({"rule": "strength", "force": key, "price": float(self.strength_price[f]),
                             "units": [], "sources": []})
        groups: dict[tuple[str, str], list[int]] = {}
        bp = self.bound_price
        for f, u in zip(*np.nonzero(bp > tol), strict=True):
            why = self.reason[f, u] if self.reason[f, u] != ALLOWED else "max_share"
            groups.setdefault((str(why), self.forces[f]), []).append(int(u))
        for (why, key), units in sorted(groups.items()):
            f = self.forces.index(key)
            prices = bp[f, units]
            rows.append({"rule": why, "force": key, "price": float(prices.max()),
                         "price_sum": float(prices.sum()),
                         "units": [str(self.unit_ids[u]) for u in units],
                         "sources": list(self.rule_sources.get(why, ()))})
        return rows

    def by_region(self, plan: Plan) -> list[dict[str, Any]]:
        """Requirement, coverage, shortfall and each force's personnel per region of ``plan``."""
        if plan.n_units != self.unit_ids.size:
            raise InputDataError("the plan and the assessment have different numbers of units")
        a = plan.assignment
        k = plan.k
        lab = np.where(a >= 0, a, k)

        def tally(x: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.bincount(lab, weights=x, minlength=k + 1)

        req, cov, sho = tally(self.requirement), tally(self.covered), tally(self.shortfall)
        per_force = np.array([tally(row) for row in self.allocation])
        names = [*plan.region_names, "(unassigned)"]
        auth = [r.authority for r in plan.regions] + [""]
        rows = []
        for j in range(k + 1):
            if j == k and not np.any(a < 0):
                continue
            rows.append({"region": names[j], "authority": auth[j], "requirement": float(req[j]),
                         "covered": float(cov[j]), "shortfall": float(sho[j]),
                         "forces": {key: float(per_force[f, j])
                                    for f, key in enumerate(self.forces) if per_force[f, j] > 0}})
        return rows

    def to_dict(self, *, units: bool = True) -> dict[str, Any]:
        """JSON-ready summary."""
        out: dict[str, Any] = {
            "requirement_total": float(self.requirement.sum()),
            "covered_total": float(self.covered.sum()),
            "shortfall_total": self.total_shortfall,
            "weighted_shortfall": self.objective,
            "forces": [
                {"force": k, "name": n, "strength": float(s), "used": float(u),
                 "spare": float(s - u), "strength_price": float(p)}
                for k, n, s, u, p in zip(self.forces, self.force_names, self.strength, self.used,
                                         self.strength_price, strict=True)
            ],
            "binding": self.binding_rules(),
            "zero_capacity_units": self.zero_capacity_units(),
            "meta": dict(self.meta),
        }
        if units:
            out["units"] = [
                {"unit_id": str(uid), "requirement": float(self.requirement[u]),
                 "covered": float(self.covered[u]), "shortfall": float(self.shortfall[u]),
                 "forces": {k: float(self.allocation[f, u]) for f, k in enumerate(self.forces)
                            if self.allocation[f, u] > 0},
                 "barred": {k: str(self.reason[f, u]) for f, k in enumerate(self.forces)
                            if self.reason[f, u] != ALLOWED}}
                for u, uid in enumerate(self.unit_ids)
            ]
        return out


@validate_params({"census": [str, None],
                  "per_1000": [Interval(Real, 0, None, closed="left")],
                  "require_full": ["boolean"], "balance": ["boolean"]})
def allocate_forces(
    territory: Territory,
    catalog: ForceCatalog,
    *,
    census: str | None = None,
    requirement: NDArray[np.float64] | None = None,
    per_1000: float = DEFAULT_PER_1000,
    weights: ArrayLike | Mapping[str, float] | None = None,
    require_full: bool = False,
    balance: bool = True,
) -> SecurityAssessment:
    """Allocate forces to units, minimising the weighted shortfall, by linear programming.

    Parameters
    ----------
    territory
        The territory.
    catalog
        Forces and acceptability rules.
    census
        Census for populations and acceptance shares.
    requirement
        Personnel needed per unit; default :func:`force_requirement` at ``per_1000``.
    per_1000
        Used when ``requirement`` is not given.
    weights
        Weight of each unit's shortfall (default 1: every person short counts the same).
    require_full
        Raise :class:`InfeasibleError` unless every requirement can be covered.
    balance
        Among allocations with the least weighted shortfall, pick one that minimises the largest
        uncovered share of any unit's requirement (a second LP), so gaps are spread rather than
        left wherever the solver put them. The prices always come from the first LP.

    Returns
    -------
    SecurityAssessment
        Allocation, shortfall and the dual values that show which constraint binds.

    Raises
    ------
    InfeasibleError
        With ``require_full``, when some requirement cannot be met; the message names units no
        force may serve and the binding rules.

    Notes
    -----
    Variables ``x[f, u] >= 0`` and shortfall ``s[u] >= 0``; minimise ``sum_u w_u s_u`` subject to
    ``sum_u x[f, u] <= strength_f`` and ``sum_f x[f, u] + s_u = r_u``; a capped pair has the upper
    bound ``max_share * r_u``. Units with the same allowed forces and weight are interchangeable,
    so the LP is solved for such groups (at most ``n``, usually far fewer) and each group's
    allocation and shortfall are shared in proportion to requirement; this is exact, and within a
    group every unit is covered to the same share. Only the pairs a force may serve are
    variables. A rule is priced by the reduced cost a barred pair would have (from the row duals),
    a cap by the dual of its bound. Solved with HiGHS (:func:`scipy.optimize.linprog`).
    """
    n = territory.n_units
    r = (force_requirement(territory, census=census, per_1000=per_1000)
         if requirement is None else np.asarray(requirement, dtype=np.float64))
    if r.shape != (n,) or not np.isfinite(r).all() or (r < 0).any():
        raise InputDataError(f"requirement must be {n} finite values >= 0")
    w = _per_unit(territory, weights, "shortfall weights")
    shares, reason = acceptance_shares(territory, catalog, census=census)
    nf = len(catalog.forces)
    strength = np.array([f.strength for f in catalog.forces], dtype=np.float64)
    allowed = reason == ALLOWED
    cap_share = np.array([1.0 if f.max_share is None else min(1.0, f.max_share)
                          for f in catalog.forces])
    capped = allowed & (cap_share[:, None] < 1.0) & (r[None, :] > 0)
    # Units with the same allowed forces and the same weight are interchangeable: solve for
    # groups of them, then share each group's allocation in proportion to requirement.
    keys = np.column_stack([allowed.T.astype(np.float64), w])
    group = np.asarray(np.unique(keys, axis=0, return_inverse=True)[1]).ravel()
    first = np.unique(group, return_index=True)[1]
    ng = first.size
    req_g = np.bincount(group, weights=r, minlength=ng)
    w_g = w[first]
    gf, gg = np.nonzero(allowed[:, first])
    nx = gf.size
    nv = nx + ng
    c = np.concatenate([np.zeros(nx), w_g])
    a_ub = sparse.csr_matrix((np.ones(nx), (gf, np.arange(nx))), shape=(nf, nv))
    rows = np.concatenate([gg, np.arange(ng)])
    a_eq = sparse.csr_matrix((np.ones(nv), (rows, np.arange(nv))), shape=(ng, nv))
    bounds = np.column_stack([np.zeros(nv), np.concatenate([cap_share[gf] * req_g[gg], req_g])])
    res = linprog(c, A_ub=a_ub, b_ub=strength, A_eq=a_eq, b_eq=req_g, bounds=bounds,
                  method="highs")
    if res.status != 0:
        raise InfeasibleError(f"the force allocation LP failed (HiGHS: {res.message})",
                              hint="check strengths and requirements for huge or odd values")
    sol = res.x
    balanced = False
    if balance and res.fun > 1e-9 and np.any(req_g > 0):
        sol2 = _balance(c, a_ub, strength, a_eq, req_g, bounds, float(res.fun), nx, ng)
        if sol2 is not None:
            sol, balanced = sol2, True
    xg = np.zeros((nf, ng))
    xg[gf, gg] = np.where(sol[:nx] < 1e-9, 0.0, sol[:nx])
    share = np.divide(r, req_g[group], out=np.zeros(n), where=req_g[group] > 0)
    x = xg[:, group] * share[None, :]
    s = np.clip(sol[nx:nv], 0.0, None)[group] * share
    lam = np.asarray(res.ineqlin.marginals)  # d(objective) / d(strength), <= 0
    mu = np.asarray(res.eqlin.marginals)[group]  # d(objective) / d(requirement), per unit
    strength_price = -lam
    unit_price = mu
    # a pair barred by a rule: one person of f in u would change the objective by its reduced
    # cost -(lam_f + mu_u); a capped pair: the marginal HiGHS reports on its group's bound
    bound_price = np.where(~allowed & (r[None, :] > 0), lam[:, None] + mu[None, :], 0.0)
    cap_g = np.zeros((nf, ng))
    cap_g[gf, gg] = -np.asarray(res.upper.marginals[:nx])
    bound_price = np.where(capped, cap_g[:, group], bound_price)
    assessment = SecurityAssessment(
        unit_ids=territory.unit_ids,
        forces=tuple(catalog.keys),
        force_names=tuple(f.name for f in catalog.forces),
        strength=strength,
        requirement=r,
        allocation=x,
        shortfall=s,
        weights=w,
        acceptance=shares,
        reason=reason,
        capped=capped,
        strength_price=np.clip(strength_price, 0.0, None),
        unit_price=unit_price,
        bound_price=np.clip(bound_price, 0.0, None),
        objective=float(res.fun),
        rule_sources={SHARE_RULE: (), **{ru.id: ru.sources for ru in catalog.rules}},
        meta={"census": census or territory.census_names[0], "per_1000": per_1000
              if requirement is None else None, "min_accept_share": catalog.min_accept_share,
              "solver": "HiGHS LP", "catalog": catalog.name, "balanced": balanced},
    )
    if require_full and assessment.total_shortfall > 1e-6 * max(1.0, float(r.sum())):
        _explain_infeasible(assessment)
    return assessment


def _balance(c: NDArray[np.float64], a_ub: sparse.csr_matrix, strength: NDArray[np.float64],
             a_eq: sparse.csr_matrix, r: NDArray[np.float64], bounds: NDArray[np.float64],
             best: float, nx: int, n: int) -> NDArray[np.float64] | None:
    # nx: number of pair variables; the shortfall variables follow them
    """Keep the weighted shortfall at its optimum and minimise the largest uncovered share."""
    nv = nx + n
    # variables [x, s, z]: minimise z with s_u - r_u z <= 0 and c.s <= best (1 + 1e-9)
    c2 = np.zeros(nv + 1)
    c2[-1] = 1.0
    pos = np.flatnonzero(r > 0)
    ratio = sparse.csr_matrix(
        (np.concatenate([np.ones(pos.size), -r[pos]]),
         (np.concatenate([np.arange(pos.size), np.arange(pos.size)]),
          np.concatenate([nx + pos, np.full(pos.size, nv)]))),
        shape=(pos.size, nv + 1))
    obj_row = sparse.csr_matrix(np.concatenate([c, [0.0]])[None, :])
    a_ub2 = sparse.vstack([sparse.hstack([a_ub, sparse.csr_matrix((a_ub.shape[0], 1))]),
                           ratio, obj_row]).tocsr()
    b_ub2 = np.concatenate([strength, np.zeros(pos.size), [best * (1 + 1e-9) + 1e-9]])
    a_eq2 = sparse.hstack([a_eq, sparse.csr_matrix((n, 1))]).tocsr()
    bounds2 = np.vstack([bounds, [0.0, 1.0]])
    res = linprog(c2, A_ub=a_ub2, b_ub=b_ub2, A_eq=a_eq2, b_eq=r, bounds=bounds2, method="highs")
    return None if res.status != 0 else res.x[:nv]


def _explain_infeasible(a: SecurityAssessment) -> None:
    zero = a.zero_capacity_units()
    short_ids = [str(u) for u in a.unit_ids[a.shortfall > 1e-9]]
    parts = [f"{a.total_shortfall:,.0f} of {a.requirement.sum():,.0f} required personnel cannot "
             f"be provided in {len(short_ids)} units ({first_ids(short_ids)})"]
    if zero:
        parts.append(f"{len(zero)} of them have no acceptable force at all "
                     f"({first_ids([z['unit_id'] for z in zero])})")
    if a.strength.sum() < a.requirement.sum():
        parts.append(f"total strength {a.strength.sum():,.0f} is below the requirement")
    bind = [f"{b['rule']}/{b['force']}" for b in a.binding_rules()[:5]]
    if bind:
        parts.append("binding: " + ", ".join(bind))
    raise InfeasibleError(
        "; ".join(parts), unit_ids=short_ids,
        hint="lower per_1000, add forces, lower the acceptance share or drop a rule",
    )


def requirement_sensitivity(
    territory: Territory,
    catalog: ForceCatalog,
    *,
    census: str | None = None,
    per_1000_values: Sequence[float] = (10.0, 20.0, 25.0, 30.0, 40.0),
    weights: ArrayLike | Mapping[str, float] | None = None,
    threat: ArrayLike | Mapping[str, float] | None = None,
    urban: ArrayLike | Mapping[str, float] | None = None,
) -> list[dict[str, float]]:
    """Total requirement, coverage and shortfall for several force ratios (10-40 per 1,000).

    The multipliers are those of :func:`force_requirement`; each ratio is one LP (no balancing).
    """
    out = []
    for k in per_1000_values:
        req = force_requirement(territory, census=census, per_1000=float(k), threat=threat,
                                urban=urban)
        a = allocate_forces(territory, catalog, census=census, requirement=req, weights=weights,
                            balance=False)
        out.append({"per_1000": float(k), "requirement": float(a.requirement.sum()),
                    "covered": float(a.covered.sum()), "shortfall": a.total_shortfall,
                    "units_short": int((a.shortfall > 1e-9).sum())})
    return out
