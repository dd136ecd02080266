"""Chain runs: several ReCom chains, one process each, with streamed results and a manifest.

:class:`ReComSampler` holds the configuration (keyword-only, stored as given); :meth:`run` writes a
run directory (see :mod:`dayafter.ensemble.store`) and returns a :class:`RunResult`. Each chain
gets its own generator from ``np.random.SeedSequence(seed).spawn(chains)``; the root seed and the
spawn keys go into ``manifest.json``. :func:`replay` reruns a run from its directory alone and
checks that every array is identical; a run cancelled (a :class:`~dayafter.progress.CancelToken`,
Ctrl-C) stops within a fraction of a second with a checkpoint, or a killed run from its last
checkpoint, and resuming it gives the uninterrupted run bit for bit (the kernel's random stream
does not depend on how the steps are grouped into calls).

Province questions
------------------
``constraints={"subset": "governorate=IQG15"}`` lets the chains change only the units of the
subset (the rest of the plan is fixed); ``balance`` chooses the null model's population bounds
(``"equal"``, ``"plan"``: between the smallest and the largest region of the plan, ``"wide"``:
none); ``regions=(3, 4, 5)`` runs chains with each number of regions in turn, each starting from
a random split of the subset (or of the territory). Community metrics (``metrics=["community"]``:
empowerment by plurality and majority, stranded share, each region's largest share, on every
census in ``censuses``) are computed inside the kernel at every step and streamed to the run
store; :func:`dayafter.metrics.evaluate` is their test oracle.

Distributed runs
----------------
The same API runs each chain as a task on a Dask cluster: pass ``scheduler="tcp://host:8786"``
(``dayafter ensemble run --scheduler tcp://host:8786``). To point it at a real cluster:

1. Install the same environment (``pip install 'dayafter[distributed]'``, same versions, so the
   manifest and the replay agree) on the scheduler and every worker.
2. Start the scheduler (``dask scheduler``) and the workers (``dask worker tcp://host:8786
   --nthreads 1 --nworkers N``; one thread per worker, since a chain uses one core), or use
   ``dask_jobqueue`` / ``dask_kubernetes`` to start them through SLURM, PBS or Kubernetes.
3. Put the run directory (``--out``) on a file system every worker mounts (NFS, Lustre, a shared
   volume): workers read ``manifest.json`` and ``inputs.npz`` from it and write their blocks,
   checkpoints and results into it.

Chains are seeded by the run's ``SeedSequence`` alone, so a run on a cluster equals the same run
on one machine bit for bit (``tests/unit/ensemble/test_dask.py`` checks this on a
``distributed.LocalCluster``), and an interrupted cluster run resumes anywhere with ``--resume``.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from dayafter.ensemble import store
from dayafter.ensemble._procs import (
    FolderLock,
    check_no_live_writer,
    die_with_parent,
    workers_die_with_this_process,
)
from dayafter.ensemble.constraints import ChainConstraints
from dayafter.ensemble.diagnostics import effective_sample_size, split_rhat
from dayafter.ensemble.recom import CAUSES, ChainState, Proposal, StepRecord, run_steps
from dayafter.errors import ConfigError, InputDataError
from dayafter.manifest import (
    MANIFEST_NAME,
    now_utc,
    platform_info,
    read_manifest,
    record,
    sha256_arrays,
    versions,
    write_manifest,
)
from dayafter.plan import Plan, Region
from dayafter.progress import CancelToken, ProgressCallback, Throttle
from dayafter.territory import Territory
from dayafter.validation import PARAMETERS, Interval, StrOptions, validate_parameter_constraints

__all__ = ["COMMUNITY_METRICS", "ReComSampler", "ReplayResult", "RunResult", "replay",
           "run_chain", "summarize"]

_FORMATS = ("npz", "parquet")
MAX_STEPS = 10**9
"""Most steps per chain (a billion steps is days of computing; more is a typing mistake)."""
MAX_CHAINS = 1024
"""Most chains in one run."""
_KERNEL_COLUMNS = ("status", "trees", "cut_edges", "max_abs_deviation", "plan_hash")
COMMUNITY_METRICS = ("empowerment_plurality", "empowerment_majority", "stranded")
"""Per-community metrics the kernel computes at every step (with ``largest_share``, each
region's largest community share, ranked)."""
_CHUNK_SECONDS = 0.1  # kernel work between two looks at the clock, the cancel flag and progress
_CANCEL_FILE = "cancel"
_START_LEFTOVERS = frozenset({".lock", "inputs.npz", _CANCEL_FILE})
"""What a run writes before its manifest: a folder holding only these is a run killed at its start."""


class ReComSampler:
    """Run ReCom chains on a territory from a starting plan.

    Parameters
    ----------
    steps
        Steps per chain.
    chains
        Number of chains (each in its own process, with its own spawned seed).
    seed
        Root seed of ``np.random.SeedSequence``.
    method, pair_rule, tree, m_bound, max_tree_attempts
        The proposal; see :class:`dayafter.ensemble.recom.Proposal`.
    constraints
        Mapping accepted by :meth:`ChainConstraints.from_dict` (population bounds and
        ``balance``, ``subset``, locks, caps on admin splits); unknown keys are rejected.
    metrics
        Plan-level scalars recorded at every step besides ``cut_edges`` and
        ``max_abs_deviation``. Computed inside the kernel: ``"community"`` (all of the
        following), ``"empowerment_plurality:<community>"``, ``"empowerment_majority:<..>"``,
        ``"stranded:<..>"`` and ``"largest_share"`` (each region's largest share, ranked:
        columns ``largest_share@1`` for the most homogeneous region taking part, ...). Other keys
        of :meth:`dayafter.metrics.CensusMetrics.scalars` (``"theil_h"``) or of
        :meth:`dayafter.metrics.GeometryMetrics.scalars` (``"mean_polsby_popper"``) are
        computed in Python after every move (slow: one plan at a time). Census metrics give one
        column per census in ``censuses``, ``"<census>/<metric>"``.
    censuses
        Censuses the metrics are computed on (``None``: all).
    threshold
        Stranded-population threshold of the metrics.
    thin
        Keep every ``thin``-th plan as an ``int16`` assignment (0 keeps none).
    format
        ``"npz"`` or ``"parquet"`` for the per-step scalars.
    checkpoint_every
        Steps per block: results are streamed to disk and a checkpoint saved after each block.
    regions
        ``None``: every chain starts from the plan. A number of regions, or several (``(3, 4,
        5)``): chain ``i`` uses ``regions[i % len(regions)]`` and starts from a random split
        (of the subset, the rest of the plan kept, when ``constraints`` has a ``subset``; of the
        whole territory otherwise), drawn from the run's seed.
    n_jobs
        Processes for local runs (``None``: one per chain up to the CPU count; 1 runs the chains
        in this process one after the other).
    scheduler
        Address of a Dask scheduler (``tcp://host:8786``); chains then run as Dask tasks. The
        run directory must be on a file system the workers share.

    Examples
    --------
    >>> from dayafter.testing.grids import grid_territory, stripes
    >>> import tempfile
    >>> t = grid_territory(6, 6)
    >>> plan = Plan(stripes(6, 6, 3), tuple(Region(f"R{j}") for j in range(3)), t.content_hash)
    >>> res = ReComSampler(steps=200, chains=2, seed=1, n_jobs=1,
    ...                    constraints={"tolerance": 0.1}).run(t, plan, tempfile.mkdtemp())
    >>> res.counts["proposals"]
    400
    """

    def __init__(self, *, steps: int = 1000, chains: int = 2, seed: int = 0,
                 method: str = "recom", pair_rule: str = "cut_edge", tree: str = "uniform",
                 m_bound: int | None = None, max_tree_attempts: int = 1000,
                 constraints: Mapping[str, Any] | None = None, metrics: Sequence[str] = (),
                 censuses: Sequence[str] | None = None, threshold: float = 0.1, thin: int = 0,
                 format: str = "npz", checkpoint_every: int = 10_000,
                 regions: int | Sequence[int] | None = None, n_jobs: int | None = None,
                 scheduler: str | None = None) -> None:
        self.steps = steps
        self.chains = chains
        self.seed = seed
        self.method = method
        self.pair_rule = pair_rule
        self.tree = tree
        self.m_bound = m_bound
        self.max_tree_attempts = max_tree_attempts
        self.constraints = constraints
        self.metrics = metrics
        self.censuses = censuses
        self.threshold = threshold
        self.thin = thin
        self.format = format
        self.checkpoint_every = checkpoint_every
        self.regions = regions
        self.n_jobs = n_jobs
        self.scheduler = scheduler

    # ------------------------------------------------------------------ configuration
    def proposal(self) -> Proposal:
        """The proposal these parameters describe."""
        return Proposal(method=self.method, pair_rule=self.pair_rule, tree=self.tree,
                        m_bound=self.m_bound, max_tree_attempts=self.max_tree_attempts)

    def region_counts(self) -> tuple[int, ...] | None:
        """The numbers of regions of the chains (``None``: the plan's)."""
        if self.regions is None:
            return None
        ks = (self.regions,) if isinstance(self.regions, (int, np.integer)) else \
            tuple(self.regions)
        if not ks or not all(isinstance(k, (int, np.integer)) and k >= 2 for k in ks):
            raise ConfigError(f"regions must be numbers of regions of at least 2, got "
                              f"{self.regions!r}", hint="e.g. regions=(3, 4, 5)")
        return tuple(int(k) for k in ks)

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "steps": [Interval(Integral, 1, MAX_STEPS, closed="both")],
        "chains": [Interval(Integral, 1, MAX_CHAINS, closed="both")],
        "seed": [Interval(Integral, 0, None, closed="left")],
        "threshold": list(PARAMETERS["threshold"].constraints),
        "thin": [Interval(Integral, 0, None, closed="left")],
        "format": [StrOptions(_FORMATS)],
        "checkpoint_every": [Interval(Integral, 1, MAX_STEPS, closed="both")],
        "n_jobs": [Interval(Integral, 1, None, closed="left"), None],
    }

    def _validate(self) -> None:
        validate_parameter_constraints(
            self._parameter_constraints, {k: getattr(self, k) for k in self._parameter_constraints},
            type(self).__name__)
        self.proposal()
        self.region_counts()
        ChainConstraints.from_dict(self.constraints)

    # ------------------------------------------------------------------ run
    def run(self, territory: Territory, plan: Plan, out: str | os.PathLike[str], *,
            resume: bool = False, progress: ProgressCallback | None = None,
            cancel: CancelToken | None = None,
            input_files: Mapping[str, str] | None = None) -> RunResult:
        """Run the chains and write the run directory ``out``.

        Parameters
        ----------
        territory, plan
            The territory and the starting plan (complete, contiguous, within the constraints).
        out
            Run directory (created; must be empty unless ``resume``).
        resume
            Continue an interrupted run in ``out`` from its checkpoints (parameters and inputs
            must be the same).
        progress
            Called with a :class:`~dayafter.progress.ProgressEvent` (task ``"ensemble"``, steps
            done of all chains, ``extra`` with ``moves`` and ``chains_done``) at least twice a
            second while the chains run, and once at the end (``final``).
        cancel
            A :class:`~dayafter.progress.CancelToken`: once set, every chain stops within a
            fraction of a second, saves a checkpoint and the run returns with ``interrupted``
            (resume it with ``resume=True``). Ctrl-C does the same.
        input_files
            Names and paths of the files the inputs came from (hashed into the manifest).

        Returns
        -------
        RunResult
            Counts, diagnostics and the run directory; ``interrupted`` is True after a cancel.

        Raises
        ------
        ConfigError, InputDataError, InfeasibleError
            Bad parameters, a plan that does not fit the territory or breaks the constraints.
        """
        self._validate()
        run_dir = Path(out)
        plan.check_territory(territory)
        if not plan.is_complete:
            raise InputDataError(f"plan {plan.name!r} leaves units unassigned",
                                 hint="assign every unit before running an ensemble")
        params = record(self)["params"]
        params.pop("n_jobs")
        params.pop("scheduler")
        if resume:
            old = read_manifest(run_dir)
            if old.get("parameters") != json.loads(json.dumps(params)):
                raise ConfigError(f"cannot resume {run_dir}: its parameters differ",
                                  hint="resume with the parameters in its manifest.json")
            if old.get("inputs", {}).get("territory_hash") != territory.content_hash:
                raise ConfigError(f"cannot resume {run_dir}: the territory data differ")
        elif run_dir.exists() and not run_dir.is_dir():
            raise ConfigError(f"{run_dir} is a file, not a run folder",
                              hint="give --out a new folder name", source=str(run_dir))
        elif run_dir.exists() and any(q.name not in _START_LEFTOVERS and not q.name.startswith(".inputs.npz.")
                                      for q in run_dir.iterdir()):
            # (a run killed before it wrote its manifest leaves only its lock and inputs: reused)
            raise ConfigError(f"run directory {run_dir} is not empty",
                              hint="choose a new --out, or pass --resume to continue it")
        run_dir.mkdir(parents=True, exist_ok=True)
        # one writer at a time: refused while a live run (or an orphaned worker) writes here
        with FolderLock(run_dir / ".lock", what=f"run folder {run_dir}"):
            check_no_live_writer(run_dir, int(self.chains))
            return self._run_locked(territory, plan, run_dir, params, resume, progress, cancel,
                                    input_files)

    def _run_locked(self, territory: Territory, plan: Plan, run_dir: Path, params: dict[str, Any],
                    resume: bool, progress: ProgressCallback | None, cancel: CancelToken | None,
                    input_files: Mapping[str, str] | None) -> RunResult:
        cons = ChainConstraints.from_dict(self.constraints)
        root = np.random.SeedSequence(int(self.seed))
        children = root.spawn(int(self.chains))
        starts = _starts(territory, plan, cons, self.region_counts(), root, int(self.chains))
        # validate constraints and contiguity of every start here, before any process starts
        _columns(territory, self.metrics, self.censuses)
        kps = []
        for a, k, names in starts:
            st = ChainState(territory, a, k, proposal=self.proposal(), constraints=cons,
                            region_names=tuple(names), reference=(plan.assignment, plan.k))
            kps.append(int(st.taking_part.sum()))
        kernel_cols, py_cols = _columns(territory, self.metrics, self.censuses, max(kps))
        _check_storage(run_dir, territory, steps=int(self.steps), chains=int(self.chains),
                       thin=int(self.thin),
                       columns=len(_KERNEL_COLUMNS) + 1 + len(kernel_cols) + len(py_cols), resume=resume)
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / _CANCEL_FILE).unlink(missing_ok=True)
        same = self.regions is None
        store.save_inputs(run_dir, territory, plan.assignment, plan.k, plan.region_names,
                          None if same else [(a, k, list(nm)) for a, k, nm in starts])
        subset = cons.subset_mask(territory)
        manifest: dict[str, Any] = {
            "kind": "dayafter.ensemble",
            "status": "running",
            "started": now_utc(),
            "versions": versions(),
            "platform": platform_info(),
            "inputs": {
                "territory_hash": territory.content_hash,
                "territory_name": territory.name,
                "plan_name": plan.name,
                "plan_sha256": sha256_arrays({"assignment": plan.assignment}),
                "files": {name: {"path": str(p), "sha256": _sha(p)}
                          for name, p in (input_files or {}).items()},
                "inputs_npz_sha256": _sha(run_dir / "inputs.npz"),
            },
            "parameters": params,
            "constraints": cons.to_dict(),
            "proposal": self.proposal().to_dict(),
            "seeds": {"root_entropy": int(self.seed),
                      "spawn_keys": [list(c.spawn_key) for c in children]},
            "question": {
                "subset": cons.to_dict()["subset"],
                "subset_units": None if subset is None else int(subset.sum()),
                "balance": cons.balance,
                "regions": [int(k) for _a, k, _n in starts],
                "regions_taking_part": kps,
                "kernel_metrics": [c[0] for c in kernel_cols],
            },
            "execution": {"n_jobs": self.n_jobs, "scheduler": self.scheduler},
        }
        if resume:
            manifest["resumed"] = now_utc()
        write_manifest(run_dir / MANIFEST_NAME, manifest)
        summaries, interrupted = _dispatch(run_dir, int(self.chains), self.n_jobs,
                                           self.scheduler, int(self.steps), progress, cancel)
        result = _finish(run_dir, manifest, summaries, interrupted)
        self.result_ = result
        return result


