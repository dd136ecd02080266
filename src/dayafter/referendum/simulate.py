"""Simulate a status referendum by unit, district or governorate from any census.

The outcome of an area (all in-scope units of one admin unit, or one unit) follows
:func:`decide`:

- **plurality** (default): the option with the most votes wins;
- **majority**: an option needs more than half of the votes cast; otherwise the area keeps its
  status quo (the control of the reference plan), and without a status quo it has no decision
  (``-1``).

**Tie rule.** Options whose votes are equal (within ``1e-9`` of the votes cast) are tied. A tie
that includes the area's status quo option keeps the status quo; any other tie goes to the
option listed first in the model's options (``krg``, ``federal``, ``self-administered`` by
default). An area without votes keeps its status quo.

The status quo of an area is the control (see :func:`dayafter._control.unit_control`) of the
reference plan held over most of the area's eligible people; ``joint`` and ``contested``
control match no option, so such areas have none.

A unit is **pivotal** when its area's outcome changes if the unit's votes are left out. Over
draws, the probability of each option is the share of draws in which it wins. Everything is
vectorised over draws (census draws ``[d, n, g]`` and parameter draws).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dayafter._control import plan_with_control, unit_control
from dayafter.errors import ConfigError, InputDataError
from dayafter.referendum.model import (
    ELIGIBILITY,
    OPTION_LABELS,
    Normalisation,
    VoteArrays,
    VotingModel,
    electorate,
)

if TYPE_CHECKING:
    from dayafter.plan import Plan
    from dayafter.territory import Territory

__all__ = ["NO_DECISION", "RULES", "TIE_RULE", "ReferendumResult", "area_codes", "decide",
           "pivotal_units", "simulate_referendum", "tally_votes"]

RULES = ("plurality", "majority")
TIE_RULE = ("Options with equal votes (within 1e-9 of the votes cast) are tied; a tie that "
            "includes the area's status quo keeps the status quo, any other tie goes to the option "
            "listed first ({order}); an area without votes keeps its status quo.")
QUANTILES = (0.05, 0.5, 0.95)
NO_DECISION = "no decision"
"""The outcome of an area without votes and without a status quo (winner index -1)."""


def tally_votes(eligible: ArrayLike, params: VoteArrays) -> NDArray[np.float64]:
    """Votes per unit and option, ``[d, n, o]``.

    ``V[d, i, o] = sum_g E[d, i, g] * adult[d] * turnout[d, g] * shares[d, g, o]``.

    Parameters
    ----------
    eligible
        ``[n, g]`` or ``[d, n, g]`` eligible people.
    params
        :class:`~dayafter.referendum.model.VoteArrays` with ``d`` (or 1) rows.

    Examples
    --------
    >>> import numpy as np
    >>> from dayafter.referendum.model import VoteArrays
    >>> p = VoteArrays(np.array([[[1.0, 0.0], [0.25, 0.75]]]), np.array([[1.0, 0.5]]), np.array([1.0]))
    >>> tally_votes(np.array([[10.0, 8.0]]), p).tolist()
    [[[11.0, 3.0]]]
    """
    E = np.asarray(eligible, dtype=np.float64)
    E = E[None] if E.ndim == 2 else E
    w = params.turnout * params.adult_share[:, None]  # [d, g]
    if E.shape[0] != w.shape[0] and 1 not in (E.shape[0], w.shape[0]):
        raise ConfigError(f"{E.shape[0]} census draws do not match {w.shape[0]} parameter draws",
                          hint="use as many census draws as parameter draws")
    dw, ds = max(E.shape[0], w.shape[0]), max(E.shape[0], params.shares.shape[0])
    votes: NDArray[np.float64] = np.einsum(
        "dng,dg,dgo->dno", E, np.broadcast_to(w, (dw, w.shape[1])),
        np.broadcast_to(params.shares, (ds, *params.shares.shape[1:])), optimize=True)
    return votes


def decide(votes: ArrayLike, status_quo: ArrayLike, rule: str = "plurality") -> NDArray[np.int64]:
    """Winning option index of each area (``-1``: no decision), by the rule and the tie rule.

    Parameters
    ----------
    votes
        ``[..., k, o]`` votes per area and option.
    status_quo
        ``int[k]`` option index of each area's status quo (``-1``: none).
    rule
        ``plurality`` or ``majority`` (see the module notes).

    Examples
    --------
    A tie between options 0 and 1 goes to the status quo when it is tied, else to option 0:

    >>> decide([[5.0, 5.0, 1.0], [5.0, 5.0, 1.0], [2.0, 3.0, 3.0]], [1, 2, -1]).tolist()
    [1, 0, 1]
    >>> decide([[6.0, 5.0, 0.0], [4.0, 3.0, 3.0]], [1, 2], rule="majority").tolist()
    [0, 2]
    """
    if rule not in RULES:
        raise ConfigError(f"unknown decision rule {rule!r}", hint=f"use one of {list(RULES)}")
    V = np.asarray(votes, dtype=np.float64)
    sq = np.broadcast_to(np.asarray(status_quo, dtype=np.int64), V.shape[:-1])
    total = V.sum(axis=-1)
    tol = 1e-9 * np.maximum(total, 1.0)
    mx = V.max(axis=-1)
    tied = V >= (mx - tol)[..., None]
    first = np.argmax(tied, axis=-1)
    sq_clip = np.clip(sq, 0, V.shape[-1] - 1)
    sq_tied = (sq >= 0) & np.take_along_axis(tied, sq_clip[..., None], axis=-1)[..., 0]
    winner = np.where(sq_tied, sq, first)
    if rule == "majority":
        winner = np.where(mx > 0.5 * total + tol, winner, sq)
    return np.where(total > 0, winner, sq).astype(np.int64)


def area_codes(territory: Territory, level: str, scope: NDArray[np.bool_]
               ) -> tuple[NDArray[np.int64], list[str], list[str]]:
    """Area index per unit (``-1`` outside the scope), area codes and readable names.

    ``level`` is ``unit``, ``scope`` (all in-scope units vote as one area) or an admin level.
    """
    n = territory.n_units
    codes = np.full(n, -1, dtype=np.int64)
    idx = np.flatnonzero(scope)
    if level == "unit":
        codes[idx] = np.arange(idx.size)
        return codes, [str(territory.unit_ids[i]) for i in idx], \
            [territory.unit_label(int(i)) for i in idx]
    if level == "scope":
        codes[idx] = 0
        return codes, ["scope"], ["all units in scope"]
    if level not in territory.admin:
        raise ConfigError(f"unknown referendum level {level!r}",
                          hint=f"use unit, scope or one of {list(territory.admin)}")
    adm = territory.admin[level].astype(str)
    names = sorted(set(adm[idx].tolist()))
    look = {a: k for k, a in enumerate(names)}
    codes[idx] = [look[a] for a in adm[idx].tolist()]
    lab_key = f"{level}_en"
    labels = []
    for a in names:
        members = np.flatnonzero(adm == a)
        lab = territory.labels[lab_key][members[0]] if lab_key in territory.labels else ""
        text = f"{lab} ({a})" if lab else a
        inside = members[scope[members]]
        if inside.size < members.size:  # only part of the admin unit votes: say which
            text += ": " + ", ".join(territory.unit_label(int(i)) for i in inside[:3]) + \
                (" ..." if inside.size > 3 else "")
        labels.append(text)
    return codes, names, labels


def _area_sum(x: NDArray[np.float64], codes: NDArray[np.int64], k: int) -> NDArray[np.float64]:
    """Sum ``[d, n, m]`` over the units of each area: ``[d, k, m]`` (one matrix product)."""
    inside = codes >= 0
    onehot = np.zeros((codes.size, k))
    onehot[np.flatnonzero(inside), codes[inside]] = 1.0
    out: NDArray[np.float64] = np.einsum("dnm,nk->dkm", x, onehot, optimize=True)
    return out


def pivotal_units(votes: NDArray[np.float64], codes: NDArray[np.int64], area_votes: NDArray[np.float64],
                  winner: NDArray[np.int64], status_quo: NDArray[np.int64], rule: str
                  ) -> NDArray[np.bool_]:
    """``[d, n]``: whether leaving unit ``i``'s votes out changes its area's outcome.

    Units outside the scope and units that are alone in their area are never pivotal.
    """
    d, n, _ = votes.shape
    out = np.zeros((d, n), dtype=bool)
    inside = np.flatnonzero(codes >= 0)
    if inside.size == 0:
        return out
    c = codes[inside]
    sizes = np.bincount(c, minlength=area_votes.shape[1])
    without = area_votes[:, c, :] - votes[:, inside, :]
    w2 = decide(without, status_quo[c], rule)
    out[:, inside] = (w2 != winner[:, c]) & (sizes[c] > 1)[None, :]
    return out


@dataclass(frozen=True, eq=False)
class ReferendumResult:
    """Outcome of a referendum: per area votes, winner, margin and, over draws, probabilities.

    Attributes
    ----------
    level, rule, eligibility, census
        How the vote was held.
    options
        Option keys in tie-break order.
    area_ids, area_names
        Areas (``k``).
    communities
        Community keys.
    eligible
        ``[k, g]`` eligible people per area and community (central values).
    votes
        ``[k, o]`` votes per area (central values).
    winner, status_quo
        ``int[k]`` option index (``-1``: no decision / none).
    probability
        ``[k, o]`` share of draws each option wins, or ``None`` without draws.
    margin_quantiles
        ``[3, k]`` p05/p50/p95 of the winner's lead over the runner-up as a share of votes cast,
        over draws (``None`` without draws).
    pivotal
        Per unit id: share of draws (or 0/1 without draws) in which it is pivotal, for units
        pivotal at least once.
    plan
        The resulting plan (control by outcome), or ``None`` without a reference plan.
    n_draws
        Number of draws.
    tie_rule
        The tie rule, in words.
    meta
        Parameters.
    """

    level: str
    rule: str
    eligibility: str
    census: str
    options: tuple[str, ...]
    area_ids: tuple[str, ...]
    area_names: tuple[str, ...]
    communities: tuple[str, ...]
    eligible: NDArray[np.float64]
    votes: NDArray[np.float64]
    winner: NDArray[np.int64]
    status_quo: NDArray[np.int64]
    probability: NDArray[np.float64] | None
    margin_quantiles: NDArray[np.float64] | None
    pivotal: dict[str, float]
    plan: Plan | None
    n_draws: int
    tie_rule: str
    unit_area: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def option_of(self, k: int) -> str:
        """Winning option of area ``k`` (``"no decision"`` for -1)."""
        w = int(self.winner[k])
        return self.options[w] if w >= 0 else NO_DECISION

    @property
    def margin(self) -> NDArray[np.float64]:
        """``[k]`` lead of the first over the second option, as a share of votes cast."""
        v = np.sort(self.votes, axis=1)
        tot = self.votes.sum(axis=1)
        out: NDArray[np.float64] = np.divide(v[:, -1] - v[:, -2], tot, out=np.zeros(tot.size), where=tot > 0)
        return out

    def areas(self) -> list[dict[str, Any]]:
        """One JSON-ready row per area."""
        tot = self.votes.sum(axis=1)
        rows = []
        for k, (aid, name) in enumerate(zip(self.area_ids, self.area_names, strict=True)):
            row: dict[str, Any] = {
                "area": aid, "name": name,
                "eligible": float(self.eligible[k].sum()),
                "votes": float(tot[k]),
                "shares": {o: float(self.votes[k, j] / tot[k]) if tot[k] > 0 else float("nan")
                           for j, o in enumerate(self.options)},
                "winner": self.option_of(k),
                "status_quo": self.options[self.status_quo[k]] if self.status_quo[k] >= 0 else None,
                "margin": float(self.margin[k]),
            }
            if self.probability is not None:
                row["probability"] = {o: float(self.probability[k, j])
                                      for j, o in enumerate(self.options)}
                row["certainty"] = float(self.probability[k].max())
            if self.margin_quantiles is not None:
                row["margin_p05"], row["margin_p50"], row["margin_p95"] = \
                    (float(x) for x in self.margin_quantiles[:, k])
            rows.append(row)
        return rows

    def uncertain_areas(self, threshold: float = 0.95) -> list[str]:
        """Areas whose most likely outcome wins in fewer than ``threshold`` of the draws."""
        if self.probability is None:
            return []
        return [self.area_ids[k] for k in np.flatnonzero(self.probability.max(axis=1) < threshold)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (for the CLI, the report and the workbench panel).

        ``tie_rule_i18n`` gives the key (``tie_rule``) and the arguments (``order``: the option
        keys in tie-break order) an interface translates :data:`TIE_RULE` by.
        """
        return {
            "level": self.level, "rule": self.rule, "eligibility": self.eligibility,
            "census": self.census, "options": list(self.options),
            "option_labels": {o: OPTION_LABELS.get(o, o) for o in self.options},
            "draws": self.n_draws, "tie_rule": self.tie_rule,
            # what an interface translates the tie rule by: the options stay keys, in tie order
            "tie_rule_i18n": {"key": "tie_rule", "args": {"order": list(self.options)}},
            "areas": self.areas(),
            "uncertain_areas": self.uncertain_areas(),
            "pivotal_units": [{"unit_id": u, "area": self.unit_area.get(u, ""), "probability": p}
                              for u, p in sorted(self.pivotal.items(), key=lambda kv: -kv[1])],
            "plan": None if self.plan is None else self.plan.name,
            "meta": self.meta,
        }


