"""The course's network and update rules over a stack of P networks of one architecture.

Member p's arrays are the p-th slices along a leading axis: W[l] is (P, n[l], n[l-1]), b[l] is
(P, n[l], 1), Z[l] and A[l] are (P, n[l], m), and Z[l] = W[l] A[l-1] + b[l] holds per member.
Each function applies, per member, the operations `core.network` and `core.optimizers` apply to
one network, in the same order, so that every member's bits are those of a lone run
(`core.population` relies on it; `tests/core/test_population.py` checks it):

- `np.matmul` on 3-D arrays calls, slice by slice, the BLAS routine (gemm, gemv, dot) that the
  2-D product calls for the same shapes and strides, so each product, FMA accumulation and all,
  is the lone network's. `einsum` and broadcast sums round differently, and are slower;
- a reduction over a member's samples runs over the same contiguous axis, so NumPy's pairwise
  summation groups the terms alike;
- a hyperparameter is a per-member column in the dtype, as NumPy casts the Python float that a
  lone run multiplies an array by; what train computes in Python floats first (Adam's bias
  corrections, lambda/m) is computed in Python floats or float64 first here too.
"""

from __future__ import annotations

import itertools

import numpy as np

from core import activations
from core.network import Architecture
from core.train import TrainConfig


def mT(a: np.ndarray) -> np.ndarray:
    """Each member's transpose (the 2-D `.T` of every slice)."""
    return a.transpose(0, 2, 1)


def column(values, dtype) -> np.ndarray:
    """Per-member values as a (P, 1) column in `dtype`, broadcast over each member's row."""
    return np.asarray(values, dtype=np.float64).astype(dtype)[:, None]


class Parameters:
    """W[l], b[l] of P members as (P, rows, cols) views into one (P, n_params) array: row p is
    member p's flat vector, in the layout of `core.network.Parameters.flat`. `W[l]`, `b[l]`
    and `WT[l]` (each member's W[l]^T) are lists indexed by layer, l = 1..L."""

    def __init__(self, arch: Architecture, flat: np.ndarray) -> None:
        self.flat = flat
        self.views: dict[str, np.ndarray] = {}
        offset = 0
        for name, (r, c) in arch.shapes():
            self.views[name] = flat[:, offset : offset + r * c].reshape(len(flat), r, c)
            offset += r * c
        layers = range(1, arch.L + 1)
        self.W = [None, *(self.views[f"W{l}"] for l in layers)]
        self.b = [None, *(self.views[f"b{l}"] for l in layers)]
        self.WT = [None, *(mT(W) for W in self.W[1:])]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.views[name]


class Workspace:
    """The arrays of one stacked pass over m samples per member (`core.network.Workspace` with a
    leading member axis): Z[l], G[l] = g(Z[l]), A[l], and for training dZ[l], a scratch S[l]
    for g'(Z[l]), and under dropout the masked outputs M[l] (the masks D[l] are `Dropout`'s)."""

    def __init__(
        self, arch: Architecture, P: int, m: int, dtype, *, backward=True, dropout=False
    ) -> None:
        dims, L = arch.layer_dims, arch.L
        self.A: list[np.ndarray | None] = [None] * (L + 1)
        self.D: list[np.ndarray | None] | None = None  # the masks of the last forward pass
        self.Z, self.G, self.dZ, self.S, self.M = ([None] * (L + 1) for _ in range(5))
        for l in range(1, L + 1):
            shape = (P, dims[l], m)
            self.Z[l] = np.empty(shape, dtype)
            if backward:
                self.dZ[l] = np.empty(shape, dtype)
            if l < L:
                self.G[l] = np.empty(shape, dtype)
                if backward:
                    self.S[l] = np.empty(shape, dtype)
                if dropout:
                    self.M[l] = np.empty(shape, dtype)


