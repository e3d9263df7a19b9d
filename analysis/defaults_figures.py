"""The defaults report's pictures: the objective against each parameter, and the measured gaps.

Drawn on analysis.canvas (matplotlib's object API, dpi 100).
"""

from __future__ import annotations

import math
from pathlib import Path

from analysis.canvas import figure

COLOURS = {"holds up": "#2e7d32", "needs tuning": "#c62828", "inconclusive": "#f9a825"}


def draw(study, spec, content: dict, folder: Path, stem: str) -> dict[str, Path]:
    """Write the report's PNGs into `folder` as <stem>-<role>.png; {role: path}."""
    from sweeps.summary import trial_points

    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    rows = {r["param"]: r for r in [*content["parameters"], *content["free"]]}
    entries = [e for e in spec.space.entries if e.kind != "categorical"]
    if entries:
        path = folder / f"{stem}-objective.png"
        points = {e.param: trial_points(study, e) for e in entries}
        objective_vs_params(entries, points, rows, content, path)
        out["objective vs each parameter"] = path
    gaps = [r for r in content["parameters"] if r.get("gap")]
    if gaps:
        path = folder / f"{stem}-gaps.png"
        gap_bars(gaps, content, path)
        out["default vs tuned gap"] = path
    return out


def objective_vs_params(entries, points: dict, rows: dict, content: dict, path: Path) -> Path:
    """One panel per parameter: completed trials, the default (dashed) and the best (star)."""
    n = len(entries)
    cols = min(3, n)
    nrows = math.ceil(n / cols)
    fig = figure(4.0 * cols, 3.2 * nrows)
    objective = content["objective"]
    for i, e in enumerate(entries):
        ax = fig.add_subplot(nrows, cols, i + 1)
        pts = points.get(e.param, [])
        to_x = _axis(e)
        xs = [to_x(x) for x, _, _ in pts]
        ys = [y for _, y, _ in pts]
        ax.scatter(xs, ys, s=14, color="#1f77b4", alpha=0.7, label="completed trials")
        row = rows.get(e.param, {})
        if row.get("default") is not None:
            ax.axvline(to_x(row["default"]), color="grey", linestyle="--", linewidth=1.2,
                       label=f"{row.get('kind', 'default')} {row['default']:g}")  # fmt: skip
        if row.get("tuned") is not None:
            ax.scatter([to_x(row["tuned"])], [content["best"]["value"]], marker="*", s=160,
                       color="#d62728", zorder=5, label="best trial")  # fmt: skip
        sr = row.get("safe_range")
        if sr:
            ax.axvspan(to_x(sr["low"]), to_x(sr["high"]), color="#2e7d32", alpha=0.12,
                       label="safe range")  # fmt: skip
        _scale(ax, e)
        if ys and min(ys) > 0 and max(ys) / min(ys) > 20:
            ax.set_yscale("log")
        ax.set_xlabel(_label(e))
        ax.set_ylabel(objective)
        ax.grid(True, alpha=0.3)
        if i == 0:
            ax.legend(fontsize=7, loc="best")
    fig.suptitle(f"{content['study']}: {objective} of every completed trial", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path


def _axis(e):
    """Values on the plotted axis: 1 - beta for betas (drawn on a log axis)."""
    if e.kind == "log1m":
        return lambda v: 1 - float(v)
    return float


def _scale(ax, e) -> None:
    if e.kind in ("log", "log1m"):
        ax.set_xscale("log")
    elif e.kind == "pow2":
        ax.set_xscale("log", base=2)


def _label(e) -> str:
    name = f"1 - {e.name}" if e.kind == "log1m" else e.name
    return f"{name} ({e.condition[1]})" if e.condition else name


def gap_bars(rows: list[dict], content: dict, path: Path) -> Path:
    """Per parameter: default minus tuned (positive: the default is worse), error bars 2 SE,
    the tolerance band shaded; green holds up, red needs tuning, amber inconclusive."""
    fig = figure(7.5, 1.0 + 0.55 * len(rows))
    ax = fig.add_subplot()
    names = [r["param"] for r in rows]
    gaps = [r["gap"]["gap"] for r in rows]
    errs = [2 * r["gap"]["gap_se"] if math.isfinite(r["gap"]["gap_se"]) else 0 for r in rows]
    colours = [COLOURS.get(r["gap"]["verdict"], "grey") for r in rows]
    y = list(range(len(rows)))
    ax.barh(y, gaps, xerr=errs, color=colours, alpha=0.8, capsize=4)
    tol = content["tolerance"] * abs(content["tuned"]["mean"])
    if math.isfinite(tol) and tol > 0:
        ax.axvspan(-tol, tol, color="grey", alpha=0.15, label=f"±{content['tolerance']:.0%}")
        ax.legend(fontsize=8, loc="lower right")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    sign = "-" if content["direction"] == "maximize" else ""
    ax.set_xlabel(f"{sign}({content['objective']} at default - tuned), mean over "
                  f"{len(content['seeds'])} seeds ± 2 SE")  # fmt: skip
    ax.set_title(f"{content['study']}: what resetting one parameter to its default costs",
                 fontsize=10)  # fmt: skip
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path
