"""The compiled epoch: one member's mini-batch steps and validation pass as explicit loops (numba).

The course's networks are tiny (the 5-2 network has 30 parameters): a NumPy step is ~30 calls
of a few microseconds each on arrays of a few dozen numbers. Here a whole epoch is one compiled
call that walks the samples one by one, forward then backward, each derivative beside its
forward, accumulating the batch's gradients, then updates the weights in place:

    status, k, cost_sum, correct, val_ce, val_correct = epoch(theta, grad, s1, s2, ...)

The lone `core.train.train` and every member of `core.population.train_population` call this
same function (`core.compiled` drives it), so a member is its lone run bit for bit. What the
NumPy path computes is computed here in the same formulas; only the order of the sums over a
batch's samples differs (a BLAS product sums in blocks, here sample after sample), which the
tests bound per dtype.

Rules that keep the arithmetic honest (see issue 22):
- no fastmath: it reorders sums and may fold away the `isfinite` the divergence checks rely on;
- NUMBA_DISABLE_INTEL_SVML=1 before numba loads: SVML's vector exp differs from the scalar one;
- float32 code never meets a Python float literal (numba would promote it to float64): every
  constant is made in the arrays' dtype (`type(z)(1.0)`, `theta.dtype.type(...)`), and the
  hyperparameters arrive as an array already cast to the dtype, as NumPy casts them;
- choices (activation, optimizer) are run-time integers: one compiled variant per dtype;
- no random numbers are drawn here: the epoch's order and dropout draws come in as arrays;
- nogil: the heartbeat thread keeps beating, and a population's members run on threads.

Costs are summed in float64 whatever the dtype (the NumPy path sums float32 costs in float32).
All code lives in this one file: numba's cache is invalidated by a change of the file that holds
a function, not of another file whose functions it calls.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

os.environ.setdefault("NUMBA_DISABLE_INTEL_SVML", "1")  # before numba's first import


def _cache_dir() -> None:
    """Point numba's cache to a writable folder when this package's folder is not (an installed
    wheel in a read-only site-packages): the user's cache folder, else the temporary one."""
    if os.environ.get("NUMBA_CACHE_DIR") or os.access(Path(__file__).parent, os.W_OK):
        return
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for base in (home, tempfile.gettempdir()):
        folder = Path(base) / f"optsweep-numba-{os.getuid()}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            os.environ["NUMBA_CACHE_DIR"] = str(folder)
            return


_cache_dir()

import numpy as np  # noqa: E402
from numba import njit  # noqa: E402

# the run-time choices, in the order of core.choices
RELU, LEAKY_RELU, TANH, SIGMOID = 0, 1, 2, 3
GD, MOMENTUM, RMSPROP, ADAM = 0, 1, 2, 3
LEAKY_SLOPE = 0.01  # core.activations.LEAKY_SLOPE

# the hyperparameters array (in the dtype): its slots
LR, BETA, ONE_MINUS_BETA, BETA1, ONE_MINUS_BETA1, BETA2, ONE_MINUS_BETA2, EPS, L2_GRAD, KEEP = (
    range(10)
)
N_HYPER = 10

OK, NONFINITE_STEP, NONFINITE_VALIDATION = 0, 1, 2

kernel = njit(cache=True, nogil=True)


# --- hidden activations: g(z) beside g'(z) -------------------------------------------------


@kernel
def activation(kind, z):
    """g(z): relu max(z, 0), leaky relu max(z, 0.01 z), tanh, sigmoid 1 / (1 + e^-z)."""
    zero, one = type(z)(0.0), type(z)(1.0)
    if kind == RELU:
        return zero if z <= zero else z  # NaN stays NaN, as np.maximum keeps it
    if kind == LEAKY_RELU:
        return z if z > zero else type(z)(LEAKY_SLOPE) * z
    if kind == TANH:
        return np.tanh(z)
    e = np.exp(-abs(z))  # e^-|z| never overflows
    return one / (one + e) if z >= zero else e / (one + e)


@kernel
def activation_backward(kind, dA, z, a):
    """dZ = dA g'(z), given a = g(z) unmasked: relu [z > 0], leaky relu 1 or 0.01,
    tanh 1 - a^2, sigmoid a (1 - a)."""
    zero, one = type(z)(0.0), type(z)(1.0)
    if kind == RELU:
        return dA * (one if z > zero else zero)
    if kind == LEAKY_RELU:
        return dA * (one if z > zero else type(z)(LEAKY_SLOPE))
    if kind == TANH:
        return dA * (one - a * a)
    return dA * (a * (one - a))


# --- the output: cross-entropy from the logits beside dJ/dZ[L] -----------------------------


