"""Where a study lives: the embedded journal file by default, or any Optuna RDB URL.

The journal file (Optuna's JournalFileBackend) needs no server and is safe for several local
processes; PostgreSQL (or MySQL, SQLite) through Optuna's RDBStorage serves workers on many
machines and brings Optuna's heartbeat, so a dead worker's trial is failed by the survivors and
retried (RetryHeartbeatStaleTrialCallback). The journal has no heartbeat: there, a RUNNING trial
whose worker process on this host is gone is failed and retried when a sweep or worker starts.

`budget_lock` serializes "fail the stale trials, count the trials, claim one" across every
worker of a study, so the trial budget is exact however many workers run.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import socket
import threading
import time
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigError
from sweeps.attrs import WORKER_ATTR
from tracking.store import mask, write_problem

log = logging.getLogger("optsweep.storage")
DEFAULT_JOURNAL = "optsweep.journal"
TORN_SUFFIX = ".torn-"  # + UTC time: the copy of a journal kept before its torn record is dropped
_RECORD_START = b'{"op_code"'  # how every record of Optuna's journal begins


@dataclass(frozen=True)
class StorageConfig:
    """A resolved storage location and its fault-tolerance settings."""

    url: str  # an absolute journal file path, or an RDB URL (sqlite:///, postgresql://, ...)
    heartbeat_interval: int = 10  # seconds between a running trial's heartbeats (RDB only)
    grace_period: int = 30  # seconds without a heartbeat before a trial counts as dead
    max_retry: int = 2  # times a trial killed with its worker is run again

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
    if url is None:
        url = str(Path(workdir, DEFAULT_JOURNAL).resolve())
        _check_journal(Path(url))
    elif "://" not in url:
        url = str((Path(workdir) / Path(url).expanduser()).resolve())
        _check_journal(Path(url))
    else:
        _check_url(url)
    return StorageConfig(url, heartbeat_interval, grace, max_retry)


def _check_journal(path: Path) -> None:
    """A journal path must be a new file in an existing folder, or an Optuna journal: Optuna
    would append to any file it is given (a sweep file, say) and then fail to read it."""
    if path.is_dir():
        raise ConfigError(f"--storage {path} is a folder; name a journal file in it")
    if not path.parent.is_dir():
        raise ConfigError(f"--storage {path}: folder {path.parent} does not exist")
    if not path.is_file() or path.stat().st_size == 0:
        return
    try:
        with path.open("rb") as f:
            line = f.readline()
        if not line.endswith(b"\n") and (
            line.startswith(_RECORD_START) or _RECORD_START.startswith(line)
        ):
            return  # a journal whose first record was torn: open_storage repairs it
        first = json.loads(line)
    except (OSError, ValueError):
        first = None
    if not isinstance(first, dict) or "op_code" not in first:
        raise ConfigError(
            f"--storage {path} is not an Optuna journal; name a new file or an optsweep.journal"
        )


def check_writable(cfg: StorageConfig) -> None:
    """The folder of a journal or SQLite study storage must take writes now (not read-only, not
    full): ConfigError (one line) otherwise, before any trial runs."""
    if cfg.is_journal:
        path = Path(cfg.url)
    elif cfg.url.startswith("sqlite:///"):
        path = Path(cfg.url.removeprefix("sqlite:///").partition("?")[0]).expanduser().resolve()
    else:
        return  # a database server: it says so when a write fails
    problem = write_problem(path.parent)
    if problem:
        raise ConfigError(
            f"study storage {path}: folder {path.parent} cannot be written: {problem}; free "
            "space, fix its permissions, or run from another folder (or pass --storage)"
        )


def repair_journal(path: Path) -> Path | None:
    """Drop a torn last record from the journal at `path`, keeping a copy of the file first;
    return the copy's path, or None when the journal was whole (or is not there).

    A process that dies in the middle of a write (power loss, OOM kill, a full disk) leaves a
    last line without its newline. Optuna reads past such a line, but its next write would be
    appended to it, making one line nobody can read: the study could never be opened again.
    No reader has seen the torn record (Optuna skips a line without its newline), so dropping it
    loses nothing that was recorded. Done under Optuna's own journal lock, so a write still in
    progress in another worker is waited for, never cut.
    """
    if _complete(path):
        return None
    from optuna.storages.journal import JournalFileSymlinkLock

    lock = JournalFileSymlinkLock(str(path))
    lock.acquire()
    try:
        if _complete(path):  # another worker was writing, or repaired it first
            return None
        size = path.stat().st_size
        keep = _end_of_last_line(path, size)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        backup = path.with_name(f"{path.name}{TORN_SUFFIX}{stamp}")
        n = 1
        while backup.exists():
            n += 1
            backup = path.with_name(f"{path.name}{TORN_SUFFIX}{stamp}-{n}")
        try:
            shutil.copyfile(path, backup)
            with backup.open("rb+") as f:
                os.fsync(f.fileno())
        except OSError as e:
            with contextlib.suppress(OSError):
                backup.unlink()
            raise ConfigError(
                f"{path} ends in a torn record (a write cut short), but no copy of it could be "
                f"kept before repairing it ({e.strerror or e}); free some space and run again"
            ) from None
        os.truncate(path, keep)
    finally:
        lock.release()
    log.warning(
        "%s: its last record was torn (a write cut short by a crash, a kill or a full disk); "
        "kept the file as it was in %s, dropped the torn %d bytes; resuming",
        path.name, backup.name, size - keep,
    )  # fmt: skip
    return backup


def _complete(path: Path) -> bool:
    """True when the file is missing, empty or ends with a newline (its last record whole)."""
    try:
        with path.open("rb") as f:
            if f.seek(0, os.SEEK_END) == 0:
                return True
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"
    except FileNotFoundError:
        return True


def _end_of_last_line(path: Path, size: int, chunk: int = 1 << 16) -> int:
    """The offset just past the file's last newline (0 when it has none)."""
    with path.open("rb") as f:
        end = size
        while end > 0:
            start = max(0, end - chunk)
            f.seek(start)
            at = f.read(end - start).rfind(b"\n")
            if at >= 0:
                return start + at + 1
            end = start
    return 0


