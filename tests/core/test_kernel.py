"""The compiled epoch (core.kernel) against the NumPy loop it replaces, PyTorch's autograd and
torch.optim (a population member is its lone run: tests/core/test_population.py).

The kernel sums a batch sample after sample where NumPy's BLAS products sum in blocks, so the
two loops agree to rounding: 1e-10 relative in float64, 1e-4 in float32 over these runs, on
configs away from the divergence and "learned nothing" thresholds (where a last-bit difference
may flip a status). Its update rules and activations, applied to the same numbers, are the
NumPy ones to the bit in both dtypes (no float64 constant creeps into float32 code), but for
float32 exp and tanh, where NumPy's own SIMD versions and the C library's differ by an ulp.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from core import activations, data, optimizers
from core.errors import ConfigError
from core.network import Architecture
from core.train import METRICS, TrainConfig, compiled_kernel, setup, train
from tests.core.kernels import loop


@pytest.fixture(scope="module")
def moons():
    return data.load(data.DataSpec("moons"))  # 240 training rows, 60 validation


@pytest.fixture(scope="module")
def spiral():
    return data.load(data.DataSpec("spiral", samples=150))  # three classes: softmax


def both(config, dataset, callback=None):
    with loop("numba"):
        compiled = train(config, dataset, callback)
    with loop("numpy"):
        reference = train(config, dataset, callback)
    return compiled, reference


def assert_close(a, b, rtol):
    """Two runs of one config: the same outcome, curves and weights to `rtol`."""
    assert (a.status, a.reason, a.epochs_run, a.n_batches) == (
        b.status, b.reason, b.epochs_run, b.n_batches,
    )  # fmt: skip
    for key in METRICS:
        np.testing.assert_allclose(a.history[key], b.history[key], rtol=rtol, err_msg=key)
    np.testing.assert_allclose(a.step_cost, b.step_cost, rtol=rtol)
    np.testing.assert_allclose(a.initial_cost, b.initial_cost, rtol=rtol)
    for name, W in b.params.items():
        assert a.params[name].dtype == W.dtype
        np.testing.assert_allclose(a.params[name], W, rtol=rtol * 100, atol=rtol, err_msg=name)
    for key, value in b.final.items():
        np.testing.assert_allclose(a.final[key], value, rtol=rtol, err_msg=key)


CASES = {
    "adam": dict(),
    "adam-uncorrected-exponential": dict(bias_correction=False, decay="exponential",
                                         decay_rate=0.05),
    "gd-sigmoid-inverse-time": dict(optimizer="gd", activation="sigmoid", alpha=0.3,
                                    decay="inverse-time", decay_rate=0.1),
    "momentum-tanh-staircase": dict(optimizer="momentum", activation="tanh", alpha=0.1,
                                    decay="staircase", decay_rate=0.5, time_interval=3),
    "rmsprop-leaky-sqrt": dict(optimizer="rmsprop", activation="leaky_relu", decay="sqrt",
                               decay_rate=0.2, beta=0.8, epsilon=1e-6),
    "l2-dropout-deeper": dict(l2=0.3, keep_prob=0.8, layers=(6, 4, 3)),
    "sgd": dict(optimizer="gd", batch_size=1, epochs=4, alpha=0.005, init="xavier"),
    "batch-gd": dict(batch_size=10_000, epochs=60, keep_prob=0.9),
    "unnormalized-odd-batch": dict(normalize=False, batch_size=37, val_fraction=0.3),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_the_kernel_is_the_numpy_loop_in_float64(moons, case):
    config = TrainConfig(**{"epochs": 30, "alpha": 0.01, **CASES[case]})
    compiled, reference = both(config, moons)
    assert compiled.status == "completed"
    assert reference.history["train_accuracy"][-1] > 0.6  # it learned: away from the threshold
    assert_close(compiled, reference, rtol=1e-10)


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-10), ("float32", 1e-4)])
def test_softmax_with_dropout_and_l2_in_both_dtypes(spiral, dtype, rtol):
    config = TrainConfig(layers=(8, 6), activation="tanh", keep_prob=0.85, l2=0.1,
                         batch_size=16, epochs=25, alpha=0.01, dtype=dtype)  # fmt: skip
    assert_close(*both(config, spiral), rtol=rtol)


def test_float32_runs_in_float32_close_to_numpy(moons):
    config = TrainConfig(epochs=30, alpha=0.01, dtype="float32", activation="sigmoid", l2=0.2)
    compiled, reference = both(config, moons)
    assert compiled.params["W1"].dtype == np.float32
    assert_close(compiled, reference, rtol=1e-4)


def test_divergence_is_judged_alike(moons):
    """Each way a run diverges, in the NumPy loop's words, at the same step."""
    leaky = dict(epochs=4, activation="leaky_relu")
    configs = [
        TrainConfig(**leaky, optimizer="gd", alpha=1e300, batch_size=16, seed=2),  # mid-epoch
        TrainConfig(**leaky, optimizer="gd", alpha=1e300, batch_size=10_000, seed=3),  # val
        TrainConfig(
            optimizer="gd",
            alpha=30.0,
            batch_size=1,
            epochs=20,
            activation="tanh",
            diverge_factor=1.5,
        ),
    ]
    reasons = []
    for config in configs:
        with np.errstate(all="ignore"):
            compiled, reference = both(config, moons)
        assert compiled.status == reference.status == "diverged"
        assert compiled.reason == reference.reason
        assert compiled.epochs_run == reference.epochs_run
        np.testing.assert_allclose(compiled.step_cost, reference.step_cost, rtol=1e-10)
        reasons.append(compiled.reason)
    assert reasons[0] == "non-finite cost in epoch 1, mini-batch 2"
    assert reasons[1] == "non-finite validation cost after epoch 1"
    assert reasons[2].startswith("cost exploded in epoch")
    huge = data.Dataset(moons.X * 1e307, moons.y, 2, "huge")  # raw inputs overflow Z[1]
    with np.errstate(all="ignore"):
        compiled, reference = both(TrainConfig(epochs=2, normalize=False), huge)
    assert compiled.reason == reference.reason == "non-finite cost at initialization"


