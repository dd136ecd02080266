"""Exceptions and warnings of dayafter.

Every error carries a message that says what is wrong, where (file, row, unit ids) and what to try.
The CLI maps them to exit codes (3 for bad input, 4 for infeasible problems) and the web app to JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "ConfigError",
    "ConvergenceWarning",
    "DataQualityWarning",
    "DayafterError",
    "GeometryError",
    "InfeasibleError",
    "InputDataError",
    "PlanMismatchError",
]


class DayafterError(Exception):
    """Root of every error dayafter raises on purpose.

    Parameters
    ----------
    message
        What is wrong, where and what was expected.
    hint
        What to try (a flag, a fix in the data).
    unit_ids
        The unit ids concerned, if any (the first ones are quoted in the message).
    source
        The file or object the problem was found in.
    """

    exit_code: int = 1

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        unit_ids: Sequence[str] = (),
        source: str = "",
    ) -> None:
        if not message:
            raise ValueError("a DayafterError needs a message")
        self.message = message
        self.hint = hint
        self.unit_ids = [str(u) for u in unit_ids]
        self.source = str(source)
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message on one line, with the source first and the hint last."""
        parts = []
        if self.source:
            parts.append(f"{self.source}: ")
        parts.append(self.message.rstrip("."))
        parts.append(".")
        if self.hint:
            parts.append(f" Fix: {self.hint.rstrip('.')}.")
        return "".join(parts).replace("\n", " ")

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for the web API."""
        return {
            "error": type(self).__name__,
            "message": self.message,
            "hint": self.hint,
            "unit_ids": self.unit_ids,
            "source": self.source,
        }


class InputDataError(DayafterError, ValueError):
    """The data given (a file, a table, a plan) is not usable as it is."""

    exit_code = 3


class GeometryError(InputDataError):
    """Geometries are invalid, empty, or in a coordinate system that cannot be used."""


class PlanMismatchError(InputDataError):
    """A plan does not belong to the territory it is used with."""


class ConfigError(DayafterError, ValueError):
    """Parameters or a specification (criteria, constraints) are wrong."""

    exit_code = 3


class InfeasibleError(DayafterError, RuntimeError):
    """The problem as stated has no solution (bounds no plan can meet, no balanced cut)."""

    exit_code = 4


class DataQualityWarning(UserWarning):
    """The data can be used but something in it deserves a look (gaps, islands, imputed values)."""


class ConvergenceWarning(UserWarning):
    """A stochastic or iterative run may not have converged."""


def first_ids(ids: Iterable[object], limit: int = 5) -> str:
    """Format up to ``limit`` ids for a message: ``'A', 'B' and 3 more`` (row numbers unquoted)."""
    ids = list(ids)
    shown = ", ".join(str(i) if isinstance(i, int) else repr(str(i)) for i in ids[:limit])
    if len(ids) > limit:
        shown += f" and {len(ids) - limit} more"
    return shown
