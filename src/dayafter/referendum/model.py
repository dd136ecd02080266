"""Voting assumptions and eligibility rules of a status referendum.

A status referendum asks each area to choose one of three options: join the Kurdistan Region
(``krg``), stay federal (``federal``) or self-administer (``self-administered``). Votes are

.. math::

    V_{a,o} = \\sum_{i \\in a} \\sum_g E_{i,g}\\, \\alpha\\, \\tau_g\\, s_{g,o}

with ``E`` the eligible people of unit ``i`` and community ``g`` (an eligibility rule below),
``alpha`` the share of voting age, ``tau_g`` the turnout and ``s_{g,o}`` the share of the
community's voters choosing option ``o``. Every ``tau_g`` and ``s_{g,o}`` is an
:class:`~dayafter._ranges.Estimate`; draws take each from a triangular distribution on its range
and then divide each community's option shares by their sum (so they sum to one).

Eligibility rules (:data:`ELIGIBILITY`):

``residents``
    Everyone counted by the census used (on a projected census after returns, this counts the
    returnees: the "returnees" electorate).
``origin``
    Everyone votes in the unit they lived in before displacement: the baseline grown to the
    census's total (displaced people vote at home, hosted displaced people do not vote where
    they live).
``normalised``
    Article 140's normalisation: the ``origin`` electorate, minus the settlers brought in by
    Arabization-era decrees who are to return to their places of origin, plus the people those
    decrees expelled who regain their vote at home, from a :class:`Normalisation` table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from dayafter._ranges import Estimate
from dayafter.errors import ConfigError, InputDataError

if TYPE_CHECKING:
    from dayafter.territory import Territory

__all__ = ["ELIGIBILITY", "OPTIONS", "OPTION_LABELS", "Normalisation", "NormalisationRow",
           "VoteArrays", "VotingModel", "electorate"]

OPTIONS = ("krg", "federal", "self-administered")
"""The options of the status referendum, in tie-break order."""

OPTION_LABELS: Mapping[str, str] = MappingProxyType({
    "krg": "join the Kurdistan Region", "federal": "stay federal",
    "self-administered": "self-administer"})

ELIGIBILITY = ("residents", "origin", "normalised")
"""Eligibility rules (see the module notes)."""


class VoteArrays(NamedTuple):
    """Voting parameters with a leading draws axis ``d`` (``d = 1``: central values)."""

    shares: NDArray[np.float64]
    """``[d, g, o]`` option shares of each community's voters (rows sum to 1)."""
    turnout: NDArray[np.float64]
    """``[d, g]`` turnout of each community's voting-age people."""
    adult_share: NDArray[np.float64]
    """``[d]`` share of the eligible people of voting age."""


