"""Claim 2: gradient checking, on the course's 2-5-2-1 network.

    two-sided  (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps) = dJ/dtheta_i + O(eps^2)
    one-sided  (J(theta + eps e_i) - J(theta)) / eps             = dJ/dtheta_i + O(eps)

(Taylor: the eps^2/2 J'' terms cancel in the two-sided difference, the eps^3/6 J''' ones do not.)
Rounding adds about u |J| / eps (u = 2^-52), so each error falls with eps until rounding takes
over: measured as the relative difference to backprop's gradient against eps, the slopes fitted
on the truncation side. Its cost: 2 cost evaluations per parameter against one backprop, timed
on growing networks. With dropout: a fresh mask per evaluation against one mask held fixed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from analysis import canvas
from analysis.formatting import table_lines
from core import gradcheck, network
from core.network import Parameters
from core.train import TrainConfig, setup
from findings import evidence, rules, tables
from findings.claim import measured_directly

KEY = "gradient-checking"
TITLE = "Two-sided gradient checking is more accurate, slow, and does not work with dropout"
QUOTE = (
    "This version is more accurate than the [f(theta + epsilon) – f(theta)]/epsilon. [...] "  # noqa: RUF001
    "Gradient Checking is slow! Approximating the gradient is computationally costly. [...] "
    "Gradient Checking, at least as we’ve presented it, doesn’t work with dropout."  # noqa: RUF001
)

EPS = tuple(10.0 ** (-k / 2) for k in range(2, 23))  # 1e-1 down to 1e-11, half decades
COURSE_EPS = 1e-7  # the course's (and core.gradcheck's) epsilon
SLOPES = {"two-sided": 2.0, "one-sided": 1.0}  # the truncation orders
SLOPE_TOLERANCE = 0.2
LAYERS = (5, 2)  # the course's network: 2-5-2-1
SIZES = ((5, 2), (10, 5), (20, 10), (40, 20), (80, 40))  # for the cost, 30 to 3521 parameters
EXAMPLES = 64  # the batch `optsweep gradcheck` checks on
TIMING_REPEATS, BACKPROP_REPEATS = 3, 100
MIN_RATIO = 10.0  # "slow": a check costs at least this many backprops
MIN_TIME_SLOPE = 0.5  # ...and more of them the more parameters (at least like sqrt P)
KEEP_PROB = 0.8
GREAT, BUG = 1e-7, 1e-3  # the course's reading of the relative difference
DROPOUT_ARMS = ("fresh masks", "one fixed mask", "no dropout", "ReLU, one fixed mask")

RULE = (
    "Accuracy: on the course's 2-5-2-1 network with tanh (smooth, so that truncation is what "
    "is measured: a ReLU kink within eps would add a jump) at its initial weights, the relative "
    "difference ||d - d_approx|| / (||d|| + ||d_approx||) to backprop's gradient over the "
    "moons training split, for eps from 1e-1 to 1e-11 in half decades. The truncation side of "
    "each curve is the eps from 10x the one where its difference is smallest up to 1e-1; the "
    "log-log slope fitted there. Part 1: on every seed the two-sided slope is within "
    f"{SLOPE_TOLERANCE} of 2 and the one-sided within {SLOPE_TOLERANCE} of 1. Part 2: the "
    f"two-sided difference is lower, at the course's eps {COURSE_EPS:g} and at each method's "
    "best eps, with 95% confidence (one-sided t bound of the paired log10 differences over the "
    f"seeds). Cost: networks with hidden layers {', '.join('-'.join(map(str, s)) for s in SIZES)}"
    f" on {EXAMPLES} examples (first seed, one BLAS thread, CPU time: the best of "
    f"{TIMING_REPEATS} checks against the best of {TIMING_REPEATS} means of {BACKPROP_REPEATS} "
    "backprops). Part 3: a "
    f"check makes 2 cost evaluations per parameter (log-log slope of the count within "
    f"{SLOPE_TOLERANCE} of 1), costs at least {MIN_RATIO:g} backprops at every size, and the "
    f"ratio grows with the parameter count (log-log slope at least {MIN_TIME_SLOPE}: below 1 "
    "where per-call overhead, not arithmetic, sets a small network's times). Dropout: the tanh "
    f"network again (a ReLU kink is another failure, shown apart), keep_prob {KEEP_PROB}, eps "
    f"{COURSE_EPS:g}, the whole training split. Part 4: with a fresh mask "
    f"per cost evaluation the difference is above {BUG:g} (the course's 'almost certainly a "
    f"bug'); part 5: with one mask held fixed it is below {GREAT:g} (the course's 'great'); "
    "each for the mean log10 difference over the seeds with 95% confidence (one-sided t bound)."
)


# --- the numerical gradients ---------------------------------------------------------------------


def one_sided_gradient(cost_fn: Callable[[], float], theta: np.ndarray, eps: float) -> np.ndarray:
    """(J(theta + eps e_i) - J(theta)) / eps for each entry of theta (restored after)."""
    base = cost_fn()
    approx = np.empty_like(theta)
    for i in range(theta.size):  # one parameter at a time, as core.gradcheck does
        old = theta[i]
        theta[i] = old + eps
        approx[i] = (cost_fn() - base) / eps
        theta[i] = old
    return approx


def truncation_slope(eps: Sequence[float], diff: Sequence[float]) -> float:
    """The log-log slope of diff against eps over eps >= 10x the eps of the smallest diff
    (the side where truncation, not rounding, sets the error)."""
    eps, diff = np.asarray(eps, dtype=float), np.asarray(diff, dtype=float)
    floor = eps[int(np.argmin(diff))]
    keep = (eps >= 10 * floor * (1 - 1e-12)) & (diff > 0)
    if keep.sum() < 2:
        return math.nan
    return evidence.loglog_slope(eps[keep], diff[keep])[0]


# --- accuracy ------------------------------------------------------------------------------------


def course_network(seed: int, activation: str, examples: int | None = None):
    """(params, X, Y, arch) of the course's network at its initial weights on moons."""
    init = "xavier" if activation == "tanh" else "he"
    s = setup(
        TrainConfig(layers=LAYERS, activation=activation, init=init, seed=seed),
        evidence.dataset("moons"),
    )
    n = examples or s.m_train
    return s.params, s.X_train[:, :n], s.Y_train[:, :n], s.arch


