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


def _running_pids(journal, name) -> list[int]:
    running = open_study(str(journal), name).get_trials(states=(TrialState.RUNNING,))
    return [
        t.user_attrs["optsweep.worker"]["pid"] for t in running if "optsweep.worker" in t.user_attrs
    ]


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
    sweep_file = write_sweep(tmp_path, name, trials=4, epochs=2000, population=1, samples=2000)
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
    assert len(counted) == 4 and all(t.state == TrialState.COMPLETE for t in counted)
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


def _certificate(folder) -> dict[str, str]:
    """A self-signed certificate for 127.0.0.1 (its own CA), and Dask's settings to use it."""
    import subprocess

    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
         cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    env = {"DASK_DISTRIBUTED__COMM__TLS__CA_FILE": str(cert),
           "DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True"}  # fmt: skip
    for role in ("SCHEDULER", "WORKER", "CLIENT"):
        env[f"DASK_DISTRIBUTED__COMM__TLS__{role}__CERT"] = str(cert)
        env[f"DASK_DISTRIBUTED__COMM__TLS__{role}__KEY"] = str(key)
    return env


@pytest.mark.postgres
@pytest.mark.parametrize("protocol", ["tls"])  # tcp:// is the same path without certificates
def test_a_running_scheduler_takes_the_workers_over_its_protocol(
    protocol, tmp_path, pg_schema, mlflow_server, procs
):
    """A scheduler and two Dask workers started by hand (as a user's cluster would be), here on
    loopback; with tls:// the certificates come from Dask's own configuration."""
    import subprocess
    import sys

    from tests.distributed.conftest import REPO, free_port

    _, url = pg_schema
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO), **(_certificate(tmp_path) if protocol == "tls"
                                                     else {}))  # fmt: skip
    address = f"{protocol}://127.0.0.1:{port}"
    log = (tmp_path / "dask.log").open("wb")

    def start(module: str, *args) -> subprocess.Popen:
        argv = [sys.executable, "-m", f"distributed.cli.{module}", *args, "--no-dashboard"]
        return subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=tmp_path)  # fmt: skip

    started = [start("dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
                     "--protocol", protocol)]  # fmt: skip
    try:
        started += [start("dask_worker", address, "--nthreads", "1", "--no-nanny") for _ in "ab"]
        name = unique(f"dask{protocol}")
        sweep_file = write_sweep(tmp_path, name, trials=4, epochs=20, population=1)
        sweep = procs.optsweep("sweep", sweep_file, "--workers", 2, "--cluster", address,
                               "--storage", url, "--tracking-uri", mlflow_server.url,
                               "--report-seeds", 0, env=env)  # fmt: skip
        assert sweep.wait(300) == 0, (procs.output(sweep), (tmp_path / "dask.log").read_text())
    finally:
        for p in started:
            p.kill()
            p.wait(10)
        log.close()
    study = open_study(url, name)
    assert [t.state for t in study.get_trials()] == [TrialState.COMPLETE] * 4
    runs = mlflow_runs(mlflow_server.url, name)
    assert sorted(runs["children"]) == [0, 1, 2, 3]


def test_ctrl_c_on_a_local_cluster_closes_its_trials(tmp_path, procs):
    name = unique("daskstop")
    sweep_file = write_sweep(tmp_path, name, trials=6, epochs=3000, population=1, samples=2000)
    journal = tmp_path / "optsweep.journal"
    sweep = procs.optsweep("sweep", sweep_file, "--workers", 2, "--cluster", "local",
                           "--report-seeds", 0, "--no-track")  # fmt: skip
    wait_for(lambda: journal.exists() and _running_pids(journal, name), 120, "a trial running")
    os.killpg(sweep.pid, signal.SIGINT)  # a terminal's Ctrl-C: the sweep and its cluster
    assert sweep.wait(120) == 130, procs.output(sweep)
    assert "Traceback" not in procs.output(sweep)[1]
    trials = open_study(str(journal), name).get_trials()
    assert not [t for t in trials if t.state == TrialState.RUNNING]
