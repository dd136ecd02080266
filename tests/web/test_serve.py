"""``dayafter serve``: starts, prints its address, answers, stops."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request

from typer.testing import CliRunner

from dayafter.cli.main import app


def test_serve_help_lists_the_options():
    out = CliRunner().invoke(app, ["serve", "--help"])
    assert out.exit_code == 0
    for opt in ("--case", "--host", "--port", "--plans-dir", "--open"):
        assert opt in out.output


def test_serve_prints_address_and_answers(tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dayafter.cli.main", "serve", "--demo-grid", "4", "--port", "0",
         "--plans-dir", str(tmp_path)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    try:
        line = ""
        for _ in range(50):
            line = proc.stderr.readline()
            if "http://" in line or not line:
                break
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, f"no address printed: {line!r}"
        with urllib.request.urlopen(f"{m.group(0)}api/meta", timeout=10) as r:
            meta = json.load(r)
        assert meta["n_units"] == 16
        with urllib.request.urlopen(m.group(0), timeout=10) as r:
            assert b"<html" in r.read().lower()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
        proc.stderr.close()
    assert proc.returncode in (0, -signal.SIGINT, 130)
