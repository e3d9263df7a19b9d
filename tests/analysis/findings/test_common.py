"""The three-way verdict and the parts judged from seeds, on hand-built parts and numbers."""

from __future__ import annotations

import math

import pytest

from analysis.findings import common
from analysis.findings.common import CONFIRMED, DEPENDS, INCONCLUSIVE, REFUTED


@pytest.mark.parametrize(
    "values, verdict",
    [
        ((True, True), CONFIRMED),
        ((False, False), REFUTED),
        ((True, False), DEPENDS),
        ((True, False, None), DEPENDS),  # undecided, but depends whatever it would say
        ((True, None), INCONCLUSIVE),  # confirmed or depends: the None part decides
        ((False, None), INCONCLUSIVE),  # refuted or depends
        ((None,), INCONCLUSIVE),
    ],
)
def test_combine_is_three_way(values, verdict):
    assert common.combine({f"part {i}": v for i, v in enumerate(values)}) == verdict


def test_combine_needs_a_part():
    with pytest.raises(ValueError):
        common.combine({})


def test_why_names_what_holds_fails_and_is_undecided():
    parts = {"a": True, "b": False, "c": None}
    said = common.why(common.combine(parts), parts)
    assert said == "depends. holds: a - does not hold: b - undecided by the seeds: c"
    assert common.why(CONFIRMED, {"a": True}) == "every part holds"


def test_judged_turns_numpy_bools_into_plain_ones():
    import numpy as np

    r = common.judged({"a": np.bool_(True), "b": None}, rows=[1])
    assert r["parts"] == {"a": True, "b": None} and type(r["parts"]["a"]) is bool
    assert r["verdict"] == INCONCLUSIVE and r["rows"] == [1]


def test_all_of():
    assert common.all_of([True, True]) is True
    assert common.all_of([True, None]) is None
    assert common.all_of([None, False]) is False


def test_lower_is_paired_and_three_way():
    base = [1.0, 2.0, 3.0, 4.0, 5.0]  # a big spread between seeds that pairing removes
    shifted = [x + 0.1 + 0.001 * (-1) ** i for i, x in enumerate(base)]
    assert common.lower(base, shifted) is True
    assert common.lower(shifted, base) is False
    assert common.lower(base, list(base)) is False  # no difference: shown not lower
    noisy = [x + (0.5 if i % 2 else -0.45) for i, x in enumerate(base)]
    assert common.lower(base, noisy) is None


def test_mean_below_uses_the_one_sided_t_bound():
    # mean 1, SE 0.1 over 5 values: t(0.95, 4) = 2.1318, bounds 0.787 and 1.213
    xs = [1 - 0.2 * math.sqrt(5 / 4) * s for s in (-1, -1, 0, 1, 1)]
    assert common.summary(xs)["se"] == pytest.approx(0.1)
    assert common.mean_below(xs, 1.22) is True
    assert common.mean_below(xs, 1.20) is None
    assert common.mean_below(xs, 0.78) is False
    assert common.mean_below([0.1], 1.0) is None  # one value bounds nothing


def test_loglog_slope_of_an_exact_power_law():
    x = [1e-3, 1e-2, 0.1, 1.0]
    slope, intercept = common.loglog_slope(x, [3 * v**2.5 for v in x])
    assert slope == pytest.approx(2.5) and intercept == pytest.approx(math.log10(3))


def test_learned_nothing_is_the_cost_of_guessing():
    import numpy as np

    y = np.array([0, 1] * 50)
    assert common.guess_cost(y) == pytest.approx(math.log(2))
    assert common.learned_nothing(0.6931, y) and common.learned_nothing(0.70, y)
    assert not common.learned_nothing(0.3, y) and not common.learned_nothing(None, y)


def test_map_seeds_keeps_the_order():
    assert common.map_seeds(_square, [3, 1, 2]) == [{"x": 9}, {"x": 1}, {"x": 4}]


def _square(seed: int) -> dict:
    return {"x": seed * seed}


def test_table_escapes_pipes():
    assert common.table(["a", "b"], [["x|y", 1]]) == ["| a | b |", "|---|---|", "| x\\|y | 1 |"]
