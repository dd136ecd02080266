"""Exceptions and warnings of dayafter.

Every error carries a message that says what is wrong, where (file, row, unit ids) and what to try.
The CLI maps them to exit codes (3 for bad input, 4 for infeasible problems) and the web app to JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

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
    key, args
        The message's key in the web app's catalogues (``error.<key>`` in
        ``web/src/locales/*.json``) and the values of its ``{placeholders}``, so that the front end
        can show the message in the reader's language; the English ``message`` stays what the CLI,
        the report and API clients read. ``args`` are JSON values (numbers are formatted by the
        reader's locale, lists joined).
    hint_key, hint_args
        The same for the hint; ``hint_args`` default to ``args``.

    Notes
    -----
    ``to_dict()`` adds ``message_i18n = {"key": key, "args": args}`` (and ``hint_i18n``) only
    when a key is given; an error without a key is shown in English. Keys are string literals at
    the ``raise`` (``key="web.no_plan"``), so a test can find every one of them in the source and
    check that each catalogue has it with the same placeholders.

    Examples
    --------
    >>> e = InputDataError("no plan called 'X'", hint="use one of ['A']", key="web.no_plan",
    ...                    args={"name": "X"}, hint_key="web.use_one_of", hint_args={"options": ["A"]})
    >>> e.to_dict()["message_i18n"]
    {'key': 'web.no_plan', 'args': {'name': 'X'}}
    """

    exit_code: int = 1

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        unit_ids: Sequence[str] = (),
        source: str = "",
        key: str | None = None,
        args: Mapping[str, object] | None = None,
        hint_key: str | None = None,
        hint_args: Mapping[str, object] | None = None,
    ) -> None:
        if not message:
            raise ValueError("a DayafterError needs a message")
        self.message = message
        self.hint = hint
        self.unit_ids = [str(u) for u in unit_ids]
        self.source = str(source)
        self.key = key
        self.args_i18n: dict[str, object] = dict(args or {})
        self.hint_key = hint_key if hint else None
        self.hint_args: dict[str, object] = dict(self.args_i18n if hint_args is None else hint_args)
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
        """JSON-ready form for the web API.

        ``{error, message, hint, unit_ids, source}``, plus ``message_i18n`` and ``hint_i18n``
        (``{key, args}``) when the error has keys (see the class's Notes).
        """
        out: dict[str, object] = {
            "error": type(self).__name__,
            "message": self.message,
            "hint": self.hint,
            "unit_ids": self.unit_ids,
            "source": self.source,
        }
        if self.key:
            out["message_i18n"] = {"key": self.key, "args": self.args_i18n}
        if self.hint_key:
            out["hint_i18n"] = {"key": self.hint_key, "args": self.hint_args}
        return out


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
