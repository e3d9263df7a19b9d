"""`optsweep atlas FILE`: which defaults hold up across tasks. Each cell of the grid (a task x an
optimizer) is a sweep run by the sweep lifecycle (optsweep/lifecycle.py: trials over
`--workers` worker processes, the summary, the parent run, the defaults report re-trained over
the same workers); the cells are then judged on a common scale and aggregated per default
(analysis/atlas.py) and written as a page with a heatmap, and as an MLflow atlas run.

    plan = atlas.check("sweeps/atlas.toml", store="atlas-store", out="docs/atlas.md")
    outcome = atlas.run(plan, say=print)      # AtlasOutcome: cells, aggregates, written

Resumable cell by cell: a cell whose record (STORE/cells/<study>.json) exists is read, not
re-run; a cell cut short resumes its study (the lifecycle reruns what is missing). A record
belongs to the cell's sweep document: when the atlas file changes a cell, the record refuses.

Sequential stopping: every cell's report runs on a fixed number of seeds ([atlas]
report_seeds, one look), so its estimates are read after no data-dependent stopping.

No Typer or Rich here (import-linter): the command (optsweep/atlas_commands.py) prints.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optsweep.atlas_file import AtlasSpec, Cell

if TYPE_CHECKING:
    from analysis.atlas import Aggregate, CellVerdict
    from sweeps.sweep import Sweep

STORE = Path("atlas-store")
PAGE = Path("docs/atlas.md")
CELLS_DIR = "cells"


@dataclass
class ParamRecord:
    """One default in one cell, as the cell's defaults report measured it (per seed)."""

    label: str  # as the sweep file names it (beta1)
    default: Any
    tuned: Any
    report_verdict: str
    tuned_values: list[float]
    default_values: list[float]
    tuned_failed: list[bool]
    default_failed: list[bool]


@dataclass
class CellRecord:
    """What a finished cell leaves in the store (JSON): enough to judge it again."""

    study: str
    task: str
    optimizer: str
    fingerprint: str
    seconds: float
    objective: str
    direction: str
    guess: float
    report: str | None  # the report's Markdown (absolute path), None when it could not run
    note: str = ""
    params: list[ParamRecord] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: dict) -> CellRecord:
        return cls(**{**d, "params": [ParamRecord(**p) for p in d.get("params", [])]})


@dataclass(frozen=True)
class AtlasPlan:
    spec: AtlasSpec
    store: Path
    out: Path
    workers: int
    track: bool
    sweeps: tuple[Sweep, ...]  # one checked sweep per cell, in the grid's order


@dataclass(frozen=True)
class AtlasOutcome:
    plan: AtlasPlan
    records: list[CellRecord]
    verdicts: list[CellVerdict]
    aggregates: list[Aggregate]
    written: dict
    ran: list[str]  # studies run (or resumed) this time; the others were read from the store
    seconds: float


def check(
    path, store=STORE, out=PAGE, workers: int = 2, track: bool = True, cluster: str | None = None
) -> AtlasPlan:
    """The atlas file and every cell's sweep, checked; nothing written. `cluster`: each cell's
    workers as tasks on that Dask cluster (`sweep --cluster`; the cells' stores are files
    here, so a remote cluster is refused at the check, as sweep refuses it)."""
    from core.errors import ConfigError
    from optsweep import atlas_file

    spec = atlas_file.load(path)
    store, out = Path(store).resolve(), Path(out)
    if store.exists() and not store.is_dir():
        raise ConfigError(f"--store {store} is a file; name a folder for the cells' studies")
    if out.suffix.lower() != ".md" or out.is_dir():
        raise ConfigError(f"--out {out}: give the page's path, ending in .md")
    created = not store.exists()  # the sweeps' checks need the store's folder: made here,
    store.mkdir(parents=True, exist_ok=True)  # removed again when a cell is refused
    try:
        sweeps = _check_cells(spec, store, workers, track, cluster)
        plan = AtlasPlan(spec, store, out, workers, track, tuple(sweeps))
        for cell in spec.cells:  # a record of another version of a cell refuses, before any runs
            _read_record(plan, cell)
    except BaseException:
        if created:
            import shutil

            shutil.rmtree(store, ignore_errors=True)
        raise
    return plan


def _check_cells(
    spec: AtlasSpec, store: Path, workers: int, track: bool, cluster: str | None = None
) -> list:
    from core.errors import ConfigError
    from optsweep import lifecycle
    from sweeps.options import SweepOptions

    sweeps = []
    for cell in spec.cells:
        opts = SweepOptions(
            storage=str(store / "optsweep.journal"),
            tracking_uri=str(store / "mlflow.db") if track else None,
            track=track, workers=workers, report_seeds=spec.report_seeds, cluster=cluster,
        )  # fmt: skip
        try:
            sweeps.append(lifecycle.check(store / f"{cell.study}.toml", opts, store, cell.doc))
        except ConfigError as e:
            where = f"atlas {spec.path}, cell {cell.task} x {cell.optimizer}"
            raise ConfigError(f"{where}: {e}") from None
    return sweeps


