"""The defaults report: which searched hyperparameters can stay at their textbook defaults.

    prepared = report.load("default", storage=None, tracking_uri=None)  # checks; writes nothing
    content = report.measure(prepared, on_done=...)   # re-trains over seeds: plain data
    paths = report.write(prepared, content)           # Markdown + PNGs, MLflow runs/artifacts

For every searched hyperparameter with a default: Optuna's fANOVA and PED-ANOVA importances,
the measured default-vs-tuned gap (the best trial's configuration re-trained over seeds, as is
and with only that parameter reset to its default) with a verdict, and the sensitivity of the
best reachable objective to it. Parameters without a default get their best value and a safe
range. The rules are in sweeps/verdicts.py and printed with every report.

`load` (the CLI) and `prepare` (the end of a sweep) check every input first: a bad option, an
unknown study, no completed trial, a tracking store without the study's parent run all raise a
one-line ConfigError before any file or MLflow run exists.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from sweeps import verdicts
from sweeps.objective import VALUES_ATTR
from sweeps.retrain import Job, Outcome
from sweeps.retrain import run as run_jobs

DEFAULT_SEEDS = 5
SWEEP_END_SEEDS = 3  # at the end of `optsweep sweep`: enough for a verdict, quick to run
PED_ANOVA_MIN_TRIALS = 10  # with at least 5 in its top quantile (Optuna's advice)
PED_ANOVA_MIN_TOP = 5
REPORTS_DIR = "reports"


@dataclass
class Prepared:
    """Everything the report needs, checked; nothing has been written yet."""

    study: Any  # optuna.Study
    spec: Any  # sweeps.spec.SweepSpec
    seeds: list[int]
    tolerance: float
    workers: int
    out: Path  # the Markdown file; PNGs go beside it
    tracking_uri: str | None  # None: no MLflow logging
    parent_run_id: str | None
    references: dict[str, Any] = field(default_factory=dict)  # name -> value to compare with
    notes: list[str] = field(default_factory=list)


# --- checking the inputs -------------------------------------------------------------------


def check_options(seeds: int, tolerance: float, workers: int, flag: str = "--seeds") -> None:
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 2:
        raise ConfigError(
            f"{flag} must be a whole number >= 2 (a standard error needs two), got {seeds!r}"
        )
    if seeds > 100:
        raise ConfigError(f"{flag} {seeds} is more re-training than a report needs; use <= 100")
    if not (isinstance(tolerance, int | float) and math.isfinite(tolerance)):
        raise ConfigError(f"--tolerance must be a number, got {tolerance!r}")
    if not 0 <= tolerance < 1:
        raise ConfigError(
            f"--tolerance is relative: give a fraction in [0, 1), e.g. 0.01 for 1% "
            f"(got {tolerance})"
        )
    from sweeps.runner import check_workers

    check_workers(workers)


def default_out(study_name: str) -> Path:
    safe = re.sub(r"[^\w.-]+", "_", study_name).strip("._") or "study"
    return Path(REPORTS_DIR) / f"{safe}.md"


def check_out(out: Path, fix: str = "choose another --out") -> Path:
    """The report's path: a .md file in a folder that takes writes now (or can be made)."""
    out = Path(out)
    if out.suffix.lower() != ".md":
        raise ConfigError(f"--out {out}: the report is Markdown; give a path ending in .md")
    if out.is_dir():
        raise ConfigError(f"--out {out} is a folder; give a file path ending in .md")
    probe = out.resolve().parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise ConfigError(f"--out {out}: {probe} is a file, not a folder")
    from tracking.store import write_problem

    problem = write_problem(probe)  # tried, not read off permission bits (root ignores them)
    if problem:
        raise ConfigError(f"report {out}: folder {probe} cannot be written: {problem}; {fix}")
    return out


