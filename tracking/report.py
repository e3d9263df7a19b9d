"""The defaults report in MLflow and in Markdown: plain data in, nothing from optuna or core.

    check_parent(uri, parent_run_id)             # before anything: TrackingError, one line
    text = render_markdown(content, {"objective": "default-objective.png", ...})
    ReportLog(uri, parent_run_id, study).log(runs, md_path, pngs, tags)

Each re-training becomes a run nested under the study's parent run (mlflow.parentRunId), tagged
optsweep.role=report with optsweep.report.arm (tuned | default), optsweep.report.param and
optsweep.report.seed, so trial views that filter on optsweep.role=trial never mix them in. Its
final figures and its (thinned) per-epoch curves go in log_batch calls within MLflow's limits.
The Markdown and its PNGs become artifacts of the parent under report/, and the parent is
tagged with where they are (optsweep.report = the artifact path of the Markdown).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tracking import curves, values
from tracking.errors import TrackingError
from tracking.runs import PARENT_TAG, ROLE_TAG, STUDY_TAG, open_client
from tracking.store import mask, sqlite_path, store_lock

REPORT_ROLE = "report"
ARTIFACT_DIR = "report"
REPORT_TAG = "optsweep.report"  # on the parent: artifact path of the Markdown report
REPORT_FILE_TAG = "optsweep.report.file"  # on the parent: where the Markdown was written
CURVE_KEYS = ("val_cost", "train_cost", "val_accuracy")
MAX_CURVE_POINTS = 500  # per curve per run: enough to draw, few enough to log quickly


def check_parent(uri: str, run_id: str) -> None:
    """Raise TrackingError unless the store at `uri` exists and holds run `run_id`.

    A SQLite store that is not there is reported, not created (MlflowClient would create it).
    """
    db = sqlite_path(uri)
    if db is not None and not db.is_file():
        raise TrackingError(
            f"no MLflow store at {db} (the study's parent run {run_id} lives in the store the "
            "sweep used); pass --tracking-uri"
        )
    client = open_client(uri)
    try:
        run = client.get_run(run_id)
    except Exception as e:
        raise TrackingError(
            f"the study's parent run {run_id} is not in the MLflow store {mask(uri)} "
            f"({type(e).__name__}); pass the sweep's --tracking-uri"
        ) from None
    if run.info.lifecycle_stage != "active":
        raise TrackingError(f"the study's parent run {run_id} is deleted in {mask(uri)}")


class ReportLog:
    """Writes one report to MLflow: child runs under the parent, artifacts and tags on it."""

    def __init__(self, uri: str, parent_run_id: str, study: str, client: Any = None) -> None:
        self.uri, self.parent_run_id, self.study = uri, parent_run_id, study
        with store_lock(uri):
            self.client = client or open_client(uri)
        self.experiment_id = self.client.get_run(parent_run_id).info.experiment_id

    def log(
        self,
        runs: Sequence[Mapping[str, Any]],
        markdown: Path,
        pngs: Sequence[Path],
        tags: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Log every run, then the report files; {"parent_run_id", "runs", "artifact"}."""
        ids = [self.log_run(r) for r in runs]
        for path in [markdown, *pngs]:
            self.client.log_artifact(self.parent_run_id, str(path), ARTIFACT_DIR)
        artifact = f"{ARTIFACT_DIR}/{Path(markdown).name}"
        parent_tags = {
            **(tags or {}),
            REPORT_TAG: artifact,
            REPORT_FILE_TAG: str(Path(markdown).resolve()),
        }
        self._batch(self.parent_run_id, [], {}, parent_tags)
        return {"parent_run_id": self.parent_run_id, "runs": ids, "artifact": artifact}

    def log_run(self, run: Mapping[str, Any]) -> str:
        """One re-training as a nested run: created, logged in batches, terminated."""
        tags = {
            **values.tags(run.get("tags")),
            PARENT_TAG: self.parent_run_id,
            STUDY_TAG: self.study,
            ROLE_TAG: REPORT_ROLE,
        }
        created = self.client.create_run(self.experiment_id, tags=tags, run_name=run["name"])
        run_id = created.info.run_id
        ts = created.info.start_time or 0
        metrics = []
        for k, v in (run.get("metrics") or {}).items():
            x = values.number(v)
            if x is not None and math.isfinite(x):
                metrics.append((values.key(f"final_{k}" if k in CURVE_KEYS else k), x, ts, 0))
        for k, series in (run.get("curves") or {}).items():
            metrics += curve_metrics(k, series, ts)
        self._batch(run_id, metrics, values.params(run.get("params")), {})
        self.client.set_terminated(run_id, run.get("status", "FINISHED"))
        return run_id

    def _batch(self, run_id: str, metrics: list, params: dict, tags: Mapping[str, Any]) -> None:
        from mlflow.entities import Metric, Param, RunTag

        for m, p, t in values.batches(metrics, params, values.tags(tags)):
            self.client.log_batch(
                run_id,
                metrics=[Metric(k, v, ts, step) for k, v, ts, step in m],
                params=[Param(k, v) for k, v in p],
                tags=[RunTag(k, v) for k, v in t],
            )


def curve_metrics(key: str, series: Sequence[float | None], ts: int) -> list:
    """(key, value, timestamp, epoch) of a per-epoch curve, thinned to MAX_CURVE_POINTS."""
    out = []
    for epoch in curves.thin(len(series), MAX_CURVE_POINTS):
        x = values.number(series[epoch - 1])
        if x is not None and math.isfinite(x):
            out.append((values.key(key), x, ts, epoch))
    return out


# --- Markdown ------------------------------------------------------------------------------


