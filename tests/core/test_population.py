"""Population training: every member's result is the lone run's, whatever the population."""

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import data
from core.errors import ConfigError
from core.network import Architecture
from core.population import member_bytes, plan, train_population
from core.train import METRICS, TrainConfig, compiled_kernel, train
from tests.core.kernels import LOOPS, loop


@pytest.fixture(scope="module")
def moons():
    return data.load(data.DataSpec("moons", samples=150))  # 120 training rows, 30 validation


@pytest.fixture(scope="module")
def spiral():
    return data.load(data.DataSpec("spiral", samples=120))  # three classes: a softmax output


def stop_after(epoch: int | None, log: list):
    """A callback that records what it sees and stops training after `epoch` (None: never)."""

    def callback(metrics):
        log.append(metrics)
        return epoch is not None and metrics.epoch >= epoch

    return callback


def assert_same(result, lone, rtol=1e-10):
    """The population's result for a config against train's for the same config."""
    for key in ("status", "reason", "epochs_run", "n_batches"):
        assert getattr(result, key) == getattr(lone, key), key
    assert set(result.history) == set(lone.history) == set(METRICS)
    for key in METRICS:
        np.testing.assert_allclose(result.history[key], lone.history[key], rtol=rtol)
    np.testing.assert_allclose(result.step_cost, lone.step_cost, rtol=rtol)
    np.testing.assert_allclose(result.initial_cost, lone.initial_cost, rtol=rtol)
    assert set(result.params) == set(lone.params)
    for name, W in lone.params.items():
        assert result.params[name].dtype == W.dtype
        np.testing.assert_allclose(result.params[name], W, rtol=rtol, atol=1e-300)
    assert result.final.keys() == lone.final.keys()
    for key, value in lone.final.items():
        if value is None:
            assert result.final[key] is None, key
        else:
            np.testing.assert_allclose(result.final[key], value, rtol=rtol, err_msg=key)
    if lone.standardizer is None:
        assert result.standardizer is None
    else:
        np.testing.assert_array_equal(result.standardizer.mean_, lone.standardizer.mean_)
        np.testing.assert_array_equal(result.standardizer.std_, lone.standardizer.std_)


def assert_same_calls(seen, lone_seen, rtol=1e-10):
    assert [m.epoch for m in seen] == [m.epoch for m in lone_seen]
    for got, want in zip(seen, lone_seen, strict=True):
        for key in METRICS:
            np.testing.assert_allclose(getattr(got, key), getattr(want, key), rtol=rtol)


def check_population(configs, dataset, stops=None, path=None):
    """Train the population with stopping callbacks, each member's config alone with the same
    callback, and compare every result and every callback call: bit for bit on the compiled
    epoch (the lone run and the member call the same function on the same values), to 1e-10
    on the NumPy loop's stacked arrays (`path`: which loop; None: the default choice)."""
    if path is not None:
        with loop(path):
            return check_population(configs, dataset, stops)
    stops = stops or [None] * len(configs)
    logs = [[] for _ in configs]
    results = train_population(
        configs, dataset, [stop_after(s, log) for s, log in zip(stops, logs, strict=True)]
    )
    assert len(results) == len(configs)
    for config, result, stop, log in zip(configs, results, stops, logs, strict=True):
        lone_log = []
        lone = train(config, dataset, stop_after(stop, lone_log))
        assert result.config is config
        arch = Architecture.for_data(dataset.X.shape[1], config.layers, dataset.n_classes, "relu")
        rtol = 0 if compiled_kernel(arch) else 1e-10
        assert_same(result, lone, rtol)
        assert_same_calls(log, lone_log, rtol)
    return results


# --- the contract on random populations ------------------------------------------------------