@dataclass(frozen=True)
class VotingModel:
    """Turnout and vote shares by community, with ranges and sources.

    Parameters
    ----------
    communities
        Community keys.
    options
        Option keys (default :data:`OPTIONS`), in tie-break order.
    shares
        ``shares[g][o]``: the share of community ``g``'s voters choosing option ``o``; the
        central values of each community sum to 1.
    turnout
        Per community, the share of its voting-age people who vote.
    adult_share
        Share of the population of voting age.
    sources, name, notes
        Source id to citation; label; free text.
    """

    communities: tuple[str, ...]
    shares: tuple[tuple[Estimate, ...], ...]
    turnout: tuple[Estimate, ...]
    adult_share: Estimate
    options: tuple[str, ...] = OPTIONS
    sources: Mapping[str, str] = field(default_factory=dict)
    name: str = ""
    notes: str = ""

    def __post_init__(self) -> None:
        g, o = len(self.communities), len(self.options)
        if g == 0 or len(set(self.communities)) != g:
            raise ConfigError(f"a voting model needs distinct communities, got {self.communities}",
                              hint="list each community once")
        if o < 2 or len(set(self.options)) != o:
            raise ConfigError(f"a referendum needs at least two distinct options, got {self.options}",
                              hint="use e.g. krg, federal, self-administered")
        if len(self.shares) != g or any(len(r) != o for r in self.shares) or len(self.turnout) != g:
            raise ConfigError("the voting model needs one share per community and option and one "
                              "turnout per community",
                              hint="give a share for every option and a turnout for every community")
        for comm, row, tau in zip(self.communities, self.shares, self.turnout, strict=True):
            if any(e.low < 0 or e.high > 1 for e in row):
                raise InputDataError(f"community {comm!r}: vote shares must lie in [0, 1]",
                                     hint="write shares between 0 and 1")
            total = sum(e.value for e in row)
            if abs(total - 1.0) > 1e-6:
                raise InputDataError(f"community {comm!r}: the vote shares sum to {total:.4g}, not 1",
                                     hint="make each community's shares add up to 1")
            if tau.low < 0 or tau.high > 1:
                raise InputDataError(f"community {comm!r}: turnout must lie in [0, 1]",
                                     hint="write a share between 0 and 1")
        if not 0 <= self.adult_share.low <= self.adult_share.high <= 1:
            raise InputDataError("the voting-age share must lie in [0, 1]",
                                 hint="write a share between 0 and 1")
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))

    def for_communities(self, communities: Sequence[str]) -> VotingModel:
        """The model reordered to ``communities`` (a territory's column order)."""
        communities = tuple(communities)
        if communities == self.communities:
            return self
        missing = [c for c in communities if c not in self.communities]
        if missing:
            raise InputDataError(f"the voting model has no shares for communities {missing}",
                                 hint="add rows for them to the vote shares table")
        idx = [self.communities.index(c) for c in communities]
        from dataclasses import replace

        return replace(self, communities=communities,
                       shares=tuple(self.shares[i] for i in idx),
                       turnout=tuple(self.turnout[i] for i in idx))

    def arrays(self, rng: np.random.Generator | None = None, draws: int = 0) -> VoteArrays:
        """Central values (``draws=0``) or ``draws`` draws of every parameter (see module notes)."""
        if draws < 0:
            raise ConfigError(f"draws must be >= 0, got {draws}",
                              hint="pass draws=0 for the central values")
        if draws and rng is None:
            raise ConfigError("draws need a random generator (rng)",
                              hint="pass rng=np.random.default_rng(seed)")
        d = max(draws, 1)

        def col(e: Estimate) -> NDArray[np.float64]:
            if not draws:
                return np.full(1, float(e.value))
            assert rng is not None
            return e.draw(rng, d)

        g, o = len(self.communities), len(self.options)
        s = np.empty((d, g, o))
        for j, row in enumerate(self.shares):
            for k, e in enumerate(row):
                s[:, j, k] = col(e)
        tot = s.sum(axis=2, keepdims=True)
        s = np.divide(s, tot, out=np.full_like(s, 1.0 / o), where=tot > 0)
        tau = np.stack([col(e) for e in self.turnout], axis=1).reshape(d, g)
        return VoteArrays(s, tau, col(self.adult_share))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {"name": self.name, "notes": self.notes, "options": list(self.options),
                "adult_share": self.adult_share.to_dict(),
                "communities": [{"community": c, "turnout": t.to_dict(),
                                 "shares": {o: e.to_dict() for o, e in zip(self.options, row,
                                                                            strict=True)}}
                                for c, t, row in zip(self.communities, self.turnout, self.shares,
                                                     strict=True)],
                "sources": dict(self.sources)}


@dataclass(frozen=True)
class NormalisationRow:
    """One adjustment of the electorate under Article 140 normalisation.

    Parameters
    ----------
    level, area
        Admin level (``"governorate"``, ``"district"`` or ``"unit"``) and the admin code (or
        unit id) it applies to.
    community
        The community concerned.
    change
        People added (expellees regaining their vote, positive) or removed (settlers to be
        relocated, negative), with a range.
    label
        What the row is (``"expellees"``, ``"settlers"``).
    """

    level: str
    area: str
    community: str
    change: Estimate
    label: str = ""


