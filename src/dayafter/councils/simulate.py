"""Council simulation: the council of every polity of a plan, on every census.

Councils are elected per polity (a region of the plan's polity layer: a governorate, a new
province), whoever holds its units: a KRG-held district of Ninewa votes for Ninewa's council. The
region table records, per polity, how many of its units each authority holds (the control layer),
for reading only. Per region, community populations are tallied from the plan (units with region
``-1`` are left out). A stated voting model turns them into votes: each community votes for its own list
in proportion to its adult population and its turnout. The council size is fixed, given per
region, one seat per ``N`` residents, or carried over from an admin-level table (Iraq's 2023
provincial councils); the general seats are apportioned by the rule and the reserved seats go
to their communities. The result is a tidy table of seats per region x community and the
representation indices, for every census.

>>> import numpy as np
>>> from dayafter.graph import UnitGraph
>>> from dayafter.plan import Plan, Region
>>> from dayafter.territory import Territory
>>> from dayafter.councils import CouncilRules, simulate_councils
>>> t = Territory.from_arrays(["a", "b", "c"], ["arab", "kurd"],
...     {"now": np.array([[900.0, 100.0], [200.0, 800.0], [500.0, 500.0]])},
...     UnitGraph.from_edges(3, [0, 1], [1, 2]))
>>> p = Plan(np.array([0, 1, 1]), (Region("West"), Region("East")), t.content_hash)
>>> sim = simulate_councils(t, p, rules=CouncilRules(size=10, first_divisor=None))
>>> sim.seats_table("now").tolist()
[[9, 1], [4, 6]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from dayafter.councils.apportion import MAX_SEATS, Apportionment, apportion, normalize_method
from dayafter.councils.indices import effective_number, gallagher, loosemore_hanby
from dayafter.errors import ConfigError, InputDataError
from dayafter.plan import Plan
from dayafter.territory import Territory

__all__ = [
    "AdminCouncils",
    "CouncilRules",
    "CouncilSimulation",
    "VotingModel",
    "read_admin_councils",
    "simulate_councils",
]

DEFAULT_ADULT_SHARE = 0.55
"""Assumption (not sourced): share of residents aged 18 or over, for every community."""

DEFAULT_TURNOUT = 0.41
"""Turnout of Iraq's 18 December 2023 provincial elections, 41% (IHEC) [E19]."""


def _per_community(value: float | Mapping[str, float], communities: Sequence[str],
                   what: str) -> NDArray[np.float64]:
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(communities) - {"*"})
        if unknown:
            raise ConfigError(f"{what} names unknown communities {unknown}",
                              hint=f"use some of {list(communities)}")
        default = float(value.get("*", np.nan))
        out = np.array([float(value.get(c, default)) for c in communities])
        if np.isnan(out).any():
            missing = [c for c, x in zip(communities, out, strict=True) if np.isnan(x)]
            raise ConfigError(f"{what} has no value for {missing}",
                              hint='give every community a value or a default under "*"')
    else:
        out = np.full(len(communities), float(value))
    if not np.isfinite(out).all() or np.any(out < 0) or np.any(out > 1):
        raise ConfigError(f"{what} must be shares between 0 and 1, got {out.tolist()}",
                          hint="give a share such as 0.55")
    return out


@dataclass(frozen=True)
class VotingModel:
    """Each community votes for its own list: ``votes = population x adult_share x turnout``.

    Parameters
    ----------
    adult_share
        Share of residents who may vote, one value or ``{community: share}`` (``"*"`` default).
        The default 0.55 is an assumption.
    turnout
        Share of voters who vote, one value or per community. Default 0.41 (Iraq 2023 [E19]).
    """

    adult_share: float | Mapping[str, float] = DEFAULT_ADULT_SHARE
    turnout: float | Mapping[str, float] = DEFAULT_TURNOUT

    def votes(self, P: NDArray[np.float64], communities: Sequence[str]) -> NDArray[np.int64]:
        """Whole votes ``(k, g)`` from community populations ``P`` (rounded half to even)."""
        w = (_per_community(self.adult_share, communities, "adult_share")
             * _per_community(self.turnout, communities, "turnout"))
        return np.rint(P * w[None, :]).astype(np.int64)


