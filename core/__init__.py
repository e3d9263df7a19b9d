"""The NumPy training core: data, network, gradient check, optimizers, schedules, training loop.

    data.py, normalize.py   the data sets, the split, standardization on training statistics
    network.py              forward and backward passes; activations.py: g beside g'
    init.py, gradcheck.py   He/Xavier and friends; the two-sided gradient check
    optimizers.py           GD, Momentum, RMSprop, Adam; schedules.py: learning-rate decay
    train.py                one training run; defaults.py, choices.py: the textbook defaults,
                            the names a user chooses among
    kernel.py               the compiled epoch (numba) that train and populations run for
                            networks of up to 10,000 parameters
    population.py           many runs in one vectorized pass, each the lone run's (stacked.py:
                            the network and update rules over a leading member axis)

NumPy (and numba for kernel.py). Nothing here imports optuna or mlflow (a checked contract:
pyproject.toml's [tool.importlinter]): `sweeps` drives this package and `tracking` records what
it produces.
"""
