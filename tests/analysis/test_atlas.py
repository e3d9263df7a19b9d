"""The atlas's numbers (analysis/atlas.py) against values worked out by hand: the common scale,
the per-cell gap and verdict, the counts, the tunability interval and Cochran's Q."""

import math

import pytest

from analysis import atlas
from analysis.atlas import CellVerdict

# --- the common scale ---------------------------------------------------------------------------


def test_progress_is_the_share_of_the_way_from_guessing_to_the_reference():
    # guess 1.0, tuned 0.2: the way is 0.8 long; 0.28 is 0.72 along it (0.9), 1.0 is nowhere
    assert atlas.progress([0.2, 0.28, 0.36, 1.0], guess=1.0, reference=0.2) == pytest.approx(
        [1.0, 0.9, 0.8, 0.0]
    )
    # an accuracy: guess 0.5 (the majority share), tuned 0.9; 0.86 is 0.36 of 0.4 = 0.9
    assert atlas.progress([0.9, 0.86], guess=0.5, reference=0.9) == pytest.approx([1.0, 0.9])
    with pytest.raises(ValueError):
        atlas.progress([0.5], guess=0.7, reference=0.7)


def test_guess_value_is_the_entropy_of_the_class_frequencies_or_the_majority_share():
    y = [0, 0, 0, 1]  # frequencies 3/4, 1/4
    entropy = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))  # 0.5623
    assert atlas.guess_value("val_cost", y) == pytest.approx(entropy)
    assert atlas.guess_value("val_accuracy", y) == pytest.approx(0.75)
    assert atlas.guess_value("val_cost", [0, 1, 2] * 5) == pytest.approx(math.log(3))


def test_task_gap_is_the_mean_share_given_up_on_the_seeds_where_both_learned():
    tuned = [0.20, 0.20, 0.20, 0.90]
    default = [0.28, 0.36, 0.20, 0.30]
    ok = [False, False, False, False]
    # seed 4: the tuned arm failed there (learned nothing), so it is left out
    gap, se, n = atlas.task_gap(tuned, default, [False, False, False, True], ok, guess=1.0)
    # reference 0.2 over the three kept seeds; gaps 0.1, 0.2, 0.0: mean 0.1, sd 0.1
    assert n == 3
    assert gap == pytest.approx(0.1)
    assert se == pytest.approx(0.1 / math.sqrt(3))


def test_a_near_zero_tuned_cost_makes_a_relative_tolerance_meaningless_but_not_the_scale():
    """blobs-like: tuned costs ~0.001, the default ~0.0015 (50% more, relatively), while both
    are 99.9% of the way from guessing (ln 2): on the common scale the default holds up."""
    from analysis.statistics import compare

    tuned = [0.0010, 0.0011, 0.0009, 0.0010, 0.0012, 0.0010, 0.0009, 0.0011] * 2
    default = [t + 0.0005 for t in tuned]
    none = [False] * 16  # 14 seeds at least: the failure part's bound must get below 20%
    relative = compare(tuned, default, "minimize", 0.01, tuned_failed=none, default_failed=none)
    assert relative.verdict == "needs tuning"  # 50% worse than a cost of ~0
    c = atlas.judge(tuned, default, none, none, guess=math.log(2), tolerance=0.05)
    assert c.verdict == "holds up"
    # the gap: 0.0005 of a way ln 2 - 0.00103 long, 0.072%
    way = math.log(2) - sum(tuned) / 16
    assert c.gap == pytest.approx(0.0005 / way, rel=1e-6)


def test_judge_says_needs_tuning_when_the_default_gives_up_more_than_the_tolerance():
    tuned = [0.20] * 8
    default = [0.36, 0.34, 0.38, 0.36, 0.35, 0.37, 0.36, 0.36]  # ~20% of the way 1.0 -> 0.2
    none = [False] * 8
    c = atlas.judge(tuned, default, none, none, guess=1.0, tolerance=0.05)
    assert c.verdict == "needs tuning"
    assert c.gap == pytest.approx(0.2, abs=0.01)  # Hodges-Lehmann of (0.16..0.18) / 0.8
    assert c.margin == pytest.approx(0.05)  # the tuned arm sits at 1: the margin is the tolerance


def test_fewer_than_14_seeds_never_hold_up_however_small_the_gap():
    """The two-part rule's failure bound (exact binomial, margin 20%) needs 14 clean seeds."""
    for n, verdict in ((13, "inconclusive"), (14, "holds up")):
        none = [False] * n
        c = atlas.judge([0.2] * n, [0.2001] * n, none, none, guess=1.0, tolerance=0.05)
        assert c.verdict == verdict, n


