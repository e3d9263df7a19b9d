"""Claim 5's rules on hand-built updates and on the quadratic's closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.network import Architecture
from findings import rmsprop as R


def test_sign_change_rate_by_hand():
    zigzag = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    assert R.sign_change_rate(zigzag) == 1.0
    assert R.sign_change_rate(np.ones((4, 2))) == 0.0
    # pairs with a zero update are not counted: (1, 0) and (0, -1) leave nothing
    assert math.isnan(R.sign_change_rate(np.array([[1.0], [0.0], [-1.0]])))
    two = np.array([[1.0, 1.0], [-1.0, 2.0], [-2.0, 3.0]])  # column 0 flips once in 2
    assert R.sign_change_rate(two) == pytest.approx(1 / 4)


def test_path_efficiency_by_hand():
    assert R.path_efficiency(np.array([[1.0], [-1.0], [1.0]])) == pytest.approx(1 / 3)
    assert R.path_efficiency(np.array([[1.0, 0.0], [2.0, 0.0]])) == 1.0  # a still one is skipped


def test_directions_are_the_largest_and_smallest_features():
    X = np.diag([1.0, 100.0, 0.01, 10.0]) @ np.ones((4, 5))  # features' RMS 1, 100, 0.01, 10
    d = R.directions(X, Architecture((4, 1)), k=2)
    assert sorted(d["steep"]) == [1, 3] and sorted(d["shallow"]) == [0, 2]


def test_gd_on_the_quadratic_is_geometric():
    a, c = R.QUADRATIC
    path = R.quadratic_path("gd", 0.05, steps=3)
    w0, b0 = R.QUAD_START
    np.testing.assert_allclose(path[3], [w0 * (1 - 0.05 * a) ** 3, b0 * (1 - 0.05 * c) ** 3])


def test_rmsprops_first_step_is_alpha_over_sqrt_one_minus_beta_in_each_direction():
    # s = 0.1 g^2, step = alpha g / sqrt(0.1 g^2): the same size in w and in b, whatever the slope
    path = R.quadratic_path("rmsprop", 0.01, steps=1)
    step = np.abs(path[1] - path[0])
    np.testing.assert_allclose(step, 0.01 / math.sqrt(0.1), rtol=1e-6)


def test_measure_on_tiny_settings(monkeypatch, tmp_path):
    monkeypatch.setattr(R, "ALPHAS", (1e-4, 1e-3))
    monkeypatch.setattr(R, "STEPS", 30)
    r = R.measure([1, 2])
    assert set(r.evidence["best_alpha"]) == {"gd", "rmsprop"} and len(r.evidence["rows"]) == 2
    # RMSprop's shallow steps are about alpha; GD's are alpha times a tiny slope
    rows = {x["optimizer"]: x for x in r.evidence["rows"]}
    assert (
        rows["rmsprop"]["shallow_mean_update"]["mean"] > rows["gd"]["shallow_mean_update"]["mean"]
    )
    assert len(R.section(r)) > 4 and R.figure(r, tmp_path).exists()
