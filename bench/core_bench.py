"""The core benchmark: ms per epoch of `core.train.train` against the same loop in PyTorch eager.

    .venv/bin/python bench/core_bench.py            # the table (what `make bench` runs)
    .venv/bin/python bench/core_bench.py --json     # the same figures as JSON

Three workloads:
  (a) the course network on moons: 300 samples (240 train / 60 val), 2-5-2-1 relu with a sigmoid
      output, He init, Adam alpha 0.0007, batch 64;
  (b) a 784-256-128-10 softmax network on 20,000 synthetic samples (16,000 / 4,000), batch 512,
      in float64 and float32;
  (c) the course network on moons 20,000 (16,000 / 4,000) at batch 32 (issue 22), where ours runs
      the compiled epoch (core/kernel.py), also against the hand-written single-loop numba epoch
      of the same network (bench/handwritten_epoch.py: the floor).
Every loop does the same work per epoch: shuffle, every mini-batch (the last partial one kept)
through forward, cross-entropy from the logits, backward and an Adam step, the running cost and
accuracy, then one validation pass (ours and the hand-written one check each cost for NaN too).
The first epoch of every run is not timed.

The compile time of the kernel is measured apart: a fresh interpreter with an empty numba cache
(NUMBA_CACHE_DIR in a new temporary folder) trains one epoch in float64 and one in float32, then
a second interpreter on the now filled cache does the same (what every later process pays).

Each measurement runs in its own interpreter, so NumPy's OpenBLAS threads and PyTorch's OpenMP
threads never compete for the cores (PyTorch is imported only there), and the two loops take turns
in rounds so that both see the same background load. Before each measurement the driver waits
(briefly) for the machine to be idle, and it records how much CPU other processes used meanwhile.

The GEMM rate is NumPy's matmul on square 2048 x 2048 matrices (what this BLAS attains on this
machine) and on the exact matrix shapes (b) multiplies at batch 512. The fraction of it that (b)
reaches counts only (b)'s matmul FLOPs per epoch: 2*m*n_in*n_out per layer for Z = W A, for dW and
for dA (no dA for the input layer) on the training split, plus the validation forward pass.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

from core.data import Dataset, DataSpec, load, split
from core.normalize import Standardizer
from core.train import TrainConfig, train

CORES = len(os.sched_getaffinity(0))
ALPHA = 0.0007
SEED = 0
VAL_FRACTION = 0.2  # TrainConfig's default
MLP_DIMS = (784, 256, 128, 10)

# (workload, dtype) -> timed epochs per run, runs per worker, rounds (a NumPy then a torch worker)
CASES = {
    ("moons", "float64"): dict(epochs=100, runs=2, rounds=3),
    ("mlp", "float64"): dict(epochs=3, runs=2, rounds=3),
    ("mlp", "float32"): dict(epochs=3, runs=2, rounds=3),
    ("moons20k", "float64"): dict(epochs=10, runs=2, rounds=3),
}
HIDDEN = {"moons": (5, 2), "mlp": MLP_DIMS[1:-1], "moons20k": (5, 2)}
BATCH = {"moons": 64, "mlp": 512, "moons20k": 32}
SPEEDUP_TARGET = {"moons": 3.0, "mlp": 1.2, "moons20k": 50.0}  # over PyTorch eager, per epoch
FLOOR_TARGET = 2.0  # (c): ours at most this many times the hand-written numba epoch's time
KINDS = {"moons20k": ("numpy", "handwritten", "torch")}  # otherwise ("numpy", "torch")
GEMM_FRACTION_TARGET = 0.80  # (b) float64 as a fraction of the machine's float64 GEMM rate
NOISY = 0.25  # background load above which a measurement is redone ...
REDO_SECONDS = 90.0  # ... while the whole benchmark has spent less than this on redoing


def dataset(workload: str) -> Dataset:
    if workload == "moons":
        return load(DataSpec("moons"))
    if workload == "moons20k":
        return load(DataSpec("moons", samples=20_000))
    rng = np.random.default_rng(SEED)
    m, n_x, n_classes = 20_000, MLP_DIMS[0], MLP_DIMS[-1]
    X = rng.standard_normal((m, n_x))
    teacher = rng.standard_normal((n_x, n_classes))
    y = (X @ teacher + rng.standard_normal((m, n_classes))).argmax(axis=1)  # learnable labels
    return Dataset(X, y, n_classes, "synthetic-784")


def matmul_flops_per_epoch(dims: tuple[int, ...], m_train: int, m_val: int) -> int:
    """Matmul FLOPs of one epoch: Z = W A, dW and dA (not for layer 1) per sample, plus val."""
    per_layer = [dims[l - 1] * dims[l] for l in range(1, len(dims))]
    train_flops = 2 * m_train * (2 * sum(per_layer) + sum(per_layer[1:]))
    return train_flops + 2 * m_val * sum(per_layer)


# --- the measurements, each run by a worker interpreter ----------------------------------------


def time_numpy(workload: str, dtype: str, epochs: int, runs: int) -> list[float]:
    """Seconds of each epoch of core.train (through its public API) after a run's first."""
    data = dataset(workload)
    config = TrainConfig(
        layers=HIDDEN[workload], activation="relu", optimizer="adam", alpha=ALPHA,
        batch_size=BATCH[workload], epochs=epochs + 1, init="he", seed=SEED, dtype=dtype,
    )  # fmt: skip
    seconds: list[float] = []
    for _ in range(runs):
        stamps: list[float] = []  # the end of each epoch, as the callback sees it
        result = train(
            config, data, callback=lambda _metrics, s=stamps: s.append(time.perf_counter())
        )
        assert result.status == "completed", result.reason
        seconds += np.diff(stamps).tolist()  # epoch 1 (warm-up, lazy allocations) not timed
    return seconds


