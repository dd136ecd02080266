"""Robust or fragile: does a finding survive the census's uncertainty, and if not, why?

A *finding* is a yes/no statement the metrics rest on: "Yazidis are below the stranded threshold
in Ninewa", "Sunni Arabs are the largest community of the Nineveh Plains", "criterion X passes".
A finding is **robust** when at least ``stable`` (default 95%) of the draws agree with it and the
point value is not within ``margin`` (default 2 percentage points) of the threshold it is
judged against; otherwise it is **fragile**, and the reason names the region, the share, its 90%
range and the threshold.

Figures built on findings inherit their verdicts: a community's stranded share is fragile when
any of its "below the threshold in region k" findings is; its empowerment when any "largest in
region k" (or "majority in region k") finding is.

>>> import numpy as np
>>> from dayafter.plan import Plan, Region
>>> from dayafter.testing.grids import grid_territory
>>> from dayafter.uncertainty import CensusModel, ErrorModel, evaluate_draws
>>> t = grid_territory(1, 2, communities=np.array([[91.0, 9], [20, 80]]))
>>> plan = Plan(np.array([0, 1]), (Region("W"), Region("E")), territory_hash=t.content_hash)
>>> dev = evaluate_draws(t, plan, CensusModel(t, ErrorModel(unknown_error=0.3)).draw(400, seed=1))
>>> v = {x.subject: x for x in verdicts(dev)}
>>> v["stranded:b"].robust, v["largest:E"].robust
(False, True)
>>> print(v["stranded:b"].reason)  # doctest: +ELLIPSIS
b: 9.0% of W (90% range ...), within 2 points of the 10% stranded threshold; below it in ...% of draws
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter.criteria import Criterion
from dayafter.errors import ConfigError
from dayafter.uncertainty.criteria import CriterionDraws, check_criteria_draws
from dayafter.uncertainty.evaluate import DrawEvaluation
from dayafter.uncertainty.summary import quantiles

__all__ = ["DEFAULT_MARGIN", "DEFAULT_STABLE", "Verdict", "figure_verdicts", "verdicts"]

DEFAULT_STABLE = 0.95
"""Share of draws that must agree with a finding for it to be robust."""

DEFAULT_MARGIN = 0.02
"""A share within this distance (2 percentage points) of its threshold makes a finding fragile."""


@dataclass(frozen=True)
class Verdict:
    """Robust or fragile, with the reason.

    Attributes
    ----------
    subject
        What is judged: ``stranded:<community>``, ``empowerment_plurality:<community>``,
        ``empowerment_majority:<community>``, ``largest:<region>``, ``criterion:<name>``.
    census
        The census.
    robust
        The verdict.
    reason
        One sentence a person can act on.
    agreement
        Share of draws agreeing with the point finding (the least agreeing one, for figures
        resting on several findings).
    """

    subject: str
    census: str
    robust: bool
    reason: str
    agreement: float

    @property
    def verdict(self) -> str:
        """``"robust"`` or ``"fragile"``."""
        return "robust" if self.robust else "fragile"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"subject": self.subject, "census": self.census, "verdict": self.verdict,
                "reason": self.reason, "agreement": float(self.agreement)}


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%" if np.isfinite(x) else "n/a"


def _thr(x: float) -> str:
    return f"{100 * x:.3g}%"


def _pts(x: float) -> str:
    return f"{100 * x:g} points"


def _check(stable: float, margin: float) -> None:
    if not 0.5 < stable <= 1.0:
        raise ConfigError(f"stable must lie in (0.5, 1], got {stable!r}", hint="e.g. 0.95")
    if not 0.0 <= margin < 0.5:
        raise ConfigError(f"margin must lie in [0, 0.5), got {margin!r}", hint="e.g. 0.02")


def _finding_table(S: NDArray[np.float64], s0: NDArray[np.float64], event: NDArray[np.bool_],
                   point_event: NDArray[np.bool_], dist: NDArray[np.float64], stable: float,
                   margin: float, *, ranges: bool = True) -> tuple[
                       NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_], NDArray[np.float64]]:
    """Agreement, share of draws with the event, fragility and 90% share range per (k, g)."""
    finite = np.isfinite(S)
    n = np.maximum(finite.sum(axis=0), 1)
    ev = event & finite
    share_event = ev.sum(axis=0) / n
    agree = np.where(point_event, share_event, 1.0 - share_event)
    agree = np.where(finite.any(axis=0), agree, 1.0)
    fragile = (np.abs(dist) < margin) | (agree < stable)
    d, k, g = S.shape
    q = quantiles(S.reshape(d, k * g).T).reshape(k, g, 3) if ranges else np.empty((k, g, 0))
    return agree, share_event, fragile, q


def verdicts(dev: DrawEvaluation, *, criteria: Sequence[Criterion] = (),
             labels: Mapping[str, str] | None = None, stable: float = DEFAULT_STABLE,
             margin: float = DEFAULT_MARGIN) -> list[Verdict]:
    """Every finding of a plan, judged robust or fragile, on every census evaluated.

    Parameters
    ----------
    dev
        The plan evaluated over draws.
    criteria
        Criteria to judge as well (by the share of draws in which they pass).
    labels
        Community key to display name (for the reasons).
    stable, margin
        See the module docstring.

    Returns
    -------
    list of Verdict
        Per census: ``stranded:<c>``, ``empowerment_plurality:<c>``, ``empowerment_majority:<c>``
        for every community with people, ``largest:<region>`` for every region with people, then
        ``criterion:<name>`` for each criterion result.

    Notes
    -----
    Vectorised over regions, communities and draws: a few array passes per census.
    """
    _check(stable, margin)
    labels = dict(labels or {})
    out: list[Verdict] = []
    names = dev.plan.region_names
    for cname, cm in dev.censuses.items():
        pm = dev.point.census(cname)
        thr = cm.threshold
        S = np.asarray(cm.shares)            # [d, k, g]
        big = np.asarray(cm.largest)         # [d, k]
        s0 = np.nan_to_num(pm.shares, nan=0.0)
        lives = pm.tally > 0                 # [k, g]
        tot = pm.community_totals()
        g = len(cm.communities)
        # stranded: below the threshold
        ag_s, ev_s, fr_s, q = _finding_table(S, s0, S < thr, s0 < thr, s0 - thr, stable, margin)
        # majority: above one half
        ag_m, ev_m, fr_m, _ = _finding_table(S, s0, S > 0.5, s0 > 0.5, s0 - 0.5, stable, margin,
                                             ranges=False)
        # plurality: largest community (lead over the best other community)
        is_big = big[:, :, None] == np.arange(g)[None, None, :]
        pbig = pm.largest[:, None] == np.arange(g)[None, :]
        srt = np.sort(s0, axis=1)
        best_other = np.where(pbig, srt[:, -2:-1] if g > 1 else 0.0, srt[:, -1:])
        lead = s0 - best_other
        ag_p, ev_p, fr_p, _ = _finding_table(S, s0, is_big, pbig, lead, stable, margin,
                                             ranges=False)
        for j, comm in enumerate(cm.communities):
            if tot[j] <= 0:
                continue
            lab = labels.get(comm, comm)
            rows = np.flatnonzero(lives[:, j])
            for subject, ag, fr, evs, thr_j, what, word in (
                ("stranded", ag_s, fr_s, ev_s, thr, "stranded", "below"),
                ("empowerment_majority", ag_m, fr_m, ev_m, 0.5, "majority", "above"),
            ):
                bad = rows[fr[rows, j]]
                agree = float(ag[rows, j].min()) if rows.size else 1.0
                if bad.size == 0:
                    text = (f"{lab}: no region within {_pts(margin)} of the {_thr(thr_j)} {what} "
                            f"threshold; the same side of it in at least {_pct(stable)} of draws")
                    out.append(Verdict(f"{subject}:{comm}", cname, True, text, agree))
                    continue
                k = int(bad[np.argmin(ag[bad, j] + (np.abs(s0[bad, j] - thr_j) >= margin))])
                text = (f"{lab}: {_pct(s0[k, j])} of {names[k]} (90% range {_pct(q[k, j, 0])}-"
                        f"{_pct(q[k, j, 2])})")
                if abs(s0[k, j] - thr_j) < margin:
                    text += (f", within {_pts(margin)} of the {_thr(thr_j)} {what} threshold; "
                             f"{word} it in {_pct(evs[k, j])} of draws")
                else:
                    text += f", {word} the {_thr(thr_j)} {what} threshold in {_pct(evs[k, j])} of draws"
                if bad.size > 1:
                    text += f" (and {bad.size - 1} more regions)"
                out.append(Verdict(f"{subject}:{comm}", cname, False, text, agree))
            bad = rows[fr_p[rows, j]]
            agree = float(ag_p[rows, j].min()) if rows.size else 1.0
            if bad.size == 0:
                text = (f"{lab}: largest (or not) in the same regions in at least {_pct(stable)} of "
                        f"draws, no lead within {_pts(margin)}")
                out.append(Verdict(f"empowerment_plurality:{comm}", cname, True, text, agree))
            else:
                k = int(bad[np.argmin(ag_p[bad, j])])
                verb = "leads" if lead[k, j] >= 0 else "trails the largest community in"
                text = (f"{lab}: {verb} {names[k]} by {_pts(round(100 * abs(lead[k, j]), 1) / 100)}; "
                        f"largest in {_pct(ev_p[k, j])} of draws")
                if bad.size > 1:
                    text += f" (and {bad.size - 1} more regions)"
                out.append(Verdict(f"empowerment_plurality:{comm}", cname, False, text, agree))
        for k, rname in enumerate(names):
            if pm.population[k] <= 0:
                continue
            L = int(pm.largest[k])
            counts = np.bincount(big[:, k][big[:, k] >= 0], minlength=g)
            d = max(int(counts.sum()), 1)
            agree = counts[L] / d
            lab = labels.get(cm.communities[L], cm.communities[L])
            lk = float(lead[k, L])
            if agree >= stable and lk >= margin:
                reason = (f"{lab} largest in {rname} in {counts[L]} of {d} draws "
                          f"(lead {_pts(round(100 * lk, 1) / 100)})")
                out.append(Verdict(f"largest:{rname}", cname, True, reason, agree))
            else:
                order = np.argsort(-counts, kind="stable")
                parts = [f"{labels.get(cm.communities[c], cm.communities[c])} in {_pct(counts[c] / d)}"
                         for c in order if counts[c] > 0][:3]
                why = (f"lead only {_pts(round(100 * lk, 1) / 100)}" if lk < margin else
                       "largest community changes between draws")
                reason = f"largest community of {rname}: " + ", ".join(parts) + f" of draws ({why})"
                out.append(Verdict(f"largest:{rname}", cname, False, reason, agree))
    if criteria:
        for cd in check_criteria_draws(dev, criteria):
            out.append(criterion_verdict(cd, stable=stable, labels=labels))
    return out


def _is_share(metric: str) -> bool:
    """Whether a metric is a share (shown as a percentage), by the metric registry's unit."""
    from dayafter.metrics.registry import get

    try:
        return get(metric).unit == "share"
    except ConfigError:
        return True


