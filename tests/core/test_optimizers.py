"""Each update rule against hand-written scalar recurrences of the course's formulas."""

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import optimizers
from core.errors import ConfigError
from core.optimizers import GD, Adam, Momentum, RMSProp, ewa

GRADS = [0.5, -1.5, 2.0]  # three steps of a scalar gradient that does not depend on theta


def run(opt, grads=GRADS, theta0=1.0):
    """Apply the optimizer to a 1-element parameter; return theta after each step."""
    params = {"w": np.array([theta0])}
    out = []
    for g in grads:
        opt.step(params, {"w": np.array([g])})
        out.append(float(params["w"][0]))
    return out


def test_gd_three_steps():
    # theta := theta - alpha g: 1 - 0.05, then + 0.15, then - 0.2
    assert run(GD(lr=0.1)) == pytest.approx([0.95, 1.10, 0.90], abs=1e-15)


def test_momentum_three_steps_ewa_form():
    # v1 = 0.1*0.5 = 0.05            theta = 1 - 0.1*0.05      = 0.995
    # v2 = 0.9*0.05 + 0.1*-1.5 = -0.105  theta = 0.995 + 0.0105 = 1.0055
    # v3 = 0.9*-0.105 + 0.1*2 = 0.1055   theta = 1.0055 - 0.01055 = 0.99495
    assert run(Momentum(lr=0.1, beta=0.9)) == pytest.approx([0.995, 1.0055, 0.99495], abs=1e-12)


def test_rmsprop_three_steps():
    beta, eps, lr = 0.9, 1e-8, 0.1
    s, theta, expected = 0.0, 1.0, []
    for g in GRADS:
        s = beta * s + (1 - beta) * g * g
        theta -= lr * g / (math.sqrt(s) + eps)
        expected.append(theta)
    # first step by hand: s = 0.1 * 0.25 = 0.025, step = 0.1 * 0.5 / 0.158113883 = 0.316227766
    assert expected[0] == pytest.approx(1 - 0.316227766, abs=1e-7)
    assert run(RMSProp(lr=lr, beta=beta, eps=eps)) == pytest.approx(expected, abs=1e-12)


