"""The census model: draws of every census consistent with each figure's stated range.

A *draw* is one possible census: ``float64[n, g]`` counts per unit and community. The model turns
the ranges a territory carries (:class:`dayafter.territory.CensusRange`) into draws, reproducibly
from a seed, with every unit's community shares summing to one.

>>> import numpy as np
>>> from dayafter.testing.grids import grid_territory
>>> t = grid_territory(2, 2, communities=np.array([[60.0, 40], [10, 90], [50, 50], [0, 100]]))
>>> model = CensusModel(t, ErrorModel(unknown_error=0.2))      # +-20% (90% interval) everywhere
>>> draws = model.draw(500, seed=7)
>>> draws.census("census").shape
(500, 4, 2)
>>> bool(np.all(draws.census("census") >= 0))
True
>>> np.array_equal(model.draw(500, seed=7).census("census"), draws.census("census"))
True

Model
-----
For unit ``i`` of a census with counts ``v[i, g]`` and total ``V[i] = sum_g v[i, g]``:

* **Size.** ``S = max(0, V + sigma z)`` with ``z ~ N(0, 1)`` and a two-piece scale:
  ``sigma = (V - L) / c`` below the point value and ``(H - V) / c`` above it, where ``[L, H]`` is
  the total's range and ``c = Phi^-1((1 + coverage) / 2)`` (1.645 for the default 90%). So the
  point value is the median and ``[L, H]`` is the central ``coverage`` interval of ``S``.
* **Composition.** Each community's count at the unit's point total is drawn the same way,
  ``y_g = max(0, v_g + sigma_g z_g)``, with ``[l_g, h_g]`` its central interval; the unit's
  counts are then ``S * y_g / sum_h y_h``, so shares sum to one in every draw.
  Ranges read as ``"joint"`` (a community's low is the unit's low total times its low share, its
  high the high total times its high share, as the built-in case builds them) are turned back
  into share ranges ``[l_g / L, h_g / H]`` and drawn at the point total the same way, so the
  size's spread is not counted twice.
* **Missing ranges** get the stated default: a relative half-width by the figure's status
  (:data:`DEFAULT_SIZE_ERROR`, :data:`DEFAULT_COMPOSITION_ERROR`), ``unknown_error`` where no
  status is known. A community counted as zero stays zero unless its range says otherwise.
* **Zero-width ranges** give the census unchanged (a unit whose every figure has a zero-width
  range is copied bit for bit).
* **Dependence.** Units, communities and censuses are independent by default. With
  ``group_level`` set (e.g. ``"governorate"``) the scores share a component within each admin
  unit, ``z = sqrt(rho) z_group + sqrt(1 - rho) z_unit``; ``census_correlation`` does the same
  across censuses (a figure imputed by one rule for both censuses errs the same way in both).
* **Truncation.** ``truncate=True`` treats the ranges as hard bounds: scores are mapped into the
  central ``coverage`` interval of the normal (``z -> Phi^-1(Phi(-c) + Phi(z)(1 - 2 Phi(-c)))``),
  so every drawn size and every community draw ``y_g`` lies inside its range.

Draws are reproducible: the same seed, model and territory give the same draws, and the first
``m`` draws of a run with ``d >= m`` draws are the draws of a run with ``m`` draws (a quick
answer with few draws is refined by adding draws, not by replacing them).

Notes
-----
The normalisation moves each community's marginal away from its stated interval a little (a
large community absorbs the others' spread); :meth:`CensusModel.range_coverage` measures how
often the drawn counts fall inside the stated ranges, the model's calibration on given data.
Draws cost O(d n g) time and memory per census.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from dayafter._kernels import draws as _kd
from dayafter.errors import ConfigError, InputDataError
from dayafter.territory import CensusRange, Territory

__all__ = [
    "DEFAULT_COMPOSITION_ERROR",
    "DEFAULT_SIZE_ERROR",
    "CensusDraws",
    "CensusModel",
    "ErrorModel",
]

DEFAULT_SIZE_ERROR: Mapping[str, float] = MappingProxyType(
    {"sourced": 0.10, "derived": 0.20, "imputed": 0.30})
"""Default relative half-width of a unit total's 90% interval, by status, where no range is
stated. 0.30 for imputed figures is the median relative half-width of the imputed totals that do
state a range in the built-in case (0.30 below, 0.26 above); sourced and derived figures get a
third and two thirds of it (an assumption)."""

DEFAULT_COMPOSITION_ERROR: Mapping[str, float] = MappingProxyType(
    {"sourced": 0.10, "derived": 0.20, "imputed": 0.30})
"""Default relative half-width of a community count's 90% interval (at the unit's point total),
by status, where no range is stated (an assumption, the same scale as the sizes)."""

_SEED_TAG_CENSUS = 1
_SEED_TAG_GROUP = 2
_SEED_TAG_COMMON = 3


def _ro(a: NDArray[Any]) -> NDArray[Any]:
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class ErrorModel:
    """How stated ranges (and missing ones) become draws.

    Parameters
    ----------
    coverage
        Probability that a figure's draw lies in its stated ``[low, high]`` (the interval is the
        central one around the point value). Default 0.90.
    size_error, composition_error
        Relative half-width of the ``coverage`` interval by status, for figures with no stated
        range (unit totals and community counts).
    unknown_error
        The same for figures with no status (default 0: a territory without ranges and statuses
        is taken as exact). A status not in the tables gets the largest error of its table.
    community_ranges
        How to read stated community ranges: ``None`` (default) as each census's ranges declare
        (:attr:`CensusRange.community_ranges <dayafter.territory.CensusRange>`);
        ``"composition"``: the spread of the count at the unit's point total (the unit's size
        range adds to it); ``"joint"``: the product of the total's range and a share range.
    truncate
        Treat ranges as hard bounds (see the module notes).
    group_level, group_correlation
        Admin level whose units share a component of their errors, and its weight ``rho``.
    census_correlation
        Weight of the component shared by the same figure across censuses.

    Examples
    --------
    >>> round(ErrorModel(coverage=0.8).z_coverage, 4)
    1.2816
    """

    coverage: float = 0.90
    size_error: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SIZE_ERROR))
    composition_error: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_COMPOSITION_ERROR))
    unknown_error: float = 0.0
    community_ranges: Literal["composition", "joint"] | None = None
    truncate: bool = False
    group_level: str | None = None
    group_correlation: float = 0.0
    census_correlation: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 < float(self.coverage) < 1.0:
            raise ConfigError(f"coverage must lie in (0, 1), got {self.coverage!r}",
                              hint="pass a probability such as 0.9")
        for name in ("size_error", "composition_error"):
            table = dict(getattr(self, name))
            for k, v in table.items():
                if not (isinstance(v, int | float) and np.isfinite(v) and v >= 0):
                    raise ConfigError(f"{name}[{k!r}] must be a relative error >= 0, got {v!r}",
                                      hint="e.g. 0.3 for +-30%")
            object.__setattr__(self, name, MappingProxyType(table))
        if not (np.isfinite(self.unknown_error) and self.unknown_error >= 0):
            raise ConfigError(f"unknown_error must be >= 0, got {self.unknown_error!r}")
        if self.community_ranges not in (None, "composition", "joint"):
            raise ConfigError(f"community_ranges must be None, 'composition' or 'joint', got "
                              f"{self.community_ranges!r}")
        for name in ("group_correlation", "census_correlation"):
            v = getattr(self, name)
            if not 0.0 <= float(v) <= 1.0:
                raise ConfigError(f"{name} must lie in [0, 1], got {v!r}")
        if self.group_correlation > 0 and not self.group_level:
            raise ConfigError("group_correlation needs group_level (an admin level such as "
                              "'governorate')")

    @property
    def z_coverage(self) -> float:
        """``c``: the standard normal quantile of ``(1 + coverage) / 2``."""
        from scipy.special import ndtri

        return float(ndtri(0.5 + 0.5 * float(self.coverage)))

    def relative_error(self, status: str, *, size: bool) -> float:
        """Default relative half-width for a figure of ``status`` without a stated range."""
        table = self.size_error if size else self.composition_error
        if not status:
            return float(self.unknown_error)
        if status in table:
            return float(table[status])
        return float(max(table.values(), default=self.unknown_error))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (for manifests and ``--json``)."""
        return {"coverage": float(self.coverage), "size_error": dict(self.size_error),
                "composition_error": dict(self.composition_error),
                "unknown_error": float(self.unknown_error), "community_ranges": self.community_ranges,
                "truncate": bool(self.truncate), "group_level": self.group_level,
                "group_correlation": float(self.group_correlation),
                "census_correlation": float(self.census_correlation)}


