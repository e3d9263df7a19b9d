"""The population benchmark: trial-epochs per second of `core.population.train_population`
against the one-at-a-time `core.train.train` loop over the same configs.

    .venv/bin/python bench/population_bench.py             # the table (what `make bench` runs)
    .venv/bin/python bench/population_bench.py --json      # the same figures as JSON
    .venv/bin/python bench/population_bench.py --rounds 3  # fewer rounds (default 5)

Two workloads, as issue 13 states them:
  (a) the course network: moons, 300 samples (240 train / 60 val), 2-5-2-1 relu, sigmoid output,
      He init, Adam, batch 64, 100 epochs; populations of 1, 4, 16, 32 and 64;
  (b) the default sweep's data: moons, 20,000 samples (16,000 / 4,000), the same network, Adam,
      the batch size drawn as the default sweep draws it (2^k, k uniform in 5..9: 32..512),
      3 epochs; populations of 1, 4, 16 and 64.
Members draw their hyperparameters from the default sweep's space (sweeps/default.toml: alpha
log-uniform in [1e-4, 0.1], 1 - beta1 and 1 - beta2 log-uniform, inverse-time decay at a rate
uniform in [0, 0.3]) from a fixed generator, seeds 0..P-1. A trial-epoch is one epoch of one
member; both modes train the same configs to the same results (checked on every run).

Each round measures, for every size, the population, the loop, and the population again (its
time is the mean of the two, which bracket the loop's), so both see the same background load;
figures are medians over rounds, the ratio the median of the rounds' ratios.
Before each pair the driver waits (at most 2 s) for the machine to be idle, and it records the
CPU other processes used during every measurement (as bench/core_bench.py does).

The physical floor: the matmul FLOPs of a trial-epoch (Z = W A, dW and dA per training sample,
the forward pass per validation sample, as bench/core_bench.py counts them) over the machine's
measured float64 GEMM rate (2048 x 2048 NumPy matmul, all cores; and one core, since a
population runs on one), as trial-epochs per second; each figure is given as a share of it.

Design measurements (what decided the population's layout, see core/population.py):
  - the stacked products of one step as np.matmul on 3-D arrays vs einsum;
  - cohorts per batch size vs one lockstep padded to the largest batch: (b)'s mixed population
    of 64 measured, against 64 members at batch 512 scaled to the 500 steps a batch-32 member's
    epoch needs (what a padded lockstep would run, before any masking costs);
  - compaction: a population's cost with half its members gone (compacted, 32) vs kept (64);
  - dropout: the members' own mask generators (one call per member and layer per step).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

from core.data import DataSpec, load
from core.population import train_population
from core.train import TrainConfig, train

LAYERS = (5, 2)
WORKLOADS = {
    "course": dict(samples=300, epochs=100, sizes=(1, 4, 16, 32, 64), batch=64),
    "default": dict(samples=20_000, epochs=3, sizes=(1, 4, 16, 64), batch=None),
}
TARGET = 10.0  # population / loop, course network, 32 members


def configs(workload: str, P: int, **overrides) -> list[TrainConfig]:
    """P members drawn from the default sweep's space (fixed generator, seeds 0..P-1)."""
    w = WORKLOADS[workload]
    rng = np.random.default_rng(1234)
    out = []
    for seed in range(P):
        batch = w["batch"] or int(2 ** rng.integers(5, 10))  # 32..512, the exponent uniform
        out.append(
            TrainConfig(
                layers=LAYERS, optimizer="adam", batch_size=batch, epochs=w["epochs"],
                alpha=float(10 ** rng.uniform(-4, -1)),
                beta1=float(1 - 10 ** rng.uniform(math.log10(0.001), math.log10(0.2))),
                beta2=float(1 - 10 ** rng.uniform(-4, -2)),
                decay="inverse-time", decay_rate=float(rng.uniform(0, 0.3)), seed=seed,
                **overrides,
            )
        )  # fmt: skip
    return out


