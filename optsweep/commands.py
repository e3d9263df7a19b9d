"""What the single-trial commands do once options are parsed: run core, print with Rich."""

from __future__ import annotations

import json
import sys

from rich.table import Table

from optsweep.sweep_commands import _c


def train(spec, config, json_out: bool) -> None:
    from core import data
    from core.train import train as run

    dataset = data.load(spec)
    if json_out:
        result = run(config, dataset)
    else:
        _c.out.print(f"[bold]data[/] {dataset.describe()}")
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
    with Progress(*columns, console=_c.err, transient=True) as progress:
        task = progress.add_task(
            f"{config.optimizer} a={config.alpha:g}", total=config.epochs, val_cost="-"
        )

        def on_epoch(m) -> None:
            progress.update(task, completed=m.epoch, val_cost=f"{m.val_cost:.4f}")

        return run(config, dataset, callback=on_epoch)


def _print_summary(result) -> None:
    table = Table(title=f"{result.status}: {result.reason}", show_header=True)
    table.add_column("split")
    table.add_column("cost", justify="right")
    table.add_column("accuracy", justify="right")
    for split in ("train", "val"):
        cost, acc = result.final[f"{split}_cost"], result.final[f"{split}_accuracy"]
        table.add_row(split, _fmt(cost, ".4f"), _fmt(acc, ".3f"))
    _c.out.print(table)
    _c.out.print(
        f"{result.epochs_run} epochs x {result.n_batches} mini-batches in {result.seconds:.2f} s"
    )


def _fmt(value, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def gradcheck(spec, config, examples: int, eps: float, threshold: float, fresh_masks: bool) -> int:
    """Print the check's result; return the exit code (1 above the threshold).

    The network is the one `optsweep train` starts from with the same options and seed (the
    same split, standardization and initial weights); the cost is J on its first `examples`
    training rows, with the L2 penalty over the whole training split, as each mini-batch has it.
    """
    import numpy as np

    from core import data, gradcheck
    from core.train import setup

    s = setup(config, data.load(spec))
    X = np.ascontiguousarray(s.X_train[:, :examples], dtype=np.float64)
    Y = np.ascontiguousarray(s.Y_train[:, :examples], dtype=np.float64)
    if config.init == "zeros":
        _c.out.print("[yellow]note[/] zeros init makes symmetric units; the check still applies")
    result = gradcheck.check(
        s.params, X, Y, s.arch, config.l2, eps, config.keep_prob,
        fresh_masks=fresh_masks, m_train=s.m_train,
    )  # fmt: skip
    for note in result.notes:
        _c.out.print(f"[yellow]note[/] {note}")
    _c.out.print(
        f"relative difference {result.difference:.3e} over {result.n_parameters} parameters"
    )
    _c.out.print(
        f"worst parameter     {result.worst_parameter} (|error| {result.worst_abs_error:.3e})"
    )
    _c.out.print(f"verdict             {result.verdict}")
    failed = not result.difference <= threshold
    if failed:
        _c.out.print(f"[red]above the threshold {threshold:g}[/]")
    return 1 if failed else 0
