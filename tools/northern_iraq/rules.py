"""The arithmetic rules of the northern-Iraq case build, as small pure functions.

Every rule id of ``data/rules.csv`` that does arithmetic is one function here; the build only looks
figures up in the tables and calls these. Tests: ``tests/unit/cases/test_build_rules.py``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

STATUS_ORDER = {"sourced": 0, "derived": 1, "imputed": 2}
CONFIDENCE_ORDER = {"high": 0, "medium": 1, "low": 2}


class RuleError(ValueError):
    """A rule was given inputs it cannot work with (the message says which and why)."""


# ---------------------------------------------------------------------------------------------
# Status and confidence
# ---------------------------------------------------------------------------------------------
def worst_status(*statuses: str) -> str:
    """The least certain of several statuses (sourced < derived < imputed).

    >>> worst_status("sourced", "derived")
    'derived'
    """
    out = "sourced"
    for s in statuses:
        if s not in STATUS_ORDER:
            raise RuleError(f"unknown status {s!r}; use sourced, derived or imputed")
        if STATUS_ORDER[s] > STATUS_ORDER[out]:
            out = s
    return out


def worst_confidence(*levels: str) -> str:
    """The lowest of several confidence levels (high > medium > low).

    >>> worst_confidence("high", "low", "medium")
    'low'
    """
    out = "high"
    for c in levels:
        if c not in CONFIDENCE_ORDER:
            raise RuleError(f"unknown confidence {c!r}; use high, medium or low")
        if CONFIDENCE_ORDER[c] > CONFIDENCE_ORDER[out]:
            out = c
    return out


def size_status(certain: float, by_data: float, by_assumption: float) -> str:
    """Status of a unit total built from 2024 census rows (rule R-CENSUS24).

    ``certain`` people come from nahiyas that are the unit or wholly inside it, ``by_data`` from
    nahiyas shared out by a rule based on data (the disc rule), ``by_assumption`` from nahiyas shared
    out by area. All certain: ``sourced``; at most half shared by area: ``derived``; else
    ``imputed``.

    >>> size_status(100.0, 0.0, 0.0), size_status(60.0, 0.0, 40.0), size_status(10.0, 0.0, 90.0)
    ('sourced', 'derived', 'imputed')
    """
    total = certain + by_data + by_assumption
    if min(certain, by_data, by_assumption) < 0 or total <= 0:
        raise RuleError("size_status needs non-negative parts with a positive sum")
    if by_data == 0 and by_assumption == 0:
        return "sourced"
    return "derived" if by_assumption <= 0.5 * total else "imputed"


# ---------------------------------------------------------------------------------------------
# Growth and closure
# ---------------------------------------------------------------------------------------------
def growth_rate(v0: float, y0: float, v1: float, y1: float) -> float:
    """Constant yearly growth rate between two figures (rule R-GROWTH).

    >>> round(growth_rate(100.0, 2000, 121.0, 2002), 6)
    0.1
    """
    if v0 <= 0 or v1 <= 0 or y1 == y0:
        raise RuleError(f"growth_rate needs positive figures of different years, got {v0}/{y0}, {v1}/{y1}")
    return float((v1 / v0) ** (1.0 / (y1 - y0)) - 1.0)


def grow(value: float, year: float, rate: float, to_year: float) -> float:
    """A figure of ``year`` brought to ``to_year`` at a constant yearly ``rate`` (R-GROWTH).

    >>> grow(100.0, 2010, 0.1, 2012)
    121.00000000000001
    """
    return float(value * (1.0 + rate) ** (to_year - year))


def close_to_total(
    values: Mapping[str, float], total: float, locked: Iterable[str] = ()
) -> tuple[dict[str, float], float]:
    """Scale the unlocked values by one factor so that all values add up to ``total`` (R-GOV-CLOSE).

    Returns the closed values and the factor. Locked values stay as they are.

    >>> close_to_total({"a": 10.0, "b": 30.0, "c": 60.0}, 160.0, locked=["c"])
    ({'a': 25.0, 'b': 75.0, 'c': 60.0}, 2.5)
    """
    lock = set(locked)
    fixed = sum(v for k, v in values.items() if k in lock)
    free = sum(v for k, v in values.items() if k not in lock)
    if free <= 0:
        raise RuleError("close_to_total: nothing unlocked to scale")
    k = (total - fixed) / free
    if k <= 0:
        raise RuleError(f"close_to_total: locked values ({fixed:,.0f}) exceed the total ({total:,.0f})")
    return {key: (v if key in lock else v * k) for key, v in values.items()}, float(k)


def waterfill(
    total: float, weights: Mapping[str, float], floors: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Share ``total`` in proportion to ``weights``, raising any share below its floor to the floor
    and sharing what is left among the others (rules R-BASE-SHARE24 with R-TOWN-FLOOR).

    >>> waterfill(100.0, {"a": 1.0, "b": 1.0, "c": 2.0}, {"a": 40.0})
    {'a': 40.0, 'b': 20.0, 'c': 40.0}
    """
    floors = dict(floors or {})
    if any(w < 0 for w in weights.values()):
        raise RuleError("waterfill: negative weight")
    if sum(floors.get(k, 0.0) for k in weights) > total + 1e-6:
        raise RuleError(f"waterfill: floors add up to more than the total {total:,.0f}")
    fixed: dict[str, float] = {}
    free = dict(weights)
    while True:
        rest = total - sum(fixed.values())
        wsum = sum(free.values())
        if not free:
            return {k: fixed[k] for k in weights}
        if wsum <= 0:
            vals = {k: rest / len(free) for k in free} if rest > 0 else dict.fromkeys(free, 0.0)
        else:
            vals = {k: rest * (w / wsum) for k, w in free.items()}  # w / wsum first: no underflow
        low = [k for k, v in vals.items() if v < floors.get(k, 0.0) - 1e-9]
        if not low:
            out = {**fixed, **vals}
            return {k: out[k] for k in weights}
        for k in low:
            fixed[k] = floors[k]
            del free[k]


