"""What the claim modules share: the three-way verdict, parts judged from seeds, tables, figures.

    parts = {"two-sided error falls like eps^2": True, "fails with fresh masks": None}
    combine(parts)                   # "inconclusive": a part that would decide it is undecided
    result = judged(parts, rows=rows)  # {"parts", "verdict", "why", "rows": rows}

A part is True (shown to hold), False (shown not to) or None (the seeds decide neither way).
The verdict is "confirmed" when every part holds, "refuted" when none does, "depends" when some
hold and some do not (whatever the undecided ones would say), and "inconclusive" otherwise: a
None part would decide between confirmed (or refuted) and depends.

Noisy quantities are judged with `analysis.statistics`, the defaults report's rule: a one-sided
95% Student-t bound over the seeds (paired by seed when two arms are compared) must clear the
threshold. Deterministic facts (a fitted slope, a byte count) are judged against a stated
threshold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache, partial
from pathlib import Path

import numpy as np

from analysis import statistics

CONFIRMED, REFUTED, DEPENDS = "confirmed", "refuted", "depends"
INCONCLUSIVE = statistics.INCONCLUSIVE
DPI = 100  # small PNGs, as the other findings' plots


# --- the verdict ---------------------------------------------------------------------------------


def combine(parts: Mapping[str, bool | None]) -> str:
    """confirmed (all True), refuted (all False), depends (some of each), else inconclusive."""
    if not parts:
        raise ValueError("a claim needs at least one part")
    values = [_three_way(v) for v in parts.values()]
    held, failed = any(v is True for v in values), any(v is False for v in values)
    if held and failed:
        return DEPENDS
    if any(v is None for v in values):
        return INCONCLUSIVE
    return CONFIRMED if held else REFUTED


def why(verdict: str, parts: Mapping[str, bool | None]) -> str:
    """One line on what the verdict rests on: which parts hold, fail, or are undecided."""
    if verdict == CONFIRMED:
        return "every part holds"
    if verdict == REFUTED:
        return "no part holds"
    groups = [
        ("holds", [k for k, v in parts.items() if _three_way(v) is True]),
        ("does not hold", [k for k, v in parts.items() if _three_way(v) is False]),
        ("undecided by the seeds", [k for k, v in parts.items() if _three_way(v) is None]),
    ]
    said = " - ".join(f"{name}: {'; '.join(keys)}" for name, keys in groups if keys)
    return f"depends. {said}" if verdict == DEPENDS else f"inconclusive. {said}"


def judged(parts: Mapping[str, bool | None], **evidence) -> dict:
    """A claim's result: its parts (True / False / None), their verdict and why, the evidence."""
    parts = {k: _three_way(v) for k, v in parts.items()}
    verdict = combine(parts)
    return {"parts": parts, "verdict": verdict, "why": why(verdict, parts), **evidence}


def _three_way(v) -> bool | None:
    return None if v is None else bool(v)


def all_of(values: Iterable[bool | None]) -> bool | None:
    """A part made of sub-parts: False if any is False, True if all are True, else None."""
    values = [_three_way(v) for v in values]
    if any(v is False for v in values):
        return False
    return True if all(v is True for v in values) else None


# --- parts from seeds ----------------------------------------------------------------------------


def lower(a: Sequence[float], b: Sequence[float], tolerance: float = 0.0) -> bool | None:
    """Is `a` lower than `b` (paired by seed) by more than tolerance |mean b|, with 95%
    confidence? False when higher beyond the noise, or shown within the tolerance; None when
    the seeds tell neither."""
    shown = statistics.better_beyond_noise(a, b, tolerance)
    if shown:
        return shown == 1
    return False if statistics.equivalent(a, b, tolerance) else None


def mean_below(xs: Sequence[float], threshold: float) -> bool | None:
    """Is the mean of xs below `threshold`: True when its one-sided 95% upper bound is, False
    when its lower bound is above it, None otherwise (one-sample Student t over the seeds)."""
    m, se = statistics.mean_se(list(xs))
    lo, hi = statistics.bounds(m, se, len(xs))
    if hi < threshold:
        return True
    if lo > threshold:
        return False
    return None


def summary(xs: Sequence[float]) -> dict:
    """{"mean", "se", "values"}: what the tables print as mean ± SE and per seed."""
    values = [float(x) for x in xs]
    m, se = statistics.mean_se(values)
    return {"mean": m, "se": se, "values": values}


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line log10 y = slope log10 x + intercept."""
    slope, intercept = np.polyfit(np.log10(x), np.log10(y), 1)
    return float(slope), float(intercept)


def map_seeds(fn: Callable[[int], dict], seeds: Sequence[int], workers: int = 1) -> list[dict]:
    """[fn(seed) for seed in seeds], on `workers` processes when more than one (fn must be a
    module-level function, so that it pickles), each with one BLAS thread (`one_thread`)."""
    call = partial(_one_thread, fn)
    if workers <= 1 or len(seeds) < 2:
        return [call(s) for s in seeds]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(workers, len(seeds))) as pool:
        return list(pool.map(call, seeds))


def one_thread():
    """A context in which BLAS runs on one thread: these matrices are small, and on shared
    cores more threads only spin (and make timings noise)."""
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    return threadpool_limits(limits=1, user_api="blas")


def _one_thread(fn: Callable[[int], dict], seed: int) -> dict:
    with one_thread():
        return fn(seed)


@lru_cache(maxsize=8)
def dataset(name: str):
    """core.data.load(DataSpec(name)) once per process (a scikit-learn table takes 0.5 s to
    read; `setup` copies what it splits, so the one Dataset is never written)."""
    from core.data import DataSpec, load

    return load(DataSpec(name))


NOTHING_LEARNED = 0.01  # as sweeps.retrain: within 1% of the cost of a constant guess


def guess_cost(y: np.ndarray) -> float:
    """The cross-entropy of predicting every row by the class frequencies (their entropy)."""
    counts = np.bincount(np.asarray(y))
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def learned_nothing(train_cost: float | None, y: np.ndarray) -> bool:
    """The run ended no better than a constant guess (a network whose ReLUs all died does):
    such a seed says nothing about the settings compared, and is left out when every arm of a
    comparison learned nothing on it (the rule of the other findings)."""
    if train_cost is None or not math.isfinite(train_cost):
        return False
    guess = guess_cost(y)
    return abs(train_cost - guess) <= NOTHING_LEARNED * guess


# --- Markdown ------------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Sequence[Sequence]) -> list[str]:
    """A Markdown table; cells are str()-ed and their pipes escaped."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return out


def num(x: float | None, digits: int = 3) -> str:
    """A number in `digits` significant figures; n/a when missing or not finite."""
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:.{digits}g}"


def pm(s: Mapping, digits: int = 3) -> str:
    """mean ± SE of a `summary`."""
    m, se = s["mean"], s["se"]
    if m is None or not math.isfinite(m):
        return "n/a"
    if se is None or not math.isfinite(se):
        return num(m, digits)
    return f"{m:.{digits}g} ± {se:.2g}"


def per_seed(values: Sequence[float], digits: int = 2) -> str:
    """Each seed's value: what a mean hides."""
    return ", ".join(num(v, digits) for v in values)


def yes_no(v: bool | None) -> str:
    return {True: "yes", False: "no"}.get(_three_way(v), "undecided")


# --- figures -------------------------------------------------------------------------------------


def figure(width: float, height: float):
    """A matplotlib Figure on an Agg canvas (the object API: no pyplot, no global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path
