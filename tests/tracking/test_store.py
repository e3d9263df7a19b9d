"""Choosing and checking a tracking URI: defaults, bad URIs as one-line errors, masking."""

import time
from pathlib import Path

import pytest

from tests.fresh import fresh_python
from tracking.errors import TrackingError
from tracking.store import (
    artifact_location,
    check_reachable,
    default_tracking_uri,
    mask,
    resolve,
    sqlite_path,
)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://user:secret@host/db", "postgresql://user:***@host/db"),
        ("postgresql+psycopg://u:s3cr3t@h:5432/db?sslmode=require",
         "postgresql+psycopg://u:***@h:5432/db?sslmode=require"),
        ("http://admin:p@ss@server:5000", "http://admin:***@server:5000"),  # '@' in password
        ("mysql://root:@localhost/db", "mysql://root:***@localhost/db"),
        ("https://host/api?token=abc123&x=1", "https://host/api?token=***&x=1"),
        ("store is postgresql://u:pw@h/db, ok", "store is postgresql://u:***@h/db, ok"),
        ("postgresql://user@host/db", "postgresql://user@host/db"),  # nothing to hide
        ("sqlite:////tmp/mlflow.db", "sqlite:////tmp/mlflow.db"),
    ],
)  # fmt: skip
def test_mask_hides_passwords_and_keeps_the_rest(url, masked):
    assert mask(url) == masked


def test_default_uri_is_sqlite_in_the_working_directory(tmp_path):
    uri = default_tracking_uri(tmp_path)
    assert uri == f"sqlite:///{tmp_path.resolve()}/mlflow.db"
    assert resolve(None, tmp_path) == uri and resolve("  ", tmp_path) == uri
    assert sqlite_path(uri) == tmp_path.resolve() / "mlflow.db"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///runs/mlflow.db", "sqlite:///{wd}/runs/mlflow.db"),  # relative -> absolute
        ("sqlite:////abs/x.db", "sqlite:////abs/x.db"),
        ("store.db", "sqlite:///{wd}/store.db"),  # a bare .db path is a SQLite store
        ("http://127.0.0.1:5000/", "http://127.0.0.1:5000"),
        ("https://mlflow.example.org", "https://mlflow.example.org"),
        ("postgresql://u:p@db:5432/mlflow", "postgresql://u:p@db:5432/mlflow"),
        ("mysql+pymysql://u:p@db/mlflow", "mysql+pymysql://u:p@db/mlflow"),
        ("file:///abs/mlruns", "file:///abs/mlruns"),
    ],
)
def test_resolve_accepts_and_normalizes(tmp_path, given, expected):
    assert resolve(given, tmp_path) == expected.format(wd=tmp_path.resolve())


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("mlruns", "has no scheme"),
        ("sqlite://mlflow.db", "must start with sqlite:///"),
        ("sqlite:///", "names no database file"),
        ("sqlite:///:memory:", "in-memory"),
        ("sqlite:///somedir/", "points at a folder"),
        ("htp://localhost:5000", "unsupported tracking URI scheme 'htp'"),
        ("s3://bucket/x", "unsupported tracking URI scheme 's3'"),
        ("http://", "names no host"),
        ("http://localhost:50x0", "invalid port"),
        ("postgresql://u:hunter2@host", "needs a host and a database name"),
    ],
)
def test_resolve_rejects_malformed_uris_in_one_masked_line(tmp_path, bad, says):
    with pytest.raises(TrackingError) as err:
        resolve(bad, tmp_path)
    message = str(err.value)
    assert says in message and "\n" not in message
    assert "hunter2" not in message


def test_resolve_rejects_a_folder_as_sqlite_file(tmp_path):
    (tmp_path / "sub").mkdir()
    with pytest.raises(TrackingError, match="points at a folder"):
        resolve("sqlite:///sub", tmp_path)


def test_check_reachable_sqlite_needs_an_existing_writable_folder(tmp_path):
    check_reachable(default_tracking_uri(tmp_path))  # folder exists, file not yet: fine
    with pytest.raises(TrackingError, match="does not exist; create it"):
        check_reachable(f"sqlite:///{tmp_path}/missing/mlflow.db")
    not_db = tmp_path / "notes.db"
    not_db.write_text("hello, not a database\n")
    with pytest.raises(TrackingError, match="is not an SQLite database"):
        check_reachable(f"sqlite:///{not_db}")


