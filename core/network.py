"""A fully connected network of any depth, in the course's notation.

Samples are columns: X has shape (n[0], m), W[l] is (n[l], n[l-1]), b[l] is (n[l], 1), and
Z[l] = W[l] A[l-1] + b[l], A[l] = g(Z[l]). The output is one sigmoid unit (binary cross-entropy)
or K softmax units (categorical cross-entropy); both costs are computed from the logits Z[L],
so they stay finite where a probability would round to 0 or 1.

All parameters live as views into one flat vector (`Parameters.flat`), and so do the gradients:
an optimizer can update every layer in a handful of vectorized operations, and gradient checking
can walk one vector.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core import activations
from core.activations import ACTIVATIONS, sigmoid
from core.choices import DTYPES
from core.errors import ConfigError


@dataclass(frozen=True)
class Architecture:
    """Layer sizes (n[0] inputs, hidden sizes..., n[L] outputs) and the hidden activation."""

    layer_dims: tuple[int, ...]
    activation: str = "relu"

    def __post_init__(self) -> None:
        if len(self.layer_dims) < 2 or any(int(n) < 1 for n in self.layer_dims):
            raise ConfigError(f"layer sizes must be positive integers, got {self.layer_dims}")
        if self.activation not in ACTIVATIONS:
            raise ConfigError(
                f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}"
            )

    @classmethod
    def for_data(cls, n_features: int, hidden: tuple[int, ...], n_classes: int, activation: str):
        """One sigmoid output unit for two classes, K softmax units for K > 2."""
        n_out = 1 if n_classes == 2 else n_classes
        return cls((n_features, *hidden, n_out), activation)

    @property
    def L(self) -> int:
        """Number of layers with parameters."""
        return len(self.layer_dims) - 1

    @property
    def output(self) -> str:
        return "sigmoid" if self.layer_dims[-1] == 1 else "softmax"

    @property
    def n_params(self) -> int:
        """How many weights and biases the network has (the flat vector's length)."""
        return sum(r * c for _, (r, c) in self.shapes())

    def shapes(self) -> list[tuple[str, tuple[int, int]]]:
        """(name, shape) of W1, b1, ..., WL, bL in the order they sit in the flat vector."""
        dims = self.layer_dims
        out = []
        for l in range(1, len(dims)):
            out += [(f"W{l}", (dims[l], dims[l - 1])), (f"b{l}", (dims[l], 1))]
        return out


class Parameters:
    """W[l], b[l] as named views into one contiguous flat vector."""

    def __init__(self, arch: Architecture, dtype: str = "float64") -> None:
        if dtype not in DTYPES:
            raise ConfigError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
        shapes = arch.shapes()
        self.flat = np.zeros(arch.n_params, dtype=dtype)
        self.views: dict[str, np.ndarray] = {}
        offset = 0
        for name, (r, c) in shapes:
            self.views[name] = self.flat[offset : offset + r * c].reshape(r, c)
            offset += r * c

    def __getitem__(self, name: str) -> np.ndarray:
        return self.views[name]

    def copy(self) -> dict[str, np.ndarray]:
        """Independent arrays, safe to keep after training goes on."""
        return {name: v.copy() for name, v in self.views.items()}


def targets(y: np.ndarray, arch: Architecture, dtype: str = "float64") -> np.ndarray:
    """Y in the output's shape: (1, m) 0/1 for sigmoid, (K, m) one-hot for softmax."""
    if arch.output == "sigmoid":
        return y.reshape(1, -1).astype(dtype)
    Y = np.zeros((arch.layer_dims[-1], y.size), dtype=dtype)
    Y[y, np.arange(y.size)] = 1
    return Y


class Workspace:
    """The arrays of one forward and backward pass over m samples, reused from step to step.

    A[0] is the input X; `forward` writes Z[l], G[l] = g(Z[l]) and A[l], the layer's output as
    the next layer reads it: G[l] itself, or G[l] * D[l] under dropout (D[l] the scaled mask).
    `backward` writes dZ[l] and reads g'(Z[l]) from the unmasked G[l]: a derivative computed from
    the masked A would see g(z)/keep_prob instead of g(z). The training loop keeps one workspace
    per mini-batch size, so a step allocates nothing; `forward` makes a fresh one when it is
    given none, and returns it as the cache that `backward` reads.
    """

    def __init__(self, arch: Architecture, m: int, dtype) -> None:
        dims, L = arch.layer_dims, arch.L
        self.m = m
        self.dtype = dtype
        self.dropout = False  # whether the last forward pass applied the masks D[l]
        self.A: list[np.ndarray | None] = [None] * (L + 1)
        self.G: list[np.ndarray | None] = [None] * (L + 1)
        self.Z: list[np.ndarray | None] = [None] * (L + 1)
        self.dZ: list[np.ndarray | None] = [None] * (L + 1)
        self.D: list[np.ndarray | None] = [None] * (L + 1)
        self._masked: list[np.ndarray | None] = [None] * (L + 1)  # A[l] buffers under dropout
        for l in range(1, L + 1):
            self.Z[l] = np.empty((dims[l], m), dtype=dtype)
            self.dZ[l] = np.empty((dims[l], m), dtype=dtype)
            if l < L:
                self.G[l] = np.empty((dims[l], m), dtype=dtype)

    def masked(self, l: int) -> tuple[np.ndarray, np.ndarray]:
        """(D[l], A[l]) buffers for a dropout layer, made on first use."""
        if self.D[l] is None:
            self.D[l] = np.empty_like(self.G[l])
            self._masked[l] = np.empty_like(self.G[l])
        return self.D[l], self._masked[l]


def forward(
    params: Parameters,
    X: np.ndarray,
    arch: Architecture,
    keep_prob: float = 1.0,
    rng: np.random.Generator | None = None,
    work: Workspace | None = None,
) -> tuple[np.ndarray, Workspace]:
    """Logits Z[L] and the workspace holding Z[l], G[l] = g(Z[l]), A[l] and the dropout masks.

    Inverted dropout on hidden layers: A = G * D with D = (u < keep_prob) / keep_prob, so expected
    activations are unchanged and nothing needs rescaling at evaluation time. The masks come from
    `rng`: a generator in the same state gives the same masks (how gradient checking holds one
    mask fixed). With `work`, the returned logits are a view into it, overwritten by the next
    pass.
    """
    if work is None:
        work = Workspace(arch, X.shape[1], np.result_type(X, params.flat))
    g = activations.get(arch.activation)
    A = work.A[0] = X
    work.dropout = keep_prob < 1.0
    for l in range(1, arch.L + 1):
        Z = np.matmul(params[f"W{l}"], A, out=work.Z[l])
        Z += params[f"b{l}"]  # Z[l] = W[l] A[l-1] + b[l]
        if l == arch.L:
            return Z, work
        G = g.forward(Z, out=work.G[l])  # G[l] = g(Z[l]), what g' reads
        if work.dropout:
            D, A = work.masked(l)
            rng.random(dtype=G.dtype, out=D)
            np.less(D, keep_prob, out=D)  # D[l] = (u < keep_prob) / keep_prob
            D /= keep_prob
            np.multiply(G, D, out=A)  # A[l] = G[l] * D[l]
        else:
            A = G
        work.A[l] = A
    raise AssertionError("unreachable")


def cross_entropy(ZL: np.ndarray, Y: np.ndarray, output: str) -> tuple[float, np.ndarray]:
    """Mean cross-entropy from logits, and the output probabilities P (dJ/dZ[L] = (P - Y)/m)."""
    m = ZL.shape[1]
    if output == "sigmoid":
        # -[y log s(z) + (1-y) log(1-s(z))] = max(z,0) - z y + log(1 + e^-|z|)
        loss = np.maximum(ZL, 0) - ZL * Y + np.log1p(np.exp(-np.abs(ZL)))
        return float(loss.sum()) / m, sigmoid(ZL)
    shifted = ZL - ZL.max(axis=0, keepdims=True)
    log_sum = np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    log_p = shifted - log_sum  # log softmax
    return float(-(Y * log_p).sum()) / m, np.exp(log_p)


def l2_penalty(params: Parameters, arch: Architecture, lambd: float, m: int) -> float:
    """(lambda / 2m) * sum_l ||W[l]||_F^2, m the number of examples J averages over: the
    training set's size, whatever the mini-batch (so one lambda is one weight decay)."""
    if lambd == 0:
        return 0.0
    total = sum(float(np.vdot(params[f"W{l}"], params[f"W{l}"])) for l in range(1, arch.L + 1))
    return lambd / (2 * m) * total


def predict(ZL: np.ndarray, output: str) -> np.ndarray:
    """Class labels from logits: z > 0 for sigmoid, argmax for softmax."""
    if output == "sigmoid":
        return (ZL[0] > 0).astype(np.int64)
    return ZL.argmax(axis=0)


def backward(
    params: Parameters,
    grads: Parameters,
    cache: Workspace,
    P: np.ndarray,
    Y: np.ndarray,
    arch: Architecture,
    lambd: float = 0.0,
    keep_prob: float = 1.0,
    m_train: int | None = None,
) -> None:
    """Write dJ/dW[l], dJ/db[l] into `grads` (same layout as `params`) in place.

    `cache` is the workspace of the forward pass (its dropout masks already carry 1/keep_prob).
    The L2 term's gradient is (lambda / m_train) W, m_train the training set's size (default:
    this batch's), so that a mini-batch gradient is an unbiased estimate of dJ/dW.
    """
    work = cache
    m = Y.shape[1]
    g = activations.get(arch.activation)
    dZ = np.subtract(P, Y, out=work.dZ[arch.L])
    dZ /= m  # dZ[L] = (P - Y) / m: sigmoid + BCE and softmax + CE share this form
    for l in range(arch.L, 0, -1):
        W = params[f"W{l}"]
        dW = np.matmul(dZ, work.A[l - 1].T, out=grads[f"W{l}"])  # dW[l] = dZ[l] A[l-1]^T
        if lambd:
            dW += (lambd / (m_train or m)) * W  # d/dW of lambda/(2 m) ||W||^2
        dZ.sum(axis=1, keepdims=True, out=grads[f"b{l}"])  # db[l] = sum over samples
        if l > 1:
            dA = np.matmul(W.T, dZ, out=work.dZ[l - 1])  # dA[l-1] = W[l]^T dZ[l]
            if work.dropout:
                dA *= work.D[l - 1]  # the same mask and scale as the forward pass
            # dZ[l-1] = dA[l-1] * g'(Z[l-1]), g' read from the unmasked G[l-1], same buffer
            dZ = g.backward(dA, work.Z[l - 1], work.G[l - 1], out=dA)


def cost(
    params: Parameters,
    X: np.ndarray,
    Y: np.ndarray,
    arch: Architecture,
    lambd: float = 0.0,
    keep_prob: float = 1.0,
    rng: np.random.Generator | None = None,
    m_train: int | None = None,
) -> float:
    """J = cross-entropy + L2 penalty over X (what gradient checking differentiates); with
    dropout, under the masks `rng` draws."""
    ZL, _ = forward(params, X, arch, keep_prob, rng)
    ce, _ = cross_entropy(ZL, Y, arch.output)
    return ce + l2_penalty(params, arch, lambd, m_train or X.shape[1])


def cost_and_gradients(
    params: Parameters,
    grads: Parameters,
    X: np.ndarray,
    Y: np.ndarray,
    arch: Architecture,
    lambd: float = 0.0,
    keep_prob: float = 1.0,
    rng: np.random.Generator | None = None,
    work: Workspace | None = None,
    m_train: int | None = None,
) -> tuple[float, float, np.ndarray]:
    """One forward and backward pass: (cross-entropy, L2 penalty, logits) of this batch, the
    penalty over `m_train` examples (see `backward`); gradients of their sum go to `grads`."""
    ZL, cache = forward(params, X, arch, keep_prob, rng, work)
    ce, P = cross_entropy(ZL, Y, arch.output)
    backward(params, grads, cache, P, Y, arch, lambd, keep_prob, m_train)
    return ce, l2_penalty(params, arch, lambd, m_train or X.shape[1]), ZL
