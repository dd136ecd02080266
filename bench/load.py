"""Load on the web workbench: many clients asking for evaluations at once (issue 9, part 4).

Starts ``dayafter serve`` on 127.0.0.1 (a free port, a throw-away plan folder) with the built-in
case, waits until it answers, then runs ``--clients`` concurrent clients (asyncio, one keep-alive
HTTP/1.1 connection each) for ``--duration`` seconds. The client is a minimal HTTP/1.1 one written on
asyncio streams, so that the load generator, which shares the machine with the server, spends as
little CPU as it can (an httpx client spends more per request than the server does). Each client loops over requests that compute metrics:

- ``GET /api/plans/{scenario}/evaluation``: every metric of a scenario plan;
- ``POST /api/draft/paint``: a random stroke (1-5 random units to a random region), answered with the
  draft's new evaluation, so the draft changes all the time and nothing can be served from a cache;
- ``GET /api/draft``: the draft and its evaluation.

The loop stops by itself at the deadline (requests in flight finish, within a 10 s timeout), and the
server is stopped in every case. It prints the count, errors, throughput and the p50/p95/p99 latency
(overall and per request kind), then PASS/FAIL against 0 errors and p99 under ``--p99-ms``; the exit
status is 1 on FAIL.

    python bench/load.py                          # 64 clients, 60 s, built-in case
    python bench/load.py --duration 5 --clients 8
    python bench/load.py --duration 20 --py-spy /tmp/load.txt   # also sample the server's stacks

``--py-spy FILE`` records the server with py-spy (when it is on the PATH) during the load, writes
the collapsed stacks to FILE and prints the functions that take the most samples (own and with
what they call). py-spy samples wall time of a running thread: on a busy machine, time spent
waiting for a core shows up too, mostly in the system calls that wake another process (socket
writes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

KINDS = ("plan-evaluation", "paint", "draft")


@dataclass
class Result:
    """What the clients saw."""

    duration_s: float = 0.0
    server_cpu_s: float = float("nan")
    client_cpu_s: float = float("nan")
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.latencies_ms.values()) + len(self.errors)

    def quantiles(self, kind: str | None = None) -> dict[str, float]:
        vals = [x for k, v in self.latencies_ms.items() if kind in (None, k) for x in v]
        if not vals:
            return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "max": float("nan")}
        a = np.asarray(vals)
        return {"p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)),
                "p99": float(np.percentile(a, 99)), "max": float(a.max())}


class Server:
    """``dayafter serve`` in a child process on 127.0.0.1 and a free port."""

    def __init__(self, case: str, demo_grid: int = 0, startup_timeout: float = 180.0) -> None:
        self.plans = tempfile.TemporaryDirectory(prefix="dayafter-load-")
        cmd = [sys.executable, "-m", "dayafter.cli.main", "serve", "--host", "127.0.0.1", "--port", "0",
               "--plans-dir", self.plans.name]
        cmd += ["--demo-grid", str(demo_grid)] if demo_grid else ["--case", case]
        env = {k: v for k, v in os.environ.items() if k != "DAYAFTER_TOKEN"}
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        self.url = self._wait_for_address(startup_timeout)
        # keep reading stderr so the server never blocks on a full pipe
        self._drain = threading.Thread(target=self._read_rest, daemon=True)
        self._drain.start()

    def _wait_for_address(self, timeout: float) -> str:
        found: list[str] = []
        lines: list[str] = []

        def read() -> None:
            assert self.proc.stderr is not None
            for line in self.proc.stderr:
                lines.append(line)
                m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
                if m:
                    found.append(m.group(1))
                    return

        t = threading.Thread(target=read, daemon=True)
        t.start()
        t.join(timeout)
        if not found:
            self.stop()
            raise SystemExit(f"the server did not start within {timeout:.0f} s: {''.join(lines)[-2000:]}")
        return found[0]

    def _read_rest(self) -> None:
        assert self.proc.stderr is not None
        for _line in self.proc.stderr:
            pass

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (Linux; NaN elsewhere)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return float("nan")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        self.plans.cleanup()


class Connection:
    """One keep-alive HTTP/1.1 connection: ``request()`` sends a request and reads the whole answer."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: Any = None, timeout: float = 10.0) -> tuple[int, bytes]:
        """``(status, body)``; on any failure the connection is closed (and reopened next time)."""
        try:
            return await asyncio.wait_for(self._request(method, path, body), timeout)
        except BaseException:
            await self.close()
            raise

    async def _request(self, method: str, path: str, body: Any) -> tuple[int, bytes]:
        if self.writer is None:
            await self._open()
        assert self.reader is not None and self.writer is not None
        data = b"" if body is None else json.dumps(body).encode()
        head = (f"{method} /{path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Length: {len(data)}\r\n"
                + ("Content-Type: application/json\r\n" if body is not None else "")
                + ("X-Dayafter-CSRF: 1\r\n" if method != "GET" else "") + "\r\n")
        self.writer.write(head.encode("latin-1") + data)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and "close" in value.lower():
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                parts.append(chunk[:-2])
            payload = b"".join(parts)
        else:
            payload = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, payload


