"""The study's pictures for the parent run: Optuna's matplotlib plots, and every trial's
validation curve on one chart coloured by alpha. A study of two objectives gets its Pareto
front (pareto_front.png), and its other plots show the first objective.

The overlay is drawn with matplotlib's object API on an Agg canvas (no pyplot, no global backend
switch), so it works headless and in worker processes; matplotlib is imported only when a plot
is made.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from sweeps.attrs import VALUES_ATTR
from sweeps.curves import read_curves


def preload() -> None:
    """Import matplotlib and Optuna's matplotlib plots ahead of use (about a second)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot
    from optuna.visualization import matplotlib as _  # noqa: F401


def study_plots(study, out_dir: Path) -> list[Path]:
    """Write the PNGs that fit the study so far; return their paths."""
    preload()  # the Agg backend, chosen before pyplot is imported
    import matplotlib.pyplot as plt
    from optuna.trial import TrialState
    from optuna.visualization import matplotlib as ovm

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [p for p in [_overlay(study, out_dir)] if p is not None]
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    plots = {"optimization_history.png": ovm.plot_optimization_history}
    if len(complete) >= 2:
        plots["param_importances.png"] = ovm.plot_param_importances
        plots["slice.png"] = ovm.plot_slice
    options = _first_objective(study)
    if len(study.directions) > 1:
        plots["pareto_front.png"] = ovm.plot_pareto_front
    for name, plot in plots.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Optuna marks its matplotlib plots experimental
                ax = plot(study, **(_pareto(study) if name == "pareto_front.png" else options))
        except (ValueError, RuntimeError):  # e.g. no parameter varied yet
            continue
        fig = (ax.flat[0] if hasattr(ax, "flat") else ax).get_figure()
        fig.set_size_inches(max(fig.get_size_inches()[0], 8), max(fig.get_size_inches()[1], 5))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the slice plot's colour bar: "not compatible
            fig.tight_layout()  # with tight_layout" is printed on every sweep, harmlessly
        fig.savefig(out_dir / name, dpi=110)
        plt.close(fig)
        paths.append(out_dir / name)
    return paths


def _first_objective(study) -> dict:
    """Two objectives: the one-objective plots show the first (Optuna needs a `target`)."""
    if len(study.directions) == 1:
        return {}
    from sweeps.objectives import first_objective, objective_names

    return {"target": first_objective(study), "target_name": objective_names(study)[0]}


def _pareto(study) -> dict:
    """The Pareto front plot's axes, named after the objectives."""
    from sweeps.objectives import objective_names

    return {"target_names": objective_names(study)}


def _overlay(study, out_dir: Path) -> Path | None:
    curves, alphas = {}, {}
    for t in study.get_trials(deepcopy=False):
        val = read_curves(t)["val_cost"]
        alpha = (t.user_attrs.get(VALUES_ATTR) or {}).get("alpha")
        if val and alpha:
            curves[t.number], alphas[t.number] = val, float(alpha)
    if not curves:
        return None
    title = f"{study.study_name}: validation cost per epoch, every trial"
    return overlay_val_curves(curves, alphas, out_dir / "val_cost_curves.png", title=title)


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
