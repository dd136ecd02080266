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
from dayafter.errors import InputDataError, first_ids
from dayafter.manifest import read_manifest
from dayafter.plan import Plan
from dayafter.territory import Territory, select_units

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
                  constraints: ChainConstraints, threshold: float,
                  part: NDArray[np.bool_]) -> dict[str, float]:
    """The plan's value of each recorded column (``part``: the regions taking part)."""
    from dayafter.metrics import evaluate_assignment, geometry_metrics

    out: dict[str, float] = {}
    cache: dict[str, Any] = {}

    def census(name: str) -> Any:
        if name not in cache:
            cache[name] = evaluate_assignment(t, a, k, census=name, threshold=threshold)
        return cache[name]

    for col in columns:
        if col == "cut_edges":
            out[col] = float(geometry_metrics(t, a, k).cut_edges)
        elif col == "max_abs_deviation":
            pop = np.bincount(a, weights=t.population(constraints.census), minlength=k)[part]
            out[col] = float(np.max(np.abs(pop / pop.mean() - 1.0)))
        elif col.startswith("geometry/"):
            out[col] = float(geometry_metrics(t, a, k).scalars()[col.split("/", 1)[1]])
        elif "/largest_share@" in col:
            name, rank = col.split("/largest_share@", 1)
            ranked = np.sort(census(name).largest_share[part])[::-1]
            r = int(rank) - 1
            out[col] = float(ranked[r]) if r < ranked.size else float("nan")
        elif "/" in col:
            name, metric = col.split("/", 1)
            out[col] = float(census(name).scalars()[metric])
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
                      *, censuses: list[str] | None = None,
                      subset: str | list[str] | None = None) -> dict[str, Any]:
    """Percentile of every recorded scalar, and sorted-region comparisons from stored plans.

    A plan is compared only with an ensemble of the same question: the same subset (the run's,
    or ``subset`` when given, which must then be the run's), the same plan outside it (the units
    the chains could not change grouped into the same regions), and a number of regions taking
    part that the run's chains had.

    Parameters
    ----------
    territory, plan
        The plan to place.
    run_dir
        A finished run; sorted-region comparisons need thinned assignments (``thin > 0``) and
        chains with the plan's number of regions.
    censuses
        Censuses for the per-region community shares (default: all).
    subset
        The subset the comparison is about (``"governorate=IQG15"`` or unit ids); refused when
        it is not the run's.

    Returns
    -------
    dict
        ``{"scalars": {column: {"value", "percentile", "p05".."p95", "n"}},
        "regions": {"<census>/share:<community>" and "<census>/population": {...}},
        "subset": ..., "regions_taking_part": ...}``.

    Raises
    ------
    InputDataError
        The run is unfinished or of other data, or asks another question than the plan's
        (subset, fixed part, number of regions).
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
    cons = ChainConstraints.from_dict(prm["constraints"])
    mask = cons.subset_mask(territory)
    _same_question(territory, plan, rd, man, cons, mask, subset)
    a = plan.assignment.astype(np.int32)
    part = np.ones(k, bool) if mask is None else np.bincount(a[mask], minlength=k) > 0
    kp = int(part.sum())
    question = man.get("question", {})
    run_kp = question.get("regions_taking_part")
    if run_kp is None:  # runs made before the question was recorded
        run_k = _run_regions(rd)
        run_kp = [run_k] if run_k is not None else [k]
    if kp not in run_kp:
        what = ("region" if kp == 1 else "regions") + ("" if mask is None else " in the subset")
        raise InputDataError(
            f"plan {plan.name!r} has {kp} {what}, the ensemble in {rd} has "
            f"{sorted(set(run_kp))}",
            hint="compare a plan with the run's number of regions, or run the ensemble with "
                 f"--regions {kp}" if kp >= 2 else
                 "a plan that leaves the subset in one region has no alternative split to be "
                 "compared with; compare a plan that divides it")
    cols = [store.load_chain(rd, i, prm["format"]) for i in range(prm["chains"])]
    names = [c for c in cols[0] if c not in ("step", "status", "trees", "plan_hash")]
    values = _plan_scalars(territory, a, k, names, cons, float(prm["threshold"]), part)
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
    ks = question.get("regions") or [k] * int(prm["chains"])
    same_k = [i for i in range(int(prm["chains"]))
              if ks[i] == k and run_kp[i % len(run_kp)] == kp]
    if int(prm["thin"]) > 0 and same_k:
        samples = np.concatenate([store.load_assignments(rd, i, prm["format"])[0]
                                  for i in same_k]).astype(np.int64)
        if samples.shape[0] and int(samples.max()) + 1 > k:
            raise InputDataError(f"the run has more regions than plan {plan.name!r} ({k})")
        s = samples.shape[0]
        flat = (np.arange(s)[:, None] * k + samples).ravel()
        # the regions taking part in each sample (all, or those holding subset units); a sample
        # in which a region straddling the subset gave all its subset units away is left out
        keep = np.ones((s, k), dtype=bool) if mask is None else \
            np.bincount(flat[np.tile(mask, s)], minlength=s * k).reshape(s, k) > 0
        rows = np.flatnonzero(keep.sum(axis=1) == kp)
        for census in (censuses or list(territory.census_names)) if rows.size else []:
            table = territory.census(census)
            tally = np.stack([np.bincount(flat, weights=np.tile(table[:, g], s),
                                          minlength=s * k).reshape(s, k)
                              for g in range(table.shape[1])], axis=2)
            tally = np.stack([tally[i][keep[i]] for i in rows])
            total = tally.sum(axis=2)
            mine = np.stack([np.bincount(a, weights=table[:, g], minlength=k)
                             for g in range(table.shape[1])], axis=1)[part]
            mine_total = mine.sum(axis=1)
            regions[f"{census}/population"] = sorted_region_comparison(total, mine_total)
            with np.errstate(invalid="ignore", divide="ignore"):
                for g, comm in enumerate(territory.communities):
                    regions[f"{census}/share:{comm}"] = sorted_region_comparison(
                        np.nan_to_num(tally[:, :, g] / total),
                        np.nan_to_num(mine[:, g] / mine_total))
    return {"run_dir": str(rd), "plan": plan.name, "scalars": scalars, "regions": regions,
            "samples": int(sum(c["status"].size for c in cols)),
            "subset": cons.to_dict()["subset"], "regions_taking_part": kp}


def _same_question(t: Territory, plan: Plan, rd: Path, man: dict[str, Any],
                   cons: ChainConstraints, mask: NDArray[np.bool_] | None,
                   subset: str | list[str] | None) -> None:
    """Refuse a comparison between a plan and an ensemble of another question."""
    if subset is not None:
        asked, label = select_units(t, subset, what="subset")
        if mask is None:
            raise InputDataError(
                f"the ensemble in {rd} was not made on a subset, so it cannot answer a question "
                f"about {label}",
                hint=f"run the ensemble with --subset {label} and compare with that run")
        if not np.array_equal(asked, mask):
            raise InputDataError(
                f"the ensemble in {rd} was made on subset {cons.subset!r}, not {label}; plans "
                "are compared only with ensembles of the same subset",
                hint=f"run the ensemble with --subset {label}, or compare on {cons.subset!r}")
    if mask is None:
        return
    _, ref, _, _ = store.load_inputs(rd)
    out = ~mask
    a = plan.assignment[out].astype(np.int64)
    b = ref[out].astype(np.int64)
    pairs = np.unique(np.stack([a, b]), axis=1)
    if np.unique(pairs[0]).size != pairs.shape[1] or np.unique(pairs[1]).size != pairs.shape[1]:
        moved = np.flatnonzero(out)[_regrouped(a, b)]
        ids = t.unit_ids[moved].tolist()
        raise InputDataError(
            f"plan {plan.name!r} differs from the ensemble's plan outside the subset "
            f"{cons.subset!r} (units {first_ids(ids)}); the ensemble kept that part fixed, so it "
            "cannot tell where this plan sits", unit_ids=ids,
            hint="compare a plan that changes only the subset, or run an ensemble on a subset "
                 "that holds every unit it changes")


def _regrouped(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Units whose region in ``a`` is not the one most of their ``b`` region went to."""
    bad = np.zeros(a.size, dtype=bool)
    for r in np.unique(b):
        sel = b == r
        vals, counts = np.unique(a[sel], return_counts=True)
        bad |= sel & (a != vals[counts.argmax()])
    for r in np.unique(a):
        sel = a == r
        vals, counts = np.unique(b[sel], return_counts=True)
        bad |= sel & (b != vals[counts.argmax()])
    return bad


def _run_regions(run_dir: Path) -> int | None:
    """Number of regions of the run's plans (read from its ``inputs.npz``), or None if absent."""
    path = Path(run_dir) / "inputs.npz"
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as z:
        return int(z["k"]) if "k" in z.files else None
