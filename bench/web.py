"""Server time of a paint stroke in the web workbench (target: 50 ms built-in case, 200 ms 10,000 units).

Each stroke is a real HTTP request through FastAPI's TestClient (routing, validation, the move, the
full evaluation on every census, criteria, contiguity problems and JSON encoding); the time is the
client's wall time around the request, so it includes everything the server does.

    python bench/web.py                 # both territories
    python bench/web.py --strokes 200 --grid 100
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import numpy as np
from fastapi.testclient import TestClient

from dayafter.web import Settings, create_app
from dayafter.web.security import CSRF_HEADER


def strokes(client: TestClient, n_units: int, k: int, n: int, size: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    times = []
    for s in range(n):
        units = rng.choice(n_units, size=size, replace=False).tolist()
        region = int(rng.integers(0, k))
        t0 = time.perf_counter()
        r = client.post("/api/draft/paint", json={"region": region, "units": units})
        times.append((time.perf_counter() - t0) * 1e3)
        if r.status_code != 200:
            raise SystemExit(f"stroke {s} failed: {r.text}")
        if s % 25 == 24:  # keep the undo stack from growing without bound in the bench
            client.post("/api/draft/undo")
    return times


def report(name: str, times: list[float], target: float) -> bool:
    t = sorted(times)
    p50 = statistics.median(t)
    p95 = t[int(0.95 * (len(t) - 1))]
    ok = p95 <= target
    print(f"{name}: {len(t)} strokes, median {p50:.1f} ms, p95 {p95:.1f} ms, max {t[-1]:.1f} ms "
          f"(target {target:.0f} ms: {'met' if ok else 'MISSED'})")
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--strokes", type=int, default=100)
    ap.add_argument("--stroke-size", type=int, default=5, help="units per stroke (a short brush drag)")
    ap.add_argument("--grid", type=int, default=100, help="side of the synthetic grid (100 = 10,000 units)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    from dayafter.web.demo import grid_workspace

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(case="northern-iraq", plans_dir=f"{tmp}/case"))
        ws = app.state.workspace
        with TestClient(app, headers={CSRF_HEADER: "1"}) as c:
            strokes(c, ws.territory.n_units, ws.draft.plan.k, 5, args.stroke_size, args.seed)  # warm-up
            t = strokes(c, ws.territory.n_units, ws.draft.plan.k, args.strokes, args.stroke_size, args.seed)
        results.append(report(f"built-in case ({ws.territory.n_units} units, k={ws.draft.plan.k}, "
                              f"{len(ws.territory.census_names)} censuses)", t, 50.0))

        t0 = time.perf_counter()
        gws = grid_workspace(args.grid, args.grid, plans_dir=f"{tmp}/grid", k=10)
        build = time.perf_counter() - t0
        app = create_app(Settings(workspace=gws))
        with TestClient(app, headers={CSRF_HEADER: "1"}) as c:
            strokes(c, gws.territory.n_units, gws.draft.plan.k, 5, args.stroke_size, args.seed)
            t = strokes(c, gws.territory.n_units, gws.draft.plan.k, args.strokes, args.stroke_size, args.seed)
            results.append(report(f"grid {args.grid}x{args.grid} ({gws.territory.n_units} units, k=10, "
                                  f"2 censuses; built in {build:.1f} s)", t, 200.0))
            # the same strokes while an ensemble job runs (in its own process) on the same server
            from dayafter.web.jobs import available_kinds

            if any(k["kind"] == "ensemble" for k in available_kinds()):
                c.post("/api/plans/stripes/open")
                r = c.post("/api/jobs", json={"kind": "ensemble", "params": {"steps": 10_000_000}})
                job = app.state.jobs.get(r.json()["id"])
                while job.done == 0 and job.state in ("queued", "running"):
                    time.sleep(0.05)
                t = strokes(c, gws.territory.n_units, gws.draft.plan.k, args.strokes, args.stroke_size,
                            args.seed)
                steps_seen = job.done
                c.post(f"/api/jobs/{job.id}/cancel")
                job.wait(30)
                results.append(report(f"grid {args.grid}x{args.grid} during an ensemble job "
                                      f"({steps_seen} chain steps meanwhile)", t, 200.0))
    print("all targets met" if all(results) else "some targets MISSED")


if __name__ == "__main__":
    main()
