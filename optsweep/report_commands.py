"""`optsweep report` (and the report at the end of a sweep) and `optsweep findings`: the
evidence, re-trained, written and printed (a Rich table, or one JSON object)."""

from __future__ import annotations

import json
import math
import sys
from typing import Annotated

import typer
from rich.table import Table

from analysis.defaults_markdown import label, learned_nothing
from optsweep import console
from optsweep import options as opt


def report(
    study: opt.StudyName,
    storage: opt.Storage = None,
    tracking_uri: opt.TrackingUri = None,
    seeds: Annotated[int, typer.Option(help="Seeds each configuration is re-trained on.")] = 5,
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
) -> None:
    """Which defaults hold up: importances, re-trained default-vs-tuned gaps, safe ranges."""
    from analysis import defaults_report as report_mod

    prepared = report_mod.load(
        study, storage=storage, tracking_uri=tracking_uri, track=not no_track, seeds=seeds,
        tolerance=tolerance, workers=workers, out=out,
    )  # fmt: skip
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
) -> None:
    """Test the course note's claims: run their sweeps, re-train, write the page."""
    from pathlib import Path

    _findings(Path(store), Path(out), seeds, workers, not no_track)


def run_report(prepared, json_out: bool) -> dict:
    """Re-train, write and log the report; print it (table, or JSON alone on stdout)."""
    from analysis import defaults_report as report_mod

    if json_out:
        content = report_mod.measure(prepared)
    else:
        console.err().print(
            f"re-training the best configuration of {prepared.study.study_name!r} over "
            f"{len(prepared.seeds)} seeds, on {prepared.workers} worker(s)"
        )
        content = _with_progress(report_mod.measure, prepared)
    where = report_mod.write(prepared, content)
    content = {**content, "written": where}
    if json_out:
        slim = {k: v for k, v in content.items() if k != "runs"}
        slim["runs"] = [{k: v for k, v in r.items() if k != "curves"} for r in content["runs"]]
        sys.stdout.write(json.dumps(_json_safe(slim), allow_nan=False) + "\n")
    else:
        print_report(content)
    return content


def _with_progress(measure, prepared):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from analysis.defaults_report import plan_jobs

    _, values = _best(prepared)
    total = len(plan_jobs(prepared, values)[0])
    columns = (TextColumn("[bold]re-training"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console.err(), transient=True) as bar:
        task = bar.add_task("report", total=total)
        return measure(prepared, on_done=lambda _: bar.advance(task))


def _best(prepared):
    from analysis.defaults_report import best_values

    return best_values(prepared.study, prepared.spec)


def print_report(c: dict) -> None:
    best = c["best"]
    console.out().print(
        f"\n[bold]defaults report[/] {c['study']}: best {c['objective']} = {_f(best['value'])} "
        f"(trial {best['trial']}); re-trained over seeds {', '.join(map(str, c['seeds']))}: "
        f"{_pm(c['tuned']['mean'], c['tuned']['se'])}{learned_nothing(c['tuned'], _pm)}"
    )
    if c["parameters"]:
        table = Table(title=f"which defaults hold up ({c['objective']}, {c['direction']})")
        for col in ("parameter", "default", "tuned", "fANOVA", "PED-ANOVA", "default ± SE",
                    "tuned ± SE", "gap ± SE", "verdict", "sensitivity"):  # fmt: skip
            table.add_column(col, justify="left" if col == "parameter" else "right",
                             overflow="fold")  # fmt: skip
        for r in c["parameters"]:
            g = r.get("gap")
            cells = [label(r), _f(r.get("default")), _f(r.get("tuned")),
                     _imp(r, "fanova"), _imp(r, "ped_anova")]  # fmt: skip
            if g:
                colour = {"holds up": "green", "needs tuning": "red"}.get(g["verdict"], "yellow")
                cells += [_pm(g["default_mean"], g["default_se"]),
                          _pm(g["tuned_mean"], g["tuned_se"]),
                          _pm(g["gap"], g["gap_se"]), f"[{colour}]{g['verdict']}[/]"]  # fmt: skip
            else:
                cells += ["-", "-", "-", r.get("note") or "n/a"]
            cells.append(_spread(r))
            table.add_row(*cells)
        console.out().print(table)
    if c["free"]:
        table = Table(title="parameters without a default")
        for col in ("parameter", "best", "safe range", "trials in band", "fANOVA", "PED-ANOVA",
                    "sensitivity"):  # fmt: skip
            table.add_column(col, justify="left" if col == "parameter" else "right",
                             overflow="fold")  # fmt: skip
        for r in c["free"]:
            sr = r.get("safe_range")
            rng = f"{_f(sr['low'])} - {_f(sr['high'])}" if sr else "n/a"
            n = f"{sr['n_within']} of {sr['n_inside']}" if sr else "-"
            table.add_row(label(r), _f(r.get("tuned")), rng, n, _imp(r, "fanova"),
                          _imp(r, "ped_anova"), _spread(r))  # fmt: skip
        console.out().print(table)
    for rule in c["rules"]:
        console.out().print(f"  [dim]{rule}[/]", highlight=False)
    for note in [*(f"{r['name']}: {r['note']}" for r in c["parameters"] if r.get("note")),
                 *c.get("notes", [])]:  # fmt: skip
        console.out().print(f"  note: {note}", highlight=False)
    w = c.get("written") or {}
    if w.get("markdown"):
        console.out().print(f"[bold]report[/] {w['markdown']} (+ {len(w.get('plots', []))} plots)",
                     soft_wrap=True)  # fmt: skip
    if w.get("mlflow"):
        m = w["mlflow"]
        console.out().print(
            f"[bold]MLflow[/] {len(m['runs'])} re-training runs under parent run "
            f"{m['parent_run_id']}; report artifact {m['artifact']}",
            soft_wrap=True,
        )


def _findings(store, out, seeds: int, workers: int, track: bool) -> None:
    """Run the claims (analysis/findings/) and print their verdicts."""
    from analysis.findings import page
    from analysis.findings.registry import CLAIMS

    timings, results = page.run(
        store,
        out,
        seeds,
        workers,
        track,
        say=lambda line: console.err().print(line, highlight=False),
    )
    table = Table(title=f"the course note's claims ({seeds} seeds)")
    for col in ("#", "claim", "verdict", "why"):
        table.add_column(col, overflow="fold")
    for i, c in enumerate(CLAIMS, 1):
        r = results[c.key]
        table.add_row(str(i), c.title, r["verdict"], r["why"])
    console.out().print(table)
    console.out().print(
        f"[bold]page[/] {out}; {timings['total'] / 60:.1f} minutes in all", soft_wrap=True
    )


def _imp(r: dict, name: str) -> str:
    item = (r.get("importance") or {}).get(name) or {}
    return f"{item['value']:.3f}" if item.get("value") is not None else item.get("note", "n/a")


def _spread(r: dict) -> str:
    s = r.get("sensitivity")
    return _f(s["spread"]) if s else "n/a"


def _f(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}" if math.isfinite(v) else "n/a"
    return str(v)


def _pm(mean, se) -> str:
    if mean is None or not math.isfinite(mean):
        return "n/a"
    return f"{mean:.3g} ± {se:.2g}" if se is not None and math.isfinite(se) else f"{mean:.3g}"


def _json_safe(x):
    """NaN and infinities become null: the JSON stays standard."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): _json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_safe(v) for v in x]
    return x