def test_adam_three_steps_with_bias_correction():
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.1
    m = v = 0.0
    theta, expected = 1.0, []
    for t, g in enumerate(GRADS, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        theta -= lr * m_hat / (math.sqrt(v_hat) + eps)
        expected.append(theta)
    # By hand: after bias correction the first step is alpha * g/|g| = 0.1 (up to eps).
    assert expected[0] == pytest.approx(0.9, abs=1e-8)
    # Step 2: m = 0.9*0.05 - 0.15 = -0.105, m_hat = m/0.19; v = 0.00249975, v_hat = v/0.001999
    assert expected[1] == pytest.approx(
        0.9 + 0.1 * (0.105 / 0.19) / math.sqrt(0.00249975 / 0.001999)
    )
    assert run(Adam(lr=lr, beta1=b1, beta2=b2, eps=eps)) == pytest.approx(expected, abs=1e-12)


@given(
    g=st.floats(1e-2, 1e3) | st.floats(-1e3, -1e-2),
    beta1=st.floats(0.0, 0.999),
    beta2=st.floats(0.0, 0.9999),
)
def test_adam_first_step_is_alpha_whatever_the_betas(g, beta1, beta2):
    """Bias correction makes the first step alpha * sign(g); without it, it would shrink to
    alpha (1 - beta1) / sqrt(1 - beta2)."""
    (theta,) = run(Adam(lr=0.01, beta1=beta1, beta2=beta2), grads=[g], theta0=0.0)
    assert theta == pytest.approx(-0.01 * math.copysign(1, g), rel=1e-5)


def test_adam_without_bias_correction_three_steps_by_hand():
    # beta1 0.9, beta2 0.999, alpha 0.1, m_hat = m and v_hat = v:
    # t=1: m = 0.05, v = 0.00025, sqrt(v) = 0.0158113883   theta = 1 - 0.1*0.05/0.0158113883
    # t=2: m = 0.045 - 0.15 = -0.105, v = 0.00024975 + 0.00225 = 0.00249975, sqrt = 0.04999750
    # t=3: m = -0.0945 + 0.2 = 0.1055, v = 0.00249725025 + 0.004 = 0.00649725025
    eps = 1e-8
    t1 = 1 - 0.1 * 0.05 / (0.015811388300841896 + eps)
    t2 = t1 + 0.1 * 0.105 / (math.sqrt(0.00249975) + eps)
    t3 = t2 - 0.1 * 0.1055 / (math.sqrt(0.00649725025) + eps)
    assert t1 == pytest.approx(0.683772234, abs=1e-6)  # the first step is 0.1 * 0.1/sqrt(0.001)
    opt = Adam(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, bias_correction=False)
    assert run(opt) == pytest.approx([t1, t2, t3], abs=1e-9)


def test_train_config_passes_bias_correction_to_adam():
    from core.train import TrainConfig

    assert TrainConfig().bias_correction is True
    kwargs = TrainConfig(bias_correction=False)._optimizer_kwargs()
    assert optimizers.make("adam", **kwargs).bias_correction is False
    assert optimizers.make("adam", lr=0.1).bias_correction is True


def test_adam_step_count_is_per_parameter_and_starts_at_one():
    opt = Adam(lr=0.01)
    params = {"a": np.zeros(2), "b": np.zeros(3)}
    opt.step({"a": params["a"]}, {"a": np.ones(2)})
    opt.step(params, {"a": np.ones(2), "b": np.ones(3)})
    assert opt.t == {"a": 2, "b": 1}
    # b's first update is a full alpha step even though a has moved on.
    np.testing.assert_allclose(params["b"], -0.01, rtol=1e-6)


def test_updates_in_place_and_state_created_lazily():
    w = np.array([1.0, 2.0])
    params = {"w": w}
    opt = Momentum(lr=0.1)
    assert opt.v == {}
    opt.step(params, {"w": np.array([1.0, 1.0])})
    assert params["w"] is w and w[0] < 1.0
    assert set(opt.v) == {"w"}


def test_lr_is_mutable_for_schedules():
    opt = GD(lr=0.1)
    opt.lr = 0.01
    assert run(opt, grads=[1.0]) == pytest.approx([0.99])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(name="adam", lr=0.0), "alpha must be > 0"),
        (dict(name="adam", lr=-1.0), "alpha must be > 0"),
        (dict(name="adam", lr=0.1, beta1=1.0), "beta1 must be in [0, 1)"),
        (dict(name="adam", lr=0.1, beta2=-0.1), "beta2 must be in [0, 1)"),
        (dict(name="momentum", lr=0.1, beta=1.5), "beta must be in [0, 1)"),
        (dict(name="rmsprop", lr=0.1, eps=0.0), "epsilon must be > 0"),
        (dict(name="sgd", lr=0.1), "unknown optimizer 'sgd'"),
    ],
)
def test_invalid_hyperparameters_are_refused(kwargs, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        optimizers.make(**kwargs)


def ewa_loop(values, beta, bias_correction):
    v, out = 0.0, []
    for t, x in enumerate(values, start=1):
        v = beta * v + (1 - beta) * x
        out.append(v / (1 - beta**t) if bias_correction else v)
    return out


@given(
    values=st.lists(st.floats(-100, 100), min_size=0, max_size=300),
    beta=st.floats(0.0, 0.99),
    bias_correction=st.booleans(),
)
def test_ewa_matches_the_recursion(values, beta, bias_correction):
    expected = ewa_loop(values, beta, bias_correction)
    np.testing.assert_allclose(ewa(values, beta, bias_correction), expected, rtol=1e-9, atol=1e-9)


def test_ewa_long_series_with_high_beta_stays_accurate():
    rng = np.random.default_rng(0)
    values = rng.normal(5.0, 1.0, size=20_000)
    for beta in (0.9, 0.98, 0.999):
        np.testing.assert_allclose(ewa(values, beta), ewa_loop(values, beta, True), rtol=1e-9)


def test_ewa_bias_correction_lifts_the_start():
    """A constant series: corrected EWA is the constant from t = 1; uncorrected starts low."""
    values = np.full(10, 20.0)
    np.testing.assert_allclose(ewa(values, 0.98), 20.0)
    assert ewa(values, 0.98, bias_correction=False)[0] == pytest.approx(0.4)
