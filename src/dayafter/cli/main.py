"""The ``dayafter`` command: ``dayafter <noun> <verb>``.

Exit codes: 0 success, 1 unexpected error, 2 usage, 3 bad input, 4 infeasible.
"""

from __future__ import annotations

import os
import sys

import typer

from dayafter.cli._common import run_guarded

app = typer.Typer(
    name="dayafter",
    help="Design and stress-test post-conflict territorial settlements.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    from dayafter.cli import (
        case,
        claims,
        councils,
        ensemble,
        optimize,
        plan,
        referendum,
        report,
        returns,
        security,
        sequence,
        serve,
        settle,
        territory,
    )

    app.add_typer(case.app, name="case")
    app.add_typer(territory.app, name="territory")
    app.add_typer(plan.app, name="plan")
    app.add_typer(councils.app, name="councils")
    app.add_typer(ensemble.app, name="ensemble")
    app.add_typer(optimize.app, name="optimize")
    app.command("report")(report.report)
    app.add_typer(security.app, name="security")
    app.command("serve")(serve.serve)
    app.add_typer(settle.app, name="settle")
    app.add_typer(returns.app, name="returns")
    app.add_typer(referendum.app, name="referendum")
    app.add_typer(claims.app, name="claims")
    app.add_typer(sequence.app, name="sequence")


_register()


def main() -> None:
    """Console-script entry point."""
    debug = "--debug" in sys.argv or os.environ.get("DAYAFTER_DEBUG") == "1"
    if "--debug" in sys.argv:
        sys.argv.remove("--debug")
    sys.exit(run_guarded(app, debug=debug))


if __name__ == "__main__":  # pragma: no cover
    main()
