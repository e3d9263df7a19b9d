"""One study's MLflow view: an experiment named after the study, a parent run, a child per trial.

    tracker = StudyTracker(uri, "moons-adam")          # may raise TrackingError: before trials
    tracker.open_parent({"n_trials": 50, "data": "moons"})
    run = tracker.start_trial(7, {"optimizer": "adam", "alpha": 3.2e-3}, total_epochs=300)
    for epoch ...: run.log_epoch(epoch, {"train_cost": ..., "val_cost": ...})
    run.flush()                                        # every N epochs / S seconds
    run.end("COMPLETE", result.final, reason, smoothed_cost=[(step, value), ...])
    tracker.finish_parent()

Runs are found by tags, not remembered: the parent carries optsweep.study=<name> and
optsweep.role=study, a child optsweep.role=trial and optsweep.trial=<number> under
mlflow.parentRunId, so a resumed sweep or another worker process re-opens the same parent run.

Round trips per trial: create_run (tags and name in one call), one log_batch per 1000 metrics
(the params ride along with the first, at most 100 per call: a short trial writes its params,
curves, final figures and closing tags in one log_batch at its end), the curves artifact (written
straight to the run's artifact location, which create_run returned) and set_terminated: 4 for a
trial of the default sweep, each a commit on a SQL store. Nothing during a trial raises into the
training loop: see tracking/retry.py.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tracking import thinning, values
from tracking.errors import TrackingError
from tracking.retry import RetryPolicy, Writer, describe
from tracking.store import artifact_location, is_server, mask, resolve, store_lock

STUDY_TAG = "optsweep.study"
ROLE_TAG = "optsweep.role"
TRIAL_TAG = "optsweep.trial"
STATE_TAG = "optsweep.state"
REASON_TAG = "optsweep.reason"
DEGRADED_TAG = "optsweep.degraded"
CHANGED_PARAM_TAG = "optsweep.param_changed."  # + key: a resumed study's new value of a param
PARENT_TAG = "mlflow.parentRunId"
NOTE_TAG = "mlflow.note.content"

# Optuna trial state -> MLflow run status; anything else (a run cut short) is FAILED
STATUS = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED"}
RUN_STATUSES = ("FINISHED", "FAILED", "KILLED")
EPOCH_METRICS = ("train_cost", "val_cost", "train_accuracy", "val_accuracy", "lr")
EWA_METRIC = "minibatch_cost_ewa"
CURVES_ARTIFACT = "curves.json"
_ROLE_FILTER = "tags.`optsweep.role` = '{}'"
_ACTIVE_ONLY = 1  # mlflow.entities.ViewType.ACTIVE_ONLY, without importing mlflow


def trial_run_name(number: int, params: Mapping[str, Any]) -> str:
    """A run name that reads in MLflow's run list: 'trial-007 adam a=3.2e-3 bs=128'."""
    parts = [f"trial-{number:03d}"]
    if "optimizer" in params:
        parts.append(str(params["optimizer"]))
    if "alpha" in params:
        parts.append(f"a={_short(params['alpha'])}")
    if "batch_size" in params:
        parts.append(f"bs={params['batch_size']}")
    return " ".join(parts)


run_name = trial_run_name  # the name callers use; start_trial's argument shadows it


def _short(x: Any) -> str:
    try:
        mantissa, exponent = f"{float(x):.1e}".split("e")
    except (TypeError, ValueError):
        return str(x)
    return f"{mantissa}e{int(exponent)}"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _state_name(state: Any) -> str:
    """'COMPLETE' from 'COMPLETE', 'complete' or an enum member such as TrialState.COMPLETE."""
    return str(getattr(state, "name", state)).upper()


_ENV_WE_SET: dict[str, str] = {}  # MLflow settings written by open_client, not by the user


def preload(tracking_uri: str) -> None:
    """Import MLflow's client and the store behind `tracking_uri` now (seconds of imports),
    e.g. before taking a lock, so that opening the store under it keeps no other worker waiting
    for our imports: an existing SQL store then opens in well under a second."""
    import mlflow.tracking

    if not is_server(tracking_uri):
        import mlflow.store.tracking.sqlalchemy_store  # noqa: F401


