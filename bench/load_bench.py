"""Distributed load: N `optsweep worker` processes finish a study of short trials on PostgreSQL.

    .venv/bin/python bench/load_bench.py                  # 8 workers, 400 trials, with and
    .venv/bin/python bench/load_bench.py --workers 4 --trials 100 --modes optuna   # without MLflow
    .venv/bin/python bench/load_bench.py --probe --json   # + every call's cost, per trial

Each mode gets a fresh PostgreSQL schema (dropped at the end) and, with tracking, its own
`optsweep server` on a free loopback port whose runs also live in PostgreSQL. All workers start
at once, as on N machines. Reported: trials per second between the first trial's start and the
last trial's end (the steady state, without the workers' ~3 s of imports), the whole wall time,
and the checks that make the number honest: exactly N trials, all COMPLETE, no duplicate
numbers, one MLflow run per trial whose val_cost history is the trial's, every worker exit 0,
no traceback and no give-up of a tracking write in any worker's output.

PostgreSQL at 127.0.0.1:5432, database `test`, user postgres (trust auth), as in the tests.
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
import textwrap
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PG = "postgresql://postgres@127.0.0.1:5432/test"
SWEEP = """
[study]
name = "{name}"
trials = {trials}
pruner = "none"
report_every = 5
seed = 0
population = "{population}"
sampler = "{sampler}"

[train]
data = "moons"
epochs = {epochs}

[space]
alpha = {{ low = 1e-3, high = 1e-1 }}
beta1 = {{ low = 0.8, high = 0.999, default = true }}
batch_size = {{ low = 32, high = 256, default = true }}
"""


def admin(sql: str) -> None:
    import sqlalchemy

    engine = sqlalchemy.create_engine(PG)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(sql))
    engine.dispose()


def schema_url(schema: str) -> str:
    return f"{PG}?options=-csearch_path%3D{schema}"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ticks(pids) -> int:
    """utime + stime of the processes, with those of their reaped children (a PostgreSQL
    backend's CPU lands in the postmaster's cutime when it exits), in clock ticks."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        total += sum(int(x) for x in stat[11:15])
    return total


def all_cpu(name: str | None = None, pgid: int | None = None) -> int:
    """Ticks of a whole server: the processes named `name` (or of process group `pgid`), each
    with its reaped children's. Exited children are in their parent's cutime and live ones in
    their own utime, so nothing is counted twice."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            stat = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if comm == name or (pgid is not None and int(stat[2]) == pgid):
            pids.append(int(entry.name))
    return cpu_ticks(pids)


def probe_breakdown(folder: Path, trials: int) -> dict:
    """The workers' call counters summed, per trial: calls, wall ms, CPU ms."""
    total: dict[str, list] = {}
    cpu = startup = 0.0
    for f in folder.glob("worker-*.json"):
        d = json.loads(f.read_text())
        cpu += d["process_cpu_s"]
        startup += d.get("cpu_before_first_claim_s", 0.0)
        for k, (n, wall, c) in d["stats"].items():
            t = total.setdefault(k, [0, 0.0, 0.0])
            t[0] += n
            t[1] += wall
            t[2] += c
    rows = {
        k: {"calls": round(n / trials, 2), "wall_ms": round(1000 * w / trials, 2),
            "cpu_ms": round(1000 * c / trials, 2)}
        for k, (n, w, c) in sorted(total.items())
    }  # fmt: skip
    return {
        "worker_cpu_ms_per_trial": round(1000 * (cpu - startup) / trials, 1),
        "worker_startup_cpu_s": round(startup, 1),
        "calls": rows,
    }


