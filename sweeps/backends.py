"""The kinds of study storage, one class each: how a location is checked, opened and locked,
and how a dead worker's trial is noticed.

    backend_for("optsweep.journal").budget_lock(cfg, "default", storage)   # a file lock
    backend_for("postgresql://...").budget_lock(cfg, "default", storage)   # an advisory lock

- `Journal`: Optuna's JournalFileBackend, no server, safe for local processes. No heartbeat: a
  RUNNING trial whose worker process on this host is gone is stale.
- `SQLite`, `PostgreSQL`, `MySQL`: Optuna's RDBStorage, with Optuna's heartbeat (a trial
  without one for the grace period is failed by the survivors and retried, on any host).

A backend holds no state: `sweeps.storage` resolves a location to a `StorageConfig` and hands
each operation to `cfg.backend`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import socket
import time
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from core.errors import ConfigError
from sweeps.attrs import WORKER_ATTR
from sweeps.optuna_private import storage_of
from sweeps.outage import recovered_within, riding_class
from tracking.store import mask, write_problem

if TYPE_CHECKING:
    from sweeps.storage import StorageConfig

log = logging.getLogger("optsweep.storage")
TORN_SUFFIX = ".torn-"  # + UTC time: the copy of a journal kept before its torn record is dropped
_RECORD_START = b'{"op_code"'  # how every record of Optuna's journal begins
NO_DRIVER = "no database driver for {url}; pip install 'optsweep[{extra}]'"


class Backend:
    """One kind of study storage. The defaults are those of a database server."""

    name: ClassVar[str]
    heartbeats: ClassVar[bool] = True  # Optuna's heartbeat notices dead workers on any host

    def check(self, url: str) -> None:
        """When the location is resolved: ConfigError (one line) if it can never work."""

    def check_writable(self, url: str) -> None:
        """Before any trial: ConfigError if a write would fail now (a server says so itself)."""

    def check_reachable(self, url: str) -> None:
        """Before Optuna connects: ConfigError (one line) if the storage does not answer."""

    def open(self, cfg: StorageConfig, must_exist: bool, repair: bool):
        """The Optuna storage; `must_exist`: never create a new, empty one."""
        raise NotImplementedError

    @contextlib.contextmanager
    def budget_lock(self, cfg: StorageConfig, study_name: str, storage) -> Iterator[None]:
        """Held around counting and claiming trials, by every worker of the study."""
        raise NotImplementedError
        yield

    def fail_stale_trials(self, study, cfg: StorageConfig) -> list[int]:
        """Fail (and queue again) RUNNING trials whose worker is dead; their numbers."""
        return _fail_by_heartbeat(study, cfg.grace_period)

    def watches(self, owner: dict) -> bool:
        """Whether this process would notice the death of the worker `owner` (WORKER_ATTR)."""
        return bool(owner)

    def release(self, cfg: StorageConfig, study_name: str) -> None:
        """After a sweep: remove what its budget lock left behind, if nobody holds it."""


# --- the journal file --------------------------------------------------------------------------


class _FileLocked:
    """A backend on a local file: its budget lock is a lock file beside it (`lock_path`),
    removed after a sweep when nobody holds it."""

    def lock_path(self, cfg: StorageConfig, study_name: str) -> Path:
        raise NotImplementedError

    @contextlib.contextmanager
    def budget_lock(self, cfg: StorageConfig, study_name: str, storage) -> Iterator[None]:
        with _file_lock(self.lock_path(cfg, study_name)):
            yield

    def release(self, cfg: StorageConfig, study_name: str) -> None:
        remove_lock_file(self.lock_path(cfg, study_name))


class Journal(_FileLocked, Backend):
    """Optuna's journal file: a path, not a URL."""

    name = "journal"
    heartbeats = False

    def check(self, url: str) -> None:
        """A new file in an existing folder, or an Optuna journal: Optuna would append to any
        file it is given (a sweep file, say) and then fail to read it."""
        path = Path(url)
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
                return  # a journal whose first record was torn: open repairs it
            first = json.loads(line)
        except (OSError, ValueError):
            first = None
        if not isinstance(first, dict) or "op_code" not in first:
            raise ConfigError(
                f"--storage {path} is not an Optuna journal; name a new file or an optsweep.journal"
            )

    def check_writable(self, url: str) -> None:
        _check_folder_writable(Path(url))

    def check_reachable(self, url: str) -> None:
        pass  # a file: `check` and `check_writable` say all

    def open(self, cfg: StorageConfig, must_exist: bool, repair: bool):
        import optuna
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

    def lock_path(self, cfg: StorageConfig, study_name: str) -> Path:
        return Path(f"{cfg.url}.lock-{lock_key(study_name)}")

    def fail_stale_trials(self, study, cfg: StorageConfig) -> list[int]:
        """A RUNNING trial started by a process of this host that no longer exists is stale."""
        from optuna.trial import TrialState

        failed = []
        host = socket.gethostname()
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            owner = t.user_attrs.get(WORKER_ATTR) or {}
            dead = not alive(int(owner.get("pid", -1)), owner.get("started"))
            if owner.get("host") == host and dead:
                try:
                    study.tell(t.number, state=TrialState.FAIL, skip_if_finished=True)
                except Exception:  # another starting worker got there first
                    continue
                retry(study, study.trials[t.number], cfg.max_retry)
                failed.append(t.number)
        return failed

    def watches(self, owner: dict) -> bool:
        return bool(owner) and owner.get("host") == socket.gethostname()


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


