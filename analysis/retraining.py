"""Re-training chosen configurations over seeds, as populations in worker processes, through
core.

    jobs = [Job(key=("tuned", s), config={...TrainConfig kwargs, "seed": s}, data={...})]
    outcomes = run(jobs, workers=2)          # same order as jobs

A `Job` is plain data (picklable): TrainConfig keyword arguments and DataSpec fields. The jobs
on one data set train together as populations (`core.population.train_population`, one
vectorized pass; each result equals the lone run's), about one per worker process; a `timed`
job, whose seconds are evidence, trains alone. What comes back is an `Outcome` with the final
figures, the per-epoch curves, the seconds at the end of every epoch (for time-to-target) and the
mini-batch cost's noise (see `analysis.statistics.noise`), so no per-step array crosses the
process boundary. A job may stop early once the validation cost falls below `stop_below`
(time-to-target needs nothing after it) or after `max_seconds`.

Workers start with "spawn": the parent may hold MLflow and SQLAlchemy threads, which a forked
child must not inherit. Inside `on_cluster(address, workers)` they are the tasks of a Dask
cluster instead (`--cluster` on `optsweep report` and `optsweep findings`): every `pool` there
is the cluster's executor, so each population trains on a Dask worker, and the outcomes are the
same (a job is plain data in, an Outcome out, deterministic per seed).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

NOISE_BETA = 0.9  # the EWA behind the noise figure: about the last 10 mini-batches
NOTHING_LEARNED = 0.01  # relative distance from the constant guess's cost


@dataclass(frozen=True)
class Job:
    key: Any  # anything hashable that tells the caller what this run is
    config: dict  # TrainConfig keyword arguments, seed included
    data: dict  # DataSpec fields: name, samples, noise, classes, seed
    stop_below: float | None = None  # stop once val_cost < this
    max_seconds: float | None = None  # stop after this much training time
    timed: bool = False  # its seconds are evidence: train it alone, never in a population


@dataclass
class Outcome:
    key: Any
    status: str  # completed | stopped | diverged | error
    reason: str
    final: dict  # train_cost, val_cost, train_accuracy, val_accuracy (None when non-finite)
    epochs_run: int
    seconds: float
    n_batches: int
    steps: int
    val_cost: list[float] = field(default_factory=list)
    train_cost: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)  # wall, cumulative, end of epoch
    epoch_cpu: list[float] = field(default_factory=list)  # this process's CPU time, likewise
    noise: float | None = None
    n_classes: int = 2
    budget: int = 0  # the epochs it was given
    alpha: float = 0.0
    learned_nothing: bool = False  # ended at the cost of a constant guess (see learned_nothing)

    def value(self, objective: str) -> float | None:
        """The objective's final value, None when the run diverged or failed."""
        if self.status in ("diverged", "error"):
            return None
        return self.final.get(objective)


_cluster: contextvars.ContextVar[Executor | None] = contextvars.ContextVar(
    "optsweep_retraining_cluster", default=None
)


def cluster_executor() -> Executor | None:
    """The Dask cluster's executor inside `on_cluster`, else None."""
    return _cluster.get()


def pool(workers: int):
    """Worker processes to re-train in, kept for several `run` calls (a report's rounds), or
    None for one worker. Started with "spawn": the parent may hold MLflow and SQLAlchemy
    threads, which a forked child must not inherit. Inside `on_cluster`: the cluster's
    executor (which the cluster's own context closes)."""
    if _cluster.get() is not None:
        return contextlib.nullcontext(_cluster.get())
    if workers <= 1:
        return contextlib.nullcontext(None)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from core.population import THREADS_ENV, set_threads, threads_env

    share = threads_env(workers)[THREADS_ENV]  # each process its share of the cores
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=set_threads, initargs=(share,),
    )  # fmt: skip


@contextlib.contextmanager
def on_cluster(address: str | None, workers: int, data: Sequence[str] = ()) -> Iterator[None]:
    """Inside, every re-training runs on the Dask cluster at `address` (`local`: a LocalCluster
    of `workers` single-threaded processes; `tcp://`/`tls://`: a running scheduler), as
    `sweep --cluster` connects (sweeps.cluster.connect). None: nothing changes.

    A remote cluster's workers need nothing from this machine but the jobs, except a data set
    read from a file (`data`: the data sets' names): that is refused in one line, as `sweep
    --cluster` refuses file stores. The tasks touch no study or tracking store."""
    if address is None:
        yield
        return
    from sweeps import cluster

    address = cluster.check_address(address)
    check_cluster_data(address, data)
    with cluster.connect(address, max(1, workers)) as client:
        token = _cluster.set(_OneThreadEach(client.get_executor(pure=False)))
        try:
            yield
        finally:
            _cluster.reset(token)


