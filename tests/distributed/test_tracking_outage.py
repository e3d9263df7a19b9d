"""The MLflow server goes down in the middle of a sweep on PostgreSQL: trials keep completing in
Optuna, writes are retried and then skipped, and `optsweep sync` afterwards brings MLflow to
exactly the Optuna state (a second sync changes nothing)."""

from __future__ import annotations

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
