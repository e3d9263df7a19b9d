"""What every claim module exposes, and that its quote is the seed's own words."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

MODULES = ("initialization", "gradient_checking", "ewa", "rmsprop", "adam_memory", "saddle_points")
SEED = (
    Path(__file__).resolve().parents[3].parent / "shared/seed/deep-learning-note-2-optimization.txt"
)


@pytest.mark.parametrize("name", MODULES)
def test_a_claim_module_names_its_claim_and_rule(name):
    mod = importlib.import_module(f"analysis.findings.{name}")
    for attr in ("KEY", "TITLE", "QUOTE", "RULE"):
        assert isinstance(getattr(mod, attr), str) and getattr(mod, attr), attr
    assert callable(mod.measure) and callable(mod.figure) and callable(mod.section)


def test_keys_are_unique():
    keys = [importlib.import_module(f"analysis.findings.{n}").KEY for n in MODULES]
    assert len(set(keys)) == len(keys)


@pytest.mark.skipif(
    not SEED.exists(), reason="the seed note (../shared/seed) is not beside the repo"
)
@pytest.mark.parametrize("name", MODULES)
def test_the_quote_is_verbatim(name):
    text = " ".join(SEED.read_text().split())
    quote = importlib.import_module(f"analysis.findings.{name}").QUOTE
    for piece in quote.split("[...]"):  # an elision joins two verbatim pieces
        assert " ".join(piece.split()) in text
