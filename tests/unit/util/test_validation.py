"""Parameter validation from constraint tables (dayafter.validation) and the shared parameters that
the engines, the CLI and the web app read from it."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pytest

from dayafter.errors import ConfigError
from dayafter.validation import (
    DEFAULT_TOLERANCE,
    PARAMETERS,
    Interval,
    StrOptions,
    describe,
    validate_parameter_constraints,
    validate_params,
)


@pytest.mark.parametrize("closed", ["both", "left", "right", "neither"])
def test_interval_membership_by_enumeration(closed):
    iv = Interval(Real, 0, 1, closed=closed)
    lo_in, hi_in = closed in ("both", "left"), closed in ("both", "right")
    for x in np.linspace(-0.5, 1.5, 41):
        expect = (0 < x < 1) or (x == 0 and lo_in) or (x == 1 and hi_in)
        assert iv.is_satisfied_by(float(x)) == expect, (closed, x)
    assert not iv.is_satisfied_by(float("nan"))
    assert not iv.is_satisfied_by(True)  # booleans are not numbers
    assert not iv.is_satisfied_by("0.5")


def test_integral_intervals_and_descriptions():
    iv = Interval(Integral, 1, None, closed="left")
    assert iv.is_satisfied_by(3) and iv.is_satisfied_by(np.int64(3))
    assert not iv.is_satisfied_by(3.0) and not iv.is_satisfied_by(0)
    assert str(iv) == "an int in the range [1, inf)"
    assert str(Interval(Real, None, 0.5, closed="neither")) == "a float in the range (-inf, 0.5)"
    assert iv.schema() == {"ge": 1}
    assert Interval(Real, 0, 1, closed="left").schema() == {"ge": 0, "lt": 1}
    assert describe([StrOptions({"b", "a"}), None]) == "a str among {'a', 'b'} or None"
    with pytest.raises(ValueError):
        Interval(Real, 1, 0)


def test_every_message_has_one_form():
    @validate_params({"k": [Interval(Integral, 2, None, closed="left")], "mode": [StrOptions({"x"})],
                      "rng": ["seed"], "fn": ["callable", None]})
    def f(k, mode="x", *, rng=None, fn=None):
        return k

    assert f(2) == 2
    assert f(3, "x", rng=np.random.default_rng(0), fn=len) == 3
    cases = [((1,), {}, "'k'", "an int in the range [2, inf)", "1"),
             ((2, "y"), {}, "'mode'", "a str among {'x'}", "'y'"),
             ((2,), {"rng": -1}, "'rng'", "a non-negative int, a numpy.random.Generator or None", "-1"),
             ((2,), {"fn": 3}, "'fn'", "a callable or None", "3")]
    for args, kw, name, what, got in cases:
        with pytest.raises(ConfigError) as err:
            f(*args, **kw)
        assert err.value.message == f"The {name} parameter of {f.__qualname__} must be {what}. Got {got} instead."


def test_a_bad_default_is_caught_and_unknown_names_refused():
    @validate_params({"x": [Interval(Real, 0, 1)]})
    def g(x=5):
        return x

    with pytest.raises(ConfigError, match="'x' parameter of"):
        g()
    with pytest.raises(ValueError, match="does not take"):
        validate_params({"y": [None]})(lambda x: x)
    validate_parameter_constraints({"x": "no_validation"}, {"x": object()}, "h")


def test_the_tolerance_has_one_range_and_one_default_everywhere():
    from dayafter.ensemble import ChainConstraints
    from dayafter.optimize import Problem

    tol = PARAMETERS["tolerance"]
    assert tol.default == DEFAULT_TOLERANCE
    assert ChainConstraints().tolerance == DEFAULT_TOLERANCE
    assert Problem.from_dict({"regions": 2, "maximize": [{"metric": "homogeneity"}]}).tolerance == DEFAULT_TOLERANCE
    for good in (0, 0.05, 1.0, None):
        ChainConstraints.from_dict({"tolerance": good})
        Problem.from_dict({"regions": 2, "maximize": [{"metric": "homogeneity"}],
                           "constraints": {"tolerance": good}})
    for bad in (-0.1, 1.5, float("nan"), "0.1"):
        for make in (lambda v: ChainConstraints.from_dict({"tolerance": v}),
                     lambda v: ChainConstraints(tolerance=v),
                     lambda v: Problem.from_dict({"regions": 2, "maximize": [{"metric": "homogeneity"}],
                                                  "constraints": {"tolerance": v}})):
            with pytest.raises(ConfigError, match=r"'tolerance' parameter of \w+ must be a float in the range \[0, 1\] or None"):
                make(bad)


def test_web_request_model_and_cli_help_come_from_the_table():
    pytest.importorskip("fastapi")
    from pydantic import ValidationError

    from dayafter.web.routes import JobParams

    assert JobParams().tolerance == DEFAULT_TOLERANCE
    assert JobParams(tolerance=1.0).tolerance == 1.0
    with pytest.raises(ValidationError):
        JobParams(tolerance=1.5)
    field = JobParams.model_fields["tolerance"]
    assert field.description == PARAMETERS["tolerance"].help()

    from typer.testing import CliRunner

    from dayafter.cli.main import app

    out = CliRunner().invoke(app, ["ensemble", "run", "--help"], terminal_width=400).output
    assert "[0, 1]" in " ".join(out.split())


def test_evaluate_and_optimize_validate_their_parameters(grid_territory):
    import dayafter as da
    from dayafter.optimize import Problem, optimize
    from dayafter.plan import Plan, Region

    plan = Plan(np.repeat([0, 1], 8), (Region("W", "a"), Region("E", "b")), grid_territory.content_hash)
    with pytest.raises(ConfigError, match="'threshold' parameter of evaluate must be a float in the range"):
        da.evaluate(grid_territory, plan, threshold=1.5)
    p = Problem.from_dict({"regions": 2, "maximize": [{"metric": "homogeneity"}]})
    with pytest.raises(ConfigError, match="'method' parameter of optimize must be a str among"):
        optimize(p, grid_territory, method="magic")
    with pytest.raises(ConfigError, match="'time_limit' parameter of optimize"):
        optimize(p, grid_territory, time_limit=0)


# ------------------------------------------------------------------ councils apportion and settle
def test_apportion_and_settle_methods_are_the_tables_options():
    from dayafter.councils import DIVISOR_METHODS, METHODS, QUOTA_METHODS
    from dayafter.settle import METHODS as SETTLE
    from dayafter.validation import APPORTION_METHODS, SETTLE_METHODS

    assert METHODS == APPORTION_METHODS and set(METHODS) == {*DIVISOR_METHODS, *QUOTA_METHODS}
    assert set(PARAMETERS["apportion_method"].constraints[0].options) == set(METHODS)
    assert tuple(SETTLE) == SETTLE_METHODS
    assert set(PARAMETERS["settle_method"].constraints[0].options) == set(SETTLE)


@pytest.mark.parametrize("kwargs,name", [
    ({"seats": -1}, "seats"), ({"seats": 100_001}, "seats"), ({"seats": 2.5}, "seats"),
    ({"seats": 3, "threshold": 1.0}, "threshold"), ({"seats": 3, "threshold": float("nan")}, "threshold"),
    ({"seats": 3, "first_divisor": 0}, "first_divisor"), ({"seats": 3, "min_seats": -2}, "min_seats"),
])
def test_apportion_checks_its_parameters_from_the_table(kwargs, name):
    from dayafter.councils import apportion

    with pytest.raises(ConfigError, match=rf"The '{name}' parameter of apportion must be") as info:
        apportion([10, 5], **kwargs)
    assert "Fix: use e.g." in str(info.value) and "\n" not in str(info.value)
    # the boundary values the table allows still run
    assert apportion([10, 5], 0).seats.tolist() == [0, 0]
    assert apportion([10, 5], 3, threshold="0.05", first_divisor="1.7").seats.sum() == 3


def test_settle_entry_points_check_their_parameters_from_the_table():
    from dayafter.settle import ClaimsProblem, adjusted_winner, settle

    pr = ClaimsProblem(("A", "B"), ("u1", "u2"), np.array([[3.0, 1.0], [1.0, 3.0]]))
    with pytest.raises(ConfigError, match="'time_limit' parameter of min_subsidy"):
        settle(pr, "min-subsidy", time_limit=0)
    with pytest.raises(ConfigError, match="'time_limit' parameter of max_nash_welfare"):
        settle(pr, "max-nash-welfare", time_limit=-1.0)
    with pytest.raises(ConfigError, match="'split' parameter of adjusted_winner must be a str among"):
        adjusted_winner(pr, split="coin")  # type: ignore[arg-type]


def test_councils_and_settle_cli_help_and_web_model_come_from_the_table():
    from typer.testing import CliRunner

    from dayafter.cli.main import app

    def flat(args: list[str]) -> str:
        return " ".join(CliRunner().invoke(app, args, terminal_width=400).output.replace("│", " ").split())

    out = flat(["councils", "apportion", "--help"])
    for key in ("seats", "apportion_method", "first_divisor", "vote_threshold", "min_seats"):
        assert " ".join(PARAMETERS[key].help().split()) in out, key
    out = flat(["settle", "run", "--help"])
    for key in ("budget", "time_limit", "split", "population_weight"):
        assert " ".join(PARAMETERS[key].help().split()) in out, key

    pytest.importorskip("fastapi")
    from pydantic import ValidationError

    from dayafter.web.routers.engines import SettleBody

    assert SettleBody.model_fields["method"].description == PARAMETERS["settle_method"].help()
    assert SettleBody.model_fields["budget"].description == PARAMETERS["budget"].help()
    assert SettleBody(method="knaster").budget == PARAMETERS["budget"].default
    for bad in ({"method": "coin-toss"}, {"method": "knaster", "budget": -1.0},
                {"method": "knaster", "budget": float("inf")}, {}):
        with pytest.raises(ValidationError):
            SettleBody(**bad)


# ------------------------------------------------------------------ keys for the web app's catalogues
def test_the_error_carries_its_key_and_the_constraints_as_data():
    """The English message stays; the key's arguments describe the constraints (bounds, which
    ends are closed, options) for the web app to word in the reader's language."""
    with pytest.raises(ConfigError) as info:
        validate_parameter_constraints(
            {"share": [Interval(Real, 0, 1, closed="left"), StrOptions({"b", "a"}), None]},
            {"share": 1.5}, "f")
    d = info.value.to_dict()
    assert d["message"] == ("The 'share' parameter of f must be a float in the range [0, 1), a str "
                            "among {'a', 'b'} or None. Got 1.5 instead.")
    assert d["message_i18n"] == {"key": "validation.parameter", "args": {
        "name": "share", "caller": "f", "value": 1.5, "constraints": [
            {"kind": "float_range", "left": 0, "right": 1, "left_closed": True, "right_closed": False},
            {"kind": "options", "options": ["a", "b"]}, {"kind": "none"}]}}
    assert d["hint"] == "use e.g. share=0.5"
    assert d["hint_i18n"] == {"key": "validation.example", "args": {"name": "share", "examples": [0.5]}}


