"""Reading small specification files (criteria, objectives): YAML or JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dayafter.errors import ConfigError, InputDataError

__all__ = ["read_spec"]


def read_spec(path: str | Path) -> Any:
    """Parse a YAML (``.yaml``/``.yml``) or JSON specification file."""
    p = Path(path)
    if not p.exists():
        raise InputDataError("file not found", hint="check the path", source=str(p))
    text = p.read_text(encoding="utf-8-sig")
    try:
        if p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            return yaml.safe_load(text)
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{p}: invalid JSON at line {exc.lineno} ({exc.msg})",
                          hint="fix the syntax") from None
    except Exception as exc:  # yaml.YAMLError and friends
        raise ConfigError(f"{p}: invalid YAML ({str(exc).splitlines()[0]})", hint="fix the syntax") from None
