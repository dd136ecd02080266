"""Long-running jobs of the workbench: a small queue, progress snapshots for SSE, cancellation.

A :class:`Job` wraps a function ``work(report) -> results`` where ``report(done, total, message,
partial)`` publishes progress and raises :class:`JobCancelled` once the user asked to stop, so a job
stops at its next report. Jobs are started by a pool of ``workers`` threads; their progress is read
by the SSE endpoint as ``(sequence, snapshot)`` pairs.

The engine jobs (ensembles, optimizations) run their compiled loops in a child process
(:class:`ChildProcessWork`, ``spawn`` start method): compiled kernels hold the GIL for a whole
chunk of steps, and in a thread of the server they would stall every paint stroke. The child gets
the territory's arrays (no geometry) and sends progress messages back; a cancelled child that does
not stop within a few seconds is terminated. As with any use of ``multiprocessing``'s ``spawn``, a
script that builds the app itself (rather than ``dayafter serve``) must guard its entry point
with ``if __name__ == "__main__":``, because the child imports the main module.

Job kinds are built from the engines' public APIs when those are installed (see
:func:`available_kinds`); nothing here fakes a result.
"""

from __future__ import annotations

import itertools
import multiprocessing
import queue
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from dayafter._util import percentile_rank
from dayafter.errors import ConfigError, DayafterError, InputDataError
from dayafter.plan import Plan
from dayafter.validation import DEFAULT_TOLERANCE, PARAMETERS

__all__ = ["MESSAGES", "Job", "JobCancelled", "JobMessage", "JobQueueFull", "JobRunner", "JobsClosed",
           "available_kinds", "make_job", "msg"]

Report = Callable[..., None]

MESSAGES: dict[str, str] = {
    "cancelled_before_start": "cancelled before it started",
    "cancelled": "cancelled",
    "finished": "finished",
    "report_evaluating": "evaluating and drawing {n} plan(s)",
    "report_writing": "writing the {format} dossier",
    "report_written": "written",
    "optimize_starting": "starting",
    "optimize_steps": "{done} of {total} steps, best {best:.4g}",
    "optimize_steps_infeasible": "{done} of {total} steps, best {best:.4g} (not yet feasible)",
    "chain_starting": "starting the chain",
    "chain_steps": "{done} of {total} steps",
    "label_report": "dossier of {plans} ({formats})",
    "label_optimize": "short-burst optimization of {plan} ({steps} steps)",
    "label_ensemble": "ensemble of {steps} ReCom steps from {plan}",
}
"""The English text of every job message and label a user sees; the web page shows the message of
the same key (``jobs.msg.<key>`` in its catalogues) in the reader's language."""


class JobMessage(str):
    """A job message or label: its English text, with the key and arguments the page translates.

    >>> m = msg("chain_steps", done=5, total=10)
    >>> str(m), m.key, m.args
    ('5 of 10 steps', 'chain_steps', {'done': 5, 'total': 10})
    """

    key: str
    args: dict[str, Any]

    def __new__(cls, key: str, args: Mapping[str, Any]) -> JobMessage:
        self = super().__new__(cls, MESSAGES[key].format(**args))
        self.key = key
        self.args = dict(args)
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # through the child process's queue
        return (JobMessage, (self.key, self.args))

    def to_dict(self) -> dict[str, Any]:
        """``{"key", "args"}`` (numbers stay numbers: the page formats them)."""
        return {"key": self.key, "args": self.args}


def msg(key: str, **args: Any) -> JobMessage:
    """The job message ``key`` of :data:`MESSAGES` with its arguments."""
    return JobMessage(key, args)


class JobCancelled(Exception):
    """Raised inside a job's work function when the user cancelled the job."""


class JobQueueFull(DayafterError):
    """Too many jobs wait for a worker (HTTP 429: try again later)."""

    http_status = 429
    retry_after = 10


class JobsClosed(DayafterError):
    """The runner no longer takes jobs: the server is stopping (HTTP 503)."""

    http_status = 503


