"""Building mixed-integer models for HiGHS: the part shared by the MIP and the bounds.

:class:`ModelBuilder` collects columns, sparse rows and cost vectors and returns a
``highspy.HighsLp``; it also writes the single-commodity flow rows that keep a region connected.
Both :mod:`dayafter.optimize.mip` (the full districting model) and
:mod:`dayafter.optimize.bounds` (the packing relaxation) build on it, so neither imports the other's
internals.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dayafter.progress import CancelToken

if TYPE_CHECKING:
    import highspy

__all__ = ["ModelBuilder", "SolveWatch", "new_highs", "run_highs"]


@dataclass
class ModelBuilder:
    """A mixed-integer linear model assembled column by column, then handed to HiGHS.

    Variables are added in blocks (:meth:`add_vars` returns their column indices shaped like the
    block); rows are sparse ``lo <= sum(val * x[idx]) <= hi``. ``costs`` holds one or more cost
    vectors (several objectives over the same model, see :func:`dayafter.optimize.mip.build_model`);
    :meth:`to_lp` turns the model into a ``highspy.HighsLp`` maximizing one of them.

    Examples
    --------
    >>> b = ModelBuilder()
    >>> x = b.add_vars((2,), 0, 1, integer=True)
    >>> b.add_row(x, 1.0, -np.inf, 1.0)
    >>> len(b.lb), len(b.rows_lo)
    (2, 1)
    """

    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    costs: list[list[float]] = field(default_factory=lambda: [[]])
    integ: list[int] = field(default_factory=list)
    rows_lo: list[float] = field(default_factory=list)
    rows_hi: list[float] = field(default_factory=list)
    r_idx: list[NDArray[np.int64]] = field(default_factory=list)
    r_val: list[NDArray[np.float64]] = field(default_factory=list)
    r_row: list[NDArray[np.int64]] = field(default_factory=list)

    def add_vars(self, shape: tuple[int, ...], lb: float, ub: float, *, integer: bool = False
                 ) -> NDArray[np.int64]:
        """Add a block of variables with bounds ``[lb, ub]``; returns their columns."""
        size = int(np.prod(shape))
        start = len(self.lb)
        self.lb += [lb] * size
        self.ub += [ub] * size
        for c in self.costs:
            c += [0.0] * size
        self.integ += [1 if integer else 0] * size
        return np.arange(start, start + size, dtype=np.int64).reshape(shape)

    def add_row(self, idx: NDArray[np.integer] | list[int], val: ArrayLike,
                lo: float, hi: float) -> None:
        """Add the row ``lo <= sum(val * x[idx]) <= hi`` (``val`` broadcast to ``idx``)."""
        idx_a = np.asarray(idx, dtype=np.int64)
        val_a = np.broadcast_to(np.asarray(val, dtype=np.float64), idx_a.shape)
        r = len(self.rows_lo)
        self.rows_lo.append(lo)
        self.rows_hi.append(hi)
        self.r_idx.append(idx_a)
        self.r_val.append(np.array(val_a))
        self.r_row.append(np.full(idx_a.size, r, dtype=np.int64))

    def add_flow_contiguity(self, indptr: NDArray[np.int64], ind: NDArray[np.int64],
                            x: NDArray[np.int64], root: NDArray[np.int64],
                            flow: NDArray[np.int64], cap: float) -> None:
        """Single-commodity flow rows making one region connected (Shirabe 2009).

        ``x``, ``root`` (per unit) and ``flow`` (per CSR arc) are the region's variable columns:
        flow only runs on arcs inside the region (at most ``cap``), the root sends it out and every
        other member absorbs one unit.
        """
        n = indptr.size - 1
        src = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
        into: list[list[int]] = [[] for _ in range(n)]
        for p in range(ind.size):
            into[int(ind[p])].append(p)
            self.add_row([flow[p], x[src[p]]], [1.0, -cap], -np.inf, 0.0)
            self.add_row([flow[p], x[ind[p]]], [1.0, -cap], -np.inf, 0.0)
        for v in range(n):
            ins = [int(flow[p]) for p in into[v]]
            outs = [int(flow[p]) for p in range(indptr[v], indptr[v + 1])]
            self.add_row(ins + outs + [int(x[v]), int(root[v])],
                         [1.0] * len(ins) + [-1.0] * len(outs) + [-1.0, cap], 0.0, np.inf)

    def to_lp(self, objective: int = 0) -> highspy.HighsLp:
        """The HiGHS model (maximization of cost vector ``objective``), column-wise."""
        import highspy

        lp = highspy.HighsLp()
        nv = len(self.lb)
        nr = len(self.rows_lo)
        lp.num_col_ = nv
        lp.num_row_ = nr
        lp.col_cost_ = np.asarray(self.costs[objective], dtype=np.float64)
        lp.col_lower_ = np.asarray(self.lb, dtype=np.float64)
        lp.col_upper_ = np.asarray(self.ub, dtype=np.float64)
        lp.row_lower_ = np.asarray(self.rows_lo, dtype=np.float64)
        lp.row_upper_ = np.asarray(self.rows_hi, dtype=np.float64)
        rows = np.concatenate(self.r_row) if self.r_row else np.zeros(0, dtype=np.int64)
        cols = np.concatenate(self.r_idx) if self.r_idx else np.zeros(0, dtype=np.int64)
        vals = np.concatenate(self.r_val) if self.r_val else np.zeros(0)
        order = np.lexsort((rows, cols))
        rows, cols, vals = rows[order], cols[order], vals[order]
        start = np.zeros(nv + 1, dtype=np.int32)
        np.cumsum(np.bincount(cols, minlength=nv), out=start[1:])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = start
        lp.a_matrix_.index_ = rows.astype(np.int32)
        lp.a_matrix_.value_ = vals
        lp.a_matrix_.num_col_ = nv
        lp.a_matrix_.num_row_ = nr
        lp.integrality_ = [highspy.HighsVarType.kInteger if z else highspy.HighsVarType.kContinuous
                           for z in self.integ]
        lp.sense_ = highspy.ObjSense.kMaximize
        return lp


_BANNER_SHOWN = False


def new_highs() -> highspy.Highs:
    """A ``highspy.Highs`` with its output off.

    HiGHS writes a banner to the process's standard output when the first solver object is
    made, before any option can turn it off; that would corrupt machine-readable output (``dayafter
    ... --json``), so the first construction runs with file descriptor 1 pointed at
    ``/dev/null``.
    """
    import highspy

    global _BANNER_SHOWN
    if not _BANNER_SHOWN:
        _BANNER_SHOWN = True
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    else:
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    return h


class SolveWatch:
    """Progress and cancel during one HiGHS solve, through its MIP interrupt callback.

    HiGHS calls back many times a second during branch and bound; the watch forwards the best
    objective, bound and gap to ``report`` (a ``Throttle`` or ``None``) and interrupts the solve
    once ``cancel`` is set (the solve then ends with status ``interrupt`` and its best plan).

    Parameters
    ----------
    report
        Called as ``report(elapsed, message=..., best=..., bound=..., gap=...)``.
    cancel
        A :class:`~dayafter.progress.CancelToken` or ``None``.
    offset
        Added to HiGHS's objective values (the model's constant).
    label
        Prefix of the progress message.
    """

    def __init__(self, report: Callable[..., None] | None, cancel: CancelToken | None,
                 *, offset: float = 0.0, label: str = "MIP", elapsed0: float = 0.0) -> None:
        self.report = report
        self.cancel = cancel
        self.offset = offset
        self.label = label
        self.elapsed0 = elapsed0
        self.interrupted = False
        self._lock = threading.Lock()
        self._last: dict[str, Any] = {"message": f"{label}: starting", "best": None,
                                      "bound": None, "gap": None}
        self._t0 = time.perf_counter()
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def attach(self, h: Any) -> None:
        """Subscribe to ``h``'s MIP interrupt callback (when there is anything to do)."""
        if self.report is not None or self.cancel is not None:
            h.cbMipInterrupt.subscribe(self._on_event)

    def __enter__(self) -> SolveWatch:
        """Around a solve: a heartbeat thread repeats the last state once a second, so the
        report keeps coming while HiGHS is inside a long LP solve or presolve."""
        self._t0 = time.perf_counter()
        if self.report is not None:
            self._beat = threading.Thread(target=self._heartbeat, daemon=True)
            self._beat.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=2.0)

    def _heartbeat(self) -> None:
        while not self._stop.wait(1.0):
            with self._lock:
                last = dict(self._last)
                if self.report is not None:
                    self.report(self.elapsed0 + time.perf_counter() - self._t0, **last)

    def _on_event(self, e: Any) -> None:
        if self.cancel is not None and self.cancel.cancelled:
            e.data_in.user_interrupt = True
            self.interrupted = True
        if self.report is None:
            return
        d = e.data_out
        best = d.mip_primal_bound + self.offset if np.isfinite(d.mip_primal_bound) else None
        bound = d.mip_dual_bound + self.offset if np.isfinite(d.mip_dual_bound) else None
        gap = float(d.mip_gap) if np.isfinite(d.mip_gap) else None
        msg = f"{self.label}: " + (f"best {best:.6g}" if best is not None else "no plan yet") + \
            (f", bound {bound:.6g}" if bound is not None else "") + \
            (f", gap {gap:.1%}" if gap is not None else "")
        with self._lock:
            self._last = {"message": msg, "best": best, "bound": bound, "gap": gap}
            self.report(self.elapsed0 + float(d.running_time), message=msg, best=best,
                        bound=bound, gap=gap)


def run_highs(h: highspy.Highs, watch: SolveWatch | None = None) -> str:
    """Solve the model loaded in ``h`` (under ``watch``'s progress and cancel when given) and
    return its status as a word: ``optimal``, ``time_limit``, ``infeasible``, ``cancelled``, or
    HiGHS's own status in lower case with underscores."""
    import highspy

    if watch is not None:
        watch.attach(h)
        with watch:
            h.run()
    else:
        h.run()
    status = h.getModelStatus()
    names = {highspy.HighsModelStatus.kOptimal: "optimal",
             highspy.HighsModelStatus.kTimeLimit: "time_limit",
             highspy.HighsModelStatus.kInfeasible: "infeasible",
             highspy.HighsModelStatus.kInterrupt: "cancelled"}
    return names.get(status, h.modelStatusToString(status).lower().replace(" ", "_"))
