"""Apportionment in exact integer arithmetic: divisor and largest-remainder methods.

Seats are allocated by comparing quotients ``votes / divisor`` or remainders as exact integer
products (Python integers here, int64 with an overflow check in the batch kernel), so no
floating-point rounding ever decides a seat. A tie at the last seats is reported with the lists
concerned and the number of seats they compete for; it is broken only when a random generator
is given, and the result then says so.

>>> from dayafter.councils import apportion
>>> r = apportion([115605, 62581, 57332], 10, method="dhondt", lists=["A", "B", "C"])
>>> r.seats.tolist(), r.decided
([5, 3, 2], True)
>>> tie = apportion([100, 100, 50], 1, method="sainte-lague").ties[0]
>>> tie.lists, tie.seats, tie.by_lot
(('0', '1'), 1, False)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dayafter.councils import _kernel as K
from dayafter.errors import ConfigError, InfeasibleError, InputDataError, first_ids
from dayafter.validation import APPORTION_METHODS, MAX_SEATS, check_parameters

__all__ = [
    "DIVISOR_METHODS",
    "MAX_SEATS",
    "METHODS",
    "QUOTA_METHODS",
    "Apportionment",
    "BatchApportionment",
    "Tie",
    "apportion",
    "apportion_many",
    "normalize_method",
]



def _check_seats(seats: object, *, what: str = "seats", source: str = "") -> int:
    """A seat count as an int in ``0..MAX_SEATS``, else a :class:`ConfigError` naming the fix."""
    S: int
    try:
        S = int(seats)  # type: ignore[call-overload]
        whole = bool(S == seats)
    except (TypeError, ValueError, OverflowError):
        S, whole = -1, False
    if not whole or S < 0:
        raise ConfigError(f"{what} must be a whole number >= 0, got {seats!r}", source=source,
                          hint="give the number of seats, e.g. --seats 25")
    if S > MAX_SEATS:
        raise ConfigError(f"{what} ({S:,}) is more than the {MAX_SEATS:,} seats dayafter apportions",
                          source=source, hint="check the council size (a council has tens to thousands of seats)")
    return int(S)


DIVISOR_METHODS: tuple[str, ...] = ("dhondt", "sainte-lague", "huntington-hill", "adams", "dean")
"""Highest-averages methods; the divisor for a list's ``(k+1)``-th seat is, in order,
``k + 1``, ``2k + 1`` (first divisor configurable), ``sqrt(k (k + 1))``, ``k`` and
``2 k (k + 1) / (2k + 1)``."""

QUOTA_METHODS: tuple[str, ...] = ("hare", "droop")
"""Largest-remainder methods: Hare quota ``V / S`` and Droop quota ``floor(V / (S + 1)) + 1``."""

METHODS: tuple[str, ...] = APPORTION_METHODS
"""Every method: the divisor methods, then the quota methods (the options of the validation
table's ``apportion_method``)."""

_ALIASES = {
    "dhondt": "dhondt", "d'hondt": "dhondt", "d-hondt": "dhondt", "jefferson": "dhondt",
    "sainte-lague": "sainte-lague", "saintelague": "sainte-lague", "sainte_lague": "sainte-lague",
    "sainte-laguë": "sainte-lague", "webster": "sainte-lague",
    "huntington-hill": "huntington-hill", "huntington": "huntington-hill", "hill": "huntington-hill",
    "equal-proportions": "huntington-hill",
    "adams": "adams", "smallest-divisors": "adams",
    "dean": "dean", "harmonic-mean": "dean",
    "hare": "hare", "hamilton": "hare", "largest-remainder": "hare", "hare-niemeyer": "hare",
    "droop": "droop",
}

_CODES = {"dhondt": K.DHONDT, "sainte-lague": K.SAINTE_LAGUE, "huntington-hill": K.HUNTINGTON_HILL,
          "adams": K.ADAMS, "dean": K.DEAN}

_INT64_SAFE = 2**62

_KEYS = {"threshold": "vote_threshold"}  # the apportionment's threshold in the validation table


def normalize_method(method: str) -> str:
    """Canonical name of an apportionment method (``"Webster"`` -> ``"sainte-lague"``)."""
    key = str(method).strip().lower().replace(" ", "-").replace("_", "-")
    if key in _ALIASES:
        return _ALIASES[key]
    raise ConfigError(f"unknown apportionment method {method!r}",
                      hint=f"use one of {', '.join(METHODS)} (or jefferson, webster, hamilton)")


def _fraction(x: float | str | Fraction, what: str) -> Fraction:
    """Exact value of a decimal parameter: ``1.7`` -> ``17/10`` (via its shortest repr)."""
    try:
        f = x if isinstance(x, Fraction) else Fraction(str(x))
    except (ValueError, ZeroDivisionError):
        raise ConfigError(f"{what} must be a number, got {x!r}", hint="write a decimal number, e.g. 0.05") from None
    return f


@dataclass(frozen=True)
class Tie:
    """A tie at the last seats of a race.

    Attributes
    ----------
    race
        ``""`` for the general (divisor or quota) count, else the reserved race (community).
    lists
        Names of the lists with equal claims to the undecided seats.
    seats
        Number of seats those lists compete for (fewer than ``len(lists)``).
    by_lot
        True when the tie was broken by drawing lots with the generator given.
    winners
        Lists that won the lot (empty unless ``by_lot``).
    """

    race: str
    lists: tuple[str, ...]
    seats: int
    by_lot: bool = False
    winners: tuple[str, ...] = ()

    def describe(self) -> str:
        """One sentence for reports."""
        where = "general seats" if not self.race else f"reserved {self.race} seats"
        s = (f"tie for {self.seats} of the {where} between {', '.join(self.lists)}")
        if self.by_lot:
            s += f"; drawn by lot: {', '.join(self.winners)}"
        else:
            s += "; undecided (pass a seeded generator to draw lots)"
        return s


@dataclass(frozen=True, eq=False)
class Apportionment:
    """The seats won by each list, with the rule used and any tie.

    Attributes
    ----------
    lists, communities, races
        Per list: name, community it represents (``""`` if unknown), reserved race it runs in
        (``""`` for the general count).
    votes
        ``int64[L]`` valid votes.
    seats
        ``int64[L]`` seats won (general plus reserved). Seats under an undecided tie are not in
        it, so ``seats.sum()`` is then smaller than ``total_seats``.
    general, reserved
        The two parts of ``seats``.
    eligible
        Lists that passed the threshold (and run in the general count).
    method, first_divisor, threshold, total_seats
        The rule.
    ties
        Ties met, decided by lot or not.
    """

    lists: tuple[str, ...]
    communities: tuple[str, ...]
    races: tuple[str, ...]
    votes: NDArray[np.int64]
    seats: NDArray[np.int64]
    general: NDArray[np.int64]
    reserved: NDArray[np.int64]
    eligible: NDArray[np.bool_]
    method: str
    first_divisor: Fraction | None
    threshold: Fraction | None
    total_seats: int
    ties: tuple[Tie, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def decided(self) -> bool:
        """True when every seat went to a list (no tie left undecided)."""
        return all(t.by_lot for t in self.ties)

    @property
    def undecided_seats(self) -> int:
        """Seats left open by undecided ties."""
        return int(sum(t.seats for t in self.ties if not t.by_lot))

    def by_community(self) -> dict[str, dict[str, int]]:
        """Votes and seats summed by community: ``{community: {"votes", "seats", "reserved"}}``."""
        out: dict[str, dict[str, int]] = {}
        for i, c in enumerate(self.communities):
            d = out.setdefault(c, {"votes": 0, "seats": 0, "reserved": 0})
            d["votes"] += int(self.votes[i])
            d["seats"] += int(self.seats[i])
            d["reserved"] += int(self.reserved[i])
        return out

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per list (list, community, race, votes, eligible, general, reserved, seats)."""
        return [
            {"list": self.lists[i], "community": self.communities[i], "race": self.races[i],
             "votes": int(self.votes[i]), "eligible": bool(self.eligible[i]),
             "general": int(self.general[i]), "reserved": int(self.reserved[i]),
             "seats": int(self.seats[i])}
            for i in range(len(self.lists))
        ]


# ---------------------------------------------------------------------------------------------
# validation


def _int_votes(votes: ArrayLike, *, source: str, names: Sequence[str] | None) -> NDArray[np.int64]:
    arr = np.asarray(votes)
    if arr.ndim != 1:
        raise InputDataError(f"votes must be one number per list, got shape {arr.shape}",
                             source=source)
    if arr.size == 0:
        raise InputDataError("the vote table is empty", source=source,
                             hint="give at least one list with its votes")
    if arr.dtype.kind not in "iuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise InputDataError("votes must be numbers", source=source) from None
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            rows = np.flatnonzero(bad)
            raise InputDataError(
                f"votes must be whole numbers; not so for {_rows(rows, names)}",
                source=source, hint="round the vote counts (a model's votes can be rounded first)")
        if np.any(np.abs(arr) > 2**53):
            raise InputDataError("vote counts above 2**53 cannot be read exactly from floats",
                                 source=source, hint="pass them as integers")
    arr = arr.astype(np.int64)
    neg = np.flatnonzero(arr < 0)
    if neg.size:
        raise InputDataError(f"negative votes for {_rows(neg, names)}", source=source,
                             hint="vote counts must be zero or more")
    return arr


def _rows(idx: NDArray[np.int64], names: Sequence[str] | None) -> str:
    if names is None or len(names) <= int(max(idx, default=0)):
        return "rows " + first_ids([int(i) + 1 for i in idx])
    return "lists " + first_ids([f"{names[int(i)]} (row {int(i) + 1})" for i in idx])


# ---------------------------------------------------------------------------------------------
# exact scalar algorithms (Python integers: no overflow)


def _claim(code: int, v: int, k: int, fn: int, fd: int) -> tuple[int, int]:
    if code == K.DHONDT:
        return v, k + 1
    if code == K.SAINTE_LAGUE:
        return (v * fd, fn) if k == 0 else (v, 2 * k + 1)
    if code == K.HUNTINGTON_HILL:
        return v * v, k * (k + 1)
    if code == K.ADAMS:
        return v, k
    return v * (2 * k + 1), 2 * k * (k + 1)


def _cmp(a: tuple[int, int], b: tuple[int, int]) -> int:
    (n1, d1), (n2, d2) = a, b
    if d1 == 0 and d2 == 0:
        return (n1 > n2) - (n1 < n2)
    if d1 == 0:
        return 1
    if d2 == 0:
        return -1
    x, y = n1 * d2, n2 * d1
    return (x > y) - (x < y)


def _divisor_exact(votes: list[int], seats: int, init: list[int], eligible: list[bool],
                   code: int, fn: int, fd: int) -> tuple[list[int], list[int], int]:
    """Sequential highest averages; returns (allocation, tied list indices, seats under tie)."""
    alloc = list(init)
    remaining = seats - sum(alloc)
    idx = [i for i, ok in enumerate(eligible) if ok]
    while remaining > 0:
        best: tuple[int, int] | None = None
        group: list[int] = []
        for i in idx:
            c = _claim(code, votes[i], alloc[i], fn, fd)
            s = 1 if best is None else _cmp(c, best)
            if s > 0:
                best, group = c, [i]
            elif s == 0:
                group.append(i)
        if len(group) <= remaining:
            for i in group:
                alloc[i] += 1
            remaining -= len(group)
        else:
            return alloc, group, remaining
    return alloc, [], 0


def _largest_remainder_exact(votes: list[int], seats: int, eligible: list[bool],
                             quota: str) -> tuple[list[int], list[int], int]:
    """Hare or Droop largest remainder; returns (allocation, tied list indices, seats under tie)."""
    idx = [i for i, ok in enumerate(eligible) if ok]
    total = sum(votes[i] for i in idx)
    alloc = [0] * len(votes)
    rem = [0] * len(votes)
    for i in idx:
        if quota == "hare":  # v / (V / S) = v S / V; remainders share the denominator V
            alloc[i], rem[i] = divmod(votes[i] * seats, total)
        else:
            q = total // (seats + 1) + 1
            alloc[i], rem[i] = divmod(votes[i], q)
    left = seats - sum(alloc)
    if left > len(idx):
        raise InfeasibleError(
            f"the {quota} quota leaves {left} seats for {len(idx)} lists, which the largest "
            "remainder rule cannot fill (too few votes for the number of seats)",
            hint="use a divisor method or fewer seats")
    order = sorted(idx, key=lambda i: -rem[i])
    if left == 0:
        return alloc, [], 0
    cut = rem[order[left - 1]]
    above = [i for i in idx if rem[i] > cut]
    at = [i for i in idx if rem[i] == cut]
    for i in above:
        alloc[i] += 1
    need = left - len(above)
    if len(at) <= need:
        for i in at:
            alloc[i] += 1
        return alloc, [], 0
    return alloc, at, need


# ---------------------------------------------------------------------------------------------
# public API


def apportion(
    votes: ArrayLike,
    seats: int,
    *,
    method: str = "sainte-lague",
    first_divisor: float | str | Fraction | None = None,
    threshold: float | str | Fraction | None = None,
    threshold_exempt: Sequence[str] = (),
    min_seats: int | ArrayLike = 0,
    lists: Sequence[str] | None = None,
    communities: Sequence[str] | None = None,
    races: Sequence[str] | None = None,
    reserved: Mapping[str, int] | None = None,
    rng: np.random.Generator | None = None,
    source: str = "",
) -> Apportionment:
    """Allocate ``seats`` among lists by votes, exactly.

    Parameters
    ----------
    votes
        Whole, non-negative vote counts, one per list (or populations, one per unit).
    seats
        Council size, reserved seats included.
    method
        One of :data:`METHODS` or an alias (``jefferson``, ``webster``, ``hamilton``, ``hill``).
    first_divisor
        Sainte-Laguë only: the divisor for a list's first seat (1 by default; Iraq 2018-2025 1.7,
        Norway 1.4). Later divisors stay 3, 5, 7, ...
    threshold
        Minimum share of the general-race votes a list needs, as a fraction (``0.05``).
    threshold_exempt
        Names of lists exempt from the threshold (national-minority lists).
    min_seats
        Seats every eligible list gets first (an int or one per list); divisor methods only.
    lists, communities, races
        Per-list name, community represented and reserved race (``""`` = general count).
    reserved
        Reserved seats per race, ``{"Christian": 1}``: won by the most-voted lists of that race,
        outside the general count.
    rng
        When given, ties at the last seats are broken by lot and the result says so.
    source
        File or object name for error messages.

    Returns
    -------
    Apportionment

    Raises
    ------
    InputDataError
        Negative, fractional or missing votes, unknown or empty races.
    ConfigError
        Unknown method, impossible parameters.
    InfeasibleError
        More reserved or minimum seats than the council has, no list eligible.

    Notes
    -----
    Divisor methods run as sequential highest averages over exact integer claims:
    ``O(S L)`` comparisons. A tie is reported when lists with equal claims outnumber the
    seats left. References: Balinski and Young, *Fair Representation* (2001); Pukelsheim,
    *Proportional Representation* (2017).
    """
    check_parameters({"seats": seats, "first_divisor": first_divisor, "threshold": threshold,
                      "min_seats": min_seats}, "apportion", _KEYS)
    m = normalize_method(method)
    S = _check_seats(seats, source=source)
    mins_in = np.asarray(min_seats)
    if mins_in.size and (not np.all(np.isfinite(mins_in.astype(float))) or float(np.max(mins_in)) > MAX_SEATS):
        raise ConfigError(f"minimum seats ({np.max(mins_in)}) exceed the {MAX_SEATS:,} seats dayafter apportions",
                          source=source, hint="give a minimum below the council size")
    v = _int_votes(votes, source=source, names=lists)
    L = v.size
    names = tuple(str(x) for x in lists) if lists is not None else tuple(str(i) for i in range(L))
    if len(names) != L:
        raise InputDataError(f"{len(names)} list names for {L} vote counts", source=source)
    if len(set(names)) != L:
        dup = sorted({x for x in names if names.count(x) > 1})
        raise InputDataError(f"duplicate list names {dup}", source=source,
                             hint="give every list its own name")
    comm = tuple(str(c) for c in communities) if communities is not None else ("",) * L
    race = tuple("" if r is None else str(r) for r in races) if races is not None else ("",) * L
    if len(comm) != L or len(race) != L:
        raise InputDataError("communities and races need one value per list", source=source)

    fdiv: Fraction | None = None
    if first_divisor is not None:
        if m != "sainte-lague":
            raise ConfigError(f"a first divisor applies to sainte-lague only, not {m}",
                              hint="drop --first-divisor or use --method sainte-lague")
        fdiv = _fraction(first_divisor, "the first divisor")
        if fdiv <= 0:
            raise ConfigError(f"the first divisor must be positive, got {first_divisor}",
                              hint="Iraq uses 1.7; the plain Sainte-Lague divisor is 1")
    thr: Fraction | None = None
    if threshold is not None:
        thr = _fraction(threshold, "the threshold")
        if not 0 <= thr < 1:
            raise ConfigError(f"the threshold is a share of the votes in [0, 1), got {threshold}",
                              hint="write 5% as 0.05")

    # reserved races -------------------------------------------------------------------------
    reserved = {str(k): _check_seats(n, what=f"reserved seats of {k!r}", source=source)
                for k, n in (reserved or {}).items() if int(n) != 0}
    n_res = sum(reserved.values())
    if n_res > S:
        raise InfeasibleError(
            f"{n_res} reserved seats do not fit in a council of {S}", source=source,
            hint="reduce the reserved seats or enlarge the council")
    race_names = {r for r in race if r}
    unknown = sorted(race_names - set(reserved))
    if unknown:
        raise InputDataError(
            f"lists run in reserved races {unknown} that have no reserved seats", source=source,
            hint=f"add them to the reserved seats (e.g. {unknown[0]}=1) or clear their race")
    general = [i for i in range(L) if not race[i]]
    ties: list[Tie] = []
    res = np.zeros(L, dtype=np.int64)
    for rname, n in sorted(reserved.items()):
        cand = [i for i in range(L) if race[i] == rname]
        if len(cand) < n:
            raise InputDataError(
                f"reserved race {rname!r} has {n} seats but {len(cand)} lists", source=source,
                hint=f"add lists with race {rname!r} or reduce its reserved seats")
        cand.sort(key=lambda i: -int(v[i]))
        cut = int(v[cand[n - 1]])
        won = [i for i in cand if v[i] > cut]
        at = [i for i in cand if v[i] == cut]
        need = n - len(won)
        for i in won:
            res[i] += 1
        if len(at) <= need:
            for i in at:
                res[i] += 1
        else:
            ties.append(_resolve(rname, at, need, names, res, rng))

    # general count ------------------------------------------------------------------------------
    Sg = S - n_res
    vg = [int(v[i]) if not race[i] else 0 for i in range(L)]
    total = sum(vg)
    exempt = {str(x) for x in threshold_exempt}
    unknown_ex = sorted(exempt - set(names))
    if unknown_ex:
        raise InputDataError(f"threshold exemptions name unknown lists {unknown_ex}",
                             source=source, hint=f"use names from {list(names)[:8]}")
    elig = [bool(not race[i] and vg[i] > 0) for i in range(L)]
    if thr is not None and thr > 0:
        for i in general:
            if names[i] not in exempt and vg[i] * thr.denominator < thr.numerator * total:
                elig[i] = False
    mins = np.broadcast_to(np.asarray(min_seats, dtype=np.int64), (L,))
    init = [int(mins[i]) if elig[i] else 0 for i in range(L)]
    if any(x < 0 for x in init):
        raise ConfigError("minimum seats must be >= 0", hint="give 0 or more", source=source)
    if any(init) and m in QUOTA_METHODS:
        raise ConfigError(f"minimum seats are defined for divisor methods, not {m}",
                          hint="use a divisor method (e.g. huntington-hill) with minimum seats")
    if sum(init) > Sg:
        raise InfeasibleError(
            f"minimum seats ({sum(init)}) exceed the {Sg} general seats", source=source,
            hint="lower the minimum or enlarge the council")
    gen = [0] * L
    if Sg > 0:
        if not any(elig):
            raise InfeasibleError(
                f"no list can take the {Sg} general seats (no votes, or none passed the "
                "threshold)", source=source, hint="lower the threshold or check the votes")
        if m in QUOTA_METHODS:
            gen, group, left = _largest_remainder_exact(vg, Sg, elig, m)
        else:
            f = fdiv if fdiv is not None else Fraction(1)
            gen, group, left = _divisor_exact(vg, Sg, init, elig, _CODES[m],
                                              f.numerator, f.denominator)
        if group:
            g_arr = np.asarray(gen, dtype=np.int64)
            ties.append(_resolve("", group, left, names, g_arr, rng))
            gen = g_arr.tolist()
    g = np.asarray(gen, dtype=np.int64)
    return Apportionment(
        lists=names, communities=comm, races=race, votes=v, seats=g + res, general=g,
        reserved=res, eligible=np.asarray(elig, dtype=bool), method=m,
        first_divisor=fdiv if m == "sainte-lague" else None, threshold=thr, total_seats=S,
        ties=tuple(ties),
        meta={"rng": "lot" if rng is not None else None},
    )


def _resolve(race: str, group: list[int], seats: int, names: tuple[str, ...],
             alloc: NDArray[np.int64], rng: np.random.Generator | None) -> Tie:
    """Record a tie; with a generator, draw ``seats`` winners among ``group`` and award them."""
    group = sorted(group)
    tied = tuple(names[i] for i in group)
    if rng is None:
        return Tie(race, tied, seats)
    pick = np.sort(rng.choice(len(group), size=seats, replace=False))
    winners = [group[int(j)] for j in pick]
    for i in winners:
        alloc[i] += 1
    return Tie(race, tied, seats, by_lot=True, winners=tuple(names[i] for i in winners))


# ---------------------------------------------------------------------------------------------
# batch


@dataclass(frozen=True, eq=False)
class BatchApportionment:
    """Seats for many elections at once.

    Attributes
    ----------
    seats
        ``int64[E, L]``; seats under an undecided tie stay unallocated.
    tied_seats
        ``int64[E]`` seats left open by a tie (0 when decided).
    tied_lists
        ``int64[E]`` number of lists sharing that tie.
    """

    seats: NDArray[np.int64]
    tied_seats: NDArray[np.int64]
    tied_lists: NDArray[np.int64]
    method: str
    first_divisor: Fraction | None

    @property
    def decided(self) -> NDArray[np.bool_]:
        """Elections without an undecided tie."""
        out: NDArray[np.bool_] = self.tied_seats == 0
        return out


def apportion_many(
    votes: ArrayLike,
    seats: int | ArrayLike,
    *,
    method: str = "sainte-lague",
    first_divisor: float | str | Fraction | None = None,
    threshold: float | str | Fraction | None = None,
    min_seats: int | ArrayLike = 0,
) -> BatchApportionment:
    """Apportion many elections at once (rows of ``votes``).

    Exact like :func:`apportion` (integer cross-multiplication in a numba kernel for divisor
    methods, integer remainders in NumPy for Hare and Droop); ties are counted per election,
    and the tied seats left unallocated (use :func:`apportion` on that election for the lists
    concerned or a lot).

    Parameters
    ----------
    votes
        ``(E, L)`` whole non-negative votes.
    seats
        Seats per election (scalar or ``E`` values).
    method, first_divisor, threshold, min_seats
        As in :func:`apportion` (min seats per list or per election x list, divisor methods
        only).

    Returns
    -------
    BatchApportionment

    Notes
    -----
    ``O(E S L)``; about 50 ms for 10,000 elections of 30 lists and 50 seats under Sainte-Laguë
    (bench/councils.py).
    Products of votes and divisors must stay below 2**62; larger inputs raise
    :class:`~dayafter.errors.InputDataError` (use :func:`apportion`, which has no limit).
    """
    m = normalize_method(method)
    V = np.asarray(votes)
    if V.ndim != 2 or V.size == 0:
        raise InputDataError(f"votes must be a non-empty (elections, lists) table, got {V.shape}")
    if V.dtype.kind == "f":
        if not np.all(np.isfinite(V)) or np.any(V != np.round(V)):
            raise InputDataError("votes must be whole numbers")
    elif V.dtype.kind not in "iu":
        raise InputDataError("votes must be numbers")
    V = V.astype(np.int64)
    if np.any(V < 0):
        raise InputDataError(f"negative votes in elections {first_ids(np.flatnonzero((V < 0).any(1)).tolist())}")
    E, L = V.shape
    seats_in = np.asarray(seats)
    if seats_in.size and (not np.all(np.isfinite(seats_in.astype(float))) or float(np.max(seats_in)) > MAX_SEATS):
        raise ConfigError(f"a council of {np.max(seats_in)} seats is more than the {MAX_SEATS:,} dayafter apportions",
                          hint="check the council sizes (size, residents_per_seat)")
    S = np.broadcast_to(np.asarray(seats, dtype=np.int64), (E,)).copy()
    if np.any(S < 0):
        raise ConfigError("seats must be >= 0", hint="give council sizes of 0 or more")
    f = Fraction(1)
    if first_divisor is not None:
        if m != "sainte-lague":
            raise ConfigError(f"a first divisor applies to sainte-lague only, not {m}",
                              hint="drop the first divisor or use sainte-lague")
        f = _fraction(first_divisor, "the first divisor")
        if f <= 0:
            raise ConfigError("the first divisor must be positive", hint="Iraq uses 1.7")
    elig = V > 0
    if threshold is not None:
        t = _fraction(threshold, "the threshold")
        if not 0 <= t < 1:
            raise ConfigError(f"the threshold is a share in [0, 1), got {threshold}", hint="write 5% as 0.05")
        tot = V.sum(axis=1, keepdims=True)
        # object arithmetic only when the products could overflow
        if int(V.max()) * t.denominator < _INT64_SAFE and int(tot.max()) * t.numerator < _INT64_SAFE:
            elig &= V * t.denominator >= t.numerator * tot
        else:
            elig &= (V.astype(object) * t.denominator >= t.numerator * tot.astype(object))
    if m in QUOTA_METHODS:
        short = (~elig).all(axis=1) & (S > 0)
        if short.any():
            raise InfeasibleError(
                f"no list is eligible in elections {first_ids(np.flatnonzero(short).tolist())}",
                hint="check the votes and the threshold")
        if np.any(np.asarray(min_seats) != 0):
            raise ConfigError(f"minimum seats are defined for divisor methods, not {m}",
                              hint="use a divisor method (e.g. huntington-hill) with minimum seats")
        if first_divisor is not None:
            raise ConfigError(f"a first divisor applies to sainte-lague only, not {m}",
                              hint="drop the first divisor or use sainte-lague")
        return _largest_remainder_batch(V, S, elig, m)
    init = np.broadcast_to(np.asarray(min_seats, dtype=np.int64), (E, L)) * elig
    init = np.ascontiguousarray(init, dtype=np.int64)
    if np.any(init < 0):
        raise ConfigError("minimum seats must be >= 0", hint="give 0 or more")
    if np.any(init.sum(axis=1) > S):
        bad = np.flatnonzero(init.sum(axis=1) > S)
        raise InfeasibleError(f"minimum seats exceed the council in elections {first_ids(bad.tolist())}")
    short = (~elig).all(axis=1) & (S > init.sum(axis=1))
    if short.any():
        raise InfeasibleError(
            f"no list is eligible in elections {first_ids(np.flatnonzero(short).tolist())}",
            hint="check the votes and the threshold")
    smax = int(S.max()) if E else 0
    vmax = int(V.max())
    bound = {
        "dhondt": vmax * (smax + 1),
        "sainte-lague": vmax * max(f.denominator, 1) * max(f.numerator, 2 * smax + 1) * max(f.denominator, 1),
        "huntington-hill": vmax * vmax * (smax * (smax + 1) + 1),
        "adams": vmax * (smax + 1),
        "dean": vmax * (2 * smax + 1) * (2 * smax * (smax + 1) + 1),
    }[m]
    if bound >= _INT64_SAFE:
        raise InputDataError(
            f"votes up to {vmax} with {smax} seats are too large for the int64 batch kernel "
            f"under {m}", hint="use apportion() per election (exact Python integers)")
    out, tied, n_tied = K.divisor_batch(np.ascontiguousarray(V), S, init, elig, _CODES[m],
                                        f.numerator, f.denominator)
    return BatchApportionment(seats=out, tied_seats=tied, tied_lists=n_tied, method=m,
                              first_divisor=f if m == "sainte-lague" else None)


def _largest_remainder_batch(V: NDArray[np.int64], S: NDArray[np.int64], elig: NDArray[np.bool_],
                             quota: str) -> BatchApportionment:
    """Hare or Droop largest remainder for every row, in exact integer arithmetic."""
    E = V.shape[0]
    W = np.where(elig, V, 0)
    tot = W.sum(axis=1)
    if int(W.max(initial=0)) * (int(S.max(initial=0)) + 1) >= _INT64_SAFE:
        raise InputDataError("votes times seats exceed int64 for the batch largest remainder",
                             hint="use apportion() per election (exact Python integers)")
    safe_tot = np.where(tot > 0, tot, 1)
    if quota == "hare":  # v S / V: floor and remainder over the common denominator V
        num = W * S[:, None]
        low, rem = num // safe_tot[:, None], num % safe_tot[:, None]
    else:
        q = tot // (S + 1) + 1
        low, rem = W // q[:, None], W % q[:, None]
    low = np.where(elig, low, 0)
    rem = np.where(elig, rem, -1)  # ineligible lists never take a remainder seat
    left = S - low.sum(axis=1)
    n_elig = elig.sum(axis=1)
    if np.any(left > n_elig):
        bad = np.flatnonzero(left > n_elig)
        raise InfeasibleError(
            f"the {quota} quota leaves more seats than lists in elections {first_ids(bad.tolist())}",
            hint="use a divisor method or fewer seats")
    order = np.sort(rem, axis=1)[:, ::-1]
    rows = np.arange(E)
    has = left > 0
    cut = np.where(has, order[rows, np.maximum(left - 1, 0)], np.iinfo(np.int64).max)
    above = rem > cut[:, None]
    at = (rem == cut[:, None]) & has[:, None]
    need = left - above.sum(axis=1)
    n_at = at.sum(axis=1)
    decided = n_at <= need
    out = low + above + (at & decided[:, None])
    tied = np.where(decided, 0, need).astype(np.int64)
    n_tied = np.where(decided, 0, n_at).astype(np.int64)
    return BatchApportionment(seats=out.astype(np.int64), tied_seats=tied, tied_lists=n_tied,
                              method=quota, first_divisor=None)
