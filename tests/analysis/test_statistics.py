"""The report's statistics on synthetic objectives whose answer is known, and the laws they obey."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from analysis import statistics as v
from analysis.statistics import HOLDS, INCONCLUSIVE, NEEDS

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


def test_a_noisy_gap_is_inconclusive_and_the_same_gap_measured_quietly_needs_tuning():
    # The same 0.01 mean gap: with paired noise of sd 0.02 the seeds cannot tell (the old rule
    # called it "holds up"), with sd 1e-4 it is shown.
    base = [0.10, 0.12, 0.11, 0.13, 0.09]
    spread = [-2, -1, 0, 1, 2]  # sd of these is sqrt(2.5)
    noisy = [b + 0.01 + 0.02 * s / math.sqrt(2.5) for b, s in zip(base, spread, strict=True)]
    quiet = [b + 0.01 + 1e-4 * s / math.sqrt(2.5) for b, s in zip(base, spread, strict=True)]
    loud = v.compare(base, noisy, tolerance=0.0)
    calm = v.compare(base, quiet, tolerance=0.0)
    assert loud.gap == pytest.approx(0.01) and calm.gap == pytest.approx(0.01)
    assert loud.gap_se == pytest.approx(0.02 / math.sqrt(5))
    assert loud.verdict == INCONCLUSIVE
    assert calm.verdict == NEEDS
    assert calm.seeds_needed == 5  # decided with the seeds it has
    # at the observed gap and sd, 5 seeds are far from enough: (1.645 + 0.842)^2 (0.02/0.01)^2
    # = 25 seeds by the normal approximation, a few more with t's heavier tails
    assert 25 < loud.seeds_needed < 32


def test_the_bounds_use_student_s_t_with_seeds_minus_one_degrees_of_freedom():
    # t(0.95, 4) = 2.132 and t(0.95, 2) = 2.920 in any table of Student's t
    base = [0.10, 0.12, 0.11, 0.13, 0.09]
    default = [b + 0.01 + 0.02 * s / math.sqrt(2.5) for b, s in zip(base, [-2, -1, 0, 1, 2],
                                                                       strict=True)]  # fmt: skip
    cmp = v.compare(base, default, tolerance=0.0)
    half = 2.132 * 0.02 / math.sqrt(5)
    assert (cmp.lower, cmp.upper) == pytest.approx((0.01 - half, 0.01 + half), rel=1e-3)
    assert cmp.confidence == 0.95
    assert v.verdict(0.01, 0.02 / math.sqrt(5), 0.11, 0.0, 5) == INCONCLUSIVE  # the same, bare
    assert v.verdict(0.01, 0.02 / math.sqrt(5), 0.11, 0.0, 5, alpha=0.4) == NEEDS
    three = v.compare([1.0, 1.0, 1.0], [1.0, 2.0, 3.0], tolerance=0.0)  # d = 0, 1, 2: sd 1
    assert three.lower == pytest.approx(1 - 2.920 / math.sqrt(3), rel=1e-3)


def test_the_bounds_are_scipy_s_one_sided_t_confidence_intervals():
    from scipy import stats

    rng = np.random.default_rng(3)
    tuned = rng.normal(0.1, 0.01, 7)
    default = tuned + rng.normal(0.002, 0.003, 7)
    for alpha in (0.05, 0.0125):
        cmp = v.compare(list(tuned), list(default), alpha=alpha)
        d = default - tuned
        low = stats.ttest_1samp(d, 0.0, alternative="greater").confidence_interval(1 - alpha)
        high = stats.ttest_1samp(d, 0.0, alternative="less").confidence_interval(1 - alpha)
        assert cmp.lower == pytest.approx(low.low, rel=1e-12)
        assert cmp.upper == pytest.approx(high.high, rel=1e-12)
        assert cmp.confidence == 1 - alpha
    assert v.t_quantile(0.975, 3) == pytest.approx(stats.t.ppf(0.975, 3), rel=1e-12)


def test_the_relative_tolerance_lets_a_tiny_gap_hold_up():
    tuned = [0.100, 0.101, 0.099]
    default = [0.1005, 0.1015, 0.0995]  # 0.5% worse on every seed: SE 3e-6
    assert v.compare(tuned, default, tolerance=0.01).verdict == HOLDS
    assert v.compare(tuned, default, tolerance=0.001).verdict == NEEDS


def test_a_default_better_than_tuned_beyond_the_noise_holds_up():
    tuned = [0.2, 0.21, 0.19]
    cmp = v.compare(tuned, [0.1, 0.1, 0.1], tolerance=0.0)
    assert cmp.upper < 0 and cmp.verdict == HOLDS
    # better on average but within the noise: not shown within the tolerance
    noisy = v.compare(tuned, [0.1, 0.35, 0.12], tolerance=0.0)
    assert noisy.gap < 0 and noisy.verdict == INCONCLUSIVE


def test_maximized_objectives_count_a_lower_default_as_worse():
    tuned = [0.95, 0.96, 0.97]
    default = [0.80, 0.81, 0.82]
    cmp = v.compare(tuned, default, direction="maximize")
    assert cmp.gap == pytest.approx(0.15)
    assert cmp.verdict == NEEDS


def test_compare_rejects_unpaired_or_single_seeds_and_a_meaningless_alpha():
    with pytest.raises(ValueError):
        v.compare([0.1, 0.2], [0.1])
    with pytest.raises(ValueError):
        v.compare([0.1], [0.1])
    with pytest.raises(ValueError):
        v.compare([0.1, 0.2], [0.1, 0.2], alpha=0.5)


def test_seeds_needed_is_where_the_bound_clears_the_margin_with_80_percent_power():
    # d = 0.003 + 0.002 (-1, 0, 1): gap 0.003, sd 0.002; margin 1% of 0.1 = 0.001
    tuned = [0.1, 0.1, 0.1]
    cmp = v.compare(tuned, [0.1 + 0.003 + 0.002 * s for s in (-1, 0, 1)])
    assert cmp.verdict == INCONCLUSIVE
    # by hand: k = 7: (t(.95, 6) + t(.8, 6)) 0.002 / sqrt 7 = (1.943 + 0.906) 0.000756 = 0.00215
    # > 0.002; k = 8: (1.895 + 0.896) 0.002 / sqrt 8 = 0.00197 <= 0.002
    assert cmp.seeds_needed == 8
    assert v.seeds_to_decide(0.003, 0.002, 0.001) == 8
    # power 0.5 is the plain plug-in, where the bound itself just clears: t(.95, 3) 0.002 / 2
    # = 0.00235 > 0.002 at k = 4; t(.95, 4) 0.002 / sqrt 5 = 0.00191 <= 0.002 at k = 5
    assert v.seeds_to_decide(0.003, 0.002, 0.001, power=0.5) == 5


def test_seeds_needed_when_nothing_or_anything_decides():
    assert v.seeds_to_decide(0.001, 0.002, 0.001) is None  # the gap is the margin
    assert v.seeds_to_decide(0.5, 0.0, 0.001) == 2  # no spread: any two seeds decide
    assert v.seeds_to_decide(math.nan, 0.002, 0.001) is None
    # a gap exactly on the margin (0) and a spread: inconclusive, and no count is offered
    cmp = v.compare([1.0, 2.0, 3.0], [1.5, 2.0, 2.5], tolerance=0.0)
    assert cmp.gap == 0.0 and cmp.verdict == INCONCLUSIVE and cmp.seeds_needed is None
    assert "no number of seeds" in v.explain(cmp)
    with pytest.raises(ValueError):
        v.seeds_to_decide(0.003, 0.002, 0.001, power=0.3)


def test_without_spread_a_comparison_is_always_decided():
    tuned = [0.1, 0.2, 0.3]
    assert v.compare(tuned, [x + 0.001 for x in tuned]).verdict == HOLDS  # margin 0.002
    assert v.compare(tuned, [x + 0.003 for x in tuned]).verdict == NEEDS


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


def test_the_rules_state_the_tolerance_the_confidence_and_the_three_verdicts():
    text = " ".join(v.rules(0.02))
    assert "at most 2% of |tuned mean|" in text and "above 2% of |tuned mean|" in text
    assert "95% upper confidence bound" in text and "95% lower bound" in text
    assert "Student's t with seeds - 1 degrees of freedom" in text
    assert "'inconclusive' otherwise" in text and "per-seed differences" in text
    assert "97.5% upper confidence bound" in " ".join(v.rules(0.02, alpha=0.025))


# --- laws ---------------------------------------------------------------------------------------

values = st.floats(0.001, 10.0, allow_nan=False)
pairs = st.lists(st.tuples(values, values), min_size=2, max_size=8)
tolerances = st.floats(0.0, 0.5)


@given(st.lists(values, min_size=2, max_size=8), tolerances)
def test_law_a_default_equal_to_tuned_always_holds_up(xs, tol):
    assert v.compare(xs, xs, tolerance=tol).verdict == HOLDS


RANK = {HOLDS: 0, INCONCLUSIVE: 1, NEEDS: 2}  # from "fine at the default" to "tune it"


def clear_of_the_margin(cmp, rel: float = 1e-9) -> bool:
    """Neither bound is within rounding of the margin (where float noise may tip a verdict)."""
    eps = rel * (abs(cmp.margin) + abs(cmp.gap) + abs(cmp.upper - cmp.lower) + 1e-300)
    return abs(cmp.upper - cmp.margin) > eps and abs(cmp.lower - cmp.margin) > eps


@given(pairs, tolerances)
def test_law_a_default_no_worse_on_every_seed_never_needs_tuning(ps, tol):
    # (it need not hold up: d = 0, -1 is no worse on either seed, yet its upper bound is 2.7)
    tuned = [max(a, b) for a, b in ps]
    default = [min(a, b) for a, b in ps]
    assert v.compare(tuned, default, tolerance=tol).verdict != NEEDS


@given(pairs, tolerances, st.floats(0.0, 5.0), st.floats(0.0, 5.0))
def test_law_making_the_default_worse_never_moves_the_verdict_towards_holds_up(ps, tol, c1, c2):
    small, large = sorted((c1, c2))
    assume(large == small or large - small > 1e-9)  # a shift above float noise in the SE
    tuned = [a for a, _ in ps]
    first = v.compare(tuned, [b + small for _, b in ps], tolerance=tol)
    second = v.compare(tuned, [b + large for _, b in ps], tolerance=tol)
    assert RANK[second.verdict] >= RANK[first.verdict]


@given(pairs, tolerances, st.floats(0.01, 100.0))
def test_law_the_verdict_does_not_depend_on_the_objective_s_units(ps, tol, scale):
    tuned, default = [a for a, _ in ps], [b for _, b in ps]
    cmp = v.compare(tuned, default, tolerance=tol)
    assume(clear_of_the_margin(cmp))
    scaled = v.compare([scale * x for x in tuned], [scale * x for x in default], tolerance=tol)
    assert scaled.verdict == cmp.verdict


@given(pairs, tolerances)
def test_law_maximizing_x_is_minimizing_minus_x(ps, tol):
    tuned, default = [a for a, _ in ps], [b for _, b in ps]
    up = v.compare(tuned, default, "maximize", tol)
    down = v.compare([-x for x in tuned], [-x for x in default], "minimize", tol)
    assert up.verdict == down.verdict
    assert (up.gap, up.lower, up.upper) == pytest.approx((down.gap, down.lower, down.upper))


@given(pairs)
def test_law_swapping_the_arms_flips_the_bounds(ps):
    tuned, default = [a for a, _ in ps], [b for _, b in ps]
    ab, ba = v.compare(tuned, default), v.compare(default, tuned)
    scale = max(abs(x) for x in tuned + default)
    assert ba.lower == pytest.approx(-ab.upper, abs=1e-12 * scale)
    assert ba.upper == pytest.approx(-ab.lower, abs=1e-12 * scale)


@given(pairs, tolerances, st.floats(-5.0, 5.0))
def test_law_a_constant_added_to_both_arms_moves_only_the_margin(ps, tol, c):
    # The bounds are those of the per-seed differences, which the constant leaves alone; the
    # margin is tolerance x |tuned mean|, so a shift that makes |tuned mean| larger can only
    # move the verdict towards "holds up" (and with tolerance 0 it cannot move it at all).
    tuned, default = [a for a, _ in ps], [b for _, b in ps]
    shift = [x + c for x in tuned], [x + c for x in default]
    before, after = v.compare(tuned, default, tolerance=tol), v.compare(*shift, tolerance=tol)
    scale = max(abs(x) for x in tuned + default) + abs(c)
    assert after.lower == pytest.approx(before.lower, abs=1e-9 * scale)
    assert after.upper == pytest.approx(before.upper, abs=1e-9 * scale)
    zero, shifted = v.compare(tuned, default, tolerance=0.0), v.compare(*shift, tolerance=0.0)
    assume(all(clear_of_the_margin(x, rel=1e-6) for x in (before, after, zero, shifted)))
    if abs(after.tuned_mean) >= abs(before.tuned_mean):
        assert RANK[after.verdict] <= RANK[before.verdict]
    assert shifted.verdict == zero.verdict


@given(pairs, tolerances)
def test_law_a_verdict_at_a_stricter_confidence_stands_at_a_laxer_one(ps, tol):
    tuned, default = [a for a, _ in ps], [b for _, b in ps]
    strict = v.compare(tuned, default, tolerance=tol, alpha=0.01)
    lax = v.compare(tuned, default, tolerance=tol, alpha=0.05)
    assert lax.lower >= strict.lower and lax.upper <= strict.upper
    if strict.verdict != INCONCLUSIVE:
        assert lax.verdict == strict.verdict


@given(pairs, tolerances)
def test_law_the_differences_repeated_to_the_seeds_needed_decide_as_the_gap_points(ps, tol):
    # Repeating the observed differences keeps the gap and (nearly) the sd: at seeds_needed
    # the plug-in bound clears the margin with room to spare (the power term), so it decides.
    tuned, default = [a for a, _ in ps], [b for _, b in ps]
    cmp = v.compare(tuned, default, tolerance=tol)
    assume(cmp.verdict == INCONCLUSIVE and cmp.seeds_needed is not None)
    assume(cmp.seeds_needed <= 2000)
    assert cmp.seeds_needed > len(tuned)
    times = -(-cmp.seeds_needed // len(tuned))
    more = v.compare(tuned * times, default * times, tolerance=tol)
    assert more.verdict == (HOLDS if cmp.gap < cmp.margin else NEEDS)


# --- the findings' paired judgements -------------------------------------------------------------


def test_better_beyond_noise_needs_the_bound_to_clear_the_tolerance():
    b = [0.50, 0.52, 0.48, 0.51, 0.49]
    assert v.better_beyond_noise([x - 0.05 for x in b], b, 0.01) == 1  # lower on every seed
    assert v.better_beyond_noise([x + 0.05 for x in b], b, 0.01) == -1
    assert v.better_beyond_noise([x - 0.002 for x in b], b, 0.01) == 0  # within 1%
    noisy = [x - 0.05 + d for x, d in zip(b, [0.2, -0.2, 0.2, -0.2, 0.0], strict=True)]
    assert v.better_beyond_noise(noisy, b, 0.01) == 0  # lower on average, not beyond the noise
    assert v.better_beyond_noise([0.4], [0.5]) == 0  # one seed shows nothing


def test_equivalent_is_shown_not_assumed():
    b = [0.50, 0.52, 0.48, 0.51, 0.49]
    assert v.equivalent([x + 0.001 for x in b], b, 0.01) is True
    assert v.equivalent([x - 0.05 for x in b], b, 0.01) is False
    noisy = [x + d for x, d in zip(b, [0.1, -0.1, 0.1, -0.1, 0.02], strict=True)]
    assert v.equivalent(noisy, b, 0.01) is None


@given(pairs, tolerances)
def test_law_the_findings_judgements_agree_with_each_other(ps, tol):
    a, b = [x for x, _ in ps], [y for _, y in ps]
    better, same = v.better_beyond_noise(a, b, tol), v.equivalent(a, b, tol)
    assert (better != 0) == (same is False)
    assert v.better_beyond_noise(b, a, 0.0) == -v.better_beyond_noise(a, b, 0.0)


# --- repeated looks -----------------------------------------------------------------------------


def test_the_looks_spend_alpha_by_the_square_of_the_information_fraction():
    # alpha (k / K)^2 spent by the look at k of K seeds: 0.05/16, 0.05/4, 0.05; per look the
    # increments, which sum to alpha (the union bound over the looks)
    assert v.look_alphas((10, 20, 40), 0.05) == pytest.approx((0.003125, 0.009375, 0.0375))
    assert v.look_alphas((5, 10, 20, 40), 0.05) == pytest.approx(
        (0.05 / 64, 0.05 * 3 / 64, 0.05 * 12 / 64, 0.05 * 48 / 64)
    )
    assert sum(v.look_alphas((3, 7, 9, 30), 0.05)) == pytest.approx(0.05)
    assert v.look_alphas((3,), 0.05) == (0.05,)
    assert v.look_alpha((10, 20, 40), 0.05) == pytest.approx(0.0375)  # the last look's
    for bad in ((), (1, 5), (5, 5, 10), (10, 5)):
        with pytest.raises(ValueError):
            v.look_alphas(bad)


def test_next_round_stops_when_everything_is_decided_or_the_rounds_run_out():
    rounds = (5, 10, 20, 40)
    assert v.next_round(rounds, 5, [HOLDS, NEEDS]) is None
    assert v.next_round(rounds, 5, [HOLDS, INCONCLUSIVE]) == 10
    assert v.next_round(rounds, 7, [INCONCLUSIVE]) == 10
    assert v.next_round(rounds, 20, [INCONCLUSIVE]) == 40
    assert v.next_round(rounds, 40, [INCONCLUSIVE]) is None  # the cap
    assert v.next_round(rounds, 5, []) is None


def test_decide_rounds_stops_at_the_first_look_that_decides():
    rng = np.random.default_rng(5)
    rounds = (5, 10, 20, 40)
    levels = v.look_alphas(rounds)
    tuned = list(0.1 + 0.002 * rng.standard_normal(40))
    clear = [t + 0.02 + 1e-4 * e for t, e in zip(tuned, rng.standard_normal(40), strict=True)]
    cmp = v.decide_rounds(tuned, clear, rounds=rounds)
    assert (len(cmp.tuned), cmp.verdict) == (5, NEEDS)
    assert cmp.confidence == pytest.approx(1 - 0.05 / 64)
    # a true gap 0.002 over a 0.001 margin with noise 0.002: 5 seeds cannot tell at 99.9%
    close = [t + 0.002 + 0.002 * e for t, e in zip(tuned, rng.standard_normal(40), strict=True)]
    assert v.compare(tuned[:5], close[:5], alpha=levels[0]).verdict == INCONCLUSIVE
    later = v.decide_rounds(tuned, close, rounds=rounds)
    assert len(later.tuned) in (10, 20, 40)
    assert len(later.tuned) == 40 or later.verdict != INCONCLUSIVE
    short = v.decide_rounds(tuned[:12], close[:12], rounds=rounds)  # no seeds for the round of 20
    assert len(short.tuned) == 10


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


def test_noise_is_zero_for_a_smooth_decay_and_large_for_a_jagged_cost():
    from core.optimizers import ewa

    def noise(c):
        return v.noise(c, ewa(c, 0.9))

    steps = np.arange(400)
    smooth = np.exp(-0.01 * steps)  # batch GD: the EWA lags, by the same ratio every step
    jagged = smooth * (1 + 0.3 * np.where(steps % 2, 1, -1))  # easy and hard mini-batches
    assert noise(smooth) < 1e-3
    assert noise(jagged) > 0.2
    assert noise(jagged) == pytest.approx(noise(5 * jagged))  # relative to the trend
    assert noise(np.full(9, 0.5)) is None


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
