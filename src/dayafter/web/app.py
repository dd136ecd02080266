"""FastAPI application of the workbench: ``create_app(settings)``.

The API only translates between HTTP and the library: the workspace (plans, draft, undo) lives in
:mod:`dayafter.web.workspace`, metrics come from :func:`dayafter.metrics.evaluate`, files from
:mod:`dayafter.io`. Every :class:`~dayafter.errors.DayafterError` becomes one JSON error body.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from http import HTTPStatus
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from dayafter._util import json_bytes
from dayafter.errors import ConfigError, DayafterError, InfeasibleError, InputDataError
from dayafter.project import DEFAULT_CASE
from dayafter.web.drafts import flush_pending
from dayafter.web.security import (
    BodyLimitMiddleware,
    HostCheckMiddleware,
    SameOriginMiddleware,
    SecurityHeadersMiddleware,
    TokenMiddleware,
    is_loopback,
)
from dayafter.web.workspace import Workspace

__all__ = ["CommitDraftsMiddleware", "Settings", "create_app", "workspace_from_settings"]


class CommitDraftsMiddleware:
    """Commit the drafts' pending edits (:attr:`DraftStore.group_commits`) before any answer
    starts: the edits of requests handled together are written in one transaction, and a request
    is never answered before its edit is on disk."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_committed(message: Any) -> None:
            if message["type"] == "http.response.start":
                flush_pending()
            await send(message)

        await self.app(scope, receive, send_committed)


@dataclass(frozen=True)
class Settings:
    """What the server shows and where it keeps plans.

    Parameters
    ----------
    case
        A built-in case name (used when ``project`` and ``workspace`` are not given).
    project
        A project GeoPackage (territory and plans) to open instead of a case.
    plans_dir
        Folder of saved plans. Default: ``<project>.plans`` next to a project, or
        ``~/.local/share/dayafter/plans/<case>`` for a case.
    workspace
        A ready workspace (tests, notebooks); overrides ``case`` and ``project``.
    jobs_workers
        Number of jobs that run at the same time.
    host
        The address the server listens on. Beyond loopback (127.0.0.0/8, ::1, ``localhost``) a
        ``token`` is required: :func:`create_app` refuses to build the app without one.
    token
        Access token every request must carry (header, ``?token=`` or the cookie set from it);
        ``None``: no token (loopback only).
    max_upload_bytes
        Largest request body accepted (413 above it).
    max_jobs_queued
        Jobs that may wait for a worker; one more is refused with 429.
    request_threads
        Threads that run the other endpoints (exports, comparisons, engines...).
    check_host
        Answer only requests whose ``Host`` header names this machine (loopback names, plus
        ``host``): against DNS rebinding when there is no token. ``dayafter serve`` turns it on
        whenever it serves without a token; off by default for tests and notebooks.
    same_origin
        Refuse state-changing requests that do not come from the workbench's own page (another
        site's ``Origin`` or ``Sec-Fetch-Site``, no ``X-Dayafter-CSRF`` header) and non-JSON bodies
        outside the upload endpoints (:class:`dayafter.web.security.SameOriginMiddleware`). On by
        default; scripts send the header ``X-Dayafter-CSRF: 1``.
    max_jobs_kept
        Finished jobs kept for listing (the oldest are forgotten beyond it, and after
        ``max_job_age`` seconds).
    max_job_age
        Seconds a finished job stays listed.
    compute_threads
        Where evaluations (paint strokes, the draft, plan metrics) are computed: 0 (default) on the
        event loop, which is fastest under load because the work holds the GIL anyway (see
        ``bench/load.py`` and :func:`dayafter.web.routes.compute`); N > 0 in N threads of their own.
    warm
        Prepare the first evaluations when the app starts, before the server listens
        (:meth:`Workspace.warm`): the first requests do not wait for kernels to compile.
    """

    case: str | None = DEFAULT_CASE
    project: Path | None = None
    plans_dir: Path | None = None
    workspace: Workspace | None = None
    jobs_workers: int = 1
    host: str = "127.0.0.1"
    token: str | None = None
    max_upload_bytes: int = 64 * 2**20
    max_jobs_queued: int = 8
    request_threads: int = 4
    compute_threads: int = 0
    check_host: bool = False
    same_origin: bool = True
    max_jobs_kept: int = 50
    max_job_age: float = 6 * 3600.0
    warm: bool = True


