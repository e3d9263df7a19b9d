"""The search space: which hyperparameters a sweep samples, each on the course's scale for its name.

    alpha, epsilon, l2   log-uniform                    (each decade equally likely)
    beta, beta1, beta2   1 - beta log-uniform           (0.9 -> 0.99 is as far as 0.99 -> 0.999)
    batch_size           a power of two, the exponent uniform   (32, 64, ..., 512)
    decay_rate, keep_prob  uniform
    optimizer            categorical; each optimizer's own entries are conditional on it

An `Entry` is one hyperparameter as Optuna sees it. Its Optuna param holds the *raw* value on the
sampling scale, and is named after it so that Optuna's plots and tables are honest:

    alpha -> "alpha"   beta1 -> "one_minus_beta1" (1 - beta1)   batch_size -> "log2_batch_size"

An entry conditional on an optimizer is prefixed with it ("adam.alpha") and only suggested in
trials that chose that optimizer. `value(raw)` and `raw(value)` convert between the two units.

This module imports neither numpy nor optuna at import time (optuna only inside the functions
that need it), so that loading a sweep file stays cheap.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core import defaults
from core.errors import ConfigError

# The sampling scale of every searchable hyperparameter (see the module docstring).
SCALES: dict[str, str] = {
    "alpha": "log",
    "beta": "log1m",
    "beta1": "log1m",
    "beta2": "log1m",
    "epsilon": "log",
    "batch_size": "pow2",
    "decay_rate": "uniform",
    "l2": "log",  # regularization strength spans decades; 0 (none) belongs in [train]
    "keep_prob": "uniform",
    "optimizer": "categorical",
}
SEARCHABLE: tuple[str, ...] = tuple(SCALES)

SCALE_WORDS = {
    "log": "log-uniform",
    "log1m": "sampled as 1 - value on a log scale",
    "pow2": "a power of two (the exponent is sampled)",
    "uniform": "uniform",
    "categorical": "categorical",
}

# The hyperparameters each update rule reads (core.optimizers.make); a test keeps this in step.
OPTIMIZER_PARAMS: dict[str, tuple[str, ...]] = {
    "gd": ("alpha",),
    "momentum": ("alpha", "beta"),
    "rmsprop": ("alpha", "beta", "epsilon"),
    "adam": ("alpha", "beta1", "beta2", "epsilon"),
}
OPTIMIZER_SPECIFIC = frozenset({"beta", "beta1", "beta2", "epsilon"})

_PARAM_PREFIX = {"log1m": "one_minus_", "pow2": "log2_"}
_NUMBER_KEYS = ("low", "high", "default", "grid", "steps")
_CATEGORICAL_KEYS = ("choices", "default")
# Keys people reach for from other tools; the scale follows the name here.
_SCALE_KEYS = ("log", "scale", "type", "distribution", "step", "q", "base")


@dataclass(frozen=True)
class Entry:
    """One searched hyperparameter. `low`, `high`, `default` and `grid` are in its own units."""

    name: str  # the TrainConfig field, e.g. "beta1"
    param: str  # the Optuna param name, e.g. "adam.one_minus_beta1"
    kind: str  # "log" | "log1m" | "pow2" | "uniform" | "categorical"
    low: float | int | None = None
    high: float | int | None = None
    choices: tuple[str, ...] = ()
    default: Any = None  # None: left to the sampler in the all-defaults trial
    condition: tuple[str, str] | None = None  # ("optimizer", "adam"): only when it holds
    grid: tuple | None = None  # grid sampler: the values to try
    steps: int | None = None  # grid sampler: this many points evenly spaced on the scale

    @property
    def raw_bounds(self) -> tuple[float | int, float | int]:
        """(low, high) of the raw Optuna value."""
        if self.kind == "log1m":
            return 1 - self.high, 1 - self.low
        if self.kind == "pow2":
            return _log2(self.low), _log2(self.high)
        return self.low, self.high

    def distribution(self):
        """The Optuna distribution of the raw value."""
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        if self.kind == "categorical":
            return CategoricalDistribution(self.choices)
        low, high = self.raw_bounds
        if self.kind == "pow2":
            return IntDistribution(low, high)
        return FloatDistribution(low, high, log=self.kind in ("log", "log1m"))

    def suggest_raw(self, trial):
        """Ask `trial` for the raw value, with the plain `trial.suggest_*` calls."""
        if self.kind == "categorical":
            return trial.suggest_categorical(self.param, list(self.choices))
        low, high = self.raw_bounds
        if self.kind == "pow2":
            return trial.suggest_int(self.param, low, high)
        return trial.suggest_float(self.param, low, high, log=self.kind in ("log", "log1m"))

    def value(self, raw):
        """Raw Optuna value -> hyperparameter value (1 - raw for betas, 2**raw for batch size)."""
        if self.kind == "pow2":
            return 2 ** int(raw)
        if self.kind == "log1m":
            # 1 - (1 - b) == b holds exactly for b >= 0.5 (Sterbenz); for smaller b, snap the
            # default so the all-defaults trial trains with exactly the textbook value.
            if self.default is not None and raw == self.raw(self.default):
                return self.default
            return min(max(1 - raw, self.low), self.high)
        if self.kind == "categorical":
            return raw
        return float(raw)

    def raw(self, value):
        """Hyperparameter value -> raw Optuna value (the inverse of `value`)."""
        if self.kind == "pow2":
            return _log2(value)
        if self.kind == "log1m":
            return 1 - value
        if self.kind == "categorical":
            return value
        return float(value)

    def grid_values(self) -> list:
        """The raw values a grid search tries: `grid`, or `steps` points evenly on the scale."""
        if self.kind == "categorical":
            return list(self.choices)
        if self.grid is not None:
            return [self.raw(v) for v in self.grid]
        low, high = self.raw_bounds
        if self.kind == "pow2":
            return list(range(low, high + 1))
        n = self.steps
        if self.kind == "uniform":
            points = [low + (high - low) * i / (n - 1) for i in range(n)]
        else:
            step = (math.log(high) - math.log(low)) / (n - 1)
            points = [math.exp(math.log(low) + i * step) for i in range(n)]
        # 12 significant digits read well in reports (1e-3, not 0.0009999999999999998); the
        # ends are exact so that every point lies inside the distribution.
        points = [min(max(float(f"{p:.12g}"), low), high) for p in points]
        points[0], points[-1] = low, high
        return points[::-1] if self.kind == "log1m" else points  # betas in ascending order

    def describe(self) -> str:
        """e.g. 'beta1 in [0.8, 0.999], sampled as 1 - value on a log scale'."""
        if self.kind == "categorical":
            return f"{self.param} in {{{', '.join(self.choices)}}}"
        scale = SCALE_WORDS[self.kind]
        return f"{self.param}: {self.name} in [{self.low:g}, {self.high:g}], {scale}"


@dataclass(frozen=True)
class SearchSpace:
    """The entries of a sweep, in suggestion order: the optimizer first, conditionals last.

    `partial_defaults` is False for grid search, whose sampler cannot fill in a param the
    all-defaults trial leaves open; `default_params` is then all or nothing.
    """

    entries: tuple[Entry, ...]
    partial_defaults: bool = True

    @property
    def names(self) -> tuple[str, ...]:
        """The searched hyperparameters, each once."""
        return tuple(dict.fromkeys(e.name for e in self.entries))

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(e.param for e in self.entries)

    def entry(self, param: str) -> Entry:
        return next(e for e in self.entries if e.param == param)

    def suggest(self, trial) -> dict[str, object]:
        """One trial's hyperparameter values, e.g. {"optimizer": "adam", "alpha": 0.003}."""
        values: dict[str, object] = {}
        for e in self.entries:
            if _holds(e.condition, values):
                values[e.name] = e.value(e.suggest_raw(trial))
        return values

    def default_params(self) -> dict[str, object]:
        """Optuna params of the all-defaults trial, for `study.enqueue_trial`; {} if none.

        The optimizer is its `default` (else its first choice); conditional entries come only
        for that optimizer; entries without a default are left to the sampler.
        """
        values: dict[str, object] = {}
        params: dict[str, object] = {}
        for e in self.entries:
            if not _holds(e.condition, values):
                continue
            default = e.default
            if default is None and e.kind == "categorical":
                default = e.choices[0]
            if default is None:
                if not self.partial_defaults:
                    return {}
                continue
            values[e.name] = default
            params[e.param] = e.raw(default)
        if all(self.entry(p).kind == "categorical" for p in params):
            return {}  # only the optimizer: nothing of the textbook's to try
        return params

    def defaults(self) -> dict[str, object]:
        """Hyperparameter name -> default value, for the all-defaults trial."""
        return self.values_from_params(self.default_params())

    def values_from_params(self, params: Mapping[str, object]) -> dict[str, object]:
        """A trial's Optuna params -> its hyperparameter values (params it lacks are skipped)."""
        values: dict[str, object] = {}
        for e in self.entries:
            if e.param in params and _holds(e.condition, values):
                values[e.name] = e.value(params[e.param])
        return values

    def grid(self) -> dict[str, list]:
        """Param -> raw values, the search space of Optuna's GridSampler."""
        return {e.param: e.grid_values() for e in self.entries}

    def grid_size(self) -> int:
        return math.prod(len(v) for v in self.grid().values())


