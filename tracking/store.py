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
import errno
import functools
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
LOCK_WAIT = 5.0  # seconds another program may hold an existing store's write lock at the start
QUICK_CHECK_BYTES = 64 * 2**20  # a store up to this size gets SQLite's quick_check (~0.3 s)
MIN_FREE_BYTES = 16 * 2**20  # below this much free space a sweep is refused at the start

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
    check_store(uri)


def check_store(uri: str) -> None:
    """An existing SQLite store must be an MLflow store this MLflow can use as it is, and free:
    TrackingError (one line, naming the file and the fix) when it is not. Anything else
    passes (a new store, a server, a database server).

    MLflow itself would create its tables in another program's SQLite database, silently
    upgrade a store of an older MLflow (after which that MLflow cannot read it), and wait
    forever or fail mid-sweep on a store another program holds. Nothing is written: the file
    is read, and its write lock taken and released at once (BEGIN IMMEDIATE; ROLLBACK)."""
    db = sqlite_path(uri)
    if db is None or not db.exists():
        return
    if not db.is_file() or not os.access(db, os.R_OK | os.W_OK):
        raise TrackingError(
            f"MLflow store {db} is not a readable and writable file; fix its permissions "
            "or choose another --tracking-uri"
        )
    # Another optsweep process may be making this store right now, table by table and revision
    # by revision, under the store's lock (StudyTracker): wait for it rather than judge a store
    # half made. The lock file exists by then; when it does not, nothing is creating the store
    # (and no lock file is made here: a check writes nothing).
    waiting = store_lock(uri) if _lock_path(db).exists() else contextlib.nullcontext()
    with waiting:
        with db.open("rb") as f:
            header = f.read(100)
        if not header:
            return  # an empty file: MLflow makes its tables in it
        if header[:16] != b"SQLite format 3\x00":
            raise TrackingError(
                f"{db} is not an SQLite database; choose another file with --tracking-uri"
            )
        _check_mlflow_schema(db, header)


def _check_mlflow_schema(db: Path, header: bytes) -> None:
    import sqlite3

    damaged = (
        f"MLflow store {db} is damaged ({{}}); move it aside (mv {db} {db}.damaged) to start "
        "a new store there, or restore a backup"
    )
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    valid = header[24:28] == header[92:96]  # the page count is current (SQLite file format)
    if valid and pages and db.stat().st_size < pages * page_size:
        raise TrackingError(damaged.format(f"cut short: {db.stat().st_size} of "
                                           f"{pages * page_size} bytes"))  # fmt: skip
    try:
        con = sqlite3.connect(
            f"{db.resolve().as_uri()}?mode=rw", uri=True, timeout=LOCK_WAIT, isolation_level=None
        )
    except sqlite3.Error as e:
        raise TrackingError(damaged.format(_one_line(e))) from None
    try:
        try:
            con.execute("BEGIN IMMEDIATE")  # waits up to LOCK_WAIT for another writer
            con.execute("ROLLBACK")
            tables = {
                n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if tables and db.stat().st_size <= QUICK_CHECK_BYTES:
                (verdict,) = con.execute("PRAGMA quick_check(1)").fetchone()
                if verdict != "ok":
                    raise TrackingError(damaged.format(f"SQLite's check: {_one_line(verdict)}"))
            rows = (
                con.execute("SELECT version_num FROM alembic_version").fetchall()
                if {"alembic_version", "experiments", "runs"} <= tables
                else None
            )
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e):
                raise TrackingError(damaged.format(_one_line(e))) from None
            raise TrackingError(
                f"MLflow store {db} is locked by another program (for over {LOCK_WAIT:g} s); "
                "close it (a sqlite3 shell, a DB browser, a stuck process) or choose another "
                "--tracking-uri"
            ) from None
        except sqlite3.DatabaseError as e:
            raise TrackingError(damaged.format(_one_line(e))) from None
    finally:
        con.close()
    if not tables:
        return  # an SQLite file without tables: MLflow makes its own
    if rows is None:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise TrackingError(
            f"{db} is an SQLite database but not an MLflow store (its tables: {shown}); "
            "choose another file with --tracking-uri"
        )
    if len(rows) != 1 or not rows[0][0]:
        raise TrackingError(
            f"MLflow store {db} has no schema revision (its set-up was cut short?); move it "
            f"aside (mv {db} {db}.damaged) to start a new store there, or choose another "
            "--tracking-uri"
        )
    _check_revision(db, str(rows[0][0]))


def _check_revision(db: Path, revision: str) -> None:
    known = _mlflow_revisions()
    if known is None:
        return  # MLflow's own check applies
    revisions, head = known
    version = _mlflow_version()
    if revision == head:
        return
    if revision not in revisions:
        raise TrackingError(
            f"MLflow store {db} has schema revision {revision}, which the installed MLflow "
            f"{version} does not know (a newer MLflow made it); upgrade MLflow "
            "(pip install -U mlflow) or choose another --tracking-uri"
        )
    raise TrackingError(
        f"MLflow store {db} has the schema of an older MLflow (revision {revision}; MLflow "
        f"{version} needs {head}); back it up, then upgrade it with: mlflow db upgrade "
        f"{SQLITE_PREFIX}{db}"
    )