def fingerprint(cell: Cell, seeds: int) -> str:
    """The cell's sweep document and report seeds, hashed: a record is this cell's only."""
    text = json.dumps({"doc": cell.doc, "seeds": seeds}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def run(plan: AtlasPlan, say: Callable[[str], None] = lambda line: None) -> AtlasOutcome:
    """Run (or resume) every cell, judge and aggregate, write the page, heatmap and MLflow run."""
    start = time.perf_counter()
    (plan.store / CELLS_DIR).mkdir(parents=True, exist_ok=True)
    records, ran = [], []
    for cell, sweep in zip(plan.spec.cells, plan.sweeps, strict=True):
        record = _read_record(plan, cell)
        if record is None:
            say(f"cell {cell.task} x {cell.optimizer}: sweep {cell.study}")
            record = _run_cell(plan, cell, sweep)
            ran.append(cell.study)
            say(f"  {record.seconds:.0f} s: " + ", ".join(
                f"{p.label} {p.report_verdict}" for p in record.params))  # fmt: skip
        else:
            say(f"cell {cell.task} x {cell.optimizer}: done ({record.seconds:.0f} s), reused")
        records.append(record)
    verdicts = judge_all(records, plan.spec.tolerance)
    aggregates = aggregate_all(verdicts)
    seconds = time.perf_counter() - start
    written = write(plan, records, verdicts, aggregates)
    return AtlasOutcome(plan, records, verdicts, aggregates, written, ran, seconds)


def _record_path(plan: AtlasPlan, cell: Cell) -> Path:
    return plan.store / CELLS_DIR / f"{cell.study}.json"


def _read_record(plan: AtlasPlan, cell: Cell) -> CellRecord | None:
    from core.errors import ConfigError

    path = _record_path(plan, cell)
    if not path.is_file():
        return None
    record = CellRecord.from_dict(json.loads(path.read_text()))
    if record.fingerprint != fingerprint(cell, plan.spec.report_seeds):
        raise ConfigError(
            f"cell {cell.task} x {cell.optimizer} changed in {plan.spec.path} since it ran into "
            f"{plan.store}; delete {path} (and its study) or pass another --store"
        )
    return record


def _run_cell(plan: AtlasPlan, cell: Cell, sweep) -> CellRecord:
    """The cell's sweep and report through the lifecycle; its record, written last (a cell cut
    short leaves no record, and resumes its study next time)."""
    from optsweep import lifecycle

    t0 = time.perf_counter()
    outcome = lifecycle.run(sweep)
    if plan.track and outcome.parent_run_id and sweep.tracking_uri:
        from tracking.atlas_run import tag_parent

        tag_parent(sweep.tracking_uri, outcome.parent_run_id, plan.spec.name)
    fp = fingerprint(cell, plan.spec.report_seeds)
    seconds = time.perf_counter() - t0
    record = cell_record(cell, sweep, outcome.report, outcome.written, fp, seconds)
    path = _record_path(plan, cell)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(record), indent=1, default=_plain))
    tmp.replace(path)
    return record


def cell_record(cell: Cell, sweep, report, written, fp: str, seconds: float) -> CellRecord:
    """A cell's report reduced to what the atlas judges: per default, the per-seed values and
    learning failures of both arms (as the report's two-part rule counts them)."""
    from analysis.atlas import TUNED_IS_DEFAULT, guess_value
    from analysis.retraining import at_constant_guess
    from core import data

    y = data.load(sweep.spec.data).y
    spec = sweep.spec
    record = CellRecord(cell.study, cell.task, cell.optimizer, fp, seconds, spec.objective,
                        spec.direction, guess_value(spec.objective, y),
                        (written or {}).get("markdown"))  # fmt: skip
    if report is None:
        record.note = "the defaults report could not run"
        return record
    runs = {(r.arm, r.param, r.seed): r for r in report.runs}

    def failed(r) -> bool:
        return (r.status in ("diverged", "error") or r.objective is None
                or not math.isfinite(r.objective)
                or at_constant_guess((r.final or {}).get("train_cost"), y))  # fmt: skip

    for p in report.parameters:
        c = p.comparison
        if c is None and p.kind == "default" and p.tuned == p.default:
            record.params.append(ParamRecord(p.label, p.default, p.tuned, TUNED_IS_DEFAULT,
                                             [], [], [], []))  # fmt: skip
        if c is None:
            continue
        seeds = report.seeds[: len(c.tuned)]
        record.params.append(ParamRecord(
            p.label, p.default, p.tuned, c.verdict, list(c.tuned), list(c.default),
            [failed(runs[("tuned", None, s)]) for s in seeds],
            [failed(runs[("default", p.param, s)]) for s in seeds],
        ))  # fmt: skip
    return record


