"""The compiled epoch: one member's mini-batch steps and validation pass as explicit loops (numba).

The course's networks are tiny (the 5-2 network has 30 parameters): a NumPy step is ~30 calls
of a few microseconds each on arrays of a few dozen numbers. Here a whole epoch is one compiled
call that walks each batch a chunk of samples at a time, layer by layer forward then backward,
each derivative beside its forward, accumulating the batch's gradients, then updates the
weights in place:

    status, k, cost_sum, correct, val_cost, val_correct = epoch(theta, grad, s1, s2, ...)

The lone `core.train.train` and every member of `core.population.train_population` call this
same function (`core.train.CompiledRun` drives it), so a member is its lone run bit for bit.
What the NumPy path computes is computed here in the same formulas; only the order of the sums
over a batch's samples differs (a BLAS product sums in blocks, here sample after sample), which
the tests bound per dtype.

Rules that keep the arithmetic honest (see issue 22):
- no fastmath: it reorders sums and may fold away the `isfinite` the divergence checks rely on;
  error_model="numpy": x / 0 is inf or NaN as in NumPy (then caught as divergence), not an
  exception, and no division carries a zero test;
- NUMBA_DISABLE_INTEL_SVML=1 before numba loads: SVML's vector exp differs from the scalar one;
- float32 code never meets a Python float literal (numba would promote it to float64): every
  constant is made in the arrays' dtype (`type(z)(1.0)`, `theta.dtype.type(...)`), and the
  hyperparameters arrive as an array already cast to the dtype, as NumPy casts them;
- choices (activation, optimizer) are run-time integers: one compiled variant per dtype;
- no random numbers are drawn here: the epoch's order and dropout draws come in as arrays;
- nogil: the heartbeat thread keeps beating, and a population's members run on Python threads,
  each in its own call. No numba threading layer (no prange) is involved, so any number of
  threads of one process (Dask workers) may call the kernel at once, and nothing depends on
  which thread runs a member or how many there are.

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

kernel = njit(cache=True, nogil=True, error_model="numpy")
# a piece of the epoch, inlined into its caller's IR: as a call, each of its array arguments
# costs reference counting on every sample
piece = njit(cache=True, nogil=True, error_model="numpy", inline="always")


# --- hidden activations: g(z) beside g'(z) -------------------------------------------------


@piece
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


@piece
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
# One sample's output values: Z[at], Z[at + stride], ... (n[L] of them, see `offsets`).


@piece
def output_loss(Z, at, stride, size, label, P):
    """One sample's cross-entropy from its logits, in float64, writing its output probabilities
    into P: dJ/dZ[L] is then (P - Y) / m for sigmoid + BCE and softmax + CE.

    sigmoid: -[y log s(z) + (1-y) log(1-s(z))] = max(z, 0) - z y + log(1 + e^-|z|)
    softmax: -sum_k y_k log p_k, log p = z - max(z) - log sum_j e^(z_j - max(z))
    """
    zero, one = type(Z[0])(0.0), type(Z[0])(1.0)
    if size == 1:
        z, y = Z[at], type(Z[0])(label)
        e = np.exp(-abs(z))
        P[0] = one / (one + e) if z >= zero else e / (one + e)
        return float((z if z > zero else zero) - z * y + np.log1p(e))
    top = Z[at]
    for k in range(1, size):
        top = max(top, Z[at + k * stride])
    total = zero
    for k in range(size):
        total += np.exp(Z[at + k * stride] - top)
    log_sum = np.log(total)
    loss = 0.0
    for k in range(size):
        log_p = Z[at + k * stride] - top - log_sum  # log softmax
        P[k] = np.exp(log_p)
        loss -= float((one if k == label else zero) * log_p)
    return loss


@piece
def output_gradient(P, label, m, dZ, at, stride):
    """dZ[L] = (P - Y) / m for one sample, Y its target (0/1, or one-hot)."""
    zero, one = type(P[0])(0.0), type(P[0])(1.0)
    if P.size == 1:
        dZ[at] = (P[0] - type(P[0])(label)) / type(P[0])(m)
        return
    for k in range(P.size):
        dZ[at + k * stride] = (P[k] - (one if k == label else zero)) / type(P[0])(m)


@piece
def predicted(Z, at, stride, size):
    """The class label: z > 0 for a sigmoid output, the first argmax for softmax."""
    if size == 1:
        return 1 if Z[at] > 0 else 0
    best = 0
    for k in range(1, size):
        if Z[at + k * stride] > Z[at + best * stride]:
            best = k
    return best


# --- the network: flat parameters, a chunk of samples at a time ----------------------------
# A layer's values for a chunk of samples sit in flat buffers, unit after unit, CHUNK samples
# each: unit j of layer l, sample i at (u_at[l] + j) * CHUNK + i (see `offsets`; layer 0 is the
# input). The loops run over the samples innermost, so the compiler vectorizes them, and every
# sum runs in the order of a sample-by-sample loop: over k for Z = W A and W^T dZ, over the
# samples in order for dW and db.

CHUNK = 64  # samples per pass through the layers; a batch is walked chunk after chunk


@kernel
def offsets(dims):
    """Where W[l] and b[l] start in the flat vector (layout of core.network.Parameters), and
    where layer l's units start among a sample's units (layer 0, the input, first)."""
    L = dims.size - 1
    w, b, u = np.zeros(L + 1, np.int64), np.zeros(L + 1, np.int64), np.zeros(L + 2, np.int64)
    at = 0
    for l in range(1, L + 1):
        w[l] = at
        b[l] = at + dims[l] * dims[l - 1]
        at = b[l] + dims[l]
    for l in range(1, L + 2):
        u[l] = u[l - 1] + dims[l - 1]
    return w, b, u


@piece
def standardized(X, rows, mean, std, A, cn):
    """The data's rows `rows` (cn of them) as the network's input A[0] (in its dtype):
    z = (x - mu) / sigma in float64 with the training split's statistics, then cast, as train
    standardizes its split (mu = 0, sigma = 1 without normalization: x itself, exactly)."""
    for k in range(mean.size):
        for i in range(cn):
            A[k * CHUNK + i] = (X[rows[i], k] - mean[k]) / std[k]


@piece
def forward(theta, layout, dims, act, Z, G, A, cn, masks, n, i0, keep):
    """Z[l] = W[l] A[l-1] + b[l], G[l] = g(Z[l]), A[l] = G[l] D[l] for the chunk's cn samples
    in A[0]. D[l] = (u < keep_prob) / keep_prob is read from `masks` (the step's draws, layer by
    layer, (n[l], n) each; the chunk's samples start at i0 of n); no dropout when it is empty."""
    w_at, b_at, u_at = layout
    L = dims.size - 1
    zero, one = theta.dtype.type(0.0), theta.dtype.type(1.0)
    hidden0 = u_at[1]  # the input's units come before the hidden ones
    for l in range(1, L + 1):
        cols, prev = dims[l - 1], u_at[l - 1]
        for j in range(dims[l]):
            z = (u_at[l] + j) * CHUNK
            for i in range(cn):
                Z[z + i] = zero
            for k in range(cols):
                w, a = theta[w_at[l] + j * cols + k], (prev + k) * CHUNK
                for i in range(cn):
                    Z[z + i] += w * A[a + i]
            b = theta[b_at[l] + j]
            for i in range(cn):
                Z[z + i] += b  # Z[l] = W[l] A[l-1] + b[l]
            if l == L:
                continue
            at = (u_at[l] + j - hidden0) * n + i0  # this unit's draws for the chunk
            for i in range(cn):
                g = activation(act, Z[z + i])  # G[l] = g(Z[l]), what g' reads
                G[z + i] = g
                if masks.size:
                    A[z + i] = g * ((one if masks[at + i] < keep else zero) / keep)  # G D
                else:
                    A[z + i] = g


@piece
def backward(theta, grad, layout, dims, act, Z, G, A, dZ, cn, masks, n, i0, keep):
    """Add the chunk's dJ/dW[l] = dZ[l] A[l-1]^T and dJ/db[l] = dZ[l] (summed sample after
    sample) to `grad`, given dZ[L]; dA[l-1] = W[l]^T dZ[l], times D[l-1], then
    dZ[l-1] = dA[l-1] g'(Z[l-1]) read from the unmasked G[l-1]."""
    w_at, b_at, u_at = layout
    L = dims.size - 1
    zero, one = theta.dtype.type(0.0), theta.dtype.type(1.0)
    hidden0 = u_at[1]
    for l in range(L, 0, -1):
        cols, prev = dims[l - 1], u_at[l - 1]
        for j in range(dims[l]):
            dz = (u_at[l] + j) * CHUNK
            for k in range(cols):
                a, p = (prev + k) * CHUNK, w_at[l] + j * cols + k
                total = grad[p]
                for i in range(cn):
                    total += dZ[dz + i] * A[a + i]  # dW[l] = dZ[l] A[l-1]^T
                grad[p] = total
            total = grad[b_at[l] + j]
            for i in range(cn):
                total += dZ[dz + i]  # db[l] = dZ[l], summed over samples
            grad[b_at[l] + j] = total
        if l == 1:
            return
        for k in range(cols):
            da = (prev + k) * CHUNK  # dA[l-1] = W[l]^T dZ[l], into dZ[l-1]'s place
            for i in range(cn):
                dZ[da + i] = zero
            for j in range(dims[l]):
                w, dz = theta[w_at[l] + j * cols + k], (u_at[l] + j) * CHUNK
                for i in range(cn):
                    dZ[da + i] += w * dZ[dz + i]
            at = (prev + k - hidden0) * n + i0
            for i in range(cn):
                d = dZ[da + i]
                if masks.size:
                    d *= (one if masks[at + i] < keep else zero) / keep
                # dZ[l-1] = dA[l-1] g'(Z[l-1]), g' read from the unmasked G[l-1]
                dZ[da + i] = activation_backward(act, d, Z[da + i], G[da + i])


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
def evaluate(theta, dims, act, X, rows, y, mean, std):
    """(mean cross-entropy, number of right predictions) of one full pass over the data's rows
    `rows`, no dropout, no L2 term: train's `evaluate`."""
    dtype = theta.dtype
    layout = offsets(dims)
    L = dims.size - 1
    units = layout[2][L + 1]
    Z, G = np.empty(units * CHUNK, dtype), np.empty(units * CHUNK, dtype)
    A = np.empty(units * CHUNK, dtype)
    P = np.empty(dims[L], dtype)
    no_masks = np.empty(0, dtype)
    out, size = layout[2][L] * CHUNK, dims[L]
    total, correct = 0.0, 0
    for c0 in range(0, rows.size, CHUNK):
        cn = min(CHUNK, rows.size - c0)
        standardized(X, rows[c0 : c0 + cn], mean, std, A, cn)
        forward(theta, layout, dims, act, Z, G, A, cn, no_masks, 1, 0, dtype.type(1.0))
        for i in range(cn):
            label = y[rows[c0 + i]]
            total += output_loss(Z, out + i, CHUNK, size, label, P)
            correct += predicted(Z, out + i, CHUNK, size) == label
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

    Each step: the batch's forward and backward passes, chunk after chunk, its J (cross-entropy
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
    dtype = theta.dtype
    layout = offsets(dims)
    w_at, b_at, u_at = layout
    L = dims.size - 1
    units = u_at[L + 1]
    Z, G = np.empty(units * CHUNK, dtype), np.empty(units * CHUNK, dtype)
    A, dZ = np.empty(units * CHUNK, dtype), np.empty(units * CHUNK, dtype)
    P = np.empty(dims[L], dtype)
    batch_rows = np.empty(CHUNK, np.int64)
    out, size = u_at[L] * CHUNK, dims[L]
    hidden_units = u_at[L] - u_at[1]
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
        for i0 in range(0, n, CHUNK):
            cn = min(CHUNK, n - i0)
            for i in range(cn):
                batch_rows[i] = rows[order[start + i0 + i]]
            standardized(X, batch_rows, mean, std, A, cn)
            forward(theta, layout, dims, act, Z, G, A, cn, step_masks, n, i0, keep)
            for i in range(cn):
                label = y[batch_rows[i]]
                ce += output_loss(Z, out + i, CHUNK, size, label, P)
                right += predicted(Z, out + i, CHUNK, size) == label
                output_gradient(P, label, n, dZ, out + i, CHUNK)
            backward(theta, grad, layout, dims, act, Z, G, A, dZ, cn, step_masks, n, i0, keep)
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
