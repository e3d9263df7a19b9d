"""The defaults report as Markdown, from the report's plain data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.formatting import fmt, pct, pm, table_lines


def render_markdown(content: Mapping[str, Any], images: Mapping[str, str]) -> str:
    """The report as Markdown; `images` maps a plot's role to its file name beside the report."""
    c = content
    best = c["best"]
    lines = [
        f"# Defaults report: study `{c['study']}`",
        "",
        f"Sweep file `{c['sweep_file']}` on **{c['data']}**; objective **{c['objective']}** "
        f"({c['direction']}d), {c['epochs']} epochs per run. Trials: "
        + ", ".join(f"{v} {k}" for k, v in sorted(c["trials"].items()))
        + ".",
        "",
        f"Best trial {best['trial']}: {c['objective']} = {fmt(best['value'])} with "
        + ", ".join(f"{k} = {fmt(v)}" for k, v in best["values"].items())
        + ".",
        "",
        f"Re-trained over seeds {', '.join(map(str, c['seeds']))}: tuned "
        f"{c['objective']} = {pm(c['tuned']['mean'], c['tuned']['se'])}"
        + (f" ({c['tuned']['diverged']} diverged)" if c["tuned"]["diverged"] else "")
        + learned_nothing(c["tuned"], pm)
        + ".",
        "",
        "## Parameters with a default",
        "",
    ]
    if c["parameters"]:
        lines += table_lines(
            [
                "parameter",
                "default",
                "tuned",
                "fANOVA",
                "PED-ANOVA",
                "default mean ± SE",
                "tuned mean ± SE",
                "gap ± SE",
                "verdict",
                "sensitivity",
            ],
            [markdown_row(r, c["objective"]) for r in c["parameters"]],
        )
        notes = [f"- {r['name']}: {r['note']}" for r in c["parameters"] if r.get("note")]
        lines += ["", *notes] if notes else []
    else:
        lines.append("No searched parameter has a default.")
    if c["free"]:
        lines += ["", "## Parameters without a default", ""]
        lines += table_lines(
            [
                "parameter",
                "best",
                "safe range",
                "trials in band",
                "fANOVA",
                "PED-ANOVA",
                "sensitivity",
            ],
            [free_row(r) for r in c["free"]],
        )
    lines += ["", "## Rules", "", *[f"- {r}" for r in c["rules"]]]
    if c.get("notes"):
        lines += ["", "## Notes", "", *[f"- {n}" for n in c["notes"]]]
    if images:
        lines += ["", "## Plots", ""]
        for role, name in images.items():
            lines += [f"![{role}]({name})", ""]
    return "\n".join(lines).rstrip() + "\n"


def label(r: Mapping[str, Any]) -> str:
    """A parameter as the sweep file names it (beta1, adam.alpha), not Optuna's raw name."""
    return f"{r['condition'][1]}.{r['name']}" if r.get("condition") else r["name"]


def markdown_row(r: Mapping[str, Any], objective: str) -> list[str]:
    gap = r.get("gap")
    cells = [
        f"`{label(r)}`",
        fmt(r.get("default")),
        fmt(r.get("tuned")),
        importance(r, "fanova"),
        importance(r, "ped_anova"),
    ]
    if gap:
        default_div = f" ({gap['default_diverged']} diverged)" if gap["default_diverged"] else ""
        left = gap.get("seeds_left_out") or []
        left_out = f"; seed {', '.join(map(str, left))} left out" if left else ""
        cells += [
            pm(gap["default_mean"], gap["default_se"]) + default_div,
            pm(gap["tuned_mean"], gap["tuned_se"]),
            pm(gap["gap"], gap["gap_se"]) + f" ({pct(gap['relative_gap'])}{left_out})",
            f"**{gap['verdict']}**",
        ]
    else:
        cells += ["-", "-", "-", "n/a" if not r.get("note") else "see note"]
    cells.append(spread(r))
    return cells


def free_row(r: Mapping[str, Any]) -> list[str]:
    sr = r.get("safe_range")
    if sr:
        rng = f"{fmt(sr['low'])} to {fmt(sr['high'])}"
        counts = f"{sr['n_within']} of {sr['n_inside']} in range (band {fmt(sr['band'])})"
    else:
        rng, counts = "n/a", "-"
    return [f"`{label(r)}`", fmt(r.get("tuned")), rng, counts, importance(r, "fanova"),
            importance(r, "ped_anova"), spread(r)]  # fmt: skip


def importance(r: Mapping[str, Any], name: str) -> str:
    item = (r.get("importance") or {}).get(name) or {}
    if item.get("value") is None:
        return item.get("note") or "n/a"
    return f"{item['value']:.3f}"


def spread(r: Mapping[str, Any]) -> str:
    s = r.get("sensitivity")
    if not s:
        return r.get("sensitivity_note") or "n/a"
    return f"{fmt(s['spread'])} over {len(s['bins'])} bins"


def learned_nothing(tuned: Mapping[str, Any], pm) -> str:
    """The headline's aside when the tuned configuration learned nothing on some seeds: the
    mean over the other seeds, which is what the settings reach when the network trains."""
    dead = tuned.get("learned_nothing") or []
    if not dead:
        return ""
    seeds = ", ".join(map(str, dead))
    rest = pm(tuned.get("learning_mean"), tuned.get("learning_se"))
    return f"; on seed {seeds} the network learned nothing, on the others {rest}"