def judge_all(records: list[CellRecord], tolerance: float) -> list[CellVerdict]:
    """Every default of every cell on the common scale (analysis/atlas.py)."""
    from analysis import atlas

    out = []
    for r in records:
        for p in r.params:
            if p.report_verdict == atlas.TUNED_IS_DEFAULT:
                out.append(atlas.CellVerdict(r.task, f"{r.optimizer}.{p.label}",
                                             atlas.TUNED_IS_DEFAULT, 0.0, math.nan, 0,
                                             report_verdict=p.report_verdict,
                                             estimate=0.0))  # fmt: skip
                continue
            args = (p.tuned_values, p.default_values, p.tuned_failed, p.default_failed, r.guess,
                    r.direction)  # fmt: skip
            c = atlas.judge(*args, tolerance=tolerance)
            gap, se, n = atlas.task_gap(*args)
            out.append(atlas.CellVerdict(
                r.task, f"{r.optimizer}.{p.label}", c.verdict if c else atlas.NA, gap, se, n,
                c.lower if c else math.nan, c.upper if c else math.nan, p.report_verdict,
                c.gap if c else math.nan,
            ))  # fmt: skip
    return out


def aggregate_all(verdicts: list[CellVerdict]) -> list[Aggregate]:
    from analysis import atlas

    defaults = list(dict.fromkeys(v.default for v in verdicts))
    return [atlas.aggregate(d, verdicts) for d in defaults]


def write(plan: AtlasPlan, records, verdicts, aggregates) -> dict:
    """The page, its heatmap and the cells' reports beside it; then the MLflow atlas run."""
    import platform

    from analysis.atlas_figure import heatmap
    from findings.atlas_page import PageInfo, render

    out = plan.out
    folder = out.parent / out.stem
    folder.mkdir(parents=True, exist_ok=True)
    links = {}
    for r in records:
        if r.report and Path(r.report).is_file():
            links[(r.task, r.optimizer)] = _copy_report(Path(r.report), folder, out.parent)
    defaults = [a.default for a in aggregates]
    png = heatmap(verdicts, defaults, plan.spec.tasks, folder / "heatmap.png")
    info = PageInfo(
        name=plan.spec.name, atlas_file=str(plan.spec.path.name), tasks=list(plan.spec.tasks),
        optimizers=list(plan.spec.optimizers), seeds=plan.spec.report_seeds,
        tolerance=plan.spec.tolerance, workers=plan.workers,
        cell_seconds={(r.task, r.optimizer): r.seconds for r in records},
        machine=f"{_cpu_model()}, {_cpus()} CPUs, Python {platform.python_version()}",
        date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        heatmap=str(png.relative_to(out.parent)), links=links,
        trials={(r.task, r.optimizer): s.spec.trials for r, s in zip(records, plan.sweeps,
                                                                    strict=True)},
    )  # fmt: skip
    out.write_text(render(info, verdicts, aggregates))
    written: dict[str, Any] = {"page": str(out), "heatmap": str(png)}
    uri = plan.sweeps[0].tracking_uri if plan.sweeps else None
    if plan.track and uri:
        from tracking.atlas_run import log_atlas

        counts = {f"{a.default}.{k.replace(' = ', ' is ').replace(' ', '_')}": v for a in aggregates
                  for k, v in a.counts.items()}  # fmt: skip
        written["mlflow"] = {"run_id": log_atlas(
            uri, plan.spec.name, [out, png], {"optsweep.atlas.cells": len(records)}, counts,
        ), "tracking_uri": uri}  # fmt: skip
    return written


def _copy_report(report: Path, folder: Path, base: Path) -> str:
    """The cell's report (Markdown and its PNGs) copied beside the page; its link from it."""
    import shutil

    for f in [report, *report.parent.glob(f"{report.stem}-*.png")]:
        shutil.copyfile(f, folder / f.name)
    return str((folder / report.name).relative_to(base))


def _cpu_model() -> str:
    """The CPU's model name (Linux's /proc/cpuinfo), else the platform's machine type."""
    import platform

    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _plain(x):
    if hasattr(x, "item"):  # NumPy scalars
        return x.item()
    return str(x)


def to_dict(outcome: AtlasOutcome) -> dict:
    """`optsweep atlas --json`: the cells, the aggregates, where things were written."""
    return {
        "atlas": outcome.plan.spec.name,
        "tolerance": outcome.plan.spec.tolerance,
        "report_seeds": outcome.plan.spec.report_seeds,
        "cells": [asdict(v) for v in outcome.verdicts],
        "aggregates": [asdict(a) for a in outcome.aggregates],
        "ran": outcome.ran,
        "seconds": outcome.seconds,
        "written": outcome.written,
    }
