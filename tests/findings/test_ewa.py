"""Claim 3's rules against closed forms: the window of weights (1 - beta) beta^k, the start of
a constant series, Adam's uncorrected step multiplier."""

from __future__ import annotations

import math

import pytest

from findings import ewa as E


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.98, 0.999])
def test_window_against_the_closed_form(beta):
    # the latest N values hold 1 - beta^N of the weight: N_f = ceil(ln(1 - f) / ln beta)
    w = E.window(beta)
    for key, f in (("n50", 0.5), ("n63", 1 - 1 / math.e), ("n90", 0.9), ("n95", 0.95)):
        assert w[key] == math.ceil(math.log(1 - f) / math.log(beta) - 1e-9), key
    assert w["step_lag63"] == w["n63"]  # a step's response is the cumulative weight
    assert w["mean_age"] == pytest.approx(beta / (1 - beta), rel=1e-9)
    assert w["mass_of_nominal"] == pytest.approx(1 - beta ** round(1 / (1 - beta)))


def test_the_latest_ten_values_hold_65_percent_at_beta_0_9():
    assert E.window(0.9)["mass_of_nominal"] == pytest.approx(1 - 0.9**10)  # 0.6513


def test_start_errors_of_a_constant_series(monkeypatch):
    monkeypatch.setattr(E, "SPREAD", 0.0)
    s = E.start_errors(seed=1)["0.9"]
    # corrected: exactly the level; raw: v_t = L (1 - b^t), error L b^t, mean over t = 1..10
    assert s["with"] == pytest.approx(0.0, abs=1e-12)
    assert s["without"] == pytest.approx(10 * 0.9 * (1 - 0.9**10) / (0.1 * 10))  # 5.862
    # (corrected - raw) / corrected = b^t; after the first 5/(1 - beta) = 50 values, t = 51
    assert s["late_gap"] == pytest.approx(0.9**51, rel=1e-9)


def test_step_multiplier_by_hand():
    assert E.step_multiplier(1) == pytest.approx(0.1 / math.sqrt(0.001))  # 3.162
    assert E.step_multiplier(10) == pytest.approx((1 - 0.9**10) / math.sqrt(1 - 0.999**10))
    assert E.step_multiplier(100_000) == pytest.approx(1.0)


def test_measure_on_tiny_settings(monkeypatch, tmp_path):
    monkeypatch.setattr(E, "EPOCHS", 3)
    r = E.measure([1, 2])
    assert r.parts["the latest 1/(1-beta) values hold 1-1/e of the weight"] is True
    assert r.parts["the initial period passes (within 1% after 5/(1-beta) values)"] is True
    assert r.evidence["early_epochs"] == 3  # ceil(1000 steps / 4 per epoch) = 250, cut to the 3 run
    assert len(r.evidence["adam"]["with"]["curve"]) == 3
    assert any(line.startswith("| 0.9 | 10 | 10 | 10 |") for line in E.section(r))
    assert E.figure(r, tmp_path).exists()
