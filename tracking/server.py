"""An MLflow tracking server for sweeps on many machines: `optsweep server`, tests, benchmarks.

    srv = server.configure(None, None, host="127.0.0.1", port=5000)  # checks; starts nothing
    os.execve(srv.argv[0], srv.argv, srv.env)                        # `optsweep server`
    proc = server.launch(srv, log_path); server.wait_ready(srv.url, proc); server.stop(proc)

The backend store is SQL: MLflow's SQLite file in the working directory by default (the same
`mlflow.db` a local sweep writes), or a PostgreSQL/MySQL URL. Artifacts are served
(`--serve-artifacts`), so workers need nothing but HTTP to the server. The backend URL reaches
MLflow through its environment variable MLFLOW_BACKEND_STORE_URI, not the command line, where
any user of the machine could read a password with `ps`. MLflow's job executor (GenAI jobs, a
second process importing MLflow) is off unless the user set MLFLOW_SERVER_ENABLE_JOB_EXECUTION:
sweeps do not use it, and without it the server starts in about half the time.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tracking import auth as auth_mod
from tracking import store, ui
from tracking.errors import TrackingError

BACKEND_ENV = "MLFLOW_BACKEND_STORE_URI"
JOBS_ENV = "MLFLOW_SERVER_ENABLE_JOB_EXECUTION"
HOSTS_ENV = "MLFLOW_SERVER_ALLOWED_HOSTS"
# MLflow's own default Host headers (loopback and private addresses, any port)
MLFLOW_DEFAULT_HOSTS = (
    "localhost", "localhost:*", "127.0.0.1", "127.0.0.1:*", "[::1]", "[[]::1]:*",
    "10.*", "192.168.*", *(f"172.{i}.*" for i in range(16, 32)), "fc00:*", "fd00:*",
)  # fmt: skip


@dataclass(frozen=True)
class Server:
    """A checked server configuration: what to run, and what to tell the user."""

    argv: list[str]
    env: dict[str, str]  # the full environment of the server process
    url: str  # where workers send their runs
    backend_shown: str  # the backend URL, password masked
    artifacts: str
    users: str | None = None  # the user database of an --auth server


def configure(
    backend_uri: str | None,
    artifacts: str | Path | None,
    host: str = ui.LOOPBACK,
    port: int = 5000,
    workers: int | None = None,
    workdir: str | Path = ".",
    allowed_hosts: str | None = None,
    auth: bool = False,
) -> Server:
    """Check the backend store and settings; TrackingError (one line) when they cannot work.

    MLflow answers only requests whose Host header it allows (against DNS rebinding): by default
    loopback and private IP addresses. Bound beyond loopback, this machine's own name is added,
    since that is the address printed for the workers; `allowed_hosts` replaces the list.
    `auth`: MLflow's basic-auth app, its users in a database beside the store (tracking.auth).
    """
    backend = store.resolve(backend_uri, workdir)
    base = backend.split(":", 1)[0].lower().split("+", 1)[0]
    if base != "sqlite" and base not in store.DATABASES:
        raise TrackingError(
            f"--backend-store-uri {store.mask(backend)} is not a database; the server needs "
            "sqlite:///path/mlflow.db or postgresql://user:password@host/db"
        )
    if not 0 < int(port) < 65536:
        raise TrackingError(f"--port must be between 1 and 65535, got {port}")
    if workers is not None and workers < 1:
        raise TrackingError(f"--workers must be >= 1, got {workers}")
    store.check_reachable(backend)
    db = store.sqlite_path(backend)
    if artifacts is None:  # beside the database file, where a local sweep keeps them too
        artifacts = (db.parent if db else Path(workdir).resolve()) / store.ARTIFACTS_DIRNAME
    artifacts = str(artifacts)
    if "://" not in artifacts:
        artifacts = str(Path(artifacts).expanduser().resolve())
    argv = ui.server_command(backend, artifacts, host=host, port=port, workers=workers)
    i = argv.index("--backend-store-uri")
    del argv[i : i + 2]  # through the environment instead
    env = dict(os.environ)
    env[BACKEND_ENV] = backend
    env.setdefault(JOBS_ENV, "false")
    auth_files = None
    if auth:
        auth_files = auth_mod.files_for(backend, workdir)
        env.update(auth_mod.server_env(auth_files, env))
        argv += ["--app-name", auth_mod.APP_NAME]
    if allowed_hosts:
        env[HOSTS_ENV] = allowed_hosts
    elif not ui.is_loopback(host) and HOSTS_ENV not in env:
        names = dict.fromkeys(n for n in (socket.gethostname(), socket.getfqdn(), host) if n)
        mine = [p for n in names if n not in ("0.0.0.0", "::") for p in (n, f"{n}:*")]
        env[HOSTS_ENV] = ",".join([*MLFLOW_DEFAULT_HOSTS, *mine])
    shown_host = socket.gethostname() if host in ("0.0.0.0", "::") else host
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    return Server(
        argv=argv,
        env=env,
        url=f"http://{shown_host}:{int(port)}",
        backend_shown=store.mask(backend),
        artifacts=str(artifacts),
        users=str(auth_files.database) if auth_files else None,
    )


def launch(srv: Server, log_path: str | Path) -> subprocess.Popen:
    """Start the server in its own process group, its output in `log_path`."""
    with open(log_path, "ab") as out:  # a file, never a pipe nobody drains
        return subprocess.Popen(
            srv.argv, env=srv.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_ready(url: str, proc: subprocess.Popen | None = None, timeout: float = 120.0) -> None:
    """Return once `url`/health answers; TrackingError if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise TrackingError(f"the MLflow server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TrackingError(f"the MLflow server at {url} did not answer within {timeout:.0f} s")


def stop(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """Stop a launched server and its worker processes (its whole process group)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # the server's own group (start_new_session)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