def _starts(t: Territory, plan: Plan, cons: ChainConstraints, ks: tuple[int, ...] | None,
            root: np.random.SeedSequence, chains: int
            ) -> list[tuple[NDArray[np.int32], int, tuple[str, ...]]]:
    """Each chain's starting plan: the plan itself, or a random split drawn from the run's seed
    (its own stream per chain, apart from the chain's)."""
    if ks is None:
        return [(plan.assignment, plan.k, tuple(plan.region_names))] * chains
    from dayafter.ensemble.seed import seed_plan, seed_subset

    mask = cons.subset_mask(t)
    out = []
    for i in range(chains):
        k = ks[i % len(ks)]
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
            root.entropy, spawn_key=(i, 1))))
        if mask is None:
            p = seed_plan(t, k, rng=rng, constraints=cons)
        else:
            p = seed_subset(t, plan, mask, k, rng=rng, constraints=cons)
        out.append((p.assignment, p.k, tuple(p.region_names)))
    return out


# ---------------------------------------------------------------------------------- results
@dataclass
class RunResult:
    """What a run produced.

    Attributes
    ----------
    run_dir
        The run directory.
    counts
        ``proposals``, ``moves``, ``trees`` and self-loops by cause, over all chains.
    per_chain
        The same per chain, with ``seconds`` and ``results_sha256``.
    diagnostics
        Per scalar column: ``rhat`` (split R-hat across chains), ``ess``, ``mean``. With several
        numbers of regions, per column and number of regions taking part (``"<column>@k=<k>"``).
    unique_plans
        Distinct plans visited (labels ignored), over all chains.
    interrupted
        True when the run stopped early (cancel, Ctrl-C); resume it with ``resume=True``.
    """

    run_dir: Path
    counts: dict[str, int]
    per_chain: list[dict[str, Any]]
    diagnostics: dict[str, dict[str, float]] = field(default_factory=dict)
    unique_plans: int = 0
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"run_dir": str(self.run_dir), "counts": self.counts,
                "per_chain": self.per_chain, "diagnostics": self.diagnostics,
                "unique_plans": self.unique_plans, "interrupted": self.interrupted}