async def _client(conn: Connection, i: int, deadline: float, meta: dict[str, Any], result: Result, seed: int) -> None:
    rng = np.random.default_rng([seed, i])
    scenarios = meta["scenarios"]
    n_units, k = meta["n_units"], meta["k"]
    while time.monotonic() < deadline:
        r = rng.random()
        if r < 0.5 and scenarios:
            kind, method, path, body = ("plan-evaluation", "GET",
                                        f"api/plans/{scenarios[int(rng.integers(len(scenarios)))]}/evaluation", None)
        elif r < 0.85:
            units = rng.choice(n_units, size=int(rng.integers(1, 6)), replace=False).tolist()
            kind, method, path, body = ("paint", "POST", "api/draft/paint",
                                        {"region": int(rng.integers(-1, k)), "units": units})
        else:
            kind, method, path, body = "draft", "GET", "api/draft", None
        t0 = time.perf_counter()
        try:
            status, payload = await conn.request(method, path, body)
        except Exception as exc:  # a timeout or a dropped connection is an error of the run
            result.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
            continue
        ms = (time.perf_counter() - t0) * 1e3
        # an answer counts when it is a 200 that carries metrics (checked on the raw bytes, so the
        # client's own JSON parsing does not slow the load down)
        if status == 200 and b'"censuses":' in payload:
            result.latencies_ms[kind].append(ms)
        else:
            result.errors.append(f"{kind}: HTTP {status}: {payload[:200]!r}")


async def _run(url: str, clients: int, duration: float, seed: int, server: Server | None = None) -> Result:
    from urllib.parse import quote, urlsplit

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", int(parts.port or 80)
    first = Connection(host, port)
    status, raw = await first.request("GET", "api/plans")
    plans = json.loads(raw)
    status2, raw2 = await first.request("GET", "api/draft")
    await first.close()
    if status != 200 or status2 != 200:
        raise SystemExit(f"the server answered {status} and {status2} to the first requests")
    draft = json.loads(raw2)
    meta = {"scenarios": [quote(p["name"], safe="") for p in plans if p["kind"] == "scenario"]
            or [quote(p["name"], safe="") for p in plans],
            "n_units": len(draft["draft"]["assignment"]), "k": len(draft["draft"]["regions"])}
    conns = [Connection(host, port) for _ in range(clients)]
    try:
        result = Result()
        cpu0 = server.cpu_seconds() if server is not None else float("nan")
        own0 = time.process_time()
        t0 = time.monotonic()
        deadline = t0 + duration
        tasks = [asyncio.create_task(_client(conns[i], i, deadline, meta, result, seed)) for i in range(clients)]
        # bounded: every client stops at the deadline; the last requests get their 10 s timeout at most
        done, pending = await asyncio.wait(tasks, timeout=duration + 30)
        for t in pending:
            t.cancel()
            result.errors.append("a client did not stop in time")
        for t in done:
            if t.exception() is not None:
                result.errors.append(f"client failed: {t.exception()!r}")
        result.duration_s = time.monotonic() - t0
        result.client_cpu_s = time.process_time() - own0
        if server is not None:
            result.server_cpu_s = server.cpu_seconds() - cpu0
    finally:
        for c in conns:
            await c.close()
    return result


