"""Every claim's sweep files load and state a rule; the grid sampler the claims rely on."""

from __future__ import annotations

from analysis.findings import context, registry


def test_every_claim_names_sweep_files_that_load_and_states_a_rule():
    from sweeps import sweep_file

    for claim in registry.CLAIMS:
        assert claim.rule and claim.quote
        for name in claim.sweeps:
            s = sweep_file.load(context.FINDINGS_DIR / name)
            assert s.pruner == "none"  # every trial measured to its end
            if s.sampler == "grid":
                assert s.trials == s.space.grid_size()  # the whole grid, once


def test_a_grid_shared_by_two_workers_is_covered_once_and_ends_quietly():
    import dataclasses

    import optuna

    from sweeps import samplers, sweep_file

    s = sweep_file.load(context.FINDINGS_DIR / "breast_cancer_raw.toml")
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
