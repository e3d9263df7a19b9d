"""Hand-made re-training outcomes for the claims' tests."""

from analysis.retraining import Outcome


def outcome(val_cost, cpu=None, status="completed", budget=None) -> Outcome:
    n = len(val_cost)
    return Outcome(
        key=None, status=status, reason="", final={"val_cost": val_cost[-1] if n else None},
        epochs_run=n, seconds=0.0, n_batches=4, steps=4 * n, val_cost=list(val_cost),
        epoch_seconds=[0.1 * (i + 1) for i in range(n)],
        epoch_cpu=cpu if cpu is not None else [0.01 * (i + 1) for i in range(n)],
        budget=budget if budget is not None else n,
    )  # fmt: skip
