"""Threshold sweeps: where do verdicts flip as the stranded or majority threshold moves?

The stranded threshold (10% by default) and the share that counts as empowering (plurality,
majority) are choices. A sweep recomputes the stranded share of every community for thresholds
from 5% to 20% and its empowerment under plurality, majority and two-thirds rules, on the census
as given and over draws, and lists for each community the regions whose share lies in the swept
range: the thresholds at which its figures jump.

>>> import numpy as np
>>> from dayafter.plan import Plan, Region
>>> from dayafter.testing.grids import grid_territory
>>> from dayafter.uncertainty import CensusModel, evaluate_draws
>>> t = grid_territory(1, 2, communities=np.array([[91.0, 9], [20, 80]]))
>>> plan = Plan(np.array([0, 1]), (Region("W"), Region("E")), territory_hash=t.content_hash)
>>> sw = threshold_sweep(evaluate_draws(t, plan, CensusModel(t).draw(20, seed=0)))["census"]
>>> [round(float(x), 3) for x in sw.stranded_point[:, 1]][:6]   # b at 5%, 6%, ... 10%
[0.0, 0.0, 0.0, 0.0, 0.0, 0.101]
>>> sw.flips["b"][0]["region"], round(sw.flips["b"][0]["share"], 2)
('W', 0.09)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter._kernels import draws as _kd
from dayafter._util import finite
from dayafter.errors import ConfigError
from dayafter.uncertainty.evaluate import DrawEvaluation
from dayafter.uncertainty.summary import quantiles

__all__ = ["DEFAULT_RULES", "DEFAULT_THRESHOLDS", "SweepResult", "threshold_sweep"]

DEFAULT_THRESHOLDS = tuple(round(0.05 + 0.01 * i, 2) for i in range(16))
"""Stranded thresholds swept by default: 5%, 6%, ..., 20%."""

DEFAULT_RULES: tuple[tuple[str, float | None], ...] = (
    ("plurality", None), ("majority", 0.5), ("two-thirds", 2.0 / 3.0))
"""Empowerment rules swept by default: largest community, more than half, more than two thirds."""


@dataclass(frozen=True)
class SweepResult:
    """A sweep on one census.

    Attributes
    ----------
    census, communities, thresholds
        Labels: ``thresholds`` are the stranded thresholds swept.
    stranded_point, stranded_q
        ``[t, g]`` stranded share on the census as given, ``[t, g, 3]`` its p05/p50/p95.
    rules
        Empowerment rule names.
    empowered_point, empowered_q
        ``[r, g]`` and ``[r, g, 3]``: share of each community living where the rule makes it
        empowered.
    flips
        Community to the regions whose share lies within the swept thresholds (each a dict with
        ``region``, ``share``, ``p05``, ``p95``): the community is stranded there for thresholds
        above ``share``.
    stranded_robust
        ``bool[t, g]``: the stranded verdict at each threshold (robust when, in every region where
        the community lives, at least ``stable`` of the draws put its share on the same side of
        the threshold as the census as given, and the share is not within ``margin`` of it).
    """

    census: str
    communities: tuple[str, ...]
    thresholds: NDArray[np.float64]
    stranded_point: NDArray[np.float64]
    stranded_q: NDArray[np.float64]
    rules: tuple[str, ...]
    empowered_point: NDArray[np.float64]
    empowered_q: NDArray[np.float64]
    flips: dict[str, list[dict[str, Any]]]
    stranded_robust: NDArray[np.bool_] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, per community."""
        out: dict[str, Any] = {"census": self.census, "thresholds": [float(t) for t in self.thresholds],
                               "rules": list(self.rules), "communities": {}}
        for j, c in enumerate(self.communities):
            out["communities"][c] = {
                "stranded": [{"threshold": float(t), "point": finite(self.stranded_point[i, j]),
                              "p05": finite(self.stranded_q[i, j, 0]), "p50": finite(self.stranded_q[i, j, 1]),
                              "p95": finite(self.stranded_q[i, j, 2]),
                              **({} if self.stranded_robust is None else {
                                  "verdict": "robust" if self.stranded_robust[i, j] else "fragile"})}
                             for i, t in enumerate(self.thresholds)],
                "empowered": [{"rule": r, "point": finite(self.empowered_point[i, j]),
                               "p05": finite(self.empowered_q[i, j, 0]), "p50": finite(self.empowered_q[i, j, 1]),
                               "p95": finite(self.empowered_q[i, j, 2])}
                              for i, r in enumerate(self.rules)],
                "flips": self.flips.get(c, []),
            }
        return out


