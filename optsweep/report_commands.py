"""`optsweep report` (and the report at the end of a sweep) and `optsweep findings`: the
evidence, re-trained, written and printed (a Rich table, or one JSON object)."""

from __future__ import annotations

import math
from typing import Annotated

import typer
from rich.table import Table

from optsweep import console
from optsweep import options as opt


def report(
    study: opt.StudyName,
    storage: opt.Storage = None,
    tracking_uri: opt.TrackingUri = None,
    seeds: Annotated[
        str,
        typer.Option(
            help="Seeds each comparison is re-trained on: auto (rounds of 10, 20, 40 until "
            "every verdict is decided) or a number."
        ),
    ] = "auto",
    tolerance: Annotated[
        float, typer.Option(help="Relative gap a default may have and still hold up (0.01 = 1%).")
    ] = 0.01,
    workers: Annotated[int, typer.Option(help="Re-training worker processes.")] = 2,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the report as one JSON object, nothing else.")
    ] = False,
    out: Annotated[
        str | None, typer.Option(help="Markdown report path (default reports/STUDY.md).")
    ] = None,
    no_track: Annotated[
        bool, typer.Option("--no-track", help="Write the files only; log nothing to MLflow.")
    ] = False,
    cluster: opt.RetrainCluster = None,
) -> None:
    """Which defaults hold up: importances, re-trained default-vs-tuned gaps, safe ranges.

    In MLflow, every re-training is a run under the study's parent run, and each configuration
    compared has a seed-band run: val_cost_mean, val_cost_lo, val_cost_hi per epoch (the mean
    and its 95% interval over the seeds that learned) and a plot of the bands."""
    from analysis import defaults_report as report_mod
    from analysis.retraining import on_cluster
    from sweeps.cluster import check_address

    if cluster is not None:
        cluster = check_address(cluster)
    prepared = report_mod.load(
        study, storage=storage, tracking_uri=tracking_uri, track=not no_track, seeds=seeds,
        tolerance=tolerance, workers=workers, out=out,
    )  # fmt: skip
    with on_cluster(cluster, workers, [prepared.spec.data.name]):
        run_report(prepared, json_out)


def findings(
    store: Annotated[
        str, typer.Option(help="Folder of the claims' studies and MLflow runs (reused).")
    ] = "findings-store",
    out: Annotated[str, typer.Option(help="The page to write; plots go in a folder beside it.")] = (
        "docs/findings.md"
    ),
    seeds: Annotated[int, typer.Option(help="Seeds every comparison is re-trained on.")] = 5,
    workers: Annotated[
        int,
        typer.Option(
            help="Processes: that many sweeps side by side (one worker each), then re-training."
        ),
    ] = 2,
    no_track: Annotated[bool, typer.Option("--no-track", help="Log nothing to MLflow.")] = False,
    cluster: opt.RetrainCluster = None,
) -> None:
    """Test the course note's claims: run their sweeps, re-train, write the page."""
    from pathlib import Path

    _findings(Path(store), Path(out), seeds, workers, not no_track, cluster)


def run_report(prepared, json_out: bool):
    """Re-train, write and log the report; print it (blocks, or JSON alone on stdout)."""
    from analysis import defaults_report as report_mod

    if json_out:
        report = report_mod.measure(prepared)
    else:
        say_retraining(prepared)
        report = _with_progress(report_mod.measure, prepared)
    where = report_mod.write(prepared, report)
    if json_out:
        content = {**report.to_dict(), "written": where}
        content["runs"] = [{k: v for k, v in r.items() if k != "curves"} for r in content["runs"]]
        console.print_json(content)
    else:
        print_report(report, where)
    return report


def say_retraining(prepared) -> None:
    """The line before the report's re-training: what, on how many seeds and workers."""
    plan = "auto: rounds of " + ", ".join(map(str, prepared.rounds)) if len(
        prepared.rounds) > 1 else str(prepared.rounds[0])  # fmt: skip
    console.err().print(
        f"re-training the top trials of {prepared.study.study_name!r} (seeds {plan}), on "
        f"{prepared.workers} worker(s)"
    )


def _with_progress(measure, prepared):
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("[bold]re-training[/] {task.completed} runs"),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console.err(), transient=True) as bar:
        task = bar.add_task("report", total=None)
        return measure(prepared, on_done=lambda _: bar.advance(task))


VERDICT_COLOUR = {"holds up": "green", "needs tuning": "red", "inconclusive": "yellow"}


