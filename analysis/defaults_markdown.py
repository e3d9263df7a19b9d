"""The defaults report as Markdown, from its data (analysis/defaults_result.py): the selection
step, one line per parameter with its verdict and confidence interval, the safe ranges, the
rules and the notes."""

from __future__ import annotations

from collections.abc import Mapping

from analysis.defaults_result import DefaultsReport, FreeParameter, ParameterVerdict
from analysis.formatting import fmt, pct, pm, table_lines
from analysis.statistics import relative_bounds_words


def render_markdown(r: DefaultsReport, images: Mapping[str, str]) -> str:
    """The report as Markdown; `images` maps a plot's role to its file name beside the report."""
    best = r.best
    lines = [
        f"# Defaults report: study `{r.study}`",
        "",
        f"Sweep file `{r.sweep_file}` on **{r.data}**; objective **{r.objective}** "
        f"({r.direction}d), {r.epochs} epochs per run. Trials: "
        + ", ".join(f"{v} {k}" for k, v in sorted(r.trials.items()))
        + ".",
        "",
        f"Best trial of the sweep: {best['trial']}, {r.objective} = {fmt(best['value'])}"
        + _beside(r)
        + ".",
        "",
        *selection_lines(r),
        "",
        f"Tuned (trial {r.selection.chosen}) on the {len(r.seeds)} evaluation seeds "
        f"({_seeds(r.seeds)}): {r.objective} = {pm(r.tuned.mean, r.tuned.se)}"
        + (f" ({r.tuned.diverged} diverged)" if r.tuned.diverged else "")
        + learned_nothing_note(r)
        + ".",
        "",
        "## Parameters with a default",
        "",
    ]
    if r.parameters:
        lines += table_lines(
            ["parameter", "default", "tuned", "fANOVA", "PED-ANOVA", "default vs tuned where "
             "both learned (bounds at the look's level)", "seeds (learned nothing: default, "
             "tuned)", "verdict", "sensitivity"],
            [markdown_row(p) for p in r.parameters],
        )  # fmt: skip
        notes = [f"- {p.label}: {p.note}" for p in r.parameters if p.note]
        lines += ["", *notes] if notes else []
        looks = [f"- {p.label}: " + "; ".join(
            f"{x.seeds} seeds at level {x.alpha:.2g} (bounds at {100 * (1 - x.alpha / 2):.4g}% "
            f"and {100 * (1 - x.alpha):.4g}%): {x.verdict}" for x in p.looks)
            for p in r.parameters if p.looks]  # fmt: skip
        lines += ["", "Each look, in order:", "", *looks] if looks else []
    else:
        lines.append("No searched parameter has a default.")
    if r.free:
        lines += ["", "## Parameters without a default", ""]
        lines += table_lines(
            ["parameter", "tuned", "safe range (re-trained)", "trials within the band",
             "fANOVA", "PED-ANOVA", "sensitivity"],
            [free_row(f) for f in r.free],
        )  # fmt: skip
        for f in r.free:
            if f.measured:
                lines += ["", f"Safe range of `{f.label}`, point by point:", ""]
                lines += range_table(f, r)
    lines += second_lines(r)
    lines += ["", "## Rules", "", *[f"- {x}" for x in r.rules]]
    if r.notes:
        lines += ["", "## Notes", "", *[f"- {n}" for n in r.notes]]
    if images:
        lines += ["", "## Plots", ""]
        for role, name in images.items():
            lines += [f"![{role}]({name})", ""]
    return "\n".join(lines).rstrip() + "\n"


def _beside(r: DefaultsReport) -> str:
    """Two objectives: the best trial's second value, and why it is the one."""
    if r.second is None:
        return ""
    second = r.second["objective"]
    return (f", {second} = {fmt(r.best['scores'][second])} (of its Pareto front, the trial best "
            f"on {r.objective}: the report judges {r.objective})")  # fmt: skip


def second_lines(r: DefaultsReport) -> list[str]:
    """Two objectives: the second, measured on the same re-trainings, beside the verdicts."""
    if r.second is None:
        return []
    s = r.second
    target = f" (target {fmt(s['target'])})" if s.get("target") is not None else ""
    rows = [[f"`{arm}`" if arm != "tuned" else "tuned", fmt(v["median"]), str(v["seeds"])]
            for arm, v in s["arms"].items()]  # fmt: skip
    return [
        "",
        f"## Second objective: {s['objective']}{target}",
        "",
        f"Shown, not judged ({s['direction']}d): its median over the evaluation seeds where each "
        "arm's run completed (a parameter's row: that parameter at its default).",
        "",
        *table_lines(["arm", f"median {s['objective']}", "seeds"], rows),
    ]


def selection_lines(r: DefaultsReport) -> list[str]:
    s = r.selection
    if r.second is not None:
        return [f"Two objectives: trial {s.chosen}, the Pareto trial best on {r.objective}, is "
                "the tuned configuration."]  # fmt: skip
    if not s.seeds:
        return [f"One completed trial: trial {s.chosen} is the tuned configuration."]
    rows = [
        [f"**{c.trial}**" if c.trial == s.chosen else str(c.trial), fmt(c.sweep_value),
         pm(c.mean, c.se), fmt(c.median), f"{c.failures} of {len(s.seeds)}",
         ", ".join(f"{k} = {fmt(v)}" for k, v in c.values.items())]
        for c in s.candidates
    ]  # fmt: skip
    return [
        f"Selection: the sweep's top {len(s.candidates)} trials re-trained on seeds "
        f"{_seeds(s.seeds)}; the fewest failures, then the lowest median where it learned "
        "(bold), is the tuned configuration" + _tied(s) + ".",
        "",
        *table_lines(
            [
                "trial",
                "in the sweep",
                "re-trained where it learned",
                "median",
                "learned nothing",
                "values",
            ],
            rows,
        ),
    ]


