"""Where MLflow keeps its records: choosing, checking and describing a tracking URI.

The default store is MLflow's SQLite store in the working directory, `sqlite:///<abs>/mlflow.db`,
with each experiment's artifacts beside it in `mlartifacts/<experiment>`, so `mlflow ui` on that
file shows everything. A server (`http(s)://`) or a database (`postgresql://`, `mysql://`,
`mssql://`) works the same way. Every URI that reaches a printout, a param or a tag goes through
`mask` first, so a password in it never leaves the process.

Nothing here imports mlflow: these checks run before any trial and must be instant.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from tracking.errors import TrackingError

DB_FILENAME = "mlflow.db"
ARTIFACTS_DIRNAME = "mlartifacts"
SQLITE_PREFIX = "sqlite:///"
DATABASES = {"postgresql": 5432, "mysql": 3306, "mssql": 1433}  # scheme -> default port
_HOW = "use sqlite:///path/to/mlflow.db (a local store), http://host:port (a tracking server) or "
_HOW += "postgresql://user:password@host/db"

# user:password@ in any scheme://...; the password runs to the last '@' before the path
_USERINFO = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^\s:/?#@]*:)[^\s/?#]*@")
_QUERY_SECRET = re.compile(r"(?i)\b(password|passwd|pwd|token|secret|api_key|access_key)=[^&\s]+")


def mask(url: str) -> str:
    """`url` (or any text holding URLs) with passwords and secret query values replaced by ***."""
    text = _USERINFO.sub(r"\1***@", str(url))
    return _QUERY_SECRET.sub(r"\1=***", text)


def default_tracking_uri(workdir: Path | str = ".") -> str:
    """MLflow's SQLite store in `workdir`: sqlite:///<absolute path>/mlflow.db."""
    return SQLITE_PREFIX + str(Path(workdir).resolve() / DB_FILENAME)


def resolve(uri: str | None, workdir: Path | str = ".") -> str:
    """A checked, absolute tracking URI; None or "" gives the default store in `workdir`.

    A bare path ending in .db/.sqlite is taken as a SQLite store; relative SQLite and file paths
    are made absolute against `workdir`, so every worker process agrees on the store.
    """
    if uri is None or not str(uri).strip():
        return default_tracking_uri(workdir)
    uri = str(uri).strip()
    shown = mask(uri)
    if "://" not in uri and not uri.startswith("file:"):
        if Path(uri).suffix in (".db", ".sqlite", ".sqlite3"):
            return SQLITE_PREFIX + str(_absolute(uri, workdir))
        raise TrackingError(f"tracking URI {shown!r} has no scheme; {_HOW}")
    scheme = uri.split(":", 1)[0].lower()
    base = scheme.split("+", 1)[0]
    if base == "sqlite":
        return _resolve_sqlite(uri, shown, workdir)
    if base == "file":
        path = urlsplit(uri).path
        if not path:
            raise TrackingError(f"tracking URI {shown!r} names no folder; use file:/abs/path")
        return _absolute(path, workdir).as_uri()
    parts = urlsplit(uri)
    try:
        parts.port  # noqa: B018 -- raises ValueError on a port that is not a number
    except ValueError:
        raise TrackingError(f"tracking URI {shown!r} has an invalid port; use host:port") from None
    if base in ("http", "https"):
        if not parts.hostname:
            raise TrackingError(f"tracking URI {shown!r} names no host; use http://host:port")
        return uri.rstrip("/")
    if base in DATABASES:
        if not parts.hostname or parts.path.strip("/") == "":
            raise TrackingError(
                f"tracking URI {shown!r} needs a host and a database name: "
                f"{base}://user:password@host:port/database"
            )
        return uri
    raise TrackingError(f"unsupported tracking URI scheme {scheme!r} in {shown!r}; {_HOW}")


