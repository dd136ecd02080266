"""Force requirements per unit and the linear program that allocates forces to units.

The allocation follows the plan: rules may read each unit's control (the plan's control layer),
pooled forces need acceptance by the communities of a unit and no veto by any of them, local
police serve the unit they are recruited from, and community forces cover only their own people.
The result says which force covers which unit and why each unused force is unused.
"""

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
    "reason_text",
    "requirement_sensitivity",
    "rule_values",
    "threshold_sensitivity",
]

DEFAULT_PER_1000 = 20.0
"""Security personnel per 1,000 residents: Quinlivan (RAND, 1995) and FM 3-24 para 1-67 [P01, P03]."""

ALLOWED = ""
SHARE_RULE = "min_accept_share"
VETO = "veto:"
NO_COMMUNITY = "no_community"
NO_RECRUITS = "no_recruits"
_TOL = 1e-9


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


def _units(k: int) -> str:
    return f"{k} unit" if k == 1 else f"{k} units"


def _table(territory: Territory, census: str | None,
           census_table: ArrayLike | None) -> NDArray[np.float64]:
    """The ``(n, g)`` population table: a census of the territory, or an array (a census draw)."""
    if census_table is None:
        return territory.census(census)
    tab = np.asarray(census_table, dtype=np.float64)
    if tab.shape != (territory.n_units, territory.n_communities):
        raise InputDataError(
            f"census_table has shape {tab.shape}, expected (units, communities) = "
            f"({territory.n_units}, {territory.n_communities})")
    if not np.isfinite(tab).all() or (tab < 0).any():
        raise InputDataError("census_table must be finite and >= 0")
    return tab


