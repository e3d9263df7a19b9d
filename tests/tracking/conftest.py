"""Real MLflow SQLite stores for the tracking tests, without paying for MLflow's migrations.

Creating a new MLflow store runs its schema migrations (several seconds). One empty migrated
store is built per MLflow version, shared by test sessions and xdist workers through a file
lock, and each test gets a private copy of it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # tests make no outside calls

REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("_worker.py")


@pytest.fixture(scope="session")
def template_db() -> Path:
    """An empty migrated store, cached per MLflow version across test sessions and workers."""
    return build_template_db()


def build_template_db() -> Path:
    """The template store's path, built under a file lock by the first test process to ask
    (tests/distributed copies it for its servers too)."""
    import mlflow

    root = Path(tempfile.gettempdir()) / "optsweep-test-cache"
    root.mkdir(exist_ok=True)
    db = root / f"mlflow-{mlflow.__version__}.db"
    with open(root / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not db.exists():
            with tempfile.TemporaryDirectory(dir=root) as build:
                from mlflow.tracking import MlflowClient

                MlflowClient(f"sqlite:///{build}/mlflow.db").search_experiments()
                shutil.copy(Path(build) / "mlflow.db", root / "partial.db")
                (root / "partial.db").rename(db)  # never a half-written template
    return db


@pytest.fixture
def store(tmp_path, template_db) -> str:
    """A fresh, empty MLflow SQLite store in tmp_path."""
    shutil.copy(template_db, tmp_path / "mlflow.db")
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


@pytest.fixture
def free_port() -> int:
    """A loopback port nothing listens on (bound, read and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def spawn_worker():
    """Start `_worker.py` with the given arguments in a new process; returns the Popen."""

    def spawn(*args: object) -> subprocess.Popen:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
        argv = [sys.executable, str(WORKER), *map(str, args)]
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)

    return spawn
