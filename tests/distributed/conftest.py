"""Real servers for the distributed tests: PostgreSQL at 127.0.0.1:5432, `mlflow server`, workers.

PostgreSQL is there on developer machines and in CI. When it cannot be reached these tests
FAIL, so CI never passes without having run them; a developer without it can skip them with
OPTSWEEP_SKIP_POSTGRES=1 (ignored when the environment variable CI is set).

Isolation (tests run in parallel under xdist): every test gets its own PostgreSQL schema (the
URL's search_path), dropped with everything in it at the end, and its own study name; each
xdist worker starts one MLflow server, shared by its tests (experiments are per study), and the
test that stops a server starts its own. Every process a test starts is stopped by a finalizer.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from tests.tracking.conftest import build_template_db as template_db

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # tests make no outside calls

REPO = Path(__file__).resolve().parents[2]
PG_HOST, PG_PORT, PG_DB = "127.0.0.1", 5432, "test"
PG_ADMIN = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{PG_DB}"
PASSWORD = "s3cret"  # trust auth accepts any password: a secret to look for in every output

SWEEP = """
[study]
name = "{name}"
trials = {trials}
pruner = "none"
report_every = {report_every}
population = {population}
seed = 0

[train]
data = "moons"
epochs = {epochs}
batch_size = {batch_size}
samples = {samples}

[space]
alpha = {{ low = 1e-3, high = 1e-1 }}
beta1 = {{ low = 0.8, high = 0.999, default = true }}
"""


def write_sweep(
    folder: Path,
    name: str,
    trials: int,
    epochs: int,
    report_every: int = 1,
    batch_size: int = 64,
    samples: int = 300,
    population: int = 1,  # the worker and fault tests follow single trials
) -> Path:
    """A small sweep on moons; at most 1000 epochs, so MLflow keeps every epoch (no thinning)."""
    path = folder / f"{name}.toml"
    text = SWEEP.format(
        name=name, trials=trials, epochs=epochs, report_every=report_every,
        batch_size=batch_size, samples=samples, population=population,
    )  # fmt: skip
    path.write_text(textwrap.dedent(text))
    return path


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


# --- PostgreSQL ---------------------------------------------------------------------------


def _pg_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=2):
            pass
    except OSError as e:
        return f"PostgreSQL at {PG_HOST}:{PG_PORT} is not reachable ({e})"
    return None


@pytest.fixture(scope="session")
def postgres() -> str:
    """The admin URL of the test database. Without it the tests FAIL, unless a developer opts
    out with OPTSWEEP_SKIP_POSTGRES=1, which is ignored when CI is set."""
    problem = _pg_reachable()
    if problem:
        if os.environ.get("OPTSWEEP_SKIP_POSTGRES") == "1" and not os.environ.get("CI"):
            pytest.skip(f"{problem} (OPTSWEEP_SKIP_POSTGRES=1)")
        pytest.fail(
            f"{problem}: the distributed tests need it (start PostgreSQL, or on a developer "
            "machine set OPTSWEEP_SKIP_POSTGRES=1 to skip them)",
            pytrace=False,
        )
    return PG_ADMIN


MY_HOST, MY_PORT = "127.0.0.1", 3306
MY_ADMIN = f"mysql+pymysql://root@{MY_HOST}:{MY_PORT}/test"


@pytest.fixture
def mysql_db():
    """A fresh MariaDB database for one test, on the server every machine of ours runs (root,
    empty password): yields its URL; the database is dropped after.
    Without the server the test FAILS, unless OPTSWEEP_SKIP_MYSQL=1 outside CI."""
    import sqlalchemy

    try:
        with socket.create_connection((MY_HOST, MY_PORT), timeout=2):
            pass
    except OSError as e:
        problem = f"MariaDB at {MY_HOST}:{MY_PORT} is not reachable ({e})"
        if os.environ.get("OPTSWEEP_SKIP_MYSQL") == "1" and not os.environ.get("CI"):
            pytest.skip(f"{problem} (OPTSWEEP_SKIP_MYSQL=1)")
        pytest.fail(f"{problem}: the MySQL storage tests need it", pytrace=False)
    name = unique("optsweep_t")
    engine = sqlalchemy.create_engine(MY_ADMIN)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f"CREATE DATABASE {name}"))
    yield f"mysql+pymysql://root@{MY_HOST}:{MY_PORT}/{name}"
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f"DROP DATABASE IF EXISTS {name}"))
    engine.dispose()


def _admin(sql: str) -> None:
    import sqlalchemy

    engine = sqlalchemy.create_engine(PG_ADMIN)
    try:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(sql))
    finally:
        engine.dispose()


def pg_url(schema: str) -> str:
    """The test database with `schema` first on the search path, and a password in the URL."""
    return (
        f"postgresql://postgres:{PASSWORD}@{PG_HOST}:{PG_PORT}/{PG_DB}"
        f"?options=-csearch_path%3D{schema}"
    )


@pytest.fixture
def pg_schema(postgres):
    """A fresh schema for one test: yields (schema, url_with_password); dropped afterwards."""
    schema = unique("optsweep_t")
    _admin(f"CREATE SCHEMA {schema}")
    url = pg_url(schema)
    yield schema, url
    storage = _STORAGES.pop(url, None)
    if storage is not None:
        storage.engine.dispose()
    _delete_studies(url)
    _admin(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _delete_studies(url: str) -> None:
    import optuna

    if not schema_tables(url):
        return
    storage = optuna.storages.RDBStorage(url)
    for name in optuna.get_all_study_names(storage):
        optuna.delete_study(study_name=name, storage=storage)
    storage.engine.dispose()


def schema_tables(url: str) -> list[str]:
    """Tables in the schema of `url` (without creating any, unlike Optuna's storage)."""
    import sqlalchemy

    schema = url.rsplit("%3D", 1)[1]
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sqlalchemy.text(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = :s"
                ),
                {"s": schema},
            )
            return sorted(r[0] for r in rows)
    finally:
        engine.dispose()