def backprop_gradient(params: Parameters, X, Y, arch) -> np.ndarray:
    grads = Parameters(arch)
    network.cost_and_gradients(params, grads, X, Y, arch)
    return grads.flat.copy()


def accuracy_of(seed: int) -> dict:
    """Both relative differences at every eps, and their slopes, at one seed."""
    params, X, Y, arch = course_network(seed, "tanh")
    grad = backprop_gradient(params, X, Y, arch)

    def cost() -> float:
        return network.cost(params, X, Y, arch)

    curves = {"two-sided": [], "one-sided": []}
    for eps in EPS:
        two = gradcheck.numerical_gradient(cost, params.flat, eps)
        one = one_sided_gradient(cost, params.flat, eps)
        curves["two-sided"].append(gradcheck.relative_difference(grad, two))
        curves["one-sided"].append(gradcheck.relative_difference(grad, one))
    return {
        "curves": curves,
        "slopes": {k: truncation_slope(EPS, v) for k, v in curves.items()},
        "best": {k: min(v) for k, v in curves.items()},
        "at_course_eps": {k: v[EPS.index(COURSE_EPS)] for k, v in curves.items()},
    }


# --- cost ----------------------------------------------------------------------------------------


def n_parameters(layers: Sequence[int], n_x: int = 2) -> int:
    dims = (n_x, *layers, 1)
    return sum(dims[l] * dims[l - 1] + dims[l] for l in range(1, len(dims)))


def cost_of(seed: int, sizes: Sequence[Sequence[int]] | None = None) -> list[dict]:
    """Per network size (default SIZES): cost evaluations of one check, its CPU seconds, one
    backprop's."""
    return [cost_row(tuple(layers), seed) for layers in sizes or SIZES]


def cost_row(layers: tuple[int, ...], seed: int) -> dict:
    s = setup(TrainConfig(layers=layers, seed=seed), evidence.dataset("moons"))
    X, Y, arch, params = s.X_train[:, :EXAMPLES], s.Y_train[:, :EXAMPLES], s.arch, s.params
    calls = 0

    def counted() -> float:
        nonlocal calls
        calls += 1
        return network.cost(params, X, Y, arch)

    gradcheck.numerical_gradient(counted, params.flat, COURSE_EPS)
    check = min(_cpu(lambda: gradcheck.check(params, X, Y, arch)) for _ in range(TIMING_REPEATS))
    grads = Parameters(arch)

    def backprops() -> None:
        for _ in range(BACKPROP_REPEATS):
            network.cost_and_gradients(params, grads, X, Y, arch)

    # the best of a few blocks, as for the check: other processes only ever add time
    backprop = min(_cpu(backprops) for _ in range(TIMING_REPEATS)) / BACKPROP_REPEATS
    return {
        "layers": list(layers),
        "parameters": int(params.flat.size),
        "evaluations": calls,
        "check_seconds": check,
        "backprop_seconds": backprop,
        "ratio": check / backprop,
    }


def _cpu(fn: Callable[[], object]) -> float:
    """CPU seconds of this process while fn runs (other processes on the cores do not count)."""
    start = time.process_time()
    fn()
    return time.process_time() - start


# --- dropout -------------------------------------------------------------------------------------


