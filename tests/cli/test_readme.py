"""The README as a newcomer reads it: its links lead somewhere and its commands are valid.

The commands themselves run in CI (.ci/newcomer.py, in the fresh clone, before `make test`);
these checks are the quick part: every link and picture exists, every `make` target is in the
Makefile, every `optsweep` line parses against the real CLI, the sweep file to copy loads.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()


def newcomer():
    spec = importlib.util.spec_from_file_location("newcomer", REPO / ".ci" / "newcomer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STEPS = newcomer().steps(README)


def test_every_relative_link_and_picture_exists():
    targets = re.findall(r"\]\(([^)\s]+)\)", README)
    local = [t for t in targets if "://" not in t and not t.startswith("#")]
    assert local, "the README links nothing?"
    missing = [t for t in local if not (REPO / t.split("#")[0]).exists()]
    assert not missing, f"README links to missing files: {missing}"


def test_pictures_are_modest_pngs():
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README):
        path = REPO / image
        assert path.suffix == ".png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", image
        assert path.stat().st_size < 400_000, f"{image} is {path.stat().st_size // 1024} KiB"


def test_the_newcomer_check_runs_the_two_commands_and_says_why_one_waits():
    kinds = {line.split(" #")[0].strip(): kind for kind, line, _ in STEPS}
    assert kinds["make sweep"] == "run"
    assert kinds["make test"] == "deferred"  # .ci/run runs it right after, in the same clone
    assert kinds["make ui"] == "server" and kinds["make dashboard"] == "server"
    assert [name for kind, name, _ in STEPS if kind == "file"] == ["mine.toml"]


def test_every_make_target_in_the_readme_exists():
    makefile = (REPO / "Makefile").read_text()
    for kind, line, _ in STEPS:
        command = line.split(" #")[0].split()
        if kind != "file" and command[0] == "make":
            assert re.search(rf"^{command[1]}:", makefile, re.M), line


@pytest.mark.parametrize(
    "line",
    [line for kind, line, _ in STEPS if kind == "run" and "optsweep " in line],
)
def test_every_optsweep_line_parses_against_the_cli(line):
    _parses(line)


SHOWN = [
    line
    for lang, body, _ in newcomer().blocks(README)
    if lang == "text"
    for line in body.splitlines()
    if line.startswith(".venv/bin/optsweep ")
]


@pytest.mark.parametrize("line", SHOWN)
def test_every_optsweep_line_shown_but_not_run_parses_too(line):
    _parses(line)


def _parses(line: str) -> None:
    from typer.main import get_command

    from optsweep.cli import app

    argv = shlex.split(line.split(" #")[0])
    assert argv[0] == ".venv/bin/optsweep", "README commands run the project's own venv"
    group = get_command(app)
    name, *args = argv[1:]
    command = group.commands[name]
    command.make_context(name, list(args))  # raises on an unknown option or a bad value


def test_the_sweep_file_to_copy_is_a_valid_sweep(tmp_path):
    from sweeps import sweep_file

    (body,) = [body for kind, _, body in STEPS if kind == "file"]
    path = tmp_path / "mine.toml"
    path.write_text(body)
    loaded = sweep_file.load(path)
    assert loaded.name == "mine"