alphas = st.one_of(
    st.floats(1e-4, 0.3), st.sampled_from([50.0, 1e4, 1e300])
)  # mostly trainable, some that diverge (exploding, or non-finite with leaky relu)
member = st.fixed_dictionaries(
    {
        "optimizer": st.sampled_from(["gd", "momentum", "rmsprop", "adam"]),
        "alpha": alphas,
        "beta": st.floats(0.0, 0.99),
        "beta1": st.floats(0.5, 0.99),
        "beta2": st.floats(0.9, 0.9999),
        "epsilon": st.sampled_from([1e-8, 1e-6, 1e-4]),
        "bias_correction": st.sampled_from([True, True, False]),  # Adam without it too
        "batch_size": st.sampled_from([1, 3, 16, 32, 50, 64, 120, 10_000]),
        "epochs": st.integers(1, 4),
        "decay": st.sampled_from(["none", "inverse-time", "exponential", "sqrt", "staircase"]),
        "decay_rate": st.floats(0.0, 0.5),
        "l2": st.sampled_from([0.0, 0.0, 0.05, 1.0]),
        "keep_prob": st.sampled_from([1.0, 1.0, 0.5, 0.85]),
        "seed": st.integers(0, 2**31 - 1),
        "init": st.sampled_from(["he", "xavier", "random", "zeros"]),
        "normalize": st.sampled_from([True, True, False]),
        "val_fraction": st.sampled_from([0.2, 0.2, 0.25]),  # another split size: another group
        "diverge_factor": st.sampled_from([10.0, 1.2]),
        "activation": st.sampled_from(["relu", "relu", "leaky_relu"]),  # another group
        "stop": st.one_of(st.none(), st.integers(1, 3)),  # the callback stops it after this epoch
    }
)


def _config(m: dict, **extra) -> TrainConfig:
    m = {k: v for k, v in m.items() if k != "stop" and k not in extra}
    if m["decay"] == "none":
        m["decay_rate"] = 0.0
    if m["decay"] == "staircase":
        m["time_interval"] = 2
    return TrainConfig(**m, **extra)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(member, min_size=2, max_size=8), st.sampled_from(LOOPS))  # one: train itself
def test_every_member_of_a_random_population_is_its_lone_run(moons, members, path):
    """Mixed batch sizes (SGD to batch GD), optimizers, schedules, L2, dropout, seeds and epoch
    counts in one population, members pruned by their callbacks and diverging among the rest;
    on the compiled epoch and on the NumPy loop, half the examples each."""
    configs = [_config(m) for m in members]
    check_population(configs, moons, [m["stop"] for m in members], path)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(member, min_size=2, max_size=5),
    st.sampled_from(["tanh", "sigmoid", "leaky_relu"]),
    st.sampled_from(["float32", "float64"]),
)
def test_softmax_float32_and_other_activations(spiral, members, activation, dtype):
    configs = [_config(m, activation=activation, dtype=dtype, layers=(6, 3)) for m in members]
    for path in LOOPS:
        check_population(configs, spiral, [m["stop"] for m in members], path)


# --- how members end -------------------------------------------------------------------------


@pytest.mark.parametrize("path", LOOPS)
def test_diverging_members_retire_alone(moons, path):
    """Huge-alpha members diverge (each kind of divergence, with train's reason) while the
    members beside them train on as if alone."""
    leaky = dict(epochs=4, activation="leaky_relu")
    configs = [
        TrainConfig(**leaky, batch_size=16, seed=1),
        TrainConfig(**leaky, optimizer="gd", alpha=1e300, batch_size=16, seed=2),  # mid-epoch
        TrainConfig(**leaky, optimizer="gd", alpha=1e300, batch_size=10_000, seed=3),  # val
        TrainConfig(**leaky, optimizer="gd", alpha=30.0, batch_size=16, diverge_factor=1.5),
        TrainConfig(**leaky, batch_size=16, seed=4, keep_prob=0.8),
    ]
    results = check_population(configs, moons, path=path)
    reasons = [r.reason for r in results]
    assert reasons[0] == reasons[4] == "trained 4 epochs"
    assert reasons[1] == "non-finite cost in epoch 1, mini-batch 2"
    assert reasons[2] == "non-finite validation cost after epoch 1"
    assert reasons[3].startswith("cost exploded in epoch")
    assert [r.status for r in results] == ["completed", *["diverged"] * 3, "completed"]


@pytest.mark.parametrize("path", LOOPS)
def test_a_member_non_finite_at_initialization(moons, path):
    huge = data.Dataset(moons.X * 1e307, moons.y, 2, "huge")  # raw inputs overflow Z[1]
    configs = [
        TrainConfig(epochs=2, normalize=False),
        TrainConfig(epochs=2, normalize=False, init="zeros"),  # Z = 0 whatever the inputs
    ]
    with np.errstate(all="ignore"):
        results = check_population(configs, huge, path=path)
    assert results[0].reason == "non-finite cost at initialization"
    assert results[0].epochs_run == 0 and results[0].step_cost.size == 0
    assert results[1].status == "completed"


