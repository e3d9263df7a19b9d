"""The workers of a sweep: every worker, local process or remote machine, runs the same loop:
under the study's budget lock, claim the next trial (a queued one first) until the budget is
spent; train it outside the lock. The budget counts every trial but failed ones that were queued
to run again, so resuming a study keeps its trials and the total is exact however many workers
join. `run_sweep` runs a whole sweep with local worker processes and closes what an interrupt
cuts short.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from core.errors import ConfigError
from sweeps import storage as storage_mod
from sweeps.attrs import WORKER_ATTR
from sweeps.options import WorkerOrder
from sweeps.outage import OutageError, StorageOutage, ride_out
from sweeps.signals import Interrupted, deaf_to_signals, signals_deferred
from sweeps.study import Progress, close_runs, open_study, progress
from sweeps.sweep import Sweep, check_options
from sweeps.trial import WorkerContext, close_interrupted, run_trials

log = logging.getLogger("optsweep.sweeps")
WATCH_SECONDS = 0.25  # how often an idle worker looks for trials of dead workers to retry
GO = "go"  # what the sweep process writes to its gated workers once the study exists
WARM_UP_SECONDS = 5.0  # how long a gated worker may take to see its input end and leave


def work(
    sweep: Sweep,
    worker_index: int = 0,
    deadline: float | None = None,
    on_trial: Callable[[int, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[tuple[int, str]]:
    """This process's worker loop: claim and run trials until the budget or the deadline (or
    `should_stop()`); then, if tracking writes gave up meanwhile, complete this worker's runs
    (`heal_tracking`)."""
    study, storage, tracker = open_study(sweep, seed_offset=worker_index)
    finished = _loop(sweep, study, storage, tracker, deadline, on_trial, should_stop)
    heal_tracking(study, tracker, [number for number, _ in finished])
    if tracker is not None and progress(study, sweep.spec.trials).done >= sweep.spec.trials:
        tracker.finish_parent("FINISHED")  # workers on their own: the last one out ends it
    storage_mod.release_locks(sweep.storage, sweep.spec.name)
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


def _loop(
    sweep: Sweep, study, storage, tracker, deadline, on_trial, should_stop=None
) -> list[tuple[int, str]]:
    from core import data
    from core.train import warm_kernel

    dataset = sweep.dataset if sweep.dataset is not None else data.load(sweep.spec.data)
    ctx = WorkerContext(
        sweep.spec, dataset, sweep.storage, storage, tracker,
        flush_every=sweep.flush_every, flush_seconds=sweep.flush_seconds,
    )  # fmt: skip
    size = max(1, int(getattr(sweep.spec, "population", None) or 1))
    with signals_deferred():  # numba's compiler swallows a Ctrl-C in its callbacks: it lands
        warm_kernel(sweep.spec.config_for({}), dataset)  # once the epoch is compiled or loaded
    while deadline is None or time.time() < deadline:
        if should_stop is not None and should_stop():
            break  # asked to stop (a cluster's Ctrl-C): between populations, nothing open
        trials: list = []  # filled inside the locked section: an interrupt delivered as it
        try:  # ends must find the claimed trials here to close them
            attempts = [0]

            def claim(claimed: list = trials, attempts: list = attempts) -> list[int]:
                claimed.clear()  # the lock is the connection's: a lost one retries it whole
                attempts[0] += 1
                with (
                    signals_deferred(),
                    storage_mod.budget_lock(sweep.storage, sweep.spec.name, storage),
                ):
                    stale = storage_mod.fail_stale_trials(study, sweep.storage)
                    if attempts[0] > 1:  # what the lost attempt may have claimed
                        stale += storage_mod.fail_lost_claims(study, sweep.storage)
                    claimed.extend(storage_mod.claim_trials(study, sweep.spec.trials, size))
                return stale

            stale = ride_out(claim, sweep.storage.outage_seconds, "the study storage")
            close_runs(tracker, study, stale)
            if not trials:  # budget spent; but a worker that dies now leaves a trial to retry
                with signals_deferred():
                    watched = storage_mod.watched_running(study, sweep.storage)
                if not watched:
                    break
                time.sleep(WATCH_SECONDS)
                continue
            states = run_trials(ctx, study, trials)
        except (KeyboardInterrupt, Interrupted):
            if trials:  # closed by run_trials, or claimed and not yet in its hands
                with deaf_to_signals():
                    for trial in trials:
                        close_interrupted(study, trial)
                    close_runs(tracker, study, [t.number for t in trials])  # runs cut short
            raise
        if on_trial is not None:
            for trial, state in zip(trials, states, strict=True):
                on_trial(trial.number, state.name)
    return ctx.finished


def run_sweep(
    sweep: Sweep,
    workers: int | None = None,
    timeout: float | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_idle: Callable[[], None] | None = None,
):
    """Run the whole sweep: in this process with one worker, else with `workers` local worker
    processes (default: the sweep's options), which start at once but touch the storage only
    once this one has created (or resumed) the study and the parent run.
    `on_idle` is called once no trial is left to start while the last ones run (e.g. to get
    ready for the summary).
    """
    workers = sweep.options.workers if workers is None else workers
    timeout = sweep.options.timeout if timeout is None else timeout
    check_options(workers, timeout)
    deadline = time.time() + timeout if timeout else None
    main = threading.current_thread() is threading.main_thread()  # signals: the main one's
    previous = signal.signal(signal.SIGTERM, _raise_interrupted) if main else None
    procs: list[subprocess.Popen] = []
    study = tracker = None
    try:
        if workers > 1 and not sweep.options.cluster:  # they import while this process
            procs = _start_workers(sweep, range(workers), deadline)  # creates the study
        study, storage, tracker = open_study(sweep)
        _release(procs, go=True)

        def read() -> Progress:
            with signals_deferred():  # an interrupt waits for the read to finish
                return progress(study, sweep.spec.trials)

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
        if sweep.options.cluster:  # Dask tasks; each completes its own runs at its end
            _run_on_cluster(sweep, study, tracker, workers, deadline, wait)
        elif workers == 1:
            finished = _loop(sweep, study, storage, tracker, deadline, show)
            heal_tracking(study, tracker, [number for number, _ in finished])
        else:  # each worker process completes its own runs at its end
            _wait_for_workers(sweep, procs, study, wait)
    except (KeyboardInterrupt, Interrupted) as e:
        with deaf_to_signals():  # a second Ctrl-C does not cut the closing short
            # a terminal's Ctrl-C reached the workers too: let them close their trials first,
            # rather than cut that short with a second signal
            _release(procs, go=False)  # those still waiting for the study leave quietly
            killed = stop_workers(procs, first_wait=1.0 if isinstance(e, KeyboardInterrupt) else 0)
            if study is not None:
                close_after(study, tracker, killed)
                if _cluster_pids:  # a local cluster's workers are gone: close their trials
                    close_after(study, tracker, sorted(_cluster_pids))
                    _cluster_pids.clear()
                if sweep.options.cluster:  # and any a worker of it restarted mid-way left
                    close_runs(tracker, study, storage_mod.fail_stale_trials(study, sweep.storage))
            if tracker is not None:
                tracker.finish_parent("KILLED")
        raise
    except BaseException:  # e.g. the study exists with the other direction: they stop too
        with deaf_to_signals():
            _release(procs, go=False)  # workers still waiting for the study leave quietly
            stop_workers(procs, grace=WARM_UP_SECONDS, first_wait=WARM_UP_SECONDS)
        raise
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
    storage_mod.release_locks(sweep.storage, sweep.spec.name)
    return study, tracker


def _run_on_cluster(sweep: Sweep, study, tracker, workers: int, deadline, look) -> None:
    """The worker loops as tasks on the sweep's Dask cluster (sweeps/cluster.py); a trial a
    lost Dask worker left RUNNING is failed and run again, as for a local worker."""
    from sweeps import cluster

    with cluster.connect(sweep.options.cluster, workers) as client:
        local = sweep.options.cluster == cluster.LOCAL  # processes of this host
        if local:  # now: a Ctrl-C reaches them too, and they may be gone when it is handled
            _cluster_pids.update(cluster.worker_pids(client))
        try:
            cluster.run(client, sweep, workers, deadline, work_task, on_look=look)
        except BaseException:  # their trials are closed like those of killed local workers
            if local:
                _cluster_pids.update(cluster.worker_pids(client))  # any restarted since
            raise
    _cluster_pids.clear()
    with signals_deferred():
        stale = storage_mod.fail_stale_trials(study, sweep.storage)
    close_runs(tracker, study, stale)
    if stale:
        log.warning("%d trial(s) of lost Dask workers failed and queued again", len(stale))


def work_task(sealed, stop_name: str | None = None) -> list[tuple[int, str]]:
    """One worker loop as a Dask task: the order (a SealedOrder) checked again where it runs
    (the stores must answer from that machine too), then trials until the budget or the
    sweep's stop event."""
    from core.population import THREADS_ENV
    from sweeps import sweep as sweep_mod

    os.environ.setdefault(THREADS_ENV, "1")  # one core a Dask worker thread: no oversubscribing
    order = sealed.open()
    plan = sweep_mod.check(order.path, order.options, workdir=order.workdir, doc=order.doc)
    should_stop = None
    if stop_name is not None:
        import distributed

        should_stop = distributed.Event(stop_name).is_set
    try:
        return work(plan, order.index, order.deadline, should_stop=should_stop)
    except StorageOutage as e:  # an Exception for Dask, which reports it to the sweep
        raise OutageError(str(e)) from None


_cluster_pids: set[int] = set()  # the stopped local cluster's worker processes


def order_for(sweep: Sweep, index: int, deadline: float | None) -> WorkerOrder:
    """The order of one local worker process: the sweep's own checked options."""
    options = sweep.options.replace(warm_start=None, warm_start_storage=None)  # the sweep
    return WorkerOrder(  # process made the study, warm start included, before the GO
        str(sweep.spec.path), str(sweep.workdir), options, index, deadline, sweep.spec.doc
    )


def launch_worker(sweep: Sweep, index: int, deadline: float | None, gated: bool = True, **popen):
    """Start one local worker process (`optsweep worker`, the command other machines run).

    Its order goes to its standard input, serialized (the storage and tracking URLs with it:
    never its command line, which `ps` shows to every user of the machine); its command line
    names only the sweep file and the study, for `ps`. `gated`: the worker imports what a
    trial needs, then waits for GO before it touches the storage (`wait_for_go`); else GO
    follows at once and its input ends.
    """
    argv = [sys.executable, "-m", "optsweep", "worker", str(sweep.spec.path),
            "--study", sweep.spec.name, "--wait-for-go"]  # fmt: skip
    proc = subprocess.Popen(argv, cwd=sweep.workdir, stdin=subprocess.PIPE, text=True, **popen)
    proc.stdin.write(order_for(sweep, index, deadline).to_json() + "\n")
    proc.stdin.flush()
    if not gated:
        _release([proc], go=True)
    return proc


def read_order(stream=None) -> WorkerOrder | None:
    """In a worker process started by `launch_worker`: its order, or None when its input ended
    first (the sweep process stopped before it could give one)."""
    line = (stream or sys.stdin).readline()
    return WorkerOrder.from_json(line) if line.strip() else None


def _start_workers(sweep: Sweep, indices, deadline) -> list[subprocess.Popen]:
    """The local workers, each with its share of the cores for its populations' threads."""
    from core.population import threads_env

    env = threads_env(len(indices))
    return [launch_worker(sweep, i, deadline, env=env) for i in indices]


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


def wait_for_go(sweep: Sweep) -> bool:
    """In a gated worker: import what a trial needs while the sweep process creates the study,
    then wait for its GO; False (nothing to do) when its input ends without one. Ctrl-C
    interrupts again once the GO is in; the caller installs the SIGTERM handler."""
    import optuna  # noqa: F401

    import core.train  # noqa: F401
    import sweeps.samplers  # noqa: F401

    if sweep.tracking_uri is not None:
        from tracking.runs import preload

        preload(sweep.tracking_uri)
    go = sys.stdin.readline().strip() == GO
    if go:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return go


def _wait_for_workers(sweep: Sweep, procs, study, show: Callable[[], None]) -> None:
    """Wait for the worker processes to exit, calling `show` between looks; a dead one is an
    error only if trials are missing."""
    while any(proc.poll() is None for proc in procs):
        show()
        time.sleep(WATCH_SECONDS)
    failed = [proc.returncode for proc in procs if proc.returncode not in (0, None)]
    if failed and progress(study, sweep.spec.trials).done < sweep.spec.trials:
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


def close_after(study, tracker, pids: list[int]) -> None:
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
        if (o := t.user_attrs.get(WORKER_ATTR) or {}).get("pid") in pids and o.get("host") == me
    ]
    for t in theirs:
        if t.state == TrialState.RUNNING:
            close_interrupted(study, optuna.trial.Trial(study, storage_mod.trial_id(t)))
    close_runs(tracker, study, [t.number for t in theirs])


def install_sigterm_handler() -> None:
    """SIGTERM behaves like Ctrl-C: the running trial and its run are closed, then exit 143."""
    signal.signal(signal.SIGTERM, _raise_interrupted)