def test_check_reachable_server_down_is_one_quick_line(free_port):
    uri = f"http://user:secret@127.0.0.1:{free_port}"
    start = time.monotonic()
    with pytest.raises(TrackingError) as err:
        check_reachable(uri, timeout=2)
    assert time.monotonic() - start < 2
    message = str(err.value)
    assert message.startswith(f"tracking server at http://user:***@127.0.0.1:{free_port} is not")
    assert "optsweep server" in message and "secret" not in message and "\n" not in message


def test_check_reachable_database_down_names_host_and_port(free_port):
    with pytest.raises(TrackingError, match=f"not reachable at 127.0.0.1:{free_port}") as err:
        check_reachable(f"postgresql://u:pw@127.0.0.1:{free_port}/db", timeout=2)
    assert "pw@" not in str(err.value)


def test_check_reachable_names_a_missing_database_driver():
    with pytest.raises(TrackingError, match="needs the Python driver pg8000"):
        check_reachable("postgresql+pg8000://u:p@127.0.0.1/db", timeout=1)


def test_artifacts_live_beside_a_sqlite_store_only(tmp_path):
    uri = default_tracking_uri(tmp_path)
    location = artifact_location(uri, "moons / adam")
    assert location == (tmp_path.resolve() / "mlartifacts" / "moons_adam").as_uri()
    assert artifact_location("http://127.0.0.1:5000", "x") is None
    assert Path(location.removeprefix("file://")).parent == tmp_path.resolve() / "mlartifacts"


def test_tracking_imports_neither_mlflow_nor_core_sweeps_or_optuna_up_front():
    code = (
        "import sys, tracking, tracking.store, tracking.runs, tracking.report_runs, tracking.ui, "
        "tracking.retry, tracking.values, tracking.thinning\n"
        "heavy = {'mlflow', 'matplotlib', 'optuna', 'core', 'sweeps', 'numpy', 'sqlalchemy'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    assert fresh_python(code) == "[]"


def test_check_reachable_accepts_any_mlflow_like_answer_and_explains_the_rest(free_port):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    answers = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            code = answers.get(self.path.split("?")[0], 404)
            self.send_response(code)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", free_port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    uri = f"http://127.0.0.1:{free_port}"
    try:
        with pytest.raises(TrackingError, match="not like an MLflow tracking server"):
            check_reachable(uri, timeout=2)
        answers["/api/2.0/mlflow/experiments/search"] = 405  # a proxy without /health
        check_reachable(uri, timeout=2)
        answers["/health"] = 200
        check_reachable(uri, timeout=2)
        answers["/health"] = 401
        with pytest.raises(TrackingError, match="MLFLOW_TRACKING_USERNAME"):
            check_reachable(uri, timeout=2)
        answers["/health"] = 503
        with pytest.raises(TrackingError, match="is failing"):
            check_reachable(uri, timeout=2)
    finally:
        server.shutdown()
        server.server_close()


def test_a_store_mlflow_made_passes_and_its_revision_is_the_newest_mlflow_knows(tmp_path, store):
    """The schema check reads MLflow's migration scripts instead of importing MLflow: the newest
    revision it finds is the one MLflow stamps on a store it creates, and checking that store
    imports no MLflow (it runs before any trial) and changes not a byte."""
    import sqlite3

    from tracking.store import _mlflow_revisions

    db = tmp_path / "mlflow.db"
    with sqlite3.connect(db) as c:
        (stamped,) = c.execute("SELECT version_num FROM alembic_version").fetchone()
    c.close()
    revisions, newest = _mlflow_revisions()
    assert newest == stamped and len(revisions) > 10
    before = db.read_bytes()
    code = (
        "import sys\nfrom tracking.store import check_reachable\n"
        f"check_reachable({store!r})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mlflow', 'alembic')))"
    )
    assert fresh_python(code) == "[]"
    assert db.read_bytes() == before
