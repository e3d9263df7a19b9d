"""What a claim's runs say: final values, epochs or seconds to a target, mean and SE, the
seeds on which a network learned nothing, the curves and grid points its figure draws."""

from __future__ import annotations

import math
from collections.abc import Sequence

from analysis import statistics
from analysis.retraining import Outcome


def final(outcomes: Sequence[Outcome], worst: float = math.log(2)) -> list[float]:
    """Final validation cost per seed; a diverged run counts as `worst` (see statistics)."""
    out = []
    for o in outcomes:
        v = o.value("val_cost")
        out.append(worst if v is None or not math.isfinite(v) else max(v, 0.0))
    return out


def to_target(outcomes: Sequence[Outcome], target: float, clock: str = "epochs"):
    """(values, never reached): epochs, CPU or wall seconds until val_cost < target, per seed;
    a run that never got there counts as its whole budget (a lower bound)."""
    out, missed = [], 0
    for o in outcomes:
        e = statistics.epochs_to_target(o.val_cost, target) if o.status != "diverged" else None
        series = {"epochs": None, "cpu": o.epoch_cpu, "wall": o.epoch_seconds}[clock]
        if e is None:
            missed += 1
            budget = o.budget if clock == "epochs" else (series[-1] if series else 0.0)
            out.append(float(budget))
        else:
            out.append(float(e) if clock == "epochs" else float(series[e - 1]))
    return out, missed


def summary(xs: Sequence[float]) -> dict:
    m, se = statistics.mean_se(list(xs))
    return {"mean": m, "se": se, "values": list(xs)}


def drop_dead_seeds(runs: dict, seeds: Sequence[int]) -> tuple[dict, list[int]]:
    """Leave out the seeds on which every arm learned nothing (see retrain.learned_nothing):
    whatever the setting, that seed's network died, so it says nothing about the settings.
    (runs without those seeds, the seeds left out)."""
    dead = [
        i for i in range(len(seeds))
        if all(len(outs) > i and outs[i].learned_nothing for outs in runs.values())
    ]  # fmt: skip
    kept = {label: [o for i, o in enumerate(outs) if i not in dead] for label, outs in runs.items()}
    return kept, [seeds[i] for i in dead]


def nothing_learned(runs: dict, seeds: Sequence[int]) -> list[str]:
    """'label: seed s, ...' for every arm with runs that learned nothing."""
    out = []
    for label, outs in runs.items():
        dead = [str(o.key[1]) for o in outs if o.learned_nothing]
        if dead:
            name = "/".join(map(str, label)) if isinstance(label, tuple) else str(label)
            out.append(f"{name}: seed {', '.join(dead)}")
    return out


def mean_curves(runs: dict) -> dict:
    """Label -> mean validation cost per epoch over the seeds (for the plots)."""
    out = {}
    for label, outs in runs.items():
        n = min(len(o.val_cost) for o in outs)
        out[label] = [sum(o.val_cost[i] for o in outs) / len(outs) for i in range(n)]
    return out