def run(
    mode: str,
    workers: int,
    trials: int,
    epochs: int,
    folder: Path,
    probe: bool = False,
    population: str = "auto",
    sampler: str = "tpe",
) -> dict:
    import optuna
    from optuna.trial import TrialState

    from sweeps.curves import read_curves
    from tracking import server

    tag = uuid.uuid4().hex[:8]
    study_schema, mlflow_schema = f"bench_optuna_{tag}", f"bench_mlflow_{tag}"
    admin(f"CREATE SCHEMA {study_schema}")
    srv_proc = None
    out: dict = {"mode": mode, "workers": workers, "trials": trials, "epochs": epochs,
                 "population": population, "sampler": sampler}  # fmt: skip
    try:
        env = dict(os.environ, OPTSWEEP_STORAGE=schema_url(study_schema))
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
        env.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        extra = ["--no-track"]
        if mode == "optuna+mlflow":
            admin(f"CREATE SCHEMA {mlflow_schema}")
            port = free_port()
            srv = server.configure(
                schema_url(mlflow_schema), folder / "artifacts", port=port, workers=2
            )
            t = time.monotonic()
            srv_proc = server.launch(srv, folder / "server.log")
            server.wait_ready(srv.url, srv_proc, timeout=300)
            out["server_start_s"] = round(time.monotonic() - t, 1)
            env["OPTSWEEP_TRACKING_URI"] = srv.url
            extra = []
        name = f"load-{tag}"
        sweep = folder / f"{name}.toml"
        text = SWEEP.format(name=name, trials=trials, epochs=epochs, population=population,
                            sampler=sampler)  # fmt: skip
        sweep.write_text(textwrap.dedent(text))
        python = [sys.executable, "-m", "optsweep"]
        if probe:
            (folder / "probe").mkdir()
            env["OPTSWEEP_PROBE_DIR"] = str(folder / "probe")
            env["PYTHONPATH"] = os.pathsep.join([str(REPO / "bench"), env["PYTHONPATH"]])
            python = [sys.executable, "-c", "import call_probe; call_probe.main()"]
        pg_before = all_cpu(name="postgres")
        srv_before = all_cpu(pgid=srv_proc.pid) if srv_proc is not None else 0
        start = time.time()
        procs = []
        for i in range(workers):
            log = (folder / f"w{i}.out").open("wb")
            argv = [*python, "worker", str(sweep), "--worker-index", str(i), *extra]
            procs.append(subprocess.Popen(argv, cwd=folder, env=env, stdout=log, stderr=log))
        codes = [p.wait() for p in procs]
        wall = time.time() - start
        tick = os.sysconf("SC_CLK_TCK")
        out["postgres_cpu_ms_per_trial"] = round(
            1000 * (all_cpu(name="postgres") - pg_before) / tick / trials, 1
        )
        if srv_proc is not None:
            out["mlflow_server_cpu_ms_per_trial"] = round(
                1000 * (all_cpu(pgid=srv_proc.pid) - srv_before) / tick / trials, 1
            )
        if probe:
            out["probe"] = probe_breakdown(folder / "probe", trials)
        logs = "".join((folder / f"w{i}.out").read_text() for i in range(workers))

        storage = optuna.storages.RDBStorage(schema_url(study_schema))
        done = optuna.load_study(study_name=name, storage=storage).get_trials()
        first = min(t.datetime_start for t in done).timestamp()
        last = max(t.datetime_complete for t in done).timestamp()
        per_trial = [(t.datetime_complete - t.datetime_start).total_seconds() for t in done]
        training = [t.user_attrs["optsweep.final"]["seconds"] for t in done]
        checks = {
            "exit codes all 0": all(c == 0 for c in codes),
            "exact trial count": len(done) == trials,
            "numbers unique": sorted(t.number for t in done) == list(range(trials)),
            "all COMPLETE": all(t.state == TrialState.COMPLETE for t in done),
            "no traceback": "Traceback" not in logs,
            "no tracking give-up": "unavailable" not in logs and "failed:" not in logs,
        }
        if mode == "optuna+mlflow":
            checks.update(mlflow_checks(env["OPTSWEEP_TRACKING_URI"], name, done, read_curves))
        storage.engine.dispose()
        out.update(
            trials_per_s=round(trials / (last - first), 1),
            steady_s=round(last - first, 1),
            wall_s=round(wall, 1),
            median_trial_s=round(statistics.median(per_trial), 3),
            median_training_s=round(statistics.median(training), 3),
            checks=checks,
            ok=all(checks.values()),
        )
        if not out["ok"]:
            out["log_tail"] = logs[-2000:]
        return out
    finally:
        if srv_proc is not None:
            server.stop(srv_proc)
            admin(f"DROP SCHEMA IF EXISTS {mlflow_schema} CASCADE")
        admin(f"DROP SCHEMA IF EXISTS {study_schema} CASCADE")


def mlflow_checks(url: str, name: str, trials, read_curves) -> dict:
    """One run per trial, FINISHED, whose val_cost history is the trial's (a sample of 20)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(url)
    exp = client.get_experiment_by_name(name)
    runs = []
    token = None
    while True:
        page = client.search_runs([exp.experiment_id], max_results=1000, page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            break
    children = [r for r in runs if r.data.tags.get("optsweep.role") == "trial"]
    numbers = [int(r.data.tags["optsweep.trial"]) for r in children]
    by_number = {int(r.data.tags["optsweep.trial"]): r for r in children}
    curves_match = True
    for t in trials[:: max(1, len(trials) // 20)]:
        run = by_number.get(t.number)
        history = {m.step: m.value for m in client.get_metric_history(run.info.run_id, "val_cost")}
        stored = read_curves(t)
        curves_match &= [history.get(e) for e in stored["epoch"]] == stored["val_cost"]
    return {
        "one run per trial": sorted(numbers) == list(range(len(trials))),
        "runs FINISHED": all(r.info.status == "FINISHED" for r in children),
        "curves match (sample)": curves_match,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--trials", type=int, default=400)
    ap.add_argument("--epochs", type=int, default=20, help="epochs per trial (short trials)")
    ap.add_argument("--modes", default="optuna,optuna+mlflow")
    ap.add_argument("--population", default="auto", help="trials a worker claims at once")
    ap.add_argument("--sampler", default="tpe")
    ap.add_argument(
        "--probe",
        action="store_true",
        help="time each storage and tracking call in the workers (bench/call_probe.py)",
    )
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    results = []
    for mode in args.modes.split(","):
        with tempfile.TemporaryDirectory(prefix="optsweep-load-") as tmp:
            results.append(run(mode, args.workers, args.trials, args.epochs, Path(tmp),
                               args.probe, args.population, args.sampler))  # fmt: skip
        if not args.json:
            print(json.dumps(results[-1]), flush=True)
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(),
               "load_avg_1m": round(os.getloadavg()[0], 1)}  # fmt: skip
    if args.json:
        print(json.dumps({"machine": machine, "results": results}))
    else:
        print(table(results, machine))
    sys.exit(0 if all(r["ok"] for r in results) else 1)


def table(results: list[dict], machine: dict) -> str:
    lines = [
        f"{machine['cpus']} CPUs, Python {machine['python']}, "
        f"1-min load average at the end {machine['load_avg_1m']}",
        "",
        "| stack | workers | trials | epochs | trials/s | steady s | wall s "
        "| median trial s | median training s | checks |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['mode']} | {r['workers']} | {r['trials']} | {r['epochs']} "
            f"| {r['trials_per_s']} | {r['steady_s']} | {r['wall_s']} | {r['median_trial_s']} "
            f"| {r['median_training_s']} | {'all pass' if r['ok'] else r['checks']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
