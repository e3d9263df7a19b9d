"""Who may use a tracking server: MLflow's basic-auth app for `optsweep server --auth`.

    files = auth.files_for(backend_uri, workdir)   # the user database and its settings
    env = auth.server_env(files, os.environ)       # what `mlflow server --app-name basic-auth`
                                                   # needs in its environment (never argv)
    auth.add_user(url, "ana", password, study="mine")  # a worker's login, EDIT on its study

MLflow keeps users, password hashes and per-experiment permissions in an SQL database of its
own: here a SQLite file beside the backend store's (or in the working directory when the runs
live in PostgreSQL), `mlflow-auth.db`, with its settings file and the Flask secret key beside it,
both readable by their owner only. The admin account is created on the first start from
OPTSWEEP_ADMIN_PASSWORD and never from a default: MLflow's releases before 3.x shipped
`admin`/`password1234`, which is refused here as a password and which MLflow refuses as a login.
Every other user authenticates as the MLflow client does, from MLFLOW_TRACKING_USERNAME and
MLFLOW_TRACKING_PASSWORD; no password passes through argv, a log or an error line.
"""

from __future__ import annotations

import configparser
import importlib.util
import io
import os
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from tracking import store
from tracking.errors import TrackingError

ADMIN_PASSWORD_ENV = "OPTSWEEP_ADMIN_PASSWORD"
USER_PASSWORD_ENV = "OPTSWEEP_USER_PASSWORD"
USERNAME_ENV, PASSWORD_ENV = store.USERNAME_ENV, store.PASSWORD_ENV  # MLflow's client reads them
SECRET_ENV = "MLFLOW_FLASK_SERVER_SECRET_KEY"
ADMIN = "admin"
LEGACY_PASSWORD = "password1234"  # MLflow's old default admin password: never through us
MIN_PASSWORD = 12  # MLflow's own password policy
WORKER_PERMISSION = "EDIT"  # read and write runs of the experiment, delete nothing
APP_NAME = "basic-auth"
DB_NAME, CONFIG_NAME, SECRET_NAME = "mlflow-auth.db", "mlflow-auth.ini", "mlflow-auth.secret"


@dataclass(frozen=True)
class AuthFiles:
    """Where a server's users live: the user database, its settings and the secret key."""

    database: Path
    config: Path
    secret: Path

    @property
    def database_uri(self) -> str:
        return f"sqlite:///{self.database}"


def files_for(backend_uri: str, workdir: str | Path = ".") -> AuthFiles:
    """The auth files beside a SQLite backend store, else in `workdir`."""
    db = store.sqlite_path(backend_uri)
    folder = db.parent if db is not None else Path(workdir).resolve()
    return AuthFiles(folder / DB_NAME, folder / CONFIG_NAME, folder / SECRET_NAME)


def check_password(password: str | None, variable: str, missing: str = "") -> str:
    """A password a user chose, or TrackingError naming the variable to set."""
    if not password:
        why = f"{missing}: " if missing else ""
        raise TrackingError(f"{why}set {variable} (at least {MIN_PASSWORD} characters)")
    if password == LEGACY_PASSWORD:
        raise TrackingError(
            f"{variable} is MLflow's old default password, which anyone can guess; choose another"
        )
    if len(password) < MIN_PASSWORD:
        raise TrackingError(
            f"{variable} is {len(password)} characters long; MLflow needs at least {MIN_PASSWORD}"
        )
    return password


def has_admin(files: AuthFiles) -> bool:
    """Whether the user database already holds the admin account (read-only, creates nothing)."""
    if not files.database.is_file():
        return False
    uri = f"{files.database.resolve().as_uri()}?mode=ro"
    try:
        with sqlite3.connect(uri, uri=True) as conn:
            row = conn.execute("SELECT 1 FROM users WHERE username = ?", (ADMIN,)).fetchone()
    except sqlite3.Error as e:
        raise TrackingError(
            f"{files.database} is not a user database MLflow can read ({e}); move it away to "
            "start with a new one"
        ) from None
    return row is not None


def server_env(files: AuthFiles, environ: dict[str, str] | os._Environ) -> dict[str, str]:
    """The environment variables MLflow's auth app reads, after writing its settings file and
    secret key if missing. TrackingError (one line) when the first start has no admin password.
    """
    if importlib.util.find_spec("flask_wtf") is None:
        raise TrackingError("--auth needs MLflow's auth extra: pip install 'mlflow[auth]'")
    first = not has_admin(files)
    env: dict[str, str] = {}
    if first:
        env["MLFLOW_AUTH_ADMIN_PASSWORD"] = check_password(
            environ.get(ADMIN_PASSWORD_ENV),
            ADMIN_PASSWORD_ENV,
            f"the first start of an --auth server creates its {ADMIN} account",
        )
    _write_private(files.config, _config_text(files))
    if not environ.get(SECRET_ENV):
        if not files.secret.is_file():
            _write_private(files.secret, secrets.token_hex(32))
        env[SECRET_ENV] = files.secret.read_text().strip()
    env["MLFLOW_AUTH_CONFIG_PATH"] = str(files.config)
    env["MLFLOW_AUTH_ADMIN_USERNAME"] = ADMIN
    return env


def _config_text(files: AuthFiles) -> str:
    """MLflow's settings file: users read what they are granted (READ unless given more)."""
    config = configparser.ConfigParser()
    config["mlflow"] = {
        "default_permission": "READ",
        "database_uri": files.database_uri,
        "admin_username": ADMIN,
        "authorization_function": "mlflow.server.auth:authenticate_request_basic_auth",
    }
    buf = io.StringIO()
    buf.write("# written by optsweep server --auth; no password is kept here\n")
    config.write(buf)
    return buf.getvalue()


def _write_private(path: Path, text: str) -> None:
    """Write `path` readable by its owner only, in one rename (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def add_user(url: str, username: str, password: str, admin_password: str, study: str | None):
    """Create `username` on the server at `url` (as admin) and give it EDIT on `study`'s
    experiment, created if the study has none yet. Returns the experiment id or None."""
    import warnings

    with warnings.catch_warnings():  # the server's modules warn about their own dependencies
        warnings.simplefilter("ignore")
        import mlflow.server
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    check_password(password, USER_PASSWORD_ENV)
    saved = {k: os.environ.get(k) for k in (USERNAME_ENV, PASSWORD_ENV)}
    os.environ[USERNAME_ENV], os.environ[PASSWORD_ENV] = ADMIN, admin_password
    try:
        client = mlflow.server.get_app_client(APP_NAME, tracking_uri=url)
        try:
            client.create_user(username=username, password=password)
        except MlflowException as e:
            if e.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
            client.update_user_password(username=username, password=password)
        if study is None:
            return None
        tracking = MlflowClient(url)
        exp = tracking.get_experiment_by_name(study)
        experiment_id = exp.experiment_id if exp else tracking.create_experiment(study)
        client.grant_user_permission(username, "experiment", experiment_id, WORKER_PERMISSION)
        return experiment_id
    except MlflowException as e:
        raise TrackingError(_refusal(e, url)) from None
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _refusal(e, url: str) -> str:
    """One line for what the server said, without echoing any password."""
    text = " ".join(str(getattr(e, "message", e)).split())
    if "401" in text or "Unauthorized" in text or "credentials" in text.lower():
        return (
            f"the server at {store.mask(url)} refused the admin login: set {ADMIN_PASSWORD_ENV} "
            "to the password the server was first started with"
        )
    return f"the server at {store.mask(url)} refused: {text[:300]}"
