"""How parts combine into a verdict, and the paired rules a part is judged by."""

from __future__ import annotations

from analysis.findings import rules


def test_every_part_confirms_no_part_refutes_some_parts_depend():
    assert rules.combine({"a": True, "b": True}) == rules.CONFIRMED
    assert rules.combine({"a": False, "b": False}) == rules.REFUTED
    assert rules.combine({"a": True, "b": False}) == rules.DEPENDS
    assert rules.depends_on({"gd": True, "adam": False}) == "holds: gd - does not hold: adam"


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
