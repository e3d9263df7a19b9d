"""A trial's per-epoch curves, kept with the trial in the Optuna storage (the record of truth).

During training the curves are written in chunks (every `flush_every` epochs or `flush_seconds`)
as trial user attributes `curve.000`, `curve.001`, ..., with `curve_chunks` saying how many are
valid, so a killed worker loses at most the epochs since its last flush and a retried trial
(which inherits its predecessor's attributes) never mixes in stale chunks. `read_curves` puts
them back together; `optsweep sync` rebuilds the MLflow view from it.
"""

from __future__ import annotations

import time

import numpy as np

from sweeps.attrs import CHUNK_PREFIX, CHUNKS_ATTR

KEYS = ("epoch", "train_cost", "val_cost", "train_accuracy", "val_accuracy", "lr")
EWA_BETA = 0.98  # the course's smoothing of a noisy mini-batch cost: about the last 50 steps
EWA_POINTS = 100  # a smoothed curve needs few points; each is a row in MLflow's store (~0.07 ms)


def smoothed_cost(step_cost, beta: float = EWA_BETA, points: int = EWA_POINTS):
    """(step, value) pairs of the bias-corrected EWA of the per-mini-batch cost, thinned evenly
    to at most `points` with the last step kept: what a trial's run shows as minibatch_cost_ewa.
    """
    from core.optimizers import ewa
    from tracking.thinning import thin

    cost = np.asarray(step_cost, dtype=np.float64)
    if cost.size == 0:
        return []
    smooth = ewa(cost, beta)  # v_t = beta v_(t-1) + (1 - beta) cost_t, / (1 - beta^t)
    return [(i, float(smooth[i - 1])) for i in thin(cost.size, points)]


def read_curves(trial) -> dict[str, list]:
    """The per-epoch curves stored with a (frozen) trial; empty lists when it has none."""
    attrs = trial.user_attrs
    out: dict[str, list] = {k: [] for k in KEYS}
    for i in range(int(attrs.get(CHUNKS_ATTR, 0))):
        chunk = attrs.get(f"{CHUNK_PREFIX}{i:03d}", {})
        for k in KEYS:
            out[k].extend(chunk.get(k, ()))
    return out


class CurveWriter:
    """Buffers epochs and writes them to the trial (and the MLflow run) in chunks."""

    def __init__(self, trial, run=None, flush_every: int = 100, flush_seconds: float = 5.0):
        self.trial, self.run = trial, run
        self.flush_every, self.flush_seconds = flush_every, flush_seconds
        self.buffer: dict[str, list] = {k: [] for k in KEYS}
        self.chunks = 0
        self.last_flush = time.monotonic()
        trial.set_user_attr(CHUNKS_ATTR, 0)

    def add(self, epoch: int, metrics: dict[str, float]) -> None:
        """Buffer one epoch (and hand it to the MLflow run's buffer); `flush` writes."""
        self.buffer["epoch"].append(epoch)
        for k in KEYS[1:]:
            self.buffer[k].append(float(metrics[k]))
        if self.run is not None:
            self.run.log_epoch(epoch, metrics)

    def due(self) -> bool:
        """Whether the buffer is due to be written: `flush_every` epochs or `flush_seconds`."""
        full = len(self.buffer["epoch"]) >= self.flush_every
        return full or time.monotonic() - self.last_flush >= self.flush_seconds

    def flush(self, send: bool = True) -> None:
        """Write the buffered epochs as one more chunk, then tell the MLflow run to send (unless
        `send` is False: the run's end sends them with its final figures, in one batch)."""
        if self.buffer["epoch"]:
            self.trial.set_user_attr(f"{CHUNK_PREFIX}{self.chunks:03d}", self.buffer)
            self.chunks += 1
            self.trial.set_user_attr(CHUNKS_ATTR, self.chunks)
            self.buffer = {k: [] for k in KEYS}
        if self.run is not None and send:
            self.run.flush()
        self.last_flush = time.monotonic()