def time_handwritten(workload: str, dtype: str, epochs: int, runs: int) -> list[float]:
    """Seconds of each epoch of the hand-written numba loop (bench/handwritten_epoch.py) after a
    run's first, on the same standardized split as ours."""
    import handwritten_epoch  # beside this file

    data = dataset(workload)
    parts = split(data, VAL_FRACTION, seed=SEED)
    scaler = Standardizer().fit(parts.X_train)
    X, X_val = scaler.transform(parts.X_train), scaler.transform(parts.X_val)
    y, y_val = parts.y_train.astype(np.float64), parts.y_val.astype(np.float64)
    np.random.seed(SEED)  # numba's own generator, which the loop's shuffle draws from
    seconds: list[float] = []
    for r in range(runs):
        params, grads, m, v = handwritten_epoch.start(SEED + r)
        stamps, t = [], 0
        for _ in range(epochs + 1):
            *figures, t = handwritten_epoch.epoch(
                params, grads, m, v, t, X, y, X_val, y_val, BATCH[workload], ALPHA
            )
            assert all(math.isfinite(f) for f in figures), "the hand-written loop diverged"
            stamps.append(time.perf_counter())
        seconds += np.diff(stamps).tolist()
    return seconds


def time_compile() -> dict[str, float]:
    """Seconds to the end of a first one-epoch run in float64, then in float32, in this
    interpreter (the driver gives it an empty or a filled numba cache)."""
    start = time.perf_counter()
    data = load(DataSpec("moons"))
    out = {}
    for dtype in ("float64", "float32"):
        train(TrainConfig(epochs=1, dtype=dtype), data)
        out[dtype] = time.perf_counter() - start
    return out


