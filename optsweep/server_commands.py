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
    insecure: opt.Insecure = False,
) -> None:
    """Start the MLflow UI on the sweep's tracking store; print each study's page."""
    import os
    import sys

    from optsweep.hosts import check_exposure
    from tracking import store
    from tracking import ui as ui_mod

    warning = check_exposure(host, "mlflow", insecure=insecure)
    uri = store.resolve(tracking_uri)
    store.check_store(uri)  # MLflow would make its tables in another program's database
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
    insecure: opt.Insecure = False,
) -> None:
    """Start optuna-dashboard on the study's storage: Optuna's own view of the trials."""
    from optsweep.hosts import check_exposure
    from sweeps import dashboard as dashboard_mod
    from sweeps import storage as storage_mod

    warning = check_exposure(host, "dashboard", insecure=insecure)
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
    ctx: typer.Context,
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
    auth: Annotated[
        bool,
        typer.Option(
            "--auth",
            help="Logins and per-experiment permissions (MLflow's basic-auth app), users in "
            "mlflow-auth.db beside the store; the first start reads the admin password from "
            "OPTSWEEP_ADMIN_PASSWORD.",
        ),
    ] = False,
    insecure: opt.Insecure = False,
) -> None:
    """Start an MLflow tracking server that sweep workers on any machine log to over HTTP."""
    if ctx.invoked_subcommand is not None:
        return
    _server(
        backend_store_uri, artifacts_destination, host, port, workers, allowed_hosts, auth,
        insecure,
    )  # fmt: skip


def add_user(
    name: Annotated[str, typer.Argument(help="The user's login name.")],
    study: Annotated[
        str | None,
        typer.Option(help="Give the user EDIT on this study's runs: what a worker needs."),
    ] = None,
    tracking_uri: Annotated[
        str,
        typer.Option(envvar="MLFLOW_TRACKING_URI", help="The --auth server, as workers reach it."),
    ] = "http://127.0.0.1:5000",
) -> None:
    """Add a user to an --auth server (or set a user's password), as its admin.

    The admin password comes from OPTSWEEP_ADMIN_PASSWORD; the user's from
    OPTSWEEP_USER_PASSWORD, or a prompt: never from the command line, where `ps` shows it.
    """
    from tracking import auth

    admin = auth.check_password(os.environ.get(auth.ADMIN_PASSWORD_ENV), auth.ADMIN_PASSWORD_ENV)
    password = os.environ.get(auth.USER_PASSWORD_ENV)
    if not password:
        if not sys.stdin.isatty():
            auth.check_password(None, auth.USER_PASSWORD_ENV)
        password = typer.prompt(f"password for {name}", hide_input=True, confirmation_prompt=True)
    experiment = auth.add_user(tracking_uri, name, password, admin, study)
    granted = f"; EDIT on study {study} (experiment {experiment})" if study else ""
    typer.echo(f"user {name} can log in to {tracking_uri}{granted}")
    typer.echo(f"its workers: export {auth.USERNAME_ENV}={name} {auth.PASSWORD_ENV}=...", err=False)


def sync(
    study: opt.StudyName,
    storage: opt.Storage = None,
    tracking_uri: opt.TrackingUri = None,
) -> None:
    """Rebuild or complete a study's MLflow runs from its Optuna trials (the record of truth)."""
    _sync(study, storage, tracking_uri)


def _server(
    backend_uri, artifacts, host: str, port: int, workers, allowed_hosts=None, auth=False,
    insecure=False,
) -> None:  # fmt: skip
    """Check the settings, say where workers should log, then become `mlflow server`."""
    from optsweep.hosts import check_exposure
    from tracking import server as server_mod

    warning = check_exposure(host, "mlflow", auth=auth, insecure=insecure)
    srv = server_mod.configure(
        backend_uri, artifacts, host=host, port=port, workers=workers,
        allowed_hosts=allowed_hosts, auth=auth,
    )  # fmt: skip
    if warning:
        console.err().print(f"warning: {warning}", soft_wrap=True, markup=False)
    console.out().print(
        f"[bold]MLflow tracking server[/] {srv.url} (Ctrl-C stops it)", soft_wrap=True
    )
    console.out().print(f"[bold]backend store[/]  {escape(srv.backend_shown)}", soft_wrap=True)
    console.out().print(f"[bold]artifacts[/]      {escape(srv.artifacts)}", soft_wrap=True)
    if srv.users:
        console.out().print(
            f"[bold]users[/]          {escape(srv.users)} (add one: optsweep server add-user "
            "NAME --study STUDY)",
            soft_wrap=True,
        )
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
