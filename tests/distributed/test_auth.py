"""`optsweep server --auth`, for real: only users with a password get in (never MLflow's old
`admin`/`password1234`), a worker logs with the login from its environment, a worker without
one ends in one line before it writes anything, and no password shows in any process's argv,
log, MLflow param or tag, or the study's attributes."""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from optuna.trial import TrialState

from tests.distributed.conftest import MlflowServer, mlflow_runs, write_sweep

pytestmark = pytest.mark.xdist_group("auth_server")

ADMIN_PW = "admin-pw-Quux-4821"
USER_PW = "worker-pw-Zork-9930"
SECRETS = (ADMIN_PW, USER_PW)
PROBE = "/api/2.0/mlflow/experiments/search?max_results=1"


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("auth-server")
    srv = MlflowServer(folder, args=("--auth",), env={"OPTSWEEP_ADMIN_PASSWORD": ADMIN_PW})
    srv.start()
    yield srv
    srv.stop()


def status(url: str, user: str | None = None, password: str = "") -> int:
    """The HTTP status of an API request, with a basic-auth login or none."""
    request = urllib.request.Request(url + PROBE)
    if user is not None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def test_only_a_known_login_gets_in_and_never_mlflows_old_default(auth_server):
    url = auth_server.url
    assert status(url) == 401
    assert status(url, "admin", "wrong-password-123") == 401
    assert status(url, "admin", "password1234") == 401
    assert status(url, "admin", ADMIN_PW) == 200
    users = Path(auth_server.folder) / "mlflow-auth.db"
    assert users.is_file() and (users.parent / "mlflow-auth.ini").stat().st_mode & 0o077 == 0
    assert ADMIN_PW not in (users.parent / "mlflow-auth.ini").read_text()


def _cmdlines(stop: threading.Event, seen: set[str]) -> None:
    """Every process's command line while a sweep runs, as `ps` would show it."""
    while not stop.is_set():
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                with contextlib.suppress(OSError):
                    seen.add((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        stop.wait(0.05)


def test_a_worker_logs_with_its_login_and_without_one_writes_nothing(auth_server, tmp_path, procs):
    url, name = auth_server.url, "authsweep"
    sweep_file = write_sweep(tmp_path, name, trials=4, epochs=10)
    admin = {"OPTSWEEP_ADMIN_PASSWORD": ADMIN_PW, "OPTSWEEP_USER_PASSWORD": USER_PW}
    add = procs.optsweep("server", "add-user", "ana", "--study", name, "--tracking-uri", url,
                         env=admin)  # fmt: skip
    assert add.wait(120) == 0, procs.output(add)
    assert "user ana can log in" in procs.output(add)[0]
    sweep_args = ("sweep", sweep_file, "--tracking-uri", url, "--report-seeds", 0)
    journal = tmp_path / "optsweep.journal"

    # no login, then a wrong password: one line each, exit 2, no study, no run
    nobody = {"MLFLOW_TRACKING_USERNAME": "", "MLFLOW_TRACKING_PASSWORD": ""}
    wrong = {"MLFLOW_TRACKING_USERNAME": "ana", "MLFLOW_TRACKING_PASSWORD": "not-her-password"}
    for env, says in ((nobody, "MLFLOW_TRACKING_USERNAME"), (wrong, "MLFLOW_TRACKING_PASSWORD")):
        refused = procs.optsweep(*sweep_args, env=env)
        assert refused.wait(120) == 2, procs.output(refused)
        err = procs.output(refused)[1].strip()
        assert err.startswith("error: ") and "\n" not in err and says in err, err
        assert not journal.exists()

    # with her login: the whole budget, one run per trial, on two workers
    seen: set[str] = set()
    stop = threading.Event()
    watcher = threading.Thread(target=_cmdlines, args=(stop, seen), daemon=True)
    watcher.start()
    ana = {"MLFLOW_TRACKING_USERNAME": "ana", "MLFLOW_TRACKING_PASSWORD": USER_PW}
    sweep = procs.optsweep(*sweep_args, "--workers", 2, env=ana)
    try:
        assert sweep.wait(240) == 0, procs.output(sweep)
    finally:
        stop.set()
        watcher.join(5)

    import optuna

    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(
        str(journal)))  # fmt: skip
    study = optuna.load_study(study_name=name, storage=storage)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 4
    with pytest.MonkeyPatch.context() as mp:  # read the runs as the admin
        mp.setenv("MLFLOW_TRACKING_USERNAME", "admin")
        mp.setenv("MLFLOW_TRACKING_PASSWORD", ADMIN_PW)
        runs = mlflow_runs(url, name)
        found = runs["client"].search_runs(
            [runs["parents"][0].info.experiment_id], max_results=1000
        )
    assert sorted(runs["children"]) == [0, 1, 2, 3] and len(runs["parents"]) == 1

    # no password anywhere a person or another program can read it
    where = {
        "argv": "\n".join(c for c in seen if "optsweep" in c or "mlflow" in c),
        "logs": procs.all_output() + Path(auth_server.log).read_text(),
        "mlflow": json.dumps([[r.data.params, r.data.tags] for r in found]),
        "study": journal.read_text(),  # every attribute of the study and its trials
    }
    assert " worker " in where["argv"]  # the watcher saw the worker processes
    for place, text in where.items():
        for secret in SECRETS:
            assert secret not in text, f"a password in the {place}"

    # report and sync: the same one line without a login, and they work with hers
    at = ("--storage", journal, "--tracking-uri", url)
    for args in (("report", name, *at, "--seeds", 2), ("sync", name, *at)):
        refused = procs.optsweep(*args, env=nobody)
        assert refused.wait(120) == 2, procs.output(refused)
        err = procs.output(refused)[1].strip()
        assert "MLFLOW_TRACKING_USERNAME" in err and "\n" not in err, err
    synced = procs.optsweep("sync", name, *at, env=ana)
    assert synced.wait(120) == 0, procs.output(synced)
