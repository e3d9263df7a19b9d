"""`optsweep ui`: the command line it becomes, and the study pages it prints before."""

from __future__ import annotations

import os
import shutil

import pytest
from typer.testing import CliRunner

from optsweep.cli import app
from tests.tracking.conftest import template_db  # noqa: F401 (a fixture: a migrated store)
from tracking import ui
from tracking.runs import StudyTracker

runner = CliRunner()


class Execd(Exception):
    pass


@pytest.fixture
def execv(monkeypatch):
    """Capture the argv `optsweep ui` would become instead of becoming it."""
    seen = []

    def fake(path, argv):
        seen.append(argv)
        raise Execd

    monkeypatch.setattr(os, "execv", fake)
    return seen


@pytest.fixture
def store_with_studies(tmp_path, template_db):  # noqa: F811
    shutil.copy(template_db, tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    for name in ("first", "second"):
        StudyTracker(uri, name).open_parent({"trials": 1})
    tracker = StudyTracker(uri, "first")  # not a study: an experiment without a parent run
    tracker.client.create_experiment("not-a-study")
    return uri


def test_it_prints_each_studys_page_in_the_model_training_view(execv, store_with_studies):
    from mlflow.tracking import MlflowClient

    result = runner.invoke(app, ["ui", "--tracking-uri", store_with_studies, "--port", "5077"])
    assert isinstance(result.exception, Execd), result.output
    client = MlflowClient(store_with_studies)
    ids = {n: client.get_experiment_by_name(n).experiment_id for n in ("first", "second")}
    lines = result.stdout.splitlines()
    assert lines[0].startswith("MLflow UI on http://127.0.0.1:5077 for sqlite:///")
    assert lines[1:] == [  # newest first; the experiment without a study run is left out
        f"  study second: http://127.0.0.1:5077/#/experiments/{ids['second']}/runs"
        "?workflowType=machine_learning",
        f"  study first: http://127.0.0.1:5077/#/experiments/{ids['first']}/runs"
        "?workflowType=machine_learning",
    ]
    (argv,) = execv
    assert argv[argv.index("--workers") + 1] == "1" and argv[argv.index("--port") + 1] == "5077"
    assert argv[argv.index("--host") + 1] == "127.0.0.1"


def test_a_store_not_there_yet_is_not_created_and_says_how_to_fill_it(execv, tmp_path):
    result = runner.invoke(app, ["ui", "--tracking-uri", f"sqlite:///{tmp_path / 'new.db'}"])
    assert isinstance(result.exception, Execd), result.output
    assert "no study yet: run one with make sweep" in result.stdout
    assert not (tmp_path / "new.db").exists()


def test_studies_reads_nothing_it_cannot_and_never_raises(tmp_path):
    bad = tmp_path / "broken.db"
    bad.write_text("not a database")
    assert ui.studies(f"sqlite:///{bad}") == []
    assert ui.studies("http://127.0.0.1:5000") == []
    assert ui.studies(f"sqlite:///{tmp_path / 'absent.db'}") == []
