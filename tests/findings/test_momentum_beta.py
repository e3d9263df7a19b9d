"""The Momentum's-beta claim: the defaults report's verdict on beta as a part, each data set's
GD-vs-Momentum comparison, and "almost always better" on hand-made per-seed values."""

from __future__ import annotations

import dataclasses
import math

import pytest

from analysis import statistics
from findings import context, momentum_beta, registry
from findings.rules import Judged
from tests.findings.runs import outcome

# Final validation costs on 5 seeds. GD's spread is the seeds' luck; Momentum adds a per-seed
# difference of known mean and small spread, so each comparison's answer is known.
GD = [0.20, 0.25, 0.22, 0.30, 0.27]
NOISE = [0.001, -0.001, 0.0005, -0.0005, 0.0]


def shifted(by: float) -> list[float]:
    """GD's costs moved by `by` (relative to GD's mean) plus a little paired noise."""
    mean = sum(GD) / len(GD)
    return [g + by * mean + e for g, e in zip(GD, NOISE, strict=True)]


@pytest.mark.parametrize(
    ("relative", "not_worse", "better"),
    [
        (-0.20, True, True),  # 20% lower: better, hence not worse
        (0.0, True, False),  # the same: not worse, and shown not better
        (+0.20, False, False),  # 20% higher: worse
    ],
)
def test_each_data_sets_comparison_is_three_way(relative, not_worse, better):
    pair = momentum_beta.compare_pair(GD, shifted(relative))
    assert pair["not_worse"] is not_worse
    assert pair["better"] is better
    assert pair["difference"]["gap"] == pytest.approx(relative * sum(GD) / len(GD), abs=1e-3)


def test_a_difference_the_seeds_cannot_place_is_undecided():
    # 1.5% worse on average, but the per-seed differences swing by +-10%: neither shown
    mom = [g * (1 + d) for g, d in zip(GD, [0.1, -0.1, 0.12, -0.08, 0.035], strict=True)]
    pair = momentum_beta.compare_pair(GD, mom)
    assert pair["not_worse"] is None and pair["better"] is None


def test_one_seed_decides_nothing():
    pair = momentum_beta.compare_pair([0.2], [0.1])
    assert pair["not_worse"] is None and pair["better"] is None and pair["difference"] is None


def test_almost_always_needs_never_worse_and_better_on_most():
    T, F, U = True, False, None
    holds = momentum_beta.almost_always
    assert holds([T] * 6, [T, T, T, T, F, F])["holds"] is True  # 4 of 6 better, none worse
    assert holds([T] * 6, [T, T, T, F, F, F])["holds"] is False  # 3 of 6: not most
    assert holds([F, T, T, T, T, T], [F, T, T, T, T, T])["holds"] is False  # worse on one
    assert holds([T] * 6, [T, T, T, U, F, F])["holds"] is None  # the undecided one decides
    assert holds([T] * 6, [T, T, U, U, F, F])["holds"] is None
    assert holds([T] * 6, [T, T, U, F, F, F])["holds"] is False  # 3 at best
    assert holds([U, T, T, T, T, T], [T] * 6)["holds"] is None  # maybe worse on one
    r = holds([U, T, T, T, T, T], [T, F, F, F, F, F])
    assert (r["never_worse"], r["better_on_most"], r["holds"]) == (None, False, False)


def test_most_is_more_than_half_of_the_data_sets():
    assert momentum_beta.MOST == 4 == len(momentum_beta.DATASETS) // 2 + 1
    assert {s.data for s in momentum_beta.DATASETS} == {
        "moons", "circles", "spiral", "blobs", "breast_cancer", "digits",
    }  # fmt: skip


def test_the_across_part_from_per_seed_values():
    """Six data sets of hand-made finals: better on four, the same on two -> holds; one of
    the same made worse -> fails."""
    rows = [momentum_beta.compare_pair(GD, shifted(r)) for r in (-0.2, -0.1, -0.3, -0.05, 0, 0)]
    r = momentum_beta.almost_always([x["not_worse"] for x in rows], [x["better"] for x in rows])
    assert r["holds"] is True
    rows[-1] = momentum_beta.compare_pair(GD, shifted(0.2))
    r = momentum_beta.almost_always([x["not_worse"] for x in rows], [x["better"] for x in rows])
    assert (r["never_worse"], r["better_on_most"], r["holds"]) == (False, True, False)


