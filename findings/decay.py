"""Claim 4: learning-rate decay helps converge."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from analysis import canvas, statistics
from analysis.formatting import table_lines
from findings.claim import Claim
from findings.context import (
    Context,
    best_per,
    grid_trials,
)
from findings.evidence import (
    final,
    nothing_learned,
    summary,
)
from findings.rules import (
    TOLERANCE,
    Judged,
    helps,
    judged,
)
from findings.tables import pm


def measure(ctx: Context) -> Judged:
    study, spec = ctx.study("decay.toml")
    arms = {}
    for opt in ("gd", "adam"):
        off = best_per(
            study, lambda v, o=opt: "off" if v["optimizer"] == o and v["decay_rate"] == 0 else None
        )
        on = best_per(
            study, lambda v, o=opt: "on" if v["optimizer"] == o and v["decay_rate"] > 0 else None
        )
        arms[(opt, "off")] = off["off"][0]
        arms[(opt, "on")] = on["on"][0]
    runs = ctx.retrain(study, spec, arms)
    rows, parts = [], {}
    for opt in ("gd", "adam"):
        off, on = final(runs[(opt, "off")]), final(runs[(opt, "on")])
        better = helps(on, off)
        parts[{"gd": "mini-batch GD", "adam": "Adam"}[opt]] = better
        rows.append(
            {
                "optimizer": opt,
                "off_alpha": arms[(opt, "off")]["alpha"],
                "on_alpha": arms[(opt, "on")]["alpha"],
                "on_rate": arms[(opt, "on")]["decay_rate"],
                "off": summary(off),
                "on": summary(on),
                "difference": summary([a - b for a, b in zip(on, off, strict=True)]),
                "off_wander": summary([wander(o.val_cost) for o in runs[(opt, "off")]]),
                "on_wander": summary([wander(o.val_cost) for o in runs[(opt, "on")]]),
                "helps": better,
            }
        )
    return judged(
        parts,
        rows=rows,
        grid=grid_trials(study, "decay_rate"),
        nothing=nothing_learned(runs, ctx.seeds),
    )


def wander(curve: Sequence[float], tail: float = 0.2) -> float:
    """How much the validation cost still moves at the end: its standard deviation over the
    last `tail` of the epochs."""
    xs = [x for x in curve[int(len(curve) * (1 - tail)) :] if math.isfinite(x)]
    return statistics.mean_se(xs)[1] * math.sqrt(len(xs)) if len(xs) > 1 else 0.0


def section(outcome: Judged) -> list[str]:
    r = outcome.evidence
    rows = [
        [
            x["optimizer"],
            f"{x['off_alpha']:g}",
            f"{x['on_alpha']:g}, rate {x['on_rate']:g}",
            pm(x["off"]),
            pm(x["on"]),
            pm(x["difference"]),
            pm(x["off_wander"]),
            pm(x["on_wander"]),
            "yes" if x["helps"] else "no",
        ]
        for x in r["rows"]
    ]
    return [
        "Wander: the standard deviation of the validation cost over the last 20% of the epochs "
        "(how much it still moves at the end); reported, not judged.",
        "",
        *table_lines(
            [
                "optimizer",
                "alpha, no decay",
                "alpha, decay",
                "final val cost, no decay",
                "with decay",
                "decay - none",
                "wander, no decay",
                "with decay",
                "helps",
            ],
            rows,
        ),
    ]


def figure(results: dict[str, Judged], folder: Path) -> Path:
    return _draw(results["decay"].evidence, folder / "decay.png")


def _draw(r4: dict, path: Path) -> Path:
    """Claim 4: final validation cost against alpha, one line per decay rate, per optimizer."""
    fig = canvas.figure(10, 3.8)
    for i, opt in enumerate(("gd", "adam")):
        ax = fig.add_subplot(1, 2, i + 1)
        points = [p for p in r4["grid"] if p["optimizer"] == opt]
        rates = sorted({p["decay_rate"] for p in points})
        for rate in rates:
            pts = sorted((p["alpha"], p["value"]) for p in points if p["decay_rate"] == rate)
            ax.plot(
                [a for a, _ in pts],
                [v for _, v in pts],
                marker="o",
                markersize=3,
                linewidth=2.2 if rate == 0 else 1.0,
                label="no decay" if rate == 0 else f"rate {rate:g}",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("alpha")
        ax.set_ylabel("final validation cost (seed 0)")
        ax.set_title({"gd": "mini-batch GD", "adam": "Adam"}[opt] + ", inverse-time decay")
        ax.legend(fontsize=7)
        ax.grid(True, alpha=0.3)
    return canvas.save(fig, path)


CLAIM = Claim(
    key="decay",
    title="Learning-rate decay helps converge",
    quote="if we don't reduce it, you may end up wandering around the minimum and never converge. "
    "The better way is to use large learning rate at first and then slowly reduce it.",
    sweeps=("decay.toml",),
    rule="Per optimizer (mini-batch GD, Adam): the best grid point without decay and the best "
    "with inverse-time decay (each with its own alpha), re-trained on every seed. Decay "
    f"helps when its final validation cost is lower by more than {TOLERANCE:.0%} with 95% "
    "confidence (one-sided t bound of the paired differences). Confirmed when it helps both "
    "optimizers, refuted when "
    "neither, depends on the optimizer otherwise.",
    measure=measure,
    section=section,
    figure=figure,
)
