"""What `optsweep server` and `optsweep sync` do once options are parsed: call, then print."""

from __future__ import annotations

import os
import sys

from rich.markup import escape

from optsweep.sweep_commands import _c


def server(backend_uri, artifacts, host: str, port: int, workers, allowed_hosts=None) -> None:
    """Check the settings, say where workers should log, then become `mlflow server`."""
    from optsweep.hosts import public_warning
    from tracking import server as server_mod

    srv = server_mod.configure(
        backend_uri, artifacts, host=host, port=port, workers=workers, allowed_hosts=allowed_hosts
    )
    warning = public_warning(host, "mlflow")
    if warning:
        _c.err.print(f"warning: {warning}", soft_wrap=True, markup=False)
    _c.out.print(f"[bold]MLflow tracking server[/] {srv.url} (Ctrl-C stops it)", soft_wrap=True)
    _c.out.print(f"[bold]backend store[/]  {escape(srv.backend_shown)}", soft_wrap=True)
    _c.out.print(f"[bold]artifacts[/]      {escape(srv.artifacts)}", soft_wrap=True)
    _c.out.print(
        f"workers log here with: optsweep worker SWEEP.toml --tracking-uri {srv.url}",
        soft_wrap=True,
        markup=False,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(srv.argv[0], srv.argv, srv.env)


def sync(study_name: str, storage, tracking_uri) -> None:
    from sweeps import storage as storage_mod
    from sweeps import sync as sync_mod
    from tracking import store

    cfg = storage_mod.resolve(storage)
    uri = store.resolve(tracking_uri)
    report = sync_mod.sync(cfg, study_name, uri)
    _c.out.print(f"[bold]study storage[/]  {escape(cfg.shown)}", soft_wrap=True)
    _c.out.print(f"[bold]MLflow store[/]   {escape(store.mask(uri))}", soft_wrap=True)
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
            _c.out.print(f"{label}: {len(numbers)} (trials {_numbers(numbers)})")
    if report.parent:
        _c.out.print(f"parent run: {report.parent}")
    _c.out.print(
        f"{study_name}: {report.unchanged} run(s) already matched"
        + ("" if report.changed else "; nothing to do")
    )


def _numbers(numbers: list[int], shown: int = 20) -> str:
    text = ", ".join(map(str, numbers[:shown]))
    return text + (f", ... ({len(numbers) - shown} more)" if len(numbers) > shown else "")
