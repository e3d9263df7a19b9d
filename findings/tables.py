"""A claim's numbers as the findings page prints them: significant figures, mean ± SE, the
per-seed values a mean hides, yes / no / undecided."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from findings.rules import three_way


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


def per_seed_marked(s: dict, dead: list[bool] | None = None) -> str:
    """Each seed's value, '*' marking a run that learned nothing: what a mean hides."""
    dead = dead or [False] * len(s["values"])
    return ", ".join(f"{v:.2g}{'*' if d else ''}" for v, d in zip(s["values"], dead, strict=True))


def yes_no(v: bool | None) -> str:
    return {True: "yes", False: "no"}.get(three_way(v), "undecided")
