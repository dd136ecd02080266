"""Councils over census draws: the range of every community's seats in every region.

:func:`council_draws` elects the council of every region of a plan on every census draw (from
:mod:`dayafter.uncertainty`), with the same rules as :func:`dayafter.councils.simulate_councils`
under its voting model: council sizes (fixed, per region, per residents, or carried over from an
admin-level table with its quota seats), reserved seats returned to the general seats where the
community has no voters, and the general seats apportioned by the rules' method. All draws are
elected together: the votes of every (draw, region) are one row of
:func:`dayafter.councils.apportion_many` (one compiled pass), and the admin-level seats are split
among regions the same way, one batch per admin unit.

Ties at the last seat are left undecided, as ``simulate_councils`` does without a generator; the
result counts them per draw (``tied``).

>>> import dayafter as da
>>> from dayafter.councils import CouncilRules
>>> from dayafter.uncertainty import CensusModel
>>> case = da.cases.load("northern-iraq")
>>> t, plan = case.territory, case.plans["nineveh-plains-sinjar-province"]
>>> cd = council_draws(t, plan, CensusModel(t).draw(50, seed=1), rules=CouncilRules(size=30),
...                    census="baseline")
>>> cd.seats["baseline"].shape == (50, plan.k, t.n_communities)
True
>>> bool((cd.seats["baseline"].sum(axis=2) + cd.tied["baseline"] == 30).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter._kernels import draws as _kd
from dayafter.councils.apportion import apportion_many
from dayafter.councils.simulate import CouncilRules, CouncilSimulation, simulate_councils
from dayafter.errors import ConfigError, InputDataError
from dayafter.plan import Plan
from dayafter.territory import Territory
from dayafter.uncertainty import CensusDraws, quantiles
from dayafter.uncertainty.evaluate import evaluate_draws

__all__ = ["CouncilDraws", "council_draws"]


@dataclass(frozen=True, eq=False)
class CouncilDraws:
    """Councils of a plan's regions over census draws.

    Attributes
    ----------
    plan_name, region_names, communities
        Labels.
    seats
        Census name to ``int64[d, k, g]`` seats (general and reserved) per draw.
    reserved
        Census name to ``int64[d, k, g]`` reserved seats per draw.
    sizes
        Census name to ``int64[d, k]`` council sizes per draw.
    tied
        Census name to ``int64[d, k]`` seats left undecided by a tie.
    point
        The ordinary :func:`simulate_councils` result on the censuses as given.
    """

    plan_name: str
    region_names: tuple[str, ...]
    communities: tuple[str, ...]
    seats: dict[str, NDArray[np.int64]]
    reserved: dict[str, NDArray[np.int64]]
    sizes: dict[str, NDArray[np.int64]]
    tied: dict[str, NDArray[np.int64]]
    point: CouncilSimulation

    def summary(self) -> dict[str, Any]:
        """JSON-ready ranges: per census, region and community with seats in some draw, the point
        seats, p05/p50/p95, the share of draws with at least one seat and with a majority; per
        region the council size range and the share of draws with an undecided tie."""
        out: dict[str, Any] = {}
        for cname, S in self.seats.items():
            pt = self.point.seats_table(cname)
            d = S.shape[0]
            q = quantiles(S.reshape(d, -1).T.astype(float)).reshape(S.shape[1], S.shape[2], 3)
            size = self.sizes[cname]
            regions = []
            for j, rname in enumerate(self.region_names):
                total = S[:, j, :].sum(axis=1)
                comms = {}
                for c, comm in enumerate(self.communities):
                    if pt[j, c] == 0 and not S[:, j, c].any():
                        continue
                    comms[comm] = {
                        "point": int(pt[j, c]), "p05": float(q[j, c, 0]), "p50": float(q[j, c, 1]),
                        "p95": float(q[j, c, 2]),
                        "any_seat": float(np.mean(S[:, j, c] > 0)),
                        "majority": float(np.mean(2 * S[:, j, c] > np.maximum(total, 1) * (total > 0))),
                    }
                sq = quantiles(size[:, j].astype(float))
                regions.append({"region": rname, "size": {"p05": float(sq[0]), "p50": float(sq[1]),
                                                          "p95": float(sq[2])},
                                "tie_share": float(np.mean(self.tied[cname][:, j] > 0)),
                                "communities": comms})
            out[cname] = regions
        return out


def _sizes_and_reserved(rules: CouncilRules, territory: Territory, plan: Plan,
                        x: NDArray[np.float64], P: NDArray[np.float64],
                        ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``sizes[d, k]`` and ``reserved[d, k, g]`` on every draw (before returning seats)."""
    d, k, g = P.shape
    names = plan.region_names
    comms = territory.communities
    reserved = np.zeros((d, k, g), dtype=np.int64)
    for j, nm in enumerate(names):
        for c, n in dict(rules.reserved.get(nm, rules.reserved_default)).items():
            reserved[:, j, comms.index(c)] += int(n)
    pop = P.sum(axis=2)
    admin_general = None
    if rules.admin is not None:
        admin_general = np.zeros((d, k), dtype=np.int64)
        adm = rules.admin
        if adm.level not in territory.admin:
            raise InputDataError(
                f"territory has no admin level {adm.level!r} to carry council rules over",
                hint=f"use one of {sorted(territory.admin)}")
        codes = territory.admin[adm.level]
        present = list(dict.fromkeys(codes.tolist()))
        a = plan.assignment
        # tally of every (admin unit, region) pair over draws: one pass
        idx = {c: i for i, c in enumerate(present)}
        pair = np.where(a >= 0, np.array([idx[c] for c in codes.tolist()]) * k + a, -1)
        rows = np.ascontiguousarray(pair[:, None].astype(np.int64))
        PT, _, _ = _kd.tally_draws(x, rows, len(present) * k, np.full((a.size, 0), -1, np.int64), 0)
        unit_pop = PT.sum(axis=1).T.reshape(d, len(present), k)           # [d, codes, k]
        seated_pop = np.zeros(d)
        seated_seats = 0
        unseated = []
        for ci, code in enumerate(present):
            if code not in adm.general:
                unseated.append(ci)
                continue
            seats = int(adm.general[code])
            region_pop = unit_pop[:, ci, :]
            seated_pop += region_pop.sum(axis=1)
            seated_seats += seats
            ok = region_pop.sum(axis=1) > 0
            votes = np.rint(region_pop).astype(np.int64)
            if ok.any():
                r = apportion_many(votes[ok], seats, method="sainte-lague")
                admin_general[ok] += r.seats
            for comm, n in adm.quotas.get(code, {}).items():
                if comm not in comms:
                    continue
                cj = comms.index(comm)
                cpop = PT[ci * k:(ci + 1) * k, cj, :].T                          # [d, k]
                has = cpop.max(axis=1) > 0
                best = np.argmax(cpop, axis=1)
                reserved[np.flatnonzero(has), best[has], cj] += int(n)
        if unseated:
            rps = adm.residents_per_seat
            if rps is None:
                if seated_seats == 0:
                    raise InputDataError("no admin unit of the territory has a council in the table",
                                         hint="give residents_per_seat for them")
                rps_d = seated_pop / seated_seats
            else:
                rps_d = np.full(d, float(rps))
            region_pop = unit_pop[:, unseated, :].sum(axis=1)
            admin_general += np.floor(region_pop / rps_d[:, None] + 0.5).astype(np.int64)
    sizes = np.zeros((d, k), dtype=np.int64)
    unknown = sorted(set(rules.sizes) - set(names))
    if unknown:
        raise ConfigError(f"council sizes name regions the plan does not have: {unknown}",
                          hint=f"use region names from {list(names)}")
    for j, nm in enumerate(names):
        if nm in rules.sizes:
            sizes[:, j] = int(rules.sizes[nm])
        elif admin_general is not None:
            sizes[:, j] = admin_general[:, j] + reserved[:, j].sum(axis=1)
            sizes[:, j] = np.where(pop[:, j] > 0, np.maximum(sizes[:, j], int(rules.min_size)), sizes[:, j])
        elif rules.size is not None:
            sizes[:, j] = int(rules.size)
        else:
            assert rules.residents_per_seat is not None
            sizes[:, j] = np.maximum(int(rules.min_size),
                                     np.floor(pop[:, j] / rules.residents_per_seat + 0.5)).astype(np.int64)
    return sizes, reserved


