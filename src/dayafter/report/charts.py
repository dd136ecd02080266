"""Ensemble charts: metric distributions with the plans marked, and sorted-region boxplots."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["PLAN_COLOURS", "distribution_chart", "sorted_region_chart"]

PLAN_COLOURS: tuple[str, ...] = ("#EE6677", "#4477AA", "#228833", "#CCBB44", "#AA3377", "#66CCEE",
                                 "#BBBBBB")
"""Paul Tol's colour-blind-safe "bright" scheme, one colour per plan."""

_DPI = 96


def _png(fig: Any) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    return buf.getvalue()


def distribution_chart(
    samples: Mapping[str, NDArray[np.float64]],
    plan_values: Mapping[str, Mapping[str, float]],
    *,
    titles: Mapping[str, str] | None = None,
    columns: int = 3,
    colours: Mapping[str, str] | None = None,
) -> bytes:
    """Small multiples: one histogram per metric with a vertical line for each plan.

    Parameters
    ----------
    samples
        Metric key to the ensemble's values.
    plan_values
        Plan name to ``{metric key: value}``.
    titles
        Display title per metric key.
    colours
        Colour per plan (default: :data:`PLAN_COLOURS` in plan order).
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    keys = list(samples)
    titles = titles or {}
    rows = max(1, -(-len(keys) // columns))
    fig = Figure(figsize=(10.5, 2.0 * rows + 0.6), dpi=_DPI)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    plans = list(plan_values)
    colours = dict(colours or {})
    for i, p in enumerate(plans):
        colours.setdefault(p, PLAN_COLOURS[i % len(PLAN_COLOURS)])
    for ax, key in zip(axes, keys, strict=False):
        x = np.asarray(samples[key], dtype=float)
        x = x[np.isfinite(x)]
        if x.size:
            lo, hi = float(x.min()), float(x.max())
            bins = 30 if hi > lo else 1
            ax.hist(x, bins=bins, color="#999999", edgecolor="white", linewidth=0.3)
        for p in plans:
            v = plan_values[p].get(key, float("nan"))
            if np.isfinite(v):
                ax.axvline(v, color=colours[p], linewidth=1.6)
        ax.set_title(titles.get(key, key), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    for ax in axes[len(keys):]:
        ax.set_axis_off()
    handles = [Line2D([0], [0], color=colours[p], lw=2, label=p) for p in plans]
    if handles:
        fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 4), fontsize=7.5,
                   frameon=False)
    fig.subplots_adjust(left=0.03, right=0.99, top=0.95, bottom=0.6 / (2.0 * rows + 0.6) + 0.06,
                        hspace=0.6, wspace=0.12)
    return _png(fig)


def sorted_region_chart(
    sorted_samples: NDArray[np.float64],
    plan_sorted: Mapping[str, NDArray[np.float64]],
    *,
    title: str,
    ylabel: str = "",
    colours: Mapping[str, str] | None = None,
) -> bytes:
    """Boxplot of each sorted-region position across the ensemble, with each plan's sorted region
    values as markers (the "sorted-region" view of gerrymandering analysis)."""
    from matplotlib.figure import Figure

    S = np.asarray(sorted_samples, dtype=float)
    k = S.shape[1]
    fig = Figure(figsize=(7.5, 3.2), dpi=_DPI)
    ax = fig.subplots()
    cols = [S[:, j][np.isfinite(S[:, j])] for j in range(k)]
    ax.boxplot(cols, positions=np.arange(1, k + 1), widths=0.5, whis=(1, 99), showfliers=False,
               patch_artist=True, boxprops={"facecolor": "#DDDDDD", "edgecolor": "#666666"},
               medianprops={"color": "#333333"})
    markers = ("o", "s", "D", "^", "v", "P", "X")
    colours = dict(colours or {})
    for i, (p, vals) in enumerate(plan_sorted.items()):
        v = np.asarray(vals, dtype=float)
        if v.size == k:
            colour = colours.get(p, PLAN_COLOURS[i % len(PLAN_COLOURS)])
            ax.scatter(np.arange(1, k + 1) + (i - (len(plan_sorted) - 1) / 2) * 0.08, v, s=18,
                       marker=markers[i % len(markers)], color=colour, label=p, zorder=3)
    ax.set_xlabel("regions, sorted by this metric", fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    if plan_sorted:
        ax.legend(fontsize=7, frameon=False, loc="upper left")
    fig.tight_layout()
    return _png(fig)


def chart_keys(scalar_columns: Sequence[str], censuses: Sequence[str], communities: Sequence[str]
               ) -> list[str]:
    """The scalar metrics a dossier charts, in display order (those the ensemble has)."""
    wanted = ["cut_edges", "mean_polsby_popper"]
    for c in censuses:
        wanted += [f"{c}/theil_h", f"{c}/mean_fractionalization", f"{c}/max_abs_deviation"]
        wanted += [f"{c}/empowerment_plurality:{g}" for g in communities]
        wanted += [f"{c}/stranded:{g}" for g in communities]
    have = set(scalar_columns)
    return [k for k in wanted if k in have]
