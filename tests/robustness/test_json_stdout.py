"""``--json`` output is JSON alone (issue 22, point 6): whatever else a command writes to standard
output while it runs (a solver's log printed by C code straight to file descriptor 1, a stray
``print``) goes to standard error, in a real process with real file descriptors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

SCRIPT = textwrap.dedent("""
    import os, sys, ctypes
    import typer
    from dayafter.cli._common import print_json, run_guarded

    app = typer.Typer()

    @app.command()
    def noisy(json_out: bool = typer.Option(False, "--json")) -> None:
        os.write(1, b"fd-level noise\\n")           # C code writing to descriptor 1
        ctypes.CDLL(None).printf(b"C stdio noise\\n")  # buffered C stdio
        print("python noise")
        print_json({"ok": True})

    @app.command()
    def other() -> None:
        pass

    sys.exit(run_guarded(app, args=sys.argv[1:]))
""")


def test_noise_on_descriptor_1_goes_to_stderr(tmp_path: Path) -> None:
    script = tmp_path / "noisy.py"
    script.write_text(SCRIPT)
    r = subprocess.run([sys.executable, str(script), "noisy", "--json"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"ok": True}
    for noise in ("fd-level noise", "C stdio noise", "python noise"):
        assert noise in r.stderr
    # without --json nothing moves
    r = subprocess.run([sys.executable, str(script), "noisy"], capture_output=True, text=True, timeout=120)
    assert "fd-level noise" in r.stdout and "python noise" in r.stdout


def test_settle_json_parses_with_the_milp_methods(tmp_path: Path) -> None:
    """The MILP methods (HiGHS through SciPy) leave stdout to the JSON document."""
    rng = np.random.default_rng(3)
    vals = tmp_path / "v.csv"
    vals.write_text("unit_id,a,b,c\n" + "".join(f"x{j},{rng.integers(1, 50)},{rng.integers(1, 50)},"
                                                   f"{rng.integers(1, 50)}\n" for j in range(8)))
    exe = Path(sys.executable).with_name("dayafter")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "dayafter.cli.main"]
    r = subprocess.run([*cmd, "settle", "run", "--values", str(vals), "-m", "max-nash-welfare",
                        "-m", "min-subsidy", "--json"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [x["method"] for x in doc["results"]] == ["max-nash-welfare", "min-subsidy"]
