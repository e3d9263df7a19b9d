"""`optsweep dashboard`: optuna-dashboard serves the study a sweep wrote, on loopback only."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.errors import ConfigError
from optsweep.cli import app
from sweeps import dashboard, storage
from tests.e2e.conftest import write_sweep

runner = CliRunner()
pytestmark = pytest.mark.xdist_group("dashboard")  # one sweep for the module
REPO = Path(__file__).resolve().parents[2]


def default_sigint() -> None:
    """Ctrl-C as in a terminal: a background job of a non-interactive shell (CI runners) starts
    with SIGINT ignored, and its children would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
        return json.loads(r.read())


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """A small real sweep (journal file) and the same study copied into a SQLite RDB storage."""
    import optuna

    folder = tmp_path_factory.mktemp("dash")
    path = write_sweep(folder, name="dash", trials=3, epochs=5)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = runner.invoke(app, ["sweep", str(path), "--no-track", "--report-seeds", "0"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    journal = storage.resolve(str(folder / "optsweep.journal"))
    rdb = f"sqlite:///{folder / 'studies.db'}"
    optuna.copy_study(
        from_study_name="dash",
        from_storage=storage.open_storage(journal),
        to_storage=rdb,
    )
    return folder, journal, storage.resolve(rdb)


@pytest.mark.parametrize("kind", ["journal", "rdb"])
def test_it_serves_the_study_from_the_journal_and_from_an_rdb_url(swept, kind):
    _, journal, rdb = swept
    cfg = journal if kind == "journal" else rdb
    dash = dashboard.open_dashboard(cfg, "dash", port=0)
    dash.start()
    try:
        assert dash.host == "127.0.0.1" and dash.server.server_address[0] == "127.0.0.1"
        studies = get_json(f"{dash.base_url}/api/studies")["study_summaries"]
        assert [s["study_name"] for s in studies] == ["dash"]
        detail = get_json(f"{dash.base_url}/api/studies/{dash.study_id}?after=0")
        assert detail["name"] == "dash"
        assert sorted(t["number"] for t in detail["trials"]) == [0, 1, 2]
        assert dash.url.endswith(f"/dashboard/studies/{dash.study_id}")
        with urllib.request.urlopen(dash.url, timeout=10) as page:  # the app's HTML
            assert page.status == 200 and b"<html" in page.read().lower()
    finally:
        dash.close()


def test_a_missing_study_or_storage_and_a_taken_port_are_one_line_errors(swept):
    folder, journal, _ = swept
    with pytest.raises(ConfigError, match=r"no study named 'nope'.*studies: dash"):
        dashboard.open_dashboard(journal, "nope", port=0)
    with pytest.raises(ConfigError, match="no study storage"):
        dashboard.open_dashboard(storage.resolve(str(folder / "none.journal")), "dash", port=0)
    first = dashboard.open_dashboard(journal, "dash", port=0)
    try:
        with pytest.raises(ConfigError, match=f"port {first.port} .* is taken"):
            dashboard.open_dashboard(journal, "dash", port=first.port)
    finally:
        first.server.server_close()


def test_a_public_host_said_insecure_is_warned_about_and_loopback_is_not():
    args = ["dashboard", "dash", "--host", "0.0.0.0", "--insecure", "--port", "70000"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.startswith("warning: binding optuna-dashboard to 0.0.0.0")
    assert "error: --port must be between 0 and 65535" in result.stderr


def test_the_command_prints_the_study_url_serves_it_and_stops_on_ctrl_c(swept):
    folder, _, _ = swept
    proc = subprocess.Popen(
        [sys.executable, "-m", "optsweep", "dashboard", "dash", "--port", "0"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )
    try:
        header = proc.stdout.readline()
        assert header.startswith("optuna-dashboard for study dash") and "optsweep.journal" in header
        line = proc.stdout.readline()  # "open http://127.0.0.1:PORT/dashboard/studies/0 (...)"
        url = line.split()[1]
        assert url.startswith("http://127.0.0.1:") and "/dashboard/studies/" in url
        base = url.split("/dashboard/")[0]
        studies = get_json(f"{base}/api/studies")["study_summaries"]
        assert [s["study_name"] for s in studies] == ["dash"]
    finally:
        proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if proc.poll() is None:
            proc.kill()
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "stopped" in err and "Traceback" not in err