# --- databases through Optuna's RDBStorage -------------------------------------------------


class Database(Backend):
    """A SQL database through Optuna's RDBStorage, with heartbeats."""

    extra: ClassVar[str] = "postgres"  # the pip extra with its driver

    def check(self, url: str) -> None:
        parse_url(url)

    def check_reachable(self, url: str) -> None:
        """Connect once before Optuna does, so a dead server is one line, not a traceback."""
        import sqlalchemy

        try:
            engine = sqlalchemy.create_engine(url, connect_args=self.connect_args())
            with engine.connect():
                pass
            engine.dispose()
        except ImportError:
            raise ConfigError(NO_DRIVER.format(url=mask(url), extra=self.extra)) from None
        except Exception as e:  # driver-specific errors: keep the first line of the message
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ConfigError(
                f"cannot reach study storage {mask(url)}: {mask(first)}; check --storage"
            ) from None

    def connect_args(self) -> dict:
        """Driver arguments that make an unreachable server fail in seconds, not minutes."""
        return {}

    def open(self, cfg: StorageConfig, must_exist: bool, repair: bool):
        import optuna

        self.check_reachable(cfg.url)
        try:
            with warnings.catch_warnings(), self.creation_lock(cfg.url):
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                storage = riding_class()(
                    cfg.url,
                    engine_kwargs={"pool_pre_ping": True},
                    heartbeat_interval=cfg.heartbeat_interval,
                    grace_period=cfg.grace_period,
                    heartbeat_stale_trial_callback=retry_callback(cfg.max_retry),
                )
                storage.outage_seconds = cfg.outage_seconds
                return storage
        except ImportError:
            raise ConfigError(NO_DRIVER.format(url=mask(cfg.url), extra=self.extra)) from None

    @contextlib.contextmanager
    def creation_lock(self, url: str) -> Iterator[None]:
        """Held while Optuna creates its tables (none needed unless workers race to it)."""
        yield

    @contextlib.contextmanager
    def budget_lock(self, cfg: StorageConfig, study_name: str, storage) -> Iterator[None]:
        engine = getattr(storage, "engine", None)
        if engine is None:
            raise ConfigError(f"cannot lock study {study_name!r} on {cfg.shown}")
        with engine.connect() as conn, self.server_lock(conn, lock_key(study_name)):
            yield

    @contextlib.contextmanager
    def server_lock(self, conn, key: int) -> Iterator[None]:
        """A lock the database server holds for this connection."""
        raise NotImplementedError
        yield


class SQLite(_FileLocked, Database):
    """A SQLite file: one machine, its writers serialized by SQLite itself."""

    name = "sqlite"

    def check(self, url: str) -> None:
        path = parse_url(url).database
        if path and path != ":memory:" and not Path(path).expanduser().resolve().parent.is_dir():
            raise ConfigError(f"--storage {url}: folder {Path(path).parent} does not exist")

    def check_writable(self, url: str) -> None:
        _check_folder_writable(self.path(url))

    @staticmethod
    def path(url: str) -> Path:
        return Path(url.removeprefix("sqlite:///").partition("?")[0]).expanduser().resolve()

    def open(self, cfg: StorageConfig, must_exist: bool, repair: bool):
        if must_exist and not self.path(cfg.url).exists():
            raise ConfigError(
                f"no study storage at {self.path(cfg.url)}; run a sweep first or pass --storage"
            )
        return super().open(cfg, must_exist, repair)

    def lock_path(self, cfg: StorageConfig, study_name: str) -> Path:
        return Path(f"{self.path(cfg.url)}.lock-{lock_key(study_name)}")


class PostgreSQL(Database):
    """PostgreSQL: advisory locks, held by the server for a connection."""

    name = "postgresql"

    def connect_args(self) -> dict:
        return {"connect_timeout": 5}

    @contextlib.contextmanager
    def creation_lock(self, url: str) -> Iterator[None]:
        """One process at a time creates Optuna's tables: workers that start together on a new
        database otherwise race (DuplicateTable on `studies`)."""
        import sqlalchemy

        engine = sqlalchemy.create_engine(url, connect_args=self.connect_args())
        key = lock_key(f"optsweep-create-tables {mask(url)}")
        try:
            with engine.connect() as conn, self.server_lock(conn, key):
                yield
        finally:
            engine.dispose()

    @contextlib.contextmanager
    def server_lock(self, conn, key: int) -> Iterator[None]:
        import sqlalchemy

        conn.execute(sqlalchemy.text("SELECT pg_advisory_lock(:k)"), {"k": key})
        try:
            yield
        finally:
            conn.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()


