"""Real MLflow SQLite stores for the tracking tests, without paying for MLflow's migrations.

Creating a new MLflow store runs its schema migrations (several seconds). One empty migrated
store is built per test session, shared by the xdist workers through a file lock, and each test
gets a private copy of it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import sys
from pathlib import Path

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # tests make no outside calls

REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("_worker.py")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    root = tmp_path_factory.getbasetemp().parent  # shared by all xdist workers of this run
    db = root / "template-mlflow.db"
    with open(root / "template-mlflow.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not db.exists():
            build = root / "template-build"
            build.mkdir(exist_ok=True)
            from mlflow.tracking import MlflowClient

            MlflowClient(f"sqlite:///{build / 'mlflow.db'}").search_experiments()
            shutil.copy(build / "mlflow.db", db)
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


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return env


def worker_argv(*args: object) -> list[str]:
    return [sys.executable, str(WORKER), *map(str, args)]
