"""The defaults report's procedure: which searched hyperparameters can stay at their textbook
defaults, measured by re-training.

    prepared = defaults_report.load("default", seeds="auto")  # report_inputs: checks, no writes
    report = defaults_report.measure(prepared, on_done=...)     # here: re-trains, DefaultsReport
    where = defaults_report.write(prepared, report)             # report_outputs: files, MLflow

1. Selection. The sweep's best trial is the best of many on one seed, so it is optimistic: the
   top trials are re-trained on selection seeds of their own and the one with the fewest
   learning failures, then the lowest median cost over the seeds where it learned, is the
   tuned configuration (the winner's curse stays on those seeds; one dead seed cannot pick it).
   The candidates the selection seeds do not tell apart from it are named as tied.
2. Comparison. On other seeds, the tuned configuration and, per parameter with a default, the
   same configuration with that one parameter reset, paired by seed; `statistics.compare`'s
   two-part rule (learning failures apart, the cost where both learned) says "holds up",
   "needs tuning" or "inconclusive". With `seeds="auto"` the seeds come in rounds (10, 20,
   40): each undecided comparison is judged again on all its seeds at that look's level of the
   alpha-spending plan (statistics.look_alphas), until every one is decided or the cap.
3. Safe range. A parameter without a default (alpha) gets the interval around its tuned value
   where the objective stays within the tolerance: the tuned configuration re-trained at
   values spaced on the parameter's scale, tested outward from tuned in a fixed order (nearest
   first, below before above) on the same rounds and levels as the defaults, stopping at the
   first value that does not hold up (fixed-sequence testing: the range's error stays alpha).

A study of two objectives (sweeps/objectives.py): tuned is the Pareto trial best on the first
objective (no selection among the top trials: the others on the front trade the first objective
for the second), every comparison judges the first objective, and the second is measured on the
same re-trainings and shown beside it (`DefaultsReport.second`), not judged.

Importances (fANOVA, PED-ANOVA) and each parameter's sensitivity come from the sweep's trials.
Its inputs arrive checked (analysis/report_inputs.py: `load` for the CLI and the API, `prepare`
for the end of a sweep), so nothing here speaks of options; the result is data (DefaultsReport,
analysis/defaults_result.py) that analysis/report_outputs.py writes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from analysis import statistics
from analysis.defaults_result import (
    Arm,
    Candidate,
    DefaultsReport,
    FreeParameter,
    Look,
    MeasuredRange,
    ParameterVerdict,
    RangePoint,
    RunRecord,
    Selection,
)
from analysis.importances import importances
from analysis.report_inputs import (
    AUTO,
    DEFAULT_SEEDS,
    MAX_SEEDS,
    Prepared,
    check_options,
    default_out,
    load,
    prepare,
    top_trials,
    trial_values,
)
from analysis.report_outputs import write
from analysis.retraining import Job, Outcome
from analysis.retraining import run as run_jobs
from sweeps import summary

__all__ = [  # the report in three steps: load (or prepare), measure, write
    "AUTO", "DEFAULT_SEEDS", "MAX_SEEDS", "Prepared", "check_options", "default_out", "load",
    "measure", "prepare", "top_trials", "write",
]  # fmt: skip

RANGE_POINTS = 9  # values for a safe range: spaced over two decades of the parameter's scale
RANGE_DECADES = 2.0


class _Outcomes:
    """Re-trains on demand and keeps every outcome, keyed (arm, param, value, seed)."""

    def __init__(self, p: Prepared, on_done: Callable[[Outcome], None] | None, processes) -> None:
        self.p, self.on_done, self.processes = p, on_done, processes
        self.by_key: dict[tuple, Outcome] = {}
        self.order: list[tuple] = []

    def train(self, arms: Mapping[tuple, dict], seeds: Sequence[int]) -> None:
        """Every (arm key -> values) on every seed it has not run yet."""
        spec = self.p.spec
        data = spec.data.to_dict()
        jobs = []
        for key, values in arms.items():
            config = spec.config_for(values).to_dict()
            for s in seeds:
                if (*key, s) not in self.by_key:
                    jobs.append(Job((*key, s), {**config, "seed": s}, data))
        for o in run_jobs(jobs, self.p.workers, self.on_done, self.processes):
            self.by_key[o.key] = o
            self.order.append(o.key)

    def values(self, key: tuple, seeds: Sequence[int], worst: float) -> list[float]:
        out = []
        for s in seeds:
            v = self.by_key[(*key, s)].value(self.p.spec.objective)
            out.append(worst if v is None or not math.isfinite(v) else float(v))
        return out

    def dead(self, key: tuple, seeds: Sequence[int]) -> list[int]:
        return [s for s in seeds if self.by_key[(*key, s)].learned_nothing]

    def failed(self, key: tuple, seeds: Sequence[int]) -> list[bool]:
        """Per seed: the run learned nothing or diverged (a failure in the two-part rule)."""
        objective = self.p.spec.objective
        out = []
        for s in seeds:
            o = self.by_key[(*key, s)]
            v = o.value(objective)
            out.append(o.learned_nothing or v is None or not math.isfinite(v))
        return out

    def worst(self, study) -> float:
        from optuna.trial import TrialState

        spec = self.p.spec
        observed = [
            t.values[0] for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        ]
        observed += [o.value(spec.objective) for o in self.by_key.values()]
        n_classes = next(iter(self.by_key.values())).n_classes if self.by_key else 2
        return statistics.worst_value(spec.direction, observed, n_classes)


TUNED = ("tuned", None, None)


def select(p: Prepared, outcomes: _Outcomes) -> Selection:
    """Re-train the top trials on the selection seeds; "tuned" is the one with the fewest
    learning failures there, then the lowest median objective (as a loss) over the seeds where
    it learned: a statistic one dead seed cannot dominate. The others that the same two-part
    comparison cannot tell from it on those seeds are tied (`Selection.tied`)."""
    spec = p.spec
    top = top_trials(p.study, p.top_k)
    arms = {("select", None, t.number): trial_values(t, spec) for t in top}
    if len(top) > 1:
        outcomes.train(arms, p.selection_seeds)
    worst = outcomes.worst(p.study) if outcomes.by_key else math.inf
    sign = 1.0 if spec.direction == "minimize" else -1.0
    candidates, runs = [], {}
    for t in top:
        failures, median = 0, math.nan
        m = se = math.nan
        if len(top) > 1:
            key = ("select", None, t.number)
            vals = outcomes.values(key, p.selection_seeds, worst)
            failed = outcomes.failed(key, p.selection_seeds)
            runs[t.number] = (vals, failed)
            learned = [x for x, f in zip(vals, failed, strict=True) if not f]
            failures = sum(failed)
            m, se = statistics.mean_se(learned)
            median = statistics.median(learned) if learned else math.nan
        candidates.append(Candidate(t.number, float(t.values[0]), trial_values(t, spec), m, se,
                                    failures=failures, median=median))  # fmt: skip

    def rank(c: Candidate) -> tuple:
        return (c.failures, sign * c.median if math.isfinite(c.median) else math.inf, c.trial)

    chosen = min(candidates, key=rank) if len(top) > 1 else candidates[0]
    tied = []
    for c in candidates:
        if c.trial == chosen.trial or c.trial not in runs:
            continue
        (cv, cf), (ov, of) = runs[chosen.trial], runs[c.trial]
        told = statistics.compare(cv, ov, spec.direction, p.tolerance, tuned_failed=cf,
                                  default_failed=of)  # fmt: skip
        if told.verdict != statistics.NEEDS:  # not shown worse than the chosen one
            tied.append(c.trial)
    return Selection(p.selection_seeds if len(top) > 1 else [], candidates, chosen.trial, tied)


def _parameters(p: Prepared, values: dict) -> tuple[list[ParameterVerdict], list[FreeParameter]]:
    """The rows of the report, before any comparison: what each parameter is compared with."""
    spec, study = p.spec, p.study
    imp = importances(study, spec)
    rows, free = [], []
    for e in spec.space.entries:
        points = summary.trial_points(study, e)
        sens, sens_note = None, ""
        if e.kind != "categorical":
            sens = statistics.sensitivity([(x, y) for x, y, _ in points], spec.direction)
            if sens is None:
                sens_note = (f"n/a (needs {2 * statistics.MIN_PER_BIN} completed trials with "
                             f"distinct values, has {len(points)})")  # fmt: skip
        common = dict(name=e.name, param=e.param, scale=e.kind, tuned=values.get(e.name),
                      condition=list(e.condition) if e.condition else None,
                      importance=imp.get(e.param, {}), sensitivity=sens,
                      sensitivity_note=sens_note)  # fmt: skip
        if e.kind == "categorical":
            note = "a choice between optimizers, no default"
            rows.append(ParameterVerdict(**common, default=None, kind="choice", note=note))
            continue
        reference = e.default if e.default is not None else p.references.get(e.name)
        if reference is None:
            band = p.tolerance * abs(top_trials(study, 1)[0].values[0])
            band_range = statistics.safe_range([(x, y) for x, y, _ in points], band, spec.direction)
            free.append(FreeParameter(**common, trial_band=band_range))
            continue
        kind = "default" if e.default is not None else "reference"
        row = ParameterVerdict(**common, default=reference, kind=kind, compared=True)
        if kind == "reference":
            row.note = f"no textbook default: compared with {reference:g}"
        if e.condition is not None and values.get(e.condition[0]) != e.condition[1]:
            row.compared = False
            row.note = (f"n/a: the tuned configuration uses {e.condition[0]} "
                        f"{values.get(e.condition[0])}, not {e.condition[1]}")  # fmt: skip
        elif values.get(e.name) == reference:
            row.compared = False
            row.note = f"the tuned configuration already uses the {kind}: gap 0"
        rows.append(row)
    return rows, free


def compare_in_rounds(
    p: Prepared,
    outcomes: _Outcomes,
    values: dict,
    rows: list[ParameterVerdict],
    worst_of,
    ranges: Sequence[RangeTest] = (),
) -> list[int]:
    """The sequential plan: each look trains the tuned arm, the undecided arms and each safe
    range's value under test on the next round's seeds, then judges those on all their seeds
    at the look's level. Returns the seeds reached."""
    active = [r for r in rows if r.compared]
    levels = p.look_alphas
    reached: list[int] = []
    for i, n in enumerate(p.rounds):
        undecided = [r for r in active if r.verdict in (None, statistics.INCONCLUSIVE)]
        seeds = p.seeds[:n]
        arms = {TUNED: values}
        arms.update({("default", r.param, None): {**values, r.name: r.default} for r in undecided})
        for rt in ranges:
            arms.update(rt.arms())
        outcomes.train(arms, seeds)
        worst = worst_of()
        for r in undecided:
            judge(p, outcomes, r, seeds, worst, levels[i])
        last = i == len(p.rounds) - 1
        for rt in ranges:
            rt.look(outcomes, seeds, worst_of, levels[i], last)
        reached = seeds
        verdicts = [r.verdict or statistics.INCONCLUSIVE for r in active]
        verdicts += [statistics.INCONCLUSIVE for rt in ranges if not rt.done]
        if statistics.next_round(p.rounds, n, verdicts) is None:  # all decided, or the cap
            break
    for rt in ranges:
        rt.finish()
    return reached


