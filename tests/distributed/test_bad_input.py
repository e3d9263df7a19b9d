"""Every bad input a user can give, in one table: one `error: ...` line on stderr, exit 2, and
nothing written (no file in the folder, no study in PostgreSQL, no MLflow store or run, every
file there byte for byte as it was), with any password in a URL masked. Then the damaged state
that is refused the same way (a locked MLflow store, a read-only or full disk), the damaged
state that is repaired (a torn journal: nothing recorded is lost), and the odd input that is
no error at all (labels that are not 0..K-1, ...)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from optsweep.cli import app
from tests.distributed.conftest import PASSWORD, REPO, study_names, template_db

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
    big = 2**53  # and 2**53 + 1: as float64 both read 2**53, so two classes would become one
    np.savez(folder / "bigint.npz", X=np.ones((8, 2)), y=np.repeat([big, big + 1], 4))
    for stem, ext in (("nan", "csv"), ("strings", "csv"), ("empty", "csv"),
                      ("oneclass", "csv"), ("mismatch", "npz"), ("pickled", "npz"),
                      ("bigint", "npz")):  # fmt: skip
        sweep_file(folder, f"data-{stem}.toml", data=f"{stem}.{ext}")


def changed(folder: Path, line: str, old: str, new: str) -> None:
    """A copy of good.toml named `line`.toml with `old` replaced by `new`."""
    text = (folder / "good.toml").read_text()
    assert old in text
    (folder / f"{line}.toml").write_text(text.replace(old, new))


def mlflow_stores(folder: Path) -> None:
    """Damaged and foreign MLflow stores, each made from a store MLflow itself created."""
    made = template_db()
    size = made.stat().st_size
    shutil.copy(made, folder / "cut.db")  # a copy cut short (a full disk, a crash)
    os.truncate(folder / "cut.db", size // 2)
    garbled = bytearray(made.read_bytes())  # pages overwritten in the middle (a bad disk)
    garbled[3 * 4096 : 6 * 4096] = b"\xff" * (3 * 4096)
    (folder / "garbled.db").write_bytes(bytes(garbled))
    with sqlite3.connect(folder / "foreign.db") as c:  # another program's database
        c.execute("CREATE TABLE notes (day TEXT, text TEXT)")
        c.execute("INSERT INTO notes VALUES ('monday', 'my notes')")
    c.close()
    shutil.copy(made, folder / "newer.db")  # a schema revision this MLflow does not know
    with sqlite3.connect(folder / "newer.db") as c:
        c.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    c.close()
    shutil.copy(older_template(), folder / "older.db")


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
    changed(folder, "empty-layer", "epochs = 3", 'epochs = 3\nlayers = "5,,2"')
    changed(folder, "huge-epochs", "epochs = 3", f"epochs = {10**18}")
    changed(folder, "huge-samples", "epochs = 3", f"epochs = 3\nsamples = {10**18}")
    changed(folder, "huge-trials", "trials = 2", f"trials = {10**18}")
    changed(folder, "huge-seed", "trials = 2", f"trials = 2\nseed = {10**18}")
    changed(folder, "neg-train-seed", "epochs = 3", "epochs = 3\nseed = -1")
    changed(folder, "tab-name", 'name = "bad-input"', 'name = "bad\\tinput"')
    changed(folder, "long-name", 'name = "bad-input"', f'name = "{"x" * 300}"')
    mlflow_stores(folder)


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
    # extreme values: no traceback, not even after the trials have run
    "epochs too many for an array": ["train", "--epochs", str(10**20)],
    "samples too many for an array": ["train", "--samples", str(10**20)],
    "layer too wide for an array": ["train", "--layers", str(10**14)],
    "trials too many": ["sweep", "good.toml", "--trials", str(10**20)],
    "workers too many": ["sweep", "good.toml", "--workers", str(10**6)],
    "worker index negative": ["worker", "good.toml", "--worker-index", "-1"],
    "layers with an empty item": ["train", "--layers", "5,,2"],
    "layers with a trailing comma": ["train", "--layers", "5,2,"],
    "gradcheck eps 0": ["gradcheck", "--eps", "0"],
    "gradcheck eps subnormal": ["gradcheck", "--eps", "5e-324"],
    "gradcheck eps negative": ["gradcheck", "--eps", "-1e-7"],
    "gradcheck eps not a number": ["gradcheck", "--eps", "nan"],
    "ui port": ["ui", "--port", "99999999"],
    "study name too long": ["sweep", "good.toml", "--study", "x" * 300],
    "study name with a control character": ["sweep", "good.toml", "--study", "bad\x1b[2Jname"],
    "sweep file: layers with an empty item": ["sweep", "empty-layer.toml"],
    "sweep file: epochs too many": ["sweep", "huge-epochs.toml"],
    "sweep file: samples too many": ["sweep", "huge-samples.toml"],
    "sweep file: trials too many": ["sweep", "huge-trials.toml"],
    "sweep file: seed too large": ["sweep", "huge-seed.toml"],
    "sweep file: training seed negative": ["sweep", "neg-train-seed.toml"],
    "train seed negative": ["train", "--seed", "-1"],
    "train l2 infinite": ["train", "--l2", "inf"],
    "train epsilon infinite": ["train", "--epsilon", "inf"],
    "train unused beta not a number": ["train", "--optimizer", "gd", "--beta1", "nan"],
    "sweep file: name with a tab": ["sweep", "tab-name.toml"],
    "sweep file: name too long": ["sweep", "long-name.toml"],
    "data labels too large to tell apart": ["sweep", "data-bigint.toml"],
    "train labels too large to tell apart": ["train", "--data", "bigint.npz", "--epochs", "2"],
    # damaged or foreign MLflow stores: refused, not created into, upgraded or overwritten
    "tracking store cut short": ["sweep", "good.toml", "--tracking-uri", "sqlite:///cut.db"],
    "tracking store garbled": ["sweep", "good.toml", "--tracking-uri", "sqlite:///garbled.db"],
    "tracking store foreign": ["sweep", "good.toml", "--tracking-uri", "sqlite:///foreign.db"],
    "tracking store newer": ["sweep", "good.toml", "--tracking-uri", "sqlite:///newer.db"],
    "tracking store older": ["sweep", "good.toml", "--tracking-uri", "sqlite:///older.db"],
    "worker + store older": ["worker", "good.toml", "--tracking-uri", "sqlite:///older.db"],
    "server + store foreign": ["server", "--backend-store-uri", "sqlite:///foreign.db"],
    "ui + store newer": ["ui", "--tracking-uri", "sqlite:///newer.db"],
    # the findings' folders
    "findings store is a file": ["findings", "--store", "good.toml", "--out", "f.md"],
    "findings page is a folder": ["findings", "--store", "fs", "--out", "a-folder"],
    # joining by name
    "worker joins an unknown study": ["worker", "--study", "nosuch", "--storage", "none.journal"],
}
SAYS = {  # what the line must say, beyond `error: `: the file and the fix
    "findings store is a file": ("good.toml is a file", "name a folder"),
    "findings page is a folder": ("a-folder is a folder", "name the page"),
    "worker joins an unknown study": ("no study storage at",),
    "tracking store cut short": ("cut.db is damaged", "move it aside"),
    "tracking store garbled": ("garbled.db is damaged", "move it aside"),
    "tracking store foreign": ("foreign.db is an SQLite database but not an MLflow store",),
    "tracking store newer": ("newer.db", "upgrade MLflow"),
    "tracking store older": ("older.db", "mlflow db upgrade sqlite:///"),
    "layers with an empty item": ("--layers", "5,,2"),
    "gradcheck eps subnormal": ("--eps",),
    "sweep file: training seed negative": ("train.seed", ">= 0"),
    "train seed negative": ("seed", ">= 0"),
    "train unused beta not a number": ("beta1", "nan"),
    "study name too long": ("--study", "at most 100"),
    "data labels too large to tell apart": ("bigint.npz", "too large to be read exactly"),
    "train labels too large to tell apart": ("bigint.npz", "too large to be read exactly"),
}


def older_template() -> Path:
    """A store MLflow made, taken one schema revision back with MLflow's own migrations (as a
    store of the previous MLflow release would be); built once, like the template store."""
    import fcntl

    from alembic import command
    from alembic.script import ScriptDirectory

    made = template_db()
    older = made.with_name(made.stem + "-older.db")
    with open(made.with_name("build.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not older.exists():
            partial = made.with_name("older-partial.db")
            shutil.copy(made, partial)
            config = _alembic_config(f"sqlite:///{partial}")
            script = ScriptDirectory.from_config(config)
            command.downgrade(config, script.get_revision(script.get_current_head()).down_revision)
            partial.rename(older)
    return older


def _alembic_config(url: str):
    """MLflow's Alembic set-up for its store (a private helper: MLflow has no public one; the
    test needs the real migrations to make an older store)."""
    from mlflow.store.db.utils import _get_alembic_config

    return _get_alembic_config(url)


def listing(folder: Path) -> dict[str, str]:
    """Every path under `folder` and its content's digest: nothing added, removed or changed."""
    return {
        str(p.relative_to(folder)): "dir"
        if p.is_dir()
        else hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
    }


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
    assert all(words in lines[0] for words in SAYS.get(case, ())), lines[0]
    assert "Traceback" not in result.output
    assert PASSWORD not in result.output
    assert listing(tmp_path) == files  # no journal, lock, mlflow.db, artifacts or report
    assert study_names(pg_with_a_study) == studies == ["existing"]


def test_a_locked_mlflow_store_is_one_line_exit_2_and_stays_as_it_was(tmp_path, monkeypatch):
    """Another program holds the store's write lock (an open sqlite3 shell, a DB browser): the
    sweep says so once the lock has been held for tracking.store.LOCK_WAIT, before any trial."""
    from tracking import store

    monkeypatch.setattr(store, "LOCK_WAIT", 0.5)  # seconds: the test need not wait 5
    monkeypatch.chdir(tmp_path)
    for var in ("OPTSWEEP_STORAGE", "OPTSWEEP_TRACKING_URI"):
        monkeypatch.delenv(var, raising=False)
    sweep_file(tmp_path, "good.toml")
    shutil.copy(template_db(), tmp_path / "mlflow.db")
    files = listing(tmp_path)
    holder = sqlite3.connect(tmp_path / "mlflow.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = CliRunner().invoke(app, ["sweep", "good.toml"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "mlflow.db is locked by another program" in lines[0], lines
    assert listing(tmp_path) == files


# --- a read-only or full disk -----------------------------------------------------------------

READ_ONLY = """
mount --bind "$RO" "$RO"
mount -o remount,bind,ro "$RO"
cd "$WORK"
"$PY" -m optsweep sweep good.toml $ARGS || echo "exit $?" >&2
"""
FULL = """
mount -t tmpfs -o size=512k tmpfs "$WORK"
cd "$WORK"  # after the mount: a cd before it leaves the shell in the real folder underneath
cp "$KEEP/good.toml" .
cat /dev/zero > fill 2>/dev/null || true
find . -type f | sort | xargs sha256sum > "$KEEP/before"
"$PY" -m optsweep sweep good.toml $ARGS || echo "exit $?" >&2
find . -type f | sort | xargs sha256sum > "$KEEP/after"
"""
DISK_CASES = {  # the folder made read-only (or full), the sweep's options, what the line names
    "working directory read-only": ("", "", "read-only file system"),
    "journal folder read-only": ("ro", "--storage ro/optsweep.journal", "read-only file system"),
    "MLflow folder read-only": ("ro", "--tracking-uri sqlite:///ro/mlflow.db", "read-only"),
    "reports folder read-only": ("reports", "", "read-only file system"),
    "disk full": (None, "", "disk is full"),
}


def _can_mount() -> str | None:
    """None when this process may make a private mount namespace and mount in it (root in a
    privileged container, as CI is), else why not."""
    if shutil.which("unshare") is None:
        return "no unshare(1) on this machine"
    done = subprocess.run(["unshare", "--mount", "mount", "-t", "tmpfs", "tmpfs", "/mnt"],
                          capture_output=True, text=True)  # fmt: skip
    return None if done.returncode == 0 else f"cannot mount: {done.stderr.strip()}"


@pytest.mark.parametrize("case", list(DISK_CASES))
def test_a_read_only_or_full_disk_is_refused_in_one_line_before_any_trial(case, tmp_path):
    """Permission bits do not stop root (the tests run as root), so the folders are made
    read-only, or the disk full, for real: a read-only bind mount or a full 512 kB tmpfs, in a
    mount namespace of the sweep's own that vanishes with it."""
    why = _can_mount()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"{why}: CI must run the read-only and full disk checks", pytrace=False)
        pytest.skip(why)
    folder, args, says = DISK_CASES[case]
    work, keep = tmp_path / "work", tmp_path / "keep"
    work.mkdir()
    keep.mkdir()
    for d in (work, keep):
        sweep_file(d, "good.toml")
    if folder:
        (work / folder).mkdir()
    env = {**os.environ, "PY": sys.executable, "WORK": str(work), "KEEP": str(keep), "ARGS": args,
           "RO": str(work / folder) if folder is not None else ""}  # fmt: skip
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    for var in ("OPTSWEEP_STORAGE", "OPTSWEEP_TRACKING_URI"):
        env.pop(var, None)
    before = listing(work)
    script = FULL if folder is None else READ_ONLY
    done = subprocess.run(["unshare", "--mount", "bash", "-euc", script], env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip

    lines = done.stderr.splitlines()
    assert lines[-1:] == ["exit 2"], done.stderr
    assert len(lines) == 2 and lines[0].startswith("error: ") and says in lines[0], done.stderr
    assert "cannot be written" in lines[0] and "Traceback" not in done.stdout
    if folder is None:  # the tmpfs is gone: compare what the script saw inside it
        assert (keep / "after").read_text() == (keep / "before").read_text()
    else:
        assert listing(work) == before  # no journal, lock, store or report anywhere


# --- a torn journal is repaired: nothing recorded is lost ------------------------------------

TORN = """
[study]
name = "resumed"
trials = 4
pruner = "none"

[train]
data = "moons"
epochs = 5

[space]
alpha = { low = 1e-3, high = 1e-1 }
beta1 = { low = 0.8, high = 0.999, default = true }
"""


def optsweep_run(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """`optsweep ARGS` in a process of its own (a journal records its pid: when it has gone,
    its unfinished trials are known to be dead)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTSWEEP_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    argv = [sys.executable, "-m", "optsweep", *args]
    return subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> bytes:
    """The journal of a 4-trial sweep, as bytes."""
    folder = tmp_path_factory.mktemp("swept")
    (folder / "torn.toml").write_text(textwrap.dedent(TORN))
    done = optsweep_run(folder, "sweep", "torn.toml", "--no-track", "--report-seeds", "0")
    assert done.returncode == 0, done.stderr
    return (folder / "optsweep.journal").read_bytes()


def recorded(journal: bytes, folder: Path) -> dict[int, tuple]:
    """{number: (state, params, value)} of every finished trial in `journal`, read by Optuna
    itself from a copy (nothing of ours involved)."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    path = folder / "copy.journal"
    path.write_bytes(journal)
    storage = JournalStorage(JournalFileBackend(str(path)))
    if not optuna.get_all_study_names(storage):
        return {}
    study = optuna.load_study(study_name="resumed", storage=storage)
    return {t.number: (t.state.name, t.params, t.value) for t in study.get_trials()
            if t.state.is_finished()}  # fmt: skip


CUTS = {  # where the journal is cut, in its records' lines (a process killed while writing)
    "in the last record": lambda lines: lines[-1][0] + (lines[-1][1] - lines[-1][0]) // 2,
    "before the last newline": lambda lines: lines[-1][1] - 1,
    "in a record half-way": lambda lines: lines[len(lines) // 2][0] + 7,
    "in the first record": lambda lines: 12,
}


@pytest.mark.parametrize("cut", list(CUTS))
def test_a_torn_journal_is_repaired_in_one_line_and_every_recorded_trial_survives(
    cut, swept, tmp_path
):
    ends = [i + 1 for i, byte in enumerate(swept) if byte == ord("\n")]
    lines = list(zip([0, *ends[:-1]], ends, strict=True))  # (start, end) of each record
    torn = swept[: CUTS[cut](lines)]
    whole = torn[: torn.rfind(b"\n") + 1]  # the records written whole before the cut
    (tmp_path / "scratch").mkdir()
    before = recorded(whole, tmp_path / "scratch")
    if cut in ("in the last record", "before the last newline"):
        assert len(before) >= 3  # trials to keep: all but the one whose record was cut
    (tmp_path / "torn.toml").write_text(textwrap.dedent(TORN))
    (tmp_path / "optsweep.journal").write_bytes(torn)

    done = optsweep_run(tmp_path, "sweep", "torn.toml", "--no-track", "--report-seeds", "0")

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    said = [line for line in done.stderr.splitlines() if "torn" in line]  # the one line
    (copy,) = tmp_path.glob("optsweep.journal.torn-*")
    assert len(said) == 1 and copy.name in said[0], done.stderr
    assert copy.read_bytes() == torn  # the file as it was, kept
    journal = (tmp_path / "optsweep.journal").read_bytes()
    assert journal.startswith(whole)  # nothing before the cut was rewritten
    after = recorded(journal, tmp_path / "scratch")
    assert {n: after[n] for n in before} == before  # every finished trial, as it was
    counted = [t for t in after.values() if t[0] in ("COMPLETE", "PRUNED")]
    assert len(counted) >= 4  # and the sweep resumed to its budget
    again = optsweep_run(tmp_path, "trials", "resumed")  # the study reads again, nothing to repair
    assert again.returncode == 0 and again.stderr == "", again.stderr


def test_a_journal_damaged_before_its_end_is_refused_naming_the_line(swept, tmp_path):
    """A damaged record followed by whole ones cannot be dropped (the later records count on
    it): one line names it and the repair (docs/repair.md), and the file is left as it was."""
    lines = swept.split(b"\n")
    lines[3] = lines[3][:10] + b"#garbage#" + lines[3][10:]
    (tmp_path / "torn.toml").write_text(textwrap.dedent(TORN))
    (tmp_path / "optsweep.journal").write_bytes(b"\n".join(lines))
    files = listing(tmp_path)
    done = optsweep_run(tmp_path, "sweep", "torn.toml", "--no-track", "--report-seeds", "0")
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert done.stderr.strip().splitlines() == errors and len(errors) == 1, done.stderr
    assert "line 4 is not a whole journal record" in errors[0] and "docs/repair.md" in errors[0]
    assert listing(tmp_path) == files


# --- odd input that is no error ----------------------------------------------------------------


def train_json(folder: Path, data: str, *args: str) -> dict:
    result = CliRunner().invoke(app, ["train", "--data", str(folder / data), "--epochs", "30",
                                      "--json", *args])  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


LABELS = {  # labels as a user's file may hold them -> the same classes numbered 0..K-1
    "negative": [-1, 1],
    "sparse": [3, 7, 100],
    "huge": [0, 10**15],
    "negative and huge": [-(10**15), 0, 5],
}


@pytest.mark.parametrize("kind", list(LABELS))
def test_labels_that_are_not_0_to_k_minus_1_train_as_the_same_classes_numbered(kind, tmp_path):
    """The classes of a file are its distinct labels in order: training on them is training on
    0..K-1, bit for bit."""
    labels = LABELS[kind]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30 * len(labels), 2))
    k = np.repeat(np.arange(len(labels)), 30)
    X[:, 0] += 3 * k  # separable enough to learn something
    np.savez(tmp_path / "numbered.npz", X=X, y=k)
    np.savez(tmp_path / "odd.npz", X=X, y=np.asarray(labels)[k])
    csv = "\n".join(
        ",".join(map(repr, [*row.tolist(), labels[c]])) for row, c in zip(X, k, strict=True)
    )
    (tmp_path / "odd.csv").write_text(csv + "\n")
    numbered = train_json(tmp_path, "numbered.npz")
    for odd in ("odd.npz", "odd.csv"):
        got = train_json(tmp_path, odd)
        assert got["curves"] == numbered["curves"]
        for figures in (got, numbered):
            figures["metrics"].pop("seconds", None)  # the only figure that differs: time taken
        assert got["metrics"] == numbered["metrics"]


def test_a_class_with_one_training_example_and_a_study_name_with_slashes_sweep_and_report(
    tmp_path, monkeypatch
):
    """A class of 3 rows with --val-fraction 0.6 leaves it one training example; a study named
    'team/exp 1' cannot be a file name as it is. Both run, trials and report (the report's
    files are named after the study with '_' for what a file name cannot hold)."""
    monkeypatch.chdir(tmp_path)
    for var in ("OPTSWEEP_STORAGE", "OPTSWEEP_TRACKING_URI"):
        monkeypatch.delenv(var, raising=False)
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "few.npz", X=rng.normal(size=(23, 2)), y=np.r_[np.zeros(20), np.ones(3)])
    text = textwrap.dedent(TORN).replace('name = "resumed"', 'name = "team/exp 1"')
    text = text.replace('data = "moons"', 'data = "few.npz"\nval_fraction = 0.6')
    (tmp_path / "few.toml").write_text(text)
    from core import data

    parts = data.split(data.load(data.DataSpec(str(tmp_path / "few.npz"))), 0.6, 0)
    assert (parts.y_train == 1).sum() == 1  # the case: one training example of class 1

    result = CliRunner().invoke(app, ["sweep", "few.toml", "--report-seeds", "2"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "reports" / "team_exp_1.md").is_file()
    import optuna

    from sweeps import storage as storage_mod

    storage = storage_mod.open_storage(storage_mod.resolve(None), must_exist=True)
    assert optuna.get_all_study_names(storage) == ["team/exp 1"]
    study = optuna.load_study(study_name="team/exp 1", storage=storage)
    assert len([t for t in study.get_trials() if t.state.is_finished()]) == 4
