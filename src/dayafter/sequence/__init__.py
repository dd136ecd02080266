"""Sequencing: a settlement as ordered steps along the Article 140 road.

Normalise (returns and property claims), census, referendum, transfer of authority, deploy
forces, elect councils: each step has preconditions checked by criteria and an effect on the
censuses and the plan. :func:`run_sequence` carries them out in order and returns a timeline.

This is an orchestration layer above the engines (returns, claims, referendum, security,
councils): it may import them all; they do not import it.

>>> import dayafter as da
>>> from dayafter.cases.northern_iraq.councils import provincial_rules_2023
>>> from dayafter.sequence import SequenceInputs, case_settlements, run_sequence
>>> case = da.cases.load("northern-iraq")
>>> inputs = SequenceInputs.from_case(case, council_rules=provincial_rules_2023())
>>> s = case_settlements()["article-140"]
>>> res = run_sequence(s, inputs, draws=50)
>>> [o.step.kind for o in res.timeline][:3]
['normalise', 'census', 'referendum']
"""

from __future__ import annotations

from pathlib import Path

from dayafter.errors import InputDataError
from dayafter.sequence.run import SequenceInputs, SequenceResult, StepOutcome, run_sequence
from dayafter.sequence.steps import (
    ON_FAIL,
    SEQUENCE_METRICS,
    STEP_KINDS,
    Settlement,
    Step,
    load_settlement,
    settlement_from_dict,
)

__all__ = [
    "ON_FAIL",
    "SEQUENCE_METRICS",
    "STEP_KINDS",
    "SequenceInputs",
    "SequenceResult",
    "Settlement",
    "Step",
    "StepOutcome",
    "case_settlements",
    "load_settlement",
    "run_sequence",
    "settlement_from_dict",
]


def case_settlements(case: str = "northern-iraq") -> dict[str, Settlement]:
    """The settlements shipped with a built-in case (its ``sequence/`` folder), by name."""
    from importlib import resources

    name = case.replace("-", "_")
    try:
        pkg = resources.files(f"dayafter.cases.{name}")
    except ModuleNotFoundError:
        raise InputDataError(f"unknown case {case!r}", hint="use northern-iraq") from None
    folder = pkg.joinpath("sequence")
    if not folder.is_dir():
        raise InputDataError(f"case {case!r} ships no settlements", hint="pass a settlement file")
    out = {}
    for child in sorted(folder.iterdir(), key=lambda c: c.name):
        if child.name.endswith(".json"):
            s = load_settlement(Path(str(child)))
            out[s.name] = s
    return out
