"""Benchmark: apportion 10,000 random elections of 30 lists and 50 seats.

Runs dayafter's batch kernel (exact integer arithmetic, numba) and, in the same process, the
reference `apportionment` package on a subset of the same elections, checks that they agree on
every decided election, and prints the speed ratio last.

    python bench/councils.py [--elections 10000] [--lists 30] [--seats 50] [--method sainte-lague]
                             [--first-divisor 1.7] [--reference 300] [--seed 2718]

Target (issue 5): the 10,000 elections in under 1 s.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from dayafter.councils import apportion, apportion_many

_REF_NAMES = {"dhondt": "dhondt", "sainte-lague": "saintelague", "huntington-hill": "huntington",
              "adams": "adams", "dean": "dean", "hare": "largest_remainder"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--elections", type=int, default=10_000)
    ap.add_argument("--lists", type=int, default=30)
    ap.add_argument("--seats", type=int, default=50)
    ap.add_argument("--method", default="sainte-lague")
    ap.add_argument("--first-divisor", default=None,
                    help="Sainte-Laguë first divisor (the reference package supports 1 and 1.4)")
    ap.add_argument("--reference", type=int, default=300,
                    help="elections run through the reference package (it is slower)")
    ap.add_argument("--seed", type=int, default=2718)
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    # votes: a few large lists and a long tail, as in real council elections
    weights = rng.dirichlet(np.full(args.lists, 0.6), size=args.elections)
    totals = rng.integers(50_000, 1_000_000, size=(args.elections, 1))
    votes = np.floor(weights * totals).astype(np.int64)
    kw = {"first_divisor": args.first_divisor} if args.first_divisor else {}

    apportion_many(votes[:2], args.seats, method=args.method, **kw)  # compile (cached)
    t0 = time.perf_counter()
    res = apportion_many(votes, args.seats, method=args.method, **kw)
    t_batch = time.perf_counter() - t0
    print(f"dayafter batch : {args.elections} elections x {args.lists} lists x {args.seats} seats "
          f"in {t_batch:.3f} s ({t_batch / args.elections * 1e6:.1f} us each); "
          f"{int((~res.decided).sum())} with an undecided tie")

    n_ref = min(args.reference, args.elections)
    t0 = time.perf_counter()
    for e in range(n_ref):
        apportion(votes[e], args.seats, method=args.method, **kw)
    t_scalar = (time.perf_counter() - t0) / n_ref
    print(f"dayafter scalar: {t_scalar * 1e6:.1f} us per election (exact Python integers)")

    ref_name = _REF_NAMES.get(args.method)
    f = args.first_divisor
    if ref_name == "saintelague" and f not in (None, "1", "1.0"):
        ref_name = "modified_saintelague" if f in ("1.4",) else None
    if ref_name is None:
        print("reference      : the apportionment package has no such method/first divisor; "
              "ratio not computed")
        return
    import apportionment.methods as ref

    t0 = time.perf_counter()
    mismatch = 0
    for e in range(n_ref):
        theirs = ref.compute(ref_name, votes[e].tolist(), args.seats)
        if res.decided[e] and list(theirs) != res.seats[e].tolist():
            mismatch += 1
    t_ref = (time.perf_counter() - t0) / n_ref
    print(f"reference      : apportionment package {t_ref * 1e6:.1f} us per election "
          f"({n_ref} elections), {mismatch} disagreements on decided elections")
    print(f"target <1 s for 10,000: {'met' if t_batch / args.elections * 10_000 < 1 else 'MISSED'}")
    print(f"speed ratio (reference / dayafter batch, per election): "
          f"{t_ref / (t_batch / args.elections):.0f}x")


if __name__ == "__main__":
    main()
