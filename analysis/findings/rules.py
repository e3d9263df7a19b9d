"""The pure verdict rules of the claims: how parts combine into a verdict, and the paired
comparisons a part is judged by (tested on synthetic numbers)."""

from __future__ import annotations

from collections.abc import Sequence

from analysis import statistics

CONFIRMED, REFUTED, DEPENDS = "confirmed", "refuted", "depends"
INCONCLUSIVE = statistics.INCONCLUSIVE
TOLERANCE = 0.01  # the defaults report's: differences within 1% are no difference
A_LOT = 2.0  # "a lot faster": at most half the epochs


def combine(parts: dict[str, bool]) -> str:
    """confirmed when every part holds, refuted when none does, else depends."""
    if all(parts.values()):
        return CONFIRMED
    if not any(parts.values()):
        return REFUTED
    return DEPENDS


def depends_on(parts: dict[str, bool]) -> str:
    held = [k for k, v in parts.items() if v]
    failed = [k for k, v in parts.items() if not v]
    return f"holds: {'; '.join(held)} - does not hold: {'; '.join(failed)}"


def judged(parts: dict[str, bool], on: str, **evidence) -> dict:
    """A claim's result: its parts, the verdict they combine to and why (what it depends `on`
    when only some hold), with the evidence behind them."""
    verdict = combine(parts)
    return {"parts": parts, "verdict": verdict, "why": _why(verdict, parts, on), **evidence}


def _why(verdict: str, parts: dict[str, bool], on: str) -> str:
    if verdict == CONFIRMED:
        return "every part holds"
    if verdict == REFUTED:
        return "no part holds"
    return f"depends on {on}. {depends_on(parts)}"


def a_lot_faster(fast: Sequence[float], slow: Sequence[float], factor: float = A_LOT) -> bool:
    """fast needs at most 1/factor of slow's mean, and is lower with 95% confidence (paired)."""
    m_fast, m_slow = statistics.mean_se(fast)[0], statistics.mean_se(slow)[0]
    return statistics.better_beyond_noise(fast, slow) == 1 and m_slow >= factor * m_fast


def negligible(a: Sequence[float], b: Sequence[float], tolerance: float = TOLERANCE) -> bool | None:
    """b's mean is within tolerance |mean b| of a's with 95% confidence (both one-sided bounds
    of the paired differences inside); False when a larger difference is shown; None when
    the seeds tell neither."""
    return statistics.equivalent(a, b, tolerance)


def helps(on: Sequence[float], off: Sequence[float], tolerance: float = TOLERANCE) -> bool:
    """`on` is lower than `off` by more than tolerance |mean off|, with 95% confidence."""
    return statistics.better_beyond_noise(on, off, tolerance) == 1
