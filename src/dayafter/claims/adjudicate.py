"""Adjudicate a claims table under stated rules, within a budget.

Per row (a claim or a batch of like claims), :func:`decide_claims` works out what one claim of
the row gets, as expected shares when only part of the row's properties are occupied:

1. ``closed`` and ``rejected`` rows are reported as they are and cost nothing.
2. The remedy is the cause's (:class:`~dayafter.claims.rules.CauseRule`). ``approved`` rows
   are decided already and skip the evidence check. For ``pending`` rows, restitution needs
   evidence tier <= ``restitution_max_tier`` (otherwise compensation is considered), and
   compensation needs tier <= ``compensation_max_tier``; otherwise the claim is rejected.
3. Restitution of an occupied property follows the secondary-occupant policy: the occupants
   move (with ``occupant_compensation_usd`` per household when in good faith, under
   ``restitute_and_compensate``), or the claimant is compensated instead where the occupants are
   in good faith (``compensate_claimant``).
4. Compensation pays ``min(value * compensation_rate, cap)``.
5. Each decided claim costs ``admin_cost_usd`` plus what it pays.

Rows are then paid in priority order (:func:`fund_claims`, a numba kernel): a row's claims are
paid while the remaining budget covers them; ``stop`` ends the queue at the first claim that does
not fit, ``skip`` moves on. Unpaid claims stay pending. The budget balances by construction:
``available = administration + claimant compensation + occupant compensation + remaining``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

from dayafter._util import finite
from dayafter.claims.rules import AdjudicationRules
from dayafter.claims.table import ClaimsTable, Pieces

if TYPE_CHECKING:
    from dayafter.territory import Territory

__all__ = ["ClaimDecisions", "ClaimsResult", "adjudicate", "decide_claims", "fund_claims",
           "priority_order"]


class ClaimDecisions(NamedTuple):
    """What one claim of each row gets (expected values over the row's properties)."""

    restituted: NDArray[np.float64]
    """``[m]`` share of the row's claims restituted."""
    compensated: NDArray[np.float64]
    """``[m]`` share compensated."""
    rejected: NDArray[np.float64]
    """``[m]`` share rejected."""
    closed: NDArray[np.bool_]
    """``[m]`` rows already closed or rejected (no decision, no cost)."""
    claimant_usd: NDArray[np.float64]
    """``[m]`` compensation paid to the claimant per claim."""
    occupant_usd: NDArray[np.float64]
    """``[m]`` compensation paid to secondary occupants per claim."""
    movers: NDArray[np.float64]
    """``[m]`` secondary-occupant households who must move, per claim."""
    admin_usd: NDArray[np.float64]
    """``[m]`` administrative cost per claim."""
    remedy: tuple[str, ...]
    """Per row: what the claims get, in words."""

    @property
    def cost(self) -> NDArray[np.float64]:
        """``[m]`` total cost per claim."""
        return self.admin_usd + self.claimant_usd + self.occupant_usd


def decide_claims(table: ClaimsTable, rules: AdjudicationRules) -> ClaimDecisions:
    """Decide every row of ``table`` under ``rules`` (steps 1-5 of the module notes).

    Examples
    --------
    >>> from dayafter.claims.table import ClaimsTable
    >>> from dayafter.claims.rules import AdjudicationRules, CauseRule
    >>> t = ClaimsTable.from_records([
    ...     {"claim_id": "a", "area": "u1", "community": "kurd", "property_type": "residential",
    ...      "value_usd": 10000, "cause": "arabization", "evidence_tier": 1,
    ...      "occupied_share": 0.5, "occupant_households": 2}])
    >>> r = AdjudicationRules(occupant_compensation_usd=3000, admin_cost_usd=100)
    >>> d = decide_claims(t, r)
    >>> d.restituted.tolist(), d.occupant_usd.tolist(), d.movers.tolist(), d.cost.tolist()
    ([1.0], [3000.0], [1.0], [3100.0])
    """
    m = len(table)
    rest = np.zeros(m)
    comp = np.zeros(m)
    rej = np.zeros(m)
    closed = np.zeros(m, dtype=bool)
    pay_c = np.zeros(m)
    pay_o = np.zeros(m)
    movers = np.zeros(m)
    admin = np.zeros(m)
    remedy: list[str] = []
    for r in range(m):
        status = table.status[r]
        if status in ("closed", "rejected"):
            closed[r] = True
            remedy.append(status)
            continue
        rule = rules.cause_rule(table.cause[r])
        tier = int(table.evidence_tier[r])
        checked = status == "pending"
        can_restitute = rule.remedy == "restitution" and (
            not checked or tier <= rules.restitution_max_tier)
        can_compensate = (not checked and rule.remedy == "compensation") or (
            checked and tier <= rules.compensation_max_tier)
        admin[r] = rules.admin_cost_usd
        value = min(float(table.value_usd[r]) * rule.compensation_rate, rule.cap_usd)
        if can_restitute:
            occ = float(table.occupied_share[r])
            hh = float(table.occupant_households[r])
            good = bool(table.occupant_good_faith[r])
            policy = rules.secondary_occupants
            if policy == "compensate_claimant" and good and occ > 0:
                rest[r] = 1.0 - occ
                comp[r] = occ
                pay_c[r] = occ * value
                remedy.append("restitution; compensation where occupied in good faith")
            else:
                rest[r] = 1.0
                movers[r] = occ * hh
                if policy == "restitute_and_compensate" and good:
                    pay_o[r] = occ * hh * rules.occupant_compensation_usd
                remedy.append("restitution" + ("; occupants move" if occ > 0 else ""))
        elif can_compensate:
            comp[r] = 1.0
            pay_c[r] = value
            remedy.append("compensation")
        else:
            rej[r] = 1.0
            remedy.append("rejected: evidence below the threshold")
    return ClaimDecisions(rest, comp, rej, closed, pay_c, pay_o, movers, admin, tuple(remedy))


def priority_order(table: ClaimsTable, rules: AdjudicationRules, cost: NDArray[np.float64]
                   ) -> NDArray[np.int64]:
    """Row indices in processing order (keys of ``rules.priority``; ties keep table order)."""
    m = len(table)
    keys: list[NDArray[Any]] = []
    for k in rules.priority:
        if k == "status":
            keys.append(np.array([0 if s == "approved" else 1 for s in table.status]))
        elif k == "evidence":
            keys.append(table.evidence_tier.astype(np.float64))
        elif k == "cause":
            keys.append(np.array([rules.cause_rule(c).priority for c in table.cause], dtype=float))
        elif k == "year":
            keys.append(np.where(np.isnan(table.year), np.inf, table.year))
        elif k == "cost":
            keys.append(cost.astype(np.float64))
    keys.append(np.arange(m, dtype=np.float64))
    return np.lexsort(tuple(reversed(keys))).astype(np.int64)


@njit(cache=True)
def _fund(order: NDArray[np.int64], count: NDArray[np.float64], cost: NDArray[np.float64],
          active: NDArray[np.bool_], budget: float, stop: bool) -> tuple[NDArray[np.float64], float]:
    m = count.size
    funded = np.zeros(m)
    remaining = budget
    stopped = False
    for t in range(order.size):
        r = order[t]
        if not active[r] or count[r] <= 0:
            continue
        c = cost[r]
        if c <= 0:
            funded[r] = count[r]
            continue
        if stopped:
            continue
        k = count[r]
        if k * c > remaining:
            k = math.floor(remaining / c)
            if k > count[r]:
                k = count[r]
        funded[r] = k
        remaining -= k * c
        if remaining < 0:
            remaining = 0.0
        if k < count[r] and stop:
            stopped = True
    return funded, remaining


def fund_claims(order: NDArray[np.int64], count: NDArray[np.float64], cost: NDArray[np.float64],
                active: NDArray[np.bool_], budget: float, rule: str = "stop"
                ) -> tuple[NDArray[np.float64], float]:
    """Pay claims in ``order`` from ``budget``: claims funded per row and the money left.

    Parameters
    ----------
    order
        Row indices in processing order.
    count, cost
        ``[m]`` claims per row and cost of one claim.
    active
        ``[m]`` rows to decide (closed and rejected rows are not).
    budget
        Money available (``inf``: everything is paid).
    rule
        ``stop`` or ``skip`` (see :class:`~dayafter.claims.rules.AdjudicationRules`).

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([0, 1, 2]); n = np.array([2.0, 1.0, 3.0]); c = np.array([10.0, 30.0, 5.0])
    >>> a = np.ones(3, bool)
    >>> fund_claims(o, n, c, a, 45.0, "stop")
    (array([2., 0., 0.]), 25.0)
    >>> fund_claims(o, n, c, a, 45.0, "skip")
    (array([2., 0., 3.]), 10.0)

    Notes
    -----
    ``O(m)``; the budget is an exact ledger (each paid claim subtracts its cost once).
    """
    if math.isinf(budget):
        funded = np.where(active, count, 0.0).astype(np.float64)
        return funded, math.inf
    return _fund(np.asarray(order, dtype=np.int64), np.asarray(count, dtype=np.float64),
                 np.asarray(cost, dtype=np.float64), np.asarray(active, dtype=np.bool_),
                 float(budget), rule == "stop")


@dataclass(frozen=True, eq=False)
class ClaimsResult:
    """The adjudicated claims: decisions per row, payments, and the budget.

    Attributes
    ----------
    table, rules
        What was adjudicated and how.
    decisions
        Per row, per claim (:class:`ClaimDecisions`).
    order
        Processing order of the rows.
    funded
        ``[m]`` claims decided per row (within the budget); closed and rejected rows: their count.
    remaining
        Money left.
    pieces
        The rows spread over units and communities (``None`` without a territory).
    unit_ids, communities
        Labels of the spread.
    """

    table: ClaimsTable
    rules: AdjudicationRules
    decisions: ClaimDecisions
    order: NDArray[np.int64]
    funded: NDArray[np.float64]
    remaining: float
    pieces: Pieces | None = None
    unit_ids: NDArray[np.object_] | None = None
    unit_labels: tuple[str, ...] = ()
    communities: tuple[str, ...] = ()

    # ----------------------------------------------------------------- per row
    def row_outcomes(self) -> dict[str, NDArray[np.float64]]:
        """Per row: claims, resolved, restituted, compensated, rejected, pending, money, movers."""
        d = self.decisions
        n = self.table.count
        f = self.funded
        closed = d.closed
        is_rej = np.array([s == "rejected" for s in self.table.status])
        return {
            "claims": n,
            "resolved": np.where(closed, n, f),
            "restituted": np.where(closed, 0.0, f * d.restituted),
            "compensated": np.where(closed, 0.0, f * d.compensated),
            "rejected": np.where(closed, np.where(is_rej, n, 0.0), f * d.rejected),
            "already_closed": np.where(closed & ~is_rej, n, 0.0),
            "pending": np.where(closed, 0.0, n - f),
            "claimant_usd": f * d.claimant_usd,
            "occupant_usd": f * d.occupant_usd,
            "admin_usd": f * d.admin_usd,
            "households_move": f * d.movers,
            "people_move": f * d.movers * self.rules.household_size,
            "unfunded_usd": np.where(closed, 0.0, (n - f) * d.cost),
        }

    # ----------------------------------------------------------------- budget
    def budget(self) -> dict[str, Any]:
        """The budget: available, spent by line, remaining, and what the unpaid claims would
        cost. ``balance`` is ``available - spent - remaining`` (0 up to rounding)."""
        o = self.row_outcomes()
        admin = float(o["admin_usd"].sum())
        claim = float(o["claimant_usd"].sum())
        occ = float(o["occupant_usd"].sum())
        spent = admin + claim + occ
        avail = self.rules.budget_usd
        out: dict[str, Any] = {
            "available_usd": finite(avail),
            "administration_usd": admin, "claimant_compensation_usd": claim,
            "occupant_compensation_usd": occ, "spent_usd": spent,
            "remaining_usd": finite(self.remaining),
            "unfunded_claims_usd": float(o["unfunded_usd"].sum()),
            "pending_claims": float(o["pending"].sum()),
        }
        out["balance_usd"] = (avail - spent - self.remaining) if math.isfinite(avail) else 0.0
        return out

    # ----------------------------------------------------------------- spread
    def _spread(self, key: str) -> NDArray[np.float64]:
        assert self.pieces is not None
        p = self.pieces
        o = self.row_outcomes()[key]
        n = self.table.count
        frac = np.divide(p.claims, n[p.row], out=np.zeros(p.claims.size), where=n[p.row] > 0)
        return o[p.row] * frac

    def by_unit(self) -> list[dict[str, Any]]:
        """Per unit with claims: claims, resolved, restituted, compensated, rejected, pending,
        compensation (claimants, occupants), administration, people who must move."""
        return self._group("unit")

    def by_community(self) -> list[dict[str, Any]]:
        """Per claimant community: as :meth:`by_unit`; ``people_move`` counts the occupants who
        move from claims of that community, ``people_move_as_occupants`` the community's own
        people who must move as secondary occupants."""
        return self._group("community")

    def _group(self, by: str) -> list[dict[str, Any]]:
        if self.pieces is None:
            raise ValueError("spread the claims over a territory first (adjudicate with territory=)")
        p = self.pieces
        keys = ("claims", "resolved", "restituted", "compensated", "rejected", "already_closed",
                "pending", "claimant_usd", "occupant_usd", "admin_usd", "people_move")
        vals = {k: self._spread(k) for k in keys}
        idx = p.unit if by == "unit" else p.community
        size = (self.unit_ids.size if self.unit_ids is not None else 0) if by == "unit" \
            else len(self.communities)
        sums = {k: np.bincount(idx, weights=v, minlength=size) for k, v in vals.items()}
        if by == "community":
            occ_ok = p.occupant_community >= 0
            sums["people_move_as_occupants"] = np.bincount(
                p.occupant_community[occ_ok], weights=vals["people_move"][occ_ok], minlength=size)
        rows = []
        for i in np.flatnonzero(sums["claims"] > 0):
            row: dict[str, Any] = {}
            if by == "unit":
                assert self.unit_ids is not None
                row["unit_id"] = str(self.unit_ids[i])
                row["unit"] = self.unit_labels[i] if self.unit_labels else str(self.unit_ids[i])
            else:
                row["community"] = self.communities[i]
            row.update({k: float(v[i]) for k, v in sums.items()})
            rows.append(row)
        return rows

    def check(self, tol: float = 1e-6) -> None:
        """Raise ``AssertionError`` unless the budget balances, no claim is paid twice and the
        spread adds up."""
        b = self.budget()
        scale = max(1.0, abs(b["spent_usd"]))
        assert abs(b["balance_usd"]) <= tol * scale
        assert self.remaining >= -tol * scale
        assert np.all(self.funded <= self.table.count + 1e-9) and np.all(self.funded >= 0)
        if self.pieces is not None:
            for key in ("claims", "claimant_usd", "people_move"):
                tot = float(self._spread(key).sum())
                ref = float(self.row_outcomes()[key].sum())
                assert abs(tot - ref) <= tol * max(1.0, abs(ref))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary for the CLI, the report and the workbench panel."""
        o = self.row_outcomes()
        totals = {k: float(v.sum()) for k, v in o.items()}
        rows = []
        for r in range(len(self.table)):
            rows.append({"claim_id": self.table.claim_id[r], "remedy": self.decisions.remedy[r],
                         "illustrative": bool(self.table.illustrative[r]),
                         **{k: float(v[r]) for k, v in o.items()}})
        out: dict[str, Any] = {
            "rules": self.rules.to_dict(), "totals": totals, "budget": self.budget(),
            "rows": rows, "illustrative_claims": float(self.table.count[self.table.illustrative].sum()),
            "claims": self.table.n_claims,
        }
        if self.pieces is not None:
            out["units"] = self.by_unit()
            out["communities"] = self.by_community()
        return out


def adjudicate(table: ClaimsTable, rules: AdjudicationRules, *, territory: Territory | None = None,
               census: str = "baseline") -> ClaimsResult:
    """Decide and pay the claims of ``table`` under ``rules``.

    Parameters
    ----------
    table
        The claims (:func:`~dayafter.claims.table.read_claims`).
    rules
        The rules (:func:`~dayafter.claims.rules.load_rules`).
    territory
        Spread rows over units and communities (needed for results by unit and community).
    census
        Census whose population weights the spread of area-level rows.

    Returns
    -------
    ClaimsResult
    """
    dec = decide_claims(table, rules)
    active = ~dec.closed
    order = priority_order(table, rules, dec.cost)
    funded, remaining = fund_claims(order, table.count, dec.cost, active, rules.budget_usd,
                                    rules.budget_rule)
    funded = np.where(dec.closed, 0.0, funded)
    pieces = None
    uids = None
    labels: tuple[str, ...] = ()
    comms: tuple[str, ...] = ()
    if territory is not None:
        pieces = table.spread(territory, territory.census(census))
        uids = territory.unit_ids
        labels = tuple(territory.unit_label(i) for i in range(territory.n_units))
        comms = tuple(territory.communities)
    return ClaimsResult(table, rules, dec, order, funded, float(remaining), pieces, uids, labels,
                        comms)
