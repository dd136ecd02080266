"""Heuristic optimizers on the ensemble kernels: simulated annealing and short bursts.

Both move through contiguous plans that meet the population bounds and locks, with a mix of
single-unit flips and ReCom moves (merge two adjacent regions, draw a uniform spanning tree, cut a
balanced edge). Criteria are handled as a penalty; the best *feasible* plan is kept. Runs are
objects (configuration in ``__init__``, work in :meth:`run`, results in attributes ending in
``_``), with restarts, a time limit, a progress callback and a record of the best plans found.

References
----------
S. Cannon, A. Goldbloom-Helzner, V. Gupta, J. N. Matthews, B. Suwal, "Voting Rights, Markov
Chains, and Optimization by Short Bursts", Methodology and Computing in Applied Probability 25
(2023). S. Kirkpatrick, C. D. Gelatt, M. P. Vecchi, "Optimization by Simulated Annealing",
Science 220 (1983).
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray

from dayafter._kernels import chain as _c
from dayafter._kernels import tree as _t
from dayafter.errors import ConfigError, InfeasibleError
from dayafter.optimize import _kernels as _k
from dayafter.optimize.problem import CompiledProblem, Problem
from dayafter.optimize.result import OptimizeResult, kernel_args, kernel_state, make_plan
from dayafter.plan import Plan
from dayafter.progress import CancelToken, ProgressCallback, Throttle
from dayafter.territory import Territory

__all__ = ["AnnealingOptimizer", "ShortBurstOptimizer", "seed_plan"]


def seed_plan(cp: CompiledProblem, rng: np.random.Generator, *, attempts: int = 200,
              restarts: int = 200) -> NDArray[np.int64]:
    """A random contiguous plan meeting the population bounds and locks.

    Regions are cut one by one off the unassigned units along balanced edges of uniform spanning
    trees (recursive tree partitioning).

    Raises
    ------
    InfeasibleError
        No such plan was found in ``restarts`` tries (the bounds may admit no plan; the MIP can
        prove it).
    """
    D, _O = kernel_args(cp)
    n = cp.territory.n_units
    a = np.full(n, -1, dtype=np.int64)
    ws = _t.make_tree_work(n, D.indices.size, int(np.diff(D.indptr).max()) if n else 1)
    trees = _t.seed_partition(D.indptr, D.indices, D.pop, D.lock, D.lo, D.hi, 0, cp.k, a, ws,
                              rng, attempts, attempts * restarts)
    if trees <= 0:
        raise InfeasibleError(
            f"no contiguous plan of {cp.k} regions within the population bounds "
            f"{cp.lo.min():,.0f}..{cp.hi.max():,.0f} was found in {restarts} tries of "
            "recursive spanning-tree cuts",
            hint="widen the tolerance, or run method 'mip' to prove whether any plan exists")
    return a


def _start(initial: Plan | NDArray[np.integer] | None, cp: CompiledProblem) -> NDArray[np.int64] | None:
    if initial is None:
        return None
    if isinstance(initial, Plan):
        initial.check_territory(cp.territory, source="initial plan")
    a = np.asarray(initial.assignment if isinstance(initial, Plan) else initial, dtype=np.int64)
    t = cp.territory
    if a.shape != (t.n_units,) or a.min() < 0 or a.max() >= cp.k:
        raise ConfigError(f"the initial plan must assign all {t.n_units} units to regions "
                          f"0..{cp.k - 1}")
    pieces = t.graph.components(a.astype(np.int32))
    for r in range(cp.k):
        if np.unique(pieces[a == r]).size != 1:
            raise ConfigError(f"region {r} of the initial plan is empty or not contiguous",
                              hint="start from a contiguous plan or leave the start random")
    popk = np.bincount(a, weights=cp.pop, minlength=cp.k)
    if np.any(popk < cp.lo - 1e-9) or np.any(popk > cp.hi + 1e-9):
        raise ConfigError("the initial plan breaks the population bounds",
                          hint="start from a balanced plan or leave the start random")
    if np.any((cp.lock >= 0) & (a != cp.lock)):
        raise ConfigError("the initial plan breaks the locks")
    return a.copy()


class _Search:
    """Shared driver of the two heuristics."""

    _mode = _k.MODE_ANNEAL
    method = "search"

    def __init__(self, *, steps: int = 20_000, time_limit: float | None = None,
                 restarts: int = 1, p_flip: float = 0.5, tree_attempts: int = 20,
                 seed: int | None = None, initial: Plan | NDArray[np.integer] | None = None,
                 progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
                 chunk: int = 2_000, keep: int = 10, shaping: float = 0.1) -> None:
        self.steps = steps
        self.time_limit = time_limit
        self.restarts = restarts
        self.p_flip = p_flip
        self.tree_attempts = tree_attempts
        self.seed = seed
        self.initial = initial
        self.progress = progress
        self.cancel = cancel
        self.chunk = chunk
        self.keep = keep
        self.shaping = shaping

    def _validate(self) -> None:
        if not (1 <= self.steps <= 10**9 and 1 <= self.restarts <= 10_000 and 1 <= self.chunk <= 10**9):
            raise ConfigError(f"steps (1..10^9), restarts (1..10,000) and chunk (1..10^9) out of range: "
                              f"{self.steps}, {self.restarts}, {self.chunk}",
                              hint="e.g. steps=200000, restarts=4")
        if not 0.0 <= self.p_flip <= 1.0:
            raise ConfigError(f"p_flip must lie in [0, 1], got {self.p_flip}", hint="e.g. p_flip=0.1")
        if self.time_limit is not None and not self.time_limit > 0:
            raise ConfigError(f"time_limit must be positive, got {self.time_limit}", hint="seconds, e.g. 60")
        if self.shaping < 0:
            raise ConfigError("shaping must be non-negative")

    def _schedule(self, cp: CompiledProblem) -> tuple[float, float, int]:
        return 1.0, 1.0, 1

    def run(self, problem: Problem | CompiledProblem, territory: Territory | None = None
            ) -> OptimizeResult:
        """Search for the best plan; returns the result (also kept in ``result_``).

        Parameters
        ----------
        problem
            A :class:`Problem` (with ``territory``) or an already compiled problem.
        territory
            The territory (needed with a :class:`Problem`).

        Notes
        -----
        The kernel runs in chunks of at most ``chunk`` steps and about a fifth of a second;
        after each, ``progress`` may be called (at least once a second) and ``cancel`` is
        checked: a cancelled search returns its best plan so far, with
        ``stats["cancelled"]``. Without a time limit the result depends on the seed alone, not
        on how the steps were chunked.

        Raises
        ------
        InfeasibleError
            The quick checks fail, or no starting plan meets the bounds and locks.
        """
        self._validate()
        if isinstance(problem, Problem):
            if territory is None:
                raise ConfigError("run(problem, territory) needs the territory")
            cp = problem.compile(territory)
        else:
            cp = problem
        t_start = time.perf_counter()
        rng = np.random.default_rng(self.seed)
        D, ob = kernel_args(cp, shaping=float(self.shaping))
        t0, t1, burst = self._schedule(cp)
        n = cp.territory.n_units
        ws = _t.make_tree_work(n, D.indices.size, int(np.diff(D.indptr).max()) if n else 1)
        best_a = np.zeros(n, dtype=np.int64)
        best = np.array([-np.inf, np.inf])
        counts = np.zeros(4, dtype=np.int64)
        history: list[tuple[float, int, float]] = []
        top: dict[bytes, tuple[float, float, NDArray[np.int64]]] = {}
        steps_done = 0
        deadline = None if self.time_limit is None else t_start + self.time_limit
        start = _start(self.initial, cp)
        if start is None and cp.start is not None:
            start = cp.start.copy()  # a negotiation: every restart from the start plan
        total = self.steps * self.restarts
        note = Throttle(self.progress, self.method, total=total, interval=0.5)
        cancelled = False
        chunk = min(self.chunk, 64)
        for restart in range(self.restarts):
            if cancelled:
                break
            a = start.copy() if start is not None else seed_plan(cp, rng)
            S = kernel_state(cp, a)
            _c.init_state(D, S)
            carry = np.full(4, np.nan)
            burst_a = np.zeros(n, dtype=np.int64)
            if deadline is not None:
                left = deadline - time.perf_counter()
                if left <= 0:
                    break
                restart_t0 = time.perf_counter()
                restart_deadline = restart_t0 + left / (self.restarts - restart)
            else:
                restart_deadline = None
            done = 0
            while done < self.steps:
                m = min(chunk, self.steps - done)
                pos = done
                if restart_deadline is not None and self._mode == _k.MODE_ANNEAL:
                    # cool on the clock as well as on the step count, whichever is further
                    tfrac = (time.perf_counter() - restart_t0) / (restart_deadline - restart_t0)
                    pos = min(max(done, int(tfrac * self.steps)), self.steps - m)
                prm = _k.SearchParams(self._mode, m, pos, self.steps, t0, t1, self.p_flip, burst,
                                      self.tree_attempts)
                c0 = time.perf_counter()
                _k.search(D, S, ob, prm, ws, carry, burst_a, best_a, best, rng, counts)
                dt = time.perf_counter() - c0
                if m == chunk:  # about a fifth of a second per call, at most self.chunk steps
                    chunk = int(min(max(chunk * min(max(0.2 / max(dt, 1e-6), 0.5), 2.0), 1),
                                    self.chunk))
                done += m
                steps_done += m
                elapsed = time.perf_counter() - t_start
                if not history or history[-1][2] != float(best[0]) or note.due():
                    history.append((elapsed, steps_done, float(best[0])))
                key = best_a.tobytes()
                if key not in top:
                    top[key] = (float(best[0]), float(best[1]), best_a.copy())
                feasible = bool(best[1] <= _k.FEAS_TOL)
                note(steps_done, message=f"restart {restart + 1}/{self.restarts}, best "
                     f"{best[0]:.6g}" + ("" if feasible else " (not yet feasible)"),
                     steps=steps_done, restart=restart, best=float(best[0]), feasible=feasible)
                if self.cancel is not None and self.cancel.cancelled:
                    cancelled = True
                    break
                if restart_deadline is not None and time.perf_counter() >= restart_deadline:
                    break
        elapsed = time.perf_counter() - t_start
        stats = {"proposed": int(counts[0]), "invalid": int(counts[1]),
                 "accepted": int(counts[2]), "improvements": int(counts[3]),
                 "steps": steps_done, "restarts": self.restarts, "cancelled": cancelled}
        note(steps_done, final=True, message=f"best {best[0]:.6g}", steps=steps_done,
             best=float(best[0]), feasible=bool(best[1] <= _k.FEAS_TOL))
        res = make_plan(cp, best_a, method=self.method, elapsed=elapsed, history=history,
                        stats=stats, seed=self.seed)
        ranked = sorted(top.values(), key=lambda x: (x[1] > _k.FEAS_TOL, -x[0]))
        res.top = [(s, a.astype(np.int32)) for s, _v, a in ranked[: self.keep]]
        self.result_ = res
        self.best_plan_ = res.plan
        self.best_score_ = res.objective
        return res


class AnnealingOptimizer(_Search):
    """Simulated annealing over flip and ReCom moves.

    Parameters
    ----------
    steps
        Moves per restart.
    time_limit
        Seconds for the whole run (shared equally among restarts); ``None`` for none. With a
        limit, the temperature falls with the time used as well as with the steps taken.
    restarts
        Independent runs; the first starts from ``initial`` when given, the others from random
        plans (recursive spanning-tree cuts).
    p_flip
        Probability that a move is a single-unit flip (else a ReCom move).
    t_start, t_end
        Temperatures (in objective units) at the first and last step; geometric schedule.
        ``None`` scales them to the objective: ``0.05`` and ``1e-4`` times the sum of the
        absolute weights (cut-edge weights times 4, split weights times 2).
    tree_attempts
        Spanning trees drawn per ReCom move before it counts as invalid.
    seed
        Seed of the ``np.random.Generator``.
    initial
        Starting plan (a :class:`~dayafter.plan.Plan` or assignment).
    progress
        A :data:`~dayafter.progress.ProgressCallback`: called at least once a second with a
        :class:`~dayafter.progress.ProgressEvent` (steps done; ``extra``: ``best``,
        ``feasible``, ``restart``).
    cancel
        A :class:`~dayafter.progress.CancelToken`: once set, the search stops within a fraction
        of a second and returns its best plan so far.
    chunk
        Most steps per kernel call.
    keep
        Number of best plans kept in ``result_.top``.
    shaping
        Weight of a smooth guidance term added to the score the chain follows (not to the
        objective reported): how close each weighted community comes to being the largest, to a
        majority, or to the stranded threshold. Helps on the plateaus of step-like metrics.

    Attributes
    ----------
    result_, best_plan_, best_score_
        Filled by :meth:`run`.

    Examples
    --------
    >>> from dayafter.testing.grids import grid_territory
    >>> t = grid_territory(3, 3)
    >>> p = Problem.from_dict({"regions": 3, "minimize": ["cut_edges"],
    ...                        "constraints": {"tolerance": 0.0}})
    >>> AnnealingOptimizer(steps=2000, seed=1).run(p, t).objective
    -6.0
    """

    _mode = _k.MODE_ANNEAL
    method = "anneal"

    def __init__(self, *, steps: int = 20_000, time_limit: float | None = None,
                 restarts: int = 1, p_flip: float = 0.5, t_start: float | None = None,
                 t_end: float | None = None, tree_attempts: int = 20, seed: int | None = None,
                 initial: Plan | NDArray[np.integer] | None = None,
                 progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
                 chunk: int = 2_000, keep: int = 10, shaping: float = 0.1) -> None:
        super().__init__(steps=steps, time_limit=time_limit, restarts=restarts, p_flip=p_flip,
                         tree_attempts=tree_attempts, seed=seed, initial=initial,
                         progress=progress, cancel=cancel, chunk=chunk, keep=keep,
                         shaping=shaping)
        self.t_start = t_start
        self.t_end = t_end

    def _schedule(self, cp: CompiledProblem) -> tuple[float, float, int]:
        scale = (np.abs(cp.w_plur).sum() + np.abs(cp.w_maj).sum() + np.abs(cp.w_str).sum()
                 + abs(cp.w_homog) + 4.0 * abs(cp.w_cut) + 2.0 * np.abs(cp.w_splits).sum())
        scale = float(scale) if scale > 0 else 1.0
        t0 = 0.05 * scale if self.t_start is None else float(self.t_start)
        t1 = 1e-4 * scale if self.t_end is None else float(self.t_end)
        if not 0 < t1 <= t0:
            raise ConfigError("temperatures need 0 < t_end <= t_start")
        return t0, t1, 1


class ShortBurstOptimizer(_Search):
    """Short bursts (Cannon et al.): unbiased chains of ``burst_length`` steps, each restarting
    from the best plan of the previous burst.

    Parameters are those of :class:`AnnealingOptimizer` without temperatures, plus
    ``burst_length`` (10 by default, the length Cannon et al. found effective).
    """

    _mode = _k.MODE_BURSTS
    method = "bursts"

    def __init__(self, *, steps: int = 20_000, time_limit: float | None = None,
                 restarts: int = 1, burst_length: int = 10, p_flip: float = 0.2,
                 tree_attempts: int = 20, seed: int | None = None,
                 initial: Plan | NDArray[np.integer] | None = None,
                 progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
                 chunk: int = 2_000, keep: int = 10, shaping: float = 0.1) -> None:
        super().__init__(steps=steps, time_limit=time_limit, restarts=restarts, p_flip=p_flip,
                         tree_attempts=tree_attempts, seed=seed, initial=initial,
                         progress=progress, cancel=cancel, chunk=chunk, keep=keep,
                         shaping=shaping)
        self.burst_length = burst_length

    def _schedule(self, cp: CompiledProblem) -> tuple[float, float, int]:
        if self.burst_length < 1:
            raise ConfigError("burst_length must be at least 1")
        return 1.0, 1.0, int(self.burst_length)
