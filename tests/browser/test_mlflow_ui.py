"""A real sweep, looked at in a real browser: the MLflow UI as a user sees it after `make sweep`.

One small sweep (4 trials, 20 epochs, the defaults report on 2 seeds) into a temporary store,
`optsweep ui` on a free loopback port, headless Chromium on its pages. The expectations come
from the stores (Optuna's trials, MLflow's runs), not from the code that named the runs.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from dataclasses import dataclass, field

import pytest
from typer.testing import CliRunner

from optsweep.cli import app
from tests.browser import mlflow_ui as ui
from tests.e2e.conftest import load_study, mlflow_view, write_sweep
from tests.tracking.conftest import template_db  # noqa: F401 (a fixture: a migrated store)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]  # one sweep, one UI

EPOCHS = 20
TRIALS = 4
BAND_METRICS = ("val_cost_mean", "val_cost_lo", "val_cost_hi")  # a seed band's summary run


@dataclass
class Swept:
    base: str
    experiment_id: str
    parent_name: str
    parent_id: str
    tracking_uri: str
    trials: dict[str, dict] = field(default_factory=dict)  # expected run name -> trial facts
    timings: dict[str, float] = field(default_factory=dict)


def expected_name(number: int, optimizer: str, alpha: float, batch_size: int) -> str:
    """'trial-007 adam a=3.2e-3 bs=128', written out from the trial's values."""
    mantissa, exponent = f"{alpha:.1e}".split("e")
    return f"trial-{number:03d} {optimizer} a={mantissa}e{int(exponent)} bs={batch_size}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def swept(tmp_path_factory, template_db):  # noqa: F811
    folder = tmp_path_factory.mktemp("browse")
    shutil.copy(template_db, folder / "mlflow.db")  # MLflow's migrations cost seconds
    path = write_sweep(folder, name="browse", trials=TRIALS, epochs=EPOCHS)
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = folder / "ui.log"
    timings = {}
    start = time.monotonic()
    with ui.ui_server(uri, port, log, cwd=folder) as proc:  # starts while the sweep runs
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            result = CliRunner().invoke(app, ["sweep", str(path), "--report-seeds", "2"])
        finally:
            os.chdir(cwd)
        assert result.exit_code == 0, result.output
        timings["sweep"] = time.monotonic() - start
        ui.wait_healthy(proc, base, log)
        timings["ui healthy"] = time.monotonic() - start

        study = load_study(folder, "browse")
        view = mlflow_view(folder, "browse")
        (parent,) = view["parents"]
        swept = Swept(base, view["experiment"].experiment_id, parent.info.run_name,
                      parent.info.run_id, uri, timings=timings)  # fmt: skip
        for t in study.get_trials():
            values = t.user_attrs["optsweep.values"]
            name = expected_name(t.number, "adam", values["alpha"], values["batch_size"])
            swept.trials[name] = {"number": t.number, "state": t.state.name,
                                  "reason": t.user_attrs.get("optsweep.reason", "")}  # fmt: skip
        yield swept
    total = time.monotonic() - start
    print(f"\nbrowser test: {', '.join(f'{k} {v:.1f} s' for k, v in timings.items())}, "
          f"all {total:.1f} s")  # fmt: skip


def test_the_experiment_page_lists_every_run_compares_curves_and_links_the_report(
    swept, page, screenshots
):
    # the run list: the study's parent run, and under it a run per trial, named for it
    ui.open_runs(page, swept.base, swept.experiment_id, swept.parent_name)
    names = ui.listed_run_names(page)
    assert names[0] == swept.parent_name == "browse"
    missing = [n for n in swept.trials if n not in names]
    assert not missing, f"trial runs not listed: {missing}; the page lists {names}"
    assert sum(n.startswith("trial-") for n in names) == TRIALS  # no stray or duplicate runs
    assert any(n.startswith("report ") for n in names)  # the defaults report's re-trainings
    ui.fit_run_names(page)
    page.screenshot(path=screenshots / "runs.png")

    # the chart view: every shown run's val_cost curve on one chart
    ui.open_chart_view(page, "val_cost")
    chart = ui.metric_chart(page, "val_cost")
    chart.locator("path.js-line").first.wait_for()
    deadline = time.monotonic() + 15
    while len(ui.plotted_points(chart)) < TRIALS and time.monotonic() < deadline:
        time.sleep(0.2)
    lines = ui.plotted_points(chart)
    assert len(lines) >= TRIALS and max(lines) == EPOCHS, lines  # a curve per run
    page.screenshot(path=screenshots / "compare-val_cost.png")

    # the parent run: the report's tag, its Markdown rendered, the overlay plot
    ui.open_run_by_name(page, swept.parent_name)
    page.get_by_text("report/browse.md").first.wait_for()  # the optsweep.report tag's value
    ui.open_tab(page, "Artifacts")
    page.get_by_text("val_cost_curves.png", exact=True).first.wait_for()
    page.get_by_text("report", exact=True).first.click()
    page.get_by_text("browse.md", exact=True).first.click()
    page.get_by_text("Parameters with a default").first.wait_for()  # the Markdown, rendered
    assert page.get_by_text("verdict", exact=True).count() >= 1
    page.screenshot(path=screenshots / "parent-report.png")


