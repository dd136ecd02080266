"""Referendum: a status referendum (join the Kurdistan Region, stay federal, self-administer).

Article 140 of Iraq's 2005 constitution ends with a referendum in the disputed territories after
normalisation and a census. This engine holds one on any census, by unit, district or governorate:

- :class:`VotingModel` gives turnout and vote shares by community, each with a range;
- :func:`electorate` applies an eligibility rule (``residents``, ``origin`` or Article 140's
  ``normalised`` electorate with a :class:`Normalisation` table);
- :func:`simulate_referendum` tallies votes (vectorised over census and parameter draws),
  decides each area by a stated rule and tie rule (:func:`decide`), reports each option's
  probability over draws, the pivotal units and the resulting plan.

The engine takes plain inputs and imports no other engine.

>>> import dayafter as da
>>> from dayafter.referendum import case_referendum, simulate_referendum
>>> case = da.cases.load("northern-iraq")
>>> model, scope, norm = case_referendum(case.territory)
>>> r = simulate_referendum(case.territory, model=model, census="current", scope=scope,
...                         reference=case.reference_plan)
>>> r.level, len(r.area_ids)
('district', 15)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from dayafter.referendum.data import (
    case_referendum_folder,
    load_normalisation,
    load_scope,
    load_voting_model,
)
from dayafter.referendum.model import (
    ELIGIBILITY,
    OPTION_LABELS,
    OPTIONS,
    Normalisation,
    NormalisationRow,
    VoteArrays,
    VotingModel,
    electorate,
)
from dayafter.referendum.simulate import (
    RULES,
    TIE_RULE,
    ReferendumResult,
    area_codes,
    decide,
    pivotal_units,
    simulate_referendum,
    tally_votes,
)

if TYPE_CHECKING:
    from dayafter.territory import Territory

__all__ = [
    "ELIGIBILITY",
    "OPTIONS",
    "OPTION_LABELS",
    "RULES",
    "TIE_RULE",
    "Normalisation",
    "NormalisationRow",
    "ReferendumResult",
    "VoteArrays",
    "VotingModel",
    "area_codes",
    "case_referendum",
    "case_referendum_folder",
    "decide",
    "electorate",
    "load_normalisation",
    "load_scope",
    "load_voting_model",
    "pivotal_units",
    "simulate_referendum",
    "tally_votes",
]


def case_referendum(territory: Territory, case: str = "northern-iraq"
                    ) -> tuple[VotingModel, NDArray[np.bool_], Normalisation]:
    """The voting model, default scope and normalisation table shipped with a built-in case."""
    folder = case_referendum_folder(case)
    return (load_voting_model(folder), load_scope(folder / "scope.csv", territory),
            load_normalisation(folder / "normalisation.csv"))
