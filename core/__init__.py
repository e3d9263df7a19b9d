"""The NumPy training core: data, network, gradient check, optimizers, schedules, training loop.

NumPy only. Nothing here imports optuna or mlflow: `sweeps` drives this package and `tracking`
records what it produces (core <- sweeps -> tracking).
"""