def load(
    study_name: str,
    *,
    storage: str | None = None,
    tracking_uri: str | None = None,
    track: bool = True,
    seeds: int = DEFAULT_SEEDS,
    tolerance: float = verdicts.DEFAULT_TOLERANCE,
    workers: int = 2,
    out: str | Path | None = None,
) -> Prepared:
    """The `optsweep report` inputs, checked: the study, its sweep file and its parent run."""
    from sweeps import runner
    from sweeps import spec as spec_mod
    from sweeps import storage as storage_mod

    check_options(seeds, tolerance, workers)
    out_path = check_out(Path(out) if out else default_out(study_name))
    cfg = storage_mod.resolve(storage)
    study = storage_mod.load_study(cfg, study_name)
    sweep_file = study.user_attrs.get(runner.SPEC_ATTR)
    if not sweep_file:
        raise ConfigError(f"study {study_name!r} has no sweep file recorded; run it with "
                          "`optsweep sweep` first")  # fmt: skip
    if not Path(sweep_file).is_file():
        raise ConfigError(
            f"study {study_name!r} was run from {sweep_file}, which is gone; the report needs "
            "its search space: restore the file"
        )
    spec = spec_mod.load(sweep_file)
    uri, parent = None, None
    if track:
        uri, parent = _tracking(study, tracking_uri)
    return prepare(study, spec, seeds=seeds, tolerance=tolerance, workers=workers, out=out_path,
                   tracking_uri=uri, parent_run_id=parent)  # fmt: skip


def _tracking(study, tracking_uri: str | None) -> tuple[str | None, str | None]:
    from sweeps.runner import PARENT_ATTR
    from tracking import report as tracking_report
    from tracking import store
    from tracking.errors import TrackingError

    parent = study.user_attrs.get(PARENT_ATTR)
    if parent is None:
        return None, None  # run with --no-track: the report goes to files only
    try:
        uri = store.resolve(tracking_uri)
        tracking_report.check_parent(uri, parent)
    except TrackingError as e:
        raise ConfigError(f"{e}; or pass --no-track to write the report to files only") from None
    return uri, parent


def prepare(
    study,
    spec,
    *,
    seeds: int = DEFAULT_SEEDS,
    tolerance: float = verdicts.DEFAULT_TOLERANCE,
    workers: int = 2,
    out: Path | None = None,
    tracking_uri: str | None = None,
    parent_run_id: str | None = None,
    references: Mapping[str, Any] | None = None,
) -> Prepared:
    """Check a study and the options; `references` compares parameters without a default
    (e.g. {"alpha": 0.0007}) like defaults."""
    from optuna.trial import TrialState

    check_options(seeds, tolerance, workers)
    if study.direction.name.lower() != spec.direction:
        raise ConfigError(
            f"study {study.study_name!r} {study.direction.name.lower()}s but its sweep file "
            f"{spec.direction}s {spec.objective}; restore the file the study ran with"
        )
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not complete:
        raise ConfigError(
            f"study {study.study_name!r} has no completed trial yet; run the sweep (or resume "
            "it) until one completes"
        )
    base = int(spec.train.get("seed", 0))
    return Prepared(
        study=study,
        spec=spec,
        seeds=[base + 1 + i for i in range(seeds)],
        tolerance=float(tolerance),
        workers=int(workers),
        out=check_out(out or default_out(study.study_name)),
        tracking_uri=tracking_uri,
        parent_run_id=parent_run_id,
        references=dict(references or {}),
    )


# --- measuring ---------------------------------------------------------------------------------


def best_values(study, spec) -> tuple[Any, dict]:
    """(best trial, its hyperparameter values)."""
    best = study.best_trial
    values = best.user_attrs.get(VALUES_ATTR) or spec.space.values_from_params(best.params)
    return best, dict(values)


