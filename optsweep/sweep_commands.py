"""What the sweep commands do once options are parsed: call sweeps/tracking, print with Rich."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


class _Consoles:
    """Rich consoles made on first use, so they write to the streams of the moment (tests swap
    sys.stdout; a console made at import would keep the old one)."""

    @property
    def out(self) -> Console:
        return Console()

    @property
    def err(self) -> Console:
        return Console(stderr=True)


_c = _Consoles()


def sweep(plan, workers: int, timeout: float | None, report_seeds: int = 3) -> None:
    from sweeps import runner

    _print_locations(plan, "sweep")
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("best {task.fields[best]}  running {task.fields[running]}"),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns, console=_c.err, transient=False, redirect_stdout=False, redirect_stderr=False
    ) as bar:
        tasks = []  # the bar appears once the study is open: a sweep that cannot start shows
        # only its error line

        def on_progress(p) -> None:
            if not tasks:
                tasks.append(bar.add_task(plan.spec.name, total=p.total, best="-", running=0))
            best = "-" if p.best is None else f"{p.best:.4g}"
            bar.update(tasks[0], completed=p.done, best=best, running=p.running)

        study, tracker = runner.sweep(
            plan, workers=workers, timeout=timeout, on_progress=on_progress, on_idle=_preload
        )
    finish(plan, study, tracker, report_seeds=report_seeds, report_workers=workers)


@functools.cache  # the sweep calls it on every look while the last trials run
def _preload() -> None:
    """Import what the summary and the plots need (seconds), while the last trials run."""
    from sweeps import plots, summary

    summary.preload()
    plots.preload()


def finish(plan, study, tracker, report_seeds: int = 0, report_workers: int = 1) -> None:
    """Summary table, parent-run artifacts, the defaults report, and where everything lives."""
    from sweeps import plots
    from sweeps.summary import summarize

    summary = summarize(study, plan.spec.objective)
    print_summary(summary)
    if tracker is not None:
        with tempfile.TemporaryDirectory() as tmp:
            pngs = plots.study_plots(study, Path(tmp))
            metrics = {}
            params = {}
            if summary.best is not None:
                metrics[f"best_{plan.spec.objective}"] = summary.best.value
                metrics["best_trial"] = summary.best.number
                params = {f"best.{k}": v for k, v in summary.best.values.items()}
            metrics.update({f"trials_{k.lower()}": v for k, v in summary.counts.items()})
            tracker.log_parent(metrics=metrics, params=params, artifacts=pngs)
    if report_seeds:
        end_report(plan, study, tracker, report_seeds, report_workers)
    if tracker is not None and runner_done(study, plan):
        tracker.finish_parent("FINISHED")  # else it stays RUNNING: a re-run resumes it
    _print_locations(plan, "end", tracker)


def end_report(plan, study, tracker, seeds: int, workers: int) -> None:
    """The defaults report (optsweep report) on fewer seeds, so the sweep stays quick."""
    from core.errors import UserError
    from optsweep import report_commands
    from sweeps import report as report_mod

    try:
        prepared = report_mod.prepare(
            study, plan.spec, seeds=seeds, workers=workers,
            out=plan.workdir / report_mod.default_out(plan.spec.name),
            tracking_uri=tracker.tracking_uri if tracker else None,
            parent_run_id=tracker.parent_run_id if tracker else None,
        )  # fmt: skip
    except UserError as e:
        _c.out.print(f"defaults report skipped: {e}", highlight=False)
        return
    note = (f"run at the end of the sweep on {seeds} seeds (optsweep report STUDY uses "
            f"{report_mod.DEFAULT_SEEDS}), to keep the sweep quick")  # fmt: skip
    prepared.notes.append(note)
    _c.out.print(f"\n[bold]defaults report[/]: {note}", highlight=False)
    report_commands.report(prepared, json_out=False)


def runner_done(study, plan) -> bool:
    from sweeps.runner import progress

    return progress(study, plan.spec.trials).done >= plan.spec.trials


def print_summary(summary) -> None:
    counts = ", ".join(f"{v} {k.lower()}" for k, v in sorted(summary.counts.items()))
    _c.out.print(f"\n[bold]study[/] {summary.name}: {counts or 'no trials'}")
    if summary.best is None:
        _c.out.print("no completed trial yet")
    else:
        b = summary.best
        _c.out.print(
            f"[bold]best[/] {summary.objective} = {b.value:.5g} (trial {b.number}): "
            + ", ".join(f"{k}={_fmt(v)}" for k, v in b.values.items())
        )
    if summary.top:
        keys = list(summary.top[0].values)
        table = Table(title=f"top {len(summary.top)} by {summary.objective} ({summary.direction})")
        for col in ("trial", summary.objective, *keys, "epochs", "seconds"):
            table.add_column(col, justify="right")
        for r in summary.top:
            table.add_row(
                str(r.number), _fmt(r.value), *(_fmt(r.values.get(k)) for k in keys),
                _fmt(r.epochs), _fmt(r.seconds),
            )  # fmt: skip
        _c.out.print(table)
    if summary.importances:
        table = Table(title="parameter importances (Optuna, fANOVA)")
        table.add_column("parameter")
        table.add_column("importance", justify="right")
        for k, v in summary.importances.items():
            table.add_row(k, f"{v:.3f}")
        _c.out.print(table)
    elif summary.importance_note:
        _c.out.print(f"importances: {summary.importance_note}")


def trials(storage_cfg, study_name: str) -> None:
    from sweeps import storage as storage_mod
    from sweeps.summary import summarize

    study = storage_mod.load_study(storage_cfg, study_name)
    summary = summarize(study, importances=False)
    keys = sorted({k for r in summary.rows for k in r.values})
    table = Table(title=f"study {study_name} ({storage_cfg.shown})")
    table.add_column("trial", justify="right")
    table.add_column("state", no_wrap=True, min_width=8)
    for col in ("value", *keys, "epochs"):
        table.add_column(col, justify="right")
    table.add_column("reason", overflow="fold")
    for r in summary.rows:
        table.add_row(
            str(r.number), r.state, _fmt(r.value), *(_fmt(r.values.get(k)) for k in keys),
            _fmt(r.epochs), r.reason,
        )  # fmt: skip
    _c.out.print(table)
    print_summary(summarize(study))


def _print_locations(plan, when: str, tracker=None) -> None:
    from tracking.store import is_server, mask

    # soft_wrap: a long path stays on one line, whole, for copying
    _c.out.print(f"[bold]study storage[/]  {plan.storage.shown}", soft_wrap=True)
    if plan.tracking_uri:
        _c.out.print(f"[bold]MLflow store[/]   {mask(plan.tracking_uri)}", soft_wrap=True)
    if when == "end" and plan.tracking_uri:
        if is_server(plan.tracking_uri):  # a server is its own UI
            _c.out.print(f"open the MLflow UI: {mask(plan.tracking_uri)}", soft_wrap=True)
        else:
            _c.out.print("open the MLflow UI: [bold]make ui[/] (or: optsweep ui)")


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)
