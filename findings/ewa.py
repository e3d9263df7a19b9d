"""Claim 3: exponentially weighted averages, their bias correction, and Adam without it.

    v[t] = beta v[t-1] + (1 - beta) theta[t],  v[0] = 0
         = (1 - beta) sum_k beta^k theta[t-k]             (weights fall by beta per step)
    bias correction: v[t] / (1 - beta^t)                  (the weights then sum to 1)

The latest N values hold 1 - beta^N of the weight, so 1/(1 - beta) of them hold about
1 - 1/e = 63% (beta^(1/(1-beta)) -> 1/e): the course's "average over 1/(1 - beta) days" in
that sense. Measured from core's `ewa` itself: its response to an impulse (the weights), to a
step (the lag) and to noisy data at a known level (the start, with and without correction);
then Adam with and without bias correction on the course's setting.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from analysis import canvas, statistics
from analysis.formatting import table_lines
from core import defaults
from core.optimizers import ewa
from core.train import TrainConfig, train
from findings import evidence, rules, tables
from findings.claim import measured_directly

KEY = "ewa"
TITLE = "An EWA averages about 1/(1-beta) values; bias correction fixes its start"
QUOTE = (
    "it is a way to approximate the average over the data in the last 1/(1-beta) days. [...] "
    "If we use the original equation above, the average at the very beginning could be off "
    "(smaller) a lot to the real average. One way to do it is to divide the average by "
    "1 – beta^t to compensate the offset at the beginning of the averaging line. [...] In "  # noqa: RUF001
    "practice, people often don’t bother to do bias correction. They would rather just wait "  # noqa: RUF001
    "for the initial period to pass. However, if you are concerned about the average at the "
    "beginning, bias correction is the way to go."
)

BETAS = (0.5, 0.9, 0.98, 0.999)
WINDOW_TOLERANCE = 0.10  # N_63 within 10% of 1/(1 - beta)
MASS = 1 - 1 / math.e
LEVEL, SPREAD = 10.0, 3.0  # a noisy "temperature" at a known level
START_BETAS = (0.9, 0.98)
SETTLED = 5  # after 5/(1 - beta) values, beta^t < e^-5: the start is over
AGREE = 0.01  # corrected and raw agree within 1% then
EPOCHS = 4000  # the other findings' course setting at alpha 0.0007 (16000 steps)
TOLERANCE = 0.01  # "ends as well": final validation costs within 1%

RULE = (
    f"Window: the impulse and step responses of core's EWA for beta {', '.join(map(str, BETAS))}."
    " N_63 is the number of latest values holding 1 - 1/e of the weight (the steps a step "
    f"change needs to reach 63% of its size). Part 1: N_63 within {WINDOW_TOLERANCE:.0%} of "
    f"1/(1 - beta) for every beta. Start: noisy data at a known level ({LEVEL:g} + N(0, "
    f"{SPREAD:g}^2)), one series per seed; the mean absolute error of the first 1/(1 - beta) "
    f"averages, with and without bias correction, for beta {' and '.join(map(str, START_BETAS))}."
    " Part 2: with correction it is lower, paired over the seeds with 95% confidence (one-sided "
    f"t bound). Part 3: after {SETTLED}/(1 - beta) values the two differ by less than "
    f"{AGREE:.0%} (the initial period passes). Adam on the course's setting (moons, 2-5-2-1, "
    f"alpha {defaults.COURSE_ALPHA:g}, batch {defaults.BATCH_SIZE}, {EPOCHS} epochs, default "
    "betas), with and without bias correction on the same seeds (a seed on which both learned "
    "nothing, ending at the cost of guessing, is left out). Part 4: the final validation "
    f"costs are equivalent within {TOLERANCE:.0%} of the corrected mean (both one-sided 95% "
    "bounds of the paired differences inside). Part 5: bias correction helps the initial "
    "period: the mean validation cost over the first 1/(1 - beta2) = 1000 steps' epochs is "
    "lower with it, with 95% confidence (paired)."
)


# --- the window ----------------------------------------------------------------------------------


def weights(beta: float, n: int) -> np.ndarray:
    """w[k]: the weight of the value k steps back, read off the EWA of an impulse."""
    impulse = np.zeros(n)
    impulse[0] = 1.0
    return ewa(impulse, beta, bias_correction=False)


def steps_to(cumulative: np.ndarray, fraction: float) -> int:
    """The smallest N whose latest N values hold `fraction` of the weight."""
    return int(np.searchsorted(cumulative, fraction * (1 - 1e-12)) + 1)


def window(beta: float) -> dict:
    """N_50, N_63, N_90, N_95, the step response's 63% lag and the mean age of the weights."""
    n = int(40 / (1 - beta)) + 10  # beta^n < e^-40: the weights beyond are nothing
    w = weights(beta, n)
    cum = np.cumsum(w)
    step = ewa(np.ones(n), beta, bias_correction=False)  # from 0 to 1 at t = 1
    return {
        "beta": beta,
        "nominal": 1 / (1 - beta),
        "n50": steps_to(cum, 0.5),
        "n63": steps_to(cum, MASS),
        "n90": steps_to(cum, 0.9),
        "n95": steps_to(cum, 0.95),
        "step_lag63": int(np.argmax(step >= MASS * (1 - 1e-12)) + 1),
        "mean_age": float(np.sum(np.arange(n) * w) / np.sum(w)),  # the lag behind a ramp
        "mass_of_nominal": float(cum[round(1 / (1 - beta)) - 1]),
    }


