"""Ctrl-C on ``dayafter ensemble run``: the chains stop within a second, keep what they did, the
command says how to resume, and the resumed run equals the uninterrupted one bit for bit."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

DAYAFTER = str(Path(sys.executable).parent / "dayafter")
ARGS = ["ensemble", "run", "--regions", "4", "--tolerance", "0.3", "--steps", "20000",
        "--chains", "2", "--seed", "3", "--metric", "community", "--checkpoint-every", "2500"]


def _run(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DAYAFTER, *ARGS, "--out", str(out), "--no-progress", "--json",
                           *extra], capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_cleanly_and_resumes(tmp_path, jobs):
    full = _run(tmp_path / "full", "--jobs", jobs)
    assert full.returncode == 0, full.stderr
    want = [c["results_sha256"] for c in json.loads(full.stdout)["per_chain"]]
    out = tmp_path / "cut"
    proc = subprocess.Popen([DAYAFTER, *ARGS, "--out", str(out), "--jobs", jobs],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    progress = out / "chain_000.progress.json"
    t0 = time.perf_counter()
    while not progress.exists() and time.perf_counter() - t0 < 120:
        time.sleep(0.05)
    assert progress.exists(), proc.stderr.read() if proc.poll() is not None else "no progress"
    time.sleep(0.5)
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    _stdout, stderr = proc.communicate(timeout=120)
    stopped = time.perf_counter() - sent
    man = json.loads((out / "manifest.json").read_text())
    if man["status"] == "complete":
        pytest.skip("the run finished before the signal")
    assert proc.returncode == 130, stderr
    assert "--resume" in stderr and "Fix:" in stderr
    assert man["status"] == "interrupted"
    assert stopped < 15  # a chunk of kernel work, a block, a checkpoint (spawned workers: more)
    done = _run(out, "--jobs", jobs, "--resume")
    assert done.returncode == 0, done.stderr
    assert [c["results_sha256"] for c in json.loads(done.stdout)["per_chain"]] == want
