"""The atlas's heatmap: defaults (rows) x tasks (columns), each cell coloured by its verdict on
the common scale and labelled with its gap (the Hodges-Lehmann estimate the verdict reads: the
share of the way from guessing to tuned that the default gives up, in %)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from analysis import canvas
from analysis.atlas import NA, TUNED_IS_DEFAULT, CellVerdict
from analysis.defaults_figures import COLOURS

MISSING = "#e0e0e0"  # n/a, or a cell not measured
SAME = "#a5d6a7"  # tuned = default: a pale "holds up"


def heatmap(cells: Sequence[CellVerdict], defaults: Sequence[str], tasks: Sequence[str],
            path: Path) -> Path:  # fmt: skip
    """Draw the grid to `path` (PNG) and return it."""
    from matplotlib.colors import to_rgb
    from matplotlib.patches import Patch

    by = {(c.default, c.task): c for c in cells}
    fig = canvas.figure(1.6 + 1.1 * len(tasks), 1.2 + 0.45 * len(defaults))
    ax = fig.add_subplot(1, 1, 1)
    grid = [[to_rgb(_colour(by.get((d, t)))) for t in tasks] for d in defaults]
    ax.imshow(grid, aspect="auto")
    for i, d in enumerate(defaults):
        for j, t in enumerate(tasks):
            c = by.get((d, t))
            dark = c is not None and c.verdict in ("holds up", "needs tuning")
            ax.text(
                j,
                i,
                _label(c),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if dark else "black",
            )
    ax.set_xticks(range(len(tasks)), list(tasks), rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(defaults)), list(defaults), fontsize=8)
    ax.set_xticks([x - 0.5 for x in range(1, len(tasks))], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, len(defaults))], minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.grid(which="major", visible=False)
    ax.tick_params(which="minor", length=0)
    handles = [Patch(color=COLOURS[v], label=v) for v in ("holds up", "needs tuning",
               "inconclusive")] + [Patch(color=SAME, label=TUNED_IS_DEFAULT),
                                   Patch(color=MISSING, label=NA)]  # fmt: skip
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_title("defaults x tasks: verdict, and the gap as % of the way from guessing to the "
                 "better arm", fontsize=9)  # fmt: skip
    return canvas.save(fig, path)


def _colour(c: CellVerdict | None) -> str:
    if c is not None and c.verdict == TUNED_IS_DEFAULT:
        return SAME
    return MISSING if c is None else COLOURS.get(c.verdict, MISSING)


def _label(c: CellVerdict | None) -> str:
    if c is None or not math.isfinite(c.estimate):
        return NA
    return f"{100 * c.estimate:+.1f}%"
