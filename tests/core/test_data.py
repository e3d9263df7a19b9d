"""core.data: the built-ins against independent references, user files, and the split."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_circles, make_moons

from core import data
from core.data import BUILTIN, Dataset, DataSpec, load, split, split_indices
from core.errors import ConfigError, DataError, UserError

SYNTHETIC = ("moons", "circles", "spiral", "blobs")


def _rows_sorted(X, y):
    """(label, x0, x1, ...) rows in lexicographic order: compares data sets up to row order."""
    table = np.c_[y, X]
    return table[np.lexsort(table.T[::-1])]


def _raises(exc_type, spec, *phrases):
    """load(spec) raises exc_type with a one-line message containing every phrase."""
    with pytest.raises(exc_type) as info:
        load(spec)
    message = str(info.value)
    assert "\n" not in message
    for phrase in phrases:
        assert phrase in message
    return message


# --- built-ins ---


@pytest.mark.parametrize("samples", [300, 301])
def test_noiseless_moons_match_sklearn_make_moons(samples):
    ours = load(DataSpec("moons", samples=samples, noise=0.0))
    X, y = make_moons(n_samples=samples, noise=None, shuffle=False)
    np.testing.assert_allclose(_rows_sorted(ours.X, ours.y), _rows_sorted(X, y), atol=1e-12)


@pytest.mark.parametrize("samples", [300, 301])
def test_noiseless_circles_match_the_courses_make_circles_call(samples):
    """The course's initialization assignment: make_circles(n_samples=300, noise=.05), whose
    factor is scikit-learn's default."""
    ours = load(DataSpec("circles", samples=samples, noise=0.0))
    X, y = make_circles(n_samples=samples, noise=None, shuffle=False)
    np.testing.assert_allclose(_rows_sorted(ours.X, ours.y), _rows_sorted(X, y), atol=1e-12)


def test_noiseless_spiral_arms_follow_the_polar_construction():
    data = load(DataSpec("spiral", noise=0.0))
    n = 100
    for j in range(3):
        arm = data.X[data.y == j]
        r = np.hypot(arm[:, 0], arm[:, 1])
        arm, r = arm[np.argsort(r)], np.sort(r)
        np.testing.assert_allclose(r, np.linspace(0, 1, n), atol=1e-12)
        # x = r sin t, y = r cos t, so atan2(x, y) = t modulo 2 pi (undefined at r = 0)
        t = np.linspace(4 * j, 4 * (j + 1), n)[1:]
        angle = np.arctan2(arm[1:, 0], arm[1:, 1])
        np.testing.assert_allclose(np.angle(np.exp(1j * (angle - t))), 0, atol=1e-9)


def test_blobs_noise_is_the_cluster_standard_deviation():
    exact = load(DataSpec("blobs", samples=3000, noise=0.0))
    noisy = load(DataSpec("blobs", samples=3000, noise=1.5))
    for k in range(3):
        assert np.ptp(exact.X[exact.y == k], axis=0).max() == 0  # every point on its centre
        spread = noisy.X[noisy.y == k].std(axis=0)
        np.testing.assert_allclose(spread, 1.5, rtol=0.1)


@pytest.mark.parametrize(
    ("name", "shape", "counts"),
    [
        ("moons", (300, 2), [150, 150]),
        ("circles", (300, 2), [150, 150]),
        ("spiral", (300, 2), [100, 100, 100]),
        ("blobs", (300, 2), [100, 100, 100]),
        ("breast_cancer", (569, 30), [212, 357]),
        ("digits", (1797, 64), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]),
    ],
)
def test_builtin_defaults_shapes_and_classes(name, shape, counts):
    data = load(DataSpec(name))
    assert data.name == name
    assert data.X.shape == shape
    assert data.X.dtype == np.float64 and data.X.flags.c_contiguous
    assert data.y.dtype == np.int64 and data.y.shape == (shape[0],)
    assert data.n_classes == len(counts)
    assert np.bincount(data.y).tolist() == counts
    assert np.isfinite(data.X).all()


