"""The two parts of a comparison with learning failures (a "hurdle" comparison): how often each
arm learned nothing, and the cost on the seeds where both learned. Pure functions on plain
numbers; `statistics.compare` combines them into a verdict.

    fail = failure_part(tuned_failed, default_failed, margin=0.2, alpha=0.05)
    fail.upper, fail.lower      # bounds of the default's excess failure rate
    cost = cost_part(diffs, alpha=0.05)
    cost.estimate, cost.lower   # Hodges-Lehmann estimate, signed-rank bounds

Failure part. Seed s gives a pair (tuned failed, default failed). The excess failure rate is
delta = p10 - p01, p10 = P(default failed, tuned learned), p01 the other way round (the seeds
where both failed or both learned are concordant and cancel, as in McNemar's test). Bounds:
- upper: delta <= p10, so the exact (Clopper-Pearson, scipy.stats.binomtest) upper bound of
  p10 from its count b of n seeds bounds delta with at least the same confidence;
- lower: delta >= LB(p10) - UB(p01), each exact at half the level (a union bound).
The upper bound gives up the credit of seeds where only tuned failed; in exchange it needs no
nuisance parameter and stays exact.

Cost part. d_s = loss(default_s) - loss(tuned_s) on the seeds where both learned. One
half-dead network (tuned reached only 0.25 where the others reach 0.08) makes one d_s huge; a
mean and its t bound read it as noise and widen. The Hodges-Lehmann estimate (the median of the
Walsh averages (d_i + d_j) / 2, i <= j) and the signed-rank bounds (order statistics of the
Walsh averages at the exact Wilcoxon critical value) are what `lower > margin` means for
`scipy.stats.wilcoxon(d - margin, alternative="greater", method="exact")`: exact for any
continuous distribution of d symmetric about its centre, and 95% as efficient as t on normal
differences. Chosen by calibration over a 20%-trimmed mean (Yuen) and the t bound: see
tests/analysis/test_statistics_calibration.py and BENCHMARKS.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

# The failure margin: with 40 seeds at the last look's level (0.0375, see statistics.spending),
# the smallest margin on a 0.01 grid at which a default that dies exactly as often as tuned,
# 5% of seeds each independently, holds up on failures with probability >= 80%
# (`failure_margin`; 0.19 -> b <= 2 of 40, power 0.70; 0.20 -> b <= 3, power 0.88).
FAILURE_MARGIN = 0.20
FAILURE_PLAN = {"seeds": 40, "death_rate": 0.05, "power": 0.8, "alpha": 0.0375}


@dataclass(frozen=True)
class FailurePart:
    seeds: int
    tuned_failed: int
    default_failed: int
    both_failed: int
    default_only: int  # b: the default failed where tuned learned
    tuned_only: int  # c: tuned failed where the default learned
    excess: float  # (b - c) / n, the observed excess failure rate
    lower: float  # at 1 - alpha / 2 (the "needs tuning" side)
    upper: float  # at 1 - alpha (the "holds up" side)
    margin: float


@dataclass(frozen=True)
class CostPart:
    seeds: int  # where both learned
    estimate: float  # Hodges-Lehmann
    lower: float  # signed-rank bound at 1 - alpha / 2 (the "needs tuning" side)
    upper: float  # at 1 - alpha
    spread: float  # a robust sd of d: IQR / 1.349 (the normal sd when d is normal)


# --- failures --------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def binomial_bounds(k: int, n: int, confidence: float) -> tuple[float, float]:
    """Exact one-sided (Clopper-Pearson) bounds of a proportion from k of n, each at
    `confidence`: scipy.stats.binomtest's confidence intervals."""
    from scipy.stats import binomtest

    if n == 0:
        return 0.0, 1.0
    lo = binomtest(k, n, alternative="greater").proportion_ci(confidence).low
    hi = binomtest(k, n, alternative="less").proportion_ci(confidence).high
    return float(lo), float(hi)


def failure_part(
    tuned_failed: Sequence[bool], default_failed: Sequence[bool], margin: float, alpha: float
) -> FailurePart:
    """The paired failure counts and the bounds of the excess failure rate (module docstring)."""
    pairs = list(zip(tuned_failed, default_failed, strict=True))
    n = len(pairs)
    b = sum(bool(d) and not t for t, d in pairs)
    c = sum(bool(t) and not d for t, d in pairs)
    upper = binomial_bounds(b, n, 1 - alpha)[1]
    lower = binomial_bounds(b, n, 1 - alpha / 4)[0] - binomial_bounds(c, n, 1 - alpha / 4)[1]
    return FailurePart(
        seeds=n, tuned_failed=sum(map(bool, tuned_failed)),
        default_failed=sum(map(bool, default_failed)),
        both_failed=sum(bool(t) and bool(d) for t, d in pairs), default_only=b, tuned_only=c,
        excess=(b - c) / n if n else 0.0, lower=lower, upper=upper, margin=margin,
    )  # fmt: skip


