"""A figure with its range, basis and sources: the unit of every engine parameter table.

>>> import numpy as np
>>> e = Estimate(0.5, 0.3, 0.8, "assumption")
>>> x = e.draw(np.random.default_rng(0), 1000)
>>> bool((x >= 0.3).all() and (x <= 0.8).all())
True
>>> Estimate.exact(2.0).draw(np.random.default_rng(0), 2).tolist()
[2.0, 2.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter.errors import InputDataError

__all__ = ["Estimate"]


@dataclass(frozen=True)
class Estimate:
    """A figure with its range: ``low <= value <= high``, with the basis and the sources.

    Parameters
    ----------
    value, low, high
        The central value and the range (equal for an exact figure).
    basis
        How the figure was set: a source's wording, a rule, or ``"assumption: ..."``.
    sources
        Source ids (see the case's ``SOURCES.md``).
    """

    value: float
    low: float
    high: float
    basis: str = ""
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        vals = (self.value, self.low, self.high)
        if not all(math.isfinite(float(v)) for v in vals):
            raise InputDataError(f"an estimate needs finite numbers, got {vals}",
                                 hint="write finite numbers for value, low and high")
        if not self.low <= self.value <= self.high:
            raise InputDataError(f"an estimate needs low <= value <= high, got {vals}",
                                 hint="swap or correct the range")

    @classmethod
    def exact(cls, value: float, basis: str = "", sources: Sequence[str] = ()) -> Estimate:
        """An estimate without range."""
        return cls(float(value), float(value), float(value), basis, tuple(sources))

    def draw(self, rng: np.random.Generator, size: int) -> NDArray[np.float64]:
        """``size`` draws from the triangular distribution on ``[low, high]`` (mode ``value``)."""
        if self.high <= self.low:
            return np.full(size, float(self.value))
        return rng.triangular(self.low, self.value, self.high, size)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"value": self.value, "low": self.low, "high": self.high, "basis": self.basis,
                "sources": list(self.sources)}
