"""Optuna samplers and pruners, built from a sweep file's [study] section.

    sampler = make_sampler(spec)   # seeded with spec.seed; options from [study.sampler_options]
    pruner = make_pruner(spec)     # options from [study.pruner_options] over our defaults

Samplers: tpe (default), random, grid (the grid comes from [space]: `steps` or `grid` per entry),
cmaes (CMA-ES: numbers only, so the optimizer choice and conditional entries go to TPE), gp
(Gaussian process; needs PyTorch) and qmc (quasi-Monte Carlo, Sobol by default).

Pruners judge the reports the objective makes every `report_every` epochs, at step = epoch:
median (default), none, hyperband and successive-halving (resources in epochs), and patient,
which wraps another (`wrapped = "median"`) and only prunes a trial whose reported value has not
improved for `patience` reports. A sweep of two objectives (sweeps/objectives.py) is unpruned:
Optuna's pruners judge one objective, so its pruner is "none" and its trials report nothing.

Option names and types are checked against the Optuna constructor when a sweep file is loaded,
so a typo fails before the first trial. optuna is imported only inside functions.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import inspect
import re
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from core.errors import ConfigError

if TYPE_CHECKING:
    from sweeps.space import SearchSpace


class SweepSpec(Protocol):
    """What a sampler and a pruner are built from: the parts of a sweep file they read
    (`sweeps.sweep_file.SweepSpec` has them all)."""

    sampler: str
    sampler_options: dict
    pruner: str
    pruner_options: dict
    seed: int
    report_every: int
    population: int | None
    space: SearchSpace

    @property
    def epochs(self) -> int: ...

    @property
    def shown(self) -> str: ...


SAMPLERS: tuple[str, ...] = ("tpe", "random", "grid", "cmaes", "gp", "qmc")
PRUNERS: tuple[str, ...] = ("median", "none", "hyperband", "successive-halving", "patient")

_SAMPLER_CLASSES = {
    "tpe": "TPESampler",
    "random": "RandomSampler",
    "grid": "GridSampler",
    "cmaes": "CmaEsSampler",
    "gp": "GPSampler",
    "qmc": "QMCSampler",
}
_PRUNER_CLASSES = {
    "median": "MedianPruner",
    "none": "NopPruner",
    "hyperband": "HyperbandPruner",
    "successive-halving": "SuccessiveHalvingPruner",
    "patient": "PatientPruner",
}
# Constructor arguments a sweep file does not set, and where they come from instead.
_RESERVED = {
    "seed": "the seed is study.seed; set seed in [study]",
    "search_space": "the grid is built from [space] (give entries steps or grid)",
    "wrapped_pruner": 'name it with wrapped = "median"',
}
# Annotations naming Python objects that TOML cannot express.
_OBJECT_TYPES = ("Callable", "Sampler", "Pruner", "FrozenTrial")
_PATIENT_KEYS = ("patience", "min_delta", "wrapped", "wrapped_options")


# --- building ---


def make_sampler(spec: SweepSpec):
    """The Optuna sampler the sweep file names, seeded with `spec.seed`."""
    with _in_file(spec):
        return _sampler(spec)


def make_pruner(spec: SweepSpec):
    """The Optuna pruner the sweep file names: `pruner_defaults` overridden by its options."""
    with _in_file(spec):
        return _pruner_for(spec)


def _sampler(spec: SweepSpec):
    import optuna

    s = optuna.samplers
    name, options, seed = spec.sampler, dict(spec.sampler_options), spec.seed
    with _as_config_error("study.sampler_options"):
        if name == "tpe":
            if (spec.population or 1) > 1:  # asked several trials at once: lie about the
                options.setdefault("constant_liar", True)  # running ones, not repeat them
            return s.TPESampler(seed=seed, **options)
        if name == "random":
            return s.RandomSampler(seed=seed)
        if name == "grid":
            return _grid_sampler(spec.space.grid())
        if name == "qmc":
            return s.QMCSampler(seed=seed, **options)
        if name == "cmaes":
            _require_cmaes()
            if not cmaes_covers(spec):
                # CMA-ES samples numbers only: TPE, not random search, picks the rest.
                options = {
                    "independent_sampler": s.TPESampler(seed=seed),
                    "warn_independent_sampling": False,
                    **options,
                }
            return s.CmaEsSampler(seed=seed, **options)
        if name == "gp":
            _require_torch()
            return s.GPSampler(seed=seed, **options)
    raise ConfigError(f"study.sampler: {_unknown('sampler', name, SAMPLERS)}")


def _pruner_for(spec: SweepSpec):
    with _as_config_error("study.pruner_options"):
        return _pruner(spec.pruner, spec.pruner_options, spec.epochs, spec.report_every)


def pruner_defaults(name: str, epochs: int, report_every: int) -> dict[str, Any]:
    """Our settings for a pruner, in epochs (steps are epochs)."""
    if name == "median":
        # Early curves cross: judge nobody in the first fifth of training, nor before 5 trials.
        return {"n_startup_trials": 5, "n_warmup_steps": epochs // 5}
    if name in ("hyperband", "successive-halving"):
        # The first rung at 5% of the epochs (and at least one report in).
        rung = max(report_every, epochs // 20)
        extra = {"max_resource": epochs} if name == "hyperband" else {}
        return {"min_resource": rung, **extra}
    return {}


def cmaes_covers(spec: SweepSpec) -> bool:
    """Whether CMA-ES alone samples every entry (it takes no categorical or conditional one)."""
    return all(e.kind != "categorical" and e.condition is None for e in spec.space.entries)


def _pruner(name: str, options: Mapping[str, Any], epochs: int, report_every: int):
    import optuna

    p = optuna.pruners
    if name == "none":
        return p.NopPruner()
    if name == "patient":
        options = dict(options)
        wrapped = options.pop("wrapped", "median")
        inner_options = options.pop("wrapped_options", {})
        inner = None if wrapped == "none" else _pruner(wrapped, inner_options, epochs, report_every)
        return p.PatientPruner(inner, **options)
    cls = getattr(p, _PRUNER_CLASSES[name])
    return cls(**{**pruner_defaults(name, epochs, report_every), **options})


# --- checking a sweep file's choices when it is loaded ---


def check(spec: SweepSpec) -> None:
    """Raise a `ConfigError` ("study.<key>: ...") for options Optuna would reject.

    Imports optuna only when there are options to check; builds nothing it keeps.
    """
    if spec.sampler == "gp" and importlib.util.find_spec("torch") is None:
        raise ConfigError(f"study.sampler: {_GP_NEEDS_TORCH}")  # found, not imported: slow
    if spec.sampler == "cmaes":
        _require_cmaes()
    if spec.sampler_options:
        _check_kwargs(
            "sampler", spec.sampler, _SAMPLER_CLASSES[spec.sampler], "samplers",
            spec.sampler_options, "study.sampler_options",
        )  # fmt: skip
    _check_pruner_options(spec.pruner, spec.pruner_options, "study.pruner_options")
    if spec.sampler_options or spec.pruner_options:
        with warnings.catch_warnings():  # Optuna's ExperimentalWarning is for the run, not here
            warnings.simplefilter("ignore")
            if spec.sampler_options:
                _sampler(spec)
            _pruner_for(spec)


def _check_pruner_options(name: str, options: Mapping[str, Any], where: str) -> None:
    if name == "none":
        for key in options:
            raise ConfigError(f"{where}.{key}: pruner 'none' takes no options; remove it")
        return
    if name != "patient":
        if options:
            _check_kwargs("pruner", name, _PRUNER_CLASSES[name], "pruners", options, where)
        return
    from sweeps.space import is_int, normalized_keys

    keys = normalized_keys(options, where, known=_PATIENT_KEYS)
    if "patience" not in keys:
        raise ConfigError(
            f"{where}: the patient pruner needs patience (reports without improvement before "
            'it prunes); e.g. pruner_options = { patience = 5, wrapped = "median" }'
        )
    patience = options[keys["patience"]]
    if not is_int(patience) or patience < 0:
        raise ConfigError(f"{where}.{keys['patience']}: must be a whole number >= 0 "
                          f"(got {patience!r}); e.g. patience = 5")  # fmt: skip
    wrapped = options.get(keys.get("wrapped", ""), "median")
    if wrapped not in PRUNERS or wrapped == "patient":
        raise ConfigError(
            f"{where}.{keys['wrapped']}: "
            + _unknown("pruner to wrap", wrapped, tuple(p for p in PRUNERS if p != "patient"))
        )
    inner = options.get(keys.get("wrapped_options", ""), {})
    if not isinstance(inner, Mapping):
        raise ConfigError(
            f"{where}.{keys['wrapped_options']}: must be a table (got {inner!r}); "
            "e.g. { n_startup_trials = 5 }"
        )
    _check_pruner_options(wrapped, inner, f"{where}.{keys.get('wrapped_options')}")


def _check_kwargs(role, name, class_name, module, options, where) -> None:
    """Option names against the Optuna constructor's signature, values against its annotations."""
    import optuna

    cls = getattr(getattr(optuna, module), class_name)
    params = {
        n: p
        for n, p in inspect.signature(cls.__init__).parameters.items()
        if n != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    }
    settable = [n for n in params if n not in _RESERVED and not _is_object(params[n])]
    from sweeps.space import did_you_mean

    for key, value in options.items():
        at = f"{where}.{key}"
        if key in _RESERVED:
            raise ConfigError(f"{at}: {_RESERVED[key]}")
        if key not in params:
            if not settable:
                raise ConfigError(f"{at}: {role} {name!r} takes no options; remove it")
            raise ConfigError(
                f"{at}: {class_name} has no option {key}{did_you_mean(key, settable)}; "
                f"use one of {', '.join(settable)}"
            )
        if _is_object(params[key]):
            raise ConfigError(f"{at}: takes a Python object, which a sweep file cannot give; "
                              "remove it")  # fmt: skip
        annotation = _annotation(params[key])
        if not _fits(value, annotation):
            raise ConfigError(
                f"{at}: {class_name} expects {annotation} (got {value!r}); give one of that type"
            )


