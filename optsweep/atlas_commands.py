"""`optsweep atlas FILE`: the defaults atlas (optsweep/atlas.py), its cells run or reused, its
aggregate printed as a Rich table (or one JSON object with --json)."""

from __future__ import annotations

import math
from typing import Annotated

import typer
from rich.table import Table

from optsweep import console
from optsweep.options import Cluster


def atlas(
    atlas_file: Annotated[
        str,
        typer.Argument(
            help="An atlas file (TOML: tasks x optimizers), or `atlas` for the "
            "shipped sweeps/atlas.toml."
        ),
    ] = "atlas",
    store: Annotated[
        str, typer.Option(help="Folder of the cells' studies, MLflow runs and records (reused).")
    ] = "atlas-store",
    out: Annotated[
        str,
        typer.Option(help="The page to write; the heatmap and reports go in a folder beside it."),
    ] = "docs/atlas.md",
    workers: Annotated[
        int, typer.Option(help="Worker processes for each cell's trials and re-training.")
    ] = 2,
    no_track: Annotated[bool, typer.Option("--no-track", help="Log nothing to MLflow.")] = False,
    cluster: Cluster = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the atlas as one JSON object, nothing else.")
    ] = False,
) -> None:
    """Which defaults hold up across tasks: a sweep and a defaults report per cell, aggregated."""
    from optsweep import atlas as atlas_mod

    plan = atlas_mod.check(atlas_file, store, out, workers, not no_track, cluster)
    say = (lambda line: None) if json_out else (
        lambda line: console.err().print(line, highlight=False))  # fmt: skip
    outcome = atlas_mod.run(plan, say)
    if json_out:
        console.print_json(atlas_mod.to_dict(outcome))
        return
    table = Table(title=f"defaults atlas {plan.spec.name}: {len(plan.spec.cells)} cells")
    for col in ("default", "holds up", "needs tuning", "inconclusive", "tunability", "Q p"):
        table.add_column(col)
    for a in outcome.aggregates:
        t, h = a.tunability, a.heterogeneity
        counts = [str(a.counts.get(k, 0)) for k in ("holds up", "needs tuning", "inconclusive")]
        p = "n/a" if not math.isfinite(h.p) else f"{h.p:.2g}"
        table.add_row(a.default, *counts, _pc(t.mean), p)
    console.out().print(table)
    console.out().print(f"[bold]page[/] {outcome.written['page']}", soft_wrap=True)


def _pc(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{100 * x:+.1f}%"
