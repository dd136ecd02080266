"""``dayafter serve``: starts, prints its address, answers, stops."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from typer.testing import CliRunner

from dayafter.cli.main import app


def test_serve_help_lists_the_options():
    out = CliRunner().invoke(app, ["serve", "--help"])
    assert out.exit_code == 0
    for opt in ("--case", "--host", "--port", "--plans-dir", "--open"):
        assert opt in out.output


@pytest.mark.slow
def test_serve_prints_address_and_answers(tmp_path):
    proc = _start(["--plans-dir", str(tmp_path)])
    try:
        line = _read_until(proc, "http://")
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, f"no address printed: {line!r}"
        with urllib.request.urlopen(f"{m.group(0)}api/meta", timeout=10) as r:
            meta = json.load(r)
        assert meta["n_units"] == 16
        with urllib.request.urlopen(m.group(0), timeout=10) as r:
            assert b"<html" in r.read().lower()
        # without a token, only requests addressed to this machine (DNS rebinding)
        req = urllib.request.Request(f"{m.group(0)}api/meta", headers={"Host": "evil.example"})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=10)
        assert info.value.code == 403
        assert "evil.example" in json.load(info.value)["message"]
    finally:
        _stop(proc)
    assert proc.returncode in (0, -signal.SIGINT, 130)


def test_serve_refuses_a_network_address_without_token(capsys):
    from dayafter.cli._common import run_guarded

    for extra in (["--no-token"], ["--token", ""], ["--token", "short"]):
        code = run_guarded(app, args=["serve", "--demo-grid", "3", "--host", "0.0.0.0", *extra])
        err = capsys.readouterr().err
        assert code == 3, err
        assert err.startswith("error: ") and "Fix:" in err and "Traceback" not in err


def test_serve_help_lists_the_security_options():
    out = CliRunner().invoke(app, ["serve", "--help"])
    for opt in ("--token", "--no-token", "--max-upload-mb", "--max-jobs-queued", "DAYAFTER_TOKEN"):
        assert opt in out.output


def _start(args, env=None):
    env = dict(os.environ if env is None else env, PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "dayafter.cli.main", "serve", "--demo-grid", "4", "--port", "0",
                             *args], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)


def _read_until(proc, marker: str, limit: int = 50) -> str:
    """The server's stderr up to the first line holding ``marker`` (or its end)."""
    lines = []
    for _ in range(limit):
        line = proc.stderr.readline()
        lines.append(line)
        if marker in line or not line:
            break
    return "".join(lines)


def _stop(proc):
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=20)
    proc.stderr.close()


@pytest.mark.slow
def test_serve_beyond_loopback_prints_a_token_and_requires_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DAYAFTER_TOKEN"}
    proc = _start(["--host", "0.0.0.0", "--plans-dir", str(tmp_path), "--max-upload-mb", "0.01"], env)
    try:
        text = _read_until(proc, "access token:")
        m = re.search(r"http://0\.0\.0\.0:(\d+)/\?token=([A-Za-z0-9_\-%]+)", text)
        assert m, text
        port, token = m.group(1), m.group(2)
        assert f"access token: {token}" in text
        base = f"http://127.0.0.1:{port}"
        try:
            urllib.request.urlopen(f"{base}/api/meta", timeout=10)
            raise AssertionError("answered without a token")
        except urllib.error.HTTPError as e:
            assert e.code == 401 and json.load(e)["error"] == "Unauthorized"
        req = urllib.request.Request(f"{base}/api/meta", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert json.load(r)["n_units"] == 16
        with urllib.request.urlopen(f"{base}/?token={token}", timeout=10) as r:
            assert "HttpOnly" in r.headers["Set-Cookie"] and b"<html" in r.read().lower()
        # the upload limit (10 KiB here), over a real socket
        big = urllib.request.Request(f"{base}/api/import/plan?filename=p.csv", data=b"x" * 20000, method="POST",
                                     headers={"X-Dayafter-Token": token, "X-Dayafter-CSRF": "1",
                                              "Content-Type": "application/octet-stream"})
        try:
            urllib.request.urlopen(big, timeout=10)
            raise AssertionError("a too large upload was accepted")
        except urllib.error.HTTPError as e:
            assert e.code == 413 and "upload limit" in json.load(e)["message"]
    finally:
        _stop(proc)


@pytest.mark.slow
def test_serve_takes_the_token_from_the_environment(tmp_path):
    token = "from-the-environment-0123456789"
    proc = _start(["--plans-dir", str(tmp_path)], dict(os.environ, DAYAFTER_TOKEN=token))
    try:
        line = _read_until(proc, "http://")
        m = re.search(r"(http://127\.0\.0\.1:\d+/)\?token=", line)
        assert m, line
        try:
            urllib.request.urlopen(f"{m.group(1)}api/meta", timeout=10)
            raise AssertionError("answered without a token")
        except urllib.error.HTTPError as e:
            assert e.code == 401
        req = urllib.request.Request(f"{m.group(1)}api/meta", headers={"X-Dayafter-Token": token})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200
    finally:
        _stop(proc)
