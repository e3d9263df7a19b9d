"""Re-training jobs: what a worker sends back, early stops, errors, and order across processes."""

from __future__ import annotations

import pytest

from analysis import retraining
from core.data import DataSpec, load
from core.train import TrainConfig, train

DATA = {"name": "moons", "samples": 120, "noise": None, "classes": None, "seed": 0}


def job(key, stop_below=None, **config) -> retraining.Job:
    base = {"layers": (5, 2), "alpha": 0.01, "epochs": 6, "batch_size": 32, "seed": 1}
    return retraining.Job(key, {**base, **config}, DATA, stop_below=stop_below)


def test_an_outcome_is_the_same_training_as_core_with_a_clock():
    o = retraining.run_job(job("a"))
    reference = train(TrainConfig(**job("a").config), load(DataSpec(**DATA)))
    assert o.status == "completed" and o.epochs_run == 6
    assert o.val_cost == pytest.approx(list(reference.history["val_cost"]), rel=0, abs=0)
    assert o.final["val_cost"] == reference.final["val_cost"]
    assert len(o.epoch_seconds) == 6 and o.epoch_seconds == sorted(o.epoch_seconds)
    assert o.steps == 6 * o.n_batches and o.noise is not None and o.noise > 0
    assert o.value("val_cost") == o.final["val_cost"]


def test_a_job_stops_once_the_validation_cost_is_below_its_target():
    o = retraining.run_job(job("a", epochs=50, stop_below=10.0))
    assert o.status == "stopped" and o.epochs_run == 1


def test_a_bad_config_is_an_error_outcome_and_a_diverged_run_has_no_value():
    bad = retraining.run_job(job("bad", alpha=-1.0))
    assert bad.status == "error" and "alpha" in bad.reason
    wild = retraining.run_job(job("wild", optimizer="gd", alpha=1e4, epochs=20))
    assert wild.status == "diverged" and wild.value("val_cost") is None


def test_parallel_workers_return_outcomes_in_the_order_of_the_jobs():
    jobs = [job(("s", s), seed=s, epochs=3 + 2 * s) for s in range(4)]
    outcomes = retraining.run(jobs, workers=2)
    assert [o.key for o in outcomes] == [j.key for j in jobs]
    assert [o.epochs_run for o in outcomes] == [3, 5, 7, 9]
    serial = retraining.run(jobs[:1], workers=1)
    assert serial[0].val_cost == outcomes[0].val_cost  # same bits in a worker process


def test_learned_nothing_is_a_training_cost_at_the_constant_guess():
    import math
    from types import SimpleNamespace

    import numpy as np

    def result(cost, status="completed", l2=0.0):
        return SimpleNamespace(final={"train_cost": cost}, status=status,
                               config=SimpleNamespace(l2=l2))  # fmt: skip

    balanced, skewed = np.array([0, 1] * 50), np.array([0, 0, 0, 1] * 25)
    assert retraining.learned_nothing(result(math.log(2)), balanced)
    assert not retraining.learned_nothing(result(0.3), balanced)
    h = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))  # 0.562: guessing 3:1
    assert retraining.learned_nothing(result(h * 1.005), skewed)
    assert not retraining.learned_nothing(result(math.log(2)), skewed)
    assert not retraining.learned_nothing(result(math.log(2), status="diverged"), balanced)


def test_jobs_train_as_populations_with_each_outcome_its_lone_run():
    """Many jobs on one data set become a population (a stop, a divergence and a bad config
    among them); each outcome is what train gives that config alone."""
    jobs = [job(("s", s), seed=s, alpha=0.003 * (s + 1), epochs=4 + s) for s in range(5)]
    jobs += [job("stops", stop_below=10.0, epochs=30), job("wild", optimizer="gd", alpha=1e4)]
    jobs += [job("bad", alpha=-1.0)]
    outcomes = retraining.run(jobs, workers=1)
    data = load(DataSpec(**DATA))
    assert [o.key for o in outcomes] == [j.key for j in jobs]
    for j, o in zip(jobs[:-1], outcomes[:-1], strict=True):
        lone = train(TrainConfig(**j.config), data, callback=retraining._Clock(j.stop_below, None))
        assert (o.status, o.reason, o.epochs_run) == (lone.status, lone.reason, lone.epochs_run)
        assert o.val_cost == pytest.approx(list(lone.history["val_cost"]), rel=1e-10)
    assert outcomes[-1].status == "error" and "alpha" in outcomes[-1].reason


def test_tasks_deal_populations_per_data_set_and_timed_jobs_alone():
    other = {**DATA, "name": "circles"}
    jobs = [job(("m", i)) for i in range(6)] + [retraining.Job("c", job("c").config, other)]
    jobs.append(retraining.Job("t", job("t").config, DATA, timed=True))
    tasks = retraining._tasks(jobs, workers=2)
    assert sorted(i for t in tasks for i in t) == list(range(len(jobs)))  # each once
    assert [7] in tasks and [6] in tasks  # the timed job and the other data set apart
    moons = [t for t in tasks if 0 in t or 1 in t]
    assert len(moons) == 2 and sorted(len(t) for t in moons) == [3, 3]  # one per worker


def test_a_remote_cluster_is_refused_a_data_file_of_this_machine_before_connecting():
    from core.errors import ConfigError

    refused = r"cannot read the data file /data/x\.csv of this one"
    with (
        pytest.raises(ConfigError, match=refused),
        retraining.on_cluster("tcp://10.0.0.9:8786", 2, ["moons", "/data/x.csv"]),
    ):
        pass  # pragma: no cover -- refused before any connection
    retraining.check_cluster_data("local", ["/data/x.csv"])  # this machine reads its files
    retraining.check_cluster_data("tcp://10.0.0.9:8786", ["moons", "breast_cancer"])
    with retraining.on_cluster(None, 2, ["/data/x.csv"]):  # no cluster: nothing changes
        assert retraining.cluster_executor() is None