def _holds(condition: tuple[str, str] | None, values: Mapping[str, object]) -> bool:
    return condition is None or values.get(condition[0]) == condition[1]


def _log2(n: int) -> int:
    return int(n).bit_length() - 1


def _is_pow2(n) -> bool:
    return is_int(n) and n >= 1 and n & (n - 1) == 0


# --- reading the [space] table ---


def parse(
    table: Mapping[str, Any],
    *,
    fixed: Mapping[str, Any],
    optimizer: str,
    grid: bool,
    options: tuple[str, ...] = (),
) -> SearchSpace:
    """The `SearchSpace` of a sweep file's [space] table; each problem is one `ConfigError`.

    `fixed` holds the [train] settings (normalized keys), `optimizer` the fixed optimizer (used
    when the optimizer is not searched), `grid` says whether the sampler is grid search, and
    `options` names every training option (to tell "not searchable" from "unknown").
    Messages start with the key, e.g. "space.alpha.low: ..."; the caller adds the file name.
    """
    if not isinstance(table, Mapping) or not table:
        raise ConfigError(
            "space: nothing to search; add a hyperparameter, "
            "e.g. alpha = { low = 1e-4, high = 1e-1 }"
        )
    keys = _space_keys(table, "space", (*SEARCHABLE, *OPTIMIZER_PARAMS), options)
    opt_key = keys.get("optimizer")
    optimizer_entry = None
    if opt_key is not None:
        _check_not_fixed("optimizer", f"space.{opt_key}", fixed)
        optimizer_entry = _categorical(table[opt_key], f"space.{opt_key}", grid)
    choices = optimizer_entry.choices if optimizer_entry else (optimizer,)

    entries: list[Entry] = []
    conditional: list[Entry] = []
    for name, key in keys.items():
        where = f"space.{key}"
        if name == "optimizer":
            continue
        if name in OPTIMIZER_PARAMS:  # [space.adam]: entries conditional on the optimizer
            conditional += _conditional_section(
                table[key], name, where, optimizer_entry, grid, options
            )
            continue
        _check_not_fixed(name, where, fixed)
        if name in OPTIMIZER_SPECIFIC and not any(name in OPTIMIZER_PARAMS[o] for o in choices):
            who = (
                f"{choices[0]} does not use {name} (it uses {_uses(choices[0])})"
                if len(choices) == 1
                else f"none of {', '.join(choices)} uses {name}"
            )
            raise ConfigError(f"{where}: {who}; remove it, or choose an optimizer that uses it")
        entries.append(_numeric(table[key], name, where, None, grid))

    searched = {e.name for e in entries}
    for e in conditional:
        if e.name in searched:
            raise ConfigError(
                f"space.{e.condition[1]}.{e.name}: {e.name} is already searched for every "
                f"optimizer in space.{e.name}; remove one of the two"
            )
        _check_not_fixed(e.name, f"space.{e.condition[1]}.{e.name}", fixed)
    ordered = ([optimizer_entry] if optimizer_entry else []) + entries + conditional
    return SearchSpace(tuple(ordered), partial_defaults=not grid)


