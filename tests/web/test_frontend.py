"""The front end's own checks, run from the Python suite: its unit tests (Vitest, ``npm test`` in
web/) and that the committed build in ``src/dayafter/web/static`` is what ``npm run build`` makes of
the sources (Vite's output is deterministic: same sources, same file names and bytes).

Both need Node and web/'s npm packages (``npm ci`` in web/, or ``bash tools/setup-system.sh``);
without them they skip with that reason, listed in the run's closing summary.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
STATIC = ROOT / "src" / "dayafter" / "web" / "static"
REQUIRE = os.environ.get("DAYAFTER_REQUIRE_BROWSER") == "1"


def _need(tool: str) -> str:
    npm = shutil.which("npm")
    why = None
    if npm is None or shutil.which("node") is None:
        why = "node/npm missing: apt-get install nodejs npm"
    elif not (WEB / "node_modules" / tool / "package.json").is_file():
        why = f"npm package {tool} missing: npm ci in web/ (or bash tools/setup-system.sh)"
    if why:
        if REQUIRE:
            pytest.fail(f"DAYAFTER_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    assert npm is not None
    return npm


def _run(cmd: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "1", "NO_COLOR": "1", "FORCE_COLOR": "0"}
    return subprocess.run(cmd, cwd=WEB, capture_output=True, text=True, timeout=timeout, env=env, check=False)


def test_front_end_unit_tests_pass() -> None:
    npm = _need("vitest")
    r = _run([npm, "test", "--silent"], timeout=300)
    assert r.returncode == 0, f"npm test failed:\n{r.stdout[-4000:]}\n{r.stderr[-2000:]}"
    assert "passed" in r.stdout


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_committed_build_equals_a_fresh_build(tmp_path: Path) -> None:
    npm = _need("vite")
    out = tmp_path / "static"
    r = _run([npm, "exec", "--", "vite", "build", "--outDir", str(out), "--emptyOutDir", "--logLevel", "error"],
             timeout=600)
    assert r.returncode == 0, f"vite build failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    fresh, committed = _hashes(out), _hashes(STATIC)
    assert fresh.keys() == committed.keys(), (
        "the committed build in src/dayafter/web/static has other files than a fresh build: "
        "run 'npm run build' in web/ and commit the result "
        f"(only fresh: {sorted(fresh.keys() - committed.keys())}, "
        f"only committed: {sorted(committed.keys() - fresh.keys())})")
    stale = [k for k in fresh if fresh[k] != committed[k]]
    assert not stale, f"committed build differs from a fresh one in {stale}: run 'npm run build' in web/"