def open_client(tracking_uri: str, policy: RetryPolicy | None = None) -> Any:
    """An MlflowClient for `tracking_uri` whose HTTP requests our retry policy bounds.

    MLflow's own HTTP retries (7, with backoff: minutes on a dead server) are turned off and
    its request timeout set to `policy.timeout`, through the environment variables MLflow reads
    per request. They are process-wide: the latest policy wins, and a value the user set in the
    environment is never overwritten.
    """
    policy = policy or RetryPolicy()
    if is_server(tracking_uri):
        timeout = str(max(1, math.ceil(policy.timeout)))
        for name, value in (("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0"),
                            ("MLFLOW_HTTP_REQUEST_TIMEOUT", timeout),
                            # set_terminated would print "View run at <uri>" (a password in the
                            # URI included) and read the run back: one more request per trial
                            ("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")):  # fmt: skip
            if os.environ.get(name) in (None, _ENV_WE_SET.get(name)):
                os.environ[name] = _ENV_WE_SET[name] = value
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri)


def _entities(
    metrics: list[values.Metric], params: list[tuple[str, str]], tags: list[tuple[str, str]]
) -> dict[str, list]:
    from mlflow.entities import Metric, Param, RunTag

    return {
        "metrics": [Metric(k, v, ts, step) for k, v, ts, step in metrics],
        "params": [Param(k, v) for k, v in params],
        "tags": [RunTag(k, v) for k, v in tags],
    }


