"""The claims' verdict rules: a claim's parts are True (shown to hold), False (shown not to)
or None (the seeds decide neither way), and combine into its verdict; a part over seeds is
judged with `analysis.statistics`, the defaults report's rule (a one-sided 95% Student-t bound
of the paired differences must clear the threshold).

    combine({"a": True, "b": None})   # "inconclusive": b would decide confirmed or depends

The verdict is "confirmed" when every part holds, "refuted" when none does, "depends" when some
hold and some do not (whatever the undecided ones would say), and "inconclusive" otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from analysis import statistics

CONFIRMED, REFUTED, DEPENDS = "confirmed", "refuted", "depends"
INCONCLUSIVE = statistics.INCONCLUSIVE
TOLERANCE = 0.01  # the defaults report's: differences within 1% are no difference
A_LOT = 2.0  # "a lot faster": at most half the epochs


def combine(parts: Mapping[str, bool | None]) -> str:
    """confirmed (all True), refuted (all False), depends (some of each), else inconclusive."""
    if not parts:
        raise ValueError("a claim needs at least one part")
    values = [three_way(v) for v in parts.values()]
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
        ("holds", [k for k, v in parts.items() if three_way(v) is True]),
        ("does not hold", [k for k, v in parts.items() if three_way(v) is False]),
        ("undecided by the seeds", [k for k, v in parts.items() if three_way(v) is None]),
    ]
    said = " - ".join(f"{name}: {'; '.join(keys)}" for name, keys in groups if keys)
    return f"depends. {said}" if verdict == DEPENDS else f"inconclusive. {said}"


@dataclass(frozen=True)
class Judged:
    """A claim's result: its parts (True shown to hold, False shown not to, None undecided),
    their verdict and the line saying why, the claim's own evidence (the numbers its section
    and figure read), and the seeds left out because every arm learned nothing there."""

    parts: dict[str, bool | None]
    verdict: str
    why: str
    evidence: dict[str, Any] = field(default_factory=dict)
    left_out: tuple[int, ...] = ()


def judged(parts: Mapping[str, bool | None], **evidence) -> Judged:
    """The claim's result from its parts, by the rule of `combine`."""
    parts = {k: three_way(v) for k, v in parts.items()}
    verdict = combine(parts)
    return Judged(parts, verdict, why(verdict, parts), evidence)


def three_way(v) -> bool | None:
    return None if v is None else bool(v)


def all_of(values: Iterable[bool | None]) -> bool | None:
    """A part made of sub-parts: False if any is False, True if all are True, else None."""
    values = [three_way(v) for v in values]
    if any(v is False for v in values):
        return False
    return True if all(v is True for v in values) else None


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


def a_lot_faster(
    fast: Sequence[float], slow: Sequence[float], factor: float = A_LOT
) -> bool | None:
    """fast needs at most 1/factor of slow's mean (else False) and is lower with 95% confidence
    (paired; False when shown not lower, None when the seeds tell neither)."""
    m_fast, m_slow = statistics.mean_se(fast)[0], statistics.mean_se(slow)[0]
    if m_slow < factor * m_fast:
        return False
    return lower(fast, slow)


def negligible(a: Sequence[float], b: Sequence[float], tolerance: float = TOLERANCE) -> bool | None:
    """b's mean is within tolerance |mean b| of a's with 95% confidence (both one-sided bounds
    of the paired differences inside); False when a larger difference is shown; None when
    the seeds tell neither."""
    return statistics.equivalent(a, b, tolerance)


def helps(on: Sequence[float], off: Sequence[float], tolerance: float = TOLERANCE) -> bool | None:
    """`on` is lower than `off` by more than tolerance |mean off|, with 95% confidence; False
    when shown not to be, None when the seeds tell neither."""
    return lower(on, off, tolerance)
