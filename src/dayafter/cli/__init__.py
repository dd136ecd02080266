"""Command-line interface (Typer). Thin: it parses, calls the library and renders."""