@dataclass(frozen=True, eq=False)
class _CensusParams:
    value: NDArray[np.float64]
    total: NDArray[np.float64]
    size_lo: NDArray[np.float64]
    size_hi: NDArray[np.float64]
    sig_lo: NDArray[np.float64]
    sig_hi: NDArray[np.float64]
    fixed: NDArray[np.bool_]
    zidx: NDArray[np.int64]           # score column of each figure, -1 for zero-width ranges
    low: NDArray[np.float64]          # effective ranges (stated or default), for reporting
    high: NDArray[np.float64]
    share_low: NDArray[np.float64]    # the share ranges the composition draws follow
    share_high: NDArray[np.float64]
    total_low: NDArray[np.float64]
    total_high: NDArray[np.float64]
    stated: int
    defaulted: int


@dataclass(frozen=True, eq=False)
class CensusDraws:
    """Draws of a territory's censuses.

    Each census's draws are stored draws-last, ``float64[n, g, d]`` (the layout the kernels of
    :mod:`dayafter._kernels.draws` run on); :meth:`census` gives the ``(d, n, g)`` view with the
    draws axis first. Both are read-only.

    Attributes
    ----------
    last
        Census name to its ``(n, g, d)`` draws.
    unit_ids, communities
        Row and column labels (the territory's).
    seed
        The root entropy the draws came from (reproduces them with the same model).
    model
        The model's parameters and counts of stated and defaulted ranges.
    territory_hash
        Content hash of the territory drawn from.
    """

    last: Mapping[str, NDArray[np.float64]]
    unit_ids: NDArray[np.object_]
    communities: tuple[str, ...]
    seed: int
    model: Mapping[str, Any]
    territory_hash: str

    @property
    def n_draws(self) -> int:
        """Number of draws ``d``."""
        return int(next(iter(self.last.values())).shape[2])

    @property
    def census_names(self) -> tuple[str, ...]:
        """Censuses drawn."""
        return tuple(self.last)

    @property
    def tables(self) -> dict[str, NDArray[np.float64]]:
        """Census name to its ``(d, n, g)`` draws (views)."""
        return {k: v.transpose(2, 0, 1) for k, v in self.last.items()}

    def census(self, name: str) -> NDArray[np.float64]:
        """The ``(d, n, g)`` draws of census ``name`` (a view of the draws-last array; use
        :func:`numpy.ascontiguousarray` for a C-ordered copy)."""
        return self.draws_last(name).transpose(2, 0, 1)

    def draws_last(self, name: str) -> NDArray[np.float64]:
        """The ``(n, g, d)`` draws of census ``name`` (contiguous)."""
        try:
            return self.last[name]
        except KeyError:
            raise InputDataError(f"census {name!r} was not drawn",
                                 hint=f"use one of {list(self.last)}") from None

    def population(self, name: str) -> NDArray[np.float64]:
        """``(d, n)`` unit totals of census ``name`` in every draw."""
        out: NDArray[np.float64] = self.draws_last(name).sum(axis=1).T
        return out

    def head(self, m: int) -> CensusDraws:
        """The first ``m`` draws (the same as drawing ``m`` with the same seed and model)."""
        if isinstance(m, bool) or not isinstance(m, int | np.integer) or not 0 < m <= self.n_draws:
            raise ConfigError(f"head needs 1..{self.n_draws} draws, got {m!r}")
        return CensusDraws({k: _ro(np.ascontiguousarray(v[:, :, :m])) for k, v in self.last.items()},
                           self.unit_ids, self.communities, self.seed, self.model, self.territory_hash)

    def describe(self) -> dict[str, Any]:
        """JSON-ready description: number of draws, seed, model."""
        return {"draws": self.n_draws, "seed": self.seed, "censuses": list(self.last),
                "model": dict(self.model)}


