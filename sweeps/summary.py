"""What a finished (or resumed) study looks like: best trial, counts, top five, importances."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

from sweeps.attrs import FINAL_ATTR, REASON_ATTR, VALUES_ATTR, WARM_ATTR


@dataclass
class TrialRow:
    number: int
    state: str
    value: float | None
    values: dict  # hyperparameter values (betas as betas, batch size as a size)
    epochs: int | None
    seconds: float | None
    reason: str


@dataclass
class StudySummary:
    name: str
    objective: str
    direction: str
    counts: dict[str, int]
    best: TrialRow | None
    top: list[TrialRow]
    rows: list[TrialRow]
    importances: dict[str, float] = field(default_factory=dict)
    importance_note: str = ""


def row(trial) -> TrialRow:
    final = trial.user_attrs.get(FINAL_ATTR) or {}
    values = trial.user_attrs.get(VALUES_ATTR) or dict(trial.params)
    return TrialRow(
        number=trial.number,
        state=trial.state.name,
        value=trial.value,
        values=values,
        epochs=final.get("epochs_run"),
        seconds=final.get("seconds"),
        reason=trial.user_attrs.get(REASON_ATTR, ""),
    )


def summarize(study, objective: str = "val_cost", importances: bool = True) -> StudySummary:
    from optuna.trial import TrialState

    everything = study.get_trials(deepcopy=False)
    trials = [t for t in everything if WARM_ATTR not in t.user_attrs]  # this study's own work
    counts: dict[str, int] = {}
    for t in trials:
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    if len(trials) < len(everything):  # a warm start's: evidence from another study
        counts["WARM-START"] = len(everything) - len(trials)
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
    maximize = study.direction.name == "MAXIMIZE"
    ranked = sorted(complete, key=lambda t: t.value, reverse=maximize)
    summary = StudySummary(
        name=study.study_name,
        objective=objective,
        direction=study.direction.name.lower(),
        counts=counts,
        best=row(ranked[0]) if ranked else None,
        top=[row(t) for t in ranked[:5]],
        rows=[row(t) for t in trials],
    )
    if importances:
        summary.importances, summary.importance_note = param_importances(study)
    return summary


def preload() -> None:
    """Import Optuna's default importance evaluator ahead of use: fANOVA fits scikit-learn's
    random forests, whose import alone takes ~1.5 s."""
    import optuna.importance  # noqa: F401
    import sklearn.ensemble  # noqa: F401


def param_importances(study, evaluator=None) -> tuple[dict[str, float], str]:
    """Optuna's importances (fANOVA by default); ({}, why) when they cannot be computed yet."""
    import optuna
    from optuna.trial import TrialState

    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len(complete) < 2:
        return {}, "needs at least 2 completed trials"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = optuna.importance.get_param_importances(study, evaluator=evaluator)
    except (RuntimeError, ValueError) as e:
        return {}, str(e).splitlines()[0]
    return dict(result), ""


def trial_points(study, entry) -> list[tuple[float, float, int]]:
    """(value, objective, trial number) of the completed trials that sampled `entry`."""
    from optuna.trial import TrialState

    out = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if entry.param in t.params and t.value is not None and math.isfinite(t.value):
            out.append((float(entry.value(t.params[entry.param])), float(t.value), t.number))
    return out


def log_to_parent(tracker, study, summary: StudySummary) -> None:
    """The study's plots and its summary figures (best value and parameters, trial counts) on
    its MLflow parent run."""
    import tempfile
    from pathlib import Path

    from sweeps import study_plots

    with tempfile.TemporaryDirectory() as tmp:
        pngs = study_plots.study_plots(study, Path(tmp))
        metrics, params = {}, {}
        if summary.best is not None:
            metrics[f"best_{summary.objective}"] = summary.best.value
            metrics["best_trial"] = summary.best.number
            params = {f"best.{k}": v for k, v in summary.best.values.items()}
        metrics.update({f"trials_{k.lower()}": v for k, v in summary.counts.items()})
        tracker.log_parent(metrics=metrics, params=params, artifacts=pngs)
