"""The return model: propensity per community, its calibration from published return figures,
and the factors for control and security, each with a range.

The share of a unit's displaced people of community ``g`` who return within ``t`` years is

.. math::

    p(t) = c_0 \\bigl(1 - e^{-h\\,m\\,t}\\bigr)

with ``h`` the yearly return hazard of the community, ``m`` the product of the factors for
the unit's control and for security coverage, and ``c_0`` the share of those still displaced at
the current census who would ever return.

Calibration (stated rule, :func:`hazard_from_share` and :func:`remaining_ceiling`): a published
figure says that a share ``r`` of a community's displaced had returned ``t_obs`` years after
returns became possible. With a long-run ceiling ``c`` (the share who ever return; emigrants
and those settled elsewhere do not), a constant hazard gives ``r = c (1 - e^{-h t_obs})``, so
``h = -ln(1 - r / c) / t_obs``. At the current census, ``T`` years after returns began, those
still displaced are the ``c e^{-hT}`` who will return and the ``1 - c`` who never will, so
``c_0 = c e^{-hT} / (c e^{-hT} + 1 - c)``. Every input (``r``, ``t_obs``, ``c``, ``T`` and the
factors) is an :class:`Estimate` with a low and a high; draws take each from a triangular
distribution on ``[low, high]`` with its mode at the value, independently.

>>> h = hazard_from_share(0.45, 9.0, 0.8)
>>> round(h, 4), round(remaining_ceiling(0.8, h, 9.0), 4)
(0.0919, 0.6364)
>>> round(return_propensity(h, 0.6364, 5.0), 4)
0.2344
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dayafter._control import CONTROL_VALUES
from dayafter._ranges import Estimate
from dayafter.errors import ConfigError, InputDataError

__all__ = [
    "Estimate",
    "Observation",
    "ParameterArrays",
    "ReturnModel",
    "hazard_from_share",
    "remaining_ceiling",
    "return_propensity",
]


@dataclass(frozen=True)
class Observation:
    """A published return figure: the share of a community's displaced who had returned.

    Parameters
    ----------
    obs_id
        Identifier (e.g. ``"RO1"``).
    community
        The community it describes (``"*"`` for all communities together).
    place
        The area it covers (text).
    share
        Share of the displaced who had returned.
    years
        Years between the start of returns (liberation) and the figure's date.
    date
        Date of the figure (text).
    derivation
        How the share follows from the published numbers.
    sources
        Source ids.
    """

    obs_id: str
    community: str
    place: str
    share: Estimate
    years: Estimate
    date: str = ""
    derivation: str = ""
    sources: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"obs_id": self.obs_id, "community": self.community, "place": self.place,
                "share": self.share.to_dict(), "years": self.years.to_dict(), "date": self.date,
                "derivation": self.derivation, "sources": list(self.sources)}


def hazard_from_share(share: ArrayLike, years: ArrayLike, ceiling: ArrayLike) -> Any:
    """Yearly return hazard ``h = -ln(1 - share / ceiling) / years`` (see the module notes).

    Parameters
    ----------
    share
        Share of the displaced who had returned after ``years``; must be below ``ceiling``.
    years
        Years since returns became possible (> 0).
    ceiling
        Long-run share who ever return (in ``(0, 1]``).
    """
    s, y, c = (np.asarray(x, dtype=np.float64) for x in (share, years, ceiling))
    if np.any(y <= 0) or np.any(c <= 0) or np.any(c > 1) or np.any(s < 0) or np.any(s >= c):
        raise ConfigError("hazard_from_share needs years > 0, 0 < ceiling <= 1 and "
                          "0 <= share < ceiling",
                          hint="an observed return share must be below the assumed ceiling")
    out = -np.log1p(-s / c) / y
    return float(out) if out.ndim == 0 else out


def remaining_ceiling(ceiling: ArrayLike, hazard: ArrayLike, elapsed: ArrayLike) -> Any:
    """Share of those still displaced after ``elapsed`` years who will ever return.

    ``c e^{-h T} / (c e^{-h T} + 1 - c)``; equals ``ceiling`` when ``elapsed`` is 0.
    """
    c, h, t = (np.asarray(x, dtype=np.float64) for x in (ceiling, hazard, elapsed))
    w = c * np.exp(-h * np.maximum(t, 0.0))
    den = w + 1.0 - c
    out = np.divide(w, den, out=np.zeros(np.broadcast(w, den).shape), where=den > 0)
    return float(out) if out.ndim == 0 else out


def return_propensity(hazard: ArrayLike, ceiling: ArrayLike, horizon: ArrayLike) -> Any:
    """Share of the displaced who return within ``horizon`` years: ``c (1 - e^{-h t})``."""
    h, c, t = (np.asarray(x, dtype=np.float64) for x in (hazard, ceiling, horizon))
    out = c * -np.expm1(-h * np.maximum(t, 0.0))
    return float(out) if out.ndim == 0 else out


class ParameterArrays(NamedTuple):
    """The model's parameters as arrays with a leading draws axis ``d`` (``d = 1``: point)."""

    hazard: NDArray[np.float64]
    """``[d, g]`` yearly return hazard."""
    ceiling_now: NDArray[np.float64]
    """``[d, g]`` share of those displaced at the current census who will ever return."""
    control_factor: NDArray[np.float64]
    """``[d, k, g]`` hazard factor for each control value of :attr:`ReturnModel.controls`."""
    insecure_factor: NDArray[np.float64]
    """``[d]`` hazard factor where no acceptable security covers the unit."""
    outside_factor: NDArray[np.float64]
    """``[d]`` factor on the propensity of displaced people living outside the territory."""


