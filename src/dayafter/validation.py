"""Parameter validation at the boundary, from a table of constraints (scikit-learn's style).

A public entry point states what each parameter may be, once, as a list of constraints; the
:func:`validate_params` decorator (functions) or :func:`validate_parameter_constraints` (run
objects, dataclasses) checks the arguments before any work and raises one
:class:`~dayafter.errors.ConfigError` in one form::

    The 'tolerance' parameter of ChainConstraints must be a float in the range [0, 1] or None.
    Got 1.5 instead. Fix: use e.g. tolerance=0.05 or 0.25.

Parameters shared by several engines (the population tolerance, the stranded threshold, seeds and
step counts) are described once in :data:`PARAMETERS`: their constraints, default and help text.
The CLI's ``--help`` and the web app's request models are derived from the same entries
(:meth:`Parameter.help`, :meth:`Parameter.field`), so the three can never disagree.

Constraints
-----------
``Interval(type, left, right, closed=...)``
    A number of ``type`` (:class:`numbers.Integral` or :class:`numbers.Real`) in a range; ``None``
    for an open end. Booleans are never numbers here.
``StrOptions({...})``
    One of a set of strings.
``None``
    The value ``None``.
a type
    An instance of it (``str``, ``Mapping``, ``Plan``...).
``"boolean"``, ``"callable"``, ``"array-like"``, ``"seed"``
    ``True``/``False``; a callable; a list, tuple or ndarray; ``None``, a non-negative integer
    or a :class:`numpy.random.Generator`.

Examples
--------
>>> from numbers import Real
>>> @validate_params({"share": [Interval(Real, 0, 1, closed="both")]})
... def half(share):
...     return share / 2
>>> half(0.5)
0.25
>>> half(2)
Traceback (most recent call last):
...
dayafter.errors.ConfigError: The 'share' parameter of half must be a float in the range [0, 1]. Got 2 instead. Fix: use e.g. share=0.5.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any, Literal, TypeVar

import numpy as np

from dayafter.errors import ConfigError

__all__ = [
    "APPORTION_METHODS",
    "CONSTRAINT_KINDS",
    "DEFAULT_TOLERANCE",
    "MAX_SEATS",
    "PARAMETERS",
    "SETTLE_METHODS",
    "Interval",
    "Parameter",
    "StrOptions",
    "check_parameters",
    "describe",
    "make_constraint",
    "validate_parameter_constraints",
    "validate_params",
]

F = TypeVar("F", bound=Callable[..., Any])


class _Constraint:
    """One thing a value may be."""

    def is_satisfied_by(self, value: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def __str__(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        """Keywords for a pydantic ``Field`` or a JSON schema (bounds, choices)."""
        return {}

    def example(self) -> Any:
        """A value that satisfies the constraint (for the hint of an error)."""
        return None

    def i18n(self) -> dict[str, Any]:
        """The constraint as data for the web app's catalogues: ``{"kind": k, ...}``, shown as
        the message ``error.constraint.<k>`` (``k`` is one of :data:`CONSTRAINT_KINDS`)."""
        return {"kind": "other", "text": str(self)}


@dataclass(frozen=True)
class Interval(_Constraint):
    """A number of ``type`` between ``left`` and ``right`` (``None``: unbounded on that side).

    Parameters
    ----------
    type
        :class:`numbers.Integral` (integers only) or :class:`numbers.Real` (any real number,
        integers included). NaN is never in an interval; booleans are not numbers.
    left, right
        The ends; ``None`` for no end.
    closed
        Which ends belong to the interval: ``"both"``, ``"left"``, ``"right"`` or ``"neither"``.

    Examples
    --------
    >>> from numbers import Real
    >>> str(Interval(Real, 0, 1, closed="left"))
    'a float in the range [0, 1)'
    >>> Interval(Real, 0, 1, closed="left").is_satisfied_by(1.0)
    False
    """

    type: type
    left: float | None
    right: float | None
    closed: Literal["both", "left", "right", "neither"] = "both"

    def __post_init__(self) -> None:
        if self.type not in (Integral, Real):
            raise TypeError("Interval type must be numbers.Integral or numbers.Real")
        if self.closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"closed must be both, left, right or neither, got {self.closed!r}")
        if self.left is not None and self.right is not None and self.right < self.left:
            raise ValueError(f"right ({self.right}) is below left ({self.left})")

    def is_satisfied_by(self, value: Any) -> bool:
        if isinstance(value, bool | np.bool_) or not isinstance(value, self.type):
            return False
        v = float(value)  # type: ignore[arg-type]  # a numbers.Real
        if math.isnan(v):
            return False
        lo_closed = self.closed in ("both", "left")
        hi_closed = self.closed in ("both", "right")
        if self.left is not None and (v < self.left or (v == self.left and not lo_closed)):
            return False
        return not (self.right is not None and (v > self.right or (v == self.right and not hi_closed)))

    def __str__(self) -> str:
        kind = "an int" if self.type is Integral else "a float"
        lo = "-inf" if self.left is None else _num(self.left)
        hi = "inf" if self.right is None else _num(self.right)
        lb = "[" if self.closed in ("both", "left") and self.left is not None else "("
        rb = "]" if self.closed in ("both", "right") and self.right is not None else ")"
        return f"{kind} in the range {lb}{lo}, {hi}{rb}"

    def i18n(self) -> dict[str, Any]:
        return {"kind": "int_range" if self.type is Integral else "float_range",
                "left": self.left, "right": self.right,
                "left_closed": self.closed in ("both", "left") and self.left is not None,
                "right_closed": self.closed in ("both", "right") and self.right is not None}

    def example(self) -> Any:
        lo, hi = self.left, self.right
        if lo is not None and hi is not None:
            x = (lo + hi) / 2
        elif lo is not None:
            x = lo + 1 if self.closed in ("right", "neither") else lo
        elif hi is not None:
            x = hi - 1 if self.closed in ("left", "neither") else hi
        else:
            x = 0
        return int(x) if self.type is Integral else float(x)

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.left is not None:
            out["ge" if self.closed in ("both", "left") else "gt"] = self.left
        if self.right is not None:
            out["le" if self.closed in ("both", "right") else "lt"] = self.right
        return out


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


@dataclass(frozen=True)
class StrOptions(_Constraint):
    """One of the strings in ``options``.

    >>> str(StrOptions({"plan", "equal"}))
    "a str among {'equal', 'plan'}"
    """

    options: frozenset[str]

    def __init__(self, options: Iterable[str]) -> None:
        object.__setattr__(self, "options", frozenset(options))

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.options

    def __str__(self) -> str:
        return "a str among {" + ", ".join(repr(o) for o in sorted(self.options)) + "}"

    def schema(self) -> dict[str, Any]:
        return {"pattern": "^(" + "|".join(sorted(self.options)) + ")$"}

    def example(self) -> Any:
        return sorted(self.options)[0]

    def i18n(self) -> dict[str, Any]:
        return {"kind": "options", "options": sorted(self.options)}


class _NoneConstraint(_Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        return value is None

    def __str__(self) -> str:
        return "None"

    def i18n(self) -> dict[str, Any]:
        return {"kind": "none"}


@dataclass(frozen=True)
class _InstanceOf(_Constraint):
    type: type

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, self.type)

    def __str__(self) -> str:
        name = self.type.__qualname__
        return f"an instance of {'str' if self.type is str else name!s}"

    def i18n(self) -> dict[str, Any]:
        return {"kind": "instance", "type": "str" if self.type is str else self.type.__qualname__}


class _Boolean(_Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, bool | np.bool_)

    def __str__(self) -> str:
        return "a bool"

    def i18n(self) -> dict[str, Any]:
        return {"kind": "bool"}


class _Callable(_Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        return callable(value)

    def __str__(self) -> str:
        return "a callable"

    def i18n(self) -> dict[str, Any]:
        return {"kind": "callable"}


class _ArrayLike(_Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, list | tuple | np.ndarray)

    def __str__(self) -> str:
        return "an array-like"

    def i18n(self) -> dict[str, Any]:
        return {"kind": "array"}


class _Seed(_Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        if value is None or isinstance(value, np.random.Generator):
            return True
        return isinstance(value, Integral) and not isinstance(value, bool) and int(value) >= 0

    def __str__(self) -> str:
        return "a non-negative int, a numpy.random.Generator or None"

    def i18n(self) -> dict[str, Any]:
        return {"kind": "seed"}


CONSTRAINT_KINDS: tuple[str, ...] = ("int_range", "float_range", "options", "none", "instance", "bool",
                                     "callable", "array", "seed", "other")
"""The kinds of :meth:`_Constraint.i18n`: the web app words each as ``error.constraint.<kind>``."""

_NAMED: dict[str, _Constraint] = {"boolean": _Boolean(), "callable": _Callable(),
                                  "array-like": _ArrayLike(), "seed": _Seed()}


def make_constraint(constraint: Any) -> _Constraint:
    """The constraint object for one entry of a constraints list (see the module's docstring)."""
    if isinstance(constraint, _Constraint):
        return constraint
    if constraint is None:
        return _NoneConstraint()
    if isinstance(constraint, str) and constraint in _NAMED:
        return _NAMED[constraint]
    if isinstance(constraint, type):
        return _InstanceOf(constraint)
    raise ValueError(f"unknown constraint {constraint!r}")


def describe(constraints: Iterable[Any]) -> str:
    """The constraints in words, as in the error messages.

    >>> describe([Interval(Real, 0, 1, closed="left"), None])
    'a float in the range [0, 1) or None'
    """
    parts = [str(make_constraint(c)) for c in constraints]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _json_value(value: Any) -> Any:
    """``value`` for an error's ``args``: a finite number as a number (the reader's locale formats
    it), anything else as its ``repr``."""
    if isinstance(value, Real) and not isinstance(value, bool | np.bool_) and math.isfinite(float(value)):
        return int(value) if isinstance(value, Integral) else float(value)
    return repr(value)


def validate_parameter_constraints(parameter_constraints: Mapping[str, Any], params: Mapping[str, Any],
                                   caller_name: str, *, hints: Mapping[str, str] | None = None,
                                   examples: Mapping[str, Iterable[Any]] | None = None) -> None:
    """Check ``params`` against ``parameter_constraints``; raise one :class:`ConfigError` otherwise.

    Parameters
    ----------
    parameter_constraints
        Parameter name to a list of constraints, or the string ``"no_validation"``. Parameters
        without an entry are not checked.
    params
        The values given.
    caller_name
        The function or class named in the message.
    hints
        What to try, by parameter name (the error's hint, in English only); by default an
        allowed value, e.g. ``use e.g. threshold=0.5``.
    examples
        Allowed values to suggest, by parameter name (``use e.g. tolerance=0.05 or 0.25``); the
        hint then has a key like the default one. ``hints`` win over ``examples``.

    Raises
    ------
    ConfigError
        ``The '<name>' parameter of <caller> must be <constraints>. Got <value> instead.``
        Its key is ``validation.parameter`` with the arguments ``name``, ``caller``, ``value``
        (a number, or the value's ``repr``) and ``constraints`` (each one's
        :meth:`~_Constraint.i18n`), which the web app words in the reader's language; the hint's
        key is ``validation.example`` (``name``, ``examples``) unless ``hints`` gives the hint.
    """
    for name, value in params.items():
        constraints = parameter_constraints.get(name)
        if constraints is None or constraints == "no_validation":
            continue
        objs = [make_constraint(c) for c in constraints]
        if any(c.is_satisfied_by(value) for c in objs):
            continue
        given = list((examples or {}).get(name) or ())
        shown = given or [e for e in (c.example() for c in objs) if e is not None][:1]
        args = {"name": name, "caller": caller_name, "value": _json_value(value),
                "constraints": [c.i18n() for c in objs]}
        given_hint = (hints or {}).get(name)
        hint = given_hint or (f"use e.g. {name}={' or '.join(map(repr, shown))}" if shown else
                              f"give {name} as {describe(objs)}")
        raise ConfigError(
            f"The {name!r} parameter of {caller_name} must be {describe(objs)}. Got {value!r} instead.",
            hint=hint, key="validation.parameter", args=args,
            # a hint the caller wrote has no key (it stays English)
            hint_key=None if given_hint else "validation.example" if shown else "validation.give_as",
            hint_args={"name": name, "examples": [_json_value(e) for e in shown]} if shown else args)


def validate_params(parameter_constraints: Mapping[str, Any]) -> Callable[[F], F]:
    """Decorator: check a function's arguments against ``parameter_constraints`` on every call.

    The arguments are bound to the function's signature first (defaults included), so a bad
    default is caught as well as a bad argument.
    """

    def decorator(func: F) -> F:
        sig = inspect.signature(func)
        unknown = set(parameter_constraints) - set(sig.parameters)
        if unknown:
            raise ValueError(f"constraints for parameters {sorted(unknown)} that "
                             f"{func.__qualname__} does not take")

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            validate_parameter_constraints(parameter_constraints, bound.arguments, func.__qualname__)
            return func(*args, **kwargs)

        wrapper.__wrapped__ = func
        wrapper._parameter_constraints = dict(parameter_constraints)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


# ------------------------------------------------------------------ parameters shared by engines
@dataclass(frozen=True)
class Parameter:
    """A parameter several entry points share: one set of constraints, one default, one text.

    Attributes
    ----------
    name
        The parameter's name in the library (``tolerance``).
    constraints
        What it may be (see the module's docstring).
    default
        The default every entry point uses.
    doc
        What it means, one sentence (CLI help, API docs, the web app's schema).
    """

    name: str
    constraints: tuple[Any, ...]
    default: Any
    doc: str
    examples: tuple[Any, ...] = field(default=())

    def check(self, value: Any, caller_name: str) -> Any:
        """``value`` if it satisfies the constraints, else :class:`ConfigError` (see above).

        >>> PARAMETERS["tolerance"].check(0.1, "f")
        0.1
        """
        validate_parameter_constraints({self.name: list(self.constraints)}, {self.name: value},
                                       caller_name, examples={self.name: self.examples})
        return value

    def help(self) -> str:
        """The CLI's help text: meaning, allowed values and default.

        >>> PARAMETERS["threshold"].help()
        'Share below which a community counts as stranded in a region (a float in the range [0, 1]; default 0.1).'
        """
        default = "none" if self.default is None else _num(self.default) \
            if isinstance(self.default, float | int) else repr(self.default)
        return f"{self.doc} ({describe(self.constraints)}; default {default})."

    def schema(self) -> dict[str, Any]:
        """Bounds of the numeric constraint (``ge``/``gt``/``le``/``lt``), for pydantic or JSON schema."""
        out: dict[str, Any] = {}
        for c in self.constraints:
            out.update(make_constraint(c).schema())
        return out

    def field(self, default: Any = ..., **kwargs: Any) -> Any:
        """A pydantic ``Field`` with this parameter's bounds, default and description.

        ``default`` overrides the shared default (a request that must name the value passes
        ``...``-free ``default=PydanticUndefined``); other keywords go to ``Field``.
        """
        from pydantic import Field

        value = self.default if default is ... else default
        numeric = any(isinstance(make_constraint(c), Interval) for c in self.constraints)
        extra: dict[str, Any] = {"allow_inf_nan": False} if numeric else {}
        return Field(value, description=self.help(), **extra, **self.schema(), **kwargs)


MAX_SEATS = 100_000
"""Largest council apportioned (the largest legislatures have about 3,000 seats): a larger number
is an input mistake, refused before any work (sequential highest averages are ``O(S L)``)."""

APPORTION_METHODS: tuple[str, ...] = ("dhondt", "sainte-lague", "huntington-hill", "adams", "dean",
                                      "hare", "droop")
"""Canonical apportionment methods (``dayafter.councils.METHODS`` is this tuple)."""

SETTLE_METHODS: tuple[str, ...] = ("max-nash-welfare", "min-subsidy", "ef-matching-rounds",
                                   "efeq-transfers", "adjusted-winner", "knaster")
"""Settlement methods (the keys of ``dayafter.settle.METHODS``)."""

DEFAULT_TOLERANCE = 0.25
"""Default population tolerance of every engine, the CLI and the web app (see ``PARAMETERS``)."""

PARAMETERS: dict[str, Parameter] = {
    "tolerance": Parameter(
        "tolerance", (Interval(Real, 0, 1, closed="both"), None), DEFAULT_TOLERANCE,
        "Population tolerance: every region stays within this share of its target population "
        "(the ideal total/k, or with balance='plan' its population in the starting plan); "
        "None for no bound",
        examples=(0.05, 0.25)),
    "threshold": Parameter(
        "threshold", (Interval(Real, 0, 1, closed="both"),), 0.10,
        "Share below which a community counts as stranded in a region"),
    "seed": Parameter(
        "seed", ("seed",), None,
        "Seed of the random generator (the same seed gives the same result)"),
    "steps": Parameter(
        "steps", (Interval(Integral, 1, None, closed="left"),), None,
        "Number of chain steps"),
    "balance": Parameter(
        "balance", (StrOptions({"plan", "equal"}),), "plan",
        "Population target of each region: 'plan' (its population in the starting plan) or "
        "'equal' (the ideal total/k)"),
    # ---- councils apportion (dayafter.councils.apportion, `dayafter councils apportion`)
    "seats": Parameter(
        "seats", (Interval(Integral, 0, MAX_SEATS, closed="both"),), None,
        "Council size, reserved seats included", examples=(25,)),
    "apportion_method": Parameter(
        "method", (StrOptions(APPORTION_METHODS),), "sainte-lague",
        "Apportionment method (aliases: jefferson = dhondt, webster = sainte-lague, "
        "hamilton = hare, hill = huntington-hill)", examples=("sainte-lague", "dhondt")),
    "first_divisor": Parameter(
        "first_divisor", (Interval(Real, 0, None, closed="neither"), str, None), None,
        "Sainte-Lague only: the divisor of a list's first seat (1.7 in Iraq since 2018; None: 1)",
        examples=(1.7,)),
    "vote_threshold": Parameter(
        "threshold", (Interval(Real, 0, 1, closed="left"), str, None), None,
        "Minimum share of the general-race votes a list needs to win seats (None: no threshold)",
        examples=(0.05,)),
    "min_seats": Parameter(
        "min_seats", (Interval(Integral, 0, MAX_SEATS, closed="both"), "array-like"), 0,
        "Seats every eligible list gets first, one number or one per list (divisor methods)",
        examples=(1,)),
    # ---- settlement of disputed units (dayafter.settle, `dayafter settle run|compensate`, web)
    "settle_method": Parameter(
        "method", (StrOptions(SETTLE_METHODS),), None,
        "Settlement method", examples=("knaster", "max-nash-welfare")),
    "budget": Parameter(
        "budget", (Interval(Real, 0, 1e15, closed="both"),), 0.0,
        "Outside compensation fund (donor money), in the value unit", examples=(0.0,)),
    "time_limit": Parameter(
        "time_limit", (Interval(Real, 0, None, closed="neither"), None), 60.0,
        "Seconds for the MILP methods (max-nash-welfare, min-subsidy) before they return their "
        "best allocation with a warning (None: no limit)", examples=(60.0,)),
    "population_weight": Parameter(
        "population_weight", (Interval(Real, 0, None, closed="left"), None), None,
        "Value of one constituency resident in the derived values (None: the parties file's, "
        "else 1)", examples=(1.0,)),
    "split": Parameter(
        "split", (StrOptions({"shared", "money"}),), "shared",
        "Adjusted Winner's split unit: 'shared' administration or 'money'"),
    "max_solves": Parameter(
        "max_solves", (Interval(Integral, 1, None, closed="left"),), 20,
        "With draws: run the methods on at most this many draws (the first ones)",
        examples=(20,)),
}
"""The parameters shared by several entry points, by name (a key differs from the parameter's
name where two engines use one name differently: ``vote_threshold`` is the apportionment's
``threshold``, ``apportion_method`` and ``settle_method`` are ``method``)."""


def check_parameters(values: Mapping[str, Any], caller_name: str,
                     keys: Mapping[str, str] | None = None) -> None:
    """Check several arguments against their :data:`PARAMETERS` entries at once.

    Parameters
    ----------
    values
        Argument name to value.
    caller_name
        The function or command named in the message.
    keys
        Argument name to its :data:`PARAMETERS` key where they differ (``{"threshold":
        "vote_threshold"}``); by default the argument's name.

    Raises
    ------
    ConfigError
        The first argument that its entry does not allow.

    Examples
    --------
    >>> check_parameters({"seats": 25, "threshold": 0.05}, "apportion", {"threshold": "vote_threshold"})
    >>> check_parameters({"seats": -1}, "apportion")
    Traceback (most recent call last):
    ...
    dayafter.errors.ConfigError: The 'seats' parameter of apportion must be an int in the range [0, 100000]. Got -1 instead. Fix: use e.g. seats=25.
    """
    for name, value in values.items():
        PARAMETERS[(keys or {}).get(name, name)].check(value, caller_name)
