"""The dossier's tables as pandas DataFrames (one function per table, numbers straight from the API).

Every value is read from an :class:`~dayafter.metrics.Evaluation` (or recomputed from its arrays with
the same formula), so the HTML, PDF and XLSX outputs show exactly what ``dayafter.evaluate`` returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from dayafter.criteria import CriterionResult
from dayafter.metrics import CensusMetrics, Evaluation
from dayafter.plan import Plan
from dayafter.territory import Territory

__all__ = [
    "change_table",
    "community_table",
    "councils_table",
    "criteria_table",
    "imputed_units",
    "region_stranded_people",
    "region_table",
    "security_forces_table",
    "security_region_table",
    "settlement_parties_table",
    "settlement_units_table",
    "units_table",
]


def _label(labels: Mapping[str, str], key: str) -> str:
    return labels.get(key, key)


def region_stranded_people(cm: CensusMetrics) -> NDArray[np.float64]:
    """People in each region who belong to a community below the stranded threshold there.

    The per-region counterpart of :attr:`CensusMetrics.stranded_people`: summing it over regions
    gives the sum of ``stranded_people`` over communities.
    """
    P = cm.tally
    N = P.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(N[:, None] > 0, P / np.where(N[:, None] > 0, N[:, None], 1.0), 0.0)
    mask = (s < cm.threshold) & (N > 0)[:, None]
    return (P * mask).sum(axis=1)


def region_splits(territory: Territory, ev: Evaluation, level: str) -> NDArray[np.int64]:
    """For each region, the number of admin units of ``level`` it shares with another region."""
    g = ev.geometry
    codes, _ = territory.admin_codes(level)
    split = np.asarray(g.split_detail[level]) > 1
    a = ev.plan.assignment
    out = np.zeros(ev.plan.k, dtype=np.int64)
    for j in range(ev.plan.k):
        present = np.unique(codes[a == j])
        out[j] = int(split[present].sum())
    return out


def imputed_units(provenance: pd.DataFrame | None, territory: Territory, census: str
                  ) -> NDArray[np.bool_] | None:
    """Units whose total population on ``census`` is an imputed figure, from a provenance table
    with ``census``, ``unit_id``, ``field`` and ``status`` columns (``None`` without one)."""
    need = {"census", "unit_id", "field", "status"}
    if provenance is None or not need <= set(provenance.columns):
        return None
    rows = provenance[(provenance["census"].astype(str) == census)
                      & (provenance["field"].astype(str) == "total")]
    if rows.empty:
        return None
    known = set(territory.unit_ids.tolist())
    rows = rows[rows["unit_id"].astype(str).isin(known)]
    out = np.zeros(territory.n_units, dtype=bool)
    idx = territory.index(rows["unit_id"].astype(str).tolist())
    out[idx] = (rows["status"].astype(str) == "imputed").to_numpy()
    return out


def region_table(
    territory: Territory,
    ev: Evaluation,
    census: str,
    *,
    labels: Mapping[str, str] | None = None,
    imputed: NDArray[np.bool_] | None = None,
) -> pd.DataFrame:
    """One row per region of the plan on one census.

    Columns: region, authority, status, units, population, deviation, largest community and its
    share, the share of every community, fractionalization, polarization, stranded people (people
    of communities below the threshold in that region), area, Polsby-Popper, Reock (when computed),
    pieces, and for each admin level the number of its units the region shares with another region.
    With ``imputed`` (units whose total is imputed, see :func:`imputed_units`), also the share of
    the region's people living in such units.
    """
    labels = labels or {}
    cm = ev.census(census)
    g = ev.geometry
    plan = ev.plan
    comms = cm.communities
    rows = []
    stranded = region_stranded_people(cm)
    splits = {lvl: region_splits(territory, ev, lvl) for lvl in g.splits}
    imputed_share = None
    if imputed is not None:
        pop = territory.population(census)
        a = ev.plan.assignment
        ok = a >= 0
        imp = np.bincount(a[ok], weights=pop[ok] * imputed[ok], minlength=plan.k)
        with np.errstate(invalid="ignore", divide="ignore"):
            imputed_share = np.where(cm.population > 0, imp / np.where(cm.population > 0,
                                                                        cm.population, 1.0), np.nan)
    for j, r in enumerate(plan.regions):
        lg = int(cm.largest[j])
        row: dict[str, object] = {
            "region": r.name,
            "authority": r.authority,
            "status": r.status,
            "units": int(g.n_units[j]),
            "population": float(cm.population[j]),
            "deviation": float(cm.deviation[j]),
            "largest community": _label(labels, comms[lg]) if lg >= 0 else "",
            "largest share": float(cm.largest_share[j]),
        }
        for i, c in enumerate(comms):
            row[f"share: {_label(labels, c)}"] = float(cm.shares[j, i])
        row.update({
            "fractionalization": float(cm.fractionalization[j]),
            "polarization": float(cm.polarization[j]),
            "stranded people": float(stranded[j]),
            "area km2": float(g.area[j] / 1e6),
            "Polsby-Popper": float(g.polsby_popper[j]),
        })
        if ev.reock is not None:
            row["Reock"] = float(ev.reock[j])
        row["pieces"] = int(g.pieces[j])
        if imputed_share is not None:
            row["imputed share"] = float(imputed_share[j])
        for lvl, arr in splits.items():
            row[f"{lvl}s shared"] = int(arr[j])
        rows.append(row)
    return pd.DataFrame(rows)


def community_table(
    ev: Evaluation, census: str, *, labels: Mapping[str, str] | None = None,
    labels_ar: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per community on one census: population, empowerment, stranded share and people,
    and the regions where the community is the largest (with the Arabic name when given)."""
    labels = labels or {}
    cm = ev.census(census)
    names = ev.plan.region_names
    tot = cm.community_totals()
    rows = []
    for i, c in enumerate(cm.communities):
        rows.append({
            "community": _label(labels, c),
            **({"community_ar": labels_ar.get(c, "")} if labels_ar else {}),
            "key": c,
            "population": float(tot[i]),
            "empowered (plurality)": float(cm.empowerment_plurality[i]),
            "empowered (majority)": float(cm.empowerment_majority[i]),
            "stranded": float(cm.stranded[i]),
            "stranded people": float(cm.stranded_people[i]),
            "largest in": ", ".join(names[j] for j in np.flatnonzero(cm.largest == i)),
        })
    return pd.DataFrame(rows)


