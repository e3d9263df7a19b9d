"""One trial, start to finish: the search space's suggestions, training through core, reports
to Optuna (so pruners can stop bad trials), curves to the trial and to its MLflow run, and the
outcome told to Optuna.

    values = space.suggest(trial)                   # the course's scales
    result = train(spec.config_for(values), data, callback=recorder)
    study.tell(trial, result.final[spec.objective]) # or PRUNED / FAIL with the reason

Two objectives (sweeps/objectives.py): the trial is told both values, and reports nothing on the
way (Optuna prunes one objective only: such a sweep runs unpruned); epochs_to_target is among
its final figures and its MLflow run's metrics.

Outcomes: completed -> COMPLETE; stopped by the pruner -> PRUNED; diverged (non-finite or
exploding cost) -> PRUNED or FAIL as the sweep file says, with the reason on the trial; an error
in one trial -> FAIL with the reason, and the sweep goes on; an interrupt -> FAIL, queued to run
again, and the interrupt goes on up.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from sweeps import storage as storage_mod
from sweeps.attrs import FINAL_ATTR, PARAMS_ATTR, REASON_ATTR, STATE_ATTR, VALUES_ATTR
from sweeps.curves import CurveWriter, smoothed_cost
from sweeps.optuna_private import one_read
from sweeps.signals import Interrupted, deaf_to_signals, signals_deferred

INTERRUPTED = "interrupted: the sweep was stopped while this trial ran; it will run again"
LOST = (
    "lost: another worker failed this trial (no heartbeat for the grace period) and queued it "
    "again; its result was not recorded"
)


@dataclass
class WorkerContext:
    """What every trial of one worker shares."""

    spec: object  # sweeps.sweep_file.SweepSpec
    dataset: object  # core.data.Dataset, loaded once per worker
    storage_cfg: storage_mod.StorageConfig
    storage: object
    tracker: object | None  # tracking.runs.StudyTracker, or None to run without MLflow
    flush_every: int = 100
    flush_seconds: float = 5.0
    finished: list = field(default_factory=list)  # (number, state) of this worker's trials


class _Recorder:
    """The per-epoch callback: curves out, reports to Optuna, and the pruning decision.

    A write that raises stops this trial alone (its error is kept and fails it when the
    population ends): in a population, one trial's storage or tracking error must not end the
    others' training."""

    def __init__(
        self, trial, writer: CurveWriter, objective: str | None, report_every: int,
        storage=None, prunes: bool = True,
    ):  # fmt: skip
        self.trial, self.writer = trial, writer
        self.objective, self.report_every = objective, report_every
        self.storage, self.prunes = storage, prunes
        self.reports: list[tuple[float, int]] = []  # (value, epoch) not yet written
        self.pruned_at: int | None = None
        self.error: Exception | None = None

    def __call__(self, m) -> bool:
        try:
            return self._record(m)
        except Exception as e:
            self.error = e
            return True

    def _record(self, m) -> bool:
        metrics = {
            "train_cost": m.train_cost,
            "val_cost": m.val_cost,
            "train_accuracy": m.train_accuracy,
            "val_accuracy": m.val_accuracy,
            "lr": m.lr,
        }
        self.writer.add(m.epoch, metrics)  # buffers only
        write = self.writer.due()
        report = self.objective is not None and not m.epoch % self.report_every
        if report and not self.prunes:  # no pruner reads them: they go with the next chunk
            self.reports.append((metrics[self.objective], m.epoch))
            report = False
        if not (write or report):
            return False
        with signals_deferred():  # an interrupt lands after this epoch's writes, in training
            if write:
                self.write()
            if not report:
                return False
            self.trial.report(metrics[self.objective], m.epoch)
            if self.trial.should_prune():
                self.pruned_at = m.epoch
                return True
        return False

    def write(self, send: bool = True) -> None:
        """The buffered epochs as one more curve chunk and the reports kept for it, in one
        transaction; then (`send`) the MLflow run's buffer, never ahead of the study."""
        with storage_mod.batched(self.storage):
            for value, epoch in self.reports:
                self.trial.report(value, epoch)
            self.reports.clear()
            self.writer.flush(send=False)
        if send:
            self.writer.flush()  # nothing left to store: the run's buffer goes


