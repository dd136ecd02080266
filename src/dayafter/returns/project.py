"""Project a census after returns: who returns where under a plan and a horizon.

The accounting (:func:`return_flows`), per community ``g`` and unit ``i``, with the current
census ``C`` and the baseline ``B`` grown by a factor ``k`` (natural growth between the two
censuses; by default the territory's total growth ``sum C / sum B``):

- displaced from ``i``: ``D = max(k B - C, 0)``; hosted surplus in ``i``: ``H = max(C - k B, 0)``;
- of the community's displaced, the part living inside the territory is ``min(sum D, sum H)``
  (share ``f``), the rest lives outside it (abroad or elsewhere in the country);
- returns to ``i``: ``R = D p (f + (1 - f) o)`` with ``p`` the return propensity of the unit and
  community (:mod:`dayafter.returns.model`) and ``o`` the factor for those outside;
- returnees from inside leave the hosting units in proportion to their surplus ``H``; those from
  outside add to the territory;
- projected census ``P = C + R - departures``.

Invariants (tested): ``0 <= R <= D``; ``0 <= departures <= H``; ``P >= 0``; for every community
``sum P = sum C + outside`` and ``outside <= max(sum D - sum H, 0)``: people are neither lost nor
created, and nobody returns who was not displaced.

Every function takes census arrays with any leading axes (``float64[d, n, g]`` for ``d`` census
draws) and is vectorised over them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dayafter._control import unit_control
from dayafter.errors import ConfigError, InputDataError
from dayafter.returns.model import ReturnModel

if TYPE_CHECKING:
    from dayafter.plan import Plan
    from dayafter.territory import Territory

__all__ = ["Flows", "ReturnsResult", "displacement", "project_returns", "propensity_arrays",
           "return_flows"]

QUANTILES = (0.05, 0.5, 0.95)


class Flows(NamedTuple):
    """Result of :func:`return_flows` (arrays with the census arrays' leading axes)."""

    displaced: NDArray[np.float64]
    """``[..., n, g]`` people missing from their home unit (grown baseline minus current)."""
    hosted: NDArray[np.float64]
    """``[..., n, g]`` surplus over the grown baseline (hosted displaced, newcomers)."""
    returns: NDArray[np.float64]
    """``[..., n, g]`` people who return to each unit."""
    departures: NDArray[np.float64]
    """``[..., n, g]`` returnees leaving each hosting unit."""
    outside: NDArray[np.float64]
    """``[..., g]`` returnees arriving from outside the territory."""
    projected: NDArray[np.float64]
    """``[..., n, g]`` the census after returns."""
    growth: NDArray[np.float64]
    """Growth factor used (broadcast shape ``[..., 1, 1]`` or as given)."""


def _safe_div(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    a, b = np.broadcast_arrays(a, b)
    return np.divide(a, b, out=np.zeros(a.shape), where=b > 0)


def displacement(baseline: ArrayLike, current: ArrayLike, growth: ArrayLike | None = None
                 ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Displaced and hosted people of each unit and community, and the growth factor used.

    ``D = max(k B - C, 0)`` and ``H = max(C - k B, 0)`` with ``k`` the growth of the baseline to
    the current census's date (see :func:`return_flows`).

    Examples
    --------
    >>> D, H, k = displacement([[100.0], [100.0]], [[60.0], [180.0]])
    >>> D[:, 0].tolist(), H[:, 0].tolist(), float(k.ravel()[0])
    ([60.0, 0.0], [0.0, 60.0], 1.2)
    """
    B = np.asarray(baseline, dtype=np.float64)
    C = np.asarray(current, dtype=np.float64)
    if growth is None:
        tb = B.sum(axis=(-2, -1), keepdims=True)
        tc = C.sum(axis=(-2, -1), keepdims=True)
        # grown baseline = the baseline's shares of the current total (no overflow for tiny totals)
        E = np.where(tb > 0, _safe_div(B, tb) * tc, B)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            k = np.where(tb > 0, tc / np.where(tb > 0, tb, 1.0), 1.0)
    else:
        k = np.asarray(growth, dtype=np.float64)
        if np.any(~np.isfinite(k)) or np.any(k < 0):
            raise ConfigError("the growth factor must be finite and >= 0",
                              hint="pass None for the territory's growth, or a number >= 0")
        E = k * B
    return np.maximum(E - C, 0.0), np.maximum(C - E, 0.0), np.asarray(k)


def return_flows(baseline: ArrayLike, current: ArrayLike, propensity: ArrayLike, *,
                 outside_factor: ArrayLike = 1.0, growth: ArrayLike | None = None,
                 displaced: ArrayLike | None = None, hosted: ArrayLike | None = None) -> Flows:
    """Returns, departures and the projected census (see the module notes).

    Parameters
    ----------
    baseline, current
        ``float64[..., n, g]`` censuses (non-negative; same or broadcastable shapes).
    propensity
        Share of each unit's displaced who return, in ``[0, 1]``, broadcastable to the census
        shape (e.g. ``[d, n, g]``).
    outside_factor
        Factor in ``[0, 1]`` on the propensity of displaced people outside the territory; a
        scalar or one value per draw (``[d]``).
    growth
        Growth factor of the baseline to the current census's date: ``None`` for the
        territory's total growth (per draw), a scalar, or an array broadcastable to the census
        shape (``k[:, None]`` for one factor per unit).
    displaced, hosted
        Displaced and hosted people to use instead of :func:`displacement` (both or neither;
        ``hosted`` may not exceed ``current``).

    Returns
    -------
    Flows

    Examples
    --------
    Two units, one community: unit 0 lost 40 people, unit 1 hosts 30 of them, 10 are abroad.

    >>> f = return_flows([[100.0], [50.0]], [[60.0], [80.0]], 0.5, growth=1.0)
    >>> f.returns[:, 0].tolist(), f.departures[:, 0].tolist(), f.outside.tolist()
    ([20.0, 0.0], [0.0, 15.0], [5.0])
    >>> f.projected[:, 0].tolist()
    [80.0, 65.0]

    Notes
    -----
    ``O(size of the census arrays)``: the displacement in NumPy, the flows in one numba kernel
    (:mod:`dayafter._kernels.returns`) over the draws, units and communities, in memory order;
    the NumPy reference :func:`_flows_numpy` computes the same (tested).
    """
    B = np.asarray(baseline, dtype=np.float64)
    C = np.asarray(current, dtype=np.float64)
    if B.ndim < 2 or C.ndim < 2:
        raise ConfigError("censuses must be arrays [..., units, communities]",
                          hint="pass tables of units x communities, with draws first")
    B, C = np.broadcast_arrays(B, C)
    if not (_finite_nonneg(B) and _finite_nonneg(C)):
        raise InputDataError("censuses must be finite and non-negative for a return projection",
                             hint="check the census tables for missing or negative values")
    p = np.asarray(propensity, dtype=np.float64)
    if p.size and not (_finite_nonneg(p) and float(p.max()) <= 1.0):
        raise ConfigError("return propensities must lie in [0, 1]",
                          hint="a propensity is a share of the displaced")
    of = np.asarray(outside_factor, dtype=np.float64)
    if of.size and (float(of.min()) < 0 or float(of.max()) > 1):
        raise ConfigError("outside_factor must lie in [0, 1]",
                          hint="it scales a share of people")
    if (displaced is None) != (hosted is None):
        raise ConfigError("pass both displaced and hosted, or neither",
                          hint="give displaced and hosted together")
    if displaced is None:
        D, H, k = displacement(B, C, growth)
    else:
        D = np.asarray(displaced, dtype=np.float64)
        H = np.asarray(hosted, dtype=np.float64)
        if not (_finite_nonneg(D) and _finite_nonneg(H)):
            raise ConfigError("displaced and hosted people must be finite and >= 0",
                              hint="check the displaced and hosted tables")
        k = np.asarray(np.nan if growth is None else growth, dtype=np.float64)
    try:
        full = np.broadcast_shapes(B.shape, D.shape, H.shape, p.shape, of.shape + (1, 1))
    except ValueError:
        raise ConfigError(f"propensity {p.shape}, outside_factor {of.shape} and displacement "
                          f"{D.shape} do not fit censuses of shape {B.shape}",
                          hint="use arrays shaped like the censuses, with the same draws") from None
    C, D, H = (np.broadcast_to(x, full) for x in (C, D, H))
    if displaced is not None and np.any(H > C + 1e-9 * np.maximum(C, 1.0)):
        raise ConfigError("hosted people exceed the current census in some unit",
                          hint="hosted people live in the unit, so they are part of its current population")
    lead = full[:-2]
    n, g = full[-2:]
    d = int(np.prod(lead)) if lead else 1
    from dayafter._kernels.returns import return_flows as _kernel

    OF = np.ascontiguousarray(np.broadcast_to(of, lead).reshape(d)) if lead else \
        np.full(1, float(of))
    R, dep, P, outside = _kernel(D.reshape(d, n, g), H.reshape(d, n, g), C.reshape(d, n, g),
                                 np.broadcast_to(p, full).reshape(d, n, g), OF)
    return Flows(D, H, R.reshape(full), dep.reshape(full), outside.reshape(lead + (g,)),
                 P.reshape(full), k)


def _finite_nonneg(x: NDArray[np.float64]) -> bool:
    if x.size == 0:
        return True
    return bool(np.isfinite(x.sum()) and float(x.min()) >= 0.0)


def _flows_numpy(D: NDArray[np.float64], H: NDArray[np.float64], C: NDArray[np.float64],
                 p: ArrayLike, of: ArrayLike) -> tuple[NDArray[np.float64], ...]:
    """The flows of :func:`return_flows` in plain NumPy (the reference the kernel is tested on):
    returns, departures, projected census, arrivals from outside."""
    of = np.asarray(of, dtype=np.float64)
    of = of.reshape(of.shape + (1, 1))
    p = np.asarray(p, dtype=np.float64)
    Dg = D.sum(axis=-2, keepdims=True)
    Hg = H.sum(axis=-2, keepdims=True)
    f_in = _safe_div(np.minimum(Dg, Hg), Dg)
    pD = D * p
    R_in = pD * f_in
    R_out = pD * (1.0 - f_in) * of
    R = R_in + R_out
    ratio = np.clip(_safe_div(R_in.sum(axis=-2, keepdims=True), Hg), 0.0, 1.0)
    dep = H * ratio
    return R, dep, np.maximum(C + R - dep, 0.0), R_out.sum(axis=-2)


def propensity_arrays(model: ReturnModel, params: Any, control: Sequence[str] | NDArray[np.object_],
                      secure: NDArray[np.bool_] | NDArray[np.float64] | None, horizon: float) -> NDArray[np.float64]:
    """Return propensity ``[d, n, g]`` for every unit and community.

    Parameters
    ----------
    model
        The return model (gives the control vocabulary).
    params
        :class:`~dayafter.returns.model.ParameterArrays` (``d`` rows).
    control
        ``str[n]`` control of each unit; values without factors count 1.
    secure
        ``bool[n]`` (or ``[d, n]``) whether acceptable security covers each unit, or the share of
        each unit's security requirement that acceptable forces cover (``float`` in ``[0, 1]``:
        the factor is ``insecure + (1 - insecure) * share``, so ``True`` is 1 and ``False`` the
        insecure factor); ``None``: security not assessed (factor 1 everywhere).
    horizon
        Years after the current census.
    """
    controls = model.controls
    look = {c: k for k, c in enumerate(controls)}
    other = len(controls)
    code = np.array([look.get(str(c), other) for c in control], dtype=np.int64)
    cf = params.control_factor
    cf = np.concatenate([cf, np.ones((cf.shape[0], 1, cf.shape[2]))], axis=1)
    factor = cf[:, code, :]  # [d, n, g]
    if secure is not None:
        sec = np.clip(np.asarray(secure, dtype=np.float64), 0.0, 1.0)
        sec2 = sec[None, :] if sec.ndim == 1 else sec  # [1 or d, n]
        ins = params.insecure_factor[:, None]
        sf = ins + (1.0 - ins) * sec2  # [d, n]
        factor = factor * sf[..., None]
    hazard = params.hazard[:, None, :] * factor
    c0 = params.ceiling_now[:, None, :]
    out: NDArray[np.float64] = np.clip(c0 * -np.expm1(-hazard * max(float(horizon), 0.0)), 0.0, 1.0)
    return out


def _quantiles(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.quantile(x, QUANTILES, axis=0)


@dataclass(frozen=True, eq=False)
class ReturnsResult:
    """A return projection: the flows at the central values and, optionally, over draws.

    Attributes
    ----------
    unit_ids, communities
        Row and column labels of every ``[n, g]`` array.
    horizon
        Years after the current census.
    plan, baseline, current
        Plan name and the census names used.
    control
        ``str[n]`` control of each unit.
    secure
        ``float[n]`` security coverage in ``[0, 1]`` (1: acceptable security covers the unit),
        or ``None`` when not assessed.
    flows
        :class:`Flows` at the central parameter values and the given censuses.
    propensity
        ``[n, g]`` central return propensity.
    draws
        :class:`Flows` over ``d`` draws (parameters and, when given, censuses), or ``None``.
    unit_labels
        Readable unit names (``name (id)``).
    admin
        Admin codes per level (``str[n]``), for summaries by district or governorate.
    meta
        Parameters and sources.
    """

    unit_ids: NDArray[np.object_]
    communities: tuple[str, ...]
    horizon: float
    plan: str
    baseline: str
    current: str
    control: NDArray[np.object_]
    secure: NDArray[np.float64] | None
    flows: Flows
    propensity: NDArray[np.float64]
    draws: Flows | None = None
    unit_labels: tuple[str, ...] = ()
    admin: Mapping[str, NDArray[np.object_]] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def projected(self) -> NDArray[np.float64]:
        """``[n, g]`` projected census at the central values."""
        return self.flows.projected

    @property
    def n_draws(self) -> int:
        """Number of draws (0 without draws)."""
        return 0 if self.draws is None else int(self.draws.returns.shape[0])

    def by_community(self) -> list[dict[str, Any]]:
        """Per community: displaced, hosted, returns (with p05/p50/p95), from outside, and the
        share of the displaced who return."""
        f = self.flows
        out = []
        qs = None
        if self.draws is not None:
            qs = _quantiles(self.draws.returns.sum(axis=1))  # [3, g]
        for j, c in enumerate(self.communities):
            disp = float(f.displaced[:, j].sum())
            ret = float(f.returns[:, j].sum())
            row: dict[str, Any] = {
                "community": c, "displaced": disp, "hosted": float(f.hosted[:, j].sum()),
                "returns": ret, "from_outside": float(f.outside[j]),
                "return_share": ret / disp if disp > 0 else float("nan"),
                "current": float(self.flows.projected[:, j].sum() - ret
                                 + f.departures[:, j].sum()),
                "projected": float(f.projected[:, j].sum()),
            }
            if qs is not None:
                row.update({"returns_p05": float(qs[0, j]), "returns_p50": float(qs[1, j]),
                            "returns_p95": float(qs[2, j])})
            out.append(row)
        return out

    def by_unit(self, *, top: int | None = None, min_returns: float = 0.0) -> list[dict[str, Any]]:
        """Flows per unit and community where anyone returns or leaves, largest returns first.

        Each row: unit, community, displaced, returns (with p05/p95 over draws), departures,
        propensity, current and projected population of the community in the unit.
        """
        f = self.flows
        R = f.returns
        rows = []
        qs = _quantiles(self.draws.returns) if self.draws is not None else None
        idx = np.argwhere((R > min_returns) | (f.departures > min_returns))
        order = np.lexsort((idx[:, 1], idx[:, 0], -(R[idx[:, 0], idx[:, 1]]
                                                     - f.departures[idx[:, 0], idx[:, 1]])))
        for i, j in idx[order][: top if top is not None else None]:
            cur = float(f.projected[i, j] - R[i, j] + f.departures[i, j])
            row: dict[str, Any] = {
                "unit_id": str(self.unit_ids[i]),
                "unit": self.unit_labels[i] if self.unit_labels else str(self.unit_ids[i]),
                "control": str(self.control[i]),
                "security_coverage": None if self.secure is None else float(self.secure[i]),
                "community": self.communities[j],
                "displaced": float(f.displaced[i, j]), "returns": float(R[i, j]),
                "departures": float(f.departures[i, j]),
                "propensity": float(self.propensity[i, j]),
                "current": cur, "projected": float(f.projected[i, j]),
            }
            if qs is not None:
                row["returns_p05"] = float(qs[0, i, j])
                row["returns_p95"] = float(qs[2, i, j])
            rows.append(row)
        return rows

    def by_admin(self, level: str) -> list[dict[str, Any]]:
        """Returns and net change per admin unit (e.g. ``district``) and community."""
        if level not in self.admin:
            raise InputDataError(f"unknown admin level {level!r}", hint=f"use one of {list(self.admin)}")
        names, inv = np.unique(self.admin[level].astype(str), return_inverse=True)
        f = self.flows
        k = names.size
        out = []
        R = np.zeros((k, len(self.communities)))
        np.add.at(R, inv, f.returns)
        net = np.zeros_like(R)
        np.add.at(net, inv, f.returns - f.departures)
        for a, name in enumerate(names.tolist()):
            for j, c in enumerate(self.communities):
                if R[a, j] > 0 or abs(net[a, j]) > 0:
                    out.append({"admin": name, "community": c, "returns": float(R[a, j]),
                                "net_change": float(net[a, j])})
        return out

    def totals(self) -> dict[str, Any]:
        """Headline numbers: displaced, returns (with range), departures, from outside."""
        f = self.flows
        out: dict[str, Any] = {"displaced": float(f.displaced.sum()),
                               "returns": float(f.returns.sum()),
                               "departures": float(f.departures.sum()),
                               "from_outside": float(f.outside.sum()),
                               "current": float(f.projected.sum() - f.outside.sum()),
                               "projected": float(f.projected.sum())}
        if self.draws is not None:
            q = np.quantile(self.draws.returns.sum(axis=(1, 2)), QUANTILES)
            out.update({"returns_p05": float(q[0]), "returns_p50": float(q[1]),
                        "returns_p95": float(q[2])})
        return out

    def check(self, tol: float = 1e-6) -> None:
        """Raise ``AssertionError`` unless the accounting invariants hold (central and draws)."""
        for f in (self.flows, *(() if self.draws is None else (self.draws,))):
            scale = tol * max(1.0, float(np.abs(f.projected).max(initial=0.0)))
            assert np.all(f.returns >= -scale) and np.all(f.returns <= f.displaced + scale)
            assert np.all(f.departures >= -scale) and np.all(f.departures <= f.hosted + scale)
            cur = f.projected - f.returns + f.departures
            lhs = f.projected.sum(axis=-2)
            rhs = cur.sum(axis=-2) + f.outside
            assert np.allclose(lhs, rhs, rtol=1e-9, atol=scale)

    def with_projection(self, territory: Territory, plans: Sequence[Plan] = (), *,
                        name: str = "projected") -> tuple[Territory, list[Plan]]:
        """The territory with the projected census added as ``name``, and ``plans`` attached to it.

        The new census counts in every metric, criterion and engine like the others. Plans carry
        the territory's content hash, which changes with the new census, so the given plans are
        returned re-attached to the new territory (same assignments).

        Raises
        ------
        InputDataError
            The territory is not the one projected (other units or communities).
        """
        if territory.n_units != self.unit_ids.size or tuple(territory.communities) != self.communities \
                or not np.array_equal(territory.unit_ids, self.unit_ids):
            raise InputDataError("the projection was made for another territory",
                                 hint="project returns on this territory first")
        censuses = {k: v for k, v in territory.censuses.items() if k != name}
        censuses[name] = self.flows.projected
        meta = dict(territory.meta)
        meta[f"census:{name}"] = {"kind": "projected", "horizon": self.horizon, "plan": self.plan,
                                  "baseline": self.baseline, "current": self.current}
        new = replace(territory, censuses=censuses, meta=meta)
        out = []
        for p in plans:
            p.check_territory(territory)
            out.append(replace(p, territory_hash=new.content_hash))
        return new, out

    def to_dict(self, *, top: int = 25) -> dict[str, Any]:
        """JSON-ready summary for the CLI, the report and the workbench panel."""
        return {
            "plan": self.plan, "horizon": self.horizon, "baseline": self.baseline,
            "current": self.current, "draws": self.n_draws,
            "growth": float(np.mean(self.flows.growth)),
            "security_assessed": self.secure is not None,
            "units_secure": None if self.secure is None else int((self.secure >= 1.0).sum()),
            "totals": self.totals(),
            "communities": self.by_community(),
            "flows": self.by_unit(top=top),
            "meta": dict(self.meta),
        }


def _secure_array(territory: Territory, secure: Any) -> NDArray[np.float64] | None:
    if secure is None:
        return None
    n = territory.n_units
    if isinstance(secure, Mapping):
        out = np.zeros(n, dtype=np.float64)
        idx = territory.index(list(secure), source="security coverage")
        out[idx] = np.array([float(v) for v in secure.values()], dtype=np.float64)
    else:
        out = np.asarray(secure, dtype=np.float64)
        shape = tuple(out.shape)
        if shape != (n,) and not (len(shape) == 2 and shape[-1] == n):
            raise InputDataError(f"security coverage needs one value per unit ({n}), got shape "
                                 f"{out.shape}", hint="pass one value per unit in the territory's unit order")
    if not np.all(np.isfinite(out)) or np.any(out < 0) or np.any(out > 1):
        raise InputDataError("security coverage must be true/false or a share in [0, 1] per unit",
                             hint="write 1 (covered), 0 (not covered) or the covered share")
    return out


def _growth_factor(territory: Territory, B: NDArray[np.float64], C: NDArray[np.float64],
                   growth: Any) -> Any:
    """``growth`` as :func:`return_flows` takes it (an admin level becomes one factor per unit)."""
    if growth is None or (isinstance(growth, str) and growth == "territory"):
        return None
    if isinstance(growth, str):
        if growth not in territory.admin:
            raise ConfigError(f"unknown growth rule {growth!r}",
                              hint=f"use territory, a number or one of {list(territory.admin)}")
        codes, _ = territory.admin_codes(growth)
        tb = np.bincount(codes, weights=B.sum(axis=1))
        tc = np.bincount(codes, weights=C.sum(axis=1))
        k = np.divide(tc, tb, out=np.ones(tb.size), where=tb > 0)
        return k[codes][:, None]
    return growth


def project_returns(
    territory: Territory,
    plan: Plan | None = None,
    *,
    model: ReturnModel,
    horizon: float,
    baseline: str = "baseline",
    current: str = "current",
    control: Sequence[str] | NDArray[np.object_] | None = None,
    secure: NDArray[np.bool_] | NDArray[np.float64] | Mapping[str, float] | None = None,
    growth: float | str | NDArray[np.float64] | None = None,
    draws: int = 0,
    rng: np.random.Generator | None = None,
    census_draws: Mapping[str, NDArray[np.float64]] | None = None,
    displacement_draws: str = "central",
) -> ReturnsResult:
    """Project the census after returns under ``plan`` over ``horizon`` years.

    Parameters
    ----------
    territory
        The territory with the ``baseline`` (pre-displacement, the right-of-return reference)
        and ``current`` censuses.
    plan
        The plan whose control changes the propensity (see :func:`dayafter._control.unit_control`).
        Ignored when ``control`` is given; with neither, every unit has factor 1.
    model
        The :class:`~dayafter.returns.model.ReturnModel` (reordered to the territory's
        communities).
    horizon
        Years after the current census (>= 0).
    baseline, current
        Census names.
    control
        ``str[n]`` control per unit, overriding the plan's.
    secure
        Whether acceptable security covers each unit: ``bool[n]``, ``bool[d, n]`` (per draw),
        a covered share per unit in ``[0, 1]``, or ``{unit_id: bool or share}`` (units not named
        are not covered); ``None``: not assessed (no factor). See :func:`propensity_arrays`.
    growth
        Growth factor of the baseline (see :func:`return_flows`): ``None`` or ``"territory"``
        for the territory's total growth, an admin level name (e.g. ``"governorate"``) for the
        growth of each unit's admin unit (displacement inside it is then not counted), a number,
        or an array per unit.
    draws
        Number of parameter draws (0: central values only). With ``census_draws`` the number of
        draws is theirs.
    rng
        Random generator for the draws.
    census_draws
        ``{census name: float64[d, n, g]}`` census draws (e.g. from the census model of
        :mod:`dayafter.uncertainty`); censuses not given stay at their point values.
    displacement_draws
        How census draws change who is displaced. ``central`` (default): each unit and
        community keeps the displaced share of its grown baseline and the hosted share of its
        current population from the central censuses, and the draws change the population those
        shares apply to. ``draws``: displacement is recomputed in every draw as the difference of
        the two drawn censuses; with independent errors that difference counts noise as
        displacement (``max(kB - C, 0)`` is biased upward), so use it only with censuses whose
        errors are shared.

    Returns
    -------
    ReturnsResult

    Raises
    ------
    InputDataError
        Unknown census, community missing from the model, coverage of the wrong length.
    ConfigError
        Negative horizon, draws without a generator.
    """
    if displacement_draws not in ("central", "draws"):
        raise ConfigError(f"unknown displacement_draws {displacement_draws!r}",
                          hint="use central or draws")
    if not np.isfinite(horizon) or horizon < 0:
        raise ConfigError(f"the horizon must be a number of years >= 0, got {horizon!r}",
                          hint="pass --horizon 5 for five years after the current census")
    B = territory.census(baseline)
    C = territory.census(current)
    growth = _growth_factor(territory, B, C, growth)
    model = model.for_communities(territory.communities)
    n = territory.n_units
    if control is None:
        ctrl = unit_control(plan) if plan is not None else np.full(n, "", dtype=object)
        if plan is not None:
            plan.check_territory(territory)
    else:
        ctrl = np.asarray(control, dtype=object)
        if ctrl.shape != (n,):
            raise InputDataError(f"control needs one value per unit ({n}), got shape {ctrl.shape}",
                                 hint="pass one control label per unit in the territory's unit order")
    sec = _secure_array(territory, secure)
    sec_point = sec if sec is None or sec.ndim == 1 else sec[0]
    params = model.arrays()
    p0 = propensity_arrays(model, params, ctrl, sec_point, horizon)
    f0 = return_flows(B, C, p0[0], outside_factor=float(params.outside_factor[0]), growth=growth)
    fd = None
    if census_draws:
        unknown = set(census_draws) - set(territory.census_names)
        if unknown:
            raise InputDataError(f"census draws for unknown censuses {sorted(unknown)}",
                                 hint=f"use {list(territory.census_names)}")
        shapes = {k: np.shape(v) for k, v in census_draws.items()}
        ds = {s[0] for s in shapes.values()}
        if len(ds) != 1 or any(len(s) != 3 or s[1:] != B.shape for s in shapes.values()):
            raise InputDataError(f"census draws must all be [d, {n}, {B.shape[1]}], got {shapes}",
                                 hint="draw every census with the same number of draws and the territory's shape")
        draws = ds.pop()
    if draws:
        if rng is None:
            raise ConfigError("draws need a random generator (rng)",
                              hint="pass rng=np.random.default_rng(seed)")
        pd_ = model.arrays(rng, draws)
        if sec is not None and sec.ndim == 2 and sec.shape[0] != draws:
            raise InputDataError(f"per-draw security coverage has {sec.shape[0]} rows for {draws} draws",
                                 hint="give one coverage row per draw, or one row for all")
        pdraw = propensity_arrays(model, pd_, ctrl, sec, horizon)
        Bd = np.asarray(census_draws.get(baseline, B)) if census_draws else B
        Cd = np.asarray(census_draws.get(current, C)) if census_draws else C
        if census_draws and displacement_draws == "central":
            E0 = f0.displaced - f0.hosted + C  # the grown baseline of the central censuses
            dshare = _safe_div(f0.displaced, E0)
            hshare = _safe_div(f0.hosted, C)
            Dd, Hd, _ = displacement(Bd, Cd, growth)
            Ed = Dd - Hd + Cd
            fd = return_flows(Bd, Cd, pdraw, outside_factor=pd_.outside_factor, growth=growth,
                              displaced=dshare * Ed, hosted=hshare * Cd)
        else:
            fd = return_flows(Bd, Cd, pdraw, outside_factor=pd_.outside_factor, growth=growth)
    bad = [c for c in ctrl.tolist() if c and c not in model.controls]
    meta: dict[str, Any] = {"model": model.name, "census_year": model.census_year,
                            "displacement_draws": displacement_draws if census_draws else None,
                            "controls_without_factor": sorted(set(bad)),
                            "parameters": model.to_dict()}
    labels = tuple(territory.unit_label(i) for i in range(n))
    return ReturnsResult(
        unit_ids=territory.unit_ids, communities=tuple(territory.communities), horizon=float(horizon),
        plan="" if plan is None else plan.name, baseline=baseline, current=current,
        control=ctrl, secure=sec_point, flows=f0, propensity=p0[0], draws=fd,
        unit_labels=labels, admin=MappingProxyType(dict(territory.admin)), meta=meta)

