"""The search space: each hyperparameter sampled on the course's scale, conditionals, defaults."""

import math
import tomllib

import optuna
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import defaults, optimizers
from core.train import TrainConfig
from sweeps import space

optuna.logging.set_verbosity(optuna.logging.WARNING)

N = 2000  # samples per scale test: the fraction below a midpoint has sd ~0.011


def make_space(text: str, *, grid: bool = False, optimizer: str = "adam") -> space.SearchSpace:
    return space.parse(tomllib.loads(text), fixed={}, optimizer=optimizer, grid=grid)


def sample(s: space.SearchSpace, n: int = N, seed: int = 0) -> list[tuple[dict, dict]]:
    """(values, Optuna params) of n trials drawn by RandomSampler on an in-memory study."""
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    out = []
    for _ in range(n):
        trial = study.ask()
        values = s.suggest(trial)
        out.append((values, dict(trial.params)))
        study.tell(trial, 0.0)
    return out


def fraction_below(xs, threshold) -> float:
    return sum(x < threshold for x in xs) / len(xs)


def test_beta_is_sampled_as_one_minus_beta_on_a_log_scale():
    s = make_space("beta1 = { low = 0.8, high = 0.999 }")
    betas = [v["beta1"] for v, _ in sample(s)]
    assert all(0.8 <= b <= 0.999 for b in betas)
    # 1 - beta log-uniform on [0.001, 0.2]: half lies below the geometric midpoint. Uniform beta
    # would put only ~7% there (beta above 0.986), so this tells the two scales apart.
    midpoint = math.sqrt((1 - 0.999) * (1 - 0.8))
    assert fraction_below([1 - b for b in betas], midpoint) == pytest.approx(0.5, abs=0.045)
    # ... and each decade of 1 - beta is equally likely: [0.001, 0.01) vs [0.01, 0.1)
    first = fraction_below([1 - b for b in betas], 0.01)
    second = fraction_below([1 - b for b in betas], 0.1) - first
    assert first == pytest.approx(second, abs=0.05)


def test_the_optuna_param_holds_one_minus_beta_on_a_log_distribution():
    s = make_space("beta2 = { low = 0.99, high = 0.9999 }")
    (entry,) = s.entries
    assert entry.param == "one_minus_beta2"
    dist = entry.distribution()
    assert isinstance(dist, optuna.distributions.FloatDistribution) and dist.log
    assert (dist.low, dist.high) == (pytest.approx(1e-4), pytest.approx(0.01))
    for values, params in sample(s, 50):
        assert values["beta2"] == 1 - params["one_minus_beta2"]


def test_alpha_is_log_uniform():
    s = make_space("alpha = { low = 1e-4, high = 1e-1 }")
    alphas = [v["alpha"] for v, _ in sample(s)]
    assert all(1e-4 <= a <= 1e-1 for a in alphas)
    assert fraction_below(alphas, math.sqrt(1e-4 * 1e-1)) == pytest.approx(0.5, abs=0.045)
    per_decade = [fraction_below(alphas, 10.0**k) - fraction_below(alphas, 10.0 ** (k - 1))
                  for k in (-3, -2, -1)]  # fmt: skip
    assert per_decade == pytest.approx([1 / 3] * 3, abs=0.045)


def test_batch_sizes_are_powers_of_two_within_bounds_each_exponent_alike():
    s = make_space("batch_size = { low = 32, high = 512 }")
    sizes = [v["batch_size"] for v, _ in sample(s)]
    assert set(sizes) == {32, 64, 128, 256, 512}
    assert all(isinstance(b, int) for b in sizes)
    for b in (32, 64, 128, 256, 512):
        assert sizes.count(b) / len(sizes) == pytest.approx(0.2, abs=0.04)


def test_decay_rate_and_keep_prob_are_uniform():
    s = make_space("decay_rate = { low = 0.0, high = 1.0 }\nkeep_prob = { low = 0.5, high = 1.0 }")
    drawn = sample(s)
    rates = [v["decay_rate"] for v, _ in drawn]
    keeps = [v["keep_prob"] for v, _ in drawn]
    assert fraction_below(rates, 0.5) == pytest.approx(0.5, abs=0.045)
    assert fraction_below(rates, 0.1) == pytest.approx(0.1, abs=0.03)  # not log: 10% below 0.1
    assert fraction_below(keeps, 0.75) == pytest.approx(0.5, abs=0.045)
    assert all(0.5 <= k <= 1.0 for k in keeps)


