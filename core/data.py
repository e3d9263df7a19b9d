"""Data sets and the train/validation split.

`load(spec)` returns a `Dataset` (X: (m, n_features) float64, y: (m,) int64 labels 0..K-1) from
one of the built-ins or from the user's .npz/.csv file; `split` then divides it, seeded and
stratified, so that every class is on both sides.

The synthetic sets are generated with `np.random.default_rng(spec.seed)`: the data set stays fixed
while the training seeds of a sweep vary. The two real tables ship inside scikit-learn (nothing is
downloaded); sklearn is imported only inside their two loaders, so the rest of core stays NumPy.
"""

from __future__ import annotations

import csv
import difflib
import math
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from core.errors import ConfigError, DataError, UserError

BUILTIN: tuple[str, ...] = ("moons", "circles", "spiral", "blobs", "breast_cancer", "digits")
FILE_SUFFIXES: tuple[str, ...] = (".npz", ".csv")
MIN_PER_CLASS = 2  # one row for training and one for validation
MAX_SAMPLES = 10_000_000  # rows to generate or keep: X alone is 80 MB per feature
MAX_LABEL = 2**53  # labels are read as float64, whole numbers exact only below this
CIRCLES_FACTOR = 0.8  # inner radius / outer radius: make_circles' default, as the course uses it
BLOBS_CENTER_BOX = (-10.0, 10.0)  # blob centres are uniform in this square, as make_blobs

_Where = Callable[[int, int | None], str]  # (row, column or None for the label) -> "line 3, ..."


@dataclass(frozen=True)
class DataSpec:
    """Which data set to use; None means the data set's own default (see `_SYNTHETIC`)."""

    name: str = "moons"  # a built-in name, or a path to a .npz / .csv file
    samples: int | None = None  # synthetic: how many to generate; tables and files: subsample
    noise: float | None = None  # synthetic sets only
    classes: int | None = None  # spiral and blobs only
    seed: int = 0  # generation (or subsampling) seed, separate from the training seed

    def to_dict(self) -> dict:
        """The fields as a plain dict (JSON output, re-training jobs, run params)."""
        return asdict(self)


@dataclass(frozen=True)
class Dataset:
    """Feature rows X, integer labels y in 0..n_classes-1, and a name for reports."""

    X: np.ndarray
    y: np.ndarray
    n_classes: int
    name: str

    def __post_init__(self) -> None:
        if self.X.ndim != 2 or self.y.ndim != 1 or len(self.X) != len(self.y):
            raise ValueError(f"{self.name}: X {self.X.shape} and y {self.y.shape} do not match")
        if self.y.size and (self.y.min() < 0 or self.y.max() >= self.n_classes):
            raise ValueError(f"{self.name}: labels must lie in 0..{self.n_classes - 1}")

    def describe(self) -> str:
        """One line for the CLI, e.g. 'moons: 300 samples x 2 features, 2 classes (150/150)'."""
        counts = "/".join(str(c) for c in np.bincount(self.y, minlength=self.n_classes))
        m, n = self.X.shape
        return f"{self.name}: {m} samples x {n} features, {self.n_classes} classes ({counts})"


