"""Which robust estimator for the cost part of the two-part comparison (issue 21)?

Simulates paired differences d on k seeds (tuned mean 0.10, tolerance 1%: margin 0.001) and
measures, for three one-sided bounds, how often each verdict comes out:
  t     the mean with Student's t bounds (the rule before the two-part comparison),
  yuen  the 20%-trimmed mean with Yuen's winsorized-variance t bounds,
  hl    the Hodges-Lehmann estimate with exact signed-rank bounds (analysis.hurdle).
"holds up" when the upper bound at 1 - alpha is <= margin, "needs tuning" when the lower bound
at 1 - alpha/2 is > margin (as in statistics.compare's two-part rule). Half-dead seeds: with
probability `half` a seed has one arm (either, equally likely) stuck at a cost 0.05-0.2 above
the rest, so |d| is that large there.

    .venv/bin/python bench/estimator_calibration.py
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from analysis import hurdle

MU, MARGIN, ALPHA, REPS = 0.10, 0.001, 0.05, 4000


def draws(k, gap, sd, half, seed):
    rng = np.random.default_rng(seed)
    d = gap + sd * rng.standard_normal((REPS, k))
    hit = rng.random((REPS, k)) < half
    jump = rng.uniform(0.05, 0.2, (REPS, k)) * rng.choice([-1, 1], (REPS, k))
    return np.where(hit, d + jump, d)


def t_bounds(d):
    k = d.shape[1]
    m, se = d.mean(1), d.std(1, ddof=1) / math.sqrt(k)
    return m - stats.t.ppf(1 - ALPHA / 2, k - 1) * se, m + stats.t.ppf(1 - ALPHA, k - 1) * se


def yuen_bounds(d, trim=0.2):
    k = d.shape[1]
    g = math.floor(trim * k)
    s = np.sort(d, 1)
    tm = s[:, g : k - g].mean(1)
    w = np.clip(s, s[:, [g]], s[:, [k - g - 1]])
    h = k - 2 * g
    se = w.std(1, ddof=1) / ((1 - 2 * trim) * math.sqrt(k))
    return tm - stats.t.ppf(1 - ALPHA / 2, h - 1) * se, tm + stats.t.ppf(1 - ALPHA, h - 1) * se


def hl_bounds(d):
    k = d.shape[1]
    i, j = np.triu_indices(k)
    w = np.sort((d[:, i] + d[:, j]) / 2, 1)
    lo_c = hurdle.signed_rank_critical(k, ALPHA / 2)
    hi_c = hurdle.signed_rank_critical(k, ALPHA)
    n = w.shape[1]
    return w[:, lo_c], w[:, n - 1 - hi_c]


def rates(lo, hi):
    return (hi <= MARGIN).mean(), (lo > MARGIN).mean()


CELLS = [  # (what, k, true gap, sd, half-dead share)
    ("false holds, gap at margin", 10, MARGIN, 0.002, 0.0),
    ("false holds, gap at margin", 40, MARGIN, 0.002, 0.0),
    ("false holds, gap at margin, 5% half-dead", 40, MARGIN, 0.002, 0.05),
    ("false needs, gap at margin", 40, MARGIN, 0.002, 0.0),
    ("holds, equal, sd 0.0005", 40, 0.0, 0.0005, 0.0),
    ("holds, equal, sd 0.0005, 3% half-dead", 40, 0.0, 0.0005, 0.03),
    ("holds, equal, sd 0.0005, 10% half-dead", 40, 0.0, 0.0005, 0.10),
    ("needs, 3% worse, sd 0.002", 40, 0.003, 0.002, 0.0),
    ("needs, 3% worse, sd 0.002, 3% half-dead", 40, 0.003, 0.002, 0.03),
    ("needs, 3% worse, sd 0.002, 10% half-dead", 40, 0.003, 0.002, 0.10),
    ("holds, equal, sd 0.002", 20, 0.0, 0.002, 0.0),
    ("needs, 3% worse, sd 0.002", 20, 0.003, 0.002, 0.0),
]

if __name__ == "__main__":
    print(f"{'cell':45s} {'k':>3s}  {'t':>13s} {'yuen':>13s} {'hl':>13s}   (holds, needs)")
    for n, (what, k, gap, sd, half) in enumerate(CELLS):
        d = draws(k, gap, sd, half, n)
        out = [rates(*f(d)) for f in (t_bounds, yuen_bounds, hl_bounds)]
        print(f"{what:45s} {k:3d}  " + " ".join(f"{h:.3f}/{x:.3f}" for h, x in out))
