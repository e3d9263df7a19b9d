"""The reports' pictures share one way to draw: matplotlib's object API on an Agg canvas (no
pyplot, no global backend switch), at dpi 100 so the PNGs stay small enough to commit."""

from __future__ import annotations

from pathlib import Path

DPI = 100


def figure(width: float, height: float):
    """A matplotlib Figure on an Agg canvas (the object API: no pyplot, no global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def save(fig, path: Path, axes=()) -> Path:
    """The figure as a PNG at `path`; `axes` get the findings' light grid and small legend."""
    for ax in axes:
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path