class Dropout:
    """Inverted dropout with each member's own keep_prob and generator.

    D[l] = (u < keep_prob) / keep_prob. train draws u from the member's generator layer by layer
    and step by step, one call each; nothing else draws from that generator, so one call per
    member for a block of whole steps, in that order, gives the same values: each member's masks
    are its lone run's. A block is thresholded and scaled at once, and step k's D[l] are views
    into it. A member without dropout draws nothing: its threshold is +inf and its scale 1, so
    its D[l] is exactly 1 and A[l] = G[l] * 1 = G[l], as train's A[l] = G[l].
    """

    BLOCK_BYTES = 1 << 18  # a member's masks for as many whole steps as fit (at least one)

    def __init__(self, arch: Architecture, sizes: list[int], keep_probs, generators, dtype):
        keep = np.asarray(keep_probs, dtype=np.float64)
        self.generators = list(generators)
        self.draws = keep < 1
        self.threshold = np.where(keep < 1, keep, np.inf).astype(dtype)[:, None]
        self.scale = keep.astype(dtype)[:, None]
        self.hidden = arch.layer_dims[1:-1]
        self.units = sum(self.hidden)  # u per sample of a step
        self.sizes = sizes  # the epoch's batch sizes, step by step
        self.starts = [0, *itertools.accumulate(sizes)]  # samples before each step
        self.blocks = self._blocks(np.dtype(dtype).itemsize)
        width = max(self._values(a, b) for a, b in self.blocks.values())
        self.u = np.zeros((len(keep), width), dtype)  # 0 < +inf: D = 1 from the first step on
        self.block = (0, 0)

    def _values(self, a: int, b: int) -> int:
        """How many u the steps a..b-1 draw per member."""
        return self.units * (self.starts[b] - self.starts[a])

    def _blocks(self, item: int) -> dict[int, tuple[int, int]]:
        """{first step: (first step, end step)}: consecutive whole steps, BLOCK_BYTES apiece."""
        blocks, a = {}, 0
        while a < len(self.sizes):
            b = a + 1
            while b < len(self.sizes) and self._values(a, b + 1) * item <= self.BLOCK_BYTES:
                b += 1
            blocks[a] = (a, b)
            a = b
        return blocks

    def masks(self, k: int) -> list[np.ndarray | None]:
        """D[l] (P, n[l], m_k) of every member for the epoch's step k, drawing the block that
        starts there."""
        if k in self.blocks:
            self._draw(*self.blocks[k])
        offset = self._values(self.block[0], k)
        P, n, out = len(self.u), self.sizes[k], [None]
        for units in self.hidden:
            out.append(self.u[:, offset : offset + units * n].reshape(P, units, n))
            offset += units * n
        return out

    def _draw(self, a: int, b: int) -> None:
        u = self.u[:, : self._values(a, b)]
        for p in np.flatnonzero(self.draws):
            self.generators[p].random(dtype=u.dtype, out=u[p])  # u ~ U[0, 1), as train draws it
        np.less(u, self.threshold, out=u)  # D[l] = (u < keep_prob) / keep_prob
        u /= self.scale
        self.block = (a, b)

    def take(self, keep: np.ndarray) -> None:
        """Keep the members marked in `keep`, with the masks they have drawn."""
        self.generators = [g for g, kept in zip(self.generators, keep, strict=True) if kept]
        self.draws, self.threshold = self.draws[keep], self.threshold[keep]
        self.scale, self.u = self.scale[keep], self.u[keep]


class L2:
    """Each member's lambda: the gradient term (lambda/m) W[l] and the penalty
    lambda/(2m) sum_l ||W[l]||_F^2, m the training set's size. A member with lambda = 0 gets
    neither, as train skips both for it."""

    def __init__(self, lambdas, m: int, dtype) -> None:
        lam = np.asarray(lambdas, dtype=np.float64)
        self.on = lam > 0
        self.grad_coef = (lam / m).astype(dtype)[:, None, None]  # lambda / m, train's Python float
        self.penalty_coef = lam / (2 * m)
        self.where = None if self.on.all() else self.on[:, None, None]

    def add_gradient(self, dW: np.ndarray, W: np.ndarray) -> None:
        term = self.grad_coef * W  # d/dW of lambda/(2m) ||W||^2
        if self.where is None:
            dW += term
        else:  # members with lambda = 0 keep dW as it is (0 * W would be NaN for an inf W)
            np.add(dW, term, out=dW, where=self.where)

    def penalty(self, params: Parameters, arch: Architecture) -> np.ndarray:
        """(P,) float64: lambda/(2m) sum_l ||W[l]||^2, each norm summed as np.vdot sums it."""
        total = sum(_squared_norm(W) for W in params.W[1:])
        return np.where(self.on, self.penalty_coef * total, 0.0)

    def take(self, keep: np.ndarray) -> None:
        self.on, self.grad_coef = self.on[keep], self.grad_coef[keep]
        self.penalty_coef = self.penalty_coef[keep]
        self.where = None if self.on.all() else self.on[:, None, None]


