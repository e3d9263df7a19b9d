"""Claim 5: normalizing inputs allows a larger learning rate and faster convergence."""

from __future__ import annotations

from pathlib import Path

from analysis import canvas
from analysis.formatting import table_lines
from findings.claim import Claim
from findings.context import (
    Context,
    best_per,
    completed,
    grid_trials,
    trial_values,
)
from findings.evidence import (
    final,
    guess_cost,
    nothing_learned,
    summary,
    to_target,
)
from findings.rules import Judged, judged, lower
from findings.tables import pm

BC_TARGET = 0.25  # breast cancer's validation cost


def measure(ctx: Context) -> Judged:
    (s_norm, spec_norm), (s_raw, spec_raw) = (
        ctx.study("breast_cancer_normalized.toml"),
        ctx.study("breast_cancer_raw.toml"),
    )
    studies = {"normalized": (s_norm, spec_norm), "raw": (s_raw, spec_raw)}
    prior = _prior_cost(spec_norm)
    arms, tuned, largest = {}, {}, {}
    for name, (study, _) in studies.items():
        best = best_per(study, lambda v: v.get("optimizer"))
        for opt in ("gd", "adam"):
            arms[(opt, name)] = best[opt][0]
            tuned[(opt, name)] = best[opt][0]["alpha"]
            largest[(opt, name)] = largest_learning_alpha(study, opt, prior)
    runs = ctx.retrain(s_norm, spec_norm, arms, spec_of=lambda label: studies[label[1]][1])
    rows, parts = [], {}
    for opt in ("gd", "adam"):
        e_norm = to_target(runs[(opt, "normalized")], BC_TARGET)
        e_raw = to_target(runs[(opt, "raw")], BC_TARGET)
        larger = tuned[(opt, "normalized")] > tuned[(opt, "raw")]
        faster = lower(e_norm[0], e_raw[0])
        label = {"gd": "mini-batch GD", "adam": "Adam"}[opt]
        parts[f"{label}: a larger learning rate"] = larger
        parts[f"{label}: faster to the target"] = faster
        rows.append(
            {
                "optimizer": opt,
                "tuned_alpha": {
                    "normalized": tuned[(opt, "normalized")],
                    "raw": tuned[(opt, "raw")],
                },
                "largest_alpha": {
                    "normalized": largest[(opt, "normalized")],
                    "raw": largest[(opt, "raw")],
                },
                "epochs": {"normalized": summary(e_norm[0]), "raw": summary(e_raw[0])},
                "missed": {"normalized": e_norm[1], "raw": e_raw[1]},
                "final": {
                    "normalized": summary(final(runs[(opt, "normalized")])),
                    "raw": summary(final(runs[(opt, "raw")])),
                },
                "larger": larger,
                "faster": faster,
            }
        )
    return judged(
        parts,
        rows=rows,
        target=BC_TARGET,
        budget=spec_norm.epochs,
        prior_cost=prior,
        grid={n: grid_trials(s, None) for n, (s, _) in studies.items()},
        nothing=nothing_learned(runs, ctx.seeds),
    )


def largest_learning_alpha(study, optimizer: str, prior_cost: float) -> float | None:
    """The largest alpha on the grid whose trial ended below the cost of predicting the class
    frequencies (it learned something and did not diverge)."""
    alphas = [
        trial_values(t)["alpha"]
        for t in completed(study)
        if trial_values(t).get("optimizer") == optimizer and t.value < prior_cost
    ]
    return max(alphas) if alphas else None


def _prior_cost(spec) -> float:
    """Cross-entropy of predicting every row's class by the class frequencies."""
    from core import data

    return guess_cost(data.load(spec.data).y)


def section(outcome: Judged) -> list[str]:
    r = outcome.evidence
    rows = []
    for x in r["rows"]:
        for name in ("normalized", "raw"):
            largest = x["largest_alpha"][name]
            rows.append(
                [
                    x["optimizer"],
                    name,
                    f"{x['tuned_alpha'][name]:g}",
                    "none" if largest is None else f"{largest:g}",
                    pm(x["epochs"][name]),
                    str(x["missed"][name]),
                    pm(x["final"][name]),
                ]
            )
    return [
        f"Target: validation cost below {r['target']}; budget {r['budget']} epochs. 'Largest "
        "alpha that learns': the largest grid alpha whose trial ended below the cost of "
        f"guessing the class frequencies ({r['prior_cost']:.3f}).",
        "",
        *table_lines(
            [
                "optimizer",
                "inputs",
                "tuned alpha",
                "largest alpha that learns",
                "epochs to target",
                "missed",
                "final val cost",
            ],
            rows,
        ),
    ]


def figure(results: dict[str, Judged], folder: Path) -> Path:
    return _draw(results["normalize"].evidence, folder / "normalize.png")


def _draw(r5: dict, path: Path) -> Path:
    """Claim 5: final validation cost against alpha with and without standardization."""
    fig = canvas.figure(10, 3.8)
    for i, opt in enumerate(("gd", "adam")):
        ax = fig.add_subplot(1, 2, i + 1)
        for name, style in (("normalized", "-"), ("raw", "--")):
            pts = sorted(
                (p["alpha"], p["value"]) for p in r5["grid"][name] if p["optimizer"] == opt
            )
            ax.plot(
                [a for a, _ in pts],
                [v for _, v in pts],
                style,
                marker="o",
                markersize=3,
                label=f"{name} inputs",
            )
        ax.axhline(
            r5["prior_cost"], color="grey", linewidth=1, label="cost of guessing class frequencies"
        )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("alpha")
        ax.set_ylabel("final validation cost (seed 0)")
        ax.set_title({"gd": "mini-batch GD", "adam": "Adam"}[opt] + " on breast cancer")
        ax.legend(fontsize=7)
        ax.grid(True, alpha=0.3)
    return canvas.save(fig, path)


CLAIM = Claim(
    key="normalize",
    title="Normalizing inputs allows a larger learning rate and faster convergence",
    quote="The advantage of normalization is that it makes it easier to optimize the cost "
    "function (in the way that we can supply a larger step size/learning rate to speed up "
    "the convergence).",
    sweeps=("breast_cancer_normalized.toml", "breast_cancer_raw.toml"),
    rule="Breast cancer with and without standardization, the same alpha grid, for mini-batch "
    "GD and Adam. Per optimizer, two parts: the tuned alpha (best of the grid) is larger "
    f"with normalization; and at the tuned alphas, the epochs until the validation cost "
    f"falls below {BC_TARGET} are fewer with normalization, with 95% confidence (one-sided "
    "t bound of the paired differences). Confirmed when all four parts hold, refuted when "
    "none, depends otherwise.",
    measure=measure,
    section=section,
    figure=figure,
)