class Job:
    """One job: a work function, its state and its progress.

    Parameters
    ----------
    kind
        Job kind (``"ensemble"``, ...).
    work
        ``work(report) -> dict`` doing the job; it calls ``report(done, total, message=...,
        partial=...)`` regularly.
    params
        The parameters, shown with the job.
    """

    _ids = itertools.count(1)

    def __init__(self, kind: str, work: Callable[[Report], dict[str, Any]] | ChildProcessWork, *,
                 params: Mapping[str, Any] | None = None, label: str = "") -> None:
        self.id = f"job{next(self._ids)}"
        self.kind = kind
        self.label = label or kind
        self.params = dict(params or {})
        self._work = work
        self._cancel = threading.Event()
        self._cond = threading.Condition()
        self._seq = 0
        self.state = "queued"
        self.done = 0
        self.total = 0
        self.message = ""
        self.partial: dict[str, Any] = {}
        self.results: dict[str, Any] | None = None
        self.error: dict[str, Any] | None = None
        self.created = time.time()
        self.started: float | None = None
        self.finished: float | None = None

    def _update(self, **changes: Any) -> None:
        with self._cond:
            for k, v in changes.items():
                setattr(self, k, v)
            self._seq += 1
            self._cond.notify_all()

    def report(self, done: int, total: int, message: str = "", partial: dict[str, Any] | None = None) -> None:
        """Publish progress; raises :class:`JobCancelled` when a cancel was requested."""
        self._update(done=int(done), total=int(total), message=message,
                     partial=partial if partial is not None else self.partial)
        if self._cancel.is_set():
            raise JobCancelled

    @property
    def cancel_requested(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Ask the job to stop (a queued job never starts)."""
        self._cancel.set()
        if self.state == "queued":
            self._update(state="cancelled", finished=time.time(), message=msg("cancelled_before_start"))

    def run(self) -> None:
        """Run the work function (called by the runner's thread)."""
        if self._cancel.is_set():
            return
        self._update(state="running", started=time.time())
        try:
            if isinstance(self._work, ChildProcessWork):
                results = self._work.run(self)
            else:
                results = self._work(self.report)
        except JobCancelled:
            self._update(state="cancelled", finished=time.time(), message=msg("cancelled"))
        except DayafterError as exc:
            self._update(state="failed", finished=time.time(), error=exc.to_dict(),
                         message=exc.one_line())
        except _ChildError as exc:
            self._update(state="failed", finished=time.time(), error=exc.error, message=exc.line)
        except Exception as exc:
            self._update(state="failed", finished=time.time(),
                         error={"error": type(exc).__name__, "message": str(exc),
                                "traceback": traceback.format_exc(limit=5)},
                         message=f"{type(exc).__name__}: {exc}")
        else:
            self._update(state="done", finished=time.time(), results=results, message=msg("finished"))

    def snapshot(self) -> tuple[int, dict[str, Any]]:
        """``(sequence number, state)``; the number grows with every change."""
        with self._cond:
            return self._seq, self.to_dict(results=self.state == "done")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends; False on timeout."""
        end = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self.state in ("queued", "running"):
                left = None if end is None else end - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def to_dict(self, *, results: bool = False) -> dict[str, Any]:
        """JSON-ready state."""
        out: dict[str, Any] = {
            "id": self.id, "kind": self.kind, "label": self.label, "state": self.state,
            "done": self.done, "total": self.total, "message": self.message, "params": self.params,
            "partial": self.partial, "error": self.error, "created": self.created,
            "started": self.started, "finished": self.finished,
        }
        # the page shows messages and labels in the reader's language: key and arguments
        if isinstance(self.message, JobMessage):
            out["message_i18n"] = self.message.to_dict()
        if isinstance(self.label, JobMessage):
            out["label_i18n"] = self.label.to_dict()
        if results:
            out["results"] = self.results
        return out


class JobRunner:
    """Runs jobs in a thread pool and keeps them for listing.

    Parameters
    ----------
    workers
        Jobs that run at the same time.
    max_queued
        Jobs that may wait for a worker; :meth:`submit` refuses one more with
        :class:`JobQueueFull`. After :meth:`shutdown` it refuses every job with :class:`JobsClosed`.
    """

    def __init__(self, workers: int = 1, *, max_queued: int = 8, max_kept: int = 50,
                 max_age: float = 6 * 3600.0) -> None:
        if workers < 1:
            raise ConfigError(f"jobs need at least one worker, got {workers}")
        if max_queued < 0:
            raise ConfigError(f"the job queue cannot hold {max_queued} jobs", hint="use 0 or more")
        if max_kept < 0 or not max_age > 0:
            raise ConfigError(f"finished jobs kept: {max_kept} jobs for {max_age} s",
                              hint="keep 0 or more jobs for a positive number of seconds")
        self.workers = workers
        self.max_queued = max_queued
        self.max_kept = int(max_kept)
        self.max_age = float(max_age)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dayafter-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._closed = False

    def _waiting(self) -> int:
        """Jobs accepted but not started yet (call with the lock held)."""
        return sum(1 for j in self._jobs.values() if j.state == "queued" and not j.cancel_requested)

    def _prune(self) -> None:
        """Forget finished jobs beyond ``max_kept`` (the oldest first) or older than ``max_age``
        seconds (call with the lock held), so a long-running server does not keep every result."""
        now = time.time()
        done = sorted((j for j in self._jobs.values() if j.finished is not None), key=lambda j: j.finished or 0.0)
        drop = {j.id for j in done if now - (j.finished or now) > self.max_age}
        keep = [j for j in done if j.id not in drop]
        drop.update(j.id for j in keep[: max(0, len(keep) - self.max_kept)])
        for job_id in drop:
            del self._jobs[job_id]

    def _active(self) -> int:
        return sum(1 for j in self._jobs.values() if j.state in ("queued", "running")
                   and not j.cancel_requested)

    def submit(self, job: Job) -> dict[str, Any]:
        """Queue a job; returns its state.

        Raises
        ------
        JobQueueFull
            When ``max_queued`` jobs already wait for a worker.
        JobsClosed
            After :meth:`shutdown`.
        """
        with self._lock:
            if self._closed:
                raise JobsClosed("the server is stopping and takes no new jobs",
                                 hint="start the server again, then resubmit the job",
                                 key="web.server_stopping", hint_key="web.server_stopping_hint")
            # the jobs beyond the running ones wait; a worker may be about to take one, so count
            # every active job against workers + max_queued
            if self._active() >= self.workers + self.max_queued:
                waiting = self._waiting()
                raise JobQueueFull(f"{waiting} jobs already wait for a worker (the queue holds "
                                   f"{self.max_queued})",
                                   hint="wait for a job to finish or cancel one, then try again",
                                   key="web.queue_full", args={"n": waiting, "max": self.max_queued},
                                   hint_key="web.queue_full_hint")
            self._prune()
            self._jobs[job.id] = job
            try:
                self._pool.submit(job.run)
            except RuntimeError:  # the pool was shut down under us
                del self._jobs[job.id]
                raise JobsClosed("the server is stopping and takes no new jobs",
                                 hint="start the server again, then resubmit the job",
                                 key="web.server_stopping", hint_key="web.server_stopping_hint") from None
        return job.to_dict()

    def get(self, job_id: str) -> Job:
        """A job by id."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise InputDataError(f"no job {job_id!r}", hint="list the jobs with GET /api/jobs",
                                 key="web.no_job", args={"job": job_id}, hint_key="web.list_jobs")
        return job

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Ask a job to stop; returns its state."""
        job = self.get(job_id)
        job.cancel()
        return job.to_dict()

    def list(self) -> list[dict[str, Any]]:
        """Every job, newest first."""
        with self._lock:
            self._prune()
            jobs = sorted(self._jobs.values(), key=lambda j: -j.created)
        return [j.to_dict(results=j.state == "done") for j in jobs]

    def shutdown(self) -> None:
        """Cancel every job and stop the threads; no job is accepted afterwards."""
        with self._lock:
            self._closed = True
            jobs = list(self._jobs.values())
        for j in jobs:
            j.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)


# ------------------------------------------------------------------------------ child processes
class _ChildError(Exception):
    """A job's child process failed; carries the JSON error and its one-line message."""

    def __init__(self, error: dict[str, Any], line: str) -> None:
        super().__init__(line)
        self.error = error
        self.line = line


def _child_main(fn: Callable[..., dict[str, Any]], args: tuple[Any, ...], out: Any, cancel: Any) -> None:
    """Entry point of a job's child process: run ``fn(*args, report)`` and send what happens."""
    last = [0.0]

    def report(done: int, total: int, message: str = "", partial: dict[str, Any] | None = None) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.1 or done >= total:  # at most ten messages a second
            last[0] = now
            out.put(("progress", int(done), int(total), message, partial))
        if cancel.is_set():
            raise JobCancelled

    try:
        out.put(("done", fn(*args, report)))
    except JobCancelled:
        out.put(("cancelled",))
    except DayafterError as exc:
        out.put(("error", exc.to_dict(), exc.one_line()))
    except BaseException as exc:  # reported to the parent, with the traceback
        out.put(("error", {"error": type(exc).__name__, "message": str(exc),
                           "traceback": traceback.format_exc(limit=8)}, f"{type(exc).__name__}: {exc}"))


class ChildProcessWork:
    """A job's work done by ``fn(*args, report)`` in a child process.

    Parameters
    ----------
    fn
        A module-level function (it is pickled by reference).
    args
        Picklable arguments.
    on_done
        Called in the server process with the child's results; its return value becomes the
        job's results (e.g. to save a plan the child found).
    grace
        Seconds a cancelled child gets to stop by itself before it is terminated.
    """

    def __init__(self, fn: Callable[..., dict[str, Any]], args: tuple[Any, ...], *,
                 on_done: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                 grace: float = 5.0) -> None:
        self.fn = fn
        self.args = args
        self.on_done = on_done
        self.grace = grace

    def run(self, job: Job) -> dict[str, Any]:
        """Start the child, relay its progress into ``job``, return its results."""
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        cancel = ctx.Event()
        proc = ctx.Process(target=_child_main, args=(self.fn, self.args, out, cancel), daemon=True,
                           name=f"dayafter-{job.id}")
        proc.start()
        cancelled_at: float | None = None
        try:
            while True:
                if job.cancel_requested and cancelled_at is None:
                    cancel.set()
                    cancelled_at = time.monotonic()
                try:
                    msg = out.get(timeout=0.1)
                except queue.Empty:
                    if cancelled_at is not None and time.monotonic() - cancelled_at > self.grace:
                        proc.terminate()
                        raise JobCancelled from None
                    if not proc.is_alive() and out.empty():
                        raise _ChildError({"error": "ChildProcessError",
                                           "message": f"the job's process ended with code {proc.exitcode}"},
                                          f"the job's process ended with code {proc.exitcode}") from None
                    continue
                if msg[0] == "progress":
                    _, done, total, message, partial = msg
                    job._update(done=done, total=total, message=message,
                                partial=partial if partial is not None else job.partial)
                elif msg[0] == "done":
                    results = msg[1]
                    return self.on_done(results) if self.on_done is not None else results
                elif msg[0] == "cancelled":
                    raise JobCancelled
                else:
                    raise _ChildError(msg[1], msg[2])
        finally:
            proc.join(timeout=self.grace)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=self.grace)
            out.close()
            out.join_thread()


