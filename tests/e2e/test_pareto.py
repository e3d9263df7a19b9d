"""A sweep of two objectives end to end: the Pareto front the summary prints is the front of the
trials' values (a non-dominated filter written here), each trial's epochs_to_target is the first
epoch its recorded curve reaches the target, the parent run has the Pareto plot, the dashboard
shows a two-objective study, the Python API and the defaults report take the front's best on
the first objective."""

from __future__ import annotations

import os
import re

import pytest
from optuna.trial import TrialState
from typer.testing import CliRunner

from optsweep.cli import app
from tests.e2e.conftest import load_study, mlflow_view

pytestmark = pytest.mark.xdist_group("pareto")  # one sweep for the module
TARGET = 0.45
EPOCHS = 20
SWEEP = f"""
[study]
name = "pareto"
trials = 8
seed = 0
objectives = ["val_cost", "epochs_to_target"]
target = {TARGET}
population = 2

[train]
data = "moons"
epochs = {EPOCHS}
decay = "inverse-time"

[space]
alpha = {{ low = 1e-3, high = 3e-1 }}
beta1 = {{ low = 0.8, high = 0.999, default = true }}
"""


def front_of(points: dict[int, tuple[float, float]]) -> list[int]:
    """Trial numbers whose (minimized, minimized) values no other trial's dominate: no worse in
    both and better in one. Best val_cost first."""

    def dominated(a, b) -> bool:  # b dominates a
        return b[0] <= a[0] and b[1] <= a[1] and b != a

    keep = [n for n, p in points.items() if not any(dominated(p, q) for q in points.values())]
    return sorted(keep, key=lambda n: (points[n], n))


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pareto")
    (folder / "pareto.toml").write_text(SWEEP)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(
            app, ["sweep", "pareto.toml", "--workers", "1", "--report-seeds", "0"]
        )
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    study = load_study(folder, "pareto")
    points = {t.number: tuple(t.values) for t in study.trials if t.state == TrialState.COMPLETE}
    return folder, result.stdout, study, points


def test_the_summary_prints_the_front_of_the_trials_values(swept):
    _, out, _, points = swept
    assert len(points) == 8  # unpruned: every trial ran to its end
    front = front_of(points)
    assert len(front) >= 2  # a front, not one best (the test would not tell them apart)
    says = f"Pareto front: {len(front)} trials no other beats on both val_cost and epochs_to_target"
    assert says in out
    assert "best val_cost =" not in out and "top 5 by" not in out
    title = "val_cost minimized, epochs_to_target minimized; best val_cost first"
    table = out[out.index(title) :]
    printed = [int(m) for m in re.findall(r"^\S\s+(\d+)\s+\S", table, flags=re.M)]
    assert printed == front
    for n in front:  # each row shows both values
        row = next(line for line in table.splitlines() if re.match(rf"^\S\s+{n}\s+\S", line))
        assert f"{points[n][0]:.4g}" in row and f" {points[n][1]:.4g} " in row


def test_epochs_to_target_is_the_first_epoch_the_recorded_curve_reaches_the_target(swept):
    from sweeps.curves import read_curves

    folder, _, study, points = swept
    view = mlflow_view(folder, "pareto")
    by_number = {int(r.data.tags["optsweep.trial"]): r for r in view["children"]}
    reached = 0
    for t in study.trials:
        curve = read_curves(t)["val_cost"]
        assert len(curve) == EPOCHS
        first = next((i + 1 for i, v in enumerate(curve) if v <= TARGET), EPOCHS + 1)
        reached += first <= EPOCHS
        assert points[t.number] == (pytest.approx(curve[-1]), first)
        assert by_number[t.number].data.metrics["epochs_to_target"] == first  # the run's too
    assert 0 < reached < len(points)  # some reach the target, some do not


