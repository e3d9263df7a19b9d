"""The claims' verdict rules on synthetic numbers with known answers, their measurements on
hand-made runs, the claim sweep files, and the grid sampler the claims rely on."""

from __future__ import annotations

import math

import pytest

from sweeps import claims as c
from sweeps.retrain import Outcome


def outcome(val_cost, cpu=None, status="completed", budget=None) -> Outcome:
    n = len(val_cost)
    return Outcome(
        key=None, status=status, reason="", final={"val_cost": val_cost[-1] if n else None},
        epochs_run=n, seconds=0.0, n_batches=4, steps=4 * n, val_cost=list(val_cost),
        epoch_seconds=[0.1 * (i + 1) for i in range(n)],
        epoch_cpu=cpu if cpu is not None else [0.01 * (i + 1) for i in range(n)],
        budget=budget if budget is not None else n,
    )  # fmt: skip


# --- combining parts -------------------------------------------------------------------------


def test_every_part_confirms_no_part_refutes_some_parts_depend():
    assert c.combine({"a": True, "b": True}) == c.CONFIRMED
    assert c.combine({"a": False, "b": False}) == c.REFUTED
    assert c.combine({"a": True, "b": False}) == c.DEPENDS
    assert c.depends_on({"gd": True, "adam": False}) == "holds: gd - does not hold: adam"


# --- claim 1: a lot faster -------------------------------------------------------------------


def test_a_lot_faster_needs_half_the_epochs_beyond_noise():
    slow = [400.0, 420.0, 380.0, 410.0, 390.0]
    assert c.a_lot_faster([100.0, 110.0, 95.0, 105.0, 98.0], slow)
    assert not c.a_lot_faster([300.0, 310.0, 290.0, 305.0, 295.0], slow)  # faster, not 2x
    assert not c.a_lot_faster([100.0, 900.0, 100.0, 900.0, 100.0], slow)  # 2x on average only
    assert not c.a_lot_faster(slow, [100.0, 110.0, 95.0, 105.0, 98.0])  # slower


# --- claim 2: negligible ---------------------------------------------------------------------


def test_negligible_is_a_difference_shown_within_one_percent():
    gd = [0.50, 0.52, 0.48, 0.51, 0.49]
    assert c.negligible(gd, [x + 0.001 for x in gd]) is True  # 0.2% on every seed: within 1%
    assert c.negligible(gd, [x - 0.05 for x in gd]) is False  # 10% better on every seed
    noisy = [x + d for x, d in zip(gd, [0.1, -0.1, 0.1, -0.1, 0.02], strict=True)]
    assert c.negligible(gd, noisy) is None  # 0.4% on average, sd 0.09: nothing to tell


def test_momentum_verdict_is_about_the_small_alpha_first():
    assert c.momentum_verdict(True, True) == c.CONFIRMED
    assert c.momentum_verdict(True, False) == c.DEPENDS
    assert c.momentum_verdict(False, True) == c.REFUTED
    assert c.momentum_verdict(False, None) == c.REFUTED
    assert c.momentum_verdict(None, True) == c.INCONCLUSIVE
    assert c.momentum_verdict(True, None) == c.INCONCLUSIVE


# --- claim 4: helps --------------------------------------------------------------------------


def test_decay_helps_only_when_lower_beyond_noise_and_tolerance():
    off = [0.10, 0.12, 0.11, 0.13, 0.09]
    assert c.helps([x - 0.02 for x in off], off)
    assert not c.helps([x - 0.0005 for x in off], off)  # 0.5%: within 1%
    assert not c.helps([x + 0.02 for x in off], off)  # worse


def test_wander_is_the_spread_of_the_last_fifth():
    flat = [1.0] * 80 + [0.1] * 20
    assert c.wander(flat) == 0.0
    jumpy = [1.0] * 80 + [0.1, 0.3] * 10
    assert c.wander(jumpy) == pytest.approx(0.1 * math.sqrt(20 / 19))


# --- time to target on hand-made runs ----------------------------------------------------------


def test_to_target_counts_epochs_and_cpu_seconds_and_censors_at_the_budget():
    runs = [
        outcome([0.9, 0.5, 0.2, 0.1]),  # below 0.25 at epoch 3
        outcome([0.9, 0.6, 0.4, 0.3], budget=10),  # never: counts as its 10 epochs
        outcome([0.9, 0.2], cpu=[0.5, 0.7]),
    ]
    epochs, missed = c.to_target(runs, 0.25)
    assert epochs == [3.0, 10.0, 2.0] and missed == 1
    cpu, _ = c.to_target(runs, 0.25, "cpu")
    assert cpu == pytest.approx([0.03, 0.04, 0.7])  # the miss: all its CPU time
    diverged = outcome([0.9, 0.1], status="diverged", budget=50)
    assert c.to_target([diverged], 0.25) == ([50.0], 1)


