"""Small sweep files and helpers shared by the end-to-end tests (real Optuna, real MLflow)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

SMALL = """
[study]
name = "{name}"
trials = {trials}
pruner = "{pruner}"
report_every = 1
population = {population}
seed = 0

[train]
data = "moons"
epochs = {epochs}
decay = "inverse-time"

[space]
alpha = {{ low = {alpha_low}, high = {alpha_high} }}
beta1 = {{ low = 0.8, high = 0.999, default = true }}
batch_size = {{ low = 32, high = 256, default = true }}
decay_rate = {{ low = 0.0, high = 0.1, default = true }}
"""


def write_sweep(
    folder: Path,
    name: str = "small",
    trials: int = 5,
    epochs: int = 12,
    pruner: str = "median",
    alpha_low: float = 1e-3,
    alpha_high: float = 1e-1,
    population: int = 2,  # every sweep here trains populations: two trials a worker at a time
) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(
        textwrap.dedent(
            SMALL.format(
                name=name,
                trials=trials,
                epochs=epochs,
                pruner=pruner,
                alpha_low=alpha_low,
                alpha_high=alpha_high,
                population=population,
            )
        )
    )
    return path


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """Run in an empty folder, as a user would: the embedded stores land here."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def mlflow_view(folder: Path, study: str) -> dict:
    """The study's runs read straight from MLflow (not through our tracking layer)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    exp = client.get_experiment_by_name(study)
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    parents = [r for r in runs if r.data.tags.get("optsweep.role") == "study"]
    children = [r for r in runs if r.data.tags.get("optsweep.role") == "trial"]
    return {"client": client, "experiment": exp, "parents": parents, "children": children}


def load_study(folder: Path, name: str):
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    storage = JournalStorage(JournalFileBackend(str(folder / "optsweep.journal")))
    return optuna.load_study(study_name=name, storage=storage)
