"""`optsweep report` end to end on a small real study: files, MLflow runs and artifacts, JSON,
bad input, and the report at the end of `optsweep sweep`."""

from __future__ import annotations

import fcntl
import json
import os
import shutil

import pytest
from typer.testing import CliRunner

from optsweep.cli import app
from tests.e2e.conftest import load_study, mlflow_view, write_sweep

runner = CliRunner()
# write_sweep's space: alpha (no default), beta1, batch_size, decay_rate (textbook defaults)
DEFAULTED = ("one_minus_beta1", "log2_batch_size", "decay_rate")
LABELS = {"one_minus_beta1": "beta1", "log2_batch_size": "batch_size", "decay_rate": "decay_rate"}


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """One 6-trial sweep (12 epochs a trial) that ends with its report on 2 seeds, made once
    for all xdist workers (under a file lock); each test gets a copy of its folder."""
    base = tmp_path_factory.getbasetemp()  # xdist: .../pytest-N/popen-gwK, shared per session
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "report-swept"
    with open(f"{shared}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (shared / "done.txt").is_file():
                shutil.rmtree(shared, ignore_errors=True)
                shared.mkdir()
                path = write_sweep(
                    shared, trials=6, epochs=12, pruner="none", alpha_low=0.03, alpha_high=0.3
                )  # enough to learn something in 12 epochs
                with pytest.MonkeyPatch.context() as mp:
                    mp.chdir(shared)
                    result = invoke("sweep", path, "--report-seeds", 2)
                assert result.exit_code == 0, result.output
                (shared / "done.txt").write_text(result.stdout)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return shared, (shared / "done.txt").read_text()


@pytest.fixture
def study(swept, tmp_path, monkeypatch):
    folder = tmp_path / "copy"
    shutil.copytree(swept[0], folder)
    shutil.rmtree(folder / "reports")
    (folder / "done.txt").unlink()
    monkeypatch.chdir(folder)
    return folder


def run_ids(folder) -> set[str]:
    return {r.info.run_id for r in report_runs(mlflow_view(folder, "small"))}


def report_runs(view) -> list:
    client, exp = view["client"], view["experiment"]
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    return [r for r in runs if r.data.tags.get("optsweep.role") == "report"]


def test_report_writes_files_and_nests_tagged_runs_under_the_parent(study):
    before = run_ids(study)  # the report at the end of the sweep
    result = invoke("report", "small", "--seeds", 3, "--workers", 2)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "defaults report small: tuned = trial" in out
    for name in ("beta1", "batch_size", "decay_rate"):  # a block each, named as in the file
        assert f"{name} default" in out
    assert "alpha tuned" in out and "safe range" in out
    assert max(len(line) for line in out.splitlines() if "MLflow" not in line) <= 100

    md = study / "reports" / "small.md"
    text = md.read_text()
    assert "# Defaults report: study `small`" in text and "## Rules" in text
    assert "Selection: the sweep's top 5 trials re-trained on seeds 1-6" in text
    assert "learned nothing: default, tuned" in text  # each line's failures per arm
    pngs = sorted(p.name for p in (study / "reports").glob("*.png"))
    compared = text.count("already uses the default") < 3  # a gap to draw for some parameter
    expected = {"small-objective.png", "small-range-alpha.png"} | (
        {"small-gaps.png"} if compared else set()
    )
    assert set(pngs) == expected
    if compared:  # one look at 0.05: its level and its bounds' confidence, never a false 95%
        assert "3 seeds at level 0.05 (bounds at 97.5% and 95%)" in text
    assert "(small-range-alpha.png)" in text
    assert "| `beta1` |" in text and "one_minus_beta1" not in text  # named as in the sweep file

    view = mlflow_view(study, "small")
    parent = view["parents"][0]
    client = view["client"]
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id, "report")}
    assert artifacts >= {f"report/{p}" for p in ["small.md", *pngs]}  # + the sweep end's
    tags = client.get_run(parent.info.run_id).data.tags
    assert tags["optsweep.report"] == "report/small.md"
    assert tags["optsweep.report.file"] == str(md.resolve())
    said = tags["optsweep.report.verdicts"]
    assert compared == bool(said)
    for verdict in filter(None, said.split("]; ")):  # each with its bounds and failures
        assert verdict.split(": ")[0] in ("beta1", "batch_size", "decay_rate")
        assert " worse" in verdict and "learned nothing" in verdict
    assert "optsweep.report.range.alpha" in tags

    new = [r for r in report_runs(view) if r.info.run_id not in before]
    runs = [r for r in new if BAND not in r.data.tags]  # one a seed
    check_bands(client, runs, [r for r in new if BAND in r.data.tags], parent.info.run_id)
    assert len(view["children"]) == 6  # the trials' runs are untouched
    by_arm: dict[str, list] = {}
    for r in runs:
        t = r.data.tags
        by_arm.setdefault(t["optsweep.report.arm"], []).append(r)
        assert t["mlflow.parentRunId"] == parent.info.run_id
        assert r.info.status in ("FINISHED", "FAILED")
        history = client.get_metric_history(r.info.run_id, "val_cost")
        assert len(history) == r.data.metrics["epochs_run"] <= 12
    seeds = lambda arm: {r.data.tags["optsweep.report.seed"] for r in by_arm[arm]}  # noqa: E731
    assert seeds("select") == {str(s) for s in range(1, 7)} and len(by_arm["select"]) == 5 * 6
    assert seeds("tuned") == {"7", "8", "9"} and len(by_arm["tuned"]) == 3  # other seeds
    study_ = load_study(study, "small")
    assert set(by_arm) <= {"select", "tuned", "default", "range"}
    assert all(r.data.tags["optsweep.report.param"] for r in by_arm.get("default", []))
    assert len(study_.trials) == 6


