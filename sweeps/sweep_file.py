"""Sweep files: one TOML file names a study, its fixed training settings and its search space.

    [study]
    name = "default"        # Optuna study name = MLflow experiment name (default: file name)
    trials = 40
    sampler = "tpe"         # tpe, random, grid, cmaes, gp, qmc; [study.sampler_options]
    pruner = "median"       # median, none, hyperband, successive-halving, patient
    seed = 0                # sampler seed
    objective = "val_cost"  # final val_cost, minimized; or val_accuracy, maximized
    # objectives = ["val_cost", "epochs_to_target"]   # two instead: a Pareto front (objectives.py)
    # target = 0.3          # the val_cost (or val_accuracy) epochs_to_target waits for
    report_every = 100      # epochs between trial.report calls (default: epochs / 25)
    diverged = "prune"      # how a diverged trial ends in Optuna: "prune" or "fail"
    population = "auto"     # trials a worker trains at once (core.population); auto: by size

    [train]                 # fixed settings: the `optsweep train` options (dashes or underscores)
    data = "moons"
    epochs = 1500
    decay = "inverse-time"

    [space]                 # the scale follows the name (see sweeps/space.py)
    alpha = { low = 1e-4, high = 1e-1 }
    beta1 = { low = 0.8, high = 0.999, default = true }   # true: core/defaults.py's value

`load(path)` reads and checks the file, and returns a `SweepSpec`; every problem is a one-line
`ConfigError` naming the file and the key, e.g.

    sweeps/x.toml: space.alpha.low: a log scale needs bounds > 0 (got 0); use e.g. 1e-5

The fixed settings are checked by building core's `TrainConfig` (the messages of the CLI), and
every searched range at both ends; the data set is checked by name or path, not loaded. Loading
writes nothing. A relative data path starts at the sweep file's folder.

Importing this module imports neither numpy nor optuna (the CLI must start fast); `load` does.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError
from sweeps import samplers, space
from sweeps.space import SearchSpace, is_int, is_number, normalized_keys

if TYPE_CHECKING:
    from core.data import DataSpec
    from core.train import TrainConfig

BUILTIN_SWEEPS_DIR: Path = Path(__file__).resolve().parent

OBJECTIVES: dict[str, str] = {"val_cost": "minimize", "val_accuracy": "maximize"}
DIVERGED: tuple[str, ...] = ("prune", "fail")
REPORTS_PER_TRIAL = 25  # without report_every: often enough to prune, rare enough to be cheap
MAX_TRIALS = 100_000  # every look at a study (progress, summary, report) reads all its trials
MAX_NAME = 100  # characters of a study name: it names the report's files and MLflow's folder
MAX_SEED = 2**32 - 1  # NumPy's RandomState, behind Optuna's samplers, takes no larger seed

SECTIONS = ("study", "train", "space")
STUDY_KEYS = (
    "name", "trials", "sampler", "sampler_options", "pruner", "pruner_options", "seed",
    "objective", "report_every", "diverged", "population", "warm_start", "objectives", "target",
)  # fmt: skip

# The `optsweep train` options a sweep file may fix, with their TOML types. Data options go to
# DataSpec (data_seed -> seed); the others are TrainConfig fields ("normalize", not the CLI's
# --no-normalize). A test keeps this table in step with TrainConfig and the CLI.
DATA_OPTIONS: dict[str, str] = {
    "data": "name",
    "samples": "samples",
    "noise": "noise",
    "classes": "classes",
    "data_seed": "seed",
}
TRAIN_OPTIONS: dict[str, str] = {
    "data": "str", "samples": "int", "noise": "float", "classes": "int", "data_seed": "int",
    "layers": "layers", "activation": "str", "optimizer": "str",
    "alpha": "float", "beta": "float", "beta1": "float", "beta2": "float", "epsilon": "float",
    "bias_correction": "bool",
    "batch_size": "int", "epochs": "int", "decay": "str", "decay_rate": "float",
    "time_interval": "int", "init": "str", "l2": "float", "keep_prob": "float",
    "normalize": "bool", "val_fraction": "float", "seed": "int", "dtype": "str",
}  # fmt: skip
_EXAMPLES = {"data": '"moons"', "samples": "300", "noise": "0.2", "classes": "3", "data_seed": "0"}


@dataclass(frozen=True)
class SweepSpec:
    """A loaded, checked sweep file.

    Each trial (sweeps/trial.py) trains `config_for(space.suggest(trial))`, reports `objective`
    at step = epoch every `report_every` epochs, and ends a diverged trial as `diverged` says.
    """

    path: Path
    name: str
    trials: int
    sampler: str
    sampler_options: dict
    pruner: str
    pruner_options: dict
    seed: int
    objective: str
    direction: str  # "minimize" | "maximize"
    report_every: int
    diverged: str  # "prune" | "fail"
    data: DataSpec
    train: dict  # fixed TrainConfig kwargs, only those the file sets (layers as a tuple)
    space: SearchSpace
    population: int | None = None  # trials a worker trains together; None: auto (sweep.py)
    warm_start: str | None = None  # a study whose completed trials start this one (warm.py)
    warm_start_storage: str | None = None  # where that study lives (None: the same storage)
    objectives: tuple[str, ...] = ()  # every objective, `objective` first (sweeps/objectives.py)
    directions: tuple[str, ...] = ()  # theirs, in order
    target: float | None = None  # what epochs_to_target waits for (None without it)
    doc: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)  # as read

    def config_for(self, values: Mapping[str, Any]) -> TrainConfig:
        """The TrainConfig of one trial: the fixed settings plus its hyperparameter values."""
        from core.train import TrainConfig

        return TrainConfig(**{**self.train, **values})

    def with_overrides(self, *, trials: int | None = None, name: str | None = None) -> SweepSpec:
        """The same sweep with another trial budget or study name (the CLI's --trials/--study)."""
        changes: dict[str, Any] = {}
        if trials is not None:
            if not is_int(trials) or not 1 <= trials <= MAX_TRIALS:
                raise ConfigError(
                    f"--trials must be a whole number from 1 to {MAX_TRIALS}, got {trials!r}"
                )
            changes["trials"] = int(trials)
        if name is not None:
            changes["name"] = _study_name(name, "--study")
        return dataclasses.replace(self, **changes)

    @property
    def is_multi(self) -> bool:
        """Two objectives: a multi-objective study, unpruned, with a Pareto front."""
        return len(self.objectives) > 1

    @property
    def all_objectives(self) -> tuple[str, ...]:
        return self.objectives or (self.objective,)

    @property
    def all_directions(self) -> tuple[str, ...]:
        return self.directions or (self.direction,)

    @property
    def shown(self) -> str:
        """The sweep file's path as messages show it."""
        return shown_path(self.path)

    @property
    def epochs(self) -> int:
        return self.train.get("epochs", _train_defaults()["epochs"])

    @property
    def notes(self) -> tuple[str, ...]:
        """Things worth printing before the sweep starts (how the sampler treats this space)."""
        out = []
        if self.sampler == "grid":
            size = self.space.grid_size()
            if self.trials < size:
                out.append(f"trials = {self.trials} covers {self.trials} of {size} grid points")
            elif self.trials > size:
                out.append(f"the grid has {size} points; the study stops after them")
        if self.sampler == "cmaes" and not samplers.cmaes_covers(self):
            out.append("CMA-ES takes numbers shared by every trial; TPE picks the optimizer and "
                       "the entries conditional on it")  # fmt: skip
        return tuple(out)

    def summary(self) -> dict[str, Any]:
        """JSON-ready description, for logging the sweep next to its trials."""
        return {
            "path": str(self.path),
            "name": self.name,
            "trials": self.trials,
            "sampler": self.sampler,
            "sampler_options": dict(self.sampler_options),
            "pruner": self.pruner,
            "pruner_options": dict(self.pruner_options),
            "seed": self.seed,
            "objective": self.objective,
            "direction": self.direction,
            **(
                {
                    "objectives": list(self.objectives),
                    "directions": list(self.directions),
                    "target": self.target,
                }
                if self.is_multi
                else {}
            ),
            "report_every": self.report_every,
            "population": self.population,
            "diverged": self.diverged,
            "data": dataclasses.asdict(self.data),
            "train": {k: list(v) if isinstance(v, tuple) else v for k, v in self.train.items()},
            "space": [e.describe() for e in self.space.entries],
            "defaults": self.space.defaults(),
        }


def load(path: str | Path) -> SweepSpec:
    """Read and check a sweep file: a path, or the name of a shipped one ("default")."""
    path = locate(path)
    try:
        return _build(path, _read(path))
    except ConfigError as exc:
        raise ConfigError(f"{shown_path(path)}: {exc}") from None


def load_doc(doc: Mapping[str, Any], path: str | Path) -> SweepSpec:
    """Check a sweep file's parsed document (a dict, as TOML reads it): one passed from Python,
    sent to a worker process, or stored in its study. `path` is where it came from, real or
    not: the study's default name is its stem, a relative data path starts at its folder."""
    path = Path(path)
    if not isinstance(doc, Mapping):
        raise ConfigError(f"a sweep must be a dict of sections, got {type(doc).__name__}")
    try:
        return _build(path, dict(doc))
    except ConfigError as exc:
        raise ConfigError(f"{shown_path(path)}: {exc}") from None


def locate(path: str | Path) -> Path:
    """`path` itself, or for a bare name like "default", the shipped sweeps/default.toml."""
    p = Path(path)
    shipped = BUILTIN_SWEEPS_DIR / f"{p.name}.toml"
    if not p.exists() and p.suffix == "" and len(p.parts) == 1 and shipped.is_file():
        return shipped
    return p


def shipped() -> tuple[str, ...]:
    """The names of the sweep files that ship with optsweep (not the atlas grid, atlas.toml,
    which `optsweep atlas` reads)."""
    return tuple(sorted(p.stem for p in BUILTIN_SWEEPS_DIR.glob("*.toml") if p.stem != "atlas"))


def shown_path(path: Path) -> str:
    """The path as messages show it: relative to the working directory when inside it."""
    try:
        inside = Path(path).resolve().is_relative_to(Path.cwd())
        return os.path.relpath(path) if inside else str(path)
    except (OSError, ValueError):
        return str(path)


# --- reading ---


def _read(path: Path) -> dict:
    if not path.exists():
        raise ConfigError(
            f"file not found; check the path, or name a shipped sweep ({', '.join(shipped())})"
        )
    if path.is_dir():
        raise ConfigError("is a directory; give a .toml sweep file")
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot be read ({exc.strerror}); check its permissions") from None
    except UnicodeDecodeError:
        raise ConfigError("is not UTF-8 text; save the sweep file as UTF-8 TOML") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}; fix the syntax there") from None


