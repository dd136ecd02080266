"""The same run on a Dask ``LocalCluster`` gives the same chains as a local run."""

from __future__ import annotations

import pytest

from dayafter.ensemble.sampler import ReComSampler
from dayafter.plan import Plan, Region
from dayafter.testing.grids import grid_territory, stripes

distributed = pytest.importorskip("distributed")


@pytest.mark.slow
def test_dask_local_cluster_matches_local_run(tmp_path):
    t = grid_territory(6, 6)
    plan = Plan(stripes(6, 6, 3), tuple(Region(f"R{j}") for j in range(3)), t.content_hash)
    params = dict(steps=300, chains=2, seed=11, thin=30, checkpoint_every=100,
                  constraints={"tolerance": 0.2})
    local = ReComSampler(**params, n_jobs=1).run(t, plan, tmp_path / "local")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = ReComSampler(**params, scheduler=cluster.scheduler_address).run(
            t, plan, tmp_path / "dask")
    assert [c["results_sha256"] for c in remote.per_chain] == \
        [c["results_sha256"] for c in local.per_chain]
    assert remote.counts == local.counts and not remote.interrupted