def dataset(workload: str):
    return load(DataSpec("moons", samples=WORKLOADS[workload]["samples"]))


BACKGROUND: list[float] = []  # CPU share other processes used during each measurement


def wait_for_idle() -> None:
    from core_bench import wait_until_idle  # beside this file

    wait_until_idle(max_wait=2.0)


def measured(fn):
    """(wall seconds, fn()), recording the CPU share other processes used meanwhile."""
    from core_bench import CORES, _busy_jiffies  # beside this file

    own0, (busy0, _) = resource.getrusage(resource.RUSAGE_SELF), _busy_jiffies()
    start = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - start
    own1, (busy1, _) = resource.getrusage(resource.RUSAGE_SELF), _busy_jiffies()
    own = (own1.ru_utime + own1.ru_stime) - (own0.ru_utime + own0.ru_stime)
    others = (busy1 - busy0) / os.sysconf("SC_CLK_TCK") - own
    BACKGROUND.append(max(others, 0.0) / (wall * CORES))
    return wall, result


def time_population(cfgs, data) -> tuple[float, list]:
    return measured(lambda: train_population(cfgs, data))


def time_loop(cfgs, data) -> tuple[float, list]:
    return measured(lambda: [train(c, data) for c in cfgs])


def _same(a, b) -> bool:
    return [(r.status, r.epochs_run, r.final) for r in a] == [
        (r.status, r.epochs_run, r.final) for r in b
    ]


def throughput(workload: str, rounds: int, say) -> list[dict]:
    """Per size: trial-epochs per second of each mode (median over rounds) and the ratio."""
    data = dataset(workload)
    sizes = WORKLOADS[workload]["sizes"]
    runs = {P: {"population": [], "loop": [], "ratio": []} for P in sizes}
    time_population(configs(workload, 2), data)  # warm-up
    for r in range(rounds):
        for P in sizes:
            say(f"{workload}: round {r + 1} of {rounds}, {P} members")
            cfgs = configs(workload, P)
            wait_for_idle()
            t_before, pop = time_population(cfgs, data)
            t_loop, loop = time_loop(cfgs, data)
            t_after, _ = time_population(cfgs, data)
            t_pop = (t_before + t_after) / 2
            if not _same(pop, loop):
                raise AssertionError(f"{workload}, {P} members: population != loop")
            epochs = sum(res.epochs_run for res in pop)
            runs[P]["population"].append(epochs / t_pop)
            runs[P]["loop"].append(epochs / t_loop)
            runs[P]["ratio"].append(t_loop / t_pop)
    rows = []
    for P, r in runs.items():
        rows.append(
            {"workload": workload, "members": P}
            | {f"{k}_median": statistics.median(v) for k, v in r.items()}
            | {f"{k}_all": [round(x, 2) for x in v] for k, v in r.items()}
        )
    return rows


# --- the physical floor ------------------------------------------------------------------------


def matmul_flops_per_trial_epoch(dims: tuple[int, ...], m_train: int, m_val: int) -> int:
    """Z = W A, dW and dA (not for layer 1) per training sample, plus Z = W A per val sample."""
    per_layer = [dims[l - 1] * dims[l] for l in range(1, len(dims))]
    return 2 * m_train * (2 * sum(per_layer) + sum(per_layer[1:])) + 2 * m_val * sum(per_layer)


def gemm_worker() -> list[float]:
    rng = np.random.default_rng(0)
    n = 2048
    A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    C = np.empty((n, n))
    np.matmul(A, B, out=C)
    rates = []
    for _ in range(5):
        start = time.perf_counter()
        np.matmul(A, B, out=C)
        rates.append(2 * n**3 / (time.perf_counter() - start) / 1e9)
    return rates


def gemm_rate(threads: int | None) -> float:
    """Median GFLOP/s of float64 matmul 2048^2, in a fresh interpreter (OpenBLAS's threads)."""
    env = dict(os.environ)
    if threads:
        env["OPENBLAS_NUM_THREADS"] = str(threads)
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--gemm-worker"],
        check=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    return statistics.median(json.loads(out.stdout))