BAND = "optsweep.report.summary"  # on a seed band's summary run


def configuration(run) -> tuple:
    return (run.data.tags["optsweep.report.arm"], run.data.tags["optsweep.report.param"],
            run.data.params["value"])  # fmt: skip


def check_bands(client, seed_runs, summaries, parent_id) -> None:
    """Each configuration compared (not the selection's) has one summary run whose
    val_cost_mean/lo/hi at each epoch are the mean and the 95% t interval of the mean of the
    per-seed runs' val_cost at that epoch over the seeds that learned, computed here from
    MLflow's own histories with the standard library's mean and stdev."""
    import statistics

    from scipy.stats import t as student

    by_config: dict[tuple, list] = {}
    for r in seed_runs:
        if r.data.tags["optsweep.report.arm"] != "select":
            by_config.setdefault(configuration(r), []).append(r)
    assert sorted(map(configuration, summaries)) == sorted(by_config)  # one per configuration
    for summary in summaries:
        runs = by_config[configuration(summary)]
        tags, params = summary.data.tags, summary.data.params
        assert tags["optsweep.role"] == "report" and tags[BAND] == "band"
        assert tags["mlflow.parentRunId"] == parent_id
        assert summary.info.run_name.startswith("report ") and summary.info.run_name.endswith(
            " band"
        )
        learned = [r for r in runs if r.data.tags["optsweep.report.learned"] == "true"]
        failed = [r for r in runs if r not in learned]
        assert all(
            r.data.tags["optsweep.report.learned"] == "false"
            for r in runs
            if r.info.status == "FAILED"
        )  # fmt: skip (a diverged seed is a failure)
        assert tags["optsweep.report.seeds_learned"] == str(len(learned))
        assert tags["optsweep.report.seeds_failed"] == str(len(failed))
        seeds = sorted(int(r.data.tags["optsweep.report.seed"]) for r in learned)
        assert json.loads(params["seeds_learned"]) == seeds
        assert f"{len(learned)} learned, {len(failed)} failed" in tags["mlflow.note.content"]
        per_epoch: dict[int, list[float]] = {}
        for r in learned:
            for m in client.get_metric_history(r.info.run_id, "val_cost"):
                per_epoch.setdefault(m.step, []).append(m.value)
        got = {
            k: {m.step: m.value for m in client.get_metric_history(summary.info.run_id, k)}
            for k in ("val_cost_mean", "val_cost_lo", "val_cost_hi")
        }
        assert sorted(got["val_cost_mean"]) == sorted(per_epoch)  # step = epoch, each epoch
        for epoch, x in per_epoch.items():
            mean = statistics.fmean(x)
            assert got["val_cost_mean"][epoch] == pytest.approx(mean, rel=1e-9)
            if len(x) < 2:  # one seed: no band
                assert epoch not in got["val_cost_lo"] and epoch not in got["val_cost_hi"]
                continue
            half = student.ppf(0.975, len(x) - 1) * statistics.stdev(x) / len(x) ** 0.5
            assert got["val_cost_lo"][epoch] == pytest.approx(mean - half, rel=1e-9, abs=1e-12)
            assert got["val_cost_hi"][epoch] == pytest.approx(mean + half, rel=1e-9, abs=1e-12)
        pngs = {a.path for a in client.list_artifacts(summary.info.run_id)}
        assert pngs and all(p.startswith("val_cost_bands-") and p.endswith(".png") for p in pngs)
        arm, param, _ = configuration(summary)
        if arm == "default":  # its own plot, named as in the sweep file: tuned against it
            assert f"val_cost_bands-{LABELS[param]}.png" in pngs
    (tuned,) = [s for s in summaries if configuration(s)[0] == "tuned"]
    every = {a.path for s in summaries for a in client.list_artifacts(s.info.run_id)}
    assert {a.path for a in client.list_artifacts(tuned.info.run_id)} == every  # tuned: all