def _stable_key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def _seed_entropy(seed: int | np.random.SeedSequence | None) -> int:
    if isinstance(seed, np.random.SeedSequence):
        ent = seed.entropy
        return int(ent if isinstance(ent, int) else np.random.SeedSequence(ent).generate_state(1)[0])
    if seed is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}", hint="pass --seed 7")
    return int(seed)


class CensusModel:
    """Draws of a territory's censuses from the ranges it carries (see the module docstring).

    Parameters
    ----------
    territory
        The territory; its :attr:`~dayafter.territory.Territory.ranges` give the stated ranges.
        A census without ranges is drawn from the defaults alone.
    errors
        The error model (defaults: :class:`ErrorModel`).
    ranges
        Ranges to use instead of the territory's (census name to :class:`CensusRange`).

    Examples
    --------
    >>> import dayafter as da
    >>> t = da.cases.load("northern-iraq").territory
    >>> draws = CensusModel(t).draw(64, seed=1)
    >>> draws.census("baseline").shape == (64, t.n_units, t.n_communities)
    True
    """

    def __init__(self, territory: Territory, errors: ErrorModel | None = None, *,
                 ranges: Mapping[str, CensusRange] | None = None) -> None:
        self.territory = territory
        self.errors = errors if errors is not None else ErrorModel()
        if not isinstance(self.errors, ErrorModel):
            raise ConfigError(f"errors must be an ErrorModel, got {type(self.errors).__name__}")
        given = dict(territory.ranges if ranges is None else ranges)
        for cname, r in given.items():
            if cname not in territory.censuses:
                raise InputDataError(f"ranges given for census {cname!r}, which the territory does "
                                     "not have", hint=f"use one of {list(territory.census_names)}",
                                     source=r.source)
            if ranges is not None:
                r.check(territory.censuses[cname], territory.unit_ids, cname)
        self.ranges: Mapping[str, CensusRange] = MappingProxyType(given)
        self._params: dict[str, _CensusParams] = {}
        self._groups: NDArray[np.int64] | None = None
        self._n_groups = 0
        if self.errors.group_level:
            codes, names = territory.admin_codes(self.errors.group_level)
            self._groups = codes.astype(np.int64)
            self._n_groups = int(names.size)

    # ------------------------------------------------------------------ parameters
    def _census_params(self, name: str) -> _CensusParams:
        if name in self._params:
            return self._params[name]
        t = self.territory
        value = np.ascontiguousarray(t.census(name), dtype=np.float64)
        n, g = value.shape
        total = value.sum(axis=1)
        r = self.ranges.get(name) or CensusRange.empty(n, g)
        em = self.errors
        c = em.z_coverage
        # defaults for missing ends, by status
        def_rel_c = np.vectorize(lambda s: em.relative_error(str(s), size=False), otypes=[float])(
            np.asarray(r.status, dtype=object)) if r.status is not None else np.full((n, g), 0.0)
        def_rel_t = np.vectorize(lambda s: em.relative_error(str(s), size=True), otypes=[float])(
            np.asarray(r.total_status, dtype=object)) if r.total_status is not None else np.zeros(n)
        low = np.where(np.isfinite(r.low), r.low, value * (1.0 - np.minimum(def_rel_c, 1.0)))
        high = np.where(np.isfinite(r.high), r.high, value * (1.0 + def_rel_c))
        tl = np.where(np.isfinite(r.total_low), r.total_low, total * (1.0 - np.minimum(def_rel_t, 1.0)))
        th = np.where(np.isfinite(r.total_high), r.total_high, total * (1.0 + def_rel_t))
        # the point value always lies in its range (stated ranges are checked up to rounding)
        low = np.minimum(low, value)
        high = np.maximum(high, value)
        tl = np.minimum(tl, total)
        th = np.maximum(th, total)
        stated = int(np.isfinite(r.low).sum() + np.isfinite(r.high).sum()
                     + np.isfinite(r.total_low).sum() + np.isfinite(r.total_high).sum())
        size_lo = (total - tl) / c
        size_hi = (th - total) / c
        reading = em.community_ranges or r.community_ranges
        if reading == "joint":
            # a stated community range is (total range) x (share range): back to the share range
            # (low / total_low, high / total_high), then to counts at the unit's point total
            with np.errstate(invalid="ignore", divide="ignore"):
                lo_pt = np.where(tl[:, None] > 0, r.low * (total / np.where(tl > 0, tl, 1.0))[:, None],
                                 0.0)
                hi_pt = np.where(th[:, None] > 0, r.high * (total / np.where(th > 0, th, 1.0))[:, None],
                                 0.0)
            lo_pt = np.where(np.isfinite(r.low) & (r.low < value), np.minimum(lo_pt, value), low)
            hi_pt = np.where(np.isfinite(r.high) & (r.high > value), np.maximum(hi_pt, value), high)
        else:
            lo_pt, hi_pt = low, high
        sig_lo = (value - lo_pt) / c
        sig_hi = (hi_pt - value) / c
        fixed = (size_lo == 0) & (size_hi == 0) & np.all((sig_lo == 0) & (sig_hi == 0), axis=1)
        active = np.concatenate([(sig_lo > 0) | (sig_hi > 0), ((size_lo > 0) | (size_hi > 0))[:, None]],
                                axis=1)
        zidx = np.full(active.shape, -1, dtype=np.int64)
        zidx[active] = np.arange(int(active.sum()))  # row-major: unit by unit
        p = _CensusParams(
            value=_ro(value), total=_ro(total),
            size_lo=_ro(np.ascontiguousarray(size_lo)), size_hi=_ro(np.ascontiguousarray(size_hi)),
            sig_lo=_ro(np.ascontiguousarray(sig_lo)), sig_hi=_ro(np.ascontiguousarray(sig_hi)),
            fixed=_ro(fixed), zidx=_ro(zidx), low=_ro(low), high=_ro(high),
            share_low=_ro(lo_pt / np.where(total > 0, total, 1.0)[:, None]),
            share_high=_ro(hi_pt / np.where(total > 0, total, 1.0)[:, None]), total_low=_ro(tl), total_high=_ro(th),
            stated=stated, defaulted=int(2 * n * (g + 1) - stated))
        self._params[name] = p
        return p

    def intervals(self, census: str) -> dict[str, NDArray[np.float64]]:
        """The ranges the model uses for ``census`` (stated, or the default where none is).

        Keys ``low``, ``high`` (``(n, g)``), ``total_low``, ``total_high`` (``(n,)``).
        """
        self.territory.census(census)
        p = self._census_params(census)
        return {"low": p.low, "high": p.high, "total_low": p.total_low, "total_high": p.total_high}

    def describe(self) -> dict[str, Any]:
        """JSON-ready description: parameters and, per census, stated and defaulted range ends."""
        out: dict[str, Any] = {"errors": self.errors.to_dict(), "censuses": {}}
        for name in self.territory.census_names:
            p = self._census_params(name)
            r = self.ranges.get(name)
            out["censuses"][name] = {
                "stated_ends": p.stated, "defaulted_ends": p.defaulted,
                "fixed_units": int(p.fixed.sum()),
                "source": r.source if r is not None else "",
                "notes": list(r.notes) if r is not None else [],
            }
        return out

    # ------------------------------------------------------------------ draws
    def _scores(self, d: int, name: str, entropy: int, zidx: NDArray[np.int64]) -> NDArray[np.float64]:
        """``[d, m]`` standard normal scores of the ``m`` figures with a range of positive width."""
        em = self.errors
        key = _stable_key(name)
        units, cols = np.nonzero(zidx >= 0)
        order = np.argsort(zidx[units, cols], kind="stable")
        units, cols = units[order], cols[order]
        m = units.size
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
            entropy, spawn_key=(_SEED_TAG_CENSUS, key))))
        z = rng.standard_normal((d, m))
        if em.group_correlation > 0 and self._groups is not None:
            rg = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
                entropy, spawn_key=(_SEED_TAG_GROUP, key))))
            zg = rg.standard_normal((d, self._n_groups, zidx.shape[1]))
            rho = float(em.group_correlation)
            z *= np.sqrt(1.0 - rho)
            z += np.sqrt(rho) * zg[:, self._groups[units], cols]
        if em.census_correlation > 0:
            rc = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
                entropy, spawn_key=(_SEED_TAG_COMMON,))))
            zc = rc.standard_normal((d, self.territory.n_units, zidx.shape[1]))
            rho = float(em.census_correlation)
            z *= np.sqrt(1.0 - rho)
            z += np.sqrt(rho) * zc[:, units, cols]
        if em.truncate:
            from scipy.special import ndtr, ndtri

            lo = ndtr(-em.z_coverage)
            z = ndtri(lo + ndtr(z) * (1.0 - 2.0 * lo))
        return np.ascontiguousarray(z)

    def draw(self, n_draws: int, *, seed: int | np.random.SeedSequence | None = None,
             censuses: Sequence[str] | None = None) -> CensusDraws:
        """Draw ``n_draws`` versions of each census.

        Parameters
        ----------
        n_draws
            Number of draws ``d`` (at least 1).
        seed
            Root seed (an integer or a SeedSequence); ``None`` draws fresh entropy, recorded in
            the result's ``seed``.
        censuses
            Censuses to draw (default all). A census's draws do not depend on which others are
            drawn.

        Returns
        -------
        CensusDraws
        """
        if isinstance(n_draws, bool) or not isinstance(n_draws, int | np.integer) or n_draws < 1:
            raise ConfigError(f"the number of draws must be a positive integer, got {n_draws!r}",
                              hint="pass --draws 200")
        entropy = _seed_entropy(seed)
        names = list(censuses) if censuses is not None else list(self.territory.census_names)
        tables: dict[str, NDArray[np.float64]] = {}
        for name in names:
            self.territory.census(name)
            p = self._census_params(name)
            if bool(p.fixed.all()):
                x = np.repeat(p.value[:, :, None], int(n_draws), axis=2)
                x.setflags(write=False)
            else:
                z = self._scores(int(n_draws), name, entropy, p.zidx)
                x = _kd.draw_counts(z, p.zidx, p.value, p.total, p.size_lo, p.size_hi, p.sig_lo,
                                    p.sig_hi, p.fixed)
                x.setflags(write=False)
            tables[name] = x
        desc = self.describe()
        return CensusDraws(MappingProxyType(tables), self.territory.unit_ids, self.territory.communities,
                           entropy, MappingProxyType(desc), self.territory.content_hash)

    def range_coverage(self, draws: CensusDraws) -> dict[str, dict[str, float]]:
        """Share of draws in which the figures fall inside their ranges (the model's calibration).

        Returns, per census: ``total`` (unit totals inside ``[total_low, total_high]``),
        ``share`` (community shares inside ``[low / V, high / V]``, the reading of community
        ranges under ``community_ranges="composition"``) and ``count`` (community counts inside
        ``[low, high]``, the reading under ``"joint"``), each over the figures whose range has a
        positive width. The target is the model's ``coverage``; the normalisation of shares
        moves it a little (see the module notes).
        """
        out: dict[str, dict[str, float]] = {}
        for name in draws.census_names:
            x = draws.census(name)
            p = self._census_params(name)
            tot = x.sum(axis=2)
            wide_t = p.total_high > p.total_low
            wide_c = p.high > p.low
            in_t = (tot >= p.total_low) & (tot <= p.total_high)
            in_c = (x >= p.low) & (x <= p.high)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = x / np.where(tot > 0, tot, 1.0)[:, :, None]
                eps = 1e-12
                in_s = (share >= p.share_low - eps) & (share <= p.share_high + eps)

            def frac(mask: NDArray[np.bool_], wide: NDArray[np.bool_]) -> float:
                return float(mask[:, wide].mean()) if wide.any() else float("nan")

            out[name] = {"total": frac(in_t, wide_t), "share": frac(in_s, wide_c),
                         "count": frac(in_c, wide_c)}
        return out