def study_names(url: str) -> list[str]:
    """The studies in the schema of `url`; [] (and nothing created) when it has no tables."""
    import sqlalchemy

    if "studies" not in schema_tables(url):
        return []
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sqlalchemy.text("SELECT study_name FROM studies"))
            return sorted(r[0] for r in rows)
    finally:
        engine.dispose()


_STORAGES: dict[str, object] = {}


def open_study(url: str, name: str):
    """The study as it is now (one storage per URL, so polling it is cheap). Opened as the
    workers open it, under the table-creation lock: polling a new schema while workers start
    would otherwise race them to create Optuna's tables (DuplicateTable on alembic_version)."""
    import optuna

    from sweeps import storage as storage_mod

    if url not in _STORAGES:
        _STORAGES[url] = storage_mod.open_storage(storage_mod.resolve(url))
    return optuna.load_study(study_name=name, storage=_STORAGES[url])


# --- MLflow server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MlflowServer:
    """`optsweep server` run as a subprocess on a free loopback port, its backend store URL (a
    password in it, for PostgreSQL) passed through the environment as a user would."""

    def __init__(
        self, folder: Path, backend: str | None = None, args: tuple = (), env: dict | None = None
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.args, self.env = tuple(map(str, args)), dict(env or {})  # e.g. --auth, its password
        self.folder = folder
        if backend is None:  # a SQLite store, pre-migrated
            shutil.copy(template_db(), folder / "mlflow.db")
            backend = f"sqlite:///{folder / 'mlflow.db'}"
        self.backend = backend
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "server.log"
        self.proc: subprocess.Popen | None = None
        self.pid: int | None = None  # of a server another test process started

    def start(self, timeout: float = 120.0) -> None:
        from tracking import server

        env = dict(os.environ, MLFLOW_BACKEND_STORE_URI=self.backend, **self.env)
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
        artifacts = str(self.folder / "artifacts")
        argv = [sys.executable, "-m", "optsweep", "server", "--port", str(self.port),
                "--workers", "1", "--artifacts-destination", artifacts, *self.args]  # fmt: skip
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            server.wait_ready(self.url, self.proc, timeout)
        except Exception:
            self.stop()
            raise AssertionError(self.log.read_text()[-3000:]) from None

    def pids(self) -> list[int]:
        """The server's processes (`optsweep server` becomes `mlflow server`, which starts
        uvicorn)."""
        top = self.proc.pid if self.proc is not None else self.pid
        out, todo = [], [top]
        while todo:
            pid = todo.pop()
            out.append(pid)
            with contextlib.suppress(OSError):
                todo += map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
        return out

    def stop(self) -> None:
        from tracking import server

        if self.proc is not None:
            server.stop(self.proc)
            self.proc = None
        elif self.pid is not None:  # started by another test process: stop its process group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            wait_for(lambda: not _running(self.pid), 20, "the MLflow server to stop")
        self.pid = None

    @classmethod
    def attach(cls, folder: Path, port: int, pid: int, backend: str) -> MlflowServer:
        srv = cls.__new__(cls)
        srv.folder, srv.backend, srv.port = folder, backend, port
        srv.url, srv.log = f"http://127.0.0.1:{port}", folder / "server.log"
        srv.proc, srv.pid = None, pid
        srv.args, srv.env = (), {}
        return srv


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@contextlib.contextmanager
def _locked(path: Path):
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def mlflow_server(request, postgres):
    """One MLflow server for the whole test run, shared by the xdist workers (each test uses its
    own experiment): the first worker to need it starts it, the last one out stops it."""
    run = getattr(request.config, "workerinput", {}).get("testrunuid") or uuid.uuid4().hex
    root = Path(tempfile.gettempdir()) / f"optsweep-test-server-{run}"
    root.mkdir(exist_ok=True)
    state, users = root / "server.json", root / "users"
    with _locked(root / "lock"):
        if state.exists():
            info = json.loads(state.read_text())
            srv = MlflowServer.attach(Path(info["folder"]), info["port"], info["pid"], info["db"])
        else:  # its runs in PostgreSQL, like a team's server: a schema of its own
            schema = unique("optsweep_mlflow")
            _admin(f"CREATE SCHEMA {schema}")
            srv = MlflowServer(root / "server", backend=pg_url(schema))
            srv.start()
            info = {"folder": str(srv.folder), "port": srv.port, "pid": srv.proc.pid}
            state.write_text(json.dumps({**info, "db": srv.backend, "schema": schema}))
        users.write_text(str(int(users.read_text()) + 1 if users.exists() else 1))
    yield srv
    with _locked(root / "lock"):
        left = int(users.read_text()) - 1
        users.write_text(str(left))
        if left == 0:
            srv.stop()
            _admin(f"DROP SCHEMA IF EXISTS {json.loads(state.read_text())['schema']} CASCADE")
            state.unlink()
            shutil.rmtree(srv.folder, ignore_errors=True)  # the lock file stays: others may wait


@pytest.fixture
def own_mlflow_server(tmp_path):
    """A server for one test, which may stop and restart it."""
    srv = MlflowServer(tmp_path / "own-server")
    srv.start()
    yield srv
    srv.stop()


def mlflow_runs(url: str, study: str) -> dict:
    """The study's parent and child runs, read with MLflow's own client (not our layer)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(url)
    exp = client.get_experiment_by_name(study)
    runs = client.search_runs([exp.experiment_id], max_results=5000) if exp else []
    children: dict[int, list] = {}
    for r in runs:
        if r.data.tags.get("optsweep.role") == "trial":
            children.setdefault(int(r.data.tags["optsweep.trial"]), []).append(r)
    parents = [r for r in runs if r.data.tags.get("optsweep.role") == "study"]
    return {"client": client, "parents": parents, "children": children}


# --- processes ------------------------------------------------------------------------------


def _default_sigint() -> None:
    """Ctrl-C as in a terminal: a background job of a non-interactive shell (CI runners, some
    test harnesses) starts with SIGINT ignored, and its children would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Procs:
    """Subprocesses of one test, each in its own session; all are killed at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[tuple[subprocess.Popen, Path, Path]] = []

    def optsweep(
        self, *args, env: dict | None = None, name: str = "p", cwd: Path | None = None
    ) -> subprocess.Popen:
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = os.pathsep.join([str(REPO), full_env.get("PYTHONPATH", "")])
        full_env.update(env or {})
        i = len(self.started)
        out, err = self.folder / f"{name}{i}.out", self.folder / f"{name}{i}.err"
        with out.open("wb") as o, err.open("wb") as e:
            proc = subprocess.Popen(
                [sys.executable, "-m", "optsweep", *map(str, args)],
                cwd=cwd or self.folder,  # its output stays in self.folder either way
                env=full_env,
                stdout=o,
                stderr=e,
                start_new_session=True,  # signals reach it (and its workers) as a terminal's would
                preexec_fn=_default_sigint,
            )
        self.started.append((proc, out, err))
        return proc

    def output(self, proc: subprocess.Popen) -> tuple[str, str]:
        for p, out, err in self.started:
            if p is proc:
                return out.read_text(), err.read_text()
        raise KeyError(proc)

    def all_output(self) -> str:
        return "".join(out.read_text() + err.read_text() for _, out, err in self.started)

    def kill_all(self) -> None:
        for proc, _, _ in self.started:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


@pytest.fixture
def procs(tmp_path):
    p = Procs(tmp_path)
    yield p
    p.kill_all()


def wait_for(condition, timeout: float, what: str, every: float = 0.1):
    """Poll `condition()` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