def test_an_unbounded_interval_and_a_value_that_is_no_number():
    with pytest.raises(ConfigError) as info:
        PARAMETERS["steps"].check("many", "run")
    args = info.value.to_dict()["message_i18n"]["args"]
    assert args["value"] == "'many'"  # not a number: its repr, as in the English
    assert args["constraints"] == [{"kind": "int_range", "left": 1, "right": None, "left_closed": True,
                                    "right_closed": False}]
    with pytest.raises(ConfigError) as info:
        PARAMETERS["seed"].check(-1, "run")
    assert info.value.to_dict()["message_i18n"]["args"]["constraints"] == [{"kind": "seed"}]


def test_the_hint_of_a_parameter_lists_its_examples_and_a_written_hint_has_no_key():
    with pytest.raises(ConfigError) as info:
        PARAMETERS["tolerance"].check(2.0, "f")
    assert info.value.hint == "use e.g. tolerance=0.05 or 0.25"
    assert info.value.to_dict()["hint_i18n"]["args"] == {"name": "tolerance", "examples": [0.05, 0.25]}
    with pytest.raises(ConfigError) as info:
        validate_parameter_constraints({"x": [str]}, {"x": 3}, "g", hints={"x": "quote it"})
    d = info.value.to_dict()
    assert d["hint"] == "quote it" and "hint_i18n" not in d and d["message_i18n"]["key"] == "validation.parameter"
    with pytest.raises(ConfigError) as info:
        validate_parameter_constraints({"x": [str]}, {"x": 3}, "g")
    assert info.value.to_dict()["hint_i18n"]["key"] == "validation.give_as"


def test_to_dict_adds_the_keys_only_when_given():
    from dayafter.errors import DayafterError, InputDataError

    plain = DayafterError("broken", hint="mend it").to_dict()
    assert set(plain) == {"error", "message", "hint", "unit_ids", "source"}
    e = InputDataError("no plan called 'X'", hint="use one of ['A']", key="web.no_plan", args={"name": "X"},
                       hint_key="web.use_one_of", hint_args={"options": ["A"]}, source="f.csv")
    d = e.to_dict()
    assert d["message"] == "no plan called 'X'" and d["source"] == "f.csv"
    assert d["message_i18n"] == {"key": "web.no_plan", "args": {"name": "X"}}
    assert d["hint_i18n"] == {"key": "web.use_one_of", "args": {"options": ["A"]}}
    assert e.one_line() == "f.csv: no plan called 'X'. Fix: use one of ['A']."
    # the hint's arguments default to the message's; a key for an absent hint is dropped
    d = InputDataError("m", hint="h", key="k", args={"a": 1}, hint_key="hk").to_dict()
    assert d["hint_i18n"] == {"key": "hk", "args": {"a": 1}}
    assert "hint_i18n" not in InputDataError("m", key="k", hint_key="hk").to_dict()
