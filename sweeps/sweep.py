"""A sweep, checked before anything is written: the sweep file, the data set, the storage of
its study and the tracking store.

    sweep = check("sweeps/default.toml", trials=40)   # every input checked; nothing written
    workers.run_sweep(sweep, workers=2)               # then the study, its runs, the trials
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import ConfigError
from sweeps import storage as storage_mod
from sweeps.sweep_file import population_size

FLUSH_EVERY = 100  # epochs
FLUSH_SECONDS = 5.0


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: nothing has been written yet."""

    spec: object  # sweeps.sweep_file.SweepSpec
    storage: storage_mod.StorageConfig
    tracking_uri: str | None  # None: run without MLflow
    workdir: Path
    flush_every: int = FLUSH_EVERY  # epochs between writes of a trial's curves (a killed
    flush_seconds: float = FLUSH_SECONDS  # worker loses at most this much of its trial)
    dataset: object = field(default=None, compare=False, repr=False)  # core.data.Dataset, as
    # loaded by check: a worker trains on it instead of loading (a file: parsing) it again


def check(
    path: str | Path,
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
    population: int | str | None = None,
) -> Sweep:
    """Load and check the sweep file, the data set, the storage and the tracking store."""
    from core import data
    from sweeps import sweep_file
    from tracking import store

    spec = sweep_file.load(path)
    if trials is not None and trials < 1:
        raise ConfigError(f"--trials must be >= 1, got {trials}")
    if flush_every < 1:
        raise ConfigError(f"--flush-every must be >= 1 epoch, got {flush_every}")
    if not flush_seconds > 0:
        raise ConfigError(f"--flush-seconds must be > 0, got {flush_seconds}")
    spec = spec.with_overrides(trials=trials, name=study)
    dataset = data.load(spec.data)  # a data set that cannot load fails here, before anything
    size = spec.population if population is None else population_size(population)
    spec = dataclasses.replace(spec, population=size or auto_population(spec, dataset))
    storage_cfg = storage_mod.resolve(storage, workdir, heartbeat_interval, grace_period, max_retry)
    storage_mod.check_writable(storage_cfg)  # a read-only or full disk: refused before any trial
    if not storage_cfg.is_journal:
        storage_mod.check_reachable(storage_cfg.url)
    uri = None
    if track:
        uri = store.resolve(tracking_uri, workdir)
        store.check_reachable(uri)
    workdir = Path(workdir).resolve()
    return Sweep(spec, storage_cfg, uri, workdir, flush_every, flush_seconds, dataset)


AUTO_POPULATION = 8  # trials a worker trains together when that pays (BENCHMARKS.md)
AUTO_MAX_PARAMETERS = 10_000  # ... which it does for networks this small


def auto_population(spec, dataset) -> int:
    """The population size "auto" means: AUTO_POPULATION trials at once for a network of at
    most AUTO_MAX_PARAMETERS parameters (a step's time is then mostly Python and NumPy call
    overhead, which a population shares), one at a time for a larger one (its matrix products
    already keep the cores busy)."""
    from core.network import Architecture
    from core.train import TrainConfig

    layers = tuple(spec.train.get("layers", TrainConfig.layers))
    arch = Architecture.for_data(dataset.X.shape[1], layers, dataset.n_classes, "relu")
    return AUTO_POPULATION if arch.n_params <= AUTO_MAX_PARAMETERS else 1


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
