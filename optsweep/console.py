"""The CLI's two Rich consoles: results on stdout, progress and errors on stderr."""

from __future__ import annotations

import json
import math
import sys

from rich.console import Console


def out() -> Console:
    """A console on stdout, made at each call: it writes to the stream of the moment (tests
    swap sys.stdout; a console made at import would keep the old one)."""
    return Console()


def err() -> Console:
    """A console on stderr, likewise."""
    return Console(stderr=True)


def print_json(content) -> None:
    """`content` as one line of standard JSON on stdout (NaN and infinities as null)."""
    sys.stdout.write(json.dumps(_json_safe(content), allow_nan=False) + "\n")


def _json_safe(x):
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): _json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_safe(v) for v in x]
    return x
