"""The training loop: batching, metrics, callbacks, divergence, determinism, the course's claim."""

import math

import numpy as np
import pytest

from core import data
from core.errors import ConfigError
from core.train import METRICS, TrainConfig, setup, train
from tests.core.kernels import LOOPS, loop
from tests.core.reference import torch_cost, torch_cross_entropy


@pytest.fixture(scope="module")
def moons():
    return data.load(data.DataSpec("moons"))


def quick(**kw):
    base = dict(epochs=20, alpha=0.01)
    return TrainConfig(**{**base, **kw})


def test_result_shapes_and_status(moons):
    r = train(quick(), moons)
    assert r.status == "completed" and r.epochs_run == 20
    assert set(r.history) == set(METRICS)
    assert all(len(v) == 20 and np.isfinite(v).all() for v in r.history.values())
    # 240 training rows at batch 64: 3 full batches and the partial one of 48 is kept
    assert r.n_batches == 4 and r.step_cost.shape == (80,)
    assert set(r.params) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert r.params["W1"].shape == (5, 2) and r.params["W3"].shape == (1, 2)
    assert r.seconds > 0


def test_batch_gd_and_sgd_extremes(moons):
    assert train(quick(batch_size=10_000, epochs=3), moons).n_batches == 1
    sgd = train(quick(batch_size=1, epochs=2), moons)
    assert sgd.n_batches == 240 and sgd.step_cost.size == 480


def test_epoch_train_cost_is_the_mean_of_its_minibatch_costs(moons):
    """Keras-style: no extra pass; for batch GD the epoch cost is that one batch's cost."""
    r = train(quick(batch_size=10_000, epochs=5), moons)
    np.testing.assert_array_equal(r.history["train_cost"], r.step_cost)
    r = train(quick(batch_size=64, epochs=3), moons)
    sizes = np.array([64, 64, 64, 48])
    for e in range(3):
        costs = r.step_cost[4 * e : 4 * e + 4]
        assert r.history["train_cost"][e] == pytest.approx((costs * sizes).sum() / 240)


@pytest.mark.parametrize("path", LOOPS)
def test_final_metrics_come_from_a_full_pass(moons, path):
    """Final train_cost is J over the whole training split with the final weights, val_cost the
    validation split's cross-entropy: each against PyTorch on the same weights and splits."""
    cfg = quick(epochs=5, l2=0.5)
    with loop(path):
        r = train(cfg, moons)
    s = setup(cfg, moons)  # the splits; its weights are the initial ones, not used here
    J, _ = torch_cost(r.params, "relu", s.X_train, s.Y_train, lambd=0.5)
    assert r.final["train_cost"] == pytest.approx(J, rel=1e-12)
    assert r.final["val_cost"] == pytest.approx(
        torch_cross_entropy(r.params, "relu", s.X_val, s.Y_val), rel=1e-12
    )
    assert r.final["train_cost"] - r.final["l2_penalty"] == pytest.approx(
        torch_cross_entropy(r.params, "relu", s.X_train, s.Y_train), rel=1e-12
    )
    # Validation is one pass with the final weights either way.
    assert r.final["val_cost"] == pytest.approx(r.history["val_cost"][-1])
    assert r.final["val_accuracy"] == pytest.approx(r.history["val_accuracy"][-1])


FROZEN = dict(optimizer="gd", alpha=1e-300, epochs=1)  # a step too small to move any weight


@pytest.mark.parametrize("path", LOOPS)
@pytest.mark.parametrize("batch_size", [1, 16, 64, 240])
def test_an_epochs_training_cost_is_the_regularized_j_at_every_batch_size(moons, batch_size, path):
    """With weights that do not move, the epoch's mean of mini-batch costs is J over the
    training set: lambda/(2m) ||W||^2 with m the training set's size, whatever the batch."""
    cfg = TrainConfig(**FROZEN, batch_size=batch_size, l2=3.0)
    with loop(path):
        r = train(cfg, moons)
    s = setup(cfg, moons)
    J, _ = torch_cost(s.params.copy(), "relu", s.X_train, s.Y_train, lambd=3.0)
    assert r.history["train_cost"][0] == pytest.approx(J, rel=1e-10)
    assert r.final["train_cost"] == pytest.approx(J, rel=1e-12)


