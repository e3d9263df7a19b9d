"""The findings page's pictures, one PNG per claim (dpi 100, so they stay small to commit)."""

from __future__ import annotations

import math
from pathlib import Path

from sweeps.report_plots import figure

COLOURS = {"gd": "#1f77b4", "momentum": "#ff7f0e", "adam": "#2ca02c"}


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path


def optimizers(r1: dict, r2: dict, path: Path) -> Path:
    """Claims 1-2: mean validation cost per epoch at both alphas, and the GD/Momentum finals."""
    fig = figure(13, 3.8)
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
    return _save(fig, path)


def decay(r4: dict, path: Path) -> Path:
    """Claim 4: final validation cost against alpha, one line per decay rate, per optimizer."""
    fig = figure(10, 3.8)
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
    return _save(fig, path)


def normalize(r5: dict, path: Path) -> Path:
    """Claim 5: final validation cost against alpha with and without standardization."""
    fig = figure(10, 3.8)
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
    return _save(fig, path)


def batch_size(r6: dict, path: Path) -> Path:
    """Claim 6: CPU seconds to the target and mini-batch noise, per batch size."""
    fig = figure(10, 3.8)
    rows = r6["rows"]
    x = list(range(len(rows)))
    labels = [
        f"{r['batch_size']}\n{r['kind']}" if r["kind"] != "mini-batch" else str(r["batch_size"])
        for r in rows
    ]
    mid = ["#2ca02c" if 32 <= r["batch_size"] <= 512 else "#7f7f7f" for r in rows]
    for j, (key, title) in enumerate(
        (("cpu_seconds", "CPU seconds to the target"), ("noise", "noise of the mini-batch cost"))
    ):
        ax = fig.add_subplot(1, 2, j + 1)
        means = [r[key]["mean"] for r in rows]
        errs = [2 * r[key]["se"] if math.isfinite(r[key]["se"]) else 0 for r in rows]
        ax.bar(x, means, yerr=errs, color=mid, capsize=3, alpha=0.85)
        ax.set_xticks(x, labels, fontsize=7)
        ax.set_xlabel("batch size (green: 32-512)")
        ax.set_ylabel(f"{title} (mean ± 2 SE)")
        if key == "cpu_seconds" and min(means) > 0:
            ax.set_yscale("log")
        ax.set_title(title)
        ax.grid(True, axis="y", alpha=0.3)
    return _save(fig, path)
