"""`optsweep atlas` on a 2 x 1 grid of tiny cells (moons, blobs x momentum; 4 trials of 20
epochs, 3 report seeds, one worker: seconds): it runs the grid, writes the page, heatmap,
records and MLflow runs, reuses finished cells, resumes a cell whose record is missing, and
refuses a bad atlas file in one line with nothing written."""

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from optsweep.cli import app

pytestmark = pytest.mark.xdist_group("atlas")  # one grid for the module

runner = CliRunner()

TINY = """
[atlas]
name = "tiny"
tasks = ["moons", "blobs"]
optimizers = ["momentum"]
report_seeds = 3

[study]
trials = 4
sampler = "random"
pruner = "none"
seed = 0

[train]
layers = [5, 2]
epochs = 20

[space.momentum]
alpha = { low = 1e-2, high = 0.5 }
beta = { low = 0.8, high = 0.99, default = true }
"""


def invoke(folder, path, *more):
    out = folder / "docs" / "atlas.md"
    args = ["atlas", str(path), "--store", str(folder / "store"), "--out", str(out)]
    return runner.invoke(app, [*args, "--workers", "1", *more])


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    folder = tmp_path_factory.mktemp("atlas")
    path = folder / "tiny.toml"
    path.write_text(TINY)
    r = invoke(folder, path, "--json")
    assert r.exit_code == 0, r.output
    return folder, path, json.loads(r.stdout)


def test_the_grid_runs_every_cell_and_writes_the_page_heatmap_and_reports(grid):
    folder, _, out = grid
    assert sorted(out["ran"]) == ["tiny-blobs-momentum", "tiny-moons-momentum"]
    assert {(c["task"], c["default"]) for c in out["cells"]} == {
        ("moons", "momentum.beta"), ("blobs", "momentum.beta")}  # fmt: skip
    [agg] = out["aggregates"]
    assert agg["default"] == "momentum.beta" and sum(agg["counts"].values()) == 2
    page = (folder / "docs" / "atlas.md").read_text()
    links = ("heatmap.png", "tiny-moons-momentum.md", "tiny-blobs-momentum.md")
    for link in (f"atlas/{name}" for name in links):
        assert f"({link})" in page
        assert (folder / "docs" / link).is_file()
    assert (folder / "docs" / "atlas" / "heatmap.png").read_bytes()[:4] == b"\x89PNG"


def test_a_cell_gap_is_the_share_of_the_way_from_guessing_to_the_better_arm(grid):
    """A second formulation, with NumPy, from the cell's record: the class entropy as the guess,
    the seeds where both arms learned, the mean of (default - tuned) / (guess - the better
    arm's mean)."""
    from core import data

    folder, _, out = grid
    record = json.loads((folder / "store" / "cells" / "tiny-moons-momentum.json").read_text())
    y = data.load(data.DataSpec(name="moons")).y
    p = np.bincount(y) / len(y)
    guess = float(-(p * np.log(p)).sum())
    assert record["guess"] == pytest.approx(guess)
    [param] = record["params"]
    if param["report_verdict"] == "tuned = default":
        pytest.skip("the tuned trial uses the default: nothing to compare")
    keep = ~(np.array(param["tuned_failed"]) | np.array(param["default_failed"]))
    t, d = np.array(param["tuned_values"])[keep], np.array(param["default_values"])[keep]
    best = min(t.mean(), d.mean()) if keep.any() else math.nan
    [cell] = [c for c in out["cells"] if c["task"] == "moons"]
    assert cell["seeds"] == int(keep.sum())
    assert keep.sum() >= 2 and best < guess  # the tiny cell learned something
    assert cell["gap"] == pytest.approx(np.mean((d - t) / (guess - best)))


def test_the_atlas_run_and_the_cells_parent_runs_are_in_mlflow(grid):
    from mlflow.tracking import MlflowClient

    folder, _, out = grid
    client = MlflowClient(tracking_uri=f"sqlite:///{folder / 'store' / 'mlflow.db'}")
    exp = client.get_experiment_by_name("atlas tiny")
    [run] = client.search_runs([exp.experiment_id], "tags.`optsweep.role` = 'atlas'")
    assert run.info.run_id == out["written"]["mlflow"]["run_id"]
    names = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"atlas.md", "heatmap.png"} <= names
    for study in ("tiny-moons-momentum", "tiny-blobs-momentum"):
        e = client.get_experiment_by_name(study)
        [parent] = client.search_runs([e.experiment_id], "tags.`optsweep.role` = 'study'")
        assert parent.data.tags["optsweep.atlas"] == "tiny"


