"""Where the claims' studies live and how a claim re-trains: the `Context` every claim's
`measure` gets, and the trial helpers they share.

    ctx = Context(store, seeds=[1, 2, 3, 4, 5], workers=2)   # the studies, already swept
    study, spec = ctx.study("decay.toml")                      # a sweep file beside its claim
    runs = ctx.retrain(study, spec, {"on": {...}, "off": {...}})  # label -> outcomes per seed

Comparisons are paired by seed (seed s: the same split and the same initial weights for every
arm). Re-trainings go to MLflow under the study's parent run when tracking is on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.retraining import Job, Outcome
from analysis.retraining import run as run_jobs
from findings.evidence import drop_dead_seeds
from sweeps.attrs import PARENT_ATTR, VALUES_ATTR

FINDINGS_DIR = Path(__file__).resolve().parent  # the claims' sweep files sit beside them


@dataclass
class Context:
    """Where the claims' studies live and how to re-train; `retrain` logs to MLflow if asked."""

    store: Path
    seeds: list[int]
    workers: int = 2
    tracking_uri: str | None = None
    figures: Path = Path("docs/findings")
    report_seeds: Any = "auto"  # the defaults report's --seeds, for the claims that run it
    seconds: dict[str, float] = field(default_factory=dict)  # re-training time per study
    cache: dict[str, Any] = field(default_factory=dict)  # runs shared by claims
    left_out: dict[str, list[int]] = field(default_factory=dict)  # seeds dead in every arm

    def study(self, sweep_file: str):
        """(study, spec) of a claim's sweep file (beside it), as swept into the store."""
        from sweeps import storage as storage_mod
        from sweeps.sweep_file import load

        spec = load(FINDINGS_DIR / sweep_file)
        cfg = storage_mod.resolve(str(self.store / storage_mod.DEFAULT_JOURNAL))
        return storage_mod.load_study(cfg, spec.name), spec

    def retrain(
        self,
        study,
        spec,
        arms: dict[Any, dict],
        stop_below: float | None = None,
        max_seconds: float | None = None,
        timed: bool = False,
        epochs: Callable[[Any, dict], int] | None = None,
        spec_of: Callable[[Any], Any] | None = None,
    ) -> dict[Any, list[Outcome]]:
        """Every arm (a label -> hyperparameter values) trained on every seed, in parallel.

        `epochs(label, values)` may set an arm's own epoch budget, `spec_of(label)` its own
        sweep spec (data and fixed settings). The runs go to MLflow under the study's parent run."""
        import time

        jobs = []
        for label, values in arms.items():
            s = spec_of(label) if spec_of else spec
            config = s.config_for(values).to_dict()
            if epochs is not None:
                config["epochs"] = epochs(label, values)
            for seed in self.seeds:
                jobs.append(
                    Job(
                        (label, seed),
                        {**config, "seed": seed},
                        s.data.to_dict(),
                        stop_below=stop_below,
                        max_seconds=max_seconds,
                        timed=timed,
                    )
                )
        start = time.perf_counter()
        outcomes = run_jobs(jobs, self.workers)
        self.seconds[spec.name] = self.seconds.get(spec.name, 0.0) + time.perf_counter() - start
        self._log(study, outcomes)
        out: dict[Any, list[Outcome]] = {label: [] for label in arms}
        for o in outcomes:
            out[o.key[0]].append(o)
        out, dropped = drop_dead_seeds(out, self.seeds)
        self.left_out[spec.name] = dropped
        return out

    def _log(self, study, outcomes: list[Outcome]) -> None:
        from tracking.report_runs import ReportLog, ReportRun

        parent = study.user_attrs.get(PARENT_ATTR)
        if not self.tracking_uri or not parent:
            return
        log = ReportLog(self.tracking_uri, parent, study.study_name)
        for o in outcomes:
            label, seed = o.key
            name = "/".join(map(str, label)) if isinstance(label, tuple) else str(label)
            log.log_run(
                ReportRun(
                    name=f"claim {name} seed={seed}",
                    status="FAILED" if o.status in ("diverged", "error") else "FINISHED",
                    tags={
                        "optsweep.report.arm": name,
                        "optsweep.report.seed": seed,
                        "optsweep.report.status": o.status,
                        "optsweep.claim": "findings",
                    },
                    params={"seed": seed, "arm": name},
                    metrics={
                        **{k: v for k, v in o.final.items() if v is not None},
                        "seconds": o.seconds,
                        "epochs_run": o.epochs_run,
                    },
                    curves={"val_cost": o.val_cost, "train_cost": o.train_cost},
                )
            )


def trial_values(t) -> dict:
    return dict(t.user_attrs.get(VALUES_ATTR) or {})


def completed(study) -> list:
    from optuna.trial import TrialState

    return [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.value is not None and math.isfinite(t.value)
    ]


def best_per(study, key: Callable[[dict], Any]) -> dict[Any, tuple[dict, float]]:
    """Group -> (values, objective) of the group's best completed trial (lowest val_cost)."""
    out: dict[Any, tuple[dict, float]] = {}
    for t in completed(study):
        v = trial_values(t)
        k = key(v)
        if k is not None and (k not in out or t.value < out[k][1]):
            out[k] = (v, t.value)
    return out


def grid_trials(study, by: str | None) -> list[dict]:
    """Every completed grid trial's values and objective (for the plots)."""
    return [{**trial_values(t), "value": t.value} for t in completed(study)]
