"""Ensemble context for a dossier: where each plan sits in a distribution of sampled plans.

An :class:`EnsembleContext` holds, for every sampled plan, the plan-level scalars (the keys of
:meth:`dayafter.metrics.Evaluation.scalars`) and, for per-region metrics, the region values sorted
in increasing order (the "sorted-region" view used for boxplots). It is built from sampled
assignments with the same metric code that evaluates a single plan
(:meth:`EnsembleContext.from_assignments`), or from tables an ensemble run already computed
(:meth:`EnsembleContext.from_tables`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from dayafter._util import percentile_rank
from dayafter.errors import InputDataError
from dayafter.metrics import DEFAULT_THRESHOLD, Evaluation, census_metrics, geometry_metrics
from dayafter.territory import Territory

__all__ = ["REGION_METRICS", "EnsembleContext", "percentile_of", "plan_region_values"]

REGION_METRICS: tuple[str, ...] = ("largest_share", "deviation", "fractionalization",
                                   "polsby_popper")
"""Per-region metrics kept in sorted form: ``<census>/<metric>`` for census metrics,
``polsby_popper`` for the census-independent one, and ``<census>/share:<community>``."""


def percentile_of(samples: NDArray[np.float64], value: float) -> float:
    """Percentile rank (0-100) of ``value`` among ``samples``, ties counted half (mid-rank).

    NaN samples are ignored; NaN when no finite sample or ``value`` is NaN (see
    :func:`dayafter._util.percentile_rank`).

    >>> percentile_of(np.array([1.0, 2.0, 3.0, 4.0]), 3.0)
    62.5
    """
    return percentile_rank(samples, value)


def _region_arrays(ev_geometry: Any, cms: Mapping[str, Any], communities: Sequence[str]
                   ) -> dict[str, NDArray[np.float64]]:
    out: dict[str, NDArray[np.float64]] = {"polsby_popper": np.asarray(ev_geometry.polsby_popper, float)}
    for cname, cm in cms.items():
        for m in REGION_METRICS:
            if m == "polsby_popper":
                continue
            out[f"{cname}/{m}"] = np.asarray(getattr(cm, m), dtype=float)
        for i, c in enumerate(communities):
            out[f"{cname}/share:{c}"] = np.asarray(cm.shares[:, i], dtype=float)
    return out


def plan_region_values(ev: Evaluation) -> dict[str, NDArray[np.float64]]:
    """The plan's per-region values for every sorted-region metric key, sorted increasingly."""
    comms = next(iter(ev.censuses.values())).communities if ev.censuses else ()
    return {k: np.sort(v) for k, v in _region_arrays(ev.geometry, ev.censuses, comms).items()}


