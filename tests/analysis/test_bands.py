"""analysis.bands: the per-epoch mean over seeds and the t interval of that mean, against hand
arithmetic, scipy's own interval per epoch, and laws (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.bands import band

# t(0.975, df): two-sided 95% quantiles from a printed table
T975 = {1: 12.706204736, 2: 4.302652730, 3: 3.182446305}


def test_three_seeds_two_epochs_by_hand():
    b = band([[1.0, 2.0], [3.0, 4.0], [5.0, 9.0]])
    # epoch 1: 1, 3, 5: mean 3, s = 2, se = 2 / sqrt(3)
    # epoch 2: 2, 4, 9: mean 5, s^2 = (9 + 1 + 16) / 2 = 13, se = sqrt(13 / 3)
    half = [T975[2] * 2 / math.sqrt(3), T975[2] * math.sqrt(13 / 3)]
    assert b.mean.tolist() == pytest.approx([3.0, 5.0])
    assert b.lo.tolist() == pytest.approx([3.0 - half[0], 5.0 - half[1]])
    assert b.hi.tolist() == pytest.approx([3.0 + half[0], 5.0 + half[1]])
    assert b.n.tolist() == [3, 3] and b.epochs == 2
    assert b.lo[0] == pytest.approx(-1.968275, abs=1e-6)  # 3 - 4.302653 * 1.154701


def test_a_curve_counts_only_for_the_epochs_it_ran():
    # seed 3 stopped after one epoch, seed 2 has a non-finite value at epoch 3 (overflow)
    b = band([[1.0, 2.0, 3.0], [3.0, 4.0, math.inf], [5.0]])
    assert b.n.tolist() == [3, 2, 1]
    assert b.mean.tolist() == pytest.approx([3.0, 3.0, 3.0])
    # epoch 2: 2 and 4: s = sqrt(2), se = 1, t with one degree of freedom
    assert b.lo[1] == pytest.approx(3.0 - T975[1]) and b.hi[1] == pytest.approx(3.0 + T975[1])
    assert math.isnan(b.lo[2]) and math.isnan(b.hi[2])  # one seed: a mean, no band


def test_no_seed_and_a_constant_curve():
    assert band([]).epochs == 0
    b = band([[0.5, 0.25], [0.5, 0.25]])
    assert b.lo.tolist() == b.mean.tolist() == b.hi.tolist() == [0.5, 0.25]
    with pytest.raises(ValueError):
        band([[1.0]], confidence=1.0)


def reference(curves: list[list[float]], confidence: float):
    """Epoch by epoch, the finite values of the seeds that got there, through scipy's own
    t.interval and sem (a second formulation: no padding, no masks)."""
    out = []
    for e in range(max(len(c) for c in curves)):
        x = [c[e] for c in curves if e < len(c) and math.isfinite(c[e])]
        if len(x) >= 2:
            with np.errstate(invalid="ignore"):  # a zero spread: scipy's NaN bounds
                lo, hi = stats.t.interval(
                    confidence, len(x) - 1, loc=np.mean(x), scale=stats.sem(x)
                )
            out.append((float(np.mean(x)), lo, hi, len(x)))
    return out


finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, width=64)
curves_st = st.lists(st.lists(finite, min_size=1, max_size=6), min_size=2, max_size=7)


@settings(max_examples=150, deadline=None)
@given(curves_st, st.sampled_from([0.5, 0.9, 0.95, 0.99]))
def test_equals_scipy_interval_at_every_epoch(curves, confidence):
    b = band(curves, confidence)
    rows = [(b.mean[e], b.lo[e], b.hi[e], b.n[e]) for e in range(b.epochs) if b.n[e] >= 2]
    want = reference(curves, confidence)
    assert len(rows) == len(want)
    for (m, lo, hi, n), (wm, wlo, whi, wn) in zip(rows, want, strict=True):
        assert n == wn
        assert m == pytest.approx(wm, rel=1e-9, abs=1e-9)
        if math.isnan(wlo):  # scipy: a zero spread gives NaN; ours a band of width 0
            assert lo == pytest.approx(m, abs=1e-9) and hi == pytest.approx(m, abs=1e-9)
        else:
            assert lo == pytest.approx(wlo, rel=1e-7, abs=1e-7)
            assert hi == pytest.approx(whi, rel=1e-7, abs=1e-7)


@settings(max_examples=150, deadline=None)
@given(curves_st)
def test_the_mean_lies_inside_its_band(curves):
    b = band(curves)
    two = b.n >= 2
    tol = 1e-9 * (1 + np.abs(b.mean[two]))
    assert np.all(b.lo[two] <= b.mean[two] + tol) and np.all(b.mean[two] <= b.hi[two] + tol)


@settings(max_examples=100, deadline=None)
@given(st.lists(finite, min_size=2, max_size=6).filter(lambda x: np.ptp(x) > 1e-3),
       st.integers(min_value=1, max_value=4))  # fmt: skip
def test_more_seeds_of_the_same_spread_narrow_the_band(values, k):
    # the same values k and k + 1 times over: the same spread, more seeds
    def width(copies):
        b = band([[v] for v in values * copies])
        return b.hi[0] - b.lo[0]

    assert width(k + 1) < width(k)
    assert band([[v] for v in values * k]).mean[0] == pytest.approx(np.mean(values))


@settings(max_examples=100, deadline=None)
@given(curves_st)
def test_each_epoch_is_the_band_of_the_seeds_that_reached_it(curves):
    b = band(curves)
    for e in range(b.epochs):
        reached = [c[: e + 1] for c in curves if len(c) > e]
        alone = band(reached)
        assert b.n[e] == alone.n[e] == len(reached)
        for got, want in ((b.mean, alone.mean), (b.lo, alone.lo), (b.hi, alone.hi)):
            assert got[e] == pytest.approx(want[e], nan_ok=True)
