"""Every sampler and pruner a sweep file can name: built, seeded, and doing what its name says."""

import itertools
import sys
import warnings
from pathlib import Path

import optuna
import pytest

from core.errors import ConfigError
from sweeps import samplers
from sweeps.sweep_file import load

optuna.logging.set_verbosity(optuna.logging.WARNING)
pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")

SPACE = """
[space]
alpha = { low = 1e-4, high = 1e-1 }
beta1 = { low = 0.8, high = 0.999, default = true }
batch_size = { low = 32, high = 128, default = true }
"""
GRID_SPACE = """
[space]
alpha = { low = 1e-3, high = 1e-1, steps = 3 }
beta1 = { low = 0.9, high = 0.999, grid = [0.9, 0.999] }
batch_size = { low = 32, high = 128 }
"""
CONDITIONAL_SPACE = """
[space]
optimizer = { choices = ["momentum", "adam"] }
[space.momentum]
alpha = { low = 1e-3, high = 1.0 }
[space.adam]
alpha = { low = 1e-4, high = 1e-1 }
"""


def sweep(tmp_path: Path, study: str = "", space: str = SPACE, epochs: int = 200):
    text = f"[study]\ntrials = 10\n{study}\n[train]\nepochs = {epochs}\n{space}"
    path = tmp_path / "s.toml"
    path.write_text(text)
    return load(path)


def run(spec, sampler, n: int, seed_params=None):
    """n trials of a cheap objective; returns the study."""
    study = optuna.create_study(sampler=sampler, direction=spec.direction)
    if seed_params:
        study.enqueue_trial(seed_params)

    def objective(trial):
        values = spec.space.suggest(trial)
        spec.config_for(values)  # every sampled point is a valid training config
        return sum(float(v) for v in values.values() if not isinstance(v, str))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna's ExperimentalWarning for gp/qmc options
        study.optimize(objective, n_trials=n)
    return study


SAMPLER_CLASSES = {
    "tpe": optuna.samplers.TPESampler,
    "random": optuna.samplers.RandomSampler,
    "grid": optuna.samplers.GridSampler,
    "cmaes": optuna.samplers.CmaEsSampler,
    "gp": optuna.samplers.GPSampler,
    "qmc": optuna.samplers.QMCSampler,
}


def suggestions(spec, sampler, n: int) -> list[dict]:
    """The params of n trials the sampler suggests over the sweep's space."""
    return [t.params for t in run(spec, sampler, n).trials]


@pytest.mark.parametrize("name", samplers.SAMPLERS)
def test_every_sampler_name_builds_its_sampler_and_runs(tmp_path, name):
    space = GRID_SPACE if name == "grid" else SPACE
    spec = sweep(tmp_path, f'sampler = "{name}"', space)
    sampler = samplers.make_sampler(spec)
    assert isinstance(sampler, SAMPLER_CLASSES[name])
    study = run(spec, sampler, 12 if name == "gp" else 6)
    for trial in study.trials:
        values = spec.space.values_from_params(trial.params)
        assert 1e-4 <= values["alpha"] <= 1e-1 and values["batch_size"] in (32, 64, 128)


@pytest.mark.parametrize("name", ["tpe", "random", "qmc", "cmaes"])
def test_the_sampler_is_seeded_by_the_study_seed(tmp_path, name):
    def first_params(seed):
        spec = sweep(tmp_path, f'sampler = "{name}"\nseed = {seed}')
        return [t.params for t in run(spec, samplers.make_sampler(spec), 4).trials]

    assert first_params(3) == first_params(3)
    assert first_params(3) != first_params(4)


def test_sampler_options_reach_optuna(tmp_path):
    """The options change what is suggested exactly as they do on Optuna's own sampler."""
    spec = sweep(tmp_path, "[study.sampler_options]\nn_startup_trials = 3\nmultivariate = true")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = suggestions(spec, samplers.make_sampler(spec), 8)
        theirs = optuna.samplers.TPESampler(seed=0, n_startup_trials=3, multivariate=True)
        plain = optuna.samplers.TPESampler(seed=0)
        assert ours == suggestions(spec, theirs, 8)
        assert ours != suggestions(spec, plain, 8)  # the options made a difference