def criteria_table(results: Sequence[CriterionResult], *, labels: Mapping[str, str] | None = None
                   ) -> pd.DataFrame:
    """One row per criterion and census: metric, bounds, pass/fail and the failing items (with the
    regions concerned)."""
    labels = labels or {}
    rows = []
    for r in results:
        fails = []
        for f in r.failing:
            item = _label(labels, str(f["item"]))
            text = f"{item} = {f['value']:.3g}"
            if f.get("regions"):
                text += f" (in {', '.join(f['regions'])})"
            fails.append(text)
        rows.append({
            "criterion": r.criterion.name,
            "census": r.census,
            "metric": r.criterion.metric,
            "bounds": r.criterion.bounds_text(),
            "result": {"pass": "pass", "fail": "FAIL"}.get(r.status, r.status),
            "checked": int(r.checked),
            "failing": "; ".join(fails),
            "description": r.criterion.description,
            "sources": ", ".join(r.criterion.sources),
        })
    return pd.DataFrame(rows, columns=["criterion", "census", "metric", "bounds", "result", "checked",
                                       "failing", "description", "sources"])


def change_table(ev: Evaluation) -> pd.DataFrame:
    """Units and people changing governing authority from the reference plan, by transition."""
    ch = ev.change
    cols = ["from", "to", "units"]
    if ch is None:
        return pd.DataFrame(columns=cols)
    cols += [f"people ({c})" for c in ch.transition_people]
    rows = []
    m = len(ch.authorities)
    for i in range(m):
        for j in range(m):
            if i != j and ch.transition_units[i, j] > 0:
                row: dict[str, object] = {"from": ch.authorities[i] or "(none)",
                                          "to": ch.authorities[j] or "(none)",
                                          "units": int(ch.transition_units[i, j])}
                for c, t in ch.transition_people.items():
                    row[f"people ({c})"] = float(t[i, j])
                rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def units_table(territory: Territory, plans: Sequence[Plan]) -> pd.DataFrame:
    """One row per unit: id (text), every label column of the territory (names in Latin and Arabic
    script, ``name_en`` and ``name_ar`` first), admin codes, and the region of the unit in each
    plan (one column per plan)."""
    data: dict[str, object] = {"unit_id": territory.unit_ids.astype(str).tolist()}
    first = [k for k in ("name_en", "name_ar") if k in territory.labels]
    for key in [*first, *(k for k in territory.labels if k not in first)]:
        data[key] = territory.labels[key].tolist()
    for lvl, codes in territory.admin.items():
        data[lvl] = codes.tolist()
    for p in plans:
        names = np.array([*p.region_names, ""], dtype=object)
        data[p.name or "plan"] = names[p.assignment].tolist()
    return pd.DataFrame(data)


# ------------------------------------------------------------------------------ engines' results