OPTIMIZERS_SPACE = """
optimizer = { choices = ["gd", "momentum", "rmsprop", "adam"], default = "adam" }
[gd]
alpha = { low = 1e-3, high = 1.0 }
[momentum]
alpha = { low = 1e-3, high = 1.0 }
beta = { low = 0.8, high = 0.99, default = true }
[rmsprop]
alpha = { low = 1e-4, high = 1e-1 }
beta = { low = 0.8, high = 0.999 }
[adam]
alpha = { low = 1e-4, high = 1e-1 }
beta1 = { low = 0.8, high = 0.999, default = true }
beta2 = { low = 0.99, high = 0.9999, default = 0.999 }
"""


def test_conditional_entries_are_suggested_only_for_the_chosen_optimizer():
    s = make_space(OPTIMIZERS_SPACE)
    seen = set()
    for values, params in sample(s, 400):
        chosen = values["optimizer"]
        seen.add(chosen)
        prefixes = {p.split(".")[0] for p in params if p != "optimizer"}
        assert prefixes == {chosen}
        assert set(values) == {"optimizer", *space.OPTIMIZER_PARAMS[chosen]} - {"epsilon"}
        if chosen == "momentum":
            assert "momentum.alpha" in params and "momentum.one_minus_beta" in params
            assert not any(p.startswith("adam.") for p in params)
        TrainConfig(**values)  # every sampled combination is a valid config
    assert seen == {"gd", "momentum", "rmsprop", "adam"}


def test_each_optimizer_has_its_own_alpha_range():
    s = make_space(OPTIMIZERS_SPACE)
    for values, _ in sample(s, 400):
        low, high = (1e-3, 1.0) if values["optimizer"] in ("gd", "momentum") else (1e-4, 1e-1)
        assert low <= values["alpha"] <= high


DEFAULT_SPACE = """
alpha = { low = 1e-4, high = 1e-1 }
beta1 = { low = 0.8, high = 0.999, default = true }
beta2 = { low = 0.99, high = 0.9999, default = true }
batch_size = { low = 16, high = 512, default = true }
decay_rate = { low = 0.0, high = 1.0, default = true }
epsilon = { low = 1e-10, high = 1e-6, default = true }
"""


def test_the_enqueued_default_trial_trains_with_exactly_the_textbook_values():
    s = make_space(DEFAULT_SPACE)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    study.enqueue_trial(s.default_params())
    values = s.suggest(study.ask())
    textbook = {k: defaults.TEXTBOOK_DEFAULTS[k]
                for k in ("beta1", "beta2", "batch_size", "decay_rate", "epsilon")}  # fmt: skip
    for name, value in textbook.items():
        assert values[name] == value and type(values[name]) is type(value), name  # exact
    assert 1e-4 <= values["alpha"] <= 1e-1  # no default: the sampler chose it
    assert s.defaults() == textbook


def test_default_params_are_raw_optuna_values():
    s = make_space(DEFAULT_SPACE)
    params = s.default_params()
    assert "alpha" not in params  # left to the sampler
    assert params["log2_batch_size"] == 6
    assert params["one_minus_beta1"] == 1 - defaults.BETA1
    assert params["decay_rate"] == 0.0


def test_conditional_defaults_only_for_the_default_optimizer():
    s = make_space(OPTIMIZERS_SPACE)
    assert s.default_params() == {
        "optimizer": "adam",
        "adam.one_minus_beta1": 1 - defaults.BETA1,
        "adam.one_minus_beta2": 1 - defaults.BETA2,
    }
    assert s.defaults() == {"optimizer": "adam", "beta1": 0.9, "beta2": 0.999}


def test_without_a_default_the_optimizer_default_is_its_first_choice():
    s = make_space(OPTIMIZERS_SPACE.replace(', default = "adam"', ""))
    assert s.default_params() == {}  # gd's alpha has no default: nothing textbook to try
    s = make_space(OPTIMIZERS_SPACE.replace('["gd", "momentum"', '["momentum", "gd"').replace(
        ', default = "adam"', ""
    ))  # fmt: skip
    assert s.defaults() == {"optimizer": "momentum", "beta": defaults.BETA}


def test_nothing_to_enqueue_without_defaults():
    assert make_space("alpha = { low = 1e-4, high = 1e-1 }").default_params() == {}
    only_optimizer = make_space('optimizer = { choices = ["gd", "adam"] }')
    assert only_optimizer.default_params() == {}


def test_grid_defaults_are_all_or_nothing():
    # GridSampler cannot fill a param the enqueued trial leaves open: enqueue all or nothing.
    partial = make_space(
        "alpha = { low = 1e-4, high = 1e-1, steps = 4 }\n"
        "beta1 = { low = 0.8, high = 0.999, default = true, steps = 3 }",
        grid=True,
    )
    assert partial.default_params() == {}
    full = make_space(
        "alpha = { low = 1e-4, high = 1e-1, steps = 4, default = 1e-3 }\n"
        "beta1 = { low = 0.8, high = 0.999, default = true, steps = 3 }",
        grid=True,
    )
    assert full.defaults() == {"alpha": 1e-3, "beta1": 0.9}


