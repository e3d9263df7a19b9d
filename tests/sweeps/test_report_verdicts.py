"""The report's statistics on synthetic objectives whose answer is known, and the laws they obey."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sweeps import verdicts as v
from sweeps.verdicts import HOLDS, NEEDS

SEEDS = range(1, 6)


def objective(seed: int, alpha: float, beta1: float, effect: float, noise: float) -> float:
    """A stand-in for training: a seed-dependent level, alpha's bowl, and beta1's effect."""
    rng = np.random.default_rng(seed)
    level = 0.1 + 0.05 * rng.random()  # what the seed's split and init give
    jitter = noise * rng.standard_normal()  # run-to-run noise that pairing does not remove
    return level + 0.2 * math.log10(alpha / 0.01) ** 2 + effect * (beta1 - 0.95) ** 2 + jitter


def arms(effect: float, noise: float = 0.0):
    tuned = [objective(s, 0.01, 0.95, effect, 0.0) for s in SEEDS]
    default = [objective(s, 0.01, 0.9, effect, noise) for s in SEEDS]
    return tuned, default


def test_a_parameter_without_effect_holds_up():
    tuned, default = arms(effect=0.0)
    cmp = v.compare(tuned, default)
    assert cmp.gap == pytest.approx(0.0, abs=1e-15)
    assert cmp.verdict == HOLDS


def test_a_parameter_that_matters_needs_tuning():
    tuned, default = arms(effect=50.0)  # 50 * 0.05^2 = 0.125 worse at the default
    cmp = v.compare(tuned, default)
    assert cmp.gap == pytest.approx(0.125)
    assert cmp.verdict == NEEDS


def test_the_seed_level_cancels_in_the_pairs():
    # The per-seed level varies by +-0.025: unpaired, that noise would swamp a 0.01 gap.
    tuned, default = arms(effect=4.0)  # 4 * 0.05^2 = 0.01
    cmp = v.compare(tuned, default, tolerance=0.0)
    assert cmp.gap_se == pytest.approx(0.0, abs=1e-12)
    assert cmp.tuned_se > 0.005
    assert cmp.verdict == NEEDS


def test_a_noisy_gap_within_two_standard_errors_holds_up():
    # The same 0.01 mean gap: with paired noise of sd 0.02 it is within 2 SE, with sd 1e-4 not.
    base = [0.10, 0.12, 0.11, 0.13, 0.09]
    spread = [-2, -1, 0, 1, 2]  # sd of these is sqrt(2.5)
    noisy = [b + 0.01 + 0.02 * s / math.sqrt(2.5) for b, s in zip(base, spread, strict=True)]
    quiet = [b + 0.01 + 1e-4 * s / math.sqrt(2.5) for b, s in zip(base, spread, strict=True)]
    loud = v.compare(base, noisy, tolerance=0.0)
    calm = v.compare(base, quiet, tolerance=0.0)
    assert loud.gap == pytest.approx(0.01) and calm.gap == pytest.approx(0.01)
    assert loud.gap_se == pytest.approx(0.02 / math.sqrt(5))
    assert loud.verdict == HOLDS
    assert calm.verdict == NEEDS


def test_the_relative_tolerance_lets_a_tiny_gap_hold_up():
    tuned = [0.100, 0.101, 0.099]
    default = [0.1005, 0.1015, 0.0995]  # 0.5% worse on every seed: SE 0
    assert v.compare(tuned, default, tolerance=0.01).verdict == HOLDS
    assert v.compare(tuned, default, tolerance=0.001).verdict == NEEDS


def test_a_default_better_than_tuned_holds_up():
    tuned = [0.2, 0.21, 0.19]
    assert v.compare(tuned, [0.1, 0.1, 0.1], tolerance=0.0).verdict == HOLDS


def test_maximized_objectives_count_a_lower_default_as_worse():
    tuned = [0.95, 0.96, 0.97]
    default = [0.80, 0.81, 0.82]
    cmp = v.compare(tuned, default, direction="maximize")
    assert cmp.gap == pytest.approx(0.15)
    assert cmp.verdict == NEEDS


def test_compare_rejects_unpaired_or_single_seeds():
    with pytest.raises(ValueError):
        v.compare([0.1, 0.2], [0.1])
    with pytest.raises(ValueError):
        v.compare([0.1], [0.1])


def test_mean_se_matches_numpy():
    xs = [0.3, 0.1, 0.4, 0.15, 0.9]
    m, se = v.mean_se(xs)
    assert m == pytest.approx(np.mean(xs))
    assert se == pytest.approx(np.std(xs, ddof=1) / np.sqrt(len(xs)))
    assert math.isnan(v.mean_se([1.0])[1])


def test_a_diverged_run_counts_as_the_worst_value():
    assert v.worst_value("maximize", [0.9, 0.95]) == 0.0
    assert v.worst_value("minimize", [0.1, 0.2]) == pytest.approx(math.log(2))
    assert v.worst_value("minimize", [0.1, 3.0, math.inf, None], n_classes=3) == 3.0


def test_the_rules_state_the_tolerance():
    text = " ".join(v.rules(0.05))
    assert "5%" in text and "2 SE" in text and "per-seed differences" in text


# --- laws ---------------------------------------------------------------------------------------

values = st.floats(0.001, 10.0, allow_nan=False)
pairs = st.lists(st.tuples(values, values), min_size=2, max_size=8)
tolerances = st.floats(0.0, 0.5)


@given(st.lists(values, min_size=2, max_size=8), tolerances)
def test_law_a_default_equal_to_tuned_always_holds_up(xs, tol):
    assert v.compare(xs, xs, tolerance=tol).verdict == HOLDS


@given(pairs, tolerances)
def test_law_a_default_no_worse_on_every_seed_holds_up(ps, tol):
    tuned = [max(a, b) for a, b in ps]
    default = [min(a, b) for a, b in ps]
    assert v.compare(tuned, default, tolerance=tol).verdict == HOLDS


@given(pairs, tolerances, st.floats(0.0, 5.0), st.floats(0.0, 5.0))
def test_law_making_the_default_worse_never_turns_needs_into_holds(ps, tol, c1, c2):
    tuned = [a for a, _ in ps]
    small, large = sorted((c1, c2))
    first = v.compare(tuned, [b + small for _, b in ps], tolerance=tol)
    second = v.compare(tuned, [b + large for _, b in ps], tolerance=tol)
    if first.verdict == NEEDS:
        assert second.verdict == NEEDS


@given(pairs, tolerances, st.floats(0.01, 100.0))
def test_law_the_verdict_does_not_depend_on_the_objective_s_units(ps, tol, scale):
    tuned, default = [a for a, _ in ps], [b for _, b in ps]
    cmp = v.compare(tuned, default, tolerance=tol)
    assume(abs(cmp.gap - cmp.margin) > 1e-9 * (1 + abs(cmp.margin)))  # not on the boundary
    scaled = v.compare([scale * x for x in tuned], [scale * x for x in default], tolerance=tol)
    assert scaled.verdict == cmp.verdict


@given(pairs, tolerances)
def test_law_maximizing_x_is_minimizing_minus_x(ps, tol):
    tuned, default = [a for a, _ in ps], [b for _, b in ps]
    up = v.compare(tuned, default, "maximize", tol)
    down = v.compare([-x for x in tuned], [-x for x in default], "minimize", tol)
    assert up.verdict == down.verdict
    assert up.gap == pytest.approx(down.gap)


# --- time to target ----------------------------------------------------------------------------


def test_epochs_to_target_is_the_first_epoch_strictly_below():
    curve = [0.9, 0.5, 0.3, 0.29, 0.2, 0.35]
    assert v.epochs_to_target(curve, 0.3) == 4  # 0.3 itself is not below 0.3
    assert v.epochs_to_target(curve, 0.95) == 1
    assert v.epochs_to_target(curve, 0.1) is None
    assert v.epochs_to_target([], 0.1) is None


def test_seconds_to_target_reads_the_clock_at_that_epoch():
    curve = [0.9, 0.5, 0.3, 0.29]
    clock = [0.01, 0.03, 0.06, 0.10]
    assert v.seconds_to_target(curve, clock, 0.3) == 0.10
    assert v.seconds_to_target(curve, clock, 0.6) == 0.03
    assert v.seconds_to_target(curve, clock, 0.2) is None


def test_never_reaching_the_target_counts_as_the_budget_and_is_counted():
    values_, n = v.censored([12, None, 30, None], budget=100)
    assert values_ == [12.0, 100.0, 30.0, 100.0] and n == 2


@given(st.lists(st.floats(0, 2), min_size=1, max_size=50), st.floats(0, 2))
def test_law_the_epoch_found_is_below_and_every_earlier_one_is_not(curve, target):
    e = v.epochs_to_target(curve, target)
    if e is None:
        assert all(x >= target for x in curve)
    else:
        assert curve[e - 1] < target and all(x >= target for x in curve[: e - 1])


# --- noise -------------------------------------------------------------------------------------


def test_ewa_agrees_with_core():
    from core.optimizers import ewa

    xs = list(np.random.default_rng(0).random(40))
    assert v.ewa(xs, 0.9) == pytest.approx(list(ewa(xs, 0.9)), rel=1e-12)


def test_noise_is_zero_for_a_smooth_decay_and_large_for_a_jagged_cost():
    steps = np.arange(400)
    smooth = np.exp(-0.01 * steps)  # batch GD: the EWA lags, by the same ratio every step
    jagged = smooth * (1 + 0.3 * np.where(steps % 2, 1, -1))  # easy and hard mini-batches
    assert v.noise(smooth) < 1e-3
    assert v.noise(jagged) > 0.2
    assert v.noise(jagged) == pytest.approx(v.noise(5 * jagged))  # relative to the trend
    assert v.noise([0.5] * 9) is None


# --- sensitivity and safe range ----------------------------------------------------------------


def test_sensitivity_is_the_spread_of_the_best_per_bin():
    # 12 trials, 4 bins of 3: the best is 0.1 below x = 7 and 0.4 above
    points = [(x, 0.1 if x < 7 else 0.4) for x in range(1, 13)]
    s = v.sensitivity(points)
    assert [b.n for b in s.bins] == [3, 3, 3, 3]
    assert [b.best for b in s.bins] == [0.1, 0.1, 0.4, 0.4]
    assert s.spread == pytest.approx(0.3)


def test_sensitivity_of_a_parameter_without_effect_is_zero():
    rng = np.random.default_rng(1)
    points = [(float(x), 0.2) for x in rng.random(20)]
    assert v.sensitivity(points).spread == 0.0


def test_sensitivity_keeps_tied_values_in_one_bin_and_needs_six_trials():
    points = [(64.0, 0.3)] * 5 + [(128.0, 0.2)] * 4
    s = v.sensitivity(points)
    assert [(b.low, b.high, b.n) for b in s.bins] == [(64.0, 64.0, 5), (128.0, 128.0, 4)]
    assert v.sensitivity(points[:5]) is None  # too few trials
    assert v.sensitivity([(1.0, 0.1)] * 9) is None  # the value never varied


def test_sensitivity_in_a_maximized_objective_takes_the_best_as_the_largest():
    points = [(x, 0.9 if x < 4 else 0.6) for x in range(1, 7)]
    s = v.sensitivity(points, "maximize")
    assert [b.best for b in s.bins] == [0.9, 0.6]


def test_safe_range_spans_the_trials_within_the_band_and_counts_the_others():
    points = [(0.001, 0.50), (0.002, 0.105), (0.003, 0.10), (0.004, 0.20), (0.005, 0.109),
              (0.01, 0.60)]  # fmt: skip
    sr = v.safe_range(points, band=0.01)
    assert (sr.best_x, sr.best) == (0.003, 0.10)
    assert (sr.low, sr.high) == (0.002, 0.005)
    assert sr.n_within == 3 and sr.n_inside == 4  # 0.004 lies inside but is not within


def test_safe_range_with_no_band_is_the_best_trial_alone():
    sr = v.safe_range([(1.0, 0.3), (2.0, 0.2), (3.0, 0.25)], band=0.0)
    assert (sr.low, sr.high, sr.n_within) == (2.0, 2.0, 1)
    assert v.safe_range([], band=0.1) is None