def _build(path: Path, doc: dict) -> SweepSpec:
    sections = normalized_keys(doc, "", known=SECTIONS)
    for name, key in sections.items():
        if not isinstance(doc[key], Mapping):
            raise ConfigError(f"{key}: must be a table; write it as [{name}]")
    if "study" not in sections:
        raise ConfigError("study: missing; add a [study] section with at least trials = 40")
    if "space" not in sections:
        raise ConfigError(
            "space: missing; add a [space] section, e.g. alpha = { low = 1e-4, high = 1e-1 }"
        )
    study = _study(doc[sections["study"]], default_name=path.stem)
    train, written = _train(doc.get(sections.get("train", ""), {}))
    data = _data(train, written, path.parent)
    fixed = {k: v for k, v in train.items() if k not in DATA_OPTIONS}
    _check_fixed(fixed, written)

    optimizer = fixed.get("optimizer", _train_defaults()["optimizer"])
    searched = space.parse(
        doc[sections["space"]],
        fixed=train,
        optimizer=optimizer,
        grid=study["sampler"] == "grid",
        options=tuple(TRAIN_OPTIONS),
    )
    _check_space(searched, fixed)
    spec = SweepSpec(path=path, data=data, train=fixed, space=searched, doc=doc, **study)
    if spec.report_every is None:  # each report is a storage write: about 25 per trial
        spec = dataclasses.replace(
            spec, report_every=max(1, math.ceil(spec.epochs / REPORTS_PER_TRIAL))
        )
    if spec.report_every > spec.epochs:
        raise ConfigError(
            f"study.report_every: {spec.report_every} epochs is longer than the {spec.epochs} "
            f"epochs of training; use at most {spec.epochs}"
        )
    samplers.check(spec)
    return spec


