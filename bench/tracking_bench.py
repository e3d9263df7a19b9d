"""What tracking costs a trial: start_trial + N epochs of log_epoch + one flush + end.

    python bench/tracking_bench.py                      # a new SQLite store in a temp folder
    python bench/tracking_bench.py --uri sqlite:///mlflow.db --trials 20 --epochs 300

Prints the median and spread of the wall time per trial, split into its parts, and the number
of MLflow calls per trial. A new SQLite store first spends several seconds creating its tables;
that is paid once per store and not counted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter

from tracking.runs import StudyTracker, open_client
from tracking.thinning import thin

EWA_POINTS = 100  # sweeps.curves.EWA_POINTS (tracking does not import sweeps)


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


def bench(uri: str, trials: int, epochs: int, batches_per_epoch: int, max_points: int) -> dict:
    client = _Counting(open_client(uri))
    name = f"bench-{time.time():.3f}"
    tracker = StudyTracker(uri, name, client=client, max_points=max_points)
    tracker.open_parent({"trials": trials, "epochs": epochs})
    client.calls.clear()
    parts: dict[str, list[float]] = {"start": [], "log": [], "flush": [], "end": [], "total": []}
    params = {"optimizer": "adam", "alpha": 3e-3, "batch_size": 64, "layers": [5, 2],
              "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "seed": 0}  # fmt: skip
    steps = epochs * batches_per_epoch  # the sweep logs its smoothed mini-batch cost thinned so
    smoothed = [(s, 1.0 / (1 + 0.01 * s)) for s in thin(steps, EWA_POINTS)]
    for n in range(trials):
        t0 = time.perf_counter()
        run = tracker.start_trial(n, params, total_epochs=epochs)
        t1 = time.perf_counter()
        for e in range(1, epochs + 1):
            run.log_epoch(e, {"train_cost": 1 / e, "val_cost": 1.1 / e, "train_accuracy": 0.9,
                              "val_accuracy": 0.88, "lr": 3e-3})  # fmt: skip
        t2 = time.perf_counter()
        run.flush()
        t3 = time.perf_counter()
        run.end("COMPLETE", {"train_cost": 0.1, "val_cost": 0.12, "train_accuracy": 0.95,
                             "val_accuracy": 0.93, "seconds": 1.0, "epochs_run": epochs},
                "trained", smoothed_cost=smoothed)  # fmt: skip
        t4 = time.perf_counter()
        if run.degraded:
            raise SystemExit(f"tracking degraded: {run.errors}")
        for k, v in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0), strict=True):
            v *= 1000
            parts[k].append(v)
    tracker.finish_parent()
    return {
        "ms": {k: (statistics.median(v), min(v), max(v)) for k, v in parts.items()},
        "calls_per_trial": {k: v / trials for k, v in sorted(client.calls.items())},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--uri", help="tracking URI (default: a new SQLite store in a temp folder)")
    ap.add_argument("--trials", type=int, default=15)
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--batches-per-epoch", type=int, default=4, help="moons at batch 64: 4")
    ap.add_argument("--max-points", type=int, default=1000, help="points per logged curve")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        uri = args.uri or f"sqlite:///{tmp}/mlflow.db"
        StudyTracker(uri, "warm-up")  # creates a new store's tables; not timed
        out = bench(uri, args.trials, args.epochs, args.batches_per_epoch, args.max_points)
    print(f"{args.trials} trials x {args.epochs} epochs on {uri.split(':')[0]}, "
          f"<= {args.max_points} points per curve")  # fmt: skip
    for k, (med, lo, hi) in out["ms"].items():
        print(f"  {k:>6}: median {med:7.1f} ms  (min {lo:6.1f}, max {hi:6.1f})")
    print("  MLflow calls per trial:", out["calls_per_trial"])


if __name__ == "__main__":
    main()