def test_when_the_default_is_the_better_arm_the_way_is_the_defaults():
    """Tuned erratic on new seeds (mean near guessing), the default steady: measured against
    tuned the way would be 0.1 long and the gap -400%; against the better arm it is -50%."""
    tuned = [0.9, 0.5] * 8  # mean 0.7 ... guess 1.0: 0.3 of the way
    default = [0.4] * 16  # 0.6 of the way: the better arm, the scale's 1
    none = [False] * 16
    gap, se, n = atlas.task_gap(tuned, default, none, none, guess=1.0)
    # progress(tuned) = (0.1 / 0.6, 0.5 / 0.6), mean 0.5; progress(default) = 1: gap -0.5
    assert n == 16 and gap == pytest.approx(-0.5)
    # per seed -5/6 and -1/6, each 1/3 from the mean: sd sqrt(16/15) / 3, SE that / 4
    assert se == pytest.approx(math.sqrt(16 / 15) / 3 / 4)
    c = atlas.judge(tuned, default, none, none, guess=1.0, tolerance=0.05)
    assert c.margin == pytest.approx(0.05)  # still 5% of the way
    assert c.verdict == "holds up"  # better than tuned beyond the noise


def test_judge_is_none_when_neither_arm_got_anywhere_from_guessing():
    none = [False] * 4
    assert atlas.judge([1.1] * 4, [1.0] * 4, none, none, guess=1.0) is None
    assert math.isnan(atlas.task_gap([1.1] * 4, [1.0] * 4, none, none, guess=1.0)[0])


# --- across tasks --------------------------------------------------------------------------------


def test_tunability_is_the_mean_gap_with_a_student_t_interval_across_tasks():
    t = atlas.tunability([0.1, 0.2, 0.3])
    # mean 0.2, sd 0.1, SE 0.057735; t(0.975, 2) = 4.302653: half-width 0.248414
    assert t.mean == pytest.approx(0.2)
    assert t.low == pytest.approx(0.2 - 0.248414, abs=1e-6)
    assert t.high == pytest.approx(0.2 + 0.248414, abs=1e-6)
    assert t.tasks == 3
    one = atlas.tunability([0.1])
    assert one.mean == pytest.approx(0.1) and math.isnan(one.low)


def test_cochran_q_against_hand_values():
    # gaps 0 and 0.2, SE 0.1 each: weights 100, pooled 0.1, Q = 100 (0.01 + 0.01) = 2, df 1;
    # p = P(chi2_1 > 2) = 2 (1 - Phi(sqrt 2)) = 0.157299; I^2 = (2 - 1) / 2
    h = atlas.cochran_q([0.0, 0.2], [0.1, 0.1])
    assert (h.df, h.tasks) == (1, 2)
    assert h.q == pytest.approx(2.0)
    assert h.p == pytest.approx(0.157299, abs=1e-6)
    assert h.i2 == pytest.approx(0.5)
    # unequal weights: gaps 0, 0.3 with SE 0.1, 0.2 -> w 100, 25; pooled 7.5 / 125 = 0.06;
    # Q = 100 * 0.0036 + 25 * 0.0576 = 0.36 + 1.44 = 1.8; below df: I^2 = 0
    h = atlas.cochran_q([0.0, 0.3], [0.1, 0.2])
    assert h.q == pytest.approx(1.8) and h.i2 == pytest.approx(0.0 if h.q < 1 else 1 - 1 / 1.8)
    # the same gaps everywhere: Q = 0, p = 1
    same = atlas.cochran_q([0.05, 0.05, 0.05], [0.01, 0.02, 0.03])
    assert same.q == pytest.approx(0.0) and same.p == pytest.approx(1.0) and same.i2 == 0.0
    # a zero SE (or one task) carries no weight: left out
    assert atlas.cochran_q([0.1, 0.2], [0.0, 0.1]).tasks == 1


def test_aggregate_counts_the_verdicts_and_pools_only_the_measured_cells():
    def cell(task, verdict, gap, se=0.01):
        return CellVerdict(task, "adam.beta1", verdict, gap, se, 8)

    cells = [
        cell("moons", "holds up", 0.01),
        cell("circles", "holds up", 0.02),
        cell("spiral", "needs tuning", 0.30),
        cell("blobs", "inconclusive", 0.05),
        cell("digits", "n/a", math.nan, math.nan),
        cell("breast_cancer", "tuned = default", 0.0, math.nan),  # gap 0 by construction
        CellVerdict("moons", "adam.beta2", "needs tuning", 0.9, 0.1, 8),  # another default
    ]
    a = atlas.aggregate("adam.beta1", cells)
    assert a.counts == {
        "holds up": 2, "needs tuning": 1, "inconclusive": 1, "tuned = default": 1, "n/a": 1,
    }  # fmt: skip
    assert a.tunability.tasks == 5  # tuned = default counts as a gap of 0
    assert a.tunability.mean == pytest.approx((0.01 + 0.02 + 0.30 + 0.05 + 0.0) / 5)
    assert a.heterogeneity.tasks == 4 and a.heterogeneity.df == 3  # no SE: not in Q
    # spiral's 0.30 against the rest at SE 0.01: far more spread than the seeds explain
    assert a.heterogeneity.p < 1e-6
