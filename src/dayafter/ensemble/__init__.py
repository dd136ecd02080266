"""Ensembles of plans: ReCom and reversible ReCom chains on CSR arrays.

>>> from dayafter.ensemble import ReComSampler, Proposal, ChainConstraints
"""

from dayafter.ensemble.constraints import ChainConstraints
from dayafter.ensemble.diagnostics import effective_sample_size, split_rhat
from dayafter.ensemble.outliers import where_in_ensemble
from dayafter.ensemble.recom import CAUSES, ChainState, Proposal, StepRecord, run_steps
from dayafter.ensemble.sampler import ReComSampler, ReplayResult, RunResult, replay, summarize
from dayafter.ensemble.seed import seed_plan

__all__ = [
    "CAUSES",
    "ChainConstraints",
    "ChainState",
    "Proposal",
    "ReComSampler",
    "ReplayResult",
    "RunResult",
    "StepRecord",
    "effective_sample_size",
    "replay",
    "run_steps",
    "seed_plan",
    "split_rhat",
    "summarize",
    "where_in_ensemble",
]