def _scope_mask(territory: Territory, scope: Sequence[str] | NDArray[np.bool_] | None) -> NDArray[np.bool_]:
    n = territory.n_units
    if scope is None:
        return np.ones(n, dtype=bool)
    arr = np.asarray(scope)
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise InputDataError(f"a scope mask needs one value per unit ({n})",
                                 hint="pass a boolean per unit, or unit ids")
        return arr.copy()
    mask = np.zeros(n, dtype=bool)
    mask[territory.index([str(u) for u in arr.tolist()], source="referendum scope")] = True
    return mask


def _status_quo(control: NDArray[np.object_], weight: NDArray[np.float64], codes: NDArray[np.int64],
                k: int, options: Sequence[str]) -> NDArray[np.int64]:
    sq = np.full(k, -1, dtype=np.int64)
    for a in range(k):
        members = np.flatnonzero(codes == a)
        held: dict[str, float] = {}
        for i in members:
            held[str(control[i])] = held.get(str(control[i]), 0.0) + float(weight[i])
        if not held:
            continue
        best = max(held.values())
        top = [c for c, v in held.items() if v == best]
        if len(top) == 1 and top[0] in options:
            sq[a] = list(options).index(top[0])
    return sq


def simulate_referendum(
    territory: Territory,
    *,
    model: VotingModel,
    census: str = "current",
    level: str = "district",
    scope: Sequence[str] | NDArray[np.bool_] | None = None,
    eligibility: str = "residents",
    baseline: str = "baseline",
    normalisation: Normalisation | None = None,
    reference: Plan | None = None,
    rule: str = "plurality",
    draws: int = 0,
    rng: np.random.Generator | None = None,
    census_draws: NDArray[np.float64] | None = None,
    baseline_draws: NDArray[np.float64] | None = None,
) -> ReferendumResult:
    """Hold a status referendum on ``census`` and decide it per area.

    Parameters
    ----------
    territory
        The territory (any of its censuses can be used; add a projected census with
        :meth:`dayafter.returns.ReturnsResult.with_projection`).
    model
        Turnout and vote shares by community (:class:`~dayafter.referendum.model.VotingModel`).
    census
        Name of the census the vote is held on.
    level
        ``unit``, ``scope`` (one vote over the whole scope) or an admin level such as
        ``district`` or ``governorate``.
    scope
        Unit ids (or a boolean mask) that vote; ``None``: every unit.
    eligibility
        ``residents``, ``origin`` or ``normalised`` (see :mod:`dayafter.referendum.model`).
    baseline
        Census name of the pre-displacement population (``origin``, ``normalised``).
    normalisation
        Article 140 adjustments (``normalised``).
    reference
        Plan giving the status quo (its control) and the starting point of the resulting plan.
    rule
        ``plurality`` or ``majority`` (see the module notes).
    draws
        Number of draws of the voting parameters (with ``census_draws``: their number).
    rng
        Random generator for the draws.
    census_draws, baseline_draws
        ``[d, n, g]`` draws of the census (and of the baseline), e.g. from
        :mod:`dayafter.uncertainty`.

    Returns
    -------
    ReferendumResult

    Raises
    ------
    ConfigError
        Unknown rule, level or eligibility; draws without a generator.
    InputDataError
        Unknown census or unit ids; a model without the territory's communities.

    Examples
    --------
    The built-in case's referendum by district, with its voting assumptions and scope:

    >>> from dayafter.project import Project
    >>> from dayafter.referendum import case_referendum
    >>> p = Project.from_case("northern-iraq")
    >>> voting, scope, norm = case_referendum(p.territory, p.name)
    >>> res = simulate_referendum(p.territory, model=voting, scope=scope, normalisation=norm,
    ...                           reference=p.reference_plan)
    >>> res.level, res.options, res.winner.shape == (len(res.area_ids),)
    ('district', ('krg', 'federal', 'self-administered'), True)
    """
    if rule not in RULES:
        raise ConfigError(f"unknown decision rule {rule!r}", hint=f"use one of {list(RULES)}")
    if eligibility not in ELIGIBILITY:
        raise ConfigError(f"unknown eligibility rule {eligibility!r}",
                          hint=f"use one of {list(ELIGIBILITY)}")
    model = model.for_communities(territory.communities)
    C = territory.census(census)
    B = territory.census(baseline) if eligibility != "residents" else None
    mask = _scope_mask(territory, scope)
    codes, area_ids, area_names = area_codes(territory, level, mask)
    k = len(area_ids)
    if reference is not None:
        reference.check_territory(territory)
    n, g = C.shape
    for what, arr in (("census_draws", census_draws), ("baseline_draws", baseline_draws)):
        if arr is not None and (np.ndim(arr) != 3 or np.shape(arr)[1:] != (n, g)):
            raise InputDataError(f"{what} must be [d, {n}, {g}], got {np.shape(arr)}",
                                 hint="draw the census with the territory's units and communities")
    if census_draws is not None:
        draws = int(np.shape(census_draws)[0])
    if draws and rng is None:
        raise ConfigError("draws need a random generator (rng)",
                          hint="pass rng=np.random.default_rng(seed)")

    E0 = electorate(eligibility, territory, C, baseline=B, normalisation=normalisation)
    E0 = E0[None] if E0.ndim == 2 else E0
    v0 = tally_votes(E0, model.arrays())
    av0 = _area_sum(v0, codes, k)
    ctrl = unit_control(reference) if reference is not None else np.full(n, "", dtype=object)
    sq = _status_quo(ctrl, E0[0].sum(axis=1), codes, k, model.options)
    w0 = decide(av0, sq, rule)
    piv0 = pivotal_units(v0, codes, av0, w0, sq, rule)

    probability = margin_q = None
    pivotal: dict[str, float]
    if draws:
        assert rng is not None
        Cd = np.asarray(census_draws, dtype=np.float64) if census_draws is not None else C
        Bd = None
        if B is not None:
            Bd = np.asarray(baseline_draws, dtype=np.float64) if baseline_draws is not None else B
        Ed = electorate(eligibility, territory, Cd, baseline=Bd, normalisation=normalisation,
                        rng=rng, draws=draws if eligibility == "normalised" else 0)
        Ed = Ed[None] if Ed.ndim == 2 else Ed
        vd = tally_votes(Ed, model.arrays(rng, draws))
        avd = _area_sum(vd, codes, k)
        wd = decide(avd, sq, rule)
        o = len(model.options)
        probability = np.stack([(wd == j).mean(axis=0) for j in range(o)], axis=1)
        srt = np.sort(avd, axis=2)
        tot = avd.sum(axis=2)
        marg = np.divide(srt[..., -1] - srt[..., -2], tot, out=np.zeros(tot.shape), where=tot > 0)
        margin_q = np.quantile(marg, QUANTILES, axis=0)
        pivd = pivotal_units(vd, codes, avd, wd, sq, rule)
        share = pivd.mean(axis=0)
        pivotal = {str(territory.unit_ids[i]): float(share[i]) for i in np.flatnonzero(share > 0)}
    else:
        pivotal = {str(territory.unit_ids[i]): 1.0 for i in np.flatnonzero(piv0[0])}

    plan = None
    if reference is not None:
        control = ctrl.copy()
        inside = np.flatnonzero(codes >= 0)
        win_u = w0[0][codes[inside]]
        for i, w in zip(inside.tolist(), win_u.tolist(), strict=True):
            if w >= 0:
                control[i] = model.options[w]
        plan = plan_with_control(
            reference, control,
            name=f"{reference.name} after a referendum by {level}",
            notes=(f"Control after a status referendum by {level} on census {census!r} "
                   f"({eligibility} eligible, {rule} rule), starting from {reference.name!r}. "
                   + TIE_RULE.format(order=", ".join(model.options))))
    unit_area = {str(territory.unit_ids[i]): area_ids[codes[i]] for i in np.flatnonzero(codes >= 0)}
    Ek = _area_sum(E0, codes, k)[0]
    return ReferendumResult(
        level=level, rule=rule, eligibility=eligibility, census=census, options=model.options,
        area_ids=tuple(area_ids), area_names=tuple(area_names), communities=territory.communities,
        eligible=Ek, votes=av0[0], winner=w0[0], status_quo=sq, probability=probability,
        margin_quantiles=margin_q, pivotal=pivotal, plan=plan, n_draws=int(draws),
        tie_rule=TIE_RULE.format(order=", ".join(model.options)), unit_area=unit_area,
        meta={"model": model.name, "scope_units": int(mask.sum()),
              "reference": None if reference is None else reference.name,
              "normalisation": None if normalisation is None else normalisation.notes})
