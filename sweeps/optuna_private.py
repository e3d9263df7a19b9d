"""The places Optuna's private attributes are used, each with why no public API serves."""

from __future__ import annotations

import contextlib
import copy
import functools
import threading


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


def backend_of(storage):
    """The RDBStorage behind Optuna's cache (`_CachedStorage._backend`, private), or `storage`
    itself when it is no cache."""
    return getattr(storage, "_backend", storage)


def cached(storage):
    """`storage` as Optuna's study would wrap it (an RDBStorage in Optuna's `_CachedStorage`),
    with `one_read`: create_study keeps a storage that is already a cache as it is."""
    from optuna.storages import RDBStorage

    return _one_read_class()(storage) if isinstance(storage, RDBStorage) else storage


@contextlib.contextmanager
def one_read(study):
    """Inside (in this thread), the study's trials are read from the database once: later
    reads are served by Optuna's cache of them, which holds this process's own new trials.

    For a claim of a population under the budget lock: each `Study.ask` reads every unfinished
    trial twice (to pop a queued one, and for the sampler), so a claim of 8 read the study 17
    times, and each read rebuilds every RUNNING trial of every worker (BENCHMARKS.md). Under the
    lock no other worker claims, so one read sees every trial the claim may take; what the
    other workers report meanwhile the sampler sees at the next claim. Optuna's cache is
    private (`optuna.storages._cached_storage`): no public API reads a study less often."""
    storage = storage_of(study)
    scope = getattr(storage, "one_read_scope", None)
    if scope is None:
        yield
        return
    with scope():
        yield


@functools.cache
def _one_read_class():
    from optuna.storages._cached_storage import _CachedStorage
    from optuna.trial import TrialState

    class OneReadCache(_CachedStorage):
        def __init__(self, backend) -> None:
            super().__init__(backend)
            self._scope = threading.local()

        @contextlib.contextmanager
        def one_read_scope(self):
            self._scope.read, self._scope.created = set(), set()
            try:
                yield
            finally:
                self._scope.read = self._scope.created = None

        def _read_trials_from_remote_storage(self, study_id: int) -> None:
            read = getattr(self._scope, "read", None)
            if read is not None:
                if study_id in read:
                    return
                read.add(study_id)
            super()._read_trials_from_remote_storage(study_id)

        def create_new_trial(self, study_id: int, template_trial=None) -> int:
            trial_id = super().create_new_trial(study_id, template_trial)
            created = getattr(self._scope, "created", None)
            if created is not None:
                created.add(trial_id)
            return trial_id

        def get_trial(self, trial_id: int):
            created = getattr(self._scope, "created", None)
            if created is not None and trial_id in created:  # started here, a moment ago
                with self._lock:
                    study_id, number = self._trial_id_to_study_id_and_number[trial_id]
                    trial = self._studies[study_id].trials[number]
                    if trial.state == TrialState.RUNNING:  # not a queued one, popped since
                        return copy.deepcopy(trial)
            return super().get_trial(trial_id)

    return OneReadCache


def write_together(storage, writes: list[tuple[str, tuple]]) -> None:
    """Write trial user and system attributes ("attr", "system": trial_id, key, value),
    parameters ("param": trial_id, name, internal value, distribution, previous distribution)
    and intermediate values ("value": trial_id, step, value) to an RDBStorage in one
    transaction: all or none.

    Optuna writes each in a transaction of its own (a session, about three statements and a
    commit: ~2.5 ms of a worker's CPU on PostgreSQL, BENCHMARKS.md). Here: one read of the
    trials' states (locked, and checked as Optuna checks them: a finished trial takes no
    write), then one multi-row statement per table, as Optuna's rows. Its per-row writers
    and models are private, and no public API writes several at once."""
    import json

    import sqlalchemy as sa
    from optuna.distributions import check_distribution_compatibility, distribution_to_json
    from optuna.storages import RDBStorage
    from optuna.storages._rdb import models
    from optuna.storages._rdb.storage import _create_scoped_session

    attrs: dict[tuple, str] = {}
    system: dict[tuple, str] = {}
    values: dict[tuple, float] = {}
    params = []
    for kind, args in writes:
        if kind in ("attr", "system"):  # the last write of a key wins
            (attrs if kind == "attr" else system)[args[0], args[1]] = json.dumps(args[2])
        elif kind == "value":
            values[args[0], args[1]] = args[2]
        else:
            params.append(args)
    ids = sorted({k[0] for k in (*attrs, *system, *values)} | {p[0] for p in params})
    trial = models.TrialModel
    with _create_scoped_session(storage.scoped_session) as session:
        query = sa.select(trial.trial_id, trial.state).where(trial.trial_id.in_(ids))
        states = dict(session.execute(query.with_for_update()).all())
        for i in ids:
            if i not in states:
                raise KeyError(f"No trial with trial_id {i} exists.")
            storage.check_trial_is_updatable(i, states[i])
        rows = []
        for trial_id, name, value, distribution, previous in params:
            if previous is None:  # the study's first of this name here: Optuna looks it up
                RDBStorage._set_trial_param_without_commit(
                    storage, session, trial_id, name, value, distribution, None
                )
                continue
            check_distribution_compatibility(previous, distribution)
            rows.append({"trial_id": trial_id, "param_name": name, "param_value": value,
                         "distribution_json": distribution_to_json(distribution)})  # fmt: skip
        if rows:
            session.execute(sa.insert(models.TrialParamModel.__table__).values(rows))
        if values:
            stored = models.TrialIntermediateValueModel.intermediate_value_to_stored_repr
            rows = [
                dict(zip(("intermediate_value", "intermediate_value_type"), stored(v),
                         strict=True), trial_id=t, step=step)
                for (t, step), v in values.items()
            ]  # fmt: skip
            table = models.TrialIntermediateValueModel.__table__
            _upsert(session, table, rows, ("trial_id", "step"), tuple(rows[0])[:2])
        for written, model in ((attrs, models.TrialUserAttributeModel),
                               (system, models.TrialSystemAttributeModel)):  # fmt: skip
            if written:
                rows = [{"trial_id": t, "key": k, "value_json": v} for (t, k), v in written.items()]
                _upsert(session, model.__table__, rows, ("trial_id", "key"), ("value_json",))


def _upsert(session, table, rows: list[dict], keys: tuple, columns: tuple) -> None:
    """INSERT ... ON CONFLICT (keys) UPDATE columns, in the dialect of the session's database."""
    name = session.get_bind().dialect.name
    if name == "mysql":
        from sqlalchemy.dialects.mysql import insert

        stmt = insert(table).values(rows)
        stmt = stmt.on_duplicate_key_update({c: stmt.inserted[c] for c in columns})
    else:  # PostgreSQL and SQLite (3.24+) share the syntax
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        insert = pg_insert if name == "postgresql" else sqlite_insert
        stmt = insert(table).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in columns}
        )
    session.execute(stmt)
