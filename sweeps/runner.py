"""Running a sweep: validate everything, create or resume the study, run workers, summarize.

    plan = runner.plan("sweeps/default.toml", trials=40)     # validates; writes nothing
    outcome = runner.sweep(plan, workers=2, on_progress=...)  # study + parent run + trials

Every worker, local process or remote machine, runs the same loop: under the study's budget
lock, claim the next trial (a queued one first) until the budget is spent; train it outside the
lock. The budget counts every trial but failed ones that were queued to run again, so resuming a
study keeps its trials and the total is exact however many workers join.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigError
from sweeps import storage as storage_mod
from sweeps.objective import (
    Interrupted,
    WorkerContext,
    close_interrupted,
    deaf_to_signals,
    run_trial,
    signals_deferred,
)

log = logging.getLogger("optsweep.sweeps")
PARENT_ATTR = "mlflow_parent_run_id"
SPEC_ATTR = "optsweep.sweep_file"
WATCH_SECONDS = 0.25  # how often an idle worker looks for trials of dead workers to retry
FLUSH_EVERY = 100  # epochs
FLUSH_SECONDS = 5.0
# Local worker processes read the storage and tracking URLs from the environment, not argv:
# a password in them would show in `ps` to every user of the machine.
STORAGE_ENV = "OPTSWEEP_STORAGE"
TRACKING_ENV = "OPTSWEEP_TRACKING_URI"
GO = "go"  # what the sweep process writes to its gated workers once the study exists
WARM_UP_SECONDS = 5.0  # how long a gated worker may take to see its input end and leave


@dataclass(frozen=True)
class Plan:
    """A validated sweep: nothing has been written yet."""

    spec: object  # sweeps.spec.SweepSpec
    storage: storage_mod.StorageConfig
    tracking_uri: str | None  # None: run without MLflow
    workdir: Path
    flush_every: int = FLUSH_EVERY  # epochs between writes of a trial's curves (a killed
    flush_seconds: float = FLUSH_SECONDS  # worker loses at most this much of its trial)


def plan(
    sweep_file: str | Path,
    *,
    trials: int | None = None,
    study: str | None = None,
    storage: str | None = None,
    tracking_uri: str | None = None,
    workdir: str | Path = ".",
    heartbeat_interval: int = 10,
    grace_period: int | None = None,
    max_retry: int = 2,
    track: bool = True,
    flush_every: int = FLUSH_EVERY,
    flush_seconds: float = FLUSH_SECONDS,
) -> Plan:
    """Load and check the sweep file, the data set, the storage and the tracking store."""
    from core import data
    from sweeps import spec as spec_mod
    from tracking import store

    spec = spec_mod.load(sweep_file)
    if trials is not None and trials < 1:
        raise ConfigError(f"--trials must be >= 1, got {trials}")
    if flush_every < 1:
        raise ConfigError(f"--flush-every must be >= 1 epoch, got {flush_every}")
    if not flush_seconds > 0:
        raise ConfigError(f"--flush-seconds must be > 0, got {flush_seconds}")
    spec = spec.with_overrides(trials=trials, name=study)
    data.load(spec.data)  # a data set that cannot load fails here, before anything is created
    storage_cfg = storage_mod.resolve(storage, workdir, heartbeat_interval, grace_period, max_retry)
    storage_mod.check_writable(storage_cfg)  # a read-only or full disk: refused before any trial
    if not storage_cfg.is_journal:
        storage_mod._check_reachable(storage_cfg.url)
    uri = None
    if track:
        uri = store.resolve(tracking_uri, workdir)
        store.check_reachable(uri)
    return Plan(spec, storage_cfg, uri, Path(workdir).resolve(), flush_every, flush_seconds)


def _open_study(p: Plan, seed_offset: int = 0):
    import optuna

    from sweeps.samplers import make_pruner, make_sampler

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from sweeps.spec import MAX_SEED

    # each worker samples with its own seed; past NumPy's largest seed it wraps around
    spec = dataclasses.replace(p.spec, seed=(p.spec.seed + seed_offset) % (MAX_SEED + 1))
    storage = storage_mod.open_storage(p.storage)
    study = optuna.create_study(
        study_name=p.spec.name,
        storage=storage,
        direction=p.spec.direction,
        sampler=make_sampler(spec),
        pruner=make_pruner(spec),
        load_if_exists=True,
    )
    if study.direction.name.lower() != p.spec.direction:
        raise ConfigError(
            f"study {p.spec.name!r} already exists and {study.direction.name.lower()}s; "
            f"this sweep file {p.spec.direction}s {p.spec.objective}: pass --study NEW_NAME"
        )
    return study, storage


def prepare(p: Plan, seed_offset: int = 0):
    """Create or resume the study and its parent run; return (study, storage, tracker).

    Under the budget lock, so that workers starting together enqueue the all-defaults trial
    once and share one parent run.
    """
    study, storage = _open_study(p, seed_offset)
    tracker = None
    if p.tracking_uri is not None:
        from tracking.runs import preload

        preload(p.tracking_uri)  # not under the lock: workers starting together import at once
    with storage_mod.budget_lock(p.storage, p.spec.name, storage):
        if not study.get_trials(deepcopy=False):
            defaults = p.spec.space.default_params()
            if defaults:  # the textbook defaults are always measured, first
                study.enqueue_trial(defaults, user_attrs={"optsweep.defaults": True})
            study.set_user_attr(SPEC_ATTR, str(p.spec.path))
        stale = storage_mod.fail_stale_trials(study, p.storage)
        if p.tracking_uri is not None:
            tracker = _open_parent(p, study)
    _close_runs(tracker, study, stale)
    return study, storage, tracker


def _close_runs(tracker, study, numbers: list[int]) -> None:
    """End the MLflow runs that dead workers left RUNNING (their trials were just failed)."""
    if tracker is not None and numbers:
        from sweeps import sync

        sync.close_runs(tracker, study, numbers)


def _open_parent(p: Plan, study):
    from tracking.runs import StudyTracker

    tracker = StudyTracker(p.tracking_uri, p.spec.name)
    known = study.user_attrs.get(PARENT_ATTR)
    params = {
        "sweep_file": str(p.spec.path),
        "trials": p.spec.trials,
        "sampler": p.spec.sampler,
        "pruner": p.spec.pruner,
        "objective": p.spec.objective,
        "direction": p.spec.direction,
        "seed": p.spec.seed,
        "storage": p.storage.shown,
        **{f"fixed.{k}": v for k, v in p.spec.train.items()},
        "fixed.data": p.spec.data.name,
    }
    run_id = tracker.open_parent(params, parent_run_id=known)
    if run_id != known:
        study.set_user_attr(PARENT_ATTR, run_id)
    return tracker


def work(
    p: Plan,
    worker_index: int = 0,
    deadline: float | None = None,
    on_trial: Callable[[int, str], None] | None = None,
) -> list[tuple[int, str]]:
    """This process's worker loop: claim and run trials until the budget or the deadline; then,
    if tracking writes gave up meanwhile, complete this worker's runs (`heal_tracking`)."""
    study, storage, tracker = prepare(p, seed_offset=worker_index)
    finished = _loop(p, study, storage, tracker, deadline, on_trial)
    heal_tracking(study, tracker, [number for number, _ in finished])
    if tracker is not None and progress(study, p.spec.trials).done >= p.spec.trials:
        tracker.finish_parent("FINISHED")  # workers on their own: the last one out ends it
    return finished


