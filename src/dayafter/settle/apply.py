"""Turn a settlement into a plan: disputed units move to regions governed by their new holder."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from dayafter.errors import InputDataError
from dayafter.plan import Plan, Region
from dayafter.settle.problem import ClaimsProblem
from dayafter.settle.result import SHARED, Settlement

if TYPE_CHECKING:
    from dayafter.territory import Territory

__all__ = ["owner_from_plan", "settlement_plan"]


def _unique_name(plan: Plan, base: str) -> str:
    names = set(plan.region_names)
    if base not in names:
        return base
    k = 2
    while f"{base} ({k})" in names:
        k += 1
    return f"{base} ({k})"


def settlement_plan(
    plan: Plan,
    territory: Territory,
    settlement: Settlement,
    *,
    authorities: Mapping[str, str] | None = None,
    shared_authority: str = "shared",
    name: str | None = None,
) -> Plan:
    """A new plan in which every disputed unit is governed by the party that holds it.

    Parameters
    ----------
    plan
        The base plan (e.g. the status quo); it is not changed.
    territory
        The territory the plan belongs to.
    settlement
        The settlement to apply; its unit ids must be units of ``territory``.
    authorities
        Party name to the authority string regions of that party carry (e.g.
        ``{"KRG": "krg"}``); a party missing here uses its own name.
    shared_authority
        Authority of the region created for a split unit (Adjusted Winner).
    name
        Name of the new plan (default: base name + method).

    Returns
    -------
    Plan
        A unit already in a region of its holder's authority stays. Otherwise it joins the region of
        that authority it shares the longest border with, else the largest region of that
        authority; when the plan has none, a region ``"<party> (settlement)"`` is added. Split units
        go to a region ``"Shared administration"`` (status gives the fractions).

    Notes
    -----
    Units are processed in the settlement's order, so a unit can join a region through a disputed
    neighbour moved just before it. O(m * (degree + k)).
    """
    plan.check_territory(territory)
    pr = settlement.problem
    auth_of = {p: (authorities or {}).get(p, p) for p in pr.parties}
    idx = territory.index(list(pr.unit_ids), source="settlement")
    g = territory.graph
    owner = settlement.owner
    new = plan
    for j, i in enumerate(idx.tolist()):
        if owner[j] == SHARED:
            held = {pr.parties[q]: float(settlement.shares[q, j])
                    for q in range(pr.n_parties) if settlement.shares[q, j] > 0}
            status = "shared administration: " + ", ".join(
                f"{p} {100 * s:.1f}%" for p, s in held.items())
            rname = _unique_name(new, f"Shared administration {pr.unit_ids[j]}")
            new = new.add_region(Region(rname, shared_authority, status))
            new = new.with_moves([i], new.k - 1)
            continue
        party = pr.parties[owner[j]]
        target = auth_of[party]
        auths = np.array([r.authority for r in new.regions], dtype=object)
        a = new.assignment
        if a[i] >= 0 and auths[a[i]] == target:
            continue
        cand = np.flatnonzero(auths == target)
        if cand.size:
            lo, hi = g.indptr[i], g.indptr[i + 1]
            nb = g.indices[lo:hi]
            w = g.border_length[lo:hi]
            border = np.zeros(new.k)
            ok = a[nb] >= 0
            np.add.at(border, a[nb][ok], w[ok])
            border_c = border[cand]
            if border_c.max(initial=0.0) > 0:
                to = int(cand[np.argmax(border_c)])
            else:
                to = int(cand[np.argmax(new.region_sizes()[cand])])
        else:
            if not target:
                raise InputDataError(f"party {party!r} has an empty authority",
                                     hint="map every party to an authority")
            new = new.add_region(Region(_unique_name(new, f"{party} (settlement)"), target,
                                        "created by the settlement"))
            to = new.k - 1
        new = new.with_moves([i], to)
    meta = dict(plan.meta)
    meta["settlement"] = {"method": settlement.method, "base_plan": plan.name,
                          "transfers": dict(zip(pr.parties, settlement.transfers.tolist(),
                                                strict=True))}
    notes = (plan.notes + "\n" if plan.notes else "") + (
        f"Disputed units allocated by {settlement.method}.")
    return Plan(new.assignment, new.regions, plan.territory_hash,
                name=name or f"{plan.name or 'plan'} + {settlement.method}", notes=notes,
                meta=meta)


def owner_from_plan(
    problem: ClaimsProblem,
    plan: Plan,
    territory: Territory,
    *,
    authorities: Mapping[str, str] | None = None,
) -> tuple[ClaimsProblem, NDArray[np.int64], list[str]]:
    """The allocation a plan makes of the disputed units: each unit to the party of its authority.

    Parameters
    ----------
    problem
        The claims problem (its units must be units of ``territory``).
    plan
        A plan of ``territory`` (e.g. a scenario).
    territory
        The territory.
    authorities
        Party to authority, as in :func:`settlement_plan` (default: the party's name).

    Returns
    -------
    problem, owner, left_out
        The problem restricted to the units whose authority belongs to a party, the party
        holding each of them, and the unit ids left out (unassigned, or an authority such as
        ``"shared"`` that no party has).

    Raises
    ------
    InputDataError
        When two parties have the same authority, or no disputed unit is held by a party.
    """
    plan.check_territory(territory)
    auth_of = {p: (authorities or {}).get(p, p) for p in problem.parties}
    by_auth: dict[str, int] = {}
    for i, p in enumerate(problem.parties):
        a = auth_of[p]
        if a in by_auth:
            raise InputDataError(
                f"parties {problem.parties[by_auth[a]]!r} and {p!r} both have authority {a!r}",
                hint="give every party its own authority")
        by_auth[a] = i
    idx = territory.index(list(problem.unit_ids), source="claims")
    unit_auth = plan.control_of_units()[idx]  # who holds each unit: the control layer
    owner = np.array([by_auth.get(str(a), -1) for a in unit_auth], dtype=np.int64)
    keep = owner >= 0
    left_out = [u for u, k in zip(problem.unit_ids, keep, strict=True) if not k]
    if not keep.any():
        raise InputDataError(
            f"plan {plan.name!r} gives none of the disputed units to an authority of the parties "
            f"({sorted(by_auth)})", hint="map the parties to the plan's authorities")
    return problem.restricted(keep), owner[keep], left_out
