"""optsweep from Python (a notebook, a script): the sweeps, defaults reports and single runs of
the command line, with no terminal output unless asked, and every refusal raised as one
`OptsweepError` carrying the command line's one-line message.

    import optsweep

    result = optsweep.sweep("sweeps/default.toml", trials=12, workers=2, report_seeds=0)
    result.best_value, result.best_params   # the best trial
    result.pareto                           # two objectives: the Pareto front (ParetoTrial)
    result.trials                           # a pandas DataFrame, one row per trial
    report = optsweep.report("default", seeds=5)
    [(v.name, v.verdict) for v in report.verdicts]
    run = optsweep.train(data="moons", optimizer="adam", alpha=0.01, epochs=200)
    run.final["val_cost"]

`import optsweep` stays cheap: this module is imported on first use of one of its names.
"""

from __future__ import annotations

import dataclasses
import difflib
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optsweep.lifecycle import Hooks
from sweeps.options import SweepOptions

if TYPE_CHECKING:
    import optuna
    import pandas

    from analysis.defaults_result import DefaultsReport
    from core.train import TrainResult

__all__ = [
    "OptsweepError", "ParetoTrial", "Report", "SweepResult", "Verdict", "report", "sweep", "train",
]  # fmt: skip


class OptsweepError(Exception):
    """Bad input or unusable state, in the command line's words: one line saying what is wrong
    and how to fix it. Nothing was half-written."""


@dataclass(frozen=True)
class Verdict:
    """One parameter of a defaults report: its default against tuned, re-trained on seeds."""

    name: str
    default: Any  # None for a parameter without a default (alpha: see `low`, `high`)
    tuned: Any
    verdict: str  # "holds up", "needs tuning", "inconclusive", or "n/a"
    lower: float | None = None  # the gap's bounds (default minus tuned, per seed)
    upper: float | None = None
    seeds: int = 0  # the seeds it was judged on
    low: float | None = None  # a parameter without a default: its measured safe range
    high: float | None = None
    default_failed: int = 0  # seeds on which the default learned nothing or diverged
    tuned_failed: int = 0
    reason: str = ""  # one line: why this verdict (statistics.Comparison.reason)


@dataclass(frozen=True)
class Report:
    """Which defaults hold up, for one study: a verdict per parameter, where it was written."""

    study: str
    verdicts: list[Verdict]
    written: dict  # markdown, plots, mlflow: where the report went
    raw: DefaultsReport  # everything the Markdown report shows

    def verdict(self, name: str) -> Verdict:
        """The verdict of parameter `name` (KeyError when the report has none)."""
        for v in self.verdicts:
            if v.name == name:
                return v
        raise KeyError(name)