def render_markdown(content: Mapping[str, Any], images: Mapping[str, str]) -> str:
    """The report as Markdown; `images` maps a plot's role to its file name beside the report."""
    c = content
    best = c["best"]
    lines = [
        f"# Defaults report: study `{c['study']}`",
        "",
        f"Sweep file `{c['sweep_file']}` on **{c['data']}**; objective **{c['objective']}** "
        f"({c['direction']}d), {c['epochs']} epochs per run. Trials: "
        + ", ".join(f"{v} {k}" for k, v in sorted(c["trials"].items()))
        + ".",
        "",
        f"Best trial {best['trial']}: {c['objective']} = {fmt(best['value'])} with "
        + ", ".join(f"{k} = {fmt(v)}" for k, v in best["values"].items())
        + ".",
        "",
        f"Re-trained over seeds {', '.join(map(str, c['seeds']))}: tuned "
        f"{c['objective']} = {pm(c['tuned']['mean'], c['tuned']['se'])}"
        + (f" ({c['tuned']['diverged']} diverged)" if c["tuned"]["diverged"] else "")
        + learned_nothing(c["tuned"], pm)
        + ".",
        "",
        "## Parameters with a default",
        "",
    ]
    if c["parameters"]:
        lines += table_lines(
            [
                "parameter",
                "default",
                "tuned",
                "fANOVA",
                "PED-ANOVA",
                "default mean ± SE",
                "tuned mean ± SE",
                "gap ± SE",
                "verdict",
                "sensitivity",
            ],
            [markdown_row(r, c["objective"]) for r in c["parameters"]],
        )
        notes = [f"- {r['name']}: {r['note']}" for r in c["parameters"] if r.get("note")]
        lines += ["", *notes] if notes else []
    else:
        lines.append("No searched parameter has a default.")
    if c["free"]:
        lines += ["", "## Parameters without a default", ""]
        lines += table_lines(
            [
                "parameter",
                "best",
                "safe range",
                "trials in band",
                "fANOVA",
                "PED-ANOVA",
                "sensitivity",
            ],
            [free_row(r) for r in c["free"]],
        )
    lines += ["", "## Rules", "", *[f"- {r}" for r in c["rules"]]]
    if c.get("notes"):
        lines += ["", "## Notes", "", *[f"- {n}" for n in c["notes"]]]
    if images:
        lines += ["", "## Plots", ""]
        for role, name in images.items():
            lines += [f"![{role}]({name})", ""]
    return "\n".join(lines).rstrip() + "\n"


def label(r: Mapping[str, Any]) -> str:
    """A parameter as the sweep file names it (beta1, adam.alpha), not Optuna's raw name."""
    return f"{r['condition'][1]}.{r['name']}" if r.get("condition") else r["name"]


def markdown_row(r: Mapping[str, Any], objective: str) -> list[str]:
    gap = r.get("gap")
    cells = [
        f"`{label(r)}`",
        fmt(r.get("default")),
        fmt(r.get("tuned")),
        importance(r, "fanova"),
        importance(r, "ped_anova"),
    ]
    if gap:
        default_div = f" ({gap['default_diverged']} diverged)" if gap["default_diverged"] else ""
        left = gap.get("seeds_left_out") or []
        left_out = f"; seed {', '.join(map(str, left))} left out" if left else ""
        cells += [
            pm(gap["default_mean"], gap["default_se"]) + default_div,
            pm(gap["tuned_mean"], gap["tuned_se"]),
            pm(gap["gap"], gap["gap_se"]) + f" ({pct(gap['relative_gap'])}{left_out})",
            f"**{gap['verdict']}**",
        ]
    else:
        cells += ["-", "-", "-", "n/a" if not r.get("note") else "see note"]
    cells.append(spread(r))
    return cells


def free_row(r: Mapping[str, Any]) -> list[str]:
    sr = r.get("safe_range")
    if sr:
        rng = f"{fmt(sr['low'])} to {fmt(sr['high'])}"
        counts = f"{sr['n_within']} of {sr['n_inside']} in range (band {fmt(sr['band'])})"
    else:
        rng, counts = "n/a", "-"
    return [f"`{label(r)}`", fmt(r.get("tuned")), rng, counts, importance(r, "fanova"),
            importance(r, "ped_anova"), spread(r)]  # fmt: skip


def importance(r: Mapping[str, Any], name: str) -> str:
    item = (r.get("importance") or {}).get(name) or {}
    if item.get("value") is None:
        return item.get("note") or "n/a"
    return f"{item['value']:.3f}"


def spread(r: Mapping[str, Any]) -> str:
    s = r.get("sensitivity")
    if not s:
        return r.get("sensitivity_note") or "n/a"
    return f"{fmt(s['spread'])} over {len(s['bins'])} bins"


def table_lines(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return out


def fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool | str):
        return str(v)
    if isinstance(v, int):
        return str(v)
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(x):
        return "n/a"
    return f"{x:.4g}"


def learned_nothing(tuned: Mapping[str, Any], pm) -> str:
    """The headline's aside when the tuned configuration learned nothing on some seeds: the
    mean over the other seeds, which is what the settings reach when the network trains."""
    dead = tuned.get("learned_nothing") or []
    if not dead:
        return ""
    seeds = ", ".join(map(str, dead))
    rest = pm(tuned.get("learning_mean"), tuned.get("learning_se"))
    return f"; on seed {seeds} the network learned nothing, on the others {rest}"


def pm(mean: float | None, se: float | None) -> str:
    if mean is None or not math.isfinite(mean):
        return "n/a"
    if se is None or not math.isfinite(se):
        return fmt(mean)
    return f"{fmt(mean)} ± {fmt(se)}"


def pct(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{100 * x:+.1f}%"