def test_callbacks_see_every_epoch_and_stop_alike(moons):
    seen = {"numba": [], "numpy": []}
    for name, log in seen.items():
        with loop(name):
            r = train(
                TrainConfig(epochs=10), moons, lambda m, log=log: log.append(m) or m.epoch == 6
            )
        assert r.status == "stopped" and r.reason == "stopped by callback after epoch 6"
    assert (
        [m.epoch for m in seen["numba"]] == [m.epoch for m in seen["numpy"]] == [1, 2, 3, 4, 5, 6]
    )
    for a, b in zip(seen["numba"], seen["numpy"], strict=True):
        assert a.val_cost == pytest.approx(b.val_cost, rel=1e-10)


# --- PyTorch: autograd for the gradients, torch.optim for the updates ------------------------


def torch_run(config, dataset):
    """The same network trained by torch.optim from the same initial weights, in the same
    mini-batches (the order drawn from the run's shuffle stream): the per-step costs and the
    final weights."""
    s = setup(config, dataset)
    params = {k: torch.tensor(v, requires_grad=True) for k, v in s.params.copy().items()}
    c = config
    if c.optimizer == "gd":
        opt = torch.optim.SGD(params.values(), lr=c.alpha)
    elif c.optimizer == "rmsprop":
        opt = torch.optim.RMSprop(params.values(), lr=c.alpha, alpha=c.beta, eps=c.epsilon)
    else:
        opt = torch.optim.Adam(params.values(), lr=c.alpha, betas=(c.beta1, c.beta2),
                               eps=c.epsilon, foreach=False)  # fmt: skip
    X, Y = torch.tensor(s.X_train), torch.tensor(s.Y_train)
    m, L = X.shape[1], len(params) // 2
    costs = []
    for _ in range(c.epochs):
        order = s.shuffle_rng.permutation(m) if c.batch_size < m else np.arange(m)
        for k in range(0, m, c.batch_size):
            idx = torch.tensor(order[k : k + c.batch_size])
            A = X[:, idx]
            for l in range(1, L + 1):
                Z = params[f"W{l}"] @ A + params[f"b{l}"]
                A = torch.relu(Z)
            J = torch.nn.functional.binary_cross_entropy_with_logits(Z, Y[:, idx])
            J = J + c.l2 / (2 * m) * sum((params[f"W{l}"] ** 2).sum() for l in range(1, L + 1))
            opt.zero_grad()
            J.backward()
            opt.step()
            costs.append(float(J.detach()))
    return np.array(costs), {k: v.detach().numpy() for k, v in params.items()}


@pytest.mark.parametrize("optimizer", ["gd", "rmsprop", "adam"])
def test_the_kernel_trains_as_torch_optim_does(moons, optimizer):
    config = TrainConfig(optimizer=optimizer, alpha=0.01, l2=0.2, batch_size=64, epochs=10)
    with loop("numba"):
        r = train(config, moons)
    costs, weights = torch_run(config, moons)
    np.testing.assert_allclose(r.step_cost, costs, rtol=1e-9)
    for name, W in weights.items():
        np.testing.assert_allclose(r.params[name], W, rtol=1e-7, atol=1e-10, err_msg=name)


