"""Feature standardization z = (x - mu) / sigma, with mu and sigma from the training split only.

Standardizing the whole data set before splitting leaks the validation rows' statistics into
training. Here `split` comes first; the validation (or test) rows are only ever transformed with
the training split's mu and sigma, unchanged. Arrays hold samples in rows: X is (m, n).
"""

import numpy as np


class Standardizer:
    """Per-feature mean and standard deviation (ddof=0) of the rows it was fitted on.

    A feature that is constant on the training rows is divided by 1 instead of 0: it becomes 0
    there, stays finite everywhere, and raises no warning.
    """

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.std_: np.ndarray | None = None

    def fit(self, X) -> "Standardizer":
        """Learn mu and sigma from the training rows X; returns self for chaining."""
        X = _rows(X)
        if len(X) == 0:
            raise ValueError("cannot fit a Standardizer on 0 rows; pass the training split")
        constant = np.ptp(X, axis=0) == 0
        std = X.std(axis=0)
        # For a constant column, mu = its value exactly: x - mu is then exactly 0, not rounding.
        self.mean_ = np.where(constant, X[0], X.mean(axis=0))
        self.std_ = np.where(constant | (std == 0), 1.0, std)
        return self

    def transform(self, X) -> np.ndarray:
        """(X - mu) / sigma with the fitted statistics; X itself is not modified."""
        if self.mean_ is None or self.std_ is None:
            raise RuntimeError("Standardizer.transform called before fit; call fit(X_train) first")
        X = _rows(X)
        if X.shape[1] != self.mean_.shape[0]:
            raise ValueError(
                f"X has {X.shape[1]} features but the Standardizer was fitted on "
                f"{self.mean_.shape[0]}"
            )
        return (X - self.mean_) / self.std_

    def fit_transform(self, X) -> np.ndarray:
        """fit(X) then transform(X): for the training split only."""
        return self.fit(X).transform(X)


def _rows(X) -> np.ndarray:
    """X as a C-contiguous (m, n) float64 array."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"expected a 2-D array (samples in rows), got shape {X.shape}")
    return np.ascontiguousarray(X)
