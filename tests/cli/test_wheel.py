"""The installed program has every file it reads: a wheel built from the tracked sources holds
every file of the six packages (the shipped sweep files, the claims' sweep files, ...), not
only their Python modules. (.ci/run also installs that wheel outside the tree and runs it.)"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "sweeps", "tracking", "analysis", "findings", "optsweep")
BUILD_FILES = ("pyproject.toml", "README.md")


def tracked(*paths: str) -> list[str]:
    """The files git tracks under `paths` (what a clone has), relative to the repository."""
    done = subprocess.run(
        ["git", "ls-files", "--", *paths], cwd=REPO, capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"not a git checkout: {done.stderr.strip()}")
    return [p for p in done.stdout.splitlines() if (REPO / p).is_file()]


def test_the_wheel_ships_every_file_of_the_packages(tmp_path):
    files = tracked(*PACKAGES)
    src = tmp_path / "src"  # a clean copy: a build/ left in the tree could hide a missing file
    for rel in [*files, *BUILD_FILES]:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, src / rel)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(src)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = tmp_path.glob("optsweep-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())

    data = [f for f in files if not f.endswith(".py")]
    assert "sweeps/default.toml" in data and "findings/optimizers.toml" in data
    assert [f for f in data if f not in shipped] == []  # the run-time files, named
    assert [f for f in files if f not in shipped] == []  # and every module
