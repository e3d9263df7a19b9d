"""What a user gets from the command line before running anything: help that is instant,
docs/cli.md that matches the commands, and shell completion that completes them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "cli.md"
BIN = Path(sys.executable).parent  # the venv's bin: optsweep and typer live beside python


def generate_docs(out: Path) -> str:
    """docs/cli.md as `make docs` writes it."""
    subprocess.run(
        [sys.executable, "-m", "typer", "optsweep.cli", "utils", "docs", "--name", "optsweep",
         "--title", "optsweep command line", "--output", str(out)],
        cwd=REPO, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out.read_text()


def test_docs_cli_md_is_generated_from_the_current_commands(tmp_path):
    fresh = generate_docs(tmp_path / "cli.md")
    assert DOCS.exists(), "docs/cli.md is missing: run `make docs`"
    assert DOCS.read_text() == fresh, "docs/cli.md is stale: run `make docs` and commit it"


def test_the_docs_name_every_command_and_option():
    from typer.main import get_command

    from optsweep.cli import app

    text = DOCS.read_text()
    group = get_command(app)
    for name, command in group.commands.items():
        assert f"## `optsweep {name}`" in text
        for param in command.params:
            if getattr(param, "hidden", False):  # between `optsweep sweep` and its own workers
                continue
            for opt in param.opts:
                if opt.startswith("--"):
                    assert f"`{opt}" in text, (name, opt)


def completions(words: str, cword: int, shell: str = "bash", cwd: Path = REPO) -> list[str]:
    """Click's completion protocol, as the shell function runs it."""
    env = {**os.environ, "_OPTSWEEP_COMPLETE": f"complete_{shell}", "COMP_WORDS": words,
           "COMP_CWORD": str(cword)}  # fmt: skip
    env.pop("OPTSWEEP_STORAGE", None)
    out = subprocess.run([str(BIN / "optsweep")], env=env, capture_output=True, text=True, cwd=cwd)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_completion_protocol_completes_commands_and_options():
    assert completions("optsweep da", 1) == ["dashboard"]
    assert {"sweep", "sync", "server"} <= set(completions("optsweep s", 1))
    assert "--report-seeds" in completions("optsweep sweep --rep", 2)


def test_study_names_complete_from_the_storage_and_nothing_is_created(tmp_path):
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    empty = tmp_path / "empty"
    empty.mkdir()
    assert completions("optsweep dashboard ", 2, cwd=empty) == []
    assert list(empty.iterdir()) == []  # no journal made by pressing TAB

    storage = JournalStorage(JournalFileBackend(str(tmp_path / "optsweep.journal")))
    for name in ("default", "demo", "other"):
        optuna.create_study(study_name=name, storage=storage)
    assert completions("optsweep dashboard d", 2, cwd=tmp_path) == ["default", "demo"]
    assert completions("optsweep trials ", 2, cwd=tmp_path) == ["default", "demo", "other"]
    journal = str(tmp_path / "optsweep.journal")
    assert completions(f"optsweep report --storage {journal} o", 4, cwd=empty) == ["other"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_show_completion_gives_a_bash_script_that_completes_subcommands():
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    script = subprocess.run(
        [str(BIN / "optsweep"), "--show-completion", "bash"], env=env, capture_output=True,
        text=True, check=True,
    ).stdout  # fmt: skip
    assert "complete" in script and "_OPTSWEEP_COMPLETE=complete_bash" in script
    # what a shell does with it: source it, then press TAB after "optsweep da"
    probe = script + "\nCOMP_WORDS=(optsweep da); COMP_CWORD=1; _optsweep_completion optsweep\n"
    probe += 'echo "${COMPREPLY[@]}"\n'
    out = subprocess.run(["bash", "-c", probe], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["dashboard"], out.stderr