def _territory_state(t: Any) -> dict[str, Any]:
    """The territory as plain picklable parts (no geometry: engines do not need it)."""
    return {"unit_ids": np.asarray(t.unit_ids, dtype=object), "communities": tuple(t.communities),
            "censuses": {k: np.asarray(v) for k, v in t.censuses.items()},
            "graph": (np.asarray(t.graph.indptr), np.asarray(t.graph.indices), np.asarray(t.graph.border_length)),
            "area": np.asarray(t.area), "outer_border": np.asarray(t.outer_border),
            "admin": {k: np.asarray(v, dtype=object) for k, v in t.admin.items()},
            "labels": {k: np.asarray(v, dtype=object) for k, v in t.labels.items()},
            "crs": str(t.crs), "name": t.name, "meta": _plain(t.meta),
            # the census ranges travel too: draws of a census without them would use the default
            # error only (an optimization robust over draws would answer another question)
            "ranges": dict(t.ranges)}


def _territory_from_state(d: dict[str, Any]) -> Any:
    from dayafter.graph import UnitGraph
    from dayafter.territory import Territory

    return Territory(unit_ids=d["unit_ids"], communities=d["communities"], censuses=d["censuses"],
                     graph=UnitGraph(*d["graph"]), area=d["area"], outer_border=d["outer_border"],
                     admin=d["admin"], labels=d["labels"], crs=d["crs"], name=d["name"], meta=d["meta"],
                     ranges=d.get("ranges") or {})


def _plain(m: Any) -> Any:
    """Mappings (including read-only proxies) as dicts, recursively, so they pickle."""
    if isinstance(m, Mapping):
        return {k: _plain(v) for k, v in m.items()}
    if isinstance(m, list | tuple):
        return type(m)(_plain(v) for v in m)
    return m


