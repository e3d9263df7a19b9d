"""A sweep's whole life, outside any terminal: checks, workers, the summary, the parent run's
artifacts, the defaults report at the end and the parent run's end. The CLI parses its options
into a `SweepOptions`, calls `check` and `run`, and prints through `Hooks`; the Python API
calls the same two functions with hooks that print nothing.

    plan = lifecycle.check("sweeps/default.toml", SweepOptions(workers=2))  # nothing written
    outcome = lifecycle.run(plan, hooks)                                     # SweepOutcome

The layers: the commands (`optsweep.*_commands`, Typer and Rich) -> this lifecycle (no Typer,
no Rich: import-linter checks it) -> `analysis` (the end report) -> `sweeps` -> `tracking` |
`core`. It lives above `analysis` because the end report is evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sweeps.options import SweepOptions

if TYPE_CHECKING:
    import optuna

    from analysis.defaults_result import DefaultsReport
    from analysis.report_inputs import Prepared
    from analysis.retraining import Outcome
    from sweeps.study import Progress
    from sweeps.summary import StudySummary
    from sweeps.sweep import Sweep
    from tracking.runs import StudyTracker

__all__ = ["Hooks", "SweepOptions", "SweepOutcome", "check", "run"]
REPORT_FIX = "run from another folder, or skip it with --report-seeds 0"


class Hooks:
    """What a sweep tells its caller as it goes; each does nothing unless overridden."""

    def on_start(self, plan: Sweep) -> None:
        """The sweep is checked; its study is about to be opened."""

    def on_progress(self, progress: Progress) -> None:
        """Trials done, running and the best value so far (often)."""

    def on_idle(self) -> None:
        """No trial is left to start while the last ones run (time to get ready)."""

    def on_summary(self, summary: StudySummary) -> None:
        """The trials are done: the best trial, the top ones, the importances."""

    def on_report_start(self, prepared: Prepared, note: str) -> None:
        """The defaults report begins re-training (`note` says why it runs)."""

    def on_report_run(self, outcome: Outcome) -> None:
        """One re-training run of the report is done."""

    def on_report(self, report: DefaultsReport, written: dict) -> None:
        """The report is measured and written (`written`: where, by kind)."""

    def on_report_skipped(self, reason: str) -> None:
        """The report could not run (e.g. no completed trial); the sweep itself is fine."""

    def on_end(self, plan: Sweep, tracker: StudyTracker | None) -> None:
        """Everything is written and closed."""


@dataclass(frozen=True)
class SweepOutcome:
    """What a finished sweep leaves: its study, summary, and the report when one ran."""

    plan: Sweep
    study: optuna.Study
    summary: StudySummary
    report: DefaultsReport | None = None
    written: dict | None = None  # where the report went: markdown, plots, mlflow
    parent_run_id: str | None = None  # the study's MLflow parent run


def report_seeds_of(options: SweepOptions) -> str | None:
    """The report's seeds as `defaults_report` reads them; None for no report."""
    seeds = str(options.report_seeds).strip()
    return None if seeds == "0" else seeds


def check(
    path: str | Path, options: SweepOptions | None = None, workdir=".", doc: dict | None = None
) -> Sweep:
    """Every input of the sweep, its end report included, checked; nothing written. `doc`: the
    sweep file's content, read instead of the file at `path` (see sweeps.sweep.check)."""
    from analysis import report_inputs as report
    from analysis.retraining import check_cluster_data
    from sweeps import sweep as sweep_mod

    options = options or SweepOptions()
    sweep_mod.check_options(options.workers, options.timeout)
    seeds = report_seeds_of(options)
    if seeds:
        report.check_options(seeds, 0.01, 1, "--report-seeds")
    plan = sweep_mod.check(path, options, workdir=workdir, doc=doc)
    if seeds:  # the report is written after the trials: its folder is checked before
        report.check_out(plan.workdir / report.default_out(plan.spec.name), fix=REPORT_FIX)
        if options.cluster:  # and a cluster that could not re-train its data set
            check_cluster_data(options.cluster, [plan.spec.data.name])
    return plan


def run(plan: Sweep, hooks: Hooks | None = None) -> SweepOutcome:
    """Run (or resume) the sweep to its end: trials, summary, parent run, the defaults report."""
    from sweeps import study as study_mod
    from sweeps import workers
    from sweeps.summary import log_to_parent, summarize

    hooks = hooks or Hooks()
    hooks.on_start(plan)
    study, tracker = workers.run_sweep(plan, on_progress=hooks.on_progress, on_idle=hooks.on_idle)
    summary = summarize(study, plan.spec.objective)
    hooks.on_summary(summary)
    if tracker is not None:
        log_to_parent(tracker, study, summary)
    report = written = None
    seeds = report_seeds_of(plan.options)
    if seeds:
        report, written = end_report(plan, study, tracker, seeds, hooks)
    if tracker is not None:
        study_mod.finish_parent(tracker, study, plan.spec.trials)
    hooks.on_end(plan, tracker)
    parent = tracker.parent_run_id if tracker is not None else None
    return SweepOutcome(plan, study, summary, report, written, parent)


def end_report(plan: Sweep, study, tracker, seeds: str, hooks: Hooks):
    """The defaults report (`optsweep report`) on the seeds --report-seeds says: (report, where
    it was written), or (None, None) when it cannot run."""
    from analysis import defaults_report as report_mod
    from analysis.retraining import on_cluster
    from core.errors import UserError

    try:
        prepared = report_mod.prepare(
            study, plan.spec, seeds=seeds, workers=plan.options.workers,
            out=plan.workdir / report_mod.default_out(plan.spec.name),
            tracking_uri=tracker.tracking_uri if tracker else None,
            parent_run_id=tracker.parent_run_id if tracker else None,
        )  # fmt: skip
    except UserError as e:
        hooks.on_report_skipped(str(e))
        return None, None
    note = f"run at the end of the sweep with --report-seeds {seeds}"
    prepared.notes.append(note)
    hooks.on_report_start(prepared, note)
    options = plan.options  # with --cluster, the re-trainings go where the trials went
    with on_cluster(options.cluster, options.workers, [plan.spec.data.name]):
        report = report_mod.measure(prepared, on_done=hooks.on_report_run)
    written = report_mod.write(prepared, report)
    hooks.on_report(report, written)
    return report, written
