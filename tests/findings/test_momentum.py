"""Claim 2's verdict: about the small alpha first."""

from __future__ import annotations

from findings import momentum, rules


def test_momentum_verdict_is_about_the_small_alpha_first():
    assert momentum.momentum_verdict(True, True) == rules.CONFIRMED
    assert momentum.momentum_verdict(True, False) == rules.DEPENDS
    assert momentum.momentum_verdict(False, True) == rules.REFUTED
    assert momentum.momentum_verdict(False, None) == rules.REFUTED
    assert momentum.momentum_verdict(None, True) == rules.INCONCLUSIVE
    assert momentum.momentum_verdict(True, None) == rules.INCONCLUSIVE
