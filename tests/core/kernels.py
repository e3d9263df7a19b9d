"""Which training loop the tests run: the compiled epoch (core.kernel) or the NumPy reference.

    with loop("numpy"):
        result = train(config, data)

Sets OPTSWEEP_KERNEL for the block (train and train_population read it at each call).
"""

from __future__ import annotations

import os
from contextlib import contextmanager

LOOPS = ("numba", "numpy")


@contextmanager
def loop(name: str):
    before = os.environ.get("OPTSWEEP_KERNEL")
    os.environ["OPTSWEEP_KERNEL"] = name
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("OPTSWEEP_KERNEL", None)
        else:
            os.environ["OPTSWEEP_KERNEL"] = before
