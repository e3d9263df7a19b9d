"""Command lines for MLflow's UI and tracking server, bound to this machine unless asked.

MLflow's UI and server have no authentication by default: anyone who can reach the port can
read and delete runs. So both bind to 127.0.0.1 unless the user names another host (the CLI
warns then: optsweep/hosts.py).
"""

from __future__ import annotations

import contextlib
import ipaddress
import sys
from pathlib import Path

LOOPBACK = "127.0.0.1"
# MLflow 3's UI opens in its "GenAI" view (traces, prompts); runs, charts and artifacts are in
# its "Model training" view, which this query parameter selects.
MODEL_TRAINING = "workflowType=machine_learning"


def ui_command(
    tracking_uri: str, host: str = LOOPBACK, port: int = 5000, workers: int = 1
) -> list[str]:
    """argv for `mlflow ui` on `tracking_uri` (artifacts beside a SQLite store show too).

    One server process by default, not MLflow's four: one person browses, and four processes
    importing MLflow at once took 4x as long to answer on a 2-core machine.
    """
    return [
        sys.executable, "-m", "mlflow", "ui",
        "--backend-store-uri", tracking_uri,
        "--host", host,
        "--port", str(int(port)),
        "--workers", str(int(workers)),
    ]  # fmt: skip


def experiment_url(base_url: str, experiment_id: str) -> str:
    """The page of an experiment's runs in the UI's "Model training" view."""
    return f"{base_url.rstrip('/')}/#/experiments/{experiment_id}/runs?{MODEL_TRAINING}"


def studies(tracking_uri: str) -> list[tuple[str, str]]:
    """(study name, experiment id) of every study in a SQLite store, newest first.

    Read straight from MLflow's tables, read-only, in milliseconds (importing MLflow to ask
    would hold up `optsweep ui` by seconds before the server even starts); tests check the
    answer against MlflowClient's. [] when the store is not SQLite, does not exist yet (this
    never creates one) or cannot be read.
    """
    import sqlite3

    from tracking.runs import ROLE_TAG
    from tracking.store import sqlite_path

    db = sqlite_path(tracking_uri)
    if db is None or not db.is_file():
        return []
    query = """
        SELECT e.name, e.experiment_id FROM experiments e
        WHERE e.lifecycle_stage = 'active' AND EXISTS (
            SELECT 1 FROM runs r JOIN tags t ON t.run_uuid = r.run_uuid
            WHERE r.experiment_id = e.experiment_id AND r.lifecycle_stage = 'active'
              AND t.key = ? AND t.value = 'study')
        ORDER BY e.creation_time DESC, e.experiment_id DESC
    """
    try:
        with contextlib.closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as c:
            return [(name, str(eid)) for name, eid in c.execute(query, (ROLE_TAG,))]
    except sqlite3.Error:  # another MLflow schema, a locked or broken file: the UI will say
        return []


def server_command(
    backend_uri: str,
    artifacts_dir: Path | str,
    host: str = LOOPBACK,
    port: int = 5000,
    workers: int | None = None,
) -> list[str]:
    """argv for `mlflow server` with a SQL backend and served artifacts in `artifacts_dir`.

    Clients then log artifacts through the server (mlflow-artifacts:/), so workers on other
    machines need no access to the artifact folder. `workers` None keeps MLflow's default (4
    server processes); 1 starts fastest.
    """
    destination = str(artifacts_dir)
    if "://" not in destination and not destination.startswith("file:"):
        destination = Path(destination).expanduser().resolve().as_uri()
    return [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", backend_uri,
        "--serve-artifacts",
        "--artifacts-destination", destination,
        "--host", host,
        "--port", str(int(port)),
        *(["--workers", str(int(workers))] if workers else []),
    ]  # fmt: skip


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
