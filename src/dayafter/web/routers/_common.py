"""What the routers share: request-model building blocks, upload names, and the dependencies that
hand a route its workspace and job runner (``Depends``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from dayafter.errors import InputDataError
from dayafter.web.workspace import Workspace, current_tab

# Request bodies are pydantic models that refuse unknown fields and bound every value, so a bad body
# is a 422 naming its field (see app.validation_error_body) before any library code runs.
_NAME_MAX = 200  # plan, region and census names
_FILENAME_MAX = 255
_MAX_UNITS = 10_000_000  # more unit indices than any territory has
_NO_CONTROL = r"^[^\x00-\x1f\x7f-\x9f]*$"  # no NUL, tabs, line breaks or other control characters
Name = Annotated[str, Field(min_length=1, max_length=_NAME_MAX, pattern=_NO_CONTROL)]
ShortText = Annotated[str, Field(max_length=_NAME_MAX, pattern=_NO_CONTROL)]
FileName = Annotated[str, Query(min_length=1, max_length=_FILENAME_MAX)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

_PLAN_FORMATS = {"json": "application/json", "csv": "text/csv", "psv": "text/plain",
                 "gpkg": "application/geopackage+sqlite3", "geojson": "application/geo+json"}


def _upload_name(filename: str) -> str:
    """The client's name of an uploaded file, made safe to use in a path and in messages: its last
    component only (``/`` and ``\\`` both separate), no control characters (NUL...), the stem cut to
    120 UTF-8 bytes. The file is only ever written into a fresh temporary folder under this name."""
    name = re.split(r"[/\\]", filename)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if name in ("", ".", ".."):
        return "upload"
    p = Path(name)
    stem, suffix = p.stem, p.suffix[:16]
    while len(stem.encode("utf-8")) > 120:
        stem = stem[:-1]
    return f"{stem or 'upload'}{suffix}"


def _name_upload(exc: InputDataError, paths: dict[str, str], default: str) -> None:
    """Point an error about a temporary copy of an upload at the client's file: the source becomes
    the file's name and the temporary paths in the message (GDAL quotes them) become names too."""
    for tmp_path, name in paths.items():
        exc.message = exc.message.replace(tmp_path, name)
        exc.hint = exc.hint.replace(tmp_path, name)
    exc.source = paths.get(exc.source, default)


def get_workspace(request: Request) -> Workspace:
    """The workspace the app serves (a dependency: ``ws: WorkspaceDep``)."""
    return request.app.state.workspace


_ws = get_workspace  # the routes that also need the request call it directly


def get_jobs(request: Request) -> Any:
    """The app's job runner (a dependency: ``jobs: JobsDep``)."""
    return request.app.state.jobs


WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]
JobsDep = Annotated[Any, Depends(get_jobs)]


class NameBody(_Body):
    name: Name


class RenameBody(_Body):
    new_name: Name


# ------------------------------------------------------------------------------ sessions
SESSION_COOKIE = "dayafter_session"
"""The cookie naming a browser's session (its own draft); set by ``GET /api/session``."""
SESSION_MAX_AGE = 90 * 86400
_SESSION_RE = re.compile(r"^[0-9a-f]{32}$")
_TAB_RE = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


def session_of(request: Request) -> str:
    """The request's browser session (``""`` without a valid session cookie: the shared draft of
    clients that do not ask for a session, such as scripts)."""
    value = request.cookies.get(SESSION_COOKIE, "")
    return value if _SESSION_RE.match(value) else ""


def edit_of(request: Request) -> dict[str, Any]:
    """``{"session": ..., "expect": ...}`` for a draft edit: the session, and the draft version the
    client shows (header ``X-Dayafter-Draft-Version``; without it the edit is not checked). Also
    records the tab the request comes from (header ``X-Dayafter-Tab``)."""
    tab = request.headers.get("x-dayafter-tab", "")
    current_tab.set(tab if _TAB_RE.match(tab) else "")
    raw = request.headers.get("x-dayafter-draft-version")
    expect: int | None = None
    if raw is not None:
        try:
            expect = int(raw)
        except ValueError:
            raise InputDataError(f"header X-Dayafter-Draft-Version is {raw[:20]!r}, not a whole number",
                                 hint="reload the page", key="web.bad_version_header",
                                 args={"value": raw[:20]}, hint_key="web.reload_page") from None
    return {"session": session_of(request), "expect": expect}
