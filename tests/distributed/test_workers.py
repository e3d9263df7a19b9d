"""Four local workers on PostgreSQL log to an MLflow server: exact budget, one run per trial with
the trial's curves, and the storage password in none of the outputs, params, tags or argv."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from optuna.trial import TrialState

from sweeps.curves import read_curves
from tests.distributed.conftest import (
    PASSWORD,
    mlflow_runs,
    open_study,
    unique,
    wait_for,
    write_sweep,
)

pytestmark = pytest.mark.postgres
CURVE_KEYS = ("train_cost", "val_cost", "train_accuracy", "val_accuracy", "lr")


def worker_cmdlines(study: str) -> list[str]:
    """The command lines of this study's running worker processes, as `ps` shows them."""
    lines = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if " worker " in cmd and study in cmd:
            lines.append(cmd)
    return lines


def test_four_workers_finish_a_study_on_postgres_with_one_run_per_trial(
    tmp_path, pg_schema, mlflow_server, procs
):
    _, url = pg_schema
    name = unique("four")
    sweep_file = write_sweep(tmp_path, name, trials=8, epochs=20)
    tracking = mlflow_server.url.replace("http://", f"http://optsweep:{PASSWORD}@")  # basic auth
    sweep = procs.optsweep(
        "sweep", sweep_file, "--workers", 4, "--storage", url,
        "--tracking-uri", tracking, "--flush-every", 5, "--report-seeds", 0,
    )  # fmt: skip
    seen = wait_for(lambda: len(lines := worker_cmdlines(name)) == 4 and lines, 60, "4 workers")
    assert sweep.wait(120) == 0, procs.output(sweep)
    out, err = procs.output(sweep)

    study = open_study(url, name)
    trials = study.get_trials()
    assert [t.number for t in trials] == list(range(8))  # exact total, no duplicate numbers
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert len({t.user_attrs["optsweep.worker"]["pid"] for t in trials}) >= 2

    view = mlflow_runs(mlflow_server.url, name)
    client = view["client"]
    assert len(view["parents"]) == 1 and view["parents"][0].info.status == "FINISHED"
    assert sorted(view["children"]) == list(range(8))
    for t in trials:
        (run,) = view["children"][t.number]  # one run per trial
        assert run.info.status == "FINISHED"
        assert run.data.tags["mlflow.parentRunId"] == view["parents"][0].info.run_id
        stored = read_curves(t)
        assert stored["epoch"] == list(range(1, 21))  # flushed in chunks of 5: all there
        for key in CURVE_KEYS:
            history = {m.step: m.value for m in client.get_metric_history(run.info.run_id, key)}
            assert sorted(history) == stored["epoch"]
            assert [history[e] for e in stored["epoch"]] == stored[key]  # bit for bit
        assert t.intermediate_values == dict(zip(stored["epoch"], stored["val_cost"], strict=True))
        assert math.isclose(run.data.metrics["final_val_cost"], t.value)

    # the password: nowhere a user, a log or the tracking store could show it
    assert all(PASSWORD not in line for line in seen), seen  # worker argv, as `ps` shows it
    assert PASSWORD in mlflow_server.backend  # the server's runs are in PostgreSQL, and yet
    for pid in mlflow_server.pids():  # neither `optsweep server` nor mlflow/uvicorn shows it
        assert PASSWORD.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
    assert "postgres:***@" in mlflow_server.log.read_text()  # what `optsweep server` printed
    texts = [out, err, procs.all_output(), mlflow_server.log.read_text()]
    for run in [*view["parents"], *(r for rs in view["children"].values() for r in rs)]:
        texts.append(json.dumps([run.data.params, run.data.tags]))
    texts.append(json.dumps([study.user_attrs, [t.user_attrs for t in trials]], default=str))
    assert not [t for t in texts if PASSWORD in t]
    assert "postgres:***@127.0.0.1" in out and "optsweep:***@127.0.0.1" in out  # shown, masked
    assert view["parents"][0].data.params["storage"].startswith("postgresql://postgres:***@")
