"""kill -9 trials of every dayafter writer, run as the user runs it (the ``dayafter`` command in a
child process), killed with SIGKILL at a random moment of its run.

Writers and what each trial checks afterwards (reading the files the way the program does, through
``dayafter.io.project.read_project`` and ``dayafter.io.plans.read_plan``):

- ``export-json``: ``plan export P --out out.json``. The target is absent, or the previous or the
  new plan, complete.
- ``export-project``: ``plan export P --project proj.gpkg --out proj.gpkg`` (a plan written into its
  own project; each trial a new plan). The project opens (a hot journal left by the kill is
  recovered, never called "not a dayafter project"), every plan saved before is there and equal,
  the trial's plan is absent or complete.
- ``build``: ``territory build layer.geojson ... --out built.gpkg --overwrite``. The target is
  absent or a complete project of the layer.
- ``ensemble``: ``ensemble run ... --out run_k`` with two chain processes, the main process killed.
  No chain worker outlives it by more than a few seconds (orphans), and ``--resume`` (or a new run
  in the same folder when the kill came before the manifest) finishes with chains equal, bit for
  bit, to an uninterrupted run.

After the trials of a writer, one complete run of it must leave no temporary file of the killed
writers next to its target (they are removed by the next write).

Usage::

    python bench/kill.py                  # 30 trials per writer
    python bench/kill.py --trials 5 --writers export-project,ensemble

Prints one line per writer (trials, kills that landed mid-write, failures, orphans) and exits 1 on
any failure. The suite runs a short version (tests/robustness/test_kill_cli.py).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

WRITERS = ("export-json", "export-project", "build", "ensemble")
ENSEMBLE_ARGS = ("--steps", "1500", "--chains", "2", "--jobs", "2", "--seed", "5", "--tolerance", "0.5",
                 "--checkpoint-every", "100", "--no-progress")


@dataclass
class Outcome:
    """What the trials of one writer found."""

    writer: str
    trials: int = 0
    mid_write: int = 0
    """Kills that left evidence of an unfinished write (a temporary file, a hot journal, a run
    folder without a complete manifest)."""
    failures: list[str] = field(default_factory=list)
    orphans: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures and self.orphans == 0

    def line(self) -> str:
        verdict = "PASS" if self.ok else "FAIL"
        text = (f"{self.writer:15s} {self.trials:3d} trials, {self.mid_write:3d} killed mid-write, "
                f"{len(self.failures)} failures, {self.orphans} orphan workers, {self.seconds:6.1f} s  {verdict}")
        return text + "".join(f"\n    {f}" for f in self.failures[:5])


# ------------------------------------------------------------------------------------------ setup
def _cmd() -> list[str]:
    exe = Path(sys.executable).with_name("dayafter")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "dayafter.cli.main"]


def _layer(folder: Path, n: int = 6) -> Path:
    import geopandas as gpd
    from shapely.geometry import box

    recs = []
    for i in range(n):
        for j in range(n):
            recs.append({"uid": f"U{i}{j}", "a": 10.0 + i + j, "b": 5.0 + (i * j) % 7,
                         "geometry": box(44 + j * 0.1, 36 + i * 0.1, 44 + (j + 1) * 0.1, 36 + (i + 1) * 0.1)})
    path = folder / "layer.geojson"
    gpd.GeoDataFrame(recs, crs=4326).to_file(path, driver="GeoJSON")
    return path


@dataclass
class Setup:
    folder: Path
    layer: Path
    project: Path
    territory: object
    plans: list[Path]


def setup(folder: Path, n_plans: int = 40) -> Setup:
    """A 6x6 layer, its project, and plan files (3 regions each, different assignments)."""
    from dayafter.io.plans import write_plan
    from dayafter.io.project import write_project
    from dayafter.io.units import read_territory
    from dayafter.plan import Plan, Region

    folder.mkdir(parents=True, exist_ok=True)
    layer = _layer(folder)
    t = read_territory(layer, id_col="uid", communities=["a", "b"], name="grid")
    project = folder / "proj.gpkg"
    cols = np.arange(t.n_units) % 6
    stripes = Plan((cols // 2).astype(np.int32), tuple(Region(f"R{j}") for j in range(3)), t.content_hash,
                   name="stripes")
    write_project(t, project, plans=[stripes])
    rng = np.random.default_rng(0)
    plans = []
    for k in range(n_plans):
        a = (cols // 2).copy()
        flip = rng.choice(t.n_units, size=4, replace=False)
        a[flip] = rng.integers(0, 3, 4)
        p = Plan(a.astype(np.int32), stripes.regions, t.content_hash, name=f"p{k:03d}",
                 notes=f"trial plan {k} " + "x" * 500)
        path = folder / f"p{k:03d}.json"
        write_plan(p, t, path)
        plans.append(path)
    return Setup(folder, layer, project, t, plans)


# ------------------------------------------------------------------------------------------ processes
def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _run_killed(args: list[str], delay: float, cwd: Path, watch: Callable[[], bool] | None = None,
                extra: float = 0.0, track: bool = False) -> tuple[int, list[int], bool]:
    """Start ``dayafter args`` and SIGKILL it after ``delay`` seconds, or, with ``watch``, ``extra``
    seconds after ``watch()`` first holds (the write began). Returns the exit code, the process's
    descendants seen before the kill and whether the kill came while ``watch()`` held."""
    proc = subprocess.Popen([*_cmd(), *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    t0 = time.monotonic()
    below: set[int] = set()
    last = 0.0
    seen = False
    while proc.poll() is None:
        now = time.monotonic()
        if watch is not None:
            if watch():
                seen = True
                time.sleep(extra)
                break
            time.sleep(0.0005)
        else:
            if now - t0 >= delay:
                break
            time.sleep(0.01)
        if track and now - last > 0.05:
            below |= set(_descendants(proc.pid))
            last = now
    during = False
    if proc.poll() is None:
        if track:
            below |= set(_descendants(proc.pid))
        during = seen and watch is not None and watch()
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    return proc.returncode, sorted(below), during


def _run(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_cmd(), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def _timed(args: list[str], cwd: Path) -> float:
    t0 = time.monotonic()
    r = _run(args, cwd)
    if r.returncode != 0:
        raise RuntimeError(f"dayafter {' '.join(args)} failed: {r.stderr.strip()[-500:]}")
    return time.monotonic() - t0


def _temporaries(target: Path) -> list[Path]:
    return [q for q in target.parent.iterdir() if q.name.startswith(f".{target.name}.")]


# ------------------------------------------------------------------------------------------ writers
def _same_plan(a, b) -> bool:
    return a.name == b.name and np.array_equal(a.assignment, b.assignment) and a.regions == b.regions


def trial_export_json(s: Setup, trials: int, rng: np.random.Generator) -> Outcome:
    from dayafter.io.plans import read_plan

    out = Outcome("export-json")
    target = s.folder / "out.json"
    full = _timed(["plan", "export", str(s.plans[0]), "--project", str(s.project), "--out", str(target)], s.folder)
    target.unlink()
    prev = None
    for k in range(trials):
        src = s.plans[k % len(s.plans)]
        new = read_plan(src, s.territory)
        before = set(_temporaries(target))
        watch = (lambda before=before: bool(set(_temporaries(target)) - before)) if k % 2 else None
        _run_killed(["plan", "export", str(src), "--project", str(s.project), "--out", str(target)],
                    float(rng.uniform(0.0, 1.05)) * full, s.folder, watch, float(rng.uniform(0, 0.002)))
        out.trials += 1
        out.mid_write += bool(set(_temporaries(target)) - before)
        if not target.exists():
            if prev is not None:
                out.failures.append(f"trial {k}: {target.name} vanished")
            continue
        try:
            got = read_plan(target, s.territory)
        except Exception as exc:
            out.failures.append(f"trial {k}: {target.name} unreadable: {exc}")
            continue
        if not (_same_plan(got, new) or (prev is not None and _same_plan(got, prev))):
            out.failures.append(f"trial {k}: {target.name} holds neither the old nor the new plan")
        prev = got
    _timed(["plan", "export", str(s.plans[0]), "--project", str(s.project), "--out", str(target)], s.folder)
    if _temporaries(target):
        out.failures.append(f"temporary files left after a complete write: {[q.name for q in _temporaries(target)]}")
    return out


def trial_export_project(s: Setup, trials: int, rng: np.random.Generator) -> Outcome:
    from dayafter.io.plans import read_plan
    from dayafter.io.project import read_project

    out = Outcome("export-project")
    work = s.folder / "exp"
    work.mkdir(exist_ok=True)
    proj = work / "proj.gpkg"
    proj.write_bytes(s.project.read_bytes())
    probe = work / "probe.gpkg"
    probe.write_bytes(s.project.read_bytes())
    full = _timed(["plan", "export", str(s.plans[-1]), "--project", str(probe), "--out", str(probe)], s.folder)
    saved = dict(read_project(proj).plans)
    for k in range(trials):
        src = s.plans[k % (len(s.plans) - 1)]
        new = read_plan(src, s.territory)
        def journal() -> bool:
            return any(Path(f"{proj}-{x}").exists() for x in ("journal", "wal"))

        _run_killed(["plan", "export", str(src), "--project", str(proj), "--out", str(proj)],
                    float(rng.uniform(0.0, 1.05)) * full, s.folder, journal if k % 2 else None,
                    float(rng.uniform(0, 0.02)))
        out.trials += 1
        hot = any(Path(f"{proj}-{x}").exists() and Path(f"{proj}-{x}").stat().st_size > 0 for x in ("journal", "wal"))
        out.mid_write += hot or bool(_temporaries(proj))
        try:
            got = dict(read_project(proj).plans)  # the program's own reader
        except Exception as exc:
            out.failures.append(f"trial {k}: project does not open{' (hot journal)' if hot else ''}: {exc}")
            break
        lost = [n for n, p in saved.items() if n not in got or not _same_plan(got[n], p)]
        if lost:
            out.failures.append(f"trial {k}: plans lost or changed: {lost}")
        extra = set(got) - set(saved) - {new.name}
        if extra:
            out.failures.append(f"trial {k}: unexpected plans {sorted(extra)}")
        if new.name in got and not _same_plan(got[new.name], new):
            out.failures.append(f"trial {k}: plan {new.name} half-written")
        saved = got
    return out


def trial_build(s: Setup, trials: int, rng: np.random.Generator) -> Outcome:
    from dayafter.io.project import read_project

    out = Outcome("build")
    target = s.folder / "built.gpkg"
    args = ["territory", "build", str(s.layer), "--id-col", "uid", "--communities", "a,b", "--out", str(target),
            "--overwrite"]
    full = _timed(args, s.folder)
    want = read_project(target).territory.content_hash
    target.unlink()
    for k in range(trials):
        before = set(_temporaries(target))
        _run_killed(args, float(rng.uniform(0.0, 1.05)) * full, s.folder,
                    (lambda before=before: bool(set(_temporaries(target)) - before)) if k % 2 else None, float(rng.uniform(0, 0.1)))
        out.trials += 1
        out.mid_write += bool(set(_temporaries(target)) - before)
        if not target.exists():
            continue
        try:
            got = read_project(target).territory.content_hash
        except Exception as exc:
            out.failures.append(f"trial {k}: {target.name} does not open: {exc}")
            continue
        if got != want:
            out.failures.append(f"trial {k}: {target.name} holds another territory")
    _timed(args, s.folder)
    if _temporaries(target):
        out.failures.append(f"temporary files left after a complete build: {[q.name for q in _temporaries(target)]}")
    return out


def _chain_hashes(run: Path) -> list[str]:
    man = json.loads((run / "manifest.json").read_text())
    return [c["results_sha256"] for c in man.get("chains", [])]


def trial_ensemble(s: Setup, trials: int, rng: np.random.Generator) -> Outcome:
    out = Outcome("ensemble")
    def args(run: Path) -> list[str]:
        return ["ensemble", "run", "--project", str(s.project), "--plan", "stripes", "--out", str(run),
                *ENSEMBLE_ARGS]

    ref = s.folder / "ens_ref"
    full = _timed(args(ref), s.folder)
    want = _chain_hashes(ref)
    for k in range(trials):
        run = s.folder / f"ens_{k:03d}"
        _, below, _ = _run_killed(args(run), float(rng.uniform(0.3, 1.0)) * full, s.folder, track=True)
        out.trials += 1
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and any(_alive(p) for p in below):
            time.sleep(0.05)
        orphans = [p for p in below if _alive(p)]
        out.orphans += len(orphans)
        for p in orphans:  # clean up, counted already
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        man = run / "manifest.json"
        status = json.loads(man.read_text()).get("status") if man.exists() else None
        out.mid_write += status is not None and status != "complete"
        if status == "complete":
            if _chain_hashes(run) != want:
                out.failures.append(f"trial {k}: a complete run differs from the reference")
            continue
        again = _run([*args(run), *(["--resume"] if status is not None else [])], s.folder)
        if again.returncode != 0:
            out.failures.append(f"trial {k}: {'resume' if status else 'rerun'} failed: {again.stderr.strip()[-300:]}")
            continue
        if _chain_hashes(run) != want:
            out.failures.append(f"trial {k}: the resumed run differs from the uninterrupted one")
    return out


TRIALS: dict[str, Callable[[Setup, int, np.random.Generator], Outcome]] = {
    "export-json": trial_export_json, "export-project": trial_export_project, "build": trial_build,
    "ensemble": trial_ensemble}


def run(writers: tuple[str, ...] = WRITERS, trials: int = 30, seed: int = 0,
        folder: Path | None = None) -> list[Outcome]:
    """Run the trials of each writer in ``folder`` (a temporary folder by default)."""
    with tempfile.TemporaryDirectory(prefix="dayafter-kill-") as tmp:
        s = setup(Path(folder or tmp))
        rng = np.random.default_rng(seed)
        outcomes = []
        for w in writers:
            t0 = time.monotonic()
            o = TRIALS[w](s, trials, rng)
            o.seconds = time.monotonic() - t0
            outcomes.append(o)
        return outcomes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--writers", default=",".join(WRITERS))
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    writers = tuple(w.strip() for w in a.writers.split(",") if w.strip())
    bad = [w for w in writers if w not in TRIALS]
    if bad:
        ap.error(f"unknown writers {bad}; use {', '.join(WRITERS)}")
    print(f"kill -9 trials: {a.trials} per writer, seed {a.seed}, load average {os.getloadavg()[0]:.2f}", flush=True)
    outcomes = []
    for w in writers:
        o = run((w,), a.trials, a.seed)[0]
        print(o.line(), flush=True)
        outcomes.append(o)
    ok = all(o.ok for o in outcomes)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
