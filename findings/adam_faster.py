"""Claim 1: Adam converges a lot faster than GD and Momentum (the runs shared with claim 2)."""

from __future__ import annotations

from pathlib import Path

from analysis import canvas
from analysis.formatting import table_lines
from core.defaults import COURSE_ALPHA
from findings.claim import Claim
from findings.context import (
    Context,
    best_per,
)
from findings.evidence import (
    final,
    mean_curves,
    nothing_learned,
    summary,
    to_target,
)
from findings.rules import (
    A_LOT,
    Judged,
    a_lot_faster,
    all_of,
    judged,
)
from findings.tables import pm

COLOURS = {"gd": "#1f77b4", "momentum": "#ff7f0e", "adam": "#2ca02c"}
MOONS_TARGET = 0.15  # validation cost; a 5-2 network on moons ends near 0.05-0.10
COURSE_EPOCHS = 4000  # at alpha 0.0007: long enough that "2x faster" can show against a miss


def measure_optimizers(ctx: Context) -> dict:
    """Claims 1 and 2 share their runs: gd, momentum and adam at the course's alpha and at
    each one's tuned alpha, full curves on every seed."""
    if "optimizers" in ctx.cache:
        return ctx.cache["optimizers"]
    study, spec = ctx.study("optimizers.toml")
    tuned = best_per(study, lambda v: v.get("optimizer"))
    arms = {}
    for opt in ("gd", "momentum", "adam"):
        arms[(opt, "course")] = {"optimizer": opt, "alpha": COURSE_ALPHA}
        arms[(opt, "tuned")] = tuned[opt][0]
    runs = ctx.retrain(
        study,
        spec,
        arms,
        epochs=lambda label, _: COURSE_EPOCHS if label[1] == "course" else spec.epochs,
    )
    ctx.cache["optimizers"] = (study, spec, tuned, runs)
    return ctx.cache["optimizers"]


def measure(ctx: Context) -> Judged:
    _, _, tuned, runs = measure_optimizers(ctx)
    rows, parts = [], {}
    for setting in ("course", "tuned"):
        epochs = {
            o: to_target(runs[(o, setting)], MOONS_TARGET) for o in ("gd", "momentum", "adam")
        }
        for o in epochs:
            alpha = runs[(o, setting)][0].alpha
            rows.append(
                {
                    "setting": "course alpha" if setting == "course" else "tuned alpha",
                    "optimizer": o,
                    "alpha": alpha,
                    "budget": runs[(o, setting)][0].budget,
                    "epochs": summary(epochs[o][0]),
                    "missed": epochs[o][1],
                    "final_val_cost": summary(final(runs[(o, setting)])),
                }
            )
        parts[f"at the {'course' if setting == 'course' else 'tuned'} alpha"] = all_of(
            a_lot_faster(epochs["adam"][0], epochs[o][0]) for o in ("gd", "momentum")
        )
    return judged(
        parts,
        rows=rows,
        target=MOONS_TARGET,
        curves=mean_curves(runs),
        nothing=nothing_learned(runs, ctx.seeds),
        tuned_alphas={o: tuned[o][0]["alpha"] for o in tuned},
    )


def section(outcome: Judged) -> list[str]:
    r = outcome.evidence
    rows = [
        [
            x["setting"],
            x["optimizer"],
            f"{x['alpha']:g}",
            str(x["budget"]),
            pm(x["epochs"]),
            str(x["missed"]),
            pm(x["final_val_cost"]),
        ]
        for x in r["rows"]
    ]
    return [
        f"Target: validation cost below {r['target']}. (The runs trained as populations, so "
        "their seconds are shares of a pass, not comparable: the epochs are the evidence.)",
        "",
        *table_lines(
            [
                "alpha",
                "optimizer",
                "value",
                "budget (epochs)",
                "epochs to target",
                "missed",
                "final val cost",
            ],
            rows,
        ),
    ]


def figure(results: dict[str, Judged], folder: Path) -> Path:
    """Mean validation cost per epoch at both alphas, and the GD/Momentum finals."""
    ev = results["adam-faster"].evidence, results["momentum-negligible"].evidence
    return _draw(*ev, folder / "optimizers.png")


def _draw(r1: dict, r2: dict, path: Path) -> Path:
    """Claims 1-2: mean validation cost per epoch at both alphas, and the GD/Momentum finals."""
    fig = canvas.figure(13, 3.8)
    for i, setting in enumerate(("course", "tuned")):
        ax = fig.add_subplot(1, 3, i + 1)
        for opt in ("gd", "momentum", "adam"):
            curve = r1["curves"][(opt, setting)]
            row = next(
                x for x in r1["rows"] if x["optimizer"] == opt and x["setting"].startswith(setting)
            )
            ax.plot(
                range(1, len(curve) + 1),
                curve,
                color=COLOURS[opt],
                label=f"{opt} (alpha {row['alpha']:g})",
            )
        ax.axhline(r1["target"], color="grey", linestyle="--", linewidth=1, label="target")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("validation cost (mean over seeds)")
        ax.set_title("course alpha 0.0007" if setting == "course" else "each one's tuned alpha")
        ax.legend(fontsize=7)
        ax.grid(True, alpha=0.3)
    ax = fig.add_subplot(1, 3, 3)
    labels, means, errs, colours = [], [], [], []
    for row in r2["rows"]:
        for opt in ("gd", "momentum"):
            labels.append(f"{opt}\n{'0.0007' if 'course' in row['setting'] else 'tuned'}")
            means.append(row[opt]["mean"])
            errs.append(2 * row[opt]["se"])
            colours.append(COLOURS[opt])
    ax.bar(range(len(labels)), means, yerr=errs, color=colours, capsize=4, alpha=0.85)
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    ax.set_ylabel("final validation cost (mean ± 2 SE)")
    ax.set_title("GD vs Momentum")
    ax.grid(True, axis="y", alpha=0.3)
    return canvas.save(fig, path)


CLAIM = Claim(
    key="adam-faster",
    title="Adam converges a lot faster than GD and Momentum",
    quote="Adam on the other hand, clearly outperforms mini-batch gradient descent and Momentum. "
    "[...] you've seen that Adam converges a lot faster.",
    sweeps=("optimizers.toml",),
    rule=f"Epochs until the validation cost first falls below {MOONS_TARGET}, per optimizer, "
    f"on every seed, at the course's alpha (0.0007, {COURSE_EPOCHS} epochs) and at each "
    "optimizer's own tuned alpha (the grid point with the best final validation cost after the "
    "sweep's 2000 epochs: tuned for the result, not for speed). 'A lot "
    f"faster' at a setting: Adam needs at most 1/{A_LOT:g} of the mean epochs of GD and of "
    "Momentum, and fewer with 95% confidence (one-sided t bound of the paired differences). "
    "Confirmed when that holds "
    "at both settings, refuted at neither, depends on alpha otherwise. A run that never "
    "reaches the target counts as its budget (a lower bound: the rule can only understate "
    "Adam's lead).",
    measure=measure,
    section=section,
    figure=figure,
)
