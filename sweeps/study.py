"""A sweep's study: created or resumed (with its textbook-defaults trial and its MLflow parent
run), its progress, and the runs of trials that dead workers left open.

    study, storage, tracker = open_study(sweep)   # under the budget lock: once for all workers
    progress(study, sweep.spec.trials)            # what the progress bar shows
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from sweeps import storage as storage_mod
from sweeps.attrs import DEFAULTS_ATTR, OBJECTIVES_ATTR, PARENT_ATTR, SPEC_ATTR, SWEEP_DOC_ATTR
from sweeps.objectives import check_objectives, stored_objectives
from sweeps.optuna_private import cached
from sweeps.sweep import Sweep
from tracking.store import mask


def _create_or_load(sweep: Sweep, seed_offset: int = 0):
    import optuna

    from sweeps.samplers import make_pruner, make_sampler

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from sweeps.sweep_file import MAX_SEED

    # each worker samples with its own seed; past NumPy's largest seed it wraps around
    spec = dataclasses.replace(sweep.spec, seed=(sweep.spec.seed + seed_offset) % (MAX_SEED + 1))
    storage = storage_mod.open_storage(sweep.storage)
    study = optuna.create_study(
        study_name=sweep.spec.name,
        storage=cached(storage),  # Optuna's cache, which a claim reads once (one_read)
        directions=list(sweep.spec.all_directions),
        sampler=make_sampler(spec),
        pruner=make_pruner(spec),
        load_if_exists=True,
    )
    check_objectives(study, sweep.spec)
    return study, storage


def open_study(sweep: Sweep, seed_offset: int = 0):
    """Create or resume the study and its parent run; return (study, storage, tracker).

    Under the budget lock, so that workers starting together enqueue the all-defaults trial
    once and share one parent run.
    """
    study, storage = _create_or_load(sweep, seed_offset)
    tracker = None
    if sweep.tracking_uri is not None:
        from tracking.runs import preload

        preload(sweep.tracking_uri)  # not under the lock: workers starting together import at once
    with storage_mod.budget_lock(sweep.storage, sweep.spec.name, storage):
        if not study.get_trials(deepcopy=False):
            defaults = sweep.spec.space.default_params()
            if defaults:  # the textbook defaults are always measured, first
                study.enqueue_trial(defaults, user_attrs={DEFAULTS_ATTR: True})
            if sweep.options.warm_start is not None:  # evidence for the sampler, not work
                from sweeps import warm

                study.add_trials(warm.source_trials(sweep))
            study.set_user_attr(SPEC_ATTR, str(sweep.spec.path))
            if sweep.spec.is_multi:  # the dashboard's and the plots' axis names
                _name_objectives(study, sweep.spec)
            study.set_user_attr(SWEEP_DOC_ATTR, stored_sweep(sweep.spec))
        stale = storage_mod.fail_stale_trials(study, sweep.storage)
        if sweep.tracking_uri is not None:
            tracker = _open_parent(sweep, study)
    close_runs(tracker, study, stale)
    return study, storage, tracker


def _name_objectives(study, spec) -> None:
    """Name the values (optuna-dashboard and Optuna's plots show the names) and keep what they
    are, so a resumed sweep of other objectives or another target is refused."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # set_metric_names is marked experimental
        study.set_metric_names(list(spec.all_objectives))
    study.set_user_attr(OBJECTIVES_ATTR, stored_objectives(spec))


def stored_sweep(spec) -> dict:
    """The sweep file as its study keeps it, for workers that join by the study's name: the
    parsed document (it names no storage or tracking URL: those are options), where it was read
    and which optsweep read it."""
    import json
    from importlib.metadata import PackageNotFoundError, version

    try:
        mine = version("optsweep")
    except PackageNotFoundError:  # run from a source tree that was never installed
        mine = "unknown"
    doc = json.loads(json.dumps(spec.doc, default=str))  # TOML dates as text
    for table in doc.values():  # a warm start's storage URL may hold a password
        warm = table.get("warm_start") if isinstance(table, dict) else None
        if isinstance(warm, dict) and isinstance(warm.get("storage"), str):
            warm["storage"] = mask(warm["storage"])
    return {"path": str(Path(spec.path).resolve()), "doc": doc, "version": mine}


def close_runs(tracker, study, numbers: list[int]) -> None:
    """End the MLflow runs that dead workers left RUNNING (their trials were just failed)."""
    if tracker is not None and numbers:
        from sweeps import sync

        sync.close_runs(tracker, study, numbers)


def _open_parent(sweep: Sweep, study):
    from tracking.runs import StudyTracker

    tracker = StudyTracker(sweep.tracking_uri, sweep.spec.name)
    known = study.user_attrs.get(PARENT_ATTR)
    params = {
        "sweep_file": str(sweep.spec.path),
        "trials": sweep.spec.trials,
        "sampler": sweep.spec.sampler,
        "pruner": sweep.spec.pruner,
        "objective": sweep.spec.objective,
        "direction": sweep.spec.direction,
        **(
            {"objectives": ",".join(sweep.spec.objectives), "target": sweep.spec.target}
            if sweep.spec.is_multi
            else {}
        ),
        "seed": sweep.spec.seed,
        "storage": sweep.storage.shown,
        **({"warm_start": sweep.options.warm_start} if sweep.options.warm_start else {}),
        **{f"fixed.{k}": v for k, v in sweep.spec.train.items()},
        "fixed.data": sweep.spec.data.name,
    }
    run_id = tracker.open_parent(params, parent_run_id=known)
    if run_id != known:
        study.set_user_attr(PARENT_ATTR, run_id)
    return tracker


@dataclass
class Progress:
    """What the progress bar shows, read from the storage."""

    done: int
    total: int
    best: float | None
    running: int


def progress(study, budget: int) -> Progress:
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    counted = storage_mod.counted(trials)
    finished = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    done = sum(t.state in finished for t in counted)
    values = [t.values[0] for t in counted if t.state == TrialState.COMPLETE and t.values]
    best = None  # of the first objective, when there are two
    if values:
        best = min(values) if study.directions[0].name == "MINIMIZE" else max(values)
    running = sum(t.state == TrialState.RUNNING for t in trials)
    return Progress(min(done, budget), budget, best, running)


def finish_parent(tracker, study, budget: int) -> None:
    """End the parent run FINISHED once the budget is done, else leave it RUNNING: a re-run
    resumes it."""
    if progress(study, budget).done >= budget:
        tracker.finish_parent("FINISHED")
