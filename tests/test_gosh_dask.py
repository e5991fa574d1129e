"""The Dask path: a dask.distributed client (here a local cluster of two worker processes) runs the
same chunks as the process pool and gives the same result, bit for bit. Dask is the optional extra
`cluster` (pyproject.toml), installed by `make install` from requirements.lock."""

from __future__ import annotations

import numpy as np
import pytest

from baclofen_evidence import gosh

distributed = pytest.importorskip("distributed", reason="the optional extra `cluster` (dask, distributed) is not installed")


@pytest.fixture(scope="module")
def client():
    # No dashboard and random ports: other engineers' clusters on this machine must not collide with it.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  scheduler_port=0, silence_logs=40) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.mark.parametrize("method", ["REML", "PM"])
def test_dask_client_gives_the_inline_result(client, method):
    rng = np.random.default_rng(11)
    yi, vi = rng.normal(0.2, 0.6, 10), rng.uniform(0.02, 0.4, 10)
    inline = gosh.run(yi, vi, method=method, chunk=100, executor=None, workers=1)
    on_dask = gosh.run(yi, vi, method=method, chunk=100, executor=client)
    assert on_dask.executor == "Client"
    assert len(client.scheduler_info()["workers"]) == 2
    np.testing.assert_array_equal(inline.masks, on_dask.masks)
    np.testing.assert_array_equal(inline.stats.to_numpy(), on_dask.stats.to_numpy())


def test_dask_runs_a_sampled_gosh_reproducibly(client):
    rng = np.random.default_rng(12)
    yi, vi = rng.normal(0.2, 0.6, 24), rng.uniform(0.02, 0.4, 24)
    a = gosh.run(yi, vi, method="REML", max_subsets=3000, chunk=500, executor=client)
    b = gosh.run(yi, vi, method="REML", max_subsets=3000, chunk=500, executor=None, workers=1)
    assert not a.exhaustive and a.n_subsets == 3000
    np.testing.assert_array_equal(a.masks, b.masks)
    np.testing.assert_array_equal(a.stats.to_numpy(), b.stats.to_numpy())


def test_executor_from_a_scheduler_address(client):
    address = client.scheduler.address
    with gosh.executor_for(address) as ex:
        res = gosh.run([0.1, 0.5, 0.2], [0.05, 0.04, 0.06], method="REML", executor=ex)
    assert res.executor == "Client" and res.n_subsets == 7
