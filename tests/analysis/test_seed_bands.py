"""analysis.seed_bands: the report's re-trainings grouped into one band per configuration, the
failed seeds counted apart, the summary runs and their plots (a stand-in for the MLflow log)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from analysis import seed_bands
from analysis.defaults_result import RunRecord

T975_1 = 12.706204736  # t(0.975, 1 degree of freedom), from a printed table


def record(arm, param, value, seed, val_cost, *, dead=False, diverged=False) -> RunRecord:
    return RunRecord(
        arm=arm, param=param, value=value, seed=seed,
        status="diverged" if diverged else "completed", reason="", final={}, seconds=0.1,
        epochs_run=len(val_cost), objective=None if diverged else val_cost[-1],
        curves={"val_cost": val_cost}, learned_nothing=dead,
    )  # fmt: skip


def small_report():
    runs = [
        record("select", None, 3, 1, [9.0, 9.0]),  # the selection: other seeds, no band
        record("tuned", None, None, 7, [1.0, 2.0]),
        record("tuned", None, None, 8, [3.0, 4.0]),
        record("tuned", None, None, 9, [0.69, 0.69], dead=True),
        record("default", "one_minus_beta1", None, 7, [2.0, 1.0]),
        record("default", "one_minus_beta1", None, 8, [5.0, math.inf], diverged=True),
        record("range", "alpha", 0.05, 7, [1.0, 1.0]),
        record("range", "alpha", 0.05, 8, [2.0, 3.0]),
    ]
    beta1 = SimpleNamespace(param="one_minus_beta1", label="beta1", kind="default",
                            default=0.9, tuned=0.95, comparison=object())  # fmt: skip
    measured = SimpleNamespace(points=[SimpleNamespace(value=0.05)])
    alpha = SimpleNamespace(param="alpha", label="alpha", tuned=0.1, measured=measured)
    return SimpleNamespace(study="s", epochs=2, objective="val_cost", runs=runs,
                           parameters=[beta1], free=[alpha])  # fmt: skip


def test_one_band_per_configuration_over_the_seeds_that_learned():
    bands = {(b.arm, b.param): b for b in seed_bands.config_bands(small_report())}
    assert set(bands) == {("tuned", None), ("default", "one_minus_beta1"), ("range", "alpha")}
    tuned = bands[("tuned", None)]
    assert tuned.legend == "tuned: 2 learned, 1 failed" and tuned.failed == [9]
    # epochs 1 and 2 over seeds 7 and 8: (1, 3) and (2, 4): mean 2 and 3, s = sqrt(2), se = 1
    assert tuned.band.mean.tolist() == [2.0, 3.0]
    assert tuned.band.lo.tolist() == pytest.approx([2 - T975_1, 3 - T975_1])
    assert tuned.band.hi.tolist() == pytest.approx([2 + T975_1, 3 + T975_1])
    default = bands[("default", "one_minus_beta1")]
    assert default.legend == "default beta1=0.9: 1 learned, 1 failed"  # the diverged seed
    assert default.band.mean.tolist() == [2.0, 1.0] and math.isnan(default.band.lo[0])
    assert bands[("range", "alpha")].legend == "alpha=0.05: 2 learned, 0 failed"


def test_summary_runs_carry_the_three_curves_and_their_plots():
    report = small_report()
    logged = []

    class Log:  # stands in for tracking.report_runs.ReportLog: what it is asked to log
        def log_run(self, run):
            for path in run.artifacts:
                assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # drawn before logging
            logged.append(run)
            return f"id{len(logged)}"

    assert seed_bands.log(Log(), report) == ["id1", "id2", "id3"]
    runs = {r.name: r for r in logged}
    assert set(runs) == {"report tuned band", "report one_minus_beta1=default band",
                         "report alpha=0.05 band"}  # fmt: skip
    tuned = runs["report tuned band"]
    assert tuned.curves["val_cost_mean"] == [2.0, 3.0]
    assert tuned.curves["val_cost_hi"] == pytest.approx([2 + T975_1, 3 + T975_1])
    assert tuned.tags["optsweep.report.summary"] == "band"
    assert tuned.tags["optsweep.report.seeds_failed"] == 1
    assert tuned.params["seeds_learned"] == [7, 8]
    plots = lambda run: sorted(p.name for p in run.artifacts)  # noqa: E731
    assert plots(tuned) == ["val_cost_bands-alpha.png", "val_cost_bands-beta1.png"]
    assert plots(runs["report one_minus_beta1=default band"]) == ["val_cost_bands-beta1.png"]
    assert plots(runs["report alpha=0.05 band"]) == ["val_cost_bands-alpha.png"]
    assert not tuned.artifacts[0].exists()  # a temporary folder, gone after logging
