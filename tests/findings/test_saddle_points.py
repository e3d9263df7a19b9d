"""Claim 7's tools on functions whose critical points are known, and its tests on counts."""

from __future__ import annotations

import numpy as np
import pytest

from core import gradcheck
from findings import saddle_points as S


def test_hessian_of_a_quadratic_saddle():
    # f = x^2 - y^2 + x y: g = (2x + y, x - 2y), H = [[2, 1], [1, -2]]
    def grad(t):
        return np.array([2 * t[0] + t[1], t[0] - 2 * t[1]])

    np.testing.assert_allclose(S.hessian(grad, np.array([0.3, -0.7])), [[2, 1], [1, -2]])


def test_classify_by_the_signs_of_the_eigenvalues():
    assert S.classify(np.array([2.0, -2.0])) == {
        "kind": "saddle", "negative": 1, "flat": 0, "index": 0.5
    }  # fmt: skip
    assert S.classify(np.array([1.0, 2.0]))["kind"] == "minimum"
    assert S.classify(np.array([-1.0, -2.0]))["kind"] == "maximum"
    flat = S.classify(np.array([-1e-12, 1.0]))  # within 1e-6 of the largest: counted as 0
    assert flat["kind"] == "minimum" and flat["flat"] == 1


@pytest.mark.parametrize(
    "start, point, kind",
    [((0.8, 0.5), (1.0, 0.0), "minimum"), ((-1.3, 0.2), (-1.0, 0.0), "minimum"),
     ((0.2, -0.4), (0.0, 0.0), "saddle")],
)  # fmt: skip
def test_the_search_finds_minima_and_saddles_alike(start, point, kind):
    """f = x^4/4 - x^2/2 + y^2/2: critical points (+-1, 0) (minima) and (0, 0) (a saddle)."""

    def grad(t):
        return np.array([t[0] ** 3 - t[0], t[1]])

    found = S.find_critical(grad, np.array(start))
    np.testing.assert_allclose(found, point, atol=1e-8)
    assert S.classify(np.linalg.eigvalsh(S.hessian(grad, found)))["kind"] == kind


def test_the_cost_gradient_includes_the_bias_penalty():
    from core.network import Architecture

    rng = np.random.default_rng(0)
    arch = Architecture((2, 3, 1), "tanh")
    X, Y = rng.standard_normal((2, 20)), (rng.random((1, 20)) > 0.5).astype(float)
    cost = S.Cost(arch, X, Y, lambd=2.0)
    theta = rng.standard_normal(cost.params.flat.size)
    t = theta.copy()
    approx = gradcheck.numerical_gradient(lambda: cost.value_and_gradient(t)[0], t, 1e-6)
    assert gradcheck.relative_difference(cost.gradient(theta), approx) < 1e-8


def test_distinct_keeps_one_copy_and_only_critical_points():
    pts = [
        {"seed": 1, "cost": 0.25, "negative": 2, "grad_norm": 1e-12},
        {"seed": 1, "cost": 0.25 + 1e-10, "negative": 2, "grad_norm": 1e-13},  # a copy
        {"seed": 2, "cost": 0.25, "negative": 2, "grad_norm": 1e-12},  # another data split
        {"seed": 1, "cost": 0.30, "negative": 0, "grad_norm": 1e-3},  # not critical
    ]
    assert [p["seed"] for p in S.distinct(pts)] == [1, 2]


def test_the_count_tests():
    assert S.fewer_than_half(0, 20) is True and S.fewer_than_half(18, 20) is False
    assert S.fewer_than_half(9, 20) is None and S.fewer_than_half(0, 0) is None
    assert S.smaller_share(1, 20, 15, 20) is True and S.smaller_share(15, 20, 1, 20) is False
    assert S.rises([1, 2, 3, 4, 5, 6], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) == (True, 1.0)
    assert S.rises([1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1])[0] is False
    # 3 minima among 10 points are far too many for probability 0.5^20; none says nothing
    assert S.as_rare_as_coin_flips(3, 10, 20) is False
    assert S.as_rare_as_coin_flips(0, 10, 20) is None


def test_measure_on_tiny_settings(monkeypatch, tmp_path):
    monkeypatch.setattr(S, "HIDDEN", (1, 2))
    monkeypatch.setattr(S, "TRAJECTORY", (0, 300))
    r = S.measure([1, 2])
    assert [x["parameters"] for x in r.evidence["rows"]] == [5, 9]
    assert all(x["converged"] <= x["starts"] == 4 for x in r.evidence["rows"])
    assert any(line.startswith("| 2-2-1 | 9 |") for line in S.section(r))
    assert S.figure(r, tmp_path).exists()