def threshold_sweep(dev: DrawEvaluation, *, thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                    rules: Sequence[tuple[str, float | None]] = DEFAULT_RULES,
                    stable: float = 0.95, margin: float = 0.02) -> dict[str, SweepResult]:
    """Sweep the stranded threshold and the empowerment rule, per census.

    Parameters
    ----------
    dev
        A plan evaluated over draws.
    thresholds
        Stranded thresholds (shares in (0, 1)).
    rules
        ``(name, share)`` empowerment rules: ``share=None`` is the plurality rule (largest
        community), otherwise "more than ``share``".
    stable, margin
        The verdict rule at each threshold (as in :func:`dayafter.uncertainty.verdicts`).

    Returns
    -------
    dict
        Census name to :class:`SweepResult`.

    Notes
    -----
    One compiled pass per census over ``[t, d, k, g]`` (:func:`dayafter._kernels.draws.threshold_sweep`).
    """
    thr = np.asarray(thresholds, dtype=np.float64)
    if thr.ndim != 1 or thr.size == 0 or np.any(~((thr > 0) & (thr < 1))):
        raise ConfigError(f"thresholds must be shares in (0, 1), got {list(thresholds)!r}")
    shares_rules = [s for _, s in rules if s is not None]
    if any(not 0 < s < 1 for s in shares_rules):
        raise ConfigError(f"empowerment rules need shares in (0, 1), got {list(rules)!r}")
    out: dict[str, SweepResult] = {}
    names = dev.plan.region_names
    k = dev.plan.k
    off = np.array([0, k], dtype=np.int64)
    for cname, cm in dev.censuses.items():
        pm = dev.point.census(cname)
        P = np.ascontiguousarray(np.asarray(cm.tally).transpose(1, 2, 0))
        S = np.ascontiguousarray(np.asarray(cm.shares).transpose(1, 2, 0))
        N = np.ascontiguousarray(np.asarray(cm.population).T)
        T = np.ascontiguousarray(np.asarray(cm.totals).T)
        Pp = np.ascontiguousarray(pm.tally[:, :, None])
        Sp = np.ascontiguousarray(np.nan_to_num(pm.shares, nan=0.0)[:, :, None])
        Np = np.ascontiguousarray(pm.population[:, None])
        Tp = np.ascontiguousarray(pm.community_totals()[:, None])
        st = _kd.threshold_sweep(P, S, N, off, T, thr, True)[:, 0]          # [t, g, d]
        st_p = _kd.threshold_sweep(Pp, Sp, Np, off, Tp, thr, True)[:, 0, :, 0]
        g = len(cm.communities)
        st_q = quantiles(st.reshape(-1, st.shape[2])).reshape(thr.size, g, 3)
        emp_d, emp_p = [], []
        for _, share in rules:
            if share is None:
                emp_d.append(np.asarray(cm.empowerment_plurality).T)
                emp_p.append(pm.empowerment_plurality)
            else:
                s_arr = np.array([share])
                emp_d.append(_kd.threshold_sweep(P, S, N, off, T, s_arr, False)[0, 0])
                emp_p.append(_kd.threshold_sweep(Pp, Sp, Np, off, Tp, s_arr, False)[0, 0, :, 0])
        ed = np.stack(emp_d)                                          # [r, g, d]
        e_q = quantiles(ed.reshape(-1, ed.shape[2])).reshape(len(rules), g, 3)
        flips: dict[str, list[dict[str, Any]]] = {}
        lo, hi = float(thr.min()), float(thr.max())
        for j, comm in enumerate(cm.communities):
            items: list[dict[str, Any]] = []
            for r in range(k):
                s0 = float(pm.shares[r, j]) if pm.tally[r, j] > 0 else np.nan
                if not np.isfinite(s0):
                    continue
                q = quantiles(np.asarray(cm.shares)[:, r, j])
                if lo <= s0 <= hi or (q[0] <= hi and q[2] >= lo):
                    items.append({"region": names[r], "share": s0, "p05": float(q[0]),
                                  "p95": float(q[2]), "people": float(pm.tally[r, j])})
            items.sort(key=lambda x: float(x["share"]))
            if items:
                flips[comm] = items
        # verdict at each threshold: same side in >= stable of draws, and not within margin
        shares = np.asarray(cm.shares)                                # [d, k, g]
        s_point = np.nan_to_num(pm.shares, nan=0.0)                  # [k, g]
        lives = pm.tally > 0                                          # [k, g]
        fin = np.isfinite(shares)
        n_ok = np.maximum(fin.sum(axis=0), 1)
        robust = np.ones((thr.size, len(cm.communities)), dtype=bool)
        for i, t_ in enumerate(thr):
            below = ((shares < t_) & fin).sum(axis=0) / n_ok          # [k, g]
            agree = np.where(s_point < t_, below, 1.0 - below)
            bad = lives & ((agree < stable) | (np.abs(s_point - t_) < margin))
            robust[i] = ~bad.any(axis=0)
        out[cname] = SweepResult(cname, cm.communities, thr, st_p, st_q,
                                 tuple(n for n, _ in rules), np.stack(emp_p), e_q, flips, robust)
    return out