def heal_tracking(study, tracker, numbers: list[int]) -> str | None:
    """At the end of a worker: if some of its tracking writes gave up (the store was down) and
    the store answers again, give the runs of the trials it ran what `optsweep sync` would
    (missing runs, epochs, final figures, the right status), and say so in one line; if the
    store is still down, say that `optsweep sync` will do it. Returns the line said, or None
    when no write had given up.

    Each worker heals only its own trials, once it is done with them: the runs of another
    worker's trials may still be being written by it, and writing them from here as well would
    write them twice. (`optsweep sync` does the whole study, the parent run included.)
    """
    from sweeps import sync
    from tracking import store
    from tracking.errors import TrackingError

    if tracker is None or not tracker.degraded:
        return None
    name, shown = tracker.study_name, store.mask(tracker.tracking_uri)
    later = f"run `optsweep sync {name}` once it is back"
    try:
        store.check_reachable(tracker.tracking_uri)
        with signals_deferred():
            trials = study.get_trials(deepcopy=False)
            runs = tracker.trial_runs()
            done = [sync.sync_trial(tracker, trials[n], runs.get(n), trials) for n in numbers]
    except TrackingError:
        return _say(f"some MLflow writes gave up during the trials and the store {shown} is "
                    f"still unavailable: {later}")  # fmt: skip
    except Exception as e:  # never a traceback after the trials: they are safe in the study
        from tracking.retry import describe

        return _say(f"could not complete the MLflow runs of study {name} ({describe(e)}): {later}")
    return _say(
        f"some MLflow writes gave up during the trials; the store {shown} answers now, so this "
        f"worker's runs of study {name} were completed as `optsweep sync` does "
        f"({done.count('created')} created, {done.count('repaired')} completed or re-ended)"
    )


