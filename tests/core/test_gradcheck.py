"""Backprop against two-sided numerical gradients, on random architectures (hypothesis), with
dropout under one held mask and L2 over a training set larger than the batch."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import gradcheck, network
from core.init import initialize
from core.network import Architecture, Parameters, targets


def setup(hidden, activation, n_classes, seed, n_x=3, m=7, init="xavier"):
    rng = np.random.default_rng(seed)
    arch = Architecture.for_data(n_x, tuple(hidden), n_classes, activation)
    params = Parameters(arch)
    initialize(params.views, arch.layer_dims, init, rng)
    params.flat += rng.normal(0, 0.1, params.flat.size)  # non-zero biases too
    X = rng.normal(size=(n_x, m))
    y = np.arange(m) % n_classes
    return arch, params, X, targets(y, arch)


architectures = dict(
    hidden=st.lists(st.integers(1, 5), min_size=0, max_size=3),
    n_classes=st.sampled_from([2, 3, 4]),
    lambd=st.sampled_from([0.0, 0.7]),
    keep_prob=st.sampled_from([1.0, 0.8, 0.6]),
    m_train=st.sampled_from([None, 50]),
    seed=st.integers(0, 2**31),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(activation=st.sampled_from(["tanh", "sigmoid"]), **architectures)
def test_smooth_activations_pass_below_1e7(
    hidden, activation, n_classes, lambd, keep_prob, m_train, seed
):
    arch, params, X, Y = setup(hidden, activation, n_classes, seed)
    # eps 1e-5 balances truncation (~eps^2) and rounding (~1e-16 / eps) for these tiny gradients
    result = gradcheck.check(params, X, Y, arch, lambd, 1e-5, keep_prob, m_train=m_train)
    assert result.difference < 1e-7, result


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(activation=st.sampled_from(["relu", "leaky_relu"]), **architectures)
def test_piecewise_linear_activations_pass_below_1e5(
    hidden, activation, n_classes, lambd, keep_prob, m_train, seed
):
    arch, params, X, Y = setup(hidden, activation, n_classes, seed, init="he")
    result = gradcheck.check(params, X, Y, arch, lambd, keep_prob=keep_prob, m_train=m_train)
    assert result.difference < 1e-5, result


def test_a_wrong_backward_pass_is_flagged_and_located():
    arch, params, X, Y = setup([4, 3], "tanh", 2, seed=1)

    def forgets_l2_on_layer_2(params, grads, cache, P, Y, arch, lambd=0.0, keep_prob=1.0, m=None):
        network.backward(params, grads, cache, P, Y, arch, lambd, keep_prob, m)
        grads["W2"][...] -= (lambd / Y.shape[1]) * params["W2"]

    good = gradcheck.check(params, X, Y, arch, lambd=0.9)
    bad = gradcheck.check(params, X, Y, arch, lambd=0.9, backward=forgets_l2_on_layer_2)
    assert good.difference < 1e-7
    assert bad.difference > 1e-3
    assert bad.worst_parameter.startswith("W2[")
    assert bad.per_array["W2"] > 1e-3 and bad.per_array["W1"] < 1e-7
    assert "bug" in bad.verdict


def test_a_transposed_gradient_bug_is_flagged():
    arch, params, X, Y = setup([3, 3], "sigmoid", 3, seed=2)

    def swaps_db_sign(params, grads, cache, P, Y, arch, lambd=0.0, keep_prob=1.0, m=None):
        network.backward(params, grads, cache, P, Y, arch, lambd, keep_prob, m)
        grads["b1"][...] *= -1

    assert gradcheck.check(params, X, Y, arch, backward=swaps_db_sign).difference > 1e-3


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid"])
def test_with_one_mask_held_fixed_dropout_backprop_passes_and_fresh_masks_fail(activation):
    """The seed: gradient checking "doesn't work with dropout". True for a new mask at every
    evaluation; with one mask held fixed J is one function, and backprop must match it. (The
    old backward pass read g'(z) from the masked activation: tanh and sigmoid failed here.)"""
    arch, params, X, Y = setup([5, 4], activation, 2, seed=3, m=16)
    fixed = gradcheck.check(params, X, Y, arch, lambd=0.3, keep_prob=0.8)
    assert fixed.difference < 1e-6, fixed
    assert any("one mask held fixed" in n for n in fixed.notes)
    fresh = gradcheck.check(params, X, Y, arch, lambd=0.3, keep_prob=0.8, fresh_masks=True)
    assert fresh.difference > 1e-3, fresh
    assert any("fresh mask" in n for n in fresh.notes)


def test_float32_parameters_are_checked_in_float64():
    arch, p64, X, Y = setup([4], "tanh", 2, seed=4)
    p32 = Parameters(arch, "float32")
    p32.flat[:] = p64.flat
    result = gradcheck.check(p32, X.astype(np.float32), Y.astype(np.float32), arch)
    assert result.difference < 1e-7
    assert any("float64" in n for n in result.notes)


def test_parameters_are_restored_after_checking():
    arch, params, X, Y = setup([4, 2], "relu", 2, seed=5)
    before = params.flat.copy()
    gradcheck.check(params, X, Y, arch)
    np.testing.assert_array_equal(params.flat, before)


@pytest.mark.parametrize(
    "difference, word", [(1e-9, "great"), (2e-5, "look closer"), (5e-2, "bug"), (np.nan, "finite")]
)
def test_verdict_follows_the_course(difference, word):
    assert word in gradcheck.verdict(difference)


def test_relative_difference_formula():
    g, a = np.array([3.0, 4.0]), np.array([3.0, 4.0 + 1e-3])
    assert gradcheck.relative_difference(g, a) == pytest.approx(1e-3 / (5 + np.hypot(3, 4.001)))
    assert gradcheck.relative_difference(np.zeros(2), np.zeros(2)) == 0.0
