"""StudyTracker and TrialRun against a real MLflow SQLite store: what lands in MLflow, and how."""

import json
import os
import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.fresh import fresh_python
from tracking.errors import TrackingError
from tracking.retry import RetryPolicy, Writer
from tracking.runs import StudyTracker, TrialRun, open_client, run_name
from tracking.store import sqlite_path

FAST = RetryPolicy(attempts=3, base_delay=0.02, max_total=1.0, cooldown=30, timeout=1)


def epoch_metrics(e: int) -> dict[str, float]:
    """Distinct, exactly representable values per epoch and key."""
    return {
        "train_cost": 1.0 / e,
        "val_cost": 1.5 / e,
        "train_accuracy": e / 4096,
        "val_accuracy": e / 8192,
        "lr": 0.001 * (0.5 ** (e % 3)),
    }


class Counting:
    """A thin wrapper on a real MlflowClient that counts the calls made through it."""

    def __init__(self, client):
        self._client = client
        self.calls = Counter()

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def counted(*args, **kwargs):
            self.calls[name] += 1
            return attr(*args, **kwargs)

        return counted


class Flaky(Counting):
    """Fails the first `failures` calls of `method` with `error` before passing calls through."""

    def __init__(self, client, method, failures, error):
        super().__init__(client)
        self.method, self.failures, self.error = method, failures, error

    def __getattr__(self, name):
        real = super().__getattr__(name)
        if name != self.method:
            return real

        def flaky(*args, **kwargs):
            if self.failures > 0:
                self.failures -= 1
                self.calls[f"{name}:failed"] += 1
                raise self.error
            return real(*args, **kwargs)

        return flaky


@pytest.fixture
def tracker(store):
    t = StudyTracker(store, "moons-adam")
    t.open_parent({"n_trials": 4, "data": "moons"})
    return t


def run_info(tracker, run_id):
    return tracker.client.get_run(run_id)


# -- the parent run -------------------------------------------------------------------------


def test_parent_is_found_again_not_duplicated_and_reopened_running(store):
    a = StudyTracker(store, "study-1")
    first = a.open_parent({"n_trials": 10, "sampler": "tpe"}, tags={"owner": "me"})
    assert a.open_parent({"n_trials": 10}) == first
    b = StudyTracker(store, "study-1")  # e.g. a second worker or a resumed sweep
    assert b.experiment_id == a.experiment_id and b.open_parent({"n_trials": 10}) == first
    assert run_info(a, first).info.status == "RUNNING"

    a.finish_parent()
    assert run_info(a, first).info.status == "FINISHED"
    c = StudyTracker(store, "study-1")
    assert c.open_parent({"n_trials": 20, "timeout": 60}) == first  # resumed with more trials
    run = run_info(c, first)
    assert run.info.status == "RUNNING" and run.info.run_name == "study-1"
    assert run.data.params == {"n_trials": "10", "sampler": "tpe", "timeout": "60"}
    assert run.data.tags["optsweep.param_changed.n_trials"] == "20"
    assert run.data.tags["owner"] == "me" and run.data.tags["optsweep.role"] == "study"
    assert c.open_parent(parent_run_id=first) == first  # the known id skips the search

    other = StudyTracker(store, "study-2")
    assert other.open_parent({}) != first and other.experiment_id != a.experiment_id


def test_a_parent_run_id_the_store_no_longer_has_is_ignored(store):
    t = StudyTracker(store, "s")
    assert t.open_parent({}, parent_run_id="f" * 32) != "f" * 32  # e.g. mlflow.db was replaced
    first = t.parent_run_id
    t.client.delete_run(first)
    again = t.open_parent({}, parent_run_id=first)
    assert again != first and t.open_parent({}) == again


def test_parent_run_id_of_another_study_is_refused(store):
    a = StudyTracker(store, "a")
    run_a = a.open_parent({})
    b = StudyTracker(store, "b")
    with pytest.raises(TrackingError, match="is not in the experiment of study 'b'"):
        b.open_parent({}, parent_run_id=run_a)


def test_experiment_keeps_artifacts_beside_the_sqlite_store(tracker, store):
    exp = tracker.client.get_experiment(tracker.experiment_id)
    assert exp.name == "moons-adam"
    assert exp.artifact_location == (sqlite_path(store).parent / "mlartifacts/moons-adam").as_uri()


