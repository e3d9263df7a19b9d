"""What a claim's runs say: final values, epochs or seconds to a target, mean and SE, the seeds
on which a network learned nothing, log-log slopes; and running a measurement over seeds."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import lru_cache, partial

import numpy as np

from analysis import statistics
from analysis.retraining import Outcome, at_constant_guess, guess_cost

__all__ = ["at_constant_guess", "guess_cost"]  # the findings read the runs as the report does


def final(outcomes: Sequence[Outcome], worst: float = math.log(2)) -> list[float]:
    """Final validation cost per seed; a diverged run counts as `worst` (see statistics)."""
    out = []
    for o in outcomes:
        v = o.value("val_cost")
        out.append(worst if v is None or not math.isfinite(v) else max(v, 0.0))
    return out


def to_target(outcomes: Sequence[Outcome], target: float, clock: str = "epochs"):
    """(values, never reached): epochs, CPU or wall seconds until val_cost < target, per seed;
    a run that never got there counts as its whole budget (a lower bound)."""
    out, missed = [], 0
    for o in outcomes:
        e = statistics.epochs_to_target(o.val_cost, target) if o.status != "diverged" else None
        series = {"epochs": None, "cpu": o.epoch_cpu, "wall": o.epoch_seconds}[clock]
        if e is None:
            missed += 1
            budget = o.budget if clock == "epochs" else (series[-1] if series else 0.0)
            out.append(float(budget))
        else:
            out.append(float(e) if clock == "epochs" else float(series[e - 1]))
    return out, missed


def summary(xs: Sequence[float]) -> dict:
    """{"mean", "se", "values"}: what the tables print as mean ± SE and per seed."""
    values = [float(x) for x in xs]
    m, se = statistics.mean_se(values)
    return {"mean": m, "se": se, "values": values}


def drop_dead_seeds(runs: dict, seeds: Sequence[int]) -> tuple[dict, list[int]]:
    """Leave out the seeds on which every arm learned nothing (see retraining.learned_nothing):
    whatever the setting, that seed's network died, so it says nothing about the settings.
    (runs without those seeds, the seeds left out)."""
    dead = [
        i for i in range(len(seeds))
        if all(len(outs) > i and outs[i].learned_nothing for outs in runs.values())
    ]  # fmt: skip
    kept = {label: [o for i, o in enumerate(outs) if i not in dead] for label, outs in runs.items()}
    return kept, [seeds[i] for i in dead]


def nothing_learned(runs: dict, seeds: Sequence[int]) -> list[str]:
    """'label: seed s, ...' for every arm with runs that learned nothing."""
    out = []
    for label, outs in runs.items():
        dead = [str(o.key[1]) for o in outs if o.learned_nothing]
        if dead:
            name = "/".join(map(str, label)) if isinstance(label, tuple) else str(label)
            out.append(f"{name}: seed {', '.join(dead)}")
    return out


def mean_curves(runs: dict) -> dict:
    """Label -> mean validation cost per epoch over the seeds (for the plots)."""
    out = {}
    for label, outs in runs.items():
        n = min(len(o.val_cost) for o in outs)
        out[label] = [sum(o.val_cost[i] for o in outs) / len(outs) for i in range(n)]
    return out


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line log10 y = slope log10 x + intercept."""
    slope, intercept = np.polyfit(np.log10(x), np.log10(y), 1)
    return float(slope), float(intercept)


def map_seeds(fn: Callable[[int], dict], seeds: Sequence[int], workers: int = 1) -> list[dict]:
    """[fn(seed) for seed in seeds], on `workers` processes when more than one (fn must be a
    module-level function, so that it pickles), each with one BLAS thread (`one_thread`); on
    the Dask cluster of `analysis.retraining.on_cluster` when inside one."""
    from analysis.retraining import cluster_executor

    call = partial(_one_thread, fn)
    if (cluster := cluster_executor()) is not None:
        return list(cluster.map(call, seeds))
    if workers <= 1 or len(seeds) < 2:
        return [call(s) for s in seeds]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(workers, len(seeds))) as pool:
        return list(pool.map(call, seeds))


def one_thread():
    """A context in which BLAS runs on one thread: these matrices are small, and on shared
    cores more threads only spin (and make timings noise)."""
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    return threadpool_limits(limits=1, user_api="blas")


def _one_thread(fn: Callable[[int], dict], seed: int) -> dict:
    with one_thread():
        return fn(seed)


@lru_cache(maxsize=8)
def dataset(name: str):
    """core.data.load(DataSpec(name)) once per process (a scikit-learn table takes 0.5 s to
    read; `setup` copies what it splits, so the one Dataset is never written)."""
    from core.data import DataSpec, load

    return load(DataSpec(name))