def _conditional_section(
    section, opt: str, where: str, optimizer_entry, grid: bool, options
) -> list[Entry]:
    if optimizer_entry is None:
        raise ConfigError(
            f"{where}: entries for {opt} need the optimizer searched; add "
            f'optimizer = {{ choices = ["gd", "{opt}"] }} to [space], or move them into [space]'
        )
    if opt not in optimizer_entry.choices:
        raise ConfigError(
            f"{where}: {opt} is not among space.optimizer.choices "
            f"({', '.join(optimizer_entry.choices)}); add it there or remove [{where}]"
        )
    if grid:
        raise ConfigError(
            f"{where}: grid search cannot take entries conditional on the optimizer (the grid "
            "would cross every optimizer's values); search them in [space] for all optimizers"
        )
    if not isinstance(section, Mapping) or not section:
        raise ConfigError(
            f"{where}: give a table of {opt}'s hyperparameters, e.g. "
            f"[{where}] alpha = {{ low = 1e-4, high = 1e-1 }}"
        )
    allowed = OPTIMIZER_PARAMS[opt] + tuple(
        n for n in SEARCHABLE if n not in OPTIMIZER_SPECIFIC and n not in ("optimizer", "alpha")
    )
    keys = _space_keys(section, where, SEARCHABLE, options)
    out = []
    for name, key in keys.items():
        if name not in allowed:
            raise ConfigError(
                f"{where}.{key}: {opt} does not use {name} (it uses {_uses(opt)}); remove it"
            )
        out.append(_numeric(section[key], name, f"{where}.{key}", opt, grid))
    return out