@dataclass(frozen=True)
class AdminCouncils:
    """Councils of existing admin units (e.g. Iraq's 2023 provincial councils), as a table.

    Attributes
    ----------
    level
        The territory's admin level the codes refer to (``"governorate"``).
    general
        Admin code to general seats.
    quotas
        Admin code to ``{community: reserved seats}``.
    names
        Admin code to display name.
    residents_per_seat
        General seats for territory units outside the table: one per this many residents.
        ``None``: the average of the table's units present in the territory.
    """

    level: str
    general: Mapping[str, int]
    quotas: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)
    residents_per_seat: float | None = None

    def derive(self, territory: Territory, plan: Plan, census: str | None = None,
               ) -> tuple[NDArray[np.int64], list[dict[str, int]], list[str]]:
        """Per-region general seats and reserved seats carried over by population.

        Returns ``(general[k], reserved[k] = {community: seats}, notes)``. See the module's
        SOURCES note: each admin unit's general seats are split among regions by Sainte-Laguë
        on population; each quota seat goes to the region with most of that community's members
        in the admin unit; admin units outside the table get seats at ``residents_per_seat``.
        """
        if self.level not in territory.admin:
            raise InputDataError(
                f"territory has no admin level {self.level!r} to carry council rules over",
                hint=f"use one of {sorted(territory.admin)}")
        codes = territory.admin[self.level]
        label = territory.labels.get(f"{self.level}_en")
        labels = ({} if label is None
                  else dict(zip(codes.tolist(), label.tolist(), strict=True)))

        def name(code: str) -> str:
            return self.names.get(code) or labels.get(code) or code

        table = territory.census(census)
        pop = table.sum(axis=1)
        a = plan.assignment
        k = plan.k
        general = np.zeros(k, dtype=np.int64)
        reserved: list[dict[str, int]] = [{} for _ in range(k)]
        notes: list[str] = []
        present = [c for c in dict.fromkeys(codes.tolist())]
        seated_pop = 0.0
        seated_seats = 0
        unseated: list[str] = []
        for code in present:
            units = (codes == code) & (a >= 0)
            if code not in self.general:
                unseated.append(code)
                continue
            region_pop = np.bincount(a[units], weights=pop[units], minlength=k)
            seats = int(self.general[code])
            seated_pop += float(region_pop.sum())
            seated_seats += seats
            if region_pop.sum() <= 0:
                notes.append(f"{name(code)}: no residents in the plan's regions; "
                             f"its {seats} general seats are not carried over")
                continue
            r = apportion(np.rint(region_pop).astype(np.int64), seats, method="sainte-lague",
                          rng=np.random.default_rng(0))
            general += r.seats
            if r.ties:
                notes.append(f"{name(code)}: {r.ties[0].describe()}")
            for comm, n in self.quotas.get(code, {}).items():
                if comm not in territory.communities:
                    notes.append(f"{name(code)}: {n} {comm} quota seat(s) not filled "
                                 f"(the territory has no community {comm!r})")
                    continue
                j = territory.community_index(comm)
                cpop = np.bincount(a[units], weights=table[units, j], minlength=k)
                if cpop.max() <= 0:
                    notes.append(f"{name(code)}: {n} {comm} quota seat(s) not filled "
                                 f"(no {comm} residents on census {census})")
                    continue
                best = int(np.argmax(cpop))
                reserved[best][comm] = reserved[best].get(comm, 0) + int(n)
        if unseated:
            rps = self.residents_per_seat
            if rps is None:
                if seated_seats == 0:
                    raise InputDataError(
                        f"no admin unit of the territory has a council in the table "
                        f"({', '.join(unseated[:5])} are missing)",
                        hint="give residents_per_seat for them")
                rps = seated_pop / seated_seats
            units = np.isin(codes, unseated) & (a >= 0)
            region_pop = np.bincount(a[units], weights=pop[units], minlength=k)
            extra = np.floor(region_pop / rps + 0.5).astype(np.int64)
            general += extra
            notes.append(
                f"{', '.join(name(c) for c in unseated)}: no council in the table; "
                f"general seats at one per {rps:,.0f} residents (assumption)")
        return general, reserved, notes