def importances(study, spec) -> dict[str, dict[str, dict]]:
    """Optuna param -> {"fanova": {value, note}, "ped_anova": {value, note}}.

    Optuna's evaluators take the parameters every completed trial shares; an entry that only
    some trials have (conditional on the optimizer) is evaluated among the trials that have it.
    """
    from optuna.importance import FanovaImportanceEvaluator, PedAnovaImportanceEvaluator
    from optuna.trial import TrialState

    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    out: dict[str, dict[str, dict]] = {e.param: {} for e in spec.space.entries}
    groups: dict[Any, list[str]] = {}
    for e in spec.space.entries:
        groups.setdefault(e.condition, []).append(e.param)
    for condition, params in groups.items():
        scope = [t for t in complete if all(p in t.params for p in params)]
        where = "" if condition is None else f" (among the {condition[1]} trials)"
        fanova = _importance(study, params if condition else None, FanovaImportanceEvaluator(
            seed=0), len(scope), 2)  # fmt: skip
        if len(scope) < PED_ANOVA_MIN_TRIALS:
            ped = ({}, f"n/a (needs {PED_ANOVA_MIN_TRIALS} completed trials{where}, has "
                       f"{len(scope)})")  # fmt: skip
        else:
            q = max(0.1, PED_ANOVA_MIN_TOP / len(scope))
            ped = _importance(
                study,
                params if condition else None,
                PedAnovaImportanceEvaluator(target_quantile=q),
                len(scope),
                2,
            )
            ped = (ped[0], ped[1] or f"top {q:.0%} of {len(scope)} trials")
        for p in params:
            for name, (values, note) in (("fanova", fanova), ("ped_anova", ped)):
                if p in values:
                    out[p][name] = {"value": float(values[p]), "note": _scope(note, where)}
                else:
                    why = note if note.startswith("n/a") else f"n/a ({note or 'not evaluated'})"
                    out[p][name] = {"value": None, "note": why}
    return out


def _scope(note: str, where: str) -> str:
    return (note + where).strip() if not note.startswith("n/a") else note


def _importance(study, params, evaluator, n: int, minimum: int) -> tuple[dict, str]:
    import optuna

    if n < minimum:
        return {}, f"n/a (needs {minimum} completed trials, has {n})"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = optuna.importance.get_param_importances(study, evaluator=evaluator,
                                                             params=params)  # fmt: skip
    except (RuntimeError, ValueError) as e:
        return {}, f"n/a ({str(e).splitlines()[0]})"
    if values and all(v == 0 for v in values.values()):
        return {}, "n/a (all importances 0: too few distinct trials)"
    return dict(values), ""


def trial_points(study, entry) -> list[tuple[float, float, int]]:
    """(value, objective, trial number) of the completed trials that sampled `entry`."""
    from optuna.trial import TrialState

    out = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if entry.param in t.params and t.value is not None and math.isfinite(t.value):
            out.append((float(entry.value(t.params[entry.param])), float(t.value), t.number))
    return out


def plan_jobs(p: Prepared, values: dict) -> tuple[list[Job], dict[str, dict]]:
    """The re-training jobs (tuned, then one arm per parameter that differs from its default)
    and, per parameter, why it gets no arm (or which value it is compared with)."""
    spec = p.spec
    data = spec.data.to_dict()

    def jobs_for(arm: str, name: str | None, vals: dict) -> list[Job]:
        config = spec.config_for(vals).to_dict()
        return [Job((arm, name, s), {**config, "seed": s}, data) for s in p.seeds]

    jobs = jobs_for("tuned", None, values)
    plans: dict[str, dict] = {}
    for e in spec.space.entries:
        if e.kind == "categorical":
            plans[e.param] = {"kind": "choice", "note": "a choice between optimizers, no default"}
            continue
        reference = e.default if e.default is not None else p.references.get(e.name)
        if reference is None:
            plans[e.param] = {"kind": "free"}
            continue
        source = "default" if e.default is not None else "reference"
        if e.condition is not None and values.get(e.condition[0]) != e.condition[1]:
            plans[e.param] = {"kind": source, "reference": reference, "note": (
                f"n/a: the best trial uses {e.condition[0]} {values.get(e.condition[0])}, "
                f"not {e.condition[1]}")}  # fmt: skip
            continue
        plans[e.param] = {"kind": source, "reference": reference}
        if source == "reference":
            plans[e.param]["note"] = f"no textbook default: compared with {reference:g}"
        if values.get(e.name) == reference:
            plans[e.param]["note"] = f"the best trial already uses the {source}: gap 0"
            continue
        jobs += jobs_for("default", e.param, {**values, e.name: reference})
    return jobs, plans


