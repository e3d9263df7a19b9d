"""Sweeps on a Dask cluster (--cluster): a LocalCluster finishes the exact budget with one
MLflow run per trial, a Dask worker killed mid-trial costs nothing but the trial's re-run, and a
cluster that cannot reach the sweep's stores is refused in one line before anything starts."""

from __future__ import annotations

import os
import signal

import pytest
from optuna.trial import TrialState

from tests.distributed.conftest import (
    mlflow_runs,
    open_study,
    template_db,
    unique,
    wait_for,
    write_sweep,
)

pytestmark = pytest.mark.xdist_group("dask")


def _running_pids(journal, name) -> list[int]:
    running = open_study(str(journal), name).get_trials(states=(TrialState.RUNNING,))
    return [t.user_attrs["optsweep.worker"]["pid"] for t in running if t.user_attrs]


def test_a_local_cluster_runs_the_exact_budget_with_one_run_per_trial(tmp_path, procs):
    import shutil

    shutil.copy(template_db(), tmp_path / "mlflow.db")
    name = unique("dask")
    sweep_file = write_sweep(tmp_path, name, trials=6, epochs=30, population=1)
    sweep = procs.optsweep("sweep", sweep_file, "--workers", 2, "--cluster", "local",
                           "--report-seeds", 0)  # fmt: skip
    assert sweep.wait(300) == 0, procs.output(sweep)
    study = open_study(str(tmp_path / "optsweep.journal"), name)
    trials = study.get_trials()
    assert [t.number for t in trials] == list(range(6))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert len({t.user_attrs["optsweep.worker"]["pid"] for t in trials}) == 2  # both ran trials
    runs = mlflow_runs(f"sqlite:///{tmp_path / 'mlflow.db'}", name)
    assert sorted(runs["children"]) == list(range(6))
    assert all(len(r) == 1 and r[0].info.status == "FINISHED" for r in runs["children"].values())
    assert runs["parents"][0].info.status == "FINISHED"


def test_a_dask_worker_killed_mid_trial_leaves_the_budget_exact(tmp_path, procs):
    name = unique("daskkill")
    sweep_file = write_sweep(tmp_path, name, trials=6, epochs=2000, population=1, samples=2000)
    journal = tmp_path / "optsweep.journal"
    sweep = procs.optsweep("sweep", sweep_file, "--workers", 2, "--cluster", "local",
                           "--report-seeds", 0, "--no-track")  # fmt: skip
    victim = wait_for(lambda: journal.exists() and _running_pids(journal, name), 120,
                      "a trial running on a Dask worker")[0]  # fmt: skip
    os.kill(victim, signal.SIGKILL)
    assert sweep.wait(300) == 0, procs.output(sweep)
    study = open_study(str(journal), name)
    trials = study.get_trials()
    counted = [t for t in trials if t.state != TrialState.FAIL]
    assert len(counted) == 6 and all(t.state == TrialState.COMPLETE for t in counted)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert failed and all(t.user_attrs["optsweep.worker"]["pid"] == victim for t in failed)
    assert not [t for t in trials if t.state == TrialState.RUNNING]


@pytest.mark.parametrize(
    "args, says",
    [
        (["--cluster", "tcp://10.0.0.9:8786"], "cannot reach the study storage"),
        (["--cluster", "somewhere"], "give local (a Dask cluster on this machine)"),
    ],
)
def test_a_cluster_that_cannot_work_is_one_line_before_anything(tmp_path, procs, args, says):
    sweep_file = write_sweep(tmp_path, unique("daskno"), trials=2, epochs=5)
    refused = procs.optsweep("sweep", sweep_file, *args, "--report-seeds", 0)
    assert refused.wait(60) == 2, procs.output(refused)
    err = procs.output(refused)[1].strip()
    assert err.startswith("error: ") and "\n" not in err and says in err, err
    assert not (tmp_path / "optsweep.journal").exists() and not (tmp_path / "mlflow.db").exists()
