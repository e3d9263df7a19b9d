"""core.normalize: statistics from the training split only, applied unchanged elsewhere."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.preprocessing import StandardScaler

from core.data import Dataset, DataSpec, load, split, split_indices
from core.normalize import Standardizer


def _table(m=50, n=4, seed=0):
    """Features on different scales and offsets, like real tables."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, n)) * np.logspace(-3, 3, n) + np.arange(n) * 100


def test_fit_transform_gives_mean_0_and_std_1_on_the_training_split():
    Z = Standardizer().fit_transform(_table())
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1, rtol=1e-12)


def test_statistics_agree_with_sklearn_standard_scaler():
    X_train, X_val = _table(seed=0), _table(m=20, seed=1)
    ours, ref = Standardizer().fit(X_train), StandardScaler().fit(X_train)
    np.testing.assert_allclose(ours.mean_, ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(ours.std_, ref.scale_, rtol=1e-12)
    np.testing.assert_allclose(ours.transform(X_val), ref.transform(X_val), rtol=1e-10)


def test_transform_applies_the_training_statistics_unchanged():
    X_train, X_val = _table(seed=0), _table(m=20, seed=1) * 3 + 7
    scaler = Standardizer().fit(X_train)
    mean, std = scaler.mean_.copy(), scaler.std_.copy()
    Z_val = scaler.transform(X_val)
    np.testing.assert_array_equal(scaler.mean_, mean)  # transforming never refits
    np.testing.assert_array_equal(scaler.std_, std)
    expected = (X_val - X_train.mean(axis=0)) / X_train.std(axis=0)
    np.testing.assert_allclose(Z_val, expected, rtol=1e-12)
    assert abs(Z_val.mean(axis=0)).max() > 1  # so validation is not re-centred on itself


def test_fit_returns_self_and_transform_leaves_its_input_alone():
    X = _table()
    before = X.copy()
    scaler = Standardizer()
    assert scaler.fit(X) is scaler
    Z = Standardizer().fit(X).transform(X)
    np.testing.assert_array_equal(X, before)
    assert Z is not X and Z.dtype == np.float64 and Z.flags.c_contiguous


def test_constant_feature_becomes_zero_without_warnings_or_nan():
    X = np.c_[np.full(7, 0.1), np.arange(7.0), np.zeros(7)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scaler = Standardizer().fit(X)
        Z = scaler.transform(X)
        Z_other = scaler.transform(np.array([[0.3, 1.0, -2.0]]))
    np.testing.assert_array_equal(Z[:, [0, 2]], 0)  # exactly 0, not rounding noise
    np.testing.assert_array_equal(scaler.std_[[0, 2]], 1)
    np.testing.assert_allclose(Z_other[0, [0, 2]], [0.2, -2.0])  # x - mu, divided by 1
    assert np.isfinite(Z_other).all()


def test_single_training_row_standardizes_to_zeros():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Z = Standardizer().fit_transform(np.array([[3.0, -1.0]]))
    np.testing.assert_array_equal(Z, [[0.0, 0.0]])


def test_digits_with_blank_pixels_standardize_cleanly():
    s = split(load(DataSpec("digits")), 0.2, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scaler = Standardizer().fit(s.X_train)
        Z_train, Z_val = scaler.transform(s.X_train), scaler.transform(s.X_val)
    assert (s.X_train.std(axis=0) == 0).any()  # the data really has constant pixels
    assert np.isfinite(Z_train).all() and np.isfinite(Z_val).all()


def test_empty_validation_set_transforms_to_an_empty_array():
    scaler = Standardizer().fit(_table(n=3))
    assert scaler.transform(np.empty((0, 3))).shape == (0, 3)


def test_transform_before_fit_is_a_clear_error():
    with pytest.raises(RuntimeError, match="before fit"):
        Standardizer().transform(_table())


@pytest.mark.parametrize("X", [np.ones(5), np.ones((2, 2, 2))])
def test_only_2d_arrays_are_accepted(X):
    with pytest.raises(ValueError, match="2-D"):
        Standardizer().fit(X)


def test_feature_count_must_match_the_fit():
    scaler = Standardizer().fit(_table(n=4))
    with pytest.raises(ValueError, match="3 features but the Standardizer was fitted on 4"):
        scaler.transform(_table(n=3))


def test_fit_on_no_rows_is_refused():
    with pytest.raises(ValueError, match="0 rows"):
        Standardizer().fit(np.empty((0, 2)))


@settings(deadline=None, max_examples=60)
@given(st.data())
def test_standardized_training_data_has_mean_0_and_std_0_or_1(data):
    m, n = data.draw(st.integers(2, 30)), data.draw(st.integers(1, 5))
    X = data.draw(arrays(np.float64, (m, n), elements=st.integers(-1000, 1000).map(float)))
    Z = Standardizer().fit_transform(X)
    constant = np.ptp(X, axis=0) == 0
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(Z.std(axis=0), np.where(constant, 0, 1), atol=1e-9)


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(deadline=None, max_examples=60)
@given(st.data())
def test_validation_rows_never_influence_the_training_statistics(data):
    m, n = data.draw(st.integers(6, 30)), data.draw(st.integers(1, 4))
    y = np.arange(m) % 2
    X = data.draw(arrays(np.float64, (m, n), elements=finite))
    seed = data.draw(st.integers(0, 2**32 - 1))
    _, val = split_indices(y, 0.3, seed)
    X_changed = X.copy()
    X_changed[val] = data.draw(arrays(np.float64, (len(val), n), elements=finite))

    a = split(Dataset(X, y, 2, "original"), 0.3, seed)
    b = split(Dataset(X_changed, y, 2, "changed"), 0.3, seed)
    fit_a, fit_b = Standardizer().fit(a.X_train), Standardizer().fit(b.X_train)
    np.testing.assert_array_equal(fit_a.mean_, fit_b.mean_)
    np.testing.assert_array_equal(fit_a.std_, fit_b.std_)
    np.testing.assert_array_equal(fit_a.transform(a.X_train), fit_b.transform(b.X_train))
    np.testing.assert_array_equal(b.X_val, X_changed[val])  # the change did reach validation


def test_fitting_on_all_rows_would_leak_validation_statistics():
    # The control for the property above: the pipeline it guards against does move.
    y = np.arange(40) % 2
    X = _table(m=40, n=2)
    _, val = split_indices(y, 0.3, seed=0)
    X_changed = X.copy()
    X_changed[val] += 1000
    leaky_a, leaky_b = Standardizer().fit(X), Standardizer().fit(X_changed)
    assert not np.allclose(leaky_a.mean_, leaky_b.mean_)
    honest_a = Standardizer().fit(split(Dataset(X, y, 2, "a"), 0.3, 0).X_train)
    honest_b = Standardizer().fit(split(Dataset(X_changed, y, 2, "b"), 0.3, 0).X_train)
    np.testing.assert_array_equal(honest_a.mean_, honest_b.mean_)