def judge(
    p: Prepared,
    outcomes: _Outcomes,
    row: ParameterVerdict,
    seeds: list[int],
    worst,
    alpha: float = statistics.ALPHA,
) -> None:
    """Compare the tuned arm with `row`'s arm on `seeds` at level `alpha` (two parts: the
    learning failures of each arm, the cost where both learned); record the look."""
    spec = p.spec
    key = ("default", row.param, None)
    row.default_diverged = sum(
        outcomes.by_key[(*key, s)].value(spec.objective) is None for s in seeds
    )
    cmp = statistics.compare(
        outcomes.values(TUNED, seeds, worst), outcomes.values(key, seeds, worst),
        spec.direction, p.tolerance, alpha=alpha,
        tuned_failed=outcomes.failed(TUNED, seeds), default_failed=outcomes.failed(key, seeds),
    )  # fmt: skip
    row.comparison = cmp
    row.looks.append(Look(len(seeds), cmp.verdict, cmp.lower, cmp.upper, alpha))


def range_values(entry, tuned: float) -> list[float]:
    """RANGE_POINTS values spaced evenly on the parameter's scale over RANGE_DECADES decades
    centred on `tuned` (log scales; a linear scale spans its search range), inside the search
    range, the tuned value among them."""
    import numpy as np

    low, high = float(entry.low), float(entry.high)
    steps = RANGE_DECADES * np.linspace(-0.5, 0.5, RANGE_POINTS)  # decades around the tuned
    if entry.kind == "log":
        pts = tuned * 10.0**steps  # the centre is tuned itself, exactly: 10**0 == 1
    elif entry.kind == "log1m":  # betas: 1 - beta on a log scale
        pts = 1 - (1 - tuned) * 10.0**steps
    else:
        pts = tuned + (high - low) / 2 * np.linspace(-1, 1, RANGE_POINTS)
    inside = {float(v) for v in pts if low <= v <= high} | {float(tuned)}
    return sorted(inside)