# --- the start -----------------------------------------------------------------------------------


def start_errors(seed: int) -> dict:
    """Per beta: the mean |v_t - level| of the first 1/(1 - beta) averages with and without
    bias correction, and their largest relative gap after SETTLED/(1 - beta) values."""
    rng = np.random.default_rng([seed, 3])
    out = {}
    for beta in START_BETAS:
        k = round(1 / (1 - beta))
        x = LEVEL + SPREAD * rng.standard_normal(SETTLED * 3 * k)
        corrected, raw = ewa(x, beta), ewa(x, beta, bias_correction=False)
        late = slice(SETTLED * k, None)
        out[str(beta)] = {
            "with": float(np.mean(np.abs(corrected[:k] - LEVEL))),
            "without": float(np.mean(np.abs(raw[:k] - LEVEL))),
            "late_gap": float(np.max(np.abs(corrected[late] - raw[late]) / corrected[late])),
        }
    return out


# --- Adam ----------------------------------------------------------------------------------------


def adam_of(seed: int) -> dict:
    """Adam's validation cost per epoch on the course's setting, with and without correction."""
    data = evidence.dataset("moons")
    out = {}
    for name, flag in (("with", True), ("without", False)):
        config = TrainConfig(optimizer="adam", epochs=EPOCHS, seed=seed, bias_correction=flag)
        r = train(config, data)
        out[name] = {
            "val_cost": r.history["val_cost"].tolist(),
            "n_batches": r.n_batches,
            "status": r.status,
            "dead": evidence.at_constant_guess(r.final["train_cost"], data.y),
        }
    return out


def step_multiplier(t: int, beta1: float = defaults.BETA1, beta2: float = defaults.BETA2) -> float:
    """How much larger Adam's step is without bias correction at step t (eps aside):
    m / sqrt(v) = (1 - beta1^t) / sqrt(1 - beta2^t) * m_hat / sqrt(v_hat)."""
    return (1 - beta1**t) / math.sqrt(1 - beta2**t)


def seed_of(seed: int) -> dict:
    return {"start": start_errors(seed), "adam": adam_of(seed)}


# --- the claim -----------------------------------------------------------------------------------


