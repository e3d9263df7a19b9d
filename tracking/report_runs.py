"""The defaults report's and the findings' runs in MLflow: plain data in, nothing from optuna
or core.

    check_parent(uri, parent_run_id)             # before anything: TrackingError, one line
    ReportLog(uri, parent_run_id, study).log(runs, md_path, pngs, tags)

Each re-training becomes a run nested under the study's parent run (mlflow.parentRunId), tagged
optsweep.role=report with optsweep.report.arm (select | tuned | default | range),
optsweep.report.param and optsweep.report.seed, so trial views that filter on
optsweep.role=trial never mix them in. Its final figures and its (thinned) per-epoch curves go
in log_batch calls within MLflow's limits. A configuration's summary over its seeds (the seed
bands, analysis/seed_bands.py) is a run of the same kind: its curves are the band's
val_cost_mean, val_cost_lo and val_cost_hi, its plots attached as artifacts.
The Markdown and its PNGs become artifacts of the parent under report/, and the parent is
tagged with where they are (optsweep.report = the artifact path of the Markdown).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracking import thinning, values
from tracking.errors import TrackingError
from tracking.runs import PARENT_TAG, ROLE_TAG, STUDY_TAG, open_client
from tracking.store import check_reachable, is_server, mask, sqlite_path, store_lock

REPORT_ROLE = "report"
ARTIFACT_DIR = "report"
REPORT_TAG = "optsweep.report"  # on the parent: artifact path of the Markdown report
REPORT_FILE_TAG = "optsweep.report.file"  # on the parent: where the Markdown was written
CURVE_KEYS = ("val_cost", "train_cost", "val_accuracy")
MAX_CURVE_POINTS = 500  # per curve per run: enough to draw, few enough to log quickly


@dataclass(frozen=True)
class ReportRun:
    """One nested run of a report: a re-training, or a summary of several (a seed band).
    `metrics` are its final figures (a curve's name gets final_ in front), `curves` its
    per-epoch series (step = epoch), `artifacts` files attached to it."""

    name: str
    status: str = "FINISHED"  # or FAILED (a re-training that diverged or failed)
    tags: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, Any] = field(default_factory=dict)
    curves: Mapping[str, Sequence[float | None]] = field(default_factory=dict)
    artifacts: Sequence[Path] = ()


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
    if is_server(uri):  # a login refused is one line naming what to set, not a traceback
        check_reachable(uri)
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
        runs: Sequence[ReportRun],
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

    def log_run(self, run: ReportRun) -> str:
        """One re-training (or a summary of several) as a nested run: created, logged in
        batches, its files (`artifacts`, paths) attached, terminated."""
        tags = {
            **values.tags(run.tags),
            PARENT_TAG: self.parent_run_id,
            STUDY_TAG: self.study,
            ROLE_TAG: REPORT_ROLE,
        }
        created = self.client.create_run(self.experiment_id, tags=tags, run_name=run.name)
        run_id = created.info.run_id
        ts = created.info.start_time or 0
        metrics = []
        for k, v in run.metrics.items():
            x = values.number(v)
            if x is not None and math.isfinite(x):
                metrics.append((values.key(f"final_{k}" if k in CURVE_KEYS else k), x, ts, 0))
        for k, series in run.curves.items():
            metrics += curve_metrics(k, series, ts)
        self._batch(run_id, metrics, values.params(run.params), {})
        for path in run.artifacts:
            self.client.log_artifact(run_id, str(path))
        self.client.set_terminated(run_id, run.status)
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
    for epoch in thinning.thin(len(series), MAX_CURVE_POINTS):
        x = values.number(series[epoch - 1])
        if x is not None and math.isfinite(x):
            out.append((values.key(key), x, ts, epoch))
    return out
