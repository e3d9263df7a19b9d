"""Hidden-layer activations g(z) and their derivatives g'(z), vectorized over whole arrays."""

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


def activate(name: str, z: np.ndarray) -> np.ndarray:
    """a = g(z)."""
    if name == "relu":
        return np.maximum(z, 0)
    if name == "leaky_relu":
        return np.where(z > 0, z, LEAKY_SLOPE * z)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return sigmoid(z)
    raise ConfigError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")


def backprop(name: str, dA: np.ndarray, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """dZ = dA * g'(z), reusing the forward value a = g(z) where g' is a function of it."""
    if name == "relu":
        return dA * (z > 0)
    if name == "leaky_relu":
        return dA * np.where(z > 0, 1.0, LEAKY_SLOPE).astype(dA.dtype, copy=False)
    if name == "tanh":
        return dA * (1 - a * a)  # tanh' = 1 - tanh^2
    if name == "sigmoid":
        return dA * a * (1 - a)  # sigma' = sigma (1 - sigma)
    raise ConfigError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
