"""A trial's interrupt (Ctrl-C, SIGTERM) cuts training short, never a write to the storage."""

from __future__ import annotations

import signal

import pytest
from optuna.trial import TrialState

from sweeps import storage as storage_mod
from sweeps import sweep, workers
from sweeps.signals import Interrupted
from sweeps.study import open_study
from sweeps.trial import INTERRUPTED, WorkerContext, run_trial
from tests.e2e.conftest import write_sweep
from tests.fresh import fresh_python


@pytest.fixture
def claimed(tmp_path):
    """A claimed trial of a small study on the journal (no MLflow), with SIGTERM raising
    Interrupted as in a worker."""
    from core import data

    plan = sweep.check(write_sweep(tmp_path, trials=2, epochs=5), workdir=tmp_path, track=False)
    study, storage, _ = open_study(plan)
    ctx = WorkerContext(plan.spec, data.load(plan.spec.data), plan.storage, storage, None)
    previous = signal.getsignal(signal.SIGTERM)
    workers.install_sigterm_handler()
    try:
        yield ctx, study, storage_mod.claim_trial(study, plan.spec.trials)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt_inside(storage, monkeypatch, method: str, when=lambda *a: True) -> list:
    """Make `storage.method` receive SIGTERM at its start, then do its write; returns the
    list of calls that were interrupted."""
    original = getattr(storage, method)
    hit: list = []

    def interrupted_write(*args, **kwargs):
        if when(*args) and not hit:
            hit.append(args)
            signal.raise_signal(signal.SIGTERM)  # lands while the write is in progress
        return original(*args, **kwargs)

    monkeypatch.setattr(storage, method, interrupted_write)
    return hit


def test_an_interrupt_during_the_trial_s_first_writes_waits_for_them_then_closes_the_trial(
    claimed, monkeypatch
):
    ctx, study, trial = claimed
    hit = _interrupt_inside(
        ctx.storage, monkeypatch, "set_trial_user_attr", lambda _id, key, value: value == "running"
    )
    with pytest.raises(Interrupted):
        run_trial(ctx, study, trial)
    assert hit
    trials = study.get_trials()
    done = trials[trial.number]
    assert "optsweep.values" in done.user_attrs  # the block of writes went on to its end
    assert done.state == TrialState.FAIL and done.user_attrs["optsweep.reason"] == INTERRUPTED
    retry = [t for t in trials if t.state == TrialState.WAITING]
    assert [t.system_attrs["failed_trial"] for t in retry] == [trial.number]


def test_an_interrupt_while_the_outcome_is_told_lets_the_trial_complete(claimed, monkeypatch):
    ctx, study, trial = claimed
    hit = _interrupt_inside(ctx.storage, monkeypatch, "set_trial_state_values")
    with pytest.raises(Interrupted):
        run_trial(ctx, study, trial)
    assert hit
    trials = study.get_trials()
    assert trials[trial.number].state == TrialState.COMPLETE  # recorded whole, not cut
    assert trials[trial.number].user_attrs["optsweep.status"] == "completed"
    assert not [t for t in trials if t.state == TrialState.WAITING]  # nothing to run again


def test_an_interrupt_during_an_epoch_s_report_lands_in_training(claimed, monkeypatch):
    ctx, study, trial = claimed
    hit = _interrupt_inside(ctx.storage, monkeypatch, "set_trial_intermediate_value")
    with pytest.raises(Interrupted):
        run_trial(ctx, study, trial)
    done = study.get_trials()[trial.number]
    assert done.intermediate_values == {hit[0][1]: hit[0][2]}  # the report was written whole
    assert done.state == TrialState.FAIL and done.user_attrs["optsweep.status"] == "interrupted"


def test_a_population_of_trials_ends_each_one_as_a_lone_run_would(tmp_path):
    """Trials trained together: each gets its own values, curves, reports and outcome; the
    pruner stops one member alone; each trial's curves are its lone run's."""
    import optuna

    from core import data
    from core.train import train
    from sweeps.curves import read_curves
    from sweeps.trial import run_trials

    path = write_sweep(tmp_path, trials=4, epochs=8, pruner="median", population=4)
    plan = sweep.check(path, workdir=tmp_path, track=False)
    study, storage, _ = open_study(plan)
    dataset = data.load(plan.spec.data)
    ctx = WorkerContext(plan.spec, dataset, plan.storage, storage, None)
    trials = [storage_mod.claim_trial(study, plan.spec.trials) for _ in range(4)]
    stop_at = trials[1].number

    def should_prune(trial):  # the pruner's decision, per trial: stop this one at epoch 3
        return lambda: trial.number == stop_at and trial.report_steps >= 3

    for t in trials:
        t.report_steps = 0
        report = t.report

        def counted(value, step, t=t, report=report):
            t.report_steps = step
            report(value, step)

        t.report, t.should_prune = counted, should_prune(t)
    states = run_trials(ctx, study, trials)
    assert [s.name for s in states] == ["COMPLETE", "PRUNED", "COMPLETE", "COMPLETE"]
    done = study.get_trials(deepcopy=False)
    for t in trials:
        frozen = done[t.number]
        lone = train(plan.spec.config_for(frozen.user_attrs["optsweep.values"]), dataset)
        epochs = 3 if t.number == stop_at else 8
        assert read_curves(frozen)["val_cost"] == pytest.approx(
            list(lone.history["val_cost"][:epochs]), rel=1e-10
        )
        if frozen.state == optuna.trial.TrialState.COMPLETE:
            assert frozen.value == pytest.approx(lone.final["val_cost"], rel=1e-10)
    assert done[stop_at].user_attrs["optsweep.reason"].startswith("pruned by median at epoch 3")


