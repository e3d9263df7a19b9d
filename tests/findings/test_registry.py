"""Every claim names itself, quotes the seed verbatim and states a rule; its sweep files load;
the grid sampler the claims rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from findings import context, registry

# a copy of ../shared/seed/deep-learning-note-2-optimization.txt, the note the claims quote
SEED = Path(__file__).with_name("seed-note.txt")


def test_every_claim_has_a_unique_key_a_title_and_something_to_show():
    keys = [c.key for c in registry.CLAIMS]
    assert len(set(keys)) == len(keys)
    for c in registry.CLAIMS:
        assert c.title and c.rule and callable(c.measure) and callable(c.section), c.key


@pytest.mark.parametrize("claim", registry.CLAIMS, ids=lambda c: c.key)
def test_the_quote_is_the_seeds_own_words(claim):
    def words(t: str) -> str:  # the same text whatever its line breaks and apostrophes
        return " ".join(t.replace("\u2019", "'").split())

    text = words(SEED.read_text())
    for piece in claim.quote.split("[...]"):  # an elision joins two verbatim pieces
        assert words(piece) in text, piece


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
    # the workers offset the sampler seed one each; both must still walk the same grid
    workers = [samplers.make_sampler(dataclasses.replace(s, seed=i)) for i in (0, 1)]
    for n in range(s.trials):
        study.sampler = workers[n % 2]
        trial = study.ask()
        s.space.suggest(trial)
        study.tell(trial, 1.0)  # the last tell once raised from GridSampler's study.stop()
    seen = {(t.params["optimizer"], t.params["alpha"]) for t in study.trials}
    assert len(seen) == s.space.grid_size() == len(study.trials)


def test_a_claims_study_that_was_never_swept_is_one_clear_error(tmp_path):
    from core.errors import ConfigError
    from findings.context import Context

    with pytest.raises(ConfigError):
        Context(store=tmp_path, seeds=[1]).study("decay.toml")
