"""Several worker processes creating and writing one SQLite store at the same moment.

With a new store, as on a sweep's first start, MLflow creates its tables on first use, and
workers doing that at once used to fail ("table ... already exists"); the store lock makes
them take turns (the new-store variant, MLflow's migrations, ~45 s, runs in every suite).
Then all workers race to get-or-create the study's parent run and write their trials at once.
"""

import json
import shutil
import time

import pytest

from tracking.runs import StudyTracker

WORKERS, TRIALS, EPOCHS = 3, 2, 300


@pytest.mark.parametrize(
    "fresh", [False, pytest.param(True, marks=pytest.mark.slow, id="new-store")]
)
def test_workers_share_one_store_one_parent_and_all_child_runs_land(
    fresh, tmp_path, template_db, spawn_worker
):
    if not fresh:
        shutil.copy(template_db, tmp_path / "mlflow.db")
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    sync = tmp_path / "sync"
    sync.mkdir()
    procs = [spawn_worker(store, "shared", w, TRIALS, EPOCHS, sync) for w in range(WORKERS)]
    deadline = time.monotonic() + 90
    while len(list(sync.glob("ready-*"))) < WORKERS and time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.05)
    (sync / "go").touch()  # every worker opens the study and writes at once
    outputs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()[-2000:]
        outputs.append(json.loads(out.decode().strip().splitlines()[-1]))

    parents = {o["parent"] for o in outputs}
    assert len(parents) == 1, "workers racing to open the study made more than one parent run"
    assert all(not o["errors"] for o in outputs), [o["errors"] for o in outputs]
    assert all(not r["degraded"] for o in outputs for r in o["runs"])

    tracker = StudyTracker(store, "shared")  # the test process sees the same parent run
    assert tracker.open_parent({}) == parents.pop()
    runs = tracker.trial_runs()
    assert sorted(runs) == sorted(w * 100 + k for w in range(WORKERS) for k in range(TRIALS))
    assert {r["status"] for r in runs.values()} == {"FINISHED"}
    for r in runs.values():
        assert r["tags"]["mlflow.parentRunId"] == tracker.parent_run_id
        history = tracker.metric_history(r["run_id"], "val_cost")
        assert history == [(e, 2.0 / e) for e in range(1, EPOCHS + 1)]