def range_order(grid: Sequence[float], tuned: float) -> list[float]:
    """The fixed testing order of a safe range: outward from tuned, nearest first, the value
    below before the one above at each distance (one side alone once the other runs out)."""
    i = list(grid).index(tuned)
    below, above = list(reversed(grid[:i])), list(grid[i + 1 :])
    out = []
    for k in range(max(len(below), len(above))):
        out += [side[k] for side in (below, above) if k < len(side)]
    return out


class RangeTest:
    """A safe range by fixed-sequence testing on the report's rounds: the values in
    `range_order`, each judged against tuned with the two-part rule at each look's level from
    the look where its turn comes; a value that holds up hands the same look to the next, the
    first that needs tuning (or is still inconclusive at the cap) ends the sequence. The range
    is the span of the values that held up: its error stays alpha without splitting it."""

    def __init__(self, p: Prepared, values: dict, f: FreeParameter, entry) -> None:
        self.p, self.values, self.f = p, values, f
        self.tuned = float(f.tuned)
        self.grid = range_values(entry, self.tuned)
        self.order = range_order(self.grid, self.tuned)
        self.next = 0  # index in `order` of the value under test
        self.held: list[float] = []
        self.tested: dict[float, statistics.Comparison] = {}
        self.stopped: float | None = None  # the value that ended the sequence
        self.seeds: list[int] = []

    @property
    def done(self) -> bool:
        return self.stopped is not None or self.next >= len(self.order)

    def key(self, v: float) -> tuple:
        return ("range", self.f.param, v)

    def arms(self) -> dict:
        if self.done:
            return {}
        v = self.order[self.next]
        return {self.key(v): {**self.values, self.f.name: v}}

    def look(self, outcomes: _Outcomes, seeds: list[int], worst_of, alpha: float, last: bool):
        spec = self.p.spec
        self.seeds = list(seeds)
        while not self.done:
            v = self.order[self.next]
            outcomes.train({TUNED: self.values, **self.arms()}, seeds)
            worst = worst_of()
            cmp = statistics.compare(
                outcomes.values(TUNED, seeds, worst), outcomes.values(self.key(v), seeds, worst),
                spec.direction, self.p.tolerance, alpha=alpha,
                tuned_failed=outcomes.failed(TUNED, seeds),
                default_failed=outcomes.failed(self.key(v), seeds),
            )  # fmt: skip
            self.tested[v] = cmp
            if cmp.verdict == statistics.HOLDS:
                self.held.append(v)
                self.next += 1
                continue
            if cmp.verdict == statistics.NEEDS or last:
                self.stopped = v
            return

    def finish(self) -> None:
        if not self.done:  # the rounds ended before the cap (seeds ran out): stop here
            self.stopped = self.order[self.next]

    def measured(self, outcomes: _Outcomes) -> MeasuredRange:
        worst = outcomes.worst(self.p.study)
        points = []
        for v in self.grid:
            if v != self.tuned and v not in self.tested:
                continue
            key = TUNED if v == self.tuned else self.key(v)
            c = self.tested.get(v)
            k = len(c.tuned) if c else len(self.seeds)
            seeds = self.seeds[:k]
            vals = outcomes.values(key, seeds, worst)
            learned = [x for x, f in zip(vals, outcomes.failed(key, seeds), strict=True) if not f]
            m, se = statistics.mean_se(learned)
            points.append(RangePoint(v, m, se, c))
        span = [self.tuned, *self.held]
        return MeasuredRange(min(span), max(span), self.seeds, points, self.order,
                             self.stopped)  # fmt: skip


