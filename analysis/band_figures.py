"""The seed bands as a picture: each configuration's mean curve over the seeds that learned,
its 95% band filled (fill_between), the seeds that failed counted in the legend (they are
not in the band: analysis/seed_bands.py).

Drawn on analysis.canvas (matplotlib's object API, dpi 100).
"""

from __future__ import annotations

from pathlib import Path

from analysis import canvas

COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def draw(panel, path: Path, metric: str) -> Path:
    """One `seed_bands.Panel` as a PNG at `path`: the first configuration (tuned) in red, the
    others against it; a log y axis when the curves span more than a factor of 20."""
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    fig = canvas.figure(7.0, 4.2)
    ax = fig.add_subplot()
    lows, highs = [], []
    for i, b in enumerate(panel.bands):
        colour = COLOURS[i % len(COLOURS)]
        if b.band is None:  # no seed learned: in the legend, nothing to draw
            ax.plot([], [], color=colour, label=b.legend)
            continue
        epochs = np.arange(1, b.band.epochs + 1)
        ax.plot(epochs, b.band.mean, color=colour, linewidth=1.5, label=b.legend)
        ax.fill_between(epochs, b.band.lo, b.band.hi, color=colour, alpha=0.2, linewidth=0)
        finite = b.band.mean[np.isfinite(b.band.mean)]
        if finite.size:
            lows.append(finite.min())
            highs.append(finite.max())
    if lows and min(lows) > 0 and max(highs) / min(lows) > 20:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{metric}: mean, 95% band")
    ax.set_title(panel.title, fontsize=10)
    return canvas.save(fig, path, axes=[ax])