def criterion_verdict(cd: CriterionDraws, *, stable: float = DEFAULT_STABLE,
                      labels: Mapping[str, str] | None = None) -> Verdict:
    """Robust when at least ``stable`` of the draws agree with the point pass/fail; the reason
    gives the pass share and the 90% range of the figure that decides it."""
    agree = cd.agreement()
    crit = cd.criterion
    finite = cd.worst[np.isfinite(cd.worst)]
    rng = ""
    if finite.size:
        q = quantiles(finite)
        fmt = _pct if _is_share(crit.metric) else (lambda x: f"{x:,.4g}")
        item = (labels or {}).get(cd.item, cd.item)
        rng = (f"; {crit.metric} of {item}: 90% range {fmt(q[0])}-{fmt(q[2])} against "
               f"{crit.bounds_text()}")
    na = f" (not applicable in {_pct(cd.na_share)})" if cd.na_share > 0 else ""
    over = f" of {cd.passes.size} draws" if cd.passes.size else " of draws"
    reason = f"passes in {_pct(cd.pass_share)}{over}{na}" + rng
    return Verdict(f"criterion:{crit.name}", cd.census, agree >= stable, reason, agree)


def figure_verdicts(vs: Sequence[Verdict]) -> dict[str, Verdict]:
    """Verdicts keyed like the figures of :meth:`DrawEvaluation.figures` (``<census>/<subject>``),
    for the figures that rest on findings (stranded and empowerment shares)."""
    return {f"{v.census}/{v.subject}": v for v in vs
            if v.subject.split(":", 1)[0] in ("stranded", "empowerment_plurality",
                                                "empowerment_majority")}
