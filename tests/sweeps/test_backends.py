"""Each location goes to the backend that serves it; one that none serves is one line."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from sweeps import backends
from sweeps import storage as storage_mod


@pytest.mark.parametrize(
    "url, kind",
    [
        ("/tmp/x/optsweep.journal", backends.Journal),
        ("sqlite:////tmp/optsweep.db", backends.SQLite),
        ("postgresql://u:p@db/optuna", backends.PostgreSQL),
        ("postgresql+psycopg://u:p@db/optuna", backends.PostgreSQL),
        ("mysql+pymysql://u:p@db/optuna", backends.MySQL),
        ("mariadb+pymysql://u:p@db/optuna", backends.MySQL),
    ],
)
def test_each_location_has_its_backend(url, kind):
    assert type(backends.backend_for(url)) is kind


def test_a_database_no_backend_serves_is_refused_when_resolved():
    with pytest.raises(ConfigError) as e:
        storage_mod.resolve("oracle://scott:tiger@db/orcl")
    text = str(e.value)
    assert "oracle is not supported" in text and "tiger" not in text and "\n" not in text


def test_only_the_journal_judges_workers_by_their_pid_on_this_host():
    import socket

    here, there = {"host": socket.gethostname(), "pid": 1}, {"host": "elsewhere", "pid": 1}
    journal, db = backends.Journal(), backends.PostgreSQL()
    assert journal.watches(here) and not journal.watches(there) and not journal.watches({})
    assert db.watches(here) and db.watches(there) and not db.watches({})
    assert not journal.heartbeats and db.heartbeats


def test_a_sqlite_budget_lock_file_sits_beside_the_database(tmp_path):
    cfg = storage_mod.resolve(f"sqlite:///{tmp_path / 'o.db'}")
    with storage_mod.budget_lock(cfg, "s"):
        locks = list(tmp_path.glob("o.db.lock-*"))
    assert len(locks) == 1 and locks[0].name == f"o.db.lock-{backends.lock_key('s')}"


def test_a_lock_file_is_removed_only_when_nobody_holds_it(tmp_path):
    path = tmp_path / "j.lock-1"
    with backends._file_lock(path):
        assert not backends.remove_lock_file(path) and path.exists()  # held: left alone
    assert backends.remove_lock_file(path) and not path.exists()
    assert not backends.remove_lock_file(path)  # not there


def test_a_locker_whose_file_was_removed_while_it_waited_locks_the_new_one(tmp_path):
    import fcntl
    import threading

    path = tmp_path / "j.lock-2"
    held = open(path, "a")  # noqa: SIM115 -- another worker holds the lock...
    fcntl.flock(held, fcntl.LOCK_EX)
    got = threading.Event()

    def waiter() -> None:
        with backends._file_lock(path):  # ...opened the old file and waits for it
            got.set()
            assert path.exists()  # its lock is on the file the path names now

    t = threading.Thread(target=waiter)
    t.start()
    t.join(0.3)
    assert not got.is_set()
    path.unlink()  # what remove_lock_file does while it holds the lock
    fcntl.flock(held, fcntl.LOCK_UN)
    held.close()
    t.join(10)
    assert got.is_set()


def test_a_finished_sweep_leaves_no_lock_file(tmp_path):
    from sweeps import sweep, workers
    from tests.e2e.conftest import write_sweep

    plan = sweep.check(write_sweep(tmp_path, trials=2, epochs=3), workdir=tmp_path, track=False)
    workers.run_sweep(plan)
    assert sorted(p.name for p in tmp_path.iterdir() if ".lock" in p.name) == []
    assert (tmp_path / "optsweep.journal").is_file()


def test_an_order_on_its_way_to_a_dask_task_shows_no_password():
    from sweeps.options import SealedOrder, SweepOptions, WorkerOrder

    options = SweepOptions(storage="postgresql://u:s3cret-pw@db/o", tracking_uri="http://x:y@z")
    sealed = SealedOrder(WorkerOrder("s.toml", "/w", options).to_json())
    assert "s3cret-pw" not in repr(sealed) and "s3cret-pw" not in repr([sealed, "stop"])
    assert sealed.open().options.storage == options.storage  # the task still gets it