def time_torch(workload: str, dtype: str, epochs: int, runs: int) -> list[float]:
    """Seconds of each epoch of the equivalent PyTorch eager loop after a run's first."""
    import torch

    torch.set_num_threads(CORES)
    data = dataset(workload)
    parts = split(data, VAL_FRACTION, seed=SEED)
    scaler = Standardizer().fit(parts.X_train)
    tdtype = getattr(torch, dtype)
    X = torch.tensor(scaler.transform(parts.X_train), dtype=tdtype)  # samples as rows
    X_val = torch.tensor(scaler.transform(parts.X_val), dtype=tdtype)
    y, y_val = torch.tensor(parts.y_train), torch.tensor(parts.y_val)
    binary = data.n_classes == 2
    dims = (X.shape[1], *HIDDEN[workload], 1 if binary else data.n_classes)
    if binary:  # BCE with logits wants float targets shaped like the (n, 1) logits
        loss_fn = torch.nn.BCEWithLogitsLoss()
        Y, Y_val = y.to(tdtype).unsqueeze(1), y_val.to(tdtype).unsqueeze(1)

        def n_correct(logits, labels) -> int:
            return int(((logits[:, 0] > 0).long() == labels).sum())
    else:
        loss_fn = torch.nn.CrossEntropyLoss()
        Y, Y_val = y, y_val

        def n_correct(logits, labels) -> int:
            return int((logits.argmax(dim=1) == labels).sum())

    m, bs = X.shape[0], BATCH[workload]
    generator = torch.Generator().manual_seed(SEED)

    def run() -> list[float]:
        torch.manual_seed(SEED)
        layers: list[torch.nn.Module] = []
        for l in range(1, len(dims)):
            linear = torch.nn.Linear(dims[l - 1], dims[l], dtype=tdtype)
            torch.nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")  # He init
            torch.nn.init.zeros_(linear.bias)
            layers += [linear] if l == len(dims) - 1 else [linear, torch.nn.ReLU()]
        model = torch.nn.Sequential(*layers)
        optimizer = torch.optim.Adam(model.parameters(), lr=ALPHA, betas=(0.9, 0.999), eps=1e-8)
        stamps = []
        for _ in range(epochs + 1):
            perm = torch.randperm(m, generator=generator)
            Xs, Ys, ys = X[perm], Y[perm], y[perm]
            cost_sum, correct = 0.0, 0
            for k in range(0, m, bs):
                logits = model(Xs[k : k + bs])
                loss = loss_fn(logits, Ys[k : k + bs])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                cost = loss.item()
                if not math.isfinite(cost):
                    raise RuntimeError("the PyTorch loop diverged")
                cost_sum += cost * logits.shape[0]
                correct += n_correct(logits.detach(), ys[k : k + bs])
            with torch.no_grad():
                logits = model(X_val)
                val_cost, val_correct = loss_fn(logits, Y_val).item(), n_correct(logits, y_val)
            assert math.isfinite(cost_sum / m + val_cost) and correct + val_correct >= 0
            stamps.append(time.perf_counter())
        return np.diff(stamps).tolist()

    return [s for _ in range(runs) for s in run()]


def time_gemm(dtype: str) -> dict[str, list[float]]:
    """GFLOP/s of NumPy matmul, per repeat: square n = 2048, and the matmuls of batches of (b)."""
    rng = np.random.default_rng(SEED)
    n = 2048
    A, B = (rng.standard_normal((n, n)).astype(dtype) for _ in range(2))
    C = np.empty((n, n), dtype=dtype)
    square = _rates(lambda: np.matmul(A, B, out=C), 2 * n**3, repeats=5)

    dims, m, L = MLP_DIMS, 512, len(MLP_DIMS) - 1  # samples as columns, as core/network.py has
    W = [rng.standard_normal((dims[l], dims[l - 1])).astype(dtype) for l in range(1, L + 1)]
    A_ = [rng.standard_normal((d, m)).astype(dtype) for d in dims]
    Z = [np.empty((d, m), dtype=dtype) for d in dims]
    dW = [np.empty_like(w) for w in W]

    def one_batch() -> None:
        for l in range(1, L + 1):
            np.matmul(W[l - 1], A_[l - 1], out=Z[l])  # Z = W A
            np.matmul(Z[l], A_[l - 1].T, out=dW[l - 1])  # dW = dZ A^T
            if l > 1:
                np.matmul(W[l - 1].T, Z[l], out=Z[l - 1])  # dA = W^T dZ

    batches = 20
    flops = batches * matmul_flops_per_epoch(dims, m, 0)
    shapes = _rates(lambda: [one_batch() for _ in range(batches)], flops, repeats=5)
    return {"square_2048": square, "mlp_shapes": shapes}


