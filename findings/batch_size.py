"""Claim 6: batch GD is slow, SGD is noisy, mini-batches of 32-512 work."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from analysis import canvas, statistics
from analysis.formatting import table_lines
from analysis.retraining import Outcome
from findings.claim import Claim
from findings.context import (
    Context,
    best_per,
)
from findings.evidence import (
    nothing_learned,
    summary,
    to_target,
)
from findings.rules import Judged, all_of, judged, lower
from findings.tables import per_seed_marked, pm

BATCH_TARGET = 0.10  # 3200 training rows let the cost go lower than 240 do
BATCH_STEP_CAP = 24_000  # each batch-size run: at most this many steps (and 3000 epochs)
BATCH_EPOCH_CAP = 3000
BATCH_SECONDS_CAP = 30.0
MID_SIZES = (32, 64, 128, 256, 512)  # "between 32 and 512 (power of 2)"


def measure(ctx: Context) -> Judged:
    study, spec = ctx.study("batch_size.toml")
    best = best_per(study, lambda v: v.get("batch_size"))
    sizes = sorted(best)
    m = _train_rows(spec)
    arms = {bs: best[bs][0] for bs in sizes}

    def epochs(_label, values: dict) -> int:
        n_batches = math.ceil(m / min(values["batch_size"], m))
        return min(BATCH_EPOCH_CAP, max(1, math.ceil(BATCH_STEP_CAP / n_batches)))

    runs = ctx.retrain(
        study,
        spec,
        arms,
        stop_below=BATCH_TARGET,
        max_seconds=BATCH_SECONDS_CAP,
        epochs=epochs,
        timed=True,  # CPU seconds to the target are the evidence: each run alone
    )
    rows, cpu, noise = [], {}, {}
    for bs in sizes:
        e = to_target(runs[bs], BATCH_TARGET)
        c = to_target(runs[bs], BATCH_TARGET, "cpu")
        cpu[bs] = c[0]
        noise[bs] = [o.noise if o.noise is not None else 0.0 for o in runs[bs]]
        rows.append(
            {
                "batch_size": bs,
                "kind": _kind(bs, m),
                "alpha": arms[bs]["alpha"],
                "epochs": summary(e[0]),
                "cpu_seconds": summary(c[0]),
                "wall_seconds": summary(to_target(runs[bs], BATCH_TARGET, "wall")[0]),
                "missed": e[1],
                "budget_epochs": epochs(bs, arms[bs]),
                "steps": summary([_steps_to_target(o, BATCH_TARGET) for o in runs[bs]]),
                "noise": summary(noise[bs]),
                "dead": [o.learned_nothing for o in runs[bs]],
            }
        )
    parts = batch_size_parts(cpu, noise, sizes, m)
    return judged(
        parts,
        rows=rows,
        target=BATCH_TARGET,
        train_rows=m,
        nothing=nothing_learned(runs, ctx.seeds),
    )


def batch_size_parts(
    cpu: dict, noise: dict, sizes: Sequence[int], m: int
) -> dict[str, bool | None]:
    """The three parts of claim 6 from per-size CPU seconds to target and noise (per seed),
    each True, False or undecided (None) by the paired 95% rule."""
    mid = [bs for bs in sizes if bs in MID_SIZES]
    full = max(sizes)  # >= the training rows: batch GD
    best_mid = min(mid, key=lambda bs: statistics.mean_se(cpu[bs])[0])
    fastest = min(sizes, key=lambda bs: statistics.mean_se(cpu[bs])[0])
    faster_than_mid = None if fastest in mid else lower(cpu[fastest], cpu[best_mid])
    return {
        "batch GD is slower than the best of 32-512": (
            lower(cpu[best_mid], cpu[full]) if full >= m else False
        ),
        "SGD is noisier than every size in 32-512": (
            all_of(lower(noise[bs], noise[1]) for bs in mid) if 1 in noise else False
        ),
        "no size is faster than the best of 32-512": (
            True if fastest in mid else (None if faster_than_mid is None else not faster_than_mid)
        ),
    }


def _steps_to_target(o: Outcome, target: float) -> float:
    e = statistics.epochs_to_target(o.val_cost, target)
    return float((e if e is not None else o.epochs_run) * o.n_batches)


def _train_rows(spec) -> int:
    from core import data

    ds = data.load(spec.data)
    train, _ = data.split_indices(ds.y, spec.train.get("val_fraction", 0.2), 0)
    return len(train)


def _kind(bs: int, m: int) -> str:
    if bs >= m:
        return "batch GD"
    if bs == 1:
        return "SGD"
    return "mini-batch"


def section(outcome: Judged) -> list[str]:
    r = outcome.evidence
    rows = [
        [
            str(x["batch_size"]),
            x["kind"],
            f"{x['alpha']:g}",
            pm(x["epochs"]),
            pm(x["steps"]),
            pm(x["cpu_seconds"]),
            per_seed_marked(x["cpu_seconds"], x.get("dead")),
            pm(x["wall_seconds"]),
            str(x["missed"]),
            pm(x["noise"]),
        ]
        for x in r["rows"]
    ]
    return [
        f"{r['train_rows']} training rows; target: validation cost below {r['target']}.",
        "",
        *table_lines(
            [
                "batch size",
                "kind",
                "alpha",
                "epochs to target",
                "steps",
                "CPU seconds",
                "per seed (* learned nothing)",
                "wall seconds",
                "missed",
                "noise",
            ],
            rows,
        ),
    ]


def figure(results: dict[str, Judged], folder: Path) -> Path:
    return _draw(results["batch-size"].evidence, folder / "batch_size.png")


def _draw(r6: dict, path: Path) -> Path:
    """Claim 6: CPU seconds to the target and mini-batch noise, per batch size."""
    fig = canvas.figure(10, 3.8)
    rows = r6["rows"]
    x = list(range(len(rows)))
    labels = [
        f"{r['batch_size']}\n{r['kind']}" if r["kind"] != "mini-batch" else str(r["batch_size"])
        for r in rows
    ]
    mid = ["#2ca02c" if 32 <= r["batch_size"] <= 512 else "#7f7f7f" for r in rows]
    for j, (key, title) in enumerate(
        (("cpu_seconds", "CPU seconds to the target"), ("noise", "noise of the mini-batch cost"))
    ):
        ax = fig.add_subplot(1, 2, j + 1)
        means = [r[key]["mean"] for r in rows]
        errs = [2 * r[key]["se"] if math.isfinite(r[key]["se"]) else 0 for r in rows]
        ax.bar(x, means, yerr=errs, color=mid, capsize=3, alpha=0.85)
        ax.set_xticks(x, labels, fontsize=7)
        ax.set_xlabel("batch size (green: 32-512)")
        ax.set_ylabel(f"{title} (mean ± 2 SE)")
        if key == "cpu_seconds" and min(means) > 0:
            ax.set_yscale("log")
        ax.set_title(title)
        ax.grid(True, axis="y", alpha=0.3)
    return canvas.save(fig, path)


CLAIM = Claim(
    key="batch-size",
    title="Batch GD is slow, SGD is noisy, mini-batches of 32-512 work",
    quote="Batch gradient descent is slow since it uses all data at once. SGD has high oscillation "
    "and loses the speed benefit of vectorization. [...] choose the batch size between 32 to "
    "512 (power of 2)",
    sweeps=("batch_size.toml",),
    rule="Mini-batch GD on moons with 4000 samples (3200 training rows: not the 'small training "
    "set' for which the note itself advises batch GD), each batch size at its own best alpha, "
    "re-trained on every seed until the validation cost falls below "
    f"{BATCH_TARGET} (at most {BATCH_STEP_CAP} steps or {BATCH_EPOCH_CAP} epochs). Speed is "
    "CPU seconds to the target (immune to other processes on the machine); noise is the sd "
    "of (mini-batch cost - its EWA) / EWA, EWA beta 0.9. Parts: batch GD is slower than "
    "the fastest size in 32-512; SGD is noisier than every size in 32-512; no size is "
    "faster than the best of 32-512 - each with 95% confidence (one-sided t bound of the "
    "paired differences). "
    "Confirmed when all three hold, refuted when none, depends otherwise.",
    measure=measure,
    section=section,
    figure=figure,
)
