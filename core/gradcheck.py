"""Two-sided gradient checking: is backprop's gradient the derivative of the cost?

    d_approx[i] = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps)
    difference  = ||d - d_approx|| / (||d|| + ||d_approx||)

The course's reading: below 1e-7 great, around 1e-5 look closer, above 1e-3 almost certainly a
bug. It is slow (two cost evaluations per parameter), so it runs on a small batch, never while
training.

Dropout: the seed says gradient checking "doesn't work with dropout", and with a fresh random
mask at every evaluation it does not, since J is then a different function each time. Holding
one mask fixed for every evaluation makes J an ordinary function again, whose gradient is what
backprop computes with that mask: that checks the dropout backward pass too (the default here).
`fresh_masks=True` shows the seed's failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core import network
from core.network import Architecture, Parameters

EPSILON = 1e-7
MASK_SEED = 0  # the dropout masks of a check come from this seed, unless one is given


@dataclass(frozen=True)
class GradCheckResult:
    difference: float  # the relative difference over all parameters
    worst_parameter: str  # e.g. "W2[0, 3]": where |d - d_approx| is largest
    worst_abs_error: float
    per_array: dict[str, float]  # relative difference per W[l], b[l]
    n_parameters: int
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return verdict(self.difference)


def verdict(difference: float) -> str:
    """The course's rule of thumb for the relative difference."""
    if not np.isfinite(difference):
        return "not finite: the cost or gradient overflowed"
    if difference < 1e-7:
        return "great: backprop is very likely correct"
    if difference < 1e-3:
        return "look closer: some component may be wrong"
    return "almost certainly a bug in backprop"


def relative_difference(grad: np.ndarray, approx: np.ndarray) -> float:
    """||g - g_approx|| / (||g|| + ||g_approx||), 0 when both are zero."""
    denom = np.linalg.norm(grad) + np.linalg.norm(approx)
    return float(np.linalg.norm(grad - approx) / denom) if denom > 0 else 0.0


def numerical_gradient(cost_fn, theta: np.ndarray, eps: float = EPSILON) -> np.ndarray:
    """Two-sided differences of cost_fn() with respect to each entry of theta (restored after)."""
    approx = np.empty_like(theta)
    for i in range(theta.size):  # one parameter at a time: that is the method
        old = theta[i]
        theta[i] = old + eps
        plus = cost_fn()
        theta[i] = old - eps
        minus = cost_fn()
        theta[i] = old
        approx[i] = (plus - minus) / (2 * eps)
    return approx


def check(
    params: Parameters,
    X: np.ndarray,
    Y: np.ndarray,
    arch: Architecture,
    lambd: float = 0.0,
    eps: float = EPSILON,
    keep_prob: float = 1.0,
    backward=network.backward,
    fresh_masks: bool = False,
    mask_seed: int = MASK_SEED,
    m_train: int | None = None,
) -> GradCheckResult:
    """Compare backprop's gradient at `params` with the two-sided numerical one.

    With keep_prob < 1 every cost evaluation uses the one dropout mask that backprop used
    (drawn from `mask_seed`), unless `fresh_masks`. `m_train` is the m of the L2 penalty
    (default: the columns of X). `backward` can be swapped for a deliberately wrong pass, to see
    that the check catches it.
    """
    notes = []
    dropout = keep_prob < 1.0
    if dropout and fresh_masks:
        notes.append(
            f"dropout on (keep_prob {keep_prob:g}) with a fresh mask per cost evaluation: J is a "
            "different function each time, so the check is expected to fail (the seed's advice)"
        )
    elif dropout:
        notes.append(
            f"dropout on (keep_prob {keep_prob:g}): one mask held fixed for every cost evaluation"
        )
    if params.flat.dtype != np.float64:
        notes.append("checked in float64: float32 rounding would swamp a 1e-7 difference")
        p64 = Parameters(arch, "float64")
        p64.flat[:] = params.flat
        params, X, Y = p64, X.astype(np.float64), Y.astype(np.float64)

    if dropout and not fresh_masks:
        mask_seed = _smooth_mask_seed(params, X, arch, keep_prob, eps, mask_seed)

    def masks() -> np.random.Generator:
        return np.random.default_rng(mask_seed)  # the same state gives the same masks

    fresh = np.random.default_rng([mask_seed, 1])  # a stream of new masks
    grads = Parameters(arch, "float64")
    ZL, cache = network.forward(params, X, arch, keep_prob, masks())
    _, P = network.cross_entropy(ZL, Y, arch.output)
    backward(params, grads, cache, P, Y, arch, lambd, keep_prob, m_train)
    notes += _kinks(cache, arch, eps)

    def cost() -> float:
        rng = fresh if fresh_masks else masks()
        return network.cost(params, X, Y, arch, lambd, keep_prob, rng, m_train)

    approx_flat = numerical_gradient(cost, params.flat, eps)
    approx = Parameters(arch, "float64")
    approx.flat[:] = approx_flat
    per_array = {k: relative_difference(grads[k], approx[k]) for k in grads.views}
    worst_name, worst_err = _worst(grads, approx)
    return GradCheckResult(
        difference=relative_difference(grads.flat, approx_flat),
        worst_parameter=worst_name,
        worst_abs_error=worst_err,
        per_array=per_array,
        n_parameters=int(params.flat.size),
        notes=notes,
    )


MASK_TRIES = 20


def _smooth_mask_seed(params, X, arch, keep_prob: float, eps: float, first: int) -> int:
    """The first of MASK_TRIES mask seeds whose mask puts no pre-activation at a ReLU kink.

    A dropped-out sample can have every input to a layer zeroed; with zero biases (as at
    initialization) its pre-activation is then exactly 0, where J has no derivative. Which mask
    is held fixed is arbitrary, so pick one under which J is differentiable."""
    for seed in range(first, first + MASK_TRIES):
        _, work = network.forward(params, X, arch, keep_prob, np.random.default_rng(seed))
        if not _n_kinks(work, arch, eps):
            return seed
    return first


def _n_kinks(work: network.Workspace, arch: Architecture, eps: float) -> int:
    if arch.activation not in ("relu", "leaky_relu"):
        return 0
    return sum(int(np.count_nonzero(np.abs(work.Z[l]) < eps)) for l in range(1, arch.L))


def _kinks(work: network.Workspace, arch: Architecture, eps: float) -> list[str]:
    """A note when pre-activations sit within eps of a ReLU kink, where J has no derivative and
    the two-sided difference averages the slopes on either side (backprop takes g'(0) = 0)."""
    n = _n_kinks(work, arch, eps)
    if not n:
        return []
    return [
        f"{n} pre-activation(s) lie within eps of the {arch.activation} kink at z = 0 (e.g. a "
        "sample whose every input to a layer is 0, inactive or dropped, while the biases are "
        "still 0): J is not differentiable there, so backprop and the difference disagree"
    ]


def _worst(grads: Parameters, approx: Parameters) -> tuple[str, float]:
    best = ("", -1.0)
    for name, g in grads.views.items():
        err = np.abs(g - approx[name])
        idx = np.unravel_index(int(err.argmax()), err.shape)
        if err[idx] > best[1]:
            best = (f"{name}[{idx[0]}, {idx[1]}]", float(err[idx]))
    return best
