"""The MLflow server goes down in the middle of a sweep on PostgreSQL: trials keep completing in
Optuna, writes are retried and then skipped, and `optsweep sync` afterwards brings MLflow to
exactly the Optuna state (a second sync changes nothing)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from optuna.trial import TrialState
from typer.testing import CliRunner

from optsweep.cli import app
from sweeps.curves import read_curves
from tests.distributed.conftest import mlflow_runs, open_study, unique, wait_for, write_sweep

pytestmark = pytest.mark.postgres
STATUS = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED"}
CURVE_KEYS = ("train_cost", "val_cost", "train_accuracy", "val_accuracy", "lr")


def completed(url: str, name: str) -> int:
    try:
        return len(open_study(url, name).get_trials(states=(TrialState.COMPLETE,)))
    except KeyError:
        return 0


def test_trials_go_on_while_the_tracking_server_is_down_and_sync_restores_mlflow(
    tmp_path, pg_schema, own_mlflow_server, procs
):
    _, url = pg_schema
    srv = own_mlflow_server
    name = unique("outage")
    budget = 12
    sweep_file = write_sweep(tmp_path, name, trials=budget, epochs=150, batch_size=32)
    env = {"OPTSWEEP_STORAGE": url, "OPTSWEEP_TRACKING_URI": srv.url}
    workers = [procs.optsweep("worker", sweep_file, "--worker-index", i, env=env) for i in (0, 1)]
    wait_for(lambda: completed(url, name) >= 2, 90, "two trials tracked")
    srv.stop()  # the server dies; the workers are not told
    down_at = completed(url, name)
    for w in workers:
        assert w.wait(120) == 0, procs.output(w)
    err = "".join(procs.output(w)[1] for w in workers)

    trials = open_study(url, name).get_trials()
    assert len(trials) == budget and all(t.state == TrialState.COMPLETE for t in trials)
    assert down_at < budget  # trials completed in Optuna while MLflow was unreachable
    assert "unavailable" in err  # the writer gave up (after its retries) ...
    assert "optsweep sync" in err  # ... and said how to fill the gap
    assert "Traceback" not in err

    srv.start()  # back, on the same port and database
    before = mlflow_runs(srv.url, name)["children"]
    assert len(before) < budget  # runs are missing or unfinished
    runner = CliRunner()
    args = ["sync", name, "--storage", url, "--tracking-uri", srv.url]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "runs created" in first.stdout

    view = mlflow_runs(srv.url, name)
    client = view["client"]
    assert sorted(view["children"]) == [t.number for t in trials]
    for t in trials:
        (run,) = view["children"][t.number]  # exactly one run per trial
        assert run.info.status == STATUS[t.state.name]
        assert run.data.tags["optsweep.state"] == t.state.name
        assert run.data.tags["mlflow.parentRunId"] == view["parents"][0].info.run_id
        stored = read_curves(t)
        assert stored["epoch"] == list(range(1, 151))
        for key in CURVE_KEYS:
            history = client.get_metric_history(run.info.run_id, key)
            assert [(m.step, m.value) for m in sorted(history, key=lambda m: m.step)] == list(
                zip(stored["epoch"], stored[key], strict=True)
            )
        final = t.user_attrs["optsweep.final"]
        assert run.data.metrics["final_val_cost"] == final["val_cost"] == t.value
        assert run.data.params["alpha"] == repr(t.user_attrs["optsweep.values"]["alpha"])
        assert {a.path for a in client.list_artifacts(run.info.run_id)} >= {"curves.json"}

    second = runner.invoke(app, args)
    assert second.exit_code == 0 and "nothing to do" in second.stdout, second.output


LONG = {"epochs": 600, "report_every": 100, "batch_size": 32, "samples": 1200}  # 1-3 s a trial


def journal_study(folder: Path, name: str):
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    backend = JournalFileBackend(str(folder / "optsweep.journal"))
    return optuna.load_study(study_name=name, storage=JournalStorage(backend))


def completed_in(folder: Path, name: str, state=TrialState.COMPLETE) -> int:
    try:
        return len(journal_study(folder, name).get_trials(states=(state,)))
    except (KeyError, FileNotFoundError):
        return 0


@contextmanager
def locked_while_a_trial_runs(folder: Path, name: str, timeout: float = 120):
    """The study's budget lock, taken at a moment a trial is running (so that it is still
    running when the server goes, and its writes give up): a lock taken between two trials
    would leave both workers waiting on it, with nothing to write."""
    from sweeps import storage as storage_mod

    cfg = storage_mod.resolve(str(folder / "optsweep.journal"))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        wait_for(lambda: completed_in(folder, name, TrialState.RUNNING), timeout, "a trial to run")
        with storage_mod.budget_lock(cfg, name):
            if completed_in(folder, name, TrialState.RUNNING):
                yield
                return
        # it ended meanwhile: the lock is let go so the next trial can start
    raise AssertionError(f"no trial was running under the lock within {timeout:.0f} s")


@pytest.mark.parametrize("how", ["sweep --workers 2", "two workers"])
def test_a_tracking_outage_heals_itself_when_the_store_answers_again_by_the_end(
    tmp_path, own_mlflow_server, procs, how
):
    """The server goes away while trials run and is back before they end: each worker whose
    writes gave up completes its runs at its end, saying so in one line, so that MLflow holds
    exactly the Optuna state and a manual `optsweep sync` afterwards has nothing to do."""
    srv = own_mlflow_server
    name = unique("heal")
    budget = 6
    sweep_file = write_sweep(tmp_path, name, trials=budget, **LONG)
    env = {"OPTSWEEP_TRACKING_URI": srv.url}
    if how == "sweep --workers 2":
        started = [
            procs.optsweep("sweep", sweep_file, "--workers", 2, "--report-seeds", 0, env=env)
        ]
    else:
        started = [
            procs.optsweep("worker", sweep_file, "--worker-index", i, env=env) for i in (0, 1)
        ]
    wait_for(lambda: completed_in(tmp_path, name) >= 2, 120, "two trials tracked")
    with locked_while_a_trial_runs(tmp_path, name):  # no trial starts while the server is away
        srv.stop()  # the running trials end meanwhile, and their writes give up
        wait_for(lambda: "unavailable" in procs.all_output(), 120, "a tracking write to give up")
        srv.start()  # back, on the same port and store
    for p in started:
        assert p.wait(300) == 0, procs.output(p)
    err = "".join(procs.output(p)[1] for p in started)
    assert "Traceback" not in err
    gave_up = [line for line in err.splitlines() if "unavailable (" in line]
    healed = [line for line in err.splitlines() if "answers now" in line]
    assert 1 <= len(healed) <= len(gave_up) <= 2, err  # one line per worker that lost writes
    assert all(f"runs of study {name}" in line for line in healed), err
    assert "still unavailable" not in err

    trials = journal_study(tmp_path, name).get_trials()
    assert len(trials) == budget and all(t.state == TrialState.COMPLETE for t in trials)
    view = mlflow_runs(srv.url, name)
    client = view["client"]
    assert sorted(view["children"]) == [t.number for t in trials]
    for t in trials:
        (run,) = view["children"][t.number]
        assert run.info.status == "FINISHED" and run.data.tags["optsweep.state"] == "COMPLETE"
        stored = read_curves(t)
        history = client.get_metric_history(run.info.run_id, "val_cost")
        assert sorted((m.step, m.value) for m in history) == list(
            zip(stored["epoch"], stored["val_cost"], strict=True)
        )
        assert run.data.metrics["final_val_cost"] == t.value
    (parent,) = view["parents"]
    assert client.get_run(parent.info.run_id).info.status == "FINISHED"

    again = CliRunner().invoke(app, ["sync", name, "--storage", str(tmp_path / "optsweep.journal"),
                                     "--tracking-uri", srv.url])  # fmt: skip
    assert again.exit_code == 0 and "nothing to do" in again.stdout, again.output