def read_admin_councils(councils_csv: str | Path, quotas_csv: str | Path | None = None, *,
                        level: str = "governorate", code_col: str = "governorate_pcode",
                        name_col: str = "governorate") -> AdminCouncils:
    """Read an admin-level council table (``general_seats`` per code) and its quota seats.

    The quota table has one row per admin code and community with a ``seats`` column.
    """
    src = str(councils_csv)
    df = pd.read_csv(councils_csv, dtype={code_col: str})
    for col in (code_col, "general_seats"):
        if col not in df.columns:
            raise InputDataError(f"missing column {col!r}", source=src,
                                 hint=f"columns found: {list(df.columns)}")
    if df[code_col].duplicated().any():
        raise InputDataError(f"duplicate codes {df[code_col][df[code_col].duplicated()].tolist()}",
                             source=src)
    general = {str(c): int(s) for c, s in zip(df[code_col], df["general_seats"], strict=True)}
    names = ({str(c): str(n) for c, n in zip(df[code_col], df[name_col], strict=True)}
             if name_col in df.columns else {})
    quotas: dict[str, dict[str, int]] = {}
    if quotas_csv is not None:
        q = pd.read_csv(quotas_csv, dtype={code_col: str})
        for _, row in q.iterrows():
            quotas.setdefault(str(row[code_col]), {})[str(row["community"])] = int(row["seats"])
    return AdminCouncils(level=level, general=general, quotas=quotas, names=names)


@dataclass(frozen=True)
class CouncilRules:
    """How councils are sized and elected (all data, no code).

    Parameters
    ----------
    method, first_divisor, threshold, threshold_exempt
        The apportionment rule (see :func:`dayafter.councils.apportion`); the default is
        Iraq's 2023 rule, Sainte-Laguë with first divisor 1.7 and no threshold.
        ``threshold_exempt`` names communities whose lists are exempt.
    size
        Council size of every region (reserved seats included).
    sizes
        Council size by region name (overrides ``size``).
    residents_per_seat, min_size
        One seat per ``residents_per_seat`` residents (rounded half up), at least ``min_size``,
        for regions without a fixed size (Iraq's constitution: one per 100,000 for parliament).
        ``min_size`` also applies to regions with residents sized from ``admin``.
    reserved
        Reserved seats by region name: ``{"Nineveh Plains": {"christian": 1}}``.
    reserved_default
        Reserved seats of every region not named in ``reserved``.
    admin
        Carry sizes and reserved seats over from an admin-level table (used for regions without
        ``sizes``; its reserved seats are added to ``reserved``).
    voting
        The voting model.
    name, sources
        Label and source ids.
    """

    method: str = "sainte-lague"
    first_divisor: float | str | None = "1.7"
    threshold: float | str | None = None
    threshold_exempt: tuple[str, ...] = ()
    size: int | None = None
    sizes: Mapping[str, int] = field(default_factory=dict)
    residents_per_seat: float | None = None
    min_size: int = 1
    reserved: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    reserved_default: Mapping[str, int] = field(default_factory=dict)
    admin: AdminCouncils | None = None
    voting: VotingModel = field(default_factory=VotingModel)
    name: str = ""
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        m = normalize_method(self.method)
        object.__setattr__(self, "method", m)
        if self.first_divisor is not None and m != "sainte-lague":
            object.__setattr__(self, "first_divisor", None)
        if self.size is None and not self.sizes and self.residents_per_seat is None \
                and self.admin is None:
            raise ConfigError(
                "council rules need a size: size, sizes by region, residents_per_seat or an "
                "admin table", hint="e.g. CouncilRules(size=29) or residents_per_seat=100000")
        if self.size is not None and not 0 <= self.size <= MAX_SEATS:
            raise ConfigError(f"council size must lie in 0..{MAX_SEATS:,}, got {self.size:,}",
                              hint="give the number of seats, e.g. size 25")
        for nm, n in self.sizes.items():
            if not 0 <= int(n) <= MAX_SEATS:
                raise ConfigError(f"council size of {nm!r} must lie in 0..{MAX_SEATS:,}, got {n}",
                                  hint="give the number of seats of each region")
        if self.residents_per_seat is not None and not (self.residents_per_seat > 0
                                                        and np.isfinite(self.residents_per_seat)):
            raise ConfigError(f"residents_per_seat must be a positive number, got {self.residents_per_seat}",
                              hint="e.g. residents_per_seat 100000 (one seat per 100,000 residents)")

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any], *, source: str = "",
                  admin: AdminCouncils | None = None) -> CouncilRules:
        """Rules from a plain mapping (a JSON or YAML file).

        Keys: ``method, first_divisor, threshold, threshold_exempt, size, sizes,
        residents_per_seat, min_size, reserved, reserved_default, voting {adult_share,
        turnout}, name, sources``. Unknown keys raise :class:`~dayafter.errors.ConfigError`.
        """
        allowed = {"method", "first_divisor", "threshold", "threshold_exempt", "size", "sizes",
                   "residents_per_seat", "min_size", "reserved", "reserved_default", "voting",
                   "name", "sources", "title", "notes"}
        unknown = sorted(set(spec) - allowed)
        if unknown:
            raise ConfigError(f"unknown keys in council rules: {unknown}", source=source,
                              hint=f"use some of {sorted(allowed - {'title', 'notes'})}")
        kw: dict[str, Any] = {k: spec[k] for k in allowed - {"voting", "title", "notes"}
                              if k in spec and spec[k] is not None}
        for key in ("threshold_exempt", "sources"):
            if key in kw:
                kw[key] = tuple(str(x) for x in kw[key])
        if "voting" in spec:
            v = dict(spec["voting"] or {})
            bad = sorted(set(v) - {"adult_share", "turnout", "notes"})
            if bad:
                raise ConfigError(f"unknown keys in voting: {bad}", source=source,
                                  hint="use adult_share and turnout")
            kw["voting"] = VotingModel(adult_share=v.get("adult_share", DEFAULT_ADULT_SHARE),
                                       turnout=v.get("turnout", DEFAULT_TURNOUT))
        if admin is not None:
            kw["admin"] = admin
        try:
            return cls(**kw)
        except ConfigError as exc:
            raise ConfigError(exc.message, hint=exc.hint, source=source) from None
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bad council rules: {exc}", source=source) from None

    def to_dict(self) -> dict[str, Any]:
        """Plain form for manifests and JSON output."""
        return {
            "name": self.name, "method": self.method,
            "first_divisor": None if self.first_divisor is None else str(Fraction(str(self.first_divisor))),
            "threshold": self.threshold, "size": self.size, "sizes": dict(self.sizes),
            "residents_per_seat": self.residents_per_seat, "min_size": self.min_size,
            "reserved": {k: dict(v) for k, v in self.reserved.items()},
            "reserved_default": dict(self.reserved_default),
            "admin_level": self.admin.level if self.admin else None,
            "adult_share": self.voting.adult_share, "turnout": self.voting.turnout,
            "sources": list(self.sources),
        }