def test_the_validation_cost_does_not_depend_on_lambda(moons):
    """The sweeps' objective is the validation cross-entropy: lambda must not lower it by
    itself (with the penalty in it, every sweep over l2 was pulled toward small lambda)."""
    costs = {lambd: train(TrainConfig(**FROZEN, l2=lambd), moons) for lambd in (0.0, 5.0)}
    s = setup(TrainConfig(**FROZEN), moons)
    expected = torch_cross_entropy(s.params.copy(), "relu", s.X_val, s.Y_val)
    for r in costs.values():
        assert r.final["val_cost"] == pytest.approx(expected, rel=1e-12)
        assert r.history["val_cost"][0] == pytest.approx(expected, rel=1e-12)
    assert costs[5.0].final["l2_penalty"] > 0 and costs[0.0].final["l2_penalty"] == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_divergence_is_judged_against_j_at_initialization_over_the_training_split(moons, seed):
    """Not against the first mini-batch's cost (one sample under SGD: the threshold moved 5x
    between seeds)."""
    cfg = TrainConfig(optimizer="gd", alpha=30.0, batch_size=1, epochs=20, seed=seed,
                      activation="tanh", diverge_factor=1.5)  # fmt: skip
    r = train(cfg, moons)
    s = setup(cfg, moons)
    J0, _ = torch_cost(s.params.copy(), "tanh", s.X_train, s.Y_train)
    assert r.initial_cost == pytest.approx(J0, rel=1e-12)
    assert r.status == "diverged" and f"1.5 x initial {J0:.4g}" in r.reason


def test_train_starts_from_the_setup_of_its_seed(moons):
    """setup() is what gradcheck checks: train's weights before the first step are its."""
    cfg = TrainConfig(**FROZEN, seed=7, layers=(4, 3))
    r, s = train(cfg, moons), setup(cfg, moons)
    for name, W in s.params.copy().items():
        np.testing.assert_allclose(r.params[name], W, rtol=1e-15, atol=1e-250)


def test_same_seed_same_bits_other_seed_other_run(moons):
    cfg = quick(keep_prob=0.8, l2=0.1)
    a, b = train(cfg, moons), train(cfg, moons)
    for k in METRICS:
        np.testing.assert_array_equal(a.history[k], b.history[k])
    np.testing.assert_array_equal(a.step_cost, b.step_cost)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    c = train(TrainConfig(**{**cfg.to_dict(), "layers": (5, 2), "seed": 1}), moons)
    assert not np.array_equal(a.step_cost, c.step_cost)


def test_callback_sees_each_epoch_and_can_stop(moons):
    seen = []

    def stop_at_7(m):
        seen.append(m)
        return m.epoch == 7

    r = train(quick(), moons, callback=stop_at_7)
    assert r.status == "stopped" and r.epochs_run == 7
    assert [m.epoch for m in seen] == list(range(1, 8))
    assert [m.val_cost for m in seen] == list(r.history["val_cost"])


def test_learning_rate_curve_follows_the_schedule(moons):
    r = train(quick(decay="inverse-time", decay_rate=0.5, epochs=4), moons)
    assert list(r.history["lr"]) == pytest.approx([0.01, 0.01 / 1.5, 0.01 / 2, 0.01 / 2.5])


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "rmsprop", "adam"])
def test_a_huge_learning_rate_is_reported_as_diverged_never_as_nan(moons, optimizer):
    r = train(quick(optimizer=optimizer, alpha=1e4, epochs=50, init="xavier"), moons)
    assert r.status == "diverged", r.reason
    assert "exploded" in r.reason or "non-finite" in r.reason
    assert r.epochs_run < 50
    assert all(np.isfinite(v).all() for v in r.history.values())
    assert all(v is None or math.isfinite(v) for v in r.final.values())


def test_float32_runs_in_float32(moons):
    r = train(quick(dtype="float32"), moons)
    assert r.status == "completed"
    assert all(p.dtype == np.float32 for p in r.params.values())


def test_standardizer_is_fitted_on_the_training_split_only(moons):
    cfg = quick(epochs=1)
    r = train(cfg, moons)
    parts = data.split(moons, cfg.val_fraction, seed=_split_seed(cfg.seed))
    np.testing.assert_allclose(r.standardizer.mean_, parts.X_train.mean(axis=0))
    assert not np.allclose(r.standardizer.mean_, moons.X.mean(axis=0))


