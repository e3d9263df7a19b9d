"""Numbers and tables as the reports print them: 4 significant digits, mean ± SE, a signed
percentage, Markdown table rows. Shared by the defaults report, the findings and the CLI."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def table_lines(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return out


def fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool | str):
        return str(v)
    if isinstance(v, int):
        return str(v)
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(x):
        return "n/a"
    return f"{x:.4g}"


def pm(mean: float | None, se: float | None) -> str:
    if mean is None or not math.isfinite(mean):
        return "n/a"
    if se is None or not math.isfinite(se):
        return fmt(mean)
    return f"{fmt(mean)} ± {fmt(se)}"


def pct(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{100 * x:+.1f}%"