# --- the pieces, to the bit ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", optimizers.OPTIMIZERS)
def test_the_kernel_update_is_core_optimizers_to_the_bit(name, dtype):
    """Three steps of each rule on the same gradients: the very bits of core.optimizers."""
    from core import kernel

    rng = np.random.default_rng(1)
    theta = rng.standard_normal(50).astype(dtype)
    config = TrainConfig(optimizer=name, alpha=0.03, beta=0.8, beta1=0.85, beta2=0.99,
                         epsilon=1e-5, dtype=dtype)  # fmt: skip
    reference = optimizers.make(name, **config._optimizer_kwargs())
    hyper = np.array([0.03, 0.8, 1 - 0.8, 0.85, 1 - 0.85, 0.99, 1 - 0.99, 1e-5, 0, 1]).astype(dtype)
    compiled, s1, s2 = theta.copy(), np.zeros_like(theta), np.zeros_like(theta)
    for t in range(1, 4):
        g = rng.standard_normal(50).astype(dtype)
        reference.step({"theta": theta}, {"theta": g})
        c1, c2 = kernel.adam_corrections(np.array([0.85, 0.99]), t, True)
        step, c2 = np.array([0.03 / c1, c2]).astype(dtype)
        kernel.update(list(optimizers.OPTIMIZERS).index(name), compiled, g, s1, s2, hyper,
                      step, c2)  # fmt: skip
        np.testing.assert_array_equal(compiled, theta)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(activations.ACTIVATIONS))
def test_the_kernel_activations_are_core_activations_to_the_bit(name, dtype):
    from core import kernel

    z = np.array([-40, -3.5, -1, -0.25, -0.0, 0.0, 1e-3, 0.5, 2, 35], dtype=dtype)
    dA = np.linspace(-2, 3, z.size).astype(dtype)
    g = activations.ACTIVATIONS[name]
    a = g.forward(z)
    kind = list(activations.ACTIVATIONS).index(name)
    got = np.array([kernel.activation(kind, v) for v in z], dtype=dtype)
    if dtype == "float32" and name in ("tanh", "sigmoid"):
        # NumPy's own SIMD expf/tanhf and the C library's differ by an ulp at times
        np.testing.assert_array_max_ulp(got, a, maxulp=1)
    else:  # relu's and leaky relu's 0.01 z: arithmetic in the dtype, to the bit
        np.testing.assert_array_equal(got, a)
    back = [kernel.activation_backward(kind, d, v, w) for d, v, w in zip(dA, z, a, strict=True)]
    np.testing.assert_array_equal(np.array(back, dtype=dtype), g.backward(dA, z, a))


def test_the_kernel_is_compiled_without_fastmath_and_without_svml():
    import numba

    from core import kernel

    assert numba.config.DISABLE_INTEL_SVML
    for f in (kernel.epoch, kernel.evaluate, kernel.update, kernel.activation):
        assert not f.targetoptions.get("fastmath"), f
        assert f.targetoptions.get("nogil"), f


# --- which loop -----------------------------------------------------------------------------


def test_the_kernel_is_chosen_by_size_and_the_environment_can_force_either(monkeypatch):
    small, large = Architecture((2, 5, 2, 1)), Architecture((64, 128, 64, 10))
    assert large.n_params > 10_000
    monkeypatch.delenv("OPTSWEEP_KERNEL", raising=False)
    assert compiled_kernel(small) and not compiled_kernel(large)
    monkeypatch.setenv("OPTSWEEP_KERNEL", "numpy")
    assert not compiled_kernel(small)
    monkeypatch.setenv("OPTSWEEP_KERNEL", "numba")
    assert compiled_kernel(large)
    monkeypatch.setenv("OPTSWEEP_KERNEL", "fortran")
    with pytest.raises(ConfigError, match="OPTSWEEP_KERNEL must be auto, numba or numpy"):
        compiled_kernel(small)


def test_optsweep_kernel_numpy_never_calls_the_kernel(moons, monkeypatch):
    import core.train

    def refuse(*args, **kwargs):
        raise AssertionError("the compiled run was used")

    monkeypatch.setattr(core.train, "CompiledRun", refuse)
    with loop("numpy"):
        assert train(TrainConfig(epochs=2), moons).status == "completed"
    with loop("numba"), pytest.raises(AssertionError, match="compiled run"):
        train(TrainConfig(epochs=2), moons)


def test_a_read_only_package_folder_caches_in_the_user_cache_folder(tmp_path):
    """An installed wheel's folder may be read-only: the compiled code is cached in the user's
    cache folder instead (NUMBA_CACHE_DIR), and never where it cannot be written."""
    import subprocess
    import sys

    probe = (
        "import os\n"
        "real = os.access\n"
        "os.access = lambda p, mode: False if str(p).endswith('core') else real(p, mode)\n"
        "import core.kernel, numba\n"
        "print(os.environ['NUMBA_CACHE_DIR'], numba.config.CACHE_DIR)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                         check=True).stdout.split()  # fmt: skip
    assert out[0] == out[1] and out[0].startswith(str(tmp_path)), out