def _say(line: str) -> str:
    log.warning("%s", line)
    return line


def _loop(p: Plan, study, storage, tracker, deadline, on_trial) -> list[tuple[int, str]]:
    from core import data

    ctx = WorkerContext(
        p.spec, data.load(p.spec.data), p.storage, storage, tracker,
        flush_every=p.flush_every, flush_seconds=p.flush_seconds,
    )  # fmt: skip
    while deadline is None or time.time() < deadline:
        trial = None
        try:
            with signals_deferred(), storage_mod.budget_lock(p.storage, p.spec.name, storage):
                stale = storage_mod.fail_stale_trials(study, p.storage)
                trial = storage_mod.claim_trial(study, p.spec.trials)
            _close_runs(tracker, study, stale)
            if trial is None:  # budget spent; but a worker that dies now leaves a trial to retry
                with signals_deferred():
                    watched = storage_mod.watched_running(study, p.storage)
                if not watched:
                    break
                time.sleep(WATCH_SECONDS)
                continue
            state = run_trial(ctx, study, trial)
        except (KeyboardInterrupt, Interrupted):
            if trial is not None:  # closed by run_trial, or claimed and not yet in its hands
                with deaf_to_signals():
                    close_interrupted(study, trial)
                    _close_runs(tracker, study, [trial.number])  # a run cut short while made
            raise
        if on_trial is not None:
            on_trial(trial.number, state.name)
    return ctx.finished


@dataclass
class Progress:
    """What the progress bar shows, read from the storage."""

    done: int
    total: int
    best: float | None
    running: int


