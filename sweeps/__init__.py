"""Hyperparameter sweeps: a sweep file names the study, the fixed settings and the search space.

    spec.py       read and check a sweep file (TOML) -> SweepSpec
    space.py      the search space: each hyperparameter on the course's scale for its name
    samplers.py   the Optuna sampler and pruner a sweep file names
    *.toml        the shipped sweeps: default (`make sweep`), optimizers, breast_cancer

Nothing here imports optuna or numpy at import time, so the CLI starts fast.
"""