def test_json_is_one_object_with_the_table_s_content(study):
    before = run_ids(study)
    result = invoke("report", "small", "--seeds", 3, "--workers", 1, "--json", "--no-track",
                    "--out", "elsewhere/r.md")  # fmt: skip
    assert result.exit_code == 0, result.output
    content = json.loads(result.stdout)  # the whole of stdout: one JSON object
    assert content["study"] == "small" and content["seeds"] == [7, 8, 9]
    assert content["selection"]["seeds"] == [1, 2, 3, 4, 5, 6]
    chosen = content["selection"]["chosen"]
    # the fewest failures, then the lowest median where it learned (minimized val_cost)
    rank = {c["trial"]: (c["failures"], c["median"]) for c in content["selection"]["candidates"]}
    assert rank[chosen] == min(rank.values())
    assert {r["param"] for r in content["parameters"]} == set(DEFAULTED)
    assert [r["param"] for r in content["free"]] == ["alpha"]
    for r in content["parameters"]:
        assert set(r["importance"]) == {"fanova", "ped_anova"}
        assert r["importance"]["ped_anova"]["value"] is None  # 6 trials: too few
        assert "n/a" in r["importance"]["ped_anova"]["note"]
        g = r["comparison"]
        if g is None:  # the tuned configuration already uses the default: nothing to compare
            assert "already uses" in r["note"] or "n/a" in r["note"]
            continue
        # the verdict is the one its two parts' bounds give (analysis/statistics.py)
        f, cost = g["failures"], g["cost"]
        assert g["confidence"] == 0.95 and g["lower_confidence"] == 0.975  # one look: 0.05
        if cost["seeds"]:
            assert g["lower"] <= g["gap"] <= g["upper"]
        holds = f["upper"] <= f["margin"] and g["upper"] <= g["margin"]
        needs = f["lower"] > f["margin"] or g["lower"] > g["margin"]
        said = "needs tuning" if needs else "holds up" if holds else "inconclusive"
        assert g["verdict"] == said == r["verdict"]
        assert g["reason"].startswith(said) and "learned nothing on" in g["reason"]
        k, needed = len(g["tuned"]), g["seeds_needed"]
        assert needed == k if said != "inconclusive" else needed is None or needed > k
    assert content["rules"][0].startswith("verdict:")
    measured = content["free"][0]["measured"]
    tuned_value = content["free"][0]["tuned"]
    values = [pt["value"] for pt in measured["points"]]
    assert tuned_value in values and values == sorted(values)
    assert measured["low"] <= tuned_value <= measured["high"]
    inside = [pt for pt in measured["points"] if measured["low"] <= pt["value"] <= measured["high"]]
    assert all(pt["comparison"] is None or pt["comparison"]["verdict"] == "holds up"
               for pt in inside)  # fmt: skip
    tuned = content["tuned"]
    dead = tuned["learned_nothing"]
    alive = [v for s, v in zip(content["seeds"], tuned["values"], strict=True) if s not in dead]
    if dead:  # the headline gives the mean over the others as well
        assert tuned["learning_mean"] == pytest.approx(sum(alive) / len(alive))
        text = (study / "elsewhere" / "r.md").read_text()
        assert "the network learned nothing, on the others" in text
    assert content["written"]["markdown"] == "elsewhere/r.md"
    assert "mlflow" not in content["written"]
    assert (study / "elsewhere" / "r.md").is_file()
    assert run_ids(study) == before


BAD = [
    (["nope"], "no study named 'nope'"),
    (["small", "--seeds", "1"], "--seeds must be 'auto' or a whole number >= 2"),
    (["small", "--seeds", "x"], "--seeds"),
    (["small", "--tolerance", "2"], "--tolerance is relative"),
    (["small", "--tolerance", "-0.1"], "--tolerance is relative"),
    (["small", "--workers", "0"], "--workers must be >= 1"),
    (["small", "--out", "r.txt"], "ending in .md"),
    (["small", "--tracking-uri", "sqlite:///other.db"], "no MLflow store at"),
    (["small", "--storage", "missing.journal"], "no study storage at"),
]


def test_bad_input_is_one_line_exit_2_and_writes_nothing(study):
    before = run_ids(study)
    files = sorted(p.name for p in study.iterdir())
    for args, message in BAD:
        result = invoke("report", *args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), (args, lines)
        assert message in lines[0], (args, lines)
    assert sorted(p.name for p in study.iterdir()) == files  # no reports/, no other.db
    assert run_ids(study) == before


def test_a_study_without_completed_trials_is_refused(workdir):
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    path = write_sweep(workdir, name="empty")
    storage = JournalStorage(JournalFileBackend(str(workdir / "optsweep.journal")))
    created = optuna.create_study(study_name="empty", storage=storage)
    created.set_user_attr("optsweep.sweep_file", str(path))
    result = invoke("report", "empty", "--no-track")
    assert result.exit_code == 2
    assert "no completed trial" in result.stderr
    assert not (workdir / "reports").exists()


def test_the_sweep_ends_with_a_report_on_fewer_seeds(swept):
    folder, out = swept
    assert "defaults report" in out and "on 2 seeds" in out
    assert (folder / "reports" / "small.md").is_file()
    view = mlflow_view(folder, "small")
    assert report_runs(view) and view["parents"][0].info.status == "FINISHED"
    bad = invoke("sweep", folder / "small.toml", "--report-seeds", 1)
    assert bad.exit_code == 2 and "--report-seeds" in bad.stderr
