"""Warm starts: a new study learns from an earlier one's completed trials.

    [study]
    warm_start = "default"                                   # a study in the same storage
    warm_start = { study = "default", storage = "sqlite:///old.db" }   # or in another one

When the new study is created, the earlier study's completed trials are added to it (Optuna's
`add_trials`), best first, so that its sampler starts from what they found; TPE's random
start-up counts them too. They are evidence, not work: they do not count against the new
study's budget (`storage.counted`), are not run again, get no MLflow run (the parent run names
the source study in its `warm_start` param), and the all-defaults trial still runs first.

The earlier study must have been created by a sweep of the same training settings, data set and
objective (its sweep file is kept in the study), and every added value must lie inside the new
search space: otherwise the warm start is refused in one line, before anything is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.errors import ConfigError
from sweeps import storage as storage_mod
from sweeps.attrs import FINAL_ATTR, SWEEP_DOC_ATTR, VALUES_ATTR, WARM_ATTR

if TYPE_CHECKING:
    from sweeps.sweep import Sweep
    from sweeps.sweep_file import SweepSpec


def source_trials(sweep: Sweep) -> list:
    """The earlier study's completed trials as the new study takes them (FrozenTrials, best
    first); ConfigError (one line) when it cannot warm-start this sweep."""
    import optuna
    from optuna.trial import TrialState

    from sweeps import sweep_file

    name = sweep.options.warm_start
    where = sweep.options.warm_start_storage
    cfg = sweep.storage if where is None else storage_mod.resolve(where, sweep.workdir)
    source = storage_mod.load_study(cfg, name)  # an unknown name: the ones there are
    stored = source.user_attrs.get(SWEEP_DOC_ATTR)
    if not isinstance(stored, dict) or "doc" not in stored:
        raise ConfigError(
            f"--warm-start {name}: that study does not keep its sweep file (an earlier "
            "optsweep created it), so its settings cannot be checked"
        )
    before = sweep_file.load_doc(stored["doc"], stored["path"])
    _check_same_task(name, before, sweep.spec)
    space = {e.param: e for e in sweep.spec.space.entries}
    done = source.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    done = [t for t in done if t.values and WARM_ATTR not in t.user_attrs]
    if not done:
        raise ConfigError(f"--warm-start {name}: that study has no completed trial yet")
    reverse = source.directions[0] == optuna.study.StudyDirection.MAXIMIZE
    added = []
    for t in sorted(done, key=lambda t: t.values[0], reverse=reverse):  # the first objective
        outside = [p for p, v in t.params.items() if p not in space or not _within(space[p], v)]
        if outside:
            raise ConfigError(
                f"--warm-start {name}: its trial {t.number} has {outside[0]} = "
                f"{t.params.get(outside[0])!r}, outside this sweep's space; widen the space or "
                "warm-start from a study of the same space"
            )
        added.append(optuna.trial.create_trial(
            params=t.params,
            distributions={p: space[p].distribution() for p in t.params},
            values=t.values,
            user_attrs={  # what it tried and how it ended; not its worker, run or flags
                **{k: t.user_attrs[k] for k in (VALUES_ATTR, FINAL_ATTR) if k in t.user_attrs},
                WARM_ATTR: {"study": name, "trial": t.number},
            },
        ))  # fmt: skip
    return added


def _check_same_task(name: str, before: SweepSpec, now: SweepSpec) -> None:
    """The same data, fixed settings and objective: else the earlier values mean another thing."""
    for what, a, b in (
        ("data set", before.data, now.data),
        ("[train] settings", before.train, now.train),
        ("objective", _judged(before), _judged(now)),
    ):
        if a != b:
            raise ConfigError(
                f"--warm-start {name}: that study ran with another {what} ({_short(a)} there, "
                f"{_short(b)} here); warm-start only from a sweep of the same task"
            )


def _judged(spec: SweepSpec) -> tuple:
    """What a sweep's values are: its objectives (one or two), directions and target."""
    return (spec.all_objectives, spec.all_directions, spec.target)


def _short(value) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 80 else text[:77] + "..."


def _within(entry, raw) -> bool:
    """Whether Optuna's raw value `raw` lies inside `entry`'s distribution."""
    if entry.kind == "categorical":
        return raw in entry.choices
    low, high = entry.raw_bounds
    return low <= raw <= high
