"""``dayafter plan compare`` with N plans and ``--against`` on the built-in case."""

from __future__ import annotations

import json

import pytest

from dayafter.cli._common import run_guarded
from dayafter.cli.main import app

pytestmark = pytest.mark.slow  # evaluates every built-in scenario twice (~15 s)


def _run(args, capsys):
    code = run_guarded(app, args=args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_plan_compare_against_marks_better_and_worse(capsys):
    code, out, err = _run(["plan", "compare", "--case", "northern-iraq", "--all-scenarios", "--json"], capsys)
    assert code == 0, err
    names = list(json.loads(out)["plan / cut edges"])
    assert len(names) >= 3
    code, out, err = _run(["plan", "compare", "--case", "northern-iraq", "--all-scenarios",
                           "--against", names[0], "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    cut = d["plan / cut edges"]
    verdicts = d["verdicts"]["plan / cut edges"]
    for n in names:
        want = "same" if cut[n] == cut[names[0]] else ("better" if cut[n] < cut[names[0]] else "worse")
        assert verdicts[n] == want
    code, out, err = _run(["plan", "compare", "--case", "northern-iraq", "--all-scenarios",
                           "--against", "nope"], capsys)
    assert code == 3 and "not in the comparison" in err
