"""Writes to MLflow that survive a busy database or a server that is briefly down.

Every call goes through a `Writer`: a transient failure (connection refused, timeout, HTTP 5xx,
SQLite "database is locked") is retried with exponential backoff and jitter, within a bounded
total time. What happens when retries run out depends on the caller:

- `Writer.soft` (during a trial) returns (False, None) and records the error; it never raises
  into the training loop. After a give-up the writer "opens its circuit" for `cooldown`
  seconds: soft writes skip the store at once instead of each waiting out its retries, so a
  dead server costs a sweep one bounded wait, not one per flush.
- `Writer.hard` (before any trial: opening the store, the study's parent run) raises
  TrackingError with one line naming the store and the cause.

A permanent failure (a rejected value, a missing run) is not retried.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tracking.errors import TrackingError
from tracking.store import is_server, mask

log = logging.getLogger("optsweep.tracking")
T = TypeVar("T")

# MLflow error codes that retrying cannot fix
PERMANENT_CODES = frozenset(
    {
        "BAD_REQUEST",
        "ENDPOINT_NOT_FOUND",
        "FEATURE_DISABLED",
        "INVALID_PARAMETER_VALUE",
        "INVALID_STATE",
        "NOT_FOUND",
        "PERMISSION_DENIED",
        "RESOURCE_ALREADY_EXISTS",
        "RESOURCE_DOES_NOT_EXIST",
        "UNAUTHENTICATED",
    }
)
_TRANSIENT_TEXT = ("database is locked", "database table is locked", "busy", "timed out")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a write tries; the defaults bound one give-up to about `max_total` seconds."""

    attempts: int = 4  # tries per write, the first included
    base_delay: float = 0.25  # seconds before the second try; doubles after each failure
    max_delay: float = 4.0
    max_total: float = 8.0  # no new try starts this long after the first
    cooldown: float = 30.0  # after a give-up, soft writes skip the store this long
    timeout: float = 5.0  # per HTTP request to a tracking server

    def delays(self) -> list[float]:
        """The pause before each retry, without jitter."""
        return [min(self.max_delay, self.base_delay * 2**k) for k in range(self.attempts - 1)]


def is_transient(error: BaseException) -> bool:
    """True when trying the same write again may succeed."""
    code = getattr(error, "error_code", None)
    if isinstance(code, str) and code in PERMANENT_CODES:
        return False
    if code is not None:  # an MlflowException: TEMPORARILY_UNAVAILABLE, INTERNAL_ERROR, ...
        return True
    if isinstance(error, OSError | TimeoutError | ConnectionError):
        return True
    text = str(error).lower()
    return any(t in text for t in _TRANSIENT_TEXT)


# what a failed HTTP request to a server comes down to, inside urllib3's long message
_NET_CAUSE = re.compile(
    r"(\[Errno -?\d+\][^'\")]*|Read timed out|Connection refused|Connection reset[^'\")]*)"
)


def describe(error: BaseException) -> str:
    """One short masked line for an error; a failed request to a server says only why."""
    text = " ".join(str(error).split())
    cause = _NET_CAUSE.search(text)
    if cause and ("API request to" in text or isinstance(error, OSError)):
        return mask(f"server not reachable ({cause.group(1).strip().rstrip('.')})")
    if len(text) > 300:
        text = text[:297] + "..."
    return mask(f"{type(error).__name__}: {text}" if text else type(error).__name__)


class Writer:
    """An MlflowClient with retried writes, shared by a study's tracker and its trial runs."""

    def __init__(self, client: Any, policy: RetryPolicy | None = None, uri: str = "") -> None:
        self.client = client
        self.policy = policy or RetryPolicy()
        self.uri = uri
        self.errors: list[str] = []  # one line per write that gave up
        self._open_until = 0.0
        self._sleep = time.sleep

    @property
    def circuit_open(self) -> bool:
        return time.monotonic() < self._open_until

    def soft(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[bool, T]:
        """(True, result), or (False, None) once retries are exhausted; never raises."""
        if self.circuit_open:
            return False, None  # type: ignore[return-value]
        try:
            return True, self._retry(fn, args, kwargs)
        except Exception as e:  # anything, a bug included, must stay out of the training loop
            line = f"{what} failed: {describe(e)}"
            self.errors.append(line)
            if is_transient(e):
                self._open_until = time.monotonic() + self.policy.cooldown
                log.warning(
                    "tracking store %s unavailable (%s); "
                    "skipping tracking writes for %.0fs, `optsweep sync` can fill the gap",
                    mask(self.uri),
                    line,
                    self.policy.cooldown,
                )
            else:
                log.warning("tracking: %s", line)
            return False, None  # type: ignore[return-value]

    def hard(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """The result, or TrackingError (one line) once retries are exhausted."""
        try:
            result = self._retry(fn, args, kwargs)
        except TrackingError:
            raise
        except Exception as e:
            fix = ""
            if is_server(self.uri) and is_transient(e):
                fix = "; start it with `optsweep server` or fix --tracking-uri"
            raise TrackingError(
                f"cannot {what} in the MLflow store {mask(self.uri)}: {describe(e)}{fix}"
            ) from None
        self._open_until = 0.0  # the store answers again
        return result

    def _retry(self, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        start = time.monotonic()
        delays = self.policy.delays()
        for attempt in range(self.policy.attempts):
            try:
                return fn(*args, **kwargs)
            except Exception as e:
                if attempt == len(delays) or not is_transient(e):
                    raise
                pause = delays[attempt] * random.uniform(0.75, 1.25)  # workers do not collide
                if time.monotonic() - start + pause > self.policy.max_total:
                    raise
                self._sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover
