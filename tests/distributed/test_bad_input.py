"""Every bad input a user can give, in one table: one `error: ...` line on stderr, exit 2, and
nothing written (no file in the folder, no study in PostgreSQL, no MLflow store or run), with
any password in a URL masked."""

from __future__ import annotations

import signal
import textwrap
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from optsweep.cli import app
from tests.distributed.conftest import PASSWORD, study_names

pytestmark = pytest.mark.postgres

GOOD = """
[study]
name = "bad-input"
trials = 2
pruner = "none"

[train]
data = "{data}"
epochs = 3

[space]
alpha = {{ low = {low}, high = 1e-1 }}
"""
DEAD_PG = f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/test"
DEAD_HTTP = f"http://user:{PASSWORD}@127.0.0.1:1"


def sweep_file(folder: Path, name: str, data: str = "moons", low: str = "1e-3", extra=""):
    path = folder / name
    path.write_text(textwrap.dedent(GOOD.format(data=data, low=low)) + extra)
    return path.name


def data_files(folder: Path) -> None:
    """The bad data files, each referenced by a sweep file of the same stem."""
    rows = "1.0,2.0,0\n3.0,4.0,1\n5.0,6.0,0\n7.0,8.0,1\n"
    (folder / "nan.csv").write_text(rows + "nan,1.0,0\n")
    (folder / "strings.csv").write_text(rows + "a,b,1\n")
    (folder / "empty.csv").write_text("")
    (folder / "oneclass.csv").write_text("1.0,2.0,0\n3.0,4.0,0\n5.0,6.0,0\n7.0,8.0,0\n")
    np.savez(folder / "mismatch.npz", X=np.ones((10, 2)), y=np.zeros(9))
    np.savez(folder / "pickled.npz", X=np.array([{"a": 1}] * 4, dtype=object), y=np.zeros(4))
    for stem, ext in (("nan", "csv"), ("strings", "csv"), ("empty", "csv"),
                      ("oneclass", "csv"), ("mismatch", "npz"), ("pickled", "npz")):  # fmt: skip
        sweep_file(folder, f"data-{stem}.toml", data=f"{stem}.{ext}")


def setup(folder: Path) -> None:
    sweep_file(folder, "good.toml")
    data_files(folder)
    sweep_file(folder, "zero-low.toml", low="0")
    sweep_file(folder, "inverted.toml", low="0.5")
    sweep_file(folder, "unknown-key.toml", extra='\n[extra]\nwho = "me"\n')
    (folder / "unknown-data.toml").write_text(
        (folder / "good.toml").read_text().replace('"moons"', '"moonz"')
    )
    (folder / "unknown-sampler.toml").write_text(
        (folder / "good.toml").read_text().replace('pruner = "none"', 'sampler = "magic"')
    )
    (folder / "wrong-type.toml").write_text(
        (folder / "good.toml").read_text().replace("trials = 2", 'trials = "two"')
    )
    (folder / "syntax.toml").write_text("[study\nname = \n")
    (folder / "not-a-journal.txt").write_text("my notes\n")
    (folder / "not-sqlite.db").write_text("my notes\n")
    (folder / "a-folder").mkdir()


PG = "{pg}"  # replaced by the test schema's URL (with a password)
CASES = {
    # command-line values
    "trials 0": ["sweep", "good.toml", "--trials", "0"],
    "trials not a number": ["sweep", "good.toml", "--trials", "many"],
    "workers 0": ["sweep", "good.toml", "--workers", "0"],
    "timeout negative": ["sweep", "good.toml", "--timeout", "-5"],
    "heartbeat 0": ["sweep", "good.toml", "--heartbeat-interval", "0"],
    "grace shorter than heartbeat": ["sweep", "good.toml", "--grace-period", "5"],
    "max-retry negative": ["worker", "good.toml", "--max-retry", "-1"],
    "flush-every 0": ["worker", "good.toml", "--flush-every", "0"],
    "flush-seconds 0": ["sweep", "good.toml", "--flush-seconds", "0"],
    "misspelled option": ["sweep", "good.toml", "--trails", "3"],
    "empty study name": ["sweep", "good.toml", "--study", " "],
    "server port": ["server", "--port", "70000"],
    "server store not a database": ["server", "--backend-store-uri", "http://127.0.0.1:5000"],
    "server store unreachable": ["server", "--backend-store-uri", DEAD_PG],
    # sweep files
    "sweep file missing": ["sweep", "missing.toml"],
    "sweep file a folder": ["sweep", "a-folder"],
    "sweep file not TOML": ["sweep", "syntax.toml"],
    "unknown section": ["sweep", "unknown-key.toml"],
    "wrong type": ["sweep", "wrong-type.toml"],
    "inverted range": ["sweep", "inverted.toml"],
    "log scale from 0": ["sweep", "zero-low.toml"],
    "unknown sampler": ["sweep", "unknown-sampler.toml"],
    "unknown data set": ["sweep", "unknown-data.toml"],
    # data files, through a sweep file and through `train`
    "data NaN": ["sweep", "data-nan.toml"],
    "data strings": ["sweep", "data-strings.toml"],
    "data empty": ["sweep", "data-empty.toml"],
    "data one class": ["sweep", "data-oneclass.toml"],
    "data rows mismatch": ["sweep", "data-mismatch.toml"],
    "data pickled npz": ["sweep", "data-pickled.toml"],
    "train pickled npz": ["train", "--data", "pickled.npz", "--epochs", "2"],
    "train NaN csv": ["train", "--data", "nan.csv", "--epochs", "2"],
    # study storage
    "storage unreachable": ["sweep", "good.toml", "--storage", DEAD_PG],
    "storage bad port": ["sweep", "good.toml", "--storage", DEAD_PG.replace(":1/", ":port/")],
    "storage unknown scheme": ["sweep", "good.toml", "--storage", "nosuchdb://h/x"],
    "storage folder missing": ["sweep", "good.toml", "--storage", "missing/optsweep.journal"],
    "storage sqlite folder missing": ["sweep", "good.toml", "--storage", "sqlite:///no/x.db"],
    "storage is not a journal": ["sweep", "good.toml", "--storage", "not-a-journal.txt"],
    "storage is a folder": ["sweep", "good.toml", "--storage", "a-folder"],
    # tracking store
    "tracking unreachable": ["sweep", "good.toml", "--storage", PG, "--tracking-uri", DEAD_HTTP],
    "tracking no host": ["sweep", "good.toml", "--tracking-uri", "http://"],
    "tracking bad port": ["sweep", "good.toml", "--tracking-uri", "http://127.0.0.1:port"],
    "tracking unknown scheme": ["sweep", "good.toml", "--tracking-uri", "ftp://host/x"],
    "tracking folder missing": ["sweep", "good.toml", "--tracking-uri", "sqlite:///no/m.db"],
    "tracking not sqlite": ["sweep", "good.toml", "--tracking-uri", "sqlite:///not-sqlite.db"],
    "tracking db unreachable": ["sweep", "good.toml", "--tracking-uri", DEAD_PG],
    # bad input with a good PostgreSQL storage: still no study
    "pg + bad sweep file": ["sweep", "inverted.toml", "--storage", PG],
    "pg + bad data": ["worker", "data-nan.toml", "--storage", PG],
    "pg + trials 0": ["worker", "good.toml", "--storage", PG, "--trials", "0"],
    # a study that does not exist
    "trials: no such study": ["trials", "nope", "--storage", PG],
    "sync: no such study": ["sync", "nope", "--storage", PG, "--tracking-uri", DEAD_HTTP],
    "trials: no storage yet": ["trials", "nope"],
    "sync: no storage yet": ["sync", "nope"],
}


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture(scope="module")
def pg_with_a_study(postgres, tmp_path_factory):
    """One schema holding one study, shared by the cases (none may add to it)."""
    import optuna

    from tests.distributed.conftest import PG_DB, PG_HOST, PG_PORT, _admin, unique

    schema = unique("optsweep_t")
    _admin(f"CREATE SCHEMA {schema}")
    url = (
        f"postgresql://postgres:{PASSWORD}@{PG_HOST}:{PG_PORT}/{PG_DB}"
        f"?options=-csearch_path%3D{schema}"
    )
    storage = optuna.storages.RDBStorage(url)
    optuna.create_study(study_name="existing", storage=storage)
    storage.engine.dispose()
    yield url
    _admin(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    case, tmp_path, monkeypatch, pg_with_a_study
):
    for var in ("OPTSWEEP_STORAGE", "OPTSWEEP_TRACKING_URI", "MLFLOW_BACKEND_STORE_URI"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    setup(tmp_path)
    argv = [a.replace(PG, pg_with_a_study) for a in CASES[case]]
    files, studies = listing(tmp_path), study_names(pg_with_a_study)
    sigterm = signal.getsignal(signal.SIGTERM)

    result = CliRunner().invoke(app, argv)

    signal.signal(signal.SIGTERM, sigterm)  # in case a worker got as far as installing its own
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    assert PASSWORD not in result.output
    assert listing(tmp_path) == files  # no journal, lock, mlflow.db, artifacts or report
    assert study_names(pg_with_a_study) == studies == ["existing"]