def _squared_norm(W: np.ndarray) -> np.ndarray:
    """||W||_F^2 per member: a (1 x n) @ (n x 1) product per slice is the BLAS dot np.vdot calls."""
    rows = W.reshape(len(W), 1, -1)
    return np.matmul(rows, mT(rows))[:, 0, 0].astype(np.float64)


def forward(
    params: Parameters, X: np.ndarray, arch: Architecture, work: Workspace, masks=None
) -> np.ndarray:
    """Logits Z[L] (P, n[L], m) of every member: `core.network.forward`, with the dropout masks
    D[l] given (`Dropout.masks`), or none."""
    g = activations.get(arch.activation)
    A = work.A[0] = X
    work.D = masks
    for l in range(1, arch.L + 1):
        Z = np.matmul(params.W[l], A, out=work.Z[l])
        Z += params.b[l]  # Z[l] = W[l] A[l-1] + b[l]
        if l == arch.L:
            return Z
        G = g.forward(Z, out=work.G[l])  # G[l] = g(Z[l]), what g' reads
        A = G if masks is None else np.multiply(G, masks[l], out=work.M[l])  # A[l] = G[l] D[l]
        work.A[l] = A
    raise AssertionError("unreachable")


def cross_entropy(ZL: np.ndarray, Y: np.ndarray, output: str, probabilities: bool = True):
    """Each member's mean cross-entropy from its logits, (P,) float64, and the probabilities P
    (None when not asked for): `core.network.cross_entropy`, the sums taken per member."""
    m = ZL.shape[-1]
    if output == "sigmoid":
        e = np.abs(ZL)
        np.negative(e, out=e)
        np.exp(e, out=e)  # e^-|z|: train computes it for the loss and again in sigmoid, alike
        # -[y log s(z) + (1-y) log(1-s(z))] = max(z,0) - z y + log(1 + e^-|z|)
        loss = np.maximum(ZL, 0)
        loss -= ZL * Y
        loss += np.log1p(e)
        P = _sigmoid(ZL, e) if probabilities else None
        return _member_sums(loss) / m, P
    shifted = ZL - ZL.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = shifted - log_sum  # log softmax
    return -_member_sums(Y * log_p) / m, np.exp(log_p) if probabilities else None


def _sigmoid(z: np.ndarray, e: np.ndarray) -> np.ndarray:
    """`core.activations.sigmoid(z)` given e = exp(-|z|): 1/(1 + e) for z >= 0, else e/(1 + e)."""
    d = np.add(e, 1.0)
    s = np.divide(e, d)
    return np.divide(1.0, d, out=s, where=z >= 0)


def _member_sums(a: np.ndarray) -> np.ndarray:
    """Each member's sum over its slice, as float(a[p].sum()): (P,) float64."""
    return np.add.reduce(a, axis=(1, 2)).astype(np.float64, copy=False)  # a.sum(axis=(1, 2))


def backward(
    params: Parameters,
    grads: Parameters,
    work: Workspace,
    P: np.ndarray,
    Y: np.ndarray,
    arch: Architecture,
    l2: L2 | None = None,
) -> None:
    """Write every member's dJ/dW[l], dJ/db[l] into `grads`: `core.network.backward` per slice."""
    m = Y.shape[-1]
    g = activations.get(arch.activation)
    dZ = np.subtract(P, Y, out=work.dZ[arch.L])
    dZ /= m  # dZ[L] = (P - Y) / m
    for l in range(arch.L, 0, -1):
        dW = np.matmul(dZ, mT(work.A[l - 1]), out=grads.W[l])  # dW[l] = dZ[l] A[l-1]^T
        if l2 is not None:
            l2.add_gradient(dW, params.W[l])
        np.add.reduce(dZ, axis=2, keepdims=True, out=grads.b[l])  # db[l] = sum over samples
        if l > 1:
            dA = _product(params.WT[l], dZ, out=work.dZ[l - 1])  # dA[l-1] = W[l]^T dZ[l]
            if work.D is not None:
                dA *= work.D[l - 1]  # the same mask and scale as the forward pass
            # dZ[l-1] = dA[l-1] * g'(Z[l-1]), g' read from the unmasked G[l-1]
            dZ = _activation_backward(g, dA, work.Z[l - 1], work.G[l - 1], work.S[l - 1])