def _warm_start(value, where: str) -> dict[str, str | None]:
    """`warm_start = "study"` or `{ study = "name", storage = "URL or journal path" }`."""
    if value is None:
        return {}
    if isinstance(value, str):
        value = {"study": value}
    if (
        not isinstance(value, Mapping)
        or set(value) - {"study", "storage"}
        or not isinstance(value.get("study"), str)
    ):
        raise ConfigError(f'{where}: give a study name, or {{ study = "name", storage = '
                          f'"sqlite:///old.db" }} (got {value!r})')  # fmt: skip
    storage = value.get("storage")
    if storage is not None and not isinstance(storage, str):
        raise ConfigError(f"{where}.storage: give a storage URL or journal path (got {storage!r})")
    return {"warm_start": _study_name(value["study"], f"{where}.study"),
            "warm_start_storage": storage}  # fmt: skip


def _study(table: Mapping, default_name: str) -> dict[str, Any]:
    keys = normalized_keys(table, "study", known=STUDY_KEYS)

    def get(name, default):
        return table[keys[name]] if name in keys else default

    def at(name):
        return f"study.{keys.get(name, name)}"

    if "trials" not in keys:
        raise ConfigError("study.trials: missing; give the trial budget, e.g. trials = 40")
    trials = get("trials", None)
    if not is_int(trials) or not 1 <= trials <= MAX_TRIALS:
        raise ConfigError(f"{at('trials')}: must be a whole number from 1 to {MAX_TRIALS} "
                          f"(got {trials!r}); e.g. trials = 40")  # fmt: skip
    seed = get("seed", 0)
    if not is_int(seed) or not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"{at('seed')}: must be a whole number from 0 to {MAX_SEED} "
                          f"(got {seed!r})")  # fmt: skip
    report_every = get("report_every", None)  # None: set from the epochs, see _build
    if report_every is not None and (not is_int(report_every) or report_every < 1):
        raise ConfigError(f"{at('report_every')}: must be a whole number of epochs >= 1 "
                          f"(got {report_every!r}); e.g. report_every = 10")  # fmt: skip
    sampler = _choice(get("sampler", "tpe"), samplers.SAMPLERS, at("sampler"), "sampler")
    pruner = _choice(get("pruner", "median"), samplers.PRUNERS, at("pruner"), "pruner")
    objective = _choice(get("objective", "val_cost"), tuple(OBJECTIVES), at("objective"),
                        "objective")  # fmt: skip
    several = _objectives(table, keys, sampler)
    if several:
        objective = several["objectives"][0]
        pruner = "none"  # Optuna's pruners judge one objective: a Pareto sweep runs unpruned
    diverged = _choice(get("diverged", "prune"), DIVERGED, at("diverged"), "diverged outcome")
    return {
        "name": _study_name(get("name", default_name), at("name")),
        "trials": trials,
        "sampler": sampler,
        "sampler_options": _options(get("sampler_options", {}), at("sampler_options")),
        "pruner": pruner,
        "pruner_options": _options(get("pruner_options", {}), at("pruner_options")),
        "seed": seed,
        "objective": objective,
        "direction": OBJECTIVES[objective],
        "report_every": report_every,
        "diverged": diverged,
        **_warm_start(get("warm_start", None), at("warm_start")),
        "population": population_size(get("population", "auto"), at("population")),
        "objectives": (objective,),
        "directions": (OBJECTIVES[objective],),
        **several,
    }