def progress(study, budget: int) -> Progress:
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    counted = storage_mod.counted(trials)
    finished = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    done = sum(t.state in finished for t in counted)
    values = [t.value for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
    best = None
    if values:
        best = min(values) if study.direction.name == "MINIMIZE" else max(values)
    running = sum(t.state == TrialState.RUNNING for t in trials)
    return Progress(min(done, budget), budget, best, running)


MAX_WORKERS = 256  # local processes; more would meet the system's process and memory limits


def check_workers(workers: int) -> None:
    if workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    if workers > MAX_WORKERS:
        raise ConfigError(
            f"--workers must be at most {MAX_WORKERS} local processes, got {workers}; for more, "
            "start `optsweep worker` on other machines (docs/distributed.md)"
        )


def check_options(workers: int = 1, timeout: float | None = None) -> None:
    """The sweep's own options, checked before anything is printed or written."""
    check_workers(workers)
    if timeout is not None and not timeout > 0:
        raise ConfigError(f"--timeout must be > 0 seconds, got {timeout}")


def sweep(
    p: Plan,
    workers: int = 1,
    timeout: float | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_idle: Callable[[], None] | None = None,
):
    """Run the whole sweep: in this process with one worker, else with `workers` local worker
    processes, which start at once but touch the storage only once this one has created (or
    resumed) the study and the parent run.
    `on_idle` is called once no trial is left to start while the last ones run (e.g. to get
    ready for the summary).
    """
    check_options(workers, timeout)
    deadline = time.time() + timeout if timeout else None
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    procs: list[subprocess.Popen] = []
    study = tracker = None
    try:
        if workers > 1:  # they import while this process creates the study, then wait for it
            procs = _start_workers(p, range(workers), deadline)
        study, storage, tracker = prepare(p)
        _release(procs, go=True)

        def read() -> Progress:
            with signals_deferred():  # an interrupt waits for the read to finish
                return progress(study, p.spec.trials)

        def show(*_) -> None:
            if on_progress:
                on_progress(read())

        def wait() -> None:
            if not (on_progress or on_idle):
                return
            now = read()
            if on_progress:
                on_progress(now)
            if on_idle and now.done + now.running >= now.total:
                on_idle()

        show()
        if workers == 1:
            finished = _loop(p, study, storage, tracker, deadline, show)
            heal_tracking(study, tracker, [number for number, _ in finished])
        else:  # each worker process completes its own runs at its end
            _wait_for_workers(p, procs, study, wait)
    except (KeyboardInterrupt, Interrupted) as e:
        with deaf_to_signals():  # a second Ctrl-C does not cut the closing short
            # a terminal's Ctrl-C reached the workers too: let them close their trials first,
            # rather than cut that short with a second signal
            _release(procs, go=False)  # those still waiting for the study leave quietly
            killed = stop_workers(procs, first_wait=1.0 if isinstance(e, KeyboardInterrupt) else 0)
            if study is not None:
                _close_after(study, tracker, killed)
            if tracker is not None:
                tracker.finish_parent("KILLED")
        raise
    except BaseException:  # e.g. the study exists with the other direction: they stop too
        with deaf_to_signals():
            _release(procs, go=False)  # workers still waiting for the study leave quietly
            stop_workers(procs, grace=WARM_UP_SECONDS, first_wait=WARM_UP_SECONDS)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    return study, tracker


def worker_argv(p: Plan, index: int, deadline: float | None, gated: bool = False) -> list[str]:
    """The command line of one local worker process (the same command remote machines run).

    The storage and tracking URLs are not on it: `worker_env` passes them. `gated`: the worker
    imports what a trial needs, then waits for GO on its standard input before it touches the
    storage (`wait_for_go`).
    """
    argv = [
        sys.executable, "-m", "optsweep", "worker", str(p.spec.path),
        "--study", p.spec.name, "--trials", str(p.spec.trials), "--worker-index", str(index),
        "--heartbeat-interval", str(p.storage.heartbeat_interval),
        "--grace-period", str(p.storage.grace_period), "--max-retry", str(p.storage.max_retry),
        "--flush-every", str(p.flush_every), "--flush-seconds", repr(p.flush_seconds),
    ]  # fmt: skip
    if not p.tracking_uri:
        argv.append("--no-track")
    if deadline is not None:
        argv += ["--deadline", repr(deadline)]
    if gated:
        argv.append("--wait-for-go")
    return argv


def worker_env(p: Plan, base: dict | None = None) -> dict[str, str]:
    """The environment of a local worker process: `base` (os.environ) plus the two URLs."""
    env = dict(os.environ if base is None else base)
    env[STORAGE_ENV] = p.storage.url
    if p.tracking_uri:
        env[TRACKING_ENV] = p.tracking_uri
    else:
        env.pop(TRACKING_ENV, None)
    return env


def _start_workers(p: Plan, indices, deadline) -> list[subprocess.Popen]:
    env = worker_env(p)
    return [
        subprocess.Popen(
            worker_argv(p, i, deadline, gated=True),
            cwd=p.workdir,
            env=env,
            stdin=subprocess.PIPE,
            text=True,
        )
        for i in indices
    ]


def _release(procs, go: bool) -> None:
    """Tell gated workers that the study is ready (GO), or, ending their input, that it never
    will be."""
    for proc in procs:
        with contextlib.suppress(OSError, ValueError):  # a worker that died already
            if go:
                proc.stdin.write(GO + "\n")
            proc.stdin.close()


def quiet_until_go() -> None:
    """In a gated worker, first thing: until the GO, SIGTERM and Ctrl-C end the process at once
    and without a word (`wait_for_go` gives them back their usual meaning).

    Before the GO this worker has touched nothing, and a signal then means the sweep process is
    stopping: it could not start (it prints the one error line) or it was interrupted (it says
    so). With the usual handlers a worker still importing when the sweep gave up waiting and
    sent SIGTERM printed `terminated` beside that one line, on a loaded machine.
    """

    def leave(signum, frame) -> None:
        os._exit(0)  # nothing to close: no storage, no run, no trial yet

    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, leave)


