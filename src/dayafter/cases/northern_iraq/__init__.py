"""Data of the built-in case ``northern-iraq`` (see SOURCES.md in this folder)."""
