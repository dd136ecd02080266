"""Paired comparison of two plans over the same census draws: how often does A beat B?

Both plans are evaluated on the *same* draws, so each draw is one possible census on which the
two plans are compared; the share of draws in which A is better than B on a metric is then the
probability, under the census model, that A beats B on it. A metric's direction (higher or lower
is better) decides what "better" means; metrics without a direction (such as fractionalization)
report the share of draws in which A's value is higher.

>>> import numpy as np
>>> from dayafter.plan import Plan, Region
>>> from dayafter.testing.grids import grid_territory
>>> from dayafter.uncertainty import CensusModel, ErrorModel, evaluate_draws
>>> t = grid_territory(1, 3, communities=np.array([[90.0, 10], [50, 50], [5, 95]]))
>>> a = Plan(np.array([0, 0, 1]), (Region("W"), Region("E")), name="A", territory_hash=t.content_hash)
>>> b = Plan(np.array([0, 1, 1]), (Region("W"), Region("E")), name="B", territory_hash=t.content_hash)
>>> draws = CensusModel(t, ErrorModel(unknown_error=0.2)).draw(200, seed=4)
>>> cmp = compare_draws(*evaluate_draws(t, [a, b], draws))
>>> r = cmp["census/stranded:b"]
>>> r.direction, r.a_better + r.b_better + r.tie
(-1, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dayafter._util import finite
from dayafter.errors import ConfigError
from dayafter.uncertainty.evaluate import DrawEvaluation
from dayafter.uncertainty.summary import quantiles

__all__ = ["Paired", "compare_draws", "metric_direction"]

def metric_direction(key: str) -> int:
    """``+1`` when a higher value is better, ``-1`` when lower is better, ``0`` when neither.

    ``key`` is a figure key such as ``baseline/stranded:yazidi``; the direction is the metric
    registry's (:mod:`dayafter.metrics.registry`); figures it does not know are neutral.

    >>> metric_direction("baseline/stranded:yazidi"), metric_direction("current/theil_h")
    (-1, 0)
    """
    from dayafter.errors import ConfigError as _ConfigError
    from dayafter.metrics.registry import get

    try:
        d = get(key).direction
    except _ConfigError:
        return 0
    return {"higher": 1, "lower": -1}.get(d, 0)


@dataclass(frozen=True)
class Paired:
    """One metric of two plans compared draw by draw.

    Attributes
    ----------
    key
        Figure key (``<census>/<metric>``).
    direction
        See :func:`metric_direction`.
    a_better, b_better, tie
        Shares of draws (for ``direction == 0``: A higher, B higher, equal).
    point_a, point_b
        Values on the census as given.
    diff_q
        p05, p50, p95 of ``A - B`` over draws.
    """

    key: str
    direction: int
    a_better: float
    b_better: float
    tie: float
    point_a: float
    point_b: float
    diff_q: tuple[float, float, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"direction": {1: "higher", -1: "lower", 0: "neutral"}[self.direction],
                "a_better": self.a_better, "b_better": self.b_better, "tie": self.tie,
                "point_a": finite(self.point_a), "point_b": finite(self.point_b),
                "difference": {"p05": finite(self.diff_q[0]), "p50": finite(self.diff_q[1]),
                               "p95": finite(self.diff_q[2])}}


def _same_draws(a: DrawEvaluation, b: DrawEvaluation) -> bool:
    da, db = a.draws, b.draws
    return da is db or (da.seed == db.seed and da.territory_hash == db.territory_hash
                        and da.n_draws == db.n_draws and dict(da.model) == dict(db.model))


def compare_draws(a: DrawEvaluation, b: DrawEvaluation, *, tol: float = 1e-12) -> dict[str, Paired]:
    """Compare plans A and B on every plan-level figure they share, draw by draw.

    Parameters
    ----------
    a, b
        Two plans evaluated on the same draws (e.g. ``evaluate_draws(t, [a, b], draws)``).
    tol
        Differences within ``tol`` (relative to the larger magnitude) count as ties.

    Returns
    -------
    dict
        Figure key (``<census>/<metric>[:<community>]``) to :class:`Paired`: the shares of draws
        in which A is better, B is better and both tie, and the range of the difference.

    Raises
    ------
    ConfigError
        When the two evaluations used different draws (the comparison would not be paired).

    Examples
    --------
    >>> import numpy as np
    >>> from dayafter.plan import Plan, Region
    >>> from dayafter.testing.grids import grid_territory
    >>> from dayafter.uncertainty import CensusModel, ErrorModel, evaluate_draws
    >>> t = grid_territory(1, 3, communities=np.array([[90.0, 10], [60, 40], [10, 90]]))
    >>> r = (Region("W"), Region("E"))
    >>> a = Plan(np.array([0, 0, 1]), r, territory_hash=t.content_hash, name="a")
    >>> b = Plan(np.array([0, 1, 1]), r, territory_hash=t.content_hash, name="b")
    >>> da, db = evaluate_draws(t, [a, b], CensusModel(t, ErrorModel(unknown_error=0.2)).draw(100, seed=1))
    >>> p = compare_draws(da, db)["census/stranded:a"]
    >>> p.a_better + p.b_better + p.tie
    1.0
    """
    if not _same_draws(a, b):
        raise ConfigError("the two plans were evaluated on different census draws",
                          hint="evaluate them together: evaluate_draws(territory, [a, b], draws)")
    sa, sb = a.scalars(), b.scalars()
    pa, pb = a.point.scalars(), b.point.scalars()
    keys = [k for k in sa if k in sb]
    out: dict[str, Paired] = {}
    if not keys:
        return out
    A = np.vstack([sa[k] for k in keys])
    B = np.vstack([sb[k] for k in keys])
    diff = A - B
    scale = np.maximum(np.abs(A), np.abs(B))
    with np.errstate(invalid="ignore"):
        tie = np.abs(diff) <= tol * np.where(scale > 0, scale, 1.0)
    valid = np.isfinite(diff)
    n = np.maximum(valid.sum(axis=1), 1)
    dq = quantiles(diff)
    for i, key in enumerate(keys):
        sgn = metric_direction(key) or 1
        better_a = valid[i] & ~tie[i] & (sgn * diff[i] > 0)
        better_b = valid[i] & ~tie[i] & (sgn * diff[i] < 0)
        t = valid[i] & tie[i]
        out[key] = Paired(key, metric_direction(key), float(better_a.sum() / n[i]),
                          float(better_b.sum() / n[i]), float(t.sum() / n[i]),
                          float(pa.get(key, np.nan)), float(pb.get(key, np.nan)),
                          (float(dq[i, 0]), float(dq[i, 1]), float(dq[i, 2])))
    return out