@dataclass(frozen=True, eq=False)
class CouncilSimulation:
    """Councils of every region of a plan, for every census.

    Attributes
    ----------
    seats
        Tidy table, one row per census x region x community: ``census, region, region_name,
        authority, community, population, votes, general, reserved, seats, pop_share,
        vote_share, seat_share``.
    regions
        One row per census x region (polity): ``council_size, general_seats, reserved_seats,
        gallagher, loosemore_hanby, enp_votes, enp_seats, largest_community, majority, ties``,
        ``authority`` (the polity's) and ``control`` (units held by each authority, e.g.
        ``"federal 20, krg 8"``).
    lists
        One row per census x region x list: ``list, community, race, votes, general,
        reserved, seats`` (with the voting model, one list per community).
    vote_source
        ``"model"`` (voting model) or ``"table"`` (a vote table per region).
    notes
        Per census: what was assumed or could not be filled.
    results
        Per census: the :class:`Apportionment` of the general seats of each region (``None``
        for regions without voters); reserved seats are in ``seats``.
    """

    plan_name: str
    communities: tuple[str, ...]
    region_names: tuple[str, ...]
    seats: pd.DataFrame
    regions: pd.DataFrame
    notes: Mapping[str, tuple[str, ...]]
    results: Mapping[str, tuple[Apportionment | None, ...]]
    rules: CouncilRules
    lists: pd.DataFrame = field(default_factory=pd.DataFrame)
    vote_source: str = "model"

    def seats_table(self, census: str) -> NDArray[np.int64]:
        """``int64[k, g]`` seats per region x community on ``census``."""
        d = self.seats[self.seats["census"] == census]
        k, g = len(self.region_names), len(self.communities)
        out: NDArray[np.int64] = d["seats"].to_numpy(dtype=np.int64).reshape(k, g)
        return out

    def totals(self) -> pd.DataFrame:
        """Seats and population per census x community summed over regions, with shares."""
        d = self.seats.groupby(["census", "community"], sort=False)[["population", "seats"]].sum()
        d = d.reset_index()
        for col, new in (("population", "pop_share"), ("seats", "seat_share")):
            tot = d.groupby("census")[col].transform("sum")
            d[new] = np.where(tot > 0, d[col] / tot.where(tot > 0, 1.0), 0.0)
        return d

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "plan": self.plan_name,
            "rules": self.rules.to_dict(),
            "seats": self.seats.to_dict(orient="records"),
            "regions": self.regions.to_dict(orient="records"),
            "lists": self.lists.to_dict(orient="records"),
            "vote_source": self.vote_source,
            "totals": self.totals().to_dict(orient="records"),
            "notes": {k: list(v) for k, v in self.notes.items()},
        }