def _plan_state(p: Plan) -> dict[str, Any]:
    return {"assignment": np.asarray(p.assignment), "regions": [r.to_dict() for r in p.regions],
            "territory_hash": p.territory_hash, "name": p.name, "notes": p.notes, "meta": _plain(p.meta),
            "control": np.asarray(p.control), "control_labels": list(p.control_labels)}


def _plan_from_state(d: dict[str, Any]) -> Plan:
    from dayafter.plan import CONTROL_VALUES, Region

    return Plan(d["assignment"], tuple(Region(**r) for r in d["regions"]), d["territory_hash"],
                name=d["name"], notes=d["notes"], meta=d["meta"], control=d.get("control"),
                control_labels=tuple(d.get("control_labels") or CONTROL_VALUES))


# ------------------------------------------------------------------------------ job kinds
def _ensemble_api() -> Any:
    try:
        from dayafter.ensemble import recom
        from dayafter.ensemble.constraints import ChainConstraints
    except ImportError:
        return None
    if not all(hasattr(recom, n) for n in ("ChainState", "Proposal", "run_steps")):
        return None
    return recom, ChainConstraints


def _optimize_api() -> Any:
    try:
        import dayafter.optimize as opt
    except ImportError:
        return None
    if not all(hasattr(opt, n) for n in ("Problem", "ShortBurstOptimizer")):
        return None
    return opt


def available_kinds() -> list[dict[str, Any]]:
    """Job kinds whose engine is installed, with their parameters and defaults."""
    kinds = []
    if _ensemble_api() is not None:
        kinds.append({"kind": "ensemble", "label": "ReCom ensemble around the plan",
                      "params": {"steps": 2000, "seed": 2718, "tolerance": DEFAULT_TOLERANCE, "balance": "plan",
                                 "census": None}})
    if _optimize_api() is not None:
        kinds.append({"kind": "optimize", "label": "Optimize the plan (short bursts)",
                      "params": {"steps": 20000, "seed": 2718, "tolerance": DEFAULT_TOLERANCE, "balance": "plan",
                                 "census": None,
                                 "maximize": [{"metric": "homogeneity"}], "minimize": [],
                                 "draws": 0, "draw_seed": 0}})
    if _report_api() is not None:
        kinds.append({"kind": "report", "label": "Dossier of the draft and chosen plans (HTML, PDF)",
                      "params": {"plans": [], "maps": True,
                                 "formats": ["html", "pdf"] if _report_api().pdf_available()[0] else ["html"]}})
    return kinds


def _report_api() -> Any:
    try:
        import dayafter.report as rep
    except ImportError:
        return None
    return rep


REPORT_FORMATS = ("html", "pdf")
"""What a report job writes: the self-contained HTML dossier, and the PDF of the same content."""
REPORT_MAX_PLANS = 8


def make_job(kind: str, workspace: Any, plan: Plan, params: Mapping[str, Any]) -> Job:
    """Build a job of ``kind`` on ``plan`` (``workspace`` gives the territory)."""
    names = [k["kind"] for k in available_kinds()]
    if kind not in names:
        raise ConfigError(f"job kind {kind!r} is not available here",
                          hint=f"available: {names or 'none (no engine installed)'}",
                          key="web.job_kind_unavailable", args={"kind": kind},
                          hint_key="web.use_one_of" if names else "web.no_engines", hint_args={"options": names})
    if kind == "optimize":
        return _optimize_job(workspace, plan, params)
    if kind == "report":
        return _report_job(workspace, plan, params)
    return _ensemble_job(workspace, plan, params)


def _report_job(workspace: Any, plan: Plan, params: Mapping[str, Any]) -> Job:
    """A settlement dossier (:mod:`dayafter.report`) of ``plan`` (the draft) and the saved plans or
    scenarios named in ``params["plans"]``, written as HTML and (when WeasyPrint works) PDF into a
    new folder of the workspace's ``runs_dir``; the files are listed in the results and downloaded
    through ``GET /api/jobs/{id}/files/{name}``.

    Progress is reported per stage (evaluating and drawing the plans, each format); a cancel
    takes effect at the next stage.
    """
    rep = _report_api()
    allowed = {"plans", "formats", "title", "maps"}
    unknown = set(params) - allowed
    if unknown:
        raise ConfigError(f"unknown report parameters {sorted(unknown)}", hint=f"use {sorted(allowed)}")
    names = [str(n) for n in params.get("plans") or []]
    if len(names) > REPORT_MAX_PLANS:
        raise ConfigError(f"a report takes at most {REPORT_MAX_PLANS} plans besides the draft, got {len(names)}",
                          hint="pick fewer plans", key="web.report_too_many_plans",
                          args={"max": REPORT_MAX_PLANS, "n": len(names)}, hint_key="web.pick_fewer_plans")
    formats = [str(f) for f in params.get("formats") or ["html"]]
    bad = [f for f in formats if f not in REPORT_FORMATS]
    if bad or not formats:
        raise ConfigError(f"unknown report formats {bad or formats}", hint=f"use some of {list(REPORT_FORMATS)}")
    if "pdf" in formats:
        ok, why = rep.pdf_available()
        if not ok:
            # the reason names packages to install (English); the reader's message says what to do
            raise ConfigError(f"cannot write PDF here: {why}", hint="ask for formats ['html']",
                              key="web.pdf_unavailable", hint_key="web.ask_for_html")
    draft = plan.renamed(plan.name or "draft") if not plan.name else plan
    plans = [draft]
    for n in names:
        other = workspace.plan(n)  # an unknown name is refused here, before the job is queued
        if other.name == draft.name:
            if np.array_equal(other.assignment, draft.assignment) and other.regions == draft.regions:
                continue  # the draft is this plan, unchanged
            draft = draft.renamed(f"{draft.name} (draft)")
            plans[0] = draft
        if all(p.name != other.name for p in plans):
            plans.append(other)
    title = str(params.get("title") or f"Settlement dossier: {workspace.title}")
    territory = workspace.territory
    reference = workspace.reference_plan()
    kwargs: dict[str, Any] = {
        "reference": reference, "criteria": list(workspace.criteria), "labels": dict(workspace.community_labels),
        "provenance": workspace.provenance, "sources_md": workspace.sources_md or "", "title": title,
        "maps": territory.geometry is not None and bool(params.get("maps", True)),
    }
    runs_dir = Path(workspace.runs_dir)

    def work(report: Report) -> dict[str, Any]:
        import tempfile

        from dayafter.io.atomic import atomic_write_bytes

        total = 1 + len(formats)
        report(0, total, msg("report_evaluating", n=len(plans)))
        dossier = rep.build_dossier(territory, plans, **kwargs)
        runs_dir.mkdir(parents=True, exist_ok=True)
        out = Path(tempfile.mkdtemp(prefix=time.strftime("report-%Y%m%d-%H%M%S-"), dir=runs_dir))
        files = []
        for i, fmt in enumerate(formats):
            report(1 + i, total, msg("report_writing", format=fmt.upper()))
            data = rep.render_html(dossier).encode("utf-8") if fmt == "html" else rep.render_pdf(dossier)
            name = f"dossier.{fmt}"
            atomic_write_bytes(out / name, data)
            files.append({"name": name, "format": fmt, "bytes": len(data)})
        report(total, total, msg("report_written"))
        return {"files": files, "plans": [p.name for p in plans], "run_dir": str(out), "title": title}

    return Job("report", work, params={"plans": [p.name for p in plans], "formats": formats},
               label=msg("label_report", plans=", ".join(p.name for p in plans),
                         formats=", ".join(f.upper() for f in formats)))


