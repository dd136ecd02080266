"""Helpers shared by the CLI commands: error mapping, consoles, loading territories and plans."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import traceback
import warnings
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

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


_JSON_STREAMS: list[TextIO] = []
"""Where :func:`print_json` writes while a ``--json`` command runs (the real standard output)."""


def _flush_c_stdio() -> None:
    """Flush the C library's stdout buffer (solvers print through it)."""
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # pragma: no cover - no C library to flush
        pass


@contextlib.contextmanager
def json_stdout(active: bool = True) -> Iterator[None]:
    """Keep standard output for JSON alone while a ``--json`` command runs.

    Everything else written to standard output (a solver's log printed by C code straight to file
    descriptor 1, a stray ``print``, a progress line) goes to standard error instead: file
    descriptor 1 points at standard error for the duration, ``sys.stdout`` is standard error, and
    :func:`print_json` writes to the saved real standard output.
    """
    if not active:
        yield
        return
    real = sys.stdout
    real.flush()
    try:
        fd: int | None = real.fileno()
        err_fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        fd = None  # a captured stream (tests): swapping sys.stdout is enough
    saved: int | None = None
    stream: TextIO = real
    if fd is not None:
        _flush_c_stdio()
        saved = os.dup(fd)
        os.dup2(err_fd, fd)
        stream = os.fdopen(os.dup(saved), "w", encoding="utf-8")
    _JSON_STREAMS.append(stream)
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        sys.stdout = real
        _JSON_STREAMS.pop()
        if saved is not None and fd is not None:
            _flush_c_stdio()
            stream.flush()
            stream.close()
            os.dup2(saved, fd)
            os.close(saved)


def run_guarded(app: typer.Typer, *, debug: bool = False, args: list[str] | None = None) -> int:
    """Run the Typer app and map exceptions to exit codes with a one-line message on stderr.

    With ``--json`` on the command line, standard output carries the JSON document alone
    (:func:`json_stdout`).
    """
    argv = list(sys.argv[1:] if args is None else args)
    with json_stdout("--json" in argv):
        return _run_guarded(app, debug=debug, args=args)


# Typer's own (vendored) click command type: typed Any, as its module is private
_COMMANDS: weakref.WeakKeyDictionary[typer.Typer, Any] = weakref.WeakKeyDictionary()
"""The click command built from each Typer app, once per process (:func:`_command`)."""


def _command(app: typer.Typer) -> Any:
    """The click command tree of ``app``, built on first use and kept.

    Typer rebuilds the tree (every command's signature and type hints) on each call of the app,
    about 0.1 s for dayafter's commands; a process that runs several commands (the tests, a
    script calling :func:`run_guarded`) pays it once. An app's commands are all registered when
    its module is imported, so the kept tree is complete.
    """
    if app not in _COMMANDS:
        _COMMANDS[app] = typer.main.get_command(app)
    return _COMMANDS[app]


def _run_guarded(app: typer.Typer, *, debug: bool = False, args: list[str] | None = None) -> int:
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("ignore")  # library deprecations are not the user's business
            warnings.simplefilter("always", DataQualityWarning)
            warnings.simplefilter("always", ConvergenceWarning)
            try:
                rv = _command(app).main(args=args, standalone_mode=False)
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


@contextlib.contextmanager
def errors_name(source: str | Path) -> Iterator[None]:
    """Errors raised inside that name no file get ``source`` (the spec or table they come from)."""
    try:
        yield
    except DayafterError as exc:
        if exc.source:
            raise
        raise type(exc)(exc.message, hint=exc.hint, unit_ids=exc.unit_ids, source=str(source)) from None


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

    out = _JSON_STREAMS[-1] if _JSON_STREAMS else sys.stdout
    out.write(json_dumps(data, indent=2) + "\n")
    out.flush()


def open_project(case: str | None, project: Path | None) -> Project:
    """The project file given with ``--project``, else the built-in case of ``--case``."""
    from dayafter.project import Project

    return Project.open(case, project)
