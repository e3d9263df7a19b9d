"""The network's cost and backprop against PyTorch autograd (tests/core/reference.py), on random
architectures, with dropout and L2, for every activation and both outputs (hypothesis)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import network
from core.activations import ACTIVATIONS
from core.init import initialize
from core.network import Architecture, Parameters, targets
from tests.core.reference import torch_cost


def build(hidden, activation, n_classes, seed, n_x=3, m=9):
    rng = np.random.default_rng(seed)
    arch = Architecture.for_data(n_x, tuple(hidden), n_classes, activation)
    params = Parameters(arch)
    initialize(params.views, arch.layer_dims, "xavier", rng)
    params.flat += rng.normal(0, 0.1, params.flat.size)  # non-zero biases too
    X = rng.normal(size=(n_x, m))
    y = np.arange(m) % n_classes
    return arch, params, X, targets(y, arch)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hidden=st.lists(st.integers(1, 6), min_size=0, max_size=3),
    activation=st.sampled_from(list(ACTIVATIONS)),
    n_classes=st.sampled_from([2, 3, 4]),
    lambd=st.sampled_from([0.0, 0.7]),
    keep_prob=st.sampled_from([1.0, 0.8, 0.5]),
    extra_rows=st.sampled_from([0, 91]),  # the batch is the whole training set, or a part of it
    seed=st.integers(0, 2**31),
)
def test_cost_and_gradients_match_pytorch_autograd(
    hidden, activation, n_classes, lambd, keep_prob, extra_rows, seed
):
    arch, params, X, Y = build(hidden, activation, n_classes, seed)
    m_train = X.shape[1] + extra_rows
    grads = Parameters(arch)
    ce, penalty, _ = network.cost_and_gradients(
        params, grads, X, Y, arch, lambd, keep_prob, np.random.default_rng(seed), m_train=m_train
    )
    work = network.forward(params, X, arch, keep_prob, np.random.default_rng(seed))[1]
    masks = {l: work.D[l] for l in range(1, arch.L)} if keep_prob < 1 else None
    J, expected = torch_cost(params.copy(), activation, X, Y, lambd, m_train, masks)
    assert ce + penalty == pytest.approx(J, rel=1e-12)
    for name, g in expected.items():
        np.testing.assert_allclose(grads[name], g, rtol=1e-9, atol=1e-13, err_msg=name)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_dropout_backprop_reads_the_unmasked_activation(activation):
    """The bug this guards: the forward pass scaled A in place by the mask, and the backward
    pass computed tanh' = 1 - a^2 and sigma' = a (1 - a) from that masked a."""
    arch, params, X, Y = build([6, 5], activation, 2, seed=11, m=32)
    grads = Parameters(arch)
    network.cost_and_gradients(params, grads, X, Y, arch, 0.0, 0.8, np.random.default_rng(1))
    work = network.forward(params, X, arch, 0.8, np.random.default_rng(1))[1]
    _, expected = torch_cost(params.copy(), activation, X, Y, masks={1: work.D[1], 2: work.D[2]})
    for name in ("W1", "b1", "W2"):
        np.testing.assert_allclose(grads[name], expected[name], rtol=1e-9, err_msg=name)


def test_the_l2_penalty_is_over_the_training_set_not_the_batch():
    """lambda/(2m) ||W||^2 with m the training set's size: the same weights and lambda give
    the same penalty for any batch, and the batch gradient's L2 part is (lambda/m) W."""
    arch, params, X, Y = build([4], "relu", 2, seed=5, m=8)
    W2 = sum(float((params[f"W{l}"] ** 2).sum()) for l in (1, 2))
    grads = Parameters(arch)
    _, small, _ = network.cost_and_gradients(params, grads, X[:, :4], Y[:, :4], arch, 2.0,
                                             m_train=240)  # fmt: skip
    without = Parameters(arch)
    network.cost_and_gradients(params, without, X[:, :4], Y[:, :4], arch, 0.0, m_train=240)
    _, whole, _ = network.cost_and_gradients(params, Parameters(arch), X, Y, arch, 2.0,
                                             m_train=240)  # fmt: skip
    assert small == whole == pytest.approx(2.0 / (2 * 240) * W2, rel=1e-14)
    np.testing.assert_allclose(grads["W1"] - without["W1"], 2.0 / 240 * params["W1"], rtol=1e-12)
    np.testing.assert_array_equal(grads["b1"], without["b1"])  # biases are not penalized


def test_every_activation_a_user_can_choose_is_implemented():
    from core import choices

    assert tuple(ACTIVATIONS) == choices.ACTIVATIONS  # the CLI lists core/choices.py's names