def job_file(job: Job, name: str) -> Path:
    """A file a finished job wrote (listed in its results' ``files``), or one clear error."""
    files = (job.results or {}).get("files") if job.state == "done" else None
    if not files or name not in [f["name"] for f in files]:
        raise InputDataError(f"job {job.id} has no file {name!r}",
                             hint="wait until the job is done; use a name from its results' files",
                             key="web.job_no_file", args={"job": job.id, "name": name},
                             hint_key="web.job_files")
    return Path(job.results["run_dir"]) / name  # type: ignore[index]


def _optimize_job(workspace: Any, plan: Plan, params: Mapping[str, Any]) -> Job:
    """Short-burst optimization starting from ``plan`` (its regions, names and authorities).

    The best plan found is added to the workspace's saved plans as ``<plan> optimized (job N)``.
    With ``draws`` (1 to ``MAX_DRAWS``; 0, the default, for none) the plan sought is the one whose
    worst objective over the census and ``draws`` draws of its stated ranges (seeded by
    ``draw_seed``) is best; the results then give the census label and, per census, the plan's
    value on it and the range over its draws (``robust``).
    """
    opt = _optimize_api()
    allowed = {"steps", "seed", "tolerance", "census", "maximize", "minimize", "chunk", "balance", "draws",
               "draw_seed"}
    unknown = set(params) - allowed
    if unknown:
        raise ConfigError(f"unknown optimization parameters {sorted(unknown)}", hint=f"use {sorted(allowed)}")
    steps = int(params.get("steps", 20000))
    seed = int(params.get("seed", 2718))
    chunk = max(1, int(params.get("chunk", 500)))
    if not 1 <= steps <= 100_000_000:
        raise ConfigError(f"steps must lie in 1..100,000,000, got {steps}")
    maximize = list(params.get("maximize") or [])
    minimize = list(params.get("minimize") or [])
    if not maximize and not minimize:
        raise ConfigError("an optimization needs an objective", hint="give maximize or minimize terms",
                          key="web.needs_objective", hint_key="web.give_objective")
    from dayafter.optimize.problem import MAX_DRAWS

    draws = int(params.get("draws", 0))
    if not 0 <= draws <= MAX_DRAWS:
        raise ConfigError(f"census draws must lie in 0..{MAX_DRAWS}, got {draws}",
                          hint="0 for the census alone; each draw is one more census in every model",
                          key="web.draws_range", args={"n": draws, "max": MAX_DRAWS},
                          hint_key="web.draws_hint")
    draw_seed = int(params.get("draw_seed", 0))
    if draw_seed < 0:
        raise ConfigError(f"the draws' seed must be 0 or more, got {draw_seed}", hint="e.g. 0",
                          key="web.draw_seed_negative", args={"seed": draw_seed}, hint_key="web.draw_seed_hint")
    census = str(params.get("census") or workspace.territory.census_names[0])
    spec: dict[str, Any] = {"regions": [r.to_dict() for r in plan.regions], "maximize": maximize,
                            "minimize": minimize, "census": census,
                            "constraints": _balance(workspace.territory, plan, params, census)}
    if draws:
        spec.update(draws={"n": draws, "seed": draw_seed}, combine="worst")
    # compiled here too, so an impossible problem is refused at once with the engine's reason
    opt.Problem.from_dict(spec).compile(workspace.territory)

    def save(results: dict[str, Any]) -> dict[str, Any]:
        best = _plan_from_state(results.pop("plan"))
        saved = None
        if results["summary"]["feasible"]:
            saved = workspace.add_plan(best.renamed(f"{plan.name or 'plan'} optimized ({job.id})"),
                                       open_it=False)
        results["saved_as"] = saved.name if saved is not None else None
        return results

    work = ChildProcessWork(_optimize_work, (_territory_state(workspace.territory), _plan_state(plan),
                                             spec, {"steps": steps, "seed": seed, "chunk": chunk},
                                             str(workspace.runs_dir)),
                            on_done=save)
    job = Job("optimize", work, params={"steps": steps, "seed": seed, "maximize": maximize,
                                        "minimize": minimize, "plan": plan.name, "draws": draws,
                                        "draw_seed": draw_seed},
              label=msg("label_optimize", plan=plan.name or "the draft", steps=steps))
    return job


