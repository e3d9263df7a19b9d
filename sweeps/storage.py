"""Where a study lives: the embedded journal file by default, or any Optuna RDB URL.

The journal file (Optuna's JournalFileBackend) needs no server and is safe for several local
processes; PostgreSQL (or MySQL/MariaDB, SQLite) through Optuna's RDBStorage serves workers on
many machines and brings Optuna's heartbeat, so a dead worker's trial is failed by the survivors
and retried (RetryHeartbeatStaleTrialCallback). The journal has no heartbeat: there, a RUNNING
trial whose worker process on this host is gone is failed and retried when a sweep or worker
starts. What differs between them lives in one class per backend (`sweeps.backends`).

`budget_lock` serializes "fail the stale trials, count the trials, claim one" across every
worker of a study, so the trial budget is exact however many workers run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigError
from sweeps.attrs import WARM_ATTR, WORKER_ATTR
from sweeps.backends import (
    TORN_SUFFIX,
    Backend,
    backend_for,
    repair_journal,
    retry,
    start_ticks,
)
from sweeps.optuna_private import backend_of, one_read, storage_of, trial_id
from sweeps.outage import OUTAGE_SECONDS, note_trouble, whole_section
from tracking.store import mask

__all__ = ["TORN_SUFFIX", "repair_journal", "retry", "storage_of", "trial_id"]  # their old home
DEFAULT_JOURNAL = "optsweep.journal"
log = logging.getLogger("optsweep.storage")


@dataclass(frozen=True)
class StorageConfig:
    """A resolved storage location and its fault-tolerance settings."""

    url: str  # an absolute journal file path, or an RDB URL (sqlite:///, postgresql://, ...)
    heartbeat_interval: int = 10  # seconds between a running trial's heartbeats (RDB only)
    grace_period: int = 30  # seconds without a heartbeat before a trial counts as dead
    max_retry: int = 2  # times a trial killed with its worker is run again
    outage_seconds: float = OUTAGE_SECONDS  # how long a lost database connection is retried

    @property
    def backend(self) -> Backend:
        return backend_for(self.url)

    @property
    def is_journal(self) -> bool:
        return "://" not in self.url

    @property
    def shown(self) -> str:
        """The location with any password masked, for every printout."""
        return self.url if self.is_journal else mask(self.url)


def resolve(
    url: str | None,
    workdir: str | Path = ".",
    heartbeat_interval: int = 10,
    grace_period: int | None = None,
    max_retry: int = 2,
    outage_seconds: float = OUTAGE_SECONDS,
) -> StorageConfig:
    """`None` -> the journal file in `workdir`; a path -> that journal file; a URL -> RDB."""
    if heartbeat_interval < 1:
        raise ConfigError(f"--heartbeat-interval must be >= 1 second, got {heartbeat_interval}")
    grace = grace_period if grace_period is not None else 3 * heartbeat_interval
    if grace <= heartbeat_interval:
        raise ConfigError(
            f"--grace-period ({grace} s) must exceed --heartbeat-interval ({heartbeat_interval} s)"
        )
    if max_retry < 0:
        raise ConfigError(f"--max-retry must be >= 0, got {max_retry}")
    if not 0 <= outage_seconds <= 86400:
        raise ConfigError(f"--outage-seconds must be from 0 to 86400, got {outage_seconds}")
    if url is None:
        url = str(Path(workdir, DEFAULT_JOURNAL).resolve())
    elif "://" not in url:
        url = str((Path(workdir) / Path(url).expanduser()).resolve())
    backend_for(url).check(url)
    return StorageConfig(url, heartbeat_interval, grace, max_retry, float(outage_seconds))


def check_writable(cfg: StorageConfig) -> None:
    """The folder of a journal or SQLite study storage must take writes now (not read-only, not
    full): ConfigError (one line) otherwise, before any trial runs."""
    cfg.backend.check_writable(cfg.url)


def check_reachable(url: str) -> None:
    """Connect once before Optuna does, so a dead server is one line, not a traceback."""
    backend_for(url).check_reachable(url)


def open_storage(cfg: StorageConfig, must_exist: bool = False, repair: bool = True):
    """An Optuna storage for `cfg`; ConfigError (one line) when it cannot be reached.

    With `must_exist`, a journal or SQLite file that is not there is an error rather than a new,
    empty store: reading commands never create one. A journal whose last record was torn is
    repaired first (`repair_journal`), unless `repair` is False (tab completion: Optuna reads
    past a torn last record, and a TAB press should write nothing).
    """
    return cfg.backend.open(cfg, must_exist, repair)


def load_study(cfg: StorageConfig, name: str, storage=None, sampler=None, pruner=None):
    """An existing study, or a one-line error listing the studies the storage holds."""
    import optuna

    storage = storage or open_storage(cfg, must_exist=True)
    names = optuna.get_all_study_names(storage)
    if name not in names:
        known = ", ".join(sorted(names)) or "none yet"
        raise ConfigError(f"no study named {name!r} in {cfg.shown} (studies: {known})")
    return optuna.load_study(study_name=name, storage=storage, sampler=sampler, pruner=pruner)


# --- exact budgets -------------------------------------------------------------------------


@contextlib.contextmanager
def budget_lock(cfg: StorageConfig, study_name: str, storage=None):
    """Hold a lock that every worker of this study takes around counting and claiming a trial.

    A file lock beside a journal or SQLite file; an advisory lock on PostgreSQL; GET_LOCK on
    MySQL. The lock is held for milliseconds, never while a trial trains.
    """
    with cfg.backend.budget_lock(cfg, study_name, storage), whole_section():
        yield


def release_locks(cfg: StorageConfig, study_name: str) -> None:
    """At a worker's or a sweep's end: remove the study's lock file if no other worker holds
    it (a file lock's file; a database's locks leave nothing)."""
    cfg.backend.release(cfg, study_name)


# --- dead workers ---------------------------------------------------------------------------


def worker_identity() -> dict:
    """Who runs a trial: host, pid and (on Linux) the process start time, so that a pid the
    system reused for another process does not keep a dead worker's trial alive."""
    me = {"host": socket.gethostname(), "pid": os.getpid()}
    started = start_ticks(me["pid"])
    return me if started is None else {**me, "started": started}


