"""What a finished (or resumed) study looks like: best trial, counts, top five, importances.

A study of two objectives (sweeps/objectives.py) also has its Pareto front: its own completed
trials that no other of them dominates, best first on the first objective. Its `best` is the
front's best on the first objective (ties: the second), its top five and importances are by the
first objective; its rows carry both values (`scores`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

from sweeps.attrs import FINAL_ATTR, REASON_ATTR, VALUES_ATTR, WARM_ATTR
from sweeps.objectives import first_objective, objective_names


@dataclass
class TrialRow:
    number: int
    state: str
    value: float | None  # the (first) objective's
    values: dict  # hyperparameter values (betas as betas, batch size as a size)
    epochs: int | None
    seconds: float | None
    reason: str
    scores: tuple[float, ...] | None = None  # every objective's value (None: not completed)


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
    objectives: list[str] = field(default_factory=list)  # every objective, the first first
    directions: list[str] = field(default_factory=list)
    pareto: list[TrialRow] = field(default_factory=list)  # two objectives: the front

    @property
    def is_multi(self) -> bool:
        return len(self.objectives) > 1


def row(trial) -> TrialRow:
    final = trial.user_attrs.get(FINAL_ATTR) or {}
    values = trial.user_attrs.get(VALUES_ATTR) or dict(trial.params)
    return TrialRow(
        number=trial.number,
        state=trial.state.name,
        value=trial.values[0] if trial.values else None,
        values=values,
        epochs=final.get("epochs_run"),
        seconds=final.get("seconds"),
        reason=trial.user_attrs.get(REASON_ATTR, ""),
        scores=tuple(trial.values) if trial.values else None,
    )


def pareto_front(study, trials) -> list:
    """The trials among `trials` (completed) that no other of them dominates, ordered by the
    first objective, then the second, then number."""
    from sweeps.optuna_private import pareto_front_of

    front = pareto_front_of(trials, study.directions)
    signs = [1.0 if d.name == "MINIMIZE" else -1.0 for d in study.directions]
    return sorted(front, key=lambda t: (*(s * v for s, v in zip(signs, t.values, strict=True)),
                                        t.number))  # fmt: skip


def summarize(study, objective: str = "val_cost", importances: bool = True) -> StudySummary:
    from optuna.trial import TrialState

    everything = study.get_trials(deepcopy=False)
    trials = [t for t in everything if WARM_ATTR not in t.user_attrs]  # this study's own work
    counts: dict[str, int] = {}
    for t in trials:
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    if len(trials) < len(everything):  # a warm start's: evidence from another study
        counts["WARM-START"] = len(everything) - len(trials)
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.values]
    maximize = study.directions[0].name == "MAXIMIZE"
    ranked = sorted(complete, key=lambda t: t.values[0], reverse=maximize)
    names = objective_names(study, objective)
    front = pareto_front(study, complete) if len(study.directions) > 1 else []
    best = front[0] if front else ranked[0] if ranked else None
    summary = StudySummary(
        name=study.study_name,
        objective=names[0],
        direction=study.directions[0].name.lower(),
        counts=counts,
        best=row(best) if best is not None else None,
        top=[row(t) for t in ranked[:5]],
        rows=[row(t) for t in trials],
        objectives=names,
        directions=[d.name.lower() for d in study.directions],
        pareto=[row(t) for t in front],
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
            result = optuna.importance.get_param_importances(
                study, evaluator=evaluator, target=first_objective(study)
            )
    except (RuntimeError, ValueError) as e:
        return {}, str(e).splitlines()[0]
    return dict(result), ""


def trial_points(study, entry) -> list[tuple[float, float, int]]:
    """(value, objective, trial number) of the completed trials that sampled `entry`."""
    from optuna.trial import TrialState

    out = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        v = t.values[0] if t.values else None  # the first objective, when there are two
        if entry.param in t.params and v is not None and math.isfinite(v):
            out.append((float(entry.value(t.params[entry.param])), float(v), t.number))
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
        if summary.is_multi:  # the best on the first objective; the front beside it
            metrics["pareto_trials"] = len(summary.pareto)
            if summary.best is not None:
                second = summary.objectives[1]
                metrics[f"best_trial_{second}"] = summary.best.scores[1]
        metrics.update({f"trials_{k.lower()}": v for k, v in summary.counts.items()})
        tracker.log_parent(metrics=metrics, params=params, artifacts=pngs)
