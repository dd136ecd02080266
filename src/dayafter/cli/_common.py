"""Helpers shared by the CLI commands: error mapping, consoles, loading territories and plans."""

from __future__ import annotations

import sys
import traceback
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer

from dayafter.errors import ConvergenceWarning, DataQualityWarning, DayafterError
from dayafter.project import DEFAULT_CASE

if TYPE_CHECKING:
    from dayafter.project import Project


CaseOpt = Annotated[str | None, typer.Option("--case", help=f"Built-in case (default {DEFAULT_CASE}).")]
"""The ``--case`` option of every command that reads a territory."""
ProjectOpt = Annotated[Path | None, typer.Option("--project", help="Project GeoPackage instead of a case.")]
"""The ``--project`` option of every command that reads a territory."""


def run_guarded(app: typer.Typer, *, debug: bool = False, args: list[str] | None = None) -> int:
    """Run the Typer app and map exceptions to exit codes with a one-line message on stderr."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("ignore")  # library deprecations are not the user's business
            warnings.simplefilter("always", DataQualityWarning)
            warnings.simplefilter("always", ConvergenceWarning)
            try:
                rv = app(args=args, standalone_mode=False)
            finally:
                for w in caught:  # data-quality notes: one line each, after the command's output
                    err_line(f"warning: {w.message}")
        return int(rv) if isinstance(rv, int) else 0
    except DayafterError as exc:
        if debug:
            traceback.print_exc()
        err_line(f"error: {exc.one_line()}")
        return exc.exit_code
    except (click.exceptions.Abort, typer.Abort):
        err_line("aborted")
        return 130
    except (click.exceptions.Exit, typer.Exit) as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return int(exc.exit_code)
    except FileNotFoundError as exc:
        if debug:
            traceback.print_exc()
        err_line(f"error: file not found: {exc.filename or exc}. Fix: check the path.")
        return 3
    except KeyboardInterrupt:
        err_line("interrupted")
        return 130
    except Exception as exc:  # the last resort: one line, traceback only on --debug
        if _is_usage_error(exc):  # Typer's own (vendored) click exceptions
            exc.show()  # type: ignore[attr-defined]
            return int(getattr(exc, "exit_code", 2))
        if debug:
            traceback.print_exc()
        err_line(f"internal error: {type(exc).__name__}: {exc}. Rerun with --debug and report it.")
        return 1


def _is_usage_error(exc: BaseException) -> bool:
    return any(c.__name__ in ("UsageError", "ClickException") for c in type(exc).__mro__) and hasattr(exc, "show")


def err_line(text: str) -> None:
    """Write one line to stderr."""
    sys.stderr.write(text.replace("\n", " ") + "\n")
    sys.stderr.flush()


def console(*, stderr: bool = False):
    """A rich Console (stdout by default)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=160 if not sys.stdout.isatty() else None)


def print_json(data: Any) -> None:
    """Machine-readable output on stdout (NaN and infinities become null: strict JSON)."""
    from dayafter._util import json_dumps

    sys.stdout.write(json_dumps(data, indent=2) + "\n")


def open_project(case: str | None, project: Path | None) -> Project:
    """The project file given with ``--project``, else the built-in case of ``--case``."""
    from dayafter.project import Project

    return Project.open(case, project)
