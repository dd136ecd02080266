"""Where a plan sits in an ensemble: percentiles of its scalars and sorted-region comparisons.

Data only (JSON-ready dictionaries) for reports and the web app. Percentiles are mid-ranks: the
share of ensemble values below the plan's value plus half the share equal to it, so a plan in the
middle of the ensemble is at 50 and one beyond every ensemble plan at 0 or 100.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter._util import percentile_rank
from dayafter.ensemble import store
from dayafter.ensemble.constraints import ChainConstraints
from dayafter.errors import InputDataError
from dayafter.manifest import read_manifest
from dayafter.plan import Plan
from dayafter.territory import Territory

__all__ = ["mid_percentile", "sorted_region_comparison", "where_in_ensemble"]

_QUANTS = (0.05, 0.25, 0.5, 0.75, 0.95)
_QNAMES = ("p05", "p25", "median", "p75", "p95")


def mid_percentile(values: NDArray[np.float64], x: float) -> float:
    """Mid-rank percentile (0..100) of ``x`` among ``values`` (NaNs ignored).

    >>> mid_percentile(np.array([1.0, 2.0, 3.0, 4.0]), 2.0)
    37.5
    """
    return percentile_rank(values, x)


def _plan_scalars(t: Territory, a: NDArray[np.int32], k: int, columns: list[str],
                  constraints: ChainConstraints, threshold: float) -> dict[str, float]:
    from dayafter.metrics import evaluate_assignment, geometry_metrics

    out: dict[str, float] = {}
    for col in columns:
        if col == "cut_edges":
            out[col] = float(geometry_metrics(t, a, k).cut_edges)
        elif col == "max_abs_deviation":
            pop = np.bincount(a, weights=t.population(constraints.census), minlength=k)
            out[col] = float(np.max(np.abs(pop / pop.mean() - 1.0)))
        elif col.startswith("geometry/"):
            out[col] = float(geometry_metrics(t, a, k).scalars()[col.split("/", 1)[1]])
        elif "/" in col:
            census, metric = col.split("/", 1)
            out[col] = float(evaluate_assignment(t, a, k, census=census,
                                                 threshold=threshold).scalars()[metric])
    return out


def sorted_region_comparison(ensemble: NDArray[np.float64], plan_values: NDArray[np.float64]
                             ) -> dict[str, Any]:
    """Sorted-region boxplot data: each plan's per-region values sorted, compared by rank.

    ``ensemble`` is ``(samples, k)``; returns quantiles per rank, the plan's sorted values and
    the percentile of each of them at its rank.
    """
    ens = np.sort(np.asarray(ensemble, dtype=np.float64), axis=1)
    mine = np.sort(np.asarray(plan_values, dtype=np.float64))
    out: dict[str, Any] = {"plan": mine.tolist()}
    q = np.quantile(ens, _QUANTS, axis=0)
    for name, row in zip(_QNAMES, q, strict=True):
        out[name] = row.tolist()
    out["min"] = ens.min(axis=0).tolist()
    out["max"] = ens.max(axis=0).tolist()
    out["percentile"] = [mid_percentile(ens[:, j], mine[j]) for j in range(mine.size)]
    return out


def where_in_ensemble(territory: Territory, plan: Plan, run_dir: str | os.PathLike[str],
                      *, censuses: list[str] | None = None) -> dict[str, Any]:
    """Percentile of every recorded scalar, and sorted-region comparisons from stored plans.

    Parameters
    ----------
    territory, plan
        The plan to place (it must have the run's number of regions).
    run_dir
        A finished run; sorted-region comparisons need thinned assignments (``thin > 0``).
    censuses
        Censuses for the per-region community shares (default: all).

    Returns
    -------
    dict
        ``{"scalars": {column: {"value", "percentile", "p05".."p95", "n"}},
        "regions": {"<census>/share:<community>" and "<census>/population": {...}}}``.
    """
    rd = Path(run_dir)
    man = read_manifest(rd)
    if man.get("status") != "complete":
        raise InputDataError(f"run {rd} is not complete", hint="resume it first")
    prm = man["parameters"]
    plan.check_territory(territory)
    if man["inputs"]["territory_hash"] != territory.content_hash:
        raise InputDataError(f"run {rd} was made on other territory data",
                             hint="compare plans of the territory the run used")
    k = plan.k
    if np.any(plan.assignment < 0):
        missing = territory.unit_ids[plan.assignment < 0].tolist()
        raise InputDataError(f"plan {plan.name!r} leaves {len(missing)} units unassigned "
                             f"({', '.join(missing[:5])})", hint="assign every unit before comparing")
    run_k = _run_regions(rd)
    if run_k is not None and run_k != k:
        raise InputDataError(f"plan {plan.name!r} has {k} regions, the ensemble in {rd} has {run_k}",
                             hint="compare a plan with the run's number of regions")
    cols = [store.load_chain(rd, i, prm["format"]) for i in range(prm["chains"])]
    names = [c for c in cols[0] if c not in ("step", "status", "trees", "plan_hash")]
    cons = ChainConstraints.from_dict(prm["constraints"])
    a = plan.assignment.astype(np.int32)
    values = _plan_scalars(territory, a, k, names, cons, float(prm["threshold"]))
    scalars: dict[str, Any] = {}
    for name in names:
        ens = np.concatenate([np.asarray(c[name], dtype=np.float64) for c in cols])
        q = np.quantile(ens[np.isfinite(ens)], _QUANTS) if np.isfinite(ens).any() \
            else np.full(len(_QUANTS), np.nan)
        entry = {"value": values[name], "percentile": mid_percentile(ens, values[name]),
                 "n": int(ens.size)}
        entry.update(dict(zip(_QNAMES, q.tolist(), strict=True)))
        scalars[name] = entry
    regions: dict[str, Any] = {}
    if int(prm["thin"]) > 0:
        samples = np.concatenate([store.load_assignments(rd, i, prm["format"])[0]
                                  for i in range(prm["chains"])]).astype(np.int64)
        if samples.shape[0] and int(samples.max()) + 1 > k:
            raise InputDataError(f"the run has more regions than plan {plan.name!r} ({k})")
        s = samples.shape[0]
        flat = (np.arange(s)[:, None] * k + samples).ravel()
        for census in (censuses or list(territory.census_names)):
            table = territory.census(census)
            tally = np.stack([np.bincount(flat, weights=np.tile(table[:, g], s),
                                          minlength=s * k).reshape(s, k)
                              for g in range(table.shape[1])], axis=2)
            total = tally.sum(axis=2)
            mine = np.stack([np.bincount(a, weights=table[:, g], minlength=k)
                             for g in range(table.shape[1])], axis=1)
            mine_total = mine.sum(axis=1)
            regions[f"{census}/population"] = sorted_region_comparison(total, mine_total)
            with np.errstate(invalid="ignore", divide="ignore"):
                for g, comm in enumerate(territory.communities):
                    regions[f"{census}/share:{comm}"] = sorted_region_comparison(
                        np.nan_to_num(tally[:, :, g] / total),
                        np.nan_to_num(mine[:, g] / mine_total))
    return {"run_dir": str(rd), "plan": plan.name, "scalars": scalars, "regions": regions,
            "samples": int(sum(c["status"].size for c in cols))}


def _run_regions(run_dir: Path) -> int | None:
    """Number of regions of the run's plans (read from its ``inputs.npz``), or None if absent."""
    path = Path(run_dir) / "inputs.npz"
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as z:
        return int(z["k"]) if "k" in z.files else None