# --- design measurements -----------------------------------------------------------------------


def products_matmul_vs_einsum(P: int = 32, m: int = 64, repeats: int = 2000) -> dict:
    """us per step of the 8 stacked products of 2-5-2-1 (3 forward, 3 dW, 2 dA)."""
    rng = np.random.default_rng(0)
    dims = (2, 5, 2, 1)
    W = [rng.standard_normal((P, dims[l], dims[l - 1])) for l in range(1, 4)]
    A = [rng.standard_normal((P, d, m)) for d in dims]

    def with_matmul():
        for l in range(3):
            np.matmul(W[l], A[l])  # Z = W A
            np.matmul(A[l + 1], A[l].transpose(0, 2, 1))  # dW = dZ A^T
            if l:
                np.matmul(W[l].transpose(0, 2, 1), A[l + 1])  # dA = W^T dZ

    def with_einsum():
        for l in range(3):
            np.einsum("pij,pjm->pim", W[l], A[l])
            np.einsum("pim,pjm->pij", A[l + 1], A[l])
            if l:
                np.einsum("pij,pim->pjm", W[l], A[l + 1])

    out = {}
    for name, fn in (("matmul", with_matmul), ("einsum", with_einsum)):
        fn()
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
        out[name] = 1e6 * (time.perf_counter() - start) / repeats
    return out


def design(rounds: int, say) -> dict:
    out: dict = {"products_us_per_step": products_matmul_vs_einsum()}
    data = dataset("default")
    mixed = configs("default", 64)
    padded = [
        TrainConfig(**{**c.to_dict(), "batch_size": 512, "epochs": 1}) for c in mixed
    ]  # the same members at the largest batch, one epoch
    mixed_1 = [TrainConfig(**{**c.to_dict(), "epochs": 1}) for c in mixed]
    course = dataset("course")
    t = {"mixed": [], "at_512": [], "c64": [], "c32": [], "drop_pop": [], "drop_loop": []}
    t["nodrop_pop"], t["nodrop_loop"] = [], []
    for r in range(rounds):
        say(f"design: round {r + 1} of {rounds}")
        wait_for_idle()
        t["mixed"].append(time_population(mixed_1, data)[0])
        t["at_512"].append(time_population(padded, data)[0])
        t["c64"].append(time_population(configs("course", 64), course)[0])
        t["c32"].append(time_population(configs("course", 32), course)[0])
        for name, kp in (("drop", 0.8), ("nodrop", 1.0)):
            cfgs = configs("course", 32, keep_prob=kp)
            t[f"{name}_pop"].append(time_population(cfgs, course)[0])
            t[f"{name}_loop"].append(time_loop(cfgs, course)[0])
    med = {k: statistics.median(v) for k, v in t.items()}
    steps_32 = math.ceil(16_000 / 32)  # a batch-32 member's epoch: the padded lockstep's length
    steps_512 = math.ceil(16_000 / 512)
    out["cohorts_s_per_epoch"] = med["mixed"]
    out["padded_s_per_epoch"] = med["at_512"] * steps_32 / steps_512
    out["compaction"] = {"64_members_s": med["c64"], "32_members_s": med["c32"]}
    out["dropout"] = {
        "population_s": {"keep_prob_0.8": med["drop_pop"], "keep_prob_1": med["nodrop_pop"]},
        "loop_s": {"keep_prob_0.8": med["drop_loop"], "keep_prob_1": med["nodrop_loop"]},
    }
    return out


