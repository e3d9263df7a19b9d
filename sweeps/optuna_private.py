"""The places Optuna's private attributes are read, each with why no public API serves."""

from __future__ import annotations


def storage_of(study):
    """The storage a study reads and writes. Study exposes it only as `_storage`: no public
    accessor exists, and the heartbeat (record_heartbeat, the stale-trial callback that retries
    a dead worker's trial) lives on the storage. Every use goes through here."""
    return study._storage


def trial_id(trial) -> int:
    """The storage's id of a trial. Optuna's storage API addresses trials by id; Trial and
    FrozenTrial show only their `number` publicly, and the public lookup
    (get_trial_id_from_study_id_trial_number) costs two storage queries a call, on the path of
    every heartbeat. Every use goes through here."""
    return trial._trial_id


def pareto_front_of(trials, directions) -> list:
    """The completed trials among `trials` that none of them dominates. Study.best_trials is
    the public front, but of every trial in the study: a warm start's added trials (evidence
    from another study) would stand on it and hide this study's own; Optuna's own filter over
    a list of trials is private. Every use goes through here."""
    from optuna.study._multi_objective import _get_pareto_front_trials_by_trials

    return _get_pareto_front_trials_by_trials(trials, directions)
