"""Population training: many configs of one network trained together, in one vectorized pass.

    results = train_population([TrainConfig(alpha=a, seed=s) for a, s in grid], data)

Networks that train on the compiled epoch (`core.train.compiled_kernel`: up to 10,000
parameters) need none of what follows: each member is a `core.train.CompiledRun`, the lone run's
own, and the members of a pass (bounded by the memory budget; they share the data set) train
epoch by epoch on the process's threads, any batch sizes side by side, the callbacks of an
epoch called in the order of `configs` once every member has trained it. The rest of this
docstring is the NumPy loop's population, for larger networks or OPTSWEEP_KERNEL=numpy.

The course's networks are tiny, so a lone run's time is almost all Python and NumPy call
overhead. A population stacks its members' weights, optimizer state and hyperparameters along a
leading axis (`core.stacked`): each mini-batch step is one batched forward, backward and update
for all of them. Result i equals `core.train.train(configs[i], data, callbacks[i])`: the same
split, initial weights, shuffles and dropout masks from the member's own seed, the same curves,
status, reason, epochs and final figures, because every member's arithmetic is the same
operations on the same values (bit for bit on the machines tested; the tests allow 1e-10).

How a population is cut up:
- a *group* shares an architecture (layers, activation), a dtype and split sizes (m, m_val);
  members that differ there cannot share a matrix product, and train in separate groups;
- a group whose stacked arrays would exceed `MEMORY_BUDGET` (`member_bytes` estimates each
  member's) is split into *passes* that run one after another, never refused;
- within a pass a *cohort* holds the members of one batch size, in lockstep: step k of the epoch
  is one batched pass for all of them. Cohorts are not padded into one lockstep: padding changes
  a member's sums over its batch (its bits), and training small batches at the largest size
  costs more than a step per cohort does (BENCHMARKS.md).
The cohorts of a pass take turns epoch by epoch; once every cohort has trained epoch e, the
callbacks of the members that trained it are called, in the order of `configs`.

A member ends on its own: its epoch count reached, its callback returning True, or divergence,
decided as train decides it and reported in train's words. It leaves its cohort at once and the
cohort's arrays are compacted, so a retired member costs nothing more.

Memory: the data set once, as float64 rows; per member its parameters and optimizer state, its
row indices (the split, the epoch's order and labels), its standardization statistics, and its
share of the batch buffers: the rows of a block of steps (GATHER_BLOCK_BYTES a member) are
gathered and standardized with the member's statistics at once (in float64, then cast, as train
standardizes); its epoch orders (ORDER_BLOCK_BYTES) and dropout masks (`core.stacked.Dropout`)
are drawn a block at a time, one generator call each. A full pass over a split (J at
initialization, the epoch's validation, the final figures) takes the members in chunks whose
inputs and workspace fit FULL_PASS_BYTES; a single chunk keeps its validation inputs from epoch
to epoch. A batch-GD member's one batch is its training split, kept as its batch buffer.

`seconds` is the member's share of the pass: its own preparation, an equal share of the batched
passes at initialization and at the end, and of each cohort epoch it trained (the epoch's wall
time divided among the members that trained it). `callback_seconds` is its own callback's.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from time import perf_counter

import numpy as np

from core import stacked
from core.data import Dataset, check_classes, split_indices
from core.errors import ConfigError
from core.init import initialize
from core.network import Architecture, Parameters
from core.normalize import Standardizer
from core.schedules import Schedule
from core.stacked import mT
from core.train import (
    METRICS,
    NONFINITE_AT_INIT,
    Callback,
    CompiledRun,
    EpochMetrics,
    TrainConfig,
    TrainResult,
    compiled_kernel,
    compiled_setup,
    completed,
    exploded,
    explosion_limit,
    final_figures,
    nonfinite_step,
    nonfinite_validation,
    seeds,
    stopped,
    train,
    train_compiled,
)

MEMORY_BUDGET = 512 * 2**20  # bytes of stacked arrays one pass may hold (see member_bytes)
FULL_PASS_BYTES = 4 * 2**20  # bytes of inputs and workspace one full pass over a split may hold


def train_population(
    configs: Sequence[TrainConfig | Mapping],
    data: Dataset,
    callbacks: Sequence[Callback | None] | None = None,
    *,
    memory_budget: int = MEMORY_BUDGET,
) -> list[TrainResult]:
    """Train every config on `data`; result i is what train(configs[i], data, callbacks[i])
    returns. A config is a TrainConfig or a mapping of its fields; see the module docstring.
    A lone config trains in train's own loop: a population of one costs more (BENCHMARKS.md)."""
    configs = _configs(configs)
    callbacks = _callbacks(callbacks, len(configs))
    if len(configs) == 1:
        return [train(configs[0], data, callbacks[0])]
    results: list[TrainResult | None] = [None] * len(configs)
    compiled = [i for i, c in enumerate(configs) if compiled_kernel(_architecture(c, data))]
    for i, result in zip(compiled, _train_compiled(
        [configs[i] for i in compiled], data, [callbacks[i] for i in compiled], memory_budget
    ), strict=True):  # fmt: skip
        results[i] = result
    rest = [i for i in range(len(configs)) if results[i] is None]
    if rest:
        source = _Source(data)
        members = [_prepare(i, configs[i], source, data, callbacks[i]) for i in rest]
        with np.errstate(all="ignore"):  # divergence is detected, not warned
            for group in _passes(members, memory_budget):
                _Pass(group, source).run()
        for i, mb in zip(rest, members, strict=True):
            results[i] = mb.result()
    return results