def report_interval(spec, epochs: int) -> int:
    """Epochs between reports: the sweep file's value, or about 25 reports per trial (auto, 0).

    Each report is a storage write (~1 ms on the journal, ~10 ms on PostgreSQL), so reporting
    every epoch of a long trial would cost more than the training it judges.
    """
    every = int(getattr(spec, "report_every", 0) or 0)
    return every if every > 0 else max(1, math.ceil(epochs / 25))


@dataclass
class _Member:
    """A claimed trial made ready to train: its configuration, MLflow run and recorder."""

    trial: object
    config: object  # core.train.TrainConfig
    run: object | None
    writer: CurveWriter
    recorder: _Recorder
    result: object | None = None  # core.train.TrainResult, once trained


def run_trial(ctx: WorkerContext, study, trial):
    """Run one claimed trial to its end; return its final Optuna state (see `run_trials`)."""
    return run_trials(ctx, study, [trial])[0]


def run_trials(ctx: WorkerContext, study, trials: list) -> list:
    """Run claimed trials to their end, together as one population (one trial: alone, with
    core.train); return their final Optuna states, in order.

    Each trial keeps everything a lone one has: its reports to Optuna and its own pruning
    decision (its recorder stops it alone), its curves and MLflow run, its outcome and reason.
    The heartbeat (RDB storages) beats for every one of them from the claim to the end, so a
    worker killed at any point leaves trials that the other workers fail and queue again.
    Ctrl-C and SIGTERM cut training short, never a write to the storage or the tracking store:
    one that arrives during a write waits for it to finish (a database call cut in the middle
    can fail with another error, or leave its connection unusable for the closing writes).
    """
    with storage_mod.heartbeat(ctx.storage, *trials):  # beats in its own thread: no write here
        return _run_trials(ctx, study, trials)


def _run_trials(ctx: WorkerContext, study, trials: list) -> list:
    states: dict[int, object] = {}
    members: list[_Member] = []
    try:
        with signals_deferred():
            refused = []
            try:
                # the population's values in one write; the sampler reads the study once for
                # them all (constant liar: every ask reads the RUNNING trials too)
                with storage_mod.batched(ctx.storage), one_read(study):
                    for trial in trials:
                        try:
                            members.append(_begin(ctx, trial))
                        except Exception as e:  # one bad trial never stops the others
                            refused.append((trial, e))
            except Exception as e:  # their values could not be written: none can train
                refused += [(m.trial, e) for m in members]
                members.clear()
            for m in list(members):  # their runs, once the study has their values
                try:
                    _open_run(ctx, m)
                except Exception as e:
                    refused.append((m.trial, e))
                    members.remove(m)
            for trial, e in refused:
                states[trial.number] = _fail(ctx, study, trial, None, None, e)
        for m, result in zip(members, _train(ctx, members), strict=True):
            m.result = result
        with signals_deferred():  # trained: each outcome is recorded whole, then an interrupt
            outcomes, errors = _record_outcomes(ctx, members)
            for m in members:
                try:
                    if m.trial.number in errors:
                        raise errors[m.trial.number]
                    states[m.trial.number] = _finish(ctx, study, m, outcomes[m.trial.number])
                except Exception as e:
                    states[m.trial.number] = _fail(ctx, study, m.trial, m.run, m.result, e)
        return [states[t.number] for t in trials]
    except (KeyboardInterrupt, Interrupted):
        with deaf_to_signals():  # Ctrl-C reaches every worker, then the sweep sends SIGTERM
            for m in members:
                if m.trial.number not in states:
                    close_interrupted(study, m.trial)
                    _end_run(m.run, "FAIL", m.result, INTERRUPTED)
        raise
    except Exception as e:  # training itself raised: every trial not yet told fails with it
        with signals_deferred():
            for m in members:
                if m.trial.number not in states:
                    states[m.trial.number] = _fail(ctx, study, m.trial, m.run, m.result, e)
        return [states[t.number] for t in trials]