def _damaged_journal(path: Path) -> str:
    """The one-line refusal for a journal damaged before its last line (see docs/repair.md)."""
    number = 0
    with path.open("rb") as f:
        for number, line in enumerate(f, 1):  # noqa: B007 -- the number is used below
            try:
                if line.endswith(b"\n") and isinstance(json.loads(line), dict):
                    continue
            except ValueError:
                pass
            break
    return (
        f"{path}: line {number} is not a whole journal record (the file was damaged there), "
        f"so the study cannot be read; keep a copy, then cut the file before that line "
        f"(head -n {number - 1}) to resume from the records before it: see docs/repair.md"
    )


def _check_url(url: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as e:
        raise ConfigError(
            f"--storage {mask(url)} is not a database URL ({e}); "
            "use e.g. postgresql://user:pass@host/db, sqlite:///optsweep.db or a journal file path"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if path and path != ":memory:" and not Path(path).expanduser().resolve().parent.is_dir():
            raise ConfigError(f"--storage {url}: folder {Path(path).parent} does not exist")


def open_storage(cfg: StorageConfig, must_exist: bool = False, repair: bool = True):
    """An Optuna storage for `cfg`; ConfigError (one line) when it cannot be reached.

    With `must_exist`, a journal or SQLite file that is not there is an error rather than a new,
    empty store: reading commands never create one. A journal whose last record was torn is
    repaired first (`repair_journal`), unless `repair` is False (tab completion: Optuna reads
    past a torn last record, and a TAB press should write nothing).
    """
    import optuna

    if cfg.is_journal:
        from optuna.storages.journal import JournalFileBackend

        path = Path(cfg.url)
        if must_exist and not path.exists():
            raise ConfigError(f"no study storage at {path}; run a sweep first or pass --storage")
        if not path.parent.is_dir():
            raise ConfigError(f"--storage {path}: folder {path.parent} does not exist")
        if repair:
            repair_journal(path)
        try:
            return optuna.storages.JournalStorage(JournalFileBackend(str(path)))
        except ValueError:  # Optuna's JSONDecodeError or "Invalid log format": a damaged line
            raise ConfigError(_damaged_journal(path)) from None

    if must_exist and cfg.url.startswith("sqlite:///"):
        path = Path(cfg.url.removeprefix("sqlite:///"))
        if not path.exists():
            raise ConfigError(f"no study storage at {path}; run a sweep first or pass --storage")
    check_reachable(cfg.url)
    from optuna.storages import RDBStorage

    try:
        with warnings.catch_warnings(), _creation_lock(cfg.url):
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeats
            return RDBStorage(
                cfg.url,
                engine_kwargs={"pool_pre_ping": True},
                heartbeat_interval=cfg.heartbeat_interval,
                grace_period=cfg.grace_period,
                heartbeat_stale_trial_callback=_retry_callback(cfg.max_retry),
            )
    except ImportError:
        raise ConfigError(
            f"no database driver for {mask(cfg.url)}; pip install 'optsweep[postgres]'"
        ) from None


@contextlib.contextmanager
def _creation_lock(url: str):
    """One process at a time creates Optuna's tables: workers that start together on a new
    PostgreSQL database otherwise race (DuplicateTable on `studies`)."""
    if not url.startswith(("postgresql", "postgres")):
        yield  # SQLite serializes writers itself; MySQL's DDL is not transactional anyway
        return
    import sqlalchemy

    engine = sqlalchemy.create_engine(url, connect_args=_timeout_args(url))
    key = _key(f"optsweep-create-tables {mask(url)}")
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT pg_advisory_lock(:k)"), {"k": key})
            try:
                yield
            finally:
                conn.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        engine.dispose()


def check_reachable(url: str) -> None:
    """Connect once before Optuna does, so a dead server is one line, not a traceback."""
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(url, connect_args=_timeout_args(url))
        with engine.connect():
            pass
        engine.dispose()
    except ImportError:
        raise ConfigError(
            f"no database driver for {mask(url)}; pip install 'optsweep[postgres]'"
        ) from None
    except Exception as e:  # driver-specific errors: keep the first line of the message
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ConfigError(
            f"cannot reach study storage {mask(url)}: {mask(first)}; check --storage"
        ) from None


def _timeout_args(url: str) -> dict:
    if url.startswith(("postgresql", "postgres")):
        return {"connect_timeout": 5}
    return {}


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
    if cfg.is_journal or cfg.url.startswith("sqlite:///"):
        base = cfg.url if cfg.is_journal else cfg.url.removeprefix("sqlite:///")
        with _file_lock(Path(f"{base}.lock-{_key(study_name)}")):
            yield
        return
    engine = storage.engine if storage is not None and hasattr(storage, "engine") else None
    if engine is None:
        raise ConfigError(f"cannot lock study {study_name!r} on {cfg.shown}")
    backend = engine.dialect.name
    import sqlalchemy

    with engine.connect() as conn:
        if backend == "postgresql":
            conn.execute(sqlalchemy.text("SELECT pg_advisory_lock(:k)"), {"k": _key(study_name)})
            try:
                yield
            finally:
                conn.execute(
                    sqlalchemy.text("SELECT pg_advisory_unlock(:k)"), {"k": _key(study_name)}
                )
                conn.commit()
        elif backend in ("mysql", "mariadb"):
            name = f"optsweep-{_key(study_name)}"
            conn.execute(sqlalchemy.text("SELECT GET_LOCK(:n, 60)"), {"n": name})
            try:
                yield
            finally:
                conn.execute(sqlalchemy.text("SELECT RELEASE_LOCK(:n)"), {"n": name})
        else:
            raise ConfigError(
                f"exact trial budgets need PostgreSQL, MySQL, SQLite or a journal file; "
                f"{backend} is not supported"
            )


def _key(study_name: str) -> int:
    """A stable 31-bit number for the study, for advisory locks and lock-file names."""
    return zlib.crc32(study_name.encode()) & 0x7FFFFFFF


@contextlib.contextmanager
def _file_lock(path: Path):
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --- dead workers ---------------------------------------------------------------------------


def worker_identity() -> dict:
    """Who runs a trial: host, pid and (on Linux) the process start time, so that a pid the
    system reused for another process does not keep a dead worker's trial alive."""
    me = {"host": socket.gethostname(), "pid": os.getpid()}
    started = _start_ticks(me["pid"])
    return me if started is None else {**me, "started": started}


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks after boot (/proc/PID/stat field 22), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()  # the command name may hold spaces: skip past it
    return int(fields[19]) if len(fields) > 19 else None


def retry(study, trial, max_retry: int | None) -> None:
    """Queue a failed trial to run again with the same parameters (Optuna's retry callback)."""
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry)(study, trial)


def _retry_callback(max_retry: int):
    """Optuna's RetryHeartbeatStaleTrialCallback, also noting the numbers of the trials it saw
    fail, so the caller can close their MLflow runs without reading the study again."""
    from optuna.storages import RetryHeartbeatStaleTrialCallback

    class RetryAndNote(RetryHeartbeatStaleTrialCallback):
        def __init__(self, max_retry: int) -> None:
            super().__init__(max_retry)
            self.failed: list[int] = []

        def __call__(self, study, trial) -> None:
            self.failed.append(trial.number)
            super().__call__(study, trial)

    return RetryAndNote(max_retry)


def fail_stale_trials(study, cfg: StorageConfig) -> list[int]:
    """Fail (and queue again) RUNNING trials whose worker is dead; return their numbers.

    RDB storages use Optuna's heartbeat: a trial without a heartbeat for the grace period is
    failed by whichever worker looks first. The journal has none: a RUNNING trial started by a
    process of this host that no longer exists is stale.
    """
    import optuna
    from optuna.trial import TrialState

    if not cfg.is_journal:
        callback = storage_of(study).get_heartbeat_stale_trial_callback()
        noted = getattr(callback, "failed", None)
        if noted is None:  # a storage opened elsewhere: compare the failed trials instead
            before = {t.number for t in study.get_trials(deepcopy=False, states=(TrialState.FAIL,))}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                optuna.storages.fail_stale_trials(study)
            after = {t.number for t in study.get_trials(deepcopy=False, states=(TrialState.FAIL,))}
            return sorted(after - before)
        noted.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
        return sorted(noted)
    failed = []
    host = socket.gethostname()
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner = t.user_attrs.get(WORKER_ATTR) or {}
        dead = not _alive(int(owner.get("pid", -1)), owner.get("started"))
        if owner.get("host") == host and dead:
            try:
                study.tell(t.number, state=TrialState.FAIL, skip_if_finished=True)
            except Exception:  # another starting worker got there first
                continue
            retry(study, study.trials[t.number], cfg.max_retry)
            failed.append(t.number)
    return failed


def watched_running(study, cfg: StorageConfig) -> list[int]:
    """Numbers of RUNNING trials of optsweep workers whose death this process would notice:
    any host's on an RDB storage (they send heartbeats), this host's with the journal (pids)."""
    from optuna.trial import TrialState

    host = socket.gethostname()
    out = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner = t.user_attrs.get(WORKER_ATTR) or {}
        if owner and (not cfg.is_journal or owner.get("host") == host):
            out.append(t.number)
    return out


def _alive(pid: int, started: int | None = None) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return started is None or _start_ticks(pid) in (None, started)


def retried_numbers(trials) -> set[int]:
    """Numbers of FAIL trials that were queued again: the budget counts their retries instead."""
    out: set[int] = set()
    for t in trials:
        out.update(t.system_attrs.get("retry_history", ()))
    return out


def counted(trials) -> list:
    """The trials the budget counts: all but failed ones that were queued to run again."""
    from optuna.trial import TrialState

    again = retried_numbers(trials)
    return [t for t in trials if not (t.state == TrialState.FAIL and t.number in again)]


# --- the two places Optuna's private attributes are read --------------------------------------


def storage_of(study):
    """The storage a study reads and writes. Study exposes it only as `_storage`: no public
    accessor exists, and the heartbeat (record_heartbeat, the stale-trial callback that retries
    a dead worker's trial) lives on the storage. Every use goes through here."""
    return study._storage


def trial_id(trial) -> int:
    """The storage's id of a trial. Optuna's storage API addresses trials by id; Trial and
    FrozenTrial show only their `number` publicly, and the public lookup
    (get_trial_id_from_study_id_trial_number) costs two storage queries a call, on the path of
    every heartbeat. Every use goes through here."""
    return trial._trial_id


def claim_trial(study, budget: int):
    """Under `budget_lock`: the next trial to run (a queued one first), or None when spent."""
    claimed = claim_trials(study, budget, 1)
    return claimed[0] if claimed else None


def claim_trials(study, budget: int, n: int) -> list:
    """Under `budget_lock`: up to `n` trials to run (queued ones first), within the budget.
    The study is read once: each ask starts exactly one trial, so the room stays exact."""
    from optuna.trial import TrialState

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
                with contextlib.suppress(Exception):  # a missed beat is retried next interval
                    storage.record_heartbeat(beat_id)

    thread = threading.Thread(target=beat, name="optsweep-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