# --- the driver ----------------------------------------------------------------------------------


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_all(rounds: int, say) -> dict:
    from core_bench import cpu_model  # beside this file

    results: dict = {
        "machine": {
            "cpu": cpu_model(),
            "cores": len(os.sched_getaffinity(0)),
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        },
        "load_before": load_average(),
    }
    say("GEMM rates")
    results["gemm_gflops"] = {"all_cores": gemm_rate(None), "one_core": gemm_rate(1)}
    results["rows"] = [row for w in WORKLOADS for row in throughput(w, rounds, say)]
    results["design"] = design(rounds, say)
    results["load_after"] = load_average()
    results["background"] = {
        "median": statistics.median(BACKGROUND),
        "max": max(BACKGROUND),
        "measurements": len(BACKGROUND),
    }
    for w, spec in WORKLOADS.items():
        m_val = round(0.2 * spec["samples"])
        flops = matmul_flops_per_trial_epoch((2, *LAYERS, 1), spec["samples"] - m_val, m_val)
        results.setdefault("flops_per_trial_epoch", {})[w] = flops
    for row in results["rows"]:
        flops = results["flops_per_trial_epoch"][row["workload"]]
        for cores, rate in results["gemm_gflops"].items():
            floor = rate * 1e9 / flops  # trial-epochs per second at the GEMM rate
            row[f"floor_{cores}"] = floor
    return results


def table(results: dict) -> str:
    m = results["machine"]
    g = results["gemm_gflops"]
    lines = [
        f"{m['cpu']}, {m['cores']} cores; Python {m['python']}, NumPy {m['numpy']}; {m['date']}",
        f"load average before / after: {results['load_before']} / {results['load_after']}; "
        f"CPU used by other processes while measuring: median "
        f"{100 * results['background']['median']:.0f}%, max "
        f"{100 * results['background']['max']:.0f}% of the machine",
        f"float64 GEMM 2048^2: {g['all_cores']:.1f} GFLOP/s on all cores, "
        f"{g['one_core']:.1f} on one",
        "",
        "trial-epochs per second, median over rounds; ratio = loop time / population time "
        "(median of the rounds' ratios)",
        f"{'workload':<30}{'members':>8}{'population':>12}{'loop':>9}{'ratio':>8}"
        f"{'% of 1-core floor: population, loop':>38}",
    ]
    for r in results["rows"]:
        name = (
            "(a) course 300, batch 64"
            if r["workload"] == "course"
            else "(b) moons 20k, batch 32..512"
        )
        shares = [100 * r[f"{k}_median"] / r["floor_one_core"] for k in ("population", "loop")]
        lines.append(
            f"{name:<30}{r['members']:>8}{r['population_median']:>12.0f}{r['loop_median']:>9.0f}"
            f"{r['ratio_median']:>7.1f}x{shares[0]:>29.2f}%{shares[1]:>8.3f}%"
        )
    course32 = next(r for r in results["rows"] if r["workload"] == "course" and r["members"] == 32)
    verdict = "met" if course32["ratio_median"] >= TARGET else "NOT met"
    lines += ["", f"target >= {TARGET:.0f}x at 32 members of the course network: {verdict}", ""]
    for w, flops in results["flops_per_trial_epoch"].items():
        lines.append(
            f"floor ({w}): {flops:,} matmul FLOP per trial-epoch = "
            f"{g['one_core'] * 1e9 / flops:,.0f} trial-epochs/s on one core, "
            f"{g['all_cores'] * 1e9 / flops:,.0f} on all"
        )
    d = results["design"]
    p = d["products_us_per_step"]
    c, dr = d["compaction"], d["dropout"]
    lines += [
        "",
        "design:",
        f"  stacked products of a step (32 members, batch 64): matmul {p['matmul']:.0f} us, "
        f"einsum {p['einsum']:.0f} us",
        f"  (b) 64 members, one epoch: cohorts per batch size {d['cohorts_s_per_epoch']:.2f} s; "
        f"a lockstep padded to 512 would run >= {d['padded_s_per_epoch']:.2f} s",
        f"  compaction, course network: 64 members {c['64_members_s']:.2f} s, "
        f"32 members {c['32_members_s']:.2f} s",
        f"  dropout, course network, 32 members: population "
        f"{dr['population_s']['keep_prob_0.8']:.2f} s (keep_prob 0.8) vs "
        f"{dr['population_s']['keep_prob_1']:.2f} s (none); loop "
        f"{dr['loop_s']['keep_prob_0.8']:.2f} s vs {dr['loop_s']['keep_prob_1']:.2f} s",
    ]
    return "\n".join(lines)


