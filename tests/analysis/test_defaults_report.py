"""The defaults report's pure parts: the safe range's testing order and its words."""

from __future__ import annotations

import numpy as np

from analysis import statistics
from analysis.defaults_markdown import range_words
from analysis.defaults_report import range_order
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
