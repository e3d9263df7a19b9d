"""Calibration of the two-part comparison with dead seeds (issue 21, item 7).

The model is test_statistics_calibration.py's (tuned MU + LUCK u_s, default tuned_s + gap +
sd e_s, tolerance 1%), plus learning failures: on a seed where an arm learns nothing its value
is the cost of guessing, ln 2, and its flag is set. Deaths hit each arm
- independently, each with probability p_t and p_d, or
- together: the seed's initial weights kill both (probability p), as real deaths share a seed.
The truth: the excess failure rate delta = p_d (1 - p_t) - p_t (1 - p_d) against the failure
margin m, and the cost gap against the tolerance. A verdict is false when it contradicts the
truth; each must come out at most alpha of the time (up to the simulation's own error), and
the right one at least 80% of the time where the issue asks.

Every draw runs the real `statistics.compare` (and `decide_rounds`) with the flags.
`python tests/analysis/test_statistics_calibration_failures.py` prints the figures.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from analysis import statistics as v
from analysis.statistics import HOLDS, INCONCLUSIVE, NEEDS

pytestmark = pytest.mark.xdist_group("calibration")  # one worker simulates, once

MU, TOLERANCE, ALPHA = 0.10, 0.01, 0.05
LUCK = 0.002
GUESS = math.log(2)
REPS = 1500
SLACK = 3  # binomial standard errors of the simulation


def draws(k, rel_gap, sd, p_tuned, p_default, shared, n=REPS):
    """n synthetic comparisons on k seeds: (tuned, default, tuned_failed, default_failed)."""
    key = [k, round(rel_gap * 1e5), round(sd * 1e6), round(p_tuned * 1e3), round(p_default * 1e3)]
    rng = np.random.default_rng([*key, int(shared)])
    tuned = MU + LUCK * rng.standard_normal((n, k))
    default = tuned + rel_gap * MU + sd * rng.standard_normal((n, k))
    if shared:  # the seed kills both arms
        tf = df = rng.random((n, k)) < p_tuned
    else:
        tf, df = rng.random((n, k)) < p_tuned, rng.random((n, k)) < p_default
    return np.where(tf, GUESS, tuned), np.where(df, GUESS, default), tf, df


@functools.cache
def simulate(k, rel_gap, sd, p_tuned, p_default=None, shared=False, rounds=False):
    """The share of each verdict over REPS draws."""
    p_default = p_tuned if p_default is None else p_default
    tuned, default, tf, df = draws(k, rel_gap, sd, p_tuned, p_default, shared)
    said = []
    for t, d, a, b in zip(tuned.tolist(), default.tolist(), tf.tolist(), df.tolist(), strict=True):
        if rounds:
            c = v.decide_rounds(t, d, tolerance=TOLERANCE, tuned_failed=a, default_failed=b)
        else:
            c = v.compare(t, d, tolerance=TOLERANCE, alpha=ALPHA, tuned_failed=a, default_failed=b)
        said.append(c.verdict)
    return {w: said.count(w) / len(said) for w in (HOLDS, NEEDS, INCONCLUSIVE)}


def at_most_alpha(share: float) -> bool:
    return share <= ALPHA + SLACK * math.sqrt(ALPHA * (1 - ALPHA) / REPS)


DEATHS = [(p, shared) for p in (0.0, 0.05, 0.15) for shared in (False, True)]


# --- deaths that hit both arms alike are no effect ---------------------------------------------


@pytest.mark.parametrize(("p", "shared"), DEATHS)
def test_equal_deaths_never_make_an_equal_default_need_tuning(p, shared):
    # truth: no excess failure, no cost gap -> "needs tuning" is false
    got = simulate(40, 0.0, 0.002, p, shared=shared)
    assert at_most_alpha(got[NEEDS]), got


@pytest.mark.parametrize(("p", "shared"), DEATHS)
def test_equal_deaths_never_make_a_worse_default_hold_up(p, shared):
    # the cost gap exactly at the margin (the worst case for a false "holds up": any gap above
    # it is worse, and the bound is exact there) and equal deaths
    got = simulate(40, TOLERANCE, 0.002, p, shared=shared)
    assert at_most_alpha(got[HOLDS]), got
    assert at_most_alpha(got[NEEDS]), got  # nor "needs tuning": the gap is within it


@pytest.mark.parametrize(("p", "shared"), DEATHS)
def test_equal_deaths_at_few_seeds_stay_calibrated(p, shared):
    got = simulate(10, TOLERANCE, 0.002, p, shared=shared)
    assert at_most_alpha(got[HOLDS]) and at_most_alpha(got[NEEDS]), got


# --- a default that dies more often ------------------------------------------------------------


@pytest.mark.parametrize("k", [10, 20, 40])
def test_a_default_dying_25_percent_against_0_never_holds_up(k):
    # equal cost where both learn: only the failures tell, and they must
    got = simulate(k, 0.0, 0.0005, 0.0, 0.25)
    assert at_most_alpha(got[HOLDS]), got


def test_a_default_dying_at_the_margin_rarely_holds_up():
    # delta = m exactly (the failure part's boundary): a false "holds up" at most alpha
    got = simulate(40, 0.0, 0.0005, 0.0, v.FAILURE_MARGIN)
    assert at_most_alpha(got[HOLDS]), got


def test_the_sequential_plan_keeps_the_false_verdicts_at_most_alpha():
    assert at_most_alpha(simulate(40, 0.0, 0.0005, 0.0, 0.25, rounds=True)[HOLDS])
    assert at_most_alpha(simulate(40, TOLERANCE, 0.002, 0.05, rounds=True)[HOLDS])
    assert at_most_alpha(simulate(40, TOLERANCE, 0.002, 0.05, rounds=True)[NEEDS])
    assert at_most_alpha(simulate(40, 0.0, 0.002, 0.15, shared=True, rounds=True)[NEEDS])


# --- power: 40 seeds, 3% deaths ----------------------------------------------------------------


@pytest.mark.parametrize("shared", [False, True])
def test_with_40_seeds_and_3_percent_deaths_a_default_3_percent_worse_needs_tuning(shared):
    assert simulate(40, 0.03, 0.002, 0.03, shared=shared)[NEEDS] >= 0.8


@pytest.mark.parametrize("shared", [False, True])
def test_with_40_seeds_and_3_percent_deaths_an_equal_default_holds_up(shared):
    assert simulate(40, 0.0, 0.0005, 0.03, shared=shared)[HOLDS] >= 0.8


def test_with_40_seeds_in_rounds_and_3_percent_deaths_the_right_verdict_comes_out():
    assert simulate(40, 0.03, 0.002, 0.03, rounds=True)[NEEDS] >= 0.8
    assert simulate(40, 0.0, 0.0005, 0.03, rounds=True)[HOLDS] >= 0.8


def test_the_calibration_catches_the_mean_rule_on_dead_seeds():
    # teeth: the rule before (t bounds of the mean, the dead seed's ln 2 among the values)
    # lets an equal default with 3% independent deaths hold up far less than 80% of the time
    tuned, default, _, _ = draws(40, 0.0, 0.0005, 0.03, 0.03, False)
    said = [v.compare(t, d, tolerance=TOLERANCE).verdict
            for t, d in zip(tuned.tolist(), default.tolist(), strict=True)]  # fmt: skip
    assert said.count(HOLDS) / len(said) < 0.5


if __name__ == "__main__":  # the figures behind the assertions
    cells = [(40, 0.0, 0.002, p, None, s, False) for p, s in DEATHS]
    cells += [(40, TOLERANCE, 0.002, p, None, s, False) for p, s in DEATHS]
    cells += [(10, TOLERANCE, 0.002, p, None, s, False) for p, s in DEATHS]
    cells += [(k, 0.0, 0.0005, 0.0, 0.25, False, False) for k in (10, 20, 40)]
    cells += [(40, 0.0, 0.0005, 0.0, v.FAILURE_MARGIN, False, False)]
    cells += [(40, 0.03, 0.002, 0.03, None, s, r) for s in (False, True) for r in (False, True)]
    cells += [(40, 0.0, 0.0005, 0.03, None, s, r) for s in (False, True) for r in (False, True)]
    for k, gap, sd, pt, pd, shared, rounds in cells:
        got = simulate(k, gap, sd, pt, pd, shared, rounds)
        pd_ = pt if pd is None else pd
        print(f"k={k:2d} gap={gap:.2%} sd={sd:<6} deaths tuned {pt:.0%} default {pd_:.0%} "
              f"{'shared' if shared else 'indep.'} {'rounds' if rounds else 'one look'}: "
              f"holds {got[HOLDS]:.3f} needs {got[NEEDS]:.3f} "
              f"inconclusive {got[INCONCLUSIVE]:.3f}")  # fmt: skip