# --- issue 22: the compiled epoch's populations against the NumPy loop's -----------------------

LOOP_BATCHES = (32, 128, 512, "mixed")  # "mixed": 32, 64, ..., 512 in one population
LOOP_MEMBERS, LOOP_EPOCHS = 8, 10


def loop_configs(batch) -> list[TrainConfig]:
    """8 members of the default sweep's space on moons 20,000, 10 epochs, at one batch size or
    at the mixed ones."""
    out = configs("default", LOOP_MEMBERS)
    sizes = [32, 64, 128, 256, 512, 32, 128, 512] if batch == "mixed" else [batch] * len(out)
    return [TrainConfig(**{**c.to_dict(), "batch_size": b, "epochs": LOOP_EPOCHS})
            for c, b in zip(out, sizes, strict=True)]  # fmt: skip


def loops(rounds: int, say) -> dict:
    """ms per member-epoch (wall time of train_population, set-up included, over members x
    epochs) on the compiled epoch (its members on the process's threads) and on the NumPy loop
    (OPTSWEEP_KERNEL=numpy), the two taking turns in each round; medians over rounds."""
    data = dataset("default")
    out: dict = {"threads": len(os.sched_getaffinity(0)), "rows": []}
    for batch in LOOP_BATCHES:
        cfgs = loop_configs(batch)
        times: dict[str, list[float]] = {"numba": [], "numpy": []}
        for r in range(rounds):
            say(f"loops: batch {batch}, round {r + 1} of {rounds}")
            for name in times:
                os.environ["OPTSWEEP_KERNEL"] = name
                train_population(cfgs[:2], data) if r == 0 else None  # warm-up (kernel load)
                wait_for_idle()
                wall, _ = measured(lambda cfgs=cfgs: train_population(cfgs, data))
                times[name].append(1e3 * wall / (LOOP_MEMBERS * LOOP_EPOCHS))
        os.environ.pop("OPTSWEEP_KERNEL", None)
        row = {"batch": batch, **{f"{k}_ms": statistics.median(v) for k, v in times.items()}}
        row["speed_up"] = statistics.median(
            b / a for a, b in zip(times["numba"], times["numpy"], strict=True)
        )
        out["rows"].append(row)
    return out


def loops_table(res: dict) -> str:
    lines = [
        f"Populations of {LOOP_MEMBERS}, moons 20,000, {LOOP_EPOCHS} epochs, set-up included: ms "
        f"per member-epoch (medians), compiled epoch on {res['threads']} threads vs NumPy loop",
        f"{'batch':>8}{'compiled':>12}{'NumPy loop':>12}{'speed-up':>10}",
    ]
    for r in res["rows"]:
        lines.append(f"{r['batch']!s:>8}{r['numba_ms']:>12.3f}{r['numpy_ms']:>12.3f}"
                     f"{r['speed_up']:>9.1f}x")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of measurements")
    parser.add_argument("--gemm-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--loops", action="store_true", help="only the compiled epoch vs the NumPy loop (issue 22)"
    )
    args = parser.parse_args(argv)
    if args.gemm_worker:
        print(json.dumps(gemm_worker()))
        return
    say = lambda msg: print(f"... {msg}", file=sys.stderr, flush=True)  # noqa: E731
    if args.loops:
        res = loops(args.rounds, say)
        print(json.dumps(res, indent=2) if args.json else loops_table(res))
        return
    results = run_all(args.rounds, say)
    results["loops"] = loops(args.rounds, say)
    print(
        json.dumps(results, indent=2)
        if args.json
        else table(results) + "\n\n" + loops_table(results["loops"])
    )


if __name__ == "__main__":
    main()
