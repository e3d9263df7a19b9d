"""What the defaults report measured, as data: the schema the Markdown, the terminal, the JSON
and MLflow all read (as `TrainResult` is for one training run).

    report.selection.chosen          # the trial re-trained as "tuned" (chosen on other seeds)
    report.parameters[0].comparison  # statistics.Comparison: gap, bounds, verdict
    report.free[0].measured          # the safe range measured by re-training, if any
    report.to_dict()                 # JSON-ready (`optsweep report --json`)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from analysis.statistics import Comparison, SafeRange, Sensitivity


@dataclass(frozen=True)
class Candidate:
    """One of the sweep's top trials, re-trained on the selection seeds."""

    trial: int
    sweep_value: float  # its objective in the sweep (one seed: optimistic for the best)
    values: dict[str, Any]
    mean: float  # over the selection seeds where it learned
    se: float
    failures: int = 0  # selection seeds on which it learned nothing or diverged
    median: float = math.nan  # over the selection seeds where it learned: what ranks it


@dataclass(frozen=True)
class Selection:
    """How "tuned" was chosen: the sweep's top trials re-trained on seeds of their own, the
    fewest failures then the lowest median there taken, so that the comparison on other seeds
    does not inherit the luck of being the best of many (the winner's curse)."""

    seeds: list[int]
    candidates: list[Candidate]
    chosen: int  # trial number
    tied: list[int] = field(default_factory=list)  # candidates not shown worse than the chosen

    @property
    def values(self) -> dict[str, Any]:
        return next(c.values for c in self.candidates if c.trial == self.chosen)


@dataclass(frozen=True)
class Look:
    """One look of the sequential plan at a comparison: its seeds and what it said."""

    seeds: int
    verdict: str
    lower: float
    upper: float
    alpha: float = 0.05  # the look's level


@dataclass
class ParameterVerdict:
    """A searched parameter with a default (or a reference value): the paired comparison of the
    tuned configuration with the one that resets only this parameter."""

    name: str
    param: str  # Optuna's name
    scale: str
    condition: list[str] | None
    tuned: Any
    default: Any
    kind: str  # "default" | "reference" | "choice"
    importance: dict[str, dict]
    compared: bool = False  # re-trained against tuned (False: a choice, n/a, or already gap 0)
    sensitivity: Sensitivity | None = None
    sensitivity_note: str = ""
    note: str = ""
    comparison: Comparison | None = None
    looks: list[Look] = field(default_factory=list)
    default_diverged: int = 0
    seeds_left_out: list[int] = field(default_factory=list)

    @property
    def label(self) -> str:
        """As the sweep file names it (beta1, adam.alpha), not Optuna's raw name."""
        return f"{self.condition[1]}.{self.name}" if self.condition else self.name

    @property
    def verdict(self) -> str | None:
        return self.comparison.verdict if self.comparison else None


@dataclass(frozen=True)
class RangePoint:
    """The tuned configuration with the parameter at `value`, against the tuned value."""

    value: float
    mean: float
    se: float
    comparison: Comparison | None  # None at the tuned value itself


@dataclass(frozen=True)
class MeasuredRange:
    """The values around the tuned one that held up against it, tested in a fixed order on the
    report's rounds (fixed-sequence testing), as one interval; `stopped` is the value that
    ended the sequence (None: every value held up)."""

    low: float | None
    high: float | None
    seeds: list[int]
    points: list[RangePoint]  # the tuned value and the values tested, in order of value
    order: list[float] = field(default_factory=list)
    stopped: float | None = None


@dataclass
class FreeParameter:
    """A searched parameter without a default (alpha): its best value and where it is safe."""

    name: str
    param: str
    scale: str
    condition: list[str] | None
    tuned: Any
    importance: dict[str, dict]
    sensitivity: Sensitivity | None = None
    sensitivity_note: str = ""
    trial_band: SafeRange | None = None  # read off the sweep's trials (a point when few)
    measured: MeasuredRange | None = None

    @property
    def label(self) -> str:
        return f"{self.condition[1]}.{self.name}" if self.condition else self.name


@dataclass(frozen=True)
class Arm:
    """The tuned configuration's runs on the evaluation seeds."""

    values: list[float]
    diverged: int
    learned_nothing: list[int]  # seeds on which it ended at the cost of a constant guess
    mean: float
    se: float
    learning_mean: float = math.nan  # over the other seeds, when some learned nothing
    learning_se: float = math.nan


@dataclass(frozen=True)
class RunRecord:
    """One re-training, as MLflow logs it."""

    arm: str  # "select" | "tuned" | "default" | "range"
    param: str | None
    value: Any
    seed: int
    status: str
    reason: str
    final: dict
    seconds: float
    epochs_run: int
    objective: float | None
    curves: dict[str, list[float]]
    learned_nothing: bool = False  # ended at the cost of a constant guess (retraining.py)

    @property
    def failed(self) -> bool:
        """Learned nothing or diverged (no finite objective): a failure in the two-part rule,
        left out of the seed bands and counted apart (analysis/seed_bands.py)."""
        return self.learned_nothing or self.objective is None or not math.isfinite(self.objective)


@dataclass
class DefaultsReport:
    study: str
    sweep_file: str
    data: str
    objective: str
    direction: str
    epochs: int
    trials: dict[str, int]  # state -> count
    completed: int
    best: dict[str, Any]  # the sweep's best trial: trial, value, values
    selection: Selection
    seeds: list[int]  # the evaluation seeds reached
    plan: dict[str, Any]  # rounds, per-look alpha, cap
    tolerance: float
    worst_value: float
    tuned: Arm
    parameters: list[ParameterVerdict]
    free: list[FreeParameter]
    rules: list[str]
    notes: list[str]
    runs: list[RunRecord]
    second: dict[str, Any] | None = None  # two objectives: the second's median per arm, shown

    def to_dict(self) -> dict:
        """JSON-ready: every dataclass as a dict, comparisons with their seeds_needed."""
        d = asdict(self)
        for row, p in zip(d["parameters"], self.parameters, strict=True):
            row["label"], row["verdict"] = p.label, p.verdict
            row["comparison"] = p.comparison.to_dict() if p.comparison else None
        for row, f in zip(d["free"], self.free, strict=True):
            row["label"] = f.label
            if f.measured:
                for pt, point in zip(row["measured"]["points"], f.measured.points, strict=True):
                    pt["comparison"] = point.comparison.to_dict() if point.comparison else None
        return d