def _rates(fn, flops: float, repeats: int) -> list[float]:
    fn()  # warm-up
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        rates.append(flops / (time.perf_counter() - start) / 1e9)
    return rates


def worker(kind: str, workload: str, dtype: str, epochs: int, runs: int):
    if kind == "numpy":
        return time_numpy(workload, dtype, epochs, runs)
    if kind == "torch":
        return time_torch(workload, dtype, epochs, runs)
    if kind == "handwritten":
        return time_handwritten(workload, dtype, epochs, runs)
    if kind == "compile":
        return time_compile()
    return time_gemm(dtype)


# --- the driver ----------------------------------------------------------------------------------


def _busy_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def wait_until_idle(limit: float = 0.10, max_wait: float = 3.0) -> None:
    """Wait (at most max_wait seconds) for half a second in which the machine is < limit busy."""
    deadline = time.monotonic() + max_wait
    while time.monotonic() < deadline:
        busy0, total0 = _busy_jiffies()
        time.sleep(0.5)
        busy1, total1 = _busy_jiffies()
        if (busy1 - busy0) / max(total1 - total0, 1) < limit:
            return


def measure(
    kind: str, workload: str, dtype: str, epochs: int = 0, runs: int = 0, budget=None, env=None
):
    """Run one measurement in a fresh interpreter: (its JSON result, background load).

    The background load is the CPU time other processes used meanwhile, as a fraction of the
    machine (all cores): what makes a shared machine's figures noisy. A measurement taken under
    more than NOISY background is redone while `budget` (a dict of seconds left) allows.
    """
    while True:
        wait_until_idle()
        own0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy0, _ = _busy_jiffies()
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--worker", kind, workload, dtype,
             str(epochs), str(runs)],
            check=True, capture_output=True, text=True, env=env,
        )  # fmt: skip
        wall = time.perf_counter() - start
        busy1, _ = _busy_jiffies()
        own1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = (own1.ru_utime + own1.ru_stime) - (own0.ru_utime + own0.ru_stime)
        others = (busy1 - busy0) / os.sysconf("SC_CLK_TCK") - own
        load = max(others, 0.0) / (wall * CORES)
        if load <= NOISY or budget is None or budget["seconds"] < wall:
            return json.loads(out.stdout), load
        budget["seconds"] -= wall
        budget["redone"] += 1


def run_all(progress=None, workloads=None) -> dict:
    say = progress or (lambda _msg: None)
    results: dict = {"machine": machine(), "gemm": {}, "rows": [], "background": []}
    budget = results["redo"] = {"seconds": REDO_SECONDS, "redone": 0}
    gemm_rates: dict[str, dict[str, list[float]]] = {
        dtype: {"square_2048": [], "mlp_shapes": []} for dtype in ("float64", "float32")
    }

    def gemm_round() -> None:
        for dtype, rates in gemm_rates.items():
            measured, load = measure("gemm", "-", dtype, budget=budget)
            for key in rates:
                rates[key] += measured[key]
            results["background"].append(load)

    say("GEMM rates")
    gemm_round()
    for (workload, dtype), plan in CASES.items():
        if workloads and workload not in workloads:
            continue
        epochs: dict[str, list[float]] = {k: [] for k in KINDS.get(workload, ("numpy", "torch"))}
        for r in range(plan["rounds"]):
            say(f"{workload} {dtype}: round {r + 1} of {plan['rounds']}")
            for kind in epochs:
                seconds, load = measure(kind, workload, dtype, plan["epochs"], plan["runs"], budget)
                epochs[kind] += seconds
                results["background"].append(load)
        results["rows"].append(_row(workload, dtype, epochs))
    say("GEMM rates again")
    gemm_round()
    say("compile time: a cold numba cache, then the filled one")
    results["compile"] = compile_times()

    for dtype, rates in gemm_rates.items():
        results["gemm"][dtype] = {
            key: {"median": statistics.median(r), "best": max(r), "all": [round(x, 2) for x in r]}
            for key, r in rates.items()
        }
    flops = matmul_flops_per_epoch(MLP_DIMS, *_split_sizes("mlp"))
    results["mlp_matmul_gflop_per_epoch"] = flops / 1e9
    for row in results["rows"]:
        if row["workload"] != "mlp":
            continue
        gemm = results["gemm"][row["dtype"]]
        for stat in ("median", "best"):
            rate = flops / (row[f"numpy_ms_{stat}"] / 1e3) / 1e9
            row[f"gflops_{stat}"] = rate
            row[f"fraction_of_square_{stat}"] = rate / gemm["square_2048"][stat]
            row[f"fraction_of_shapes_{stat}"] = rate / gemm["mlp_shapes"][stat]
    return results


