"""Ctrl-C around the compiled epoch's first compile: numba's compiler calls back into Python
(llvmlite's object cache), and a KeyboardInterrupt raised inside such a callback is printed as
"Exception ignored ... Traceback" and lost. A worker compiles before its first trial with the
signals held, so the interrupt lands whole once the compile ends."""

import signal
import subprocess
import sys
import time

SCRIPT = """
import sys, time
from core.data import DataSpec, load
from core.train import TrainConfig, warm_kernel
from sweeps.signals import signals_deferred

data = load(DataSpec("moons"))
start = time.perf_counter()
try:
    with signals_deferred():
        print("compiling", flush=True)  # held from here: Ctrl-C may come at once
        warm_kernel(TrainConfig(layers=(5, 2)), data)
except KeyboardInterrupt:
    print(f"interrupted after {time.perf_counter() - start:.1f} s", flush=True)
    sys.exit(130)
print("compiled without an interrupt", flush=True)
"""

DELAY = 1.0  # seconds into a cold compile (~10 s on two cores) when Ctrl-C arrives


def test_ctrl_c_during_the_first_compile_lands_once_it_ends(tmp_path):
    env = {"NUMBA_CACHE_DIR": str(tmp_path), "OPTSWEEP_KERNEL": "numba", "PATH": "/usr/bin"}
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout.readline().strip() == "compiling"
    time.sleep(DELAY)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "Exception ignored" not in err, err
    seconds = float(out.split("interrupted after ")[1].split(" s")[0])
    assert seconds > DELAY  # the interrupt came during the compile, and waited for its end
    assert any(tmp_path.rglob("*.nbc")), "the compile was cut short: nothing cached"
