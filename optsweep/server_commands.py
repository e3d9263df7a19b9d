"""`optsweep ui`, `dashboard`, `server` and `sync`: the MLflow UI and tracking server,
optuna-dashboard, and rebuilding a study's MLflow runs from its Optuna trials."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from rich.markup import escape

from optsweep import console
from optsweep import options as opt


def ui(
    tracking_uri: opt.TrackingUri = None,
    host: Annotated[
        str, typer.Option(help="Interface to bind (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the UI.")] = 5000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes (MLflow's own: 4).")] = 1,
) -> None:
    """Start the MLflow UI on the sweep's tracking store; print each study's page."""
    import os
    import sys

    from optsweep.hosts import public_warning
    from tracking import store
    from tracking import ui as ui_mod

    uri = store.resolve(tracking_uri)
    store.check_store(uri)  # MLflow would make its tables in another program's database
    warning = public_warning(host, "mlflow")
    if warning:
        typer.echo(f"warning: {warning}", err=True)
    argv = ui_mod.ui_command(uri, host=host, port=port, workers=workers)
    base = f"http://{host}:{port}"
    typer.echo(f"MLflow UI on {base} for {store.mask(uri)} (Ctrl-C stops it)")
    found = ui_mod.studies(uri)
    for name, experiment_id in found:
        typer.echo(f"  study {name}: {ui_mod.experiment_url(base, experiment_id)}")
    if not found:
        typer.echo("  no study yet: run one with make sweep (or optsweep sweep FILE)")
    sys.stdout.flush()
    os.execv(argv[0], argv)


def dashboard(
    study: opt.StudyName,
    storage: opt.Storage = None,
    host: opt.Host = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the dashboard (0: any free port).")] = 8080,
) -> None:
    """Start optuna-dashboard on the study's storage: Optuna's own view of the trials."""
    from optsweep.hosts import public_warning
    from sweeps import dashboard as dashboard_mod
    from sweeps import storage as storage_mod

    warning = public_warning(host, "dashboard")
    if warning:
        typer.echo(f"warning: {warning}", err=True)
    dash = dashboard_mod.open_dashboard(storage_mod.resolve(storage), study, host, port)
    typer.echo(f"optuna-dashboard for study {study} ({dash.storage_shown})")
    typer.echo(f"open {dash.url} (Ctrl-C stops it)")
    sys.stdout.flush()
    try:
        dash.serve_forever()
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)
    finally:
        dash.server.server_close()


def server(
    backend_store_uri: Annotated[
        str | None,
        typer.Option(
            envvar="MLFLOW_BACKEND_STORE_URI",
            help="SQL store of the runs: sqlite:///path/mlflow.db (default: mlflow.db here) or "
            "postgresql://user:password@host/db (better through the environment variable).",
        ),
    ] = None,
    artifacts_destination: Annotated[
        str | None,
        typer.Option(help="Folder of the served artifacts (default: mlartifacts beside the db)."),
    ] = None,
    host: opt.Host = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the server.")] = 5000,
    workers: Annotated[
        int | None, typer.Option(help="Server processes (MLflow's default: 4).")
    ] = None,
    allowed_hosts: Annotated[
        str | None,
        typer.Option(
            help="Host names clients may use for the server, comma-separated (MLflow's "
            "default: loopback and private IPs; with --host, this machine's name too)."
        ),
    ] = None,
) -> None:
    """Start an MLflow tracking server that sweep workers on any machine log to over HTTP."""
    _server(backend_store_uri, artifacts_destination, host, port, workers, allowed_hosts)


def sync(
    study: opt.StudyName,
    storage: opt.Storage = None,
    tracking_uri: opt.TrackingUri = None,
) -> None:
    """Rebuild or complete a study's MLflow runs from its Optuna trials (the record of truth)."""
    _sync(study, storage, tracking_uri)


def _server(backend_uri, artifacts, host: str, port: int, workers, allowed_hosts=None) -> None:
    """Check the settings, say where workers should log, then become `mlflow server`."""
    from optsweep.hosts import public_warning
    from tracking import server as server_mod

    srv = server_mod.configure(
        backend_uri, artifacts, host=host, port=port, workers=workers, allowed_hosts=allowed_hosts
    )
    warning = public_warning(host, "mlflow")
    if warning:
        console.err().print(f"warning: {warning}", soft_wrap=True, markup=False)
    console.out().print(
        f"[bold]MLflow tracking server[/] {srv.url} (Ctrl-C stops it)", soft_wrap=True
    )
    console.out().print(f"[bold]backend store[/]  {escape(srv.backend_shown)}", soft_wrap=True)
    console.out().print(f"[bold]artifacts[/]      {escape(srv.artifacts)}", soft_wrap=True)
    console.out().print(
        f"workers log here with: optsweep worker SWEEP.toml --tracking-uri {srv.url}",
        soft_wrap=True,
        markup=False,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(srv.argv[0], srv.argv, srv.env)


def _sync(study_name: str, storage, tracking_uri) -> None:
    from sweeps import storage as storage_mod
    from sweeps import sync as sync_mod
    from tracking import store

    cfg = storage_mod.resolve(storage)
    uri = store.resolve(tracking_uri)
    report = sync_mod.sync(cfg, study_name, uri)
    console.out().print(f"[bold]study storage[/]  {escape(cfg.shown)}", soft_wrap=True)
    console.out().print(f"[bold]MLflow store[/]   {escape(store.mask(uri))}", soft_wrap=True)
    lines = [
        ("failed (worker gone)", report.stale),
        ("runs created", report.created),
        ("runs completed or re-ended", report.repaired),
        ("trials still running (left to their workers)", report.running),
        ("runs without a trial (left alone)", report.orphans),
        ("duplicate runs deleted (mlflow runs restore can undo it)", report.duplicates),
    ]
    for label, numbers in lines:
        if numbers:
            console.out().print(f"{label}: {len(numbers)} (trials {_numbers(numbers)})")
    if report.parent:
        console.out().print(f"parent run: {report.parent}")
    console.out().print(
        f"{study_name}: {report.unchanged} run(s) already matched"
        + ("" if report.changed else "; nothing to do")
    )


def _numbers(numbers: list[int], shown: int = 20) -> str:
    text = ", ".join(map(str, numbers[:shown]))
    return text + (f", ... ({len(numbers) - shown} more)" if len(numbers) > shown else "")
