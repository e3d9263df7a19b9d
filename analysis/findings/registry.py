"""Every claim of the course note the findings page tests, in the page's order."""

from __future__ import annotations

from analysis.findings import adam_defaults, adam_faster, batch_size, decay, momentum, normalize
from analysis.findings.claim import Claim

CLAIMS: tuple[Claim, ...] = (
    adam_faster.CLAIM,
    momentum.CLAIM,
    adam_defaults.CLAIM,
    decay.CLAIM,
    normalize.CLAIM,
    batch_size.CLAIM,
)