class MySQL(Database):
    """MySQL or MariaDB: named locks (GET_LOCK), held by the server for a connection. Its DDL is
    not transactional, so table creation is not serialized (Optuna creates them idempotently)."""

    name = "mysql"
    extra = "mysql"
    LOCK_SECONDS = 60  # GET_LOCK's wait before it gives up

    def connect_args(self) -> dict:
        return {"connect_timeout": 5}

    @contextlib.contextmanager
    def server_lock(self, conn, key: int) -> Iterator[None]:
        import sqlalchemy

        name = f"optsweep-{key}"
        got = conn.execute(
            sqlalchemy.text("SELECT GET_LOCK(:n, :s)"), {"n": name, "s": self.LOCK_SECONDS}
        ).scalar()
        if got != 1:
            raise ConfigError(
                f"the study's budget lock on MySQL was not free within {self.LOCK_SECONDS} s; "
                "is a worker stuck? (SELECT IS_USED_LOCK('optsweep-%d') names it)" % key
            )
        try:
            yield
        finally:
            conn.execute(sqlalchemy.text("SELECT RELEASE_LOCK(:n)"), {"n": name})


BACKENDS: dict[str, Backend] = {
    b.name: b for b in (Journal(), SQLite(), PostgreSQL(), MySQL())
}  # fmt: skip
ALIASES = {"postgres": "postgresql", "mariadb": "mysql"}


def backend_for(url: str) -> Backend:
    """The backend of a resolved location: a journal path or a database URL; ConfigError (one
    line) for a database no backend serves."""
    if "://" not in url:
        return BACKENDS["journal"]
    name = parse_url(url).get_backend_name()
    backend = BACKENDS.get(ALIASES.get(name, name))
    if backend is None:
        raise ConfigError(
            f"--storage {mask(url)}: exact trial budgets need PostgreSQL, MySQL/MariaDB, SQLite "
            f"or a journal file; {name} is not supported"
        )
    return backend


def parse_url(url: str):
    """sqlalchemy's URL of `url`, or ConfigError (one line) when it is not one."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url)
    except (ArgumentError, ValueError) as e:
        raise ConfigError(
            f"--storage {mask(url)} is not a database URL ({e}); "
            "use e.g. postgresql://user:pass@host/db, sqlite:///optsweep.db or a journal file path"
        ) from None


# --- what the backends share ---------------------------------------------------------------


def _check_folder_writable(path: Path) -> None:
    problem = write_problem(path.parent)
    if problem:
        raise ConfigError(
            f"study storage {path}: folder {path.parent} cannot be written: {problem}; free "
            "space, fix its permissions, or run from another folder (or pass --storage)"
        )


def lock_key(study_name: str) -> int:
    """A stable 31-bit number for the study, for server locks and lock-file names."""
    return zlib.crc32(study_name.encode()) & 0x7FFFFFFF


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on the file at `path` (made if missing). The lock counts only if the
    path still names the locked file once it is held: `remove_lock_file` may have removed it
    meanwhile, and then the lock is taken again on the file now there."""
    while True:
        fh = open(path, "a")  # noqa: SIM115 -- closed below, or on retry
        try:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                current = os.stat(path).st_ino == os.fstat(fh.fileno()).st_ino
            except FileNotFoundError:
                current = False
        except BaseException:
            fh.close()
            raise
        if current:
            break
        fh.close()  # removed while we waited: lock the new one
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def remove_lock_file(path: Path) -> bool:
    """Remove a lock file nobody holds (a finished sweep's), without racing a worker that is
    about to take it: removed only while held here, and `_file_lock` re-checks the path after
    locking. False when it is held (left alone) or not there."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    try:
        if os.stat(path).st_ino != os.fstat(fd).st_ino:
            return False
        os.unlink(path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # releases the lock


def _fail_by_heartbeat(study, grace_period: float) -> list[int]:
    """Optuna's heartbeat check: trials without a heartbeat for the grace period are failed
    (and retried by the storage's callback, which notes their numbers). Not for one grace
    period after this process got its storage back: their workers may not have beaten yet."""
    import optuna
    from optuna.trial import TrialState

    if recovered_within(grace_period):
        return []

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


def retry(study, trial, max_retry: int | None) -> None:
    """Queue a failed trial to run again with the same parameters (Optuna's retry callback)."""
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry)(study, trial)


def retry_callback(max_retry: int):
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


def start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks after boot (/proc/PID/stat field 22), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()  # the command name may hold spaces: skip past it
    return int(fields[19]) if len(fields) > 19 else None


def alive(pid: int, started: int | None = None) -> bool:
    """Whether process `pid` runs, and is the one that started at `started` (not a reused pid)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return started is None or start_ticks(pid) in (None, started)