@dataclass(frozen=True)
class Normalisation:
    """Article 140 adjustments of the electorate (see :data:`ELIGIBILITY`).

    Each row's change is spread over the units of its area in proportion to the community's
    people in the ``origin`` electorate (equally when the area has none of them); removals are
    capped so that no unit's electorate becomes negative.
    """

    rows: tuple[NormalisationRow, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)
    notes: str = ""

    def delta(self, territory: Territory, base: NDArray[np.float64],
              rng: np.random.Generator | None = None, draws: int = 0) -> NDArray[np.float64]:
        """The change of the electorate, ``[d, n, g]`` (``d = 1`` for central values).

        Parameters
        ----------
        territory
            The territory (admin codes, communities).
        base
            ``[..., n, g]`` origin electorate the changes are spread over.
        rng, draws
            As :meth:`VotingModel.arrays`.
        """
        d = max(draws, 1)
        B = np.asarray(base, dtype=np.float64)
        B = B[None] if B.ndim == 2 else B
        dd = max(B.shape[0], d)
        if B.shape[0] not in (1, dd) or d not in (1, dd):
            raise ConfigError(f"{B.shape[0]} electorate draws do not match {d} normalisation draws",
                              hint="use as many census draws as parameter draws")
        out = np.zeros((dd, territory.n_units, territory.n_communities))
        for r in self.rows:
            if r.level == "unit":
                members = territory.index([r.area], source="normalisation table")
            else:
                if r.level not in territory.admin:
                    raise InputDataError(f"normalisation row for {r.area!r}: unknown admin level "
                                         f"{r.level!r}", hint=f"use unit or one of {list(territory.admin)}")
                members = np.flatnonzero(territory.admin[r.level] == r.area)
                if members.size == 0:
                    raise InputDataError(f"normalisation row: no unit has {r.level} {r.area!r}",
                                         hint="check the admin code")
            j = territory.community_index(r.community)
            if draws:
                assert rng is not None
                amount = r.change.draw(rng, d)
            else:
                amount = np.full(1, r.change.value)
            w = B[:, members, j]
            tot = w.sum(axis=1, keepdims=True)
            share = np.divide(w, tot, out=np.full_like(w, 1.0 / members.size), where=tot > 0)
            out[:, members, j] += amount[:, None] * share
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {"notes": self.notes, "sources": dict(self.sources),
                "rows": [{"level": r.level, "area": r.area, "community": r.community,
                          "label": r.label, "change": r.change.to_dict()} for r in self.rows]}


def electorate(rule: str, territory: Territory, census: NDArray[np.float64], *,
               baseline: NDArray[np.float64] | None = None,
               normalisation: Normalisation | None = None,
               rng: np.random.Generator | None = None, draws: int = 0) -> NDArray[np.float64]:
    """Eligible people ``[..., n, g]`` under an eligibility rule (see :data:`ELIGIBILITY`).

    Parameters
    ----------
    rule
        ``residents``, ``origin`` or ``normalised``.
    territory
        The territory.
    census
        ``[..., n, g]`` the census the referendum is held on (leading draws axes allowed).
    baseline
        ``[..., n, g]`` pre-displacement census (needed by ``origin`` and ``normalised``).
    normalisation
        Article 140 adjustments (needed by ``normalised``).
    rng, draws
        Draws of the normalisation figures (``normalised`` only).

    Examples
    --------
    >>> import numpy as np
    >>> from dayafter.testing.grids import grid_territory
    >>> t = grid_territory(1, 2, communities=np.array([[5.0, 5.0], [5.0, 5.0]]))
    >>> now = np.array([[2.0, 8.0], [8.0, 6.0]])
    >>> electorate("origin", t, now, baseline=np.array([[8.0, 4.0], [4.0, 8.0]])).tolist()
    [[8.0, 4.0], [4.0, 8.0]]
    """
    C = np.asarray(census, dtype=np.float64)
    if rule not in ELIGIBILITY:
        raise ConfigError(f"unknown eligibility rule {rule!r}", hint=f"use one of {list(ELIGIBILITY)}")
    if rule == "residents":
        return C
    if baseline is None:
        raise ConfigError(f"eligibility rule {rule!r} needs the baseline census",
                          hint="pass baseline= (the pre-displacement census)")
    B = np.asarray(baseline, dtype=np.float64)
    tb = B.sum(axis=(-2, -1), keepdims=True)
    tc = C.sum(axis=(-2, -1), keepdims=True)
    # the baseline grown to the census's total: its shares times that total (no overflow)
    share = np.divide(B, tb, out=np.zeros(np.broadcast(B, tb).shape), where=tb > 0)
    E = np.where(tb > 0, share * tc, B)
    if rule == "origin":
        return E
    if normalisation is None:
        raise ConfigError("eligibility rule 'normalised' needs a normalisation table",
                          hint="pass the case's referendum/normalisation.csv or --normalisation")
    E3 = E if E.ndim == 3 else E[None]
    out = np.maximum(E3 + normalisation.delta(territory, E3, rng, draws), 0.0)
    return out[0] if E.ndim == 2 and out.shape[0] == 1 else out
