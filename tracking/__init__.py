"""MLflow only: one experiment and one parent run per study, a child run per trial.

    store.py        where the runs live (SQLite file or server), checked; one writer at a time
    runs.py         the study's parent run and each trial's run, written in batches
    retry.py        transient failures retried; a store that stays down degrades a run
    values.py       params and tags within MLflow's limits; thinning.py: curves to <= 1000 points
    report_runs.py  the defaults report's and the findings' runs and artifacts
    server.py, ui.py  the tracking server and the UI, bound to loopback unless asked

    from tracking.store import resolve, check_reachable
    from tracking.runs import StudyTracker

    uri = resolve(None)                      # sqlite:///<cwd>/mlflow.db
    check_reachable(uri)
    tracker = StudyTracker(uri, "moons-adam")
    tracker.open_parent({"n_trials": 50})
    with tracker.start_trial(0, {"alpha": 3e-3}, total_epochs=300) as run:
        run.log_epoch(1, {"train_cost": 0.69, "val_cost": 0.70})
        run.end("COMPLETE", {"val_cost": 0.31})

The package takes plain Python data (dicts, lists, floats): it imports neither core, sweeps nor
optuna, and imports mlflow only inside the functions that talk to it, so `optsweep --help` stays
instant. Writes during a trial never raise into the training loop: they are retried, and when the
store stays unreachable the run is marked degraded (the Optuna storage keeps the truth and
`optsweep sync` rebuilds MLflow from it).
"""

import os

# MLflow 3 sends usage telemetry from every process that imports it, and at exit waits up to a
# second for its network calls: ~1 s at the end of every worker and of the sweep (no network
# here), and calls a sweep should not make. Off unless the user chose otherwise.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
# MLflow logs its store's set-up at INFO ("Creating initial MLflow database tables...") into
# the sweep's terminal (and a notebook's cell); its warnings and errors still show.
os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
