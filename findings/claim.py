"""A claim of the course note, as the findings page tests it: its words, the rule fixed before
anything is measured, how it measures and judges itself, and how its section and figure read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from findings.rules import Judged


@dataclass(frozen=True)
class Claim:
    key: str
    title: str
    quote: str  # the note's words
    sweeps: tuple[str, ...]  # its sweep files, beside its module in findings/
    rule: str  # the verdict rule, fixed before measuring
    measure: Callable[[Any], Judged]  # (Context) -> its parts, verdict and evidence
    section: Callable[[Judged], list[str]]  # its numbers as Markdown lines
    figure: Callable[[dict[str, Judged], Path], Path | None] | None = None  # (all results, folder)


def measured_directly(
    key: str,
    title: str,
    quote: str,
    rule: str,
    measure: Callable[[list[int], int], Judged],
    section: Callable[[Judged], list[str]],
    figure: Callable[[Judged, Path], Path | None],
) -> Claim:
    """A claim measured through core with no sweep: measure(seeds, workers), and a figure
    drawn from its own result alone."""
    return Claim(
        key=key,
        title=title,
        quote=quote,
        sweeps=(),
        rule=rule,
        measure=lambda ctx: measure(ctx.seeds, ctx.workers),
        section=section,
        figure=lambda results, folder: figure(results[key], folder),
    )