def range_test(p: Prepared, values: dict, f: FreeParameter) -> RangeTest | None:
    """The safe range's test of a parameter without a default, or None when it has none (a
    power-of-two scale, or a condition the tuned configuration does not meet)."""
    entry = p.spec.space.entry(f.param)
    if entry.kind == "pow2" or f.tuned is None:
        return None
    if entry.condition is not None and values.get(entry.condition[0]) != entry.condition[1]:
        return None
    return RangeTest(p, values, f, entry)


def measure(p: Prepared, on_done: Callable[[Outcome], None] | None = None) -> DefaultsReport:
    """Select, compare in rounds, measure the safe ranges: the report as data."""
    from analysis.retraining import pool

    with pool(p.workers) as processes:  # kept for every round: one start-up, not one a round
        return _measure(p, _Outcomes(p, on_done, processes))


def _measure(p: Prepared, outcomes: _Outcomes) -> DefaultsReport:
    from optuna.trial import TrialState

    study, spec = p.study, p.spec
    selection = select(p, outcomes)
    values = selection.values
    rows, free = _parameters(p, values)

    def worst_of() -> float:
        return outcomes.worst(study)

    ranges = {f.param: rt for f in free if (rt := range_test(p, values, f)) is not None}
    reached = compare_in_rounds(p, outcomes, values, rows, worst_of, list(ranges.values()))
    outcomes.train({TUNED: values}, reached)  # the tuned arm, even when nothing is compared
    for f in free:
        if f.param in ranges:
            f.measured = ranges[f.param].measured(outcomes)
    worst = worst_of()
    tuned_values = outcomes.values(TUNED, reached, worst)
    dead = outcomes.dead(TUNED, reached)
    alive = [v for s, v in zip(reached, tuned_values, strict=True) if s not in dead]
    a_mean, a_se = statistics.mean_se(alive) if dead else (math.nan, math.nan)
    t_mean, t_se = statistics.mean_se(tuned_values)
    tuned = Arm(
        tuned_values,
        sum(outcomes.by_key[(*TUNED, s)].value(spec.objective) is None for s in reached),
        dead, t_mean, t_se, a_mean, a_se,
    )  # fmt: skip
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.values]
    counts: dict[str, int] = {}
    for t in trials:
        counts[t.state.name.lower()] = counts.get(t.state.name.lower(), 0) + 1
    best = top_trials(study, 1)[0]
    plan = {
        "rounds": list(p.rounds),
        "look_alpha": p.look_alpha,
        "look_alphas": list(p.look_alphas),
        "failure_margin": statistics.FAILURE_MARGIN,
        "cap": p.rounds[-1],
        "selection_seeds": selection.seeds,
        "top_k": p.top_k,
    }
    return DefaultsReport(
        study=study.study_name,
        sweep_file=str(spec.path),
        data=spec.data.name,
        objective=spec.objective,
        direction=spec.direction,
        epochs=spec.epochs,
        trials=counts,
        completed=len(complete),
        best={
            "trial": best.number,
            "value": best.values[0],
            "values": _plain(trial_values(best, spec)),
            **(
                {"scores": dict(zip(spec.objectives, best.values, strict=True))}
                if spec.is_multi
                else {}
            ),
        },
        selection=selection,
        seeds=list(reached),
        plan=plan,
        tolerance=p.tolerance,
        worst_value=worst,
        tuned=tuned,
        parameters=rows,
        free=free,
        rules=statistics.two_part_rules(p.tolerance, statistics.worst_words(spec.direction, worst))
        + _plan_rules(p),
        notes=[*p.notes, *_notes(p, rows, trials, complete, outcomes, dead)],
        runs=[_run_record(outcomes.by_key[k], spec.objective) for k in outcomes.order],
        second=second_objective(spec, outcomes, reached, rows) if spec.is_multi else None,
    )


