"""Tiny instances on which every plan can be enumerated."""

from __future__ import annotations

import numpy as np

from dayafter.optimize import Problem
from dayafter.territory import Territory
from dayafter.testing.grids import grid_territory


def grid(rows: int, cols: int, groups: int, seed: int, admin: bool = False) -> Territory:
    """A grid with random integer populations of ``groups`` communities."""
    rng = np.random.default_rng(seed)
    table = rng.integers(0, 100, size=(rows * cols, groups)).astype(float)
    table[:, 0] += 10  # nobody empty
    adm = None
    if admin:
        r = np.repeat(np.arange(rows), cols)
        c = np.tile(np.arange(cols), rows)
        adm = {"block": np.array([f"B{i // 2}{j // 2}" for i, j in zip(r, c, strict=True)],
                                 dtype=object)}
    return grid_territory(rows, cols, communities=table, admin=adm)


def instance_a() -> tuple[Territory, Problem]:
    """3x3, three communities, three regions: empowerment, stranded and cut edges."""
    t = grid(3, 3, 3, seed=7)
    p = Problem.from_dict({
        "regions": 3,
        "maximize": [{"metric": "empowerment_plurality", "communities": ["c1"]}],
        "minimize": [{"metric": "stranded", "communities": ["c0"]},
                     {"metric": "cut_edges", "weight": 0.01}],
        "constraints": {"tolerance": 0.5}})
    return t, p


def instance_b() -> tuple[Territory, Problem]:
    """4x4, two communities, two regions: homogeneity, admin splits and stranded."""
    t = grid(4, 4, 2, seed=3, admin=True)
    p = Problem.from_dict({
        "regions": 2,
        "maximize": ["homogeneity"],
        "minimize": [{"metric": "splits", "level": "block", "weight": 0.05},
                     {"metric": "stranded", "communities": ["b"]}],
        "constraints": {"tolerance": 0.3}})
    return t, p


def instance_c() -> tuple[Territory, Problem]:
    """3x4, three communities, three named regions with a lock and criteria."""
    t = grid(3, 4, 3, seed=11)
    p = Problem.from_dict({
        "regions": [{"name": "North", "authority": "krg"}, {"name": "Centre", "authority": "federal"},
                    {"name": "South", "authority": "self-administered"}],
        "maximize": [{"metric": "empowerment_majority", "communities": ["c2"]},
                     {"metric": "empowerment_plurality", "communities": ["c0"]}],
        "constraints": {
            "tolerance": 0.6,
            "locked": {"u00000": "South"},
            "criteria": [
                {"name": "few-stranded", "metric": "stranded", "max": 0.5},
                {"name": "homogeneous", "metric": "largest_share", "min": 0.4},
                {"name": "compact", "metric": "cut_edges", "max": 9},
            ]}})
    return t, p


INSTANCES = {"a": instance_a, "b": instance_b, "c": instance_c}