def _council_sizes(rules: CouncilRules, names: Sequence[str], pop: NDArray[np.float64],
                   admin_general: NDArray[np.int64] | None,
                   reserved: list[dict[str, int]]) -> NDArray[np.int64]:
    k = len(names)
    out = np.zeros(k, dtype=np.int64)
    unknown = sorted(set(rules.sizes) - set(names))
    if unknown:
        raise ConfigError(f"council sizes name regions the plan does not have: {unknown}",
                          hint=f"use region names from {list(names)}")
    for j, nm in enumerate(names):
        if nm in rules.sizes:
            out[j] = int(rules.sizes[nm])
        elif admin_general is not None:
            out[j] = int(admin_general[j]) + sum(reserved[j].values())
            if pop[j] > 0:
                out[j] = max(out[j], int(rules.min_size))
        elif rules.size is not None:
            out[j] = int(rules.size)
        elif rules.residents_per_seat is not None:
            size = float(np.floor(pop[j] / rules.residents_per_seat + 0.5))
            if not size <= MAX_SEATS:  # also catches inf
                raise ConfigError(
                    f"region {nm!r} would have a council of {size:,.0f} seats ({pop[j]:,.0f} residents at "
                    f"one seat per {rules.residents_per_seat:g}), more than the {MAX_SEATS:,} dayafter "
                    "apportions", hint="raise residents_per_seat or give a fixed council size")
            out[j] = max(int(rules.min_size), int(size))
        else:  # pragma: no cover - excluded by CouncilRules.__post_init__
            raise ConfigError(f"no council size for region {nm!r}")
        if out[j] > MAX_SEATS:
            raise ConfigError(
                f"region {nm!r} would have a council of {out[j]:,} seats, more than the {MAX_SEATS:,} "
                "dayafter apportions", hint="raise residents_per_seat or give a fixed council size")
    return out