@kernel
def output_loss(ZL, label, P):
    """One sample's cross-entropy from its logits ZL (n[L],), float64, writing its output
    probabilities into P: dJ/dZ[L] is then (P - Y) / m for sigmoid + BCE and softmax + CE.

    sigmoid: -[y log s(z) + (1-y) log(1-s(z))] = max(z, 0) - z y + log(1 + e^-|z|)
    softmax: -sum_k y_k log p_k, log p = z - max(z) - log sum_j e^(z_j - max(z))
    """
    zero, one = type(ZL[0])(0.0), type(ZL[0])(1.0)
    if ZL.size == 1:
        z, y = ZL[0], type(ZL[0])(label)
        e = np.exp(-abs(z))
        P[0] = one / (one + e) if z >= zero else e / (one + e)
        return float((z if z > zero else zero) - z * y + np.log1p(e))
    top = ZL[0]
    for k in range(1, ZL.size):
        top = max(top, ZL[k])
    total = zero
    for k in range(ZL.size):
        total += np.exp(ZL[k] - top)
    log_sum = np.log(total)
    loss = 0.0
    for k in range(ZL.size):
        log_p = ZL[k] - top - log_sum  # log softmax
        P[k] = np.exp(log_p)
        loss -= float((one if k == label else zero) * log_p)
    return loss


@kernel
def output_gradient(P, label, m, dZ):
    """dZ[L] = (P - Y) / m for one sample, Y its target (0/1, or one-hot)."""
    zero, one = type(P[0])(0.0), type(P[0])(1.0)
    if P.size == 1:
        dZ[0] = (P[0] - type(P[0])(label)) / type(P[0])(m)
        return
    for k in range(P.size):
        dZ[k] = (P[k] - (one if k == label else zero)) / type(P[0])(m)


@kernel
def predicted(ZL):
    """The class label: z > 0 for a sigmoid output, the first argmax for softmax."""
    if ZL.size == 1:
        return 1 if ZL[0] > 0 else 0
    best = 0
    for k in range(1, ZL.size):
        if ZL[k] > ZL[best]:
            best = k
    return best


# --- the network: flat parameters, one sample at a time ------------------------------------


@kernel
def offsets(dims):
    """Where W[l] and b[l] start in the flat vector (layout of core.network.Parameters), and
    where layer l's units start in a sample's per-unit buffers (Z, G, A, dZ)."""
    L = dims.size - 1
    w, b, u = np.zeros(L + 1, np.int64), np.zeros(L + 1, np.int64), np.zeros(L + 2, np.int64)
    at = 0
    for l in range(1, L + 1):
        w[l] = at
        b[l] = at + dims[l] * dims[l - 1]
        at = b[l] + dims[l]
        u[l + 1] = u[l] + dims[l]
    return w, b, u


@kernel
def forward(theta, dims, act, x, Z, G, A, n, i, masks, keep):
    """Z[l] = W[l] A[l-1] + b[l], G[l] = g(Z[l]), A[l] = G[l] D[l] for one sample x; returns the
    logits Z[L] as a view into Z. D[l] = (u < keep_prob) / keep_prob is read from `masks` (the
    step's draws, layer by layer, (n[l], n) each) at sample i of n; no dropout when it is empty.
    """
    w_at, b_at, u_at = offsets(dims)
    L = dims.size - 1
    zero, one = theta.dtype.type(0.0), theta.dtype.type(1.0)
    a_prev = x
    mask_at = 0
    for l in range(1, L + 1):
        rows, cols = dims[l], dims[l - 1]
        for j in range(rows):
            s = theta[b_at[l] + j]
            row = w_at[l] + j * cols
            total = zero
            for k in range(cols):
                total += theta[row + k] * a_prev[k]
            Z[u_at[l] + j] = total + s  # Z[l] = W[l] A[l-1] + b[l]
        if l == L:
            return Z[u_at[L] : u_at[L] + rows]
        for j in range(rows):
            g = activation(act, Z[u_at[l] + j])  # G[l] = g(Z[l]), what g' reads
            G[u_at[l] + j] = g
            if masks.size:
                d = (one if masks[mask_at + j * n + i] < keep else zero) / keep
                A[u_at[l] + j] = g * d  # A[l] = G[l] D[l]
            else:
                A[u_at[l] + j] = g
        mask_at += rows * n
        a_prev = A[u_at[l] : u_at[l] + rows]
    return Z[u_at[L] : u_at[L] + dims[L]]


