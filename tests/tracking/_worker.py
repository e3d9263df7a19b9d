"""A tracking worker process for the concurrency tests: open the study, run trials, print JSON.

    python _worker.py <tracking_uri> <study> <worker> <trials> <epochs> <sync_dir>

Waits for <sync_dir>/go (after writing <sync_dir>/ready-<worker>) so that all workers hit the
store at the same moment.
"""

import json
import sys
import time
from pathlib import Path

from tracking.runs import StudyTracker


def main(uri: str, study: str, worker: int, trials: int, epochs: int, sync_dir: str) -> None:
    sync = Path(sync_dir)
    tracker = StudyTracker(uri, study)
    (sync / f"ready-{worker}").touch()
    deadline = time.monotonic() + 60
    while not (sync / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    parent = tracker.open_parent({"n_trials": trials, "worker_count": "several"})
    runs = []
    for k in range(trials):
        number = worker * 100 + k
        run = tracker.start_trial(number, {"alpha": 1e-3 * (k + 1), "worker": worker},
                                  total_epochs=epochs)  # fmt: skip
        for e in range(1, epochs + 1):
            run.log_epoch(e, {"train_cost": 1.0 / e, "val_cost": 2.0 / e, "lr": 0.1})
            if e % 50 == 0:
                run.flush()
        smoothed = [(i, 1.0) for i in range(1, 3 * epochs + 1)]
        run.end("COMPLETE", {"val_cost": 0.5}, "done", smoothed_cost=smoothed)
        runs.append({"number": number, "run_id": run.run_id, "degraded": run.degraded,
                     "errors": run.errors})  # fmt: skip
    print(json.dumps({"parent": parent, "runs": runs, "errors": tracker.errors}))


if __name__ == "__main__":
    uri, study, worker, trials, epochs, sync_dir = sys.argv[1:]
    main(uri, study, int(worker), int(trials), int(epochs), sync_dir)