def test_on_a_database_a_population_without_pruner_keeps_every_report_and_value(tmp_path):
    """On a database a population's parameters, attributes and reports are written together,
    and with no pruner to read them the reports wait for the curves' next write: each trial
    still ends with a report at every epoch, equal to its lone run's validation cost, and its
    values and outcome."""
    from core import data
    from core.train import train
    from sweeps.trial import run_trials

    path = write_sweep(tmp_path, trials=3, epochs=6, pruner="none", population=3)
    plan = sweep.check(path, workdir=tmp_path, track=False,
                       storage=f"sqlite:///{tmp_path / 'study.db'}")  # fmt: skip
    study, storage, _ = open_study(plan)
    dataset = data.load(plan.spec.data)
    ctx = WorkerContext(plan.spec, dataset, plan.storage, storage, None)
    with storage_mod.budget_lock(plan.storage, plan.spec.name, storage):
        trials = storage_mod.claim_trials(study, plan.spec.trials, 3)
    states = run_trials(ctx, study, trials)
    assert [s.name for s in states] == ["COMPLETE"] * 3
    for frozen in study.get_trials(deepcopy=False):
        values = frozen.user_attrs["optsweep.values"]
        lone = train(plan.spec.config_for(values), dataset)
        expected = dict(enumerate(lone.history["val_cost"], 1))  # report_every = 1
        assert frozen.intermediate_values == pytest.approx(expected, rel=1e-10)
        assert frozen.value == pytest.approx(lone.final["val_cost"], rel=1e-10)
        assert set(frozen.params) == {"alpha", "one_minus_beta1", "log2_batch_size", "decay_rate"}
        assert frozen.user_attrs["optsweep.status"] == "completed"
        assert frozen.user_attrs["optsweep.worker"]["pid"] > 0


def test_one_trial_s_failing_write_fails_it_alone_and_the_population_goes_on(tmp_path):
    """A storage error in one member's report stops and fails that trial; the others train to
    their end and complete, as they would without it."""
    from core import data
    from sweeps.trial import run_trials

    path = write_sweep(tmp_path, trials=3, epochs=6, pruner="none", population=3)
    plan = sweep.check(path, workdir=tmp_path, track=False)
    study, storage, _ = open_study(plan)
    ctx = WorkerContext(plan.spec, data.load(plan.spec.data), plan.storage, storage, None)
    trials = [storage_mod.claim_trial(study, plan.spec.trials) for _ in range(3)]

    def broken(value, step):
        raise RuntimeError("the storage went away")

    trials[0].report = broken
    states = run_trials(ctx, study, trials)
    assert [s.name for s in states] == ["FAIL", "COMPLETE", "COMPLETE"]
    done = study.get_trials(deepcopy=False)
    assert "the storage went away" in done[trials[0].number].user_attrs["optsweep.reason"]
    assert [len(done[t.number].intermediate_values) for t in trials[1:]] == [6, 6]


WORKER_IMPORTS = """
import sys
from pathlib import Path

from sweeps import sweep, workers

folder, track = Path(sys.argv[1]), sys.argv[2] == "track"
path = folder / "tiny.toml"
path.write_text(
    '[study]\\nname = "tiny"\\ntrials = 2\\npruner = "none"\\nseed = 0\\n'
    '[train]\\ndata = "moons"\\nepochs = 3\\nsamples = 300\\n'
    '[space]\\nalpha = { low = 1e-3, high = 1e-1 }\\n'
)
finished = workers.work(sweep.check(path, workdir=folder, track=track))
heavy = ("matplotlib", "sklearn", "scipy.stats", "scipy.special", "scipy.optimize", "torch",
         "mlflow", "pandas")
print(len(finished), *sorted(m for m in heavy if m in sys.modules))
"""


@pytest.mark.parametrize("track", [False, True])
def test_a_worker_imports_only_what_its_trials_use(tmp_path, track):
    """A worker trains and writes: no plotting (matplotlib), no statistics (scipy's, sklearn),
    no PyTorch; MLflow only when it tracks (MLflow itself imports pandas; numba and MLflow
    import scipy's package, not its statistics)."""
    out = fresh_python(WORKER_IMPORTS, str(tmp_path), "track" if track else "no-track").split()
    assert out[0] == "2"
    assert out[1:] == (["mlflow", "pandas"] if track else [])