def _annotation(param: inspect.Parameter) -> str:
    a = param.annotation
    if a is inspect.Parameter.empty:
        return "Any"
    return a if isinstance(a, str) else getattr(a, "__name__", str(a))


def _is_object(param: inspect.Parameter) -> bool:
    return any(word in _annotation(param) for word in _OBJECT_TYPES)


def _fits(value, annotation: str) -> bool:
    words = set(re.findall(r"[A-Za-z_]+", annotation))
    if "Any" in words:
        return True
    if isinstance(value, bool):
        return "bool" in words
    if isinstance(value, int):
        return bool(words & {"int", "float"})
    if isinstance(value, float):
        return "float" in words
    if isinstance(value, str):
        return "str" in words
    if isinstance(value, Mapping):
        return bool(words & {"dict", "Mapping"})
    if isinstance(value, list):
        return bool(words & {"list", "Sequence"})
    return False


# --- optional dependencies and errors ---

_GP_NEEDS_TORCH = "sampler 'gp' needs PyTorch: pip install torch"


def _require_torch() -> None:
    try:
        import torch  # noqa: F401  (GPSampler imports it lazily, on its first trial)
    except ImportError:
        raise ConfigError(f"study.sampler: {_GP_NEEDS_TORCH}") from None


def _require_cmaes() -> None:
    if importlib.util.find_spec("cmaes") is None:
        raise ConfigError(
            "study.sampler: sampler 'cmaes' needs the cmaes package: pip install cmaes"
        )