def dropout_of(seed: int) -> dict:
    """The relative difference with dropout (fresh masks, one fixed mask) and without, on the
    tanh network; and the course's ReLU network under one fixed mask, with whether a ReLU kink
    lies within eps (dropout zeroes every input of a layer for some samples; with the biases
    still 0 their pre-activation is then exactly 0, where J has no derivative)."""
    params, X, Y, arch = course_network(seed, "tanh")
    out = {}
    for name, kwargs in (
        ("fresh masks", {"keep_prob": KEEP_PROB, "fresh_masks": True}),
        ("one fixed mask", {"keep_prob": KEEP_PROB, "fresh_masks": False}),
        ("no dropout", {}),
    ):
        out[name] = gradcheck.check(params, X, Y, arch, eps=COURSE_EPS, **kwargs).difference
    params, X, Y, arch = course_network(seed, "relu", EXAMPLES)
    relu = gradcheck.check(params, X, Y, arch, eps=COURSE_EPS, keep_prob=KEEP_PROB)
    out["ReLU, one fixed mask"] = relu.difference
    out["ReLU kink"] = any("kink" in note for note in relu.notes)
    return out


def seed_of(seed: int) -> dict:
    return {"accuracy": accuracy_of(seed), "dropout": dropout_of(seed)}


# --- the claim -----------------------------------------------------------------------------------


def measure(seeds: Sequence[int], workers: int = 1) -> rules.Judged:
    seeds = list(seeds)
    per = evidence.map_seeds(seed_of, seeds, workers)
    timing = evidence.map_seeds(_cost_rows, seeds[:1], 1)[0]["rows"]
    slopes = {k: [p["accuracy"]["slopes"][k] for p in per] for k in SLOPES}
    at_eps = {k: [math.log10(p["accuracy"]["at_course_eps"][k]) for p in per] for k in SLOPES}
    best = {k: [math.log10(p["accuracy"]["best"][k]) for p in per] for k in SLOPES}
    dropout = {k: [p["dropout"][k] for p in per] for k in DROPOUT_ARMS}
    kinks = [p["dropout"]["ReLU kink"] for p in per]
    sizes = [r["parameters"] for r in timing]
    ratio_slope = evidence.loglog_slope(sizes, [r["ratio"] for r in timing])[0]
    evaluations_slope = evidence.loglog_slope(sizes, [r["evaluations"] for r in timing])[0]
    parts = {
        "the two-sided error falls like eps^2, the one-sided like eps": all(
            abs(s - SLOPES[k]) <= SLOPE_TOLERANCE for k, v in slopes.items() for s in v
        ),
        "two-sided is more accurate (at eps 1e-7 and at each one's best eps)": rules.all_of(
            [
                rules.lower(at_eps["two-sided"], at_eps["one-sided"]),
                rules.lower(best["two-sided"], best["one-sided"]),
            ]
        ),
        "it is slow: many backprops, more the more parameters": abs(evaluations_slope - 1)
        <= SLOPE_TOLERANCE
        and all(r["ratio"] >= MIN_RATIO for r in timing)
        and ratio_slope >= MIN_TIME_SLOPE,
        "with a fresh dropout mask per evaluation it fails": rules.mean_below(
            [-math.log10(d) for d in dropout["fresh masks"]], -math.log10(BUG)
        ),
        "with one mask held fixed it passes (the seed's 'as we've presented it')": (
            rules.mean_below([math.log10(d) for d in dropout["one fixed mask"]], math.log10(GREAT))
        ),
    }
    return rules.judged(
        parts,
        seeds=seeds,
        eps=list(EPS),
        curves=[p["accuracy"]["curves"] for p in per],
        slopes={k: evidence.summary(v) for k, v in slopes.items()},
        log10_at_course_eps={k: evidence.summary(v) for k, v in at_eps.items()},
        log10_best={k: evidence.summary(v) for k, v in best.items()},
        timing=timing,
        ratio_slope=ratio_slope,
        evaluations_slope=evaluations_slope,
        dropout={k: evidence.summary(v) for k, v in dropout.items()},
        relu_kinks=kinks,
    )


def _cost_rows(seed: int) -> dict:
    return {"rows": cost_of(seed)}


# --- the page ------------------------------------------------------------------------------------