def _numeric(spec, name: str, where: str, opt: str | None, grid: bool) -> Entry:
    """A numeric entry from { low, high, default, grid, steps }."""
    kind = SCALES[name]
    _require_table(spec, where, "{ low = ..., high = ... }")
    _reject_scale_keys(spec, where, name, kind)
    keys = normalized_keys(spec, where, known=_NUMBER_KEYS)
    for required in ("low", "high"):
        if required not in keys:
            raise ConfigError(f"{where}: missing {required}; give {{ low = ..., high = ... }}")
    low = _bound(spec[keys["low"]], f"{where}.{keys['low']}", kind)
    high = _bound(spec[keys["high"]], f"{where}.{keys['high']}", kind)
    _check_range(low, high, where)
    param = (f"{opt}." if opt else "") + _PARAM_PREFIX.get(kind, "") + name
    entry = Entry(name, param, kind, low, high, condition=("optimizer", opt) if opt else None)

    default = None
    if "default" in keys:
        default = _default(spec[keys["default"]], entry, f"{where}.{keys['default']}")
    values, steps = None, None
    if "grid" in keys or "steps" in keys:
        if not grid:
            k = keys.get("grid") or keys.get("steps")
            raise ConfigError(
                f'{where}.{k}: only grid search uses it; set sampler = "grid" in [study] or '
                "remove it"
            )
        if "grid" in keys and "steps" in keys:
            raise ConfigError(f"{where}: give grid or steps, not both")
        if "grid" in keys:
            values = _grid(spec[keys["grid"]], entry, f"{where}.{keys['grid']}")
        else:
            steps = _steps(spec[keys["steps"]], entry, f"{where}.{keys['steps']}")
    elif grid and kind != "pow2":
        raise ConfigError(
            f"{where}: grid search needs the points to try; add steps = 4 (evenly on the "
            f"{SCALE_WORDS[kind]} scale) or grid = [...]"
        )
    return Entry(
        name, param, kind, low, high, default=default, condition=entry.condition,
        grid=values, steps=steps,
    )  # fmt: skip