@functools.cache
def _mlflow_revisions() -> tuple[frozenset[str], str] | None:
    """(every schema revision the installed MLflow knows, its newest), or None.

    Read from the header lines of MLflow's migration scripts (`revision = "..."`,
    `down_revision = "..."`, as Alembic writes them), not through MLflow and Alembic, which
    take seconds to import: this runs before any trial. None when they cannot be read that way
    (another layout in a future MLflow): MLflow's own schema check then applies.
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec("mlflow")  # locates the package; imports nothing
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    versions = Path(next(iter(spec.submodule_search_locations)), "store/db_migrations/versions")
    revisions, parents = set(), set()
    for script in versions.glob("*.py"):
        text = script.read_text(errors="replace")
        rev = re.search(r"""^revision\s*(?::[^=]*)?=\s*["'](\w+)["']""", text, re.M)
        down = re.search(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", text, re.M)
        if rev:
            revisions.add(rev.group(1))
        if down:
            parents.update(re.findall(r"""["'](\w+)["']""", down.group(1)))
    heads = revisions - parents
    if len(heads) != 1 or not parents <= revisions:
        return None
    return frozenset(revisions), heads.pop()


def _mlflow_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("mlflow")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def write_problem(folder: Path) -> str | None:
    """Why files cannot be written in `folder` now, or None.

    A probe file is created, written, flushed to disk and removed: permission bits say nothing
    when running as root, and a full disk still lets an empty file be created. Less than
    MIN_FREE_BYTES free is a problem too: a sweep would stop half-way.
    """
    probe = Path(folder, f".optsweep-probe-{os.getpid()}")
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as e:
        return _os_reason(e)
    try:
        try:
            os.write(fd, b"\0" * 4096)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as e:
        return _os_reason(e)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(probe)
    try:
        stat = os.statvfs(folder)
    except OSError:
        return None
    free = stat.f_bavail * stat.f_frsize
    if free < MIN_FREE_BYTES:
        return f"its disk is nearly full ({free / 2**20:.1f} MB free)"
    return None


def _os_reason(e: OSError) -> str:
    return {
        errno.EROFS: "it is on a read-only file system",
        errno.ENOSPC: "its disk is full",
        errno.EDQUOT: "the disk quota is used up",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
    }.get(e.errno, _one_line(e.strerror or e))


def _check_folder(folder: Path, shown: str, may_create: bool = False) -> None:
    if folder.exists() and not folder.is_dir():
        raise TrackingError(f"{folder} (for the MLflow store {shown}) is a file, not a folder")
    probe = folder.parent if may_create and not folder.exists() else folder
    if not probe.is_dir():
        raise TrackingError(
            f"folder {folder} for the MLflow store {shown} does not exist; "
            "create it or choose another --tracking-uri"
        )
    problem = write_problem(probe)
    if problem:
        raise TrackingError(
            f"folder {probe} for the MLflow store {shown} cannot be written: {problem}; "
            "free space, fix its permissions or choose another --tracking-uri"
        )


def _check_server(uri: str, timeout: float) -> None:
    """Any answer from MLflow's health route (or, behind a proxy without it, its API) will do,
    and then the API must accept this client's login, as MLflow's client will send it (from
    the URL or MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD): a server started with
    `--auth` answers its health route to anyone, and would refuse the first write."""
    shown = mask(uri)
    fix = "start it with `optsweep server` or fix --tracking-uri"
    base, headers = _without_userinfo(uri)
    for endpoint in ("/health", API_PROBE):
        route = endpoint.split("?")[0]
        try:
            request = urllib.request.Request(base + endpoint, headers=headers)
            with urllib.request.urlopen(request, timeout=timeout):
                if endpoint == API_PROBE:
                    return
        except urllib.error.HTTPError as e:
            if e.code in (401, 403):
                raise TrackingError(_refused(shown, e, uri)) from None
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


API_PROBE = "/api/2.0/mlflow/experiments/search?max_results=1"
USERNAME_ENV, PASSWORD_ENV = "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"
TOKEN_ENV = "MLFLOW_TRACKING_TOKEN"


def _refused(shown: str, e, uri: str) -> str:
    """One line for a server that refused this client, naming what to set (never a password)."""
    user = urlsplit(uri).username or os.environ.get(USERNAME_ENV)
    if e.code == 403:
        return (
            f"tracking server at {shown} refused user {user or '(none)'} ({e.code} {e.reason}); "
            "an admin can give it access with `optsweep server add-user NAME --study STUDY`"
        )
    if not user:
        token = " (or a valid " + TOKEN_ENV + ")" if os.environ.get(TOKEN_ENV) else ""
        return (
            f"tracking server at {shown} asks for a login ({e.code} {e.reason}); set "
            f"{USERNAME_ENV} and {PASSWORD_ENV}{token} (an admin adds users with `optsweep "
            "server add-user`)"
        )
    return (
        f"tracking server at {shown} refused the login of user {user} ({e.code} {e.reason}); "
        f"check {PASSWORD_ENV}"
    )


def _without_userinfo(uri: str) -> tuple[str, dict[str, str]]:
    """`http://user:password@host` as urllib needs it: the URL without the user, and a basic
    auth header (MLflow's client, through requests, sends the same credentials)."""
    parts = urlsplit(uri)
    if parts.username is None:  # as MLflow's client: a username and password, else a token
        user, password = os.environ.get(USERNAME_ENV), os.environ.get(PASSWORD_ENV)
        if user:
            return uri, {"Authorization": f"Basic {_basic(user, password or '')}"}
        token = os.environ.get(TOKEN_ENV)
        return uri, ({"Authorization": f"Bearer {token}"} if token else {})
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    user, password = unquote(parts.username), unquote(parts.password or "")
    token = _basic(user, password)
    return urlunsplit(parts._replace(netloc=netloc)), {"Authorization": f"Basic {token}"}


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


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


def _lock_path(db: Path) -> Path:
    return db.parent / f".{db.name}.lock"


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
    lock_path = _lock_path(db)
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
