"""Command lines for MLflow's UI and tracking server, bound to this machine unless asked.

MLflow's UI and server have no authentication by default: anyone who can reach the port can
read and delete runs. So both bind to 127.0.0.1 unless the user names another host, and
`warn_if_public` gives the text to print when they do.
"""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

LOOPBACK = "127.0.0.1"


def ui_command(tracking_uri: str, host: str = LOOPBACK, port: int = 5000) -> list[str]:
    """argv for `mlflow ui` on `tracking_uri` (artifacts beside a SQLite store show too)."""
    return [
        sys.executable, "-m", "mlflow", "ui",
        "--backend-store-uri", tracking_uri,
        "--host", host,
        "--port", str(int(port)),
    ]  # fmt: skip


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


def warn_if_public(host: str) -> str | None:
    """A warning (without a "warning:" prefix) when `host` exposes the UI beyond this machine."""
    if is_loopback(host):
        return None
    return (
        f"binding MLflow to {host} lets anyone who can reach this machine read, change "
        f"and delete your runs (MLflow has no login by default); use --host {LOOPBACK} unless "
        "the network is trusted"
    )
