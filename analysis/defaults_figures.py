"""The defaults report's pictures: the objective against each parameter, and the measured gaps.

Drawn on analysis.canvas (matplotlib's object API, dpi 100).
"""

from __future__ import annotations

import math
from pathlib import Path

from analysis import canvas
from analysis.canvas import figure

COLOURS = {"holds up": "#2e7d32", "needs tuning": "#c62828", "inconclusive": "#f9a825"}


def draw(study, spec, report, folder: Path, stem: str) -> dict[str, Path]:
    """Write the report's PNGs into `folder` as <stem>-<role>.png; {role: path}."""
    from sweeps.summary import trial_points

    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    rows = {r.param: r for r in [*report.parameters, *report.free]}
    entries = [e for e in spec.space.entries if e.kind != "categorical"]
    if entries:
        path = folder / f"{stem}-objective.png"
        points = {e.param: trial_points(study, e) for e in entries}
        objective_vs_params(entries, points, rows, report, path)
        out["objective vs each parameter"] = path
    gaps = [r for r in report.parameters if r.comparison]
    if gaps:
        path = folder / f"{stem}-gaps.png"
        gap_intervals(gaps, report, path)
        out["default vs tuned gap"] = path
    for f in report.free:
        if f.measured:
            path = folder / f"{stem}-range-{f.name}.png"
            safe_range(f, spec.space.entry(f.param), report, path)
            out[f"safe range of {f.label}"] = path
    return out


def objective_vs_params(entries, points: dict, rows: dict, report, path: Path) -> Path:
    """One panel per parameter: completed trials, the default (dashed), the tuned trial (star)
    and the measured safe range (shaded)."""
    n = len(entries)
    cols = min(3, n)
    nrows = math.ceil(n / cols)
    fig = figure(4.0 * cols, 3.2 * nrows)
    objective = report.objective
    chosen = next(c for c in report.selection.candidates if c.trial == report.selection.chosen)
    for i, e in enumerate(entries):
        ax = fig.add_subplot(nrows, cols, i + 1)
        pts = points.get(e.param, [])
        to_x = _axis(e)
        xs = [to_x(x) for x, _, _ in pts]
        ys = [y for _, y, _ in pts]
        ax.scatter(xs, ys, s=14, color="#1f77b4", alpha=0.7, label="completed trials")
        row = rows.get(e.param)
        default = getattr(row, "default", None)
        if default is not None:
            ax.axvline(to_x(default), color="grey", linestyle="--", linewidth=1.2,
                       label=f"{row.kind} {default:g}")  # fmt: skip
        if row is not None and row.tuned is not None:
            ax.scatter([to_x(row.tuned)], [chosen.sweep_value], marker="*", s=160,
                       color="#d62728", zorder=5, label="tuned trial")  # fmt: skip
        measured = getattr(row, "measured", None)
        if measured and measured.low is not None:
            ax.axvspan(to_x(measured.low), to_x(measured.high), color="#2e7d32", alpha=0.12,
                       label="safe range")  # fmt: skip
        _scale(ax, e)
        if ys and min(ys) > 0 and max(ys) / min(ys) > 20:
            ax.set_yscale("log")
        ax.set_xlabel(_label(e))
        ax.set_ylabel(objective)
        ax.grid(True, alpha=0.3)
        if i == 0:
            ax.legend(fontsize=7, loc="best")
    fig.suptitle(f"{report.study}: {objective} of every completed trial", fontsize=11)
    return canvas.save(fig, path)


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


def gap_intervals(rows: list, report, path: Path) -> Path:
    """Per parameter: the paired gap default - tuned (positive: the default is worse) with its
    one-sided bounds, against the margin its verdict used (each row's own: tolerance x |tuned
    mean| on its seeds); green holds up, red needs tuning, amber inconclusive."""
    fig = figure(7.5, 1.2 + 0.6 * len(rows))
    ax = fig.add_subplot()
    y = list(range(len(rows)))
    for yi, r in zip(y, rows, strict=True):
        c = r.comparison
        colour = COLOURS.get(c.verdict, "grey")
        ax.plot([c.lower, c.upper], [yi, yi], color=colour, linewidth=3, solid_capstyle="butt")
        ax.plot([c.gap], [yi], "o", color=colour)
        if math.isfinite(c.margin) and c.margin > 0:
            ax.plot([-c.margin, c.margin], [yi, yi], color="grey", alpha=0.3, linewidth=12,
                    solid_capstyle="butt", zorder=0,
                    label=f"±{report.tolerance:.0%} of tuned" if yi == 0 else None)  # fmt: skip
    if ax.get_legend_handles_labels()[0]:  # no band when the tuned cost is 0 (a zero margin)
        ax.legend(fontsize=8, loc="lower right")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, [r.label for r in rows])
    ax.invert_yaxis()
    sign = "-" if report.direction == "maximize" else ""
    levels = {(r.comparison.lower_confidence, r.comparison.confidence) for r in rows}
    if len(levels) == 1:
        low, high = levels.pop()
        confidence = (f"one-sided {100 * high:.4g}% bounds" if low == high else
                      f"lower {100 * low:.4g}% and upper {100 * high:.4g}% bounds")  # fmt: skip
    else:  # decided at different looks: each at its own look's level (the table gives it)
        confidence = "bounds at each row's look level"
    ax.set_xlabel(f"{sign}({report.objective} at default - tuned), paired over seeds: the gap "
                  f"and its {confidence}")  # fmt: skip
    ax.set_title(f"{report.study}: what resetting one parameter to its default costs",
                 fontsize=10)  # fmt: skip
    ax.grid(True, axis="x", alpha=0.3)
    return canvas.save(fig, path)


def safe_range(f, entry, report, path: Path) -> Path:
    """The objective's mean ± 2 SE at each re-trained value, the tuned value's tolerance band,
    and the safe range shaded."""
    m = f.measured
    to_x = _axis(entry)
    fig = figure(6.5, 3.8)
    ax = fig.add_subplot()
    xs = [to_x(p.value) for p in m.points]
    means = [p.mean for p in m.points]
    errs = [2 * p.se if math.isfinite(p.se) else 0 for p in m.points]
    colours = [COLOURS.get(p.comparison.verdict if p.comparison else "holds up", "grey")
               for p in m.points]  # fmt: skip
    ax.errorbar(xs, means, yerr=errs, fmt="none", ecolor="grey", capsize=3)
    ax.scatter(xs, means, c=colours, zorder=3)
    tuned = next(p for p in m.points if p.comparison is None)
    band = report.tolerance * abs(tuned.mean)
    ax.axhspan(tuned.mean - band, tuned.mean + band, color="grey", alpha=0.15,
               label=f"tuned ± {report.tolerance:.0%}")  # fmt: skip
    if m.low is not None:
        ax.axvspan(to_x(m.low), to_x(m.high), color="#2e7d32", alpha=0.12, label="safe range")
    _scale(ax, entry)
    ax.set_xlabel(_label(entry))
    ax.set_ylabel(f"{report.objective}, mean ± 2 SE over {len(m.seeds)} seeds")
    ax.set_title(f"{report.study}: {f.label} around the tuned value", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    return canvas.save(fig, path)
