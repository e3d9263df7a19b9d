"""What the findings' pictures share: one PNG per claim (dpi 100, so they stay small to commit),
the optimizers' colours, a figure on an Agg canvas."""

from __future__ import annotations

from pathlib import Path

from analysis.defaults_figures import figure as new_figure

__all__ = ["COLOURS", "new_figure", "save"]

COLOURS = {"gd": "#1f77b4", "momentum": "#ff7f0e", "adam": "#2ca02c"}


def save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path
