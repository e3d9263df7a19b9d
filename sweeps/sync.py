"""Bring a study's MLflow view in line with its Optuna storage, the record of truth.

    report = sync.sync(storage_cfg, "default", "http://127.0.0.1:5000")

Every finished trial (COMPLETE, PRUNED, FAIL) keeps its per-epoch curves, final metrics, run
params and outcome in its user attributes (sweeps/curves.py, sweeps/trial.py). From them:

- a trial without a run (the tracking store was down) gets one: params, the per-epoch metrics
  (thinned above 1000 epochs as the live path does), final metrics, tags, curves.json, and the
  status that matches its state, under the study's parent run;
- a run that does not match its trial (left RUNNING by a killed worker, ended with another
  status, or marked degraded after a write gave up) gets what it lacks: missing epochs (found
  from its metric histories), params, final metrics, tags, curves.json, and the right status;
- a run that matches is not touched, so a second sync changes nothing.

Trials still RUNNING belong to live workers and are left alone, after failing the ones whose
worker is provably dead (as a starting worker would: heartbeat expired, or pid gone on this
host). Runs made by sync lack only `minibatch_cost_ewa`, which the storage does not keep.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sweeps import storage as storage_mod
from sweeps.attrs import (
    FINAL_ATTR,
    PARAMS_ATTR,
    PARENT_ATTR,
    REASON_ATTR,
    STATE_ATTR,
    VALUES_ATTR,
    WARM_ATTR,
    WORKER_ATTR,
)  # fmt: skip
from sweeps.curves import KEYS, read_curves

log = logging.getLogger("optsweep.sync")
SYNCED_TAG = "optsweep.synced"  # on runs that sync created or completed
CURVE_KEYS = KEYS[1:]  # train_cost, val_cost, train_accuracy, val_accuracy, lr
FINISHED = ("COMPLETE", "PRUNED", "FAIL")


@dataclass
class SyncReport:
    """What a sync did, by trial number."""

    study: str
    created: list[int] = field(default_factory=list)  # runs that were missing
    repaired: list[int] = field(default_factory=list)  # runs completed or re-ended
    unchanged: int = 0
    running: list[int] = field(default_factory=list)  # live trials, left to their workers
    stale: list[int] = field(default_factory=list)  # RUNNING trials of dead workers, now FAIL
    orphans: list[int] = field(default_factory=list)  # runs whose trial number is unknown
    duplicates: list[int] = field(default_factory=list)  # trials that had extra runs, deleted
    parent: str = ""  # "created", "ended FINISHED", ... or "" when untouched

    @property
    def changed(self) -> bool:
        return bool(self.created or self.repaired or self.stale or self.parent or self.duplicates)


def sync(storage_cfg, study_name: str, tracking_uri: str) -> SyncReport:
    """Make the MLflow view of `study_name` match its Optuna trials; TrackingError or
    ConfigError (one line) when either store cannot be used."""
    from tracking import store
    from tracking.runs import StudyTracker

    study = storage_mod.load_study(storage_cfg, study_name)
    store.check_reachable(tracking_uri)
    report = SyncReport(study_name)
    report.stale = storage_mod.fail_stale_trials(study, storage_cfg)
    tracker = StudyTracker(tracking_uri, study_name)
    report.parent = _ensure_parent(tracker, study, storage_cfg)
    runs = tracker.trial_runs()
    report.duplicates = tracker.delete_duplicate_trial_runs(runs)
    trials = study.get_trials(deepcopy=False)
    numbers = {t.number for t in trials}
    report.orphans = sorted(n for n in runs if n not in numbers)
    for trial in trials:
        if WARM_ATTR in trial.user_attrs:
            continue  # a warm start's: run by the study it came from, its runs there
        if trial.state.name == "RUNNING":
            report.running.append(trial.number)
        elif trial.state.name in FINISHED:
            outcome = sync_trial(tracker, trial, runs.get(trial.number), trials)
            if outcome == "created":
                report.created.append(trial.number)
            elif outcome == "repaired":
                report.repaired.append(trial.number)
            else:
                report.unchanged += 1
    ended = _settle_parent(tracker, trials)
    if ended:
        report.parent = f"{report.parent}, {ended}" if report.parent else ended
    return report


def close_runs(tracker, study, numbers: list[int]) -> None:
    """End the runs of trials just failed because their worker died; never raises (a worker
    calls this between trials, and the next `optsweep sync` can finish what fails here)."""
    if tracker.writer.circuit_open:  # the store was just found down: leave it to sync
        return
    try:
        trials = study.get_trials(deepcopy=False)
        runs = tracker.trial_runs()
        for n in numbers:
            sync_trial(tracker, trials[n], runs.get(n), trials)
    except Exception as e:  # the tracking store is down: the trial stays right in Optuna
        from tracking.retry import describe

        log.warning("could not close the MLflow runs of trials %s: %s", numbers, describe(e))


# --- one trial ------------------------------------------------------------------------------


def sync_trial(tracker, trial, run: dict | None, trials) -> str:
    """'created', 'repaired' or 'unchanged': make the run of one finished trial match it."""
    want = _expected(trial, trials)
    if run is not None and _matches(run, want):
        return "unchanged"
    w, client = tracker.writer, tracker.client
    if run is None:
        from tracking import values
        from tracking.runs import PARENT_TAG, ROLE_TAG, STUDY_TAG, TRIAL_TAG

        tags = values.tags(
            {
                **want.create_tags,
                PARENT_TAG: tracker.parent_run_id,
                STUDY_TAG: tracker.study_name,
                ROLE_TAG: "trial",
                TRIAL_TAG: str(trial.number),
            }
        )
        created = w.hard(
            f"create the run of trial {trial.number}",
            client.create_run,
            tracker.experiment_id,
            start_time=want.start_ms,
            tags=tags,
            run_name=want.run_name,
        )
        run_id, have_params, have_metrics, steps = created.info.run_id, {}, {}, {}
        artifacts: set[str] = set()
    else:
        run_id, have_params, have_metrics = run["run_id"], run["params"], run["metrics"]
        steps = {
            k: {s for s, _ in tracker.metric_history(run_id, k)} for k in want.curve_keys
        }  # which epochs the run already holds
        listed = w.hard("list the artifacts", client.list_artifacts, run_id)
        artifacts = {a.path for a in listed}
    _write(tracker, run_id, want, have_params, have_metrics, steps, artifacts)
    if run is not None and want.tags_to_drop(run["tags"]):
        for key in want.tags_to_drop(run["tags"]):
            w.hard("drop a tag", client.delete_tag, run_id, key)
    w.hard(
        f"end the run of trial {trial.number}",
        client.set_terminated,
        run_id,
        want.status,
        end_time=want.end_ms,
    )
    return "created" if run is None else "repaired"


@dataclass
class _Want:
    """What the run of one finished trial must hold."""

    number: int
    state: str
    status: str
    reason: str
    run_name: str
    params: dict[str, str]
    rows: list[tuple[int, dict[str, float]]]  # (epoch, curve values)
    total_epochs: int
    final: dict[str, float]
    start_ms: int
    end_ms: int
    create_tags: dict[str, str]

    @property
    def curve_keys(self) -> list[str]:
        return list(CURVE_KEYS)

    @property
    def last(self) -> int:
        return self.rows[-1][0] if self.rows else 0

    def tags(self) -> dict[str, str]:
        from tracking.runs import NOTE_TAG, REASON_TAG, STATE_TAG

        note = f"trial {self.number} {self.state} after {self.last} epochs" + (
            f": {self.reason}" if self.reason else ""
        )
        return {STATE_TAG: self.state, REASON_TAG: self.reason, NOTE_TAG: note, SYNCED_TAG: "true"}

    def tags_to_drop(self, have: dict) -> list[str]:
        from tracking.runs import DEGRADED_TAG

        return [DEGRADED_TAG] if DEGRADED_TAG in have else []

    def final_metrics(self) -> dict[str, float]:
        """Final figures under the names the live run gives them (final_<k> beside a curve)."""
        from tracking import values

        out = {}
        for k, v in self.final.items():
            x = values.number(v)
            if x is not None:
                k = values.key(k)
                out[f"final_{k}" if k in CURVE_KEYS else k] = x
        return out


def _expected(trial, trials) -> _Want:
    from tracking import values
    from tracking.runs import STATUS, run_name

    curves = read_curves(trial)
    rows = [
        (int(e), {k: curves[k][i] for k in CURVE_KEYS if i < len(curves[k])})
        for i, e in enumerate(curves["epoch"])
    ]
    raw = trial.user_attrs.get(PARAMS_ATTR) or trial.user_attrs.get(VALUES_ATTR) or trial.params
    final = {
        k: v
        for k, v in (trial.user_attrs.get(FINAL_ATTR) or {}).items()
        if k not in ("status", "reason")
    }
    state = trial.state.name
    start = trial.datetime_start.timestamp() if trial.datetime_start else time.time()
    end = trial.datetime_complete.timestamp() if trial.datetime_complete else time.time()
    owner = trial.user_attrs.get(WORKER_ATTR) or {}
    create_tags = {}
    if owner.get("host"):
        create_tags["optsweep.worker"] = f"{owner['host']}:{owner.get('pid', '?')}"
    try:
        total = int(raw.get("epochs") or len(rows))
    except (TypeError, ValueError):
        total = len(rows)
    return _Want(
        number=trial.number,
        state=state,
        status=STATUS.get(state, "FAILED"),
        reason=_reason(trial, trials),
        run_name=run_name(trial.number, raw),
        params=values.params(raw),
        rows=rows,
        total_epochs=total,
        final=final,
        start_ms=int(start * 1000),
        end_ms=int(end * 1000),
        create_tags=create_tags,
    )


def _reason(trial, trials) -> str:
    """The trial's stored reason; for a trial its worker never closed, what became of it."""
    reason = trial.user_attrs.get(REASON_ATTR, "")
    if trial.state.name != "FAIL" or trial.user_attrs.get(STATE_ATTR) not in (None, "running"):
        return reason
    again = [t.number for t in trials if trial.number in t.system_attrs.get("retry_history", ())]
    then = f"; queued again as trial {again[0]}" if again else "; not retried (--max-retry)"
    return f"worker died: stopped without closing the trial (killed or lost){then}"