def simulate_councils(
    territory: Territory,
    plan: Plan,
    *,
    rules: CouncilRules,
    census: str | Sequence[str] | None = None,
    votes: pd.DataFrame | None = None,
    votes_source: str = "",
    rng: np.random.Generator | None = None,
) -> CouncilSimulation:
    """Simulate the council of every region of ``plan`` on every census (or those named).

    Parameters
    ----------
    territory, plan
        The plan must belong to the territory; units with region ``-1`` are ignored.
    rules
        Council sizes, the apportionment rule, reserved seats and the voting model.
    census
        One census, several, or ``None`` for all.
    votes
        A vote table per region instead of the voting model: columns ``region`` (region name),
        ``list``, ``votes``, ``community`` and optionally ``race`` (the reserved race a list
        runs in). Council sizes still follow ``rules`` on each census; regions absent from the
        table take their votes from the voting model (noted).
    votes_source
        Name of the vote table for error messages.
    rng
        Breaks ties at the last seats by lot (reported); without it ties stay undecided and the
        region's ``ties`` column says so.

    Returns
    -------
    CouncilSimulation

    Notes
    -----
    Under the voting model each community is one list and votes only for it; a reserved seat
    goes to its community when the community lives in the region (otherwise it returns to the
    general seats, with a note). With a vote table, a reserved seat goes to the most-voted list
    of its race, and community seats are the sums over each community's lists. Real quota races are open to every voter and can be captured by large parties
    ([E26] in the rules file), so the reserved seats are an upper bound of minority
    representation under this model. ``O(censuses x k x S x g)``.
    """
    plan.check_territory(territory)
    if census is None:
        cens = list(territory.census_names)
    elif isinstance(census, str):
        cens = [census]
    else:
        cens = list(census)
    comms = territory.communities
    names = tuple(plan.region_names)
    unknown = sorted(set(rules.reserved) - set(names))
    if unknown:
        raise ConfigError(f"reserved seats name regions the plan does not have: {unknown}",
                          hint=f"use region names from {list(names)}")
    bad = sorted({c for res in [*rules.reserved.values(), rules.reserved_default]
                  for c in res} - set(comms))
    if bad:
        raise ConfigError(f"reserved seats name unknown communities {bad}",
                          hint=f"use some of {list(comms)}")
    bad_ex = sorted(set(rules.threshold_exempt) - set(comms))
    if bad_ex:
        raise ConfigError(f"threshold exemptions name unknown communities {bad_ex}")
    a = plan.assignment
    k, g = plan.k, len(comms)
    control_text = [", ".join(f"{lab} {n}" for lab, n in row.items())
                    for row in plan.control_by_region()]
    seat_rows: list[dict[str, Any]] = []
    region_rows: list[dict[str, Any]] = []
    list_rows: list[dict[str, Any]] = []
    table_votes = None if votes is None else _read_vote_table(votes, names, comms, source=votes_source)
    notes: dict[str, tuple[str, ...]] = {}
    results: dict[str, tuple[Apportionment | None, ...]] = {}
    for cname in cens:
        table = territory.census(cname)
        m = a >= 0
        P = np.zeros((k, g))
        for j in range(g):
            P[:, j] = np.bincount(a[m], weights=table[m, j], minlength=k)
        pop = P.sum(axis=1)
        model_votes = rules.voting.votes(P, comms)
        cnotes: list[str] = []
        reserved: list[dict[str, int]] = [
            dict(rules.reserved.get(nm, rules.reserved_default)) for nm in names]
        admin_general = None
        if rules.admin is not None:
            admin_general, admin_res, admin_notes = rules.admin.derive(territory, plan, cname)
            cnotes.extend(admin_notes)
            for j in range(k):
                if names[j] in rules.reserved:
                    continue
                for comm, n in admin_res[j].items():
                    reserved[j][comm] = reserved[j].get(comm, 0) + n
        sizes = _council_sizes(rules, names, pop, admin_general, reserved)
        res_list: list[Apportionment | None] = []
        for j in range(k):
            if table_votes is not None and j not in table_votes:
                cnotes.append(f"{names[j]}: not in the vote table; votes from the voting model")
            el = _elect_region(
                j, names[j], cname, comms, rules, int(sizes[j]), reserved[j], model_votes[j],
                None if table_votes is None else table_votes.get(j), rng)
            cnotes.extend(el["notes"])
            res_list.append(el["result"])
            gen, rsv, vc = el["general"], el["reserved"], el["votes"]
            st = gen + rsv
            vs = vc / vc.sum() if vc.sum() > 0 else np.zeros(g)
            ss = st / st.sum() if st.sum() > 0 else np.zeros(g)
            ps = P[j] / pop[j] if pop[j] > 0 else np.zeros(g)
            for c in range(g):
                seat_rows.append({
                    "census": cname, "region": j, "region_name": names[j],
                    "authority": plan.regions[j].authority, "community": comms[c],
                    "population": float(P[j, c]), "votes": int(vc[c]),
                    "general": int(gen[c]), "reserved": int(rsv[c]), "seats": int(st[c]),
                    "pop_share": float(ps[c]), "vote_share": float(vs[c]),
                    "seat_share": float(ss[c]),
                })
            for rec in el["lists"]:
                list_rows.append({"census": cname, "region": j, "region_name": names[j], **rec})
            top = int(np.argmax(st)) if st.sum() > 0 else -1
            region_rows.append({
                "census": cname, "region": j, "region_name": names[j],
                "population": float(pop[j]), "council_size": int(sizes[j]),
                "general_seats": int(gen.sum()), "reserved_seats": int(rsv.sum()),
                "gallagher": float(gallagher(vc, st)) if st.sum() else float("nan"),
                "loosemore_hanby": float(loosemore_hanby(vc, st)) if st.sum() else float("nan"),
                "enp_votes": float(effective_number(vc)),
                "enp_seats": float(effective_number(st)),
                "largest_community": comms[top] if top >= 0 else "",
                "majority": bool(top >= 0 and 2 * st[top] > st.sum()),
                "ties": el["ties"],
                "authority": plan.regions[j].authority, "control": control_text[j],
            })
        notes[cname] = tuple(cnotes)
        results[cname] = tuple(res_list)
    return CouncilSimulation(
        plan_name=plan.name, communities=comms, region_names=names,
        seats=pd.DataFrame(seat_rows), regions=pd.DataFrame(region_rows),
        lists=pd.DataFrame(list_rows), notes=notes, results=results, rules=rules,
        vote_source="table" if votes is not None else "model")