def _begin(ctx: WorkerContext, trial) -> _Member:
    """Suggest the trial's values and record them: ready for its MLflow run (`_open_run`)."""
    spec = ctx.spec
    trial.set_user_attr(STATE_ATTR, "running")  # a retry inherits its predecessor's
    values = spec.space.suggest(trial)
    config = spec.config_for(values)
    params = run_params(spec, config, values)
    trial.set_user_attr(VALUES_ATTR, _jsonable(values))
    trial.set_user_attr(PARAMS_ATTR, params)  # `optsweep sync` rebuilds the run from these
    writer = CurveWriter(trial, None, ctx.flush_every, ctx.flush_seconds)
    objective = None if _is_multi(spec) else spec.objective  # two: nothing to report, unpruned
    recorder = _Recorder(trial, writer, objective, report_interval(spec, config.epochs),
                         ctx.storage, prunes=spec.pruner != "none")  # fmt: skip
    return _Member(trial, config, None, writer, recorder)


def _open_run(ctx: WorkerContext, m: _Member) -> None:
    """The member's MLflow run, once its values are in the study: the study is never behind
    the run (a worker killed in between leaves a trial the others fail and close)."""
    m.run = m.writer.run = _start_run(
        ctx, m.trial, m.trial.user_attrs[PARAMS_ATTR], m.config
    )  # fmt: skip


def _train(ctx: WorkerContext, members: list[_Member]) -> list:
    """The members' training, as one population (a lone member trains alone)."""
    if not members:
        return []
    from core.population import train_population

    return train_population([m.config for m in members], ctx.dataset, [m.recorder for m in members])


def _record_outcomes(ctx: WorkerContext, members: list[_Member]) -> tuple[dict, dict]:
    """Each trained member's last curve chunk, outcome, reason and final figures, written for
    the whole population in one transaction: ({number: (state, reason, value)}, {number: the
    error that fails it}). A member whose own write failed during training fails with it."""
    outcomes: dict[int, tuple] = {}
    errors: dict[int, Exception] = {}
    try:
        with storage_mod.batched(ctx.storage):
            for m in members:
                if m.recorder.error is not None:  # its own write failed: it alone fails
                    errors[m.trial.number] = m.recorder.error
                    continue
                try:
                    outcomes[m.trial.number] = _record(ctx, m)
                except Exception as e:
                    errors[m.trial.number] = e
    except Exception as e:  # the write of them all failed: each of them fails with it
        errors.update(dict.fromkeys(outcomes, e))
        outcomes.clear()
    return outcomes, errors


def _record(ctx: WorkerContext, m: _Member) -> tuple:
    """Write a trained trial's last curve chunk, status, reason and final figures; its
    (state, reason, objective value or values, final figures) for `_finish`."""
    spec, trial, result = ctx.spec, m.trial, m.result
    m.recorder.write(send=False)  # the run's last epochs go with its end, in one batch
    state, reason, value = _outcome(spec, result, m.recorder)
    trial.set_user_attr(STATE_ATTR, result.status)
    trial.set_user_attr(REASON_ATTR, reason)
    final = final_figures(spec, result, m.config.epochs)
    trial.set_user_attr(FINAL_ATTR, _jsonable(final))
    return state, reason, value, final


def _finish(ctx: WorkerContext, study, m: _Member, outcome: tuple):
    """Tell Optuna the trial's outcome (`_record` wrote its reason and figures); end its run."""
    from optuna.trial import TrialState

    trial, result = m.trial, m.result
    state, reason, value, final = outcome
    study.tell(trial, value if state == TrialState.COMPLETE else None, state=state)
    _end_run(m.run, state.name, result, reason, final)
    ctx.finished.append((trial.number, state.name))
    return state


def _fail(ctx: WorkerContext, study, trial, run, result, error: Exception):
    """FAIL a trial whose training or writes raised, with the reason; its run ends FAILED."""
    from optuna.trial import TrialState

    reason = f"{type(error).__name__}: {error}"
    if _ended_elsewhere(study, trial):  # this worker missed heartbeats (a network cut, a long
        reason = LOST  # pause): another failed its trial and runs it again
    else:
        trial.set_user_attr(STATE_ATTR, "error")
        trial.set_user_attr(REASON_ATTR, reason)
        study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
    _end_run(run, TrialState.FAIL.name, result, reason)
    ctx.finished.append((trial.number, TrialState.FAIL.name))
    return TrialState.FAIL


