"""The study's pictures for the parent run: Optuna's matplotlib plots plus the curve overlay."""

from __future__ import annotations

import warnings
from pathlib import Path

from sweeps.curves import read_curves
from sweeps.objective import VALUES_ATTR


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
    for name, plot in plots.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Optuna marks its matplotlib plots experimental
                ax = plot(study)
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


def _overlay(study, out_dir: Path) -> Path | None:
    from tracking.plots import overlay_val_curves

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