def test_grid_covers_its_grid_and_then_stops(tmp_path):
    spec = sweep(tmp_path, 'sampler = "grid"', GRID_SPACE)
    grid = spec.space.grid()
    assert spec.space.grid_size() == 3 * 2 * 3
    study = run(spec, samplers.make_sampler(spec), 100)  # GridSampler stops the study itself
    seen = {tuple(t.params[p] for p in grid) for t in study.trials}
    assert seen == set(itertools.product(*grid.values()))
    assert len(study.trials) == spec.space.grid_size()
    values = [spec.space.values_from_params(t.params) for t in study.trials]
    assert {v["beta1"] for v in values} == {0.9, 0.999}
    assert {v["batch_size"] for v in values} == {32, 64, 128}
    assert {round(v["alpha"], 12) for v in values} == {1e-3, 1e-2, 1e-1}


def test_grid_takes_a_complete_default_trial_first(tmp_path):
    space = GRID_SPACE.replace("steps = 3 }", "steps = 3, default = 1e-2 }").replace(
        "grid = [0.9, 0.999] }", "grid = [0.9, 0.999], default = true }"
    ).replace("high = 128 }", "high = 128, default = true }")  # fmt: skip
    spec = sweep(tmp_path, 'sampler = "grid"', space)
    study = run(spec, samplers.make_sampler(spec), 100, spec.space.default_params())
    first = spec.space.values_from_params(study.trials[0].params)
    assert first == {"alpha": 1e-2, "beta1": 0.9, "batch_size": 64}
    # Optuna's GridSampler still gives the next trials grid ids 1, 2, ...: one point runs twice.
    assert len(study.trials) == spec.space.grid_size() + 1
    seen = {tuple(t.params[p] for p in spec.space.grid()) for t in study.trials}
    assert len(seen) == spec.space.grid_size()


def test_cmaes_leaves_the_optimizer_and_conditionals_to_tpe(tmp_path):
    spec = sweep(tmp_path, 'sampler = "cmaes"', CONDITIONAL_SPACE)
    assert spec.notes and "TPE" in spec.notes[0]
    tpe = optuna.samplers.TPESampler(seed=0)
    reference = optuna.samplers.CmaEsSampler(seed=0, independent_sampler=tpe)
    ours = suggestions(spec, samplers.make_sampler(spec), 8)
    assert ours == suggestions(spec, reference, 8)
    assert {p["optimizer"] for p in ours} == {"momentum", "adam"}
    numeric = sweep(tmp_path, 'sampler = "cmaes"')
    assert not numeric.notes


def test_gp_without_torch_is_one_clear_line(tmp_path, monkeypatch):
    spec = sweep(tmp_path, 'sampler = "gp"')
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    message = "sampler 'gp' needs PyTorch: pip install torch"
    with pytest.raises(ConfigError, match=message) as info:
        sweep(tmp_path, 'sampler = "gp"')  # at load time, before any trial
    assert "s.toml: study.sampler: " in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(ConfigError, match=message):  # loaded with torch, built after it went
        samplers.make_sampler(spec)


def test_gp_options_reach_optunas_gp_sampler(tmp_path):
    """The GP sampler runs for real (PyTorch's CPU build is installed) and takes its options."""
    spec = sweep(tmp_path, 'sampler = "gp"\n[study.sampler_options]\nn_startup_trials = 4')
    ours = suggestions(spec, samplers.make_sampler(spec), 6)
    assert ours == suggestions(spec, optuna.samplers.GPSampler(seed=0, n_startup_trials=4), 6)


PRUNER_CLASSES = {
    "median": optuna.pruners.MedianPruner,
    "none": optuna.pruners.NopPruner,
    "hyperband": optuna.pruners.HyperbandPruner,
    "successive-halving": optuna.pruners.SuccessiveHalvingPruner,
    "patient": optuna.pruners.PatientPruner,
}


@pytest.mark.parametrize("name", samplers.PRUNERS)
def test_every_pruner_name_builds_its_pruner(tmp_path, name):
    options = "\n[study.pruner_options]\npatience = 3" if name == "patient" else ""
    spec = sweep(tmp_path, f'pruner = "{name}"{options}', epochs=400)
    pruner = samplers.make_pruner(spec)
    assert type(pruner) is PRUNER_CLASSES[name]


