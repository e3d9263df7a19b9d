"""`optsweep sync` against the live path as reference: runs it rebuilds from the Optuna trials
hold what the sweep itself logged (thinned curves above 1000 epochs included), runs whose state
disagrees are fixed, and a second sync changes nothing. Embedded stores, no server."""

from __future__ import annotations

import shutil

from typer.testing import CliRunner

from optsweep.cli import app
from sweeps import sweep, workers
from tests.distributed.conftest import mlflow_runs, template_db, unique, write_sweep

CURVE_KEYS = ("train_cost", "val_cost", "train_accuracy", "val_accuracy", "lr")


def snapshot(client, run) -> dict:
    """What a user sees of a run: status, params, state tags, final metrics, every history."""
    tags = {k: v for k, v in run.data.tags.items() if k.startswith("optsweep.") and k not in (
        "optsweep.synced", "optsweep.worker")}  # fmt: skip
    histories = {
        k: sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, k))
        for k in CURVE_KEYS
    }
    finals = {k: v for k, v in run.data.metrics.items() if k not in CURVE_KEYS}
    finals.pop("minibatch_cost_ewa", None)  # the one series the storage does not keep
    return {
        "status": run.info.status,
        "name": run.info.run_name,
        "params": run.data.params,
        "tags": tags,
        "finals": finals,
        "histories": histories,
        "artifacts": [a.path for a in client.list_artifacts(run.info.run_id)],
    }


def test_sync_rebuilds_deleted_runs_as_the_sweep_logged_them_and_fixes_wrong_states(tmp_path):
    shutil.copy(template_db(), tmp_path / "mlflow.db")
    name = unique("sync")
    # 1101 epochs: MLflow gets every 2nd epoch and the last one, as the live path thins them
    sweep_file = write_sweep(
        tmp_path, name, trials=3, epochs=1101, report_every=100, batch_size=256
    )
    workers.work(sweep.check(sweep_file, workdir=tmp_path))
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    view = mlflow_runs(uri, name)
    client = view["client"]
    live = {n: snapshot(client, runs[0]) for n, runs in view["children"].items()}
    assert len(live) == 3 and len(live[0]["histories"]["val_cost"]) == 551  # 2, 4, ..., 1100, 1101

    client.delete_run(view["children"][0][0].info.run_id)  # lost in an outage
    client.set_terminated(view["children"][1][0].info.run_id, "KILLED")  # a state that lies
    client.update_run(view["children"][2][0].info.run_id, "RUNNING")  # left by a dead worker
    used = view["children"][1][0]  # a create_run that timed out, yet happened, then retried:
    twin = client.create_run(used.info.experiment_id, start_time=used.info.start_time - 1,
                             tags=used.data.tags)  # fmt: skip

    args = ["sync", name, "--storage", str(tmp_path / "optsweep.journal"), "--tracking-uri", uri]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "runs created: 1 (trials 0)" in first.stdout
    assert "runs completed or re-ended: 2 (trials 1, 2)" in first.stdout
    assert "duplicate runs deleted (mlflow runs restore can undo it): 1 (trials 1)" in first.stdout
    assert client.get_run(twin.info.run_id).info.lifecycle_stage == "deleted"

    view = mlflow_runs(uri, name)
    rebuilt = {n: snapshot(view["client"], runs[0]) for n, runs in view["children"].items()}
    assert all(len(runs) == 1 for runs in view["children"].values())
    assert rebuilt == live  # what the sweep logged, point for point
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0 and "nothing to do" in second.stdout, second.output
