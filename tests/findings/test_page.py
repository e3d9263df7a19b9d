"""The findings page in MLflow: its parent run holds the page, its plots and each verdict."""

from __future__ import annotations

import shutil

from findings.page import FINDINGS, log_page
from findings.rules import Judged
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
    results = {"decay": Judged({}, "confirmed", ""), "ewa": Judged({}, "depends", "")}
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


def _results(verdicts: dict[str, str]) -> dict[str, Judged]:
    from findings.registry import CLAIMS

    return {c.key: Judged({}, verdicts.get(c.key, "confirmed"), f"why {c.key}") for c in CLAIMS}


def test_the_page_says_which_verdicts_changed_against_the_page_it_replaces():
    from findings.page import changes
    from findings.registry import CLAIMS

    by_key = {c.key: c.title for c in CLAIMS}
    previous = "\n".join([
        "A difference counts when it exceeds 2 standard errors of those differences.",
        "| # | claim | verdict | why |",
        "|---|---|---|---|",
        f"| 1 | [{by_key['decay']}](#4-x) | **refuted** | no part holds |",
        f"| 2 | [{by_key['normalize']}](#5-x) | **confirmed** | every part holds |",
        "| 3 | [A claim since dropped](#9-x) | **depends** | - |",
    ])  # fmt: skip
    lines = changes(previous, _results({"decay": "inconclusive"}))
    text = "\n".join(lines)
    assert f"| {by_key['decay']} | **refuted** | **inconclusive** | why decay |" in lines
    assert by_key["normalize"] not in text  # kept its verdict: not in the table
    assert "1 verdict(s) changed, 1 kept" in text
    assert "no longer on this page: A claim since dropped" in text
    assert by_key["saddle-points"] in text.split("new on this page:")[1]
    assert "earlier rule" in text  # the old page stated the 2-SE rule
    assert "two-part rule" in text  # nor the defaults report's two-part rule
    again = "\n".join(changes(previous + "\nthe report's two-part rule", _results({})))
    assert "now judges with the two-part rule" not in again  # said once, on the page that changed


def test_a_first_page_or_an_unchanged_one_says_so():
    from findings.page import changes, previous_verdicts
    from findings.registry import CLAIMS

    assert changes("", _results({})) == []
    page = "\n".join(
        f"| {i} | [{c.title}](#{i}) | **confirmed** | why |" for i, c in enumerate(CLAIMS, 1)
    )
    assert len(previous_verdicts(page)) == len(CLAIMS)
    text = "\n".join(changes(page, _results({})))
    assert f"0 verdict(s) changed, {len(CLAIMS)} kept." in text
    assert "earlier rule" not in text and "| was |" not in text