def prune_steps(pruner, direction: str = "minimize", every: int = 20, epochs: int = 400):
    """Where `pruner` prunes each of a fixed battery of curves (None: never), in one study.

    Eight startup curves, then curves worse and better than them at every step, a late riser
    and a plateau: pruners configured differently prune them at different steps."""
    steps = range(every, epochs + 1, every)
    battery = [[0.1 + 0.01 * i] * len(steps) for i in range(8)]
    battery += [[1.0] * len(steps), [0.05] * len(steps)]
    battery += [[0.5 - 0.45 * k / len(steps) for k in range(len(steps))], [0.12] * len(steps)]
    sign = 1 if direction == "minimize" else -1
    study = optuna.create_study(study_name="battery", direction=direction, pruner=pruner)
    return [reports(study, [(s, sign * v) for s, v in zip(steps, c, strict=True)])
            for c in battery]  # fmt: skip


def test_pruner_defaults_are_in_epochs(tmp_path):
    """Defaults scaled to the sweep's 400 epochs: the median pruner skips 5 startup trials and
    warms up for 80 epochs; Hyperband's resources run from 20 to 400 epochs."""
    median = samplers.make_pruner(sweep(tmp_path, "", epochs=400))
    reference = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=80)
    assert prune_steps(median) == prune_steps(reference)
    assert prune_steps(median) != prune_steps(optuna.pruners.MedianPruner())
    hyperband = samplers.make_pruner(sweep(tmp_path, 'pruner = "hyperband"', epochs=400))
    reference = optuna.pruners.HyperbandPruner(min_resource=20, max_resource=400)
    assert prune_steps(hyperband) == prune_steps(reference)
    assert prune_steps(hyperband) != prune_steps(optuna.pruners.HyperbandPruner(min_resource=1))
    patient = samplers.make_pruner(
        sweep(tmp_path, 'pruner = "patient"\npruner_options = { patience = 2, wrapped = "none" }')
    )
    assert prune_steps(patient) == prune_steps(optuna.pruners.PatientPruner(None, patience=2))


def test_pruner_options_override_the_defaults(tmp_path):
    spec = sweep(tmp_path, "pruner_options = { n_warmup_steps = 7 }", epochs=400)
    reference = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=7)
    assert prune_steps(samplers.make_pruner(spec)) == prune_steps(reference)
    options = 'patience = 1\nwrapped = "median"\nwrapped_options = { n_startup_trials = 2 }'
    patient = samplers.make_pruner(
        sweep(tmp_path, f'pruner = "patient"\n[study.pruner_options]\n{options}')
    )
    wrapped = optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=80)
    reference = optuna.pruners.PatientPruner(wrapped, patience=1)
    assert prune_steps(patient) == prune_steps(reference)


def reports(study, curve):
    trial = study.ask()
    pruned_at = None
    for step, value in curve:
        trial.report(value, step)
        if pruned_at is None and trial.should_prune():
            pruned_at = step
    study.tell(trial, curve[-1][1])
    return pruned_at


def test_median_pruner_spares_the_warm_up_then_prunes_a_worse_curve(tmp_path):
    spec = sweep(tmp_path, "report_every = 10", epochs=100)  # warm-up: the first 20 epochs
    study = optuna.create_study(pruner=samplers.make_pruner(spec))
    steps = range(10, 101, 10)
    for _ in range(5):  # the startup trials are never pruned
        assert reports(study, [(s, 0.1) for s in steps]) is None
    assert reports(study, [(s, 1.0) for s in steps]) == 20  # the first step past the warm-up
    assert reports(study, [(s, 0.05) for s in steps]) is None


def test_maximized_objective_prunes_the_lower_curve(tmp_path):
    spec = sweep(tmp_path, 'objective = "val_accuracy"\nreport_every = 10', epochs=100)
    study = optuna.create_study(direction=spec.direction, pruner=samplers.make_pruner(spec))
    steps = range(10, 101, 10)
    for _ in range(5):
        reports(study, [(s, 0.9) for s in steps])
    assert reports(study, [(s, 0.5) for s in steps]) == 20
    assert reports(study, [(s, 0.95) for s in steps]) is None
