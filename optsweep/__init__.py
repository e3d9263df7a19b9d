"""optsweep: hyperparameter sweeps over a from-scratch NumPy network, Optuna searching and
MLflow tracking. The command line is `optsweep` (optsweep/cli.py); from Python:

    import optsweep
    result = optsweep.sweep("sweeps/default.toml", trials=12, report_seeds=0)
    report = optsweep.report("default", seeds=5)
    run = optsweep.train(data="moons", optimizer="adam", alpha=0.01, epochs=200)

docs/python.md has a worked example. The names below are imported on first use, so that
`import optsweep` (and `optsweep --help`) stays instant.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = [
    "OptsweepError", "ParetoTrial", "Report", "SweepResult", "Verdict", "report", "sweep", "train",
]  # fmt: skip


def __getattr__(name: str):
    if name in __all__:
        from optsweep import api

        return getattr(api, name)
    raise AttributeError(f"module 'optsweep' has no attribute {name!r}")