def max_count_within(n: int, margin: float, alpha: float) -> int:
    """The largest count b of n whose exact 1 - alpha upper bound is at most `margin` (-1: none)."""
    lo, hi = -1, n  # upper(b) increases with b
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if binomial_bounds(mid, n, 1 - alpha)[1] <= margin else (lo, mid)
    return hi if hi < n and binomial_bounds(hi, n, 1 - alpha)[1] <= margin else lo


def failure_power(n: int, p10: float, margin: float, alpha: float) -> float:
    """P(the failure part holds up) on n seeds when the default alone fails with rate p10."""
    from scipy.stats import binom

    b = max_count_within(n, margin, alpha)
    return 0.0 if b < 0 else float(binom.cdf(b, n, p10))


def failure_margin(
    seeds: int = 40, death_rate: float = 0.05, power: float = 0.8, alpha: float = 0.0375
) -> float:
    """The smallest margin (0.01 grid) at which the failure part of a default that dies as
    often as tuned (each arm independently at `death_rate`) holds up with `power` on `seeds`."""
    p10 = death_rate * (1 - death_rate)
    for hundredths in range(1, 100):
        m = hundredths / 100
        if failure_power(seeds, p10, m, alpha) >= power:
            return m
    return 1.0


def failure_seeds_needed(
    part: FailurePart, alpha: float, power: float = 0.8, cap: int = 100_000
) -> int | None:
    """Were the observed rates the true ones, the seeds at which the failure part would likely
    decide (in the direction its excess points): a guide, None when none would."""
    n = part.seeds
    p10, p01 = part.default_only / n, part.tuned_only / n
    if p10 - p01 <= part.margin:  # towards "holds up": the upper bound of p10 must clear m
        if p10 >= part.margin:
            return None
        return _smallest(lambda k: failure_power(k, p10, part.margin, alpha) >= power, n + 1, cap)

    def decides(k: int) -> bool:  # plug-in: the observed rates at k seeds
        lo = binomial_bounds(round(p10 * k), k, 1 - alpha / 4)[0]
        return lo - binomial_bounds(round(p01 * k), k, 1 - alpha / 4)[1] > part.margin

    return _smallest(decides, n + 1, cap)


def _smallest(ok, lo: int, cap: int) -> int | None:
    """The smallest k >= lo with ok(k), searched by doubling then bisection (ok is taken as
    monotone; a binomial count's steps make it only nearly so: a guide)."""
    hi = lo
    while not ok(hi):
        if hi >= cap:
            return None
        lo, hi = hi + 1, min(cap, 2 * hi)
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid + 1, hi)
    return hi


# --- the cost on the seeds where both learned -------------------------------------------------


@lru_cache(maxsize=512)
def signed_rank_cdf(n: int) -> tuple[float, ...]:
    """P(T+ <= t), t = 0 .. n(n+1)/2: the exact null distribution of Wilcoxon's signed-rank
    statistic on n differences (no ties): the coefficients of prod_i (1 + x^i) / 2."""
    import numpy as np

    dist = np.zeros(n * (n + 1) // 2 + 1)
    dist[0] = 1.0
    for i in range(1, n + 1):
        dist[i:] = 0.5 * (dist[i:] + dist[:-i].copy())
        dist[:i] *= 0.5
    return tuple(np.cumsum(dist).tolist())


def signed_rank_critical(n: int, alpha: float) -> int:
    """The largest c with P(T+ <= c) <= alpha (-1 when even T+ = 0 is more likely)."""
    import bisect

    cdf = signed_rank_cdf(n)
    return bisect.bisect_right(cdf, alpha * (1 + 1e-12)) - 1


def walsh_averages(diffs: Sequence[float]):
    """The n(n+1)/2 averages (d_i + d_j) / 2, i <= j, sorted."""
    import numpy as np

    d = np.asarray(diffs, dtype=np.float64)
    i, j = np.triu_indices(len(d))
    return np.sort((d[i] + d[j]) / 2)


def signed_rank_bounds(walsh, n: int, alpha: float) -> tuple[float, float]:
    """One-sided 1 - alpha bounds of the centre of symmetry from the sorted Walsh averages:
    the (c+1)-th smallest and largest, c the exact critical value (infinite when none)."""
    c = signed_rank_critical(n, alpha)
    if c < 0:
        return -math.inf, math.inf
    return float(walsh[c]), float(walsh[len(walsh) - 1 - c])


def cost_part(diffs: Sequence[float], alpha: float) -> CostPart:
    """Hodges-Lehmann estimate of the paired differences, its lower bound at 1 - alpha / 2 and
    its upper bound at 1 - alpha (signed-rank; infinite below the seeds a bound needs)."""
    import numpy as np

    n = len(diffs)
    if n == 0:
        return CostPart(0, math.nan, -math.inf, math.inf, math.nan)
    w = walsh_averages(diffs)
    lower = signed_rank_bounds(w, n, alpha / 2)[0]
    upper = signed_rank_bounds(w, n, alpha)[1]
    q1, q3 = np.percentile(np.asarray(diffs, dtype=np.float64), [25, 75])
    return CostPart(n, float(np.median(w)), lower, upper, float((q3 - q1) / 1.349))