@contextlib.contextmanager
def _as_config_error(where: str):
    """Optuna's TypeError/ValueError for a bad option -> a one-line ConfigError."""
    try:
        yield
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        detail = " ".join(str(exc).split()).rstrip(".")
        raise ConfigError(f"{where}: {detail}; fix the option") from None


@contextlib.contextmanager
def _in_file(spec: SweepSpec):
    """Prefix errors with the sweep file, as `sweeps.sweep_file.load` does."""
    try:
        yield
    except ConfigError as exc:
        raise ConfigError(f"{spec.shown}: {exc}") from None


def _unknown(role: str, name, known: tuple[str, ...]) -> str:
    from sweeps.space import did_you_mean

    return f"unknown {role} {name!r}{did_you_mean(str(name), known)}; use one of {', '.join(known)}"


def _grid_sampler(search_space: dict):
    """Optuna's GridSampler with the same grid order in every worker (see `_ask_tell_grid`)."""
    return _ask_tell_grid()(search_space, seed=0)


@functools.cache
def _ask_tell_grid():
    """GridSampler for workers that ask and tell, built on first use (Optuna loads lazily).

    Trial n runs the n-th point of the grid as this sampler shuffled it, so every worker must
    shuffle alike: the workers offset the sampler seed one each (TPE workers should differ),
    which gave two workers different orders, duplicate points and missing ones. The grid's seed
    is therefore fixed. And once the grid is covered, GridSampler.after_trial calls study.stop(),
    which works only inside study.optimize: our workers ask and tell, so on the grid's last
    point it raised RuntimeError from `tell` (after the trial was recorded) and killed the
    worker. No option of Optuna's turns that stop off; this subclass ignores that one error,
    and the sweep's budget ends it.
    """
    import optuna

    class AskTellGridSampler(optuna.samplers.GridSampler):
        def after_trial(self, study, trial, state, values) -> None:
            try:
                super().after_trial(study, trial, state, values)
            except RuntimeError as e:
                if "Study.stop" not in str(e):
                    raise

    return AskTellGridSampler
