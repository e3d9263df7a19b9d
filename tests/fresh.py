"""Run a snippet in a new interpreter at the repository root: what a fresh process imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fresh_python(code: str, *argv: str, env: dict[str, str] | None = None) -> str:
    """The snippet's stripped stdout; its stderr in the failure when it exits non-zero."""
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