@pytest.mark.parametrize("path", LOOPS)
def test_callbacks_prune_members_and_are_called_epoch_by_epoch_in_config_order(moons, path):
    calls = []

    def recorder(i, stop):
        def callback(metrics):
            calls.append((metrics.epoch, i))
            return metrics.epoch == stop

        return callback

    configs = [TrainConfig(epochs=5, batch_size=bs, seed=i) for i, bs in enumerate([64, 16, 64])]
    with loop(path):
        results = train_population(configs, moons, [recorder(0, 2), None, recorder(2, 99)])
    assert calls == [(1, 0), (1, 2), (2, 0), (2, 2), (3, 2), (4, 2), (5, 2)]
    assert [r.status for r in results] == ["stopped", "completed", "completed"]
    assert results[0].reason == "stopped by callback after epoch 2"
    assert results[0].epochs_run == 2 and results[0].step_cost.size == 2 * 2
    assert [r.epochs_run for r in results] == [2, 5, 5]


def test_a_population_of_copies_trains_each_as_alone(moons):
    """The ideal population: one configuration over many seeds, all in one cohort."""
    configs = [TrainConfig(epochs=3, keep_prob=0.7, l2=0.1, seed=s) for s in range(12)]
    results = check_population(configs, moons)
    assert len({r.final["val_cost"] for r in results}) == 12


# --- groups, passes and memory ---------------------------------------------------------------


def test_members_that_cannot_share_a_pass_run_in_separate_groups(moons):
    """The NumPy loop's groups (the compiled epoch needs none: each member is its own)."""
    configs = [
        TrainConfig(epochs=2, seed=0),
        TrainConfig(epochs=2, seed=1, layers=(4,)),  # another architecture
        TrainConfig(epochs=2, seed=2, dtype="float32"),  # another dtype
        TrainConfig(epochs=2, seed=3, batch_size=16),  # same group, another cohort
        TrainConfig(epochs=2, seed=4, activation="tanh"),
        TrainConfig(epochs=2, seed=5, val_fraction=0.3),  # another split size
        TrainConfig(epochs=2, seed=6, normalize=False),  # shares the first group
    ]
    assert plan(configs, moons) == [[0, 3, 6], [1], [2], [4], [5]]
    for path in LOOPS:
        check_population(configs, moons, path=path)


def test_a_population_over_the_memory_budget_is_split_into_passes(moons):
    configs = [TrainConfig(epochs=2, batch_size=bs, seed=i) for i, bs in enumerate([8, 64] * 5)]
    sizes = [member_bytes(c, moons) for c in configs]
    budget = 3 * max(sizes)
    passes = plan(configs, moons, memory_budget=budget)
    assert len(passes) > 1 and sorted(i for p in passes for i in p) == list(range(10))
    assert all(sum(sizes[i] for i in p) <= budget for p in passes)
    assert plan(configs, moons, memory_budget=1) == [[i] for i in (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)]
    assert plan(configs, moons) == [list(range(10))]
    for path in LOOPS:
        with loop(path):
            split = train_population(configs, moons, memory_budget=budget)
            whole = train_population(configs, moons)
        for a, b in zip(split, whole, strict=True):
            assert_same(a, b, rtol=0)
    check_population(configs[:4], moons, path="numpy")


