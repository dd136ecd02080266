"""Benchmark: returns and referendum over census draws, vectorised against a per-draw loop.

Both engines take census arrays with a leading draws axis and work on all draws at once (the
returns in one numba kernel, the referendum in a few NumPy passes). The reference measured in the
same run is the same engine called once per draw (the loop the vectorisation replaces); the
ratios are printed last. Targets at 1,000 draws on the built-in case: the referendum at least 20x
faster than the loop; the returns no slower than the loop (their per-draw call is already the
compiled kernel, so the loop only adds Python overhead).

    python bench/article140.py [--draws 1000] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def best_of(fn, repeat: int = 3) -> float:
    fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import dayafter as da
    from dayafter.referendum import case_referendum, simulate_referendum
    from dayafter.returns import case_return_model, project_returns, propensity_arrays, return_flows
    from dayafter.uncertainty import CensusModel

    case = da.cases.load("northern-iraq")
    t = case.territory
    plan = case.reference_plan
    d = args.draws
    cd = CensusModel(t).draw(d, seed=args.seed)
    B, C = np.ascontiguousarray(cd.census("baseline")), np.ascontiguousarray(cd.census("current"))
    model = case_return_model().for_communities(t.communities)
    rng = np.random.default_rng(args.seed)
    params = model.arrays(rng, d)
    prop = propensity_arrays(model, params, plan.control_of_units(), None, 5.0)

    def returns_vec() -> None:
        return_flows(B, C, prop, outside_factor=params.outside_factor)

    def returns_loop() -> None:
        for i in range(d):
            return_flows(B[i], C[i], prop[i], outside_factor=float(params.outside_factor[i]))

    voting, scope, _ = case_referendum(t)

    def ref_vec() -> None:
        simulate_referendum(t, model=voting, census="current", scope=scope, reference=plan,
                            census_draws=C, rng=np.random.default_rng(args.seed))

    def ref_loop() -> None:
        for i in range(d):
            ti = da.Territory.from_arrays(t.unit_ids, t.communities, {"current": C[i]}, t.graph,
                                          admin=dict(t.admin))
            simulate_referendum(ti, model=voting, census="current", scope=scope)

    t_rv, t_rl = best_of(returns_vec), best_of(returns_loop, 1)
    t_fv, t_fl = best_of(ref_vec), best_of(ref_loop, 1)
    whole = best_of(lambda: project_returns(t, plan, model=model, horizon=5, draws=d,
                                            rng=np.random.default_rng(1),
                                            census_draws={"baseline": B, "current": C}))
    print(f"units {t.n_units}, communities {t.n_communities}, draws {d}")
    print(f"returns flows: vectorised {t_rv * 1e3:.1f} ms, per-draw loop {t_rl * 1e3:.1f} ms")
    print(f"project_returns with {d} parameter and census draws: {whole * 1e3:.1f} ms")
    print(f"referendum by district: vectorised {t_fv * 1e3:.1f} ms, per-draw loop {t_fl * 1e3:.1f} ms")
    ok = t_fl / t_fv >= 20 and t_rl / t_rv >= 1
    print(f"ratio returns {t_rl / t_rv:.1f}x, referendum {t_fl / t_fv:.1f}x: {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