def test_values_from_params_inverts_suggest():
    for text in (DEFAULT_SPACE, OPTIMIZERS_SPACE):
        s = make_space(text)
        for values, params in sample(s, 200, seed=1):
            assert s.values_from_params(params) == values


def test_values_from_params_ignores_other_optimizers_params():
    s = make_space(OPTIMIZERS_SPACE)
    params = {"optimizer": "gd", "gd.alpha": 0.1, "adam.alpha": 0.01}
    assert s.values_from_params(params) == {"optimizer": "gd", "alpha": 0.1}


@given(st.floats(min_value=0.5, max_value=0.9999999))
def test_beta_round_trip_is_exact(beta):
    entry = make_space("beta = { low = 0.0, high = 0.9999999 }", optimizer="momentum").entries[0]
    assert entry.value(entry.raw(beta)) == beta


@given(st.floats(min_value=0.0, max_value=0.5))
def test_a_small_beta_default_round_trips_exactly(beta):
    # 1 - (1 - b) can miss b by an ulp below 0.5; the default trial must not.
    text = f"beta = {{ low = 0.0, high = 0.9, default = {beta!r} }}"
    entry = make_space(text, optimizer="momentum").entries[0]
    assert entry.value(entry.raw(entry.default)) == beta


@given(st.integers(min_value=0, max_value=20))
def test_batch_size_round_trip(k):
    entry = make_space("batch_size = { low = 1, high = 1048576 }").entries[0]
    assert entry.raw(2**k) == k and entry.value(k) == 2**k


def test_grid_steps_are_even_on_each_scale_and_inside_the_distribution():
    s = make_space(
        "alpha = { low = 1e-4, high = 1e-1, steps = 4 }\n"
        "beta1 = { low = 0.9, high = 0.999, steps = 3 }\n"
        "decay_rate = { low = 0.0, high = 1.0, steps = 5 }\n"
        "batch_size = { low = 32, high = 256 }\n"
        'optimizer = { choices = ["momentum", "adam"] }',
        grid=True,
    )
    grid = s.grid()
    assert grid["alpha"] == [1e-4, 1e-3, 1e-2, 1e-1]
    beta1 = s.entry("one_minus_beta1")
    assert [beta1.value(r) for r in grid["one_minus_beta1"]] == pytest.approx([0.9, 0.99, 0.999])
    assert grid["decay_rate"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert grid["log2_batch_size"] == [5, 6, 7, 8]
    assert grid["optimizer"] == ["momentum", "adam"]
    assert s.grid_size() == 4 * 3 * 5 * 4 * 2
    for e in s.entries:  # every grid point lies in the distribution the sampler is given
        dist = e.distribution()
        if isinstance(dist, optuna.distributions.CategoricalDistribution):
            assert set(grid[e.param]) <= set(dist.choices), e.param
        else:
            assert all(dist.low <= v <= dist.high for v in grid[e.param]), e.param


def test_explicit_grid_values_are_in_hyperparameter_units():
    s = make_space(
        "beta2 = { low = 0.99, high = 0.9999, grid = [0.99, 0.999] }\n"
        "batch_size = { low = 16, high = 512, grid = [32, 512] }",
        grid=True,
    )
    assert s.grid()["log2_batch_size"] == [5, 9]
    entry = s.entry("one_minus_beta2")
    assert [entry.value(r) for r in s.grid()["one_minus_beta2"]] == [0.99, 0.999]


def test_optimizer_params_match_the_update_rules_in_core():
    # Which hyperparameters each rule reads, from the rule objects core builds.
    attribute = {
        "lr": "alpha",
        "beta": "beta",
        "beta1": "beta1",
        "beta2": "beta2",
        "eps": "epsilon",
    }
    assert set(space.OPTIMIZER_PARAMS) == set(optimizers.OPTIMIZERS)
    for name, used in space.OPTIMIZER_PARAMS.items():
        rule = optimizers.make(name, lr=0.1)
        assert {attribute[a] for a in vars(rule) if a in attribute} == set(used), name


def test_every_searchable_name_is_a_train_config_field():
    fields = set(TrainConfig.__dataclass_fields__)
    assert set(space.SEARCHABLE) <= fields
    assert set(defaults.TEXTBOOK_DEFAULTS) <= set(space.SEARCHABLE)
