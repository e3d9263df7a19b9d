"""Update rules: gradient descent, Momentum, RMSprop and Adam, as the course writes them.

Every rule shares one interface (as in CS231n's optim.py):

    opt = Adam(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)
    opt.step(params, grads)     # params: dict[str, ndarray] updated in place

Hyperparameters are keyword arguments with the textbook defaults from `core.defaults` (alpha has
none: it must be chosen). `lr` is a plain mutable attribute that learning-rate schedules set.
State (velocities, squared-gradient averages, the step count) is kept per parameter name and
created on the first step that sees the name. Passing one flat vector (`{"theta": flat}`) updates
every layer at once, which is how the trainer calls it.
"""

from __future__ import annotations

import numpy as np

from core import defaults
from core.choices import OPTIMIZERS
from core.errors import ConfigError


def _check_alpha(lr: float) -> float:
    if not (lr > 0 and np.isfinite(lr)):
        raise ConfigError(f"learning rate alpha must be > 0, got {lr}")
    return float(lr)


def check_beta(name: str, beta: float) -> float:
    if not 0 <= beta < 1:
        raise ConfigError(f"{name} must be in [0, 1), got {beta}")
    return float(beta)


def check_eps(eps: float) -> float:
    if not (eps > 0 and np.isfinite(eps)):
        raise ConfigError(f"epsilon must be > 0 and finite, got {eps}")
    return float(eps)


class GD:
    """theta := theta - alpha * d_theta."""

    def __init__(self, *, lr: float) -> None:
        self.lr = _check_alpha(lr)

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        for key, g in grads.items():
            params[key] -= self.lr * g


class Momentum:
    """v := beta v + (1 - beta) d_theta;  theta := theta - alpha v  (the course's EWA form)."""

    def __init__(self, *, lr: float, beta: float = defaults.BETA) -> None:
        self.lr = _check_alpha(lr)
        self.beta = check_beta("beta", beta)
        self.v: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        for key, g in grads.items():
            v = self.v.setdefault(key, np.zeros_like(g))  # V_dW starts at zero
            v *= self.beta
            v += (1 - self.beta) * g
            params[key] -= self.lr * v


class RMSProp:
    """s := beta s + (1 - beta) d_theta^2;  theta := theta - alpha d_theta / (sqrt(s) + eps)."""

    def __init__(
        self, *, lr: float, beta: float = defaults.BETA, eps: float = defaults.EPSILON
    ) -> None:
        self.lr = _check_alpha(lr)
        self.beta = check_beta("beta", beta)
        self.eps = check_eps(eps)
        self.s: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        for key, g in grads.items():
            s = self.s.setdefault(key, np.zeros_like(g))
            s *= self.beta
            s += (1 - self.beta) * (g * g)
            params[key] -= self.lr * g / (np.sqrt(s) + self.eps)