def _row(workload: str, dtype: str, epochs: dict[str, list[float]]) -> dict:
    row = {"workload": workload, "dtype": dtype, "target": SPEEDUP_TARGET[workload]}
    for kind, seconds in epochs.items():
        row[f"{kind}_ms_median"] = 1e3 * statistics.median(seconds)
        row[f"{kind}_ms_best"] = 1e3 * min(seconds)
        row[f"{kind}_epochs"] = len(seconds)
    row["speedup_median"] = row["torch_ms_median"] / row["numpy_ms_median"]
    row["speedup_best"] = row["torch_ms_best"] / row["numpy_ms_best"]
    if "handwritten" in epochs:
        row["floor_target"] = FLOOR_TARGET
        row["vs_handwritten_median"] = row["numpy_ms_median"] / row["handwritten_ms_median"]
        row["vs_handwritten_best"] = row["numpy_ms_best"] / row["handwritten_ms_best"]
    return row


def compile_times(rounds: int = 3) -> dict:
    """Per round, a fresh empty numba cache: (cold, warm) seconds to the end of the float64 and
    of the float32 first runs; medians."""
    import tempfile

    cold, warm = [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "NUMBA_CACHE_DIR": cache}
            cold.append(measure("compile", "-", "-", env=env)[0])
            warm.append(measure("compile", "-", "-", env=env)[0])
    med = {
        name: {d: statistics.median(r[d] for r in runs) for d in ("float64", "float32")}
        for name, runs in (("cold", cold), ("warm", warm))
    }
    return {**med, "rounds": rounds}


def _split_sizes(workload: str) -> tuple[int, int]:
    parts = split(dataset(workload), VAL_FRACTION, seed=SEED)
    return len(parts.y_train), len(parts.y_val)


def cpu_model() -> str:
    """The CPU's model name as lscpu gives it (sweep_bench.py uses it too)."""
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> dict:
    model = cpu_model()
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    torch_version = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.__version__)"],
        capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    return {
        "cpu": model,
        "cores": CORES,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": f"{blas.get('name')} {blas.get('version')}",
        "torch": torch_version or "not installed",
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    }