def measure(p: Prepared, on_done: Callable[[Outcome], None] | None = None) -> dict:
    """Re-train and compute every figure; the report as plain, JSON-ready data."""
    from optuna.trial import TrialState

    study, spec = p.study, p.spec
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
    best, values = best_values(study, spec)
    jobs, plans = plan_jobs(p, values)
    outcomes = run_jobs(jobs, p.workers, on_done)
    by_key = {o.key: o for o in outcomes}

    observed = [t.value for t in complete] + [o.value(spec.objective) for o in outcomes]
    n_classes = outcomes[0].n_classes if outcomes else 2
    worst = verdicts.worst_value(spec.direction, observed, n_classes)

    def arm(arm_name: str, name: str | None) -> tuple[list[float], int]:
        runs = [by_key[(arm_name, name, s)] for s in p.seeds]
        vals = [o.value(spec.objective) for o in runs]
        diverged = sum(v is None or not math.isfinite(v) for v in vals)
        return [worst if v is None or not math.isfinite(v) else v for v in vals], diverged

    tuned, tuned_diverged = arm("tuned", None)
    t_mean, t_se = verdicts.mean_se(tuned)
    # a seed whose network learned nothing drags the mean far from what the settings reach
    dead = [s for s in p.seeds if by_key[("tuned", None, s)].learned_nothing]
    alive = [v for s, v in zip(p.seeds, tuned, strict=True) if s not in dead]
    a_mean, a_se = verdicts.mean_se(alive) if dead else (math.nan, math.nan)
    imp = importances(study, spec)
    counts: dict[str, int] = {}
    for t in trials:
        counts[t.state.name.lower()] = counts.get(t.state.name.lower(), 0) + 1

    rows, free = [], []
    for e in spec.space.entries:
        plan = plans[e.param]
        points = trial_points(study, e)
        row: dict[str, Any] = {
            "name": e.name,
            "param": e.param,
            "scale": e.kind,
            "condition": list(e.condition) if e.condition else None,
            "tuned": values.get(e.name),
            "importance": imp.get(e.param, {}),
        }
        if e.kind != "categorical":
            sens = verdicts.sensitivity([(x, y) for x, y, _ in points], spec.direction)
            row["sensitivity"] = sens.to_dict() if sens else None
            if sens is None:
                row["sensitivity_note"] = (
                    f"n/a (needs {2 * verdicts.MIN_PER_BIN} completed trials with distinct "
                    f"values, has {len(points)})"
                )
        if plan["kind"] == "free":
            band = p.tolerance * abs(best.value)
            sr = verdicts.safe_range([(x, y) for x, y, _ in points], band, spec.direction)
            row["safe_range"] = sr.to_dict() if sr else None
            free.append(row)
            continue
        row["kind"] = plan["kind"]
        row["default"] = plan.get("reference")
        row["note"] = plan.get("note", "")
        if plan["kind"] in ("default", "reference") and "n/a" not in row["note"]:
            arm_name = "default" if ("default", e.param, p.seeds[0]) in by_key else "tuned"
            dvals, d_div = arm(arm_name, e.param if arm_name == "default" else None)
            keep = [
                i for i, s in enumerate(p.seeds)
                if not (by_key[("tuned", None, s)].learned_nothing
                        and by_key[(arm_name, e.param if arm_name == "default" else None, s)]
                        .learned_nothing)
            ]  # fmt: skip
            dropped = [p.seeds[i] for i in range(len(p.seeds)) if i not in keep]
            if len(keep) < 2:
                row["gap"] = None
                row["note"] = (f"n/a: the network learned nothing in both arms on {len(dropped)} "
                               f"of {len(p.seeds)} seeds")  # fmt: skip
            else:
                cmp = verdicts.compare([tuned[i] for i in keep], [dvals[i] for i in keep],
                                       spec.direction, p.tolerance)  # fmt: skip
                row["gap"] = {**cmp.to_dict(), "default_diverged": d_div, "seeds_left_out": dropped}
        else:
            row["gap"] = None
        rows.append(row)

    worst_words = verdicts.worst_words(spec.direction, worst)
    stuck = _stuck_note(dead)
    return {
        "study": study.study_name,
        "sweep_file": str(spec.path),
        "data": spec.data.name,
        "objective": spec.objective,
        "direction": spec.direction,
        "epochs": spec.epochs,
        "trials": counts,
        "completed": len(complete),
        "best": {"trial": best.number, "value": best.value, "values": _plain(values)},
        "seeds": list(p.seeds),
        "tolerance": p.tolerance,
        "worst_value": worst,
        "tuned": {
            "values": tuned,
            "mean": t_mean,
            "se": t_se,
            "diverged": tuned_diverged,
            "learned_nothing": dead,
            "learning_mean": a_mean,
            "learning_se": a_se,
        },
        "parameters": rows,
        "free": free,
        "rules": verdicts.rules(p.tolerance, worst_words),
        "notes": [
            *p.notes,
            f"importances and sensitivity use the {len(complete)} completed trials; "
            f"{len(trials) - len(complete)} pruned or failed trials are left out",
            f"re-trained {len(outcomes)} runs: {len(p.seeds)} seeds ({_seeds(p.seeds)}) x "
            f"{len(outcomes) // max(1, len(p.seeds))} configurations, {spec.epochs} epochs each",
            *stuck,
        ],
        "runs": [_run_record(o, spec.objective) for o in outcomes],
    }


