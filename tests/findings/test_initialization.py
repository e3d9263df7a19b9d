"""Claim 1's rules on cases with a known answer: the predicted factors, the per-layer factor of
a geometric series, the units' spread, the growth of a wide ReLU network against n s^2 / 2."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.network import Architecture, Parameters
from findings import initialization as I


def test_predicted_factors_by_hand():
    assert I.predicted_factor("he", 100) == pytest.approx(1.0)  # 100 * (2/100) / 2
    assert I.predicted_factor("xavier", 100) == pytest.approx(0.5)  # 100 * (1/100) / 2
    assert I.predicted_factor("random", 100) == pytest.approx(0.005)  # 100 * 1e-4 / 2
    assert I.predicted_factor("large", 100) == pytest.approx(5000.0)  # 100 * 100 / 2
    assert I.predicted_factor("xavier-tanh", 100) == pytest.approx(1.0)  # tanh: n s^2


def test_per_layer_factor_of_a_geometric_series():
    q = [2.0 * 0.3**l for l in range(10)]
    assert I.per_layer_factor(q[0], q[-1], 9) == pytest.approx(0.3)
    assert I.per_layer_factor(0.0, 1.0, 3) == 0.0  # zeros: no factor


def test_within_is_a_factor_either_way():
    assert I.within(1.2, 1.0) and I.within(1 / 1.2, 1.0)
    assert not I.within(1.3, 1.0) and not I.within(0.0, 1.0)


def test_unit_spread_of_identical_and_of_perturbed_units():
    arch = Architecture((2, 3, 3, 1))
    p = Parameters(arch)
    p.flat[:] = 0.5
    assert I.unit_spread(p, arch.L) == (0.0, 0.5)
    p["W2"][1, 2] += 0.01  # unit 1 of layer 2 now differs from unit 0
    assert I.unit_spread(p, arch.L)[0] == pytest.approx(0.01)


def test_the_schemes_share_their_gaussian_draws():
    arch = Architecture((2, 4, 1))
    he, small = Parameters(arch), Parameters(arch)
    I.draw(he, arch.layer_dims, "he", seed=3)
    I.draw(small, arch.layer_dims, "random", seed=3)
    # W1: He's std sqrt(2/2) = 1, random's 0.01; the same N(0,1) numbers underneath
    np.testing.assert_allclose(small["W1"], 0.01 * he["W1"], rtol=1e-12)


def test_a_wide_relu_network_grows_by_n_s2_over_2_per_layer():
    """At 400 units the per-layer factor has little spread: within 10% of the prediction."""
    for scheme in ("xavier", "he"):
        p = I.profiles(I.network(scheme, depth=8, width=400, seed=1))
        q, r = p["activation_ms"], p["dz_ms"]
        assert I.per_layer_factor(q[0], q[-1], 7) == pytest.approx(
            I.predicted_factor(scheme, 400), rel=0.1
        )
        assert I.per_layer_factor(r[-1], r[0], 7) == pytest.approx(
            I.predicted_factor(scheme, 400), rel=0.1
        )


def test_zeros_stay_identical_and_learn_nothing():
    r = I.train_run("zeros", depth=2, seed=1, steps=20, stop=False)
    assert I.unit_spread(r["params"], 3)[0] == 0.0
    assert r["best"] == pytest.approx(math.log(2), rel=1e-3)


def test_measure_on_tiny_settings(monkeypatch, tmp_path):
    monkeypatch.setattr(I, "DEPTH", 4)
    monkeypatch.setattr(I, "WIDTH", 8)
    monkeypatch.setattr(I, "TRAIN_WIDTH", 4)
    monkeypatch.setattr(I, "TRAIN_DEPTHS", (1, 2, 3))
    monkeypatch.setattr(I, "STEPS", 5)
    monkeypatch.setattr(I, "SYMMETRY_DEPTH", 2)
    r = I.measure([1, 2])
    assert set(r.parts) and r.verdict in ("confirmed", "refuted", "depends", "inconclusive")
    assert r.parts["zeros never break symmetry"] is True
    assert len(r.evidence["training"]) == len(I.TRAINED) * 3
    lines = I.section(r)
    assert any(line.startswith("| N(0,1) * 10 |") for line in lines)
    assert I.figure(r, tmp_path).stat().st_size > 0
