"""The defaults report's pure parts: the safe range's testing order and its words."""

from __future__ import annotations

import numpy as np

from analysis import statistics
from analysis.defaults_markdown import range_words
from analysis.defaults_report import range_order, top_trials
from analysis.defaults_result import FreeParameter, MeasuredRange, RangePoint


def test_the_safe_range_is_tested_outward_nearest_first_below_before_above():
    grid = [1, 2, 3, 4, 5, 6, 7]
    assert range_order(grid, 4) == [3, 5, 2, 6, 1, 7]
    # one side runs out: the other goes on alone
    assert range_order(grid, 2) == [1, 3, 4, 5, 6, 7]
    assert range_order(grid, 7) == [6, 5, 4, 3, 2, 1]
    assert range_order([5], 5) == []


def free(measured: MeasuredRange) -> FreeParameter:
    return FreeParameter("alpha", "alpha", "log", None, 0.01, {}, measured=measured)


def test_the_range_says_its_span_or_that_nothing_beyond_tuned_was_decided():
    flags = [False] * 40
    tuned = [0.1 + 0.001 * (i % 5) for i in range(40)]
    holds = statistics.compare(tuned, tuned, tuned_failed=flags, default_failed=flags)
    rng = np.random.default_rng(0)
    noisy = [t + 0.001 + 0.003 * e for t, e in zip(tuned, rng.standard_normal(40), strict=True)]
    undecided = statistics.compare(tuned, noisy, tuned_failed=flags, default_failed=flags)
    assert (holds.verdict, undecided.verdict) == ("holds up", "inconclusive")
    said = {0.005: holds, 0.01: None, 0.02: holds, 0.04: undecided}
    pts = [RangePoint(x, 0.1, 0.001, c) for x, c in said.items()]
    words = range_words(free(MeasuredRange(0.005, 0.02, [], pts, [0.005, 0.02, 0.04], 0.04)))
    assert words.startswith("safe range 0.005 to 0.02 (x4)")
    assert "stopped at 0.04: inconclusive" in words
    none = MeasuredRange(0.01, 0.01, [], pts[1:2] + pts[3:], [0.04], 0.04)
    assert range_words(free(none)).startswith("safe range: no value beyond tuned was decided")
    every = MeasuredRange(0.005, 0.02, [], pts[:3], [0.005, 0.02], None)
    assert range_words(free(every)).endswith("every value tested held up.")


def _study_with_a_warm_trial(directions):
    import optuna
    from optuna.distributions import FloatDistribution

    from sweeps.attrs import WARM_ATTR

    study = optuna.create_study(directions=directions)
    dist = {"alpha": FloatDistribution(1e-4, 1.0, log=True)}
    best_first = [0.05, 0.2] if len(directions) == 1 else [[0.05, 3.0], [0.2, 9.0]]
    for values, warm in zip([*best_first, best_first[0]], [True, False, False], strict=True):
        v = {"value": values} if len(directions) == 1 else {"values": values}
        attrs = {WARM_ATTR: {"study": "earlier", "trial": 0}} if warm else {}
        study.add_trial(optuna.trial.create_trial(params={"alpha": 0.01}, distributions=dist,
                                                  user_attrs=attrs, **v))  # fmt: skip
    return study


def test_the_report_chooses_among_the_study_s_own_trials_not_a_warm_start_s_copies():
    for directions in (["minimize"], ["minimize", "minimize"]):
        study = _study_with_a_warm_trial(directions)  # trials 0 (warm, best), 1, 2 (own)
        assert [t.number for t in top_trials(study, 5)][:1] == [2]
        if len(directions) == 1:
            assert [t.number for t in top_trials(study, 5)] == [2, 1]
