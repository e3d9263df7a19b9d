"""The auth files of `optsweep server --auth`: where they go, who can read them, and the
passwords refused before MLflow ever sees them."""

from __future__ import annotations

import sqlite3

import pytest

from tracking import auth
from tracking.errors import TrackingError


def test_the_files_go_beside_a_sqlite_store_else_in_the_working_folder(tmp_path):
    beside = auth.files_for(f"sqlite:///{tmp_path / 'runs' / 'mlflow.db'}")
    assert beside.database == tmp_path / "runs" / "mlflow-auth.db"
    elsewhere = auth.files_for("postgresql://u:p@db.example.org/mlflow", workdir=tmp_path)
    assert elsewhere.database == tmp_path / "mlflow-auth.db"
    assert elsewhere.database_uri == f"sqlite:///{tmp_path / 'mlflow-auth.db'}"


@pytest.mark.parametrize(
    "password, says",
    [(None, "set OPTSWEEP_ADMIN_PASSWORD"), ("", "set OPTSWEEP_ADMIN_PASSWORD"),
     ("password1234", "old default"), ("short-pw", "at least 12")],
)  # fmt: skip
def test_a_missing_default_or_short_password_is_refused_in_one_line(password, says):
    with pytest.raises(TrackingError) as e:
        auth.check_password(password, auth.ADMIN_PASSWORD_ENV)
    assert says in str(e.value) and "\n" not in str(e.value)


def test_the_first_start_needs_the_admin_password_and_writes_nothing_without_it(tmp_path):
    files = auth.files_for(f"sqlite:///{tmp_path / 'mlflow.db'}")
    with pytest.raises(TrackingError, match="OPTSWEEP_ADMIN_PASSWORD"):
        auth.server_env(files, {})
    assert list(tmp_path.iterdir()) == []
    env = auth.server_env(files, {auth.ADMIN_PASSWORD_ENV: "a-good-admin-pw"})
    assert env["MLFLOW_AUTH_ADMIN_PASSWORD"] == "a-good-admin-pw"
    for path in (files.config, files.secret):
        assert path.stat().st_mode & 0o777 == 0o600
    assert "a-good-admin-pw" not in files.config.read_text()
    assert files.database_uri in files.config.read_text()


def test_once_the_admin_exists_no_password_is_needed_and_a_given_key_is_used(tmp_path):
    files = auth.files_for(f"sqlite:///{tmp_path / 'mlflow.db'}")
    with sqlite3.connect(files.database) as conn:  # the table MLflow's auth store keeps
        conn.execute("CREATE TABLE users (id INTEGER, username TEXT, password_hash TEXT)")
        conn.execute("INSERT INTO users VALUES (1, 'admin', 'x')")
    env = auth.server_env(files, {auth.SECRET_ENV: "the-team-key"})
    assert "MLFLOW_AUTH_ADMIN_PASSWORD" not in env and not files.secret.exists()
    assert auth.SECRET_ENV not in env  # MLflow reads the user's own variable


def test_a_foreign_user_database_is_refused_in_one_line(tmp_path):
    files = auth.files_for(f"sqlite:///{tmp_path / 'mlflow.db'}")
    files.database.write_bytes(b"not a database at all" * 100)
    with pytest.raises(TrackingError, match="move it away") as e:
        auth.server_env(files, {auth.ADMIN_PASSWORD_ENV: "a-good-admin-pw"})
    assert "\n" not in str(e.value)