def workspace_from_settings(settings: Settings) -> Workspace:
    """Build the workspace a :class:`Settings` describes (opens the case or the project file)."""
    if settings.workspace is not None:
        return settings.workspace
    if settings.project is None and settings.case is None:
        raise ConfigError("nothing to serve", hint="pass a project GeoPackage or --case NAME")
    from dayafter.project import Project

    proj = Project.open(settings.case, settings.project)
    if settings.plans_dir is not None:
        plans_dir = settings.plans_dir
    elif proj.path is not None:
        plans_dir = proj.path.with_suffix(".plans")
    else:
        plans_dir = Path.home() / ".local" / "share" / "dayafter" / "plans" / proj.name
    return Workspace.from_project(proj, plans_dir=plans_dir)


class FastJSON(JSONResponse):
    """Compact JSON; non-finite numbers become ``null``."""

    def render(self, content: Any) -> bytes:
        return json_bytes(content)


def _status(exc: DayafterError) -> int:
    status = getattr(exc, "http_status", None)
    if isinstance(status, int):
        return status
    if isinstance(exc, InfeasibleError):
        return 409
    if isinstance(exc, InputDataError):
        return 422
    return 400


_KIND_HINTS = {
    "missing": ("add the field {f}", "request.hint.missing"),
    "extra_forbidden": ("remove the field {f} (not one of this request's fields)", "request.hint.extra"),
    "json_invalid": ("send a valid JSON body", "request.hint.json"),
    "model_attributes_type": ("send a JSON object", "request.hint.object"),
    "dict_type": ("send a JSON object", "request.hint.object"),
}
"""Hints of pydantic's error types (English, and the key of the web app's catalogues)."""
_DEFAULT_HINT = ("fix {f}: the request's fields and their types are in /api/openapi.json", "request.hint.fix")
_PLACES = ("body", "query", "path", "header", "cookie")
"""Where a request's field is (``error.request.place.<where>`` in the catalogues)."""


