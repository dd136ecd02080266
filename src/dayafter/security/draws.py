"""Security over census draws: ranges of the force requirement and of the shortfall.

The requirement is linear in population (``population / 1000 * per_1000 * threat * urban``), so
it is computed for every draw at once, in the same formula as
:func:`dayafter.security.force_requirement`. The shortfall needs the allocation LP
(:func:`dayafter.security.allocate_forces`) on each draw's census: one LP (or two or three with
``balance`` and ``prefer``) per draw, so it runs on the first ``max_lp`` draws only (default 100;
the first draws of a run are a fixed sample of it, and a larger ``max_lp`` refines the answer).
On the built-in case one draw takes about 15 ms without the balancing and preference stages and
about 50 ms with both (the default, as for the point assessment, because the split of the
shortfall among units and forces is only meaningful with them). The result says how many draws
the shortfall rests on.

>>> import numpy as np
>>> from dayafter.plan import Plan, Region
>>> from dayafter.security import catalog_from_dict
>>> from dayafter.testing.grids import grid_territory
>>> from dayafter.uncertainty import CensusModel, ErrorModel
>>> t = grid_territory(1, 2, communities=np.array([[9000.0, 1000], [2000, 8000]]))
>>> plan = Plan(np.array([0, 1]), (Region("W"), Region("E")), territory_hash=t.content_hash)
>>> cat = catalog_from_dict({"forces": [{"key": "army", "strength": 250, "accepted_by": ["a", "b"]}]})
>>> sd = security_draws(t, cat, plan, CensusModel(t, ErrorModel(unknown_error=0.2)).draw(50, seed=1),
...                     max_lp=20)
>>> sd.requirement.shape, sd.shortfall.shape
((50, 2), (20, 2))
>>> s = sd.summary()
>>> s["requirement"]["point"], s["shortfall"]["point"]
(400.0, 150.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dayafter.errors import ConfigError
from dayafter.plan import Plan
from dayafter.security.allocate import (
    DEFAULT_PER_1000,
    SecurityAssessment,
    allocate_forces,
    force_requirement,
)
from dayafter.security.forces import ForceCatalog
from dayafter.territory import Territory
from dayafter.uncertainty import CensusDraws, quantiles

__all__ = ["SecurityDraws", "security_draws"]


@dataclass(frozen=True, eq=False)
class SecurityDraws:
    """Requirement and shortfall over census draws.

    Attributes
    ----------
    census
        The census drawn.
    requirement
        ``float64[d, n]`` personnel needed per unit in every draw.
    shortfall
        ``float64[m, n]`` personnel short per unit in the first ``m`` draws (the LP draws).
    used
        ``float64[m, F]`` personnel of each force placed in those draws.
    point
        The ordinary assessment on the census as given.
    region_of_unit
        ``int64[n]`` region of each unit under the plan (``-1``: none), for per-region ranges.
    """

    census: str
    requirement: NDArray[np.float64]
    shortfall: NDArray[np.float64]
    used: NDArray[np.float64]
    point: SecurityAssessment
    region_names: tuple[str, ...]
    region_of_unit: NDArray[np.int64]
    balanced: bool = True

    @property
    def n_draws(self) -> int:
        """Draws of the requirement."""
        return int(self.requirement.shape[0])

    @property
    def n_lp_draws(self) -> int:
        """Draws the shortfall rests on."""
        return int(self.shortfall.shape[0])

    def summary(self) -> dict[str, Any]:
        """JSON-ready ranges: totals, per region and per force, with point values."""
        def rng(x: NDArray[np.float64], point: float) -> dict[str, float]:
            q = quantiles(np.asarray(x, dtype=float))
            return {"point": float(point), "p05": float(q[0]), "p50": float(q[1]), "p95": float(q[2])}

        a = self.region_of_unit
        k = len(self.region_names)

        def by_region(x: NDArray[np.float64]) -> NDArray[np.float64]:
            out = np.zeros((x.shape[0], k))
            for j in range(k):
                out[:, j] = x[:, a == j].sum(axis=1)
            return out

        req_r = by_region(self.requirement)
        sh_r = by_region(self.shortfall)
        p = self.point
        regions = []
        for j, name in enumerate(self.region_names):
            regions.append({
                "region": name,
                "requirement": rng(req_r[:, j], float(p.requirement[a == j].sum())),
                "shortfall": rng(sh_r[:, j], float(p.shortfall[a == j].sum()))
                if self.balanced else None,
                "short_share": float(np.mean(sh_r[:, j] > 1e-6)) if self.balanced else None,
            })
        return {
            "census": self.census, "draws": self.n_draws, "lp_draws": self.n_lp_draws,
            "requirement": rng(self.requirement.sum(axis=1), float(p.requirement.sum())),
            "shortfall": rng(self.shortfall.sum(axis=1), p.total_shortfall),
            "short_share": float(np.mean(self.shortfall.sum(axis=1) > 1e-6)),
            "regions": regions,
            "forces": {f: rng(self.used[:, i], float(p.used[i])) for i, f in enumerate(p.forces)}
            if self.balanced else {},
        }


def security_draws(
    territory: Territory,
    catalog: ForceCatalog,
    plan: Plan | None,
    draws: CensusDraws,
    *,
    census: str | None = None,
    per_1000: float = DEFAULT_PER_1000,
    threat: ArrayLike | Mapping[str, float] | None = None,
    urban: ArrayLike | Mapping[str, float] | None = None,
    max_lp: int = 100,
    balance: bool = True,
    prefer: bool = True,
) -> SecurityDraws:
    """Requirement (every draw) and shortfall (the first ``max_lp`` draws) of a plan's security.

    Parameters
    ----------
    territory, catalog, plan
        As for :func:`dayafter.security.allocate_forces` (the plan's control layer for the rules,
        its polities for the per-region ranges; ``None`` when the catalog has no control rules:
        no per-region ranges).
    draws
        Census draws of the territory.
    census
        The census (default: the first one drawn).
    per_1000, threat, urban
        The requirement's parameters (:func:`dayafter.security.force_requirement`).
    max_lp
        Most draws to solve the allocation LP on (the first ones).
    balance, prefer
        The later stages of :func:`dayafter.security.allocate_forces`, for the point and every
        draw alike (without ``balance`` the split of the shortfall among units is arbitrary and
        the summary leaves out the per-region shortfall).

    Returns
    -------
    SecurityDraws
    """
    if isinstance(max_lp, bool) or not isinstance(max_lp, int) or max_lp < 1:
        raise ConfigError(f"max_lp must be a positive integer, got {max_lp!r}")
    cname = census if census is not None else draws.census_names[0]
    x = np.ascontiguousarray(draws.census(cname))                    # [d, n, g]
    pop = x.sum(axis=2)             # [d, n], summed in the order force_requirement sums a table
    # the multipliers, read by force_requirement itself (one resident per unit, per_1000 = 1000)
    one = np.zeros((territory.n_units, territory.n_communities))
    one[:, 0] = 1.0
    threat_x = force_requirement(territory, per_1000=1000.0, threat=threat, census_table=one)
    urban_x = force_requirement(territory, per_1000=1000.0, urban=urban, census_table=one)
    requirement = pop / 1000.0 * float(per_1000) * threat_x * urban_x   # the same formula, [d, n]
    point = allocate_forces(territory, catalog, plan=plan, census=cname, per_1000=per_1000,
                            requirement=None if threat is None and urban is None else
                            force_requirement(territory, census=cname, per_1000=per_1000,
                                              threat=threat, urban=urban),
                            balance=balance, prefer=prefer)
    m = min(int(max_lp), draws.n_draws)
    short = np.zeros((m, territory.n_units))
    used = np.zeros((m, len(point.forces)))
    for j in range(m):  # one LP per draw: bounded by max_lp (see the module docstring)
        a = allocate_forces(territory, catalog, plan=plan, census_table=x[j],
                            requirement=requirement[j], balance=balance, prefer=prefer)
        short[j] = a.shortfall
        used[j] = a.used
    regions = () if plan is None else tuple(plan.region_names)
    of_unit = (np.full(territory.n_units, -1, dtype=np.int64) if plan is None
               else plan.assignment.astype(np.int64))
    return SecurityDraws(cname, requirement, short, used, point, regions, of_unit,
                         balanced=bool(balance))
