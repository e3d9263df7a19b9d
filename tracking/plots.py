"""Study-level pictures for the parent run: every trial's validation curve on one chart.

Drawn with matplotlib's object API on an Agg canvas (no pyplot, no global backend switch), so
it works headless and in worker processes; matplotlib is imported only when a plot is made.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

LOG_Y_RATIO = 20.0  # a log y axis once the curves span more than this factor


def overlay_val_curves(
    curves: Mapping[int, Sequence[float | None]],
    alphas: Mapping[int, float],
    path: Path | str,
    title: str = "Validation cost per trial, coloured by learning rate",
) -> Path:
    """Every trial's validation cost against epoch, coloured by alpha on a log colour scale.

    `curves` maps trial number -> per-epoch val cost (None/NaN where missing), `alphas` trial
    number -> learning rate; a trial without a positive alpha is drawn grey. The y axis is
    logarithmic when all values are positive and span more than LOG_Y_RATIO. Returns `path`.
    """
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(8, 5), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    series = {n: [_finite(v) for v in c] for n, c in curves.items() if len(c)}
    known = [a for n, a in alphas.items() if n in series and _positive(a)]
    norm = cmap = None
    if known:
        low, high = min(known), max(known)
        if low == high:  # one alpha still gets a readable colour bar
            low, high = low / math.sqrt(10), high * math.sqrt(10)
        norm, cmap = LogNorm(vmin=low, vmax=high), colormaps["viridis"]
    lw = 1.2 if len(series) <= 20 else 0.7
    for n in sorted(series, key=lambda n: alphas.get(n) or 0.0):
        ys = series[n]
        a = alphas.get(n)
        colour = cmap(norm(a)) if norm is not None and _positive(a) else (0.6, 0.6, 0.6, 1.0)
        ax.plot(range(1, len(ys) + 1), ys, color=colour, linewidth=lw, alpha=0.8)
    if wants_log_y(series.values()):
        ax.set_yscale("log")
    if norm is not None:
        fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="alpha (learning rate)")
    if not series:
        ax.text(0.5, 0.5, "no trial has a validation curve yet", ha="center", va="center",
                transform=ax.transAxes)  # fmt: skip
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation cost")
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    fig.savefig(path, format="png")
    return path


def wants_log_y(curves: Iterable[Sequence[float | None]]) -> bool:
    """A log y axis when every finite value is positive and they span more than LOG_Y_RATIO."""
    finite = [x for c in curves for v in c if not math.isnan(x := _finite(v))]
    return bool(finite) and min(finite) > 0 and max(finite) / min(finite) > LOG_Y_RATIO


def _finite(v: float | None) -> float:
    """NaN for a missing or non-finite point, so matplotlib leaves a gap."""
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return x if math.isfinite(x) else math.nan


def _positive(a: float | None) -> bool:
    try:
        return a is not None and math.isfinite(float(a)) and float(a) > 0
    except (TypeError, ValueError):
        return False
