"""The defaults atlas's numbers: each cell (a task x an optimizer) judged on a scale that
compares across tasks, and each default aggregated over the tasks. Pure functions on plain
numbers; `optsweep atlas` (optsweep/atlas.py) feeds them what each cell's defaults report
measured.

    progress([.28, .36], guess=1.0, reference=0.2)   # [0.9, 0.8]: the way from guessing
    c = judge(tuned=[...], default=[...], tuned_failed=[...], default_failed=[...], guess=.69)
    c.verdict, c.gap                                 # the gap is a fraction of the way
    agg = aggregate("adam.beta1", cells)             # counts, tunability, Cochran's Q

The common scale. A relative tolerance (1% of the tuned cost) means nothing where the tuned
cost is nearly 0 (blobs, breast_cancer): there any default is "1% worse". The atlas measures
every run by its progress, the fraction of the way from the cost of guessing (predicting every
row by the class frequencies: their entropy) to the better arm's mean cost:

    progress(x) = (x - guess) / (best - guess)

`best` is the better of the tuned and the default arm's means over the seeds where both
learned: usually tuned, which then sits at exactly 1. 0 is guessing; the scale reads the same
for a cost (below guessing) and an accuracy (above it). The gap of a default, progress(tuned) -
progress(default), is the share of the way it gives up, comparable across tasks. (Measured
against tuned alone, the way shrinks to nothing when the tuned configuration is erratic on
new seeds, its mean cost near guessing: on spiral x adam the first version's gaps were -700%.)
The report's own rule (statistics.compare, two parts: learning failures apart, the cost where
both learned) is run on this scale with its margin set to `t` of the way: a default holds up
when it gives up less than `t` of the way with 95% confidence.

Across tasks, per default:
- counts of "holds up" / "needs tuning" / "inconclusive", and of "tuned = default" (the
  tuned configuration uses the default itself: gap 0, no comparison);
- tunability: the mean over tasks of the per-task mean gap (on the common scale, seeds where
  both learned; 0 where tuned = default), with a two-sided 95% Student t interval across
  tasks (scipy.stats.t; the tasks are the sample, as in Probst et al. 2019);
- heterogeneity: Cochran's Q over the per-task mean gaps g_i with their standard errors s_i
  (sd of the per-seed gaps / sqrt(seeds)): Q = sum w_i (g_i - g_w)^2, w_i = 1/s_i^2, g_w the
  weighted mean; p = P(chi2 with k-1 degrees of freedom > Q) (scipy.stats.chi2); I^2 =
  max(0, (Q - (k-1)) / Q). A small p says the gap differs by task more than the seeds explain.
  Tasks with fewer than 2 such seeds or a zero SE are left out of Q (they carry no weight).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from analysis import statistics

TOLERANCE = 0.05  # a default may give up 5% of the way from guessing to tuned and hold up
LEVEL = 0.95  # the tunability interval across tasks
NA = "n/a"
# the sweep's tuned configuration already uses the default: nothing to compare, gap 0 by
# construction (evidence for the default, but no test on seeds)
TUNED_IS_DEFAULT = "tuned = default"
VERDICTS = (statistics.HOLDS, statistics.NEEDS, statistics.INCONCLUSIVE, TUNED_IS_DEFAULT)


def guess_value(objective: str, y: Sequence[int]) -> float:
    """What guessing scores on `objective`: for an accuracy, the majority class's share; for a
    cost, the cross-entropy of predicting the class frequencies (their entropy)."""
    from analysis.retraining import guess_cost

    if "accuracy" in objective:
        counts: dict[int, int] = {}
        for label in y:
            counts[int(label)] = counts.get(int(label), 0) + 1
        return max(counts.values()) / sum(counts.values())
    return guess_cost(y)


def progress(values: Sequence[float], guess: float, reference: float) -> list[float]:
    """Each value as the fraction of the way from `guess` (0) to `reference` (1)."""
    span = reference - guess
    if not math.isfinite(span) or span == 0:
        raise ValueError(f"no way from guess {guess} to reference {reference}")
    return [(x - guess) / span for x in values]


def _kept(tuned_failed: Sequence[bool], default_failed: Sequence[bool]) -> list[int]:
    return [i for i, (t, d) in enumerate(zip(tuned_failed, default_failed, strict=True))
            if not t and not d]  # fmt: skip


def reference_of(
    tuned: Sequence[float], default: Sequence[float], kept: Sequence[int], direction: str
) -> float:
    """The better of the two arms' means over the seeds where both learned (the scale's 1)."""
    if not kept:
        return math.nan
    means = [math.fsum(arm[i] for i in kept) / len(kept) for arm in (tuned, default)]
    return min(means) if direction == "minimize" else max(means)


def learned_way(reference: float, guess: float, direction: str) -> bool:
    """The better arm got anywhere from guessing (lower cost, or higher accuracy)."""
    if not math.isfinite(reference):
        return False
    return reference < guess if direction == "minimize" else reference > guess


def _way(tuned, default, tuned_failed, default_failed, guess: float, direction: str):
    """(the seeds where both learned, the better arm's mean there), or None when neither arm got
    anywhere from guessing: the way a cell's gaps are measured along."""
    kept = _kept(tuned_failed, default_failed)
    ref = reference_of(tuned, default, kept, direction)
    return (kept, ref) if learned_way(ref, guess, direction) else None


def judge(
    tuned: Sequence[float],
    default: Sequence[float],
    tuned_failed: Sequence[bool],
    default_failed: Sequence[bool],
    guess: float,
    direction: str = "minimize",
    tolerance: float = TOLERANCE,
    alpha: float = statistics.ALPHA,
) -> statistics.Comparison | None:
    """The report's two-part comparison on the common scale, its margin `tolerance` of the way
    (module docstring); None when neither arm got anywhere from guessing on the seeds both
    learned (no way to measure along)."""
    way = _way(tuned, default, tuned_failed, default_failed, guess, direction)
    if way is None:
        return None
    kept, ref = way
    t, d = progress(tuned, guess, ref), progress(default, guess, ref)
    t_mean = math.fsum(t[i] for i in kept) / len(kept)  # 1 unless the default is the better
    if t_mean == 0:
        return None
    # compare's margin is its tolerance x |the tuned mean where both learned|: that times
    # 1 / |t_mean| is `tolerance` of the way
    return statistics.compare(
        t, d, "maximize", tolerance / abs(t_mean), alpha,
        tuned_failed=list(tuned_failed), default_failed=list(default_failed),
    )  # fmt: skip


def task_gap(
    tuned: Sequence[float],
    default: Sequence[float],
    tuned_failed: Sequence[bool],
    default_failed: Sequence[bool],
    guess: float,
    direction: str = "minimize",
) -> tuple[float, float, int]:
    """(mean gap, its SE, seeds): per seed where both learned, progress(tuned) -
    progress(default), the share of the way from guessing that the default gives up."""
    way = _way(tuned, default, tuned_failed, default_failed, guess, direction)
    if way is None:
        return math.nan, math.nan, 0
    kept, ref = way
    t = progress([tuned[i] for i in kept], guess, ref)
    d = progress([default[i] for i in kept], guess, ref)
    gap, se = statistics.mean_se([a - b for a, b in zip(t, d, strict=True)])
    return gap, se, len(kept)


@dataclass(frozen=True)
class CellVerdict:
    """One default in one task: its verdict on the common scale and its mean gap there."""

    task: str
    default: str  # "adam.beta1"
    verdict: str  # holds up | needs tuning | inconclusive | n/a
    gap: float  # mean share of the way from guessing given up (seeds where both learned)
    se: float
    seeds: int  # seeds where both learned
    lower: float = math.nan  # the comparison's bounds of the gap (Hodges-Lehmann, signed-rank)
    upper: float = math.nan
    report_verdict: str = ""  # the defaults report's own (1% of tuned) verdict
    estimate: float = math.nan  # the comparison's gap: Hodges-Lehmann, what the verdict reads


@dataclass(frozen=True)
class Tunability:
    """The mean gap across tasks and its two-sided interval at `level` (NaN below 2 tasks)."""

    mean: float
    low: float
    high: float
    tasks: int
    level: float = LEVEL


@dataclass(frozen=True)
class Heterogeneity:
    """Cochran's Q on the per-task gaps: q, degrees of freedom, p, I^2, tasks used."""

    q: float
    df: int
    p: float
    i2: float
    tasks: int


@dataclass(frozen=True)
class Aggregate:
    """One default across the tasks."""

    default: str
    counts: dict[str, int] = field(default_factory=dict)
    tunability: Tunability | None = None
    heterogeneity: Heterogeneity | None = None


def tunability(gaps: Sequence[float], level: float = LEVEL) -> Tunability:
    """Mean of the per-task gaps, with a Student t interval across tasks (scipy.stats.t)."""
    from scipy import stats

    xs = [g for g in gaps if math.isfinite(g)]
    mean, se = statistics.mean_se(xs)
    if len(xs) < 2 or not math.isfinite(se):
        return Tunability(mean, math.nan, math.nan, len(xs), level)
    half = float(stats.t.ppf(0.5 + level / 2, len(xs) - 1)) * se
    return Tunability(mean, mean - half, mean + half, len(xs), level)


def cochran_q(gaps: Sequence[float], ses: Sequence[float]) -> Heterogeneity:
    """Cochran's Q test that the per-task gaps share one value (module docstring)."""
    from scipy import stats

    pairs = [(g, s) for g, s in zip(gaps, ses, strict=True)
             if math.isfinite(g) and math.isfinite(s) and s > 0]  # fmt: skip
    k = len(pairs)
    if k < 2:
        return Heterogeneity(math.nan, max(k - 1, 0), math.nan, math.nan, k)
    w = [1 / s**2 for _, s in pairs]
    pooled = math.fsum(wi * g for wi, (g, _) in zip(w, pairs, strict=True)) / math.fsum(w)
    q = math.fsum(wi * (g - pooled) ** 2 for wi, (g, _) in zip(w, pairs, strict=True))
    df = k - 1
    i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
    return Heterogeneity(q, df, float(stats.chi2.sf(q, df)), i2, k)


def aggregate(default: str, cells: Sequence[CellVerdict]) -> Aggregate:
    """The default's cells (one per task) summed up: counts, tunability, heterogeneity."""
    mine = [c for c in cells if c.default == default]
    counts = {v: sum(c.verdict == v for c in mine) for v in (*VERDICTS, NA)}
    measured = [c for c in mine if c.verdict != NA]
    return Aggregate(
        default,
        counts,
        tunability([c.gap for c in measured]),
        cochran_q([c.gap for c in measured], [c.se for c in measured]),
    )
