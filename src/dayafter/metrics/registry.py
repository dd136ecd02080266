"""The metric registry: every metric's name, level, direction, unit, format and function, once.

Criteria, optimizer objectives, ensemble columns, the report, the CLI and the web app's metadata
read metrics from here, so a metric is named, formatted and judged the same way everywhere.

Names
-----
A metric name is a key of :data:`METRICS`, possibly with an argument after a colon for families:
``share:<community>`` (a community's share of each region), ``splits:<level>`` (admin units of a
level split among regions), ``dissimilarity:<a>|<b>`` (between two communities). Plan-level values
of a community metric are named ``<metric>:<community>`` (``stranded:yazidi``). Ensemble columns
prefix the census (``current/theil_h``) or ``geometry/``; :func:`get` accepts all of these.

Engine outputs
--------------
Some metrics are outputs of an engine run on the plan (``Metric.engine``): council seats per polity
(``seats:<community>``, ``seat_share:<community>``, ``council_seats``, ``representation_ratio``;
engine ``councils``), security gaps (``security_gap``, ``security_gap_share`` and their plan totals;
engine ``security``, following the control layer) and transfers against the reference
(``transfer:<party>``, ``outside_money``; engine ``settle``). :func:`value` cannot compute them from
an evaluation: criteria read them from :class:`dayafter.criteria.EngineOutputs`.

>>> from dayafter.metrics.registry import get, format_value
>>> m = get("current/stranded:yazidi")
>>> m.name, m.level, m.direction, m.census
('stranded', 'community', 'lower', True)
>>> format_value("stranded", 0.1234), format_value("cut_edges", 17.0), format_value("theil_h", None)
('12.3%', '17', '-')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from dayafter.errors import ConfigError

if TYPE_CHECKING:
    from dayafter.metrics.evaluate import Evaluation

__all__ = ["METRICS", "PURPOSES", "Metric", "fits", "format_value", "get", "metadata", "names", "value"]

Level = Literal["region", "community", "plan", "pair"]
Direction = Literal["higher", "lower", "neutral"]

PURPOSES = ("polities", "districts")
"""What a plan's regions are for: ``polities`` (provinces, regions, autonomous areas: sizes may
differ) or ``districts`` (electoral or council districts meant to hold equal populations)."""


@dataclass(frozen=True)
class Metric:
    """One metric.

    Attributes
    ----------
    name
        Its key (a family's key without the argument).
    level
        ``region`` (one value per region), ``community`` (one per community), ``plan`` (one) or
        ``pair`` (one per pair of communities).
    direction
        Which values are better: ``higher``, ``lower`` (for signed deviations: closer to zero)
        or ``neutral`` (descriptive).
    unit
        ``share`` (0..1), ``people``, ``count``, ``index`` (dimensionless) or ``km2``.
    fmt
        Python format spec of a value (``.1%``, ``,.0f``, ``.3f``).
    label
        Display label.
    description
        One sentence.
    census
        True when the value depends on the census (population figures).
    layer
        The plan layer it reads: ``polity`` (the regions, default) or ``control`` (who holds
        each unit).
    arg
        For a family: what follows the colon (``community``, ``level``, ``pair``, ``party``);
        else ``None``.
    engine
        The engine whose output it is (``councils``, ``security``, ``settle``), or ``None`` for
        metrics of the evaluation.
    purposes
        The plan purposes (:data:`PURPOSES`) the metric is meaningful for. Population deviation
        judges districts meant to be equal; provinces differ in size by design, so a deviation
        of 200% says nothing about them.
    """

    name: str
    level: Level
    direction: Direction
    unit: str
    fmt: str
    label: str
    description: str
    census: bool
    layer: str = "polity"
    arg: str | None = None
    engine: str | None = None
    purposes: tuple[str, ...] = PURPOSES

    def format(self, v: Any) -> str:
        """The value as text (``-`` when missing or not finite)."""
        if v is None or isinstance(v, str):
            return "-" if v is None else v
        x = float(v)
        return "-" if not math.isfinite(x) else format(x, self.fmt)

    def better(self, a: float, b: float) -> bool:
        """Whether ``a`` is strictly better than ``b`` (never for neutral metrics).

        >>> get("stranded").better(0.1, 0.2), get("deviation").better(-0.01, 0.05)
        (True, True)
        """
        if self.direction == "neutral":
            return False
        if self.name in _SIGNED:
            a, b = abs(a), abs(b)
        return a > b if self.direction == "higher" else a < b

    @property
    def sense(self) -> str:
        """``max`` or ``min``: how an optimizer improves it (``""`` for neutral metrics)."""
        return {"higher": "max", "lower": "min"}.get(self.direction, "")

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the web app's metadata)."""
        return {"name": self.name, "level": self.level, "direction": self.direction,
                "unit": self.unit, "format": self.fmt, "label": self.label,
                "description": self.description, "census": self.census, "layer": self.layer,
                "arg": self.arg, "engine": self.engine, "purposes": list(self.purposes)}


_FMT = {"share": ".1%", "people": ",.0f", "count": ",.0f", "index": ".3f", "km2": ",.1f",
        "money": ",.0f"}
_SIGNED = frozenset({"deviation"})


def _m(name: str, level: Level, direction: Direction, unit: str, label: str, description: str, *,
       census: bool = True, layer: str = "polity", arg: str | None = None,
       engine: str | None = None, purposes: tuple[str, ...] = PURPOSES) -> Metric:
    return Metric(name, level, direction, unit, _FMT[unit], label, description, census, layer, arg,
                  engine, purposes)


_DISTRICTS = ("districts",)


METRICS: Mapping[str, Metric] = {m.name: m for m in (
    # region metrics
    _m("population", "region", "neutral", "people", "population", "Residents of each region."),
    _m("deviation", "region", "lower", "share", "deviation",
       "Population of each region relative to the ideal total/k, minus one.", purposes=_DISTRICTS),
    _m("largest_share", "region", "higher", "share", "largest community share",
       "Share of each region's population in its largest community."),
    _m("fractionalization", "region", "lower", "share", "fractionalization",
       "Chance that two residents of a region belong to different communities, 1 - sum s^2."),
    _m("polarization", "region", "lower", "share", "polarization",
       "Reynal-Querol polarization of each region, 4 sum s^2 (1 - s)."),
    _m("share", "region", "neutral", "share", "share",
       "One community's share of each region's population.", arg="community"),
    _m("polsby_popper", "region", "higher", "index", "Polsby-Popper",
       "Compactness of each region, 4 pi area / perimeter^2.", census=False),
    _m("reock", "region", "higher", "index", "Reock",
       "Area of each region over its smallest enclosing circle's.", census=False),
    _m("pieces", "region", "lower", "count", "pieces",
       "Connected pieces of each region (1 = contiguous).", census=False),
    _m("area_km2", "region", "neutral", "km2", "area (km2)", "Area of each region.", census=False),
    _m("n_units", "region", "neutral", "count", "units", "Units in each region.", census=False),
    # community metrics
    _m("empowerment_plurality", "community", "higher", "share", "empowered (plurality)",
       "Share of a community living in regions where it is the largest community."),
    _m("empowerment_majority", "community", "higher", "share", "empowered (majority)",
       "Share of a community living in regions where it holds an absolute majority."),
    _m("stranded", "community", "lower", "share", "stranded",
       "Share of a community living in regions where its share is below the threshold."),
    _m("stranded_people", "community", "lower", "people", "stranded people",
       "People of a community living in regions where its share is below the threshold."),
    # plan metrics, by census
    _m("population_total", "plan", "neutral", "people", "population", "Residents of all regions."),
    _m("max_abs_deviation", "plan", "lower", "share", "max |deviation|",
       "Largest deviation of a region's population from the ideal, in absolute value.",
       purposes=_DISTRICTS),
    _m("min_largest_share", "plan", "higher", "share", "min largest share",
       "Smallest share of a region's largest community."),
    _m("homogeneity", "plan", "higher", "share", "homogeneity",
       "Population-weighted mean share of each region's largest community."),
    _m("mean_fractionalization", "plan", "lower", "share", "mean fractionalization",
       "Population-weighted mean fractionalization of the regions."),
    _m("mean_polarization", "plan", "lower", "share", "mean polarization",
       "Population-weighted mean polarization of the regions."),
    _m("theil_h", "plan", "neutral", "index", "Theil H (segregation)",
       "Theil's information index of segregation of the communities across regions."),
    _m("people_moved", "plan", "lower", "people", "people changing control",
       "People in units whose control differs from the reference plan's.", layer="control"),
    _m("polity_people_moved", "plan", "lower", "people", "people changing polity authority",
       "People in units whose region's authority differs from the reference plan's."),
    # plan metrics, census-independent
    _m("cut_edges", "plan", "lower", "count", "cut edges",
       "Adjacent unit pairs in different regions.", census=False),
    _m("mean_polsby_popper", "plan", "higher", "index", "mean Polsby-Popper",
       "Mean compactness of the regions.", census=False),
    _m("min_polsby_popper", "plan", "higher", "index", "min Polsby-Popper",
       "Least compact region's Polsby-Popper.", census=False),
    _m("noncontiguous_regions", "plan", "lower", "count", "non-contiguous regions",
       "Regions in more than one piece.", census=False),
    _m("unassigned_units", "plan", "lower", "count", "unassigned units",
       "Units in no region.", census=False),
    _m("splits", "plan", "lower", "count", "splits",
       "Admin units of a level divided among several regions.", census=False, arg="level"),
    _m("units_moved", "plan", "lower", "count", "units changing control",
       "Units whose control differs from the reference plan's.", census=False, layer="control"),
    _m("polity_units_moved", "plan", "lower", "count", "units changing polity authority",
       "Units whose region's authority differs from the reference plan's.", census=False),
    _m("units_reassigned", "plan", "lower", "count", "units changing polity",
       "Units not in the reference region their region matches.", census=False),
    # pairs of communities
    _m("dissimilarity", "pair", "neutral", "index", "dissimilarity",
       "Duncan's dissimilarity index of two communities across regions.", arg="pair"),
    # engine outputs: councils per polity
    _m("seats", "region", "higher", "count", "council seats of a community",
       "Seats of one community in each region's council.", arg="community", engine="councils"),
    _m("seat_share", "region", "higher", "share", "council seat share of a community",
       "One community's share of the seats of each region's council.", arg="community",
       engine="councils"),
    _m("council_seats", "community", "higher", "count", "council seats",
       "Seats of each community over all the regions' councils.", engine="councils"),
    _m("representation_ratio", "community", "neutral", "index", "representation ratio",
       "Each community's share of all council seats over its share of the population "
       "(1 = proportional).", engine="councils"),
    # engine outputs: security (the allocation follows the control layer; summed per polity)
    _m("security_gap", "region", "lower", "people", "security gap",
       "Security personnel required and not covered in each region.", layer="control",
       engine="security"),
    _m("security_gap_share", "region", "lower", "share", "security gap share",
       "Security personnel not covered over those required, in each region.", layer="control",
       engine="security"),
    _m("security_gap_total", "plan", "lower", "people", "security gap (total)",
       "Security personnel required and not covered in all regions.", layer="control",
       engine="security"),
    _m("security_gap_share_total", "plan", "lower", "share", "security gap share (total)",
       "Security personnel not covered over those required, in all regions.", layer="control",
       engine="security"),
    # engine outputs: the settlement against the reference plan
    _m("transfer", "plan", "neutral", "money", "transfer to a party",
       "Money a party receives against the reference plan (negative: pays).", layer="control",
       arg="party", engine="settle"),
    _m("outside_money", "plan", "lower", "money", "outside money",
       "Money from outside (a donor fund) the settlement against the reference needs.",
       layer="control", engine="settle"),
)}
"""Every metric by name."""


def get(name: str) -> Metric:
    """The metric a name refers to: a key, a family with its argument (``share:yazidi``), a
    community's plan value (``stranded:yazidi``) or an ensemble column (``current/theil_h``).

    Raises
    ------
    ConfigError
        Unknown name (the hint lists the known ones).
    """
    key = name.rpartition("/")[2] if "/" in name else name
    base = key.split(":", 1)[0]
    m = METRICS.get(base) if base else None
    if m is None:
        raise ConfigError(f"unknown metric {name!r}", hint=f"use one of {names()}")
    return m


def names(level: Level | None = None) -> list[str]:
    """Metric keys (of one level), sorted."""
    return sorted(k for k, m in METRICS.items() if level is None or m.level == level)


def format_value(name: str, v: Any) -> str:
    """``v`` formatted as metric ``name`` is (``-`` when missing); a name the registry does not
    know (a plain count) as a whole number, or with 4 significant digits.

    >>> format_value("share:kurd", 0.5), format_value("population", 12345.0)
    ('50.0%', '12,345')
    >>> format_value("regions", 5.0), format_value("", 0.12345)
    ('5', '0.1235')
    """
    try:
        return get(name).format(v)
    except ConfigError:
        if v is None or isinstance(v, str):
            return "-" if v is None else v
        x = float(v)
        if not math.isfinite(x):
            return "-"
        return format(x, ",.0f") if x.is_integer() else format(x, ".4g")


def fits(name: str, purpose: str) -> bool:
    """Whether metric ``name`` is meaningful for a plan of ``purpose`` (:data:`PURPOSES`).

    >>> fits("max_abs_deviation", "polities"), fits("current/max_abs_deviation", "districts")
    (False, True)
    >>> fits("stranded:yazidi", "polities")
    True
    """
    if purpose not in PURPOSES:
        raise ConfigError(f"unknown plan purpose {purpose!r}", hint=f"use one of {list(PURPOSES)}")
    return purpose in get(name).purposes


def metadata() -> list[dict[str, Any]]:
    """Every metric as JSON (the web app's ``/api/meta``)."""
    return [m.to_dict() for m in METRICS.values()]


# --------------------------------------------------------------------------------------- values
def _region(ev: Evaluation, census: str | None, metric: str, arg: str) -> Any:
    g = ev.geometry
    geo: dict[str, Callable[[], Any]] = {
        "polsby_popper": lambda: g.polsby_popper, "pieces": lambda: g.pieces.astype(float),
        "area_km2": lambda: g.area / 1e6, "n_units": lambda: g.n_units.astype(float),
        "reock": lambda: ev.reock if ev.reock is not None else np.full(ev.plan.k, np.nan)}
    if metric in geo:
        return geo[metric]()
    cm = ev.census(census)
    if metric == "share":
        if arg not in cm.communities:
            raise ConfigError(f"unknown community {arg!r} in metric 'share:{arg}'",
                              hint=f"use one of {list(cm.communities)}")
        return cm.shares[:, cm.communities.index(arg)]
    return getattr(cm, metric)


def value(ev: Evaluation, name: str, census: str | None = None) -> Any:
    """The value of metric ``name`` in an evaluation: an array over regions or communities, or a
    float for plan metrics.

    Parameters
    ----------
    ev
        A :class:`~dayafter.metrics.Evaluation`.
    name
        A metric name (see :func:`get`); a census prefix (``current/...``) picks the census.
    census
        The census (default: the prefix, else the evaluation's first census).
    """
    prefix, _, key = name.rpartition("/")
    if prefix and prefix != "geometry":
        census = census or prefix
    m = get(key)
    if m.engine is not None:
        raise ConfigError(f"metric {name!r} is an output of the {m.engine} engine, not of an "
                          "evaluation",
                          hint="run the engine and read it with dayafter.criteria.EngineOutputs")
    arg = key.split(":", 1)[1] if ":" in key else ""
    if m.level == "region":
        return np.asarray(_region(ev, census, m.name, arg), dtype=float)
    if m.census:
        cm = ev.census(census)
        if m.level == "community":
            vals = np.asarray(getattr(cm, m.name), dtype=float)
            return vals if not arg else float(vals[cm.communities.index(arg)])
        if m.level == "pair":
            a, _, b = arg.partition("|")
            try:
                return float(cm.dissimilarity[cm.communities.index(a), cm.communities.index(b)])
            except ValueError:
                raise ConfigError(f"unknown communities in {name!r}",
                                  hint=f"use {list(cm.communities)}") from None
        if m.name == "homogeneity":
            w = cm.population / max(float(cm.population.sum()), 1e-300)
            return float(np.nansum(w * cm.largest_share))
        if m.name in ("people_moved", "polity_people_moved"):
            if ev.change is None:
                return float("nan")
            moved = ev.change.people_moved if m.name == "people_moved" else ev.change.polity_people_moved
            return float(moved.get(cm.census, float("nan")))
        return float(cm.scalars()[m.name])
    if m.name in ("units_moved", "polity_units_moved", "units_reassigned"):
        return float(getattr(ev.change, m.name)) if ev.change is not None else float("nan")
    scal = ev.geometry.scalars()
    if key not in scal:
        raise ConfigError(f"unknown metric {name!r} for this territory",
                          hint=f"use one of {sorted(scal)}")
    return float(scal[key])
