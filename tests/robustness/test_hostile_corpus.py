"""The hostile-input corpus (issue 22): every case fails with one line naming the file or option at
fault and a fix, with the right exit code; no traceback, no internal error, no hang, nothing
half-written. The cases are data (``hostile.py``); each runs through the real CLI in process, and a
sample runs in subprocesses (the console script, as a user runs it)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dayafter.cli._common import run_guarded
from dayafter.cli.main import app
from tests.robustness.hostile import Case, all_cases

CASES = all_cases()
HANG_SECONDS = 60


class Hang(Exception):
    pass


def _alarm(signum, frame):  # pragma: no cover - only on a hang
    raise Hang(f"no answer within {HANG_SECONDS} s")


@contextlib.contextmanager
def _memory_cap(extra: int = 3 * 2**30):
    """Cap this process's address space at its current size plus ``extra`` while a case runs, so
    that a case that reads a device or a huge file fails with MemoryError instead of exhausting
    the machine."""
    try:
        with open("/proc/self/statm") as fh:
            size = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (size + extra, hard))
    except (OSError, ValueError):
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _digest(p: Path) -> str | None:
    if not p.is_file():
        return None
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _check(case: Case, tmp: Path, args: list[str], code: int, out: str, err: str,
           before: dict[str, str | None]) -> None:
    assert "Traceback" not in err and "Traceback" not in out, err
    assert code == case.code, f"exit {code}, expected {case.code}: {err}"
    if case.code == 0:  # a hostile input that must work (names with quotes, ...)
        assert not [ln for ln in err.splitlines() if ln.startswith(("error:", "internal error:"))], err
        if case.verify is not None:
            case.verify(tmp)
        return
    lines = [ln for ln in err.splitlines() if ln.startswith(("error:", "internal error:"))]
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("error: "), line
    for needle in case.needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    assert "Fix:" in line, line
    names = case.names
    if names is None:
        names = tuple(Path(a.split("=", 1)[-1]).name for a in args if str(tmp) in a)
    if names:
        assert any(n in line for n in names), f"none of {names} in {line!r}"
    for rel, digest in before.items():
        assert _digest(tmp / rel) == digest, f"{rel} changed"
    for rel in case.absent:
        assert not (tmp / rel).exists(), f"{rel} was written"
    leftovers = [p.name for p in tmp.iterdir() if p.name.startswith(".") and p.name.endswith((".tmp", ".gpkg"))
                 and not p.name.startswith(".build") and not p.name.startswith(".saved")]
    assert not leftovers, f"temporary files left: {leftovers}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [str(a) for a in case.setup(tmp_path)]
    before = {rel: _digest(tmp_path / rel) for rel in case.untouched}
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_SECONDS)
    try:
        with _memory_cap():
            code = run_guarded(app, args=args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    got = capsys.readouterr()
    _check(case, tmp_path, args, code, got.out, got.err, before)


SUBPROCESS = [c for c in CASES if c.subprocess]


@pytest.mark.slow  # a process start each (the in-process run above covers every case)
@pytest.mark.parametrize("case", SUBPROCESS, ids=[c.name for c in SUBPROCESS])
def test_hostile_input_subprocess(case: Case, tmp_path: Path) -> None:
    args = [str(a) for a in case.setup(tmp_path)]
    before = {rel: _digest(tmp_path / rel) for rel in case.untouched}
    exe = Path(sys.executable).with_name("dayafter")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "dayafter.cli.main"]
    env = {**os.environ, "COLUMNS": "200"}
    r = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=HANG_SECONDS * 2,
                       stdin=subprocess.DEVNULL, env=env, cwd=tmp_path)
    _check(case, tmp_path, args, r.returncode, r.stdout, r.stderr, before)


def test_corpus_size() -> None:
    names = [c.name for c in CASES]
    assert len(set(names)) == len(names)
    assert len(CASES) >= 150
    assert len(SUBPROCESS) >= 10
