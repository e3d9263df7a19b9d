"""The statistics behind the defaults report and the findings: pure functions on plain numbers.

    gap = compare(tuned=[.061, .070, .064], default=[.066, .071, .069], direction="minimize")
    gap.verdict                                  # "holds up" or "needs tuning"
    epochs_to_target(val_cost_curve, 0.15)       # first epoch below the target, or None

The rules, stated once (RULES holds the words the report prints under its table):

- Paired gap. Tuned and default are re-trained on the same seeds (seed s: the same split and
  the same initial weights for both), so the per-seed difference d_s = loss(default_s) -
  loss(tuned_s) removes the seed's own luck; loss is the objective, negated when it is
  maximized. gap = mean(d), SE = sd(d) / sqrt(k) (sample sd, k seeds).
- Verdict. "holds up" when gap <= max(2 SE, tolerance x |mean tuned|), else "needs tuning".
  A default better than tuned (gap < 0) always holds up.
- Divergence. A re-training that diverged counts as the worst value (`worst_value`).
- Sensitivity: completed trials in equal-count bins of the parameter's value; the spread of the
  best objective per bin.
- Safe range: the span of a parameter's values over the trials within the band of the best.

Nothing here imports numpy, optuna or mlflow: the laws are tested on synthetic numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

HOLDS = "holds up"
NEEDS = "needs tuning"
DEFAULT_TOLERANCE = 0.01
MAX_BINS = 4
MIN_PER_BIN = 3


def rules(tolerance: float, worst: str = "") -> list[str]:
    """The rules as the report prints them under its table."""
    pct = f"{tolerance:.3g}" if tolerance >= 0.1 else f"{100 * tolerance:.3g}%"
    diverged = f" ({worst})" if worst else ""
    return [
        f"verdict: 'holds up' when the default's mean is within max(2 SE, {pct} of |tuned mean|) "
        "of tuned, else 'needs tuning'; a default better than tuned holds up.",
        "SE: tuned and default share each seed (same split, same initial weights); SE is the "
        "standard error of the per-seed differences, sd(default - tuned) / sqrt(seeds).",
        "re-training: the best trial's configuration on seeds the sweep did not use; a diverged "
        f"re-training counts as the worst value{diverged}; a seed on which both arms learned "
        "nothing (final training cost within 1% of guessing the class frequencies) says nothing "
        "about the parameter and is left out of that comparison.",
        f"sensitivity: completed trials split into B = min({MAX_BINS}, n // {MIN_PER_BIN}) "
        "equal-count bins of the parameter's value; spread = best objective of the worst bin "
        "minus that of the best bin (how much the best reachable objective depends on it).",
        "safe range (no default): the span of the parameter's values over the completed trials "
        f"whose objective is within {pct} of the best trial's (other trials inside the span "
        "are counted).",
    ]


# --- mean, standard error, the paired comparison --------------------------------------------


def mean_se(xs: Sequence[float]) -> tuple[float, float]:
    """(mean, standard error of the mean); SE is NaN for fewer than 2 values."""
    n = len(xs)
    if n == 0:
        return math.nan, math.nan
    m = math.fsum(xs) / n
    if n < 2:
        return m, math.nan
    var = math.fsum((x - m) ** 2 for x in xs) / (n - 1)
    return m, math.sqrt(var / n)


def loss(value: float, direction: str) -> float:
    """The objective as a loss: lower is better for either direction."""
    return value if direction == "minimize" else -value


def worst_value(direction: str, observed: Sequence[float], n_classes: int = 2) -> float:
    """What a diverged run counts as.

    Maximized (accuracy): 0, the worst possible. Minimized (cost): no cost is worst, so the
    larger of ln(n_classes), the cost of predicting every class equally likely, and the worst
    finite value observed in the sweep and the re-trainings.
    """
    if direction == "maximize":
        return 0.0
    finite = [x for x in observed if x is not None and math.isfinite(x)]
    return max([math.log(max(n_classes, 2)), *finite])


def worst_words(direction: str, worst: float) -> str:
    if direction == "maximize":
        return "accuracy 0"
    return f"{worst:.4g}: the larger of ln(classes) and the worst cost seen"


@dataclass(frozen=True)
class Comparison:
    """Default vs tuned over the same seeds; `gap` > 0 means the default is worse."""

    tuned: tuple[float, ...]
    default: tuple[float, ...]
    direction: str
    tolerance: float
    tuned_mean: float
    tuned_se: float
    default_mean: float
    default_se: float
    gap: float  # mean of loss(default) - loss(tuned), per seed
    gap_se: float  # SE of those paired differences
    margin: float  # max(2 gap_se, tolerance |tuned_mean|)
    relative_gap: float  # gap / |tuned_mean|
    verdict: str

    def to_dict(self) -> dict:
        d = asdict(self)
        d["tuned"], d["default"] = list(self.tuned), list(self.default)
        return d


def compare(
    tuned: Sequence[float],
    default: Sequence[float],
    direction: str = "minimize",
    tolerance: float = DEFAULT_TOLERANCE,
) -> Comparison:
    """The paired default-vs-tuned comparison and its verdict (see the module docstring).

    `tuned[i]` and `default[i]` come from the same seed; a diverged run is passed in already
    replaced by `worst_value`.
    """
    if len(tuned) != len(default) or len(tuned) < 2:
        raise ValueError("compare needs the same seeds for both, at least 2")
    if direction not in ("minimize", "maximize"):
        raise ValueError(f"direction must be minimize or maximize, got {direction!r}")
    diffs = [loss(d, direction) - loss(t, direction) for t, d in zip(tuned, default, strict=True)]
    gap, gap_se = mean_se(diffs)
    t_mean, t_se = mean_se(tuned)
    d_mean, d_se = mean_se(default)
    margin = max(2 * gap_se, tolerance * abs(t_mean))
    relative = gap / abs(t_mean) if t_mean else math.copysign(math.inf, gap) if gap else 0.0
    return Comparison(
        tuned=tuple(tuned), default=tuple(default), direction=direction, tolerance=tolerance,
        tuned_mean=t_mean, tuned_se=t_se, default_mean=d_mean, default_se=d_se,
        gap=gap, gap_se=gap_se, margin=margin, relative_gap=relative,
        verdict=verdict(gap, gap_se, t_mean, tolerance),
    )  # fmt: skip


def verdict(gap: float, gap_se: float, tuned_mean: float, tolerance: float) -> str:
    """'holds up' when gap <= max(2 SE, tolerance |tuned_mean|), else 'needs tuning'."""
    return HOLDS if gap <= max(2 * gap_se, tolerance * abs(tuned_mean)) else NEEDS


def better_beyond_noise(a: Sequence[float], b: Sequence[float], tolerance: float = 0.0) -> int:
    """+1 when a's values are lower than b's (paired) by more than max(2 SE, tolerance |mean b|),
    -1 when higher by more than that, 0 when the difference is within it."""
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    m, se = mean_se(diffs)
    margin = max(2 * (se if math.isfinite(se) else 0.0), tolerance * abs(mean_se(b)[0]))
    if m > margin:
        return 1
    if -m > margin:
        return -1
    return 0


# --- curves: time to target and noise --------------------------------------------------------


def epochs_to_target(curve: Sequence[float], target: float) -> int | None:
    """The first epoch (1-based) whose value is below `target`, or None if it never is."""
    for i, v in enumerate(curve):
        if v is not None and v < target:
            return i + 1
    return None


def seconds_to_target(
    curve: Sequence[float], seconds: Sequence[float], target: float
) -> float | None:
    """Wall seconds (cumulative, at the end of each epoch) until the curve first falls below."""
    e = epochs_to_target(curve, target)
    return None if e is None else float(seconds[e - 1])


def censored(values: Sequence[float | None], budget: float) -> tuple[list[float], int]:
    """Replace "never reached" (None) by the budget, a lower bound; (values, how many)."""
    out = [budget if v is None else float(v) for v in values]
    return out, sum(v is None for v in values)


def ewa(values: Sequence[float], beta: float) -> list[float]:
    """Bias-corrected EWA v_t / (1 - beta^t), v_t = beta v_(t-1) + (1 - beta) x_t, v_0 = 0."""
    out, v, beta_t = [], 0.0, 1.0
    for x in values:
        beta_t *= beta
        v = beta * v + (1 - beta) * x
        out.append(v / (1 - beta_t))
    return out


def noise(step_cost: Sequence[float], beta: float = 0.9, skip: float = 0.1, trend=None):
    """How much the mini-batch cost oscillates around its trend: the standard deviation of
    (c_t - v_t) / v_t, v the bias-corrected EWA (beta 0.9, about the last 10 steps) of the
    per-step cost c, after the first `skip` fraction of the steps. None below 10 steps.

    Relative to the trend, so a curve that falls from 0.7 to 0.05 is judged at every level.
    `trend` may pass v in (core.optimizers.ewa computes it without a Python loop).
    """
    c = [float(x) for x in step_cost]
    if len(c) < 10:
        return None
    v = ewa(c, beta) if trend is None else [float(x) for x in trend]
    start = int(len(c) * skip)
    r = [(x - m) / m for x, m in zip(c[start:], v[start:], strict=True) if m > 0]
    if len(r) < 2:
        return None
    m = math.fsum(r) / len(r)
    return math.sqrt(math.fsum((x - m) ** 2 for x in r) / (len(r) - 1))


# --- over the trials: sensitivity and the safe range -----------------------------------------


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    n: int
    best: float  # best objective among the bin's trials


@dataclass(frozen=True)
class Sensitivity:
    spread: float  # |best objective of the worst bin - that of the best bin|
    bins: tuple[Bin, ...]

    def to_dict(self) -> dict:
        return {"spread": self.spread, "bins": [asdict(b) for b in self.bins]}


def sensitivity(
    points: Sequence[tuple[float, float]], direction: str = "minimize"
) -> Sensitivity | None:
    """Spread of the per-bin best objective over B = min(4, n // 3) equal-count bins of x.

    `points` are (x on the sampling scale, objective) of completed trials. Ties in x stay in
    one bin. None when fewer than 2 bins can be formed (n < 6) or x never varies.
    """
    pts = sorted((float(x), float(y)) for x, y in points if _finite(x) and _finite(y))
    n_bins = min(MAX_BINS, len(pts) // MIN_PER_BIN)
    if n_bins < 2 or pts[0][0] == pts[-1][0]:
        return None
    bins: list[list[tuple[float, float]]] = []
    for i in range(n_bins):
        chunk = pts[round(i * len(pts) / n_bins) : round((i + 1) * len(pts) / n_bins)]
        if bins and chunk and bins[-1][-1][0] == chunk[0][0]:  # keep ties together
            while chunk and chunk[0][0] == bins[-1][-1][0]:
                bins[-1].append(chunk.pop(0))
        if chunk:
            bins.append(chunk)
    if len(bins) < 2:
        return None
    pick = min if direction == "minimize" else max
    out = tuple(Bin(low=b[0][0], high=b[-1][0], n=len(b), best=pick(y for _, y in b)) for b in bins)
    bests = [b.best for b in out]
    return Sensitivity(spread=max(bests) - min(bests), bins=out)


@dataclass(frozen=True)
class SafeRange:
    best_x: float
    best: float
    band: float  # objective within `band` of the best counts as "as good"
    low: float
    high: float
    n_within: int  # completed trials within the band
    n_inside: int  # completed trials whose x lies in [low, high]

    def to_dict(self) -> dict:
        return asdict(self)


def safe_range(
    points: Sequence[tuple[float, float]], band: float, direction: str = "minimize"
) -> SafeRange | None:
    """[low, high]: the span of x over the trials whose objective is within `band` of the best.

    `points` are (x, objective) of completed trials. The best trial is always inside; the
    other trials inside the span that are not within the band are counted, not hidden.
    """
    pts = [(float(x), float(y)) for x, y in points if _finite(x) and _finite(y)]
    if not pts or band < 0:
        return None
    best_x, best = min(pts, key=lambda p: loss(p[1], direction))
    within = [x for x, y in pts if loss(y, direction) - loss(best, direction) <= band]
    low, high = min(within), max(within)
    inside = sum(low <= x <= high for x, _ in pts)
    return SafeRange(best_x, best, band, low, high, len(within), inside)


def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False
