"""Ctrl-C and SIGTERM around a trial: they cut training short, never a write to the storage or
the tracking store (a database call cut in the middle can fail with another error, or leave its
connection unusable for the closing writes)."""

from __future__ import annotations

import contextlib
import signal
import threading


class Interrupted(BaseException):
    """SIGTERM, raised in the main thread so the running trial is closed like on Ctrl-C."""


@contextlib.contextmanager
def deaf_to_signals():
    """Ignore SIGINT and SIGTERM while a trial or a sweep is being closed (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def signals_deferred():
    """Hold SIGINT and SIGTERM back until the block ends, then deliver them: a trial claimed in
    the block is in the caller's hands (and closed by it) before the interrupt arrives."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {
        s: signal.signal(s, lambda signum, frame: caught.append(signum))
        for s in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if caught:
        signal.raise_signal(caught[0])  # now, with the usual handler
