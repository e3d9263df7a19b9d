"""`optsweep sweep` end to end in a temporary folder: Optuna and MLflow agree trial by trial."""

from __future__ import annotations

import pytest
from optuna.trial import TrialState
from typer.testing import CliRunner

from optsweep.cli import app
from tests.e2e.conftest import load_study, mlflow_view, write_sweep

runner = CliRunner()
MLFLOW_STATUS = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED"}


def sweep(*args):
    result = runner.invoke(app, ["sweep", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result


def test_every_trial_has_a_child_run_whose_curves_match_optuna(workdir):
    path = write_sweep(workdir, trials=6, epochs=12)
    out = sweep(path).stdout
    assert "best val_cost" in out and "optsweep.journal" in out and "mlflow.db" in out

    study = load_study(workdir, "small")
    view = mlflow_view(workdir, "small")
    trials = study.get_trials()
    assert len(trials) == 6
    assert len(view["children"]) == 6 and len(view["parents"]) == 1
    parent = view["parents"][0]
    by_number = {int(r.data.tags["optsweep.trial"]): r for r in view["children"]}
    assert sorted(by_number) == [t.number for t in trials]
    client = view["client"]
    for t in trials:
        run = by_number[t.number]
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert run.info.status == MLFLOW_STATUS[t.state.name]
        assert run.data.tags["optsweep.state"] == t.state.name
        history = client.get_metric_history(run.info.run_id, "val_cost")
        logged = {m.step: m.value for m in history}
        assert t.intermediate_values, t.number
        for epoch, value in t.intermediate_values.items():
            assert logged[epoch] == value  # epoch by epoch, bit for bit
        assert len(logged) == (t.user_attrs["optsweep.final"]["epochs_run"])
        for key in ("train_cost", "train_accuracy", "val_accuracy", "lr"):
            assert len(client.get_metric_history(run.info.run_id, key)) == len(logged)
        assert run.data.params["alpha"]  # trial params and fixed settings as params
        assert run.data.params["epochs"] == "12" and run.data.params["data"] == "moons"
        if t.state == TrialState.COMPLETE:
            assert run.data.metrics["val_cost"] == pytest.approx(t.value)
            for key in ("train_cost", "train_accuracy", "val_accuracy", "seconds", "epochs_run"):
                assert key in run.data.metrics

    # the first trial ran the textbook defaults
    first = trials[0]
    assert first.params["one_minus_beta1"] == pytest.approx(0.1)
    assert first.user_attrs["optsweep.values"]["beta1"] == 0.9
    assert first.user_attrs["optsweep.values"]["batch_size"] == 64

    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert {"val_cost_curves.png", "optimization_history.png"} <= artifacts
    assert parent.info.status == "FINISHED"
    assert "best_val_cost" in parent.data.metrics


def test_resume_adds_to_the_same_study_and_parent_run(workdir):
    path = write_sweep(workdir, trials=3, epochs=6)
    sweep(path)
    first_parent = mlflow_view(workdir, "small")["parents"][0].info.run_id
    sweep(path, "--trials", 5)
    study = load_study(workdir, "small")
    view = mlflow_view(workdir, "small")
    assert len(study.get_trials()) == 5
    assert [p.info.run_id for p in view["parents"]] == [first_parent]
    assert len(view["children"]) == 5
    # the budget counts trials already there: the same command again runs nothing new
    sweep(path, "--trials", 5)
    assert len(load_study(workdir, "small").get_trials()) == 5


def test_two_workers_give_the_exact_total(workdir):
    path = write_sweep(workdir, trials=7, epochs=8)
    sweep(path, "--workers", 2)
    study = load_study(workdir, "small")
    numbers = [t.number for t in study.get_trials()]
    assert numbers == list(range(7))
    workers = {t.user_attrs["optsweep.worker"]["pid"] for t in study.get_trials()}
    assert len(workers) == 2
    assert len(mlflow_view(workdir, "small")["children"]) == 7


def test_a_diverging_alpha_is_pruned_with_its_reason_and_the_sweep_goes_on(workdir):
    path = write_sweep(workdir, name="wild", trials=3, epochs=20, alpha_low=1e3, alpha_high=1e4)
    sweep(path)
    study = load_study(workdir, "wild")
    view = mlflow_view(workdir, "wild")
    trials = study.get_trials()
    assert len(trials) == 3
    for t in trials:
        assert t.state == TrialState.PRUNED
        assert t.user_attrs["optsweep.status"] == "diverged"
        assert "diverged" in t.user_attrs["optsweep.reason"]
    for run in view["children"]:
        assert run.info.status == "KILLED"
        assert "diverged" in run.data.tags["optsweep.reason"]


def test_a_sweep_its_timeout_stops_before_the_budget_ends_cleanly_and_resumes(workdir):
    """The timeout is over before the first trial: the sweep ends with its summary, exit 0 and no
    traceback (it used to fail ending the parent run as 'RUNNING'), leaves the parent run
    RUNNING for the rest, and a re-run finishes the study and ends it."""
    path = write_sweep(workdir, trials=2, epochs=5)
    cut = runner.invoke(app, ["sweep", str(path), "--timeout", "1e-9", "--report-seeds", "0"])
    assert cut.exit_code == 0, (cut.output, cut.exception)
    assert "no completed trial yet" in cut.stdout and "Traceback" not in cut.output
    (parent,) = mlflow_view(workdir, "small")["parents"]
    assert parent.info.status == "RUNNING"
    sweep(path, "--report-seeds", 0)
    assert len(load_study(workdir, "small").get_trials(states=(TrialState.COMPLETE,))) == 2
    view = mlflow_view(workdir, "small")
    assert [p.info.status for p in view["parents"]] == ["FINISHED"]


def test_a_bad_sweep_file_leaves_nothing_behind(workdir):
    path = workdir / "bad.toml"
    path.write_text('[study]\nname = "x"\ntrials = 3\n[space]\nalpha = { low = 0, high = 1 }\n')
    before = set(workdir.iterdir())
    result = runner.invoke(app, ["sweep", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.toml" in lines[0] and "space.alpha" in lines[0]
    assert set(workdir.iterdir()) == before  # no journal, no mlflow.db, no lock file


def test_trials_lists_the_study_again_and_names_a_missing_one(workdir):
    path = write_sweep(workdir, trials=2, epochs=5)
    sweep(path)
    result = runner.invoke(app, ["trials", "small"])
    assert result.exit_code == 0 and "COMPLETE" in result.stdout
    missing = runner.invoke(app, ["trials", "nope"])
    assert missing.exit_code == 2 and "no study named 'nope'" in missing.stderr


def _optsweep(folder, *args, **kw):
    import subprocess
    import sys

    argv = [sys.executable, "-m", "optsweep", *map(str, args)]
    return subprocess.run(argv, cwd=folder, capture_output=True, text=True, timeout=120, **kw)


def test_a_gated_worker_whose_input_ends_without_go_touches_nothing(workdir):
    path = write_sweep(workdir, trials=2, epochs=5)
    before = set(workdir.iterdir())
    done = _optsweep(workdir, "worker", path, "--wait-for-go", stdin=subprocess_devnull())
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    assert set(workdir.iterdir()) == before  # no journal, no mlflow.db: the sweep never began


def _catches(pid: int, signum: int) -> bool:
    """Whether process `pid` has a handler installed for `signum` (its SigCgt mask in /proc)."""
    from pathlib import Path

    status = Path(f"/proc/{pid}/status").read_text()
    caught = int(
        next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt")), 16
    )
    return bool(caught >> (signum - 1) & 1)


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_a_gated_worker_stopped_before_its_go_leaves_without_a_word(workdir, signame):
    """The sweep process stops its waiting workers when it cannot start: the signal may land at
    any point before the GO, once the worker handles signals at all (SIGTERM caught), and the
    worker must then leave silently, touching nothing. (It printed `terminated` when the signal
    came after its SIGTERM handler was installed and before the GO.)"""
    import signal
    import subprocess
    import sys
    import time

    path = write_sweep(workdir, trials=2, epochs=5)
    before = set(workdir.iterdir())
    argv = [sys.executable, "-m", "optsweep", "worker", str(path), "--wait-for-go"]
    proc = subprocess.Popen(argv, cwd=workdir, stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not _catches(proc.pid, signal.SIGTERM):  # the earliest a handler can run
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.001)
        proc.send_signal(getattr(signal, signame))
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert err == "" and out == "", err
    assert proc.returncode == 0
    assert set(workdir.iterdir()) == before


def test_workers_of_a_sweep_that_cannot_start_leave_quietly(workdir):
    """The study exists and minimizes; a sweep that maximizes it with 2 workers stops at one
    line, and its workers, started before the study was opened, leave without a word or a
    trial."""
    path = write_sweep(workdir, trials=2, epochs=5)
    sweep(path)
    text = path.read_text().replace("[study]\n", '[study]\nobjective = "val_accuracy"\n')
    path.write_text(text)
    done = _optsweep(workdir, "sweep", path, "--workers", 2)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--study NEW_NAME" in lines[0], done.stderr
    assert len(load_study(workdir, "small").get_trials()) == 2
    view = mlflow_view(workdir, "small")
    assert len(view["parents"]) == 1 and len(view["children"]) == 2


def subprocess_devnull():
    import subprocess

    return subprocess.DEVNULL
