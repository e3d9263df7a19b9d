"""Claim 4's wander figure."""

from __future__ import annotations

import math

import pytest

from findings import decay


def test_wander_is_the_spread_of_the_last_fifth():
    flat = [1.0] * 80 + [0.1] * 20
    assert decay.wander(flat) == 0.0
    jumpy = [1.0] * 80 + [0.1, 0.3] * 10
    assert decay.wander(jumpy) == pytest.approx(0.1 * math.sqrt(20 / 19))
