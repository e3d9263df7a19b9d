#!/usr/bin/env bash
# The installed program, not the source tree: build the wheel from the tracked files, install it
# into a fresh virtual environment in a temporary folder, and run it from another temporary
# folder, with no PYTHONPATH:
#
#   optsweep --help; optsweep train --json; optsweep sweep breast_cancer --trials 2 (a shipped
#   sweep file by name, tracked in MLflow); optsweep report breast_cancer; optsweep findings --help
#
# A missing run-time file in the wheel, or code that reads the source tree or the working
# directory, fails here. The fresh environment holds the wheel alone; the libraries it needs are
# read from .venv's site-packages through a path file (a plain path entry: .venv's own .pth
# files, the editable install of this tree among them, are not run), because installing them
# anew takes about two minutes; `.ci/installed.sh --full` installs them from the index instead.
#
#   .ci/installed.sh [--full]        # from the clone's root, after `make install`
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
venv_py=$repo/.venv/bin/python
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir "$tmp/src" "$tmp/run"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$tmp/src"  # the tracked files, as a clone
# the build's output is shown only if it fails
"$venv_py" -m pip wheel --no-deps -q -w "$tmp/dist" "$tmp/src" > "$tmp/build.log" 2>&1 \
    || { cat "$tmp/build.log"; exit 1; }
wheel=$(ls "$tmp"/dist/optsweep-*.whl)
python3 -m venv "$tmp/venv"
if [ "${1:-}" = "--full" ]; then
    "$tmp/venv/bin/pip" install -q "$wheel"
else
    "$tmp/venv/bin/pip" install -q --no-deps "$wheel"
    site=$("$tmp/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
    "$venv_py" -c 'import sysconfig; print(sysconfig.get_path("purelib"))' > "$site/optsweep-ci-deps.pth"
fi

cd "$tmp/run"
unset PYTHONPATH
export MLFLOW_DISABLE_TELEMETRY=true
o=$tmp/venv/bin/optsweep
run() { echo "+ optsweep $* (at $SECONDS s)" >&2; "$o" "$@"; }

# the packages come from the wheel, never from the source tree
"$tmp/venv/bin/python" - "$repo" <<'EOF'
import sys
from pathlib import Path

import analysis, core, findings, optsweep, sweeps, tracking

for m in (analysis, core, findings, optsweep, sweeps, tracking):
    where = Path(m.__file__).resolve()
    assert where.is_relative_to(Path(sys.prefix).resolve()), f"{m.__name__} from {where}"
    assert not where.is_relative_to(Path(sys.argv[1]).resolve()), f"{m.__name__} from {where}"
print("packages from", Path(sweeps.__file__).parent.parent)
EOF
run --help > /dev/null
run train --epochs 50 --json | "$tmp/venv/bin/python" -c 'import json, sys; json.load(sys.stdin)'
# the compiled epoch cached its code where the installed package lives (or, were that folder
# read-only, in the user's cache folder: core/kernel.py's NUMBA_CACHE_DIR fallback), and a
# second process loads it instead of compiling again
"$tmp/venv/bin/python" - <<'EOF'
import time
from pathlib import Path

import core.kernel
import numba

folder = Path(numba.config.CACHE_DIR or Path(core.kernel.__file__).parent / "__pycache__")
index = sorted(folder.rglob("kernel.epoch-*.nbi"))
assert index, f"no cached kernel under {folder}"
start = time.perf_counter()
from core.data import DataSpec, load
from core.train import TrainConfig, train

train(TrainConfig(epochs=2), load(DataSpec("moons")))
print(f"kernel cached in {index[0].parent}; a warm run took {time.perf_counter() - start:.2f} s")
EOF
run sweep breast_cancer --trials 2 --report-seeds 0
run report breast_cancer --seeds 2 --workers 1 > /dev/null
run findings --help > /dev/null
test -s optsweep.journal && test -s mlflow.db && test -s reports/breast_cancer.md
echo "installed wheel: every command ran from $tmp/run"