def measure(seeds: Sequence[int], workers: int = 1) -> rules.Judged:
    seeds = list(seeds)
    windows = [window(b) for b in BETAS]
    per = evidence.map_seeds(seed_of, seeds, workers)
    start = {
        b: {k: [p["start"][b][k] for p in per] for k in ("with", "without", "late_gap")}
        for b in map(str, START_BETAS)
    }
    left_out = [
        s for s, p in zip(seeds, per, strict=True) if all(a["dead"] for a in p["adam"].values())
    ]
    alive = [p for s, p in zip(seeds, per, strict=True) if s not in left_out]
    n_batches = per[0]["adam"]["with"]["n_batches"]
    early = min(EPOCHS, math.ceil(1 / (1 - defaults.BETA2) / n_batches))  # the first 1000 steps
    adam = {
        name: {
            "final": [p["adam"][name]["val_cost"][-1] for p in alive],
            "early": [float(np.mean(p["adam"][name]["val_cost"][:early])) for p in alive],
            "curve": np.mean([p["adam"][name]["val_cost"] for p in alive], axis=0).tolist(),
            "status": [p["adam"][name]["status"] for p in alive],
        }
        for name in ("with", "without")
    }
    parts = {
        "the latest 1/(1-beta) values hold 1-1/e of the weight": all(
            abs(w["n63"] / w["nominal"] - 1) <= WINDOW_TOLERANCE for w in windows
        ),
        "bias correction fixes the start": rules.all_of(
            rules.lower(s["with"], s["without"]) for s in start.values()
        ),
        "the initial period passes (within 1% after 5/(1-beta) values)": all(
            g < AGREE for s in start.values() for g in s["late_gap"]
        ),
        "Adam without bias correction ends as well": statistics.equivalent(
            adam["without"]["final"], adam["with"]["final"], TOLERANCE
        ),
        "bias correction helps Adam's initial period": rules.lower(
            adam["with"]["early"], adam["without"]["early"]
        ),
    }
    return rules.judged(
        parts,
        seeds=seeds,
        windows=windows,
        start={b: {k: evidence.summary(v) for k, v in s.items()} for b, s in start.items()},
        adam={
            name: {
                "final": evidence.summary(a["final"]),
                "early": evidence.summary(a["early"]),
                "curve": a["curve"],
                "status": a["status"],
            }
            for name, a in adam.items()
        },
        adam_difference={
            k: evidence.summary(
                [x - y for x, y in zip(adam["without"][k], adam["with"][k], strict=True)]
            )
            for k in ("final", "early")
        },
        early_epochs=early,
        left_out=left_out,
        n_batches=n_batches,
        multipliers={t: step_multiplier(t) for t in (1, 10, 30, 100, 300, 1000, 3000, 8000)},
    )


# --- the page ------------------------------------------------------------------------------------


