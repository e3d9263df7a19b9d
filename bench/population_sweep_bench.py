"""Populations in the sweep: the default sweep's whole command with and without them, what
batched asks do to TPE, the stack a user would write instead, and the defaults report's seeds.

    .venv/bin/python bench/population_sweep_bench.py            # the tables (`make bench`)
    .venv/bin/python bench/population_sweep_bench.py --rounds 1 # quicker, noisier

1. Whole command: `optsweep sweep sweeps/default.toml --workers W --report-seeds 0
   --population P` in a fresh folder, W in (1, 2), P in (1, auto); the four take turns, round
   after round, and each figure is a median over the rounds (the machine drifts between runs).
2. TPE with batched asks: 40-trial sweeps, one worker, populations of 1, 8 and 16, over sampler
   seeds 0-2: the best val_cost reached (TPE with constant_liar when P > 1).
3. The stack a user would write instead: Optuna (TPE, the median pruner, the same space and
   seed) + a PyTorch CPU eager loop + MLflow `log_metric` per epoch per metric, on the same data
   and split, against ours with one worker, the whole 40-trial command each.
4. The defaults report of a swept default study: `--seeds 20` with populations against 3 seeds
   one run at a time (what the report did before populations).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SWEEP = ROOT / "sweeps" / "default.toml"
OPTSWEEP = [sys.executable, "-m", "optsweep"]


def sweep_command(folder: Path, workers: int, population: str, sweep: Path = SWEEP) -> dict:
    """One whole `optsweep sweep` command in `folder`: wall seconds and the best val_cost."""
    start = time.monotonic()
    done = subprocess.run(
        [*OPTSWEEP, "sweep", str(sweep), "--workers", str(workers), "--report-seeds", "0",
         "--population", population],
        cwd=folder, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    wall = time.monotonic() - start
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    best = re.search(r"best val_cost = ([0-9.e-]+)", done.stdout)
    return {"wall_s": wall, "best": float(best.group(1)) if best else None}


def whole_command(rounds: int, progress=print) -> dict:
    runs: dict[str, list[dict]] = {}
    for r in range(rounds):
        for workers in (1, 2):
            for population in ("1", "auto"):
                key = f"{workers} worker(s), population {population}"
                with tempfile.TemporaryDirectory() as tmp:
                    runs.setdefault(key, []).append(sweep_command(Path(tmp), workers, population))
                progress(f"round {r + 1}: {key}: {runs[key][-1]['wall_s']:.1f} s")
    return {k: _medians(v) for k, v in runs.items()}


def batched_asks(seeds=(0, 1, 2), sizes=(1, 8, 16), progress=print) -> dict:
    text = SWEEP.read_text()
    out: dict[str, dict] = {}
    for size in sizes:
        bests = []
        for seed in seeds:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "default.toml"
                path.write_text(re.sub(r"(?m)^seed = \d+", f"seed = {seed}", text))
                r = sweep_command(Path(tmp), 1, str(size), path)
            bests.append(r["best"])
            progress(f"population {size}, sampler seed {seed}: best {r['best']:.4f}")
        out[str(size)] = {"best": bests, "median": statistics.median(bests)}
    return out


def torch_stack(folder: Path) -> float:
    """The 40-trial sweep in Optuna + PyTorch eager + per-epoch mlflow.log_metric: wall s."""
    start = time.monotonic()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, __file__, "--torch-worker", str(folder)]
    subprocess.run(argv, cwd=folder, check=True, capture_output=True, env=env)
    return time.monotonic() - start


def torch_worker(folder: Path) -> None:
    import mlflow
    import optuna
    import torch

    from core.data import load, split
    from core.normalize import Standardizer
    from sweeps import sweep_file
    from sweeps.samplers import make_pruner, make_sampler
    from sweeps.trial import report_interval

    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    spec = sweep_file.load(SWEEP)
    parts = split(load(spec.data), 0.2, seed=0)
    scaler = Standardizer().fit(parts.X_train)
    X = torch.tensor(scaler.transform(parts.X_train))
    y = torch.tensor(parts.y_train, dtype=torch.float64)[:, None]
    Xv = torch.tensor(scaler.transform(parts.X_val))
    yv = torch.tensor(parts.y_val, dtype=torch.float64)[:, None]
    every = report_interval(spec, spec.epochs)
    mlflow.set_tracking_uri(f"sqlite:///{folder / 'mlflow.db'}")
    mlflow.set_experiment("torch")
    study = optuna.create_study(direction="minimize", sampler=make_sampler(spec),
                                pruner=make_pruner(spec))  # fmt: skip
    study.enqueue_trial(spec.space.default_params())
    loss = torch.nn.BCEWithLogitsLoss()

    def objective(trial):
        v = spec.space.suggest(trial)
        torch.manual_seed(trial.number)
        net = torch.nn.Sequential(
            torch.nn.Linear(2, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2), torch.nn.ReLU(),
            torch.nn.Linear(2, 1),
        ).double()  # fmt: skip
        opt = torch.optim.Adam(net.parameters(), lr=v["alpha"], betas=(v["beta1"], v["beta2"]))
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 1 / (1 + v["decay_rate"] * e))
        bs = v["batch_size"]
        with mlflow.start_run(run_name=f"trial-{trial.number}", nested=True):
            mlflow.log_params(v)
            for epoch in range(1, spec.epochs + 1):
                perm = torch.randperm(len(X))
                total, correct = 0.0, 0
                for k in range(0, len(X), bs):
                    idx = perm[k : k + bs]
                    opt.zero_grad()
                    z = net(X[idx])
                    c = loss(z, y[idx])
                    c.backward()
                    opt.step()
                    total += float(c) * len(idx)
                    correct += int(((z > 0) == (y[idx] > 0.5)).sum())
                sched.step()
                with torch.no_grad():
                    zv = net(Xv)
                    val = float(loss(zv, yv))
                    val_acc = float(((zv > 0) == (yv > 0.5)).double().mean())
                metrics = {"train_cost": total / len(X), "val_cost": val,
                           "train_accuracy": correct / len(X), "val_accuracy": val_acc,
                           "lr": sched.get_last_lr()[0]}  # fmt: skip
                for key, value in metrics.items():
                    mlflow.log_metric(key, value, step=epoch)
                if epoch % every == 0:
                    trial.report(val, epoch)
                    if trial.should_prune():
                        raise optuna.TrialPruned()
        return val

    with mlflow.start_run(run_name="study"):
        study.optimize(objective, n_trials=spec.trials)


def stacks(progress=print) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        torch_s = torch_stack(Path(tmp))
    progress(f"Optuna + PyTorch + MLflow log_metric: {torch_s:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        ours = sweep_command(Path(tmp), 1, "auto")["wall_s"]
    progress(f"optsweep, 1 worker, population auto: {ours:.1f} s")
    return {"torch_stack_s": torch_s, "ours_s": ours, "ratio": torch_s / ours}


def report_seeds(progress=print) -> dict:
    """The defaults report of one swept study: --seeds 20 as populations against --seeds 3
    with every re-training alone (the report before populations)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sweep_command(folder, 2, "auto")
        out = {}
        for label, seeds, alone in (("20 seeds, populations", "20", False),
                                    ("3 seeds, one run at a time", "3", True)):  # fmt: skip
            start = time.monotonic()
            subprocess.run([sys.executable, __file__, "--report-worker", str(folder), seeds,
                            str(int(alone))], cwd=folder, check=True, capture_output=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
            out[label] = time.monotonic() - start
            progress(f"defaults report, {label}: {out[label]:.1f} s")
    return out


def report_worker(folder: Path, seeds: str, alone: bool) -> None:
    from analysis import defaults_report, retraining

    if alone:  # every job its own task: train alone, as the report did before populations
        retraining._tasks = lambda jobs, workers: [[i] for i in range(len(jobs))]
    p = defaults_report.load("default", seeds=seeds, workers=2, track=False,
                             out=folder / "reports" / f"s{seeds}.md")  # fmt: skip
    defaults_report.measure(p)


def _medians(runs: list[dict]) -> dict:
    return {
        "wall_s": statistics.median(r["wall_s"] for r in runs),
        "best": [r["best"] for r in runs],
        "runs": [round(r["wall_s"], 1) for r in runs],
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", choices=["whole", "asks", "stacks", "report"], default=None)
    ap.add_argument("--torch-worker")
    ap.add_argument("--report-worker", nargs=3)
    args = ap.parse_args(argv)
    if args.torch_worker:
        return torch_worker(Path(args.torch_worker))
    if args.report_worker:
        folder, seeds, alone = args.report_worker
        return report_worker(Path(folder), seeds, alone == "1")
    results = {"load_avg_start": os.getloadavg()[0]}
    parts = {"whole": lambda: whole_command(args.rounds), "asks": batched_asks,
             "stacks": stacks, "report": report_seeds}  # fmt: skip
    for name, fn in parts.items():
        if args.only in (None, name):
            results[name] = fn()
    results["load_avg_end"] = os.getloadavg()[0]
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