@dataclass(frozen=True)
class EnsembleContext:
    """Metrics of an ensemble of plans, for comparing given plans with it.

    Attributes
    ----------
    scalars
        One row per sampled plan, one column per scalar metric key.
    sorted_regions
        Metric key to ``float64[samples, k]``: each row holds one sample's region values sorted
        (the samples may be a thinned subset of the scalar rows).
    source
        Where the ensemble comes from (run directory, description).
    meta
        The run's manifest (parameters, seeds, counts), shown in the provenance section.
    """

    scalars: pd.DataFrame
    sorted_regions: Mapping[str, NDArray[np.float64]] = field(default_factory=dict)
    source: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.scalars) == 0:
            raise InputDataError("an ensemble context needs at least one sampled plan",
                                 hint="run the ensemble for more steps", source=self.source)
        for key, arr in self.sorted_regions.items():
            if np.ndim(arr) != 2 or np.shape(arr)[0] == 0:
                raise InputDataError(
                    f"sorted region values {key!r} have shape {np.shape(arr)}, expected (samples, k)",
                    source=self.source)

    @property
    def k(self) -> int | None:
        """Number of regions of the sampled plans (``None`` when no region values are kept)."""
        for arr in self.sorted_regions.values():
            return int(np.shape(arr)[1])
        return None

    @property
    def n_samples(self) -> int:
        """Number of sampled plans."""
        return len(self.scalars)

    def percentile(self, metric: str, value: float) -> float:
        """Percentile rank of ``value`` in the ensemble's distribution of ``metric``."""
        if metric not in self.scalars.columns:
            raise InputDataError(f"the ensemble has no metric {metric!r}",
                                 hint=f"use one of {list(self.scalars.columns)[:8]}", source=self.source)
        return percentile_of(self.scalars[metric].to_numpy(dtype=float), value)

    @classmethod
    def from_tables(
        cls,
        scalars: pd.DataFrame,
        sorted_regions: Mapping[str, NDArray[np.float64]] | None = None,
        *,
        source: str = "",
        meta: Mapping[str, Any] | None = None,
    ) -> EnsembleContext:
        """Wrap metric tables an ensemble run already holds (rows = samples)."""
        regs = {k: np.sort(np.asarray(v, dtype=float), axis=1) for k, v in (sorted_regions or {}).items()}
        return cls(scalars.reset_index(drop=True), regs, source=source, meta=dict(meta or {}))

    @classmethod
    def from_run(
        cls,
        run_dir: str | os.PathLike[str],
        territory: Territory,
        *,
        censuses: Sequence[str] | None = None,
    ) -> EnsembleContext:
        """Read a finished ``dayafter ensemble run`` directory.

        The scalars are the per-step metrics every chain recorded; sorted-region values are
        computed from the thinned assignments when the run kept some (``thin > 0``).

        Raises
        ------
        InputDataError
            The run is unfinished or was made on other territory data.
        """
        from dayafter.ensemble import store
        from dayafter.manifest import read_manifest

        rd = Path(run_dir)
        src = str(rd)
        man = read_manifest(rd)
        if man.get("status") != "complete":
            raise InputDataError(f"ensemble run {rd} is not complete (status {man.get('status')!r})",
                                 hint="resume or rerun it before reporting", source=src)
        run_hash = man.get("inputs", {}).get("territory_hash")
        if run_hash != territory.content_hash:
            raise InputDataError(
                f"ensemble run {rd} was made on other territory data "
                f"({str(run_hash)[:12]}, not {territory.content_hash[:12]})",
                hint="report plans of the territory the run used", source=src)
        prm = man["parameters"]
        chains = [store.load_chain(rd, i, prm["format"]) for i in range(int(prm["chains"]))]
        skip = {"step", "status", "trees", "plan_hash"}
        cols = [c for c in chains[0] if c not in skip]
        scalars = pd.DataFrame({c: np.concatenate([np.asarray(ch[c], dtype=np.float64)
                                                   for ch in chains]) for c in cols})
        regions: dict[str, NDArray[np.float64]] = {}
        if int(prm.get("thin", 0)) > 0:
            _, _, k, _ = store.load_inputs(rd)
            A = np.concatenate([store.load_assignments(rd, i, prm["format"])[0]
                                for i in range(int(prm["chains"]))])
            if A.shape[0]:
                sub = cls.from_assignments(territory, A, k, censuses=censuses,
                                           threshold=float(prm.get("threshold", DEFAULT_THRESHOLD)),
                                           source=src)
                regions = dict(sub.sorted_regions)
        meta: dict[str, Any] = {key: man.get(key) for key in ("parameters", "seeds", "counts", "versions",
                                               "started", "finished") if key in man}
        return cls(scalars, regions, source=src, meta=meta)

    @classmethod
    def from_assignments(
        cls,
        territory: Territory,
        assignments: NDArray[np.integer],
        k: int,
        *,
        censuses: Sequence[str] | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        source: str = "",
        meta: Mapping[str, Any] | None = None,
    ) -> EnsembleContext:
        """Score every sampled assignment (rows of ``assignments``, ``int[s, n]``) with the metric
        functions that :func:`dayafter.evaluate` uses.

        Notes
        -----
        O(s (n g + m)) for ``s`` samples: each sample is tallied by the compiled metric kernels.
        """
        A = np.asarray(assignments)
        if A.ndim != 2 or A.shape[1] != territory.n_units:
            raise InputDataError(
                f"ensemble assignments have shape {A.shape}, expected (samples, {territory.n_units})",
                source=source)
        if A.size and (A.min() < -1 or A.max() >= k):
            raise InputDataError(f"ensemble assignments must lie in -1..{k - 1}", source=source)
        names = list(censuses) if censuses is not None else list(territory.census_names)
        rows: list[dict[str, float]] = []
        regs: dict[str, list[NDArray[np.float64]]] = {}
        for row in A:
            a = np.ascontiguousarray(row, dtype=np.int32)
            geo = geometry_metrics(territory, a, k)
            cms = {c: census_metrics(territory, a, k, c, threshold=threshold) for c in names}
            sc = dict(geo.scalars())
            for c, cm in cms.items():
                sc.update({f"{c}/{key}": v for key, v in cm.scalars().items()})
            rows.append(sc)
            for key, v in _region_arrays(geo, cms, territory.communities).items():
                regs.setdefault(key, []).append(np.sort(v))
        return cls(pd.DataFrame(rows), {key: np.vstack(v) for key, v in regs.items()},
                   source=source, meta=dict(meta or {}))
