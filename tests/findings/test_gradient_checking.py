"""Claim 2's rules on cases with a known answer: the one-sided difference of a quadratic, the
slope fit on power laws with a rounding floor, the parameter count; the dropout physics."""

from __future__ import annotations

import numpy as np
import pytest

from findings import gradient_checking as G


def test_one_sided_difference_of_a_quadratic_is_off_by_eps():
    theta = np.array([1.0, 2.0])
    # ((t + eps)^2 - t^2) / eps = 2 t + eps: the O(eps) truncation, exactly
    approx = G.one_sided_gradient(lambda: float(theta @ theta), theta, 1e-3)
    np.testing.assert_allclose(approx, [2.001, 4.001], rtol=1e-9)
    assert theta.tolist() == [1.0, 2.0]  # restored


@pytest.mark.parametrize("order", [1.0, 2.0])
def test_truncation_slope_on_a_power_law_with_a_rounding_floor(order):
    eps = np.asarray(G.EPS)
    diff = 1e-2 * eps**order + 1e-16 / eps  # truncation + rounding, crossing at the minimum
    assert G.truncation_slope(eps, diff) == pytest.approx(order, abs=0.02)


def test_truncation_slope_needs_two_points():
    assert np.isnan(G.truncation_slope([1e-1, 1e-2], [1e-3, 1e-9]))


def test_parameter_count_by_hand():
    assert G.n_parameters((5, 2)) == 10 + 5 + 10 + 2 + 2 + 1
    assert G.n_parameters((80, 40)) == 160 + 80 + 3200 + 40 + 40 + 1


def test_dropout_fails_with_fresh_masks_and_passes_with_one():
    d = G.dropout_of(seed=1)
    assert d["fresh masks"] > G.BUG and d["one fixed mask"] < G.GREAT
    assert d["no dropout"] < G.GREAT


def test_measure_on_tiny_settings(monkeypatch, tmp_path):
    monkeypatch.setattr(G, "EPS", tuple(10.0 ** (-k) for k in range(1, 11)))
    monkeypatch.setattr(G, "SIZES", ((2,), (8, 4)))
    monkeypatch.setattr(G, "TIMING_REPEATS", 1)
    monkeypatch.setattr(G, "BACKPROP_REPEATS", 5)
    r = G.measure([1, 2])
    assert r.parts["the two-sided error falls like eps^2, the one-sided like eps"] is True
    assert [t["evaluations"] for t in r.evidence["timing"]] == [
        2 * t["parameters"] for t in r.evidence["timing"]
    ]
    assert r.evidence["evaluations_slope"] == pytest.approx(1.0)
    assert any("fresh masks" in line for line in G.section(r))
    assert G.figure(r, tmp_path).exists()
