"""ReCom proposals on a territory: the state of one chain and the step function.

A :class:`Proposal` describes the move (ReCom of DeFord, Duchin and Solomon with either pair
rule and either tree, or reversible ReCom of Cannon, Duchin, Randall and Rule); a
:class:`ChainState` holds one chain's plan and its incremental tallies; :func:`run_steps`
advances it with an explicit generator and returns the per-step record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter._kernels import chain as _c
from dayafter._kernels import recom as _k
from dayafter._kernels import tree as _t
from dayafter.ensemble.constraints import ChainConstraints, CompiledConstraints
from dayafter.errors import ConfigError, InfeasibleError, InputDataError
from dayafter.territory import Territory

__all__ = ["CAUSES", "ChainState", "Proposal", "StepRecord", "run_steps"]

CAUSES: tuple[str, ...] = _k.CAUSE_NAMES
"""Outcome of a step, by code: ``moved`` and the causes of self-loops."""

_PAIR_RULES = {"cut_edge": _k.PAIR_CUT_EDGE, "region_pair": _k.PAIR_REGIONS}
_TREES = {"uniform": _t.TREE_UNIFORM, "random_mst": _t.TREE_MST}
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

    def params(self, n_units: int, *, threshold: float = 0.1,
               record: bool = False) -> _k.ChainParams:
        """Kernel parameters (``threshold`` and ``record``: the per-step community metrics)."""
        return _k.ChainParams(
            pair_rule=_PAIR_RULES[self.pair_rule], tree=_TREES[self.tree],
            reversible=1 if self.method == "reversible" else 0,
            m_bound=self.m_bound if self.m_bound is not None else max(2 * (n_units - 1), 1),
            attempts=int(self.max_tree_attempts), threshold=float(threshold),
            record=1 if record else 0)


def zobrist_table(n: int) -> NDArray[np.uint64]:
    """Fixed random 64-bit keys of the units (for label-invariant plan hashes)."""
    return np.random.default_rng(_ZOBRIST_SEED).integers(
        0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True)


@dataclass
class StepRecord:
    """Per-step output of :func:`run_steps` (arrays of the same length).

    With community metrics recorded (``ChainState(..., censuses=...)``), ``plurality``,
    ``majority`` and ``stranded`` are ``(steps, censuses, communities)`` and ``largest_share``
    ``(steps, censuses, regions taking part)`` (each region's largest share, most homogeneous
    region first); otherwise they have no rows.
    """

    status: NDArray[np.int8]
    trees: NDArray[np.int32]
    cut_edges: NDArray[np.int32]
    max_abs_deviation: NDArray[np.float64]
    plan_hash: NDArray[np.uint64]
    plurality: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0, 0)))
    majority: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0, 0)))
    stranded: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0, 0)))
    largest_share: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0, 0)))

    @classmethod
    def from_out(cls, out: _k.StepOut, n: int) -> StepRecord:
        """The first ``n`` steps of a kernel output."""
        rows = min(n, out.plur.shape[0])
        return cls(out.status[:n], out.trees[:n], out.cut[:n], out.dev[:n], out.hash[:n],
                   out.plur[:rows], out.maj[:rows], out.strn[:rows], out.largest[:rows])


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
    censuses
        Censuses whose community metrics the kernel computes at every step (empowerment by
        plurality and by majority, stranded share, each region's largest share); ``()`` for none.
    threshold
        Stranded threshold of those metrics.
    reference
        ``(assignment, k)`` of the plan that sets the ``"plan"`` balance (default this plan).

    Attributes
    ----------
    data, state, params, work
        The kernel's inputs (:class:`dayafter._kernels.chain.ChainData`), its mutable state
        (:class:`dayafter._kernels.chain.ChainState`), its parameters and its tree workspace.
    taking_part
        ``bool[k]``: the regions that take part (all, or those holding units of the subset).
    """

    def __init__(self, territory: Territory, assignment: NDArray[np.integer], k: int, *,
                 proposal: Proposal, constraints: ChainConstraints | None = None,
                 region_names: tuple[str, ...] = (), censuses: Sequence[str] = (),
                 threshold: float = 0.1,
                 reference: tuple[NDArray[np.integer], int] | None = None) -> None:
        constraints = constraints or ChainConstraints()
        a = np.asarray(assignment)
        if a.shape != (territory.n_units,):
            raise InputDataError(f"starting plan has {a.size} units, territory has "
                                 f"{territory.n_units}")
        if k < 2:
            raise ConfigError(f"a ReCom chain needs at least 2 regions, got {k}")
        if not 0.0 < threshold < 1.0:
            raise ConfigError(f"stranded threshold must lie in (0, 1), got {threshold}")
        self.k = int(k)
        self.region_names = tuple(region_names) or tuple(str(j) for j in range(k))
        self.proposal = proposal
        self.censuses = tuple(censuses)
        self.compiled: CompiledConstraints = constraints.compile(
            territory, a, k, self.region_names, reference=reference)
        c = self.compiled
        self.taking_part = c.part if c.part is not None else np.ones(k, dtype=bool)
        g = territory.graph
        pieces = g.components(a.astype(np.int32))
        n_pieces = np.bincount(a.astype(np.int64), minlength=k)
        reps = np.zeros(k, dtype=np.int64)
        for r in range(k):
            reps[r] = np.unique(pieces[a == r]).size if n_pieces[r] else 0
        bad = np.flatnonzero((reps != 1) & ~c.region_locked)
        if bad.size:
            raise InputDataError(
                f"regions {[self.region_names[j] for j in bad]} of the starting plan are empty "
                "or not contiguous; ReCom needs contiguous regions",
                hint="start from a contiguous plan (see dayafter.ensemble.seed_plan)")
        n = territory.n_units
        indptr = np.ascontiguousarray(g.indptr, dtype=np.int64)
        indices = np.ascontiguousarray(g.indices, dtype=np.int64)
        tables = np.zeros((len(self.censuses), n, territory.n_communities))
        for j, name in enumerate(self.censuses):
            tables[j] = territory.census(name)
        self.data = _c.ChainData(
            indptr=indptr, indices=indices,
            src=np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr)),
            pop=c.pop, area=np.zeros(n), tables=tables,
            totals=np.ascontiguousarray(tables.sum(axis=1)), zob=zobrist_table(n), lock=c.lock,
            region_locked=c.region_locked, part=self.taking_part, lo=c.lo, hi=c.hi,
            adm_codes=c.adm_codes, adm_offsets=c.adm_offsets, adm_caps=c.adm_caps,
            home=np.zeros(n, np.int64), region_class=np.zeros(k, np.int64), weight=np.zeros(n))
        self.params = proposal.params(n, threshold=threshold, record=bool(self.censuses))
        n_rows = int(c.adm_offsets[-1])
        self.state = _c.empty_state(n, k, len(self.censuses), territory.n_communities, n_rows,
                                    c.adm_codes.shape[0])
        self.state.assignment[:] = a
        _c.init_state(self.data, self.state)
        self.work = _t.make_tree_work(n, indices.size, int(np.diff(indptr).max()) if n else 1)

    # -------------------------------------------------------------- snapshots
    _MUTABLE = _c.ChainState._fields

    def snapshot(self) -> dict[str, NDArray[Any]]:
        """Copies of the mutable arrays (for checkpoints)."""
        return {name: getattr(self.state, name).copy() for name in self._MUTABLE}

    def restore(self, snap: dict[str, NDArray[Any]]) -> None:
        """Restore the mutable arrays from :meth:`snapshot` output."""
        for name in self._MUTABLE:
            cur = getattr(self.state, name)
            if name not in snap:
                raise InputDataError(f"checkpoint has no array {name!r}",
                                     hint="the checkpoint was written by another version; "
                                          "start the run again")
            val = np.asarray(snap[name], dtype=cur.dtype)
            if val.shape != cur.shape:
                raise InputDataError(f"checkpoint array {name!r} has shape {val.shape}, "
                                     f"expected {cur.shape}")
            cur[...] = val

    @property
    def assignment(self) -> NDArray[np.int64]:
        """Current region of each unit (the kernel's array: read, do not write)."""
        return self.state.assignment

    @property
    def region_pop(self) -> NDArray[np.float64]:
        """Current population of each region (balanced census)."""
        return self.state.region_pop

    @property
    def cut_edges(self) -> int:
        """Current number of cut edges."""
        return int(self.state.counts[_c.S_CUT])

    @property
    def plan_hash(self) -> int:
        """Label-invariant hash of the current plan."""
        return int(_c.plan_hash(self.state.region_hash))


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
    ``2 m / cut_edges`` draws to pick the edge; the community metrics add ``O(m C g + k C g)``
    for ``C`` censuses of ``g`` communities on a step that moves.
    """
    out = _k.make_out(n_steps, len(chain.censuses), chain.data.tables.shape[2],
                      int(chain.taking_part.sum()), bool(chain.censuses))
    done = _k.recom_steps(chain.data, chain.state, chain.params, chain.work, n_steps, rng, out)
    if done == _k.ERR_M_EXCEEDED:
        a, b, count = (int(x) for x in out.info)
        raise InfeasibleError(
            f"reversible ReCom drew a spanning tree of regions {chain.region_names[a]!r} and "
            f"{chain.region_names[b]!r} with {count} balanced cuts, more than the bound "
            f"M={int(chain.params.m_bound)}",
            hint=f"raise m_bound to at least {count} (or leave it unset for the safe bound)")
    if done == _k.ERR_NO_PAIR:
        raise InfeasibleError(
            "no two unlocked regions can be merged",
            hint="unlock regions, or check that the plan has at least two adjacent unlocked "
                 "regions")
    return StepRecord.from_out(out, n_steps)