def _tied(s) -> str:
    if not s.tied:
        return "; the others are shown worse on these seeds" if len(s.candidates) > 1 else ""
    return (f"; tied with trial(s) {', '.join(map(str, s.tied))} (not shown worse on "
            f"{len(s.seeds)} seeds)")  # fmt: skip


def interval(c) -> str:
    """'+0.0012 (+1.5%): at most +2.1% worse, at best 0.4% better (97.5%/95%)': the gap and its
    bounds relative to tuned, with the confidence of each."""
    return f"{c.gap:+.3g} ({pct(c.relative_gap)}): {relative_bounds_words(c)}"


def failures(c) -> str:
    """'40 (3, 1)': the seeds and how many failed in each arm (default, tuned)."""
    return f"{len(c.tuned)} ({c.default_failed}, {c.tuned_failed})"


def markdown_row(p: ParameterVerdict) -> list[str]:
    head = [f"`{p.label}`", fmt(p.default), fmt(p.tuned), importance(p, "fanova"),
            importance(p, "ped_anova")]  # fmt: skip
    c = p.comparison
    if c is None:
        return [*head, "-", "-", "n/a" if not p.note else "see note", spread(p)]
    seeds = failures(c) + (f"; {p.default_diverged} diverged" if p.default_diverged else "")
    verdict = f"**{c.verdict}**"
    if c.verdict == "inconclusive" and c.seeds_needed:
        verdict += f" (~{c.seeds_needed} seeds would decide)"
    return [*head, interval(c), seeds, verdict, spread(p)]


def free_row(f: FreeParameter) -> list[str]:
    m = f.measured
    measured = f"{fmt(m.low)} to {fmt(m.high)}" if m and m.low is not None else "n/a"
    band = f.trial_band
    counts = (f"{fmt(band.low)} to {fmt(band.high)} ({band.n_within} of {band.n_inside})"
              if band else "-")  # fmt: skip
    return [f"`{f.label}`", fmt(f.tuned), measured, counts, importance(f, "fanova"),
            importance(f, "ped_anova"), spread(f)]  # fmt: skip


def range_table(f: FreeParameter, r: DefaultsReport) -> list[str]:
    rows = []
    m = f.measured
    for pt in m.points:
        c = pt.comparison
        said = "tuned value" if c is None else c.verdict
        turn = "-" if c is None else str(m.order.index(pt.value) + 1)
        vs = "-" if c is None else interval(c)
        seeds = "-" if c is None else failures(c)
        rows.append([fmt(pt.value), turn, pm(pt.mean, pt.se), vs, seeds, said])
    untested = len(m.order) - len([p for p in m.points if p.comparison is not None])
    header = [f.label, "order", f"{r.objective} mean ± SE where it learned",
              "vs tuned (bounds at the look's level)",
              "seeds (learned nothing: this value, tuned)", "verdict"]  # fmt: skip
    lines = table_lines(header, rows)
    words = range_words(f)
    words = words[0].upper() + words[1:]
    if untested:
        words += f" ({untested} values beyond were not tested)"
    return [*lines, "", words]


def range_words(f: FreeParameter) -> str:
    """The safe range in a sentence: the interval and its span, or that nothing beyond tuned
    was decided and how many seeds would decide the first value."""
    m = f.measured
    if m.low < m.high:
        text = f"safe range {fmt(m.low)} to {fmt(m.high)} (x{m.high / m.low:.3g})" if m.low > 0 \
            else f"safe range {fmt(m.low)} to {fmt(m.high)}"  # fmt: skip
    else:
        text = "safe range: no value beyond tuned was decided"
    if m.stopped is None:
        return text + ": every value tested held up."
    c = next(p.comparison for p in m.points if p.value == m.stopped)
    why = f"the sequence stopped at {fmt(m.stopped)}: {c.verdict}"
    if c.verdict == "inconclusive" and c.seeds_needed:
        why += f" (~{c.seeds_needed} seeds would decide it)"
    return f"{text}; {why}."


def importance(p, name: str) -> str:
    item = (p.importance or {}).get(name) or {}
    if item.get("value") is None:
        return item.get("note") or "n/a"
    return f"{item['value']:.3f}"


def spread(p) -> str:
    s = p.sensitivity
    if not s:
        return p.sensitivity_note or "n/a"
    return f"{fmt(s.spread)} over {len(s.bins)} bins"


def learned_nothing_note(r: DefaultsReport) -> str:
    """The headline's aside when the tuned configuration learned nothing on some seeds: the
    mean over the other seeds, which is what the settings reach when the network trains."""
    dead = r.tuned.learned_nothing
    if not dead:
        return ""
    rest = pm(r.tuned.learning_mean, r.tuned.learning_se)
    return (
        f"; on seed {', '.join(map(str, dead))} the network learned nothing, on the others {rest}"
    )


def _seeds(seeds) -> str:
    seeds = list(seeds)
    return f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 2 else ", ".join(map(str, seeds))