@dataclass(frozen=True)
class Split:
    """The two sides of a split; X_val has shape (0, n) when val_fraction is 0."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray


def load(spec: DataSpec) -> Dataset:
    """The data set `spec` names: generated, shipped with scikit-learn, or read from a file."""
    check_seed(spec.seed)
    if spec.name in _SYNTHETIC:
        return _load_synthetic(spec)
    if spec.name in _TABLES:
        return _load_table(spec)
    return _load_file(spec)


class OptionError(ConfigError):
    """A ConfigError about one field of a DataSpec, named in `option`, so that a caller that
    read the spec from a file can say where it was written."""

    def __init__(self, option: str, error: Exception) -> None:
        super().__init__(str(error))
        self.option = option


def check(spec: DataSpec) -> DataSpec:
    """`spec` checked as `load` checks it, without loading the data (a sweep file's data set,
    before any trial): OptionError naming the field. A table's or a file's row count is
    checked when it is loaded."""
    _field("seed", check_seed, spec.seed)
    kind = _SYNTHETIC.get(spec.name)
    if kind is None and spec.name not in _TABLES:
        _field("name", _check_path, Path(spec.name))
    shape = ("classes",) if kind is not None else ("noise", "classes")
    for option in shape:  # a table or a file has its own; moons and circles have two classes
        if getattr(spec, option) is not None and (kind is None or not kind.classes):
            raise OptionError(option, _not_applicable(f"--{option}", Path(spec.name).name))
    if spec.classes is not None:
        _field("classes", _check_classes, spec.classes)
    if spec.noise is not None:
        _field("noise", _check_noise, spec.noise)
    if spec.samples is not None and (kind is not None or spec.name in _TABLES):
        classes = spec.classes or (kind.classes if kind else None) or 2
        _field("samples", _check_samples, spec.samples, classes, spec.name)
    return spec


def _field(option: str, check_value, *args) -> None:
    try:
        check_value(*args)
    except UserError as exc:
        raise OptionError(option, exc) from None


def _check_path(path: Path) -> None:
    """A data file that exists, of a type `load` reads (DataError, else the unknown name)."""
    suffix = path.suffix.lower()
    if not path.exists():
        if suffix in FILE_SUFFIXES:
            raise DataError(f"{path}: file not found; check the path")
        raise _unknown_name(str(path))
    if path.is_dir():
        raise DataError(f"{path}: is a directory; give a .npz or .csv file")
    if suffix not in FILE_SUFFIXES:
        raise DataError(
            f"{path}: unsupported file type '{suffix or '(none)'}'; "
            "use .npz (arrays X and y) or .csv (label in the last column)"
        )


def split(data: Dataset, val_fraction: float, seed: int) -> Split:
    """Seeded, stratified train/validation split of `data` (see `split_indices`)."""
    check_classes(data)
    train, val = split_indices(data.y, val_fraction, seed)
    X = np.asarray(data.X, dtype=np.float64)
    y = np.asarray(data.y, dtype=np.int64)
    return Split(np.ascontiguousarray(X[train]), y[train], np.ascontiguousarray(X[val]), y[val])


def check_classes(data: Dataset) -> None:
    """Every class 0..K-1 has rows: a class with none cannot be trained on."""
    counts = np.bincount(data.y, minlength=data.n_classes)
    if (counts == 0).any():
        missing = int(np.flatnonzero(counts == 0)[0])
        raise DataError(
            f"{data.name}: class {missing} has no rows, so it cannot be trained on; "
            "relabel the classes as 0..K-1 without gaps"
        )


def split_indices(y: np.ndarray, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (train, val). They depend on the labels and the seed only, never on X.

    Per class: shuffle its rows and send round(val_fraction * n) of them (at least 1, at most
    n - 1) to validation, so that every class with 2+ rows is on both sides; then shuffle each
    side so that the classes are mixed.
    """
    _check_val_fraction(val_fraction)
    check_seed(seed)
    rng = np.random.default_rng(seed)
    train, val = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for k in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == k))
        n_val = _val_count(len(rows), val_fraction)
        val.append(rows[:n_val])
        train.append(rows[n_val:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(val))


def _val_count(n: int, val_fraction: float) -> int:
    """round(val_fraction * n) half up, kept in [1, n - 1] when the class can be split at all."""
    if val_fraction == 0 or n < MIN_PER_CLASS:
        return 0
    return min(max(math.floor(val_fraction * n + 0.5), 1), n - 1)


# --- synthetic data sets: make(samples, noise, classes, rng) -> (X, y) in class order ---


def _moons(samples: int, noise: float, classes: int, rng: np.random.Generator):
    """Two interleaving half circles, built as scikit-learn's make_moons builds them."""
    n_out = samples // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, samples - n_out)
    outer = np.c_[np.cos(t_out), np.sin(t_out)]
    inner = np.c_[1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5]
    X = np.concatenate([outer, inner])
    return X + noise * rng.standard_normal(X.shape), np.repeat([0, 1], [n_out, samples - n_out])


def _circles(samples: int, noise: float, classes: int, rng: np.random.Generator):
    """A circle inside a circle (make_circles): radius 1 is class 0, radius CIRCLES_FACTOR 1."""
    n_out = samples // 2
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, samples - n_out, endpoint=False)
    inner = CIRCLES_FACTOR * np.c_[np.cos(t_in), np.sin(t_in)]
    X = np.concatenate([np.c_[np.cos(t_out), np.sin(t_out)], inner])
    return X + noise * rng.standard_normal(X.shape), np.repeat([0, 1], [n_out, samples - n_out])


def _spiral(samples: int, noise: float, classes: int, rng: np.random.Generator):
    """CS231n's spiral: arm j has r = linspace(0, 1, N), t = linspace(4j, 4(j+1), N) + noise."""
    counts = _per_class(samples, classes)
    arms = []
    for j, n in enumerate(counts):
        r = np.linspace(0.0, 1.0, n)
        t = np.linspace(4 * j, 4 * (j + 1), n) + noise * rng.standard_normal(n)
        arms.append(np.c_[r * np.sin(t), r * np.cos(t)])
    return np.concatenate(arms), np.repeat(np.arange(classes), counts)


