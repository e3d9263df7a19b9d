"""The defaults report's inputs: the options, the study and its sweep file, checked, as
`Prepared`; nothing is written here.

    prepared = report_inputs.load("default", seeds="auto")   # `optsweep report`, the API
    prepared = report_inputs.prepare(study, spec, seeds=10)  # the end of a sweep, the findings

A bad option, an unknown study, a study without a completed trial of its own or a tracking store
without the study's parent run raises one ConfigError line. The messages name the options as a
user gives them (`--seeds`, `--out`): the CLI and the Python API (which takes the same names)
share these checks, so the procedure (defaults_report.py) and its outputs (report_outputs.py)
never see an unchecked value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import statistics
from core.errors import ConfigError
from sweeps import summary
from sweeps.attrs import PARENT_ATTR, SPEC_ATTR, SWEEP_DOC_ATTR, VALUES_ATTR, WARM_ATTR

AUTO = "auto"

DEFAULT_SEEDS = AUTO  # `optsweep report` and the end of `optsweep sweep`

MAX_SEEDS = 100

TOP_K = 5  # candidates for "tuned", re-trained on the selection seeds

SELECTION_SEEDS = 6  # 6: the fewest on which a signed-rank bound can tell two candidates apart

REPORTS_DIR = "reports"


@dataclass
class Prepared:
    """Everything the report needs, checked; nothing has been written yet."""

    study: Any  # optuna.Study
    spec: Any  # sweeps.sweep_file.SweepSpec
    rounds: tuple[int, ...]  # seeds per look: (10, 20, 40) for auto, (N,) for N
    tolerance: float
    workers: int
    out: Path  # the Markdown file; PNGs go beside it
    tracking_uri: str | None  # None: no MLflow logging
    parent_run_id: str | None
    references: dict[str, Any] = field(default_factory=dict)  # name -> value to compare with
    notes: list[str] = field(default_factory=list)
    top_k: int = TOP_K

    @property
    def base_seed(self) -> int:
        return int(self.spec.train.get("seed", 0))

    @property
    def selection_seeds(self) -> list[int]:
        """Seeds the sweep (its `seed`) did not use, for choosing among the top trials."""
        return [self.base_seed + 1 + i for i in range(SELECTION_SEEDS)]

    @property
    def seeds(self) -> list[int]:
        """The evaluation seeds, up to the plan's cap: none of them chose the tuned trial."""
        start = self.base_seed + 1 + SELECTION_SEEDS
        return [start + i for i in range(self.rounds[-1])]

    @property
    def look_alphas(self) -> tuple[float, ...]:
        """Each look's level: the alpha-spending plan's increments (one look: alpha itself)."""
        return statistics.look_alphas(self.rounds)

    @property
    def look_alpha(self) -> float:
        """The last look's level."""
        return self.look_alphas[-1]


def seed_plan(seeds, flag: str = "--seeds") -> tuple[int, ...]:
    """The rounds of seeds for `seeds`: "auto" (10, 20, 40), or one look at N seeds."""
    if isinstance(seeds, str) and seeds.strip().lower() == AUTO:
        return statistics.ROUNDS
    if isinstance(seeds, str):
        try:
            seeds = int(seeds)
        except ValueError:
            raise ConfigError(
                f"{flag} takes 'auto' or a whole number >= 2, got {seeds!r}"
            ) from None
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 2:
        raise ConfigError(
            f"{flag} must be 'auto' or a whole number >= 2 (a standard error needs two), "
            f"got {seeds!r}"
        )
    if seeds > MAX_SEEDS:
        raise ConfigError(f"{flag} {seeds} is more re-training than a report needs; use <= 100")
    return (seeds,)