def test_the_parent_run_has_the_pareto_plot_and_the_front(swept):
    folder, _, _, points = swept
    view = mlflow_view(folder, "pareto")
    (parent,) = view["parents"]
    artifacts = [a.path for a in view["client"].list_artifacts(parent.info.run_id)]
    assert "pareto_front.png" in artifacts and "optimization_history.png" in artifacts
    front = front_of(points)
    m = parent.data.metrics
    assert m["pareto_trials"] == len(front) and m["best_trial"] == front[0]
    assert m["best_val_cost"] == pytest.approx(points[front[0]][0])
    assert parent.data.params["objectives"] == "val_cost,epochs_to_target"
    assert parent.data.params["pruner"] == "none"


def test_the_dashboard_serves_a_study_of_two_objectives_and_its_front(swept):
    """optuna-dashboard draws its Pareto front for any study of more than one direction."""
    import json
    import urllib.request

    from sweeps import dashboard, storage

    folder, _, _, points = swept
    dash = dashboard.open_dashboard(storage.resolve(str(folder / "optsweep.journal")), "pareto",
                                    port=0)  # fmt: skip
    dash.start()
    try:
        url = f"{dash.base_url}/api/studies/{dash.study_id}?after=0"
        with urllib.request.urlopen(url, timeout=10) as r:
            detail = json.loads(r.read())
    finally:
        dash.close()
    assert detail["directions"] == ["minimize", "minimize"]
    assert sorted(t["number"] for t in detail["best_trials"]) == sorted(front_of(points))


def test_the_api_and_the_report_take_the_fronts_best_on_the_first_objective(swept):
    import optsweep

    folder, _, _, points = swept
    front = front_of(points)
    cwd = os.getcwd()
    os.chdir(folder)
    try:  # the study is done: sweep() resumes it and returns at once
        result = optsweep.sweep("pareto.toml", workdir=folder, report_seeds=0)
        report = optsweep.report("pareto", seeds=2, workers=1, track=False)
    finally:
        os.chdir(cwd)
    assert result.objectives == ("val_cost", "epochs_to_target")
    assert [p.number for p in result.pareto] == front
    assert [tuple(p.values.values()) for p in result.pareto] == [points[n] for n in front]
    assert result.best_value == points[front[0]][0]
    assert result.best_params == result.pareto[0].params
    raw = report.raw
    assert raw.selection.chosen == front[0] and raw.best["trial"] == front[0]
    assert raw.best["scores"] == {"val_cost": points[front[0]][0],
                                  "epochs_to_target": points[front[0]][1]}  # fmt: skip
    assert raw.objective == "val_cost" and raw.second["objective"] == "epochs_to_target"
    # the second objective beside each arm: the median over seeds of the first epoch each
    # re-training's recorded val_cost curve reaches the target, counted here from the curves
    arms = {"tuned": ("tuned", None)} | {p.label: ("default", p.param) for p in raw.parameters
                                         if p.comparison is not None}  # fmt: skip
    assert set(raw.second["arms"]) == set(arms) and len(arms) >= 2
    for label, (arm, param) in arms.items():
        firsts = sorted(
            next((i + 1 for i, v in enumerate(r.curves["val_cost"]) if v <= TARGET), EPOCHS + 1)
            for r in raw.runs
            if r.arm == arm and r.param == param and r.seed in raw.seeds
        )
        assert len(firsts) == len(raw.seeds) == 2
        assert raw.second["arms"][label] == {"median": sum(firsts) / 2, "seeds": 2}
    text = (folder / "reports" / "pareto.md").read_text()
    assert f"Two objectives: trial {front[0]}, the Pareto trial best on val_cost" in text
    assert "## Second objective: epochs_to_target (target 0.45)" in text


def test_trials_lists_both_values_of_every_trial(swept):
    folder, _, _, points = swept
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(app, ["trials", "pareto"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    for n, (cost, epochs) in points.items():
        row = next(line for line in result.stdout.splitlines()
                   if re.match(rf"^\S\s+{n}\s+\S\s+COMPLETE", line))  # fmt: skip
        cells = [c.strip() for c in row.split(row[0])[1:-1]]
        assert cells[2:4] == [f"{cost:.4g}", f"{epochs:.4g}"], row