def second_value(spec, o: Outcome) -> float | None:
    """A re-training's second objective (None when it diverged or failed): a final figure, or
    epochs_to_target from its curve, as the sweep's trials are scored (sweeps/objectives.py)."""
    from sweeps import objectives

    if o.value(spec.objective) is None:
        return None
    curves = {"val_cost": o.val_cost, "val_accuracy": o.val_accuracy}
    budget = o.budget or spec.epochs
    return objectives.values(spec.objectives, o.final, curves, spec.target, budget)[1]


def second_objective(spec, outcomes: _Outcomes, seeds, rows) -> dict:
    """The second objective beside the judged first: per arm (tuned, each default compared),
    its median over the evaluation seeds where the run completed; shown, not judged."""
    arms = {"tuned": TUNED, **{r.label: ("default", r.param, None) for r in rows if r.compared}}
    out = {}
    for label, key in arms.items():
        got = [outcomes.by_key[(*key, s)] for s in seeds if (*key, s) in outcomes.by_key]
        vals = [v for o in got if (v := second_value(spec, o)) is not None]
        out[label] = {"median": statistics.median(vals) if vals else None, "seeds": len(vals)}
    return {"objective": spec.objectives[1], "direction": spec.directions[1],
            "target": spec.target, "arms": out}  # fmt: skip


