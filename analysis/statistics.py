"""The statistics behind the defaults report and the findings: pure functions on plain numbers.

    cmp = compare(tuned=[.061, .070, .064], default=[.066, .071, .069], direction="minimize")
    cmp.verdict                                  # "holds up", "needs tuning" or "inconclusive"
    cmp.lower, cmp.upper                         # one-sided 95% bounds of the paired gap
    cmp = compare(tuned=..., default=..., tuned_failed=[...], default_failed=[...])
    cmp.reason                                   # one line: failures per arm, bounds
    cmp.seeds_needed                             # inconclusive: the seeds likely to decide it
    epochs_to_target(val_cost_curve, 0.15)       # first epoch below the target, or None

The rules, stated once (`rules()` holds the words the report prints under its table):

- Paired gap. Tuned and default are re-trained on the same seeds (seed s: the same split and
  the same initial weights for both), so the per-seed difference d_s = loss(default_s) -
  loss(tuned_s) removes the seed's own luck; loss is the objective, negated when it is
  maximized. gap = mean(d), SE = sd(d) / sqrt(k) (sample sd, k seeds).
- Bounds. lower = gap - t SE and upper = gap + t SE, t the 1 - alpha quantile of Student's t
  with k - 1 degrees of freedom. With alpha 0.05 each is a one-sided 95% confidence bound
  (together, a two-sided 90% interval).
- Margin = tolerance x |mean tuned| (tolerance 1% unless the user says otherwise).
- Verdict. "holds up" when upper <= margin: the default is within the tolerance of tuned with
  95% confidence (a non-inferiority test). "needs tuning" when lower > margin: it is worse by
  more than the tolerance with 95% confidence. "inconclusive" otherwise. A default better than
  tuned beyond the noise has upper < 0 <= margin, so it holds up. Each wrong verdict has
  probability at most alpha (alpha itself when the true gap is at the margin, smaller away
  from it) whatever the noise and the number of seeds: noisier evidence gives more
  "inconclusive", never more "holds up". (Exactly so for normal per-seed differences, which
  the calibration tests simulate; approximately for others, and loosely when a diverged run,
  counted as the worst value, is among them.)
- Seeds needed (for an inconclusive verdict). The smallest k such that, were the true gap and
  the sd of the differences the observed ones, a comparison on k seeds would decide with
  probability about 80%: |gap - margin| >= (t(1 - alpha, k - 1) + t(0.8, k - 1)) sd / sqrt(k).
  None when the observed gap is exactly the margin (no number of seeds is likely to decide
  it). A guide read off a noisy estimate of the spread, not a promise.
- Learning failures (two parts, `tuned_failed=` and `default_failed=` given). A run that
  learned nothing (its training cost ended at the cost of guessing) or diverged is a failure;
  its value says nothing about the cost the settings reach. Failure part: the default's
  excess failure rate delta = P(default failed, tuned learned) - P(tuned failed, default
  learned) (the discordant seeds, as in McNemar's test) against a margin m (FAILURE_MARGIN,
  0.20, from a power calculation: analysis/hurdle.py), with exact binomial bounds. Cost part:
  the seeds where both learned, the Hodges-Lehmann estimate of the paired differences with
  exact signed-rank bounds (robust to a half-dead network; chosen by calibration). "holds up"
  needs both parts (failure upper bound <= m and cost upper bound <= margin, each at alpha:
  intersection-union, so a false "holds up" stays at most alpha); "needs tuning" fires on
  either part (failure lower bound > m or cost lower bound > margin, each at alpha / 2, so a
  false "needs tuning" stays at most alpha). `.lower` is then at 1 - alpha / 2, `.upper` at
  1 - alpha (`lower_confidence`, `confidence`).
- Repeated looks (`--seeds auto`). Seeds come in planned rounds (10, 20, 40, the cap fixed
  before the first look); at each look every undecided comparison is judged on all its seeds
  so far at that look's level of an alpha-spending plan (`look_alphas`: 0.0031, 0.0094,
  0.0375), and a verdict is the one of the first look that decides it. By the union bound
  over the looks a wrong verdict still has probability at most alpha.
- The findings judge a paired difference by the same bounds (`better_beyond_noise`,
  `equivalent`), with the tolerance relative to the mean of the reference arm.
- Divergence. A re-training that diverged counts as the worst value (`worst_value`).
- Sensitivity: completed trials in equal-count bins of the parameter's value; the spread of the
  best objective per bin.
- Trials within the band: the span of a parameter's values over the trials whose objective is
  within the band of the best (the report's safe range itself is measured by re-training).

Nothing here imports numpy, optuna or mlflow (scipy, for the t quantiles, is imported on first
use): the laws are tested on synthetic numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property, lru_cache
from itertools import pairwise

from analysis.hurdle import FAILURE_MARGIN, CostPart, FailurePart

HOLDS = "holds up"
NEEDS = "needs tuning"
INCONCLUSIVE = "inconclusive"
DEFAULT_TOLERANCE = 0.01
ALPHA = 0.05  # each one-sided bound at 95%; each wrong verdict at most 5% of the time
POWER = 0.8  # what "likely" means in seeds_needed
ROUNDS = (10, 20, 40)  # the planned looks of `--seeds auto` (5 seeds cannot decide: 1/32)
SPENDING_RHO = 2  # alpha spent by the look at k of K seeds: alpha (k / K)^2
MAX_BINS = 4
MIN_PER_BIN = 3


def rules(tolerance: float, worst: str = "", alpha: float = ALPHA) -> list[str]:
    """The rules as the report prints them under its table."""
    pct = f"{tolerance:.3g}" if tolerance >= 0.1 else f"{100 * tolerance:.3g}%"
    conf = f"{100 * (1 - alpha):.4g}%"
    diverged = f" ({worst})" if worst else ""
    return [
        f"verdict: 'holds up' when the {conf} upper confidence bound of the gap (default minus "
        f"tuned, per seed) is at most {pct} of |tuned mean|: the default is within {pct} of "
        f"tuned with {conf} confidence; 'needs tuning' when the {conf} lower bound is above "
        f"{pct} of |tuned mean|: worse by more than that with {conf} confidence; 'inconclusive' "
        "otherwise, with the seeds that would likely decide it. A default better than tuned "
        "beyond the noise holds up.",
        "bounds: tuned and default share each seed (same split, same initial weights); the "
        "bounds are gap -/+ t SE, SE = sd(default - tuned) / sqrt(seeds) over the per-seed "
        f"differences, t the one-sided {conf} quantile of Student's t with seeds - 1 degrees of "
        "freedom. Each wrong verdict happens at most "
        f"{100 * alpha:.3g}% of the time: more noise gives more 'inconclusive', not more "
        "'holds up'.",
        "seeds needed: the number of seeds at which, if the true gap and spread were the "
        "observed ones, the bound would clear the margin with probability about "
        f"{100 * POWER:.0f}%.",
        "re-training: the tuned configuration on seeds the sweep did not use; a diverged "
        f"re-training counts as the worst value{diverged}; a seed on which both arms learned "
        "nothing (final training cost within 1% of guessing the class frequencies) says nothing "
        "about the parameter and is left out of that comparison.",
        *_descriptive_rules(pct),
    ]


def two_part_rules(
    tolerance: float, worst: str = "", failure_margin: float = FAILURE_MARGIN
) -> list[str]:
    """The two-part rule as the report prints it under its table (each look's level is in
    the plan's own line)."""
    pct = f"{tolerance:.3g}" if tolerance >= 0.1 else f"{100 * tolerance:.3g}%"
    diverged = f" ({worst})" if worst else ""
    return [
        "verdict: two parts. Failures: a run that learned nothing (final training cost "
        "within 1% of guessing the class frequencies) or diverged failed; the default's excess "
        "failure rate (seeds where only it failed minus seeds where only tuned failed, over "
        f"the seeds) is compared with the margin {failure_margin:g}. Cost: on the seeds where "
        "both learned, the gap default minus tuned per seed, against "
        f"{pct} of |tuned mean| there. 'holds up' needs both parts within their margins at the "
        "look's confidence; 'needs tuning' needs either part beyond its margin at half the "
        "look's alpha (so each wrong verdict stays at most 5%); 'inconclusive' otherwise, with "
        "the seeds that would likely decide it.",
        "bounds: failures by exact binomial (Clopper-Pearson) bounds on the seeds where only "
        "the default failed (and where only tuned failed, for the lower bound); the cost gap by "
        "the Hodges-Lehmann estimate (median of the pairwise averages of the per-seed "
        "differences) with exact Wilcoxon signed-rank bounds, which one half-dead network "
        "cannot widen. The lower bound is at 1 - alpha/2, the upper at 1 - alpha, alpha the "
        "look's level (the table states both).",
        f"margin {failure_margin:g} on failures: with 40 seeds, a default that dies as often as "
        "tuned (5% of seeds each) holds up on failures with probability >= 80% at the last "
        "look's level (a power calculation, analysis/hurdle.py).",
        "re-training: the tuned configuration on seeds the sweep did not use; a diverged "
        f"re-training is a failure (its value counts as the worst{diverged} where shown).",
        *_descriptive_rules(pct),
    ]


def _descriptive_rules(pct: str) -> list[str]:
    """The lines both rules share: the sweep's own descriptive figures, which decide nothing."""
    return [
        f"sensitivity: completed trials split into B = min({MAX_BINS}, n // {MIN_PER_BIN}) "
        "equal-count bins of the parameter's value; spread = best objective of the worst bin "
        "minus that of the best bin (how much the best reachable objective depends on it).",
        "trials within the band (no default): the span of the parameter's values over the "
        f"completed trials whose objective is within {pct} of the best trial's (other trials "
        "inside the span are counted).",
    ]


def median(xs: Sequence[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count); NaN when empty."""
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return math.nan
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


# --- mean, standard error, confidence bounds -------------------------------------------------


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


@lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """The p quantile of Student's t with `df` degrees of freedom: scipy.stats.t.ppf(p, df),
    through the ufunc it wraps (scipy.special.stdtrit), without its per-call overhead, and
    remembered (the calibration tests ask for the same few quantiles 10^5 times)."""
    from scipy.special import stdtrit

    return float(stdtrit(df, p))


def bounds(mean: float, se: float, n: int, alpha: float = ALPHA) -> tuple[float, float]:
    """(lower, upper): the one-sided 1 - alpha confidence bounds of a mean from n values with
    standard error `se` (Student's t, n - 1 degrees of freedom); infinite below 2 values."""
    if n < 2 or not math.isfinite(se):
        return -math.inf, math.inf
    half = t_quantile(1 - alpha, n - 1) * se
    return mean - half, mean + half


def seeds_to_decide(
    gap: float, sd: float, margin: float, alpha: float = ALPHA, power: float = POWER
) -> int | None:
    """The smallest k >= 2 with |gap - margin| >= (t(1 - alpha, k-1) + t(power, k-1)) sd / sqrt k.

    Were the true gap `gap` and the per-seed sd `sd`, a comparison on k seeds would clear the
    margin (in the direction the gap lies) with probability about `power`; power 0.5 is the
    plain plug-in "the bound would just clear it". sd 0: any 2 seeds decide. None when the gap
    is exactly the margin (or within rounding of it: more than 1e12 seeds), or a number is not
    finite: no number of seeds is likely to decide.
    """
    if not 0.5 <= power < 1:
        raise ValueError(f"power must be in [0.5, 1), got {power}")
    distance = abs(gap - margin)
    if not (math.isfinite(distance) and math.isfinite(sd)):
        return None
    if sd == 0:
        return 2
    if distance == 0:
        return None

    def width(k: int) -> float:  # (t(1 - alpha) + t(power))^2 at k seeds
        return (t_quantile(1 - alpha, k - 1) + t_quantile(power, k - 1)) ** 2

    def decides(k: int) -> bool:
        return width(k) * sd * sd <= k * distance * distance

    # k decides when k >= f(k) = width(k) (sd / distance)^2, f decreasing in k. The normal
    # quantiles give f's limit, so a lower bound lo; max(lo, f(lo)) already decides: bisect.
    from scipy.special import ndtri

    if sd / distance > 1e6:  # a gap within rounding of the margin: over 1e12 seeds
        return None
    ratio = (sd / distance) ** 2
    lo = max(2, math.ceil(float(ndtri(1 - alpha) + ndtri(power)) ** 2 * ratio))
    if decides(lo):
        return lo
    hi = max(lo + 1, math.ceil(width(lo) * ratio))
    while not decides(hi):  # rounding only
        hi += 1
    while hi - lo > 1:  # decides(hi), not decides(lo)
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if decides(mid) else (mid, hi)
    return hi


# --- the paired comparison ---------------------------------------------------------------------


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
    margin: float  # tolerance |tuned_mean|
    relative_gap: float  # gap / |tuned_mean|
    verdict: str  # HOLDS, NEEDS or INCONCLUSIVE
    lower: float  # one-sided `confidence` lower bound of the gap
    upper: float  # one-sided `confidence` upper bound; [lower, upper] is a 1 - 2 alpha interval
    alpha: float
    confidence: float  # 1 - alpha
    # the two-part comparison (flags given); without flags: the mean, no failures
    estimator: str = "mean"  # "mean" (t bounds) | "hodges-lehmann" (signed-rank bounds)
    lower_confidence: float = math.nan  # of `lower` (1 - alpha / 2 in the two-part rule)
    tuned_failed: int = 0  # seeds on which that arm learned nothing or diverged
    default_failed: int = 0
    failures: FailurePart | None = None
    cost: CostPart | None = None

    def __post_init__(self) -> None:
        if math.isnan(self.lower_confidence):
            object.__setattr__(self, "lower_confidence", self.confidence)

    @cached_property
    def reason(self) -> str:
        """One line: why this verdict (`explain`)."""
        return explain(self)

    @property
    def relative_lower(self) -> float:
        """The lower bound as a fraction of |tuned mean| (on the seeds where both learned)."""
        return _relative(self.lower, self.tuned_mean)

    @property
    def relative_upper(self) -> float:
        return _relative(self.upper, self.tuned_mean)

    @cached_property
    def seeds_needed(self) -> int | None:
        """Inconclusive: the seeds that would likely decide it (`seeds_to_decide`, more than it
        has; in the two-part rule, the part that decides first, or both for "holds up"), None
        when no number would; decided: the seeds it had. Computed when first read (a sequential
        plan's intermediate looks never need it)."""
        k = len(self.tuned)
        if self.verdict != INCONCLUSIVE:
            return k
        if self.failures is not None:
            return _two_part_seeds_needed(self)
        sd = self.gap_se * math.sqrt(k)
        needed = seeds_to_decide(self.gap, sd, self.margin, self.alpha)
        return None if needed is None else max(needed, k + 1)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["tuned"], d["default"] = list(self.tuned), list(self.default)
        d["seeds_needed"] = self.seeds_needed
        d["relative_lower"], d["relative_upper"] = self.relative_lower, self.relative_upper
        d["reason"] = self.reason
        return d


def _relative(x: float, tuned_mean: float) -> float:
    if tuned_mean:
        return x / abs(tuned_mean)
    return math.copysign(math.inf, x) if x else 0.0


def compare(
    tuned: Sequence[float],
    default: Sequence[float],
    direction: str = "minimize",
    tolerance: float = DEFAULT_TOLERANCE,
    alpha: float = ALPHA,
    *,
    tuned_failed: Sequence[bool] | None = None,
    default_failed: Sequence[bool] | None = None,
    failure_margin: float = FAILURE_MARGIN,
) -> Comparison:
    """The paired default-vs-tuned comparison and its verdict (see the module docstring).

    `tuned[i]` and `default[i]` come from the same seed; a diverged run is passed in already
    replaced by `worst_value`. `alpha` is each bound's error rate: a sequential plan passes
    its per-look alpha (`look_alphas`). With `tuned_failed` and `default_failed` (per seed,
    True where that run learned nothing or diverged) the comparison has two parts: the
    failures (`failure_margin` on the excess failure rate) and the cost on the seeds where
    both learned (Hodges-Lehmann, signed-rank bounds); without them, the mean and t bounds.
    """
    if len(tuned) != len(default) or len(tuned) < 2:
        raise ValueError("compare needs the same seeds for both, at least 2")
    if direction not in ("minimize", "maximize"):
        raise ValueError(f"direction must be minimize or maximize, got {direction!r}")
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5), got {alpha}")
    if (tuned_failed is None) != (default_failed is None):
        raise ValueError("give both tuned_failed and default_failed, or neither")
    if tuned_failed is not None:
        return _two_part(tuned, default, direction, tolerance, alpha, tuned_failed,
                         default_failed, failure_margin)  # fmt: skip
    sign = 1.0 if direction == "minimize" else -1.0  # loss(d) - loss(t), exactly
    diffs = [sign * (d - t) for t, d in zip(tuned, default, strict=True)]
    gap, gap_se = mean_se(diffs)
    t_mean, t_se = mean_se(tuned)
    d_mean, d_se = mean_se(default)
    margin = tolerance * abs(t_mean)
    lower, upper = bounds(gap, gap_se, len(tuned), alpha)
    relative = gap / abs(t_mean) if t_mean else math.copysign(math.inf, gap) if gap else 0.0
    return Comparison(
        tuned=tuple(tuned), default=tuple(default), direction=direction, tolerance=tolerance,
        tuned_mean=t_mean, tuned_se=t_se, default_mean=d_mean, default_se=d_se,
        gap=gap, gap_se=gap_se, margin=margin, relative_gap=relative,
        verdict=decide(lower, upper, margin), lower=lower, upper=upper, alpha=alpha,
        confidence=1 - alpha,
    )  # fmt: skip


def _two_part(tuned, default, direction, tolerance, alpha, tuned_failed, default_failed, m):
    """The hurdle comparison: failures apart, the cost where both learned (module docstring)."""
    from analysis import hurdle

    if not (len(tuned_failed) == len(default_failed) == len(tuned)):
        raise ValueError("tuned_failed and default_failed need one flag per seed")
    if not 0 <= m < 1:
        raise ValueError(f"the failure margin is a rate in [0, 1), got {m}")
    fail = hurdle.failure_part(tuned_failed, default_failed, m, alpha)
    both = [i for i in range(len(tuned)) if not tuned_failed[i] and not default_failed[i]]
    t_kept, d_kept = [float(tuned[i]) for i in both], [float(default[i]) for i in both]
    sign = 1.0 if direction == "minimize" else -1.0
    diffs = [sign * (d - t) for t, d in zip(t_kept, d_kept, strict=True)]
    cost = hurdle.cost_part(diffs, alpha)
    t_mean, t_se = mean_se(t_kept)
    d_mean, d_se = mean_se(d_kept)
    margin = tolerance * abs(t_mean) if t_kept else math.nan
    holds = fail.upper <= m and cost.upper <= margin  # intersection-union: each at alpha
    needs = fail.lower > m or cost.lower > margin  # either part at alpha / 2
    verdict = NEEDS if needs else HOLDS if holds else INCONCLUSIVE
    gap = cost.estimate
    return Comparison(
        tuned=tuple(tuned), default=tuple(default), direction=direction, tolerance=tolerance,
        tuned_mean=t_mean, tuned_se=t_se, default_mean=d_mean, default_se=d_se,
        gap=gap, gap_se=cost.spread / math.sqrt(len(diffs)) if diffs else math.nan,
        margin=margin, relative_gap=_relative(gap, t_mean) if t_kept else math.nan,
        verdict=verdict, lower=cost.lower, upper=cost.upper, alpha=alpha,
        confidence=1 - alpha, estimator="hodges-lehmann", lower_confidence=1 - alpha / 2,
        tuned_failed=fail.tuned_failed, default_failed=fail.default_failed,
        failures=fail, cost=cost,
    )  # fmt: skip


def _cost_seeds_needed(part: CostPart, margin: float, alpha: float) -> int | None:
    """Seeds (where both learn) that would likely decide the cost part: the t rule's count at
    the robust spread, times pi / 3 (the signed-rank test's efficiency on normal data)."""
    side = alpha if part.estimate <= margin else alpha / 2
    k = seeds_to_decide(part.estimate, part.spread, margin, side)
    return None if k is None else max(math.ceil(k * math.pi / 3), part.seeds + 1)


def _two_part_seeds_needed(c: Comparison) -> int | None:
    """The seeds at which an undecided two-part comparison would likely be decided: the first
    part pointing to "needs tuning" to get there, else both parts to reach "holds up"."""
    from analysis import hurdle

    fail, cost, k = c.failures, c.cost, len(c.tuned)
    learn = cost.seeds / k if k else 0.0  # the share of seeds where both learned
    f_needed = hurdle.failure_seeds_needed(fail, c.alpha)
    c_needed = None
    if learn > 0 and math.isfinite(cost.estimate):
        c_needed = _cost_seeds_needed(cost, c.margin, c.alpha)
        c_needed = None if c_needed is None else max(k + 1, math.ceil(c_needed / learn))
    f_done = fail.upper <= fail.margin or fail.lower > fail.margin
    c_done = cost.upper <= c.margin or cost.lower > c.margin
    f_needs = fail.excess > fail.margin
    c_needs = math.isfinite(cost.estimate) and cost.estimate > c.margin
    towards_needs = [n for n, up, done in ((f_needed, f_needs, f_done), (c_needed, c_needs,
                     c_done)) if up and not done]  # fmt: skip
    if towards_needs:
        known = [n for n in towards_needs if n is not None]
        return min(known) if known else None
    parts = [n for n, done in ((f_needed, f_done), (c_needed, c_done)) if not done]
    return None if any(n is None for n in parts) else max(parts, default=k + 1)


def decide(lower: float, upper: float, margin: float) -> str:
    """The verdict from the bounds: HOLDS when upper <= margin, NEEDS when lower > margin."""
    if upper <= margin:
        return HOLDS
    if lower > margin:
        return NEEDS
    return INCONCLUSIVE


def verdict(
    gap: float, gap_se: float, tuned_mean: float, tolerance: float, seeds: int, alpha: float = ALPHA
) -> str:
    """The verdict of a gap with standard error `gap_se` over `seeds` paired seeds."""
    return decide(*bounds(gap, gap_se, seeds, alpha), tolerance * abs(tuned_mean))


def explain(c: Comparison) -> str:
    """One line on why a comparison is what it is (the report's note on an inconclusive one)."""
    if c.failures is not None:
        return _explain_two_part(c)
    k, conf = len(c.tuned), f"{100 * c.confidence:.4g}%"
    where = f"{conf} bounds [{c.lower:.3g}, {c.upper:.3g}], margin {c.margin:.3g}"
    if c.verdict != INCONCLUSIVE:
        return f"{c.verdict} on {k} seeds ({where})"
    return f"inconclusive on {k} seeds: the bounds straddle the margin ({where}); {_more(c)}"


def _more(c: Comparison) -> str:
    if c.seeds_needed is None and c.failures is not None:
        return "no number of seeds is likely to decide it at the observed rates and gap"
    if c.seeds_needed is None:
        return "the gap sits on the margin: no number of seeds is likely to decide it"
    return f"about {c.seeds_needed} seeds would likely decide it at the observed spread"


def _pc(x: float) -> str:
    if math.isnan(x):
        return " n/a"
    return f"{100 * x:+.2f}%" if math.isfinite(x) else ("+inf" if x > 0 else "-inf")


def relative_bounds_words(c: Comparison) -> str:
    """'at most +1.3% worse, at best 0.4% better (97.5%/95%)': the gap's bounds relative to
    tuned, with the confidence of each."""
    lo, hi = c.relative_lower, c.relative_upper
    if math.isnan(lo) or math.isnan(hi):
        return "no seed on which both learned: no bounds"
    worse = f"at most {_pc(hi)} worse" if hi >= 0 else f"better by at least {_pc(-hi)[1:]}"
    better = f"at best {_pc(-lo)[1:]} better" if lo <= 0 else f"at least {_pc(lo)} worse"
    if c.lower_confidence == c.confidence:
        conf = f"{100 * c.confidence:.4g}% each"
    else:
        conf = f"{100 * c.lower_confidence:.4g}%/{100 * c.confidence:.4g}%"
    return f"{worse}, {better} ({conf})"


def _explain_two_part(c: Comparison) -> str:
    f, k = c.failures, len(c.tuned)
    tol = f"{100 * c.tolerance:.3g}%"
    died = (
        f"the default learned nothing on {f.default_failed} of {k} seeds, tuned on {f.tuned_failed}"
    )
    fail_words = (
        f"excess failure rate in [{f.lower:+.2f}, {f.upper:+.2f}] against the margin {f.margin:.2g}"
    )
    cost_words = (
        f"on the {c.cost.seeds} seeds where both learned, {relative_bounds_words(c)} against {tol}"
        if c.cost.seeds
        else "no seed on which both learned"
    )
    if c.verdict == NEEDS and f.lower > f.margin:
        return f"needs tuning: {died} ({fail_words})"
    if c.verdict == NEEDS:
        return f"needs tuning: {cost_words}; {died}"
    if c.verdict == HOLDS:
        return f"holds up: {cost_words}; {died} ({fail_words})"
    if c.cost.seeds:
        spread = _relative(c.cost.spread, c.tuned_mean)
        cost_words += f" (gap {_pc(c.relative_gap)}, spread of the per-seed gaps {_pc(spread)[1:]})"
    return f"inconclusive on {k} seeds: {cost_words}; {died} ({fail_words}); {_more(c)}"


def better_beyond_noise(
    a: Sequence[float], b: Sequence[float], tolerance: float = 0.0, alpha: float = ALPHA
) -> int:
    """Is `a` lower than `b` (paired) by more than the tolerance, with 1 - alpha confidence?

    +1 when the lower bound of mean(b - a) is above tolerance |mean b| (a is lower), -1 when
    the upper bound is below -tolerance |mean b| (a is higher), 0 when neither is shown:
    inconclusive, or within the tolerance (`equivalent` tells those apart).
    """
    lower, upper, margin = _paired(a, b, tolerance, alpha)
    if lower > margin:
        return 1
    if upper < -margin:
        return -1
    return 0


def equivalent(
    a: Sequence[float], b: Sequence[float], tolerance: float, alpha: float = ALPHA
) -> bool | None:
    """Is mean(b - a) within +-tolerance |mean b|, with 1 - alpha confidence (two one-sided
    tests)? True when both bounds lie inside, False when a difference beyond the tolerance is
    shown (`better_beyond_noise` is not 0), None (inconclusive) otherwise."""
    lower, upper, margin = _paired(a, b, tolerance, alpha)
    if -margin <= lower and upper <= margin:
        return True
    if lower > margin or upper < -margin:
        return False
    return None


def _paired(a: Sequence[float], b: Sequence[float], tolerance: float, alpha: float):
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    m, se = mean_se(diffs)
    return (*bounds(m, se, len(diffs), alpha), tolerance * abs(mean_se(b)[0]))


# --- repeated looks: `--seeds auto` -----------------------------------------------------------


def look_alphas(rounds: Sequence[int] = ROUNDS, alpha: float = ALPHA) -> tuple[float, ...]:
    """The level of each look when comparisons may be judged after every round of seeds.

    Alpha spending, fixed before the first look: by the look at k of the cap's K seeds, at most
    alpha (k / K)^SPENDING_RHO has been spent (a power-family spending function, rho 2:
    between Pocock's and O'Brien-Fleming's), and each look is judged at its increment. A wrong
    verdict at some look is a union of the looks' wrong verdicts, so its probability is at
    most the sum of the increments, alpha, however the looks correlate: valid for the exact
    binomial and signed-rank bounds as for t, with no joint distribution to compute. Rounds of
    10, 20, 40 give 0.0031, 0.0094, 0.0375: the last look keeps 3/4 of alpha (Bonferroni over
    4 looks left it 1/4).
    """
    _check_rounds(rounds)
    cap = rounds[-1]
    spent = [alpha * (k / cap) ** SPENDING_RHO for k in rounds]
    return tuple(b - a for a, b in zip([0.0, *spent[:-1]], spent, strict=True))


def look_alpha(rounds: Sequence[int] = ROUNDS, alpha: float = ALPHA, look: int = -1) -> float:
    """The level of one look (the last by default): `look_alphas(rounds, alpha)[look]`."""
    return look_alphas(rounds, alpha)[look]


def next_round(rounds: Sequence[int], seeds_done: int, verdicts: Iterable[str]) -> int | None:
    """How many seeds the next round should reach, or None to stop.

    None when every comparison is decided or `seeds_done` has reached the last round (the cap):
    what is still inconclusive then stays so, with its seeds_needed. A comparison's verdict is
    the one of the first look that decided it: the caller judges only the undecided ones again.
    """
    _check_rounds(rounds)
    if all(v != INCONCLUSIVE for v in verdicts):
        return None
    later = [r for r in rounds if r > seeds_done]
    return later[0] if later else None


def decide_rounds(
    tuned: Sequence[float],
    default: Sequence[float],
    direction: str = "minimize",
    tolerance: float = DEFAULT_TOLERANCE,
    rounds: Sequence[int] = ROUNDS,
    alpha: float = ALPHA,
    *,
    tuned_failed: Sequence[bool] | None = None,
    default_failed: Sequence[bool] | None = None,
    failure_margin: float = FAILURE_MARGIN,
) -> Comparison:
    """The sequential comparison of seeds given in order: judged on the first rounds[0] seeds,
    then on the first rounds[1], ... each at its `look_alphas` level, until decided or out of
    rounds (or of seeds); the comparison of the look that stopped it."""
    levels = look_alphas(rounds, alpha)
    n = min(len(tuned), len(default))
    for i, k in enumerate(rounds):
        flags = {}
        if tuned_failed is not None:
            flags = {"tuned_failed": tuned_failed[:k], "default_failed": default_failed[:k],
                     "failure_margin": failure_margin}  # fmt: skip
        cmp = compare(tuned[:k], default[:k], direction, tolerance, alpha=levels[i], **flags)
        later = next_round(rounds, k, [cmp.verdict])
        if later is None or later > n:
            return cmp
    return cmp


def _check_rounds(rounds: Sequence[int]) -> None:
    if not rounds or rounds[0] < 2 or any(b <= a for a, b in pairwise(rounds)):
        raise ValueError(f"rounds must increase from at least 2 seeds, got {list(rounds)}")


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


def noise(step_cost: Sequence[float], trend: Sequence[float], skip: float = 0.1):
    """How much the mini-batch cost oscillates around its trend: the standard deviation of
    (c_t - v_t) / v_t, v the trend (the bias-corrected EWA of the per-step cost c, computed by
    core.optimizers.ewa), after the first `skip` fraction of the steps. None below 10 steps.

    Relative to the trend, so a curve that falls from 0.7 to 0.05 is judged at every level.
    """
    c = [float(x) for x in step_cost]
    if len(c) < 10:
        return None
    v = [float(x) for x in trend]
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