def _objectives(table: Mapping, keys: Mapping[str, str], sampler: str) -> dict[str, Any]:
    """`objectives = [a, b]` and its `target`, checked: {} for a sweep of one objective (where a
    `target` is refused). Two objectives run unpruned: a pruner named in the file is refused."""
    from sweeps import objectives as obj

    at = {k: f"study.{keys.get(k, k)}" for k in ("objective", "objectives", "target", "pruner",
                                                 "pruner_options", "sampler")}  # fmt: skip
    if "objectives" not in keys:
        if "target" in keys:
            raise ConfigError(
                f"{at['target']}: only epochs_to_target uses a target; add "
                'objectives = ["val_cost", "epochs_to_target"] or remove it'
            )
        return {}
    names = table[keys["objectives"]]
    known = tuple(obj.DIRECTIONS)
    if "objective" in keys:
        raise ConfigError(f"{at['objective']}: give objective (one) or objectives (two), not "
                          "both; remove one")  # fmt: skip
    if (not isinstance(names, list) or len(names) != 2 or len(set(map(str, names))) != 2
            or not all(isinstance(n, str) for n in names)):  # fmt: skip
        raise ConfigError(f'{at["objectives"]}: give two different objectives, e.g. ["val_cost", '
                          f'"epochs_to_target"] (got {names!r})')  # fmt: skip
    for n in names:
        _choice(n, known, at["objectives"], "objective")
    if names[0] == obj.EPOCHS_TO_TARGET:
        raise ConfigError(f'{at["objectives"]}: epochs_to_target goes second, after the metric '
                          f'it counts towards (the first objective is the one the defaults '
                          f'report judges); write ["{names[1]}", "epochs_to_target"]')  # fmt: skip
    target = None
    if obj.EPOCHS_TO_TARGET in names:
        target = _target(table.get(keys.get("target", ""), None), obj.target_metric(names),
                         at["target"])  # fmt: skip
    elif "target" in keys:
        raise ConfigError(f"{at['target']}: only epochs_to_target uses a target; remove it")
    pruner = table.get(keys.get("pruner", ""), "none")
    if pruner != "none" or "pruner_options" in keys:
        where = at["pruner" if pruner != "none" else "pruner_options"]
        raise ConfigError(f"{where}: Optuna's pruners judge one objective, so a sweep of two "
                          "runs unpruned; remove it")  # fmt: skip
    if sampler == "cmaes":
        raise ConfigError(f"{at['sampler']}: CMA-ES optimizes one objective; use tpe (or gp, "
                          "random, qmc, grid) with two")  # fmt: skip
    return {"objectives": tuple(names), "directions": tuple(obj.DIRECTIONS[n] for n in names),
            "target": target}  # fmt: skip


