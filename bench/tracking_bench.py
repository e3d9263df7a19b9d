"""What tracking costs: each MLflow call, a whole trial, and the default sweep tracked against
`--no-track`.

    python bench/tracking_bench.py                  # all three parts (`make bench` runs it)
    python bench/tracking_bench.py --parts calls,trial --trials 20
    python bench/tracking_bench.py --uri sqlite:///mlflow.db --parts trial

1. calls: each MLflow client call a trial makes, alone, on a warm SQLite store (its tables
   made beforehand): create_run, log_batch of params, of a curve's metrics, of tags, the
   curves.json artifact, set_terminated; medians over `--trials` runs.
2. trial: a trial of the default sweep as the sweep writes it (StudyTracker.start_trial, 60
   epochs of log_epoch, end with the final figures and 100 smoothed mini-batch points, the 27
   params the sweep logs), on a warm store: milliseconds and MLflow calls per trial.
3. sweep: `optsweep sweep default --report-seeds 0` (1 worker, population auto), tracked and
   `--no-track`, alternately, each in a new folder whose MLflow store already has its tables
   (made once, not timed: creating them takes seconds and is paid once per store); medians
   of `--repeats` runs each, and what tracking adds per trial.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracking.runs import StudyTracker, open_client  # noqa: E402
from tracking.thinning import thin  # noqa: E402

EWA_POINTS = 100  # sweeps.curves.EWA_POINTS (tracking does not import sweeps)
EPOCHS = 60  # sweeps/default.toml
METRICS = ("train_cost", "val_cost", "train_accuracy", "val_accuracy", "lr")
# what sweeps.trial.run_params gives a trial of the default sweep (27 params)
PARAMS = {
    "data": "moons", "samples": 20000, "noise": 0.2, "classes": 2, "data_seed": 0,
    "layers": [5, 2], "activation": "relu", "optimizer": "adam", "alpha": 3.2e-3, "beta": 0.9,
    "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "bias_correction": True, "batch_size": 64,
    "epochs": EPOCHS, "decay": "inverse-time", "decay_rate": 0.05, "time_interval": 1,
    "init": "he", "l2": 0.0, "keep_prob": 1.0, "normalize": True, "val_fraction": 0.2,
    "seed": 0, "dtype": "float64", "diverge_factor": 1e6,
}  # fmt: skip
FINAL = {"train_cost": 0.1, "val_cost": 0.12, "train_accuracy": 0.95, "val_accuracy": 0.93,
         "seconds": 1.0, "epochs_run": EPOCHS}  # fmt: skip


class _Counting:
    def __init__(self, client):
        self._client, self.calls = client, Counter()

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def counted(*args, **kwargs):
            self.calls[name] += 1
            return attr(*args, **kwargs)

        return counted


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def warm_store(folder: Path) -> str:
    """A SQLite store in `folder` with its tables made (not timed); its URI."""
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    StudyTracker(uri, "warm-up")
    return uri


def calls(uri: str, reps: int) -> dict[str, float]:
    """Median milliseconds of each MLflow call a trial makes, alone."""
    from mlflow.entities import Metric, Param, RunTag

    client = open_client(uri)
    exp = client.create_experiment(f"calls-{time.time():.3f}")
    params = [Param(k, str(v)) for k, v in PARAMS.items()]
    tags = {"mlflow.parentRunId": "0" * 32, "optsweep.study": "bench", "optsweep.role": "trial",
            "optsweep.trial": "7", "optsweep.worker": "host:1234"}  # fmt: skip
    end_tags = [RunTag(k, "x") for k in ("optsweep.state", "optsweep.reason",
                                         "mlflow.note.content")]  # fmt: skip
    curves = {"trial": 7, "curves": {k: [0.5] * EPOCHS for k in ("epoch", *METRICS)}}
    out: dict[str, list[float]] = {}

    def timed(name, fn, *args, **kwargs):
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        out.setdefault(name, []).append(time.perf_counter() - t0)
        return result

    for n in range(reps):
        ts = int(time.time() * 1000)
        epochs = [Metric(k, 0.5, ts, e) for e in range(1, EPOCHS + 1) for k in METRICS]
        ends = [Metric("minibatch_cost_ewa", 0.5, ts, s) for s in thin(30000, EWA_POINTS)]
        ends += [Metric(f"final_{k}", 0.5, ts, EPOCHS) for k in FINAL]
        run = timed("create_run (5 tags, name)", client.create_run, exp, tags=tags,
                    run_name=f"trial-{n:03d}")  # fmt: skip
        rid = run.info.run_id
        timed(f"log_batch: {len(params)} params", client.log_batch, rid, params=params)
        timed(f"log_batch: {len(epochs)} epoch metrics", client.log_batch, rid, metrics=epochs)
        timed(f"log_batch: {len(ends)} end metrics", client.log_batch, rid, metrics=ends)
        timed(f"log_batch: {len(end_tags)} tags", client.log_batch, rid, tags=end_tags)
        timed("log_dict: curves.json", client.log_dict, rid, curves, "curves.json")
        timed("set_terminated", client.set_terminated, rid, "FINISHED")
        one = client.create_run(exp, tags=tags, run_name=f"one-{n:03d}").info.run_id
        timed(f"log_batch: all at once ({len(params)} params, {len(epochs) + len(ends)} "
              f"metrics, {len(end_tags)} tags)", client.log_batch, one, params=params,
              metrics=epochs + ends, tags=end_tags)  # fmt: skip
    return {k: _median_ms(v) for k, v in out.items()}


def trial(uri: str, trials: int) -> dict:
    """A default-sweep trial written as the sweep writes it: ms per part, calls per trial."""
    client = _Counting(open_client(uri))
    tracker = StudyTracker(uri, f"bench-{time.time():.3f}", client=client)
    tracker.open_parent({"trials": trials, "epochs": EPOCHS})
    client.calls.clear()
    parts: dict[str, list[float]] = {"start": [], "epochs": [], "end": [], "total": []}
    smoothed = [(s, 1.0 / (1 + 0.01 * s)) for s in thin(EPOCHS * 500, EWA_POINTS)]
    for n in range(trials):
        t0 = time.perf_counter()
        run = tracker.start_trial(n, PARAMS, tags={"optsweep.worker": "host:1234"},
                                  total_epochs=EPOCHS)  # fmt: skip
        t1 = time.perf_counter()
        for e in range(1, EPOCHS + 1):
            run.log_epoch(e, {k: 1.0 / e for k in METRICS})
        t2 = time.perf_counter()
        run.end("COMPLETE", FINAL, "trained", smoothed_cost=smoothed)
        t3 = time.perf_counter()
        if run.degraded:
            raise SystemExit(f"tracking degraded: {run.errors}")
        for k, v in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
            parts[k].append(v)
    tracker.finish_parent()
    return {
        "ms": {k: _median_ms(v) for k, v in parts.items()},
        "calls_per_trial": {k: v / trials for k, v in sorted(client.calls.items())},
    }


def sweep(repeats: int, template: Path) -> dict:
    """The default sweep, 1 worker, no report: tracked and --no-track, alternately."""
    argv = [sys.executable, "-m", "optsweep", "sweep", "default", "--report-seeds", "0"]
    walls: dict[str, list[float]] = {"tracked": [], "no-track": []}
    trials = 0
    for _ in range(repeats):
        for kind, extra in (("tracked", []), ("no-track", ["--no-track"])):
            with tempfile.TemporaryDirectory(prefix="optsweep-bench-") as tmp:
                shutil.copy(template, Path(tmp) / "mlflow.db")  # a warm store: tables made
                start = time.monotonic()
                done = subprocess.run(argv + extra, cwd=tmp, capture_output=True, text=True)
                walls[kind].append(time.monotonic() - start)
                if done.returncode != 0:
                    raise SystemExit(f"optsweep sweep failed:\n{done.stderr[-2000:]}")
                trials = _trials(Path(tmp))
    med = {k: statistics.median(v) for k, v in walls.items()}
    return {
        "trials": trials,
        "walls_s": walls,
        "median_s": med,
        "added_per_trial_ms": (med["tracked"] - med["no-track"]) / trials * 1000,
        "ratio": med["tracked"] / med["no-track"],
    }


def _trials(folder: Path) -> int:
    import optuna

    from sweeps import storage as storage_mod

    storage = storage_mod.open_storage(storage_mod.resolve(None, folder))
    return len(optuna.load_study(study_name="default", storage=storage).trials)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--uri", help="tracking URI for calls and trial (default: a new warm SQLite "
                    "store in a temp folder)")  # fmt: skip
    ap.add_argument("--parts", default="calls,trial,sweep")
    ap.add_argument("--trials", type=int, default=20, help="runs per call / trials timed")
    ap.add_argument("--repeats", type=int, default=3, help="sweeps of each kind")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    from sweep_bench import machine  # beside this file

    m = machine()
    print(f"{m['cpu']}, {m['cores']} cores; Python {m['python']}, MLflow {m['mlflow']}, "
          f"Optuna {m['optuna']}; {m['date']}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        uri = args.uri or warm_store(Path(tmp))
        if "calls" in parts:
            print(f"\nEach MLflow call alone, median of {args.trials} (warm SQLite store):\n")
            print("| call | ms |\n|---|---|")
            for k, v in calls(uri, args.trials).items():
                print(f"| {k} | {v:.1f} |")
        if "trial" in parts:
            out = trial(uri, args.trials)
            print(f"\nA default-sweep trial ({EPOCHS} epochs, {len(PARAMS)} params, "
                  f"{EWA_POINTS} smoothed points), median of {args.trials}:\n")  # fmt: skip
            print("| part | ms |\n|---|---|")
            for k, v in out["ms"].items():
                print(f"| {k} | {v:.1f} |")
            print(f"\nMLflow calls per trial: {out['calls_per_trial']}")
        if "sweep" in parts:
            template = Path(tmp) / "template" / "mlflow.db"
            template.parent.mkdir()
            warm_store(template.parent)
            out = sweep(args.repeats, template)
            print(
                f"\n`optsweep sweep default --report-seeds 0`, 1 worker, {out['trials']} "
                f"trials, warm store, medians of {args.repeats} (alternated):\n"
            )
            print("| | wall s (each run) | median s |\n|---|---|---|")
            for k, v in out["walls_s"].items():
                runs = ", ".join(f"{x:.1f}" for x in v)
                print(f"| {k} | {runs} | {out['median_s'][k]:.2f} |")
            print(
                f"\ntracking adds {out['added_per_trial_ms']:.0f} ms a trial "
                f"(tracked / no-track {out['ratio']:.2f}x)"
            )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