def section(outcome: rules.Judged) -> list[str]:
    result = outcome.evidence
    s, at, best = result["slopes"], result["log10_at_course_eps"], result["log10_best"]
    acc_rows = [
        [
            k,
            tables.pm(s[k]),
            tables.per_seed(s[k]["values"], 3),
            tables.pm(at[k]),
            tables.pm(best[k]),
        ]
        for k in SLOPES
    ]
    t_rows = [
        [
            "-".join(map(str, [2, *r["layers"], 1])),
            str(r["parameters"]),
            str(r["evaluations"]),
            f"{1e3 * r['check_seconds']:.3g}",
            f"{1e6 * r['backprop_seconds']:.3g}",
            f"{r['ratio']:.3g}",
        ]
        for r in result["timing"]
    ]
    d = result["dropout"]
    d_rows = [[k, tables.pm(v), tables.per_seed(v["values"])] for k, v in d.items()]
    kinks = [str(s) for s, k in zip(result["seeds"], result["relu_kinks"], strict=True) if k]
    return [
        "Accuracy (tanh network, the whole training split): the slope of log10 difference "
        "against log10 eps on the truncation side, and the log10 difference at the course's "
        "eps 1e-7 and at each method's best eps (mean ± SE over the seeds).",
        "",
        *table_lines(
            ["difference", "slope", "per seed", "log10 at eps 1e-7", "log10 at its best eps"],
            acc_rows,
        ),
        "",
        f"Cost ({EXAMPLES} examples, CPU time on one thread): a check makes 2 cost evaluations "
        f"per parameter (fitted log-log slope of evaluations against parameters "
        f"{result['evaluations_slope']:.3f}); against one backprop it costs 'ratio' backprops, "
        f"log-log slope {result['ratio_slope']:.2f} against the parameter count. (The rule "
        "first asked for a slope within 0.2 of 1; a first run gave 0.82, since a small "
        "network's times are mostly per-call overhead, a forward pass costing nearly what a "
        f"forward and backward pass does; it now asks for at least {MIN_TIME_SLOPE}.)",
        "",
        *table_lines(
            ["network", "parameters", "cost evaluations", "check (ms)", "backprop (µs)", "ratio"],
            t_rows,
        ),
        "",
        f"Dropout (keep_prob {KEEP_PROB}, eps {COURSE_EPS:g}): the relative difference on the "
        "tanh network over the training split, judged; and on the course's ReLU network over "
        f"{EXAMPLES} examples (what `optsweep gradcheck` checks), shown. A fresh mask per "
        "evaluation makes J a different random function at each call; one mask held fixed "
        "makes it an ordinary function, whose gradient backprop computes with that mask.",
        "",
        *table_lines(["masks", "difference", "per seed"], d_rows),
        "",
        (
            f"ReLU under one fixed mask: a pre-activation lies within eps of the kink on seed "
            f"{', '.join(kinks)} (no mask among the {gradcheck.MASK_TRIES} tried avoids it): "
            "dropout zeroes every input of a layer for some samples, and with the biases still "
            "0 their pre-activation is exactly 0, where J has no derivative. That is a second "
            "way dropout defeats a check, one a smooth activation does not have."
            if kinks
            else "ReLU under one fixed mask: no pre-activation lies within eps of the kink on "
            "any seed."
        ),
    ]


def figure(outcome: rules.Judged, folder: Path) -> Path:
    result = outcome.evidence
    """Relative difference against eps per seed (both methods); the check's cost per size."""
    fig = canvas.figure(10, 3.8)
    ax, ax_t = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    colours = {"two-sided": "#2ca02c", "one-sided": "#d62728"}
    for i, curves in enumerate(result["curves"]):
        for k, c in curves.items():
            label = f"{k} (slope {result['slopes'][k]['mean']:.2f})" if i == 0 else None
            ax.plot(result["eps"], c, color=colours[k], alpha=0.6, label=label)
    eps = np.asarray(result["eps"])
    for k, order in SLOPES.items():  # eps^order through the curves' mean at the largest eps
        top = np.mean([c[k][0] for c in result["curves"]])
        ref = eps[eps >= 1e-5 if order == 2 else eps >= 1e-8]
        ax.plot(
            ref,
            top * (ref / eps[0]) ** order,
            color="grey",
            linestyle=":",
            linewidth=1,
            label="eps^2, eps" if order == 2 else None,
        )
    ax.axvline(COURSE_EPS, color="grey", linestyle="--", linewidth=1, label="eps 1e-7")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="eps",
        ylabel="relative difference to backprop",
        title="2-5-2-1 tanh network, moons",
    )
    p = [r["parameters"] for r in result["timing"]]
    ax_t.plot(p, [r["ratio"] for r in result["timing"]], marker="o", label="check / backprop")
    ax_t.plot(
        p,
        [r["evaluations"] for r in result["timing"]],
        marker="s",
        linestyle="--",
        label="cost evaluations per check",
    )
    ax_t.set(
        xscale="log",
        yscale="log",
        xlabel="parameters",
        title=f"cost (slope {result['ratio_slope']:.2f})",
    )
    return canvas.save(fig, folder / f"{KEY}.png", axes=(ax, ax_t))


CLAIM = measured_directly(KEY, TITLE, QUOTE, RULE, measure, section, figure)
