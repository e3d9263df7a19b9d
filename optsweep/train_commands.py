"""`optsweep train` and `optsweep gradcheck`: one network, trained or checked, through core."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from core import defaults
from optsweep import console
from optsweep import options as opt

JsonOut = Annotated[
    bool, typer.Option("--json", help="Print one JSON object (config, metrics, curves).")
]


def train(
    data: opt.Data = "moons",
    samples: opt.Samples = None,
    noise: opt.Noise = None,
    classes: opt.Classes = None,
    data_seed: opt.DataSeed = 0,
    layers: opt.Layers = "5,2",
    activation: opt.Activation = "relu",
    optimizer: opt.Optimizer = "adam",
    alpha: opt.Alpha = defaults.COURSE_ALPHA,
    beta: opt.Beta = defaults.BETA,
    beta1: opt.Beta1 = defaults.BETA1,
    beta2: opt.Beta2 = defaults.BETA2,
    epsilon: opt.Epsilon = defaults.EPSILON,
    no_bias_correction: opt.NoBiasCorrection = False,
    batch_size: opt.BatchSize = defaults.BATCH_SIZE,
    epochs: opt.Epochs = 1000,
    decay: opt.Decay = "none",
    decay_rate: opt.DecayRate = defaults.DECAY_RATE,
    time_interval: opt.TimeInterval = 1,
    init: opt.Init = "he",
    l2: opt.L2 = 0.0,
    keep_prob: opt.KeepProb = 1.0,
    no_normalize: opt.NoNormalize = False,
    val_fraction: opt.ValFraction = 0.2,
    seed: opt.Seed = 0,
    dtype: opt.Dtype = "float64",
    json_out: JsonOut = False,
) -> None:
    """Train one network and report its costs and accuracies."""
    spec, config = opt.resolve(locals())
    _train(spec, config, json_out)


def gradcheck(
    data: opt.Data = "moons",
    samples: opt.Samples = None,
    noise: opt.Noise = None,
    classes: opt.Classes = None,
    data_seed: opt.DataSeed = 0,
    layers: opt.Layers = "5,2",
    activation: opt.Activation = "relu",
    init: opt.Init = "he",
    l2: opt.L2 = 0.0,
    keep_prob: opt.KeepProb = 1.0,
    no_normalize: opt.NoNormalize = False,
    val_fraction: opt.ValFraction = 0.2,
    seed: opt.Seed = 0,
    examples: Annotated[
        int, typer.Option(min=1, help="Training examples the cost is evaluated on.")
    ] = 64,
    eps: Annotated[float, typer.Option(help="Step of the two-sided difference.")] = 1e-7,
    threshold: Annotated[
        float, typer.Option(help="Exit 1 when the relative difference is above this.")
    ] = 1e-5,
    fresh_masks: Annotated[
        bool,
        typer.Option(
            "--fresh-masks",
            help="With --keep-prob < 1, draw a new dropout mask for every cost evaluation "
            "(the check then fails, as the course warns); by default one mask is held fixed.",
        ),
    ] = False,
) -> None:
    """Compare backprop's gradient with two-sided numerical differences (with dropout: under
    one mask held fixed)."""
    opt.check_step(eps, threshold)
    spec, config = opt.resolve(locals())
    raise typer.Exit(_gradcheck(spec, config, examples, eps, threshold, fresh_masks))


def _train(spec, config, json_out: bool) -> None:
    out = console.out()
    from core import data
    from core.train import train as run

    dataset = data.load(spec)
    if json_out:
        result = run(config, dataset)
    else:
        out.print(f"[bold]data[/] {dataset.describe()}")
        result = _with_progress(run, config, dataset)
    if json_out:
        payload = {
            "config": {"data": spec.to_dict(), **config.to_dict()},
            "metrics": result.summary(),
            "curves": result.curves(),
        }
        sys.stdout.write(json.dumps(payload, allow_nan=False) + "\n")
        return
    _print_summary(result)


def _with_progress(run, config, dataset):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("val_cost {task.fields[val_cost]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console.err(), transient=True) as progress:
        task = progress.add_task(
            f"{config.optimizer} a={config.alpha:g}", total=config.epochs, val_cost="-"
        )

        def on_epoch(m) -> None:
            progress.update(task, completed=m.epoch, val_cost=f"{m.val_cost:.4f}")

        return run(config, dataset, callback=on_epoch)


def _print_summary(result) -> None:
    out = console.out()
    table = Table(title=f"{result.status}: {result.reason}", show_header=True)
    table.add_column("split")
    table.add_column("cost", justify="right")
    table.add_column("accuracy", justify="right")
    for split in ("train", "val"):
        cost, acc = result.final[f"{split}_cost"], result.final[f"{split}_accuracy"]
        table.add_row(split, _fmt(cost, ".4f"), _fmt(acc, ".3f"))
    out.print(table)
    out.print(
        f"{result.epochs_run} epochs x {result.n_batches} mini-batches in {result.seconds:.2f} s"
    )


def _fmt(value, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def _gradcheck(spec, config, examples: int, eps: float, threshold: float, fresh_masks: bool) -> int:
    """Print the check's result; return the exit code (1 above the threshold).

    The network is the one `optsweep train` starts from with the same options and seed (the
    same split, standardization and initial weights); the cost is J on its first `examples`
    training rows, with the L2 penalty over the whole training split, as each mini-batch has it.
    """
    out = console.out()
    import numpy as np

    from core import data, gradcheck
    from core.train import setup

    s = setup(config, data.load(spec))
    X = np.ascontiguousarray(s.X_train[:, :examples], dtype=np.float64)
    Y = np.ascontiguousarray(s.Y_train[:, :examples], dtype=np.float64)
    if config.init == "zeros":
        out.print("[yellow]note[/] zeros init makes symmetric units; the check still applies")
    result = gradcheck.check(
        s.params, X, Y, s.arch, config.l2, eps, config.keep_prob,
        fresh_masks=fresh_masks, m_train=s.m_train,
    )  # fmt: skip
    for note in result.notes:
        out.print(f"[yellow]note[/] {note}")
    out.print(f"relative difference {result.difference:.3e} over {result.n_parameters} parameters")
    out.print(
        f"worst parameter     {result.worst_parameter} (|error| {result.worst_abs_error:.3e})"
    )
    out.print(f"verdict             {result.verdict}")
    failed = not result.difference <= threshold
    if failed:
        out.print(f"[red]above the threshold {threshold:g}[/]")
    return 1 if failed else 0
