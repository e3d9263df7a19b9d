"""What a trial's run shows as minibatch_cost_ewa: the seed's bias-corrected EWA, thinned."""

import math

import numpy as np
import pytest

from sweeps.curves import EWA_POINTS, smoothed_cost


def test_smoothed_cost_is_the_bias_corrected_ewa_by_hand():
    # beta 0.5: v1 = 0.5 * 1 = 0.5, v2 = 0.25 + 0.5 * 3 = 1.75; corrected by 1 - 0.5, 1 - 0.25
    assert smoothed_cost([1.0, 3.0], beta=0.5) == [(1, 1.0), (2, pytest.approx(1.75 / 0.75))]
    # bias correction lifts the start to the data's level: a flat cost stays flat
    assert [v for _, v in smoothed_cost([2.0] * 5)] == pytest.approx([2.0] * 5)


def test_a_long_trial_keeps_few_evenly_spaced_points_ending_at_its_last_step():
    steps = 30_000  # moons, 16,000 training samples at batch 32 for 60 epochs
    cost = 1.0 + 0.1 * np.sin(np.arange(steps))
    points = smoothed_cost(cost)
    kept = [s for s, _ in points]
    assert len(points) <= EWA_POINTS and kept[-1] == steps
    gaps = set(np.diff(kept[:-1]).tolist())
    assert gaps == {math.ceil(steps / EWA_POINTS)}
    # the noise (+-0.1 every step) is averaged away over ~50 steps
    assert all(abs(v - 1.0) < 0.02 for s, v in points if s > 500)


def test_a_short_trial_keeps_every_step_and_no_steps_give_nothing():
    assert [s for s, _ in smoothed_cost([1.0] * 37)] == list(range(1, 38))
    assert smoothed_cost([]) == []
