"""`optsweep sweep`, `worker` and `trials`: run a sweep (its workers, its summary and its
defaults report), join one as a worker, list a study's trials."""

from __future__ import annotations

import functools
from typing import Annotated

import typer
from rich.padding import Padding
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from optsweep import console
from optsweep import options as opt
from optsweep.lifecycle import Hooks


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
    outage_seconds: opt.OutageSeconds = 60.0,
    no_track: opt.NoTrack = False,
    flush_every: opt.FlushEvery = 100,
    flush_seconds: opt.FlushSeconds = 5.0,
    population: opt.Population = None,
    report_seeds: Annotated[
        str,
        typer.Option(
            help="Seeds of the defaults report at the end: auto (rounds of 10, 20, 40 until "
            "every verdict is decided), a number, or 0 for no report."
        ),
    ] = "auto",
    cluster: opt.Cluster = None,
    warm_start: Annotated[
        str | None,
        typer.Option(
            help="A study whose completed trials start this new one's sampler (same task and "
            "space; not counted in the budget, not run again). Default: the sweep file's."
        ),
    ] = None,
    warm_start_storage: Annotated[
        str | None,
        typer.Option(help="Where the --warm-start study lives (default: this sweep's storage)."),
    ] = None,
) -> None:
    """Run (or resume) a sweep: Optuna searches, every trial's curves go to MLflow."""
    from optsweep import lifecycle

    options = _options(
        trials=trials, study=study, storage=storage, tracking_uri=tracking_uri,
        heartbeat_interval=heartbeat_interval, grace_period=grace_period, max_retry=max_retry,
        outage_seconds=outage_seconds, no_track=no_track, flush_every=flush_every,
        flush_seconds=flush_seconds,
        population=population, workers=workers, timeout=timeout, report_seeds=report_seeds,
        cluster=cluster, warm_start=warm_start, warm_start_storage=warm_start_storage,
    )  # fmt: skip
    plan = lifecycle.check(sweep_file, options)
    with _Printed() as hooks:
        lifecycle.run(plan, hooks)


def _options(no_track: bool = False, **values):
    """The command's options as the lifecycle takes them."""
    from sweeps.options import SweepOptions

    return SweepOptions(track=not no_track, **values)