@kernel
def backward(theta, grad, dims, act, x, Z, G, A, dZ, n, i, masks, keep):
    """Add one sample's dJ/dW[l] = dZ[l] A[l-1]^T and dJ/db[l] = dZ[l] to `grad`, given
    dZ[L] in dZ; dA[l-1] = W[l]^T dZ[l], times D[l-1], then dZ[l-1] = dA[l-1] g'(Z[l-1]) read from
    the unmasked G[l-1]."""
    w_at, b_at, u_at = offsets(dims)
    L = dims.size - 1
    zero, one = theta.dtype.type(0.0), theta.dtype.type(1.0)
    hidden_at = np.zeros(L + 1, np.int64)  # where layer l's masks start in the step's draws
    for l in range(2, L + 1):
        hidden_at[l] = hidden_at[l - 1] + dims[l - 1] * n
    for l in range(L, 0, -1):
        rows, cols = dims[l], dims[l - 1]
        a_prev = x if l == 1 else A[u_at[l - 1] : u_at[l - 1] + cols]
        for j in range(rows):
            dz = dZ[u_at[l] + j]
            row = w_at[l] + j * cols
            for k in range(cols):
                grad[row + k] += dz * a_prev[k]  # dW[l] = dZ[l] A[l-1]^T
            grad[b_at[l] + j] += dz  # db[l] = dZ[l], summed over samples
        if l > 1:
            for k in range(cols):
                da = zero
                for j in range(rows):
                    da += theta[w_at[l] + j * cols + k] * dZ[u_at[l] + j]  # W[l]^T dZ[l]
                if masks.size:
                    da *= (one if masks[hidden_at[l - 1] + k * n + i] < keep else zero) / keep
                at = u_at[l - 1] + k
                dZ[at] = activation_backward(act, da, Z[at], G[at])  # dA g'(Z), g' from G


@kernel
def squared_norm(theta, dims):
    """sum_l ||W[l]||_F^2, in float64."""
    w_at, b_at, _ = offsets(dims)
    total = 0.0
    for l in range(1, dims.size):
        for p in range(w_at[l], b_at[l]):
            total += float(theta[p]) * float(theta[p])
    return total


@kernel
def standardized(X, r, mean, std, x):
    """Row r of the data as the network's input x (in its dtype): z = (x - mu) / sigma in
    float64 with the training split's statistics, then cast, as train standardizes its split
    (mu = 0, sigma = 1 without normalization: x itself, exactly)."""
    for k in range(x.size):
        x[k] = (X[r, k] - mean[k]) / std[k]
    return x


@kernel
def evaluate(theta, dims, act, X, rows, y, mean, std):
    """(mean cross-entropy, number of right predictions) of one full pass over the data's rows
    `rows`, no dropout, no L2 term: train's `evaluate`."""
    units = dims[1:].sum()
    dtype = theta.dtype
    Z, G, A = np.empty(units, dtype), np.empty(units, dtype), np.empty(units, dtype)
    x, P = np.empty(dims[0], dtype), np.empty(dims[-1], dtype)
    no_masks = np.empty(0, dtype)
    keep = dtype.type(1.0)
    total, correct = 0.0, 0
    for r in rows:
        standardized(X, r, mean, std, x)
        ZL = forward(theta, dims, act, x, Z, G, A, 1, 0, no_masks, keep)
        total += output_loss(ZL, y[r], P)
        correct += predicted(ZL) == y[r]
    return total / rows.size, correct


# --- the update rules, parameter by parameter (core.optimizers) ----------------------------


@kernel
def update(opt, theta, grad, s1, s2, hyper, step_size, correction2):
    """theta := theta - the rule's step, in place; s1, s2 its state (velocity, squared average,
    Adam's m and v). `step_size` and `correction2` are Adam's alpha / (1 - beta1^t) and
    1 - beta2^t (both 1-free without bias correction), in the dtype."""
    lr, eps = hyper[LR], hyper[EPS]
    if opt == GD:
        for p in range(theta.size):
            theta[p] -= lr * grad[p]  # theta := theta - alpha d_theta
    elif opt == MOMENTUM:
        beta, rest = hyper[BETA], hyper[ONE_MINUS_BETA]
        for p in range(theta.size):
            s1[p] = s1[p] * beta + rest * grad[p]  # v := beta v + (1 - beta) d_theta
            theta[p] -= lr * s1[p]  # theta := theta - alpha v
    elif opt == RMSPROP:
        beta, rest = hyper[BETA], hyper[ONE_MINUS_BETA]
        for p in range(theta.size):
            g = grad[p]
            s1[p] = s1[p] * beta + rest * (g * g)  # s := beta s + (1 - beta) d_theta^2
            theta[p] -= lr * g / (np.sqrt(s1[p]) + eps)  # alpha d_theta / (sqrt(s) + eps)
    else:
        b1, rest1 = hyper[BETA1], hyper[ONE_MINUS_BETA1]
        b2, rest2 = hyper[BETA2], hyper[ONE_MINUS_BETA2]
        for p in range(theta.size):
            g = grad[p]
            s1[p] = s1[p] * b1 + g * rest1  # m := beta1 m + (1 - beta1) g
            s2[p] = s2[p] * b2 + (g * g) * rest2  # v := beta2 v + (1 - beta2) g^2
            # alpha m_hat / (sqrt(v_hat) + eps), m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)
            theta[p] -= s1[p] / (np.sqrt(s2[p] / correction2) + eps) * step_size