def run_load(*, duration: float = 60.0, clients: int = 64, case: str = "northern-iraq", demo_grid: int = 0,
             seed: int = 1, py_spy: str | None = None) -> Result:
    """Start the server, load it, stop it; returns what the clients saw."""
    server = Server(case, demo_grid)
    spy = None
    try:
        if py_spy:
            import shutil

            exe = shutil.which("py-spy")
            if exe is None:
                print("py-spy is not on the PATH: no profile (pip install py-spy)")
            else:
                # the first second is left out (connections opening)
                spy = subprocess.Popen([exe, "record", "-p", str(server.proc.pid), "-d", str(max(1, int(duration) - 2)),
                                        "-r", "200", "-f", "raw", "-o", py_spy, "--nonblocking"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return asyncio.run(_run(server.url, clients, duration, seed, server))
    finally:
        if spy is not None:
            try:
                spy.wait(timeout=30)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait(10)
        server.stop()


def profile_summary(path: str, top: int = 25) -> None:
    """Print the functions with the most samples in py-spy's collapsed stacks (``-f raw``)."""
    from collections import Counter

    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    n = 0
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as exc:
        print(f"no profile: {exc}")
        return
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        c = int(count)
        n += c
        frames = stack.split(";")
        own[frames[-1]] += c
        for f in set(frames):
            total[f] += c
    if not n:
        print("no profile samples")
        return
    print(f"profile: {n} samples ({path})")
    print("  own time:")
    for f, c in own.most_common(top):
        print(f"    {100 * c / n:5.1f}%  {f[:140]}")
    print("  with callees (request handling only):")
    shown = 0
    for f, c in total.most_common():
        if 100 * c / n < 99 and any(k in f for k in ("dayafter/", "starlette/", "fastapi/", "uvicorn/protocols",
                                                      "pydantic", "json", "sqlite")):
            print(f"    {100 * c / n:5.1f}%  {f[:140]}")
            shown += 1
            if shown >= top:
                break


def report(result: Result, p99_target: float) -> bool:
    """Print the figures and PASS/FAIL; True on PASS."""
    n_ok = result.count - len(result.errors)
    print(f"requests: {result.count} in {result.duration_s:.1f} s ({n_ok / max(result.duration_s, 1e-9):.0f} "
          f"per second), errors: {len(result.errors)}")
    for kind in (None, *KINDS):
        q = result.quantiles(kind)
        n = sum(len(v) for k, v in result.latencies_ms.items() if kind in (None, k))
        print(f"  {kind or 'all':16s} n={n:6d}  p50 {q['p50']:7.1f} ms  p95 {q['p95']:7.1f} ms  "
              f"p99 {q['p99']:7.1f} ms  max {q['max']:7.1f} ms")
    if n_ok:
        print(f"  CPU: server {result.server_cpu_s:.1f} s ({result.server_cpu_s / n_ok * 1e3:.2f} ms per request), "
              f"load generator {result.client_cpu_s:.1f} s, on {os.cpu_count()} cores; load average "
              f"{os.getloadavg()[0]:.1f}")
    for e in result.errors[:5]:
        print(f"  error: {e}")
    p99 = result.quantiles()["p99"]
    ok = not result.errors and n_ok > 0 and p99 < p99_target
    print(f"{'PASS' if ok else 'FAIL'}: {len(result.errors)} errors (target 0), p99 {p99:.1f} ms "
          f"(target under {p99_target:.0f} ms)")
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of load (the loop stops by itself)")
    ap.add_argument("--clients", type=int, default=64, help="concurrent clients")
    ap.add_argument("--case", default="northern-iraq", help="built-in case to serve")
    ap.add_argument("--demo-grid", type=int, default=0, help="serve a synthetic N x N grid instead")
    ap.add_argument("--p99-ms", type=float, default=100.0, help="p99 latency target in ms")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--py-spy", metavar="FILE", help="record the server's stacks with py-spy into FILE")
    args = ap.parse_args(argv)
    if args.duration <= 0 or args.duration > 3600 or args.clients < 1:
        ap.error("--duration must lie in (0, 3600] and --clients be 1 or more")
    what = f"a {args.demo_grid}x{args.demo_grid} grid" if args.demo_grid else args.case
    print(f"load: {args.clients} clients for {args.duration:g} s on {what}")
    result = run_load(duration=args.duration, clients=args.clients, case=args.case, demo_grid=args.demo_grid,
                      seed=args.seed, py_spy=args.py_spy)
    ok = report(result, args.p99_ms)
    if args.py_spy:
        profile_summary(args.py_spy)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
