"""``dayafter serve [PROJECT.gpkg | --case NAME]``: the workbench in the browser."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dayafter.cli._common import err_line
from dayafter.errors import ConfigError


def serve(
    project: Annotated[Path | None, typer.Argument(help="Project GeoPackage to open (default: the built-in case).",
                                                    exists=True, dir_okay=False)] = None,
    case: Annotated[str, typer.Option("--case", help="Built-in case to open when no project is given.")] = "northern-iraq",
    host: Annotated[str, typer.Option("--host", help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port (0 picks a free one).")] = 8765,
    plans_dir: Annotated[Path | None, typer.Option("--plans-dir", help="Folder for saved plans.")] = None,
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open a browser tab.")] = False,
    demo_grid: Annotated[int, typer.Option("--demo-grid", help="Serve a synthetic N x N grid instead (demos, benchmarks).",
                                           min=0, hidden=True)] = 0,
) -> None:
    """Start the workbench (FastAPI + uvicorn) and print its address; Ctrl+C stops it."""
    try:
        import uvicorn
    except ImportError:
        raise ConfigError("the web workbench needs fastapi and uvicorn",
                          hint="pip install 'dayafter[web]'") from None
    from dayafter.web import Settings, create_app

    if demo_grid:
        from dayafter.web.demo import grid_workspace

        settings = Settings(workspace=grid_workspace(demo_grid, demo_grid, plans_dir=plans_dir))
    else:
        settings = Settings(case=None if project else case, project=project, plans_dir=plans_dir)
    app = create_app(settings)
    # open event streams (job progress) must not hold Ctrl+C up: give them two seconds
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on",
                            timeout_graceful_shutdown=2)
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
            url = f"http://{host}:{sock_port}/"
            err_line(f"dayafter workbench: {url}  (Ctrl+C to stop)")
            if open_browser:
                import webbrowser

                webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    server.run()
