"""What a trial is judged on: one objective, or two (a multi-objective study, its Pareto front).

    [study]
    objective = "val_cost"                         # one: the final val_cost, minimized
    objectives = ["val_cost", "epochs_to_target"]  # two: Optuna's multi-objective study
    target = 0.3                                   # the val_cost that epochs_to_target waits for

The objectives:
    val_cost          the final validation cost, minimized
    val_accuracy      the final validation accuracy, maximized
    epochs_to_target  the first epoch (counted from 1) at whose end the other objective's metric
                      reaches `target` (val_cost <= target, or val_accuracy >= target),
                      minimized; a trial that never reaches it scores its epoch budget + 1,
                      worse than any trial that got there, and still completes (its final
                      cost is worth having on the front)

`epochs_to_target` goes second, after val_cost or val_accuracy (it counts towards that one's
target; the first objective is the one the defaults report judges), so a study of two objectives
is [metric, "epochs_to_target"] or ["val_cost", "val_accuracy"] (no target). The Pareto trial
best on the first objective stands for the study where one trial must (the summary's best, the
report's tuned, the API's best_value). Imports no optuna.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from core.errors import ConfigError
from sweeps.attrs import OBJECTIVES_ATTR

DIRECTIONS: dict[str, str] = {
    "val_cost": "minimize",
    "val_accuracy": "maximize",
    "epochs_to_target": "minimize",
}
METRICS: tuple[str, ...] = ("val_cost", "val_accuracy")  # final figures of a training run
EPOCHS_TO_TARGET = "epochs_to_target"


def epochs_to_target(curve: Sequence[float], target: float, direction: str, budget: int) -> int:
    """The first epoch (1-based) whose value reaches `target` (<= when minimized, >= when
    maximized); `budget` + 1 when none does. NaN never reaches it."""
    for epoch, value in enumerate(curve, start=1):
        v = float(value)
        if math.isfinite(v) and (v <= target if direction == "minimize" else v >= target):
            return epoch
    return int(budget) + 1


def target_metric(objectives: Sequence[str]) -> str | None:
    """The metric epochs_to_target counts towards: the first objective; None without it."""
    return objectives[0] if EPOCHS_TO_TARGET in objectives[1:] else None


def values(
    objectives: Sequence[str],
    final: Mapping[str, float],
    history: Mapping[str, Sequence[float]],
    target: float | None,
    budget: int,
) -> list[float]:
    """A completed run's objective values, in the order of `objectives`: final figures from
    `final`, epochs_to_target from the per-epoch `history` of its metric."""
    out = []
    for name in objectives:
        if name == EPOCHS_TO_TARGET:
            metric = target_metric(objectives)
            out.append(float(epochs_to_target(history[metric], target, DIRECTIONS[metric], budget)))
        else:
            out.append(float(final[name]))
    return out


# --- a study's objectives -------------------------------------------------------------------


def objective_names(study, objective: str = "val_cost") -> list[str]:
    """The study's objectives: the names it was given (two objectives), else `objective`."""
    names = study.metric_names if len(study.directions) > 1 else None
    return list(names) if names else [objective] + [f"objective {i + 1}" for i in
                                                    range(1, len(study.directions))]  # fmt: skip


def first_objective(study):
    """Optuna's `target` for a study of two objectives (plots, importances): the first
    objective's value; None (the value itself) for one."""
    if len(study.directions) == 1:
        return None
    return lambda t: t.values[0]


def check_objectives(study, spec) -> None:
    """A study resumed (or joined) by a sweep file must judge trials as it was created to:
    the same directions, objectives and target; ConfigError in one line otherwise."""
    mine = list(spec.all_directions)
    theirs = [d.name.lower() for d in study.directions]
    known = study.user_attrs.get(OBJECTIVES_ATTR)
    if theirs == mine and (known is None or stored_objectives(spec) == known):
        return
    if known is None:  # created by a single-objective sweep (or an optsweep before this key)
        was = f"{len(theirs)} objective{'s' if len(theirs) > 1 else ''} ({', '.join(theirs)})"
    else:
        target = f", target {known['target']:g}" if known.get("target") is not None else ""
        was = f"objectives {', '.join(known['objectives'])}{target}"
    now = ", ".join(f"{o} ({d})" for o, d in zip(spec.all_objectives, mine, strict=True))
    target = f", target {spec.target:g}" if spec.target is not None else ""
    raise ConfigError(
        f"study {spec.name!r} already exists with {was}; this sweep file has {now}{target}: "
        "pass --study NEW_NAME, or restore the file the study ran with"
    )


def stored_objectives(spec) -> dict:
    """What a study of this sweep file keeps of its objectives (OBJECTIVES_ATTR)."""
    return {"objectives": list(spec.all_objectives), "target": spec.target}
