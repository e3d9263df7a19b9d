"""Warm starts: a new study begins with an earlier one's completed trials, best first, after the
all-defaults trial; they inform its sampler but are not its budget and get no MLflow run. A
source of another task or outside the space is refused in one line, before anything."""

from __future__ import annotations

import optuna
import pytest
from optuna.trial import TrialState

from core.errors import ConfigError
from sweeps import storage as storage_mod
from sweeps import sweep, workers
from tests.e2e.conftest import write_sweep


@pytest.fixture
def earlier(tmp_path):
    path = write_sweep(tmp_path, name="earlier", trials=6, epochs=6)
    plan = sweep.check(path, workdir=tmp_path, track=False)
    study, _ = workers.run_sweep(plan)
    return tmp_path, study


def test_a_warm_start_adds_the_earlier_trials_best_first_outside_the_budget(earlier):
    folder, before = earlier
    path = write_sweep(folder, name="later", trials=3, epochs=6)
    plan = sweep.check(path, workdir=folder, track=False, warm_start="earlier")
    study, _ = workers.run_sweep(plan)
    trials = study.get_trials()
    warm = [t for t in trials if "optsweep.warm_start" in t.user_attrs]
    done = sorted((t for t in before.trials if t.state == TrialState.COMPLETE),
                  key=lambda t: t.value)  # fmt: skip
    assert [t.value for t in warm] == [t.value for t in done]  # every one, best first
    assert [t.params for t in warm] == [t.params for t in done]
    assert [t.number for t in warm] == list(range(1, len(done) + 1))  # after the defaults
    assert trials[0].user_attrs.get("optsweep.defaults") and trials[0].state.name == "COMPLETE"
    ran = [t for t in trials if "optsweep.warm_start" not in t.user_attrs]
    assert len(ran) == 3 and len(storage_mod.counted(trials)) == 3  # the budget is its own
    assert min(t.number for t in ran[1:]) > max(t.number for t in warm)


def test_a_warm_start_of_another_task_or_space_is_refused_before_anything(earlier):
    folder, _ = earlier
    other_epochs = write_sweep(folder, name="x1", trials=2, epochs=7)
    with pytest.raises(ConfigError, match=r"another \[train\] settings") as e:
        sweep.check(other_epochs, workdir=folder, track=False, warm_start="earlier")
    assert "\n" not in str(e.value)
    narrow = write_sweep(folder, name="x2", trials=2, epochs=6, alpha_high=1.1e-3)
    with pytest.raises(ConfigError, match="outside this sweep's space"):
        sweep.check(narrow, workdir=folder, track=False, warm_start="earlier")
    with pytest.raises(ConfigError, match="no study named 'nosuch'"):
        sweep.check(narrow, workdir=folder, track=False, warm_start="nosuch")
    storage = storage_mod.open_storage(storage_mod.resolve(None, folder))
    assert optuna.get_all_study_names(storage) == ["earlier"]  # the refusals made no study


def test_a_warm_started_study_is_joined_by_name_and_resumed_without_its_source(earlier):
    folder, _ = earlier
    path = write_sweep(folder, name="later", trials=3, epochs=6)
    workers.run_sweep(sweep.check(path, workdir=folder, track=False, warm_start="earlier"))
    optuna.delete_study(study_name="earlier", storage=storage_mod.open_storage(
        storage_mod.resolve(None, folder)))  # fmt: skip
    options = sweep.SweepOptions(study="later", storage=str(folder / "optsweep.journal"),
                                 track=False, trials=4)  # fmt: skip
    joined = sweep.joined(options, workdir=folder)  # the stored file names the warm start
    workers.work(joined)
    again = storage_mod.load_study(joined.storage, "later")
    assert len(storage_mod.counted(again.get_trials())) == 4