def test_log_parent_metrics_params_and_artifacts(tracker, tmp_path):
    png = tmp_path / "overlay.png"
    png.write_bytes(b"\x89PNG fake")
    tracker.log_parent(
        metrics={"best_val_cost": 0.25, "n_complete": 3, "skipped": None},
        params={"best_trial": 2},
        tags={"optsweep.best": "trial-002"},
        artifacts=[png],
        artifact_dir="plots",
    )
    run = run_info(tracker, tracker.parent_run_id)
    assert run.data.metrics == {"best_val_cost": 0.25, "n_complete": 3.0}
    assert run.data.params["best_trial"] == "2" and run.data.tags["optsweep.best"] == "trial-002"
    files = [f.path for f in tracker.client.list_artifacts(tracker.parent_run_id, "plots")]
    assert files == ["plots/overlay.png"] and not tracker.degraded


# -- a trial's child run ----------------------------------------------------------------------


def test_child_run_holds_every_epoch_final_figures_tags_and_curves(tracker, store):
    params = {"optimizer": "adam", "alpha": 3.2e-3, "batch_size": 128, "layers": [5, 2]}
    run = tracker.start_trial(7, params, tags={"sampler": "tpe"}, total_epochs=40)
    for e in range(1, 38):
        run.log_epoch(e, epoch_metrics(e))
        if e % 10 == 0:
            assert run.flush() and run.pending == 0
    final = {"train_cost": 0.02, "val_cost": 0.03, "train_accuracy": 1.0,
             "val_accuracy": None, "seconds": 1.25, "epochs_run": 37}  # fmt: skip
    smoothed = [(1, 2.0), (2, 1.5), (3, 0.5)]
    run.end("PRUNED", final, reason="pruned at epoch 37", smoothed_cost=smoothed)
    assert not run.degraded and run.errors == []

    for key in ("train_cost", "val_cost", "train_accuracy", "val_accuracy", "lr"):
        expected = [(e, epoch_metrics(e)[key]) for e in range(1, 38)]
        assert tracker.metric_history(run.run_id, key) == expected
    r = run_info(tracker, run.run_id)
    assert r.info.status == "KILLED" and r.info.run_name == "trial-007 adam a=3.2e-3 bs=128"
    finals = {k: tracker.metric_history(run.run_id, k) for k in
              ("final_train_cost", "final_val_cost", "seconds", "epochs_run")}  # fmt: skip
    assert finals == {"final_train_cost": [(37, 0.02)], "final_val_cost": [(37, 0.03)],
                      "seconds": [(37, 1.25)], "epochs_run": [(37, 37.0)]}  # fmt: skip
    assert "final_val_accuracy" not in r.data.metrics  # None is skipped, not logged as NaN
    assert r.data.params == {"optimizer": "adam", "alpha": "0.0032", "batch_size": "128",
                             "layers": "[5,2]"}  # fmt: skip
    tags = r.data.tags
    assert tags["mlflow.parentRunId"] == tracker.parent_run_id and tags["sampler"] == "tpe"
    assert (tags["optsweep.study"], tags["optsweep.trial"], tags["optsweep.role"]) == (
        "moons-adam", "7", "trial")  # fmt: skip
    assert tags["optsweep.state"] == "PRUNED" and tags["optsweep.reason"] == "pruned at epoch 37"
    assert tags["mlflow.note.content"] == "trial 7 PRUNED after 37 epochs: pruned at epoch 37"
    assert tracker.metric_history(run.run_id, "minibatch_cost_ewa") == smoothed

    artifact = (
        sqlite_path(store).parent / "mlartifacts/moons-adam" / run.run_id / "artifacts/curves.json"
    )
    payload = json.loads(artifact.read_text())
    assert payload["curves"]["epoch"] == list(range(1, 38))
    assert payload["curves"]["val_cost"] == [1.5 / e for e in range(1, 38)]
    assert payload["state"] == "PRUNED" and payload["final"]["val_accuracy"] is None

    listed = tracker.trial_runs()
    assert list(listed) == [7] and listed[7]["run_id"] == run.run_id
    assert listed[7]["status"] == "KILLED" and listed[7]["tags"]["optsweep.state"] == "PRUNED"


def test_long_runs_are_thinned_evenly_with_the_last_epoch_and_full_curves_in_the_artifact(
    tracker, store
):
    run = tracker.start_trial(1, {"alpha": 0.01}, total_epochs=2500)  # stride ceil(2.5) = 3
    for e in range(1, 1502):  # pruned after 1501 epochs, which is not a multiple of 3
        run.log_epoch(e, epoch_metrics(e))
    run.end("PRUNED", {"val_cost": 0.5})
    history = tracker.metric_history(run.run_id, "val_cost")
    assert [s for s, _ in history] == [*range(3, 1501, 3), 1501]
    assert all(v == 1.5 / s for s, v in history)
    artifact = sqlite_path(store).parent / "mlartifacts/moons-adam" / run.run_id
    payload = json.loads((artifact / "artifacts/curves.json").read_text())
    assert payload["curves"]["epoch"] == list(range(1, 1502))