def _outcome(spec, result, recorder):
    """(Optuna state, reason, objective value) for a finished training run (core calls a run
    completed only with finite final figures: tests/core/test_train.py)."""
    from optuna.trial import TrialState

    if result.status == "completed":
        if _is_multi(spec):
            return TrialState.COMPLETE, result.reason, _values(spec, result, result.epochs_run)
        return TrialState.COMPLETE, result.reason, result.final[spec.objective]
    if result.status == "stopped":
        return TrialState.PRUNED, f"pruned by {spec.pruner} at epoch {recorder.pruned_at}", None
    state = TrialState.FAIL if spec.diverged == "fail" else TrialState.PRUNED
    return state, f"diverged: {result.reason}", None


def _is_multi(spec) -> bool:
    return len(getattr(spec, "objectives", ())) > 1


def _values(spec, result, budget: int) -> list[float]:
    from sweeps import objectives

    return objectives.values(spec.objectives, result.final, result.history, spec.target, budget)


def final_figures(spec, result, budget: int) -> dict:
    """The run's final figures (`optsweep train --json`'s), and for a completed trial of a
    sweep with epochs_to_target, that too: the trial's and its MLflow run's record."""
    from sweeps import objectives

    final = result.summary()
    if result.status == "completed" and objectives.EPOCHS_TO_TARGET in getattr(
        spec, "objectives", ()
    ):
        names = list(spec.objectives)
        final[objectives.EPOCHS_TO_TARGET] = int(
            _values(spec, result, budget)[names.index(objectives.EPOCHS_TO_TARGET)]
        )
    return final


def run_params(spec, config, values: dict) -> dict:
    """A trial run's MLflow params: the data set, every training setting, the searched values."""
    params = {**_data_params(spec.data), **config.to_dict(), **values}
    return json.loads(json.dumps(params, default=_plain))  # as the storage will give it back


def _plain(x):
    return x.item() if hasattr(x, "item") else str(x)  # numpy scalars; anything else as text


def _start_run(ctx: WorkerContext, trial, params: dict, config):
    if ctx.tracker is None:
        return None
    from tracking.runs import run_name

    tags = {"optsweep.worker": "{host}:{pid}".format(**storage_mod.worker_identity())}
    return ctx.tracker.start_trial(
        trial.number,
        params=params,
        tags=tags,
        run_name=run_name(trial.number, params),
        total_epochs=config.epochs,
    )


def _end_run(run, state: str, result, reason: str, final: dict | None = None) -> None:
    if run is None:
        return
    final = final if final is not None else result.summary() if result is not None else {}
    metrics = {k: v for k, v in final.items() if k not in ("status", "reason")}
    smoothed = smoothed_cost(result.step_cost) if result is not None else None
    run.end(state, metrics, reason=reason, smoothed_cost=smoothed)


def _ended_elsewhere(study, trial) -> bool:
    from optuna.trial import TrialState

    return study.get_trials(deepcopy=False)[trial.number].state != TrialState.RUNNING


def close_interrupted(study, trial) -> bool:
    """FAIL a trial cut short by an interrupt and queue it again (a re-run then finishes the same
    budget); False, doing nothing, when it had already ended."""
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState

    if study.get_trials(deepcopy=False)[trial.number].state != TrialState.RUNNING:
        return False
    try:
        trial.set_user_attr(STATE_ATTR, "interrupted")
        trial.set_user_attr(REASON_ATTR, INTERRUPTED)
        study.tell(trial, state=TrialState.FAIL)
    except (UpdateFinishedTrialError, RuntimeError, ValueError):  # failed elsewhere meanwhile
        return False
    storage_mod.retry(study, study.get_trials(deepcopy=False)[trial.number], max_retry=None)
    return True


def _data_params(data) -> dict:
    """The data set's settings as run params: data, samples, noise, classes, data_seed."""
    d = data.to_dict()
    name, seed = d.pop("name"), d.pop("seed")
    return {"data": name, **d, "data_seed": seed}


def _jsonable(d: dict) -> dict:
    plain = (str, int, float, bool, type(None))
    return {k: v if isinstance(v, plain) else str(v) for k, v in d.items()}
