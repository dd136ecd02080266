"""``dayafter serve [PROJECT.gpkg | --case NAME]``: the workbench in the browser."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from dayafter.cli._common import err_line
from dayafter.errors import ConfigError
from dayafter.project import DEFAULT_CASE


def serve(
    project: Annotated[Path | None, typer.Argument(help="Project GeoPackage to open (default: the built-in case).",
                                                    exists=True, dir_okay=False)] = None,
    case: Annotated[str | None, typer.Option("--case", help=f"Built-in case to open when no project is given (default {DEFAULT_CASE}).")] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port (0 picks a free one).")] = 8765,
    plans_dir: Annotated[Path | None, typer.Option("--plans-dir", help="Folder for saved plans.")] = None,
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open a browser tab.")] = False,
    demo_grid: Annotated[int, typer.Option("--demo-grid", help="Serve a synthetic N x N grid instead (demos, benchmarks).",
                                           min=0, hidden=True)] = 0,
    token: Annotated[str | None, typer.Option(
        "--token", envvar="DAYAFTER_TOKEN", show_envvar=True,
        help="Access token every request must carry (default beyond 127.0.0.1: a generated one, printed "
             "at start; on 127.0.0.1: none).")] = None,
    no_token: Annotated[bool, typer.Option(
        "--no-token", help="Serve without a token: refused unless the address is this machine's.")] = False,
    max_upload_mb: Annotated[float, typer.Option("--max-upload-mb", min=0.001,
                                                 help="Largest upload (request body) accepted, in MiB.")] = 64.0,
    max_jobs_queued: Annotated[int, typer.Option("--max-jobs-queued", min=0,
                                                 help="Jobs that may wait for a worker; more are refused (429).")] = 8,
) -> None:
    """Start the workbench (FastAPI + uvicorn) and print its address; Ctrl+C stops it.

    On 127.0.0.1 (the default) no token is needed. Any other address (--host 0.0.0.0 to serve a
    network) requires an access token on every request: one is generated and printed at start, with
    the address to open (it carries ?token=...; the browser then keeps it in a cookie).
    """
    try:
        import uvicorn
    except ImportError:
        raise ConfigError("the web workbench needs fastapi and uvicorn",
                          hint="pip install 'dayafter[web]'") from None
    from dayafter.web import Settings, create_app
    from dayafter.web.security import resolve_token

    # before anything is loaded: refuse a network address without a token at once
    access = resolve_token(host, token, disabled=no_token)
    limits: dict[str, Any] = {"host": host, "token": access, "max_upload_bytes": max(1, int(max_upload_mb * 2**20)),
              "max_jobs_queued": max_jobs_queued, "check_host": access is None}
    if demo_grid:
        from dayafter.web.demo import grid_workspace

        settings = Settings(workspace=grid_workspace(demo_grid, demo_grid, plans_dir=plans_dir), **limits)
    else:
        settings = Settings(case=None if project else case, project=project, plans_dir=plans_dir, **limits)
    app = create_app(settings)
    # The territory, its geometry and the libraries make a heap of long-lived objects that every
    # full garbage collection walks again: ~120 ms each on the built-in case, a stall of every
    # request in flight every couple of seconds under load (bench/load.py). This process is ours:
    # move what exists now out of the collector's way (gc.freeze); new objects are collected as usual.
    import gc

    gc.collect()
    gc.freeze()
    # open event streams (job progress) must not hold Ctrl+C up: give them two seconds
    from dayafter.web.security import uvicorn_options

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on",
                            timeout_graceful_shutdown=2, **uvicorn_options())
    server = uvicorn.Server(config)

    import threading

    def announce() -> None:
        # wait for the socket, then print the real address (the port may have been 0)
        while not server.started and not server.should_exit:
            threading.Event().wait(0.05)
        if server.started:
            sock_port = port
            for s in server.servers:
                for sock in s.sockets:
                    sock_port = sock.getsockname()[1]
            shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
            url = f"http://{shown}:{sock_port}/"
            if access is not None:
                from urllib.parse import quote

                url += f"?token={quote(access, safe='')}"
            err_line(f"dayafter workbench: {url}  (Ctrl+C to stop)")
            if access is not None:
                err_line(f"access token: {access}  (every request needs it: open the address above, or send "
                         "'Authorization: Bearer TOKEN'; anyone with the token can edit the plans)")
            if open_browser:
                import webbrowser

                webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    server.run()