def force_requirement(
    territory: Territory,
    *,
    census: str | None = None,
    per_1000: float = DEFAULT_PER_1000,
    threat: ArrayLike | Mapping[str, float] | None = None,
    urban: ArrayLike | Mapping[str, float] | None = None,
    census_table: ArrayLike | None = None,
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
    census_table
        ``float64[n, g]`` population to use instead of ``census`` (e.g. one census draw).

    Returns
    -------
    ndarray
        ``float64[n]`` personnel.

    Examples
    --------
    >>> import numpy as np
    >>> from dayafter.graph import UnitGraph
    >>> from dayafter.territory import Territory
    >>> t = Territory.from_arrays(["a", "b"], ["x"], {"now": np.array([[1000.0], [500.0]])},
    ...                           UnitGraph.from_edges(2, [0], [1]))
    >>> force_requirement(t).tolist()
    [20.0, 10.0]
    """
    if not np.isfinite(per_1000) or per_1000 < 0:
        raise ConfigError(f"per_1000 must be >= 0, got {per_1000}",
                          hint="pass --per-1000 in the 10-40 range (20 is the FM 3-24 benchmark)")
    pop = _table(territory, census, census_table).sum(axis=1)
    req: NDArray[np.float64] = (pop / 1000.0 * float(per_1000)
                                * _per_unit(territory, threat, "threat multipliers")
                                * _per_unit(territory, urban, "urban multipliers"))
    return req


def _control_labels(territory: Territory, catalog: ForceCatalog,
                    plan: Plan | None) -> NDArray[np.object_] | None:
    if plan is None:
        if catalog.needs_control:
            ids = [r.id for r in catalog.rules if r.needs_control]
            raise ConfigError(
                f"rules {ids} depend on who controls each unit, and no plan was given",
                hint="pass the plan (its control layer says who holds each unit)")
        return None
    if plan.n_units != territory.n_units:
        raise InputDataError(f"plan {plan.name!r} has {plan.n_units} units, the territory "
                             f"{territory.n_units}", hint="use a plan of this territory")
    return plan.control_of_units()


@dataclass(frozen=True)
class _Barring:
    shares: NDArray[np.float64]  # [F, n] accepting share (pooled), community share, recruit share
    reason: NDArray[np.object_]  # [F, n]
    cap: NDArray[np.float64]  # [F, n] most force f may place in u (inf: no cap but the requirement)
    recruitable: NDArray[np.float64]  # [F] local forces: recruits over all units
    recruits: NDArray[np.float64]  # [F, n] local forces: recruits per unit


def _barring(territory: Territory, catalog: ForceCatalog, table: NDArray[np.float64],
             r: NDArray[np.float64], control: NDArray[np.object_] | None) -> _Barring:
    """Acceptance shares, the reason each (force, unit) pair is barred, and per-pair caps."""
    comms = territory.communities
    n, g = table.shape
    pop = table.sum(axis=1)
    s = np.divide(table, pop[:, None], out=np.zeros_like(table), where=pop[:, None] > 0)
    largest = np.where(pop > 0, np.argmax(table, axis=1), -1)
    acc = catalog.effective_acceptance(comms)
    nf = len(catalog.forces)
    shares = np.zeros((nf, n))
    reason = np.full((nf, n), ALLOWED, dtype=object)
    cap = np.full((nf, n), np.inf)
    recruitable = np.zeros(nf)
    recruits_fu = np.zeros((nf, n))
    ids = territory.unit_ids.tolist()
    cidx = {c: i for i, c in enumerate(comms)}
    for fi, f in enumerate(catalog.forces):
        # rules first, in catalog order: the first one that bars a pair names it
        for rule in catalog.rules:
            if f.key not in rule.forces or rule.kind in ("not_accepted_by", "accepted_only_by"):
                continue
            if rule.kind in ("exclude_units", "only_units"):
                hit = np.array([rule.matches_unit(u) for u in ids], dtype=bool)
                barred = hit if rule.kind == "exclude_units" else ~hit
            elif rule.kind in ("only_control", "exclude_control"):
                assert control is not None
                inside = np.isin(control, list(rule.control))
                barred = inside if rule.kind == "exclude_control" else ~inside
            else:  # not_where_plurality
                lab = [cidx[c] for c in rule.communities]
                barred = np.isin(largest, lab)
            row = reason[fi]
            row[barred & (row == ALLOWED)] = rule.id
        if f.kind == "pooled":
            cols = [cidx[c] for c in sorted(acc[f.key][0])]
            shares[fi] = s[:, cols].sum(axis=1) if cols else 0.0
            if catalog.veto_share is not None:
                rej = [j for j in range(g) if comms[j] not in acc[f.key][0]]
                if rej:
                    top = np.argmax(s[:, rej], axis=1)
                    vetoed = s[np.arange(n), np.asarray(rej)[top]] > catalog.veto_share + 1e-12
                    row = reason[fi]
                    for u in np.flatnonzero(vetoed & (row == ALLOWED)):
                        row[u] = VETO + comms[rej[int(top[u])]]
            thr = catalog.min_accept_share if f.min_share is None else f.min_share
            row = reason[fi]
            row[(shares[fi] < thr - 1e-12) & (row == ALLOWED)] = SHARE_RULE
        elif f.kind == "community":
            cols = [cidx[c] for c in f.communities]
            shares[fi] = s[:, cols].sum(axis=1)
            cap[fi] = shares[fi] * r
            row = reason[fi]
            row[(shares[fi] <= 0) & (row == ALLOWED)] = NO_COMMUNITY
        else:  # local
            cols = [cidx[c] for c in f.communities] if f.communities else list(range(g))
            shares[fi] = s[:, cols].sum(axis=1)
            recruits = table[:, cols].sum(axis=1) * float(f.per_1000 or 0.0) / 1000.0
            cap[fi] = recruits
            recruits_fu[fi] = recruits
            recruitable[fi] = float(recruits.sum())
            row = reason[fi]
            row[(recruits <= 0) & (row == ALLOWED)] = NO_RECRUITS
        if f.max_share is not None:
            cap[fi] = np.minimum(cap[fi], f.max_share * r)
    return _Barring(shares, reason, cap, recruitable, recruits_fu)


def acceptance_shares(
    territory: Territory, catalog: ForceCatalog, *, census: str | None = None,
    plan: Plan | None = None, census_table: ArrayLike | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.object_]]:
    """Share of each unit's population that accepts each force, and why a pair is barred.

    Returns
    -------
    shares
        ``float64[F, n]``: for a pooled force, the population share of the communities accepting
        it in unit ``u`` (0 for empty units); for a community force, the share of its
        communities; for a local force, the share of the communities it recruits from.
    reason
        ``object[F, n]``: ``""`` where force ``f`` may serve unit ``u``; otherwise the id of the
        rule that bars it, ``"veto:<community>"``, ``"min_accept_share"``, ``"no_community"``
        or ``"no_recruits"`` (see :func:`reason_text`).
    """
    table = _table(territory, census, census_table)
    r = table.sum(axis=1)
    b = _barring(territory, catalog, table, r, _control_labels(territory, catalog, plan))
    return b.shares, b.reason


def reason_text(code: str, catalog: ForceCatalog | None = None) -> str:
    """Plain words for a barring code of :func:`acceptance_shares`.

    >>> reason_text("veto:sunni_arab")
    'vetoed by sunni_arab'
    """
    if code == ALLOWED:
        return "allowed"
    if code == SHARE_RULE:
        thr = "" if catalog is None else f" ({catalog.min_accept_share:.0%})"
        return f"the communities that accept it are below the acceptance share{thr}"
    if code.startswith(VETO):
        thr = "" if catalog is None or catalog.veto_share is None else (
            f" (above the veto share {catalog.veto_share:.0%})")
        return f"vetoed by {code[len(VETO):]}{thr}"
    if code == NO_COMMUNITY:
        return "none of its communities lives there"
    if code == NO_RECRUITS:
        return "nobody to recruit there"
    if code == "max_share":
        return "its cap per unit"
    if catalog is not None:
        for r in catalog.rules:
            if r.id == code:
                what = {"only_control": f"only where control is {' or '.join(r.control)}",
                        "exclude_control": f"not where control is {' or '.join(r.control)}",
                        "not_where_plurality": f"not where {' or '.join(r.communities)} is the "
                                               "largest community",
                        "exclude_units": "not in the units it names",
                        "only_units": "only in the units it names"}.get(r.kind, r.kind)
                return f"rule {code} ({what})"
    return f"rule {code}"


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
        ``float64[F, n]`` share of each unit's population accepting each force (see
        :func:`acceptance_shares`).
    reason
        ``object[F, n]`` why a force may not serve a unit (``""`` where it may).
    capped
        ``bool[F, n]``: allowed pairs with a cap below the requirement (max share, own community's
        share, local recruits).
    strength_price
        ``float64[F]``: drop in weighted shortfall per extra member of each force (LP dual of its
        strength); positive means the force's strength binds.
    unit_price
        ``float64[n]``: rise in weighted shortfall per extra person of requirement in each unit.
    bound_price
        ``float64[F, n]``: drop in weighted shortfall per person force ``f`` could add in ``u``
        if the bound on that pair (a barring rule, or the force's cap) were relaxed: the reduced
        cost at the LP's dual solution. When the LP is degenerate (several dual solutions) it is
        an upper bound of the gain; :func:`rule_values` re-solves without each rule for the exact
        gain.
    objective
        Weighted shortfall at the optimum.
    cap
        ``float64[F, n]``: most force ``f`` may place in unit ``u`` (``inf``: only the
        requirement bounds it).
    kinds, priority
        Each force's kind and priority.
    local_recruits
        ``float64[F, n]``: a local force's recruits in each unit (0 for other kinds).
    control
        ``object[n]``: the control label of each unit the rules read (``None`` without a plan).
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
    cap: NDArray[np.float64] | None = None
    kinds: tuple[str, ...] = ()
    priority: tuple[int, ...] = ()
    control: NDArray[np.object_] | None = None
    reason_texts: Mapping[str, str] = field(default_factory=dict)
    local_recruits: NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule_sources", MappingProxyType(dict(self.rule_sources)))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))
        object.__setattr__(self, "reason_texts", MappingProxyType(dict(self.reason_texts)))
        if self.cap is None:
            object.__setattr__(self, "cap", np.full(self.allocation.shape, np.inf))
        if not self.kinds:
            object.__setattr__(self, "kinds", ("pooled",) * len(self.forces))
        if not self.priority:
            object.__setattr__(self, "priority", (0,) * len(self.forces))
        if self.local_recruits is None:
            object.__setattr__(self, "local_recruits", np.zeros(self.allocation.shape))

    @property
    def covered(self) -> NDArray[np.float64]:
        """Requirement covered in each unit."""
        out: NDArray[np.float64] = self.allocation.sum(axis=0)
        return out

    @property
    def used(self) -> NDArray[np.float64]:
        """Personnel of each force placed."""
        out: NDArray[np.float64] = self.allocation.sum(axis=1)
        return out

    @property
    def total_shortfall(self) -> float:
        """Unweighted personnel short over all units."""
        return float(self.shortfall.sum())

    @property
    def allowed(self) -> NDArray[np.bool_]:
        """``bool[F, n]``: force ``f`` may serve unit ``u``."""
        out: NDArray[np.bool_] = self.reason == ALLOWED
        return out

    def _why(self, code: str) -> str:
        return self.reason_texts.get(code) or reason_text(code)

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

    def force_report(self, tol: float = 1e-6) -> list[dict[str, Any]]:
        """Each force: where it serves, and why whatever it does not place is not placed.

        Returns one row per force with ``force``, ``name``, ``kind``, ``strength``, ``used``,
        ``spare``, ``status`` (``"used"``, ``"partly used"``, ``"unused"``), ``units`` (unit id
        to personnel, largest first) and ``why`` (plain sentences). The reasons are exhaustive at
        the optimum of the LP: personnel left over can only be barred from the units that are
        short, capped there, or not needed (every unit it may serve is covered).
        """
        rows = []
        need = self.requirement > tol
        assert self.cap is not None and self.local_recruits is not None
        for f, key in enumerate(self.forces):
            alloc = self.allocation[f]
            used = float(alloc.sum())
            spare = float(self.strength[f] - used)
            scale = max(1.0, float(self.strength[f]))
            status = ("unused" if used <= tol * scale else
                      "partly used" if spare > tol * scale else "used")
            served = np.flatnonzero(alloc > tol)
            order = served[np.argsort(-alloc[served], kind="stable")]
            why: list[str] = []
            barred = need & (self.reason[f] != ALLOWED)
            counts: dict[str, int] = {}
            for u in np.flatnonzero(barred):
                code = str(self.reason[f, u])
                counts[code] = counts.get(code, 0) + 1
            barred_text = "; ".join(f"{self._why(c)}: {_units(k)}" for c, k in
                                    sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
            if status != "used":
                allowed_need = need & (self.reason[f] == ALLOWED)
                short = allowed_need & (self.shortfall > tol * np.maximum(1.0, self.requirement))
                covered = allowed_need & ~short
                at_cap = short & (alloc >= self.cap[f] - tol * np.maximum(1.0, self.cap[f]))
                zero_w = short & ~at_cap & (self.weights <= 0)
                if self.strength[f] <= tol:
                    why.append("it has no personnel (strength 0)")
                elif not allowed_need.any():
                    why.append("it may serve no unit with a requirement"
                               + (f" ({barred_text})" if barred_text else ""))
                else:
                    if covered.any():
                        why.append(f"the units it may serve that it does not fill are fully "
                                   f"covered ({_units(int(covered.sum()))} covered, by it or by "
                                   "forces placed first)")
                    if at_cap.any():
                        cap_why = {"local": "it recruits no more there",
                                   "community": "it covers only its own communities' share there"
                                   }.get(self.kinds[f], "its cap per unit binds there")
                        why.append(f"in the short units it may serve "
                                   f"({_units(int(at_cap.sum()))}), {cap_why}")
                    if zero_w.any():
                        why.append(f"short units it may serve carry no weight in the objective "
                                   f"({_units(int(zero_w.sum()))})")
                    if barred_text:
                        why.append(f"barred elsewhere: {barred_text}")
                if self.kinds[f] == "local" and barred.any():
                    why.append("a local force serves only the unit it is recruited from, so "
                               "recruits of units where it may not serve stay there")
                if self.kinds[f] == "local" and np.any(~need & (self.local_recruits[f] > tol)):
                    why.append("recruits of units with no requirement are not needed")
                if not why:  # only tiny requirements (below the tolerance) are left
                    why.append("what is left is within the solver's tolerance")
            rows.append({
                "force": key, "name": self.force_names[f], "kind": self.kinds[f],
                "strength": float(self.strength[f]), "used": used, "spare": spare,
                "status": status, "units_served": int(served.size),
                "units": {str(self.unit_ids[u]): float(alloc[u]) for u in order},
                "why": why,
            })
        return rows

    def unit_coverage(self, tol: float = 1e-6) -> list[dict[str, Any]]:
        """Each unit: control, requirement, the forces covering it and, when short, why."""
        out = []
        assert self.cap is not None
        for u, uid in enumerate(self.unit_ids):
            forces = {self.forces[f]: float(self.allocation[f, u])
                      for f in np.argsort(-self.allocation[:, u], kind="stable")
                      if self.allocation[f, u] > tol}
            row: dict[str, Any] = {
                "unit_id": str(uid),
                "control": None if self.control is None else str(self.control[u]),
                "requirement": float(self.requirement[u]), "covered": float(self.covered[u]),
                "shortfall": float(self.shortfall[u]), "forces": forces,
            }
            if self.shortfall[u] > tol * max(1.0, float(self.requirement[u])):
                why = []
                for f, key in enumerate(self.forces):
                    code = str(self.reason[f, u])
                    if code != ALLOWED:
                        why.append(f"{key}: {self._why(code)}")
                    elif self.allocation[f, u] >= self.cap[f, u] - tol * max(1.0, self.cap[f, u]):
                        why.append(f"{key}: at its cap here")
                    else:
                        why.append(f"{key}: no personnel left")
                row["why_short"] = why
            out.append(row)
        return out

    def by_region(self, plan: Plan) -> list[dict[str, Any]]:
        """Requirement, coverage, shortfall and each force's personnel per region (polity)."""
        if plan.n_units != self.unit_ids.size:
            raise InputDataError("the plan and the assessment have different numbers of units")
        a = plan.assignment
        k = plan.k
        lab = np.where(a >= 0, a, k)

        def tally(x: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.bincount(lab, weights=x, minlength=k + 1).astype(np.float64)

        req, cov, sho = tally(self.requirement), tally(self.covered), tally(self.shortfall)
        per_force = np.array([tally(row) for row in self.allocation])
        names = [*plan.region_names, "(unassigned)"]
        auth = [r.authority for r in plan.regions] + [""]
        ctl = [*plan.control_by_region(), {}]
        rows = []
        for j in range(k + 1):
            if j == k and not np.any(a < 0):
                continue
            rows.append({"region": names[j], "authority": auth[j], "control": ctl[j],
                         "requirement": float(req[j]), "covered": float(cov[j]),
                         "shortfall": float(sho[j]),
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
                {"force": k, "name": n, "kind": kd, "strength": float(s), "used": float(u),
                 "spare": float(s - u), "strength_price": float(p)}
                for k, n, kd, s, u, p in zip(self.forces, self.force_names, self.kinds,
                                             self.strength, self.used, self.strength_price,
                                             strict=True)
            ],
            "force_report": self.force_report(),
            "binding": self.binding_rules(),
            "zero_capacity_units": self.zero_capacity_units(),
            "meta": dict(self.meta),
        }
        if units:
            cov = self.unit_coverage()
            for row, u in zip(cov, range(self.unit_ids.size), strict=True):
                row["barred"] = {k: str(self.reason[f, u]) for f, k in enumerate(self.forces)
                                 if self.reason[f, u] != ALLOWED}
            out["units"] = cov
        return out


@dataclass(frozen=True)
class _Model:
    """The grouped LP: pair variables (force, group) then one shortfall variable per group."""

    c: NDArray[np.float64]
    a_ub: sparse.csr_matrix
    b_ub: NDArray[np.float64]
    a_eq: sparse.csr_matrix
    b_eq: NDArray[np.float64]
    bounds: NDArray[np.float64]
    gf: NDArray[np.int64]
    gg: NDArray[np.int64]
    nx: int
    ng: int


def _solve(c: NDArray[np.float64], m: _Model, extra_ub: sparse.csr_matrix | None = None,
           extra_b: NDArray[np.float64] | None = None, extra_cols: int = 0,
           extra_bounds: NDArray[np.float64] | None = None) -> Any:
    nv = m.nx + m.ng + extra_cols
    a_ub = m.a_ub if not extra_cols else sparse.hstack(
        [m.a_ub, sparse.csr_matrix((m.a_ub.shape[0], extra_cols))]).tocsr()
    b_ub = m.b_ub
    if extra_ub is not None and extra_b is not None:
        a_ub = sparse.vstack([a_ub, extra_ub]).tocsr()
        b_ub = np.concatenate([b_ub, extra_b])
    a_eq = m.a_eq if not extra_cols else sparse.hstack(
        [m.a_eq, sparse.csr_matrix((m.ng, extra_cols))]).tocsr()
    bounds = m.bounds if extra_bounds is None else np.vstack([m.bounds, extra_bounds])
    assert c.size == nv
    return linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=m.b_eq, bounds=bounds, method="highs")


@validate_params({"census": [str, None],
                  "per_1000": [Interval(Real, 0, None, closed="left")],
                  "require_full": ["boolean"], "balance": ["boolean"], "prefer": ["boolean"]})
def allocate_forces(
    territory: Territory,
    catalog: ForceCatalog,
    *,
    plan: Plan | None = None,
    census: str | None = None,
    census_table: ArrayLike | None = None,
    requirement: NDArray[np.float64] | None = None,
    per_1000: float = DEFAULT_PER_1000,
    weights: ArrayLike | Mapping[str, float] | None = None,
    require_full: bool = False,
    balance: bool = True,
    prefer: bool = True,
) -> SecurityAssessment:
    """Allocate forces to units, minimising the weighted shortfall, by linear programming.

    Parameters
    ----------
    territory
        The territory.
    catalog
        Forces, acceptability rules and thresholds.
    plan
        The plan whose control layer the control rules read (required when the catalog has
        ``only_control`` or ``exclude_control`` rules).
    census
        Census for populations and acceptance shares.
    census_table
        ``float64[n, g]`` population to use instead of ``census`` (one census draw): the function
        is pure in (territory, table, plan, catalog), so it can run once per draw.
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
    prefer
        Then, keeping both, place forces with a lower ``priority`` first (a third LP; skipped
        when every force has the same priority): local and community forces before outside
        ones, when the catalog says so.

    Returns
    -------
    SecurityAssessment
        Allocation, shortfall, the dual values that show which constraint binds, and
        :meth:`SecurityAssessment.force_report` on who serves where and why.

    Raises
    ------
    InfeasibleError
        With ``require_full``, when some requirement cannot be met; the message names units no
        force may serve and the binding rules.
    ConfigError
        When the catalog has control rules and no plan is given.

    Notes
    -----
    Variables ``x[f, u] >= 0`` and shortfall ``s[u] >= 0``; minimise ``sum_u w_u s_u`` subject to
    ``sum_u x[f, u] <= strength_f`` and ``sum_f x[f, u] + s_u = r_u``; a capped pair has the upper
    bound ``cap[f, u]`` (``max_share * r_u``; for a community force its communities' share of
    ``r_u``; for a local force the recruits of ``u``). Units with the same allowed forces, weight
    and cap-to-requirement ratios are interchangeable, so the LP is solved for such groups and
    each group's allocation and shortfall are shared in proportion to requirement; this is exact,
    and within a group every unit is covered to the same share. Only the pairs a force may serve
    are variables. A rule is priced by the reduced cost a barred pair would have (from the row
    duals), a cap by the dual of its bound. Solved with HiGHS (:func:`scipy.optimize.linprog`).
    O(LP) in ``F x n`` variables; about 2 ms for 150 units and 12 forces.

    Examples
    --------
    >>> import numpy as np
    >>> from dayafter.graph import UnitGraph
    >>> from dayafter.territory import Territory
    >>> from dayafter.security import Force, ForceCatalog
    >>> t = Territory.from_arrays(["a", "b"], ["x", "y"],
    ...     {"now": np.array([[1000.0, 0.0], [0.0, 1000.0]])}, UnitGraph.from_edges(2, [0], [1]))
    >>> cat = ForceCatalog((Force("fx", "X force", 30.0, accepted_by=("x",)),))
    >>> a = allocate_forces(t, cat)
    >>> a.allocation.tolist(), a.shortfall.tolist()
    ([[20.0, 0.0]], [0.0, 20.0])
    >>> a.force_report()[0]["why"][0]
    'the units it may serve that it does not fill are fully covered (1 unit covered, by it or by forces placed first)'
    """
    n = territory.n_units
    table = _table(territory, census, census_table)
    r = (force_requirement(territory, census=census, per_1000=per_1000, census_table=table)
         if requirement is None else np.asarray(requirement, dtype=np.float64))
    if r.shape != (n,) or not np.isfinite(r).all() or (r < 0).any():
        raise InputDataError(f"requirement must be {n} finite values >= 0")
    w = _per_unit(territory, weights, "shortfall weights")
    control = _control_labels(territory, catalog, plan)
    b = _barring(territory, catalog, table, r, control)
    reason = b.reason
    nf = len(catalog.forces)
    strength = np.array([
        (b.recruitable[i] if f.strength is None else min(f.strength, b.recruitable[i]))
        if f.kind == "local" else float(f.strength or 0.0)
        for i, f in enumerate(catalog.forces)], dtype=np.float64)
    allowed = reason == ALLOWED
    need = r > 0
    lp_allowed = allowed & need[None, :]
    ratio = np.where(need[None, :], np.minimum(b.cap, np.inf) / np.where(need, r, 1.0)[None, :],
                     0.0)
    ratio = np.where(lp_allowed, np.minimum(ratio, 1.0), 0.0)
    capped = lp_allowed & (ratio < 1.0 - 1e-12)
    # Units with the same allowed forces, weight and cap ratios are interchangeable: solve for
    # groups of them, then share each group's allocation in proportion to requirement.
    keys = np.column_stack([lp_allowed.T.astype(np.float64), ratio.T, w])
    group = np.asarray(np.unique(keys, axis=0, return_inverse=True)[1]).ravel()
    first = np.unique(group, return_index=True)[1]
    ng = first.size
    req_g = np.bincount(group, weights=r, minlength=ng).astype(np.float64)
    w_g = w[first]
    gf, gg = np.nonzero(lp_allowed[:, first])
    nx = gf.size
    nv = nx + ng
    c = np.concatenate([np.zeros(nx), w_g])
    a_ub = sparse.csr_matrix((np.ones(nx), (gf, np.arange(nx))), shape=(nf, nv))
    rows = np.concatenate([gg, np.arange(ng)])
    a_eq = sparse.csr_matrix((np.ones(nv), (rows, np.arange(nv))), shape=(ng, nv))
    bounds = np.column_stack([np.zeros(nv), np.concatenate([ratio[gf, first[gg]] * req_g[gg],
                                                            req_g])])
    model = _Model(c, a_ub, strength, a_eq, req_g, bounds, gf.astype(np.int64),
                   gg.astype(np.int64), nx, ng)
    res = _solve(c, model)
    if res.status != 0:
        raise InfeasibleError(f"the force allocation LP failed (HiGHS: {res.message})",
                              hint="check strengths and requirements for huge or odd values")
    sol = res.x
    best = float(res.fun)
    balanced = preferred = False
    z_best = None
    obj_row = sparse.csr_matrix(np.concatenate([np.zeros(nx), w_g])[None, :])
    obj_b = np.array([best * (1 + 1e-9) + 1e-9])
    pos = np.flatnonzero(req_g > 0)
    if balance and best > 1e-9 and pos.size:
        # variables [x, s, z]: minimise z with s_g - R_g z <= 0 and w.s <= best
        ratio_rows = sparse.csr_matrix(
            (np.concatenate([np.ones(pos.size), -req_g[pos]]),
             (np.concatenate([np.arange(pos.size), np.arange(pos.size)]),
              np.concatenate([nx + pos, np.full(pos.size, nv)]))), shape=(pos.size, nv + 1))
        extra = sparse.vstack([ratio_rows, sparse.hstack([obj_row, sparse.csr_matrix((1, 1))])])
        c2 = np.zeros(nv + 1)
        c2[-1] = 1.0
        res2 = _solve(c2, model, extra.tocsr(), np.concatenate([np.zeros(pos.size), obj_b]), 1,
                      np.array([[0.0, 1.0]]))
        if res2.status == 0:
            sol, balanced, z_best = res2.x[:nv], True, float(res2.x[-1])
    prio = np.array([f.priority for f in catalog.forces], dtype=np.float64)
    if prefer and nx and np.ptp(prio) > 0:
        c3 = np.concatenate([prio[gf] - prio.min(), np.zeros(ng)])
        extra_rows = [obj_row]
        extra_b = [obj_b]
        if z_best is not None:
            extra_rows.append(sparse.csr_matrix(
                (np.ones(pos.size), (np.arange(pos.size), nx + pos)), shape=(pos.size, nv)))
            extra_b.append(z_best * req_g[pos] * (1 + 1e-9) + 1e-9)
        res3 = _solve(c3, model, sparse.vstack(extra_rows).tocsr(), np.concatenate(extra_b))
        if res3.status == 0:
            sol, preferred = res3.x, True
    xg = np.zeros((nf, ng))
    xg[gf, gg] = np.where(sol[:nx] < 1e-9, 0.0, sol[:nx])
    share = np.divide(r, req_g[group], out=np.zeros(n), where=req_g[group] > 0)
    x = xg[:, group] * share[None, :]
    sg = np.clip(sol[nx:nv], 0.0, None)
    sg[sg < 1e-9 * np.maximum(1.0, req_g)] = 0.0  # solver tolerance, not a gap
    s = sg[group] * share
    lam = np.asarray(res.ineqlin.marginals)  # d(objective) / d(strength), <= 0
    mu = np.asarray(res.eqlin.marginals)[group]  # d(objective) / d(requirement), per unit
    # a pair barred by a rule: one person of f in u would change the objective by its reduced
    # cost -(lam_f + mu_u); a capped pair: the marginal HiGHS reports on its group's bound
    bound_price = np.where(~allowed & need[None, :], lam[:, None] + mu[None, :], 0.0)
    cap_g = np.zeros((nf, ng))
    cap_g[gf, gg] = -np.asarray(res.upper.marginals[:nx])
    bound_price = np.where(capped, cap_g[:, group], bound_price)
    cap_full = np.where(allowed, np.minimum(b.cap, np.where(need, r, 0.0)[None, :]), 0.0)
    texts = {code: reason_text(code, catalog)
             for code in {str(x_) for x_ in reason.ravel().tolist()} | {"max_share"}}
    assessment = SecurityAssessment(
        unit_ids=territory.unit_ids,
        forces=tuple(catalog.keys),
        force_names=tuple(f.name for f in catalog.forces),
        strength=strength,
        requirement=r,
        allocation=x,
        shortfall=s,
        weights=w,
        acceptance=b.shares,
        reason=reason,
        capped=capped,
        strength_price=np.clip(-lam, 0.0, None),
        unit_price=mu,
        bound_price=np.clip(bound_price, 0.0, None),
        objective=best,
        rule_sources={SHARE_RULE: (), **{ru.id: ru.sources for ru in catalog.rules}},
        meta={"census": census or territory.census_names[0] if census_table is None else "table",
              "per_1000": per_1000 if requirement is None else None,
              "min_accept_share": catalog.min_accept_share, "veto_share": catalog.veto_share,
              "solver": "HiGHS LP", "catalog": catalog.name, "balanced": balanced,
              "preferred": preferred, "plan": None if plan is None else plan.name,
              "control_layer": None if plan is None else (
                  "stated" if plan.has_control else "follows the polities")},
        cap=cap_full,
        kinds=tuple(f.kind for f in catalog.forces),
        priority=tuple(f.priority for f in catalog.forces),
        control=control,
        reason_texts=texts,
        local_recruits=b.recruits,
    )
    if require_full and assessment.total_shortfall > 1e-6 * max(1.0, float(r.sum())):
        _explain_infeasible(assessment)
    return assessment


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
    plan: Plan | None = None,
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
        a = allocate_forces(territory, catalog, plan=plan, census=census, requirement=req,
                            weights=weights, balance=False, prefer=False)
        out.append({"per_1000": float(k), "requirement": float(a.requirement.sum()),
                    "covered": float(a.covered.sum()), "shortfall": a.total_shortfall,
                    "units_short": int((a.shortfall > 1e-9).sum())})
    return out


def threshold_sensitivity(
    territory: Territory,
    catalog: ForceCatalog,
    *,
    plan: Plan | None = None,
    census: str | None = None,
    accept_values: Sequence[float] = (0.4, 0.5, 0.6),
    veto_values: Sequence[float | None] = (None, 0.15, 0.25, 0.35),
    per_1000: float = DEFAULT_PER_1000,
) -> list[dict[str, Any]]:
    """Shortfall for each pair of acceptance and veto thresholds (both are assumptions)."""
    out = []
    for acc in accept_values:
        for veto in veto_values:
            cat = catalog.with_thresholds(accept=acc, veto=veto)
            a = allocate_forces(territory, cat, plan=plan, census=census, per_1000=per_1000,
                                balance=False, prefer=False)
            out.append({"accept_share": float(acc), "veto_share": veto,
                        "shortfall": a.total_shortfall, "covered": float(a.covered.sum()),
                        "units_short": int((a.shortfall > 1e-9).sum())})
    return out


def rule_values(
    territory: Territory,
    catalog: ForceCatalog,
    *,
    plan: Plan | None = None,
    census: str | None = None,
    per_1000: float = DEFAULT_PER_1000,
    rules: Sequence[str] | None = None,
) -> dict[str, float]:
    """Weighted shortfall saved by dropping each rule (one LP per rule, exact).

    Unlike the dual prices of :class:`SecurityAssessment`, which are local and may overstate a
    rule's effect when the LP is degenerate, this re-solves without the rule.
    """
    base = allocate_forces(territory, catalog, plan=plan, census=census, per_1000=per_1000,
                           balance=False, prefer=False).objective
    ids = [r.id for r in catalog.rules] if rules is None else list(rules)
    out = {}
    for rid in ids:
        cut = catalog.without_rules([rid])
        out[rid] = base - allocate_forces(territory, cut, plan=plan, census=census,
                                          per_1000=per_1000, balance=False, prefer=False).objective
    return out
