"""Claim 3: keep Adam's default beta1, beta2 and epsilon; tune alpha (the defaults report)."""

from __future__ import annotations

from analysis import statistics
from analysis.findings.claim import Claim
from analysis.findings.context import (
    Context,
)
from analysis.findings.rules import (
    judged,
)
from analysis.findings.tables import pm
from analysis.formatting import table_lines
from core.defaults import COURSE_ALPHA


def measure(ctx: Context) -> dict:
    from analysis import defaults_report
    from sweeps.attrs import PARENT_ATTR

    study, spec = ctx.study("adam_defaults.toml")
    parent = study.user_attrs.get(PARENT_ATTR) if ctx.tracking_uri else None
    prepared = defaults_report.prepare(
        study,
        spec,
        seeds=len(ctx.seeds),
        workers=ctx.workers,
        out=ctx.figures / "claim3-adam-defaults.md",
        tracking_uri=ctx.tracking_uri,
        parent_run_id=parent,
        references={"alpha": COURSE_ALPHA},
    )
    import time

    start = time.perf_counter()
    content = defaults_report.measure(prepared)
    where = defaults_report.write(prepared, content)
    ctx.seconds[spec.name] = time.perf_counter() - start
    rows = {r["name"]: r for r in content["parameters"]}
    said = {n: (rows[n]["gap"] or {}).get("verdict", "n/a") for n in rows}  # n/a: too few seeds
    defaults_hold = {n: said[n] == statistics.HOLDS for n in ("beta1", "beta2", "epsilon")}
    alpha_needs = said["alpha"] == statistics.NEEDS
    parts = {
        "the default beta1, beta2 and epsilon hold up": all(defaults_hold.values()),
        "alpha needs tuning (the course's 0.0007 does not hold up)": alpha_needs,
    }
    return judged(
        parts,
        rows=[rows[n] for n in ("beta1", "beta2", "epsilon", "alpha")],
        report=where,
        content=content,
    )


def section(r: dict) -> list[str]:
    rows = []
    for x in r["rows"]:
        g = x["gap"]
        imp = x["importance"]["fanova"]
        head = [x["name"], f"{x['default']:g}", f"{x['tuned']:.4g}",
                "n/a" if imp["value"] is None else f"{imp['value']:.2f}"]  # fmt: skip
        if g is None:
            rows.append([*head, "-", "-", "-", x.get("note") or "n/a"])
            continue
        left = g.get("seeds_left_out") or []
        rows.append([
            *head,
            pm({"mean": g["default_mean"], "se": g["default_se"]}),
            pm({"mean": g["tuned_mean"], "se": g["tuned_se"]}),
            pm({"mean": g["gap"], "se": g["gap_se"]})
            + (f" (seed {', '.join(map(str, left))} left out)" if left else ""),
            g["verdict"],
        ])  # fmt: skip
    return table_lines(
        [
            "parameter",
            "default (alpha: the course's)",
            "tuned",
            "fANOVA",
            "val cost at default",
            "tuned",
            "gap",
            "report verdict",
        ],
        rows,
    )


CLAIM = Claim(
    key="adam-defaults",
    title="Keep Adam's default beta1, beta2 and epsilon; tune alpha",
    quote="In practice, people just use the default value of beta1, beta2 and epsilon. You still "
    "need to tune a set of alpha.",
    sweeps=("adam_defaults.toml",),
    rule="The defaults report on an Adam sweep over alpha, beta1, beta2 and epsilon: the best "
    "configuration re-trained on every seed, as is and with one parameter reset (beta1 0.9, "
    "beta2 0.999, epsilon 1e-8; alpha to the course's 0.0007). Part 1: all three defaults "
    "'hold up'. Part 2: alpha at 0.0007 'needs tuning'. Confirmed when both parts hold, "
    "refuted when neither, depends otherwise.",
    measure=measure,
    section=section,
)