class StudyTracker:
    """One study's MLflow view: one experiment, one parent run, one nested child run per trial."""

    def __init__(
        self,
        tracking_uri: str,
        study_name: str,
        *,
        retry: RetryPolicy | None = None,
        client: Any = None,
        max_points: int = thinning.MAX_POINTS,
    ) -> None:
        """Open (or create) the study's experiment; raises TrackingError if the store fails.

        `max_points` caps the points per logged curve (epochs, smoothed mini-batch cost): each
        point is a row that MLflow's SQL store writes through its ORM at roughly 0.2 ms, so a
        sweep of many short trials may want fewer. `client` replaces the MlflowClient, e.g.
        with a wrapper that counts calls.
        """
        if max_points < 1:
            raise ValueError(f"max_points must be >= 1, got {max_points}")
        self.max_points = max_points
        if not str(study_name).strip():
            raise TrackingError("study name is empty; give the study a name")
        self.tracking_uri = resolve(tracking_uri)
        self.study_name = str(study_name)
        policy = retry or RetryPolicy()
        self.writer = Writer(client, policy, self.tracking_uri)
        # MlflowClient creates a new SQLite store's tables: one process at a time, or they clash
        with store_lock(self.tracking_uri):
            if client is None:
                self.writer.client = self.writer.hard(
                    "open the store", open_client, self.tracking_uri, policy
                )
            self.experiment_id: str = self.writer.hard("open the experiment", self._experiment)
        self.parent_run_id: str | None = None
        self._parent_params: dict[str, str] = {}

    @property
    def client(self) -> Any:
        """The MlflowClient behind every call (the writer's, so swapping the writer swaps it)."""
        return self.writer.client

    @property
    def degraded(self) -> bool:
        """True once any tracking write gave up; `errors` says which."""
        return bool(self.writer.errors)

    @property
    def errors(self) -> list[str]:
        return self.writer.errors

    def _experiment(self) -> str:
        name = self.study_name
        exp = self.client.get_experiment_by_name(name)
        if exp is None:
            try:
                return self.client.create_experiment(
                    name,
                    artifact_location=artifact_location(self.tracking_uri, name),
                    tags={STUDY_TAG: name},
                )
            except Exception as e:
                if getattr(e, "error_code", None) != "RESOURCE_ALREADY_EXISTS":
                    raise
                exp = self.client.get_experiment_by_name(name)  # another worker made it first
        if exp.lifecycle_stage != "active":
            raise TrackingError(
                f"MLflow experiment {name!r} is deleted; restore it with `mlflow experiments "
                f"restore --experiment-id {exp.experiment_id}` or choose another study name"
            )
        return exp.experiment_id

    # -- the parent run ---------------------------------------------------------------------

    def open_parent(
        self,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        *,
        parent_run_id: str | None = None,
    ) -> str:
        """Get or create the study's parent run, set it RUNNING and log `params`; its run id.

        A parent found by its tags (or given as `parent_run_id`, e.g. kept in the Optuna study's
        user attrs) is re-opened, not duplicated; a `parent_run_id` the store no longer has
        (deleted, or a new store) is ignored, so compare the returned id with it. A param the
        run already holds with another value (MLflow forbids changing one) is kept and the new
        value goes to the tag optsweep.param_changed.<key>. Raises TrackingError when the store
        fails.
        """
        with store_lock(self.tracking_uri):  # one SQLite store: find-or-create is atomic
            run = None
            if parent_run_id is not None:
                run = self.writer.hard("read the parent run", self._known_parent, parent_run_id)
            if run is None:
                run = self.writer.hard("find the parent run", self._find_parent)
            if run is None:
                run = self.writer.hard("create the parent run", self._create_parent, tags)
        run_id = run.info.run_id
        if run.info.status != "RUNNING":
            self.writer.hard("re-open the parent run", self.client.update_run, run_id, "RUNNING")
        self.parent_run_id = run_id
        self._parent_params = dict(run.data.params)
        new_params, new_tags = self._new_parent_params(params)
        new_tags.update(values.tags(tags))
        for _, p, t in values.batches([], new_params, new_tags):
            self.writer.hard(
                "log the study's params", self.client.log_batch, run_id, **_entities([], p, t)
            )
        self._parent_params.update(new_params)
        return run_id

    def _known_parent(self, run_id: str):
        try:
            run = self.client.get_run(run_id)
        except Exception as e:
            if getattr(e, "error_code", None) == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise
        if run.info.lifecycle_stage != "active":
            return None
        if run.info.experiment_id != self.experiment_id:
            raise TrackingError(
                f"run {run_id} is not in the experiment of study {self.study_name!r}; "
                "pass this study's parent run or none"
            )
        return run

    def _study_parents(self) -> list:
        runs = self.client.search_runs(
            [self.experiment_id],
            filter_string=_ROLE_FILTER.format("study"),
            run_view_type=_ACTIVE_ONLY,
            max_results=100,
            order_by=["attributes.start_time ASC"],
        )
        mine = [r for r in runs if r.data.tags.get(STUDY_TAG) == self.study_name]
        return sorted(mine, key=lambda r: (r.info.start_time, r.info.run_id))

    def _find_parent(self):
        parents = self._study_parents()
        return parents[0] if parents else None

    def _create_parent(self, tags: Mapping[str, Any] | None):
        run = self.client.create_run(
            self.experiment_id,
            tags={**values.tags(tags), STUDY_TAG: self.study_name, ROLE_TAG: "study"},
            run_name=self.study_name,
        )
        if self.tracking_uri.startswith("sqlite:///"):
            return run  # the store lock made find-or-create atomic
        # No lock across machines: workers that raced converge on the oldest parent and
        # delete their own duplicates. The runner avoids the race by passing parent_run_id.
        oldest = self._study_parents()[0]
        if oldest.info.run_id != run.info.run_id:
            self.client.delete_run(run.info.run_id)
            return oldest
        return run

    def _new_parent_params(self, params) -> tuple[dict[str, str], dict[str, str]]:
        new, changed = {}, {}
        for k, v in values.params(params).items():
            old = self._parent_params.get(k)
            if old is None:
                new[k] = v
            elif old != v:
                changed[values.key(CHANGED_PARAM_TAG + k)] = v
        return new, changed

    def finish_parent(self, status: str = "FINISHED") -> None:
        """Mark the parent run terminated (FINISHED, FAILED or KILLED; Optuna names map too)."""
        if self.parent_run_id is None:
            return
        status = _run_status(status)
        self.writer.soft(
            "finish the parent run", self.client.set_terminated, self.parent_run_id, status
        )

    def log_parent(
        self,
        metrics: Mapping[str, float] | None = None,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        artifacts: list[Path] | None = None,
        artifact_dir: str | None = None,
        step: int = 0,
    ) -> None:
        """Log study-level results (best value, plots) to the parent run; never raises."""
        if self.parent_run_id is None:
            raise RuntimeError("StudyTracker.open_parent() must come before log_parent()")
        ts = _now_ms()
        ms = [
            (values.key(k), x, ts, step)
            for k, v in (metrics or {}).items()
            if (x := values.number(v)) is not None
        ]
        new_params, new_tags = self._new_parent_params(params)
        new_tags.update(values.tags(tags))
        for m, p, t in values.batches(ms, new_params, new_tags):
            ok, _ = self.writer.soft(
                "log to the parent run",
                self.client.log_batch,
                self.parent_run_id,
                **_entities(m, p, t),
            )
            if ok:
                self._parent_params.update(p)
        for path in artifacts or []:
            self.writer.soft(
                f"upload {Path(path).name}",
                self.client.log_artifact,
                self.parent_run_id,
                str(path),
                artifact_dir,
            )

    # -- trials -----------------------------------------------------------------------------

    def start_trial(
        self,
        trial_number: int,
        params: Mapping[str, Any],
        tags: Mapping[str, Any] | None = None,
        run_name: str | None = None,
        total_epochs: int | None = None,
        *,
        flush_every_epochs: int | None = None,
        flush_every_seconds: float | None = None,
    ) -> TrialRun:
        """A child run under the parent; never raises on a store failure (the run degrades).

        `params` are the trial's params and fixed settings (nested dicts flatten to dotted
        keys). `total_epochs` sets the thinning of curves longer than `max_points` (None keeps
        every epoch). With `flush_every_*` set, log_epoch flushes by itself when either is due.
        """
        if self.parent_run_id is None:
            raise RuntimeError("StudyTracker.open_parent() must come before start_trial()")
        name = run_name or trial_run_name(trial_number, params)
        run_tags = {
            **values.tags(tags),
            PARENT_TAG: self.parent_run_id,
            STUDY_TAG: self.study_name,
            ROLE_TAG: "trial",
            TRIAL_TAG: str(trial_number),
        }

        def create():
            return self.client.create_run(self.experiment_id, tags=run_tags, run_name=name).info

        trial = TrialRun(
            self.writer,
            trial_number,
            total_epochs,
            max_points=self.max_points,
            create=create,
            params=values.params(params),
            flush_every_epochs=flush_every_epochs,
            flush_every_seconds=flush_every_seconds,
        )
        trial.open()  # the params wait for the first log_batch: one round trip fewer
        return trial

    def trial_runs(self) -> dict[int, dict]:
        """Trial number -> {run_id, run_name, status, start_time, end_time, tags, params, metrics}
        for every child run of this study; of two runs for one number the later started wins.
        """
        out: dict[int, dict] = {}
        for number, run in self._trial_run_list():
            out[number] = {
                "run_id": run.info.run_id,
                "run_name": run.info.run_name,
                "status": run.info.status,
                "start_time": run.info.start_time,
                "end_time": run.info.end_time,
                "tags": dict(run.data.tags),
                "params": dict(run.data.params),
                "metrics": dict(run.data.metrics),
            }
        return out

    def delete_duplicate_trial_runs(self, keep: Mapping[int, Mapping[str, Any]]) -> list[int]:
        """Delete (restorably) every run of a trial but the one `keep` (`trial_runs()`) holds: a
        create_run that timed out on the client but succeeded on the server, then was retried,
        leaves two. Returns the trial numbers that had extra runs."""
        extra = [
            (number, run.info.run_id)
            for number, run in self._trial_run_list()
            if number in keep and keep[number]["run_id"] != run.info.run_id
        ]
        for _, run_id in extra:
            self.writer.hard("delete a duplicate run", self.client.delete_run, run_id)
        return sorted({number for number, _ in extra})

    def _trial_run_list(self):
        """(trial number, run) for every active trial run of this study, oldest first."""
        token = None
        while True:
            page = self.writer.hard(
                "list the trial runs",
                self.client.search_runs,
                [self.experiment_id],
                filter_string=_ROLE_FILTER.format("trial"),
                run_view_type=_ACTIVE_ONLY,
                max_results=1000,
                order_by=["attributes.start_time ASC"],
                page_token=token,
            )
            for run in page:
                t = run.data.tags
                if t.get(STUDY_TAG) == self.study_name and t.get(TRIAL_TAG, "").isdigit():
                    yield int(t[TRIAL_TAG]), run
            token = page.token
            if not token:
                return

    def metric_history(self, run_id: str, key: str) -> list[tuple[int, float]]:
        """(step, value) of one metric of one run, sorted by step."""
        history = self.writer.hard(
            f"read the history of {key!r}", self.client.get_metric_history, run_id, key
        )
        return [(m.step, m.value) for m in sorted(history, key=lambda m: (m.step, m.timestamp))]


