"""A claim of the course note, as the findings page tests it: its words, the rule fixed before
anything is measured, how it measures and judges itself, and how its section and figure read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Claim:
    key: str
    title: str
    quote: str  # the note's words
    sweeps: tuple[str, ...]  # its sweep files, beside its module in analysis/findings/
    rule: str  # the verdict rule, fixed before measuring
    measure: Callable[[Any], dict]  # (Context) -> evidence with "parts", "verdict", "why"
    section: Callable[[dict], list[str]]  # its numbers as Markdown lines
    figure: Callable[[dict, Path], Path | None] | None = None  # (every claim's results, folder)