def section(outcome: rules.Judged) -> list[str]:
    result = outcome.evidence
    w_rows = [
        [
            f"{w['beta']:g}",
            f"{w['nominal']:.4g}",
            str(w["n63"]),
            str(w["step_lag63"]),
            f"{w['n50']} / {w['n90']} / {w['n95']}",
            f"{w['mean_age']:.4g}",
            f"{w['mass_of_nominal']:.1%}",
        ]
        for w in result["windows"]
    ]
    s_rows = [
        [
            b,
            str(round(1 / (1 - float(b)))),
            tables.pm(s["without"]),
            tables.pm(s["with"]),
            tables.per_seed(s["without"]["values"]) + " / " + tables.per_seed(s["with"]["values"]),
            f"{max(s['late_gap']['values']):.2g}",
        ]
        for b, s in result["start"].items()
    ]
    a, d = result["adam"], result["adam_difference"]
    a_rows = [
        [
            f"final (epoch {EPOCHS})",
            tables.pm(a["with"]["final"], 4),
            tables.pm(a["without"]["final"], 4),
            tables.pm(d["final"], 2),
            tables.per_seed(d["final"]["values"]),
        ],
        [
            f"mean over epochs 1-{result['early_epochs']} (the first 1000 steps)",
            tables.pm(a["with"]["early"], 4),
            tables.pm(a["without"]["early"], 4),
            tables.pm(d["early"], 2),
            tables.per_seed(d["early"]["values"]),
        ],
    ]
    mult = ", ".join(f"t={t}: {m:.2f}" for t, m in result["multipliers"].items())
    return [
        "Window: N_63 (and N_50 / N_90 / N_95) is the number of latest values holding that "
        "share of the weight, measured from core's EWA of an impulse; the 63% lag is the steps "
        "after a step change until the EWA has covered 63% of it; the mean age of the weights "
        "is how far the EWA trails a steady trend. 'Weight of the last 1/(1-beta)' is the share "
        "that a flat average over 1/(1-beta) values would give entirely (100%) to them.",
        "",
        *table_lines(
            [
                "beta",
                "1/(1-beta)",
                "N_63",
                "63% lag of a step",
                "N_50 / N_90 / N_95",
                "mean age (ramp lag)",
                "weight of the last 1/(1-beta)",
            ],
            w_rows,
        ),
        "",
        f"Start: mean |v_t - {LEVEL:g}| over the first 1/(1-beta) averages of {LEVEL:g} + "
        f"N(0, {SPREAD:g}^2) data (mean ± SE over the seeds); the last column is the largest "
        f"relative gap between corrected and raw after {SETTLED}/(1-beta) values.",
        "",
        *table_lines(
            [
                "beta",
                "first values",
                "error without correction",
                "with",
                "per seed (without / with)",
                "gap later",
            ],
            s_rows,
        ),
        "",
        f"Adam on the course's setting (moons, 2-5-2-1, alpha {defaults.COURSE_ALPHA:g}, "
        f"batch {defaults.BATCH_SIZE}: {result['n_batches']} steps an epoch), validation cost; "
        "difference = without - with, per seed."
        + (
            f" Seed {', '.join(map(str, outcome.left_out))} left out: the network learned "
            "nothing there with or without correction (its training cost ended at the cost of "
            "guessing the class frequencies), so it says nothing about bias correction."
            if outcome.left_out
            else ""
        ),
        "",
        *table_lines(
            ["validation cost", "with bias correction", "without", "difference", "per seed"],
            a_rows,
        ),
        "",
        "Why: without correction Adam's step is (1 - beta1^t) / sqrt(1 - beta2^t) times the "
        f"corrected one at step t ({mult}): at the default betas the uncorrected start takes "
        "larger steps, not smaller ones (v's deficit outweighs m's), and the factor reaches 1 "
        "only after a few thousand steps.",
    ]


def figure(outcome: rules.Judged, folder: Path) -> Path:
    result = outcome.evidence
    """Step responses against a flat window; Adam's validation cost with and without."""
    fig = canvas.figure(10, 3.8)
    ax_w, ax_a = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for w in result["windows"][1:3]:  # 0.9 and 0.98: the course's examples
        n = round(3 * w["nominal"])
        t = np.arange(1, n + 1)
        (line,) = ax_w.plot(t, 1 - w["beta"] ** t, label=f"EWA beta {w['beta']:g}")
        flat = np.minimum(t / w["nominal"], 1.0)
        ax_w.plot(
            t,
            flat,
            color=line.get_color(),
            linestyle=":",
            label=f"flat average of {w['nominal']:.0f}",
        )
    ax_w.axhline(MASS, color="grey", linestyle="--", linewidth=1, label="1 - 1/e")
    ax_w.set(
        xlabel="steps after a step change",
        ylabel="share of the step covered",
        title="step response",
    )
    for name, colour in (("with", "#2ca02c"), ("without", "#d62728")):
        curve = result["adam"][name]["curve"]
        ax_a.plot(range(1, len(curve) + 1), curve, color=colour, label=f"{name} bias correction")
    ax_a.axvline(
        result["early_epochs"], color="grey", linestyle="--", linewidth=1, label="first 1000 steps"
    )
    ax_a.set(
        xscale="log",
        yscale="log",
        xlabel="epoch",
        ylabel="validation cost (mean over seeds)",
        title="Adam, moons 2-5-2-1, alpha 0.0007",
    )
    from matplotlib.ticker import NullFormatter

    ax_a.yaxis.set_minor_formatter(NullFormatter())  # log ticks at the decades only
    return canvas.save(fig, folder / f"{KEY}.png", axes=(ax_w, ax_a))


CLAIM = measured_directly(KEY, TITLE, QUOTE, RULE, measure, section, figure)
