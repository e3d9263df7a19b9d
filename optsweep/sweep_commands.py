"""`optsweep sweep`, `worker` and `trials`: run a sweep (its workers, its summary and its
defaults report), join one as a worker, list a study's trials."""

from __future__ import annotations

import functools
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from optsweep import console
from optsweep import options as opt


def sweep(
    sweep_file: opt.SweepFile = "default",
    trials: opt.Trials = None,
    workers: Annotated[int, typer.Option(help="Local worker processes.")] = 1,
    storage: opt.Storage = None,
    tracking_uri: opt.TrackingUri = None,
    study: opt.Study = None,
    timeout: Annotated[
        float | None, typer.Option(help="Stop starting trials after this many seconds.")
    ] = None,
    heartbeat_interval: opt.HeartbeatInterval = 10,
    grace_period: opt.GracePeriod = None,
    max_retry: opt.MaxRetry = 2,
    no_track: opt.NoTrack = False,
    flush_every: opt.FlushEvery = 100,
    flush_seconds: opt.FlushSeconds = 5.0,
    population: opt.Population = None,
    report_seeds: Annotated[
        str,
        typer.Option(
            help="Seeds of the defaults report at the end: auto (rounds of 5, 10, 20, 40 until "
            "every verdict is decided), a number, or 0 for no report."
        ),
    ] = "auto",
) -> None:
    """Run (or resume) a sweep: Optuna searches, every trial's curves go to MLflow."""
    from analysis import defaults_report as report
    from sweeps import sweep as sweep_checks

    sweep_checks.check_options(workers, timeout)
    report_seeds = None if report_seeds.strip() == "0" else report_seeds
    if report_seeds:
        report.check_options(report_seeds, 0.01, 1, "--report-seeds")
    plan = sweep_checks.check(
        sweep_file, trials=trials, study=study, storage=storage, tracking_uri=tracking_uri,
        heartbeat_interval=heartbeat_interval, grace_period=grace_period, max_retry=max_retry,
        track=not no_track, flush_every=flush_every, flush_seconds=flush_seconds,
        population=population,
    )  # fmt: skip
    if report_seeds:  # the report is written after the trials: its folder is checked before
        out = plan.workdir / report.default_out(plan.spec.name)
        report.check_out(out, fix="run from another folder, or skip it with --report-seeds 0")
    _sweep(plan, workers, timeout, report_seeds)


def worker(
    sweep_file: opt.SweepFile,
    storage: opt.Storage = None,
    tracking_uri: opt.TrackingUri = None,
    study: opt.Study = None,
    trials: opt.Trials = None,
    worker_index: Annotated[int, typer.Option(min=0, help="Offsets the sampler seed.")] = 0,
    deadline: Annotated[
        float | None, typer.Option(help="Unix time after which no trial starts.")
    ] = None,
    heartbeat_interval: opt.HeartbeatInterval = 10,
    grace_period: opt.GracePeriod = None,
    max_retry: opt.MaxRetry = 2,
    no_track: opt.NoTrack = False,
    flush_every: opt.FlushEvery = 100,
    flush_seconds: opt.FlushSeconds = 5.0,
    population: opt.Population = None,
    wait_for_go: Annotated[
        bool, typer.Option(hidden=True, help="Wait for 'go' on stdin (optsweep sweep's own).")
    ] = False,
) -> None:
    """Join a study as one worker (on this or any machine) and run trials until the budget."""
    from sweeps import sweep as sweep_checks
    from sweeps import workers

    if wait_for_go:  # until the go, a stop (the sweep could not start) ends it without a word
        workers.quiet_until_go()
    plan = sweep_checks.check(
        sweep_file, trials=trials, study=study, storage=storage, tracking_uri=tracking_uri,
        heartbeat_interval=heartbeat_interval, grace_period=grace_period, max_retry=max_retry,
        track=not no_track, flush_every=flush_every, flush_seconds=flush_seconds,
        population=population,
    )  # fmt: skip
    workers.install_sigterm_handler()
    if wait_for_go and not workers.wait_for_go(plan):
        return  # the sweep process stopped before the study was ready: nothing was touched
    workers.work(plan, worker_index, deadline)


def trials(
    study: opt.StudyName,
    storage: opt.Storage = None,
) -> None:
    """List a study's trials again, with the summary the sweep printed."""
    from sweeps import storage as storage_mod

    _trials(storage_mod.resolve(storage), study)