def check_options(seeds, tolerance: float, workers: int, flag: str = "--seeds") -> tuple:
    rounds = seed_plan(seeds, flag)
    if not (isinstance(tolerance, int | float) and math.isfinite(tolerance)):
        raise ConfigError(f"--tolerance must be a number, got {tolerance!r}")
    if not 0 <= tolerance < 1:
        raise ConfigError(
            f"--tolerance is relative: give a fraction in [0, 1), e.g. 0.01 for 1% "
            f"(got {tolerance})"
        )
    from sweeps.sweep import check_workers

    check_workers(workers)
    return rounds


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
    seeds=DEFAULT_SEEDS,
    tolerance: float = statistics.DEFAULT_TOLERANCE,
    workers: int = 2,
    out: str | Path | None = None,
) -> Prepared:
    """The `optsweep report` inputs, checked: the study, its sweep file and its parent run."""
    from sweeps import storage as storage_mod
    from sweeps import sweep_file

    check_options(seeds, tolerance, workers)
    out_path = check_out(Path(out) if out else default_out(study_name))
    cfg = storage_mod.resolve(storage)
    study = storage_mod.load_study(cfg, study_name)
    stored = study.user_attrs.get(SWEEP_DOC_ATTR)
    path = study.user_attrs.get(SPEC_ATTR)
    if isinstance(stored, dict) and "doc" in stored:  # the file as the study was created from
        spec = sweep_file.load_doc(stored["doc"], stored["path"])
    elif not path:
        raise ConfigError(f"study {study_name!r} has no sweep file recorded; run it with "
                          "`optsweep sweep` first")  # fmt: skip
    elif not Path(path).is_file():
        raise ConfigError(
            f"study {study_name!r} was run from {path}, which is gone; the report needs "
            "its search space: restore the file"
        )
    else:
        spec = sweep_file.load(path)
    uri, parent = None, None
    if track:
        uri, parent = _tracking(study, tracking_uri)
    return prepare(study, spec, seeds=seeds, tolerance=tolerance, workers=workers, out=out_path,
                   tracking_uri=uri, parent_run_id=parent)  # fmt: skip


def _tracking(study, tracking_uri: str | None) -> tuple[str | None, str | None]:
    from tracking import report_runs, store
    from tracking.errors import TrackingError

    parent = study.user_attrs.get(PARENT_ATTR)
    if parent is None:
        return None, None  # run with --no-track: the report goes to files only
    try:
        uri = store.resolve(tracking_uri)
        report_runs.check_parent(uri, parent)
    except TrackingError as e:
        raise ConfigError(f"{e}; or pass --no-track to write the report to files only") from None
    return uri, parent


def prepare(
    study,
    spec,
    *,
    seeds=DEFAULT_SEEDS,
    tolerance: float = statistics.DEFAULT_TOLERANCE,
    workers: int = 2,
    out: Path | None = None,
    tracking_uri: str | None = None,
    parent_run_id: str | None = None,
    references: Mapping[str, Any] | None = None,
) -> Prepared:
    """Check a study and the options; `references` compares parameters without a default
    (e.g. {"alpha": 0.0007}) like defaults."""

    rounds = check_options(seeds, tolerance, workers)
    theirs = [d.name.lower() for d in study.directions]
    if theirs != list(spec.all_directions):
        raise ConfigError(
            f"study {study.study_name!r} {', '.join(theirs)}s but its sweep file "
            f"{', '.join(spec.all_directions)}s {', '.join(spec.all_objectives)}; restore the "
            "file the study ran with"
        )
    if not top_trials(study, 1):  # of its own: a warm start's copies are not its results
        raise ConfigError(
            f"study {study.study_name!r} has no completed trial yet; run the sweep (or resume "
            "it) until one completes"
        )
    return Prepared(
        study=study,
        spec=spec,
        rounds=tuple(rounds),
        tolerance=float(tolerance),
        workers=int(workers),
        out=check_out(out or default_out(study.study_name)),
        tracking_uri=tracking_uri,
        parent_run_id=parent_run_id,
        references=dict(references or {}),
    )


def trial_values(trial, spec) -> dict:
    """A trial's hyperparameter values (betas, batch size), not Optuna's raw params."""
    return dict(trial.user_attrs.get(VALUES_ATTR) or spec.space.values_from_params(trial.params))


def top_trials(study, k: int) -> list:
    """The k best completed trials by the objective, best first; with two objectives, the
    Pareto trial best on the first alone. The study's own trials, as its summary counts them:
    a warm start's copies of another study's trials inform the sampler, not the report."""
    from optuna.trial import TrialState

    done = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.values and all(math.isfinite(v) for v in t.values) and WARM_ATTR not in t.user_attrs
    ]
    if len(study.directions) > 1:
        return summary.pareto_front(study, done)[:1]
    sign = 1.0 if study.direction.name == "MINIMIZE" else -1.0
    return sorted(done, key=lambda t: (sign * t.value, t.number))[:k]
