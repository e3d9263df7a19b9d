"""The sweep benchmark: what storage and tracking add to a trial of the default sweep, against a
naive stack, and how two local workers scale.

    .venv/bin/python bench/sweep_bench.py            # the table (`make bench` runs it)
    .venv/bin/python bench/sweep_bench.py --json     # the same figures as JSON

Each stack runs in a new temporary folder:
  ours, 1 and 2 workers: `optsweep sweep sweeps/default.toml --workers N --report-seeds 0
      --population 1`, as
      `make sweep` runs it (journal file, MLflow's SQLite store) without the defaults report
      at the end (it re-trains; its runs are not trials);
  naive, 1 worker: the first trials of the same sweep file, the same search space, sampler and
      pruner, trained by the same core, but through Optuna's SQLite storage and one
      `mlflow.log_metric` call per epoch per metric inside `mlflow.start_run(nested=True)`.
      It reports to the pruner as often as ours (not every epoch), so the gap is the writes.
  ours, replay, 1 and 2 workers: the same command on a study created beforehand with the
      trials of the one-worker run queued, in order: both train the same configurations.
  ours, long replay, 1 and 2 workers: the same, with those trials queued 3 times over (120):
      what a command spends on start-up and the summary (~5 s) weighs a third as much.
With one worker both stacks sample the same configurations in the same order (same sampler seed,
same deterministic training), so the first trials are the same work. Two workers sampling with
TPE do not: which trials finish first changes what TPE suggests next, and the training work of
40 trials varied by half between two such runs; so the scaling of 1 to 2 workers is measured on
the replay, the same trials (the median pruner may still stop a different few).

A trial's overhead is its wall time minus its training time (`TrainResult.seconds`, which
excludes the per-epoch callback): the time from its start to the next trial's start on the same
worker, less its training (a worker's last trial: to its completion). The overhead share is the
sum over trials divided by workers x the sweep's wall time, the whole command end to end.
Every worker trains one trial at a time (`--population 1`): a population's members overlap on
one worker, so "from its start to the next start" has no meaning there; what populations do
to the whole command is bench/population_sweep_bench.py's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SWEEP = ROOT / "sweeps" / "default.toml"
NAIVE_TRIALS = 8
LONG_REPEATS = 3  # the long replay: the one-worker run's trials 3 times over (120 trials)
TARGETS = {"overhead_share": 0.10, "naive_ratio": 5.0, "scaling": 1.8}
METRICS = ("train_cost", "val_cost", "train_accuracy", "val_accuracy", "lr")


def ours(
    workers: int, folder: Path, replay: list[dict] | None = None, trials: int | None = None
) -> dict:
    """`optsweep sweep` end to end; per-trial figures read back from the study's journal.

    With `replay` (the parameters of an earlier run's trials, in order), the study is created
    beforehand with those trials queued: the sweep runs them, the same configurations whatever
    the number of workers, instead of what its sampler would suggest.
    """
    if replay is not None:
        _queue(folder, replay)
    argv = [sys.executable, "-m", "optsweep", "sweep", str(SWEEP), "--workers", str(workers),
            "--report-seeds", "0", "--population", "1"]  # fmt: skip
    if trials is not None:
        argv += ["--trials", str(trials)]
    start = time.monotonic()
    done = subprocess.run(argv, cwd=folder, capture_output=True, text=True)
    wall = time.monotonic() - start
    if done.returncode != 0:
        raise SystemExit(f"optsweep sweep failed ({done.returncode}):\n{done.stderr[-2000:]}")
    import optuna

    trials = optuna.load_study(study_name="default", storage=_journal(folder)).get_trials()
    rows = [_row(t, t.user_attrs["optsweep.final"]["seconds"], _worker(t)) for t in trials]
    for r, t in zip(rows, trials, strict=True):
        r["epochs"] = t.user_attrs["optsweep.final"]["epochs_run"]
    return {
        "stack": "ours" if replay is None else "ours, replay",
        "workers": workers,
        "wall_s": wall,
        **_figures(rows, workers, wall),
        "params": [t.params for t in trials],
    }


def _long(results: dict) -> list[dict]:
    """The long replay's queue: the one-worker run's trials, LONG_REPEATS times over."""
    return results["ours_1"]["params"] * LONG_REPEATS


def _journal(folder: Path):
    """The study storage `optsweep sweep` made (or will use) in `folder`: its journal file."""
    from sweeps import storage as storage_mod

    return storage_mod.open_storage(storage_mod.resolve(None, folder))


def _queue(folder: Path, params: list[dict]) -> None:
    import optuna

    from sweeps import sweep_file

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name="default", storage=_journal(folder), direction=sweep_file.load(SWEEP).direction
    )
    for p in params:
        study.enqueue_trial(p)


def naive(n_trials: int, folder: Path) -> dict:
    """The same sweep's first trials through SQLite storage and per-metric log_metric calls."""
    start = time.monotonic()
    argv = [sys.executable, __file__, "--naive-worker", str(n_trials), str(folder)]
    subprocess.run(argv, cwd=folder, check=True, capture_output=True)
    wall = time.monotonic() - start
    import optuna

    storage = optuna.storages.RDBStorage(f"sqlite:///{folder / 'optuna.db'}")
    trials = optuna.load_study(study_name="naive", storage=storage).get_trials()
    rows = [_row(t, t.user_attrs["seconds"], "one") for t in trials]
    return {"stack": "naive", "workers": 1, "wall_s": wall, **_figures(rows, 1, wall)}


def naive_worker(n_trials: int, folder: Path) -> None:
    """What a first Optuna + MLflow script does: log_metric per value, SQLite for everything."""
    import mlflow
    import optuna

    from core.data import load
    from core.train import train
    from sweeps import sweep_file
    from sweeps.samplers import make_pruner, make_sampler
    from sweeps.trial import report_interval, run_params

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    spec = sweep_file.load(SWEEP)
    data = load(spec.data)
    every = report_interval(spec, spec.epochs)
    mlflow.set_tracking_uri(f"sqlite:///{folder / 'mlflow.db'}")
    mlflow.set_experiment("naive")
    study = optuna.create_study(
        study_name="naive", storage=f"sqlite:///{folder / 'optuna.db'}",
        direction=spec.direction, sampler=make_sampler(spec), pruner=make_pruner(spec),
    )  # fmt: skip
    study.enqueue_trial(spec.space.default_params())

    def objective(trial):
        values = spec.space.suggest(trial)
        config = spec.config_for(values)
        with mlflow.start_run(run_name=f"trial-{trial.number}", nested=True):
            mlflow.log_params(run_params(spec, config, values))

            def callback(m) -> bool:
                for k in METRICS:
                    mlflow.log_metric(k, getattr(m, k), step=m.epoch)
                if m.epoch % every:
                    return False
                trial.report(m.val_cost, m.epoch)
                return trial.should_prune()

            result = train(config, data, callback=callback)
            trial.set_user_attr("seconds", result.seconds)
            mlflow.log_metrics({f"final_{k}": v for k, v in result.final.items() if v is not None})
        if result.status != "completed":
            raise optuna.TrialPruned()
        return result.final[spec.objective]

    with mlflow.start_run(run_name="study"):
        study.optimize(objective, n_trials=n_trials)


def _worker(trial) -> str:
    who = trial.user_attrs.get("optsweep.worker") or {}
    return f"{who.get('host')}:{who.get('pid')}"


def _row(trial, training: float, worker: str) -> dict:
    return {
        "number": trial.number,
        "worker": worker,
        "start": trial.datetime_start.timestamp(),
        "complete": trial.datetime_complete.timestamp(),
        "training": training,
        "state": trial.state.name,
    }


def _figures(rows: list[dict], workers: int, wall: float) -> dict:
    """Per-trial overheads (start to the same worker's next start, less training) and totals."""
    by_worker = defaultdict(list)
    for r in rows:
        by_worker[r["worker"]].append(r)
    for mine in by_worker.values():
        mine.sort(key=lambda r: r["start"])
        for r, nxt in zip(mine, [*mine[1:], None], strict=True):
            end = nxt["start"] if nxt is not None else r["complete"]
            r["overhead"] = end - r["start"] - r["training"]
    rows.sort(key=lambda r: r["number"])
    overhead = [r["overhead"] for r in rows]
    training = sum(r["training"] for r in rows)
    span = max(r["complete"] for r in rows) - min(r["start"] for r in rows)
    return {
        "trials": len(rows),
        "states": dict(sorted(Counter(r["state"] for r in rows).items())),
        "training_s": training,
        "trial_span_s": span,
        "overhead_median_s": statistics.median(overhead),
        "overhead_by_trial_s": overhead,
        "training_by_trial_s": [r["training"] for r in rows],
        "epochs_by_trial": [r.get("epochs") for r in rows],
        "overhead_share": sum(overhead) / (workers * wall),
        "not_training_share": 1 - training / (workers * wall),
        "trials_per_min": 60 * len(rows) / wall,
        "trials_per_min_span": 60 * len(rows) / span,
    }


def _work_scaling(one: dict, two: dict) -> dict:
    """Scaling in work done per second, for replays whose pruner stopped some trials at other
    epochs: each epoch a run trained counts what an epoch of that trial cost one worker.

    Also how much more training CPU two workers spent on the same epochs (contention).
    """
    pairs = zip(one["training_by_trial_s"], one["epochs_by_trial"], strict=True)
    per_epoch = [s / max(e, 1) for s, e in pairs]
    work_two = sum(e * c for e, c in zip(two["epochs_by_trial"], per_epoch, strict=True))
    work_one = one["training_s"]
    return {
        "work_ratio": work_two / work_one,
        "scaling_work_wall": (work_two / two["wall_s"]) / (work_one / one["wall_s"]),
        "scaling_work_span": (work_two / two["trial_span_s"]) / (work_one / one["trial_span_s"]),
        "scaling_training_cpu": two["training_s"] / work_two,
    }


def machine() -> dict:
    import mlflow
    import optuna
    from core_bench import cpu_model  # beside this file

    return {
        "cpu": cpu_model(),
        "cores": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "optuna": optuna.__version__,
        "mlflow": mlflow.__version__,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_avg_1m_end": round(os.getloadavg()[0], 2),
    }


def run_all(naive_trials: int, progress=print) -> dict:
    results = {}
    runs = (
        ("ours_1", lambda d: ours(1, d)),
        ("ours_2", lambda d: ours(2, d)),
        ("replay_1", lambda d: ours(1, d, replay=results["ours_1"]["params"])),
        ("replay_2", lambda d: ours(2, d, replay=results["ours_1"]["params"])),
        ("long_1", lambda d: ours(1, d, replay=_long(results), trials=len(_long(results)))),
        ("long_2", lambda d: ours(2, d, replay=_long(results), trials=len(_long(results)))),
        ("naive_1", lambda d: naive(naive_trials, d)),
    )
    for key, fn in runs:
        progress(f"... {key}")
        with tempfile.TemporaryDirectory(prefix="optsweep-bench-") as tmp:
            results[key] = fn(Path(tmp))
    for key in ("ours_1", "ours_2", "replay_1", "replay_2", "long_1", "long_2"):
        results[key].pop("params")
    one, two, nv = results["ours_1"], results["ours_2"], results["naive_1"]
    r1, r2 = results["replay_1"], results["replay_2"]
    k = nv["trials"] - 1  # the naive stack's last trial has no next start: compare 0..k-1
    like_for_like = statistics.median(one["overhead_by_trial_s"][:k])
    results["ratios"] = {
        "naive_over_ours_same_trials": statistics.median(nv["overhead_by_trial_s"][:k])
        / like_for_like,
        "ours_same_trials_overhead_median_s": like_for_like,
        "scaling_wall": r2["trials_per_min"] / r1["trials_per_min"],
        "scaling_span": r2["trials_per_min_span"] / r1["trials_per_min_span"],
        "scaling_wall_long": results["long_2"]["trials_per_min"]
        / results["long_1"]["trials_per_min"],
        "scaling_span_long": results["long_2"]["trials_per_min_span"]
        / results["long_1"]["trials_per_min_span"],
        **_work_scaling(r1, r2),
        "scaling_wall_sampled": two["trials_per_min"] / one["trials_per_min"],
    }
    results["machine"] = machine()
    return results


def table(r: dict) -> str:
    m, q = r["machine"], r["ratios"]
    lines = [
        f"{m['cpu']}, {m['cores']} cores; Python {m['python']}, Optuna {m['optuna']}, "
        f"MLflow {m['mlflow']}; {m['date']}; 1-min load average at the end {m['load_avg_1m_end']}",
        "",
        "| stack | workers | trials | wall s | training s | median overhead s/trial "
        "| overhead share | not training | trials/min (trial span) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key in ("ours_1", "ours_2", "replay_1", "replay_2", "long_1", "long_2", "naive_1"):
        x = r[key]
        lines.append(
            f"| {x['stack']} | {x['workers']} | {x['trials']} | {x['wall_s']:.1f} "
            f"| {x['training_s']:.1f} | {x['overhead_median_s']:.3f} | {x['overhead_share']:.1%} "
            f"| {x['not_training_share']:.1%} | {x['trials_per_min']:.1f} "
            f"({x['trials_per_min_span']:.1f}) |"
        )
    share = max(r["ours_1"]["overhead_share"], r["ours_2"]["overhead_share"])

    def scaling(what: str, key: str) -> tuple:
        target = TARGETS["scaling"]
        return f"2 workers / 1 worker, {what}", f"{q[key]:.2f}x", f">= {target}x", q[key] >= target

    checks = [
        ("overhead share of the default sweep (worst of 1 and 2 workers)", f"{share:.1%}",
         f"< {TARGETS['overhead_share']:.0%}", share < TARGETS["overhead_share"]),
        (f"naive / ours per-trial overhead, median over the same {r['naive_1']['trials'] - 1} "
         f"trials ({q['ours_same_trials_overhead_median_s']:.3f} s ours)",
         f"{q['naive_over_ours_same_trials']:.1f}x", f">= {TARGETS['naive_ratio']:.0f}x",
         q["naive_over_ours_same_trials"] >= TARGETS["naive_ratio"]),
        scaling("trials per minute while trials run (the same 40 trials, replay; first trial "
                "start to last trial end)", "scaling_span"),
        scaling(f"trials per minute, whole command, the same trials {LONG_REPEATS} times over "
                f"({r['long_1']['trials']} trials, replay)", "scaling_wall_long"),
        scaling("trials per minute, whole command, the same 40 trials (replay; ~5 s of start-up "
                "and summary in every command)", "scaling_wall"),
        scaling(f"trials per minute while trials run, {r['long_1']['trials']} trials",
                "scaling_span_long"),
        scaling(f"work per second (the same trials; 2 workers trained {q['work_ratio']:.0%} of "
                "1 worker's epoch-work), whole command", "scaling_work_wall"),
        scaling("work per second (the same trials), first trial start to last end",
                "scaling_work_span"),
        ("2 workers / 1 worker, each sampling its own trials (TPE), whole command",
         f"{q['scaling_wall_sampled']:.2f}x", "(not comparable work)", True),
        ("training CPU seconds of the same trials, 2 workers / 1 worker",
         f"{q['scaling_training_cpu']:.2f}x", "(1.00x: no contention)", True),
    ]  # fmt: skip
    lines += ["", "| measure | value | target | |", "|---|---|---|---|"]
    lines += [
        f"| {a} | {b} | {c} | {('met' if ok else 'NOT met') if c.startswith(('<', '>')) else ''} |"
        for a, b, c, ok in checks
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--naive-trials", type=int, default=NAIVE_TRIALS)
    ap.add_argument("--naive-worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.naive_worker:
        naive_worker(int(args.naive_worker[0]), Path(args.naive_worker[1]))
        return
    results = run_all(args.naive_trials, progress=lambda s: print(s, file=sys.stderr, flush=True))
    print(json.dumps(results, indent=1) if args.json else table(results))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
