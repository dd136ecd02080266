"""The ensemble job's live percentile (read from the blocks a running chain writes) and job
messages that carry their catalogue key, so the page shows them in Arabic and Kurdish too."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

from dayafter._util import percentile_rank
from dayafter.web.jobs import MESSAGES, Job, JobMessage, LivePercentile, available_kinds, msg

LOCALES = Path(__file__).resolve().parents[2] / "web" / "src" / "locales"


def _write_part(run_dir, index, cut, dev):
    from dayafter.ensemble import store

    store.write_part(run_dir, 0, index, {"step": np.arange(cut.size), "cut_edges": cut,
                                         "max_abs_deviation": dev}, None, None, "npz")


def test_live_percentile_equals_the_rank_over_the_steps_read(tmp_path, global_seed):
    rng = np.random.default_rng(global_seed)
    live = LivePercentile(tmp_path, {"cut_edges": 10.0, "max_abs_deviation": 0.05})
    assert live.update() == {}  # nothing written yet
    cuts, devs = [], []
    for i in range(3):
        cut = rng.integers(5, 16, size=50).astype(float)  # ties with the plan's 10 on purpose
        dev = rng.uniform(0, 0.1, size=50)
        _write_part(tmp_path, i, cut, dev)
        cuts.append(cut)
        devs.append(dev)
        got = live.update()
        allc, alld = np.concatenate(cuts), np.concatenate(devs)
        assert got["sampled"] == allc.size
        assert got["percentile_live"]["cut_edges"] == pytest.approx(percentile_rank(allc, 10.0, scale=1.0))
        assert got["percentile_live"]["max_abs_deviation"] == pytest.approx(percentile_rank(alld, 0.05, scale=1.0))
    assert live.parts == 3
    assert live.update()["sampled"] == 150  # a block is read once


def test_job_messages_keep_key_and_args_through_pickling_and_json():
    m = msg("chain_steps", done=3, total=10)
    assert m == "3 of 10 steps" and isinstance(m, str)
    back = pickle.loads(pickle.dumps(m))
    assert isinstance(back, JobMessage) and back.key == "chain_steps" and back.args == {"done": 3, "total": 10}
    job = Job("x", lambda report: {}, label=msg("label_ensemble", steps=5, plan="p"))
    job.report(1, 2, msg("optimize_steps", done=1, total=2, best=0.123456))
    d = json.loads(json.dumps(job.to_dict()))
    assert d["message"] == "1 of 2 steps, best 0.1235"
    assert d["message_i18n"] == {"key": "optimize_steps", "args": {"done": 1, "total": 2, "best": 0.123456}}
    assert d["label_i18n"]["key"] == "label_ensemble" and d["label"] == "ensemble of 5 ReCom steps from p"
    job.run()
    assert job.to_dict()["message_i18n"]["key"] == "finished"


def test_every_job_message_is_in_every_catalogue_with_its_placeholders():
    cats = {c: json.loads((LOCALES / f"{c}.json").read_text(encoding="utf-8")) for c in ("en", "ar", "ckb")}
    for key, text in MESSAGES.items():
        want = set(re.findall(r"\{(\w+)(?::[^}]*)?\}", text))
        for code, cat in cats.items():
            entry = cat.get(f"jobs.msg.{key}")
            assert entry is not None, f"{code} lacks jobs.msg.{key}"
            forms = entry.values() if isinstance(entry, dict) else [entry]
            got = set().union(*(set(re.findall(r"\{(\w+)\}", f)) for f in forms))
            assert got <= want, (code, key)
            if not isinstance(entry, dict):
                assert got == want, (code, key)


needs_ensemble = pytest.mark.skipif(not any(k["kind"] == "ensemble" for k in available_kinds()),
                                    reason="dayafter.ensemble is not installed")


@pytest.mark.slow
@needs_ensemble
def test_a_running_ensemble_streams_the_plans_percentile(client, workspace):
    r = client.post("/api/jobs", json={"kind": "ensemble", "params": {"steps": 2_000_000, "chunk": 20, "seed": 3}})
    assert r.status_code == 200, r.text
    jid = r.json()["id"]
    assert r.json()["label_i18n"]["key"] == "label_ensemble"
    seen = None
    with client.stream("GET", f"/api/jobs/{jid}/events") as s:
        for line in s.iter_lines():
            if line.startswith("data: "):
                ev = json.loads(line[6:])
                if ev["partial"].get("percentile_live"):
                    seen = ev
                    break
                assert ev["state"] in ("queued", "running")
    client.post(f"/api/jobs/{jid}/cancel")
    assert seen is not None and seen["message_i18n"]["key"] == "chain_steps"
    n = seen["partial"]["sampled"]
    assert 0 < n <= seen["done"] and n % 10_000 == 0  # whole blocks of 10,000 steps
    # the same rank over the blocks on disk, read here
    run = max(Path(workspace.runs_dir).glob("ensemble-*"), key=lambda p: p.stat().st_mtime)
    parts = sorted((run / "chain_000.parts").glob("part_*.npz"))
    cut = np.concatenate([np.load(p)["cut_edges"] for p in parts])[:n]
    assert seen["partial"]["percentile_live"]["cut_edges"] == pytest.approx(
        percentile_rank(cut, 6.0, scale=1.0))  # stripes: 6 cut edges on the 6x6 grid
