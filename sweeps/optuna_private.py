"""The two places Optuna's private attributes are read, each with why no public API serves."""

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
