"""Weight initialization: the course's cure for vanishing/exploding activations.

Each scheme draws W[l] with shape (n[l], n[l-1]) and sets b[l] to zero. The scale shrinks with the
fan-in n[l-1] so that Var(z) stays about constant from layer to layer.
"""

from __future__ import annotations

import numpy as np

from core.choices import INITS
from core.errors import ConfigError


def weight_scale(method: str, n_prev: int) -> float:
    """The standard deviation each scheme gives to a layer whose fan-in is `n_prev`."""
    if method == "zeros":
        return 0.0
    if method == "random":
        return 0.01  # the course's np.random.randn(...) * 0.01
    if method == "xavier":
        return float(np.sqrt(1.0 / n_prev))
    if method == "he":
        return float(np.sqrt(2.0 / n_prev))
    raise ConfigError(f"unknown init {method!r}; choose one of {', '.join(INITS)}")


def initialize(
    params: dict[str, np.ndarray],
    layer_dims: tuple[int, ...],
    method: str,
    rng: np.random.Generator,
) -> None:
    """Fill W1..WL in place with the scheme's Gaussian draws and b1..bL with zeros."""
    for l in range(1, len(layer_dims)):
        W = params[f"W{l}"]
        scale = weight_scale(method, layer_dims[l - 1])
        W[...] = rng.standard_normal(W.shape) * scale
        params[f"b{l}"][...] = 0.0