def _beta_row(verdict: str | None, tuned: float = 0.95) -> dict:
    comparison = None if verdict is None else {"verdict": verdict}
    return {"name": "beta", "default": 0.9, "tuned": tuned, "comparison": comparison}


def test_the_reports_verdict_on_beta_is_the_part():
    assert momentum_beta.beta_holds(_beta_row(statistics.HOLDS)) is True
    assert momentum_beta.beta_holds(_beta_row(statistics.NEEDS)) is False
    assert momentum_beta.beta_holds(_beta_row(statistics.INCONCLUSIVE)) is None
    assert momentum_beta.beta_holds(_beta_row(None, tuned=0.9)) is True  # tuned is 0.9: gap 0
    assert momentum_beta.beta_holds(_beta_row(None)) is None  # not compared (nothing learned)


def test_the_sweep_file_loads_and_meets_the_claim_sweep_checks():
    from sweeps import sweep_file

    s = sweep_file.load(context.FINDINGS_DIR / momentum_beta.SWEEP)
    assert s.pruner == "none" and s.sampler == "tpe"
    assert (s.data.name, s.train["layers"], s.train["batch_size"]) == ("moons", (5, 2), 64)
    assert s.train["optimizer"] == "momentum"
    assert s.space.names == ("alpha", "beta") and s.space.defaults() == {"beta": 0.9}
    beta = s.space.entry("one_minus_beta")
    assert beta.low < 0.9 < beta.high


def test_the_claim_follows_momentum_in_the_registry():
    keys = [c.key for c in registry.CLAIMS]
    assert keys.index(momentum_beta.KEY) == keys.index("momentum-negligible") + 1
    assert momentum_beta.CLAIM.sweeps == (momentum_beta.SWEEP,)


def test_each_data_set_keeps_the_sweeps_settings_but_its_own_data_and_network():
    from sweeps import sweep_file

    base = sweep_file.load(context.FINDINGS_DIR / momentum_beta.SWEEP)
    setting = momentum_beta.DATASETS[-1]
    s = momentum_beta.spec_for(base, setting)
    config = s.config_for(momentum_beta.arm("gd", 0.1))
    assert s.data.name == setting.data and config.layers == setting.layers
    assert (config.optimizer, config.epochs, config.batch_size) == ("gd", setting.epochs, 64)
    assert momentum_beta.arm("momentum", 0.1)["beta"] == 0.9


def test_selection_seeds_never_evaluate():
    from analysis.report_inputs import MAX_SEEDS

    assert min(momentum_beta.SELECTION_SEEDS) > MAX_SEEDS


def _result() -> dict:
    """A measured result's shape, from hand-made numbers: better on moons, the same elsewhere."""
    rows = []
    for i, s in enumerate(momentum_beta.DATASETS):
        mom = shifted(-0.2 if i == 0 else 0.0)
        rows.append({
            "data": s.data, "layers": list(s.layers), "epochs": s.epochs, "why": s.why,
            "alpha": {"gd": 0.1, "momentum": momentum_beta.ALPHAS[-1]},
            "selection": {o: [0.3 - 0.01 * k for k in range(len(momentum_beta.ALPHAS))]
                          for o in momentum_beta.OPTIMIZERS},
            "seeds": [1, 2, 3, 4, 5], "left_out": [],
            "gd": {"mean": 0.248, "se": 0.02, "values": GD},
            "momentum": {"mean": sum(mom) / 5, "se": 0.02, "values": mom},
            **momentum_beta.compare_pair(GD, mom),
        })  # fmt: skip
    comparison = {"verdict": statistics.HOLDS, "default_mean": 0.07, "default_se": 0.01,
                  "tuned_mean": 0.08, "tuned_se": 0.02, "gap": -0.01, "lower": -0.04,
                  "upper": 0.0, "tuned": [0.08] * 5}  # fmt: skip
    beta = {
        "holds": True, "seeds": [4, 5, 6, 7, 8], "selection_seeds": [1, 2, 3],
        "row": {**_beta_row(statistics.HOLDS), "comparison": comparison,
                "importance": {"fanova": {"value": 0.1}}},
        "alpha": {"tuned": 0.27, "measured": {"low": 0.15, "high": 0.47}},
        "report": {"markdown": "docs/findings/claim-momentum-beta.md"},
        "trials": [{"alpha": 0.1, "beta": 0.9, "value": 0.1}, {"alpha": 1, "beta": 0.99,
                                                             "value": 0.3}],
    }  # fmt: skip
    across = momentum_beta.almost_always(
        [x["not_worse"] for x in rows], [x["better"] for x in rows]
    )
    evidence = {"beta": beta, "datasets": rows, "across": across,
                "alphas": list(momentum_beta.ALPHAS),
                "selection_seeds": list(momentum_beta.SELECTION_SEEDS)}  # fmt: skip
    return Judged({"a part": True}, "confirmed", "every part holds", evidence)