@dataclass(frozen=True)
class ReturnModel:
    """Parameters of the return model with their ranges and sources.

    Parameters
    ----------
    communities
        Community keys, in the territory's column order.
    ceiling
        Per community: the long-run share of the displaced who ever return.
    calibration
        Per community: the :class:`Observation` its hazard is calibrated on.
    returns_start
        Per community: the year returns became possible (liberation).
    census_year
        Year of the current census (the start of the projection).
    control_factors
        ``{control: {community: Estimate}}`` factors on the hazard; missing pairs are 1.
    insecure_factor
        Factor on the hazard where no acceptable security covers the unit.
    outside_factor
        Factor on the propensity of displaced people who live outside the territory (abroad or
        elsewhere in the country) rather than in one of its units.
    observations
        Every published figure shipped with the model (calibration and checks).
    sources
        Source id to citation.
    name, notes
        Label and free text.
    """

    communities: tuple[str, ...]
    ceiling: tuple[Estimate, ...]
    calibration: tuple[Observation, ...]
    returns_start: tuple[Estimate, ...]
    census_year: float
    control_factors: Mapping[str, Mapping[str, Estimate]] = field(default_factory=dict)
    insecure_factor: Estimate = field(default_factory=lambda: Estimate.exact(1.0))
    outside_factor: Estimate = field(default_factory=lambda: Estimate.exact(1.0))
    observations: tuple[Observation, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)
    name: str = ""
    notes: str = ""

    def __post_init__(self) -> None:
        g = len(self.communities)
        if g == 0 or len(set(self.communities)) != g:
            raise ConfigError(f"a return model needs distinct communities, got {self.communities}",
                              hint="list each community once")
        for what, seq in (("ceiling", self.ceiling), ("calibration", self.calibration),
                          ("returns_start", self.returns_start)):
            if len(seq) != g:
                raise ConfigError(f"the return model has {len(seq)} {what} entries for "
                                  f"{g} communities",
                                  hint="give one entry per community")
        for comm, c, obs in zip(self.communities, self.ceiling, self.calibration, strict=True):
            if not 0.0 < c.low <= c.high <= 1.0:
                raise InputDataError(f"community {comm!r}: the return ceiling must lie in (0, 1], "
                                     f"got [{c.low:g}, {c.high:g}]",
                                     hint="a ceiling is a share of the displaced")
            if obs.share.high >= c.low:
                raise InputDataError(
                    f"community {comm!r}: observation {obs.obs_id} has a returned share up to "
                    f"{obs.share.high:g}, not below the lowest ceiling {c.low:g}",
                    hint="raise the ceiling's low end or check the observed share")
            if obs.years.low <= 0:
                raise InputDataError(f"observation {obs.obs_id}: years must be > 0",
                                     hint="count the years from liberation to the figure")
        for name, est in (("insecure_factor", self.insecure_factor),
                          ("outside_factor", self.outside_factor)):
            if est.low < 0:
                raise InputDataError(f"{name} must be >= 0, got low {est.low:g}",
                                     hint="a factor is a multiplier >= 0")
        if self.outside_factor.high > 1:
            raise InputDataError(f"outside_factor must be <= 1, got high {self.outside_factor.high:g}",
                                 hint="it scales a share of people and cannot exceed 1")
        cf = {}
        for ctrl, table in self.control_factors.items():
            unknown = set(table) - set(self.communities)
            if unknown:
                raise InputDataError(f"control factors for {ctrl!r} name unknown communities "
                                     f"{sorted(unknown)}", hint=f"use {list(self.communities)}")
            for comm, est in table.items():
                if est.low < 0:
                    raise InputDataError(f"control factor {ctrl!r}/{comm!r} must be >= 0",
                                         hint="a factor is a multiplier >= 0")
            cf[str(ctrl)] = MappingProxyType(dict(table))
        object.__setattr__(self, "control_factors", MappingProxyType(cf))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))

    @property
    def controls(self) -> tuple[str, ...]:
        """Control values with factors: the vocabulary first, then any others named."""
        extra = sorted(set(self.control_factors) - set(CONTROL_VALUES))
        return (*CONTROL_VALUES, *extra)

    def for_communities(self, communities: Sequence[str]) -> ReturnModel:
        """The model with its community entries reordered to ``communities`` (a territory's).

        Raises
        ------
        InputDataError
            A community of the territory has no entry in the model.
        """
        communities = tuple(communities)
        if communities == self.communities:
            return self
        missing = [c for c in communities if c not in self.communities]
        if missing:
            raise InputDataError(f"the return model has no parameters for communities {missing}",
                                 hint="add a row for each to the parameters table")
        idx = [self.communities.index(c) for c in communities]
        from dataclasses import replace

        return replace(self, communities=communities,
                       ceiling=tuple(self.ceiling[i] for i in idx),
                       calibration=tuple(self.calibration[i] for i in idx),
                       returns_start=tuple(self.returns_start[i] for i in idx),
                       control_factors={k: {c: v for c, v in t.items() if c in communities}
                                        for k, t in self.control_factors.items()})

    def arrays(self, rng: np.random.Generator | None = None, draws: int = 0) -> ParameterArrays:
        """Parameters as arrays: the central values (``draws=0``) or ``draws`` joint draws.

        Each input estimate is drawn independently (triangular on its range); the hazard and
        the remaining ceiling are then computed per draw by the calibration rule, so their
        ranges follow from the published figures' ranges.

        Parameters
        ----------
        rng
            Random generator (required when ``draws > 0``).
        draws
            Number of draws; 0 gives one row of central values.

        Returns
        -------
        ParameterArrays
        """
        if draws < 0:
            raise ConfigError(f"draws must be >= 0, got {draws}",
                              hint="pass draws=0 for the central values")
        if draws and rng is None:
            raise ConfigError("parameter draws need a random generator (rng)",
                              hint="pass rng=np.random.default_rng(seed)")
        d = max(draws, 1)

        def col(est: Estimate) -> NDArray[np.float64]:
            if draws == 0:
                return np.full(1, float(est.value))
            assert rng is not None
            return est.draw(rng, d)

        g = len(self.communities)
        ceiling = np.stack([col(e) for e in self.ceiling], axis=1) if g else np.zeros((d, 0))
        share = np.stack([col(o.share) for o in self.calibration], axis=1)
        years = np.stack([col(o.years) for o in self.calibration], axis=1)
        start = np.stack([col(e) for e in self.returns_start], axis=1)
        hazard = hazard_from_share(share, years, ceiling)
        elapsed = np.maximum(self.census_year - start, 0.0)
        ceiling_now = remaining_ceiling(ceiling, hazard, elapsed)
        controls = self.controls
        cf = np.ones((d, len(controls), g))
        for k, ctrl in enumerate(controls):
            for j, comm in enumerate(self.communities):
                est = self.control_factors.get(ctrl, {}).get(comm)
                if est is not None:
                    cf[:, k, j] = col(est)
        return ParameterArrays(np.asarray(hazard).reshape(d, g),
                               np.asarray(ceiling_now).reshape(d, g), cf,
                               col(self.insecure_factor), col(self.outside_factor))

    def check_observations(self, rng: np.random.Generator | None = None,
                           draws: int = 1000) -> list[dict[str, Any]]:
        """Every observation against the model: the returned share the calibrated model predicts
        at the observation's years (central value and p05/p95 over parameter draws) beside the
        published share. The calibrating observations are reproduced by construction; the others
        are independent checks.

        Returns
        -------
        list of dict
            ``obs_id, community, place, observed, observed_low, observed_high, predicted,
            predicted_p05, predicted_p95, calibrates`` per observation and community it
            applies to (``*`` observations: every community calibrated on them).
        """
        rng = rng if rng is not None else np.random.default_rng(0)
        central = self.arrays()
        drawn = self.arrays(rng, draws)
        ceil_c = np.array([c.value for c in self.ceiling])
        ceil_d = np.stack([c.draw(rng, draws) for c in self.ceiling], axis=1)
        out = []
        for obs in self.observations:
            if obs.community == "*":  # all communities: those calibrated on such figures
                comms = [j for j in range(len(self.communities))
                         if self.calibration[j].community == "*"]
            else:
                comms = [j for j, c in enumerate(self.communities) if c == obs.community]
            for j in comms:
                t_d = obs.years.draw(rng, draws)
                pred = return_propensity(central.hazard[0, j], ceil_c[j], obs.years.value)
                pd_ = return_propensity(drawn.hazard[:, j], ceil_d[:, j], t_d)
                q = np.quantile(pd_, [0.05, 0.95])
                out.append({"obs_id": obs.obs_id, "community": self.communities[j],
                            "place": obs.place, "observed": obs.share.value,
                            "observed_low": obs.share.low, "observed_high": obs.share.high,
                            "predicted": float(pred), "predicted_p05": float(q[0]),
                            "predicted_p95": float(q[1]),
                            "calibrates": self.calibration[j].obs_id == obs.obs_id})
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description of every parameter and its sources."""
        pa = self.arrays()
        return {
            "name": self.name,
            "notes": self.notes,
            "census_year": self.census_year,
            "communities": [
                {"community": c, "ceiling": ce.to_dict(), "returns_start": rs.to_dict(),
                 "calibration": obs.obs_id, "hazard": float(pa.hazard[0, j]),
                 "ceiling_now": float(pa.ceiling_now[0, j])}
                for j, (c, ce, rs, obs) in enumerate(zip(self.communities, self.ceiling,
                                                         self.returns_start, self.calibration,
                                                         strict=True))],
            "control_factors": {k: {c: e.to_dict() for c, e in t.items()}
                                for k, t in self.control_factors.items()},
            "insecure_factor": self.insecure_factor.to_dict(),
            "outside_factor": self.outside_factor.to_dict(),
            "observations": [o.to_dict() for o in self.observations],
            "checks": self.check_observations(),
            "sources": dict(self.sources),
        }
