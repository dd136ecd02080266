"""The workbench in the browser: ``create_app(settings)`` (FastAPI) and its static front end.

>>> from dayafter.web import Settings  # doctest: +SKIP
"""

from __future__ import annotations

from dayafter.web.app import Settings, create_app, workspace_from_settings
from dayafter.web.workspace import Workspace

__all__ = ["Settings", "Workspace", "create_app", "workspace_from_settings"]