def _matches(run: dict, want: _Want) -> bool:
    """True when the run was ended by its worker as the trial ended and no write gave up."""
    from tracking.runs import DEGRADED_TAG, STATE_TAG

    tags = run["tags"]
    return (
        run["status"] == want.status
        and tags.get(STATE_TAG) == want.state
        and DEGRADED_TAG not in tags
        and set(want.params) <= set(run["params"])
        and set(want.final_metrics()) <= set(run["metrics"])
    )


def _write(tracker, run_id, want: _Want, have_params, have_metrics, steps, artifacts) -> None:
    """Log what the run lacks, in as few log_batch calls as MLflow's limits allow."""
    from mlflow.entities import Metric, Param, RunTag

    from tracking import thinning, values
    from tracking.runs import CURVES_ARTIFACT, TrialRun

    ts = want.end_ms
    every = thinning.stride(want.total_epochs)
    metrics: list[values.Metric] = []
    for epoch, row in want.rows:
        if thinning.keeps(epoch, every) or epoch == want.last:
            for k, v in row.items():
                if epoch not in steps.get(k, ()):
                    metrics.append((k, float(v), ts, epoch))
    for k, v in want.final_metrics().items():
        if k not in have_metrics:
            metrics.append((k, v, ts, want.last))
    params = {k: v for k, v in want.params.items() if k not in have_params}
    tags = values.tags(want.tags())
    for m, p, t in values.batches(metrics, params, tags):
        tracker.writer.hard(
            f"log to the run of trial {want.number}",
            tracker.client.log_batch,
            run_id,
            metrics=[Metric(k, v, stamp, step) for k, v, stamp, step in m],
            params=[Param(k, v) for k, v in p],
            tags=[RunTag(k, v) for k, v in t],
        )
    if CURVES_ARTIFACT not in artifacts:
        shaped = TrialRun(tracker.writer, want.number, want.total_epochs)  # never sends here
        for epoch, row in want.rows:
            shaped.log_epoch(epoch, row)
        payload = shaped.curves(want.final, want.state, want.reason)
        tracker.writer.hard(
            "upload curves.json", tracker.client.log_dict, run_id, payload, CURVES_ARTIFACT
        )


