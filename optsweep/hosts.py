"""The one warning about serving beyond this machine, for the MLflow UI and server and for
optuna-dashboard: neither has a login, so whoever reaches the port can change the data."""

from __future__ import annotations

from tracking.ui import LOOPBACK, is_loopback

EXPOSES = {
    "mlflow": ("MLflow", "read, change and delete your runs (MLflow has no login by default)"),
    "dashboard": ("optuna-dashboard", "read, rename and delete your studies and trials (it has "
                  "no login)"),
}  # fmt: skip


def public_warning(host: str, service: str) -> str | None:
    """The warning (without a "warning:" prefix) when `host` exposes `service` ("mlflow" or
    "dashboard") beyond this machine; None on loopback."""
    if is_loopback(host):
        return None
    name, danger = EXPOSES[service]
    return (
        f"binding {name} to {host} lets anyone who can reach this machine {danger}; use "
        f"--host {LOOPBACK} unless the network is trusted"
    )
