"""`optsweep server` up to the moment it becomes `mlflow server`: loopback unless asked, a
warning when not, the backend URL (and its password) in the environment and never on the
command line or in the printout. (The distributed tests run the real server.)"""

from __future__ import annotations

import os
import shutil
import socket

import pytest
from typer.testing import CliRunner

from optsweep.cli import app
from tests.distributed.conftest import PASSWORD, template_db


@pytest.fixture
def execve(monkeypatch):
    """Catch the exec into mlflow: what would have run, with which environment."""
    seen = {}

    def fake(path, argv, env):
        seen.update(path=path, argv=argv, env=env)
        raise SystemExit(0)

    monkeypatch.setattr(os, "execve", fake)
    return seen


def test_the_server_binds_to_loopback_with_the_local_store_and_served_artifacts(
    tmp_path, monkeypatch, execve
):
    shutil.copy(template_db(), tmp_path / "mlflow.db")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_BACKEND_STORE_URI", raising=False)
    monkeypatch.delenv("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", raising=False)
    result = CliRunner().invoke(app, ["server", "--port", "5123"])
    assert result.exit_code == 0, result.output
    argv = execve["argv"]
    assert argv[argv.index("--host") + 1] == "127.0.0.1" and "--serve-artifacts" in argv
    assert argv[argv.index("--artifacts-destination") + 1] == (tmp_path / "mlartifacts").as_uri()
    assert "--backend-store-uri" not in argv
    assert execve["env"]["MLFLOW_BACKEND_STORE_URI"] == f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert execve["env"]["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    assert "http://127.0.0.1:5123" in result.stdout and result.stderr == ""


def test_another_host_is_warned_about_and_a_password_stays_in_the_environment(
    monkeypatch, execve, postgres
):
    url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:5432/test"
    monkeypatch.setenv("MLFLOW_BACKEND_STORE_URI", url)
    result = CliRunner().invoke(app, ["server", "--host", "0.0.0.0", "--insecure"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("warning: binding MLflow to 0.0.0.0 without a login")
    assert PASSWORD not in result.output and "postgres:***@" in result.stdout
    assert not [a for a in execve["argv"] if PASSWORD in a]
    assert execve["env"]["MLFLOW_BACKEND_STORE_URI"] == url
    # workers reach it by this machine's name, which MLflow's Host check must then accept
    allowed = execve["env"]["MLFLOW_SERVER_ALLOWED_HOSTS"].split(",")
    assert socket.gethostname() in allowed and f"{socket.gethostname()}:*" in allowed
    assert "10.*" in allowed and "localhost:*" in allowed  # MLflow's own defaults stay


def test_allowed_hosts_replace_the_defaults(tmp_path, monkeypatch, execve):
    shutil.copy(template_db(), tmp_path / "mlflow.db")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_BACKEND_STORE_URI", raising=False)
    args = ["server", "--host", "0.0.0.0", "--insecure", "--allowed-hosts", "mlflow.example.org"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert execve["env"]["MLFLOW_SERVER_ALLOWED_HOSTS"] == "mlflow.example.org"


@pytest.mark.parametrize(
    "command", [["server"], ["ui"], ["dashboard", "default"]], ids=["server", "ui", "dashboard"]
)
def test_beyond_loopback_without_a_login_or_insecure_is_refused_before_anything(
    command, tmp_path, monkeypatch, execve
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_BACKEND_STORE_URI", raising=False)
    result = CliRunner().invoke(app, [*command, "--host", "0.0.0.0"])
    assert result.exit_code == 2 and not execve
    err = result.stderr.strip()
    assert err.startswith("error: binding ") and "\n" not in err and "--insecure" in err
    assert list(tmp_path.iterdir()) == []  # no store, no journal


def test_an_auth_server_gets_its_settings_and_admin_password_from_the_environment(
    tmp_path, monkeypatch, execve
):
    shutil.copy(template_db(), tmp_path / "mlflow.db")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_BACKEND_STORE_URI", raising=False)
    monkeypatch.delenv("MLFLOW_FLASK_SERVER_SECRET_KEY", raising=False)
    monkeypatch.delenv("OPTSWEEP_ADMIN_PASSWORD", raising=False)
    refused = CliRunner().invoke(app, ["server", "--auth", "--host", "0.0.0.0"])
    assert refused.exit_code == 2 and "OPTSWEEP_ADMIN_PASSWORD" in refused.stderr
    assert not execve and not (tmp_path / "mlflow-auth.ini").exists()

    monkeypatch.setenv("OPTSWEEP_ADMIN_PASSWORD", "first-admin-pw-77")
    result = CliRunner().invoke(app, ["server", "--auth", "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    argv, env = execve["argv"], execve["env"]
    assert argv[argv.index("--app-name") + 1] == "basic-auth"
    assert not [a for a in argv if "first-admin-pw-77" in a]
    assert env["MLFLOW_AUTH_ADMIN_PASSWORD"] == "first-admin-pw-77"
    assert env["MLFLOW_AUTH_CONFIG_PATH"] == str(tmp_path / "mlflow-auth.ini")
    secret = (tmp_path / "mlflow-auth.secret").read_text().strip()
    assert env["MLFLOW_FLASK_SERVER_SECRET_KEY"] == secret and len(secret) >= 32
    again = CliRunner().invoke(app, ["server", "--auth"])  # the key is kept, not replaced
    assert again.exit_code == 0 and execve["env"]["MLFLOW_FLASK_SERVER_SECRET_KEY"] == secret