def _optimize_work(tstate: dict[str, Any], pstate: dict[str, Any], spec: dict[str, Any],
                   params: dict[str, Any], runs_dir: str, report: Report) -> dict[str, Any]:
    """Child-process side of an optimization job: the library's short-burst optimizer; the run's
    folder in ``runs_dir`` gets the manifest (versions, inputs, problem, optimizer, result) and the
    starting and best plans."""
    import tempfile

    from dayafter.io.plans import write_plan
    from dayafter.manifest import now_utc, platform_info, versions, write_manifest

    opt = _optimize_api()
    territory = _territory_from_state(tstate)
    plan = _plan_from_state(pstate)
    steps = params["steps"]
    compiled = opt.Problem.from_dict(spec).compile(territory)

    def progress(ev: Any) -> None:  # a dayafter.progress.ProgressEvent
        info = ev.extra
        key = "optimize_steps" if info.get("feasible", True) else "optimize_steps_infeasible"
        report(int(info["steps"]), steps, msg(key, done=int(info["steps"]), total=steps, best=float(info["best"])),
               {"best": float(info["best"]), "feasible": bool(info.get("feasible", True))})

    report(0, steps, msg("optimize_starting"))
    optimizer = opt.ShortBurstOptimizer(steps=steps, seed=params["seed"],
                                        initial=plan if plan.is_complete else None,
                                        progress=progress, chunk=params["chunk"])
    res = optimizer.run(compiled)
    summary = _plain(res.to_dict())
    Path(runs_dir).mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix=time.strftime("optimize-%Y%m%d-%H%M%S-"), dir=runs_dir))
    write_plan(plan, territory, run_dir / "start.json")
    write_plan(res.plan, territory, run_dir / "best.json")
    write_manifest(run_dir / "manifest.json", {
        "kind": "optimize", "created": now_utc(), "versions": versions(), "platform": platform_info(),
        "territory_hash": territory.content_hash, "start_plan": "start.json", "best_plan": "best.json",
        "problem": spec, "optimizer": _recorded(optimizer),
        "parameters": {"steps": steps, "seed": params["seed"], "chunk": params["chunk"]},
        "result": summary})
    return {"summary": summary, "plan": _plan_state(res.plan),
            "top": [float(sc) for sc, _a in res.top], "run_dir": str(run_dir),
            "manifest": str(run_dir / "manifest.json"), "census_label": compiled.census_label,
            "robust": robust_summary(compiled, res.census_objectives)}


def robust_summary(compiled: Any, census_objectives: Mapping[str, float]) -> dict[str, Any] | None:
    """What an optimization robust over census draws found, for the results: the point censuses,
    the number of draws and their seed, how they combine, and per census the plan's value on it
    and the lowest and highest over its draws.

    Parameters
    ----------
    compiled
        The compiled problem (:class:`dayafter.optimize.CompiledProblem`).
    census_objectives
        The census part of the plan's objective per census and draw (``<census>~<j>``), as the
        result's ``census_objectives``.

    Returns
    -------
    dict or None
        ``{"draws", "seed", "combine", "censuses": [{"census", "value", "low", "high"}]}``, or
        ``None`` for an objective without draws.
    """
    n = int(compiled.draws)
    if not n:
        return None
    objective = compiled.problem.objective
    rows = []
    for c in compiled.censuses[::n + 1]:
        on_draws = [float(census_objectives[d]) for d in objective.draw_names(c)]
        rows.append({"census": c, "value": float(census_objectives[c]), "low": min(on_draws),
                     "high": max(on_draws)})
    return {"draws": n, "seed": int(objective.draw_seed), "combine": compiled.combine, "censuses": rows}


def _recorded(obj: Any) -> dict[str, Any]:
    """The class and constructor parameters of a run object (as :func:`dayafter.manifest.record`),
    with callbacks and plans named by their type (the starting plan is saved next to the
    manifest)."""
    import inspect

    from dayafter._util import to_jsonable

    params: dict[str, Any] = {}
    for name, p in inspect.signature(type(obj).__init__).parameters.items():
        if name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        v = getattr(obj, name, None)
        if v is not None and (callable(v) or isinstance(v, Plan)):
            v = f"<{type(v).__name__}>"
        params[name] = to_jsonable(v)
    return {"class": type(obj).__name__, "params": params}


def _balance(territory: Any, plan: Plan, params: Mapping[str, Any], census: str) -> dict[str, Any]:
    """Population bounds of a job: ``balance="plan"`` (default) keeps every region within
    ``tolerance`` of its population in the plan (regions of very different sizes, as in real
    settlements); ``balance="equal"`` within ``tolerance`` of the ideal ``total / k``."""
    tol = float(PARAMETERS["tolerance"].check(params.get("tolerance", DEFAULT_TOLERANCE), "job"))
    mode = PARAMETERS["balance"].check(params.get("balance", "plan"), "job")
    if mode == "equal":
        return {"tolerance": tol}
    pop = territory.population(census)
    a = plan.assignment
    per_region = np.bincount(a[a >= 0], weights=pop[a >= 0], minlength=plan.k)
    return {"tolerance": None, "pop_min": [float(x) for x in per_region * (1 - tol)],
            "pop_max": [float(x) for x in per_region * (1 + tol)]}


def _percentile(sample: np.ndarray, value: float) -> float:
    """Share of the sample at or below ``value`` (0..1); mid-rank for ties."""
    return percentile_rank(sample, value, scale=1.0)


