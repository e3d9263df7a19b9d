"""The training loop: mini-batch gradient descent with any optimizer and schedule.

    config = TrainConfig(layers=(5, 2), optimizer="adam", alpha=7e-4, epochs=5000)
    result = train(config, data.load(DataSpec("moons")), callback=None)

Each epoch reshuffles the training split (seeded), walks it in mini-batches of `batch_size` (the
last partial batch kept; batch GD when batch_size >= m, SGD at 1), and reports one
`EpochMetrics`: the training cost and accuracy averaged over the epoch's mini-batches (as Keras
reports them, no extra pass), and the validation cost and accuracy from one pass over the
validation split. The training cost is the course's regularized J, cross-entropy plus
lambda/(2m) ||W||^2 with m the training split's size at every batch size; the validation cost
is the cross-entropy alone (the sweeps' objective must not reward a small lambda for itself).
A callback sees each epoch's metrics and can stop training by returning True; the sweep
objective uses it to report to Optuna and prune.

Training stops at once when the cost stops being finite or explodes past `diverge_factor` times
J at initialization (status "diverged"), so a NaN is never passed on silently. The same config
and data give the same bits.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from time import perf_counter

import numpy as np

from core import defaults, optimizers
from core.activations import ACTIVATIONS
from core.data import Dataset, check_classes, check_seed, split, split_indices
from core.errors import ConfigError
from core.init import INITS, initialize
from core.network import (
    DTYPES,
    Architecture,
    Parameters,
    Workspace,
    cost_and_gradients,
    cross_entropy,
    forward,
    l2_penalty,
    predict,
    targets,
)
from core.normalize import Standardizer
from core.schedules import Schedule

METRICS = ("train_cost", "val_cost", "train_accuracy", "val_accuracy", "lr")
MAX_EPOCHS = 1_000_000  # the per-epoch curves (and per-batch costs) are arrays of this length
MAX_UNITS = 100_000  # per hidden layer: a weight matrix is units x units


@dataclass(frozen=True)
class TrainConfig:
    """Every knob of one training run; validated on construction."""

    layers: tuple[int, ...] = (5, 2)
    activation: str = "relu"
    optimizer: str = "adam"
    alpha: float = defaults.COURSE_ALPHA
    beta: float = defaults.BETA
    beta1: float = defaults.BETA1
    beta2: float = defaults.BETA2
    epsilon: float = defaults.EPSILON
    bias_correction: bool = True  # Adam's m / (1 - beta1^t), v / (1 - beta2^t)
    batch_size: int = defaults.BATCH_SIZE
    epochs: int = 1000
    decay: str = "none"
    decay_rate: float = defaults.DECAY_RATE
    time_interval: int = 1
    init: str = "he"
    l2: float = 0.0
    keep_prob: float = 1.0
    normalize: bool = True
    val_fraction: float = 0.2
    seed: int = 0
    dtype: str = "float64"
    diverge_factor: float = 10.0  # "exploding": epoch cost above this multiple of J at init

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(int(n) for n in self.layers))
        if any(n < 1 for n in self.layers):
            raise ConfigError(f"hidden layer sizes must be >= 1, got {self.layers}")
        if any(n > MAX_UNITS for n in self.layers):
            raise ConfigError(f"hidden layer sizes must be at most {MAX_UNITS}, got {self.layers}")
        if self.optimizer not in optimizers.OPTIMIZERS:
            choices = ", ".join(optimizers.OPTIMIZERS)
            raise ConfigError(f"unknown optimizer {self.optimizer!r}; choose one of {choices}")
        if self.activation not in ACTIVATIONS:
            choices = ", ".join(ACTIVATIONS)
            raise ConfigError(f"unknown activation {self.activation!r}; choose one of {choices}")
        if self.init not in INITS:
            raise ConfigError(f"unknown init {self.init!r}; choose one of {', '.join(INITS)}")
        if self.dtype not in DTYPES:
            raise ConfigError(f"unknown dtype {self.dtype!r}; choose one of {', '.join(DTYPES)}")
        _require(self.batch_size >= 1, f"batch size must be >= 1, got {self.batch_size}")
        _require(self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}")
        _require(
            self.epochs <= MAX_EPOCHS, f"epochs must be at most {MAX_EPOCHS}, got {self.epochs}"
        )
        check_seed(self.seed)  # the split's, the init's and the shuffles' seed
        _require(
            self.l2 >= 0 and math.isfinite(self.l2),
            f"L2 lambda must be finite and >= 0, got {self.l2}",
        )
        for name in ("beta", "beta1", "beta2"):  # all, whichever the optimizer reads
            optimizers.check_beta(name, getattr(self, name))
        optimizers.check_eps(self.epsilon)
        _require(0 < self.keep_prob <= 1, f"keep_prob must be in (0, 1], got {self.keep_prob}")
        _require(
            0 < self.val_fraction < 1,
            f"validation fraction must be in (0, 1), got {self.val_fraction}",
        )
        _require(self.diverge_factor > 1, f"diverge factor must be > 1, got {self.diverge_factor}")
        self.schedule()  # validates alpha, decay and its rate

    def schedule(self) -> Schedule:
        return Schedule(self.decay, self.alpha, self.decay_rate, self.time_interval)

    def _optimizer_kwargs(self) -> dict:
        return dict(
            lr=self.alpha, beta=self.beta, beta1=self.beta1, beta2=self.beta2, eps=self.epsilon,
            bias_correction=self.bias_correction,
        )  # fmt: skip

    def to_dict(self) -> dict:
        d = asdict(self)
        d["layers"] = list(self.layers)
        return d


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


@dataclass(frozen=True)
class EpochMetrics:
    """What one epoch reports; `epoch` counts completed epochs, starting at 1."""

    epoch: int
    train_cost: float
    val_cost: float
    train_accuracy: float
    val_accuracy: float
    lr: float


@dataclass
class TrainResult:
    """Curves, final figures and the outcome of one run."""

    config: TrainConfig
    status: str  # "completed" | "stopped" | "diverged"
    reason: str
    epochs_run: int
    history: dict[str, np.ndarray]  # per epoch, keys METRICS
    step_cost: np.ndarray  # per mini-batch
    final: dict[str, float | None]  # one full pass per split with the final parameters
    params: dict[str, np.ndarray]
    standardizer: Standardizer | None
    seconds: float  # wall time of training, without the time spent inside the callback
    n_batches: int = 0
    callback_seconds: float = 0.0  # time the callback took (reporting, tracking)
    initial_cost: float = math.nan  # J at initialization, the reference for "exploded"
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """Final metrics, status and time, JSON-ready (a non-finite figure becomes None)."""
        return {
            **self.final,
            "status": self.status,
            "reason": self.reason,
            "seconds": round(self.seconds, 6),
            "epochs_run": self.epochs_run,
        }

    def curves(self) -> dict[str, list]:
        """Per-epoch curves as lists, JSON-ready (a non-finite value, as a diverging run's last
        costs, becomes None)."""
        return {
            k: [float(x) if math.isfinite(x) else None for x in v] for k, v in self.history.items()
        }


Callback = Callable[[EpochMetrics], bool | None]


@dataclass
class Setup:
    """What a run starts from, all derived from `config.seed`: the stratified split, standardized
    with training statistics and stored as columns, the targets, the architecture, the initial
    weights, and the generators of the shuffles and the dropout masks.

    `optsweep gradcheck --seed S` checks the very network `optsweep train --seed S` starts from.
    """

    arch: Architecture
    params: Parameters
    X_train: np.ndarray
    Y_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    Y_val: np.ndarray
    y_val: np.ndarray
    standardizer: Standardizer | None
    shuffle_rng: np.random.Generator
    dropout_rng: np.random.Generator

    @property
    def m_train(self) -> int:
        return self.y_train.size


@dataclass(frozen=True)
class Seeds:
    """The four streams of a run, each spawned from `config.seed`: the split's seed and the
    generators of the initial weights, the shuffles and the dropout masks."""

    split: int
    init: np.random.Generator
    shuffle: np.random.Generator
    dropout: np.random.Generator


def seeds(config: TrainConfig) -> Seeds:
    """The run's streams; `core.population` draws each member's from here too."""
    split_seq, init_seq, shuffle_seq, dropout_seq = np.random.SeedSequence(config.seed).spawn(4)
    return Seeds(
        split=int(split_seq.generate_state(1)[0]),
        init=np.random.default_rng(init_seq),
        shuffle=np.random.default_rng(shuffle_seq),
        dropout=np.random.default_rng(dropout_seq),
    )


def setup(config: TrainConfig, data: Dataset) -> Setup:
    """The split, the standardized columns, the architecture and the initial weights of a run."""
    streams = seeds(config)
    parts = split(data, config.val_fraction, seed=streams.split)
    scaler = Standardizer().fit(parts.X_train) if config.normalize else None
    X_train = _columns(parts.X_train, scaler, config.dtype)
    X_val = _columns(parts.X_val, scaler, config.dtype)
    arch = Architecture.for_data(X_train.shape[0], config.layers, data.n_classes, config.activation)
    params = Parameters(arch, config.dtype)
    initialize(params.views, arch.layer_dims, config.init, streams.init)
    return Setup(
        arch=arch,
        params=params,
        X_train=X_train,
        Y_train=targets(parts.y_train, arch, config.dtype),
        y_train=parts.y_train,
        X_val=X_val,
        Y_val=targets(parts.y_val, arch, config.dtype),
        y_val=parts.y_val,
        standardizer=scaler,
        shuffle_rng=streams.shuffle,
        dropout_rng=streams.dropout,
    )


def train(config: TrainConfig, data: Dataset, callback: Callback | None = None) -> TrainResult:
    """Train a fresh network on `data` as `config` says; see the module docstring."""
    start = perf_counter()
    if compiled_kernel(_architecture(config, data)):
        run = CompiledRun(config, compiled_setup(config, data))
        train_compiled([run], [callback])
        return run.result(perf_counter() - start - run.callback_seconds)
    s = setup(config, data)
    arch, params = s.arch, s.params
    grads = Parameters(arch, config.dtype)
    loop = _Loop(config, arch, params, grads, s.dropout_rng)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected, not warned
        status, reason = loop.run(s, callback)
    final = final_metrics(params, arch, config.l2, s)
    return TrainResult(
        config=config,
        status=status,
        reason=reason,
        epochs_run=loop.epochs_run,
        history={k: v[: loop.epochs_run].copy() for k, v in loop.history.items()},
        step_cost=loop.step_cost[: loop.steps_run].copy(),
        final=final,
        params=params.copy(),
        standardizer=s.standardizer,
        seconds=perf_counter() - start - loop.callback_seconds,
        n_batches=loop.n_batches,
        callback_seconds=loop.callback_seconds,
        initial_cost=loop.reference_cost,
    )


def _columns(X: np.ndarray, scaler: Standardizer | None, dtype: str) -> np.ndarray:
    """Samples as columns (the course's layout), standardized with training statistics.

    Stored column-major: each sample is contiguous, so a mini-batch gathers whole rows of X.T.
    """
    if scaler is not None:
        X = scaler.transform(X)
    return np.ascontiguousarray(X, dtype=dtype).T


# --- how a run ends, in the words train and core.population both report (e counts from 0) ---

NONFINITE_AT_INIT = "non-finite cost at initialization"


def nonfinite_step(e: int, k: int) -> str:
    return f"non-finite cost in epoch {e + 1}, mini-batch {k + 1}"


def nonfinite_validation(e: int) -> str:
    return f"non-finite validation cost after epoch {e + 1}"


def explosion_limit(config: TrainConfig, reference_cost: float) -> float:
    """An epoch's cost above this has exploded: diverge_factor x J at initialization."""
    return config.diverge_factor * max(reference_cost, 1e-12)


def exploded(config: TrainConfig, e: int, train_cost: float, reference_cost: float) -> str:
    return (
        f"cost exploded in epoch {e + 1}: {train_cost:.4g} > "
        f"{config.diverge_factor:g} x initial {reference_cost:.4g}"
    )


def stopped(e: int) -> str:
    return f"stopped by callback after epoch {e + 1}"


def completed(config: TrainConfig) -> str:
    return f"trained {config.epochs} epochs"


class _Loop:
    """The epoch and mini-batch loops, with preallocated curves."""

    def __init__(self, config, arch, params, grads, dropout_rng) -> None:
        self.config, self.arch, self.params, self.grads = config, arch, params, grads
        self.dropout_rng = dropout_rng
        self.optimizer = optimizers.make(config.optimizer, **config._optimizer_kwargs())
        self.schedule = config.schedule()
        self.history = {k: np.full(config.epochs, np.nan) for k in METRICS}
        self.epochs_run = 0
        self.steps_run = 0
        self.n_batches = 0
        self.step_cost = np.empty(0)
        self.reference_cost: float | None = None
        self.callback_seconds = 0.0

    def run(self, s: Setup, callback) -> tuple[str, str]:
        cfg, arch, params = self.config, self.arch, self.params
        X, Y, y = s.X_train, s.Y_train, s.y_train
        m = y.size
        bs = min(cfg.batch_size, m)
        self.n_batches = math.ceil(m / bs)
        self.step_cost = np.empty(cfg.epochs * self.n_batches)
        theta, d_theta = {"theta": params.flat}, {"theta": self.grads.flat}
        batches = _Batches(X, Y, y, bs, arch)
        val_work = Workspace(arch, s.X_val.shape[1], s.X_val.dtype)
        # "exploding" is judged against J at initialization, one full pass over the training split
        self.reference_cost = initial_cost(params, arch, cfg.l2, s)
        if not math.isfinite(self.reference_cost):
            return "diverged", NONFINITE_AT_INIT
        for e in range(cfg.epochs):
            lr = self.optimizer.lr = self.schedule(e)
            # batch GD needs no shuffle: its one batch is everything
            perm = s.shuffle_rng.permutation(m) if self.n_batches > 1 else None
            cost_sum, correct = 0.0, 0
            for k, (Xb, Yb, yb, work) in enumerate(batches(perm)):
                ce, penalty, ZL = cost_and_gradients(
                    params, self.grads, Xb, Yb, arch, cfg.l2, cfg.keep_prob,
                    self.dropout_rng, work, m_train=m,
                )  # fmt: skip
                c = ce + penalty  # this batch's J: its cross-entropy + the training set's penalty
                if not math.isfinite(c):
                    return "diverged", nonfinite_step(e, k)
                self.optimizer.step(theta, d_theta)
                self.step_cost[self.steps_run] = c
                self.steps_run += 1
                cost_sum += c * yb.size
                correct += int(np.count_nonzero(predict(ZL, arch.output) == yb))
            train_cost = cost_sum / m
            val_cost, val_acc = evaluate(params, arch, s.X_val, s.Y_val, s.y_val, val_work)
            if not math.isfinite(val_cost):  # the last update of the epoch blew up
                return "diverged", nonfinite_validation(e)
            self._record(e, EpochMetrics(e + 1, train_cost, val_cost, correct / m, val_acc, lr))
            if train_cost > explosion_limit(cfg, self.reference_cost):
                return "diverged", exploded(cfg, e, train_cost, self.reference_cost)
            if callback is not None and self._call(callback):
                return "stopped", stopped(e)
        return "completed", completed(cfg)

    def _call(self, callback: Callback) -> bool:
        """Run the callback, timing it apart from training."""
        t0 = perf_counter()
        stop = bool(callback(self.last))
        self.callback_seconds += perf_counter() - t0
        return stop

    def _record(self, e: int, metrics: EpochMetrics) -> None:
        for k in METRICS:
            self.history[k][e] = getattr(metrics, k)
        self.epochs_run = e + 1
        self.last = metrics


class _Batches:
    """The epoch's mini-batches (X, Y, y) and a workspace for each, from preallocated buffers.

    Batch k holds the samples perm[k bs : (k + 1) bs], the last one partial. X is stored
    column-major (see `_columns`), so a batch gathers whole contiguous rows of X^T into a buffer
    that stays in cache for its matrix products. Buffers exist per batch size (the full one and
    the last partial one) and are overwritten by the next batch of that size.
    """

    def __init__(self, X, Y, y, bs: int, arch: Architecture) -> None:
        self.X, self.Y, self.y, self.bs = X, Y, y, bs
        m = y.size
        sizes = {min(bs, m - k) for k in range(0, m, bs)}
        self.work = {n: Workspace(arch, n, X.dtype) for n in sizes}
        gathers = bs < m  # batch GD uses X and Y as they are
        self.X_rows = {n: np.empty((n, X.shape[0]), X.dtype) for n in sizes if gathers}
        self.Y_cols = {n: np.empty((Y.shape[0], n), Y.dtype) for n in sizes if gathers}

    def __call__(self, perm: np.ndarray | None):
        if perm is None:  # the whole split as it is, in one batch
            yield self.X, self.Y, self.y, self.work[self.y.size]
            return
        for k in range(0, perm.size, self.bs):
            idx = perm[k : k + self.bs]
            n = idx.size
            # mode="clip" never clips a permutation; it spares `take` a buffered copy
            X_rows = np.take(self.X.T, idx, axis=0, out=self.X_rows[n], mode="clip")
            Yb = np.take(self.Y, idx, axis=1, out=self.Y_cols[n], mode="clip")
            yield X_rows.T, Yb, self.y[idx], self.work[n]


def evaluate(params, arch, X, Y, y, work=None) -> tuple[float, float]:
    """Cross-entropy (no L2 term) and accuracy from one pass over a split, no dropout.

    The validation cost is what a sweep minimizes: with the penalty in it, every sweep over
    lambda would be pulled toward small lambda by the penalty itself.
    """
    ZL, _ = forward(params, X, arch, work=work)
    ce, _ = cross_entropy(ZL, Y, arch.output)
    accuracy = float(np.count_nonzero(predict(ZL, arch.output) == y)) / y.size
    return ce, accuracy


def initial_cost(params, arch, lambd: float, s: Setup) -> float:
    """J = cross-entropy + L2 penalty over the whole training split, without dropout."""
    ce, _ = evaluate(params, arch, s.X_train, s.Y_train, s.y_train)
    return ce + l2_penalty(params, arch, lambd, s.m_train)


def final_metrics(params, arch, lambd: float, s: Setup) -> dict[str, float | None]:
    """One full pass per split with the final weights: train_cost is the regularized J the
    optimizer minimized, val_cost the cross-entropy alone, l2_penalty the difference."""
    with np.errstate(all="ignore"):
        penalty = l2_penalty(params, arch, lambd, s.m_train)
        train_ce, train_accuracy = evaluate(params, arch, s.X_train, s.Y_train, s.y_train)
        val_ce, val_accuracy = evaluate(params, arch, s.X_val, s.Y_val, s.y_val)
    return final_figures(penalty, train_ce, train_accuracy, val_ce, val_accuracy)


def final_figures(
    penalty: float, train_ce: float, train_accuracy: float, val_ce: float, val_accuracy: float
) -> dict[str, float | None]:
    """`TrainResult.final` from the full passes' figures: train_cost = cross-entropy + penalty,
    val_cost the cross-entropy alone; a non-finite cost (and its accuracy) becomes None."""
    out: dict[str, float | None] = {}
    for prefix, cost, accuracy in (
        ("train", train_ce + penalty, train_accuracy),
        ("val", val_ce, val_accuracy),
    ):
        finite = math.isfinite(cost)
        out[f"{prefix}_cost"] = cost if finite else None
        out[f"{prefix}_accuracy"] = accuracy if finite else None
    out["l2_penalty"] = penalty if math.isfinite(penalty) else None
    return out


# --- the compiled epoch (core.kernel): the lone run's and every population member's ---------

KERNEL_ENV = "OPTSWEEP_KERNEL"  # auto (default) | numba | numpy
KERNEL_MAX_PARAMS = 10_000  # above this, NumPy's BLAS products beat the compiled loops


def compiled_kernel(arch: Architecture) -> bool:
    """Whether a network trains on the compiled epoch: up to KERNEL_MAX_PARAMS parameters,
    unless OPTSWEEP_KERNEL=numpy forces the NumPy loop (the reference) or =numba the kernel."""
    mode = os.environ.get(KERNEL_ENV, "auto").strip().lower() or "auto"
    if mode not in ("auto", "numba", "numpy"):
        raise ConfigError(f"{KERNEL_ENV} must be auto, numba or numpy, got {mode!r}")
    if mode == "auto":
        return arch.n_params <= KERNEL_MAX_PARAMS
    return mode == "numba"


def _architecture(config: TrainConfig, data: Dataset) -> Architecture:
    return Architecture.for_data(data.X.shape[1], config.layers, data.n_classes, config.activation)


@dataclass
class CompiledSetup:
    """What a compiled run starts from: `setup`'s split, statistics, weights and streams, with
    the data left as it is (float64 rows, standardized sample by sample in the kernel exactly as
    `setup` standardizes its copies), so that a population holds the data once, not per member."""

    arch: Architecture
    params: Parameters
    X: np.ndarray  # the data set's rows, float64, C-contiguous
    y: np.ndarray  # its labels, int64
    train_rows: np.ndarray
    val_rows: np.ndarray
    mean: np.ndarray  # mu and sigma of the training rows (0 and 1 without normalization)
    std: np.ndarray
    standardizer: Standardizer | None
    shuffle_rng: np.random.Generator
    dropout_rng: np.random.Generator


def compiled_setup(config: TrainConfig, data: Dataset, X=None, y=None) -> CompiledSetup:
    """`setup` for the compiled epoch; X, y: the data's rows and labels as float64 and int64
    when the caller holds them already (a population, once for all its members)."""
    check_classes(data)
    streams = seeds(config)
    train_rows, val_rows = split_indices(data.y, config.val_fraction, seed=streams.split)
    X = np.ascontiguousarray(data.X, dtype=np.float64) if X is None else X
    y = np.ascontiguousarray(data.y, dtype=np.int64) if y is None else y
    scaler = Standardizer().fit(X[train_rows]) if config.normalize else None
    n0 = X.shape[1]
    arch = _architecture(config, data)
    params = Parameters(arch, config.dtype)
    initialize(params.views, arch.layer_dims, config.init, streams.init)
    return CompiledSetup(
        arch, params, X, y, train_rows.astype(np.int64), val_rows.astype(np.int64),
        np.zeros(n0) if scaler is None else scaler.mean_,
        np.ones(n0) if scaler is None else scaler.std_,
        scaler, streams.shuffle, streams.dropout,
    )  # fmt: skip


class CompiledRun:
    """One run on the compiled epoch: the state it keeps between epochs and the NumPy draws it
    passes in (the epoch's order from its shuffle stream, its dropout draws from its mask stream,
    in the order and the amounts train's NumPy loop draws them)."""

    MASK_BLOCK_BYTES = 1 << 20  # dropout draws per kernel call: whole steps, at least one

    def __init__(self, config: TrainConfig, s: CompiledSetup) -> None:
        from core import kernel  # numba loads only when a run needs it

        self.kernel, self.config, self.s = kernel, config, s
        self.theta = s.params.flat  # updated in place: s.params' views follow
        self.grad, self.s1, self.s2 = (np.zeros_like(self.theta) for _ in range(3))
        self.dims = np.array(s.arch.layer_dims, dtype=np.int64)
        self.act = list(ACTIVATIONS).index(config.activation)
        self.opt = list(optimizers.OPTIMIZERS).index(config.optimizer)
        self.m = m = s.train_rows.size
        self.bs = min(config.batch_size, m)
        self.n_batches = math.ceil(m / self.bs)
        self.schedule = config.schedule()
        c = config
        with np.errstate(over="ignore"):  # an alpha beyond float32 is inf, as NumPy casts it
            self.hyper = np.array(
                [c.alpha, c.beta, 1 - c.beta, c.beta1, 1 - c.beta1, c.beta2, 1 - c.beta2,
                 c.epsilon, c.l2 / m, c.keep_prob], dtype=np.float64,
            ).astype(c.dtype)  # fmt: skip
        self.hyper64 = np.array([c.beta1, c.beta2, c.alpha, c.l2 / (2 * m)])
        self.identity = np.arange(m, dtype=np.int64)
        self.blocks = self._blocks()
        self.no_masks = np.empty(0, dtype=c.dtype)
        self.history = {k: np.full(c.epochs, np.nan) for k in METRICS}
        self.step_cost = np.empty(c.epochs * self.n_batches)
        self.t = self.epochs_run = 0
        self.outcome: tuple[str, str] | None = None
        self.reference_cost = math.nan
        self.final: dict[str, float | None] = {}
        self.seconds = self.callback_seconds = 0.0
        self.last: EpochMetrics | None = None

    def _pass(self, rows: np.ndarray) -> tuple[float, float]:
        """(cross-entropy, accuracy) of one full pass over the data's rows `rows`."""
        s = self.s
        ce, right = self.kernel.evaluate(
            self.theta, self.dims, self.act, s.X, rows, s.y, s.mean, s.std
        )
        return ce, right / rows.size

    def _blocks(self) -> list[tuple[int, int, int]]:
        """(first step, end step, dropout draws) per kernel call of an epoch."""
        if self.config.keep_prob == 1:
            return [(0, self.n_batches, 0)]
        units = int(self.dims[1:-1].sum())
        item = np.dtype(self.config.dtype).itemsize
        sizes = [min(self.bs, self.m - k * self.bs) for k in range(self.n_batches)]
        blocks, a = [], 0
        while a < self.n_batches:
            b, draws = a + 1, units * sizes[a]
            while b < self.n_batches and (draws + units * sizes[b]) * item <= self.MASK_BLOCK_BYTES:
                draws += units * sizes[b]
                b += 1
            blocks.append((a, b, draws))
            a = b
        return blocks

    def _timed(method):
        def timed(self, *args):
            start = perf_counter()
            try:
                return method(self, *args)
            finally:
                self.seconds += perf_counter() - start

        return timed

    def end(self, status: str, reason: str) -> None:
        self.outcome = (status, reason)

    @_timed
    def begin(self) -> None:
        """J at initialization over the training split: the reference for "exploded"."""
        ce, _ = self._pass(self.s.train_rows)
        self.reference_cost = ce + self._penalty()
        if not math.isfinite(self.reference_cost):
            self.end("diverged", NONFINITE_AT_INIT)

    def _penalty(self) -> float:
        """lambda/(2m) sum_l ||W[l]||^2 with the current weights (0 without L2)."""
        if self.config.l2 == 0:
            return 0.0
        return float(self.hyper64[3] * self.kernel.squared_norm(self.theta, self.dims))

    @_timed
    def epoch(self, e: int) -> None:
        """Train epoch e (from 0): its steps, validation, record and divergence checks."""
        k, cfg = self.kernel, self.config
        lr = self.hyper64[2] = self.schedule(e)
        with np.errstate(over="ignore"):
            self.hyper[k.LR] = lr
        # batch GD needs no shuffle: its one batch is everything
        s = self.s
        order = s.shuffle_rng.permutation(self.m) if self.n_batches > 1 else self.identity
        cost_sum, correct = 0.0, 0
        for k0, k1, draws in self.blocks:
            masks = s.dropout_rng.random(draws, dtype=cfg.dtype) if draws else self.no_masks
            status, step, cost, right, val_cost, val_right = k.epoch(
                self.theta, self.grad, self.s1, self.s2, self.dims, self.act, self.opt,
                self.hyper, self.hyper64, cfg.bias_correction, self.t, s.X, s.y, s.mean, s.std,
                s.train_rows, order, self.bs, k0, k1, masks, self.step_cost, s.val_rows,
            )  # fmt: skip
            self.t += step - k0
            cost_sum += cost
            correct += right
            if status == k.NONFINITE_STEP:
                return self.end("diverged", nonfinite_step(e, step))
        if status == k.NONFINITE_VALIDATION:  # the last update of the epoch blew up
            return self.end("diverged", nonfinite_validation(e))
        train_cost = cost_sum / self.m
        metrics = EpochMetrics(
            e + 1, train_cost, val_cost, correct / self.m, val_right / s.val_rows.size, lr
        )
        for key in METRICS:
            self.history[key][e] = getattr(metrics, key)
        self.epochs_run, self.last = e + 1, metrics
        if train_cost > explosion_limit(cfg, self.reference_cost):
            self.end("diverged", exploded(cfg, e, train_cost, self.reference_cost))

    def call_back(self, callback: Callback, e: int) -> None:
        start = perf_counter()
        stop = bool(callback(self.last))
        self.callback_seconds += perf_counter() - start
        if stop:
            self.end("stopped", stopped(e))

    @_timed
    def finish(self) -> None:
        """One full pass per split with the final weights (train's `final_metrics`)."""
        train_ce, train_accuracy = self._pass(self.s.train_rows)
        val_ce, val_accuracy = self._pass(self.s.val_rows)
        self.final = final_figures(self._penalty(), train_ce, train_accuracy, val_ce, val_accuracy)

    def result(self, seconds: float) -> TrainResult:
        status, reason = self.outcome
        return TrainResult(
            config=self.config,
            status=status,
            reason=reason,
            epochs_run=self.epochs_run,
            history={k: v[: self.epochs_run].copy() for k, v in self.history.items()},
            step_cost=self.step_cost[: self.t].copy(),
            final=self.final,
            params=self.s.params.copy(),
            standardizer=self.s.standardizer,
            seconds=seconds,
            n_batches=self.n_batches,
            callback_seconds=self.callback_seconds,
            initial_cost=self.reference_cost,
        )

    del _timed


def warm_kernel(config: TrainConfig, data: Dataset) -> None:
    """Compile (or load from numba's cache) the epoch `config` would train `data` on, with a
    one-epoch run on a few of its rows: a caller that must not be interrupted inside numba's
    compiler (its callbacks swallow a KeyboardInterrupt) holds signals around this, not around
    training. Nothing to do when the network trains on the NumPy loop."""
    if not compiled_kernel(_architecture(config, data)):
        return
    rows = np.concatenate([np.flatnonzero(data.y == c)[:8] for c in range(data.n_classes)])
    tiny = Dataset(data.X[rows], data.y[rows], data.n_classes, data.name)
    probe = replace(config, epochs=1, batch_size=4, val_fraction=0.25, l2=config.l2 or 1.0)
    train(probe, tiny)


def train_compiled(runs: list[CompiledRun], callbacks: list, threads: int = 1) -> None:
    """Train the runs epoch by epoch on the compiled epoch, `threads` of them at a time: every
    live run trains epoch e, then the callbacks of those that trained it are called in the order
    of `runs`. A run's arithmetic is its own (no shared accumulator), so nothing depends on the
    threads or their number; each ends as train's NumPy loop ends it, in its words."""
    pool = ThreadPoolExecutor(threads) if threads > 1 and len(runs) > 1 else None
    try:
        _each(runs, CompiledRun.begin, pool, threads)
        for e in range(max(r.config.epochs for r in runs)):
            live = [r for r in runs if r.outcome is None]
            if not live:
                break
            _each(live, CompiledRun.epoch, pool, threads, e)
            for r, callback in zip(runs, callbacks, strict=True):
                if r.outcome is None and callback is not None and r.epochs_run == e + 1:
                    r.call_back(callback, e)
            for r in live:
                if r.outcome is None and r.config.epochs == e + 1:
                    r.end("completed", completed(r.config))
        _each(runs, CompiledRun.finish, pool, threads)
    finally:
        if pool is not None:
            pool.shutdown()


def _each(runs: list, work: Callable, pool: ThreadPoolExecutor | None, threads: int, *args) -> None:
    """work(run, *args) for every run, on the pool's threads: each takes the next run left."""
    if pool is None or len(runs) == 1:
        for r in runs:
            work(r, *args)
        return
    taken = itertools.count()  # next() on a count is atomic under the GIL

    def worker() -> None:
        while (i := next(taken)) < len(runs):
            work(runs[i], *args)

    for future in [pool.submit(worker) for _ in range(min(threads, len(runs)))]:
        future.result()