def _architecture(config: TrainConfig, data: Dataset) -> Architecture:
    return Architecture.for_data(data.X.shape[1], config.layers, data.n_classes, config.activation)


THREADS_ENV = "OPTSWEEP_THREADS"  # threads of a compiled population (default: the cores)


def threads_env(processes: int) -> dict[str, str]:
    """The environment for one of `processes` local worker processes that share this machine:
    OPTSWEEP_THREADS as its share of the cores (at least 1), unless the user set it. Two
    workers with a thread per core each would oversubscribe the cores: `make sweep` on 2 cores
    took its trials 32 s instead of 13 (BENCHMARKS.md)."""
    env = dict(os.environ)
    if not env.get(THREADS_ENV, "").strip():
        env[THREADS_ENV] = str(max(1, _cores() // max(1, processes)))
    return env


def set_threads(value: str) -> None:
    """A worker process's initializer: OPTSWEEP_THREADS as `threads_env` gave it."""
    os.environ[THREADS_ENV] = value


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _threads() -> int:
    """How many members of a compiled population train at once: OPTSWEEP_THREADS, else the
    cores this process may run on (several local worker processes may each want fewer)."""
    wanted = os.environ.get(THREADS_ENV, "").strip()
    if wanted:
        if not wanted.isdigit() or int(wanted) < 1:
            raise ConfigError(f"{THREADS_ENV} must be a whole number >= 1, got {wanted!r}")
        return int(wanted)
    return _cores()


def _train_compiled(configs, data: Dataset, callbacks, memory_budget: int) -> list[TrainResult]:
    """The members whose networks train on the compiled epoch (`core.train.compiled_kernel`):
    each is train's own run (the same setup, the same compiled per-member epoch), members of
    any batch size trained side by side on the process's cores, in passes of at most
    `memory_budget` bytes of per-member arrays."""
    results = []
    X = np.ascontiguousarray(data.X, dtype=np.float64)  # once for every member
    y = np.ascontiguousarray(data.y, dtype=np.int64)
    for cut in _compiled_passes(configs, data, memory_budget):
        runs = []
        for i in cut:
            start = perf_counter()
            run = CompiledRun(configs[i], compiled_setup(configs[i], data, X, y))
            run.seconds += perf_counter() - start
            runs.append(run)
        with np.errstate(all="ignore"):
            train_compiled(runs, [callbacks[i] for i in cut], threads=_threads())
        results += [run.result(run.seconds) for run in runs]
    return results


def _compiled_passes(configs, data: Dataset, budget: int) -> list[list[int]]:
    """Consecutive members whose arrays fit the budget together (at least one a pass)."""
    rows = data.X.shape[0]
    passes, current, used = [], [], 0
    for i, c in enumerate(configs):
        item = np.dtype(c.dtype).itemsize
        n_params = _architecture(c, data).n_params
        need = rows * 8 * 2 + 5 * n_params * item  # row indices and epoch order; weights
        need += 8 * c.epochs * (len(METRICS) + math.ceil(rows / c.batch_size))
        need += CompiledRun.MASK_BLOCK_BYTES if c.keep_prob < 1 else 0
        if current and used + need > budget:
            passes.append(current)
            current, used = [], 0
        current.append(i)
        used += need
    if current:
        passes.append(current)
    return passes


def plan(
    configs: Sequence[TrainConfig | Mapping], data: Dataset, memory_budget: int = MEMORY_BUDGET
) -> list[list[int]]:
    """The indices of the configs that train together, pass by pass, in the order they run."""
    configs = _configs(configs)
    source = _Source(data)
    members = [_prepare(i, c, source, data, None) for i, c in enumerate(configs)]
    return [sorted(mb.index for mb in p) for p in _passes(members, memory_budget)]


def member_bytes(config: TrainConfig, data: Dataset) -> int:
    """The stacked arrays one member adds to a pass, in bytes (what MEMORY_BUDGET bounds)."""
    train_rows, _ = split_indices(data.y, config.val_fraction, seed=0)  # its size only
    arch = Architecture.for_data(data.X.shape[1], config.layers, data.n_classes, config.activation)
    return _bytes(config, arch, train_rows.size)


# --- the arguments ---------------------------------------------------------------------------


def _configs(configs) -> list[TrainConfig]:
    if isinstance(configs, TrainConfig | Mapping):
        raise ConfigError("train_population takes a list of configs; wrap a single one in [ ]")
    out = [c if isinstance(c, TrainConfig) else _config(i, c) for i, c in enumerate(configs)]
    if not out:
        raise ConfigError("train_population needs at least one config; the list is empty")
    return out


def _config(i: int, c) -> TrainConfig:
    if not isinstance(c, Mapping):
        raise ConfigError(f"config {i} is a {type(c).__name__}; pass a TrainConfig or a dict")
    return TrainConfig(**c)  # the same ConfigError as TrainConfig's for a bad value


def _callbacks(callbacks, n: int) -> list[Callback | None]:
    if callbacks is None:
        return [None] * n
    callbacks = list(callbacks)
    if len(callbacks) != n:
        raise ConfigError(
            f"callbacks has {len(callbacks)} entries for {n} configs; pass one per config "
            "(None where there is none), or callbacks=None"
        )
    for i, cb in enumerate(callbacks):
        if cb is not None and not callable(cb):
            raise ConfigError(f"callback {i} is a {type(cb).__name__}, not a callable or None")
    return callbacks


# --- members ---------------------------------------------------------------------------------


@dataclass
class _Outcome:
    """How a member ended, and its curves up to then."""

    status: str
    reason: str
    epochs_run: int
    history: dict[str, np.ndarray]
    step_cost: np.ndarray


@dataclass
class _Member:
    """One config of the population: what train's setup() derives from its seed (without the
    standardized copies of the data), and, once it has ended, its outcome."""

    index: int
    config: TrainConfig
    callback: Callback | None
    arch: Architecture
    train_rows: np.ndarray  # rows of data.X, in the split's order
    val_rows: np.ndarray
    standardizer: Standardizer | None
    params: np.ndarray  # the flat parameter vector: the initial weights, then the final ones
    shuffle: np.random.Generator
    dropout: np.random.Generator
    schedule: Schedule
    seconds: float = 0.0
    callback_seconds: float = 0.0
    initial_cost: float = math.nan
    outcome: _Outcome | None = None
    final: dict = field(default_factory=dict)

    @property
    def m(self) -> int:
        return self.train_rows.size

    @property
    def batch_size(self) -> int:
        return min(self.config.batch_size, self.m)

    @property
    def n_batches(self) -> int:
        return math.ceil(self.m / self.batch_size)

    @property
    def mean(self) -> np.ndarray:
        """mu of z = (x - mu) / sigma; 0 without normalization ((x - 0) / 1 is x exactly)."""
        s = self.standardizer
        return np.zeros(self.arch.layer_dims[0]) if s is None else s.mean_

    @property
    def std(self) -> np.ndarray:
        s = self.standardizer
        return np.ones(self.arch.layer_dims[0]) if s is None else s.std_

    def end(self, status: str, reason: str, epochs_run: int, history, step_cost) -> None:
        self.outcome = _Outcome(status, reason, epochs_run, history, step_cost)

    def result(self) -> TrainResult:
        params = Parameters(self.arch, self.config.dtype)
        params.flat[...] = self.params
        o = self.outcome
        return TrainResult(
            config=self.config,
            status=o.status,
            reason=o.reason,
            epochs_run=o.epochs_run,
            history=o.history,
            step_cost=o.step_cost,
            final=self.final,
            params=params.copy(),
            standardizer=self.standardizer,
            seconds=self.seconds,
            n_batches=self.n_batches,
            callback_seconds=self.callback_seconds,
            initial_cost=self.initial_cost,
        )


def _prepare(index: int, config: TrainConfig, source: _Source, data: Dataset, callback):
    """The member's split, standardizer, initial weights and generators, as setup() makes them:
    `split` takes the rows `split_indices` gives, and the standardizer is fitted on them."""
    start = perf_counter()
    streams = seeds(config)
    train_rows, val_rows = split_indices(data.y, config.val_fraction, streams.split)
    scaler = Standardizer().fit(source.X[train_rows]) if config.normalize else None
    arch = Architecture.for_data(data.X.shape[1], config.layers, data.n_classes, config.activation)
    params = Parameters(arch, config.dtype)
    initialize(params.views, arch.layer_dims, config.init, streams.init)
    member = _Member(
        index, config, callback, arch, train_rows, val_rows, scaler, params.flat,
        streams.shuffle, streams.dropout, config.schedule(),
    )  # fmt: skip
    member.seconds = perf_counter() - start
    return member


# --- groups, passes and the memory budget ----------------------------------------------------


def _passes(members: list[_Member], budget: int) -> list[list[_Member]]:
    """Groups (one architecture, dtype and split sizes each, in order of first appearance), each
    cut into passes whose members' bytes fit the budget; a pass's members sorted by batch size,
    so that a cut keeps a batch size's cohort together."""
    groups: dict[tuple, list[_Member]] = {}
    for mb in members:
        key = (mb.arch, mb.config.dtype, mb.m, mb.val_rows.size)
        groups.setdefault(key, []).append(mb)
    passes: list[list[_Member]] = []
    for group in groups.values():
        current, used = [], 0
        for mb in sorted(group, key=lambda mb: (mb.batch_size, mb.index)):
            need = _bytes(mb.config, mb.arch, mb.m)
            if current and used + need > budget:
                passes.append(current)
                current, used = [], 0
            current.append(mb)
            used += need
        passes.append(current)
    return passes


def _bytes(config: TrainConfig, arch: Architecture, m: int) -> int:
    """Parameters, gradients and optimizer state; both batch sizes' buffers and workspaces; the
    epoch's order, labels, targets and predictions; the curves. (The full passes are bounded
    apart, by FULL_PASS_BYTES.)"""
    item = np.dtype(config.dtype).itemsize
    n_params = arch.n_params
    state = {"gd": 0, "momentum": 1, "rmsprop": 1, "adam": 3}[config.optimizer]
    bs = min(config.batch_size, m)
    n_batches = math.ceil(m / bs)
    last = m - (n_batches - 1) * bs
    dropout = config.keep_prob < 1
    train = _batch_bytes(arch, bs, item, backward=True, dropout=dropout)
    if last != bs:
        train += _batch_bytes(arch, last, item, backward=True, dropout=dropout)
    epoch = m * (8 + 8 + arch.layer_dims[-1] * item + 8)  # order, labels, targets, predictions
    curves = 8 * config.epochs * (len(METRICS) + n_batches)
    masks = stacked.Dropout.BLOCK_BYTES if dropout else 0
    return (2 + state) * n_params * item + train + epoch + curves + masks


def _batch_bytes(arch: Architecture, m: int, item: int, *, backward=True, dropout=False) -> int:
    """One member's batch of m samples: its gathered rows (float64, then the dtype), label and
    target, its workspace, and the cross-entropy's temporaries (a few output-sized arrays)."""
    n0, n_out = arch.layer_dims[0], arch.layer_dims[-1]
    units = sum(arch.layer_dims[1:])  # a sample's activations over all layers
    hidden = units - n_out
    per_sample = n0 * (8 + item) + 8 + n_out * item  # rows, label, target
    per_sample += (units + hidden) * item + 8 * n_out * item  # Z and G; the loss's temporaries
    if backward:
        per_sample += (units + hidden) * item  # dZ and the scratch S
    if dropout:
        per_sample += 2 * hidden * item  # D and M (a block of D: at least one step's)
    return m * per_sample


# --- the data, once --------------------------------------------------------------------------


class _Source:
    """The data set once, as float64 rows and int64 labels, and each member's samples from it."""

    def __init__(self, data: Dataset) -> None:
        check_classes(data)  # as train's split does; each member's split_indices the rest
        self.X = np.ascontiguousarray(data.X, dtype=np.float64)
        self.y = np.ascontiguousarray(data.y, dtype=np.int64)

    def rows(self, rows, mean, std, dtype, out=None, raw=None) -> np.ndarray:
        """Each member's samples `rows` (P, m) as standardized rows (P, m, n0) in `dtype`:
        z = (x - mu) / sigma in float64 with the member's own statistics (mean, std: (P, 1, n0)),
        then cast, as train standardizes its split. Its transpose is the columns A[0]."""
        raw = self.X.take(rows, axis=0, out=raw, mode="clip")  # "clip" spares a copy
        np.subtract(raw, mean, out=raw)
        if out is None:
            out = raw if np.dtype(dtype) == raw.dtype else np.empty(raw.shape, dtype)
        return np.divide(raw, std, out=out)  # z = (x - mu) / sigma


def targets(labels: np.ndarray, arch: Architecture, dtype) -> np.ndarray:
    """Y (P, n[L], m) from labels (P, m): 0/1 for a sigmoid output, one-hot for softmax."""
    if arch.output == "sigmoid":
        return labels[:, None, :].astype(dtype)
    return (labels[:, None, :] == np.arange(arch.layer_dims[-1])[:, None]).astype(dtype)


# --- a pass ----------------------------------------------------------------------------------


class _Pass:
    """Members of one group that fit the memory budget together: J at initialization, the
    cohorts' epochs in turn with the callbacks between them, and the final full passes."""

    def __init__(self, members: list[_Member], source: _Source) -> None:
        self.members, self.source = members, source
        self.arch, self.dtype = members[0].arch, members[0].config.dtype

    def run(self) -> None:
        start = perf_counter()
        self._initial_costs()
        alive = [mb for mb in self.members if mb.outcome is None]
        cohorts = [
            _Cohort(list(ms), self.source)
            for _, ms in itertools.groupby(alive, key=lambda mb: mb.batch_size)
        ]
        _share(perf_counter() - start, self.members)
        for e in range(max((mb.config.epochs for mb in alive), default=0)):
            trained = [pair for c in cohorts if c.members for pair in c.epoch(e)]
            stops = _call_back(trained)
            for c in cohorts:
                if c.members:
                    c.finish_epoch(e, stops)
        start = perf_counter()
        self._final_figures()
        _share(perf_counter() - start, self.members)

    def _initial_costs(self) -> None:
        """J at initialization over each member's training split: the reference for "exploded"."""
        ce, _ = _FullPass(self.members, "train", self.source)(self._params())
        for mb, cost in zip(self.members, ce + self._penalties(), strict=True):
            mb.initial_cost = float(cost)
            if not math.isfinite(mb.initial_cost):
                empty = {k: np.empty(0) for k in METRICS}
                mb.end("diverged", NONFINITE_AT_INIT, 0, empty, np.empty(0))

    def _final_figures(self) -> None:
        """One full pass per split with the final weights (train's `final_metrics`)."""
        params = self._params()
        train_ce, train_acc = _FullPass(self.members, "train", self.source)(params)
        val_ce, val_acc = _FullPass(self.members, "val", self.source)(params)
        figures = zip(self._penalties(), train_ce, train_acc, val_ce, val_acc, strict=True)
        for mb, values in zip(self.members, figures, strict=True):
            mb.final = final_figures(*(float(v) for v in values))

    def _params(self) -> stacked.Parameters:
        return stacked.Parameters(self.arch, np.stack([mb.params for mb in self.members]))

    def _penalties(self) -> np.ndarray:
        """(P,) each member's L2 penalty with its current weights (0 where lambda = 0)."""
        params = self._params()
        l2 = stacked.L2([mb.config.l2 for mb in self.members], self.members[0].m, self.dtype)
        return l2.penalty(params, self.arch)


class _FullPass:
    """One split (training or validation) of some members, passed through whole with their
    weights, no dropout: (P,) cross-entropies and accuracies, train's `evaluate` per member.

    The members go in chunks whose inputs and workspace fit FULL_PASS_BYTES, so that memory does
    not grow with a copy of the split per member. When one chunk holds them all it keeps its
    standardized inputs and workspace from call to call (the validation split is the same batch
    every epoch); otherwise each call gathers every chunk anew.
    """

    def __init__(self, members: list[_Member], which: str, source: _Source) -> None:
        self.source, self.arch, self.dtype = source, members[0].arch, members[0].config.dtype
        self.rows = np.stack([getattr(mb, f"{which}_rows") for mb in members])
        self.mean, self.std = _statistics(members)
        item = np.dtype(self.dtype).itemsize
        per_member = _batch_bytes(self.arch, self.rows.shape[1], item, backward=False)
        self.chunk = max(1, FULL_PASS_BYTES // per_member)
        self.kept: tuple | None = None  # (X, Y, y, workspace) of the one chunk

    def __call__(self, params: stacked.Parameters) -> tuple[np.ndarray, np.ndarray]:
        n = len(params.flat)
        if n <= self.chunk:
            self.kept = self.kept or self._inputs(slice(0, n))
            return stacked.evaluate(params, self.arch, *self.kept)
        ce, accuracy = np.empty(n), np.empty(n)
        for lo in range(0, n, self.chunk):
            cut = slice(lo, lo + self.chunk)
            chunk = stacked.Parameters(self.arch, params.flat[cut])
            ce[cut], accuracy[cut] = stacked.evaluate(chunk, self.arch, *self._inputs(cut))
        return ce, accuracy

    def _inputs(self, cut: slice) -> tuple:
        """Columns A[0], targets, labels and a workspace for the members in `cut`."""
        rows = self.rows[cut]
        X = self.source.rows(rows, self.mean[cut], self.std[cut], self.dtype)
        y = self.source.y[rows]
        work = stacked.Workspace(self.arch, len(rows), rows.shape[1], self.dtype, backward=False)
        return mT(X), targets(y, self.arch, self.dtype), y, work

    def take(self, keep: np.ndarray) -> None:
        """Keep the members marked in `keep` (the kept chunk shrinks with them)."""
        self.rows, self.mean, self.std = self.rows[keep], self.mean[keep], self.std[keep]
        if self.kept is not None:
            X, Y, y, _ = self.kept
            work = stacked.Workspace(
                self.arch, int(keep.sum()), y.shape[1], self.dtype, backward=False
            )
            self.kept = (mT(mT(X)[keep]), Y[keep], y[keep], work)


def _statistics(members: list[_Member]) -> tuple[np.ndarray, np.ndarray]:
    """The members' (mu, sigma), stacked as (P, 1, n0) for their gathered rows (P, m, n0)."""
    return (
        np.stack([mb.mean for mb in members])[:, None, :],
        np.stack([mb.std for mb in members])[:, None, :],
    )


def _share(seconds: float, members: list[_Member]) -> None:
    """Charge a batched piece of work to its members in equal parts."""
    for mb in members:
        mb.seconds += seconds / len(members)


def _call_back(trained: list[tuple[_Member, EpochMetrics]]) -> set[int]:
    """Call the callbacks of the members that trained this epoch, in the order of configs;
    the indices of the members whose callback asked to stop."""
    stops = set()
    for mb, metrics in sorted(trained, key=lambda pair: pair[0].index):
        start = perf_counter()
        stop = bool(mb.callback(metrics))
        mb.callback_seconds += perf_counter() - start
        if stop:
            stops.add(mb.index)
    return stops


# --- a cohort: one batch size in lockstep ----------------------------------------------------

RULE_ORDER = tuple(stacked.RULES)


class _Cohort:
    """The members of a pass with one batch size, in lockstep: the epoch's k-th step is one
    stacked forward, backward and update for all of them, each rule updating its own rows."""

    # per-member arrays (leading axis: the cohort's current members) that a retirement compacts
    PER_MEMBER = (
        "slots", "rows", "mean", "std", "X_fixed", "Y_fixed", "y_fixed", "limit", "epochs",
        "lr", "order", "Y_epoch", "y_epoch", "labels", "cost_sum",
    )  # fmt: skip

    def __init__(self, members: list[_Member], source: _Source) -> None:
        # the members of one rule in contiguous rows, so that each rule updates a slice
        self.members = sorted(members, key=lambda mb: RULE_ORDER.index(mb.config.optimizer))
        first, P = self.members[0], len(self.members)
        self.source, self.arch, self.dtype = source, first.arch, first.config.dtype
        self.m, self.bs, self.n_batches = first.m, first.batch_size, first.n_batches
        self.sizes = [self.bs] * (self.n_batches - 1) + [self.m - (self.n_batches - 1) * self.bs]
        self.slots = np.arange(P)  # each member's row in the curves below
        self.params = stacked.Parameters(self.arch, np.stack([mb.params for mb in self.members]))
        self.grads = stacked.Parameters(self.arch, np.empty_like(self.params.flat))
        self.rules = self._rules()
        self._updates()
        configs = [mb.config for mb in self.members]
        lambdas = [c.l2 for c in configs]
        self.l2 = stacked.L2(lambdas, self.m, self.dtype) if any(lambdas) else None
        self.limit = np.array([explosion_limit(mb.config, mb.initial_cost) for mb in self.members])
        self.epochs = np.array([mb.config.epochs for mb in self.members])
        self._data()
        keep = [mb.config.keep_prob for mb in self.members]
        self.dropout = None
        if min(keep) < 1:
            generators = [mb.dropout for mb in self.members]
            self.dropout = stacked.Dropout(self.arch, self.sizes, keep, generators, self.dtype)
        self.t = 0  # updates made so far, by every member
        self.epochs_run = 0
        self.history = {k: np.full((P, self.epochs.max()), np.nan) for k in METRICS}
        self.step_cost = np.empty((P, self.epochs.max() * self.n_batches))
        self.lr = self.order = self.Y_epoch = self.y_epoch = self.labels = self.cost_sum = None
        self._buffers()

    def _rules(self) -> list[tuple[stacked._Rule, int, int]]:
        """(rule, first row, end row) for each optimizer among the members."""
        out, lo = [], 0
        n_params = self.params.flat.shape[1]
        for name, ms in itertools.groupby(self.members, key=lambda mb: mb.config.optimizer):
            configs = [mb.config for mb in ms]
            rule = stacked.RULES[name](configs, n_params, self.dtype)
            out.append((rule, lo, lo + len(configs)))
            lo += len(configs)
        return out

    def _updates(self) -> None:
        """Each rule with the rows of the parameters and gradients it updates."""
        flat, d_flat = self.params.flat, self.grads.flat
        self.updates = [(rule, flat[lo:hi], d_flat[lo:hi]) for rule, lo, hi in self.rules]

    def _data(self) -> None:
        """Row indices, statistics, the validation pass, and for batch GD (one batch, never
        shuffled) the batch that never changes: the training split."""
        source, arch, dtype = self.source, self.arch, self.dtype
        self.rows = np.stack([mb.train_rows for mb in self.members])
        self.mean, self.std = _statistics(self.members)
        self.validation = _FullPass(self.members, "val", source)
        self.X_fixed = self.Y_fixed = self.y_fixed = None
        if self.n_batches == 1:
            self.X_fixed = source.rows(self.rows, self.mean, self.std, dtype)
            self.y_fixed = source.y[self.rows]
            self.Y_fixed = targets(self.y_fixed, arch, dtype)

    def _buffers(self) -> None:
        """Workspaces and gather buffers for the current members."""
        arch, dtype, P = self.arch, self.dtype, len(self.members)
        drop = self.dropout is not None
        sizes = set(self.sizes)
        self.work = {n: stacked.Workspace(arch, P, n, dtype, dropout=drop) for n in sizes}
        n0 = arch.layer_dims[0]
        self.raw = {n: np.empty((P, n, n0)) for n in sizes}
        self.cols = {n: self.raw[n] if dtype == "float64" else np.empty((P, n, n0), dtype)
                     for n in sizes}  # fmt: skip
        # mu and sigma repeated over a batch's samples: the standardization is then an
        # operation on same-shaped arrays, not a broadcast with an inner loop n0 long
        self.mu = {n: np.repeat(self.mean, n, axis=1) for n in sizes}
        self.sigma = {n: np.repeat(self.std, n, axis=1) for n in sizes}

    # --- an epoch --------------------------------------------------------------------------

    def epoch(self, e: int) -> list[tuple[_Member, EpochMetrics]]:
        """Train epoch e (from 0) for every member, retiring those that diverge; the epoch's
        metrics of the others that have a callback."""
        start, trained = perf_counter(), list(self.members)
        self.lr = np.array([mb.schedule(e) for mb in self.members])
        last = int(self.epochs.max()) * self.n_batches  # the most updates a member will make
        for rule, lo, hi in self.rules:
            rule.begin_epoch(self.lr[lo:hi], self.t, self.n_batches, last)
        self._shuffle()
        self.cost_sum = np.zeros(len(self.members))
        for k, n in enumerate(self.sizes):
            self._step(e, k, n)
            if not self.members:
                break
        out = self._end_epoch(e) if self.members else []
        _share(perf_counter() - start, trained)
        return out

    def _shuffle(self) -> None:
        """The epoch's order of each member's training rows, and a buffer for its predictions.

        train draws permutation(m) and takes the split's rows in that order; shuffling a copy
        of the rows in place moves them as that draw moves arange(m) (the same Fisher-Yates
        swaps from the same generator), so this is rows[permutation(m)] with the generator left
        in the same state. Batch GD (one batch) draws nothing."""
        if self.X_fixed is None:
            self.order = self.rows.copy()
            for mb, row in zip(self.members, self.order, strict=True):
                mb.shuffle.shuffle(row)
            self.y_epoch = self.source.y[self.order]
            self.Y_epoch = targets(self.y_epoch, self.arch, self.dtype)
        sigmoid = self.arch.output == "sigmoid"
        self.labels = np.empty(self.rows.shape, dtype=bool if sigmoid else np.intp)

    def _batch(self, k: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Batch k of every member: columns A[0] (P, n0, n), targets Y and labels y."""
        if self.X_fixed is not None:
            return mT(self.X_fixed), self.Y_fixed, self.y_fixed
        cut = slice(k * self.bs, k * self.bs + n)
        X = self.source.rows(
            self.order[:, cut], self.mu[n], self.sigma[n], self.dtype, self.cols[n], self.raw[n]
        )
        return mT(X), self.Y_epoch[:, :, cut], self.y_epoch[:, cut]

    def _step(self, e: int, k: int, n: int) -> None:
        """One mini-batch step of every member: train's `cost_and_gradients`, the divergence
        check, then each rule's update."""
        arch, work = self.arch, self.work[n]
        X, Y, _ = self._batch(k, n)
        masks = None if self.dropout is None else self.dropout.masks(k)
        ZL = stacked.forward(self.params, X, arch, work, masks)
        ce, P = stacked.cross_entropy(ZL, Y, arch.output)
        stacked.backward(self.params, self.grads, work, P, Y, arch, self.l2)
        # this batch's J: its cross-entropy + the training set's penalty, weights before the step
        c = ce if self.l2 is None else ce + self.l2.penalty(self.params, arch)
        stacked.predict(ZL, arch.output, out=self.labels[:, k * self.bs : k * self.bs + n])
        # the costs are >= 0: their sum is finite unless one is not (or they are huge)
        if not math.isfinite(np.add.reduce(c)) and not (finite := np.isfinite(c)).all():
            self._retire(~finite, "diverged", nonfinite_step(e, k))
            c = c[finite]
            if not self.members:
                return
        for rule, theta, d_theta in self.updates:
            rule.step(theta, d_theta, k)
        self.step_cost[self.slots, self.t] = c
        self.cost_sum += c * n
        self.t += 1

    def _end_epoch(self, e: int) -> list[tuple[_Member, EpochMetrics]]:
        """Validation, the epoch's record and the explosion check, as train's epoch ends."""
        val_cost, val_accuracy = self.validation(self.params)
        finite = np.isfinite(val_cost)
        if not finite.all():  # the last update of the epoch blew up
            self._retire(~finite, "diverged", nonfinite_validation(e))
            val_cost, val_accuracy = val_cost[finite], val_accuracy[finite]
            if not self.members:
                return []
        train_cost = self.cost_sum / self.m
        y = self.y_epoch if self.X_fixed is None else self.y_fixed
        correct = stacked.correct(self.labels, y)  # the epoch's right predictions, batch by batch
        record = dict(
            train_cost=train_cost, val_cost=val_cost, train_accuracy=correct / self.m,
            val_accuracy=val_accuracy, lr=self.lr,
        )  # fmt: skip
        for key, values in record.items():
            self.history[key][self.slots, e] = values
        self.epochs_run = e + 1
        blown = train_cost > self.limit
        if blown.any():
            reasons = [
                exploded(mb.config, e, float(cost), mb.initial_cost)
                for mb, cost, out in zip(self.members, train_cost, blown, strict=True)
                if out
            ]
            self._retire(blown, "diverged", reasons)
        members = enumerate(self.members)
        return [(mb, self._metrics(p, e)) for p, mb in members if mb.callback is not None]

    def _metrics(self, p: int, e: int) -> EpochMetrics:
        slot = self.slots[p]
        return EpochMetrics(e + 1, *(float(self.history[k][slot, e]) for k in METRICS))

    def finish_epoch(self, e: int, stops: set[int]) -> None:
        """Retire the members whose callback stopped them after epoch e, then those whose
        epochs are done."""
        if stops:
            stop = np.array([mb.index in stops for mb in self.members])
            if stop.any():
                self._retire(stop, "stopped", stopped(e))
        done = self.epochs == e + 1
        if done.any():
            reasons = [
                completed(mb.config) for mb, out in zip(self.members, done, strict=True) if out
            ]
            self._retire(done, "completed", reasons)

    # --- retirement ------------------------------------------------------------------------

    def _retire(self, leaving: np.ndarray, status: str, reasons: str | list[str]) -> None:
        """End the members marked in `leaving` with their current weights and curves, and
        compact the cohort to the others."""
        positions = np.flatnonzero(leaving)
        if isinstance(reasons, str):
            reasons = [reasons] * positions.size
        for p, reason in zip(positions, reasons, strict=True):
            mb, slot = self.members[p], self.slots[p]
            mb.params = self.params.flat[p].copy()
            history = {k: v[slot, : self.epochs_run].copy() for k, v in self.history.items()}
            mb.end(status, reason, self.epochs_run, history, self.step_cost[slot, : self.t].copy())
        self._keep(~leaving)

    def _keep(self, keep: np.ndarray) -> None:
        for name in self.PER_MEMBER:
            values = getattr(self, name)
            if values is not None:
                setattr(self, name, values[keep])
        self.members = [mb for mb, kept in zip(self.members, keep, strict=True) if kept]
        self.validation.take(keep)
        self.params = stacked.Parameters(self.arch, self.params.flat[keep])
        self.grads = stacked.Parameters(self.arch, self.grads.flat[keep])
        if self.l2 is not None:
            self.l2.take(keep)
        if self.dropout is not None:
            self.dropout.take(keep)
        rules, lo = [], 0
        for rule, a, b in self.rules:
            n = int(np.count_nonzero(keep[a:b]))
            if n:
                rule.take(keep[a:b])
                rules.append((rule, lo, lo + n))
                lo += n
        self.rules = rules
        self._updates()
        if self.members:
            self._buffers()
