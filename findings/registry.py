"""Every claim of the course note the findings page tests, in the note's order."""

from __future__ import annotations

from findings import (
    adam_defaults,
    adam_faster,
    adam_memory,
    batch_size,
    decay,
    ewa,
    gradient_checking,
    initialization,
    momentum,
    momentum_beta,
    normalize,
    rmsprop,
    saddle_points,
)
from findings.claim import Claim

CLAIMS: tuple[Claim, ...] = (
    normalize.CLAIM,
    initialization.CLAIM,
    gradient_checking.CLAIM,
    batch_size.CLAIM,
    ewa.CLAIM,
    momentum.CLAIM,
    momentum_beta.CLAIM,
    rmsprop.CLAIM,
    adam_faster.CLAIM,
    adam_defaults.CLAIM,
    adam_memory.CLAIM,
    decay.CLAIM,
    saddle_points.CLAIM,
)