def table(results: dict) -> str:
    m = results["machine"]
    lines = [
        f"{m['cpu']}, {m['cores']} cores; Python {m['python']}, NumPy {m['numpy']} "
        f"({m['blas']}), torch {m['torch']}; {m['date']}",
        "",
        "ms per epoch: median over all timed epochs (best in brackets)",
        f"{'workload':<27}{'ours':>18}{'PyTorch eager':>20}{'speed-up':>10}{'target':>9}",
    ]
    names = {"moons": "(a) moons 2-5-2-1", "mlp": "(b) 784-256-128-10",
             "moons20k": "(c) moons20k b32"}  # fmt: skip
    for r in results["rows"]:
        name = names[r["workload"]]
        ours = f"{_ms(r['numpy_ms_median'])} ({_ms(r['numpy_ms_best'])})"
        theirs = f"{_ms(r['torch_ms_median'])} ({_ms(r['torch_ms_best'])})"
        verdict = "met" if r["speedup_median"] >= r["target"] else "NOT met"
        lines.append(
            f"{name + ' ' + r['dtype']:<27}{ours:>18}{theirs:>20}{r['speedup_median']:>9.2f}x"
            f"{'>= ' + format(r['target'], '.1f') + 'x':>9}  {verdict}"
        )
    for r in results["rows"]:
        if "vs_handwritten_median" in r:
            verdict = "met" if r["vs_handwritten_median"] <= r["floor_target"] else "NOT met"
            lines.append(
                f"(c) against the hand-written numba epoch: "
                f"{_ms(r['handwritten_ms_median'])} ({_ms(r['handwritten_ms_best'])}) ms; "
                f"ours takes {r['vs_handwritten_median']:.2f}x its time "
                f"({r['vs_handwritten_best']:.2f}x best vs best), "
                f"target <= {r['floor_target']:.1f}x: {verdict}"
            )
    c = results.get("compile")
    if c:
        lines.append(
            f"kernel compile, medians of {c['rounds']}: empty cache {c['cold']['float64']:.1f} s "
            f"to a first float64 run, {c['cold']['float32']:.1f} s with float32 too; filled cache "
            f"{c['warm']['float64']:.2f} s, {c['warm']['float32']:.2f} s (interpreter start-up "
            "excluded, imports included)"
        )
    lines += [
        "",
        "NumPy matmul GFLOP/s, median (best): square 2048 | the shapes of (b) at batch 512",
    ]
    for dtype, g in results["gemm"].items():
        sq, sh = g["square_2048"], g["mlp_shapes"]
        lines.append(
            f"  {dtype}: {sq['median']:.1f} ({sq['best']:.1f}) | "
            f"{sh['median']:.1f} ({sh['best']:.1f})"
        )
    lines.append(
        f"(b) reaches, counting its {results['mlp_matmul_gflop_per_epoch']:.2f} GFLOP of matmul "
        "per epoch (median epoch vs median rate; best vs best):"
    )
    for r in results["rows"]:
        if "gflops_median" not in r:
            continue
        target = f"   target >= {100 * GEMM_FRACTION_TARGET:.0f}% of square"
        verdict = "met" if r["fraction_of_square_median"] >= GEMM_FRACTION_TARGET else "NOT met"
        lines.append(
            f"  {r['dtype']}: {r['gflops_median']:.1f} GFLOP/s = "
            f"{100 * r['fraction_of_square_median']:.0f}% of square "
            f"({100 * r['fraction_of_square_best']:.0f}%), "
            f"{100 * r['fraction_of_shapes_median']:.0f}% of the shapes' rate "
            f"({100 * r['fraction_of_shapes_best']:.0f}%)"
            + (f"{target}: {verdict}" if r["dtype"] == "float64" else "")
        )
    load = results["background"]
    lines += [
        "",
        f"CPU used by other processes while measuring: median {100 * statistics.median(load):.0f}%,"
        f" max {100 * max(load):.0f}% of the machine; {results['redo']['redone']} measurement(s)"
        f" redone for a background above {100 * NOISY:.0f}%",
    ]
    return "\n".join(lines)


def _ms(x: float) -> str:
    return f"{x:.1f}" if x >= 10 else f"{x:.3f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument(
        "--workloads", help="comma-separated subset of moons, mlp, moons20k (default: all)"
    )
    args = parser.parse_args(argv)
    if args.worker:
        kind, workload, dtype, epochs, runs = args.worker
        print(json.dumps(worker(kind, workload, dtype, int(epochs), int(runs))))
        return
    chosen = args.workloads.split(",") if args.workloads else None
    results = run_all(
        progress=lambda msg: print(f"... {msg}", file=sys.stderr, flush=True), workloads=chosen
    )
    print(json.dumps(results, indent=2) if args.json else table(results))


if __name__ == "__main__":
    main()