def wait_for_go(p: Plan) -> bool:
    """In a gated worker: import what a trial needs while the sweep process creates the study,
    then wait for its GO; False (nothing to do) when its input ends without one. Ctrl-C
    interrupts again once the GO is in; the caller installs the SIGTERM handler."""
    import optuna  # noqa: F401

    import core.train  # noqa: F401
    import sweeps.samplers  # noqa: F401

    if p.tracking_uri is not None:
        from tracking.runs import preload

        preload(p.tracking_uri)
    go = sys.stdin.readline().strip() == GO
    if go:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return go


def _wait_for_workers(p: Plan, procs, study, show: Callable[[], None]) -> None:
    """Wait for the worker processes to exit, calling `show` between looks; a dead one is an
    error only if trials are missing."""
    while any(proc.poll() is None for proc in procs):
        show()
        time.sleep(WATCH_SECONDS)
    failed = [proc.returncode for proc in procs if proc.returncode not in (0, None)]
    if failed and progress(study, p.spec.trials).done < p.spec.trials:
        raise ConfigError(f"{len(failed)} worker process(es) failed (exit {failed[0]})")
    if failed:  # the others ran the dead one's trial again: the study is whole
        log.warning("%d worker process(es) died (exit %s); their trials ran again", len(failed),
                    failed[0])  # fmt: skip
    show()


def _raise_interrupted(signum, frame):
    raise Interrupted()


def stop_workers(procs, grace: float = 3.0, first_wait: float = 0.0) -> list[int]:
    """Ask workers to close their trials (SIGTERM, after `first_wait` seconds for those that
    got the signal already), kill what is left after `grace` seconds; return the pids killed."""
    end = time.monotonic() + grace
    polite_end = time.monotonic() + min(first_wait, grace)
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.0, polite_end - time.monotonic()))
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    killed = []
    for proc in procs:
        try:
            proc.wait(timeout=max(0.0, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            killed.append(proc.pid)
    return killed


def _close_after(study, tracker, pids: list[int]) -> None:
    """Close what workers killed in the middle of closing left open: their RUNNING trials (FAIL,
    queued again) and the MLflow runs of their failed trials."""
    if not pids:
        return
    import optuna
    from optuna.trial import TrialState

    me = storage_mod.worker_identity()["host"]
    theirs = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.FAIL))
        if (o := t.user_attrs.get(storage_mod.WORKER_ATTR) or {}).get("pid") in pids
        and o.get("host") == me
    ]
    for t in theirs:
        if t.state == TrialState.RUNNING:
            close_interrupted(study, optuna.trial.Trial(study, t._trial_id))
    _close_runs(tracker, study, [t.number for t in theirs])


def install_sigterm_handler() -> None:
    """SIGTERM behaves like Ctrl-C: the running trial and its run are closed, then exit 143."""
    signal.signal(signal.SIGTERM, _raise_interrupted)
