"""What runs say: epochs and seconds to a target, final values, dead seeds."""

from __future__ import annotations

import math

import pytest

from findings import evidence, rules
from tests.findings.runs import outcome


def test_to_target_counts_epochs_and_cpu_seconds_and_censors_at_the_budget():
    runs = [
        outcome([0.9, 0.5, 0.2, 0.1]),  # below 0.25 at epoch 3
        outcome([0.9, 0.6, 0.4, 0.3], budget=10),  # never: counts as its 10 epochs
        outcome([0.9, 0.2], cpu=[0.5, 0.7]),
    ]
    epochs, missed = evidence.to_target(runs, 0.25)
    assert epochs == [3.0, 10.0, 2.0] and missed == 1
    cpu, _ = evidence.to_target(runs, 0.25, "cpu")
    assert cpu == pytest.approx([0.03, 0.04, 0.7])  # the miss: all its CPU time
    diverged = outcome([0.9, 0.1], status="diverged", budget=50)
    assert evidence.to_target([diverged], 0.25) == ([50.0], 1)


def test_final_counts_a_diverged_run_as_the_worst():
    runs = [outcome([0.3, 0.2]), outcome([0.3, math.nan], status="diverged")]
    assert evidence.final(runs) == [0.2, pytest.approx(math.log(2))]


def test_a_seed_on_which_every_arm_learned_nothing_is_left_out_everywhere():
    def run(seed, dead):
        o = outcome([0.7, 0.693] if dead else [0.5, 0.2])
        o.key, o.learned_nothing = ("x", seed), dead
        return o

    runs = {"a": [run(1, False), run(2, True), run(3, True)],
            "b": [run(1, False), run(2, True), run(3, False)]}  # fmt: skip
    kept, left_out = evidence.drop_dead_seeds(runs, [1, 2, 3])
    assert left_out == [2]  # seed 3 died in arm a only: that may be a's doing, it stays
    assert [o.key[1] for o in kept["a"]] == [1, 3] and [o.key[1] for o in kept["b"]] == [1, 3]
    assert evidence.nothing_learned(kept, [1, 3]) == ["a: seed 3"]


def test_mean_below_uses_the_one_sided_t_bound():
    # mean 1, SE 0.1 over 5 values: t(0.95, 4) = 2.1318, bounds 0.787 and 1.213
    xs = [1 - 0.2 * math.sqrt(5 / 4) * s for s in (-1, -1, 0, 1, 1)]
    assert evidence.summary(xs)["se"] == pytest.approx(0.1)
    assert rules.mean_below(xs, 1.22) is True
    assert rules.mean_below(xs, 1.20) is None
    assert rules.mean_below(xs, 0.78) is False
    assert rules.mean_below([0.1], 1.0) is None  # one value bounds nothing


def test_loglog_slope_of_an_exact_power_law():
    x = [1e-3, 1e-2, 0.1, 1.0]
    slope, intercept = evidence.loglog_slope(x, [3 * v**2.5 for v in x])
    assert slope == pytest.approx(2.5) and intercept == pytest.approx(math.log10(3))


def test_learned_nothing_is_the_cost_of_guessing():
    import numpy as np

    y = np.array([0, 1] * 50)
    assert evidence.guess_cost(y) == pytest.approx(math.log(2))
    assert evidence.at_constant_guess(0.6931, y) and evidence.at_constant_guess(0.70, y)
    assert not evidence.at_constant_guess(0.3, y) and not evidence.at_constant_guess(None, y)


def test_map_seeds_keeps_the_order():
    assert evidence.map_seeds(_square, [3, 1, 2]) == [{"x": 9}, {"x": 1}, {"x": 4}]


def _square(seed: int) -> dict:
    return {"x": seed * seed}
