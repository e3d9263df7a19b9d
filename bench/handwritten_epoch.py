"""The floor `core.train` is measured against: one epoch of the course's 2-5-2-1 relu network
with a sigmoid output and Adam, written by hand as a single numba loop.

It does the same work as our epoch (bench/core_bench.py times both in the same run): a shuffle
of the training rows, every mini-batch (the last partial one kept) forward and backward sample by
sample with the cost, prediction and gradients, the non-finite check of each batch's cost, an
Adam step with bias correction, the running cost and accuracy, then one validation pass (cost and
accuracy) and its non-finite check. What it leaves out is what makes ours a product: any
network shape, activation, optimizer, schedule, L2, dropout and dtype as run-time choices,
NumPy-drawn shuffles from the run's own stream, callbacks and curves.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _forward(W1, b1, W2, b2, W3, b3, x, z1, a1, z2, a2):
    for j in range(5):
        z1[j] = W1[j, 0] * x[0] + W1[j, 1] * x[1] + b1[j, 0]
        a1[j] = z1[j] if z1[j] > 0.0 else 0.0
    for j in range(2):
        s = b2[j, 0]
        for k in range(5):
            s += W2[j, k] * a1[k]
        z2[j] = s
        a2[j] = s if s > 0.0 else 0.0
    return W3[0, 0] * a2[0] + W3[0, 1] * a2[1] + b3[0, 0]


@njit(cache=True, nogil=True)
def _loss(z, y):
    return max(z, 0.0) - z * y + math.log1p(math.exp(-abs(z)))


@njit(cache=True, nogil=True)
def epoch(params, grads, m_state, v_state, t, X, y, X_val, y_val, bs, lr):
    """One epoch; params, grads and Adam's m, v are tuples of the six 2-D arrays. Returns
    (train cost, train accuracy, val cost, val accuracy, updates made), NaN costs on divergence."""
    W1, b1, W2, b2, W3, b3 = params
    dW1, db1, dW2, db2, dW3, db3 = grads
    z1, a1, z2, a2 = np.empty(5), np.empty(5), np.empty(2), np.empty(2)
    d1, d2 = np.empty(5), np.empty(2)
    m = y.size
    order = np.random.permutation(m)
    cost_sum, correct = 0.0, 0
    for start in range(0, m, bs):
        n = min(bs, m - start)
        for g in grads:
            g[:] = 0.0
        ce = 0.0
        for i in range(n):
            r = order[start + i]
            z3 = _forward(W1, b1, W2, b2, W3, b3, X[r], z1, a1, z2, a2)
            ce += _loss(z3, y[r])
            correct += (z3 > 0.0) == (y[r] == 1)
            e = math.exp(-abs(z3))
            p = 1.0 / (1.0 + e) if z3 >= 0.0 else e / (1.0 + e)
            d3 = (p - y[r]) / n
            for k in range(2):
                dW3[0, k] += d3 * a2[k]
                d2[k] = W3[0, k] * d3 if z2[k] > 0.0 else 0.0
            db3[0, 0] += d3
            for j in range(2):
                for k in range(5):
                    dW2[j, k] += d2[j] * a1[k]
                db2[j, 0] += d2[j]
            for k in range(5):
                s = W2[0, k] * d2[0] + W2[1, k] * d2[1]
                d1[k] = s if z1[k] > 0.0 else 0.0
            for j in range(5):
                dW1[j, 0] += d1[j] * X[r, 0]
                dW1[j, 1] += d1[j] * X[r, 1]
                db1[j, 0] += d1[j]
        cost = ce / n
        if not math.isfinite(cost):
            return math.nan, 0.0, math.nan, 0.0, t
        t += 1
        c1, c2 = 1.0 - 0.9**t, 1.0 - 0.999**t
        for q in range(6):
            w, g = params[q].ravel(), grads[q].ravel()  # views: the arrays are contiguous
            mq, vq = m_state[q].ravel(), v_state[q].ravel()
            for i in range(w.size):
                mq[i] = 0.9 * mq[i] + 0.1 * g[i]
                vq[i] = 0.999 * vq[i] + 0.001 * g[i] * g[i]
                w[i] -= lr / c1 * mq[i] / (math.sqrt(vq[i] / c2) + 1e-8)
        cost_sum += cost * n
    val_sum, val_correct = 0.0, 0
    for r in range(y_val.size):
        z3 = _forward(W1, b1, W2, b2, W3, b3, X_val[r], z1, a1, z2, a2)
        val_sum += _loss(z3, y_val[r])
        val_correct += (z3 > 0.0) == (y_val[r] == 1)
    val_cost = val_sum / y_val.size
    if not math.isfinite(val_cost):
        return cost_sum / m, correct / m, math.nan, 0.0, t
    return cost_sum / m, correct / m, val_cost, val_correct / y_val.size, t


def start(seed: int = 0):
    """He-initialized weights of the 2-5-2-1 network, zero gradients and Adam state."""
    rng = np.random.default_rng(seed)
    shapes = [(5, 2), (5, 1), (2, 5), (2, 1), (1, 2), (1, 1)]
    params = tuple(
        rng.standard_normal(s) * math.sqrt(2 / s[1]) if q % 2 == 0 else np.zeros(s)
        for q, s in enumerate(shapes)
    )
    zeros = [tuple(np.zeros(s) for s in shapes) for _ in range(3)]
    return params, *zeros
