"""The defaults report's re-trainings as one curve per configuration: the mean val_cost per
epoch and its 95% band over the seeds that learned (analysis/bands.py), in MLflow.

    bands = config_bands(report)         # tuned, each default compared, each range value tested
    ids = log(report_log, report)        # a summary run per configuration, with its plots

Each configuration the report compares (the tuned one, each parameter's default or reference,
each safe-range value it tested; not the selection's candidates, which ran on other seeds) was
re-trained on several seeds. Its summary run, nested under the study's parent run beside the
per-seed runs and tagged like them (optsweep.role=report, optsweep.report.arm and .param), has
the metrics val_cost_mean, val_cost_lo and val_cost_hi at step = epoch, so the MLflow UI draws
them as three lines, and optsweep.report.summary=band to tell it from the per-seed runs.

The band is over the seeds that learned: a seed that learned nothing (a dead network at the
cost of guessing) or diverged is a failure the report counts apart, and would drag a mean
curve into a place no seed is. The legend and the run's tags count them ("default beta1=0.9:
38 learned, 2 failed"). A plot per compared parameter (`val_cost_bands-<name>.png`: tuned
against the default, bands filled) is an artifact of each run it shows, so the tuned run has
them all; a range parameter's plot shows tuned against the values tested.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.bands import Band, band
from analysis.defaults_result import DefaultsReport, RunRecord
from analysis.formatting import fmt
from tracking.report_runs import ReportRun

ARMS = ("tuned", "default", "range")  # the configurations compared on the evaluation seeds
METRIC = "val_cost"
SUMMARY_TAG = "optsweep.report.summary"  # on a summary run: "band"
LEARNED_TAG = "optsweep.report.learned"  # on a per-seed run: "true" | "false"


@dataclass(frozen=True)
class ConfigBand:
    """One configuration's seeds and its band over those that learned."""

    arm: str  # tuned | default | range
    param: str | None  # Optuna's name of the parameter it changes (None: tuned)
    value: Any  # the range value (None for tuned and a default, as in RunRecord)
    label: str  # what it is, for a legend: "tuned", "default beta1=0.9", "alpha=0.0316"
    learned: list[int]  # seeds
    failed: list[int]  # seeds that learned nothing or diverged: not in the band
    band: Band | None  # None when no seed learned

    @property
    def legend(self) -> str:
        return f"{self.label}: {len(self.learned)} learned, {len(self.failed)} failed"


@dataclass(frozen=True)
class Panel:
    """One plot: the configurations drawn against each other."""

    name: str  # file-safe: the parameter as the sweep file names it
    title: str
    bands: list[ConfigBand]


def run_label(arm: str, param: str | None, value: Any) -> str:
    """How a report run names its configuration: "tuned", "one_minus_beta1=default"."""
    return {
        "select": f"select trial={value}",
        "tuned": "tuned",
        "default": f"{param}=default",
        "range": f"{param}={value:.4g}" if isinstance(value, float) else str(param),
    }[arm]


def config_bands(report: DefaultsReport, metric: str = METRIC) -> list[ConfigBand]:
    """A band per configuration compared, in the order the report first ran them."""
    groups: dict[tuple, list[RunRecord]] = {}
    for r in report.runs:
        if r.arm in ARMS:
            groups.setdefault((r.arm, r.param, r.value), []).append(r)
    labels = _labels(report)
    out = []
    for key, runs in groups.items():
        runs = sorted(runs, key=lambda r: r.seed)
        alive = [r for r in runs if not r.failed]
        out.append(
            ConfigBand(
                *key,
                label=labels.get(key, run_label(*key)),
                learned=[r.seed for r in alive],
                failed=[r.seed for r in runs if r.failed],
                band=band([r.curves.get(metric, []) for r in alive]) if alive else None,
            )
        )
    return out


def _labels(report: DefaultsReport) -> dict[tuple, str]:
    labels: dict[tuple, str] = {("tuned", None, None): "tuned"}
    for row in report.parameters:
        labels[("default", row.param, None)] = f"{row.kind} {row.label}={fmt(row.default)}"
    for f in report.free:
        for pt in f.measured.points if f.measured else []:
            labels[("range", f.param, pt.value)] = f"{f.label}={fmt(pt.value)}"
    return labels