def worker(
    sweep_file: Annotated[
        str | None,
        typer.Argument(
            help="A sweep file (TOML) or a shipped one's name; without it, --study NAME joins "
            "an existing study with the sweep file stored in it."
        ),
    ] = None,
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
    outage_seconds: opt.OutageSeconds = 60.0,
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

    if wait_for_go:  # started by `optsweep sweep`: its order on stdin, then its GO
        workers.quiet_until_go()  # until the go, a stop (the sweep could not start) ends it
        order = workers.read_order()  # without a word
        if order is None:
            return
        plan = sweep_checks.check(order.path, order.options, workdir=order.workdir, doc=order.doc)
        worker_index, deadline = order.index, order.deadline
    else:
        options = _options(
            trials=trials, study=study, storage=storage, tracking_uri=tracking_uri,
            heartbeat_interval=heartbeat_interval, grace_period=grace_period,
            max_retry=max_retry, outage_seconds=outage_seconds, no_track=no_track,
            flush_every=flush_every,
            flush_seconds=flush_seconds, population=population,
        )  # fmt: skip
        if sweep_file is None:
            plan = sweep_checks.joined(options)
        else:
            plan = sweep_checks.check(sweep_file, options)
    if wait_for_go:  # until the GO, a stop still ends it without a word: it touched nothing
        if workers.wait_for_go(plan):
            workers.install_sigterm_handler()
            workers.work(plan, worker_index, deadline)
        return  # else the sweep stopped before the study was ready
    workers.install_sigterm_handler()
    _say_worker_start(plan, worker_index)
    finished = workers.work(plan, worker_index, deadline)
    _say_worker_end(plan, worker_index, finished)


def _say_worker_start(plan, index: int) -> None:
    console.err().print(
        f"worker {index} on study [bold]{plan.spec.name}[/] ({plan.spec.trials} trials) in "
        f"{plan.storage.shown}: running trials until the budget is spent",
        soft_wrap=True, highlight=False,
    )  # fmt: skip


def _say_worker_end(plan, index: int, finished: list[tuple[int, str]]) -> None:
    from collections import Counter

    counts = Counter(state.lower() for _, state in finished)
    what = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"
    console.err().print(
        f"worker {index} done: it ran {len(finished)} trial(s) ({what}) of study "
        f"{plan.spec.name}",
        soft_wrap=True, highlight=False,
    )  # fmt: skip


def trials(
    study: opt.StudyName,
    storage: opt.Storage = None,
) -> None:
    """List a study's trials again, with the summary the sweep printed."""
    from sweeps import storage as storage_mod

    _trials(storage_mod.resolve(storage), study)


class _Printed(Hooks):
    """The lifecycle's hooks for a terminal: a progress bar while the trials run, the summary,
    the report as it is re-trained and printed, and where everything lives."""

    plots = True  # whether the sweep draws plots (for its MLflow parent run): on_start says
    COLUMNS = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("best {task.fields[best]}  running {task.fields[running]}"),
        TimeElapsedColumn(),
    )

    def __enter__(self) -> _Printed:
        self.bar = Progress(*self.COLUMNS, console=console.err(), transient=False,
                            redirect_stdout=False, redirect_stderr=False)  # fmt: skip
        self.task = None  # the bar appears once the study is open: a sweep that cannot start
        self.report_bar = None  # shows only its error line
        return self

    def __exit__(self, *exc) -> None:
        self._stop_bars()

    def _stop_bars(self) -> None:
        for bar in (self.bar, self.report_bar):
            if bar is not None:
                bar.stop()
        self.report_bar = None

    def on_start(self, plan) -> None:
        self.name = plan.spec.name
        self.plots = plan.tracking_uri is not None  # drawn only for the MLflow parent run
        _print_locations(plan, "sweep")

    def on_progress(self, p) -> None:
        if self.task is None:
            self.bar.start()
            self.task = self.bar.add_task(self.name, total=p.total, best="-", running=0)
        best = "-" if p.best is None else f"{p.best:.4g}"
        self.bar.update(self.task, completed=p.done, best=best, running=p.running)

    def on_idle(self) -> None:
        _preload(plots=self.plots)

    def on_summary(self, summary) -> None:
        self.bar.stop()
        print_summary(summary)

    def on_report_skipped(self, reason: str) -> None:
        console.out().print(f"defaults report skipped: {reason}", highlight=False)

    def on_report_start(self, prepared, note: str) -> None:
        from rich.progress import SpinnerColumn

        from optsweep import report_commands

        console.out().print(f"\n[bold]defaults report[/]: {note}", highlight=False)
        report_commands.say_retraining(prepared)
        columns = (SpinnerColumn(), TextColumn("[bold]re-training[/] {task.completed} runs"),
                   TimeElapsedColumn())  # fmt: skip
        self.report_bar = Progress(*columns, console=console.err(), transient=True)
        self.report_bar.start()
        self.report_task = self.report_bar.add_task("report", total=None)

    def on_report_run(self, outcome) -> None:
        if self.report_bar is not None:
            self.report_bar.advance(self.report_task)

    def on_report(self, report, written: dict) -> None:
        from optsweep import report_commands

        self._stop_bars()
        report_commands.print_report(report, written)

    def on_end(self, plan, tracker) -> None:
        _print_locations(plan, "end", tracker)


@functools.cache  # the sweep calls it on every look while the last trials run
def _preload(plots: bool = True) -> None:
    """Import what the summary needs (seconds), and matplotlib when the plots are made (only
    for the MLflow parent run: not with --no-track), while the last trials run."""
    from sweeps import summary

    summary.preload()
    if plots:
        from sweeps import study_plots

        study_plots.preload()


