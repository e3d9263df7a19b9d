"""What of a curve goes to MLflow: evenly thinned points, the last one always kept.

MLflow keeps every logged point in a table row, and its charts draw at most about 1000 points a
series, so a long curve is thinned to every `stride`-th point with the last one always kept; the
full curve travels as a JSON artifact instead.
"""

from __future__ import annotations

import math

MAX_POINTS = 1000


def stride(total: int | None, limit: int = MAX_POINTS) -> int:
    """Keep every stride-th point of `total` so that at most `limit` remain (1: keep all)."""
    if not total or total <= limit:
        return 1
    return math.ceil(total / limit)


def keeps(step: int, every: int) -> bool:
    """Whether 1-based point `step` is kept at stride `every` (the last point is added apart)."""
    return every == 1 or step % every == 0


def thin(steps: int, limit: int = MAX_POINTS) -> list[int]:
    """1-based indices of `steps` points thinned evenly to <= `limit`, the last one included.

    Points s, 2s, 3s, ... with s = ceil(steps / limit): floor(steps / s) <= limit of them, and
    when the last point is not a multiple of s that floor is < limit, so adding it still fits.
    """
    every = stride(steps, limit)
    kept = list(range(every, steps + 1, every))
    if steps and (not kept or kept[-1] != steps):
        kept.append(steps)
    return kept
