"""optuna-dashboard on a study's storage: Optuna's own view of the trials, beside MLflow's.

    dash = dashboard.open_dashboard(storage_cfg, "default", host="127.0.0.1", port=8080)
    print(dash.url)              # the study's page
    dash.serve_forever()         # Ctrl-C stops it; dash.close() from another thread

The storage is the one the sweep wrote (the journal file or an RDB URL, resolved as `optsweep
trials` does). optuna-dashboard has no login and can rename, delete and edit studies and
trials, so it binds to 127.0.0.1 unless the user names another host (and the CLI warns then).
"""

from __future__ import annotations

import errno
import threading
import warnings
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from core.errors import ConfigError
from sweeps import storage as storage_mod
from tracking.ui import LOOPBACK

DEFAULT_PORT = 8080


class _ThreadedServer(ThreadingMixIn, WSGIServer):
    """One thread per request: the page polls the API while a large study loads."""

    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    """No access-log line per request: the page polls every few seconds."""

    def log_message(self, format, *args) -> None:
        pass


@dataclass
class Dashboard:
    """A bound, not yet serving, optuna-dashboard."""

    server: _ThreadedServer
    host: str
    study_name: str
    study_id: int
    storage_shown: str

    @property
    def port(self) -> int:
        return self.server.server_port

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The study's page: trials, history, importances, parallel coordinates."""
        return f"{self.base_url}/dashboard/studies/{self.study_id}"

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.2)

    def start(self) -> threading.Thread:
        """Serve from a daemon thread (tests, notebooks); `close()` stops it."""
        thread = threading.Thread(target=self.serve_forever, name="optuna-dashboard", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def open_dashboard(
    cfg: storage_mod.StorageConfig, study_name: str, host: str = LOOPBACK, port: int = DEFAULT_PORT
) -> Dashboard:
    """Check that the study exists, build optuna-dashboard's app on its storage, bind the port.

    Raises ConfigError (one line) for a missing storage or study, a port out of range or taken,
    or a host that cannot be bound. `port` 0 takes a free one.
    """
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port must be between 0 and 65535, got {port}")
    storage = storage_mod.open_storage(cfg, must_exist=True)
    study = storage_mod.load_study(cfg, study_name, storage=storage)
    app = _app(storage)
    try:
        server = make_server(
            host, port, app, server_class=_ThreadedServer, handler_class=_QuietHandler
        )
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"port {port} on {host} is taken (another dashboard?); pass --port N"
            ) from None
        raise ConfigError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    study_id = storage.get_study_id_from_name(study.study_name)
    return Dashboard(server, host, study_name, study_id, cfg.shown)


def _app(storage):
    try:
        from optuna_dashboard import wsgi
    except ImportError:  # pragma: no cover - a runtime dependency; only a broken install lacks it
        raise ConfigError(
            "optuna-dashboard is not installed; pip install 'optuna-dashboard>=0.17'"
        ) from None
    with warnings.catch_warnings():  # its own ExperimentalWarnings are not the user's business
        warnings.simplefilter("ignore")
        return wsgi(storage)