def _sweep(plan, workers: int, timeout: float | None, report_seeds=None) -> None:
    from sweeps import workers as workers_mod

    _print_locations(plan, "sweep")
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("best {task.fields[best]}  running {task.fields[running]}"),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns,
        console=console.err(),
        transient=False,
        redirect_stdout=False,
        redirect_stderr=False,
    ) as bar:
        tasks = []  # the bar appears once the study is open: a sweep that cannot start shows
        # only its error line

        def on_progress(p) -> None:
            if not tasks:
                tasks.append(bar.add_task(plan.spec.name, total=p.total, best="-", running=0))
            best = "-" if p.best is None else f"{p.best:.4g}"
            bar.update(tasks[0], completed=p.done, best=best, running=p.running)

        study, tracker = workers_mod.run_sweep(
            plan, workers=workers, timeout=timeout, on_progress=on_progress, on_idle=_preload
        )
    finish(plan, study, tracker, report_seeds=report_seeds, report_workers=workers)


@functools.cache  # the sweep calls it on every look while the last trials run
def _preload() -> None:
    """Import what the summary and the plots need (seconds), while the last trials run."""
    from sweeps import study_plots, summary

    summary.preload()
    study_plots.preload()


def finish(plan, study, tracker, report_seeds=None, report_workers: int = 1) -> None:
    """Summary table, parent-run artifacts, the defaults report, and where everything lives."""
    from sweeps import study as study_mod
    from sweeps.summary import log_to_parent, summarize

    summary = summarize(study, plan.spec.objective)
    print_summary(summary)
    if tracker is not None:
        log_to_parent(tracker, study, summary)
    if report_seeds:
        end_report(plan, study, tracker, report_seeds, report_workers)
    if tracker is not None:
        study_mod.finish_parent(tracker, study, plan.spec.trials)
    _print_locations(plan, "end", tracker)


def end_report(plan, study, tracker, seeds, workers: int) -> None:
    """The defaults report (optsweep report), on the seeds --report-seeds says."""
    from analysis import defaults_report as report_mod
    from core.errors import UserError
    from optsweep import report_commands

    try:
        prepared = report_mod.prepare(
            study, plan.spec, seeds=seeds, workers=workers,
            out=plan.workdir / report_mod.default_out(plan.spec.name),
            tracking_uri=tracker.tracking_uri if tracker else None,
            parent_run_id=tracker.parent_run_id if tracker else None,
        )  # fmt: skip
    except UserError as e:
        console.out().print(f"defaults report skipped: {e}", highlight=False)
        return
    note = f"run at the end of the sweep with --report-seeds {seeds}"
    prepared.notes.append(note)
    console.out().print(f"\n[bold]defaults report[/]: {note}", highlight=False)
    report_commands.run_report(prepared, json_out=False)


def print_summary(summary) -> None:
    counts = ", ".join(f"{v} {k.lower()}" for k, v in sorted(summary.counts.items()))
    console.out().print(f"\n[bold]study[/] {summary.name}: {counts or 'no trials'}")
    if summary.best is None:
        console.out().print("no completed trial yet")
    else:
        b = summary.best
        console.out().print(
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
        console.out().print(table)
    if summary.importances:
        table = Table(title="parameter importances (Optuna, fANOVA)")
        table.add_column("parameter")
        table.add_column("importance", justify="right")
        for k, v in summary.importances.items():
            table.add_row(k, f"{v:.3f}")
        console.out().print(table)
    elif summary.importance_note:
        console.out().print(f"importances: {summary.importance_note}")


def _trials(storage_cfg, study_name: str) -> None:
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
    console.out().print(table)
    print_summary(summarize(study))


def _print_locations(plan, when: str, tracker=None) -> None:
    from tracking.store import is_server, mask

    # soft_wrap: a long path stays on one line, whole, for copying
    console.out().print(f"[bold]study storage[/]  {plan.storage.shown}", soft_wrap=True)
    if plan.tracking_uri:
        console.out().print(f"[bold]MLflow store[/]   {mask(plan.tracking_uri)}", soft_wrap=True)
    if when == "end" and plan.tracking_uri:
        if is_server(plan.tracking_uri):  # a server is its own UI
            console.out().print(f"open the MLflow UI: {mask(plan.tracking_uri)}", soft_wrap=True)
        else:
            console.out().print("open the MLflow UI: [bold]make ui[/] (or: optsweep ui)")


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)