def _run_status(status: Any) -> str:
    name = _state_name(status)
    if name in RUN_STATUSES:
        return name
    if name in STATUS:
        return STATUS[name]
    raise ValueError(f"unknown run status {status!r}; use one of {', '.join(RUN_STATUSES)}")


class TrialRun:
    """One trial's child run: buffered per-epoch metrics, final figures, the curves artifact.

    No method raises on a store failure: the write is retried, then the run is marked
    `degraded` (with the cause in `errors`) and whatever was not written stays buffered for
    the next flush. The full per-epoch curves stay in memory for `curves.json`.
    """

    def __init__(
        self,
        writer: Writer,
        trial_number: int,
        total_epochs: int | None = None,
        *,
        run_id: str | None = None,
        create: Any = None,
        params: Mapping[str, str] | None = None,
        flush_every_epochs: int | None = None,
        flush_every_seconds: float | None = None,
        max_points: int = thinning.MAX_POINTS,
    ) -> None:
        self.writer = writer
        self.trial_number = trial_number
        self.total_epochs = total_epochs
        self.run_id: str | None = run_id
        self._artifact_uri: str | None = None  # known when this object created the run
        self.degraded = False
        self.errors: list[str] = []
        self.ended = False
        self._create = create
        self.max_points = max_points
        self._every = thinning.stride(total_epochs, max_points)
        self._rows: list[tuple[int, dict[str, float]]] = []
        self._queued_epoch: int | None = None  # the last epoch put in the buffer
        self._pending: list[values.Metric] = []
        self._pending_params: dict[str, str] = dict(params or {})
        self._pending_tags: dict[str, str] = {}
        self._keys: dict[str, str] = {}
        self._flush_epochs = flush_every_epochs
        self._flush_seconds = flush_every_seconds
        self._epochs_since_flush = 0
        self._last_flush = time.monotonic()

    # -- during training ----------------------------------------------------------------------

    def log_epoch(self, epoch: int, metrics: Mapping[str, float | None]) -> None:
        """Buffer one epoch's metrics at step = epoch (1-based); None values are skipped."""
        row = {}
        for k, v in metrics.items():
            x = values.number(v)
            if x is not None:
                row[self._keys.get(k) or self._keys.setdefault(k, values.key(k))] = x
        self._rows.append((epoch, row))
        if thinning.keeps(epoch, self._every):
            self._queue(epoch, row)
        self._epochs_since_flush += 1
        if self._flush_due():
            self.flush()

    def _queue(self, epoch: int, row: dict[str, float]) -> None:
        ts = _now_ms()
        self._pending.extend((k, v, ts, epoch) for k, v in row.items())
        self._queued_epoch = epoch

    def _flush_due(self) -> bool:
        if self._flush_epochs and self._epochs_since_flush >= self._flush_epochs:
            return True
        return bool(
            self._flush_seconds and time.monotonic() - self._last_flush >= self._flush_seconds
        )

    @property
    def pending(self) -> int:
        """Metrics buffered and not yet in the store."""
        return len(self._pending)

    def flush(self) -> bool:
        """Send everything buffered, 1000 metrics per log_batch; True when nothing is left."""
        self._epochs_since_flush = 0
        self._last_flush = time.monotonic()
        if not (self._pending or self._pending_params or self._pending_tags):
            return True
        if not self._ensure_run():
            return False
        client = self.writer.client
        while self._pending or self._pending_params or self._pending_tags:
            m, p, t = next(values.batches(self._pending, self._pending_params, self._pending_tags))
            ok, _ = self.writer.soft(
                f"log to trial {self.trial_number}",
                client.log_batch,
                self.run_id,
                **_entities(m, p, t),
            )
            if not ok:
                return self._degrade()
            del self._pending[: len(m)]
            for k, _ in p:
                del self._pending_params[k]
            for k, _ in t:
                del self._pending_tags[k]
        return True

    def open(self) -> bool:
        """Create the run now (its tags and name in one call) if it is not there yet; what is
        buffered (the params first) waits for the next flush. False when the store failed."""
        return self._ensure_run()

    def _ensure_run(self) -> bool:
        if self.run_id is None and self._create is not None:
            ok, info = self.writer.soft(
                f"create the run of trial {self.trial_number}", self._create
            )
            if ok:
                self.run_id, self._artifact_uri = info.run_id, info.artifact_uri
        return self.run_id is not None or self._degrade()

    def _degrade(self) -> bool:
        self.degraded = True
        last = self.writer.errors[-1] if self.writer.errors else "store unavailable"
        if not self.errors or self.errors[-1] != last:
            self.errors.append(last)
        return False

    # -- the end ----------------------------------------------------------------------------

    def end(
        self,
        state: Any,
        final: Mapping[str, float | None] | None = None,
        reason: str = "",
        smoothed_cost: Sequence[tuple[int, float]] | None = None,
        extra_tags: Mapping[str, Any] | None = None,
    ) -> None:
        """Write what is left, the final figures and the curves; terminate with the mapped status.

        `state` is an Optuna state name (COMPLETE -> FINISHED, PRUNED -> KILLED, FAIL and
        anything else -> FAILED). `final` figures that share a name with a per-epoch curve are
        logged as final_<name> (train_cost is the curve, final_train_cost the full pass after
        training), at step = last epoch. `smoothed_cost`, (mini-batch index, value) pairs of the
        smoothed mini-batch cost (the caller smooths and thins it), becomes minibatch_cost_ewa.
        A second call does nothing.
        """
        if self.ended:
            return
        self.ended = True
        name = _state_name(state)
        status = STATUS.get(name, "FAILED")
        last = self._rows[-1][0] if self._rows else 0
        if self._rows and self._queued_epoch != last:
            self._queue(*self._rows[-1])  # a thinned curve still ends at the last epoch
        ts = _now_ms()
        curve_keys = set(EPOCH_METRICS).union(*(row for _, row in self._rows))
        for k, v in (final or {}).items():
            x = values.number(v)
            if x is not None:
                k = values.key(k)
                self._pending.append((f"final_{k}" if k in curve_keys else k, x, ts, last))
        for step, value in smoothed_cost or ():
            x = values.number(value)
            if x is not None:
                self._pending.append((EWA_METRIC, x, ts, int(step)))
        note = f"trial {self.trial_number} {name} after {last} epochs" + (
            f": {reason}" if reason else ""
        )
        self._pending_tags.update(
            values.tags(
                {
                    **(extra_tags or {}),
                    STATE_TAG: name,
                    REASON_TAG: reason,
                    NOTE_TAG: note,
                    **({DEGRADED_TAG: "true"} if self.degraded else {}),
                }
            )
        )
        self.flush()
        if self.run_id is None:
            return
        client = self.writer.client
        payload = self.curves(final, name, reason)
        ok, _ = self.writer.soft("upload curves.json", self._log_curves, payload)
        if not ok:
            self._degrade()
        ok, _ = self.writer.soft("end the run", client.set_terminated, self.run_id, status)
        if not ok:
            self._degrade()

    def _log_curves(self, payload: dict[str, Any]) -> None:
        """curves.json, as MlflowClient.log_dict writes it; straight to the run's artifact
        repository when create_run told us where it is (log_dict would first read the whole
        run back from the store to find out: a query and a third of the artifact's cost)."""
        if self._artifact_uri is None:
            self.writer.client.log_dict(self.run_id, payload, CURVES_ARTIFACT)
            return
        import json
        import tempfile

        from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

        repo = get_artifact_repository(self._artifact_uri, tracking_uri=self.writer.uri)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, CURVES_ARTIFACT)
            path.write_text(json.dumps(payload, indent=2, default=str))
            repo.log_artifact(str(path))

    def curves(
        self, final: Mapping[str, Any] | None = None, state: str = "", reason: str = ""
    ) -> dict[str, Any]:
        """The full per-epoch curves as JSON-ready columns (a non-finite value becomes None)."""
        keys: dict[str, None] = {}
        for _, row in self._rows:
            keys.update(dict.fromkeys(row))
        columns: dict[str, Any] = {"epoch": [e for e, _ in self._rows]}
        for k in keys:
            columns[k] = [_json_number(row.get(k)) for _, row in self._rows]
        out: dict[str, Any] = {"trial": self.trial_number, "curves": columns}
        if state:
            out["state"], out["reason"] = state, mask(reason)
        if final is not None:
            out["final"] = {k: _json_number(values.number(v)) for k, v in final.items()}
        return out

    # -- as a context manager: an escaping exception ends the run --------------------------

    def __enter__(self) -> TrialRun:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if not self.ended:
            if exc is None:
                self.end("COMPLETE", {})
            elif type(exc).__name__ == "TrialPruned":  # optuna's, matched by name: no import
                self.end("PRUNED", {}, reason=str(exc) or "pruned")
            else:
                self.end("FAIL", {}, reason=describe(exc))
        return False


def _json_number(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None