def _blobs(samples: int, noise: float, classes: int, rng: np.random.Generator):
    """Isotropic Gaussian blobs; `noise` is the cluster standard deviation."""
    centers = rng.uniform(*BLOBS_CENTER_BOX, size=(classes, 2))
    y = np.repeat(np.arange(classes), _per_class(samples, classes))
    return centers[y] + noise * rng.standard_normal((samples, 2)), y


def _per_class(samples: int, classes: int) -> np.ndarray:
    """Class sizes that differ by at most one and sum to `samples`."""
    counts = np.full(classes, samples // classes)
    counts[: samples % classes] += 1
    return counts


@dataclass(frozen=True)
class _Synthetic:
    make: Callable[[int, float, int, np.random.Generator], tuple[np.ndarray, np.ndarray]]
    samples: int
    noise: float
    classes: int | None  # None: always two classes, --classes does not apply


# The defaults, in one place. moons and circles are the course's own data: its optimization
# assignment trains on make_moons(n_samples=300, noise=.2), its initialization assignment on
# make_circles(n_samples=300, noise=.05) (factor 0.8). spiral and blobs are not the course's.
_SYNTHETIC: dict[str, _Synthetic] = {
    "moons": _Synthetic(_moons, samples=300, noise=0.2, classes=None),
    "circles": _Synthetic(_circles, samples=300, noise=0.05, classes=None),
    "spiral": _Synthetic(_spiral, samples=300, noise=0.2, classes=3),
    "blobs": _Synthetic(_blobs, samples=300, noise=1.0, classes=3),
}


def _load_synthetic(spec: DataSpec) -> Dataset:
    """Generate, then shuffle, so that the row order carries no class information."""
    kind = _SYNTHETIC[spec.name]
    if kind.classes is None:
        if spec.classes is not None:
            raise _not_applicable("--classes", spec.name)
        classes = 2
    else:
        classes = _check_classes(kind.classes if spec.classes is None else spec.classes)
    noise = _check_noise(kind.noise if spec.noise is None else spec.noise)
    samples = kind.samples if spec.samples is None else spec.samples
    samples = _check_samples(samples, classes, spec.name)
    rng = np.random.default_rng(spec.seed)
    X, y = kind.make(samples, noise, classes, rng)
    order = rng.permutation(samples)
    return _dataset(X[order], y[order], classes, spec.name)


# --- the real tables shipped with scikit-learn (lazy import: core is NumPy-only otherwise) ---


def _breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    """Wisconsin breast cancer, 569 x 30, binary; features on wildly different scales."""
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(return_X_y=True)


def _digits() -> tuple[np.ndarray, np.ndarray]:
    """8x8 handwritten digits, 1797 x 64, ten classes; pixel values 0..16."""
    from sklearn.datasets import load_digits

    return load_digits(return_X_y=True)


_TABLES: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
    "breast_cancer": _breast_cancer,
    "digits": _digits,
}


def _load_table(spec: DataSpec) -> Dataset:
    _reject_generation_options(spec, spec.name)
    try:
        X, y = _TABLES[spec.name]()
    except ImportError as exc:
        raise ConfigError(
            f"{spec.name} ships with scikit-learn, which is not installed; pip install scikit-learn"
        ) from exc
    return _subsampled(X, y, spec, spec.name)


# --- the user's files ---


def _load_file(spec: DataSpec) -> Dataset:
    path = Path(spec.name)
    _check_path(path)
    _reject_generation_options(spec, path.name)
    X, y, where = _read_npz(path) if path.suffix.lower() == ".npz" else _read_csv(path)
    X, y = _checked(X, y, path, where)
    return _subsampled(X, y, spec, path.name)


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray, _Where]:
    """Arrays X and y, never unpickling anything (a pickle can run code)."""
    if not zipfile.is_zipfile(path):
        raise DataError(
            f"{path}: not a valid .npz archive (not a zip file); save one with "
            "np.savez(path, X=X, y=y)"
        )
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: cannot be opened as .npz ({_one_line(exc)}); re-save it") from exc
    with archive:
        missing = [key for key in ("X", "y") if key not in archive.files]
        if missing:
            found = ", ".join(archive.files) or "none"
            raise DataError(
                f"{path}: missing array {' and '.join(missing)} (found: {found}); "
                "save with np.savez(path, X=X, y=y)"
            )
        X, y = _npz_member(archive, "X", path), _npz_member(archive, "y", path)

    def where(i: int, j: int | None) -> str:
        return f"y[{i}]" if j is None else f"X[{i}, {j}]"

    return X, y, where