def test_every_optuna_state_maps_to_an_mlflow_status(tracker):
    expected = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED",
                "RUNNING": "FAILED", "complete": "FINISHED"}  # fmt: skip
    ids = {}
    for n, state in enumerate(expected):
        run = tracker.start_trial(n, {"alpha": 0.1})
        run.log_epoch(1, epoch_metrics(1))
        run.end(state, {"val_cost": 1.0}, reason=f"because {state}")
        ids[state] = run.run_id
    statuses = {s: run_info(tracker, rid).info.status for s, rid in ids.items()}
    assert statuses == expected


def test_context_manager_ends_a_run_on_an_escaping_exception(tracker):
    with pytest.raises(ZeroDivisionError), tracker.start_trial(1, {"alpha": 1.0}) as run:
        run.log_epoch(1, epoch_metrics(1))
        1 / 0  # noqa: B018

    class TrialPruned(Exception):  # optuna.TrialPruned, matched by name
        pass

    with pytest.raises(TrialPruned), tracker.start_trial(2, {"alpha": 1.0}) as pruned:
        raise TrialPruned("pruned at epoch 1")
    with tracker.start_trial(3, {"alpha": 1.0}) as done:
        done.log_epoch(1, epoch_metrics(1))
    tags = {n: v["tags"] for n, v in tracker.trial_runs().items()}
    assert run_info(tracker, run.run_id).info.status == "FAILED"
    assert tags[1]["optsweep.reason"] == "ZeroDivisionError: division by zero"
    assert run_info(tracker, pruned.run_id).info.status == "KILLED"
    assert run_info(tracker, done.run_id).info.status == "FINISHED"


def test_no_password_reaches_the_store_or_the_artifacts(tracker, store):
    secret = "hunter2-s3cret"
    url = f"postgresql://u:{secret}@db.example.org/optuna"
    tracker.log_parent(params={"storage": url})
    run = tracker.start_trial(0, {"storage": url, "nested": {"url": url}},
                              tags={"optuna.storage": url})  # fmt: skip
    run.log_epoch(1, epoch_metrics(1))
    run.end("FAIL", {}, reason=f"could not connect to {url}", extra_tags={"where": url})
    r = run_info(tracker, run.run_id)
    assert r.data.params["storage"] == "postgresql://u:***@db.example.org/optuna"
    assert r.data.params["nested.url"] == r.data.params["storage"]
    assert r.data.tags["optsweep.reason"] == f"could not connect to {r.data.params['storage']}"
    folder = sqlite_path(store).parent
    for path in [sqlite_path(store), *folder.rglob("*.json")]:
        assert secret.encode() not in Path(path).read_bytes(), path


def test_log_batch_limits_hold_for_1500_epochs_of_5_metrics_and_calls_stay_few(store):
    client = Counting(open_client(store))
    tracker = StudyTracker(store, "limits", client=client)
    tracker.open_parent({f"setting_{i}": i for i in range(150)})  # > 100 params: 2 calls
    assert client.calls["log_batch"] == 2
    client.calls.clear()

    many = {f"p{i}": i for i in range(250)}  # 250 params: they wait for the first flush
    run = tracker.start_trial(0, many)  # no total_epochs: every epoch is kept
    for e in range(1, 1501):
        run.log_epoch(e, epoch_metrics(e))
    assert client.calls["log_batch"] == 0 and client.calls["create_run"] == 1
    assert run.flush()
    # 7500 metrics and 250 params in calls of <= 1000 entities, <= 100 params: 900, 900, 950
    # metrics beside 100, 100 and 50 params, then 5 x 1000
    assert client.calls["log_batch"] == 8
    run.end("COMPLETE", {"val_cost": 0.1}, smoothed_cost=[(i, 1.0) for i in range(1, 1001)])
    assert not run.degraded
    # end: finals + 1000 EWA points + tags = 2 log_batch calls, the artifact (to the run's
    # artifact folder, not through the client), the status
    assert client.calls["log_batch"] == 8 + 2 and client.calls["set_terminated"] == 1
    assert [f.path for f in client.list_artifacts(run.run_id)] == ["curves.json"]
    single = {"log_metric", "log_param", "set_tag", "get_run", "search_runs", "update_run"}
    assert not single & set(client.calls)
    assert len(tracker.metric_history(run.run_id, "lr")) == 1500
    assert len(run_info(tracker, run.run_id).data.params) == 250