def _ensemble_job(workspace: Any, plan: Plan, params: Mapping[str, Any]) -> Job:
    """A ReCom ensemble from ``plan`` run by the library's :class:`~dayafter.ensemble.ReComSampler`:
    the run directory (results, checkpoints, ``manifest.json``) is kept in the workspace's
    ``runs_dir``, so the run can be replayed (``dayafter ensemble replay RUN_DIR``)."""
    territory = workspace.territory
    recom, ChainConstraints = _ensemble_api()
    allowed = {"steps", "seed", "tolerance", "census", "chunk", "balance", "subset"}
    unknown = set(params) - allowed
    if unknown:
        raise ConfigError(f"unknown ensemble parameters {sorted(unknown)}", hint=f"use {sorted(allowed)}")
    steps = int(params.get("steps", 2000))
    seed = int(params.get("seed", 2718))
    chunk = max(1, int(params.get("chunk", 200)))
    if not 1 <= steps <= 10_000_000:
        raise ConfigError(f"steps must lie in 1..10,000,000, got {steps}")
    if not plan.is_complete:
        raise InputDataError("the plan leaves units unassigned; an ensemble needs a complete plan",
                             hint="paint every unit into a region first", key="web.plan_incomplete",
                             hint_key="web.paint_every_unit")
    census = params.get("census") or territory.census_names[0]
    cspec = {"census": census, **_balance(territory, plan, params, census)}
    subset = params.get("subset") or None
    if subset is not None:
        # a province question: the chain changes the subset's units only, the rest of the plan stays
        cspec["subset"] = str(subset)
    # Built here too, so a plan the chain cannot start from is refused at once with the engine's message.
    recom.ChainState(territory, plan.assignment, plan.k, proposal=recom.Proposal(),
                     constraints=ChainConstraints.from_dict(cspec), region_names=tuple(plan.region_names))
    job_params = {"steps": steps, "seed": seed, "census": census,
                  "tolerance": float(params.get("tolerance", DEFAULT_TOLERANCE)),
                  "balance": str(params.get("balance", "plan")), "plan": plan.name,
                  "subset": subset}
    work = ChildProcessWork(_ensemble_work, (_territory_state(territory), _plan_state(plan), cspec,
                                             {"steps": steps, "seed": seed, "chunk": chunk},
                                             str(workspace.runs_dir)))
    return Job("ensemble", work, params=job_params,
               label=msg("label_ensemble", steps=steps, plan=plan.name or "the draft"))


class LivePercentile:
    """The plan's percentile among the ensemble's steps so far, for each streamed metric: reads
    the blocks a running chain has written (``chain_000.parts/part_*.npz``) once each and keeps
    running counts, so an update costs the new blocks only.

    The percentile is :func:`dayafter._util.percentile_rank` (mid-rank for ties, 0..1, NaN steps
    left out) over the steps read; once every block is read it equals the job's final
    percentile. A metric whose plan value is not finite (a community with nobody on a census) has
    no percentile (``None``).
    """

    def __init__(self, run_dir: Path, plan_values: Mapping[str, float], chain: int = 0) -> None:
        from dayafter.ensemble import store

        self.folder = store.parts_dir(run_dir, chain)
        self.values = {k: float(v) for k, v in plan_values.items()}
        self.below = dict.fromkeys(self.values, 0)
        self.equal = dict.fromkeys(self.values, 0)
        self.finite = dict.fromkeys(self.values, 0)
        self.n = 0
        self.parts = 0

    def update(self) -> dict[str, Any]:
        """Read the blocks written since the last call; ``{"percentile_live": {metric: p},
        "sampled": steps}`` once some steps are read, else ``{}``."""
        while True:
            path = self.folder / f"part_{self.parts:06d}.npz"
            try:
                with np.load(path, allow_pickle=False) as z:
                    cols = {k: np.asarray(z[k], dtype=np.float64) for k in self.values if k in z.files}
                    steps = int(z["status"].size) if "status" in z.files else \
                        (int(next(iter(cols.values())).size) if cols else 0)
            except (FileNotFoundError, OSError, ValueError, KeyError):  # not written yet, or merged away
                break
            self.parts += 1
            for k, v in self.values.items():
                x = cols.get(k)
                if x is None:
                    continue
                x = x[np.isfinite(x)]
                self.finite[k] += int(x.size)
                self.below[k] += int(np.sum(x < v))
                self.equal[k] += int(np.sum(x == v))
            self.n += steps
        if not self.n:
            return {}
        return {"percentile_live": {
                    k: (self.below[k] + 0.5 * self.equal[k]) / self.finite[k]
                    if self.finite[k] and np.isfinite(v) else None for k, v in self.values.items()},
                "sampled": self.n}


