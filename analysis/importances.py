"""How much each searched parameter matters, by Optuna's importance evaluators (fANOVA and
PED-ANOVA) over the sweep's completed trials; each figure comes with why it is missing when it is.
"""

from __future__ import annotations

import warnings
from typing import Any

PED_ANOVA_MIN_TRIALS = 10  # with at least 5 in its top quantile (Optuna's advice)
PED_ANOVA_MIN_TOP = 5


def importances(study, spec) -> dict[str, dict[str, dict]]:
    """Optuna param -> {"fanova": {value, note}, "ped_anova": {value, note}}.

    Optuna's evaluators take the parameters every completed trial shares; an entry that only
    some trials have (conditional on the optimizer) is evaluated among the trials that have it.
    """
    from optuna.importance import FanovaImportanceEvaluator, PedAnovaImportanceEvaluator
    from optuna.trial import TrialState

    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    out: dict[str, dict[str, dict]] = {e.param: {} for e in spec.space.entries}
    groups: dict[Any, list[str]] = {}
    for e in spec.space.entries:
        groups.setdefault(e.condition, []).append(e.param)
    for condition, params in groups.items():
        scope = [t for t in complete if all(p in t.params for p in params)]
        where = "" if condition is None else f" (among the {condition[1]} trials)"
        fanova = _importance(study, params if condition else None, FanovaImportanceEvaluator(
            seed=0), len(scope), 2)  # fmt: skip
        if len(scope) < PED_ANOVA_MIN_TRIALS:
            ped = ({}, f"n/a (needs {PED_ANOVA_MIN_TRIALS} completed trials{where}, has "
                       f"{len(scope)})")  # fmt: skip
        else:
            q = max(0.1, PED_ANOVA_MIN_TOP / len(scope))
            ped = _importance(
                study,
                params if condition else None,
                PedAnovaImportanceEvaluator(target_quantile=q),
                len(scope),
                2,
            )
            ped = (ped[0], ped[1] or f"top {q:.0%} of {len(scope)} trials")
        for p in params:
            for name, (values, note) in (("fanova", fanova), ("ped_anova", ped)):
                if p in values:
                    out[p][name] = {"value": float(values[p]), "note": _scope(note, where)}
                else:
                    why = note if note.startswith("n/a") else f"n/a ({note or 'not evaluated'})"
                    out[p][name] = {"value": None, "note": why}
    return out


def _scope(note: str, where: str) -> str:
    return (note + where).strip() if not note.startswith("n/a") else note


def _importance(study, params, evaluator, n: int, minimum: int) -> tuple[dict, str]:
    import optuna

    from sweeps.objectives import first_objective

    if n < minimum:
        return {}, f"n/a (needs {minimum} completed trials, has {n})"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = optuna.importance.get_param_importances(
                study, evaluator=evaluator, params=params, target=first_objective(study)
            )  # two objectives: the first one's importances
    except (RuntimeError, ValueError) as e:
        return {}, f"n/a ({str(e).splitlines()[0]})"
    if values and all(v == 0 for v in values.values()):
        return {}, "n/a (all importances 0: too few distinct trials)"
    return dict(values), ""
