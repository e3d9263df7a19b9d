"""Claim 2: Momentum's impact is almost negligible at a small alpha on simple data."""

from __future__ import annotations

from analysis.formatting import table_lines
from findings.adam_faster import MOONS_TARGET, measure_optimizers
from findings.claim import Claim
from findings.context import (
    Context,
)
from findings.evidence import (
    final,
    nothing_learned,
    summary,
    to_target,
)
from findings.rules import (
    CONFIRMED,
    DEPENDS,
    INCONCLUSIVE,
    REFUTED,
    TOLERANCE,
    Judged,
    negligible,
    three_way,
)
from findings.tables import pm


def measure(ctx: Context) -> Judged:
    runs = measure_optimizers(ctx)[3]
    rows, parts = [], {}
    for setting in ("course", "tuned"):
        gd, mom = final(runs[("gd", setting)]), final(runs[("momentum", setting)])
        diffs = [m - g for g, m in zip(gd, mom, strict=True)]
        ok = negligible(gd, mom)
        name = "the course alpha 0.0007" if setting == "course" else "tuned alphas"
        parts[f"at {name}"] = ok
        gd_e = to_target(runs[("gd", setting)], MOONS_TARGET)
        mom_e = to_target(runs[("momentum", setting)], MOONS_TARGET)
        rows.append(
            {
                "setting": name,
                "gd_alpha": runs[("gd", setting)][0].alpha,
                "momentum_alpha": runs[("momentum", setting)][0].alpha,
                "gd": summary(gd),
                "momentum": summary(mom),
                "difference": summary(diffs),
                "gd_epochs": summary(gd_e[0]),
                "momentum_epochs": summary(mom_e[0]),
                "missed": gd_e[1] + mom_e[1],
                "negligible": ok,
            }
        )
    course = parts["at the course alpha 0.0007"]
    verdict = momentum_verdict(course, parts["at tuned alphas"])
    why = {
        CONFIRMED: "negligible at the course's alpha, and still at tuned alphas",
        DEPENDS: "depends on alpha: negligible at 0.0007, not at tuned alphas",
        REFUTED: "momentum changes the result at the course's alpha",
        INCONCLUSIVE: "inconclusive: the seeds show neither a negligible nor a larger "
        f"difference at {'the course alpha' if course is None else 'tuned alphas'}",
    }[verdict]
    parts = {k: three_way(v) for k, v in parts.items()}
    evidence = {"rows": rows, "target": MOONS_TARGET, "nothing": nothing_learned(runs, ctx.seeds)}
    return Judged(parts, verdict, why, evidence)


def momentum_verdict(course_negligible: bool | None, tuned_negligible: bool | None) -> str:
    """The claim is about the small alpha: refuted there, or confirmed / depends on alpha;
    inconclusive where the part that would decide it is (None)."""
    if course_negligible is None:
        return INCONCLUSIVE
    if not course_negligible:
        return REFUTED
    if tuned_negligible is None:
        return INCONCLUSIVE
    return CONFIRMED if tuned_negligible else DEPENDS


def section(outcome: Judged) -> list[str]:
    r = outcome.evidence
    rows = [
        [
            x["setting"],
            f"{x['gd_alpha']:g} / {x['momentum_alpha']:g}",
            pm(x["gd"]),
            pm(x["momentum"]),
            pm(x["difference"]),
            pm(x["gd_epochs"]),
            pm(x["momentum_epochs"]),
            {True: "yes", False: "no"}.get(x["negligible"], "inconclusive"),
        ]
        for x in r["rows"]
    ]
    return table_lines(
        [
            "alpha",
            "alpha gd / momentum",
            "final val cost gd",
            "momentum",
            "momentum - gd",
            f"epochs to {r['target']} gd",
            "momentum",
            "negligible",
        ],
        rows,
    )


CLAIM = Claim(
    key="momentum-negligible",
    title="Momentum's impact is almost negligible at a small alpha on simple data",
    quote="Momentum usually helps, but given the small learning rate and the simplistic dataset, "
    "its impact is almost negligeable.",
    sweeps=("optimizers.toml",),
    rule="Final validation cost of GD and of Momentum (beta 0.9) on the same seeds. Negligible: "
    f"the mean difference is within {TOLERANCE:.0%} of Momentum's mean with 95% confidence "
    "(both one-sided t bounds of the paired differences inside); not negligible: outside "
    "it with 95% confidence; inconclusive otherwise. Confirmed when negligible at the "
    "course's alpha 0.0007 and still at each one's tuned alpha; depends on alpha when only "
    "at 0.0007; refuted when not negligible at 0.0007; inconclusive when the part that "
    "would decide is.",
    measure=measure,
    section=section,
)
