"""The CLI's two Rich consoles: results on stdout, progress and errors on stderr."""

from __future__ import annotations

from rich.console import Console


def out() -> Console:
    """A console on stdout, made at each call: it writes to the stream of the moment (tests
    swap sys.stdout; a console made at import would keep the old one)."""
    return Console()


def err() -> Console:
    """A console on stderr, likewise."""
    return Console(stderr=True)