class Adam:
    """Momentum and RMSprop together, each EWA bias-corrected.

    m := beta1 m + (1 - beta1) g;          v := beta2 v + (1 - beta2) g^2
    m_hat := m / (1 - beta1^t);            v_hat := v / (1 - beta2^t)
    theta := theta - alpha m_hat / (sqrt(v_hat) + eps)

    t counts the updates made to that parameter, and is 1 on the first update: with t starting
    at 1 and incremented before the first update, bias correction would be silently too weak.
    `bias_correction=False` uses m and v as they are ("in practice, people often don't bother"):
    m_hat = m, v_hat = v, for the findings to measure what skipping it costs.
    The update is computed in place in one scratch array per parameter (no temporaries): it runs
    once per mini-batch over every weight.
    """

    def __init__(
        self,
        *,
        lr: float,
        beta1: float = defaults.BETA1,
        beta2: float = defaults.BETA2,
        eps: float = defaults.EPSILON,
        bias_correction: bool = True,
    ) -> None:
        self.lr = _check_alpha(lr)
        self.beta1 = check_beta("beta1", beta1)
        self.beta2 = check_beta("beta2", beta2)
        self.eps = check_eps(eps)
        self.bias_correction = bool(bias_correction)
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}
        self.t: dict[str, int] = {}
        self._scratch: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        b1, b2 = self.beta1, self.beta2
        for key, g in grads.items():
            if key not in self.t:  # m and v start at zero
                self.m[key], self.v[key] = np.zeros_like(g), np.zeros_like(g)
                self._scratch[key] = np.empty_like(g)
            m, v, s = self.m[key], self.v[key], self._scratch[key]
            t = self.t[key] = self.t.get(key, 0) + 1
            # 1 - beta^t, or 1 (dividing by 1.0 is exact) without bias correction
            c1, c2 = (1 - b1**t, 1 - b2**t) if self.bias_correction else (1.0, 1.0)
            m *= b1
            m += np.multiply(g, 1 - b1, out=s)  # m := beta1 m + (1 - beta1) g
            v *= b2
            s = np.multiply(g, g, out=s)
            s *= 1 - b2
            v += s  # v := beta2 v + (1 - beta2) g^2
            s = np.divide(v, c2, out=s)  # v_hat
            np.sqrt(s, out=s)
            s += self.eps
            np.divide(m, s, out=s)  # m / (sqrt(v_hat) + eps)
            s *= self.lr / c1  # alpha m_hat / (sqrt(v_hat) + eps), m_hat = m / (1 - b1^t)
            params[key] -= s


def make(
    name: str,
    *,
    lr: float,
    beta: float = defaults.BETA,
    beta1: float = defaults.BETA1,
    beta2: float = defaults.BETA2,
    eps: float = defaults.EPSILON,
    bias_correction: bool = True,
):
    """The optimizer called `name`, given only the hyperparameters it uses."""
    if name == "gd":
        return GD(lr=lr)
    if name == "momentum":
        return Momentum(lr=lr, beta=beta)
    if name == "rmsprop":
        return RMSProp(lr=lr, beta=beta, eps=eps)
    if name == "adam":
        return Adam(lr=lr, beta1=beta1, beta2=beta2, eps=eps, bias_correction=bias_correction)
    raise ConfigError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")


def ewa(values, beta: float, bias_correction: bool = True) -> np.ndarray:
    """Exponentially weighted average v_t = beta v_{t-1} + (1 - beta) theta_t, with v_0 = 0.

    Averages over roughly the last 1/(1 - beta) values. With bias correction each v_t is divided
    by 1 - beta^t (t = 1, 2, ...), which lifts the start of the curve to the data's level.
    """
    beta = check_beta("beta", beta)
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0:
        return x.copy()
    out = x.copy() if beta == 0 else _ewa_filter(x, beta)
    if bias_correction:
        out /= 1 - beta ** np.arange(1, x.size + 1)  # t = 1, 2, ...
    return out


def _ewa_filter(x: np.ndarray, beta: float) -> np.ndarray:
    """The EWA recursion without a Python loop over values.

    v_t = (1 - beta) sum_k beta^k x_(t-k). For beta <= 0.5 the weights fall below 1e-17 within a
    few dozen terms, so a truncated convolution is exact to rounding. For larger beta, inside a
    block of n values v is a weighted cumulative sum, sized so that beta^-n cannot overflow.
    """
    if beta <= 0.5:
        taps = int(np.ceil(40 / -np.log(beta))) + 1  # beta^taps < e^-40
        kernel = (1 - beta) * beta ** np.arange(taps)
        return np.convolve(x, kernel)[: x.size]
    out = np.empty_like(x)
    block = max(1, int(300 / -np.log(beta)))  # beta^-block <= e^300
    prev = 0.0
    for start in range(0, x.size, block):
        chunk = x[start : start + block]
        powers = beta ** np.arange(1, chunk.size + 1)  # beta^k, k = 1..n
        # v_(s+k) = beta^k v_s + (1 - beta) sum_(j<=k) beta^(k-j) x_j
        out[start : start + chunk.size] = powers * prev + np.cumsum(chunk / powers) * powers * (
            1 - beta
        )
        prev = out[start + chunk.size - 1]
    return out