def test_builtin_tuple_lists_every_loadable_name():
    assert set(BUILTIN) == {"moons", "circles", "spiral", "blobs", "breast_cancer", "digits"}


# the course's make_moons(noise=.2) and make_circles(noise=.05); CS231n's spiral
@pytest.mark.parametrize(("name", "noise"), [("moons", 0.2), ("circles", 0.05), ("spiral", 0.2)])
def test_default_noise_is_the_documented_setting(name, noise):
    default, explicit = load(DataSpec(name)), load(DataSpec(name, noise=noise))
    np.testing.assert_array_equal(default.X, explicit.X)


def test_blobs_default_cluster_std_is_one():
    default, explicit = load(DataSpec("blobs")), load(DataSpec("blobs", noise=1.0))
    np.testing.assert_array_equal(default.X, explicit.X)


def test_synthetic_rows_are_shuffled():
    y = load(DataSpec("moons")).y
    assert np.count_nonzero(np.diff(y)) > 10  # classes interleave, not two sorted blocks


@pytest.mark.parametrize("name", SYNTHETIC)
def test_same_seed_gives_the_same_data_bit_for_bit(name):
    a, b = load(DataSpec(name, seed=7)), load(DataSpec(name, seed=7))
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)


@pytest.mark.parametrize("name", SYNTHETIC)
def test_different_seeds_give_different_data(name):
    assert not np.array_equal(load(DataSpec(name, seed=0)).X, load(DataSpec(name, seed=1)).X)


@pytest.mark.parametrize(("name", "noise"), [("moons", 0.3), ("circles", 0.05)])
def test_noise_option_adds_gaussian_noise_of_that_std(name, noise):
    exact = load(DataSpec(name, samples=4000, noise=0.0))
    noisy = load(DataSpec(name, samples=4000, noise=noise))
    assert not np.array_equal(exact.X, noisy.X)
    # The same seed lays out the same points; only the noise changes.
    np.testing.assert_array_equal(exact.y, noisy.y)
    np.testing.assert_allclose((noisy.X - exact.X).std(), noise, rtol=0.05)


@pytest.mark.parametrize(("name", "classes"), [("spiral", 5), ("blobs", 4)])
def test_classes_option_sets_the_class_count(name, classes):
    data = load(DataSpec(name, classes=classes, samples=101))
    assert data.n_classes == classes
    counts = np.bincount(data.y)
    assert counts.sum() == 101 and counts.max() - counts.min() <= 1


def test_samples_option_sets_the_row_count():
    data = load(DataSpec("moons", samples=101))
    assert np.bincount(data.y).tolist() == [50, 51]


def test_breast_cancer_features_span_very_different_scales():
    std = load(DataSpec("breast_cancer")).X.std(axis=0)
    assert std.max() / std.min() > 1000


def test_breast_cancer_subsample_is_stratified_seeded_and_a_subset():
    full = load(DataSpec("breast_cancer"))
    part = load(DataSpec("breast_cancer", samples=100, seed=3))
    assert part.X.shape == (100, 30)
    assert np.bincount(part.y).tolist() == [37, 63]  # 212/569 and 357/569 of 100
    np.testing.assert_array_equal(part.X, load(DataSpec("breast_cancer", samples=100, seed=3)).X)
    assert not np.array_equal(part.X, load(DataSpec("breast_cancer", samples=100, seed=4)).X)
    full_rows = {tuple(row) for row in np.c_[full.X, full.y]}
    assert all(tuple(row) in full_rows for row in np.c_[part.X, part.y])


def test_digits_are_8x8_pixels_in_0_to_16():
    X = load(DataSpec("digits")).X
    assert X.min() == 0 and X.max() == 16


def test_describe_is_one_line_with_the_counts():
    assert load(DataSpec("moons")).describe() == (
        "moons: 300 samples x 2 features, 2 classes (150/150)"
    )


