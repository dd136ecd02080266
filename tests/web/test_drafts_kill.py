"""A served draft survives ``kill -9`` of the server right after an answer: edits are committed in
groups (:attr:`dayafter.web.drafts.DraftStore.group_commits`), but always before the answer starts,
so every answered stroke is on disk when the client sees it (the in-process check without a kill:
test_drafts.py::test_every_answered_edit_is_committed_before_the_answer)."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading

import pytest


def _start(plans_dir) -> tuple[subprocess.Popen, int]:
    env = {k: v for k, v in os.environ.items() if k != "DAYAFTER_TOKEN"}
    env["PYTHONUNBUFFERED"] = "1"
    proc = subprocess.Popen([sys.executable, "-m", "dayafter.cli.main", "serve", "--demo-grid", "6", "--port", "0",
                             "--plans-dir", str(plans_dir)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, env=env)
    found: list[int] = []

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            if m:
                found.append(int(m.group(1)))
                return

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(120)
    if not found:
        proc.kill()
        proc.wait(10)
        pytest.fail("the server did not start")
    return proc, found[0]


def _request(port: int, method: str, path: str, body: object = None) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"X-Dayafter-CSRF": "1", "Content-Type": "application/json"} if method != "GET" else {}
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    assert r.status == 200, data[:300]
    return json.loads(data)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_every_answered_stroke_survives_kill_9(tmp_path):
    plans = tmp_path / "plans"
    for trial in range(3):
        proc, port = _start(plans)
        try:
            draft = _request(port, "GET", "/api/draft")["draft"]
            start = draft["version"]
            n = len(draft["assignment"])
            k = len(draft["regions"])
            versions = []
            for s in range(5 + trial):
                u = (7 * s + trial) % n
                reply = _request(port, "POST", "/api/draft/paint",
                                 {"region": (draft["assignment"][u] + 1) % k, "units": [u]})
                versions.append(reply["draft"]["version"])
                draft["assignment"][u] = (draft["assignment"][u] + 1) % k
        finally:
            proc.send_signal(signal.SIGKILL)  # right after the last answer: no shutdown, no close
            proc.wait(10)
            if proc.stderr is not None:
                proc.stderr.close()
        assert versions[-1] > start
        proc, port = _start(plans)
        try:
            again = _request(port, "GET", "/api/draft")["draft"]
            assert again["version"] == versions[-1]
            assert again["assignment"] == draft["assignment"]
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            if proc.stderr is not None:
                proc.stderr.close()
