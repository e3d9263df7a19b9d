"""Hidden-layer activations g(z) and their derivatives g'(z), vectorized over whole arrays.

Both take an optional `out` array (it may be one of the inputs): the training loop passes
preallocated buffers so that a mini-batch step allocates nothing.
"""

from __future__ import annotations

import numpy as np

from core.errors import ConfigError

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")
LEAKY_SLOPE = 0.01


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z), computed without overflow for large |z|."""
    # exp(-|z|) never overflows; pick the algebraically equal branch by sign.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def activate(name: str, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """a = g(z)."""
    if name == "relu":
        return np.maximum(z, 0, out=out)
    if name == "leaky_relu":
        return np.maximum(z, LEAKY_SLOPE * z, out=out)  # max(z, 0.01 z): the slope is below 1
    if name == "tanh":
        return np.tanh(z, out=out)
    if name == "sigmoid":
        if out is None:
            return sigmoid(z)
        np.copyto(out, sigmoid(z))
        return out
    raise ConfigError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")


def backprop(
    name: str, dA: np.ndarray, z: np.ndarray, a: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """dZ = dA * g'(z), reusing the forward value a = g(z) where g' is a function of it."""
    if name == "relu":
        return np.multiply(dA, z > 0, out=out)
    if name == "leaky_relu":
        slope = np.where(z > 0, 1.0, LEAKY_SLOPE).astype(dA.dtype, copy=False)
        return np.multiply(dA, slope, out=out)
    if name == "tanh":
        return np.multiply(dA, 1 - a * a, out=out)  # tanh' = 1 - tanh^2
    if name == "sigmoid":
        return np.multiply(dA, a * (1 - a), out=out)  # sigma' = sigma (1 - sigma)
    raise ConfigError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
