"""Where a worker's time goes, call by call: `bench/load_bench.py --probe` starts each worker
with this module installed (`python -c "import call_probe; call_probe.main()" worker ...`).

Each wrapped call adds its wall time (perf_counter) and its thread's CPU time (thread_time) to
a named counter; at exit the process writes its counters, its SQL statement count and its own
CPU time to OPTSWEEP_PROBE_DIR/worker-PID.json. The counters are inclusive (a claim's time holds
its asks' time, an ask's holds its database calls'): read each level on its own. What a wrapper
costs itself (two clock reads on entry and exit, ~1 us) is far below the calls it times.

A benchmark aid only: nothing in optsweep imports it.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import resource
import runpy
import sys
import threading
import time
from collections import defaultdict

STATS: dict[str, list] = defaultdict(lambda: [0, 0.0, 0.0])  # calls, wall s, cpu s
MARKS: dict[str, float] = {}
_lock = threading.Lock()
START = time.perf_counter()


def _add(name: str, wall: float, cpu: float) -> None:
    with _lock:
        s = STATS[name]
        s[0] += 1
        s[1] += wall
        s[2] += cpu


def timed(name: str, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        w0, c0 = time.perf_counter(), time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            _add(name, time.perf_counter() - w0, time.thread_time() - c0)

    return wrapper


def patch(owner, attr: str, name: str) -> None:
    if hasattr(owner, attr):  # an older tree may lack it (a side-by-side run against main)
        setattr(owner, attr, timed(name, getattr(owner, attr)))


def timed_cm(name: str, cm_factory):
    """A context manager factory whose enter, exit and whole hold are timed apart."""

    @functools.wraps(cm_factory)
    @contextlib.contextmanager
    def wrapper(*args, **kwargs):
        w0, c0 = time.perf_counter(), time.thread_time()
        cm = cm_factory(*args, **kwargs)
        cm.__enter__()
        _add(f"{name}.enter", time.perf_counter() - w0, time.thread_time() - c0)
        w1, c1 = time.perf_counter(), time.thread_time()
        try:
            yield
        except BaseException:
            if not cm.__exit__(*sys.exc_info()):
                raise
        else:
            w2, c2 = time.perf_counter(), time.thread_time()
            cm.__exit__(None, None, None)
            _add(f"{name}.exit", time.perf_counter() - w2, time.thread_time() - c2)
        finally:
            _add(f"{name}.held", time.perf_counter() - w1, time.thread_time() - c1)

    return wrapper


def install() -> None:
    import optuna
    import sqlalchemy
    from optuna.storages import RDBStorage
    from optuna.trial import Trial

    import core.population
    import sweeps.storage as st
    import sweeps.trial as tr
    import sweeps.workers as wk
    from sweeps.curves import CurveWriter

    # the worker loop's steps; the process's CPU before its first claim is start-up (imports)
    first_claim = wk.ride_out

    def ride_out(*args, **kwargs):
        if "cpu_before_first_claim_s" not in MARKS:
            MARKS["cpu_before_first_claim_s"] = _process_cpu()
        return first_claim(*args, **kwargs)

    wk.ride_out = ride_out
    patch(wk, "ride_out", "claim (whole, lock wait included)")
    st.budget_lock = timed_cm("claim: budget lock", st.budget_lock)
    patch(st, "fail_stale_trials", "claim: fail_stale_trials")
    patch(st, "claim_trials", "claim: claim_trials (read, asks, beats, owner attr)")
    patch(st, "beat_once", "claim: first heartbeat")
    patch(optuna.study.Study, "ask", "optuna: Study.ask")
    patch(optuna.study.Study, "tell", "optuna: Study.tell")
    patch(optuna.study.Study, "get_trials", "optuna: Study.get_trials")
    patch(tr, "_begin", "trial: begin (suggest, attrs, run created)")
    patch(Trial, "_suggest", "optuna: Trial suggest (sampler + set_trial_param)")
    patch(Trial, "report", "optuna: Trial.report")
    patch(Trial, "should_prune", "optuna: Trial.should_prune")
    patch(Trial, "set_user_attr", "optuna: Trial.set_user_attr")
    import sweeps.optuna_private as op

    patch(op, "write_together", "db: write_together (a batch: attrs, params, reports)")
    patch(core.population, "train_population", "training (train_population, writes inside)")
    patch(CurveWriter, "flush", "trial: curve chunk flush")
    patch(tr, "_finish", "trial: finish (attrs, tell, run end)")
    patch(tr, "_end_run", "trial: MLflow run end")
    for cls in (optuna.samplers.TPESampler, optuna.samplers.RandomSampler):
        for m in ("infer_relative_search_space", "sample_relative", "sample_independent"):
            patch(cls, m, f"sampler: {cls.__name__}.{m}")
    # every RDBStorage call (the database round trips behind the steps above)
    for m in sorted(vars(RDBStorage)):
        if m.startswith("__") or not callable(getattr(RDBStorage, m)):
            continue
        if m in ("get_heartbeat_interval", "get_heartbeat_stale_trial_callback",
                 "remove_session", "upgrade", "get_current_version", "get_head_version",
                 "get_all_versions", "_set_trial_value_without_commit",
                 "_set_trial_attr_without_commit"):  # fmt: skip
            continue
        if isinstance(vars(RDBStorage)[m], staticmethod | classmethod):
            continue
        patch(RDBStorage, m, f"db: RDBStorage.{m}")

    def count_statement(*_args, **_kwargs) -> None:
        _add("sql: statements", 0.0, 0.0)

    sqlalchemy.event.listen(sqlalchemy.engine.Engine, "before_cursor_execute", count_statement)
    if os.environ.get("OPTSWEEP_TRACKING_URI"):  # else MLflow is never imported
        from mlflow.tracking import MlflowClient

        for m in ("create_run", "log_batch", "set_terminated", "log_artifact", "log_dict"):
            patch(MlflowClient, m, f"mlflow: MlflowClient.{m}")
        import tracking.runs as runs

        patch(runs.TrialRun, "_log_curves", "mlflow: curves.json upload")
        patch(runs.StudyTracker, "start_trial", "mlflow: start_trial (create_run)")
        import requests

        patch(requests.Session, "request", "http: requests")
    atexit.register(dump)


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def dump() -> None:
    folder = os.environ.get("OPTSWEEP_PROBE_DIR")
    if not folder:
        return
    out = {
        "pid": os.getpid(),
        "process_cpu_s": _process_cpu(),
        **MARKS,
        "process_wall_s": time.perf_counter() - START,
        "stats": {k: v for k, v in STATS.items()},
    }
    with open(os.path.join(folder, f"worker-{os.getpid()}.json"), "w") as f:
        json.dump(out, f)


def main() -> None:
    """Run `optsweep ARGS` (sys.argv[1:]) with the probe installed."""
    install()
    sys.argv = ["optsweep", *sys.argv[1:]]
    runpy.run_module("optsweep", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