def ensemble_plan_values(territory: Any, plan: Plan, start: Any, threshold: float) -> dict[str, float]:
    """The plan's own value of every column an ensemble job records, by the chain's definitions.

    Parameters
    ----------
    territory, plan
        The territory and the (complete) plan the chain starts from.
    start
        The chain's starting :class:`~dayafter.ensemble.ChainState`: its cut edges, its regions'
        populations on the balanced census and the regions taking part (all, or those holding
        units of the subset).
    threshold
        Stranded-population threshold (the sampler's).

    Returns
    -------
    dict
        ``cut_edges``, ``max_abs_deviation`` (regions taking part, balanced census) and, for every
        census ``c`` and community ``g``, ``c/empowerment_plurality:g``,
        ``c/empowerment_majority:g``, ``c/stranded:g`` (:meth:`CensusMetrics.scalars
        <dayafter.metrics.CensusMetrics.scalars>`) and ``c/largest_share@r``, the ``r``-th largest
        of the regions' largest community shares (regions taking part), as the kernel records
        them. NaN where a community has nobody on a census.

    Notes
    -----
    The values come from :func:`dayafter.metrics.evaluate_assignment`, the kernel's test oracle;
    ``tests/web/test_jobs_metrics.py`` checks them against :func:`dayafter.metrics.evaluate` and
    :func:`dayafter.ensemble.where_in_ensemble`.
    """
    from dayafter.ensemble.sampler import COMMUNITY_METRICS
    from dayafter.metrics import evaluate_assignment

    part = np.asarray(start.taking_part, dtype=bool)
    pop = np.asarray(start.region_pop, dtype=np.float64)[part]
    out = {"cut_edges": float(start.cut_edges),
           "max_abs_deviation": float(np.max(np.abs(pop / pop.mean() - 1.0)))
           if pop.size and pop.mean() > 0 else float("nan")}
    a = plan.assignment.astype(np.int32)
    for census in territory.census_names:
        cm = evaluate_assignment(territory, a, plan.k, census=census, threshold=threshold)
        scalars = cm.scalars()
        for metric in COMMUNITY_METRICS:
            for g in territory.communities:
                out[f"{census}/{metric}:{g}"] = float(scalars[f"{metric}:{g}"])
        ranked = np.sort(np.asarray(cm.largest_share, dtype=np.float64)[part])[::-1]
        for r, v in enumerate(ranked, start=1):
            out[f"{census}/largest_share@{r}"] = float(v)
    return out


def _column_info(name: str) -> dict[str, Any]:
    """What an ensemble column measures: ``{"column", "census", "metric", "community", "rank"}``
    (``"current/stranded:yazidi"`` -> census ``current``, metric ``stranded``, community
    ``yazidi``; ``"baseline/largest_share@2"`` -> rank 2), for the page to label and filter it."""
    census, _, key = name.rpartition("/")
    metric, _, arg = key.partition(":")
    rank = None
    if "@" in metric:
        metric, _, r = metric.partition("@")
        rank = int(r)
    return {"column": name, "census": census or None, "metric": metric,
            "community": arg or None, "rank": rank}


def _ensemble_work(tstate: dict[str, Any], pstate: dict[str, Any], cspec: dict[str, Any],
                   params: dict[str, Any], runs_dir: str, report: Report) -> dict[str, Any]:
    """Child-process side of an ensemble job: run the sampler into a new folder of ``runs_dir``,
    place the plan in it."""
    import tempfile

    from dayafter.ensemble import ReComSampler, store

    Path(runs_dir).mkdir(parents=True, exist_ok=True)
    run_dir = tempfile.mkdtemp(prefix=time.strftime("ensemble-%Y%m%d-%H%M%S-"), dir=runs_dir)
    territory = _territory_from_state(tstate)
    plan = _plan_from_state(pstate)
    steps = params["steps"]
    recom, ChainConstraints = _ensemble_api()
    start = recom.ChainState(territory, plan.assignment, plan.k, proposal=recom.Proposal(),
                             constraints=ChainConstraints.from_dict(cspec),
                             region_names=tuple(plan.region_names))
    mask = ChainConstraints.from_dict(cspec).subset_mask(territory)
    threshold = float(PARAMETERS["threshold"].default)
    plan_values = ensemble_plan_values(territory, plan, start, threshold)
    # blocks of about a twentieth of the run (at least a chunk): each block written is read back
    # by the progress below, so the page shows the plan's percentile while the chain runs
    block = max(params["chunk"], min(-(-steps // 20), 10_000))
    # the community metrics on every census are computed inside the kernel at each step (about
    # 3% slower than the bare chain), as ``dayafter ensemble run --metric community`` asks
    sampler = ReComSampler(steps=steps, chains=1, seed=params["seed"], constraints=cspec, n_jobs=1,
                           checkpoint_every=block, metrics=["community"], threshold=threshold)
    t0 = time.perf_counter()
    report(0, steps, msg("chain_starting"))
    live = LivePercentile(Path(run_dir), plan_values)

    def progress(ev: Any) -> None:  # a dayafter.progress.ProgressEvent
        done, total = int(ev.done), int(ev.total or steps)
        report(done, total, msg("chain_steps", done=done, total=total),
               {"steps_per_second": done / max(time.perf_counter() - t0, 1e-9), **live.update()})

    res = sampler.run(territory, plan, run_dir, progress=progress)
    cols = store.load_chain(res.run_dir, 0, sampler.format)
    status = np.asarray(cols["status"])
    qs = [0.05, 0.25, 0.5, 0.75, 0.95]
    names = [c for c in plan_values if c in cols]
    percentile: dict[str, float | None] = {}
    quantiles: dict[str, Any] = {"q": qs}
    for name in names:
        ens = np.asarray(cols[name], dtype=np.float64)
        finite = ens[np.isfinite(ens)]
        v = plan_values[name]
        percentile[name] = _percentile(ens, v) if finite.size and np.isfinite(v) else None
        quantiles[name] = np.quantile(finite, qs).tolist() if finite.size else [None] * len(qs)
    # the last word of the live line: every step read (the blocks are merged away by now)
    report(steps, steps, msg("chain_steps", done=steps, total=steps),
           {"percentile_live": percentile, "sampled": int(status.size)})
    return {
        "steps": steps, "seed": params["seed"], "census": cspec["census"], "block": block,
        "subset": cspec.get("subset"), "threshold": threshold,
        "subset_units": None if mask is None else int(mask.sum()),
        "moved": int(np.sum(status == 0)), "self_loops": int(np.sum(status != 0)),
        "columns": [_column_info(n) for n in names],
        "plan": {n: plan_values[n] for n in names},
        "percentile": percentile, "quantiles": quantiles,
        "seconds": time.perf_counter() - t0,
        "run_dir": str(res.run_dir), "manifest": str(Path(res.run_dir) / "manifest.json"),
    }