@dataclass(frozen=True)
class ParetoTrial:
    """A trial on a two-objective sweep's Pareto front: no other trial beats it on both."""

    number: int
    values: dict[str, float]  # objective name -> value, in the sweep file's order
    params: dict[str, Any]  # its hyperparameter values


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: its best trial, all its trials, and its report when one ran.

    With two objectives, the best trial is the Pareto trial best on the first objective
    (best_value is its first objective's value) and `pareto` lists the whole front, best first
    on the first objective; with one objective `pareto` is empty."""

    study: optuna.Study
    best_value: float | None
    best_params: dict[str, Any]
    report: Report | None
    storage: str  # where the study lives (a password masked)
    tracking_uri: str | None
    parent_run_id: str | None
    objectives: tuple[str, ...] = ("val_cost",)  # what the trials were judged on
    pareto: list[ParetoTrial] = dataclasses.field(default_factory=list)

    @property
    def trials(self) -> pandas.DataFrame:
        """One row per trial (Optuna's trials_dataframe): number, value, params, state, ..."""
        return self.study.trials_dataframe()


def sweep(
    sweep_file: str | Path | Mapping[str, Any] = "default",
    /,
    *,
    workdir: str | Path = ".",
    verbose: bool = False,
    **options: Any,
) -> SweepResult:
    """Run (or resume) a sweep, as `optsweep sweep` does, and return its result.

    Args:
        sweep_file: a sweep file's path, a shipped one's name ("default"), or the file's
            content as a dict of sections ({"study": {...}, "train": {...}, "space": {...}}).
        workdir: where the default stores (optsweep.journal, mlflow.db) and reports/ go, and
            where a dict's relative data path starts.
        verbose: print progress, the summary and the report (plain text) to stderr.
        **options: the command's options by their Python names (see `SweepOptions`): trials,
            study, storage, tracking_uri, track, workers, timeout, report_seeds, population, ...

    Raises:
        OptsweepError: the command line's one-line message; nothing was half-written.
    """
    from optsweep import lifecycle

    with _as_error():
        opts = _options(options)
        path, doc = _source(sweep_file, workdir)
        plan = lifecycle.check(path, opts, workdir=workdir, doc=doc)
        outcome = lifecycle.run(plan, _Plain() if verbose else Hooks())
    best = outcome.summary.best
    return SweepResult(
        study=outcome.study,
        best_value=None if best is None else best.value,
        best_params={} if best is None else dict(best.values),
        report=None if outcome.report is None else _report(outcome.report, outcome.written),
        storage=plan.storage.shown,
        tracking_uri=plan.tracking_uri,
        parent_run_id=outcome.parent_run_id,
        objectives=tuple(outcome.summary.objectives or (outcome.summary.objective,)),
        pareto=_pareto(outcome.summary),
    )


def _pareto(summary) -> list[ParetoTrial]:
    """A two-objective sweep's front as ParetoTrials; [] for one objective."""
    return [
        ParetoTrial(r.number, dict(zip(summary.objectives, r.scores, strict=True)), dict(r.values))
        for r in summary.pareto
    ]


def report(
    study: str,
    /,
    *,
    storage: str | None = None,
    tracking_uri: str | None = None,
    seeds: str | int = "auto",
    tolerance: float = 0.01,
    workers: int = 2,
    track: bool = True,
    out: str | Path | None = None,
    cluster: str | None = None,
) -> Report:
    """Re-train a study's tuned configuration against each default, as `optsweep report` does
    (`cluster`: its --cluster, local or a Dask scheduler's address).

    Raises:
        OptsweepError: the command line's one-line message (an unknown study, no completed
            trial, an unreachable store, ...).
    """
    from analysis import defaults_report as report_mod
    from analysis.retraining import on_cluster
    from sweeps.cluster import check_address

    with _as_error():
        if cluster is not None:
            cluster = check_address(cluster)
        prepared = report_mod.load(
            study, storage=storage, tracking_uri=tracking_uri, track=track, seeds=str(seeds),
            tolerance=tolerance, workers=workers, out=None if out is None else str(out),
        )  # fmt: skip
        with on_cluster(cluster, workers, [prepared.spec.data.name]):
            measured = report_mod.measure(prepared)
        written = report_mod.write(prepared, measured)
    return _report(measured, written)


def train(**config: Any) -> TrainResult:
    """One training run, as `optsweep train` does: the same options by their Python names
    (data, samples, noise, classes, data_seed, and TrainConfig's fields: layers, optimizer,
    alpha, beta1, ..., epochs, normalize, bias_correction).

    Raises:
        OptsweepError: the command line's one-line message for a bad option.
    """
    from core import data
    from core.train import TrainConfig
    from core.train import train as run

    with _as_error():
        fields = [f.name for f in dataclasses.fields(TrainConfig)]
        _known(config, [*_DATA_OPTIONS, *fields], "train option")
        values = dict(config)
        spec = data.DataSpec(**{f: values.pop(k) for k, f in _DATA_OPTIONS.items() if k in values})
        if isinstance(values.get("layers"), str):  # "5,2", as on the command line
            values["layers"] = tuple(int(n) for n in values["layers"].split(",") if n.strip())
        elif values.get("layers") is not None:
            values["layers"] = tuple(values["layers"])
        return run(TrainConfig(**values), data.load(data.check(spec)))


# --- what the three share ---------------------------------------------------------------------

_DATA_OPTIONS = {"data": "name", "samples": "samples", "noise": "noise", "classes": "classes",
                 "data_seed": "seed"}  # fmt: skip


class _as_error:
    """Turn the one-line errors of every layer into OptsweepError (without the traceback of
    the layers, which says nothing the message does not)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, tb) -> bool:
        from core.errors import UserError
        from tracking.errors import TrackingError

        if error is not None and (
            isinstance(error, UserError | TrackingError) or type(error).__name__ == "StorageOutage"
        ):
            raise OptsweepError(str(error)) from None
        return False


def _known(given: Mapping[str, Any], known, what: str) -> None:
    for key in given:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise OptsweepError(f"unknown {what} {key!r}{hint}")


def _options(options: Mapping[str, Any]) -> SweepOptions:
    known = [f.name for f in dataclasses.fields(SweepOptions)]
    _known(options, known, "sweep option")
    return SweepOptions(**options)


def _source(sweep_file, workdir) -> tuple[Path | str, dict | None]:
    """(path, None) for a file; for a dict, a nominal path in `workdir` and the dict."""
    if isinstance(sweep_file, Mapping):
        study = sweep_file.get("study")
        name = study.get("name") if isinstance(study, Mapping) else None
        return Path(workdir).resolve() / f"{name or 'sweep'}.toml", dict(sweep_file)
    return sweep_file, None


def _report(r: DefaultsReport, written: dict | None) -> Report:
    verdicts = []
    for p in r.parameters:
        c = p.comparison
        verdicts.append(Verdict(
            name=p.label, default=p.default, tuned=p.tuned,
            verdict=c.verdict if c is not None else "n/a",
            lower=c.lower if c is not None else None, upper=c.upper if c is not None else None,
            seeds=len(c.tuned) if c is not None else 0,
            default_failed=c.default_failed if c is not None else 0,
            tuned_failed=c.tuned_failed if c is not None else 0,
            reason=c.reason if c is not None else p.note,
        ))  # fmt: skip
    for f in r.free:
        m = f.measured
        verdicts.append(Verdict(
            name=f.label, default=None, tuned=f.tuned, verdict="n/a",
            seeds=len(m.seeds) if m else 0,
            low=m.low if m else None, high=m.high if m else None,
        ))  # fmt: skip
    return Report(study=r.study, verdicts=verdicts, written=written or {}, raw=r)


class _Plain(Hooks):
    """verbose=True: what the command line shows, as plain lines on stderr."""

    def __init__(self) -> None:
        self.last = -1

    def _say(self, line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    def on_start(self, plan) -> None:
        self._say(f"sweep {plan.spec.name}: {plan.spec.trials} trials in {plan.storage.shown}")

    def on_progress(self, p) -> None:
        if p.done != self.last:
            self.last = p.done
            best = "-" if p.best is None else f"{p.best:.4g}"
            self._say(f"  {p.done}/{p.total} trials done, best {best}")

    def on_summary(self, summary) -> None:
        if summary.best is not None:
            b = summary.best
            self._say(f"best {summary.objective} = {b.value:.5g} (trial {b.number}): {b.values}")
        for r in summary.pareto:
            scores = ", ".join(f"{o} {v:.5g}" for o, v in zip(summary.objectives, r.scores,
                                                                strict=True))  # fmt: skip
            self._say(f"  Pareto front: trial {r.number}: {scores}")

    def on_report_start(self, prepared, note: str) -> None:
        self._say(f"defaults report: {note}")

    def on_report(self, report, written: dict) -> None:
        for v in _report(report, written).verdicts:
            self._say(f"  {v.name}: {v.verdict}")

    def on_report_skipped(self, reason: str) -> None:
        self._say(f"defaults report skipped: {reason}")
