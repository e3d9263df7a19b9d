"""PostgreSQL unreachable for ~10 s in the middle of a sweep (a proxy the test controls drops
every connection and refuses new ones): the workers wait for it and the sweep finishes its
exact budget with exit 0 and no traceback. Past --outage-seconds a worker ends in one line."""

from __future__ import annotations

import time

import pytest
from optuna.trial import TrialState

from sweeps import storage as storage_mod
from tests.distributed.conftest import PG_HOST, PG_PORT, open_study, unique, write_sweep
from tests.distributed.tcp_proxy import Proxy

pytestmark = pytest.mark.postgres


@pytest.fixture
def proxy():
    p = Proxy((PG_HOST, PG_PORT))
    yield p
    p.close()


def _done(url: str, name: str) -> int:
    try:
        study = open_study(url, name)
    except Exception:
        return 0
    return sum(t.state == TrialState.COMPLETE for t in study.get_trials(deepcopy=False))


def test_a_ten_second_database_outage_is_ridden_out(tmp_path, pg_schema, proxy, procs):
    _, direct = pg_schema
    url = proxy.url(direct)
    name = unique("outage")
    sweep_file = write_sweep(tmp_path, name, trials=6, epochs=500, samples=1000)
    sweep = procs.optsweep("sweep", sweep_file, "--workers", 2, "--storage", url, "--no-track",
                           "--report-seeds", 0)  # fmt: skip
    deadline = time.monotonic() + 120
    while _done(direct, name) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sweep.poll() is None, procs.output(sweep)
    proxy.cut(10)
    assert sweep.wait(240) == 0, procs.output(sweep)
    _, err = procs.output(sweep)
    assert "Traceback" not in err and "connection lost" in err, err
    trials = open_study(direct, name).get_trials()
    counted = storage_mod.counted(trials)
    assert len(counted) == 6 and all(t.state == TrialState.COMPLETE for t in counted)
    assert not [t for t in trials if t.state == TrialState.RUNNING]


def test_past_the_limit_a_worker_ends_in_one_line(tmp_path, pg_schema, proxy, procs):
    _, direct = pg_schema
    url = proxy.url(direct)
    name = unique("gone")
    sweep_file = write_sweep(tmp_path, name, trials=4, epochs=1000, samples=1000)
    worker = procs.optsweep("worker", sweep_file, "--storage", url, "--no-track",
                            "--outage-seconds", 3)  # fmt: skip
    deadline = time.monotonic() + 120
    while _done(direct, name) < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    proxy.cut(60)
    assert worker.wait(60) == 1, procs.output(worker)
    err = procs.output(worker)[1]
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: the study storage was unreachable for 3 s"), err
    assert "Traceback" not in err