def test_a_trial_run_shows_its_state_and_reason_and_draws_its_val_cost_curve(
    swept, page, screenshots
):
    name, trial = next((n, t) for n, t in swept.trials.items() if t["state"] == "COMPLETE")
    ui.open_runs(page, swept.base, swept.experiment_id, swept.parent_name)
    ui.open_run_by_name(page, name)
    # the description: what happened to the trial and why, in words
    note = f"trial {trial['number']} COMPLETE after {EPOCHS} epochs: {trial['reason']}"
    page.get_by_text(note, exact=True).first.wait_for()
    page.get_by_text(name, exact=True).first.wait_for()  # the run page's title

    ui.open_tab(page, "Model metrics")
    chart = ui.metric_chart(page, "val_cost")
    chart.locator("path.js-line").first.wait_for()
    # one line, a marker per epoch: the whole curve reached the page
    deadline = time.monotonic() + 10
    while ui.plotted_points(chart) != [EPOCHS] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ui.plotted_points(chart) == [EPOCHS]
    page.screenshot(path=screenshots / "trial-val_cost.png")


def test_a_seed_band_run_draws_its_mean_and_band_and_lists_its_plot(swept, page, screenshots):
    # what the store holds: the defaults report's summary runs, the tuned one's three curves
    from mlflow.tracking import MlflowClient

    client = MlflowClient(swept.tracking_uri)
    band = "tags.`optsweep.report.summary` = 'band'"
    summaries = client.search_runs([swept.experiment_id], band)
    (tuned,) = [r for r in summaries if r.data.tags["optsweep.report.arm"] == "tuned"]
    points = {k: len(client.get_metric_history(tuned.info.run_id, k)) for k in BAND_METRICS}
    assert points["val_cost_mean"] == EPOCHS, points  # a mean at every epoch
    plots = [a.path for a in client.list_artifacts(tuned.info.run_id)]
    assert plots, "the tuned summary run has no plot"

    # the run list filtered on the summary runs' tag: one per configuration, named for it,
    # nested under the parent run
    ui.open_runs(page, swept.base, swept.experiment_id, swept.parent_name, band)
    names = ui.listed_run_names(page)
    assert names[0] == swept.parent_name
    assert sorted(names[1:]) == sorted(r.info.run_name for r in summaries), names
    ui.open_run_by_name(page, "report tuned band")
    learned = tuned.data.tags["optsweep.report.seeds_learned"]
    page.get_by_text(f"tuned: {learned} learned,").first.wait_for()  # its description

    # Model metrics: val_cost_mean, val_cost_lo, val_cost_hi, a line each, a point per epoch
    ui.open_tab(page, "Model metrics")
    for metric in BAND_METRICS:
        if not points[metric]:  # one seed learned: a mean and no band, nothing to draw
            continue
        chart = ui.metric_chart(page, metric)
        chart.locator("path.js-line").first.wait_for()
        deadline = time.monotonic() + 10
        while ui.plotted_points(chart) != [points[metric]] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert ui.plotted_points(chart) == [points[metric]], metric
    page.get_by_placeholder("Search metric charts").fill("val_cost_")  # the three side by side
    cards = page.locator("[data-testid=experiment-view-compare-runs-card]")
    drawn = sum(1 for k in BAND_METRICS if points[k])
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=experiment-view-compare-runs-card]')"
        ".length === n",
        arg=drawn,
    )
    assert cards.count() == drawn
    page.screenshot(path=screenshots / "band-metrics.png")

    # Artifacts: the filled-band plot(s)
    ui.open_tab(page, "Artifacts")
    for name in plots:
        page.get_by_text(name, exact=True).first.wait_for()
    page.get_by_text(plots[0], exact=True).first.click()
    page.locator("img").first.wait_for()
    page.screenshot(path=screenshots / "band-plot.png")