def test_a_typical_trial_costs_a_handful_of_round_trips(tracker):
    client = Counting(tracker.client)
    tracker.writer.client = client
    run = tracker.start_trial(0, {"optimizer": "adam", "alpha": 1e-3}, total_epochs=300)
    for e in range(1, 301):
        run.log_epoch(e, epoch_metrics(e))
    run.flush()
    run.end("COMPLETE", {"val_cost": 0.1}, smoothed_cost=[(15 * i, 1.0) for i in range(1, 201)])
    # create_run, 1500 metrics (the params beside them) in 2, end (finals, 200 EWA points,
    # tags) in 1, the status; the artifact goes to the run's artifact folder directly
    assert sum(client.calls.values()) == 5, client.calls


def test_a_short_trial_writes_params_curves_finals_and_tags_in_one_batch_at_its_end(tracker, store):
    """The default sweep's trial (60 epochs, no flush due): create_run, one log_batch holding
    everything, the status; and the run then holds all of it, as the UI shows it."""
    client = Counting(tracker.client)
    tracker.writer.client = client
    params = {"optimizer": "adam", "alpha": 1e-3, "batch_size": 64, "layers": [5, 2]}
    run = tracker.start_trial(3, params, tags={"optsweep.worker": "h:1"}, total_epochs=60)
    assert dict(client.calls) == {"create_run": 1}  # the run exists, RUNNING, named, tagged
    r = run_info(tracker, run.run_id)
    assert r.info.status == "RUNNING" and r.info.run_name == "trial-003 adam a=1.0e-3 bs=64"
    assert r.data.tags["optsweep.role"] == "trial" and r.data.params == {}
    client.calls.clear()  # run_info read through it
    for e in range(1, 61):
        run.log_epoch(e, epoch_metrics(e))
    smoothed = [(100 * i, 1.0 / i) for i in range(1, 101)]
    run.end("COMPLETE", {"val_cost": 0.25, "seconds": 1.5}, "trained", smoothed_cost=smoothed)
    assert dict(client.calls) == {"log_batch": 1, "set_terminated": 1}
    r = run_info(tracker, run.run_id)
    assert r.info.status == "FINISHED" and not run.degraded
    assert r.data.params == {"optimizer": "adam", "alpha": "0.001", "batch_size": "64",
                             "layers": "[5,2]"}  # fmt: skip
    for key in ("train_cost", "val_cost", "train_accuracy", "val_accuracy", "lr"):
        expected = [(e, epoch_metrics(e)[key]) for e in range(1, 61)]
        assert tracker.metric_history(run.run_id, key) == expected
    assert tracker.metric_history(run.run_id, "final_val_cost") == [(60, 0.25)]
    assert tracker.metric_history(run.run_id, "seconds") == [(60, 1.5)]
    assert tracker.metric_history(run.run_id, "minibatch_cost_ewa") == smoothed
    tags = r.data.tags
    assert (tags["optsweep.state"], tags["optsweep.reason"]) == ("COMPLETE", "trained")
    assert tags["optsweep.worker"] == "h:1" and tags["optsweep.trial"] == "3"
    artifact = (
        sqlite_path(store).parent / "mlartifacts/moons-adam" / run.run_id / "artifacts/curves.json"
    )
    payload = json.loads(artifact.read_text())  # as MlflowClient.log_dict writes it
    assert payload["curves"]["epoch"] == list(range(1, 61))
    assert payload["curves"]["lr"] == [epoch_metrics(e)["lr"] for e in range(1, 61)]
    assert payload["state"] == "COMPLETE" and payload["final"] == {"val_cost": 0.25, "seconds": 1.5}


# -- a store that fails ------------------------------------------------------------------------


def test_transient_errors_are_retried_and_the_run_is_not_degraded(tracker):
    for error in (sqlite3.OperationalError("database is locked"), ConnectionError("reset")):
        flaky = Flaky(tracker.client, "log_batch", failures=2, error=error)
        tracker.writer = Writer(flaky, FAST, tracker.tracking_uri)
        run = tracker.start_trial(1, {"alpha": 0.1})
        run.log_epoch(1, epoch_metrics(1))
        run.end("COMPLETE", {"val_cost": 1.0})
        assert flaky.calls["log_batch:failed"] == 2 and not run.degraded
        assert tracker.metric_history(run.run_id, "val_cost") == [(1, 1.5)]