_VoteRows = dict[int, dict[str, list[Any]]]


def _read_vote_table(df: pd.DataFrame, names: Sequence[str], comms: Sequence[str], *,
                     source: str = "") -> _VoteRows:
    """Group a region x list vote table by region index, validating every row."""
    cols = {str(c).strip().lower(): c for c in df.columns}
    missing = [c for c in ("region", "list", "votes", "community") if c not in cols]
    if missing:
        raise InputDataError(f"the vote table has no column(s) {missing} (found {list(df.columns)})",
                             source=source, hint="use columns region,list,votes,community[,race]")
    if len(df) == 0:
        raise InputDataError("the vote table is empty", source=source,
                             hint="give one row per region and list")
    index = {nm: j for j, nm in enumerate(names)}
    out: _VoteRows = {}
    seen: set[tuple[str, str]] = set()
    for pos, row in enumerate(df.itertuples(index=False)):
        rec = dict(zip(df.columns, row, strict=True))
        where = f"data row {pos + 1}"
        region = str(rec[cols["region"]]).strip()
        name = str(rec[cols["list"]]).strip()
        comm = "" if pd.isna(rec[cols["community"]]) else str(rec[cols["community"]]).strip()
        race = ""
        if "race" in cols and not pd.isna(rec[cols["race"]]):
            race = str(rec[cols["race"]]).strip()
        if region not in index:
            raise InputDataError(f"{where}: region {region!r} is not in the plan", source=source,
                                 hint=f"use region names from {list(names)[:8]}")
        if comm not in comms:
            raise InputDataError(f"{where}: community {comm!r} of list {name!r} is not a "
                                 "community of the territory", source=source,
                                 hint=f"use one of {list(comms)}")
        if race and race not in comms:
            raise InputDataError(f"{where}: race {race!r} is not a community of the territory",
                                 source=source, hint="a reserved race is named by its community")
        if (region, name) in seen:
            raise InputDataError(f"{where}: list {name!r} appears twice in region {region!r}",
                                 source=source, hint="give every list one row per region")
        seen.add((region, name))
        try:
            v = float(rec[cols["votes"]])
        except (TypeError, ValueError):
            raise InputDataError(f"{where} (list {name!r}): votes {rec[cols['votes']]!r} is not a "
                                 "number", source=source, hint="write plain vote counts") from None
        if not np.isfinite(v) or v < 0 or v != int(v):
            raise InputDataError(f"{where} (list {name!r}): votes must be a whole number >= 0, "
                                 f"got {rec[cols['votes']]!r}", source=source,
                                 hint="write whole, non-negative vote counts")
        d = out.setdefault(index[region], {"list": [], "votes": [], "community": [], "race": []})
        d["list"].append(name)
        d["votes"].append(int(v))
        d["community"].append(comm)
        d["race"].append(race)
    return out