# ---------------------------------------------------------------------------------------------
# Integer allocation
# ---------------------------------------------------------------------------------------------
def largest_remainder(values: Sequence[float], total: int) -> list[int]:
    """Round ``values`` to integers that add up to ``total`` (largest remainder; ties by position).

    >>> largest_remainder([0.5, 0.5, 2.0], 3)
    [1, 0, 2]
    """
    if any(v < 0 for v in values):
        raise RuleError("largest_remainder: negative value")
    s = sum(values)
    if s <= 0:
        if total == 0:
            return [0] * len(values)
        raise RuleError("largest_remainder: cannot share a positive total over zero weights")
    scaled = [v * total / s for v in values]
    base = [math.floor(x) for x in scaled]
    left = total - sum(base)
    order = sorted(range(len(values)), key=lambda i: (-(scaled[i] - base[i]), i))
    for i in order[:left]:
        base[i] += 1
    return base


# ---------------------------------------------------------------------------------------------
# Crosswalk split rules
# ---------------------------------------------------------------------------------------------
def disc_radius_km(urban_population: float, density_per_km2: float) -> float:
    """Radius of a disc holding ``urban_population`` at ``density_per_km2`` (rule R-XW-DISC).

    >>> round(disc_radius_km(314_159.27, 10_000.0), 3)
    3.162
    """
    if urban_population < 0 or density_per_km2 <= 0:
        raise RuleError("disc_radius_km needs a non-negative population and a positive density")
    return math.sqrt(urban_population / (math.pi * density_per_km2))