@kernel
def adam_corrections(hyper64, t, corrected):
    """(1 - beta1^t, 1 - beta2^t) in float64 as Python computes them (pow), or (1, 1)."""
    if not corrected:
        return 1.0, 1.0
    return 1.0 - hyper64[0] ** float(t), 1.0 - hyper64[1] ** float(t)


# --- the epoch -----------------------------------------------------------------------------


@kernel
def epoch(
    theta, grad, s1, s2, dims, act, opt, hyper, hyper64, corrected, t0,
    X, y, mean, std, rows, order, bs, k0, k1, masks, step_cost, val_rows,
):  # fmt: skip
    """Steps k0..k1-1 of an epoch over the training rows (`rows` of the data X, y) taken in the
    epoch's `order`, in batches of bs (the last one partial), then, if k1 is the epoch's last
    step, one validation pass over `val_rows`. Inputs are standardized with (mean, std).

    Each step: the batch's forward and backward passes sample by sample, its J (cross-entropy
    + the training set's L2 penalty, weights before the step), the non-finite check, the L2
    gradient (lambda / m) W, and the update; its J goes to step_cost[t0 + k - k0].
    `hyper` holds the hyperparameters in the dtype (slots LR...KEEP), hyper64 = (beta1, beta2,
    alpha, lambda / 2m) in float64; t0 the updates made before step k0; `masks` the dropout
    draws u of steps k0..k1-1, step after step, layer after layer (empty: no dropout).

    Returns (status, step, cost_sum, correct, val_cost, val_correct): status OK, or
    NONFINITE_STEP at `step` (nothing updated there), or NONFINITE_VALIDATION; cost_sum is
    sum_k J_k m_k and correct the right predictions over the steps made.
    """
    m = rows.size
    n_batches = (m + bs - 1) // bs
    units = dims[1:].sum()
    dtype = theta.dtype
    Z, G, A, dZ = (np.empty(units, dtype), np.empty(units, dtype), np.empty(units, dtype),
                   np.empty(units, dtype))  # fmt: skip
    x, P = np.empty(dims[0], dtype), np.empty(dims[-1], dtype)
    w_at, b_at, u_at = offsets(dims)
    L = dims.size - 1
    hidden_units = units - dims[L]
    keep, l2_grad = hyper[KEEP], hyper[L2_GRAD]
    l2_half = hyper64[3]
    cost_sum, correct = 0.0, 0
    step_at = np.empty(1, dtype)  # Adam's alpha / (1 - beta1^t) and 1 - beta2^t, in the dtype
    c2_at = np.empty(1, dtype)
    mask_at = 0
    for k in range(k0, k1):
        start = k * bs
        n = min(bs, m - start)
        grad[:] = 0
        ce = 0.0
        right = 0
        step_masks = masks[mask_at : mask_at + hidden_units * n] if masks.size else masks
        for i in range(n):
            r = rows[order[start + i]]
            standardized(X, r, mean, std, x)
            ZL = forward(theta, dims, act, x, Z, G, A, n, i, step_masks, keep)
            ce += output_loss(ZL, y[r], P)
            right += predicted(ZL) == y[r]
            output_gradient(P, y[r], n, dZ[u_at[L] : u_at[L] + dims[L]])
            backward(theta, grad, dims, act, x, Z, G, A, dZ, n, i, step_masks, keep)
        # this batch's J: its cross-entropy + the training set's penalty, weights before the step
        c = ce / n
        if l2_half != 0.0:
            c += l2_half * squared_norm(theta, dims)
        if not math.isfinite(c):
            return NONFINITE_STEP, k, cost_sum, correct, math.nan, 0
        if l2_half != 0.0:
            for l in range(1, L + 1):
                for p in range(w_at[l], b_at[l]):
                    grad[p] += l2_grad * theta[p]  # d/dW of lambda/(2m) ||W||^2
        t = t0 + k - k0 + 1  # this update's number, 1 on the first
        c1, c2 = adam_corrections(hyper64, t, corrected)
        step_at[0] = hyper64[2] / c1
        c2_at[0] = c2
        update(opt, theta, grad, s1, s2, hyper, step_at[0], c2_at[0])
        step_cost[t0 + k - k0] = c
        cost_sum += c * n
        correct += right
        mask_at += hidden_units * n
    if k1 < n_batches:
        return OK, k1, cost_sum, correct, math.nan, 0
    val_cost, val_correct = evaluate(theta, dims, act, X, val_rows, y, mean, std)
    if not math.isfinite(val_cost):  # the last update of the epoch blew up
        return NONFINITE_VALIDATION, k1, cost_sum, correct, val_cost, val_correct
    return OK, k1, cost_sum, correct, val_cost, val_correct
