"""How parts combine into a verdict, and the paired rules a part is judged by."""

from __future__ import annotations

import pytest

from findings import rules
from findings.rules import CONFIRMED, DEPENDS, INCONCLUSIVE, REFUTED


def test_every_part_confirms_no_part_refutes_some_parts_depend():
    assert rules.combine({"a": True, "b": True}) == rules.CONFIRMED
    assert rules.combine({"a": False, "b": False}) == rules.REFUTED
    assert rules.combine({"a": True, "b": False}) == rules.DEPENDS
    parts = {"gd": True, "adam": False}
    assert rules.why(rules.combine(parts), parts) == "depends. holds: gd - does not hold: adam"


def test_a_lot_faster_needs_half_the_epochs_beyond_noise():
    slow = [400.0, 420.0, 380.0, 410.0, 390.0]
    assert rules.a_lot_faster([100.0, 110.0, 95.0, 105.0, 98.0], slow)
    assert not rules.a_lot_faster([300.0, 310.0, 290.0, 305.0, 295.0], slow)  # faster, not 2x
    assert not rules.a_lot_faster([100.0, 900.0, 100.0, 900.0, 100.0], slow)  # 2x on average only
    assert not rules.a_lot_faster(slow, [100.0, 110.0, 95.0, 105.0, 98.0])  # slower


def test_negligible_is_a_difference_shown_within_one_percent():
    gd = [0.50, 0.52, 0.48, 0.51, 0.49]
    assert rules.negligible(gd, [x + 0.001 for x in gd]) is True  # 0.2% on every seed: within 1%
    assert rules.negligible(gd, [x - 0.05 for x in gd]) is False  # 10% better on every seed
    noisy = [x + d for x, d in zip(gd, [0.1, -0.1, 0.1, -0.1, 0.02], strict=True)]
    assert rules.negligible(gd, noisy) is None  # 0.4% on average, sd 0.09: nothing to tell


def test_decay_helps_only_when_lower_beyond_noise_and_tolerance():
    off = [0.10, 0.12, 0.11, 0.13, 0.09]
    assert rules.helps([x - 0.02 for x in off], off)
    assert not rules.helps([x - 0.0005 for x in off], off)  # 0.5%: within 1%
    assert not rules.helps([x + 0.02 for x in off], off)  # worse


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
    assert rules.combine({f"part {i}": v for i, v in enumerate(values)}) == verdict


def test_combine_needs_a_part():
    with pytest.raises(ValueError):
        rules.combine({})


def test_why_names_what_holds_fails_and_is_undecided():
    parts = {"a": True, "b": False, "c": None}
    said = rules.why(rules.combine(parts), parts)
    assert said == "depends. holds: a - does not hold: b - undecided by the seeds: c"
    assert rules.why(CONFIRMED, {"a": True}) == "every part holds"


def test_judged_turns_numpy_bools_into_plain_ones():
    import numpy as np

    r = rules.judged({"a": np.bool_(True), "b": None}, rows=[1])
    assert r.parts == {"a": True, "b": None} and type(r.parts["a"]) is bool
    assert r.verdict == INCONCLUSIVE and r.evidence["rows"] == [1]


def test_all_of():
    assert rules.all_of([True, True]) is True
    assert rules.all_of([True, None]) is None
    assert rules.all_of([None, False]) is False


def test_lower_is_paired_and_three_way():
    base = [1.0, 2.0, 3.0, 4.0, 5.0]  # a big spread between seeds that pairing removes
    shifted = [x + 0.1 + 0.001 * (-1) ** i for i, x in enumerate(base)]
    assert rules.lower(base, shifted) is True
    assert rules.lower(shifted, base) is False
    assert rules.lower(base, list(base)) is False  # no difference: shown not lower
    noisy = [x + (0.5 if i % 2 else -0.45) for i, x in enumerate(base)]
    assert rules.lower(base, noisy) is None