def council_draws(territory: Territory, plan: Plan, draws: CensusDraws, *, rules: CouncilRules,
                  census: str | Sequence[str] | None = None) -> CouncilDraws:
    """Elect every region's council on every census draw (voting model; see the module docstring).

    Parameters
    ----------
    territory, plan
        The plan's territory (the draws must come from it).
    draws
        Census draws (:meth:`dayafter.uncertainty.CensusModel.draw`).
    rules
        Council rules, as for :func:`simulate_councils`.
    census
        Census or censuses (default: every census drawn).

    Returns
    -------
    CouncilDraws

    Notes
    -----
    ``O(d k S g)`` in one compiled batch per census for the elections (plus one per admin unit
    for rules carried over from an admin table); no Python loop over draws. Zero-width ranges
    reproduce :func:`simulate_councils` (tested).
    """
    cens = (list(draws.census_names) if census is None else [census] if isinstance(census, str)
            else list(census))
    point = simulate_councils(territory, plan, rules=rules, census=cens)
    dev = evaluate_draws(territory, plan, draws, censuses=cens)
    comms = territory.communities
    g = len(comms)
    k = plan.k
    seats_out, res_out, size_out, tied_out = {}, {}, {}, {}
    for cname in cens:
        P = np.asarray(dev.census(cname).tally)                              # [d, k, g]
        d = P.shape[0]
        votes = rules.voting.votes(P.reshape(d * k, g), comms).reshape(d, k, g)
        x = draws.draws_last(cname)
        if not x.flags.c_contiguous:
            x = np.ascontiguousarray(x)
        sizes, reserved = _sizes_and_reserved(rules, territory, plan, x, P)
        no_voters = votes.sum(axis=2) <= 0                                   # [d, k]
        # a reserved seat returns to the general seats where its community has no voters
        reserved = np.where(votes > 0, reserved, 0)
        n_res = reserved.sum(axis=2)
        over = (n_res > sizes) & (sizes > 0) & ~no_voters
        if over.any():
            r_, j_ = (int(v[0]) for v in np.nonzero(over))
            raise ConfigError(f"region {plan.region_names[j_]!r} has {n_res[r_, j_]} reserved seats "
                              f"but a council of {sizes[r_, j_]} in draw {r_}",
                              hint="enlarge the council or reduce the reserved seats")
        general = np.where(no_voters | (sizes == 0), 0, sizes - n_res)
        reserved = np.where((no_voters | (sizes == 0))[:, :, None], 0, reserved)
        V = votes.reshape(d * k, g)
        elig = V > 0
        if rules.threshold is not None:
            from fractions import Fraction

            t = Fraction(str(rules.threshold))
            tot = V.sum(axis=1, keepdims=True)
            elig &= (V * t.denominator >= t.numerator * tot) | np.isin(comms, rules.threshold_exempt)[None, :]
        V_el = np.where(elig, V, 0)
        gen_flat = general.reshape(-1)
        active = gen_flat > 0
        gseats = np.zeros((d * k, g), dtype=np.int64)
        tied = np.zeros(d * k, dtype=np.int64)
        if active.any():
            r = apportion_many(V_el[active], gen_flat[active], method=rules.method,
                               first_divisor=rules.first_divisor)
            gseats[active] = r.seats
            tied[active] = r.tied_seats
        seats_out[cname] = gseats.reshape(d, k, g) + reserved
        res_out[cname] = reserved
        size_out[cname] = sizes
        tied_out[cname] = tied.reshape(d, k)
    return CouncilDraws(plan.name, tuple(plan.region_names), comms, seats_out, res_out, size_out,
                        tied_out, point)