def _target(value, metric: str, where: str) -> float:
    """The value of `metric` that epochs_to_target waits for."""
    example = "0.3" if metric == "val_cost" else "0.9"
    if value is None:
        raise ConfigError(f"{where}: missing; epochs_to_target counts the epochs until {metric} "
                          f"reaches it: add e.g. target = {example}")  # fmt: skip
    if not is_number(value) or not math.isfinite(value):
        raise ConfigError(f"{where}: must be a number (got {value!r}); e.g. target = {example}")
    if metric == "val_cost" and not value > 0:
        raise ConfigError(f"{where}: a validation cost is > 0, so {value!r} is never reached; "
                          f"e.g. target = {example}")  # fmt: skip
    if metric == "val_accuracy" and not 0 < value <= 1:
        raise ConfigError(f"{where}: an accuracy target lies in (0, 1] (got {value!r}); "
                          f"e.g. target = {example}")  # fmt: skip
    return float(value)


MAX_POPULATION = 256


def population_size(value, where: str = "--population") -> int | None:
    """A population size: "auto" (None: chosen by the network's size) or a whole number of
    trials a worker trains together, 1 for one at a time."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return None
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise ConfigError(f"{where}: give auto or a whole number >= 1, got {value!r}") from None
    if not is_int(value) or not 1 <= value <= MAX_POPULATION:
        raise ConfigError(
            f"{where}: give auto or a whole number from 1 to {MAX_POPULATION} (trials a worker "
            f"trains together), got {value!r}"
        )
    return int(value)


def _choice(value, known: tuple[str, ...], where: str, role: str) -> str:
    if not isinstance(value, str) or value not in known:
        hint = space.did_you_mean(value, known) if isinstance(value, str) else ""
        raise ConfigError(f"{where}: unknown {role} {value!r}{hint}; use one of {', '.join(known)}")
    return value


def _study_name(name, where: str) -> str:
    """A name that every store and file can carry: one line, no control characters, at most
    MAX_NAME characters (the report's files are named after it; other characters than letters,
    digits, '-', '_' and '.' become '_' there)."""
    if not isinstance(name, str) or not name.strip() or "\n" in name:
        raise ConfigError(f"{where}: must be a non-empty one-line name (got {name!r})")
    control = next((c for c in name if unicodedata.category(c).startswith("C")), None)
    if control is not None:
        raise ConfigError(
            f"{where}: {name!r} holds the control character {control!r}, which no file name "
            "or terminal line should; use letters, digits, - _ ."
        )
    if len(name) > MAX_NAME:
        raise ConfigError(f"{where}: {len(name)} characters is too long for the file names made "
                          f"from it (reports/NAME.md); use at most {MAX_NAME}")  # fmt: skip
    return name


def _options(table, where: str) -> dict[str, Any]:
    if not isinstance(table, Mapping):
        raise ConfigError(
            f"{where}: must be a table (got {table!r}); e.g. {{ n_startup_trials = 10 }}"
        )
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = str(key).replace("-", "_")
        if name in out:
            raise ConfigError(f"{where}.{key}: given twice; keep one")
        out[name] = dict(value) if isinstance(value, Mapping) else value
    return out


# --- [train]: the fixed settings ---


def _train(table: Mapping) -> tuple[dict[str, Any], dict[str, str]]:
    """({option: value}, {option: key as written}), types checked, layers as a tuple."""
    if any(str(k).replace("-", "_") == "no_normalize" for k in table):
        key = next(k for k in table if str(k).replace("-", "_") == "no_normalize")
        raise ConfigError(f"train.{key}: sweep files say it positively; write normalize = false")
    written = normalized_keys(table, "train", known=tuple(TRAIN_OPTIONS))
    values = {}
    for name, key in written.items():
        values[name] = _typed(table[key], TRAIN_OPTIONS[name], f"train.{key}")
    return values, written


def _typed(value, kind: str, where: str):
    ok = {
        "str": isinstance(value, str),
        "int": is_int(value),
        "float": is_number(value),
        "bool": isinstance(value, bool),
        "layers": isinstance(value, list | str),
    }[kind]
    if not ok:
        words = {"str": "a string", "int": "a whole number", "float": "a number",
                 "bool": "true or false", "layers": "a list of layer sizes"}  # fmt: skip
        raise ConfigError(f"{where}: must be {words[kind]} (got {value!r}); "
                          f"e.g. {where.split('.')[-1]} = {_example(where)}")  # fmt: skip
    if kind == "float":
        if not math.isfinite(value):
            raise ConfigError(f"{where}: must be finite (got {value})")
        return float(value)
    if kind == "layers":
        return _layers(value, where)
    return value


def _example(where: str) -> str:
    """A valid value for a [train] key, in TOML: its TrainConfig default."""
    name = where.split(".")[-1].replace("-", "_")
    if name in _EXAMPLES:
        return _EXAMPLES[name]
    value = _train_defaults().get(name)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return str(list(value))
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _layers(value, where: str) -> tuple[int, ...]:
    """[5, 2] (or the CLI's "5,2"); [] is no hidden layer (logistic/softmax regression)."""
    parts = value if isinstance(value, list) else [p.strip() for p in value.split(",")]
    if parts == [""]:  # "" is no hidden layer, as []
        parts = []
    if "" in parts:
        raise ConfigError(f"{where}: has an empty layer size (got {value!r}); e.g. [5, 2]")
    try:
        sizes = tuple(int(p) if isinstance(p, str) else p for p in parts)
    except ValueError:
        sizes = ()
        parts = None
    if parts is None or not all(is_int(n) and n >= 1 for n in sizes):
        raise ConfigError(
            f"{where}: takes positive whole numbers (got {value!r}); write e.g. [5, 2]"
        )
    return sizes


def _data(train: Mapping[str, Any], written: Mapping[str, str], folder: Path) -> DataSpec:
    """The DataSpec, checked as core.data.load checks it, without loading the data; a file's
    relative path starts at the sweep file's folder."""
    from core import data as core_data

    key_of = {field: key for key, field in DATA_OPTIONS.items()}
    spec = core_data.DataSpec(**{DATA_OPTIONS[k]: train[k] for k in DATA_OPTIONS if k in train})
    if isinstance(spec.name, str) and spec.name not in core_data.BUILTIN:
        path = Path(spec.name).expanduser()
        path = path if path.is_absolute() else folder / path
        if path.exists():
            spec = dataclasses.replace(spec, name=str(path.resolve()))
        elif path.suffix.lower() in core_data.FILE_SUFFIXES:
            raise ConfigError(f"train.{written.get('data', 'data')}: {path}: file not found; "
                              "check the path (a relative path starts at the sweep file's "
                              "folder)")  # fmt: skip
    try:
        return core_data.check(spec)
    except core_data.OptionError as exc:
        key = key_of[exc.option]
        raise ConfigError(f"train.{written.get(key, key)}: {exc}") from None


def _check_fixed(fixed: dict[str, Any], written: Mapping[str, str]) -> None:
    """Build TrainConfig from the fixed settings; blame the key whose value the error is about."""
    from core.train import TrainConfig

    try:
        TrainConfig(**fixed)
    except ConfigError as exc:
        message = str(exc)
        for name in fixed:
            try:
                TrainConfig(**{name: fixed[name]})
            except ConfigError as alone:
                if str(alone) == message:
                    raise ConfigError(f"train.{written[name]}: {message}") from None
        raise ConfigError(f"train: {message}") from None


def _check_space(searched: SearchSpace, fixed: dict[str, Any]) -> None:
    """Every searched range must make a valid TrainConfig at both ends (and at the default)."""
    from core.train import TrainConfig

    decay = fixed.get("decay", _train_defaults()["decay"])
    if "decay_rate" in searched.names and decay == "none":
        raise ConfigError(
            'space.decay_rate: the decay rate needs a schedule; set decay = "inverse-time" '
            "(or staircase, exponential, sqrt) in [train]"
        )
    for e in searched.entries:
        where = "space." + (f"{e.condition[1]}." if e.condition else "") + e.name
        context = dict(fixed)
        if e.condition:
            context["optimizer"] = e.condition[1]
        points = (
            [("choices", c) for c in e.choices]
            if e.kind == "categorical"
            else [("low", e.low), ("high", e.high)]
        )
        for label, value in points:
            try:
                TrainConfig(**{**context, e.name: e.value(e.raw(value))})
            except ConfigError as exc:
                raise ConfigError(f"{where}.{label}: {exc}") from None
    try:
        TrainConfig(**{**fixed, **searched.defaults()})
    except ConfigError as exc:  # pragma: no cover - the ends above already cover the defaults
        raise ConfigError(f"space: the all-defaults trial is invalid: {exc}") from None


def _train_defaults() -> dict[str, Any]:
    from core.train import TrainConfig

    return {f.name: f.default for f in dataclasses.fields(TrainConfig)}
