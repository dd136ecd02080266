"""Maps of a plan drawn with matplotlib (no tile server, no network): authority and change from
the reference, community majority and share, stranded population.

Every function returns PNG bytes. Matplotlib is imported inside the functions and only its
object-oriented API is used (``Figure`` with an Agg canvas), so no global pyplot state is touched.

Region labels on the maps are numbers; the dossier lists the numbered regions with their names next
to each map. Unit and region names in Arabic script go in the tables (HTML and PDF shape Arabic
correctly; matplotlib does not join Arabic letters).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from dayafter.metrics import Evaluation
from dayafter.plan import Plan
from dayafter.report.palette import NEUTRAL, Palette
from dayafter.report.tables import region_stranded_people
from dayafter.territory import Territory

__all__ = ["MapContext", "authority_map", "community_map", "overview_map", "stranded_map"]

_DPI = 96


def _rings_path(geom: Any) -> Any:
    """A matplotlib Path holding every ring of a (multi)polygon (holes included)."""
    from matplotlib.path import Path

    verts: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for poly in shapely.get_parts(geom):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            if xy.shape[0] < 3:
                continue
            c = np.full(xy.shape[0], Path.LINETO, dtype=np.uint8)
            c[0] = Path.MOVETO
            c[-1] = Path.CLOSEPOLY
            verts.append(xy)
            codes.append(c)
    if not verts:
        return None
    return Path(np.concatenate(verts), np.concatenate(codes))


@dataclass
class MapContext:
    """Geometry of a territory prepared once for every map of a dossier.

    Parameters
    ----------
    territory
        A territory with ``geometry`` (see :func:`dayafter.geo.build_territory`).
    """

    territory: Territory
    unit_paths: list[Any] = field(init=False)
    aspect: float = field(init=False)
    bounds: tuple[float, float, float, float] = field(init=False)
    _regions: dict[int, tuple[list[Any], np.ndarray]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        from dayafter.errors import ConfigError, InputDataError

        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise ConfigError("maps need matplotlib, which is not installed",
                              hint="pip install 'dayafter[report]', or leave maps out "
                                   "(maps=False, --no-maps)") from None
        geom = self.territory.geometry
        if geom is None:
            raise InputDataError(
                f"territory {self.territory.name or '(unnamed)'} has no geometry, so it cannot be mapped",
                hint="build it from polygons (dayafter.geo.build_territory) or pass maps=False")
        arr = np.asarray(geom.values, dtype=object)
        self.unit_paths = [_rings_path(g) for g in arr]
        x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(arr))
        self.bounds = (x0, y0, x1, y1)
        crs = getattr(geom, "crs", None)
        if crs is not None and crs.is_geographic:
            self.aspect = 1.0 / max(math.cos(math.radians((y0 + y1) / 2)), 0.1)
        else:
            self.aspect = 1.0

    def regions(self, plan: Plan) -> tuple[list[Any], np.ndarray]:
        """Paths of the plan's dissolved regions and a label point (x, y) for each."""
        key = id(plan)
        if key not in self._regions:
            from dayafter.geo import dissolve_regions

            geoms = np.asarray(dissolve_regions(self.territory, plan).values, dtype=object)
            paths = [_rings_path(g) if g is not None and not g.is_empty else None for g in geoms]
            pts = np.full((plan.k, 2), np.nan)
            for j, g in enumerate(geoms):
                if g is not None and not g.is_empty:
                    largest = max(shapely.get_parts(g), key=lambda p: p.area)
                    p = largest.representative_point()
                    pts[j] = (p.x, p.y)
            self._regions[key] = (paths, pts)
        return self._regions[key]


def _figure(ctx: MapContext, panels: int) -> tuple[Any, list[Any]]:
    from matplotlib.figure import Figure

    x0, y0, x1, y1 = ctx.bounds
    h_over_w = (y1 - y0) * ctx.aspect / max(x1 - x0, 1e-12)
    width = 6.8 if panels == 1 else 10.5
    panel_w = width / panels
    height = min(max(panel_w * h_over_w, 2.5), 7.5) + 0.9
    fig = Figure(figsize=(width, height), dpi=_DPI)
    axes = fig.subplots(1, panels, squeeze=False)[0].tolist()
    for ax in axes:
        ax.set_aspect(ctx.aspect)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_axis_off()
    return fig, axes