def check_cluster_data(address: str, names: Sequence[str]) -> None:
    """ConfigError (one line) when a remote cluster would train on a data file of this machine."""
    from core.data import BUILTIN
    from core.errors import ConfigError
    from sweeps.cluster import LOCAL

    files = sorted({n for n in names if n not in BUILTIN})
    if address != LOCAL and files:
        raise ConfigError(
            f"--cluster {address} re-trains on other machines, which cannot read the data file "
            f"{files[0]} of this one; use --cluster local, or run without --cluster"
        )


class _OneThreadEach(Executor):
    """A Dask executor whose tasks train with one thread each (a Dask worker runs one task per
    thread: a population's own threads would oversubscribe its cores)."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner

    def submit(self, fn, /, *args, **kwargs):
        return self.inner.submit(_one_thread, fn, *args, **kwargs)


def _one_thread(fn, *args, **kwargs):
    from core.population import THREADS_ENV

    os.environ.setdefault(THREADS_ENV, "1")
    return fn(*args, **kwargs)


def run(
    jobs: Sequence[Job],
    workers: int = 1,
    on_done: Callable[[Outcome], None] | None = None,
    processes=None,
) -> list[Outcome]:
    """Run every job; outcomes in the order of `jobs`.

    Jobs on the same data set train as populations (`core.population.train_population`: one
    vectorized pass for many configurations, each result its lone run's), split into about
    `workers` of them, each in its own process when `workers` > 1 (in `processes`, from
    `pool`, when given). A `timed` job, whose seconds are evidence, trains alone.
    """
    tasks = _tasks(jobs, workers)
    done: dict[int, Outcome] = {}

    def finish(indices: list[int], outcomes: list[Outcome]) -> None:
        for i, o in zip(indices, outcomes, strict=True):
            done[i] = o
            if on_done:
                on_done(o)

    if processes is None:
        processes = _cluster.get()  # inside on_cluster: every population goes to the cluster
    if processes is None and (workers <= 1 or len(tasks) <= 1):
        for indices in tasks:
            finish(indices, run_population([jobs[i] for i in indices]))
        return [done[i] for i in range(len(jobs))]
    from concurrent.futures import as_completed

    with contextlib.ExitStack() as stack:
        if processes is None:
            processes = stack.enter_context(pool(min(workers, len(tasks))))
        futures = {
            processes.submit(run_population, [jobs[i] for i in indices]): indices
            for indices in tasks
        }
        for f in as_completed(futures):
            finish(futures[f], f.result())
    return [done[i] for i in range(len(jobs))]


def _tasks(jobs: Sequence[Job], workers: int) -> list[list[int]]:
    """Job indices in tasks, longest first: each timed job alone; the others by data set,
    dealt into about `workers` populations of similar work (by a greedy longest-first deal)."""
    tasks = [[i] for i, j in enumerate(jobs) if j.timed]
    by_data: dict[tuple, list[int]] = {}
    for i, j in enumerate(jobs):
        if not j.timed:
            by_data.setdefault(tuple(sorted(j.data.items())), []).append(i)
    for indices in by_data.values():
        n = max(1, min(workers, len(indices)))
        bins: list[list[int]] = [[] for _ in range(n)]
        load = [0.0] * n
        for i in sorted(indices, key=lambda i: -_work(jobs[i])):
            k = load.index(min(load))
            bins[k].append(i)
            load[k] += _work(jobs[i])
        tasks += [sorted(b) for b in bins if b]
    return sorted(tasks, key=lambda t: -sum(_work(jobs[i]) for i in t))


def _work(job: Job) -> float:
    """A rough cost: epochs x mini-batches per epoch (samples unknown here: relative only)."""
    from core.train import TrainConfig

    epochs = job.config.get("epochs", TrainConfig.epochs)
    batch = TrainConfig.batch_size
    return epochs * (1 + batch / max(1, job.config.get("batch_size", batch)))


def run_job(job: Job) -> Outcome:
    """Train one job in this process (alone); an exception becomes status 'error'."""
    return run_population([job])[0]


def run_population(jobs: Sequence[Job]) -> list[Outcome]:
    """Train `jobs` (one data set) in this process: alone when there is one, else as a
    population; a job whose settings or data are refused becomes an Outcome with status
    'error', and the others go on."""
    from core.errors import UserError
    from core.population import train_population
    from core.train import TrainConfig

    out: dict[int, Outcome] = {}
    ready = []
    for i, job in enumerate(jobs):
        try:
            ready.append((i, job, _dataset(tuple(sorted(job.data.items()))),
                          TrainConfig(**job.config)))  # fmt: skip
        except (UserError, ValueError) as e:
            budget, alpha = job.config.get("epochs", 0), job.config.get("alpha", 0.0)
            out[i] = Outcome(job.key, "error", str(e), {}, 0, 0.0, 0, 0, budget=budget,
                             alpha=alpha)  # fmt: skip
    if ready:
        clocks = [_Clock(job.stop_below, job.max_seconds) for _, job, _, _ in ready]
        dataset = ready[0][2]
        configs = [config for *_, config in ready]
        results = train_population(configs, dataset, clocks)  # a lone job trains alone
        for (i, job, ds, config), clock, result in zip(ready, clocks, results, strict=True):
            out[i] = _outcome(job, config, ds, clock, result)
    return [out[i] for i in range(len(jobs))]


def _outcome(job: Job, config, dataset, clock: _Clock, result) -> Outcome:
    return Outcome(
        key=job.key,
        status=result.status,
        reason=result.reason,
        final=dict(result.final),
        epochs_run=result.epochs_run,
        seconds=result.seconds,
        n_batches=result.n_batches,
        steps=len(result.step_cost),
        val_cost=[float(x) for x in result.history["val_cost"]],
        train_cost=[float(x) for x in result.history["train_cost"]],
        val_accuracy=[float(x) for x in result.history["val_accuracy"]],
        epoch_seconds=clock.seconds,
        epoch_cpu=clock.cpu,
        noise=_noise(result.step_cost),
        n_classes=dataset.n_classes,
        budget=config.epochs,
        alpha=config.alpha,
        learned_nothing=learned_nothing(result, dataset.y),
    )


def learned_nothing(result, y) -> bool:
    """The run ended no better than a constant guess (see `at_constant_guess`); a diverged run
    and one with L2 (its cost has a penalty in it) never count."""
    cost = result.final.get("train_cost")
    if result.status == "diverged" or result.config.l2 > 0:
        return False
    return at_constant_guess(cost, y)


def guess_cost(y) -> float:
    """The cross-entropy of predicting every row by the class frequencies (their entropy)."""
    import numpy as np

    counts = np.bincount(np.asarray(y))
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def at_constant_guess(train_cost: float | None, y) -> bool:
    """A final training cost within NOTHING_LEARNED of `guess_cost`, as a network whose ReLUs
    all died ends: such a run says nothing about its hyperparameters."""
    import math

    if train_cost is None or not math.isfinite(train_cost):
        return False
    guess = guess_cost(y)
    return abs(train_cost - guess) <= NOTHING_LEARNED * guess


class _Clock:
    """The per-epoch callback: wall and CPU time at the end of each epoch, and the early stops.

    CPU time (time.process_time) is what a comparison of speeds should use on a busy machine:
    another process stealing the core lengthens wall time, not this process's CPU time.
    """

    def __init__(self, stop_below: float | None, max_seconds: float | None) -> None:
        self.start, self.cpu_start = time.perf_counter(), time.process_time()
        self.stop_below, self.max_seconds = stop_below, max_seconds
        self.seconds: list[float] = []
        self.cpu: list[float] = []

    def __call__(self, m) -> bool:
        elapsed = time.perf_counter() - self.start
        self.seconds.append(elapsed)
        self.cpu.append(time.process_time() - self.cpu_start)
        if self.stop_below is not None and m.val_cost < self.stop_below:
            return True
        return self.max_seconds is not None and elapsed >= self.max_seconds


def _noise(step_cost) -> float | None:
    import numpy as np

    from analysis.statistics import noise
    from core.optimizers import ewa

    c = np.asarray(step_cost, dtype=np.float64)
    if c.size < 10 or not np.all(np.isfinite(c)):
        return None
    return noise(c, ewa(c, NOISE_BETA))


@lru_cache(maxsize=8)
def _dataset(items: tuple):
    from core import data

    return data.load(data.DataSpec(**dict(items)))
