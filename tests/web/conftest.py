from __future__ import annotations

import importlib.util

import pytest

# The web extra (fastapi, httpx2 for the test client) may be missing on a core-only install.
_HAVE_WEB = all(importlib.util.find_spec(m) is not None for m in ("fastapi", "httpx2"))
collect_ignore_glob = [] if _HAVE_WEB else ["test_*.py"]


@pytest.fixture
def workspace(tmp_path):
    from dayafter.web.demo import grid_workspace

    return grid_workspace(6, 6, plans_dir=tmp_path / "plans")


@pytest.fixture
def client(workspace):
    from fastapi.testclient import TestClient

    from dayafter.web import Settings, create_app
    from dayafter.web.security import CSRF_HEADER

    app = create_app(Settings(workspace=workspace))
    with TestClient(app, headers={CSRF_HEADER: "1"}) as c:
        yield c
