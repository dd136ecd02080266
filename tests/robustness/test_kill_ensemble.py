"""An ensemble run killed with SIGKILL at a random moment, then resumed, equals the uninterrupted run."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import time

import numpy as np
import pytest

from dayafter.ensemble import ReComSampler
from dayafter.plan import Plan, Region
from dayafter.testing.grids import grid_territory, stripes

TRIALS = 3  # each kill lands at a random moment of the run (5-90 %); one mid-run kill is enough


def _setup():
    rng = np.random.default_rng(0)
    table = rng.integers(0, 20, size=(36, 2)).astype(float) + 1
    t = grid_territory(6, 6, communities=table)
    plan = Plan(stripes(6, 6, 3), tuple(Region(f"R{j}") for j in range(3)), t.content_hash, name="stripes")
    return t, plan


def _sampler(steps=3000):
    return ReComSampler(steps=steps, chains=2, seed=11, n_jobs=1, thin=100, checkpoint_every=150,
                        constraints={"tolerance": 0.25}, metrics=["theil_h"])


def _run(t, plan, out):
    _sampler().run(t, plan, out)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sigkill_then_resume_equals_uninterrupted(tmp_path, global_seed):
    t, plan = _setup()
    _sampler(steps=200).run(t, plan, tmp_path / "warm")  # kernels loaded: the timing is the run's
    t0 = time.perf_counter()
    full = _sampler().run(t, plan, tmp_path / "full")
    duration = time.perf_counter() - t0
    want = [c["results_sha256"] for c in full.per_chain]
    rng = np.random.default_rng(global_seed)
    ctx = mp.get_context("fork")
    killed_mid_run = 0
    for trial in range(TRIALS):
        out = tmp_path / f"cut{trial}"
        proc = ctx.Process(target=_run, args=(t, plan, out), daemon=True)
        proc.start()
        time.sleep(float(rng.uniform(0.05, 0.9)) * duration)
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(10)
        manifest = out / "manifest.json"
        if not manifest.exists():
            continue  # killed before the run directory was written: nothing to resume
        status = json.loads(manifest.read_text())["status"]
        if status == "complete":
            continue
        killed_mid_run += 1
        done = _sampler().run(t, plan, out, resume=True)
        assert not done.interrupted
        assert [c["results_sha256"] for c in done.per_chain] == want
    assert killed_mid_run >= 1
