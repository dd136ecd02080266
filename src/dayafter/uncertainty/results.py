"""JSON-ready results over draws, and a quick path for interactive use.

:func:`summary_dict` turns a plan evaluated over draws into the structure the CLI's ``--json``,
the report and the web app share: every figure with its point value, p05, p50 and p95 (and a
verdict where the figure rests on thresholds), every criterion with the share of draws in which
it passes, and the verdicts with their reasons.

:func:`quick_summary` answers for one plan from a few draws (64 by default) in milliseconds: the
draws of a territory are made once and kept (per territory, error model and seed), and since the
first ``m`` draws of a longer run are the draws of a run with ``m`` draws, a refinement with more
draws extends the quick answer instead of replacing it.

>>> import dayafter as da
>>> case = da.cases.load("northern-iraq")
>>> out = quick_summary(case.territory, case.plans["krg-releases-claims"], draws=64)
>>> sorted(out)
['criteria', 'draws', 'figures', 'regions', 'verdicts']
>>> fig = out["figures"]["baseline/stranded:yazidi"]
>>> sorted(fig)
['p05', 'p50', 'p95', 'point', 'reason', 'verdict']
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dayafter._util import finite
from dayafter.criteria import Criterion, EngineOutputs
from dayafter.metrics.evaluate import DEFAULT_THRESHOLD
from dayafter.plan import Plan
from dayafter.territory import Territory
from dayafter.uncertainty.criteria import EngineDraws, check_criteria_draws
from dayafter.uncertainty.evaluate import DrawEvaluation, evaluate_draws
from dayafter.uncertainty.model import CensusDraws, CensusModel, ErrorModel
from dayafter.uncertainty.summary import quantiles
from dayafter.uncertainty.verdicts import (
    DEFAULT_MARGIN,
    DEFAULT_STABLE,
    criterion_verdict,
    figure_verdicts,
    verdicts,
)

__all__ = ["cached_draws", "quick_summary", "summary_dict"]


def summary_dict(dev: DrawEvaluation, *, criteria: Sequence[Criterion] = (),
                 labels: Mapping[str, str] | None = None, stable: float = DEFAULT_STABLE,
                 margin: float = DEFAULT_MARGIN, regions: bool = True,
                 engines: EngineOutputs | None = None,
                 engine_draws: EngineDraws | None = None) -> dict[str, Any]:
    """Everything a person needs about one plan's uncertainty, JSON-ready.

    Returns
    -------
    dict
        ``draws`` (number, seed, model), ``figures`` (key to point/p05/p50/p95 and, for stranded
        and empowerment shares, ``verdict`` and ``reason``), ``criteria`` (each result with
        ``pass_share``, ``verdict``, ``reason``), ``regions`` (per census and region: share of
        draws in which each community is largest) and ``verdicts`` (every finding).

    Notes
    -----
    Criteria on engine outputs need ``engines`` (on the census as given) and ``engine_draws``
    (:func:`dayafter.outcomes.engine_draws`), as for :func:`check_criteria_draws`.
    """
    vs = verdicts(dev, labels=labels, stable=stable, margin=margin)
    fv = figure_verdicts(vs)
    figs = dev.figures() if regions else dev.scalars()
    pts = dev.point_figures()
    keys = list(figs)
    q = quantiles(np.vstack([np.asarray(figs[k], dtype=np.float64) for k in keys])).tolist() \
        if keys else []
    figures: dict[str, Any] = {}
    for i, key in enumerate(keys):
        p05, p50, p95 = q[i]
        entry: dict[str, Any] = {"point": finite(pts.get(key, np.nan)), "p05": finite(p05),
                                 "p50": finite(p50), "p95": finite(p95)}
        v = fv.get(key)
        if v is not None:
            entry["verdict"] = v.verdict
            entry["reason"] = v.reason
        figures[key] = entry
    crit_out = []
    for cd in (check_criteria_draws(dev, criteria, engines=engines, engine_draws=engine_draws)
               if criteria else []):
        v = criterion_verdict(cd, stable=stable, labels=labels)
        d = cd.to_dict()
        d.update(verdict=v.verdict, reason=v.reason)
        crit_out.append(d)
        vs.append(v)
    reg: dict[str, Any] = {}
    for cname, cm in dev.censuses.items():
        big = np.asarray(cm.largest)
        rows = []
        for k, name in enumerate(dev.plan.region_names):
            col = big[:, k]
            col = col[col >= 0]
            counts = np.bincount(col, minlength=len(cm.communities)) if col.size else \
                np.zeros(len(cm.communities), dtype=np.int64)
            tot = max(int(counts.sum()), 1)
            rows.append({"name": name, "largest": {c: float(counts[j] / tot)
                                                   for j, c in enumerate(cm.communities) if counts[j]}})
        reg[cname] = rows
    return {"draws": dev.draws.describe(), "figures": figures, "criteria": crit_out,
            "regions": reg, "verdicts": [v.to_dict() for v in vs]}


_CACHE: weakref.WeakKeyDictionary[Territory, dict[tuple[Any, ...], CensusDraws]] = \
    weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _errors_key(errors: ErrorModel) -> tuple[Any, ...]:
    d = errors.to_dict()
    return tuple((k, tuple(sorted(v.items())) if isinstance(v, dict) else v) for k, v in sorted(d.items()))


def cached_draws(territory: Territory, n_draws: int, *, seed: int = 0,
                 errors: ErrorModel | None = None) -> CensusDraws:
    """The first ``n_draws`` draws of a territory, made once and kept.

    Draws are kept per territory (weakly: they go with it), error model and seed; a request for
    more draws than kept draws them all again (the first ones are unchanged).
    """
    em = errors if errors is not None else ErrorModel()
    key = (_errors_key(em), int(seed))
    with _LOCK:
        per = _CACHE.setdefault(territory, {})
        have = per.get(key)
    if have is not None and have.n_draws >= n_draws:
        return have if have.n_draws == n_draws else have.head(n_draws)
    draws = CensusModel(territory, em).draw(int(n_draws), seed=int(seed))
    with _LOCK:
        per = _CACHE.setdefault(territory, {})
        cur = per.get(key)
        if cur is None or cur.n_draws < draws.n_draws:
            per[key] = draws
    return draws


def quick_summary(territory: Territory, plan: Plan, *, draws: int = 64, seed: int = 0,
                  errors: ErrorModel | None = None, threshold: float = DEFAULT_THRESHOLD,
                  reference: Plan | None = None, criteria: Sequence[Criterion] = (),
                  labels: Mapping[str, str] | None = None, regions: bool = True) -> dict[str, Any]:
    """:func:`summary_dict` of one plan from ``draws`` cached draws (the web panel's answer).

    With the draws kept, 64 draws of the built-in case answer in a few milliseconds; call again
    with ``draws=1000`` to refine (the first 64 draws are the same).
    """
    d = cached_draws(territory, draws, seed=seed, errors=errors)
    dev = evaluate_draws(territory, plan, d, threshold=threshold, reference=reference)
    return summary_dict(dev, criteria=criteria, labels=labels, regions=regions)