def _sha(path: str | os.PathLike[str]) -> str:
    from dayafter.manifest import sha256_file

    return sha256_file(path)


_KernelCol = tuple[str, int, str, int]  # (column, census position, kind, community or rank)
_PyCol = tuple[str, str | None, str]  # (column, census or None for geometry, metric)


def _columns(t: Territory, metrics: Sequence[str], censuses: Sequence[str] | None,
             kp: int = 0) -> tuple[list[_KernelCol], list[_PyCol]]:
    """The recorded metric columns: those the kernel computes and those computed in Python.

    Kernel columns are ``(name, census position, kind, j)`` with kind ``plur``/``maj``/``str``
    (``j`` a community) or ``largest`` (``j`` a rank, one column per rank up to ``kp``); Python
    columns ``(name, census or None, metric)``. Unknown names raise :class:`ConfigError`.
    """
    if not metrics:
        return [], []
    from dayafter.metrics import evaluate_assignment, geometry_metrics

    names = list(censuses) if censuses is not None else list(t.census_names)
    for c in names:
        t.census(c)
    zero = np.zeros(t.n_units, np.int32)
    census_keys = evaluate_assignment(t, zero, 1, census=names[0]).scalars()
    geo_keys = geometry_metrics(t, zero, 1).scalars()
    comms = list(t.communities)
    kinds = {"empowerment_plurality": "plur", "empowerment_majority": "maj", "stranded": "str"}
    wanted: list[tuple[str, int]] = []  # kernel (kind, j) in order
    python: list[str] = []
    for m in metrics:
        if m == "community":
            wanted += [(kinds[x], j) for x in COMMUNITY_METRICS for j in range(len(comms))]
            wanted.append(("largest", -1))
        elif m == "largest_share":
            wanted.append(("largest", -1))
        elif m.split(":", 1)[0] in kinds and m.split(":", 1)[-1] in comms:
            wanted.append((kinds[m.split(":", 1)[0]], comms.index(m.split(":", 1)[1])))
        elif m in census_keys or m in geo_keys:
            python.append(m)
        else:
            from dayafter.metrics import registry

            raise ConfigError(f"unknown metric {m!r}",
                              hint=f"use 'community', 'largest_share' or plan metrics of the "
                                   f"registry, such as {registry.names('plan')[:8]}")
    wanted = list(dict.fromkeys(wanted))
    label = {v: k for k, v in kinds.items()}
    kcols: list[_KernelCol] = []
    for ci, c in enumerate(names):
        for kind, j in wanted:
            if kind == "largest":
                kcols += [(f"{c}/largest_share@{r + 1}", ci, "largest", r) for r in range(kp)]
            else:
                kcols.append((f"{c}/{label[kind]}:{comms[j]}", ci, kind, j))
    pcols: list[_PyCol] = []
    for c in names:
        pcols.extend((f"{c}/{m}", c, m) for m in python if m in census_keys)
    pcols.extend((f"geometry/{m}", None, m) for m in python if m not in census_keys)
    return kcols, pcols


