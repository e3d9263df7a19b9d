"""A real `mlflow server` that goes down in the middle of a trial.

Starting the server takes 15-30 s; test_runs.py covers the same contract with a closed port,
this the real outage (in every suite: it is the one that matters).
"""

import os
import shutil
import signal
import subprocess
import time
import urllib.request

import pytest

from tracking.retry import RetryPolicy
from tracking.runs import StudyTracker
from tracking.ui import server_command

pytestmark = pytest.mark.slow
# a server's first requests can be slow on a busy machine; a refused connection fails at once
POLICY = RetryPolicy(attempts=3, base_delay=0.1, max_total=5.0, cooldown=60, timeout=20)


def wait_healthy(url: str, proc: subprocess.Popen, log, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(url + "/health", timeout=1):
                return
        except OSError:
            time.sleep(0.25)
    raise AssertionError("mlflow server did not come up")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # the server's own process group, nothing else
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def test_trial_survives_the_server_going_down(tmp_path, template_db, free_port):
    db = tmp_path / "server.db"
    shutil.copy(template_db, db)
    backend = f"sqlite:///{db}"
    served = tmp_path / "served"
    url = f"http://127.0.0.1:{free_port}"
    argv = server_command(backend, served, port=free_port, workers=1)
    log = tmp_path / "server.log"
    with log.open("wb") as out:  # a file, not a pipe nobody drains
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_healthy(url, proc, log)
        tracker = StudyTracker(url, "served", retry=POLICY)
        tracker.open_parent({"n_trials": 2})

        done = tracker.start_trial(0, {"alpha": 0.1}, total_epochs=20)
        for e in range(1, 21):
            done.log_epoch(e, {"train_cost": 1.0 / e, "val_cost": 2.0 / e})
        done.end("COMPLETE", {"val_cost": 0.1}, smoothed_cost=[(i, 1.0) for i in range(1, 61)])
        assert not done.degraded, done.errors
        assert len(list(served.rglob("curves.json"))) == 1  # uploaded through the server

        cut = tracker.start_trial(1, {"alpha": 0.2}, total_epochs=20)
        for e in range(1, 11):
            cut.log_epoch(e, {"train_cost": 1.0 / e, "val_cost": 2.0 / e})
        assert cut.flush() and not cut.degraded
        stop(proc)

        start = time.monotonic()
        for e in range(11, 21):
            cut.log_epoch(e, {"train_cost": 1.0 / e, "val_cost": 2.0 / e})
        assert cut.flush() is False and cut.degraded
        smoothed = [(i, 1.0) for i in range(1, 61)]
        cut.end("COMPLETE", {"val_cost": 0.1}, smoothed_cost=smoothed)  # must not raise
        assert time.monotonic() - start < POLICY.max_total + 1
        assert cut.ended and cut.degraded and cut.pending > 0
    finally:
        stop(proc)

    local = StudyTracker(backend, "served")  # the server's own store, read directly
    runs = local.trial_runs()
    assert runs[0]["status"] == "FINISHED" and runs[1]["status"] == "RUNNING"
    history = local.metric_history(runs[1]["run_id"], "val_cost")
    assert history == [(e, 2.0 / e) for e in range(1, 11)]  # what was flushed before the cut