def _categorical(spec, where: str, grid: bool) -> Entry:
    from core.optimizers import OPTIMIZERS

    _require_table(spec, where, '{ choices = ["momentum", "adam"] }')
    keys = normalized_keys(spec, where, known=_CATEGORICAL_KEYS)
    if "choices" not in keys:
        raise ConfigError(f'{where}: missing choices; e.g. choices = ["gd", "momentum", "adam"]')
    choices = spec[keys["choices"]]
    at = f"{where}.{keys['choices']}"
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        raise ConfigError(f'{at}: give a list of names, e.g. ["momentum", "adam"]')
    for c in choices:
        if c not in OPTIMIZERS:
            raise ConfigError(f"{at}: unknown optimizer {c!r}{did_you_mean(c, OPTIMIZERS)}; "
                              f"choose from {', '.join(OPTIMIZERS)}")  # fmt: skip
    if len(set(choices)) != len(choices):
        raise ConfigError(f"{at}: lists an optimizer twice; list each once")
    if len(choices) < 2:
        raise ConfigError(f"{at}: one choice is no search; set optimizer in [train] instead")
    default = None
    if "default" in keys:
        default = spec[keys["default"]]
        if default not in choices:
            raise ConfigError(
                f"{where}.{keys['default']}: {default!r} is not among the choices; "
                f"use one of {', '.join(choices)}"
            )
    return Entry("optimizer", "optimizer", "categorical", choices=tuple(choices), default=default)


def _check_not_fixed(name: str, where: str, fixed: Mapping[str, Any]) -> None:
    if name in fixed:
        raise ConfigError(
            f"{where}: {name} is also fixed in [train] ({name} = {fixed[name]!r}); "
            "remove it from one of the two"
        )


def _bound(value, where: str, kind: str):
    if kind == "pow2":
        if not is_int(value):
            raise ConfigError(f"{where}: batch sizes are whole numbers (got {value!r}); e.g. 64")
        if not _is_pow2(value):
            raise ConfigError(f"{where}: {value} is not a power of two; use {_pow2_near(value)}")
        return int(value)
    if not is_number(value):
        raise ConfigError(f"{where}: must be a number (got {value!r})")
    value = float(value)
    if not math.isfinite(value):
        raise ConfigError(f"{where}: must be finite (got {value})")
    if kind == "log" and value <= 0:
        raise ConfigError(f"{where}: a log scale needs bounds > 0 (got {value:g}); use e.g. 1e-5")
    if kind == "log1m" and not 0 <= value < 1:
        raise ConfigError(
            f"{where}: a beta must lie in [0, 1) (got {value:g}); use e.g. 0.9 or 0.999"
        )
    return value


def _space_keys(table: Mapping, where: str, known, options) -> dict[str, str]:
    """Like `normalized_keys`, with its own message for a training option that cannot vary."""
    for key in table:
        name = str(key).replace("-", "_")
        if name in options and name not in known:
            raise ConfigError(
                f"{where}.{key}: {name} cannot be searched (searchable: "
                f"{', '.join(SEARCHABLE)}); fix it in [train] instead"
            )
    return normalized_keys(table, where, known)


