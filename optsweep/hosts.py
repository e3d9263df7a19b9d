"""The one rule about serving beyond this machine, for the MLflow UI and server and for
optuna-dashboard: bound to another interface than loopback, a service needs a login (`optsweep
server --auth`) or the user's `--insecure` in so many words; without a login anyone who reaches
the port can read and change the data."""

from __future__ import annotations

from core.errors import UserError
from tracking.ui import LOOPBACK, is_loopback

EXPOSES = {
    "mlflow": ("MLflow", "read, change and delete your runs"),
    "dashboard": ("optuna-dashboard", "read, rename and delete your studies and trials"),
}
FIXES = {
    "mlflow": "start `optsweep server --auth` (logins and per-experiment permissions)",
    "dashboard": "reach it through an SSH tunnel (ssh -L 8080:127.0.0.1:8080 HOST)",
}


def check_exposure(host: str, service: str, *, auth: bool = False, insecure: bool = False):
    """None on loopback or with a login; the warning (without "warning:") under --insecure;
    UserError (one line, exit 2) otherwise. `service` is "mlflow" or "dashboard"."""
    if is_loopback(host) or auth:
        return None
    name, danger = EXPOSES[service]
    if insecure:
        return (
            f"binding {name} to {host} without a login (--insecure): anyone who can reach this "
            f"machine can {danger}"
        )
    raise UserError(
        f"binding {name} to {host} would let anyone who can reach this machine {danger}: "
        f"use --host {LOOPBACK}, {FIXES[service]}, or say --insecure on a network you trust"
    )
