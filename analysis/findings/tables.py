"""A summary's numbers as the findings page prints them."""

from __future__ import annotations

import math


def pm(s: dict, digits: int = 3) -> str:
    m, se = s["mean"], s["se"]
    if m is None or not math.isfinite(m):
        return "n/a"
    if se is None or not math.isfinite(se):
        return f"{m:.{digits}g}"
    return f"{m:.{digits}g} ± {se:.2g}"


def per_seed(s: dict, dead: list[bool] | None = None) -> str:
    """Each seed's value, '*' marking a run that learned nothing: what a mean hides."""
    dead = dead or [False] * len(s["values"])
    return ", ".join(f"{v:.2g}{'*' if d else ''}" for v, d in zip(s["values"], dead, strict=True))