def validation_error_body(errors: Any) -> dict[str, Any]:
    """One JSON error (the shape of :meth:`DayafterError.to_dict`) for pydantic's request errors:
    a one-line message naming the first bad field, and how many more there are."""
    errors = list(errors)
    if not errors:
        return {"error": "RequestValidationError", "message": "the request is not valid",
                "hint": "see /api/openapi.json", "unit_ids": [], "source": "request",
                "message_i18n": {"key": "request.invalid", "args": {}}}
    first = errors[0]
    loc = [str(x) for x in first.get("loc", ())]
    where_kind = {"body": "body field", "query": "query parameter", "path": "path parameter",
                  "header": "header", "cookie": "cookie"}.get(loc[0] if loc else "", "field")
    field = ".".join(loc[1:]) if len(loc) > 1 else ""
    kind = str(first.get("type", ""))
    if kind == "json_invalid":
        where = "the JSON body"
    elif field:
        where = f"{where_kind} {field!r}"
    else:
        where = "the request body" if loc[:1] == ["body"] else "the request"
    msg = str(first.get("msg", "is not valid")).replace("\n", " ")
    if msg[:1].isupper() and not msg[:2].isupper():
        msg = msg[0].lower() + msg[1:]
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    hint, hint_key = _KIND_HINTS.get(kind, _DEFAULT_HINT)
    names_field = "{f}" in hint  # such a hint without a field becomes the general one
    # the localised form names the field and where it is; pydantic's own words stay English
    place = loc[0] if loc and loc[0] in _PLACES else "field"
    n_more = len(errors) - 1
    args: dict[str, Any] = {"more": n_more} if n_more else {}
    if kind == "json_invalid":
        key = "request.json_invalid_more" if n_more else "request.json_invalid"
    elif field:
        key = "request.invalid_field_more" if n_more else "request.invalid_field"
        args |= {"place": place, "field": field}
    else:
        key = "request.invalid_more" if n_more else "request.invalid"
    return {"error": "RequestValidationError", "message": f"{where}: {msg}{more}",
            "hint": hint.format(f=repr(field) if field else "the request"), "unit_ids": [],
            "source": "request", "message_i18n": {"key": key, "args": args},
            "hint_i18n": {"key": "request.hint.check" if names_field and not field else hint_key,
                          "args": {"field": field}}}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The workbench application (API under ``/api``, the built front end at ``/``).

    Parameters
    ----------
    settings
        What to serve; the built-in case (:data:`dayafter.project.DEFAULT_CASE`) by default.

    Returns
    -------
    fastapi.FastAPI
    """
    from dayafter.web.jobs import JobRunner
    from dayafter.web.routes import routers

    settings = settings or Settings()
    if settings.token is None and not is_loopback(settings.host):
        raise ConfigError(f"the workbench would be served on {settings.host} without an access token",
                          hint="give Settings a token (dayafter serve makes one), or serve on 127.0.0.1")
    jobs = JobRunner(workers=settings.jobs_workers, max_queued=settings.max_jobs_queued,
                     max_kept=settings.max_jobs_kept, max_age=settings.max_job_age)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        # The plain (def) endpoints run in anyio's thread pool, 40 threads by default. Their work is
        # NumPy and Python under the GIL: many threads only take turns with it, and under load the
        # switching costs more than the work. The evaluations (paint, draft, plan metrics) run on
        # the event loop (routes.compute); the other endpoints share a few threads.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        # before the server listens: kernels loaded, the plans' metrics ready (Workspace.warm)
        if settings.warm:
            app.state.workspace.warm()
        yield
        jobs.shutdown()

    app = FastAPI(title="dayafter workbench", default_response_class=FastJSON,
                  # no Swagger page: it loads its scripts from a CDN, and the app must work offline
                  docs_url=None, openapi_url="/api/openapi.json", redoc_url=None,
                  lifespan=lifespan)
    app.state.settings = settings
    app.state.workspace = workspace_from_settings(settings)
    app.state.jobs = jobs

    @app.exception_handler(DayafterError)
    async def _dayafter_error(request: Request, exc: DayafterError) -> Response:
        status = _status(exc)
        headers = {"Retry-After": str(getattr(exc, "retry_after", 5))} if status == 429 else None
        return FastJSON(exc.to_dict(), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        return FastJSON(validation_error_body(exc.errors()), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # unknown addresses, wrong methods, unreadable bodies: the same JSON shape as every error
        try:
            phrase = HTTPStatus(exc.status_code).phrase
        except ValueError:
            phrase = "HTTP error"
        detail = exc.detail if isinstance(exc.detail, str) else phrase
        hints = {404: "check the address: the API lives under /api (see /api/openapi.json)",
                 405: "check the HTTP method in /api/openapi.json"}
        body: dict[str, Any] = {}
        if exc.status_code == 400 and "parsing the body" in detail:
            detail = "the request body could not be read (not UTF-8 JSON, or a broken form)"
            hints[400] = "send a valid UTF-8 JSON body, or a complete multipart form"
            body = {"message_i18n": {"key": "request.unreadable_body", "args": {}},
                    "hint_i18n": {"key": "request.hint.readable_body", "args": {}}}
        elif exc.status_code in (404, 405) and detail == phrase:
            # the router's own answer (an endpoint's 404 says what it did not find, in English)
            body = {"message_i18n": {"key": "request.not_found" if exc.status_code == 404
                                     else "request.method_not_allowed", "args": {}},
                    "hint_i18n": {"key": "request.hint.address" if exc.status_code == 404
                                  else "request.hint.method", "args": {}}}
        return FastJSON({"error": phrase.replace(" ", ""), "message": detail,
                         "hint": hints.get(exc.status_code, "check the request"), "unit_ids": [],
                         "source": "request", **body}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected_error(request: Request, exc: Exception) -> Response:
        # anything else is a bug: still a JSON body with the message, never a bare 500 page
        return FastJSON({"error": type(exc).__name__, "message": str(exc) or type(exc).__name__,
                         "hint": "this is an internal error: please report it", "unit_ids": [],
                         "source": ""}, status_code=500)

    # the last added runs first: security headers on every answer, then the Host check, the
    # same-origin proof, the token, and the body limit around the application
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_upload_bytes)
    app.add_middleware(TokenMiddleware, token=settings.token)
    # read-only share links: outside the token check (a valid link stands in for the token)
    from dayafter.web.share import ShareMiddleware, share_secret

    app.add_middleware(ShareMiddleware, secret=lambda: share_secret(app.state.workspace), token=settings.token)
    if settings.same_origin:
        app.add_middleware(SameOriginMiddleware)
    if settings.check_host:
        app.add_middleware(HostCheckMiddleware, extra=(settings.host,))
    app.add_middleware(SecurityHeadersMiddleware)
    # edits of the drafts are committed in groups, always before an answer starts (DraftStore)
    app.state.workspace.store.group_commits = True
    app.add_middleware(CommitDraftsMiddleware)
    for r in routers:
        app.include_router(r, prefix="/api")
    static = resources.files("dayafter.web") / "static"
    with resources.as_file(static) as static_dir:
        if Path(static_dir, "index.html").is_file():
            app.mount("/", StaticFiles(directory=static_dir, html=True), name="static")
    return app
