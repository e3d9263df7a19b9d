"""The old home of the defaults report's statistics, kept so that `from sweeps.verdicts import
compare` still works: they live in `analysis.statistics` now (the evidence's package)."""

from analysis.statistics import HOLDS, INCONCLUSIVE, NEEDS, Comparison, compare

__all__ = ["HOLDS", "INCONCLUSIVE", "NEEDS", "Comparison", "compare"]