def _split_seed(seed):
    return int(np.random.SeedSequence(seed).spawn(4)[0].generate_state(1)[0])


def test_softmax_output_for_many_classes():
    digits = data.load(data.DataSpec("digits"))
    r = train(quick(layers=(32,), epochs=15, batch_size=128, alpha=0.003), digits)
    assert r.status == "completed"
    assert r.params["W2"].shape == (10, 32)
    assert r.final["val_accuracy"] > 0.85


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(alpha=0), "alpha must be > 0"),
        (dict(beta=1.0, optimizer="momentum"), "beta must be in [0, 1)"),
        (dict(batch_size=0), "batch size must be >= 1"),
        (dict(epochs=0), "epochs must be >= 1"),
        (dict(keep_prob=0), "keep_prob must be in (0, 1]"),
        (dict(keep_prob=1.5), "keep_prob must be in (0, 1]"),
        (dict(optimizer="adagrad"), "unknown optimizer 'adagrad'"),
        (dict(init="ones"), "unknown init 'ones'"),
        (dict(activation="gelu"), "unknown activation 'gelu'"),
        (dict(dtype="float16"), "unknown dtype 'float16'"),
        (dict(val_fraction=0), "validation fraction must be in (0, 1)"),
        (dict(l2=-1), "L2 lambda must be finite and >= 0"),
        (dict(l2=float("inf")), "L2 lambda must be finite and >= 0"),
        (dict(epsilon=float("inf")), "epsilon must be > 0 and finite"),
        (dict(beta1=float("nan"), optimizer="gd"), "beta1 must be in [0, 1)"),  # unused, checked
        (dict(seed=-1), "seed must be a whole number >= 0"),
        (dict(seed=1.5), "seed must be a whole number >= 0"),
        (dict(decay="inverse-time", decay_rate=-1), "decay rate must be >= 0"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(moons, kwargs, message):
    with pytest.raises(ConfigError) as err:
        train(TrainConfig(**kwargs), moons)
    assert message in str(err.value)


def test_the_course_claim_adam_beats_gd_and_momentum_at_alpha_0_0007(moons):
    """The course's setup (300 moons, noise 0.2, 5-2 relu, He init, batch 64, alpha 0.0007, 5000
    epochs): Adam reaches clearly higher training accuracy than mini-batch GD and Momentum, and
    Momentum's impact is almost negligible at this small alpha."""
    acc = {}
    for optimizer in ("gd", "momentum", "adam"):
        cfg = TrainConfig(optimizer=optimizer, alpha=0.0007, epochs=5000, init="he")
        acc[optimizer] = train(cfg, moons).final["train_accuracy"]
    assert acc["adam"] >= 0.93, acc
    assert 0.75 <= acc["gd"] <= 0.88 and 0.75 <= acc["momentum"] <= 0.88, acc
    assert acc["adam"] - max(acc["gd"], acc["momentum"]) >= 0.08, acc
    assert abs(acc["momentum"] - acc["gd"]) <= 0.02, acc


def test_time_spent_in_the_callback_is_not_training_time(moons, monkeypatch):
    """On a clock that only the callback moves, training took no time and the callback all."""
    import core.train

    now = [0.0]
    monkeypatch.setattr(core.train, "perf_counter", lambda: now[0])

    def slow(m):
        now[0] += 5.0

    r = train(quick(epochs=10), moons, callback=slow)
    assert r.callback_seconds == 50.0
    assert r.seconds == 0.0


@pytest.mark.parametrize("optimizer", ["gd", "adam"])
@pytest.mark.parametrize("alpha, l2", [(0.01, 0), (1e3, 0), (1e6, 0), (0.1, 1e300), (1e3, 1e300)])
def test_only_a_run_whose_final_figures_are_finite_is_completed(moons, optimizer, alpha, l2):
    """A sweep tells Optuna a completed run's objective, which must be a number: the per-step,
    validation and explosion checks end any run that would not have one as diverged."""
    r = train(TrainConfig(optimizer=optimizer, alpha=alpha, l2=l2, epochs=5), moons)
    assert r.status in ("completed", "diverged"), r.reason
    if r.status == "completed":
        assert all(math.isfinite(r.final[k]) for k in ("train_cost", "val_cost")), r.final
    if alpha == 0.01 and l2 == 0:
        assert r.status == "completed"  # the case that must complete does
