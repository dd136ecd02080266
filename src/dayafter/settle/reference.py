"""Compensation measured against a reference plan: releasing holdings is paid for.

Each party's holdings under the reference (what it held in 2014 or 2017) and under the new plan
come from the plans' control layers (:func:`~dayafter.settle.valuation.holdings_from_plan`); its
change in value is ``delta_i = v_i(new holdings) - v_i(reference holdings)`` by its own valuation.
Two rules turn the changes into money:

- ``indemnity``: every party that loses is paid its loss; the parties that gain pay in
  proportion to their gains, never more than they gain; what the gains cannot cover comes from
  the outside fund. A party that releases holdings never pays.
- ``nash-reference``: the parties whose holdings change split the net gain of the change equally
  (the Nash bargaining solution with transferable utility and the reference as the disagreement
  point): ``t_i = -delta_i + sum(delta) / q`` over the ``q`` parties concerned. Budget-balanced.

:func:`explain` says in plain words, per party, what it held, what it releases or gains, what that
is worth by component and what it receives; :func:`weight_sensitivity` reruns everything with each
valuation weight at the low and high ends of its range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dayafter.errors import ConfigError, InputDataError
from dayafter.settle.problem import ClaimsProblem
from dayafter.settle.result import Settlement

if TYPE_CHECKING:
    from dayafter.plan import Plan
    from dayafter.settle.valuation import ValuationModel
    from dayafter.territory import Territory

__all__ = ["RELEASE_RULES", "compensate_releases", "explain", "format_money",
           "plan_against_reference", "weight_sensitivity"]

RELEASE_RULES = ("indemnity", "nash-reference")
"""Compensation rules that measure transfers against a reference plan (releases are paid)."""

_RULE_TEXT = {
    "indemnity": "every party is paid what it releases, at its own valuation, by the parties that "
                 "gain, in proportion to their gains (an outside fund pays what their gains cannot "
                 "cover)",
    "nash-reference": "the parties whose holdings change split the net gain of the change equally "
                      "(Nash bargaining, the reference as the disagreement point)",
}


def format_money(x: float, unit: str = "USD per year") -> str:
    """``USD 1.23 billion a year`` style.

    >>> format_money(1.234e9), format_money(-4.5e6), format_money(0.0)
    ('USD 1.23 billion a year', 'USD -4.5 million a year', 'USD 0 a year')
    """
    cur, _, per = unit.partition(" ")
    per = {"per year": "a year", "": ""}.get(per, per)
    a = abs(x)
    if a >= 1e9:
        s = f"{x / 1e9:.3g} billion"
    elif a >= 1e6:
        s = f"{x / 1e6:.3g} million"
    elif a >= 1e3:
        s = f"{x:,.0f}"
    else:
        s = f"{x:.3g}" if a else "0"
    return f"{cur} {s} {per}".strip()


def compensate_releases(
    problem: ClaimsProblem,
    shares: ArrayLike,
    reference_shares: ArrayLike,
    *,
    rule: str = "indemnity",
    plan_name: str = "",
    reference_name: str = "",
) -> Settlement:
    """Transfers that pay each party for what it releases relative to a reference.

    Parameters
    ----------
    problem
        The claims problem (values in money).
    shares, reference_shares
        ``float64[p, m]``: the share of each unit each party holds under the new plan and under the
        reference (columns sum to 1).
    rule
        ``"indemnity"`` or ``"nash-reference"`` (see the module docstring).
    plan_name, reference_name
        For the notes and the explanation.

    Returns
    -------
    Settlement
        Labelled with the rule, holding ``shares``; ``meta`` has ``reference_values``,
        ``delta`` (change in value per party), ``released`` and ``gained`` (unit ids per party),
        the reference's ``reference_shares`` and the names.

    Notes
    -----
    ``indemnity``: with losses ``L_i = max(0, -delta_i)`` and gains ``G_i = max(0, delta_i)``,
    ``L = sum L_i`` and ``G = sum G_i``, a loser receives ``L_i`` and a gainer pays
    ``G_i * min(1, L / G)``; the outside money is ``max(0, L - G)``. ``nash-reference``: over the
    parties with a change, ``t_i = -delta_i + sum(delta) / q``; everyone concerned ends with their
    reference value plus the same share of the net gain (which may be negative). See
    J. F. Nash, "The bargaining problem", Econometrica 18, 1950 (the TU case).

    Examples
    --------
    >>> from dayafter.settle import ClaimsProblem
    >>> pr = ClaimsProblem(("A", "B"), ("u",), [[10.0], [4.0]])
    >>> s = compensate_releases(pr, [[0.0], [1.0]], [[1.0], [0.0]])   # A releases u to B
    >>> s.transfers.tolist(), s.outside_money
    ([10.0, -4.0], 6.0)
    >>> compensate_releases(pr, [[0.0], [1.0]], [[1.0], [0.0]], rule="nash-reference").transfers.tolist()
    [7.0, -7.0]
    """
    if rule not in RELEASE_RULES:
        raise ConfigError(f"unknown release rule {rule!r}", hint=f"use one of {list(RELEASE_RULES)}")
    v = problem.values
    s_new = np.asarray(shares, dtype=np.float64)
    s_ref = np.asarray(reference_shares, dtype=np.float64)
    if s_new.shape != v.shape or s_ref.shape != v.shape:
        raise InputDataError(f"shares must be (parties, units) = {v.shape}")
    held_new = (v * s_new).sum(axis=1)
    held_ref = (v * s_ref).sum(axis=1)
    delta = held_new - held_ref
    p = v.shape[0]
    scale = 1e-9 * max(1.0, float(np.abs(v).sum()))
    if rule == "indemnity":
        loss = np.clip(-delta, 0.0, None)
        gain = np.clip(delta, 0.0, None)
        big_l, big_g = float(loss.sum()), float(gain.sum())
        pay = gain * (min(1.0, big_l / big_g) if big_g > 0 else 0.0)
        t = loss - pay
        notes = [f"every party is paid what it releases relative to {reference_name or 'the reference'}"]
        if big_l > big_g + scale:
            notes.append(f"the gains ({big_g:,.0f}) cover {big_g / big_l:.0%} of the losses "
                         f"({big_l:,.0f}); the outside fund pays the rest")
    else:
        concerned = np.abs(delta) > scale
        q = int(concerned.sum())
        t = np.zeros(p)
        if q:
            t[concerned] = -delta[concerned] + float(delta[concerned].sum()) / q
        notes = ["transfers are budget-balanced among the parties whose holdings change"]
    released: dict[str, list[str]] = {}
    gained: dict[str, list[str]] = {}
    for i, party in enumerate(problem.parties):
        d = s_new[i] - s_ref[i]
        released[party] = [problem.unit_ids[j] for j in np.flatnonzero(d < -1e-12)]
        gained[party] = [problem.unit_ids[j] for j in np.flatnonzero(d > 1e-12)]
    return Settlement(
        method=rule, problem=problem, shares=s_new, transfers=t, notes=tuple(notes),
        meta={"reference": reference_name, "plan": plan_name,
              "reference_values": held_ref.tolist(), "delta": delta.tolist(),
              "released": released, "gained": gained, "reference_shares": s_ref.tolist(),
              "rule_text": _RULE_TEXT[rule]})


def _by_component(problem: ClaimsProblem, i: int, weights: NDArray[np.float64]) -> dict[str, float]:
    return {name: float((c[i] * weights).sum()) for name, c in problem.components.items()}


def explain(settlement: Settlement, *, labels: Mapping[str, str] | None = None,
            party_labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """One paragraph per party: held, released or gained (by component), and the money.

    Parameters
    ----------
    settlement
        A settlement from :func:`compensate_releases`.
    labels
        Unit id to display name.
    party_labels
        Party name to display name.
    """
    s = settlement
    pr = s.problem
    meta = s.meta
    if "reference_shares" not in meta:
        raise InputDataError("explain needs a settlement measured against a reference",
                             hint="use compensate_releases")
    labels = labels or {}
    party_labels = party_labels or {}
    s_ref = np.asarray(meta["reference_shares"])
    s_new = s.shares
    unit = pr.value_unit
    ref = meta.get("reference") or "the reference"
    plan = meta.get("plan") or "the plan"
    out = {}
    for i, party in enumerate(pr.parties):
        name = party_labels.get(party, party)
        n_ref, n_new = float(s_ref[i].sum()), float(s_new[i].sum())
        v_ref, v_new = float(meta["reference_values"][i]), float(s.values_held[i])
        parts = [f"{name}: under {ref} it held {n_ref:g} of the {pr.n_units} disputed units "
                 f"(a jointly held unit counts as its share), worth {format_money(v_ref, unit)} "
                 f"to it; under {plan} it holds {n_new:g}, worth {format_money(v_new, unit)}."]
        for key, sign, verb in (("released", -1.0, "releases"), ("gained", 1.0, "gains")):
            units = meta[key][party]
            if not units:
                continue
            w = np.clip(sign * (s_new[i] - s_ref[i]), 0.0, None)
            total = float((pr.values[i] * w).sum())
            comp = _by_component(pr, i, w)
            listed = ", ".join(labels.get(u, u) for u in units[:6]) + (
                f" and {len(units) - 6} more" if len(units) > 6 else "")
            by = "; ".join(f"{k} {format_money(x, unit)}" for k, x in comp.items() if abs(x) > 0)
            parts.append(f"It {verb} {listed}: {format_money(total, unit)} by its own valuation"
                         + (f" ({by})" if by else "") + ".")
        t = float(s.transfers[i])
        if abs(t) <= 1e-9 * max(1.0, float(np.abs(pr.values).sum())):
            parts.append("It neither pays nor receives.")
        elif t > 0:
            parts.append(f"It receives {format_money(t, unit)}.")
        else:
            parts.append(f"It pays {format_money(-t, unit)}.")
        out[party] = " ".join(parts)
    out["(rule)"] = f"Rule {s.method}: {meta.get('rule_text', '')}."
    if s.outside_money > 1e-9 * max(1.0, float(np.abs(pr.values).sum())):
        out["(rule)"] += f" Outside money: {format_money(s.outside_money, unit)}."
    return out


def plan_against_reference(
    territory: Territory,
    model: ValuationModel,
    units: Sequence[str],
    plan: Plan,
    reference: Plan,
    *,
    rules: Sequence[str] = RELEASE_RULES,
    census: str | None = None,
    census_table: ArrayLike | None = None,
    budget: float = 0.0,
) -> tuple[dict[str, Settlement], ClaimsProblem, list[str]]:
    """Value the disputed units, read both plans' holdings and compensate the releases.

    Units that no party holds under either plan (for example ``contested`` control) are left out
    and returned.

    Returns
    -------
    settlements, problem, left_out
        Settlement by rule, the claims problem on the units held in both plans, and the unit ids
        left out.
    """
    from dayafter.settle.valuation import holdings_from_plan, values_from_model

    full = values_from_model(territory, model, units, census=census, census_table=census_table,
                             budget=budget)
    new, unheld_new = holdings_from_plan(full, plan, territory, model)
    ref, unheld_ref = holdings_from_plan(full, reference, territory, model)
    left = set(unheld_new) | set(unheld_ref)
    keep = np.array([u not in left for u in full.unit_ids], dtype=bool)
    if not keep.any():
        raise InputDataError("no disputed unit is held by a party under both plans",
                             hint="check the plans' control layers and the holders of each control")
    problem = full.restricted(keep)
    out = {r: compensate_releases(problem, new[:, keep], ref[:, keep], rule=r,
                                  plan_name=plan.name, reference_name=reference.name)
           for r in rules}
    return out, problem, [u for u in full.unit_ids if u in left]


def weight_sensitivity(
    territory: Territory,
    model: ValuationModel,
    units: Sequence[str],
    plan: Plan,
    reference: Plan,
    *,
    rules: Sequence[str] = RELEASE_RULES,
    census: str | None = None,
    parameters: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Transfers with each valuation weight at the low and high ends of its range.

    Returns one row per (parameter, end, rule, party) with the parameter's value and the transfer,
    preceded by the base rows (``parameter="(base)"``).
    """
    names = list(parameters) if parameters is not None else list(model.parameters())
    rows: list[dict[str, Any]] = []

    def run(m: ValuationModel, pname: str, where: str, value: float | None) -> None:
        res, _, _ = plan_against_reference(territory, m, units, plan, reference, rules=rules,
                                           census=census)
        for rule, st in res.items():
            for i, party in enumerate(st.problem.parties):
                rows.append({"parameter": pname, "end": where, "value": value, "rule": rule,
                             "party": party, "transfer": float(st.transfers[i])})

    run(model, "(base)", "value", None)
    for name in names:
        par = model.parameters()[name]
        for where in ("low", "high"):
            v = float(getattr(par, where))
            if v == par.value:
                continue
            run(model.with_parameter(name, where), name, where, v)
    return rows