def _check_range(low, high, where: str) -> None:
    if low > high:
        raise ConfigError(f"{where}: low > high ({low:g} > {high:g}); swap them")
    if low == high:
        raise ConfigError(
            f"{where}: low = high = {low:g} is an empty range; widen it, or fix the value in "
            "[train]"
        )


def _default(value, entry: Entry, where: str):
    if value is True:
        if entry.name not in defaults.TEXTBOOK_DEFAULTS:
            raise ConfigError(
                f"{where}: {entry.name} has no textbook default (core/defaults.py); give a "
                "number or remove default"
            )
        value = defaults.TEXTBOOK_DEFAULTS[entry.name]
        source = f"the textbook default {value:g}"
    else:
        if value is False:
            raise ConfigError(f"{where}: use default = true or a number, or remove default")
        value = _point(value, entry, where)
        source = f"{value:g}"
    if not entry.low <= value <= entry.high:
        raise ConfigError(
            f"{where}: {source} lies outside [{entry.low:g}, {entry.high:g}]; "
            "widen the range or change the default"
        )
    return int(value) if entry.kind == "pow2" else float(value)


def _point(value, entry: Entry, where: str):
    if entry.kind == "pow2":
        if not _is_pow2(value):
            raise ConfigError(
                f"{where}: batch sizes are powers of two (got {value!r}); use "
                f"{_pow2_near(value) if is_number(value) else 64}"
            )
        return int(value)
    if not is_number(value):
        raise ConfigError(f"{where}: must be a number (got {value!r})")
    return float(value)


def _grid(values, entry: Entry, where: str) -> tuple:
    if not isinstance(values, list) or not values:
        raise ConfigError(f"{where}: give a non-empty list of values, e.g. grid = [1e-3, 1e-2]")
    points = []
    for v in values:
        p = _point(v, entry, where)
        if not entry.low <= p <= entry.high:
            raise ConfigError(
                f"{where}: {p:g} lies outside [{entry.low:g}, {entry.high:g}]; "
                "widen the range or drop the value"
            )
        points.append(p)
    if len(set(points)) != len(points):
        raise ConfigError(f"{where}: lists a value twice; list each once")
    return tuple(points)


def _steps(value, entry: Entry, where: str) -> int:
    if entry.kind == "pow2":
        raise ConfigError(
            f"{where}: the batch-size grid is every power of two in the range; remove steps, "
            "or give grid = [32, 128, 512]"
        )
    if not is_int(value) or value < 2:
        raise ConfigError(f"{where}: must be a whole number >= 2 (got {value!r}); e.g. steps = 4")
    return int(value)


def _reject_scale_keys(spec: Mapping, where: str, name: str, kind: str) -> None:
    for key in spec:
        if str(key).replace("-", "_") in _SCALE_KEYS:
            raise ConfigError(
                f"{where}.{key}: the scale follows the name ({name} is {SCALE_WORDS[kind]}); "
                "remove it"
            )


def _require_table(spec, where: str, example: str) -> None:
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: give a table like {example} (got {spec!r})")


def _pow2_near(n) -> str:
    n = max(1, int(n))
    below = 1 << (n.bit_length() - 1)
    return f"{below} or {below * 2}" if below != n else str(n)


def _uses(opt: str) -> str:
    return ", ".join(OPTIMIZER_PARAMS[opt])


# --- small helpers shared with sweep_file.py ---


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def normalized_keys(table: Mapping, where: str, known) -> dict[str, str]:
    """{normalized key: key as written}; dashes read as underscores; unknown keys are errors."""
    out: dict[str, str] = {}
    for key in table:
        name = str(key).replace("-", "_")
        at = f"{where}.{key}" if where else str(key)
        if name not in known:
            raise ConfigError(
                f"{at}: unknown key{did_you_mean(name, known)}; use one of {', '.join(known)}"
            )
        if name in out:
            raise ConfigError(f"{at}: given twice (as {out[name]} and {key}); keep one")
        out[name] = str(key)
    return out


def did_you_mean(name: str, known) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""
