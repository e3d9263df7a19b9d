"""`optsweep report --cluster`: the re-trainings on a Dask LocalCluster give the report the
same verdicts and figures as our own worker processes (a re-training is deterministic per seed,
wherever it runs), and a --cluster that cannot work is one line, exit 2, before anything."""

from __future__ import annotations

import json

from analysis import retraining
from tests.e2e.test_report import invoke, run_ids, study, swept  # noqa: F401 -- fixtures

TIMES = ("seconds", "epoch_seconds", "epoch_cpu", "time_to_target")  # differ run to run


def _figures(content):
    """The report's JSON without what a clock measured (seconds), nor where it was written."""
    if isinstance(content, dict):
        return {k: _figures(v) for k, v in content.items() if k not in (*TIMES, "written")}
    if isinstance(content, list):
        return [_figures(v) for v in content]
    return content


def _report(*extra) -> dict:
    result = invoke("report", "small", "--seeds", 3, "--workers", 2, "--json", "--no-track",
                    "--out", "r.md", *extra)  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_report_on_a_local_cluster_matches_one_on_processes(study, monkeypatch):  # noqa: F811
    here = _report()
    sent = []  # the populations sent to the cluster
    submit = retraining._OneThreadEach.submit
    monkeypatch.setattr(retraining._OneThreadEach, "submit",
                        lambda self, fn, *a: sent.append(a) or submit(self, fn, *a))  # fmt: skip
    there = _report("--cluster", "local")
    assert sent
    verdicts = [p["comparison"] and p["comparison"]["verdict"] for p in here["parameters"]]
    assert verdicts == [p["comparison"] and p["comparison"]["verdict"]
                        for p in there["parameters"]]  # fmt: skip
    assert _figures(there) == _figures(here)
    assert len(there["runs"]) == len(here["runs"]) > 0


def test_a_bad_cluster_is_one_line_exit_2_and_writes_nothing(study):  # noqa: F811
    before, files = run_ids(study), sorted(p.name for p in study.iterdir())
    result = invoke("report", "small", "--seeds", 2, "--cluster", "somewhere")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --cluster 'somewhere': give local")
    assert sorted(p.name for p in study.iterdir()) == files and run_ids(study) == before


def test_a_sweep_on_a_cluster_re_trains_its_end_report_there(study, monkeypatch):  # noqa: F811
    """The same sweep resumed (its budget spent) with --cluster local: the report at its end
    sends its re-trainings to the cluster too, not to this machine's processes."""
    sent = []
    submit = retraining._OneThreadEach.submit
    monkeypatch.setattr(retraining._OneThreadEach, "submit",
                        lambda self, fn, *a: sent.append(a) or submit(self, fn, *a))  # fmt: skip
    path = next(study.glob("*.toml"))
    result = invoke("sweep", path, "--cluster", "local", "--workers", 2, "--report-seeds", 2)
    assert result.exit_code == 0, result.output
    assert sent, "no re-training went to the cluster"
    assert (study / "reports" / f"{path.stem}.md").is_file()