def fail_stale_trials(study, cfg: StorageConfig) -> list[int]:
    """Fail (and queue again) RUNNING trials whose worker is dead; return their numbers.

    RDB storages use Optuna's heartbeat: a trial without a heartbeat for the grace period is
    failed by whichever worker looks first. The journal has none: a RUNNING trial started by a
    process of this host that no longer exists is stale.
    """
    return cfg.backend.fail_stale_trials(study, cfg)


def watched_running(study, cfg: StorageConfig) -> list[int]:
    """Numbers of RUNNING trials of optsweep workers whose death this process would notice:
    any host's on an RDB storage (they send heartbeats), this host's with the journal (pids)."""
    from optuna.trial import TrialState

    watches = cfg.backend.watches
    return [
        t.number
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        if watches(t.user_attrs.get(WORKER_ATTR) or {})
    ]


def retried_numbers(trials) -> set[int]:
    """Numbers of FAIL trials that were queued again: the budget counts their retries instead."""
    out: set[int] = set()
    for t in trials:
        out.update(t.system_attrs.get("retry_history", ()))
    return out


def counted(trials) -> list:
    """The trials the budget counts: all but failed ones that were queued to run again, and
    those a warm start added (run by another study)."""
    from optuna.trial import TrialState

    again = retried_numbers(trials)
    return [
        t for t in trials
        if not (t.state == TrialState.FAIL and t.number in again) and WARM_ATTR not in t.user_attrs
    ]  # fmt: skip


def claim_trial(study, budget: int):
    """Under `budget_lock`: the next trial to run (a queued one first), or None when spent."""
    claimed = claim_trials(study, budget, 1)
    return claimed[0] if claimed else None


def fail_lost_claims(study, cfg: StorageConfig) -> list[int]:
    """Under `budget_lock`, when a claim was retried after a lost connection: fail (and queue
    again) the RUNNING trials it may have left behind, those of no worker or of this one (which
    holds no trial while it claims). A claim names its trials before the lock is released, so
    under the lock no other claim can be half-way."""
    from optuna.trial import TrialState

    me = worker_identity()
    lost = [
        t for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        if not t.user_attrs.get(WORKER_ATTR) or t.user_attrs[WORKER_ATTR] == me
    ]  # fmt: skip
    for t in lost:
        study.tell(t.number, state=TrialState.FAIL, skip_if_finished=True)
        retry(study, study.trials[t.number], cfg.max_retry)
    if lost:
        log.warning("failed and queued again %d trial(s) a claim cut by the outage left",
                    len(lost))  # fmt: skip
    return [t.number for t in lost]


def claim_trials(study, budget: int, n: int) -> list:
    """Under `budget_lock`: up to `n` trials to run (queued ones first), within the budget.
    The study is read once (`one_read`: the asks and the sampler too): each ask starts exactly
    one trial, so the room stays exact."""
    from optuna.trial import TrialState

    with one_read(study), batched(storage_of(study)):  # the owners in one write, in the lock
        trials = study.get_trials(deepcopy=False)
        started = [t for t in counted(trials) if t.state != TrialState.WAITING]
        room = budget - len(started)  # queued trials beyond a lowered budget are left waiting
        return [_claim(study) for _ in range(max(0, min(n, room)))]


def _claim(study):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "heartbeat is supposed to be used with optimize"
        trial = study.ask()  # pops the oldest WAITING trial, or creates one
    # Optuna never fails a RUNNING trial that has no heartbeat yet: beat once now, so a worker
    # killed before training starts (while it opens the MLflow run, say) is still noticed. A
    # retried trial inherits its dead predecessor's owner: name the new one before the lock is
    # released, so no worker judges it by the dead one's pid.
    beat_once(storage_of(study), trial)
    trial.set_user_attr(WORKER_ATTR, worker_identity())
    return trial


def batched(storage):
    """A context in which the trials' user attributes and parameters are written together, in
    one transaction at its end (a database storage; elsewhere each is written at once)."""
    backend = backend_of(storage)  # behind Optuna's cache
    return backend.batched() if hasattr(backend, "batched") else contextlib.nullcontext()


def beat_once(storage, trial) -> None:
    """Record one heartbeat of `trial` if the storage has heartbeats (RDB with an interval)."""
    if getattr(storage, "get_heartbeat_interval", lambda: None)():
        storage.record_heartbeat(trial_id(trial))


@contextlib.contextmanager
def heartbeat(storage, *trials):
    """Record the trials' heartbeats in a background thread while they run (RDB storages),
    every interval after the one `claim_trial` recorded."""
    interval = (
        storage.get_heartbeat_interval() if hasattr(storage, "get_heartbeat_interval") else None
    )
    if not interval:
        yield
        return
    beat_ids = [trial_id(t) for t in trials]
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            for beat_id in beat_ids:
                try:
                    storage.record_heartbeat(beat_id)
                except Exception:  # a missed beat is retried next interval; meanwhile this
                    note_trouble()  # worker does not judge its peers' (late) heartbeats

    thread = threading.Thread(target=beat, name="optsweep-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
