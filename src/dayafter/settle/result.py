"""The outcome of a settlement method: who holds each unit, money, and fairness measures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter._util.stats import finite
from dayafter.settle.problem import ClaimsProblem

__all__ = ["SHARED", "Settlement", "minimal_subsidies"]

SHARED = -1
"""Owner code of a unit split between parties (shared administration)."""

_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class Settlement:
    """Allocation of the disputed units with money transfers.

    Parameters
    ----------
    method
        Label of the method that produced it (``"max-nash-welfare"``, ``"adjusted-winner"``, ...).
    problem
        The claims problem (for Adjusted Winner: the problem in normalised points).
    shares
        ``float64[p, m]``: fraction of unit ``j`` held by party ``i``; each column sums to 1.
        Fractions other than 0 and 1 only occur for a split unit (shared administration).
    transfers
        ``float64[p]`` money each party receives (negative: pays). Their sum is the outside money
        used (0 for budget-balanced methods, the subsidy for minimum-subsidy).
    notes
        Plain sentences about choices made (tie-breaks, normalisation, the split unit).
    meta
        Solver details (status, iterations, gap) and method-specific facts.
    """

    method: str
    problem: ClaimsProblem
    shares: NDArray[np.float64]
    transfers: NDArray[np.float64]
    notes: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        s = np.array(self.shares, dtype=np.float64, copy=True)
        t = np.array(self.transfers, dtype=np.float64, copy=True)
        p, m = self.problem.values.shape
        if s.shape != (p, m) or t.shape != (p,):
            raise ValueError("shares must be (parties, units) and transfers (parties,)")
        if not np.allclose(s.sum(axis=0), 1.0, atol=1e-9):
            raise ValueError("every unit must be held in full (shares sum to 1 per unit)")
        s.setflags(write=False)
        t.setflags(write=False)
        object.__setattr__(self, "shares", s)
        object.__setattr__(self, "transfers", t)
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))

    # ------------------------------------------------------------------ allocation
    @property
    def owner(self) -> NDArray[np.int64]:
        """Party index holding each unit, or :data:`SHARED` (-1) for a split unit."""
        s = self.shares
        full = s.max(axis=0) >= 1.0 - 1e-12
        return np.where(full, s.argmax(axis=0), SHARED).astype(np.int64)

    def units_of(self, party: str | int) -> list[str]:
        """Unit ids held in full by ``party``."""
        i = party if isinstance(party, int) else self.problem.party_index(party)
        return [u for u, o in zip(self.problem.unit_ids, self.owner, strict=True) if o == i]

    # ------------------------------------------------------------------ welfare
    @property
    def bundle_values(self) -> NDArray[np.float64]:
        """``V[i, k]``: value to party ``i`` of the units held by party ``k``."""
        return self.problem.values @ self.shares.T

    @property
    def values_held(self) -> NDArray[np.float64]:
        """Value of each party's own units (without money)."""
        return np.diag(self.bundle_values).copy()

    @property
    def utilities(self) -> NDArray[np.float64]:
        """Value of own units plus money received."""
        return self.values_held + self.transfers

    @property
    def envy(self) -> NDArray[np.float64]:
        """``E[i, k]`` = what ``i`` would gain by swapping for ``k``'s units and money.

        Positive entries are envy; the diagonal is 0.
        """
        vb = self.bundle_values
        u = self.utilities
        e = vb + self.transfers[None, :] - u[:, None]
        np.fill_diagonal(e, 0.0)
        return e

    @property
    def max_envy(self) -> float:
        """Largest envy of any party towards any other (0 or less when envy-free)."""
        return float(self.envy.max())

    def is_envy_free(self, tol: float = 1e-6) -> bool:
        """True when no party prefers another's units and money to its own (up to ``tol``)."""
        scale = max(1.0, float(np.abs(self.problem.values).sum()))
        return self.max_envy <= tol * scale

    @property
    def nash_welfare(self) -> float:
        """Product of the values held (without money): the quantity MNW maximises."""
        return float(np.prod(self.values_held))

    @property
    def log_nash_welfare(self) -> float:
        """Sum of logs of the values held (``-inf`` when a party holds nothing of value)."""
        vh = self.values_held
        with np.errstate(divide="ignore"):
            return float(np.sum(np.log(vh))) if np.all(vh > 0) else float("-inf")

    @property
    def fair_share(self) -> NDArray[np.float64]:
        """Each party's proportional share: its value of all disputed units divided by ``p``."""
        v = self.problem.values
        out: NDArray[np.float64] = v.sum(axis=1) / v.shape[0]
        return out

    @property
    def proportionality(self) -> NDArray[np.float64]:
        """Utility divided by the fair share (1 or more: the party got its proportional share)."""
        fs = self.fair_share
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(fs > 0, self.utilities / np.where(fs > 0, fs, 1.0), np.inf)
        return r

    @property
    def outside_money(self) -> float:
        """Money paid in from outside (the donor fund): the sum of transfers."""
        return float(self.transfers.sum())

    @property
    def within_budget(self) -> bool:
        """True when the outside money needed fits the problem's budget."""
        return self.outside_money <= self.problem.budget + 1e-9 * max(1.0, self.problem.budget)

    # ------------------------------------------------------------------ output
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (units by id, parties by name)."""
        pr = self.problem
        owner = self.owner
        units = []
        for j, u in enumerate(pr.unit_ids):
            row: dict[str, Any] = {
                "unit_id": u,
                "holder": pr.parties[owner[j]] if owner[j] >= 0 else "shared",
            }
            if owner[j] < 0:
                row["shares"] = {
                    pr.parties[i]: float(self.shares[i, j])
                    for i in range(pr.n_parties)
                    if self.shares[i, j] > 0
                }
            units.append(row)
        prop = self.proportionality
        return {
            "method": self.method,
            "parties": list(pr.parties),
            "value_unit": pr.value_unit,
            "units": units,
            "transfers": dict(zip(pr.parties, self.transfers.tolist(), strict=True)),
            "values_held": dict(zip(pr.parties, self.values_held.tolist(), strict=True)),
            "utilities": dict(zip(pr.parties, self.utilities.tolist(), strict=True)),
            "envy": {
                a: dict(zip(pr.parties, row.tolist(), strict=True))
                for a, row in zip(pr.parties, self.envy, strict=True)
            },
            "envy_free": self.is_envy_free(),
            "nash_welfare": self.nash_welfare,
            "log_nash_welfare": self.log_nash_welfare,
            "proportionality": {
                a: finite(x)
                for a, x in zip(pr.parties, prop, strict=True)
            },
            "proportional": bool(np.all(prop >= 1 - 1e-9)),
            "outside_money": self.outside_money,
            "budget": pr.budget,
            "within_budget": self.within_budget,
            "notes": list(self.notes),
            "meta": dict(self.meta),
        }


def minimal_subsidies(values: NDArray[np.float64], owner: NDArray[np.int64]) -> NDArray[np.float64]:
    """Smallest non-negative payments that make an integral allocation envy-free.

    Parameters
    ----------
    values
        ``float64[p, m]`` additive values.
    owner
        ``int[m]`` party holding each unit.

    Returns
    -------
    ndarray
        ``float64[p]``: ``p_i`` is the heaviest path leaving ``i`` in the envy graph with arc
        weights ``v_i(A_k) - v_i(A_i)`` (Halpern and Shah 2019, Theorem 2). ``inf`` entries mean
        the allocation is not envy-freeable (a cycle of positive weight exists).

    Notes
    -----
    Bellman-Ford style relaxation, O(p^3). Reference: D. Halpern and N. Shah, "Fair division with
    subsidy", SAGT 2019.
    """
    p = values.shape[0]
    onehot = np.zeros((p, values.shape[1]))
    onehot[owner, np.arange(owner.size)] = 1.0
    vb = values @ onehot.T
    w = vb - np.diag(vb)[:, None]  # w[i, k] = v_i(A_k) - v_i(A_i)
    dist = np.zeros(p)  # the empty path
    for _ in range(p):
        new = np.maximum(dist, (w + dist[None, :]).max(axis=1))
        if np.allclose(new, dist, rtol=0, atol=_TOL * (1 + np.abs(dist).max())):
            out: NDArray[np.float64] = new
            return out
        dist = new
    # a path of p arcs still improves: there is a cycle of positive weight
    return np.full(p, np.inf)