def _elect_region(j: int, name: str, census: str, comms: Sequence[str], rules: CouncilRules,
                  size: int, reserved: Mapping[str, int], model_votes: NDArray[np.int64],
                  table: Mapping[str, list[Any]] | None,
                  rng: np.random.Generator | None) -> dict[str, Any]:
    """Elect one region's council from the voting model or from its rows of a vote table."""
    g = len(comms)
    notes: list[str] = []
    gen = np.zeros(g, dtype=np.int64)
    rsv = np.zeros(g, dtype=np.int64)
    vc = np.zeros(g, dtype=np.int64)
    res_j = {c: int(n) for c, n in reserved.items() if int(n) > 0}
    src = f"region {name!r}, census {census!r}"
    if table is None and _no_votes(model_votes):
        if size > 0:
            notes.append(f"{name}: no voters; its {size} seats are not filled")
        return {"result": None, "general": gen, "reserved": rsv, "votes": vc, "lists": [],
                "ties": "", "notes": notes}
    if table is not None:
        lists, vv = list(table["list"]), list(table["votes"])
        lcomm, race = list(table["community"]), list(table["race"])
        present = {r for r in race if r}
    else:
        lists, vv, lcomm, race = list(comms), model_votes.tolist(), list(comms), [""] * g
        present = {c for c in comms if model_votes[comms.index(c)] > 0}
    for c in list(res_j):
        if c not in present:
            why = ("no list runs in its race" if table is not None
                   else f"no {c} voters in the region")
            notes.append(f"{name}: {res_j[c]} reserved {c} seat(s) returned to the general "
                         f"seats ({why})")
            del res_j[c]
    if table is not None:
        stray = sorted({r for r in race if r and r not in res_j})
        if stray:
            notes.append(f"{name}: lists in races {stray} dropped (no reserved seats for them)")
            keep = [i for i, r in enumerate(race) if not (r and r not in res_j)]
            lists = [lists[i] for i in keep]
            vv = [vv[i] for i in keep]
            lcomm = [lcomm[i] for i in keep]
            race = [race[i] for i in keep]
    n_res = sum(res_j.values())
    if size > 0 and n_res > size:
        raise ConfigError(f"region {name!r} has {n_res} reserved seats but a council of {size}",
                          hint="enlarge the council or reduce the reserved seats")
    general_votes = sum(v for v, r in zip(vv, race, strict=True) if not r)
    if size == 0 or not lists or (general_votes == 0 and n_res == 0):
        if size > 0:
            notes.append(f"{name}: no votes; its {size} seats are not filled")
        return {"result": None, "general": gen, "reserved": rsv, "votes": vc, "lists": [],
                "ties": "", "notes": notes}
    if table is None:
        # one list per community; the community's reserved seats are its quota race, which
        # only its own list contests under this model
        for c, n in res_j.items():
            rsv[comms.index(c)] += n
        r = apportion(vv, size - n_res, method=rules.method, first_divisor=rules.first_divisor,
                      threshold=rules.threshold, threshold_exempt=list(rules.threshold_exempt),
                      lists=lists, communities=lcomm, rng=rng, source=src)
        gen = r.general.copy()
        vc = np.asarray(vv, dtype=np.int64)
        recs = [{**x, "reserved": int(rsv[i]), "seats": int(x["seats"] + rsv[i])}
                for i, x in enumerate(r.to_records())]
    else:
        exempt = [lists[i] for i in range(len(lists)) if lcomm[i] in rules.threshold_exempt]
        r = apportion(vv, size, method=rules.method, first_divisor=rules.first_divisor,
                      threshold=rules.threshold, threshold_exempt=exempt, lists=lists,
                      communities=lcomm, races=race, reserved=res_j, rng=rng, source=src)
        for i, c in enumerate(lcomm):
            ci = comms.index(c)
            gen[ci] += r.general[i]
            rsv[ci] += r.reserved[i]
            if not race[i]:
                vc[ci] += r.votes[i]
        recs = r.to_records()
    return {"result": r, "general": gen, "reserved": rsv, "votes": vc, "lists": recs,
            "ties": "; ".join(t.describe() for t in r.ties), "notes": notes}


def _no_votes(model_votes: NDArray[np.int64]) -> bool:
    """True when the voting model gives a region no votes at all."""
    return bool(model_votes.sum() <= 0)