def test_permanent_errors_are_not_retried(tracker):
    from mlflow.exceptions import MlflowException

    error = MlflowException.invalid_parameter_value("value rejected")
    flaky = Flaky(tracker.client, "log_batch", failures=1, error=error)
    tracker.writer = Writer(flaky, FAST, tracker.tracking_uri)
    run = tracker.start_trial(1, {"alpha": 0.1})
    assert not run.flush()  # the params' first batch is rejected
    assert flaky.calls["log_batch:failed"] == 1 and run.degraded
    assert "INVALID_PARAMETER_VALUE" in run.errors[0] or "value rejected" in run.errors[0]
    run.end("COMPLETE", {})  # the params are still buffered and go out now
    assert run_info(tracker, run.run_id).data.params == {"alpha": "0.1"}


def test_server_down_mid_trial_degrades_without_raising_within_bounded_time(free_port):
    writer = Writer(open_client(f"http://127.0.0.1:{free_port}", FAST), FAST, "http://...")
    run = TrialRun(writer, 5, total_epochs=50, run_id="0" * 32)
    start = time.monotonic()
    for e in range(1, 51):
        run.log_epoch(e, epoch_metrics(e))
    assert run.flush() is False and run.degraded and run.pending == 250
    first = time.monotonic() - start
    assert first < 3.0
    assert "Connection refused" in run.errors[0] or "connect" in run.errors[0].lower()
    start = time.monotonic()
    run.end("COMPLETE", {"val_cost": 0.1}, smoothed_cost=[(1, 1.0)])  # must not raise
    assert time.monotonic() - start < 0.5  # the open circuit skips the store at once
    assert run.ended and run.degraded and run.curves()["curves"]["epoch"][-1] == 50


def test_tracker_on_a_dead_server_fails_before_any_trial_in_one_line(free_port):
    start = time.monotonic()
    with pytest.raises(TrackingError) as err:
        StudyTracker(f"http://u:pw@127.0.0.1:{free_port}", "s", retry=FAST)
    assert time.monotonic() - start < 5
    message = str(err.value)
    assert message == (
        f"cannot open the experiment in the MLflow store http://u:***@127.0.0.1:{free_port}: "
        "server not reachable ([Errno 111] Connection refused); "
        "start it with `optsweep server` or fix --tracking-uri"
    )


def test_run_name_helper():
    assert run_name(7, {"optimizer": "adam", "alpha": 3.2e-3, "batch_size": 128}) == (
        "trial-007 adam a=3.2e-3 bs=128"
    )
    assert run_name(12, {"alpha": 0.1}) == "trial-012 a=1.0e-1"
    assert run_name(1234, {}) == "trial-1234"


def test_http_client_bounds_mlflow_retries_but_keeps_user_settings(monkeypatch, free_port):
    from tracking import runs

    monkeypatch.setattr(runs, "_ENV_WE_SET", {})
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "7")  # the user's choice
    uri = f"http://127.0.0.1:{free_port}"
    open_client(uri, RetryPolicy(timeout=3))
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "0"
    assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "7"
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_TIMEOUT")
    open_client(uri, RetryPolicy(timeout=3))
    open_client(uri, RetryPolicy(timeout=11.5))  # the latest policy wins over our own value
    assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "12"


def test_max_points_caps_every_logged_curve(store):
    tracker = StudyTracker(store, "capped", max_points=50)
    tracker.open_parent({})
    run = tracker.start_trial(0, {"alpha": 0.1}, total_epochs=300)  # stride 6
    for e in range(1, 301):
        run.log_epoch(e, epoch_metrics(e))
    run.end("COMPLETE", {})
    assert [s for s, _ in tracker.metric_history(run.run_id, "val_cost")] == [*range(6, 301, 6)]
    assert len(run.curves()["curves"]["epoch"]) == 300


def test_log_epoch_flushes_by_itself_when_asked(tracker):
    run = tracker.start_trial(0, {"alpha": 0.1}, flush_every_epochs=10)
    for e in range(1, 26):
        run.log_epoch(e, epoch_metrics(e))
    assert run.pending == 5 * 5  # epochs 21..25 wait for the next flush
    assert [s for s, _ in tracker.metric_history(run.run_id, "lr")] == list(range(1, 21))
    run.end("COMPLETE", {})
    assert len(tracker.metric_history(run.run_id, "lr")) == 25


@pytest.mark.parametrize(
    ("uri", "sql_store"), [("sqlite:///x.db", True), ("http://127.0.0.1:1", False)]
)
def test_preload_imports_the_client_and_only_the_store_the_uri_needs(uri, sql_store):
    """What `preload` leaves for later (under the store lock) is only opening the store."""
    code = (
        "import sys; from tracking.runs import preload; preload(sys.argv[1]); "
        "print('mlflow.tracking' in sys.modules, "
        "'mlflow.store.tracking.sqlalchemy_store' in sys.modules)"
    )
    assert fresh_python(code, uri).split() == ["True", str(sql_store)]
