"""Sweep files: the shipped ones load, bad ones fail with one line naming the file and the key."""

import dataclasses
import inspect
import json
import math
import os
import re
from pathlib import Path

import pytest

from core import data, defaults
from core.errors import ConfigError
from core.train import TrainConfig
from sweeps import sweep_file
from sweeps.sweep_file import BUILTIN_SWEEPS_DIR, load
from tests.fresh import fresh_python

GOOD = """
[study]
trials = 8

[train]
epochs = 40

[space]
alpha = { low = 1e-4, high = 1e-1 }
"""


def write(folder: Path, text: str, name: str = "sweep.toml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def snapshot(folder: Path) -> dict:
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


# --- the shipped sweep files ---


@pytest.mark.parametrize("name", ["default", "optimizers", "breast_cancer"])
def test_shipped_sweeps_load_and_their_defaults_make_a_valid_config(name):
    s = load(BUILTIN_SWEEPS_DIR / f"{name}.toml")
    assert s.name == name and s.trials >= 1
    config = s.config_for(s.space.defaults())
    assert isinstance(config, TrainConfig)
    for key, value in s.space.defaults().items():
        assert getattr(config, key) == value
    if s.space.default_params():
        assert all(param in s.space.params for param in s.space.default_params())


def test_every_toml_in_the_sweeps_folder_is_shipped_and_loads():
    names = sweep_file.shipped()
    assert {"default", "optimizers", "breast_cancer"} <= set(names)
    for name in names:
        load(name)


def test_default_sweep_is_adam_on_moons_over_the_five_hyperparameters():
    s = load("default")
    assert s.data.name == "moons" and s.train["optimizer"] == "adam"
    assert s.train["decay"] == "inverse-time" and "decay_rate" not in s.train
    assert set(s.space.names) == {"alpha", "beta1", "beta2", "batch_size", "decay_rate"}
    assert (s.sampler, s.pruner, s.direction) == ("tpe", "median", "minimize")
    assert s.space.defaults() == {
        "beta1": defaults.BETA1,
        "beta2": defaults.BETA2,
        "batch_size": defaults.BATCH_SIZE,
        "decay_rate": defaults.DECAY_RATE,
    }


def test_optimizers_sweep_gives_each_optimizer_its_own_alpha():
    s = load("optimizers")
    params = set(s.space.params)
    assert {"gd.alpha", "momentum.alpha", "rmsprop.alpha", "adam.alpha"} <= params
    assert s.space.entry("optimizer").choices == ("gd", "momentum", "rmsprop", "adam")


def test_breast_cancer_sweep_uses_the_real_table():
    s = load("breast_cancer")
    assert s.data.name == "breast_cancer"
    assert data.load(s.data).X.shape == (569, 30)


def test_shipped_sweeps_load_by_name_from_any_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    s = load("default")
    assert s.path == BUILTIN_SWEEPS_DIR / "default.toml"
    assert BUILTIN_SWEEPS_DIR.is_absolute() and (BUILTIN_SWEEPS_DIR / "sweep_file.py").is_file()
    assert snapshot(tmp_path) == before


def test_importing_spec_imports_neither_optuna_nor_numpy():
    code = (
        "import sys, sweeps.sweep_file\n"
        "heavy = [m for m in ('optuna', 'numpy', 'mlflow', 'torch') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    assert fresh_python(code) == ""


# --- bad sweep files: one line, the file, the key, nothing written ---

DATA_TXT = "data.txt"  # an existing file of the wrong type, made by the test


def study(extra: str) -> str:
    """GOOD with lines added to [study]."""
    return GOOD.replace("trials = 8", "trials = 8\n" + extra)


def train(extra: str) -> str:
    """GOOD with [train] holding `extra` instead of epochs = 40."""
    return GOOD.replace("epochs = 40", extra)


def alpha(extra: str) -> str:
    """GOOD with keys added to the alpha entry."""
    return GOOD.replace("high = 1e-1", "high = 1e-1, " + extra)


GRID = "sampler = 'grid'"
TWO = 'optimizer = { choices = ["gd", "adam"] }\n'

BAD = [
    # (id, file text, the key the message must name)
    ("unknown section", GOOD + "[studdy]\nx = 1\n", "studdy"),
    ("unknown study key", study("samplr = 'tpe'"), "study.samplr"),
    ("unknown train key", train("learning_rate = 0.1"), "train.learning_rate"),
    ("no_normalize", train("no_normalize = true"), "train.no_normalize"),
    ("key twice", train("batch-size = 32\nbatch_size = 64"), "train.batch_size"),
    ("missing study", GOOD.replace("[study]\ntrials = 8", ""), "study"),
    ("missing trials", GOOD.replace("trials = 8", "seed = 1"), "study.trials"),
    ("missing space", GOOD.split("[space]")[0], "space"),
    ("empty space", GOOD.split("[space]")[0] + "[space]\n", "space"),
    ("trials as string", GOOD.replace("trials = 8", 'trials = "8"'), "study.trials"),
    ("trials zero", GOOD.replace("trials = 8", "trials = 0"), "study.trials"),
    ("negative seed", study("seed = -1"), "study.seed"),
    ("epochs not whole", train("epochs = 40.5"), "train.epochs"),
    ("layers not numbers", train('layers = "a,b"'), "train.layers"),
    ("layers with zero", train("layers = [5, 0]"), "train.layers"),
    ("alpha as string", train('alpha = "fast"'), "train.alpha"),
    ("keep_prob out of range", train("keep_prob = 0.0"), "train.keep_prob"),
    ("unknown sampler", study("sampler = 'tpee'"), "study.sampler"),
    ("unknown pruner", study("pruner = 'medain'"), "study.pruner"),
    ("unknown objective", study("objective = 'val_loss'"), "study.objective"),
    ("unknown diverged", study("diverged = 'skip'"), "study.diverged"),
    ("report_every > epochs", study("report_every = 50"), "study.report_every"),
    ("unknown dataset", train('data = "moon"'), "train.data"),
    ("missing data file", train('data = "nowhere.csv"'), "train.data"),
    ("data of the wrong type", train(f'data = "{DATA_TXT}"'), "train.data"),
    ("noise on a table", train('data = "breast_cancer"\nnoise = 0.1'), "train.noise"),
    ("too few samples", train("samples = 3"), "train.samples"),
    ("unknown optimizer", train('optimizer = "adamw"'), "train.optimizer"),
    ("unknown optimizer choice", GOOD + 'optimizer = { choices = ["gd", "adamw"] }\n',
     "space.optimizer.choices"),
    ("single optimizer choice", GOOD + 'optimizer = { choices = ["adam"] }\n',
     "space.optimizer.choices"),
    ("searched and fixed", train("alpha = 0.01"), "space.alpha"),
    ("not a training option", GOOD + "dropout = { low = 0.1, high = 0.9 }\n", "space.dropout"),
    ("unknown space key", GOOD + "learning_rate = { low = 0.1, high = 0.9 }\n",
     "space.learning_rate"),
    ("option that cannot vary", GOOD + "epochs = { low = 10, high = 90 }\n", "space.epochs"),
    ("entry not a table", GOOD.replace("alpha = {", "alpha = [1e-4, 1e-1] #"), "space.alpha"),
    ("missing high", GOOD.replace(", high = 1e-1", ""), "space.alpha"),
    ("empty range", GOOD.replace("high = 1e-1", "high = 1e-4"), "space.alpha"),
    ("inverted range", GOOD.replace("low = 1e-4, high = 1e-1", "low = 1e-1, high = 1e-4"),
     "space.alpha"),
    ("log scale at zero", GOOD.replace("low = 1e-4", "low = 0"), "space.alpha.low"),
    ("log scale negative", GOOD + "epsilon = { low = -1e-8, high = 1e-6 }\n",
     "space.epsilon.low"),
    ("beta of one", GOOD + "beta1 = { low = 0.9, high = 1.0 }\n", "space.beta1.high"),
    ("beta below zero", GOOD + "beta2 = { low = -0.1, high = 0.9 }\n", "space.beta2.low"),
    ("batch not a power of two", GOOD + "batch_size = { low = 48, high = 512 }\n",
     "space.batch_size.low"),
    ("batch not whole", GOOD + "batch_size = { low = 32.0, high = 512 }\n",
     "space.batch_size.low"),
    ("default outside range", GOOD + "beta1 = { low = 0.95, high = 0.999, default = true }\n",
     "space.beta1.default"),
    ("number default outside", alpha("default = 0.5"), "space.alpha.default"),
    ("no textbook default", alpha("default = true"), "space.alpha.default"),
    ("batch default not pow2", GOOD + "batch_size = { low = 32, high = 512, default = 100 }\n",
     "space.batch_size.default"),
    ("scale key", alpha("log = true"), "space.alpha.log"),
    ("unknown entry key", alpha("dflt = 0.01"), "space.alpha.dflt"),
    ("keep_prob above one", GOOD + "keep_prob = { low = 0.5, high = 1.5 }\n",
     "space.keep_prob.high"),
    ("decay rate without schedule", GOOD + "decay_rate = { low = 0.0, high = 0.1 }\n",
     "space.decay_rate"),
    ("param the optimizer ignores", GOOD + "beta = { low = 0.8, high = 0.99 }\n", "space.beta"),
    ("conditional without search", GOOD + "[space.adam]\nbeta1 = { low = 0.8, high = 0.99 }\n",
     "space.adam"),
    ("conditional not a choice", GOOD + 'optimizer = { choices = ["gd", "momentum"] }\n'
     "[space.adam]\nbeta1 = { low = 0.8, high = 0.99 }\n", "space.adam"),
    ("conditional param unused", GOOD.replace("alpha = { low = 1e-4, high = 1e-1 }", TWO)
     + "[space.gd]\nbeta = { low = 0.8, high = 0.99 }\n", "space.gd.beta"),
    ("conditional and unconditional",
     GOOD + TWO + "[space.gd]\nalpha = { low = 0.1, high = 1.0 }\n", "space.gd.alpha"),
    ("grid without points", study(GRID), "space.alpha"),
    ("steps without grid", alpha("steps = 3"), "space.alpha.steps"),
    ("grid value outside", study(GRID).replace("high = 1e-1", "high = 1e-1, grid = [1e-3, 1.0]"),
     "space.alpha.grid"),
    ("grid with conditionals", study(GRID).replace("high = 1e-1", "high = 1e-1, steps = 2") + TWO
     + "[space.adam]\nbeta1 = { low = 0.8, high = 0.99, steps = 2 }\n", "space.adam"),
    ("unknown sampler option", GOOD + "[study.sampler_options]\nn_startup_trial = 5\n",
     "study.sampler_options.n_startup_trial"),
    ("sampler seed option", study("sampler_options = { seed = 1 }"),
     "study.sampler_options.seed"),
    ("sampler option type", study("sampler_options = { n_startup_trials = 'ten' }"),
     "study.sampler_options.n_startup_trials"),
    ("sampler option callable", study("sampler_options = { gamma = 'x' }"),
     "study.sampler_options.gamma"),
    ("random takes no options", study("sampler = 'random'\nsampler_options = { a = 1 }"),
     "study.sampler_options.a"),
    ("pruner option value", study("pruner_options = { n_startup_trials = -1 }"),
     "study.pruner_options"),
    ("patient without patience",
     study("pruner = 'patient'\npruner_options = { wrapped = 'median' }"), "study.pruner_options"),
    ("patient wrapping itself",
     study("pruner = 'patient'\npruner_options = { patience = 2, wrapped = 'patient' }"),
     "study.pruner_options.wrapped"),
    ("options not a table", study("sampler_options = 3"), "study.sampler_options"),
    ("toml syntax", GOOD.replace("trials = 8", "trials = "), "line 3"),
]  # fmt: skip


# a message says how to fix the problem: an instruction, an example, or the rule to follow
FIX = re.compile(
    r"\b(use|give|add|remove|set|write|keep|swap|widen|raise|drop|fix|check|choose|must|"
    r"search them)\b|e\.g\."
)


def _problems():
    return [pytest.param(text, key, id=case) for case, text, key in BAD]


@pytest.mark.parametrize("text, key", _problems())
def test_bad_sweep_file_is_one_line_naming_the_file_and_the_key(tmp_path, text, key):
    (tmp_path / DATA_TXT).write_text("1,0\n2,1\n")
    path = write(tmp_path, text, "bad.toml")
    before = snapshot(tmp_path)
    with pytest.raises(ConfigError) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message
    assert "bad.toml" in message and key in message, message
    assert FIX.search(message), f"no way to fix it in: {message}"
    assert snapshot(tmp_path) == before


def test_a_missing_file_names_the_file_and_the_shipped_sweeps(tmp_path):
    before = snapshot(tmp_path)
    with pytest.raises(ConfigError) as info:
        load(tmp_path / "absent.toml")
    message = str(info.value)
    assert "absent.toml" in message and "not found" in message and "default" in message
    assert "\n" not in message
    assert snapshot(tmp_path) == before


def test_toml_syntax_errors_give_line_and_column(tmp_path):
    path = write(tmp_path, "[study]\ntrials = 8\nsampler = tpe\n")
    with pytest.raises(ConfigError, match=r"sweep\.toml: invalid TOML: .*line 3, column 11"):
        load(path)


def test_unknown_keys_suggest_the_closest(tmp_path):
    path = write(tmp_path, GOOD.replace("trials = 8", "trials = 8\nreport_evry = 5"))
    with pytest.raises(ConfigError, match="did you mean report_every"):
        load(path)
    path = write(tmp_path, GOOD + "[study.sampler_options]\nn_startup_trial = 3\n")
    with pytest.raises(ConfigError, match="did you mean n_startup_trials"):
        load(path)


def test_fixed_settings_fail_with_the_same_message_as_the_cli(tmp_path):
    from typer.testing import CliRunner

    from optsweep.cli import app

    cli = CliRunner().invoke(app, ["train", "--keep-prob", "0", "--epochs", "1"])
    path = write(tmp_path, GOOD.replace("epochs = 40", "keep_prob = 0.0"))
    with pytest.raises(ConfigError) as info:
        load(path)
    core_message = str(info.value).split("train.keep_prob: ")[1]
    assert core_message in cli.output


# --- what a loaded spec gives a sweep and its trials ---


def test_config_for_joins_fixed_settings_and_trial_values(tmp_path):
    s = load(write(tmp_path, GOOD.replace("epochs = 40", "epochs = 40\nlayers = [3]")))
    config = s.config_for({"alpha": 0.02})
    assert (config.alpha, config.epochs, config.layers) == (0.02, 40, (3,))
    assert config.beta1 == defaults.BETA1  # not set anywhere: TrainConfig's textbook default


def test_keys_may_use_dashes_as_on_the_command_line(tmp_path):
    text = GOOD.replace("epochs = 40", "epochs = 40\nbatch-size = 32\nval-fraction = 0.25")
    s = load(write(tmp_path, text.replace("trials = 8", "trials = 8\nreport-every = 4")))
    assert s.train["batch_size"] == 32 and s.train["val_fraction"] == 0.25
    assert s.report_every == 4


def test_layers_take_a_list_or_the_cli_string(tmp_path):
    a = load(write(tmp_path, GOOD.replace("epochs = 40", "layers = [8, 4]"), "a.toml"))
    b = load(write(tmp_path, GOOD.replace("epochs = 40", 'layers = "8,4"'), "b.toml"))
    c = load(write(tmp_path, GOOD.replace("epochs = 40", "layers = []"), "c.toml"))
    assert a.train["layers"] == b.train["layers"] == (8, 4)
    assert c.train["layers"] == ()


def test_study_defaults(tmp_path):
    s = load(write(tmp_path, GOOD, "my_sweep.toml"))
    assert s.name == "my_sweep"  # the file name
    assert (s.sampler, s.pruner, s.seed, s.objective, s.diverged) == (
        "tpe", "median", 0, "val_cost", "prune"
    )  # fmt: skip
    assert s.report_every == math.ceil(40 / sweep_file.REPORTS_PER_TRIAL)


def test_val_accuracy_is_maximized(tmp_path):
    s = load(write(tmp_path, GOOD.replace("trials = 8", "trials = 8\nobjective = 'val_accuracy'")))
    assert s.direction == "maximize"


def test_relative_data_paths_start_at_the_sweep_file(tmp_path, monkeypatch):
    folder = tmp_path / "sweeps"
    folder.mkdir()
    rows = "\n".join(f"{i % 7},{i % 3},{i % 2}" for i in range(40))
    (folder / "points.csv").write_text("x1,x2,label\n" + rows + "\n")
    path = write(folder, GOOD.replace("epochs = 40", 'data = "points.csv"'))
    monkeypatch.chdir(tmp_path)  # not the sweep file's folder
    s = load(path)
    assert Path(s.data.name) == (folder / "points.csv").resolve()
    assert data.load(s.data).X.shape == (40, 2)


def test_with_overrides_changes_only_the_budget_and_the_name(tmp_path):
    s = load(write(tmp_path, GOOD))
    t = s.with_overrides(trials=3, name="other")
    assert (t.trials, t.name) == (3, "other")
    assert dataclasses.replace(t, trials=s.trials, name=s.name) == s
    assert s.with_overrides() == s
    with pytest.raises(ConfigError, match="--trials"):
        s.with_overrides(trials=0)
    with pytest.raises(ConfigError, match="--study"):
        s.with_overrides(name=" ")


def test_summary_is_json_ready():
    summary = load("optimizers").summary()
    assert json.loads(json.dumps(summary))["defaults"]["optimizer"] == "adam"


def test_grid_notes_tell_how_the_budget_covers_the_grid(tmp_path):
    text = GOOD.replace("trials = 8", "trials = 3\nsampler = 'grid'").replace(
        "high = 1e-1", "high = 1e-1, steps = 4"
    )
    s = load(write(tmp_path, text))
    assert s.notes == ("trials = 3 covers 3 of 4 grid points",)
    assert "stops after them" in s.with_overrides(trials=9).notes[0]


def test_train_options_match_train_config_and_the_cli():
    from optsweep import train_commands

    fields = {f.name for f in dataclasses.fields(TrainConfig)} - {"diverge_factor"}
    assert set(sweep_file.TRAIN_OPTIONS) - set(sweep_file.DATA_OPTIONS) == fields
    flags = {"no_normalize": "normalize", "no_bias_correction": "bias_correction"}
    cli_options = set(inspect.signature(train_commands.train).parameters) - {"json_out", *flags}
    assert set(sweep_file.TRAIN_OPTIONS) == cli_options | set(flags.values())


def test_shown_path_is_relative_inside_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert sweep_file.shown_path(tmp_path / "x" / "s.toml") == os.path.join("x", "s.toml")
    assert sweep_file.shown_path(Path("/elsewhere/s.toml")) == "/elsewhere/s.toml"
