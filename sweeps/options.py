"""What a sweep is told besides its sweep file: one typed object that the CLI's `sweep` and
`worker`, the Python API and every worker process derive from.

    options = SweepOptions(trials=40, storage="postgresql://...", workers=4)
    plan = sweeps.sweep.check("sweeps/default.toml", options)   # checked, nothing written
    order = WorkerOrder(plan.path, plan.options, index=1)       # a worker process's whole
    order.to_json()                                             # brief, on its standard input

A worker process receives its order serialized (on its standard input, never its command line,
where `ps` would show a password in a storage or tracking URL), not as a command line rebuilt
from the options.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

FLUSH_EVERY = 100  # epochs between writes of a trial's curves (a killed worker loses at most
FLUSH_SECONDS = 5.0  # this much of its trial)
REPORT_SEEDS = "auto"


@dataclass(frozen=True)
class SweepOptions:
    """The options of a sweep; None: the sweep file's value, or the default it documents."""

    trials: int | None = None  # the budget (default: the sweep file's)
    study: str | None = None  # the study's name (default: the sweep file's)
    storage: str | None = None  # a journal file or an RDB URL (default: optsweep.journal here)
    tracking_uri: str | None = None  # the MLflow store (default: mlflow.db here)
    track: bool = True  # False: no MLflow at all
    heartbeat_interval: int = 10  # seconds, RDB storages
    grace_period: int | None = None  # seconds without a heartbeat (default: 3 intervals)
    max_retry: int = 2  # times a dead worker's trial is run again
    outage_seconds: float = 60.0  # how long a lost database connection is retried
    flush_every: int = FLUSH_EVERY
    flush_seconds: float = FLUSH_SECONDS
    population: int | str | None = None  # trials trained together: a number or "auto"
    # the sweep as a whole (a worker process ignores them)
    workers: int = 1  # local worker processes
    timeout: float | None = None  # seconds after which no trial starts
    report_seeds: str | int = REPORT_SEEDS  # the defaults report at the end: "auto", N, 0: none
    cluster: str | None = None  # a Dask cluster for the workers: "local" or tcp://host:8786
    warm_start: str | None = None  # a study whose trials start a new one (default: the file's)
    warm_start_storage: str | None = None  # where it lives (default: the file's, or the same)

    def replace(self, **changes) -> SweepOptions:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> SweepOptions:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


@dataclass(frozen=True)
class WorkerOrder:
    """Everything one worker process needs: its sweep file, the checked options, its index (an
    offset of the sampler's seed) and when to stop starting trials."""

    path: str
    workdir: str
    options: SweepOptions
    index: int = 0
    deadline: float | None = None  # Unix time
    doc: dict | None = None  # the sweep file as the sweep process read it (None: read `path`)

    def to_json(self) -> str:
        """One line of JSON."""
        return json.dumps({**dataclasses.asdict(self), "options": self.options.to_dict()})

    @classmethod
    def from_json(cls, line: str) -> WorkerOrder:
        values = json.loads(line)
        return cls(**{**values, "options": SweepOptions.from_dict(values["options"])})


class SealedOrder:
    """A worker order on its way to a Dask task. Dask logs a failed task's arguments (their
    repr): this one's shows no storage or tracking URL, which may hold a password."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return "<optsweep worker order>"

    def open(self) -> WorkerOrder:
        return WorkerOrder.from_json(self.text)