def print_report(r, where: dict) -> None:
    """One block per parameter, so that the report reads in an 80-column terminal; the full
    table is in the Markdown and the MLflow artifact."""
    from analysis.defaults_markdown import learned_nothing_note, range_words
    from analysis.statistics import relative_bounds_words

    out = console.out()
    t = r.tuned
    chosen = f"of the sweep's top {len(r.selection.candidates)}"
    if r.second is not None:
        chosen = f"the Pareto trial best on {r.objective}"
    out.print(
        f"\n[bold]defaults report[/] {r.study}: tuned = trial {r.selection.chosen} ({chosen}), "
        f"{r.objective} {_pm(t.mean, t.se)} on {len(r.seeds)} seeds{learned_nothing_note(r)}",
        highlight=False,
    )
    if r.second is not None:  # shown beside the judged first objective
        s = r.second
        medians = ", ".join(f"{arm} {_f(v['median'])}" for arm, v in s["arms"].items())
        out.print(f"{s['objective']} (not judged), median over seeds: {medians}", highlight=False)
    for p in r.parameters:
        c = p.comparison
        head = f"[bold]{p.label}[/] default {_f(p.default)}, tuned {_f(p.tuned)}"
        if c is None:
            out.print(f"{head}: {p.note or 'n/a'}", highlight=False)
            continue
        colour = VERDICT_COLOUR.get(c.verdict, "white")
        out.print(f"{head}: [{colour}]{c.verdict}[/]", highlight=False)
        more = f"; ~{c.seeds_needed} seeds would decide" if (
            c.verdict == "inconclusive" and c.seeds_needed) else ""  # fmt: skip
        out.print(
            f"  {relative_bounds_words(c)} where both learned; learned nothing on "
            f"{c.default_failed} of {len(c.tuned)} seeds, tuned on {c.tuned_failed}{more}; "
            f"fANOVA {_imp(p, 'fanova')}",
            highlight=False,
        )
        if p.looks:
            looks = ", ".join(f"{x.seeds} seeds at {x.alpha:.2g}: {x.verdict}" for x in p.looks)
            out.print(f"  [dim]looks: {looks}[/]", highlight=False)
    for f in r.free:
        m = f.measured
        if m is None:
            out.print(f"[bold]{f.label}[/] tuned {_f(f.tuned)}: safe range n/a", highlight=False)
            continue
        out.print(f"[bold]{f.label}[/] tuned {_f(f.tuned)}: {range_words(f)}", highlight=False)
        for pt in m.points:
            if pt.comparison is not None:
                c = pt.comparison
                out.print(
                    f"  {_f(pt.value)}: {c.verdict}, {relative_bounds_words(c)}; learned "
                    f"nothing on {c.default_failed} of {len(c.tuned)}, tuned on {c.tuned_failed}",
                    highlight=False,
                )
    for note in r.notes:
        out.print(f"  [dim]note: {note}[/]", highlight=False)
    if where.get("markdown"):
        out.print(f"[bold]report[/] {where['markdown']} (+ {len(where.get('plots', []))} plots: "
                  "the rules and the full table)", soft_wrap=True)  # fmt: skip
    if where.get("mlflow"):
        m = where["mlflow"]
        out.print(
            f"[bold]MLflow[/] {len(m['runs'])} re-training runs and {len(m.get('bands', []))} "
            f"seed-band runs under parent run {m['parent_run_id']}; report artifact "
            f"{m['artifact']}",
            soft_wrap=True,
        )


def _findings(store, out, seeds: int, workers: int, track: bool, cluster=None) -> None:
    """Run the claims (findings/) and print their verdicts."""
    from findings import page
    from findings.registry import CLAIMS

    timings, results = page.run(
        store,
        out,
        seeds,
        workers,
        track,
        say=lambda line: console.err().print(line, highlight=False),
        cluster=cluster,
    )
    table = Table(title=f"the course note's claims ({seeds} seeds)")
    for col in ("#", "claim", "verdict", "why"):
        table.add_column(col, overflow="fold")
    for i, c in enumerate(CLAIMS, 1):
        r = results[c.key]
        table.add_row(str(i), c.title, r.verdict, r.why)
    console.out().print(table)
    console.out().print(
        f"[bold]page[/] {out}; {timings['total'] / 60:.1f} minutes in all", soft_wrap=True
    )


def _imp(p, name: str) -> str:
    item = (p.importance or {}).get(name) or {}
    return f"{item['value']:.3f}" if item.get("value") is not None else "n/a"


def _f(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}" if math.isfinite(v) else "n/a"
    return str(v)


def _pm(mean, se) -> str:
    if mean is None or not math.isfinite(mean):
        return "n/a"
    return f"{mean:.4g} ± {se:.2g}" if se is not None and math.isfinite(se) else f"{mean:.4g}"
