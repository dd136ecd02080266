"""Build of the built-in case ``northern-iraq`` (not part of the installed package).

``rules`` holds the small arithmetic rules (tested in ``tests/unit/cases/``), ``tables`` reads the
hand-kept data tables in ``data/`` with one clear error per bad row, and ``build`` assembles the case
files. Run it with ``python tools/build_northern_iraq.py``.
"""
