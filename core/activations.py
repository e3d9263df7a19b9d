"""Hidden-layer activations: each g(z) beside its derivative, as micrograd keeps an op's
backward next to its forward.

    a = RELU.forward(z)               # a = g(z)
    dZ = RELU.backward(dA, z, a)      # dZ = dA * g'(z), with a = g(z) exactly

`backward` may read `a` instead of recomputing g(z) (tanh' = 1 - tanh^2), so the caller must
pass the activation as `forward` returned it: never a dropout-masked or rescaled copy. The
network keeps that unmasked value for exactly this reason (see `core.network.Workspace`).

Both take an optional `out` array (it may be one of the inputs): the training loop passes
preallocated buffers so that a mini-batch step allocates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from core.errors import ConfigError

LEAKY_SLOPE = 0.01


class _Forward(Protocol):
    def __call__(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray: ...


class _Backward(Protocol):
    def __call__(
        self, dA: np.ndarray, z: np.ndarray, a: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray: ...


@dataclass(frozen=True)
class Activation:
    """g and g' together: `backward(dA, z, a)` is dA * g'(z) given a = forward(z)."""

    name: str
    forward: _Forward
    backward: _Backward


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z), computed without overflow for large |z|."""
    # exp(-|z|) never overflows; pick the algebraically equal branch by sign.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


# --- relu: g = max(z, 0), g' = [z > 0] ---


def _relu(z, out=None):
    return np.maximum(z, 0, out=out)


def _relu_backward(dA, z, a, out=None):
    return np.multiply(dA, z > 0, out=out)


# --- leaky relu: g = max(z, 0.01 z), g' = 1 for z > 0 else 0.01 ---


def _leaky_relu(z, out=None):
    return np.maximum(z, LEAKY_SLOPE * z, out=out)  # the slope is below 1, so max picks right


def _leaky_relu_backward(dA, z, a, out=None):
    slope = np.where(z > 0, 1.0, LEAKY_SLOPE).astype(dA.dtype, copy=False)
    return np.multiply(dA, slope, out=out)


# --- tanh: g' = 1 - tanh(z)^2 = 1 - a^2 ---


def _tanh(z, out=None):
    return np.tanh(z, out=out)


def _tanh_backward(dA, z, a, out=None):
    return np.multiply(dA, 1 - a * a, out=out)


# --- sigmoid: g' = sigma(z) (1 - sigma(z)) = a (1 - a) ---


def _sigmoid(z, out=None):
    if out is None:
        return sigmoid(z)
    np.copyto(out, sigmoid(z))
    return out


def _sigmoid_backward(dA, z, a, out=None):
    return np.multiply(dA, a * (1 - a), out=out)


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation("relu", _relu, _relu_backward),
    "leaky_relu": Activation("leaky_relu", _leaky_relu, _leaky_relu_backward),
    "tanh": Activation("tanh", _tanh, _tanh_backward),
    "sigmoid": Activation("sigmoid", _sigmoid, _sigmoid_backward),
}


def get(name: str) -> Activation:
    """The activation called `name`, or a ConfigError listing the choices."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        choices = ", ".join(ACTIVATIONS)
        raise ConfigError(f"unknown activation {name!r}; choose one of {choices}") from None