def split_weights(kind: str, areas: Sequence[float], disc_areas: Sequence[float] | None = None) -> list[float]:
    """Weights of the candidate units of one crosswalk row: by unit area (R-XW-AREA) or by the
    area of the city disc inside each unit (R-XW-DISC). Weights add up to 1.

    >>> split_weights("area", [1.0, 3.0])
    [0.25, 0.75]
    """
    if kind == "area":
        w = list(areas)
    elif kind == "disc":
        if disc_areas is None:
            raise RuleError("split_weights: the disc rule needs the disc areas")
        w = list(disc_areas)
    else:
        raise RuleError(f"unknown split rule {kind!r}; use area or disc")
    s = sum(w)
    if s <= 0 or any(x < 0 for x in w):
        raise RuleError(f"split_weights: weights {w} cannot be normalised")
    return [x / s for x in w]


# ---------------------------------------------------------------------------------------------
# Shares and their ranges
# ---------------------------------------------------------------------------------------------
def parse_shares(spec: str, sunni_of_arabs: float, communities: Sequence[str]) -> dict[str, float]:
    """Shares ``"kurd=0.9 arab=0.1"`` as a dict over ``communities``, normalised to 1.

    ``arab`` (sect not given) is split into ``sunni_arab`` and ``shia_arab`` by ``sunni_of_arabs``
    (rule R-ARAB-SPLIT). Specs must add up to 1 within 0.02.

    >>> parse_shares("kurd=0.9 arab=0.1", 0.5, ["sunni_arab", "shia_arab", "kurd"])
    {'sunni_arab': 0.05, 'shia_arab': 0.05, 'kurd': 0.9}
    """
    out = dict.fromkeys(communities, 0.0)
    for tok in spec.split():
        key, _, val = tok.partition("=")
        try:
            x = float(val)
        except ValueError:
            raise RuleError(f"share {tok!r} is not key=number") from None
        if key == "arab":
            out["sunni_arab"] += x * sunni_of_arabs
            out["shia_arab"] += x * (1.0 - sunni_of_arabs)
        elif key in out:
            out[key] += x
        else:
            raise RuleError(f"unknown community {key!r} in shares {spec!r}")
    s = sum(out.values())
    if abs(s - 1.0) > 0.02:
        raise RuleError(f"shares {spec!r} add up to {s:.3f}, not 1")
    return {k: v / s for k, v in out.items()}


def parse_ranges(spec: str) -> dict[str, tuple[float, float]]:
    """Share ranges ``"kurd=0.3:0.5"`` as a dict.

    >>> parse_ranges("kurd=0.3:0.5")
    {'kurd': (0.3, 0.5)}
    """
    out: dict[str, tuple[float, float]] = {}
    for tok in spec.split():
        key, _, val = tok.partition("=")
        lo, _, hi = val.partition(":")
        a, b = float(lo), float(hi)
        if not 0.0 <= a <= b <= 1.0:
            raise RuleError(f"share range {tok!r} is not 0 <= low <= high <= 1")
        out[key] = (a, b)
    return out


def blend(town: Mapping[str, float], rest: Mapping[str, float], town_fraction: float) -> dict[str, float]:
    """Shares of a unit whose town (``town_fraction`` of its people) has other shares than the rest
    (rule R-TOWN-SHARES).

    >>> blend({"a": 1.0, "b": 0.0}, {"a": 0.0, "b": 1.0}, 0.25)
    {'a': 0.25, 'b': 0.75}
    """
    t = min(max(town_fraction, 0.0), 1.0)
    return {k: t * town.get(k, 0.0) + (1.0 - t) * rest.get(k, 0.0) for k in rest}


