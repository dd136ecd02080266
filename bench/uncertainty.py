"""Benchmark: every metric of all five scenarios on both censuses over 1,000 census draws.

Targets (issue 17): the whole run (drawing 1,000 versions of both censuses and evaluating every
census metric of the five built-in scenarios on each) in at most 1 s on one core, and at least
20x faster than 1,000 plain ``evaluate`` calls measured in the same run.

Printed, each the best of ``--repeat`` runs:

* draws: ``CensusModel(t).draw(1000)`` for both censuses (made once per model and seed; the web
  app keeps them);
* evaluation: ``evaluate_draws(t, five scenarios, draws, reference=status quo)``: every census
  metric of every scenario on every draw of both censuses, plus the five point evaluations;
* summaries: p05/p50/p95 of every figure of every scenario (``summarise``);
* the reference: 1,000 calls of ``dayafter.metrics.evaluate`` (one scenario, both censuses,
  with the reference plan), and the equivalent per-draw loop (1,000 draws x 5 scenarios = 5,000
  calls) extrapolated from it;
* the ratios, and PASS/FAIL for both targets.

    python bench/uncertainty.py [--draws 1000] [--repeat 5]

The run pins NumPy's and numba's thread pools to one thread (one core).
"""

from __future__ import annotations

import argparse
import os
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def best_of(fn, repeat: int) -> float:
    fn()  # warm-up (compilation, caches)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    import dayafter as da
    from dayafter.metrics import evaluate
    from dayafter.uncertainty import CensusModel, evaluate_draws, summarise

    case = da.cases.load("northern-iraq")
    t = case.territory
    plans = list(case.plans.values())
    ref = case.reference_plan
    model = CensusModel(t)
    d = args.draws

    state: dict = {}

    def draw():
        state["draws"] = model.draw(d, seed=args.seed)

    def ev():
        state["devs"] = evaluate_draws(t, plans, state["draws"], reference=ref)

    def summ():
        for dev in state["devs"]:
            summarise(dev.figures(), dev.point_figures())

    t_draw = best_of(draw, args.repeat)
    t_eval = best_of(ev, args.repeat)
    t_summ = best_of(summ, args.repeat)
    calls = 1000
    t_ref = best_of(lambda: [evaluate(t, plans[0], reference=ref) for _ in range(calls)],
                    max(1, args.repeat // 2))
    total = t_draw + t_eval
    devs = state["devs"]
    n_fig = sum(len(dev.figures()) for dev in devs)
    print(f"territory {t.name}: {t.n_units} units, {t.n_communities} communities, censuses "
          f"{list(t.census_names)}; {len(plans)} scenarios, {sum(p.k for p in plans)} regions")
    print(f"draws: {d}; figures per draw over all scenarios: {n_fig}")
    print(f"draw both censuses            : {t_draw * 1e3:8.1f} ms")
    print(f"evaluate every metric, 5 plans: {t_eval * 1e3:8.1f} ms  ({t_eval / (d * len(plans)) * 1e6:.1f} "
          "us per draw and plan, both censuses)")
    print(f"draws + evaluation            : {total * 1e3:8.1f} ms  (target <= 1000 ms)")
    print(f"p05/p50/p95 of every figure   : {t_summ * 1e3:8.1f} ms")
    print(f"reference: {calls} evaluate calls: {t_ref * 1e3:8.1f} ms "
          f"({t_ref / calls * 1e3:.3f} ms each); per-draw loop for the same work "
          f"({d} x {len(plans)} calls): ~{t_ref / calls * d * len(plans) * 1e3:,.0f} ms")
    r_total = t_ref / total
    r_eval = t_ref / t_eval
    r_loop = t_ref / calls * d * len(plans) / total
    print(f"ratio {calls} evaluate calls / (draws + evaluation): {r_total:6.1f}x  (target >= 20x)")
    print(f"ratio {calls} evaluate calls / evaluation alone   : {r_eval:6.1f}x")
    print(f"ratio per-draw loop / (draws + evaluation)        : {r_loop:6.1f}x")
    ok = total <= 1.0 and r_total >= 20
    print("PASS" if ok else "FAIL", f"(1 s budget: {'met' if total <= 1.0 else 'missed'}; "
          f"20x: {'met' if r_total >= 20 else 'missed'})")


if __name__ == "__main__":
    main()