def _npz_member(archive, key: str, path: Path) -> np.ndarray:
    try:
        return archive[key]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        if "allow_pickle" in str(exc):  # numpy's refusal of object arrays
            raise DataError(
                f"{path}: array {key} holds pickled Python objects, which are never loaded "
                "(unsafe); save it as a plain numeric array"
            ) from exc
        raise DataError(f"{path}: array {key} is corrupt ({_one_line(exc)}); re-save it") from exc


def _read_csv(path: Path) -> tuple[np.ndarray, np.ndarray, _Where]:
    """Numeric comma-separated rows, label last; a first row with no number in it is a header."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            rows = [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(
            f"{path}: cannot be read as UTF-8 CSV text ({_one_line(exc)}); save it as CSV"
        ) from exc
    if rows and not any(_is_number(cell) for cell in rows[0][1]):
        rows = rows[1:]
    if not rows:
        raise DataError(f"{path}: has no data rows; add rows of numbers with the label last")
    width = len(rows[0][1])
    if width < 2:
        raise DataError(
            f"{path}: line {rows[0][0]} has 1 column; each row needs features and a label column"
        )
    values = np.array([_parse_row(line, row, width, path) for line, row in rows], np.float64)
    lines = [line for line, _ in rows]

    def where(i: int, j: int | None) -> str:
        return f"line {lines[i]}, column {width if j is None else j + 1}"

    return values[:, :-1], values[:, -1], where


def _parse_row(line: int, row: list[str], width: int, path: Path) -> list[float]:
    if len(row) != width:
        raise DataError(
            f"{path}: line {line} has {len(row)} columns but earlier rows have {width}; "
            "every row needs the same columns"
        )
    try:
        return [float(cell) for cell in row]
    except ValueError:
        j = next(j for j, cell in enumerate(row) if not _is_number(cell))
        raise DataError(
            f"{path}: line {line}, column {j + 1} is {row[j]!r}, not a number; "
            "every cell must be numeric (features, then the label)"
        ) from None


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _checked(X: np.ndarray, y: np.ndarray, path: Path, where: _Where):
    """X as (m, n) float64 and y as labels 0..K-1, or a DataError naming the file and problem."""
    for key, array in (("X", X), ("y", y)):
        if array.dtype.kind not in "biuf":
            raise DataError(f"{path}: array {key} has dtype {array.dtype}; it must be numeric")
    X = X[:, None] if X.ndim == 1 else X  # a 1-D X is a single feature
    y = y.ravel() if y.ndim == 2 and y.shape[1] == 1 else y
    if X.ndim != 2:
        raise DataError(f"{path}: X must be 2-D (rows, features), got shape {X.shape}; reshape it")
    if y.ndim != 1:
        raise DataError(f"{path}: y must be 1-D (one label per row), got shape {y.shape}")
    if len(X) == 0 or X.shape[1] == 0:
        raise DataError(f"{path}: has no rows or no feature columns (X is {X.shape}); add data")
    if len(X) != len(y):
        raise DataError(f"{path}: X has {len(X)} rows but y has {len(y)} labels; they must match")
    X, y = X.astype(np.float64), y.astype(np.float64)
    _check_finite(X, path, where)
    _check_finite(y[:, None], path, lambda i, j: where(i, None))
    huge = np.flatnonzero(np.abs(y) >= MAX_LABEL)  # two labels this large may read the same
    if huge.size:
        i = int(huge[0])
        raise DataError(
            f"{path}: label {y[i]:g} at {where(i, None)} is too large to be read exactly "
            "(2**53 or more); number the classes 0, 1, 2, ..."
        )
    fractional = np.flatnonzero(y != np.round(y))
    if fractional.size:
        i = int(fractional[0])
        raise DataError(
            f"{path}: label {y[i]:g} at {where(i, None)} is not a whole number; "
            "labels must be class numbers such as 0, 1, 2"
        )
    return X, _class_labels(y, path)


def _check_finite(X: np.ndarray, path: Path, where: _Where) -> None:
    bad = np.argwhere(~np.isfinite(X))
    if bad.size:
        i, j = (int(v) for v in bad[0])
        raise DataError(
            f"{path}: {where(i, j)} is {X[i, j]} ({len(bad)} non-finite value(s) in all); "
            "remove or fill missing values"
        )


def _class_labels(y: np.ndarray, path: Path) -> np.ndarray:
    """Map the sorted distinct labels to 0..K-1; each class needs MIN_PER_CLASS rows."""
    labels, y_mapped = np.unique(y, return_inverse=True)
    if len(labels) < 2:
        raise DataError(
            f"{path}: every row has label {labels[0]:g}; a classifier needs at least two classes"
        )
    counts = np.bincount(y_mapped)
    k = int(np.argmin(counts))
    if counts[k] < MIN_PER_CLASS:
        raise DataError(
            f"{path}: class {labels[k]:g} has only {counts[k]} row, too few rows to split into "
            f"training and validation; give each class at least {MIN_PER_CLASS} rows"
        )
    return y_mapped.astype(np.int64)


# --- shared helpers ---


def _dataset(X: np.ndarray, y: np.ndarray, n_classes: int, name: str) -> Dataset:
    X = np.ascontiguousarray(X, dtype=np.float64)
    return Dataset(X, np.asarray(y, dtype=np.int64), n_classes, name)


def _subsampled(X: np.ndarray, y: np.ndarray, spec: DataSpec, name: str) -> Dataset:
    """All rows, or `spec.samples` of them drawn per class in proportion (seeded, in order)."""
    n_classes = int(y.max()) + 1
    if spec.samples is None:
        return _dataset(X, y, n_classes, name)
    samples = _check_samples(spec.samples, n_classes, name)
    if samples > len(y):
        raise ConfigError(
            f"--samples {samples} exceeds the {len(y)} rows of {name}; "
            f"use at most {len(y)} or drop --samples"
        )
    sizes = np.bincount(y, minlength=n_classes)
    counts = _proportional(sizes, samples)
    if (counts < MIN_PER_CLASS).any():
        raise ConfigError(
            f"--samples {samples} leaves a class of {name} with fewer than {MIN_PER_CLASS} rows; "
            "raise --samples"
        )
    rng = np.random.default_rng(spec.seed)
    rows = [rng.permutation(np.flatnonzero(y == k))[:c] for k, c in enumerate(counts)]
    keep = np.sort(np.concatenate(rows))
    return _dataset(X[keep], y[keep], n_classes, name)


def _proportional(sizes: np.ndarray, total: int) -> np.ndarray:
    """Integer shares of `total` proportional to `sizes` (largest remainder method)."""
    quota = sizes * total / sizes.sum()
    counts = np.floor(quota).astype(np.int64)
    by_remainder = np.argsort(-(quota - counts), kind="stable")
    counts[by_remainder[: total - counts.sum()]] += 1
    return counts


def _is_int(value) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _check_samples(samples, n_classes: int, name: str) -> int:
    least = MIN_PER_CLASS * n_classes
    if not _is_int(samples) or samples < least:
        raise ConfigError(
            f"--samples {samples!r} is too few for {name}: it needs a whole number of at least "
            f"{least} ({MIN_PER_CLASS} per class); raise --samples"
        )
    if samples > MAX_SAMPLES:
        raise ConfigError(f"--samples {samples} is more than {MAX_SAMPLES} rows; use fewer")
    return int(samples)


def _check_noise(noise) -> float:
    ok = isinstance(noise, int | float | np.integer | np.floating) and not isinstance(noise, bool)
    if not ok or not math.isfinite(noise) or noise < 0:
        raise ConfigError(f"--noise must be a number >= 0, got {noise!r}; use 0 for no noise")
    return float(noise)


def _check_classes(classes) -> int:
    if not _is_int(classes) or classes < 2:
        raise ConfigError(f"--classes must be a whole number >= 2, got {classes!r}")
    return int(classes)


def check_seed(seed) -> None:
    if not _is_int(seed) or seed < 0:
        raise ConfigError(f"--seed must be a whole number >= 0, got {seed!r}")


def _check_val_fraction(val_fraction) -> None:
    ok = isinstance(val_fraction, int | float | np.integer | np.floating)
    if not ok or isinstance(val_fraction, bool) or not 0 <= val_fraction < 1:
        raise ConfigError(
            f"--val-fraction must be in [0, 1), got {val_fraction!r}; 0.2 is a common choice"
        )


def _reject_generation_options(spec: DataSpec, name: str) -> None:
    """--noise and --classes shape generated data; a table or a file has its own."""
    if spec.noise is not None:
        raise _not_applicable("--noise", name)
    if spec.classes is not None:
        raise _not_applicable("--classes", name)


def _not_applicable(option: str, name: str) -> ConfigError:
    return ConfigError(f"{option} does not apply to {name}; drop it")


def _unknown_name(name: str) -> ConfigError:
    close = difflib.get_close_matches(name, BUILTIN, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return ConfigError(
        f"unknown data set {name!r}{hint}; use one of {', '.join(BUILTIN)}, "
        "or a path to a .npz or .csv file"
    )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