# --- options that do not apply or are out of range ---


@pytest.mark.parametrize(
    ("spec", "phrase"),
    [
        (DataSpec("breast_cancer", noise=0.1), "--noise does not apply to breast_cancer"),
        (DataSpec("digits", classes=3), "--classes does not apply to digits"),
        (DataSpec("moons", classes=3), "--classes does not apply to moons"),
        (DataSpec("circles", classes=2), "--classes does not apply to circles"),
        (DataSpec("moons", samples=3), "--samples"),
        (DataSpec("spiral", classes=4, samples=7), "at least 8"),
        (DataSpec("moons", samples=2.5), "--samples"),
        (DataSpec("moons", samples=True), "--samples"),
        (DataSpec("breast_cancer", samples=1000), "569"),
        (DataSpec("breast_cancer", samples=3), "--samples"),
        (DataSpec("moons", noise=-0.1), "--noise"),
        (DataSpec("moons", noise=float("nan")), "--noise"),
        (DataSpec("spiral", classes=1), "--classes"),
        (DataSpec("blobs", classes=0), "--classes"),
        (DataSpec("moons", seed=-1), "--seed"),
    ],
)
def test_bad_options_raise_config_error_naming_the_option(spec, phrase):
    _raises(ConfigError, spec, phrase)


def test_unknown_name_lists_the_builtins_and_accepts_paths():
    message = _raises(ConfigError, DataSpec("moon"), ".npz", ".csv", "did you mean moons?")
    assert all(name in message for name in BUILTIN)


