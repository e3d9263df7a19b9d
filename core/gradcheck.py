"""Two-sided gradient checking: is backprop's gradient the derivative of the cost?

    d_approx[i] = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps)
    difference  = ||d - d_approx|| / (||d|| + ||d_approx||)

The course's reading: below 1e-7 great, around 1e-5 look closer, above 1e-3 almost certainly a
bug. It is slow (two cost evaluations per parameter), so it runs on a small batch, never while
training, and always without dropout: the random masks would make J a different function at every
evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core import network
from core.network import Architecture, Parameters

EPSILON = 1e-7


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
) -> GradCheckResult:
    """Compare backprop's gradient at `params` with the two-sided numerical one.

    `backward` can be swapped for a deliberately wrong pass, to see that the check catches it.
    """
    notes = []
    if keep_prob < 1.0:
        notes.append(f"dropout disabled for the check (keep_prob {keep_prob} -> 1.0)")
    if params.flat.dtype != np.float64:
        notes.append("checked in float64: float32 rounding would swamp a 1e-7 difference")
        p64 = Parameters(arch, "float64")
        p64.flat[:] = params.flat
        params, X, Y = p64, X.astype(np.float64), Y.astype(np.float64)

    grads = Parameters(arch, "float64")
    ZL, cache = network.forward(params, X, arch)
    _, P = network.cross_entropy(ZL, Y, arch.output)
    backward(params, grads, cache, P, Y, arch, lambd)
    approx_flat = numerical_gradient(
        lambda: network.cost(params, X, Y, arch, lambd), params.flat, eps
    )

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


def _worst(grads: Parameters, approx: Parameters) -> tuple[str, float]:
    best = ("", -1.0)
    for name, g in grads.views.items():
        err = np.abs(g - approx[name])
        idx = np.unravel_index(int(err.argmax()), err.shape)
        if err[idx] > best[1]:
            best = (f"{name}[{idx[0]}, {idx[1]}]", float(err[idx]))
    return best
