"""Two objectives: epochs_to_target against hand-computed curves, and the [study] keys that ask
for them (objectives, target), each refusal one line naming the key, through the CLI with exit
2 and nothing written."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from core.errors import ConfigError
from optsweep.cli import app
from sweeps import objectives
from sweeps.attrs import WARM_ATTR
from sweeps.sweep_file import load_doc

# --- epochs_to_target ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "curve, target, direction, budget, expected",
    [
        ([0.9, 0.5, 0.3, 0.4, 0.2], 0.3, "minimize", 5, 3),  # reached exactly at epoch 3
        ([0.9, 0.5, 0.31, 0.4, 0.2], 0.3, "minimize", 5, 5),  # first below at epoch 5
        ([0.29, 0.5], 0.3, "minimize", 2, 1),  # at the first epoch
        ([0.9, 0.5, 0.4], 0.3, "minimize", 3, 4),  # never: the budget + 1
        ([math.nan, 0.2], 0.3, "minimize", 2, 2),  # NaN never reaches it
        ([0.5, 0.8, 0.95, 0.91], 0.9, "maximize", 4, 3),  # an accuracy rises to it
        ([0.5, 0.8], 0.9, "maximize", 10, 11),  # a shorter curve: still the budget + 1
    ],
)
def test_epochs_to_target_by_hand(curve, target, direction, budget, expected):
    assert objectives.epochs_to_target(curve, target, direction, budget) == expected


@given(
    st.lists(st.floats(0.0, 2.0, allow_nan=False), min_size=1, max_size=40),
    st.floats(0.0, 2.0, allow_nan=False),
)
def test_epochs_to_target_is_the_first_epoch_at_or_under_the_target(curve, target):
    hits = np.flatnonzero(np.asarray(curve) <= target)  # a second formulation: numpy's
    expected = int(hits[0]) + 1 if hits.size else len(curve) + 1
    assert objectives.epochs_to_target(curve, target, "minimize", len(curve)) == expected


def test_a_runs_values_follow_the_order_of_the_objectives():
    final = {"val_cost": 0.25, "val_accuracy": 0.875}
    history = {"val_cost": [0.6, 0.4, 0.3, 0.25], "val_accuracy": [0.5, 0.7, 0.8, 0.875]}
    assert objectives.values(["val_cost", "epochs_to_target"], final, history, 0.35, 4) == [
        0.25,
        3.0,
    ]
    assert objectives.values(["val_accuracy", "epochs_to_target"], final, history, 0.8, 4) == [
        0.875,
        3.0,
    ]
    assert objectives.values(["val_cost", "val_accuracy"], final, history, None, 4) == [
        0.25,
        0.875,
    ]


# --- the sweep file's keys ----------------------------------------------------------------------

BASE = {"train": {"epochs": 10}, "space": {"alpha": {"low": 1e-3, "high": 1e-1}}}
TWO = {"objectives": ["val_cost", "epochs_to_target"], "target": 0.3}


def spec_of(**study):
    return load_doc({**BASE, "study": {"trials": 4, **study}}, "s.toml")


def test_two_objectives_make_directions_run_unpruned_and_keep_the_first_as_objective():
    s = spec_of(**TWO)
    assert s.is_multi and s.objectives == ("val_cost", "epochs_to_target")
    assert s.directions == ("minimize", "minimize") and s.target == 0.3
    assert (s.objective, s.direction, s.pruner) == ("val_cost", "minimize", "none")
    s = spec_of(objectives=["val_accuracy", "epochs_to_target"], target=0.9, pruner="none")
    assert s.directions == ("maximize", "minimize") and s.pruner == "none"
    s = spec_of(objectives=["val_cost", "val_accuracy"])
    assert s.directions == ("minimize", "maximize") and s.target is None


def test_a_single_objective_file_is_read_as_before():
    s = spec_of(objective="val_accuracy", pruner="hyperband")
    assert not s.is_multi and s.target is None
    assert (s.objective, s.direction, s.pruner) == ("val_accuracy", "maximize", "hyperband")
    assert "objectives" not in s.summary()


BAD = {
    "pruner": ({**TWO, "pruner": "median"}, "study.pruner: Optuna's pruners judge one objective"),
    "pruner_options": (
        {**TWO, "pruner_options": {"n_startup_trials": 2}},
        "study.pruner_options: Optuna's pruners judge one objective",
    ),
    "no target": ({"objectives": TWO["objectives"]}, "study.target: missing"),
    "target alone": ({"target": 0.3}, "study.target: only epochs_to_target uses a target"),
    "target unused": (
        {"objectives": ["val_cost", "val_accuracy"], "target": 0.3},
        "study.target: only epochs_to_target uses a target",
    ),
    "negative cost": ({**TWO, "target": 0.0}, "study.target: a validation cost is > 0"),
    "accuracy > 1": (
        {"objectives": ["val_accuracy", "epochs_to_target"], "target": 1.2},
        "study.target: an accuracy target lies in (0, 1]",
    ),
    "not a number": ({**TWO, "target": "low"}, "study.target: must be a number"),
    "both keys": ({**TWO, "objective": "val_cost"}, "study.objective: give objective (one)"),
    "one": ({"objectives": ["val_cost"]}, "study.objectives: give two different objectives"),
    "twice": (
        {"objectives": ["val_cost", "val_cost"]},
        "study.objectives: give two different objectives",
    ),
    "unknown": (
        {"objectives": ["val_cost", "epochs"], "target": 0.3},
        "study.objectives: unknown objective 'epochs'",
    ),
    "order": (
        {"objectives": ["epochs_to_target", "val_cost"], "target": 0.3},
        "study.objectives: epochs_to_target goes second",
    ),
    "cmaes": ({**TWO, "sampler": "cmaes"}, "study.sampler: CMA-ES optimizes one objective"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_objectives_are_one_line_naming_the_key(case):
    study, says = BAD[case]
    with pytest.raises(ConfigError) as e:
        spec_of(**study)
    assert str(e.value).startswith(f"s.toml: {says}"), str(e.value)
    assert "\n" not in str(e.value)


def toml(study: dict) -> str:
    def value(v):
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        return repr(v)

    lines = ["[study]", "trials = 2", *(f"{k} = {value(v)}" for k, v in study.items())]
    return "\n".join([*lines, "", "[train]", "epochs = 3", "", "[space]",
                      "alpha = { low = 1e-3, high = 1e-1 }", ""])  # fmt: skip


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("case", ["pruner", "no target", "order"])
def test_the_cli_refuses_them_in_one_line_with_exit_2_and_writes_nothing(
    case, tmp_path, monkeypatch
):
    for var in ("OPTSWEEP_STORAGE", "OPTSWEEP_TRACKING_URI", "MLFLOW_BACKEND_STORE_URI"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    study, says = BAD[case]
    (tmp_path / "two.toml").write_text(toml(study))
    before = listing(tmp_path)
    result = CliRunner().invoke(app, ["sweep", "two.toml", "--report-seeds", "0"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], lines
    assert "Traceback" not in result.output
    assert listing(tmp_path) == before == ["two.toml"]  # no journal, no mlflow.db


@pytest.mark.xdist_group("objectives-resume")
def test_a_study_resumed_with_other_objectives_is_refused_in_one_line(tmp_path, monkeypatch):
    """A study created with one objective, its file now two (and back, and another target):
    refused before anything is written, the study as it was; a warm start likewise."""
    import optuna

    for var in ("OPTSWEEP_STORAGE", "OPTSWEEP_TRACKING_URI", "MLFLOW_BACKEND_STORE_URI"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    (tmp_path / "one.toml").write_text(toml({"name": "one"}))
    (tmp_path / "two.toml").write_text(toml({"name": "two", **TWO}))
    for name in ("one", "two"):
        ran = runner.invoke(app, ["sweep", f"{name}.toml", "--no-track", "--report-seeds", "0"])
        assert ran.exit_code == 0, ran.output
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(tmp_path / "optsweep.journal"))
    )

    def trials():
        return {n: len(optuna.load_study(study_name=n, storage=storage).trials)
                for n in ("one", "two")}  # fmt: skip

    counts, files = trials(), listing(tmp_path)
    assert counts == {"one": 2, "two": 2}
    cases = [
        (["two.toml", "--study", "one"], "study 'one' already exists with 1 objective (minimize)"),
        (["one.toml", "--study", "two"], "already exists with objectives val_cost, "
                                         "epochs_to_target, target 0.3"),
        (["other.toml", "--study", "two"], "this sweep file has val_cost (minimize), "
                                           "epochs_to_target (minimize), target 0.5"),
        (["warm.toml", "--no-track"], "--warm-start one: that study ran with another objective"),
    ]  # fmt: skip
    worker = (["two.toml", "--study", "one"], "study 'one' already exists with 1 objective")
    (tmp_path / "other.toml").write_text(toml({"name": "two", **TWO, "target": 0.5}))
    (tmp_path / "warm.toml").write_text(toml({"name": "warm", "warm_start": "one", **TWO}))
    files = listing(tmp_path)
    for command, (argv, says) in [*(("sweep", c) for c in cases), ("worker", worker)]:
        extra = ["--report-seeds", "0"] if command == "sweep" else []
        result = runner.invoke(app, [command, *argv, "--trials", "4", *extra])
        assert result.exit_code == 2, (argv, result.output)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and says in lines[0], (argv, lines)
        assert "Traceback" not in result.output
        assert listing(tmp_path) == files and trials() == counts  # no mlflow.db, no trial
    assert "warm" not in optuna.get_all_study_names(storage)
    assert os.path.exists(tmp_path / "optsweep.journal")

    # a warm start between studies of the same two objectives and target: both values carried
    (tmp_path / "warm.toml").write_text(toml({"name": "warm", "warm_start": "two", **TWO}))
    ran = runner.invoke(app, ["sweep", "warm.toml", "--no-track", "--report-seeds", "0"])
    assert ran.exit_code == 0, ran.output
    source = optuna.load_study(study_name="two", storage=storage)
    warm = optuna.load_study(study_name="warm", storage=storage)
    added = [t for t in warm.trials if WARM_ATTR in t.user_attrs]
    assert sorted(t.values for t in added) == sorted(t.values for t in source.trials)
    assert len(warm.trials) == len(added) + 2  # its own budget besides