def test_generation_options_do_not_apply_to_files(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("0,0\n1,0\n2,1\n3,1\n")
    _raises(ConfigError, DataSpec(str(path), noise=0.1), "--noise does not apply to data.csv")
    _raises(ConfigError, DataSpec(str(path), classes=2), "--classes does not apply to data.csv")


# --- user files ---


def test_npz_loads_and_maps_labels_to_0_to_k(tmp_path):
    path = tmp_path / "mine.npz"
    X = np.arange(12, dtype=np.int32).reshape(6, 2)
    np.savez(path, X=X, y=np.array([-1.0, 5, 2, 5, -1, 2]))
    data = load(DataSpec(str(path)))
    assert data.name == "mine.npz" and data.n_classes == 3
    assert data.X.dtype == np.float64 and data.y.dtype == np.int64
    np.testing.assert_array_equal(data.X, X)
    np.testing.assert_array_equal(data.y, [0, 2, 1, 2, 0, 1])  # sorted: -1 -> 0, 2 -> 1, 5 -> 2


def test_npz_with_1d_X_is_a_single_feature(tmp_path):
    path = tmp_path / "one.npz"
    np.savez(path, X=np.array([0.5, 1.5, 2.5, 3.5]), y=np.array([0, 0, 1, 1]))
    assert load(DataSpec(str(path))).X.shape == (4, 1)


@pytest.mark.parametrize("header", ["", "x1,x2,label\n"])
def test_csv_with_or_without_header_gives_the_same_data(tmp_path, header):
    path = tmp_path / "table.csv"
    path.write_text(header + "1.5,2,7\n3,-4e-1,7\n\n5, 6 ,9\n7,8,9\n")
    data = load(DataSpec(str(path)))
    np.testing.assert_array_equal(data.X, [[1.5, 2], [3, -0.4], [5, 6], [7, 8]])
    np.testing.assert_array_equal(data.y, [0, 0, 1, 1])
    assert data.name == "table.csv"


def test_file_samples_subsample_per_class(tmp_path):
    path = tmp_path / "big.csv"
    rows = [f"{i},{i % 2}" for i in range(40)]
    path.write_text("\n".join(rows) + "\n")
    data = load(DataSpec(str(path), samples=10))
    assert np.bincount(data.y).tolist() == [5, 5]


def _npz(**arrays):
    return lambda path: np.savez(path, **arrays)


def _text(text):
    return lambda path: path.write_text(text)


def _bytes(data):
    return lambda path: path.write_bytes(data)


def _truncated_npz(path):
    np.savez(path, X=np.ones((4, 2)), y=np.array([0, 0, 1, 1]))
    path.write_bytes(path.read_bytes()[:60])


XY = {"X": np.ones((4, 2)), "y": np.array([0, 0, 1, 1])}

BAD_FILES = {
    "missing y": ("d.npz", _npz(X=XY["X"]), "missing array y"),
    "missing X": ("d.npz", _npz(y=XY["y"]), "missing array X"),
    "object X": ("d.npz", _npz(X=np.array([1, "a", None, 2], dtype=object), y=XY["y"]), "pickled"),
    "not a zip": ("d.npz", _text("hello"), "not a valid .npz"),
    "truncated": ("d.npz", _truncated_npz, "not a valid .npz"),
    "empty npz file": ("d.npz", _bytes(b""), "not a valid .npz"),
    "text X": ("d.npz", _npz(X=np.array(["a", "b", "c", "d"]), y=XY["y"]), "must be numeric"),
    "nan in npz": (
        "d.npz",
        _npz(X=np.array([[0, 1], [2, 3], [4, np.nan], [6, 7]]), y=XY["y"]),
        "X[2, 1] is nan",
    ),
    "inf label": ("d.npz", _npz(X=XY["X"], y=np.array([0, 1, np.inf, 1])), "y[2] is inf"),
    "count mismatch": ("d.npz", _npz(X=XY["X"], y=np.array([0, 0, 1])), "4 rows but y has 3"),
    "3-D X": ("d.npz", _npz(X=np.ones((4, 2, 2)), y=XY["y"]), "must be 2-D"),
    "2-D y": ("d.npz", _npz(X=XY["X"], y=np.ones((4, 2))), "y must be 1-D"),
    "no rows npz": ("d.npz", _npz(X=np.ones((0, 2)), y=np.ones(0)), "no rows"),
    "one class": ("d.csv", _text("1,2,0\n3,4,0\n5,6,0\n"), "at least two classes"),
    "one row in a class": ("d.csv", _text("1,2,0\n3,4,0\n5,6,1\n"), "too few rows to split"),
    "fractional label": ("d.csv", _text("1,0\n2,0.5\n3,1\n4,1\n"), "line 2, column 2"),
    "non-numeric cell": ("d.csv", _text("x,y,c\n1,2,0\nabc,4,0\n5,6,1\n"), "line 3, column 1"),
    "typo in first row": ("d.csv", _text("1,abc,0\n3,4,0\n5,6,1\n7,8,1\n"), "line 1, column 2"),
    "empty cell": ("d.csv", _text("1,2,0\n3,,0\n5,6,1\n7,8,1\n"), "line 2, column 2"),
    "inf in csv": ("d.csv", _text("1,2,0\n3,4,0\n5,inf,1\n7,8,1\n"), "line 3, column 2"),
    "nan label": ("d.csv", _text("1,2,0\n3,4,nan\n5,6,1\n7,8,1\n"), "line 2, column 3"),
    "ragged": ("d.csv", _text("1,2,0\n3,4\n5,6,1\n"), "line 2 has 2 columns"),
    "one column": ("d.csv", _text("0\n1\n"), "label column"),
    "header only": ("d.csv", _text("a,b,label\n"), "no data rows"),
    "empty csv": ("d.csv", _text(""), "no data rows"),
    "not utf-8": ("d.csv", _bytes(b"1,2,0\n\xff\xfe,4,1\n"), "UTF-8"),
    "unsupported": ("d.txt", _text("1,2,0\n"), "unsupported file type '.txt'"),
}


@pytest.mark.parametrize(("file_name", "write", "phrase"), BAD_FILES.values(), ids=BAD_FILES)
def test_bad_file_raises_data_error_naming_file_and_problem(tmp_path, file_name, write, phrase):
    path = tmp_path / file_name
    write(path)
    message = _raises(DataError, DataSpec(str(path)), phrase)
    assert file_name in message


def test_missing_file_with_data_suffix_is_not_found(tmp_path):
    _raises(DataError, DataSpec(str(tmp_path / "nowhere.csv")), "nowhere.csv", "not found")


def test_directory_is_not_a_data_file(tmp_path):
    (tmp_path / "folder.csv").mkdir()
    _raises(DataError, DataSpec(str(tmp_path / "folder.csv")), "folder.csv", "directory")


def test_pickled_npz_is_refused_not_loaded(tmp_path, monkeypatch):
    path = tmp_path / "evil.npz"
    np.savez(path, X=np.array([object()] * 4, dtype=object), y=XY["y"])
    for name in ("pickle.load", "pickle.loads"):
        monkeypatch.setattr(name, lambda *a, **k: pytest.fail("the file was unpickled"))
    _raises(DataError, DataSpec(str(path)), "evil.npz", "array X", "pickled")


# --- split ---


def _dataset(counts, n_features=2, seed=0):
    """Rows whose first feature is the row id, so a split can be traced back to the data."""
    y = np.repeat(np.arange(len(counts)), counts)
    rest = np.random.default_rng(seed).standard_normal((len(y), n_features - 1))
    return Dataset(np.c_[np.arange(len(y)), rest], y, len(counts), "test")


def test_split_is_stratified():
    s = split(_dataset([100, 50, 30]), 0.2, seed=0)
    assert np.bincount(s.y_val).tolist() == [20, 10, 6]
    assert np.bincount(s.y_train).tolist() == [80, 40, 24]


def test_split_puts_every_class_on_both_sides():
    s = split(_dataset([40, 2, 2]), 0.9, seed=0)
    assert np.bincount(s.y_train).tolist() == [4, 1, 1]  # round(36) and capped at n - 1
    s = split(_dataset([40, 2, 3]), 0.05, seed=0)
    assert np.bincount(s.y_val).tolist() == [2, 1, 1]  # at least one of each


def test_split_is_disjoint_complete_and_keeps_rows_with_labels():
    data = _dataset([30, 20, 10])
    s = split(data, 0.3, seed=5)
    train_ids, val_ids = s.X_train[:, 0].astype(int), s.X_val[:, 0].astype(int)
    assert not set(train_ids) & set(val_ids)
    assert sorted([*train_ids, *val_ids]) == list(range(60))
    np.testing.assert_array_equal(s.X_train, data.X[train_ids])
    np.testing.assert_array_equal(s.y_train, data.y[train_ids])
    np.testing.assert_array_equal(s.y_val, data.y[val_ids])


def test_split_sides_are_shuffled():
    s = split(_dataset([50, 50]), 0.2, seed=0)
    assert np.count_nonzero(np.diff(s.y_train)) > 5
    assert np.count_nonzero(np.diff(s.y_val)) > 1


def test_split_is_deterministic_per_seed():
    data = load(DataSpec("moons"))
    a, b, c = split(data, 0.25, 1), split(data, 0.25, 1), split(data, 0.25, 2)
    for field in ("X_train", "y_train", "X_val", "y_val"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.X_val, c.X_val)


def test_split_depends_on_labels_and_seed_only():
    data = _dataset([20, 20])
    other = Dataset(np.zeros_like(data.X), data.y, 2, "zeros")
    for a, b in zip(split_indices(data.y, 0.3, 4), split_indices(other.y, 0.3, 4), strict=True):
        np.testing.assert_array_equal(a, b)


def test_split_dtypes_and_layout():
    s = split(load(DataSpec("moons")), 0.2, 0)
    for X in (s.X_train, s.X_val):
        assert X.dtype == np.float64 and X.flags.c_contiguous
    assert s.y_train.dtype == np.int64 and s.y_val.dtype == np.int64


def test_zero_val_fraction_gives_an_empty_validation_set():
    data = _dataset([10, 10], n_features=3)
    s = split(data, 0.0, seed=0)
    assert s.X_val.shape == (0, 3) and s.y_val.shape == (0,)
    assert s.X_val.dtype == np.float64 and s.y_val.dtype == np.int64
    assert sorted(s.X_train[:, 0]) == list(range(20))


@pytest.mark.parametrize("val_fraction", [-0.1, 1.0, 1.5, float("nan"), "0.2", None, True])
def test_split_rejects_val_fraction_outside_0_1(val_fraction):
    with pytest.raises(ConfigError, match="--val-fraction must be in"):
        split(_dataset([10, 10]), val_fraction, seed=0)


def test_split_rejects_a_class_with_no_rows():
    data = Dataset(np.zeros((4, 2)), np.array([0, 0, 2, 2]), 3, "gappy")
    with pytest.raises(DataError, match="class 1 has no rows"):
        split(data, 0.5, seed=0)


# --- check(spec): load's refusals, without loading -------------------------------------------

_NAMES = st.sampled_from(["moons", "circles", "spiral", "blobs", "breast_cancer", "moon"])
_MAYBE = st.one_of(st.none(), st.integers(-2, 3), st.floats(-1, 1, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(name=_NAMES, samples=st.one_of(st.none(), st.integers(-5, 60)), noise=_MAYBE,
       classes=_MAYBE, seed=st.one_of(st.integers(-1, 3), st.just(1.5)))  # fmt: skip
def test_check_refuses_exactly_what_load_refuses_with_the_same_words(
    name, samples, noise, classes, seed
):
    spec = data.DataSpec(name, samples=samples, noise=noise, classes=classes, seed=seed)
    try:
        data.load(spec)
        loaded = None
    except UserError as e:
        loaded = str(e)
    try:
        data.check(spec)
        checked = None
    except data.OptionError as e:
        checked = str(e)
        assert e.option in ("name", "samples", "noise", "classes", "seed")
    if name == "breast_cancer" and samples is not None and loaded and not checked:
        return  # a table's row count is checked when it is loaded (documented)
    assert checked == loaded


def test_check_names_the_field_a_file_or_a_table_cannot_take(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.zeros((10, 2)), y=np.arange(10) % 2)
    with pytest.raises(data.OptionError) as e:
        data.check(data.DataSpec(str(tmp_path / "d.npz"), noise=0.1))
    assert e.value.option == "noise" and "does not apply to d.npz" in str(e.value)
    with pytest.raises(data.OptionError) as e:
        data.check(data.DataSpec(str(tmp_path / "missing.csv")))
    assert e.value.option == "name" and "file not found" in str(e.value)


@pytest.mark.parametrize(
    "make, option, says",
    [
        (lambda d: DataSpec(str(d / "x.csv")), "name", "x.csv: file not found; check the path"),
        (lambda d: DataSpec(str(d)), "name", "is a directory; give a .npz or .csv file"),
        (lambda d: DataSpec(str(d / "notes.txt")), "name", "unsupported file type '.txt'"),
        (lambda d: DataSpec("moons", classes=3), "classes", "--classes does not apply to moons"),
        (lambda d: DataSpec("spiral", classes=1), "classes", "--classes must be a whole number"),
        (lambda d: DataSpec("moons", noise=-0.1), "noise", "--noise must be a number >= 0"),
        (lambda d: DataSpec("moons", seed=-1), "seed", "--seed must be a whole number >= 0"),
    ],
)  # fmt: skip
def test_check_refuses_in_these_words(tmp_path, make, option, says):
    (tmp_path / "notes.txt").write_text("a b\n")
    with pytest.raises(data.OptionError) as e:
        data.check(make(tmp_path))
    assert e.value.option == option and says in str(e.value)