def _stuck_note(stuck: list[int]) -> list[str]:
    """A note when the tuned configuration learned nothing on some seed (see
    retrain.learned_nothing): e.g. every ReLU of a small network dead from the start."""
    if not stuck:
        return []
    return [
        f"on seed(s) {', '.join(map(str, stuck))} the tuned configuration learned nothing (its "
        "training cost ended at the cost of guessing the class frequencies); a seed on which "
        "both arms of a comparison learned nothing is left out of it"
    ]


def _run_record(o: Outcome, objective: str) -> dict:
    arm, param, seed = o.key
    return {
        "arm": arm,
        "param": param,
        "seed": seed,
        "status": o.status,
        "reason": o.reason,
        "final": o.final,
        "seconds": o.seconds,
        "epochs_run": o.epochs_run,
        "objective": o.value(objective),
        "curves": {
            "val_cost": o.val_cost,
            "train_cost": o.train_cost,
            "val_accuracy": o.val_accuracy,
        },
    }


def _seeds(seeds: list[int]) -> str:
    return f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 2 else ", ".join(map(str, seeds))


def _plain(d: dict) -> dict:
    return {k: v if isinstance(v, str | int | float | bool | type(None)) else str(v)
            for k, v in d.items()}  # fmt: skip


# --- writing -----------------------------------------------------------------------------------


def write(p: Prepared, content: dict) -> dict:
    """Markdown and PNGs at `p.out`, then (with tracking) the re-training runs under the parent
    run, the report as its artifacts and tags saying where it is. Returns where things went."""
    from sweeps import report_plots
    from tracking import report as tracking_report

    out = p.out
    out.parent.mkdir(parents=True, exist_ok=True)
    stem = out.stem
    pngs = report_plots.draw(p.study, p.spec, content, out.parent, stem)
    text = tracking_report.render_markdown(content, {k: v.name for k, v in pngs.items()})
    out.write_text(text)
    where: dict[str, Any] = {"markdown": str(out), "plots": [str(v) for v in pngs.values()]}
    if p.tracking_uri and p.parent_run_id:
        log = tracking_report.ReportLog(p.tracking_uri, p.parent_run_id, p.study.study_name)
        runs = [_mlflow_run(r, content) for r in content["runs"]]
        where["mlflow"] = log.log(runs, out, list(pngs.values()), _verdict_tags(content))
    return where


def _mlflow_run(r: dict, content: dict) -> dict:
    """A re-training as tracking/report.py logs it: names, params, tags, metrics, curves."""
    arm = r["arm"]
    label = "tuned" if arm == "tuned" else f"{r['param']}=default"
    final = {k: v for k, v in (r["final"] or {}).items() if v is not None}
    return {
        "name": f"report {label} seed={r['seed']}",
        "status": "FAILED" if r["status"] in ("diverged", "error") else "FINISHED",
        "tags": {
            "optsweep.report.arm": "tuned" if arm == "tuned" else "default",
            "optsweep.report.param": r["param"] or "",
            "optsweep.report.seed": r["seed"],
            "optsweep.report.status": r["status"],
        },
        "params": {
            "seed": r["seed"],
            "arm": arm,
            "param": r["param"] or "",
            "epochs": content["epochs"],
        },
        "metrics": {**final, "seconds": r["seconds"], "epochs_run": r["epochs_run"]},
        "curves": r["curves"],
    }


def _verdict_tags(content: dict) -> dict[str, str]:
    parts = [f"{r['name']}: {r['gap']['verdict']}" for r in content["parameters"] if r["gap"]]
    return {"optsweep.report.verdicts": "; ".join(parts)}