def security_forces_table(assessment: Any) -> pd.DataFrame:
    """One row per force of a :class:`dayafter.security.SecurityAssessment`: kind, strength,
    personnel placed, spare, units served, the shortfall saved by one more member (the LP's price
    of its strength) and why what it does not place is not placed
    (:meth:`~dayafter.security.SecurityAssessment.force_report`)."""
    a = assessment
    rep = a.force_report()
    return pd.DataFrame({
        "force": list(a.force_names),
        "kind": [r["kind"] for r in rep],
        "strength": np.asarray(a.strength, dtype=float),
        "used": np.asarray(a.used, dtype=float),
        "spare": np.asarray(a.strength - a.used, dtype=float),
        "units served": [int(r["units_served"]) for r in rep],
        "value of one more": np.asarray(a.strength_price, dtype=float),
        "why not used": ["; ".join(r["why"]) for r in rep],
    })


def security_region_table(assessment: Any, plan: Plan) -> pd.DataFrame:
    """Requirement, coverage, shortfall (gap) and personnel of each force per region (polity) of
    ``plan``, with the control of its units, from
    :meth:`dayafter.security.SecurityAssessment.by_region`."""
    a = assessment
    names = dict(zip(a.forces, a.force_names, strict=True))
    rows = []
    for r in a.by_region(plan):
        row: dict[str, Any] = {"region": r["region"], "authority": r["authority"],
                               "control": ", ".join(f"{k} {v}" for k, v in
                                                    r.get("control", {}).items()),
                               "requirement": r["requirement"], "covered": r["covered"],
                               "shortfall": r["shortfall"]}
        for key in a.forces:
            row[names[key]] = float(r["forces"].get(key, 0.0))
        rows.append(row)
    return pd.DataFrame(rows)


def settlement_parties_table(settlement: Any) -> pd.DataFrame:
    """One row per party of a :class:`dayafter.settle.Settlement`: units held, value of the units
    held, money received (negative: paid), utility, the proportional value (its value of all
    disputed units over the number of parties) and the ratio of utility to it."""
    s = settlement
    pr = s.problem
    owner = s.owner
    return pd.DataFrame({
        "party": list(pr.parties),
        "units held": [int(np.sum(owner == i)) for i in range(len(pr.parties))],
        "value held": np.asarray(s.values_held, dtype=float),
        "transfer": np.asarray(s.transfers, dtype=float),
        "utility": np.asarray(s.utilities, dtype=float),
        "proportional value": np.asarray(s.fair_share, dtype=float),
        "utility / proportional value": np.asarray(s.proportionality, dtype=float),
    })


def settlement_units_table(settlement: Any, territory: Territory | None = None) -> pd.DataFrame:
    """One row per disputed unit: who holds it (``shared`` for a split unit) and its value to each
    party."""
    s = settlement
    pr = s.problem
    owner = s.owner
    names: list[str] = [""] * len(pr.unit_ids)
    if territory is not None and "name_en" in territory.labels:
        known = set(territory.unit_ids.tolist())
        for j, u in enumerate(pr.unit_ids):
            if u in known:
                names[j] = str(territory.labels["name_en"][territory.index(u)[0]])
    data: dict[str, Any] = {"unit_id": [str(u) for u in pr.unit_ids], "name": names,
                            "holder": [pr.parties[o] if o >= 0 else "shared" for o in owner]}
    for i, p in enumerate(pr.parties):
        data[f"value to {p}"] = np.asarray(pr.values[i], dtype=float)
    return pd.DataFrame(data)


def councils_table(simulation: Any, *, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per census and region of a :class:`dayafter.councils.CouncilSimulation`: council
    size, seats of each community (reserved seats included), reserved seats, Gallagher's index,
    effective number of parties by seats, whether one community holds a majority, and ties."""
    labels = labels or {}
    sim = simulation
    reg = sim.regions
    rows = []
    for census in dict.fromkeys(reg["census"].tolist()):
        seats = sim.seats_table(census)
        sub = reg[reg["census"] == census].reset_index(drop=True)
        for j, r in sub.iterrows():
            row: dict[str, Any] = {"census": census, "region": sim.region_names[j],
                                   "council size": int(r["council_size"])}
            for i, c in enumerate(sim.communities):
                row[labels.get(c, c)] = int(seats[j, i])
            row.update({
                "reserved seats": int(r["reserved_seats"]),
                "Gallagher": float(r["gallagher"]),
                "effective parties (seats)": float(r["enp_seats"]),
                "majority": "yes" if bool(r["majority"]) else "no",
                "ties": str(r["ties"] or ""),
            })
            rows.append(row)
    return pd.DataFrame(rows)
