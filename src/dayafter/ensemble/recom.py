"""ReCom proposals on a territory: the state of one chain and the step function.

A :class:`Proposal` describes the move (ReCom of DeFord, Duchin and Solomon with either pair
rule and either tree, or reversible ReCom of Cannon, Duchin, Randall and Rule); a
:class:`ChainState` holds one chain's plan and its incremental tallies; :func:`run_steps`
advances it with an explicit generator and returns the per-step record.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter._kernels import recom as _k
from dayafter.ensemble.constraints import ChainConstraints, CompiledConstraints
from dayafter.errors import ConfigError, InfeasibleError, InputDataError
from dayafter.territory import Territory

__all__ = ["CAUSES", "ChainState", "Proposal", "StepRecord", "run_steps"]

CAUSES: tuple[str, ...] = _k.CAUSE_NAMES
"""Outcome of a step, by code: ``moved`` and the causes of self-loops."""

_PAIR_RULES = {"cut_edge": 0, "region_pair": 1}
_TREES = {"uniform": 0, "random_mst": 1}
_ZOBRIST_SEED = 0x5EED_DA7A


@dataclass(frozen=True)
class Proposal:
    """A ReCom proposal.

    Parameters
    ----------
    method
        ``"recom"`` (merge two adjacent regions, draw a spanning tree, cut a balanced edge chosen
        uniformly) or ``"reversible"`` (Cannon-Duchin-Randall-Rule: uniform pair of regions,
        uniform spanning tree, each balanced cut chosen with probability ``1 / m_bound``,
        Metropolis acceptance ``min(1, seam(P) / seam(P'))``; stationary distribution
        proportional to the product of the regions' spanning-tree counts).
    pair_rule
        ``"cut_edge"``: pick a cut edge uniformly and merge its two regions (GerryChain's rule);
        ``"region_pair"``: pick an adjacent pair of regions uniformly. Only for ``"recom"``.
    tree
        ``"uniform"`` (Wilson's algorithm) or ``"random_mst"`` (minimum spanning tree for
        uniform random edge weights, GerryChain's tree). Reversible ReCom needs ``"uniform"``.
    m_bound
        Reversible ReCom: the bound ``M`` on balanced cuts per tree. ``None`` uses the safe bound
        ``2 (n - 1)``; a tree with more than ``M`` balanced cuts stops the chain with an error
        naming ``M`` and the regions.
    max_tree_attempts
        ReCom: trees drawn for the chosen pair before the step becomes a self-loop
        (``no_balanced_cut``).
    """

    method: str = "recom"
    pair_rule: str = "cut_edge"
    tree: str = "uniform"
    m_bound: int | None = None
    max_tree_attempts: int = 1000

    def __post_init__(self) -> None:
        if self.method not in ("recom", "reversible"):
            raise ConfigError(f"unknown proposal method {self.method!r}",
                              hint="use 'recom' or 'reversible'")
        if self.pair_rule not in _PAIR_RULES:
            raise ConfigError(f"unknown pair rule {self.pair_rule!r}",
                              hint=f"use one of {list(_PAIR_RULES)}")
        if self.tree not in _TREES:
            raise ConfigError(f"unknown tree {self.tree!r}", hint=f"use one of {list(_TREES)}")
        if self.method == "reversible" and self.tree != "uniform":
            raise ConfigError("reversible ReCom needs uniform spanning trees",
                              hint="use tree='uniform'")
        if self.m_bound is not None and not 1 <= self.m_bound <= 2**31 - 1:
            raise ConfigError(f"m_bound must lie in 1..{2**31 - 1}, got {self.m_bound}",
                              hint="leave it out for the default bound (2 (n - 1))")
        if not 1 <= self.max_tree_attempts <= 10**6:
            raise ConfigError(f"max_tree_attempts must lie in 1..1,000,000, got {self.max_tree_attempts}",
                              hint="the default 1000 is enough; a failed step is a counted self-loop")

    def to_dict(self) -> dict[str, Any]:
        """Plain form for the manifest."""
        return asdict(self)

    def params(self, n_units: int) -> NDArray[np.int64]:
        """Kernel parameter vector."""
        p = np.zeros(_k.N_PARAMS, dtype=np.int64)
        p[_k.P_PAIR_RULE] = _PAIR_RULES[self.pair_rule]
        p[_k.P_TREE] = _TREES[self.tree]
        p[_k.P_REVERSIBLE] = 1 if self.method == "reversible" else 0
        p[_k.P_M] = self.m_bound if self.m_bound is not None else max(2 * (n_units - 1), 1)
        p[_k.P_ATTEMPTS] = self.max_tree_attempts
        return p


def zobrist_table(n: int) -> NDArray[np.uint64]:
    """Fixed random 64-bit keys of the units (for label-invariant plan hashes)."""
    return np.random.default_rng(_ZOBRIST_SEED).integers(
        0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True)


@dataclass
class StepRecord:
    """Per-step output of :func:`run_steps` (arrays of the same length)."""

    status: NDArray[np.int8]
    trees: NDArray[np.int32]
    cut_edges: NDArray[np.int32]
    max_abs_deviation: NDArray[np.float64]
    plan_hash: NDArray[np.uint64]

    @classmethod
    def empty(cls, n: int) -> StepRecord:
        return cls(np.zeros(n, np.int8), np.zeros(n, np.int32), np.zeros(n, np.int32),
                   np.zeros(n, np.float64), np.zeros(n, np.uint64))


class ChainState:
    """The mutable state of one chain: plan, tallies and counts kept up to date by the kernel.

    Parameters
    ----------
    territory
        The territory.
    assignment
        Starting plan, every unit in ``0..k-1``; copied.
    k
        Number of regions.
    proposal
        The proposal.
    constraints
        The chain's constraints (checked against the starting plan).
    region_names
        Names used in messages and for locked regions given by name.
    """

    def __init__(self, territory: Territory, assignment: NDArray[np.integer], k: int, *,
                 proposal: Proposal, constraints: ChainConstraints | None = None,
                 region_names: tuple[str, ...] = ()) -> None:
        constraints = constraints or ChainConstraints()
        a = np.asarray(assignment)
        if a.shape != (territory.n_units,):
            raise InputDataError(f"starting plan has {a.size} units, territory has "
                                 f"{territory.n_units}")
        if k < 2:
            raise ConfigError(f"a ReCom chain needs at least 2 regions, got {k}")
        self.k = int(k)
        self.region_names = tuple(region_names) or tuple(str(j) for j in range(k))
        self.proposal = proposal
        self.compiled: CompiledConstraints = constraints.compile(territory, a, k,
                                                                 self.region_names)
        g = territory.graph
        pieces = g.components(a.astype(np.int32))
        n_pieces = np.bincount(a.astype(np.int64), minlength=k)
        reps = np.zeros(k, dtype=np.int64)
        for r in range(k):
            reps[r] = np.unique(pieces[a == r]).size if n_pieces[r] else 0
        bad = np.flatnonzero(reps != 1)
        if bad.size:
            raise InputDataError(
                f"regions {[self.region_names[j] for j in bad]} of the starting plan are empty "
                "or not contiguous; ReCom needs contiguous regions",
                hint="start from a contiguous plan (see dayafter.ensemble.seed_plan)")
        self.indptr = np.ascontiguousarray(g.indptr, dtype=np.int64)
        self.indices = np.ascontiguousarray(g.indices, dtype=np.int64)
        self.src = np.repeat(np.arange(territory.n_units, dtype=np.int64), np.diff(self.indptr))
        self.zob = zobrist_table(territory.n_units)
        self.params = proposal.params(territory.n_units)
        self.assignment = np.ascontiguousarray(a, dtype=np.int64).copy()
        c = self.compiled
        n_rows = int(c.adm_offsets[-1])
        self.region_pop = np.zeros(k, np.float64)
        self.pair_cut = np.zeros((k, k), np.int64)
        self.region_hash = np.zeros(k, np.uint64)
        self.adm_reg = np.zeros((n_rows, k), np.int64)
        self.adm_nz = np.zeros(n_rows, np.int64)
        self.state = np.zeros(_k.N_STATE_BASE + c.adm_codes.shape[0], np.int64)
        _k.init_state(self.indptr, self.indices, self.assignment, k, c.region_locked, c.pop,
                      self.zob, c.adm_codes, c.adm_offsets, self.adm_reg, self.adm_nz,
                      self.state, self.region_pop, self.pair_cut, self.region_hash)

    # -------------------------------------------------------------- snapshots
    _MUTABLE = ("assignment", "region_pop", "pair_cut", "region_hash", "adm_reg", "adm_nz",
                "state")

    def snapshot(self) -> dict[str, NDArray[Any]]:
        """Copies of the mutable arrays (for checkpoints)."""
        return {name: getattr(self, name).copy() for name in self._MUTABLE}

    def restore(self, snap: dict[str, NDArray[Any]]) -> None:
        """Restore the mutable arrays from :meth:`snapshot` output."""
        for name in self._MUTABLE:
            cur = getattr(self, name)
            val = np.asarray(snap[name], dtype=cur.dtype)
            if val.shape != cur.shape:
                raise InputDataError(f"checkpoint array {name!r} has shape {val.shape}, "
                                     f"expected {cur.shape}")
            cur[...] = val

    @property
    def cut_edges(self) -> int:
        """Current number of cut edges."""
        return int(self.state[_k.S_CUT])

    @property
    def plan_hash(self) -> int:
        """Label-invariant hash of the current plan."""
        return int(_k.plan_hash(self.region_hash))


def run_steps(chain: ChainState, n_steps: int, rng: np.random.Generator) -> StepRecord:
    """Advance ``chain`` by ``n_steps`` steps; return what happened at each step.

    Raises
    ------
    InfeasibleError
        Reversible ReCom met a tree with more balanced cuts than ``m_bound``, or no pair of
        regions can be merged (all locked, or only one region).

    Notes
    -----
    A step costs O(size of the two merged regions) plus, for the cut-edge rule, an expected
    ``2 m / cut_edges`` draws to pick the edge.
    """
    rec = StepRecord.empty(n_steps)
    c = chain.compiled
    info = np.zeros(3, dtype=np.int64)
    done = _k.recom_steps(chain.indptr, chain.indices, chain.src, c.pop, c.lo, c.hi, c.lock,
                          c.region_locked, chain.zob, c.adm_codes, c.adm_offsets, c.adm_caps,
                          chain.params, chain.assignment, chain.region_pop, chain.pair_cut,
                          chain.region_hash, chain.adm_reg, chain.adm_nz, chain.state, n_steps,
                          rng, rec.status, rec.cut_edges, rec.max_abs_deviation, rec.trees,
                          rec.plan_hash, info)
    if done == _k.ERR_M_EXCEEDED:
        a, b, count = (int(x) for x in info)
        raise InfeasibleError(
            f"reversible ReCom drew a spanning tree of regions {chain.region_names[a]!r} and "
            f"{chain.region_names[b]!r} with {count} balanced cuts, more than the bound "
            f"M={int(chain.params[_k.P_M])}",
            hint=f"raise m_bound to at least {count} (or leave it unset for the safe bound)")
    if done == _k.ERR_NO_PAIR:
        raise InfeasibleError(
            "no two unlocked regions can be merged",
            hint="unlock regions, or check that the plan has at least two adjacent unlocked "
                 "regions")
    return rec
