"""A study on MySQL (here MariaDB): two local workers share its budget exactly, under the
backend's named lock, and a dead server is one line."""

from __future__ import annotations

import pytest
from optuna.trial import TrialState

from sweeps import storage as storage_mod
from sweeps.backends import MySQL
from tests.distributed.conftest import write_sweep

pytestmark = pytest.mark.mysql


def test_two_workers_on_mysql_run_the_budget_exactly_once(tmp_path, mysql_db, procs):
    sweep_file = write_sweep(tmp_path, "onmysql", trials=6, epochs=10)
    sweep = procs.optsweep("sweep", sweep_file, "--workers", 2, "--storage", mysql_db,
                           "--no-track", "--report-seeds", 0)  # fmt: skip
    assert sweep.wait(240) == 0, procs.output(sweep)
    cfg = storage_mod.resolve(mysql_db)
    assert isinstance(cfg.backend, MySQL)
    study = storage_mod.load_study(cfg, "onmysql")
    trials = study.get_trials()
    assert [t.number for t in trials] == list(range(6))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    owners = {t.user_attrs["optsweep.worker"]["pid"] for t in trials}
    assert len(owners) == 2  # both workers claimed trials


def test_the_budget_lock_is_one_at_a_time_across_connections(mysql_db):
    import threading

    cfg = storage_mod.resolve(mysql_db)
    storage = storage_mod.open_storage(cfg)
    inside, order = threading.Event(), []

    def second() -> None:
        inside.wait(10)
        with storage_mod.budget_lock(cfg, "s", storage):
            order.append("second")

    t = threading.Thread(target=second)
    t.start()
    with storage_mod.budget_lock(cfg, "s", storage):
        inside.set()
        t.join(0.5)  # it waits for the lock this connection holds
        order.append("first")
    t.join(10)
    assert order == ["first", "second"]
    storage.engine.dispose()


def test_a_mysql_server_that_does_not_answer_is_one_line(tmp_path):
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="cannot reach study storage") as e:
        storage_mod.check_reachable("mysql+pymysql://root:pw@127.0.0.1:1/none")
    assert "\n" not in str(e.value) and "pw" not in str(e.value)