def _fill(ax: Any, paths: Sequence[Any], colours: Sequence[Any], *, edge: str = "white",
          lw: float = 0.25, alpha: Sequence[float] | None = None, hatch: str | None = None,
          zorder: int = 1) -> None:
    from matplotlib.collections import PathCollection
    from matplotlib.colors import to_rgba

    keep = [i for i, p in enumerate(paths) if p is not None]
    if not keep:
        return
    face = [to_rgba(colours[i], None if alpha is None else float(alpha[i])) for i in keep]
    coll = PathCollection([paths[i] for i in keep], facecolors=face, edgecolors=edge,
                          linewidths=lw, zorder=zorder)
    if hatch:
        coll.set_hatch(hatch)
    ax.add_collection(coll)


def _outline(ax: Any, paths: Sequence[Any], *, lw: float = 1.1, colour: str = "#222222") -> None:
    from matplotlib.collections import PathCollection

    keep = [p for p in paths if p is not None]
    if keep:
        ax.add_collection(PathCollection(keep, facecolors="none", edgecolors=colour, linewidths=lw,
                                         zorder=3))


def _labels(ax: Any, pts: np.ndarray, texts: Sequence[str], *, size: float = 7.5) -> None:
    for (x, y), t in zip(pts, texts, strict=True):
        if np.isfinite(x) and t:
            ax.text(x, y, t, ha="center", va="center", fontsize=size, zorder=4,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})


def _legend(fig: Any, items: Sequence[tuple[str, str]], *, title: str,
            extra: Sequence[tuple[str, str, str]] = ()) -> None:
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=c, edgecolor="#444444", label=t) for t, c in items]
    handles += [Patch(facecolor=c, edgecolor="#444444", hatch=h, label=t) for t, c, h in extra]
    if handles:
        fig.legend(handles=handles, title=title, loc="lower center", ncol=min(len(handles), 4),
                   fontsize=7.5, title_fontsize=8, frameon=False)


def _png(fig: Any) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    height = fig.get_figheight()
    # keep about 0.85 in at the bottom for the legend and 0.35 in at the top for the titles
    fig.subplots_adjust(left=0.01, right=0.99, top=1.0 - min(0.1, 0.35 / height),
                        bottom=min(0.3, 0.85 / height), wspace=0.04, hspace=0.12)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    return buf.getvalue()


def authority_map(ctx: MapContext, plan: Plan, palette: Palette, *,
                  reference: Plan | None = None) -> bytes:
    """Regions filled by governing authority, numbered; with a reference plan, a second panel shows
    the units whose authority changes (coloured by their new authority, hatched)."""
    paths, pts = ctx.regions(plan)
    show_change = reference is not None and reference is not plan
    fig, axes = _figure(ctx, 2 if show_change else 1)
    ax = axes[0]
    _fill(ax, ctx.unit_paths, [NEUTRAL] * len(ctx.unit_paths), lw=0.2)
    _fill(ax, paths, [palette.authority_colour(r.authority) for r in plan.regions], lw=0.0)
    _fill(ax, ctx.unit_paths, ["none"] * len(ctx.unit_paths), lw=0.2, zorder=2)
    _outline(ax, paths)
    _labels(ax, pts, [str(j + 1) for j in range(plan.k)])
    ax.set_title(f"{plan.name}: regions by authority", fontsize=9)
    used = sorted({r.authority for r in plan.regions if r.authority})
    extra: list[tuple[str, str, str]] = []
    if show_change and reference is not None:
        ax2 = axes[1]
        new = plan.authority_of_units()
        old = reference.authority_of_units()
        changed = new != old
        cols = [palette.authority_colour(a) if c else NEUTRAL for a, c in zip(new, changed, strict=True)]
        _fill(ax2, ctx.unit_paths, cols, lw=0.2)
        _fill(ax2, [p if c else None for p, c in zip(ctx.unit_paths, changed, strict=True)],
              ["none"] * len(ctx.unit_paths), edge="#333333", lw=0.0, hatch="////", zorder=2)
        _outline(ax2, paths, lw=0.9)
        ax2.set_title(f"change from {reference.name}: {int(changed.sum())} units change authority",
                      fontsize=9)
        used = sorted(set(used) | {a for a in new[changed].tolist() if a})
        extra.append(("unchanged", NEUTRAL, ""))
    _legend(fig, [(a, palette.authority_colour(a)) for a in used], title="authority", extra=extra)
    return _png(fig)