def _check_storage(run_dir: Path, t: Territory, *, steps: int, chains: int, thin: int, columns: int,
                   resume: bool) -> None:
    """Refuse a run whose results would not fit on the disk of ``run_dir`` (checked before any work).

    Per chain: ``columns`` 8-byte scalars per step, and with ``thin`` an ``int16`` plan of every
    unit each ``thin`` steps.
    """
    import shutil

    per_chain = steps * columns * 8 + ((steps // thin) * t.n_units * 2 if thin else 0)
    need = per_chain * chains * (1 if resume else 2)  # blocks, then the merged file
    free = shutil.disk_usage(run_dir).free
    if need > free:
        gib = 2**30
        raise ConfigError(
            f"the run would write about {need / gib:,.1f} GiB ({chains} chains x {steps:,} steps"
            + (f", a plan every {thin} steps" if thin else "") + f"), more than the {free / gib:,.1f} GiB "
            f"free on the disk of {run_dir}",
            hint="use fewer steps or chains, a larger --thin, or an --out on a larger disk")


# ---------------------------------------------------------------------------------- dispatch
def _dispatch(run_dir: Path, chains: int, n_jobs: int | None, scheduler: str | None,
              steps: int, progress: ProgressCallback | None, cancel: CancelToken | None
              ) -> tuple[list[dict[str, Any]], bool]:
    """Run every chain (in this process, in local processes, or on Dask)."""
    summaries: list[dict[str, Any] | None] = [None] * chains
    total = steps * chains
    throttle = Throttle(progress, "ensemble", total=total, interval=0.5)

    def poll(final: bool = False) -> None:
        if progress is None or not (final or throttle.due()):
            return
        done = moves = finished = 0
        for i in range(chains):
            p = run_dir / f"chain_{i:03d}.progress.json"
            try:
                d = json.loads(p.read_text())
            except (OSError, ValueError):
                continue
            done += int(d.get("steps", 0))
            moves += int(d.get("moves", 0))
            finished += int(d.get("steps", 0)) >= steps
        el = max(throttle.elapsed, 1e-9)
        throttle(done, final=final, message=f"{done:,}/{total:,} steps, {moves:,} moves",
                 moves=moves, chains_done=finished, chains=chains,
                 moves_per_second=moves / el)

    def stop_requested() -> bool:
        return cancel is not None and cancel.cancelled

    in_process = scheduler is None and (n_jobs == 1 or (chains == 1 and n_jobs is None))
    interrupted = False
    if in_process:
        for i in range(chains):
            try:
                summary = run_chain(str(run_dir), i, _progress=poll, _cancel=cancel)
            except KeyboardInterrupt:  # without a token: the last checkpoint stays
                interrupted = True
                break
            summaries[i] = summary
            if summary["status"] == "interrupted":
                interrupted = True
                break
        poll(final=True)
        return [s for s in summaries if s is not None], interrupted
    futures: list[Any]
    if scheduler is not None:
        from distributed import Client

        client = Client(scheduler)
        try:
            futures = [client.submit(run_chain, str(run_dir), i, pure=False)
                       for i in range(chains)]
            interrupted = _wait(run_dir, futures, summaries, poll, stop_requested)
        finally:
            client.close()
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        workers = n_jobs or min(chains, os.cpu_count() or 1)
        with workers_die_with_this_process(), \
                ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                    initializer=_worker_init, initargs=(os.getpid(),)) as pool:
            futures = [pool.submit(run_chain, str(run_dir), i) for i in range(chains)]
            interrupted = _wait(run_dir, futures, summaries, poll, stop_requested)
    poll(final=True)
    return [s for s in summaries if s is not None], interrupted or any(
        s is None or s["status"] == "interrupted" for s in summaries)


def _worker_init(parent: int) -> None:
    """Worker processes: Ctrl-C (sent to the whole process group) stops the chain cooperatively
    at its next chunk, with a checkpoint, instead of raising inside it; the worker dies with its
    parent (``parent``'s pid), so a killed run leaves no orphan writing into its folder."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, _on_sigint)


_SIGINT_SEEN = False


def _on_sigint(signum: int, frame: Any) -> None:
    global _SIGINT_SEEN
    _SIGINT_SEEN = True


def _wait(run_dir: Path, futures: list[Any], summaries: list[dict[str, Any] | None],
          poll: Callable[[], None], stop_requested: Callable[[], bool]) -> bool:
    """Wait for the chains; on a cancel (token or Ctrl-C) ask them to stop and collect them."""
    interrupted = False
    while not all(f.done() for f in futures):
        try:
            poll()
            if stop_requested() and not interrupted:
                interrupted = True
                store.atomic_json(run_dir / _CANCEL_FILE, {"requested": now_utc()})
            time.sleep(0.1)
        except KeyboardInterrupt:
            interrupted = True
            store.atomic_json(run_dir / _CANCEL_FILE, {"requested": now_utc()})
    for i, f in enumerate(futures):
        if f.cancelled():
            continue
        exc = f.exception()
        if exc is None:
            summary = f.result()
            summaries[i] = summary
            interrupted = interrupted or summary["status"] == "interrupted"
        elif not interrupted:
            raise exc
    return interrupted


def _finish(run_dir: Path, manifest: dict[str, Any], summaries: list[dict[str, Any]],
            interrupted: bool) -> RunResult:
    (run_dir / _CANCEL_FILE).unlink(missing_ok=True)
    params = manifest["parameters"]
    counts: dict[str, int] = {"proposals": 0, "trees": 0}
    for cause in CAUSES:
        counts[cause] = 0
    for s in summaries:
        for key in counts:
            counts[key] += int(s["counts"].get(key, 0))
    counts["moves"] = counts["moved"]
    diagnostics: dict[str, dict[str, float]] = {}
    unique = 0
    done = [s for s in summaries if s["status"] == "complete"]
    if not interrupted and len(done) == params["chains"]:
        cols = [store.load_chain(run_dir, i, params["format"]) for i in range(params["chains"])]
        unique = int(np.unique(np.concatenate([c["plan_hash"] for c in cols])).size)
        ks = manifest.get("question", {}).get("regions_taking_part") or [0] * len(cols)
        groups = {k: [i for i, kk in enumerate(ks) if kk == k] for k in dict.fromkeys(ks)}
        for name in cols[0]:
            if name in ("step", "status", "trees", "plan_hash"):
                continue
            for k, members in groups.items():
                x = np.stack([np.asarray(cols[i][name], dtype=np.float64) for i in members])
                if np.all(np.isnan(x)):
                    continue
                key = name if len(groups) == 1 else f"{name}@k={k}"
                diagnostics[key] = {"rhat": split_rhat(x), "ess": effective_sample_size(x),
                                    "mean": float(np.nanmean(x)), "sd": float(np.nanstd(x))}
    manifest["status"] = "interrupted" if interrupted else "complete"
    manifest["finished"] = now_utc()
    manifest["counts"] = counts
    manifest["chains"] = summaries
    manifest["diagnostics"] = diagnostics
    manifest["unique_plans"] = unique
    write_manifest(run_dir / MANIFEST_NAME, manifest)
    return RunResult(run_dir, counts, summaries, diagnostics, unique, interrupted)


# ---------------------------------------------------------------------------------- one chain
def _metric_row(t: Territory, a: NDArray[np.int64], k: int, columns: list[_PyCol],
                threshold: float) -> list[float]:
    from dayafter.metrics import evaluate_assignment, geometry_metrics

    a32 = a.astype(np.int32)
    cache: dict[str | None, dict[str, float]] = {}
    row: list[float] = []
    for _, census, metric in columns:
        if census not in cache:
            cache[census] = (geometry_metrics(t, a32, k).scalars() if census is None else
                             evaluate_assignment(t, a32, k, census=census,
                                                 threshold=threshold).scalars())
        row.append(cache[census][metric])
    return row


def _kernel_values(rec: StepRecord, cols: list[_KernelCol]) -> dict[str, NDArray[np.float64]]:
    out: dict[str, NDArray[np.float64]] = {}
    src = {"plur": rec.plurality, "maj": rec.majority, "str": rec.stranded}
    for name, ci, kind, j in cols:
        if kind == "largest":
            arr = rec.largest_share
            out[name] = arr[:, ci, j].copy() if j < arr.shape[2] else \
                np.full(arr.shape[0], np.nan)
        else:
            out[name] = src[kind][:, ci, j].copy()
    return out


def _stop_asked(run_dir: Path, cancel: CancelToken | None) -> bool:
    return _SIGINT_SEEN or (cancel is not None and cancel.cancelled) or \
        (run_dir / _CANCEL_FILE).exists()


def run_chain(run_dir: str, chain: int, *, _progress: Callable[[], None] | None = None,
              _cancel: CancelToken | None = None) -> dict[str, Any]:
    """Run (or resume) chain ``chain`` of the run in ``run_dir``; the worker of every backend.

    Reads ``manifest.json`` and ``inputs.npz``, streams blocks to ``chain_XXX.parts/``, saves a
    checkpoint after each block and merges the blocks at the end. The kernel runs in chunks of
    about a tenth of a second; between chunks the chain writes its progress and looks for a
    cancel (``_cancel``, the run's ``cancel`` file, Ctrl-C in a worker), after which it saves
    what it has done as a block and a checkpoint and returns ``status: "interrupted"``. Returns
    the chain's summary.
    Holds ``chain_XXX.lock`` meanwhile (a resume refuses to start while it is held).
    """
    with FolderLock(Path(run_dir) / f"chain_{chain:03d}.lock", what=f"chain {chain} of run folder {run_dir}"):
        return _run_chain(run_dir, chain, _progress=_progress, _cancel=_cancel)


def _run_chain(run_dir: str, chain: int, *, _progress: Callable[[], None] | None = None,
               _cancel: CancelToken | None = None) -> dict[str, Any]:
    rd = Path(run_dir)
    man = read_manifest(rd)
    prm = man["parameters"]
    fmt = prm["format"]
    final = store.chain_file(rd, chain, fmt)
    ckpt = rd / f"chain_{chain:03d}.ckpt.npz"
    if final.exists():  # finished earlier (the merged file is written last, atomically)
        ckpt.unlink(missing_ok=True)
        return _chain_summary(rd, chain, fmt, seconds=0.0)
    t, ref_a, ref_k, _ = store.load_inputs(rd)
    a0, k, names = store.load_starts(rd, int(prm["chains"]))[chain]
    proposal = Proposal(method=prm["method"], pair_rule=prm["pair_rule"], tree=prm["tree"],
                        m_bound=prm["m_bound"], max_tree_attempts=prm["max_tree_attempts"])
    metrics = list(prm["metrics"] or ())
    censuses = list(prm["censuses"]) if prm["censuses"] is not None else list(t.census_names)
    kp_all = man.get("question", {}).get("regions_taking_part") or [k]
    kcols, pcols = _columns(t, metrics, censuses, max(kp_all))
    state = ChainState(t, a0, k, proposal=proposal,
                       constraints=ChainConstraints.from_dict(prm["constraints"]),
                       region_names=tuple(names), censuses=censuses if kcols else (),
                       threshold=float(prm["threshold"]), reference=(ref_a, ref_k))
    seeds = man["seeds"]
    seq = np.random.SeedSequence(seeds["root_entropy"], spawn_key=tuple(seeds["spawn_keys"][chain]))
    rng = np.random.Generator(np.random.PCG64(seq))
    steps, block, thin = int(prm["steps"]), int(prm["checkpoint_every"]), int(prm["thin"])
    done, n_parts, moves = 0, 0, 0
    if ckpt.exists():
        with np.load(ckpt, allow_pickle=False) as z:
            state.restore({name: z[name] for name in z.files})
            rng.bit_generator.state = json.loads(str(z["rng_state"]))
            done, n_parts, moves = int(z["done"]), int(z["n_parts"]), int(z["moves"])
    store.drop_parts_from(rd, chain, n_parts)
    progress_file = rd / f"chain_{chain:03d}.progress.json"
    t0 = time.perf_counter()
    last_note = 0.0
    cur_metrics = _metric_row(t, state.assignment, k, pcols, prm["threshold"]) if pcols else []
    chunk = 16  # adapted to about _CHUNK_SECONDS of kernel work; results do not depend on it
    stop = False
    try:
        while done < steps and not stop:
            b = min(block, steps - done)
            recs: list[StepRecord] = []
            met = np.zeros((b, len(pcols)))
            snaps: list[NDArray[np.int16]] = []
            snap_steps: list[int] = []
            pos = 0
            while pos < b:
                n = 1 if pcols else min(b - pos, chunk)
                if thin:
                    n = min(n, thin - (done + pos) % thin)
                c0 = time.perf_counter()
                rec = run_steps(state, n, rng)
                dt = time.perf_counter() - c0
                if not pcols:
                    chunk = int(min(max(chunk * min(max(_CHUNK_SECONDS / max(dt, 1e-6), 0.5),
                                                    2.0), 1), 1 << 16)) if n == chunk else chunk
                recs.append(rec)
                if pcols:
                    if rec.status[0] == 0:
                        cur_metrics = _metric_row(t, state.assignment, k, pcols,
                                                  prm["threshold"])
                    met[pos] = cur_metrics
                pos += n
                if thin and (done + pos) % thin == 0:
                    snaps.append(state.assignment.astype(np.int16))
                    snap_steps.append(done + pos)
                if time.perf_counter() - last_note > 0.2 or pos == b:
                    m_now = moves + int(sum(int(np.sum(r.status == 0)) for r in recs))
                    store.atomic_json(progress_file, {"steps": done + pos, "moves": m_now})
                    last_note = time.perf_counter()
                    if _progress is not None:
                        _progress()
                if pos < b and _stop_asked(rd, _cancel):
                    stop = True
                    break
            cols: dict[str, NDArray[Any]] = {
                "step": np.arange(done + 1, done + pos + 1, dtype=np.int64)}
            for name in _KERNEL_COLUMNS:
                cols[name] = np.concatenate([getattr(r, name) for r in recs])
            if kcols:
                vals = [_kernel_values(r, kcols) for r in recs]
                for name, _ci, _kind, _j in kcols:
                    cols[name] = np.concatenate([v[name] for v in vals])
            for j, (name, _, _) in enumerate(pcols):
                cols[name] = met[:pos, j].copy()
            store.write_part(rd, chain, n_parts, cols,
                             np.stack(snaps) if snaps else (np.zeros((0, t.n_units), np.int16)
                                                            if thin else None),
                             np.asarray(snap_steps, dtype=np.int64) if thin else None, fmt)
            n_parts += 1
            done += pos
            moves += int(np.sum(cols["status"] == 0))
            snap = state.snapshot()
            store._atomic_savez(ckpt, {**snap, "rng_state": np.asarray(
                json.dumps(rng.bit_generator.state)), "done": np.asarray(done),
                "n_parts": np.asarray(n_parts), "moves": np.asarray(moves)})
            store.atomic_json(progress_file, {"steps": done, "moves": moves})
    except KeyboardInterrupt:  # no cooperative cancel: the last checkpoint stays
        return {"chain": chain, "status": "interrupted", "steps_done": done,
                "counts": {}, "seconds": time.perf_counter() - t0}
    if stop or done < steps:
        return {"chain": chain, "status": "interrupted", "steps_done": done,
                "counts": {}, "seconds": time.perf_counter() - t0}
    store.merge_parts(rd, chain, n_parts, fmt)
    ckpt.unlink(missing_ok=True)
    return _chain_summary(rd, chain, fmt, seconds=time.perf_counter() - t0)


def _chain_summary(rd: Path, chain: int, fmt: str, seconds: float) -> dict[str, Any]:
    cols = store.load_chain(rd, chain, fmt)
    arrays = dict(cols)
    try:
        a, s = store.load_assignments(rd, chain, fmt)
        arrays[store.ASSIGN_KEY] = a
        arrays[store.ASSIGN_STEP_KEY] = s
    except InputDataError:
        pass
    status = np.asarray(cols["status"])
    counts = {"proposals": int(status.size), "trees": int(np.sum(cols["trees"]))}
    by = np.bincount(status.astype(np.int64), minlength=len(CAUSES))
    for j, cause in enumerate(CAUSES):
        counts[cause] = int(by[j])
    return {"chain": chain, "status": "complete", "steps_done": int(status.size),
            "counts": counts, "seconds": round(seconds, 3),
            "results_sha256": sha256_arrays(arrays)}


# ---------------------------------------------------------------------------------- replay
@dataclass
class ReplayResult:
    """Outcome of :func:`replay`: whether every chain's arrays are identical."""

    identical: bool
    chains: list[dict[str, Any]]
    replay_dir: Path


def replay(run_dir: str | os.PathLike[str], out: str | os.PathLike[str],
           *, progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
           n_jobs: int | None = None) -> ReplayResult:
    """Rerun a run from its directory alone into ``out`` and compare the results bit for bit."""
    man = read_manifest(run_dir)
    if man.get("status") != "complete":
        raise InputDataError(f"run {run_dir} is not complete (status {man.get('status')!r})",
                             hint="resume it first")
    t, a, _k, names = store.load_inputs(Path(run_dir))
    plan = Plan(a, tuple(Region(n) for n in names), t.content_hash,
                name=man["inputs"].get("plan_name", ""))
    prm = dict(man["parameters"])
    sampler = ReComSampler(**prm, n_jobs=n_jobs)
    res = sampler.run(t, plan, out, progress=progress, cancel=cancel)
    chains = []
    ok = not res.interrupted
    for old, new in zip(man["chains"], res.per_chain, strict=False):
        same = old.get("results_sha256") == new.get("results_sha256")
        ok = ok and same
        chains.append({"chain": old["chain"], "identical": same,
                       "original": old.get("results_sha256"), "replay": new.get("results_sha256")})
    ok = ok and len(chains) == len(man["chains"])
    return ReplayResult(ok, chains, Path(out))


# ---------------------------------------------------------------------------------- summary
def summarize(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Counts, rates, diagnostics and per-metric quantiles of a finished run (JSON-ready)."""
    man = read_manifest(run_dir)
    prm = man["parameters"]
    out: dict[str, Any] = {
        "run_dir": str(run_dir), "status": man.get("status"), "chains": prm["chains"],
        "steps": prm["steps"], "counts": man.get("counts", {}),
        "unique_plans": man.get("unique_plans"), "diagnostics": man.get("diagnostics", {}),
        "question": man.get("question", {}),
    }
    c = out["counts"]
    if c.get("proposals"):
        out["acceptance_rate"] = c.get("moved", 0) / c["proposals"]
        out["self_loop_rate"] = 1.0 - out["acceptance_rate"]
    secs = sum(float(s.get("seconds", 0.0)) for s in man.get("chains", []))
    if secs > 0:
        out["steps_per_second_per_chain"] = c.get("proposals", 0) / secs
        out["moves_per_second_per_chain"] = c.get("moved", 0) / secs
    if man.get("status") == "complete":
        cols = [store.load_chain(Path(run_dir), i, prm["format"]) for i in range(prm["chains"])]
        quant = {}
        for name in cols[0]:
            if name in ("step", "status", "trees", "plan_hash"):
                continue
            x = np.concatenate([np.asarray(col[name], dtype=np.float64) for col in cols])
            x = x[np.isfinite(x)]
            if not x.size:
                continue
            q = np.quantile(x, [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0])
            quant[name] = dict(zip(["min", "p05", "p25", "median", "p75", "p95", "max"],
                                   q.tolist(), strict=True))
        out["quantiles"] = quant
    return out
