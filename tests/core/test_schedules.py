import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.errors import ConfigError
from core.schedules import SCHEDULES, Schedule, learning_rate


def test_inverse_time_matches_the_course():
    # alpha0 = 0.2, decay_rate = 1: 0.2, 0.1, 0.0667, 0.05 for the first four epochs
    s = Schedule("inverse-time", 0.2, 1.0)
    assert [s(e) for e in range(4)] == pytest.approx([0.2, 0.1, 0.2 / 3, 0.05])


def test_staircase_drops_every_time_interval():
    s = Schedule("staircase", 0.1, 1.0, time_interval=10)
    assert [s(e) for e in (0, 9, 10, 19, 20)] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.1 / 3])


def test_exponential_covers_the_course_095_power():
    s = Schedule("exponential", 0.3, -math.log(0.95))
    for e in (0, 1, 7, 50):
        assert s(e) == pytest.approx(0.3 * 0.95**e)


def test_sqrt_schedule():
    assert Schedule("sqrt", 0.4, 3.0)(5) == pytest.approx(0.4 / 4)


@pytest.mark.parametrize("kind", SCHEDULES)
def test_first_epoch_uses_alpha0(kind):
    rate = 0.0 if kind == "none" else 0.5
    assert Schedule(kind, 0.01, rate, 3 if kind == "staircase" else 1)(0) == 0.01


@pytest.mark.parametrize("kind", SCHEDULES)
def test_zero_decay_rate_means_no_decay(kind):
    s = Schedule(kind, 0.01, 0.0, 2 if kind == "staircase" else 1)
    assert {s(e) for e in range(100)} == {0.01}


@given(
    kind=st.sampled_from([k for k in SCHEDULES if k != "none"]),
    alpha0=st.floats(1e-6, 10),
    rate=st.floats(0, 5),
    interval=st.integers(1, 50),
    epoch=st.integers(0, 10_000),
)
def test_schedules_never_increase_and_stay_positive(kind, alpha0, rate, interval, epoch):
    assume(kind != "exponential" or rate * (epoch + 1) < 700)  # e^-700 is still a float > 0
    now = learning_rate(kind, alpha0, rate, epoch, interval)
    later = learning_rate(kind, alpha0, rate, epoch + 1, interval)
    assert 0 < later <= now <= alpha0


@pytest.mark.parametrize(
    "args, message",
    [
        (("inverse-time", 0.1, -0.5), "decay rate must be >= 0"),
        (("inverse-time", 0.0, 0.5), "alpha must be > 0"),
        (("cosine", 0.1, 0.5), "unknown decay 'cosine'"),
        (("staircase", 0.1, 0.5, 0), "time interval must be an integer >= 1"),
        (("none", 0.1, 0.5), "decay rate > 0 needs a schedule"),
        (("inverse-time", 0.1, 0.5, 10), "time interval applies to the staircase schedule only"),
    ],
)
def test_invalid_schedules_are_refused(args, message):
    with pytest.raises(ConfigError, match=message):
        Schedule(*args)
