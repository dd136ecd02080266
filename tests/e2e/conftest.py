"""Browser end-to-end tests: the real app in headless Debian Chromium, driven by Playwright.

Never downloads a browser: Chromium comes from the system (``/usr/bin/chromium`` or
``DAYAFTER_CHROMIUM``). Without it the tests skip, unless ``DAYAFTER_REQUIRE_BROWSER=1`` (set by
CI), where a missing browser, Playwright or axe-core fails the run.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = Path(os.environ.get("DAYAFTER_AXE_JS") or ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js")
REQUIRE = os.environ.get("DAYAFTER_REQUIRE_BROWSER") == "1"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--enable-unsafe-swiftshader",
]


def _chromium() -> str | None:
    path = os.environ.get("DAYAFTER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if path and Path(path).is_file() else None


def _missing() -> str | None:
    for mod in ("playwright", "fastapi", "uvicorn"):
        if importlib.util.find_spec(mod) is None:
            return f"python package {mod} missing: make install"
    if _chromium() is None:
        return "chromium missing: apt-get install chromium"
    return None


def _need_browser() -> None:
    why = _missing()
    if why:
        if REQUIRE:
            pytest.fail(f"DAYAFTER_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """uvicorn serving ``create_app(settings)`` in a thread of the test process."""

    def __init__(self, settings, port: int | None = None) -> None:
        import uvicorn

        from dayafter.web import create_app
        from dayafter.web.security import uvicorn_options

        self.app = create_app(settings)
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        # the protocol, loop and timeouts of `dayafter serve`
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="on",
                                                    timeout_graceful_shutdown=2, **uvicorn_options()))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        t0 = time.monotonic()
        # the app prepares its kernels and first evaluations before it listens (Workspace.warm):
        # on a busy machine that can take a while, and the first stroke is then answered at once
        while not self.server.started:
            if time.monotonic() - t0 > 180 or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture(scope="session")
def browser():
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def grid_server(tmp_path):
    _need_browser()
    from dayafter.web import Settings
    from dayafter.web.demo import grid_workspace

    ws = grid_workspace(6, 6, plans_dir=tmp_path / "plans")
    with LiveServer(Settings(workspace=ws)) as srv:
        srv.workspace = ws
        yield srv


@pytest.fixture
def ranged_grid_server(tmp_path):
    """The grid server on a territory whose baseline census has stated ranges (±40%)."""
    _need_browser()
    from dayafter.web import Settings
    from dayafter.web.demo import grid_workspace

    ws = grid_workspace(6, 6, plans_dir=tmp_path / "plans", ranges=0.4)
    with LiveServer(Settings(workspace=ws)) as srv:
        srv.workspace = ws
        yield srv


@pytest.fixture
def page(browser, grid_server):
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("request", lambda r: requests.append(r.url))
    pg.goto(grid_server.url)
    wait_ready(pg)
    yield pg
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"
    # offline: nothing but the local server (and in-page blob:/data: URLs) is ever requested
    foreign = [u for u in requests if not u.startswith((grid_server.url, "blob:", "data:"))]
    assert not foreign, f"requests to other hosts: {foreign[:5]}"


def wait_ready(pg) -> None:
    """Wait for the map's first ``idle`` event (the app sets ``body[data-ready]`` then) and for the
    page's controls to be wired: the map may be idle before the page has set its tool handlers
    (the mode radios are wired after the jobs and settlement panels load), and a tool chosen
    before then is ignored."""
    pg.wait_for_selector("body[data-ready='1']", timeout=60_000)
    pg.wait_for_function("""() => { const r = document.querySelector("input[name=mode]");
        return !r || r.onchange !== null; }""", timeout=60_000)


def axe_source() -> str:
    if not AXE_JS.is_file():
        msg = f"axe-core missing at {AXE_JS}: npm ci in web/ (or bash tools/setup-system.sh)"
        if REQUIRE:
            pytest.fail(msg)
        pytest.skip(msg)
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture
def e2e():
    """Helpers for the tests (conftest modules cannot be imported under --import-mode=importlib)."""
    from types import SimpleNamespace

    return SimpleNamespace(LiveServer=LiveServer, axe_source=axe_source, wait_ready=wait_ready)
