"""The compiled epoch's cold-cache compile time, within its budget (issue 22).

    .venv/bin/python .ci/compile.py

Compiles core/kernel.py into an empty numba cache (a new temporary NUMBA_CACHE_DIR, so a cache
left in the tree does not hide the cost), one training run per dtype, in a fresh interpreter;
then runs again on the filled cache. Prints both and fails when the cold compile takes more
than BUDGET seconds: every fresh clone, CI run and installed wheel pays it once.
"""

import os
import subprocess
import sys
import tempfile
import time

BUDGET = 90.0  # seconds, float64 and float32, on CI's 2 cores (about 20-30 s measured)
PROBE = (
    "from core.data import DataSpec, load\n"
    "from core.train import TrainConfig, train\n"
    "data = load(DataSpec('moons'))\n"
    "for dtype in ('float64', 'float32'):\n"
    "    assert train(TrainConfig(epochs=2, dtype=dtype), data).status == 'completed'\n"
)


def timed(env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", PROBE], env=env, check=True)
    return time.perf_counter() - start


def main() -> int:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "OPTSWEEP_KERNEL": "numba"}
        cold, warm = timed(env), timed(env)
    print(f"kernel compile: {cold:.1f} s on an empty cache (budget {BUDGET:.0f} s), "
          f"{warm:.1f} s on the filled one (interpreter start-up included)")  # fmt: skip
    if cold > BUDGET:
        print(f"error: the cold compile took {cold:.1f} s, over its {BUDGET:.0f} s budget")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