def predict(ZL: np.ndarray, output: str, out: np.ndarray | None = None) -> np.ndarray:
    """(P, m) class labels from logits (`core.network.predict`): z > 0, or the argmax."""
    if output == "sigmoid":
        return np.greater(ZL[:, 0, :], 0, out=out)
    return np.argmax(ZL, axis=1, out=out)


def _product(A: np.ndarray, B: np.ndarray, out: np.ndarray) -> np.ndarray:
    """A @ B per member. With an inner dimension of 1 (W[L]^T dZ[L] for one output unit) NumPy
    computes each entry as 0 + a b in its own loop, slice by slice; the same element-wise, in
    two operations for all members, is the same bits (0 + a b turns -0 into +0, as there)."""
    if A.shape[2] != 1:
        return np.matmul(A, B, out=out)
    np.multiply(A, B, out=out)
    out += 0.0
    return out


def _activation_backward(g, dA, Z, G, scratch) -> np.ndarray:
    """dA * g'(Z) in place of dA: `g.backward`, but relu's [z > 0] as floats 1.0/0.0 in a
    scratch array (what NumPy casts the boolean mask to anyway; ~1.7x faster)."""
    if g.name == "relu":
        return np.multiply(dA, np.greater(Z, 0, out=scratch), out=dA)
    return g.backward(dA, Z, G, out=dA)