def test_final_counts_a_diverged_run_as_the_worst():
    runs = [outcome([0.3, 0.2]), outcome([0.3, math.nan], status="diverged")]
    assert c.final(runs) == [0.2, pytest.approx(math.log(2))]


# --- claim 6: the three parts -----------------------------------------------------------------


SIZES = (1, 32, 64, 512, 1024)


def parts(cpu: dict, noise: dict) -> dict:
    return c.batch_size_parts(cpu, noise, SIZES, m=800)


def test_the_textbook_picture_confirms_all_three_parts():
    cpu = {1: [5.0, 5.2, 4.9], 32: [0.5, 0.6, 0.55], 64: [0.3, 0.32, 0.31],
           512: [0.6, 0.62, 0.61], 1024: [1.2, 1.3, 1.25]}  # fmt: skip
    noise = {1: [1.2, 1.1, 1.3], 32: [0.3, 0.31, 0.29], 64: [0.2, 0.21, 0.19],
             512: [0.05, 0.06, 0.05], 1024: [0.001, 0.002, 0.001]}  # fmt: skip
    assert all(parts(cpu, noise).values())


def test_fast_batch_gd_and_quiet_sgd_refute_their_parts():
    cpu = {1: [0.1, 0.11, 0.1], 32: [0.5, 0.6, 0.55], 64: [0.3, 0.32, 0.31],
           512: [0.6, 0.62, 0.61], 1024: [0.2, 0.21, 0.2]}  # fmt: skip
    noise = {1: [0.1, 0.1, 0.1], 32: [0.3, 0.31, 0.29], 64: [0.2, 0.21, 0.19],
             512: [0.05, 0.06, 0.05], 1024: [0.001, 0.002, 0.001]}  # fmt: skip
    p = parts(cpu, noise)
    assert not p["batch GD is slower than the best of 32-512"]
    assert not p["SGD is noisier than every size in 32-512"]
    assert not p["no size is faster than the best of 32-512"]  # SGD is fastest here
    assert c.combine(p) == c.REFUTED


# --- the claim files and the grid sampler they use --------------------------------------------


def test_every_claim_names_sweep_files_that_load_and_states_a_rule():
    from sweeps import spec

    for claim in c.CLAIMS:
        assert claim.rule and claim.quote
        for name in claim.sweeps:
            s = spec.load(c.CLAIMS_DIR / name)
            assert s.pruner == "none"  # every trial measured to its end
            if s.sampler == "grid":
                assert s.trials == s.space.grid_size()  # the whole grid, once


def test_a_grid_shared_by_two_workers_is_covered_once_and_ends_quietly():
    import dataclasses

    import optuna

    from sweeps import samplers, spec

    s = spec.load(c.CLAIMS_DIR / "breast_cancer_raw.toml")
    study = optuna.create_study(storage=optuna.storages.InMemoryStorage())
    # the runner offsets the sampler seed per worker; both must still walk the same grid
    workers = [samplers.make_sampler(dataclasses.replace(s, seed=i)) for i in (0, 1)]
    for n in range(s.trials):
        study.sampler = workers[n % 2]
        trial = study.ask()
        s.space.suggest(trial)
        study.tell(trial, 1.0)  # the last tell once raised from GridSampler's study.stop()
    seen = {(t.params["optimizer"], t.params["alpha"]) for t in study.trials}
    assert len(seen) == s.space.grid_size() == len(study.trials)


def test_a_seed_on_which_every_arm_learned_nothing_is_left_out_everywhere():
    def run(seed, dead):
        o = outcome([0.7, 0.693] if dead else [0.5, 0.2])
        o.key, o.learned_nothing = ("x", seed), dead
        return o

    runs = {"a": [run(1, False), run(2, True), run(3, True)],
            "b": [run(1, False), run(2, True), run(3, False)]}  # fmt: skip
    kept, left_out = c.drop_dead_seeds(runs, [1, 2, 3])
    assert left_out == [2]  # seed 3 died in arm a only: that may be a's doing, it stays
    assert [o.key[1] for o in kept["a"]] == [1, 3] and [o.key[1] for o in kept["b"]] == [1, 3]
    assert c.nothing_learned(kept, [1, 3]) == ["a: seed 3"]