def panels(report: DefaultsReport, bands: Sequence[ConfigBand]) -> list[Panel]:
    """Per compared parameter: tuned against its default; per safe range: tuned against the
    values tested. With neither, tuned alone."""
    by_key = {(b.arm, b.param, b.value): b for b in bands}
    tuned = by_key.get(("tuned", None, None))
    if tuned is None:
        return []
    out = []
    for row in report.parameters:
        default = by_key.get(("default", row.param, None))
        if row.comparison and default:
            title = f"{report.study}: {row.label} at its {row.kind} against tuned"
            out.append(Panel(_safe(row.label), title, [_tuned(tuned, row), default]))
    for f in report.free:
        near = [b for b in bands if b.arm == "range" and b.param == f.param]
        if near:
            title = f"{report.study}: {f.label} around the tuned value"
            out.append(Panel(_safe(f.label), title, [_tuned(tuned, f), *near]))
    return out or [Panel("tuned", f"{report.study}: the tuned configuration", [tuned])]


def _tuned(tuned: ConfigBand, row) -> ConfigBand:
    """The tuned band, labelled with its value of the parameter at hand ("tuned beta1=0.95")."""
    from dataclasses import replace

    return replace(tuned, label=f"tuned {row.label}={fmt(row.tuned)}")


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "param"


def summary_run(b: ConfigBand, report: DefaultsReport, artifacts: Sequence[Path]) -> ReportRun:
    """A configuration's summary run as tracking/report_runs.py logs it."""
    name = run_label(b.arm, b.param, b.value)
    curves = {}
    if b.band is not None:
        curves = {f"{METRIC}_mean": b.band.mean, f"{METRIC}_lo": b.band.lo,
                  f"{METRIC}_hi": b.band.hi}  # fmt: skip
        curves = {k: [float(x) for x in v] for k, v in curves.items()}
    learned, failed = len(b.learned), len(b.failed)
    note = (
        f"{b.legend}. {METRIC}_mean is the mean {METRIC} per epoch over the {learned} seeds "
        f"that learned; {METRIC}_lo and {METRIC}_hi bound its 95% confidence interval (Student "
        "t; none where one seed ran). A seed that learned nothing or diverged is counted, not "
        "averaged."
    )
    return ReportRun(
        name=f"report {name} band",
        tags={
            "optsweep.report.arm": b.arm,
            "optsweep.report.param": b.param or "",
            SUMMARY_TAG: "band",
            "optsweep.report.seeds_learned": learned,
            "optsweep.report.seeds_failed": failed,
            "mlflow.note.content": note,
        },
        params={
            "arm": b.arm,
            "param": b.param or "",
            "value": "" if b.value is None else b.value,
            "epochs": report.epochs,
            "seeds_learned": b.learned,
            "seeds_failed": b.failed,
            "confidence": b.band.confidence if b.band else 0.95,
        },
        metrics={"seeds_learned": learned, "seeds_failed": failed},
        curves=curves,
        artifacts=tuple(artifacts),
    )


def log(report_log, report: DefaultsReport) -> list[str]:
    """Every configuration's summary run under the parent `report_log` (a
    tracking.report_runs.ReportLog) writes to, each with the plots it appears in; their ids."""
    from analysis.band_figures import draw

    bands = config_bands(report)
    with tempfile.TemporaryDirectory() as tmp:
        drawn = []
        for p in panels(report, bands):
            path = Path(tmp) / f"{METRIC}_bands-{p.name}.png"
            drawn.append((draw(p, path, METRIC), p))
        ids = []
        for b in bands:
            pngs = [path for path, p in drawn if _shows(p, b)]
            ids.append(report_log.log_run(summary_run(b, report, pngs)))
    return ids


def _shows(p: Panel, b: ConfigBand) -> bool:
    return any((x.arm, x.param, x.value) == (b.arm, b.param, b.value) for x in p.bands)
