"""Atlas files: a grid of tasks x optimizers, each cell a sweep file made from shared sections.

    [atlas]
    name = "atlas"                      # each cell's study: <name>-<task>-<optimizer>
    tasks = ["moons", "digits", "my.csv"]   # built-in data sets, or .csv/.npz paths
    optimizers = ["adam", "momentum"]
    report_seeds = 14                   # each cell's defaults report: this many seeds, fixed
    tolerance = 0.05                    # on the common scale (analysis/atlas.py)

    [study]                             # every cell's [study] (its name is set per cell)
    [train]                             # every cell's [train] (data, optimizer set per cell)
    [task.digits]                       # [train] settings for one task only (layers, epochs)
    [space.adam]                        # the search space of the cells of that optimizer

`load(path)` reads and checks the grid and returns an `AtlasSpec` whose cells carry their sweep
documents; every problem is one `ConfigError` line naming the file. Nothing is written. Each
cell's document is checked as a sweep file later (optsweep.atlas.check), before any cell runs.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.choices import OPTIMIZERS
from core.errors import ConfigError

SHIPPED_NAME = "atlas"  # sweeps/atlas.toml
ATLAS_KEYS = ("name", "tasks", "optimizers", "report_seeds", "tolerance")
SECTIONS = ("atlas", "study", "train", "task", "space")
FILE_SUFFIXES = (".csv", ".npz")


@dataclass(frozen=True)
class Cell:
    """One task x one optimizer: its study name and its sweep document."""

    task: str  # the label: a built-in name, or a file's stem
    optimizer: str
    study: str
    doc: dict[str, Any]


@dataclass(frozen=True)
class AtlasSpec:
    name: str
    path: Path
    tasks: tuple[str, ...]  # labels, in the file's order
    optimizers: tuple[str, ...]
    report_seeds: int
    tolerance: float
    cells: tuple[Cell, ...]


def locate(path: str | Path) -> Path:
    """`path`, or the shipped sweeps/atlas.toml for the bare name "atlas"."""
    from sweeps.sweep_file import BUILTIN_SWEEPS_DIR

    p = Path(path)
    if str(path) == SHIPPED_NAME and not p.exists():
        return BUILTIN_SWEEPS_DIR / f"{SHIPPED_NAME}.toml"
    return p


def load(path: str | Path) -> AtlasSpec:
    """Read and check an atlas file (one line naming the file for any problem)."""
    path = locate(path)
    try:
        return build(read(path), path)
    except ConfigError as e:
        raise ConfigError(f"atlas {path}: {e}") from None


def read(path: Path) -> dict:
    if not path.is_file():
        raise ConfigError(
            "file not found; give an atlas .toml file (or `atlas` for the shipped one)"
        )
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot be read ({e}); save it as UTF-8 TOML") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"invalid TOML: {e}; fix the syntax there") from None


def build(doc: dict, path: Path) -> AtlasSpec:
    """The grid from a parsed atlas document (module docstring)."""
    _known(doc, SECTIONS, "section")
    head = _table(doc, "atlas")
    _known(head, ATLAS_KEYS, "key in [atlas]")
    name = str(head.get("name") or path.stem)
    tasks, optimizers = _list(head, "tasks"), _list(head, "optimizers")
    if not tasks or not optimizers:
        raise ConfigError(
            "the grid is empty: [atlas] tasks and optimizers need one entry each at least, "
            "e.g. tasks = ['moons'], optimizers = ['adam']"
        )
    spaces, overrides = _table(doc, "space"), _table(doc, "task")
    for opt in optimizers:
        if opt not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {opt!r} in [atlas] optimizers; choose among "
                              f"{', '.join(OPTIMIZERS)}")  # fmt: skip
        if not isinstance(spaces.get(opt), dict) or not spaces[opt]:
            raise ConfigError(f"optimizer {opt!r} has no search space; add a [space.{opt}] table")
    labels = [_label(t) for t in tasks]
    if len(set(labels)) != len(labels) or len(set(optimizers)) != len(optimizers):
        raise ConfigError("a task or optimizer is listed twice in [atlas]; list each once")
    _known(overrides, labels, "task in [task.*] (not in [atlas] tasks)")
    seeds, tolerance = head.get("report_seeds", 14), head.get("tolerance", 0.05)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 2 <= seeds <= 100:
        raise ConfigError(f"[atlas] report_seeds must be a whole number in 2..100, got {seeds!r}")
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not (
            0 <= tolerance < 1):  # fmt: skip
        raise ConfigError(f"[atlas] tolerance is a fraction in [0, 1), got {tolerance!r}")
    cells = tuple(
        _cell(name, task, label, opt, doc, spaces[opt], _table(overrides, label), path)
        for task, label in zip(tasks, labels, strict=True)
        for opt in optimizers
    )
    return AtlasSpec(name, path, tuple(labels), tuple(optimizers), seeds, float(tolerance), cells)


def _cell(name, task, label, opt, doc, space, override, path: Path) -> Cell:
    study = f"{name}-{label}-{opt}"
    data = task if Path(task).suffix.lower() not in FILE_SUFFIXES else str(
        (path.parent / task).resolve())  # fmt: skip
    train = {**copy.deepcopy(_table(doc, "train")), **copy.deepcopy(override)}
    train.update(data=data, optimizer=opt)
    cell_doc = {
        "study": {**copy.deepcopy(_table(doc, "study")), "name": study},
        "train": train,
        "space": copy.deepcopy(space),
    }
    return Cell(label, opt, study, cell_doc)


def _label(task: str) -> str:
    from core.data import BUILTIN

    p = Path(task)
    if p.suffix.lower() in FILE_SUFFIXES:
        return p.stem
    if task not in BUILTIN:
        raise ConfigError(f"unknown data set {task!r} in [atlas] tasks; use a built-in one "
                          f"({', '.join(BUILTIN)}) or a .csv/.npz path")  # fmt: skip
    return task


def _table(doc: dict, key: str) -> dict:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}] must be a table, got {type(value).__name__}")
    return value


def _list(head: dict, key: str) -> list[str]:
    value = head.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"[atlas] {key} must be a list of names, got {value!r}")
    return value


def _known(table: dict, known, what: str) -> None:
    import difflib

    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ConfigError(f"unknown {what} {key!r}{hint}")