def test_a_finished_cell_is_reused_and_a_cell_without_its_record_resumes_its_study(grid):
    import optuna

    folder, path, _ = grid
    records = folder / "store" / "cells"
    stamps = {f.name: f.stat().st_mtime_ns for f in records.iterdir()}
    again = invoke(folder, path, "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["ran"] == []
    assert {f.name: f.stat().st_mtime_ns for f in records.iterdir()} == stamps
    (records / "tiny-blobs-momentum.json").unlink()  # as if cut short after its trials
    resumed = invoke(folder, path, "--json")
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.stdout)["ran"] == ["tiny-blobs-momentum"]
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(folder / "store" / "optsweep.journal"))
    )
    study = optuna.load_study(study_name="tiny-blobs-momentum", storage=storage)
    assert len(study.trials) == 4  # resumed, complete: no trial run again


def test_a_cell_changed_since_it_ran_refuses_before_any_cell_runs(grid):
    folder, _, _ = grid
    records = folder / "store" / "cells"
    stamps = {f.name: f.stat().st_mtime_ns for f in records.iterdir()}
    changed = folder / "changed.toml"
    changed.write_text(TINY + "\n[task.blobs]\nepochs = 21\n")  # the second cell only
    r = invoke(folder, changed)
    assert r.exit_code == 2, r.output
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cell blobs x momentum changed" in lines[0], r.stderr
    assert {f.name: f.stat().st_mtime_ns for f in records.iterdir()} == stamps


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        (("tasks = [\"moons\", \"blobs\"]", "tasks = [\"moons\", \"mnist\"]"),
         "unknown data set 'mnist'"),
        (("optimizers = [\"momentum\"]", "optimizers = [\"lion\"]"), "unknown optimizer 'lion'"),
        (("tasks = [\"moons\", \"blobs\"]", "tasks = []"), "the grid is empty"),
        (("optimizers = [\"momentum\"]", "optimizers = [\"adam\"]"), "[space.adam]"),
        (("low = 1e-2, high = 0.5", "low = 0.5, high = 1e-2"), "cell moons x momentum"),
    ],
)  # fmt: skip
def test_a_bad_atlas_file_is_one_line_exit_2_and_nothing_written(tmp_path, change, phrase):
    path = tmp_path / "bad.toml"
    path.write_text(TINY.replace(*change))
    r = invoke(tmp_path, path)
    assert r.exit_code == 2, r.output
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert phrase in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]  # no store, no page


def test_the_atlas_file_makes_one_sweep_document_per_cell(tmp_path):
    """A user's .csv task (its path from the atlas file's folder, its stem as the label), a
    task's own [train] settings, one study per cell: read without running anything."""
    from optsweep import atlas_file

    text = TINY.replace('tasks = ["moons", "blobs"]', 'tasks = ["moons", "data/mine.csv"]')
    text = text.replace('optimizers = ["momentum"]', 'optimizers = ["momentum", "adam"]')
    text += "\n[task.mine]\nepochs = 7\n"
    text += "\n[space.adam]\nalpha = { low = 1e-3, high = 0.1 }\n"
    path = tmp_path / "grid.toml"
    path.write_text(text)
    spec = atlas_file.load(path)
    assert spec.tasks == ("moons", "mine") and spec.optimizers == ("momentum", "adam")
    cells = [(c.task, c.optimizer, c.study) for c in spec.cells]
    assert cells == [
        (t, o, f"tiny-{t}-{o}") for t in ("moons", "mine") for o in ("momentum", "adam")
    ]
    mine = spec.cells[3].doc
    assert mine["train"]["data"] == str(tmp_path / "data" / "mine.csv")
    assert mine["train"]["epochs"] == 7 and spec.cells[0].doc["train"]["epochs"] == 20
    assert mine["train"]["optimizer"] == "adam" and set(mine["space"]) == {"alpha"}
    assert mine["study"]["name"] == "tiny-mine-adam" and mine["study"]["trials"] == 4


def test_each_cell_s_workers_take_the_cluster_a_sweep_would(tmp_path):
    """--cluster reaches every cell's sweep check (sweep --cluster's): a value it does not
    know is refused there in one line, before anything is written."""
    path = tmp_path / "grid.toml"
    path.write_text(TINY)
    r = invoke(tmp_path, path, "--cluster", "somewhere")
    assert r.exit_code == 2, r.output
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "give local (a Dask cluster on this machine)" in lines[0], r.stderr
    assert "cell moons x momentum" in lines[0]  # refused by the cell's own sweep check
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.toml"]