def _plan_rules(p: Prepared) -> list[str]:
    levels = ", ".join(f"{a:.2g}" for a in p.look_alphas)
    spending = (
        f"alpha spent as 0.05 (k / {p.rounds[-1]})^{statistics.SPENDING_RHO} by the look at k "
        f"seeds, so the looks are judged at {levels} (they sum to 0.05)"
        if len(p.rounds) > 1
        else "one look at 0.05"
    )
    tuned = (
        f"tuned: the sweep's top {p.top_k} trials re-trained on selection seeds "
        f"{_seeds(p.selection_seeds)}; the fewest learning failures, then the lowest median over "
        "the seeds where it learned, is taken (one dead seed cannot choose it); the candidates "
        "the two-part comparison does not show worse on those seeds are named as tied. The "
        "comparisons use other seeds, so the luck of being the best of many stays behind."
    )
    if p.spec.is_multi:
        first, second = p.spec.objectives
        tuned = (f"tuned: the Pareto trial best on {first} (two objectives: the others on the "
                 f"front trade {first} for {second}, so none is re-selected); the comparisons "
                 f"judge {first}, {second} is shown beside them.")  # fmt: skip
    return [
        tuned,
        f"seeds: {_plan_words(p.rounds)} evaluation seeds, the cap fixed before the first look; "
        f"{spending}; a verdict stands once given.",
        "safe range (no default): the tuned configuration re-trained at values spaced over two "
        "decades of the parameter's scale around its own, tested outward from tuned in a fixed "
        "order (nearest first, the lower before the higher) with the defaults' rule, rounds and "
        "levels; the sequence stops at the first value that does not hold up, and the range is "
        "the span of the values that held up before it (fixed-sequence testing: a value wrongly "
        "inside the range at most 5% of the time).",
    ]


def _plan_words(rounds) -> str:
    return "rounds of " + ", ".join(map(str, rounds)) if len(rounds) > 1 else str(rounds[0])


def _notes(p, rows, trials, complete, outcomes, dead) -> list[str]:
    out = [
        f"importances and sensitivity use the {len(complete)} completed trials; "
        f"{len(trials) - len(complete)} pruned or failed trials are left out",
        f"re-trained {len(outcomes.by_key)} runs, {p.spec.epochs} epochs each",
    ]
    undecided = [r for r in rows if r.verdict == statistics.INCONCLUSIVE]
    for r in undecided:
        out.append(f"{r.label} stayed inconclusive at the cap: {r.comparison.reason}")
    if dead:
        out.append(
            f"on seed(s) {', '.join(map(str, dead))} the tuned configuration learned nothing (its "
            "training cost ended at the cost of guessing the class frequencies); each comparison "
            "counts such failures apart and compares the cost on the seeds where both learned"
        )
    return out


def _run_record(o: Outcome, objective: str) -> RunRecord:
    arm, param, value, seed = o.key
    return RunRecord(
        arm=arm, param=param, value=value, seed=seed, status=o.status, reason=o.reason,
        final=o.final, seconds=o.seconds, epochs_run=o.epochs_run, objective=o.value(objective),
        curves={"val_cost": o.val_cost, "train_cost": o.train_cost,
                "val_accuracy": o.val_accuracy}, learned_nothing=o.learned_nothing,
    )  # fmt: skip


def _seeds(seeds: list[int]) -> str:
    if not seeds:
        return "(none: one candidate)"
    return f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 2 else ", ".join(map(str, seeds))


def _plain(d: dict) -> dict:
    return {k: v if isinstance(v, str | int | float | bool | type(None)) else str(v)
            for k, v in d.items()}  # fmt: skip
