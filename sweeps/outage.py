"""Riding out a database outage: a study storage call that fails because the connection to
PostgreSQL or MySQL was lost is retried with backoff for up to `outage_seconds` (60 by default,
`--outage-seconds`), so a server restart or a network blip of seconds costs a pause, not a
sweep. Past the limit, `StorageOutage` ends the worker with one line.

    storage = riding_rdb_storage(url, outage_seconds=60, ...)   # an RDBStorage that waits
    ride_out(lambda: claim(...), 60, "the study storage")       # a whole locked section

What a retry means, call by call:
- reads, `set_trial_param`, attributes, intermediate values: the same write again is harmless.
- telling a trial's result (`set_trial_state_values`): if the lost attempt was committed, the
  retry finds the trial finished; it then checks that the stored state is the one it wrote
  and carries on, instead of failing the trial.
- the budget's lock is a session lock, lost with its connection: the caller retries the whole
  locked section (`ride_out` around it), never the rest of it alone.
- heartbeats are not retried here: the heartbeat thread beats again at its next interval. After
  an outage this process does not fail other workers' trials for one grace period
  (`recovered_within`), so that a trial that was only waiting for the database is not judged
  dead before its worker could beat again.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger("optsweep.storage")
OUTAGE_SECONDS = 60.0
FIRST_WAIT, LONGEST_WAIT = 0.5, 5.0  # seconds between attempts: doubling, at most this
T = TypeVar("T")
_recovered_at = -float("inf")  # time.monotonic() of this process's last recovery
_batches = threading.local()  # id(storage) -> the writes its open `batched` keeps


class OutageError(Exception):
    """A StorageOutage on its way out of a Dask task (which reports Exceptions to the sweep)."""


class StorageOutage(BaseException):
    """The study storage stayed unreachable past the limit. A BaseException, like
    KeyboardInterrupt: the trial code must not catch it and try to record a failure in the
    storage that is gone; the trials in flight stay RUNNING and another worker re-runs them."""


# what drivers say when a server cannot be reached or hung up (a refused or dropped connection);
# anything else (a read-only SQLite file, a full disk, a timeout of a statement) is no outage
_DISCONNECTED = (
    "connection refused", "could not connect", "server closed the connection",
    "connection failed", "connection reset", "connection timed out", "terminating connection",
    "the database system is starting up", "the database system is shutting down",
    "can't connect to mysql", "lost connection to mysql", "mysql server has gone away",
    "connection is closed", "broken pipe", "consuming input failed",
)  # fmt: skip


def lost_connection(error: BaseException) -> bool:
    """Whether `error` (or what it wraps) is a lost or refused connection to a database server
    (SQLAlchemy's disconnect flag, or a driver's words for a connection that could not be made
    or was dropped)."""
    import sqlalchemy.exc as sa

    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, sa.DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, sa.OperationalError | sa.InterfaceError):
            text = str(error).lower()
            return "sqlite" not in text and any(words in text for words in _DISCONNECTED)
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def recovered_within(seconds: float) -> bool:
    """Whether this process had trouble reaching its storage (a retried call, a missed
    heartbeat) less than `seconds` ago: its peers may have missed their heartbeats too."""
    return time.monotonic() - _recovered_at < seconds


def note_trouble() -> None:
    """A storage write failed and was left for later (a heartbeat): see `recovered_within`."""
    global _recovered_at
    _recovered_at = time.monotonic()


_in_section = contextvars.ContextVar("optsweep_in_locked_section", default=False)


@contextlib.contextmanager
def whole_section():
    """Inside, a storage call does not ride out a lost connection by itself: the section (the
    budget lock's, whose lock is lost with its connection) is retried whole by its caller, so
    that no call finishes a claim the lock no longer covers."""
    token = _in_section.set(True)
    try:
        yield
    finally:
        _in_section.reset(token)


def ride_out(call: Callable[[], T], seconds: float, what: str, on_retry=None) -> T:
    """`call()`, retried while it fails on a lost connection, for up to `seconds`; then
    StorageOutage naming `what`. `on_retry(error)` runs before each retry."""
    global _recovered_at
    if _in_section.get():
        return call()  # the caller retries the whole section
    deadline = time.monotonic() + seconds
    wait, failures = FIRST_WAIT, 0
    while True:
        try:
            result = call()
        except Exception as e:
            if not lost_connection(e):
                raise
            if time.monotonic() + wait > deadline:
                raise StorageOutage(
                    f"{what} was unreachable for {seconds:.0f} s ({_first_line(e)}); the trials "
                    "in flight stay RUNNING and are run again by the next worker that starts: "
                    "run this one again once the database is back (or raise --outage-seconds)"
                ) from None
            if failures == 0:
                log.warning("%s: connection lost (%s); retrying for up to %.0f s", what,
                            _first_line(e), seconds)  # fmt: skip
            failures += 1
            if on_retry is not None:
                on_retry(e)
            time.sleep(wait)
            wait = min(2 * wait, LONGEST_WAIT)
            continue
        if failures:
            _recovered_at = time.monotonic()
            log.warning("%s: back after %d failed attempt(s)", what, failures)
        return result


def _first_line(error: BaseException) -> str:
    cause = error.__cause__ or error
    text = str(cause).strip().splitlines()
    return (text[0] if text else type(cause).__name__)[:160]


# the RDBStorage methods that go to the database, and are retried (not the heartbeat's own)
RETRIED = (
    "create_new_study", "delete_study", "set_study_user_attr", "set_study_system_attr",
    "get_study_id_from_name", "get_study_name_from_id", "get_study_directions",
    "get_study_user_attrs", "get_study_system_attrs", "get_trial_user_attrs",
    "get_trial_system_attrs", "get_all_studies", "create_new_trial", "set_trial_param",
    "get_trial_param", "set_trial_intermediate_value", "set_trial_user_attr",
    "set_trial_system_attr", "get_trial_id_from_study_id_trial_number", "get_trial",
    "get_all_trials", "get_best_trial", "_get_stale_trial_ids",
    # Optuna's cache in front of the storage calls these private ones (optuna/storages/
    # _cached_storage.py): they go to the database too
    "_get_trials", "_create_new_trial", "_set_trial_param", "_get_best_trial_id",
)  # fmt: skip


@functools.cache
def riding_class():
    """RDBStorage whose database calls ride out an outage (built on first use: Optuna is
    imported only when a database storage is opened). Still an RDBStorage, so Optuna keeps its
    cache in front of it and its heartbeat behind it."""
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.storages import RDBStorage

    class RidingRDBStorage(RDBStorage):
        outage_seconds: float = OUTAGE_SECONDS

        @contextlib.contextmanager
        def batched(self):
            """Inside (in this thread), trial user and system attributes, parameters and
            intermediate values are kept and written at the end in one transaction
            (`write_together`), retried whole on a lost connection; nothing is written if the
            body raises. Nested: the outer one writes."""
            local = _batches.__dict__
            if local.get(id(self)) is not None:
                yield
                return
            local[id(self)] = writes = []
            try:
                yield
            finally:
                local[id(self)] = None
            if writes:
                self._write_together(writes)

        def _queue(self, kind: str, args: tuple) -> bool:
            writes = _batches.__dict__.get(id(self))
            if writes is None:
                return False
            writes.append((kind, args))
            return True

        def _write_together(self, writes) -> None:
            from sqlalchemy.exc import IntegrityError

            from sweeps.optuna_private import write_together

            attempts = 0

            def call() -> None:
                nonlocal attempts
                attempts += 1
                try:
                    write_together(self, writes)
                except Exception as e:  # a parameter's row is there: the lost attempt was
                    if attempts > 1 and isinstance(e.__cause__ or e, IntegrityError):  # committed
                        return
                    raise

            ride_out(call, self.outage_seconds, "the study storage")

        def set_trial_user_attr(self, trial_id, key, value) -> None:
            if not self._queue("attr", (trial_id, key, value)):
                ride_out(lambda: RDBStorage.set_trial_user_attr(self, trial_id, key, value),
                         self.outage_seconds, "the study storage")  # fmt: skip

        def set_trial_system_attr(self, trial_id, key, value) -> None:
            if not self._queue("system", (trial_id, key, value)):
                ride_out(lambda: RDBStorage.set_trial_system_attr(self, trial_id, key, value),
                         self.outage_seconds, "the study storage")  # fmt: skip

        def set_trial_intermediate_value(self, trial_id, step, value) -> None:
            if not self._queue("value", (trial_id, step, value)):
                ride_out(
                    lambda: RDBStorage.set_trial_intermediate_value(self, trial_id, step, value),
                    self.outage_seconds, "the study storage",
                )  # fmt: skip

        def _set_trial_param(self, trial_id, name, value, distribution, previous) -> None:
            if not self._queue("param", (trial_id, name, value, distribution, previous)):
                ride_out(
                    lambda: RDBStorage._set_trial_param(
                        self, trial_id, name, value, distribution, previous
                    ),
                    self.outage_seconds, "the study storage",
                )  # fmt: skip

        def set_trial_state_values(self, trial_id, state, values=None) -> bool:
            attempts = 0

            def call() -> bool:
                nonlocal attempts
                attempts += 1
                try:
                    return RDBStorage.set_trial_state_values(self, trial_id, state, values)
                except UpdateFinishedTrialError:
                    if attempts > 1 and RDBStorage.get_trial(self, trial_id).state == state:
                        return True  # the lost attempt was committed: it is done
                    raise

            return ride_out(call, self.outage_seconds, "the study storage")

    def riding(name: str):
        method = getattr(RDBStorage, name)

        @functools.wraps(method)
        def call(self, *args, **kwargs):
            return ride_out(lambda: method(self, *args, **kwargs), self.outage_seconds,
                            "the study storage")  # fmt: skip

        return call

    for name in RETRIED:
        if name not in vars(RidingRDBStorage):  # those it defines ride out by themselves
            setattr(RidingRDBStorage, name, riding(name))
    return RidingRDBStorage
