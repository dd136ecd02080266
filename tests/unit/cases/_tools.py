"""Import helper: the case build lives under ``tools/`` (not part of the installed package)."""

from __future__ import annotations

import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[3] / "tools"


def tools_on_path() -> None:
    """Put ``tools/`` on ``sys.path`` so that ``northern_iraq`` imports."""
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