def print_summary(summary) -> None:
    counts = ", ".join(f"{v} {k.lower()}" for k, v in sorted(summary.counts.items()))
    console.out().print(f"\n[bold]study[/] {summary.name}: {counts or 'no trials'}")
    if summary.best is None:
        console.out().print("no completed trial yet")
    elif summary.is_multi:
        _print_pareto(summary)
    else:
        b = summary.best
        console.out().print(
            f"[bold]best[/] {summary.objective} = {b.value:.5g} (trial {b.number}): "
            + ", ".join(f"{k}={_fmt(v)}" for k, v in b.values.items())
        )
    if summary.top and not summary.is_multi:
        _print_top(summary)
    if summary.importances:
        title = "importances (fANOVA)"
        if summary.is_multi:
            title = f"importances (fANOVA, {summary.objective})"
        table = Table(title=title)
        table.add_column("parameter")
        table.add_column("importance", justify="right")
        for k, v in summary.importances.items():
            table.add_row(k, f"{v:.3f}")
        console.out().print(table)
    elif summary.importance_note:
        console.out().print(f"importances: {summary.importance_note}")


def _print_pareto(summary) -> None:
    """Two objectives: the Pareto front, best first on the first objective, instead of one best
    trial and a top five."""
    a, b = summary.objectives[:2]
    n = len(summary.pareto)
    console.out().print(
        f"[bold]Pareto front[/]: {n} trial{'s' * (n != 1)} no other beats on both {a} and {b}",
        highlight=False,
    )
    d0, d1 = (f"{d}d" for d in summary.directions[:2])
    title = f"{a} {d0}, {b} {d1}; best {a} first"
    _print_rows(summary.pareto, title, list(summary.objectives[:2]), objective_values=True)


def _print_top(summary) -> None:
    """The top trials as a table, or, when the table would not fit the terminal, one line per
    trial: never a number cut short."""
    title = f"top {len(summary.top)} by {summary.objective} ({summary.direction})"
    _print_rows(summary.top, title, [summary.objective])


def _print_rows(trials, title: str, objectives: list[str], objective_values: bool = False) -> None:
    """Trials as a table with their objective value(s), or one block a trial when narrow."""
    keys = list(trials[0].values)
    header = ("trial", *objectives, *keys, "epochs", "seconds")
    rows = [
        (str(r.number), *(_fmt(v) for v in (r.scores if objective_values else (r.value,))),
         *(_fmt(r.values.get(k)) for k in keys), _fmt(r.epochs), _fmt(r.seconds))
        for r in trials
    ]  # fmt: skip
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    out = console.out()
    if sum(widths) + 3 * len(widths) + 1 <= out.width:
        table = Table(title=title)
        for col in header:
            table.add_column(col, justify="right", no_wrap=True)
        for row in rows:
            table.add_row(*row)
        out.print(table)
        return
    out.print(title, highlight=False)
    for r, row in zip(trials, rows, strict=True):
        scores = ", ".join(f"{o} {v}" for o, v in zip(objectives, row[1:], strict=False))
        out.print(f"trial {row[0]}: {scores} ({row[-2]} epochs, {row[-1]} s)",
                  highlight=False)  # fmt: skip
        values = ", ".join(f"{k} {_fmt(r.values.get(k))}" for k in keys)
        out.print(Padding(values, (0, 0, 0, 2)), highlight=False)


def _trials(storage_cfg, study_name: str) -> None:
    from sweeps import storage as storage_mod
    from sweeps.summary import summarize

    study = storage_mod.load_study(storage_cfg, study_name)
    summary = summarize(study, importances=False)
    keys = sorted({k for r in summary.rows for k in r.values})
    table = Table(title=f"study {study_name} ({storage_cfg.shown})")
    table.add_column("trial", justify="right")
    table.add_column("state", no_wrap=True, min_width=8)
    values = summary.objectives if summary.is_multi else ["value"]  # two: a column each
    for col in values:  # "epochs to target" wraps where "epochs_to_target" was cut short
        table.add_column(col.replace("_", " "), justify="right")
    for col in (*keys, "epochs"):
        table.add_column(col, justify="right")
    table.add_column("reason", overflow="fold")
    for r in summary.rows:
        scores = r.scores if summary.is_multi and r.scores else [r.value] * len(values)
        if summary.is_multi and not r.scores:
            scores = [None] * len(values)
        table.add_row(
            str(r.number), r.state, *map(_fmt, scores), *(_fmt(r.values.get(k)) for k in keys),
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
