"""A sweep, checked before anything is written: the sweep file, the data set, the storage of
its study and the tracking store.

    sweep = check("sweeps/default.toml", SweepOptions(trials=40))   # checked; nothing written
    workers.run_sweep(sweep)                                        # then the study and trials
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import ConfigError
from sweeps import storage as storage_mod
from sweeps.options import FLUSH_EVERY, FLUSH_SECONDS, SweepOptions
from sweeps.sweep_file import SweepSpec, population_size

if TYPE_CHECKING:
    from core.data import Dataset

__all__ = ["FLUSH_EVERY", "FLUSH_SECONDS", "Sweep", "SweepOptions", "check"]


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: nothing has been written yet. `options` are resolved: the study's
    name, its budget and its population are the ones it runs with, the URLs absolute."""

    spec: SweepSpec
    storage: storage_mod.StorageConfig
    tracking_uri: str | None  # None: run without MLflow
    workdir: Path
    options: SweepOptions = field(default_factory=SweepOptions)
    dataset: Dataset | None = field(default=None, compare=False, repr=False)  # as loaded by
    # check: a worker trains on it instead of loading (a file: parsing) it again

    @property
    def flush_every(self) -> int:
        return self.options.flush_every

    @property
    def flush_seconds(self) -> float:
        return self.options.flush_seconds


def check(
    path: str | Path,
    options: SweepOptions | None = None,
    *,
    workdir: str | Path = ".",
    doc: dict | None = None,
    **changes,
) -> Sweep:
    """Load and check the sweep file, the data set, the storage and the tracking store.
    `doc`: the sweep file's parsed document, read instead of the file at `path` (which then
    only says where it came from). `changes`: SweepOptions fields that replace those of
    `options` (e.g. trials=40)."""
    from core import data
    from sweeps import sweep_file
    from tracking import store

    opts = (options or SweepOptions()).replace(**changes)
    spec = sweep_file.load(path) if doc is None else sweep_file.load_doc(doc, path)
    check_options(opts.workers, opts.timeout)
    if opts.trials is not None and opts.trials < 1:
        raise ConfigError(f"--trials must be >= 1, got {opts.trials}")
    if opts.flush_every < 1:
        raise ConfigError(f"--flush-every must be >= 1 epoch, got {opts.flush_every}")
    if not opts.flush_seconds > 0:
        raise ConfigError(f"--flush-seconds must be > 0, got {opts.flush_seconds}")
    spec = spec.with_overrides(trials=opts.trials, name=opts.study)
    dataset = data.load(spec.data)  # a data set that cannot load fails here, before anything
    size = spec.population if opts.population is None else population_size(opts.population)
    spec = dataclasses.replace(spec, population=size or auto_population(spec, dataset))
    storage_cfg = storage_mod.resolve(
        opts.storage, workdir, opts.heartbeat_interval, opts.grace_period, opts.max_retry,
        opts.outage_seconds,
    )  # fmt: skip
    storage_mod.check_writable(storage_cfg)  # a read-only or full disk: refused before any trial
    storage_mod.check_reachable(storage_cfg.url)
    uri = None
    if opts.track:
        uri = store.resolve(opts.tracking_uri, workdir)
        store.check_reachable(uri)
    if opts.cluster is not None:
        from sweeps import cluster

        opts = opts.replace(cluster=cluster.check_address(opts.cluster))
    opts = opts.replace(
        warm_start=opts.warm_start or spec.warm_start,
        warm_start_storage=opts.warm_start_storage or (
            spec.warm_start_storage if opts.warm_start is None else None),
    )  # fmt: skip
    resolved = opts.replace(
        trials=spec.trials, study=spec.name, population=spec.population, storage=storage_cfg.url,
        tracking_uri=uri, grace_period=storage_cfg.grace_period,
    )  # fmt: skip
    plan = Sweep(spec, storage_cfg, uri, Path(workdir).resolve(), resolved, dataset)
    if opts.cluster is not None:
        cluster.check_stores(opts.cluster, plan)
    existing = _existing(storage_cfg, spec.name)
    if existing is not None:  # resumed: it must judge its trials as it was created to
        from sweeps.objectives import check_objectives

        check_objectives(existing, spec)
    elif opts.warm_start is not None:
        from sweeps import warm

        warm.source_trials(plan)  # the study will be made: refused here, before anything
    return plan


def _existing(cfg: storage_mod.StorageConfig, name: str):
    """The study when it is in its storage already (a warm start only starts a new one; a
    resumed one is checked), else None; creates no store file."""
    import optuna

    try:
        storage = storage_mod.open_storage(cfg, must_exist=True, repair=False)
    except ConfigError:  # no journal or SQLite file yet (the store was reachable just above)
        return None
    if name not in optuna.get_all_study_names(storage):
        return None
    return optuna.load_study(study_name=name, storage=storage)


def joined(options: SweepOptions, *, workdir: str | Path = ".") -> Sweep:
    """A worker joining an existing study by its name (options.study, in options.storage), with
    the sweep file the study was created from; ConfigError (one line) for an unknown study."""
    from sweeps.attrs import SWEEP_DOC_ATTR

    if not options.study:
        raise ConfigError("give a sweep file, or --study NAME to join an existing study")
    cfg = storage_mod.resolve(
        options.storage, workdir, options.heartbeat_interval, options.grace_period,
        options.max_retry, options.outage_seconds,
    )  # fmt: skip
    study = storage_mod.load_study(cfg, options.study)  # an unknown name: the ones there are
    options = options.replace(warm_start=None, warm_start_storage=None)  # made already
    stored = study.user_attrs.get(SWEEP_DOC_ATTR)
    if not isinstance(stored, dict) or "doc" not in stored:
        raise ConfigError(
            f"study {options.study!r} does not keep its sweep file (an earlier optsweep "
            f"created it); pass the file: optsweep worker SWEEP.toml --study {options.study}"
        )
    return check(stored["path"], options, workdir=workdir, doc=stored["doc"])


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
