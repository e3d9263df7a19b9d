"""The findings page in MLflow: its parent run holds the page, its plots and each verdict."""

from __future__ import annotations

import shutil

from analysis.findings.page import FINDINGS, log_page
from tests.tracking.conftest import build_template_db


def test_the_page_and_its_plots_are_artifacts_of_the_findings_parent_run(tmp_path):
    from mlflow.tracking import MlflowClient

    shutil.copy(build_template_db(), tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    page = tmp_path / "findings.md"
    page.write_text("# Findings\n")
    figures = tmp_path / "findings"
    figures.mkdir()
    (figures / "decay.png").write_bytes(b"\\x89PNG")
    results = {"decay": {"verdict": "confirmed"}, "ewa": {"verdict": "depends"}}
    run_id = log_page(uri, page, figures, results)
    client = MlflowClient(uri)
    run = client.get_run(run_id)
    assert client.get_experiment(run.info.experiment_id).name == FINDINGS
    assert run.info.status == "FINISHED"
    assert run.data.tags["optsweep.findings.decay"] == "confirmed"
    assert run.data.tags["optsweep.findings.ewa"] == "depends"
    names = {a.path.split("/")[-1] for a in client.list_artifacts(run_id)}
    names |= {a.path.split("/")[-1] for d in client.list_artifacts(run_id) if d.is_dir
              for a in client.list_artifacts(run_id, d.path)}  # fmt: skip
    assert {"findings.md", "decay.png"} <= names
    assert log_page(uri, page, figures, results) == run_id  # a re-run updates the same run
