"""The test suite's own configuration: which warnings fail a run, and the closing summary of what a run
did not test (tests/conftest.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


def _warn_from(module: str, category: type[Warning]) -> None:
    warnings.warn_explicit("about to change", category, filename=f"{module.replace('.', '/')}.py",
                           lineno=1, module=module)


@pytest.mark.parametrize("module", ["weasyprint.text.ffi", "pyogrio.raw", "dask.config"])
def test_third_party_deprecations_do_not_fail_the_run(module):
    # WeasyPrint without libharfbuzz-subset warns this way at import: a fresh clone failed on it
    _warn_from(module, DeprecationWarning)
    _warn_from(module, PendingDeprecationWarning)


@pytest.mark.parametrize("module", ["dayafter.plan", "dayafter", "tests.unit.test_x"])
def test_our_own_deprecations_still_fail(module):
    with pytest.raises(DeprecationWarning):
        _warn_from(module, DeprecationWarning)


def test_other_third_party_warnings_still_fail():
    with pytest.raises(UserWarning):
        _warn_from("weasyprint.text.ffi", UserWarning)


@pytest.mark.slow  # a pytest subprocess importing the package: ~20 s
def test_closing_summary_counts_skips_by_what_is_missing(tmp_path):
    shutil.copy(TESTS / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_demo.py").write_text(
        "import pytest\n"
        "@pytest.mark.e2e\n"
        "@pytest.mark.parametrize('i', range(3))\n"
        "def test_browser(i):\n"
        "    pytest.skip('chromium missing: apt-get install chromium')\n"
        "@pytest.mark.pdf\n"
        "def test_pdf():\n"
        "    pytest.skip('pdftoppm missing: apt-get install poppler-utils')\n"
        "def test_plain():\n"
        "    pass\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "-o", "markers=e2e\npdf", "--rootdir", str(tmp_path), str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "skipped: 3 browser tests (chromium missing: apt-get install chromium)" in proc.stdout
    assert "skipped: 1 PDF test (pdftoppm missing: apt-get install poppler-utils)" in proc.stdout
    assert "1 passed, 4 skipped" in proc.stdout