@pytest.mark.parametrize("path", LOOPS)
def test_memory_grows_with_batch_buffers_not_a_copy_of_the_data_per_member(path):
    """On a data set of 40 features, each member adds far less memory than the standardized
    training split train holds per run (the full passes' buffers are bounded apart)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 40))
    wide = data.Dataset(X, (X[:, 0] > 0).astype(np.int64), 2, "wide")
    split_bytes = 2400 * 40 * 8  # one member's standardized training split, float64

    def peak(P: int) -> int:
        configs = [TrainConfig(epochs=2, batch_size=32, seed=s) for s in range(P)]
        tracemalloc.start()
        with loop(path):
            train_population(configs, wide)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    per_member = (peak(24) - peak(8)) / 16
    assert 0 < per_member < split_bytes / 2


# --- arguments -------------------------------------------------------------------------------


def test_bad_arguments_raise_config_errors(moons):
    with pytest.raises(ConfigError, match="at least one config"):
        train_population([], moons)
    with pytest.raises(ConfigError, match="learning rate alpha must be > 0") as caught:
        train_population([{"epochs": 2}, {"alpha": -1.0}], moons)
    with pytest.raises(ConfigError) as lone:
        TrainConfig(alpha=-1.0)
    assert str(caught.value) == str(lone.value)
    with pytest.raises(ConfigError, match="callbacks has 1 entries for 2 configs"):
        train_population([TrainConfig(), TrainConfig()], moons, [None])
    with pytest.raises(ConfigError, match="not a callable"):
        train_population([TrainConfig()], moons, ["print"])
    with pytest.raises(ConfigError, match="list of configs"):
        train_population(TrainConfig(), moons)


def test_configs_may_be_mappings_and_results_keep_train_s_fields(moons):
    results = train_population([{"epochs": 2, "seed": 3}], moons)
    lone = train(TrainConfig(epochs=2, seed=3), moons)
    assert_same(results[0], lone, rtol=0)
    assert results[0].config == TrainConfig(epochs=2, seed=3)
    assert results[0].seconds > 0 and results[0].callback_seconds == 0.0
    assert math.isfinite(results[0].initial_cost)


# --- the compiled epoch: members on threads ----------------------------------------------------


def test_nothing_depends_on_the_threads_or_their_number(moons, monkeypatch):
    """Members of other architectures, dtypes and batch sizes (SGD to batch GD) in one pass,
    on 1, 2 or 3 threads: the same bits each time, and each member its lone run's."""
    import core.population

    configs = [
        TrainConfig(epochs=3, batch_size=1, seed=0, keep_prob=0.8),
        TrainConfig(epochs=5, batch_size=10_000, seed=1, optimizer="momentum"),
        TrainConfig(epochs=4, batch_size=16, seed=2, layers=(7,), dtype="float32"),
        TrainConfig(epochs=4, batch_size=64, seed=3, activation="tanh", l2=0.2),
        TrainConfig(epochs=2, batch_size=33, seed=4, optimizer="rmsprop", decay="sqrt",
                    decay_rate=0.3),
    ]  # fmt: skip
    runs = []
    for threads in (1, 2, 3):
        monkeypatch.setattr(core.population, "_threads", lambda threads=threads: threads)
        with loop("numba"):
            runs.append(check_population(configs, moons))
    for other in runs[1:]:
        for a, b in zip(runs[0], other, strict=True):
            assert_same(a, b, rtol=0)


def test_networks_too_large_for_the_kernel_train_beside_it_on_the_numpy_loop(moons):
    """Auto choice: a member over 10,000 parameters trains on the NumPy loop, the others on the
    compiled epoch, each its lone run's."""
    configs = [TrainConfig(epochs=2, seed=0), TrainConfig(epochs=2, seed=1, layers=(120, 90)),
               TrainConfig(epochs=2, seed=2, batch_size=16)]  # fmt: skip
    assert Architecture((2, 120, 90, 1)).n_params > 10_000
    with loop("auto"):
        check_population(configs, moons)


def test_local_worker_processes_share_the_cores(monkeypatch):
    """Each of N local workers gets its share of the cores for its population's threads (at
    least 1); a user's OPTSWEEP_THREADS wins; a bad one is refused in one line."""
    import core.population as population

    monkeypatch.delenv("OPTSWEEP_THREADS", raising=False)
    monkeypatch.setattr(population, "_cores", lambda: 4)
    assert population.threads_env(2)["OPTSWEEP_THREADS"] == "2"
    assert population.threads_env(8)["OPTSWEEP_THREADS"] == "1"
    assert population._threads() == 4
    monkeypatch.setenv("OPTSWEEP_THREADS", "3")
    assert population.threads_env(2)["OPTSWEEP_THREADS"] == "3" and population._threads() == 3
    monkeypatch.setenv("OPTSWEEP_THREADS", "many")
    with pytest.raises(ConfigError, match="OPTSWEEP_THREADS must be a whole number >= 1"):
        population._threads()