def correct(labels: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(P,) how many of each member's labels are right."""
    return np.equal(labels, y).sum(axis=1)


def evaluate(params, arch, X, Y, y, work: Workspace) -> tuple[np.ndarray, np.ndarray]:
    """(P,) cross-entropies (no L2 term) and accuracies from one pass, no dropout: train's
    `evaluate` per member."""
    ZL = forward(params, X, arch, work)
    ce, _ = cross_entropy(ZL, Y, arch.output, probabilities=False)
    return ce, correct(predict(ZL, arch.output), y) / y.shape[-1]


# --- update rules: `core.optimizers` with a (P, 1) column per hyperparameter ------------------


class _Rule:
    """What the stacked rules share: `columns` names the per-member arrays that a retirement
    compacts. `begin_epoch` takes the epoch's learning rates (float64, one per member), the
    updates made so far, the epoch's number of steps and the most updates any member will have
    made at the end; `step(theta, grads, k)` makes the epoch's k-th update of the (P, n_params)
    rows in place."""

    columns: tuple[str, ...] = ("lr",)

    def __init__(self, configs: list[TrainConfig], n_params: int, dtype) -> None:
        self.dtype = dtype
        self.lr = column(np.zeros(len(configs)), dtype)

    def begin_epoch(self, lr: np.ndarray, t0: int, steps: int, last: int) -> None:
        self.lr = column(lr, self.dtype)

    def take(self, keep: np.ndarray) -> None:
        for name in self.columns:
            setattr(self, name, getattr(self, name)[keep])


class GD(_Rule):
    """theta := theta - alpha d_theta."""

    def step(self, theta: np.ndarray, g: np.ndarray, k: int) -> None:
        theta -= self.lr * g


class Momentum(_Rule):
    """v := beta v + (1 - beta) d_theta;  theta := theta - alpha v."""

    columns = ("lr", "beta", "one_minus_beta", "v")

    def __init__(self, configs, n_params, dtype) -> None:
        super().__init__(configs, n_params, dtype)
        beta = np.array([c.beta for c in configs])
        self.beta, self.one_minus_beta = column(beta, dtype), column(1 - beta, dtype)
        self.v = np.zeros((len(configs), n_params), dtype)  # V_dW starts at zero

    def step(self, theta, g, k) -> None:
        v = self.v
        v *= self.beta
        v += self.one_minus_beta * g
        theta -= self.lr * v


class RMSProp(_Rule):
    """s := beta s + (1 - beta) d_theta^2;  theta := theta - alpha d_theta / (sqrt(s) + eps)."""

    columns = ("lr", "beta", "one_minus_beta", "eps", "s")

    def __init__(self, configs, n_params, dtype) -> None:
        super().__init__(configs, n_params, dtype)
        beta = np.array([c.beta for c in configs])
        self.beta, self.one_minus_beta = column(beta, dtype), column(1 - beta, dtype)
        self.eps = column([c.epsilon for c in configs], dtype)
        self.s = np.zeros((len(configs), n_params), dtype)

    def step(self, theta, g, k) -> None:
        s = self.s
        s *= self.beta
        s += self.one_minus_beta * (g * g)
        theta -= self.lr * g / (np.sqrt(s) + self.eps)


class Adam(_Rule):
    """m := beta1 m + (1 - beta1) g;  v := beta2 v + (1 - beta2) g^2;
    theta := theta - alpha m_hat / (sqrt(v_hat) + eps), m_hat = m / (1 - beta1^t) and
    v_hat = v / (1 - beta2^t), t = 1 on the first update.

    Every member of a population has made the same number of updates t, but each has its own
    betas: the corrections 1 - beta^t are Python floats, as train computes them (`**` on floats;
    NumPy's vectorized power may round differently), tabulated TABLE_STEPS updates at a time.
    A member without bias correction divides by 1.0 instead, exactly as train does.
    """

    TABLE_STEPS = 1024
    columns = (
        "lr", "beta1", "beta2", "one_minus_beta1", "one_minus_beta2", "eps", "m", "v", "s",
        "betas1", "betas2", "corrected", "c1", "c2", "step_size", "correction2",
    )  # fmt: skip

    def __init__(self, configs, n_params, dtype) -> None:
        super().__init__(configs, n_params, dtype)
        b1 = self.betas1 = np.array([c.beta1 for c in configs])
        b2 = self.betas2 = np.array([c.beta2 for c in configs])
        self.corrected = np.array([c.bias_correction for c in configs], dtype=bool)
        self.beta1, self.one_minus_beta1 = column(b1, dtype), column(1 - b1, dtype)
        self.beta2, self.one_minus_beta2 = column(b2, dtype), column(1 - b2, dtype)
        self.eps = column([c.epsilon for c in configs], dtype)
        P = len(configs)
        self.m, self.v = np.zeros((P, n_params), dtype), np.zeros((P, n_params), dtype)
        self.s = np.empty((P, n_params), dtype)  # the in-place update's scratch
        self.t_table = 0  # c1[:, j], c2[:, j] are the corrections of update t_table + j + 1
        self.c1 = self.c2 = np.empty((P, 0))
        self.step_size = self.correction2 = np.empty((P, 0), dtype)

    def begin_epoch(self, lr, t0, steps, last) -> None:
        if t0 + steps > self.t_table + self.c1.shape[1]:
            self._tabulate(t0, max(steps, min(self.TABLE_STEPS, last - t0)))
        cut = slice(t0 - self.t_table, t0 - self.t_table + steps)
        # alpha / (1 - beta1^t): train's Python float, then the dtype
        self.step_size = (np.asarray(lr)[:, None] / self.c1[:, cut]).astype(self.dtype)
        self.correction2 = self.c2[:, cut].astype(self.dtype)

    def _tabulate(self, t0: int, steps: int) -> None:
        ts = range(t0 + 1, t0 + steps + 1)

        def table(betas) -> np.ndarray:  # 1 - beta^t, or 1.0 without bias correction
            rows = zip(betas.tolist(), self.corrected.tolist(), strict=True)
            return np.array([[1 - b**t if on else 1.0 for t in ts] for b, on in rows])

        self.c1, self.c2 = table(self.betas1), table(self.betas2)
        self.t_table = t0

    def step(self, theta, g, k) -> None:
        m, v, s = self.m, self.v, self.s
        m *= self.beta1
        m += np.multiply(g, self.one_minus_beta1, out=s)  # m := beta1 m + (1 - beta1) g
        v *= self.beta2
        s = np.multiply(g, g, out=s)
        s *= self.one_minus_beta2
        v += s  # v := beta2 v + (1 - beta2) g^2
        s = np.divide(v, self.correction2[:, k, None], out=s)  # v_hat
        np.sqrt(s, out=s)
        s += self.eps
        np.divide(m, s, out=s)  # m / (sqrt(v_hat) + eps)
        s *= self.step_size[:, k, None]  # alpha m_hat / (sqrt(v_hat) + eps)
        theta -= s


RULES: dict[str, type[_Rule]] = {"gd": GD, "momentum": Momentum, "rmsprop": RMSProp, "adam": Adam}
