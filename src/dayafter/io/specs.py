"""Reading small specification files (criteria, objectives, rules): YAML or JSON.

The file is checked first (a regular file of at most :data:`dayafter._inputs.MAX_SPEC_BYTES`,
UTF-8) and the document is bounded (nesting depth, expanded size: a YAML alias bomb is refused),
so a careless or hostile spec fails in one line naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dayafter._inputs import MAX_SPEC_BYTES, load_spec_text, read_input_text
from dayafter.errors import ConfigError

__all__ = ["read_spec"]


def read_spec(path: str | Path, *, what: str = "specification") -> Any:
    """Parse a YAML (``.yaml``/``.yml``) or JSON specification file.

    Raises
    ------
    InputDataError
        The file is missing, not a regular file, too large or not UTF-8.
    ConfigError
        Invalid syntax, or a document nested too deeply or expanding to too many values; the
        error's ``source`` is the file.
    """
    p = Path(path)
    text = read_input_text(p, what=what, max_bytes=MAX_SPEC_BYTES)
    if not text.strip():
        raise ConfigError(f"the {what} is empty", hint="write its content (YAML or JSON), or check the path",
                          source=str(p))
    if "\x00" in text:
        raise ConfigError(f"the {what} holds NUL bytes: it is not a text file",
                          hint="give the YAML or JSON file itself", source=str(p))
    return load_spec_text(text, source=str(p), yaml=p.suffix.lower() in (".yaml", ".yml"), what=what,
                          error=ConfigError)
