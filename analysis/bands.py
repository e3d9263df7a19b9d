"""A per-epoch band over seeds: the mean curve and a confidence interval of that mean.

    b = band([[0.9, 0.5, 0.3], [0.8, 0.6], [1.0, 0.4, 0.2]])   # three seeds' curves
    b.mean, b.lo, b.hi, b.n        # one entry per epoch (index 0 is epoch 1)

At each epoch the seeds' values x_1..x_n give the mean and Student's t interval of the mean,
mean -+ t(1 - (1 - confidence) / 2, n - 1) s / sqrt(n) (s the sample standard deviation): the
band a reader can read as "where the mean curve would be with other seeds", not the spread of
the seeds themselves.

Curves of different lengths (a run stopped early, or a diverged one) are ragged: a seed's curve
counts only for the epochs it ran, and a non-finite value (a step that overflowed) counts as not
run. So `n` may fall at the last epochs, and there the mean is over the seeds that got that far
(the long-running ones: read the tail with `n`). An epoch with one seed has a mean and no band
(lo and hi are NaN: one value says nothing of its spread); an epoch with none is NaN throughout.
Which seeds to give is the caller's choice: the defaults report gives the seeds that learned and
counts the others apart (analysis/seed_bands.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Band:
    """Per epoch (index 0 = epoch 1): the mean over the seeds, the interval's ends, the seeds."""

    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    n: np.ndarray  # seeds counted at each epoch (int)
    confidence: float = CONFIDENCE

    @property
    def epochs(self) -> int:
        return len(self.mean)


def stack(curves: Sequence[Sequence[float]]) -> np.ndarray:
    """The curves as a (seeds, epochs) array padded with NaN: epochs a seed did not run, and its
    non-finite values, are NaN."""
    import numpy as np

    length = max((len(c) for c in curves), default=0)
    out = np.full((len(curves), length), np.nan)
    for i, c in enumerate(curves):
        x = np.asarray(c, dtype=np.float64)
        out[i, : len(x)] = np.where(np.isfinite(x), x, np.nan)
    return out


def band(curves: Sequence[Sequence[float]], confidence: float = CONFIDENCE) -> Band:
    """The mean of `curves` per epoch and its Student-t `confidence` interval (see above)."""
    import numpy as np
    from scipy import stats

    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    x = stack(curves)
    seen = ~np.isnan(x)
    n = seen.sum(axis=0)
    filled = np.where(seen, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=0) / n
        squares = np.where(seen, (x - mean) ** 2, 0.0).sum(axis=0)
        se = np.sqrt(squares / (n - 1) / n)
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * se
    half = np.where(n >= 2, half, np.nan)
    mean = np.where(n >= 1, mean, np.nan)
    return Band(mean, mean - half, mean + half, n.astype(int), confidence)