def test_the_section_prints_every_data_set_and_the_across_part(tmp_path):
    r = _result()
    assert (
        r.evidence["across"]["never_worse"] is True
        and r.evidence["across"]["better_on_most"] is False
    )
    text = "\n".join(momentum_beta.section(r))
    for s in momentum_beta.DATASETS:
        assert f"| {s.data} | {'-'.join(map(str, s.layers))} | {s.epochs} |" in text
    assert "0.1 / 3*" in text  # the grid's edge is marked
    assert "Better on at least 4 of 6: no (better on 1, shown not better on 5)" in text
    assert "(findings/claim-momentum-beta.md)" in text
    png = momentum_beta.figure({momentum_beta.KEY: r}, tmp_path)
    assert png is not None and png.stat().st_size > 0
    assert momentum_beta.figure({}, tmp_path) is None


@dataclasses.dataclass
class FakeContext:
    """Context's seeds and retrain, with hand-made finals: selection runs (data, optimizer,
    alpha) cost least at GD 0.1 and Momentum 0.3; evaluation runs (data, optimizer) give
    Momentum 20% below GD on the first three data sets, GD's own costs on the rest; on moons,
    seed 2 learned nothing under both rules."""

    seeds: list[int]
    tracking_uri: str | None = None
    asked: list = dataclasses.field(default_factory=list)

    def retrain(self, study, spec, arms, spec_of=None):
        self.asked.append((list(self.seeds), [spec_of(label).data.name for label in arms]))
        return {label: [self._run(label, s) for s in self.seeds] for label in arms}

    def _run(self, label, seed):
        data, opt, *alpha = label
        if alpha:
            best = 0.1 if opt == "gd" else 0.3
            cost = 0.1 + abs(math.log10(alpha[0] / best))
        else:
            better = data in [s.data for s in momentum_beta.DATASETS[:3]] and opt == "momentum"
            cost = shifted(-0.2)[seed - 1] if better else GD[seed - 1]
        o = outcome([cost])
        return dataclasses.replace(
            o, key=(label, seed), learned_nothing=(data, seed) == ("moons", 2)
        )


def test_alphas_are_chosen_on_selection_seeds_and_compared_on_the_others():
    from sweeps import sweep_file

    spec = sweep_file.load(context.FINDINGS_DIR / momentum_beta.SWEEP)
    ctx = FakeContext(seeds=[1, 2, 3, 4, 5])
    rows, kept = momentum_beta.measure_datasets(ctx, None, spec)
    (select_seeds, select_data), (eval_seeds, eval_data) = ctx.asked
    assert select_seeds == list(momentum_beta.SELECTION_SEEDS) and eval_seeds == ctx.seeds
    assert set(select_data) == set(eval_data) == {s.data for s in momentum_beta.DATASETS}
    assert all(x["alpha"] == {"gd": 0.1, "momentum": 0.3} for x in rows)
    moons = rows[0]
    assert moons["left_out"] == [2] and moons["seeds"] == [1, 3, 4, 5]
    assert len(kept[("moons", "gd")]) == 4  # and so nothing_learned does not list it
    assert [x["better"] for x in rows] == [True, True, True, False, False, False]
    assert all(x["not_worse"] is True for x in rows)
    across = momentum_beta.almost_always(
        [x["not_worse"] for x in rows], [x["better"] for x in rows]
    )
    assert across["holds"] is False  # better on 3 of 6: not most