def _resolve_sqlite(uri: str, shown: str, workdir: Path | str) -> str:
    if not uri.startswith(SQLITE_PREFIX):
        raise TrackingError(
            f"SQLite tracking URI {shown!r} must start with sqlite:/// followed by a file path, "
            "e.g. sqlite:///mlflow.db or sqlite:////abs/path/mlflow.db"
        )
    path, _, query = uri[len(SQLITE_PREFIX) :].partition("?")
    if not path or path == ":memory:":
        raise TrackingError(
            f"SQLite tracking URI {shown!r} names no database file; "
            "an in-memory store is lost when the process ends: use sqlite:///mlflow.db"
        )
    if path.endswith("/") or Path(_absolute(path, workdir)).is_dir():
        raise TrackingError(
            f"SQLite tracking URI {shown!r} points at a folder; name the file, "
            f"e.g. sqlite:///{path.rstrip('/')}/{DB_FILENAME}"
        )
    resolved = SQLITE_PREFIX + str(_absolute(path, workdir))
    return f"{resolved}?{query}" if query else resolved


def _absolute(path: str, workdir: Path | str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else (Path(workdir) / p).resolve()


def is_server(uri: str) -> bool:
    """Whether `uri` is an MLflow tracking server (HTTP), not a store this process opens."""
    return uri.startswith(("http://", "https://"))


def sqlite_path(uri: str) -> Path | None:
    """The database file of a `sqlite:///` URI, else None."""
    if not uri.startswith(SQLITE_PREFIX):
        return None
    return Path(uri[len(SQLITE_PREFIX) :].partition("?")[0])


def artifact_location(uri: str, experiment_name: str) -> str | None:
    """Where an experiment's artifacts go: beside a SQLite store; None lets MLflow decide.

    A server decides for itself (served artifacts); a local store keeps them next to the
    database, <dir>/mlartifacts/<experiment>, so the folder can be moved or deleted as one.
    """
    db = sqlite_path(uri)
    if db is None:
        return None
    safe = re.sub(r"[^\w.-]+", "_", experiment_name).strip("._") or "experiment"
    return (db.parent / ARTIFACTS_DIRNAME / safe).as_uri()


def check_reachable(uri: str, timeout: float = 5.0) -> None:
    """Raise TrackingError (one line, with the fix) unless the store at `uri` can be written."""
    base = uri.split(":", 1)[0].lower().split("+", 1)[0]
    if base == "sqlite":
        _check_sqlite(uri)
    elif base == "file":
        _check_folder(Path(urlsplit(uri).path), mask(uri), may_create=True)
    elif base in ("http", "https"):
        _check_server(uri, timeout)
    elif base in DATABASES:
        _check_database(uri, timeout)
    else:
        resolve(uri)  # raises the right message for anything unsupported


def _check_sqlite(uri: str) -> None:
    db = sqlite_path(uri)
    if db is None:
        resolve(uri)
        return
    _check_folder(db.parent, mask(uri))
    if db.exists():
        if not db.is_file() or not os.access(db, os.R_OK | os.W_OK):
            raise TrackingError(
                f"MLflow store {db} is not a readable and writable file; fix its permissions "
                "or choose another --tracking-uri"
            )
        with db.open("rb") as f:
            header = f.read(16)
        if header and header != b"SQLite format 3\x00":
            raise TrackingError(
                f"{db} is not an SQLite database; choose another file with --tracking-uri"
            )


def _check_folder(folder: Path, shown: str, may_create: bool = False) -> None:
    if folder.exists() and not folder.is_dir():
        raise TrackingError(f"{folder} (for the MLflow store {shown}) is a file, not a folder")
    probe = folder.parent if may_create and not folder.exists() else folder
    if not probe.is_dir():
        raise TrackingError(
            f"folder {folder} for the MLflow store {shown} does not exist; "
            "create it or choose another --tracking-uri"
        )
    if not os.access(probe, os.W_OK | os.X_OK):
        raise TrackingError(
            f"folder {probe} for the MLflow store {shown} is not writable; "
            "fix its permissions or choose another --tracking-uri"
        )


def _check_server(uri: str, timeout: float) -> None:
    """Any answer from MLflow's health route (or, behind a proxy without it, its API) will do."""
    shown = mask(uri)
    fix = "start it with `optsweep server` or fix --tracking-uri"
    base, headers = _without_userinfo(uri)
    for endpoint in ("/health", "/api/2.0/mlflow/experiments/search?max_results=1"):
        route = endpoint.split("?")[0]
        try:
            request = urllib.request.Request(base + endpoint, headers=headers)
            with urllib.request.urlopen(request, timeout=timeout):
                return
        except urllib.error.HTTPError as e:
            if e.code in (401, 403):
                raise TrackingError(
                    f"tracking server at {shown} refused access ({e.code} {e.reason}); "
                    "set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD "
                    "(or MLFLOW_TRACKING_TOKEN)"
                ) from None
            if e.code >= 500:
                raise TrackingError(
                    f"tracking server at {shown} is failing ({route} answered {e.code} "
                    f"{e.reason}); check its log or fix --tracking-uri"
                ) from None
            if e.code != 404:
                return  # the route exists (e.g. 405 for GET): an MLflow server answers
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise TrackingError(
                f"tracking server at {shown} is not reachable: {_one_line(reason)}; {fix}"
            ) from None
    raise TrackingError(
        f"{shown} answers, but not like an MLflow tracking server (no {route}); {fix}"
    )


def _without_userinfo(uri: str) -> tuple[str, dict[str, str]]:
    """`http://user:password@host` as urllib needs it: the URL without the user, and a basic
    auth header (MLflow's client, through requests, sends the same credentials)."""
    parts = urlsplit(uri)
    if parts.username is None:
        return uri, {}
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    user, password = unquote(parts.username), unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return urlunsplit(parts._replace(netloc=netloc)), {"Authorization": f"Basic {token}"}


def _check_database(uri: str, timeout: float) -> None:
    shown = mask(uri)
    _check_driver(uri, shown)
    parts = urlsplit(uri)
    port = parts.port or DATABASES[uri.split(":", 1)[0].lower().split("+", 1)[0]]
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return
    except OSError as e:
        raise TrackingError(
            f"database server for {shown} is not reachable at {parts.hostname}:{port}: "
            f"{_one_line(e)}; start it or fix --tracking-uri"
        ) from None


def _check_driver(uri: str, shown: str) -> None:
    """The database driver SQLAlchemy picks for `uri` must be installed (SQLAlchemy 2.1 picks
    psycopg 3 for postgresql://, older versions psycopg2)."""
    from sqlalchemy.engine.url import make_url
    from sqlalchemy.exc import SQLAlchemyError

    scheme = uri.split(":", 1)[0].lower()
    try:
        make_url(uri).get_dialect().import_dbapi()
    except ImportError as e:
        name = e.name or str(e)
        extra = " (pip install 'optsweep[postgres]')" if name.startswith("psycopg") else ""
        raise TrackingError(
            f"the {scheme} tracking store needs the Python driver {name}, which is not "
            f"installed{extra}; install it or use a sqlite:/// store"
        ) from None
    except (SQLAlchemyError, ValueError) as e:
        raise TrackingError(f"tracking URI {shown!r} is not usable: {_one_line(e)}") from None


def _one_line(error: object) -> str:
    return " ".join(mask(str(error)).split()) or type(error).__name__


@contextlib.contextmanager
def store_lock(uri: str, timeout: float = 120.0) -> Iterator[None]:
    """Serialize store set-up and get-or-create steps between processes on one SQLite store.

    MLflow creates a new SQLite store's tables on first use; two workers doing it at once can
    fail, and two workers opening a study at once could each create a parent run. An advisory
    lock file beside the database makes those steps one-at-a-time. Other stores: no lock (see
    StudyTracker.open_parent for how they converge).
    """
    db = sqlite_path(uri)
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; MLflow's own retries must do
        fcntl = None
    if db is None or fcntl is None or not db.parent.is_dir():
        yield
        return
    lock_path = db.parent / f".{db.name}.lock"
    with open(lock_path, "a+b") as f:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TrackingError(
                        f"another process has held {lock_path} for over {timeout:.0f}s; "
                        "wait for it to finish or stop it"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
