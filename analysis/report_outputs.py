"""The defaults report's outputs: the Markdown and its figures beside it, and with tracking
the re-training runs and the seed bands under the study's parent run in MLflow, the report as
its artifacts and the verdicts as its tags.

    where = report_outputs.write(prepared, report)  # {"markdown", "plots", "mlflow"?}
"""

from __future__ import annotations

from typing import Any

from analysis import defaults_figures, seed_bands, statistics
from analysis.defaults_markdown import range_words, render_markdown
from analysis.defaults_result import DefaultsReport, RunRecord
from analysis.report_inputs import Prepared
from tracking.report_runs import ReportLog, ReportRun


def write(p: Prepared, report: DefaultsReport) -> dict:
    """Markdown and PNGs at `p.out`, then (with tracking) the re-training runs under the parent
    run, the report as its artifacts and tags saying where it is. Returns where things went."""
    out = p.out
    out.parent.mkdir(parents=True, exist_ok=True)
    pngs = defaults_figures.draw(p.study, p.spec, report, out.parent, out.stem)
    out.write_text(render_markdown(report, {k: v.name for k, v in pngs.items()}))
    where: dict[str, Any] = {"markdown": str(out), "plots": [str(v) for v in pngs.values()]}
    if p.tracking_uri and p.parent_run_id:
        log = ReportLog(p.tracking_uri, p.parent_run_id, p.study.study_name)
        runs = [_report_run(r, report) for r in report.runs]
        where["mlflow"] = log.log(runs, out, list(pngs.values()), _verdict_tags(report))
        where["mlflow"]["bands"] = seed_bands.log(log, report)  # a mean +- band per config
    return where


def _report_run(r: RunRecord, report: DefaultsReport) -> ReportRun:
    """A re-training as a nested run: its name, tags, params, final figures and curves."""
    label = seed_bands.run_label(r.arm, r.param, r.value)
    final = {k: v for k, v in (r.final or {}).items() if v is not None}
    return ReportRun(
        name=f"report {label} seed={r.seed}",
        status="FAILED" if r.status in ("diverged", "error") else "FINISHED",
        tags={
            "optsweep.report.arm": r.arm,
            "optsweep.report.param": r.param or "",
            "optsweep.report.seed": r.seed,
            "optsweep.report.status": r.status,
            seed_bands.LEARNED_TAG: str(not r.failed).lower(),  # false: left out of the band
        },
        params={
            "seed": r.seed,
            "arm": r.arm,
            "param": r.param or "",
            "value": "" if r.value is None else r.value,
            "epochs": report.epochs,
        },
        metrics={**final, "seconds": r.seconds, "epochs_run": r.epochs_run},
        curves=r.curves,
    )


def _verdict_tags(report: DefaultsReport) -> dict[str, str]:
    """On the parent run: each verdict with its bounds relative to tuned and the failures of
    each arm, and each safe range."""
    parts = []
    for r in report.parameters:
        if r.comparison:
            c = r.comparison
            parts.append(
                f"{r.label}: {c.verdict} [{statistics.relative_bounds_words(c)}; learned "
                f"nothing {c.default_failed} vs tuned {c.tuned_failed} of {len(c.tuned)}]"
            )
    tags = {"optsweep.report.verdicts": "; ".join(parts)}
    for f in report.free:
        if f.measured:
            tags[f"optsweep.report.range.{f.label}"] = range_words(f)
    return tags