def community_map(ctx: MapContext, ev: Evaluation, palette: Palette, *,
                  labels: Mapping[str, str] | None = None, censuses: Sequence[str] | None = None) -> bytes:
    """One panel per census: each region in the colour of its largest community, lighter when that
    community's share is lower, labelled ``region number: share``."""
    labels = labels or {}
    plan = ev.plan
    names = list(censuses) if censuses is not None else list(ev.censuses)
    paths, pts = ctx.regions(plan)
    fig, axes = _figure(ctx, len(names))
    used: set[str] = set()
    for ax, cname in zip(axes, names, strict=True):
        cm = ev.census(cname)
        cols, alpha, texts = [], [], []
        for j in range(plan.k):
            lg = int(cm.largest[j])
            if lg < 0 or not np.isfinite(cm.largest_share[j]):
                cols.append(NEUTRAL)
                alpha.append(1.0)
                texts.append(str(j + 1))
                continue
            comm = cm.communities[lg]
            used.add(comm)
            cols.append(palette.community_colour(comm))
            alpha.append(0.3 + 0.7 * float(np.clip((cm.largest_share[j] - 0.3) / 0.7, 0.0, 1.0)))
            texts.append(f"{j + 1}: {cm.largest_share[j]:.0%}")
        _fill(ax, ctx.unit_paths, [NEUTRAL] * len(ctx.unit_paths), lw=0.2)
        _fill(ax, paths, cols, alpha=alpha, lw=0.0)
        _outline(ax, paths)
        _labels(ax, pts, texts, size=7)
        ax.set_title(f"largest community and its share, census {cname}", fontsize=9)
    comms = ev.census(names[0]).communities
    _legend(fig, [(labels.get(c, c), palette.community_colour(c)) for c in comms if c in used],
            title="largest community (lighter = smaller share)")
    return _png(fig)


def stranded_map(ctx: MapContext, ev: Evaluation, *, censuses: Sequence[str] | None = None) -> bytes:
    """One panel per census: each region shaded by the share of its people who belong to a stranded
    community (below the threshold there), labelled with the number of those people."""
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    plan = ev.plan
    names = list(censuses) if censuses is not None else list(ev.censuses)
    paths, pts = ctx.regions(plan)
    fig, axes = _figure(ctx, len(names))
    cmap = colormaps["cividis_r"]
    values = {}
    vmax = 0.0
    for cname in names:
        cm = ev.census(cname)
        people = region_stranded_people(cm)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(cm.population > 0, people / np.where(cm.population > 0, cm.population, 1), 0.0)
        values[cname] = (people, share)
        vmax = max(vmax, float(share.max(initial=0.0)))
    norm = Normalize(0.0, max(vmax, 0.05))
    for ax, cname in zip(axes, names, strict=True):
        people, share = values[cname]
        _fill(ax, ctx.unit_paths, [NEUTRAL] * len(ctx.unit_paths), lw=0.2)
        _fill(ax, paths, [cmap(norm(v)) for v in share], lw=0.0)
        _outline(ax, paths)
        _labels(ax, pts, [f"{j + 1}: {_short(people[j])}" for j in range(plan.k)], size=7)
        th = ev.census(cname).threshold
        ax.set_title(f"stranded people (community below {th:.0%}), census {cname}", fontsize=9)
    from matplotlib.cm import ScalarMappable

    cax = fig.add_axes((0.3, 0.07, 0.4, 0.025))
    cb = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=cax, orientation="horizontal")
    cb.set_label("share of the region's population that is stranded", fontsize=7.5)
    cb.ax.tick_params(labelsize=7)
    return _png(fig)


def _short(x: float) -> str:
    x = float(x)
    if x >= 1e6:
        return f"{x / 1e6:.1f}M"
    if x >= 1e3:
        return f"{x / 1e3:.0f}k"
    return f"{x:.0f}"


def overview_map(ctx: MapContext, plans: Sequence[Plan], palette: Palette, *, columns: int = 3) -> bytes:
    """Small multiples: every plan's regions by authority, side by side, for comparison."""
    from matplotlib.figure import Figure

    n = len(plans)
    cols = max(1, min(columns, n))
    rows = -(-n // cols)
    x0, y0, x1, y1 = ctx.bounds
    h_over_w = (y1 - y0) * ctx.aspect / max(x1 - x0, 1e-12)
    width = 10.5
    height = rows * min(max(width / cols * h_over_w, 2.0), 5.0) + 0.9
    fig = Figure(figsize=(width, height), dpi=_DPI)
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    used: set[str] = set()
    for ax, plan in zip(axes, plans, strict=False):
        paths, _ = ctx.regions(plan)
        ax.set_aspect(ctx.aspect)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_axis_off()
        _fill(ax, ctx.unit_paths, [NEUTRAL] * len(ctx.unit_paths), lw=0.15)
        _fill(ax, paths, [palette.authority_colour(r.authority) for r in plan.regions], lw=0.0)
        _outline(ax, paths, lw=0.7)
        used |= {r.authority for r in plan.regions if r.authority}
        ax.set_title(plan.name, fontsize=8.5)
    for ax in axes[n:]:
        ax.set_axis_off()
    _legend(fig, [(a, palette.authority_colour(a)) for a in sorted(used)], title="authority")
    return _png(fig)