def _expit(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def logit_range(share: float, spread: float) -> tuple[float, float]:
    """Range of a share: its log-odds plus and minus ``spread`` (rules RR-SPREAD-*).

    A share of 0 or 1 stays exact. The range is asymmetric on the share scale: a share of 0.97 with
    spread 1 gives about 0.92-0.99, a share of 0.5 gives 0.27-0.73.

    >>> tuple(round(x, 3) for x in logit_range(0.5, 1.0))
    (0.269, 0.731)
    """
    if not 0.0 <= share <= 1.0 or spread < 0:
        raise RuleError(f"logit_range needs 0 <= share <= 1 and spread >= 0, got {share}, {spread}")
    if share in (0.0, 1.0):
        return share, share
    z = math.log(share) - math.log1p(-share)
    return min(_expit(z - spread), share), max(_expit(z + spread), share)


def share_range(
    share: float, spread: float, explicit: tuple[float, float] | None = None
) -> tuple[float, float]:
    """Range of a share: the range a source gives when there is one (RR-SOURCE), widened to contain
    the share itself, else :func:`logit_range`.

    >>> share_range(0.4, 1.0, (0.3, 0.35))
    (0.3, 0.4)
    """
    if explicit is not None:
        lo, hi = explicit
        return min(lo, share), max(hi, share)
    return logit_range(share, spread)


def ratio_range(observed: Sequence[float], predicted: Sequence[float]) -> tuple[float, float]:
    """Smallest and largest ratio observed / predicted over pairs (the measured imputation spread
    of rule RR-SHARE24), never narrower than 1.

    >>> ratio_range([90.0, 130.0], [100.0, 100.0])
    (0.9, 1.3)
    """
    if len(observed) != len(predicted) or not observed:
        raise RuleError("ratio_range needs equally long, non-empty sequences")
    r = [o / p for o, p in zip(observed, predicted, strict=True) if p > 0]
    if not r:
        raise RuleError("ratio_range: no positive prediction")
    return min(min(r), 1.0), max(max(r), 1.0)


# ---------------------------------------------------------------------------------------------
# Current composition inside a census total
# ---------------------------------------------------------------------------------------------
def apply_current(
    total: float,
    shares: Mapping[str, float],
    *,
    weights: Mapping[str, float] | None = None,
    deltas: Mapping[str, float] | None = None,
    fixed_counts: Mapping[str, float] | None = None,
    fixed_shares: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Community counts of a unit whose ``total`` is a census count (rules R-CUR-*).

    Start from ``total * shares``; multiply by relative ``weights`` (who stayed or came back, e.g.
    0.7 for Christians of whom 70% returned); add ``deltas`` (persons who left or arrived); fix
    ``fixed_counts`` (persons a source counts) and ``fixed_shares`` (shares a source gives); scale
    the other communities so that everything adds up to ``total``.

    >>> {k: round(v, 3) for k, v in apply_current(100.0, {"a": 0.5, "b": 0.5}, weights={"a": 0.5}).items()}
    {'a': 33.333, 'b': 66.667}
    >>> apply_current(100.0, {"a": 0.5, "b": 0.5}, fixed_counts={"a": 10.0})
    {'a': 10.0, 'b': 90.0}
    """
    weights = weights or {}
    deltas = deltas or {}
    fixed_counts = fixed_counts or {}
    fixed_shares = fixed_shares or {}
    for k in (*weights, *deltas, *fixed_counts, *fixed_shares):
        if k not in shares:
            raise RuleError(f"apply_current: unknown community {k!r}")
    if set(fixed_counts) & set(fixed_shares):
        raise RuleError("apply_current: a community cannot have both a fixed count and a fixed share")
    c = {k: total * s * weights.get(k, 1.0) for k, s in shares.items()}
    for k, d in deltas.items():
        c[k] = max(c[k] + d, 0.0)
    pinned = {k: float(v) for k, v in fixed_counts.items()}
    pinned.update({k: total * float(v) for k, v in fixed_shares.items()})
    if sum(pinned.values()) > total + 1e-6:
        raise RuleError(f"apply_current: fixed counts and shares exceed the total {total:,.0f}")
    free_keys = [k for k in c if k not in pinned]
    free_total = total - sum(pinned.values())
    free_sum = sum(c[k] for k in free_keys)
    out = dict(pinned)
    for k in free_keys:
        out[k] = free_total * c[k] / free_sum if free_sum > 0 else 0.0
    if free_sum <= 0 and free_total > 1e-6:
        raise RuleError("apply_current: no community left to hold the rest of the total")
    return {k: out[k] for k in shares}