# --- the parent run ---------------------------------------------------------------------------


def _ensure_parent(tracker, study, storage_cfg) -> str:
    """Point the tracker at the study's parent run, creating one if MLflow has none."""
    from tracking.errors import TrackingError

    known = study.user_attrs.get(PARENT_ATTR)
    if known:
        try:
            run = tracker.writer.hard("read the parent run", tracker.client.get_run, known)
        except TrackingError:  # deleted, or another store: find or make this store's parent
            run = None
        mine = run is not None and run.info.experiment_id == tracker.experiment_id
        if mine and run.info.lifecycle_stage == "active":
            tracker.parent_run_id = known
            return ""
    run_id = tracker.open_parent({"storage": storage_cfg.shown})
    study.set_user_attr(PARENT_ATTR, run_id)
    return "created"


def _settle_parent(tracker, trials) -> str:
    """End a parent run left RUNNING when no trial is running or queued any more."""
    if any(t.state.name in ("RUNNING", "WAITING") for t in trials):
        return ""
    w = tracker.writer
    parent = w.hard("read the parent run", tracker.client.get_run, tracker.parent_run_id)
    if parent.info.status != "RUNNING":
        return ""
    budget = parent.data.params.get("trials", "")
    done = len([t for t in storage_mod.counted(trials) if t.state.name in FINISHED])
    status = "FINISHED" if not budget.isdigit() or done >= int(budget) else "KILLED"
    w.hard("end the parent run", tracker.client.set_terminated, tracker.parent_run_id, status)
    return f"ended {status}"
