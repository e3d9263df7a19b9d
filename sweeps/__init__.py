"""The search: a sweep file names the study, the fixed settings and the search space; Optuna
searches it, each worker training a population of trials at a time (core/population.py).

    sweep_file.py   read and check a sweep file (TOML) -> SweepSpec; *.toml: the shipped ones
    space.py        the search space: each hyperparameter on the course's scale for its name
    samplers.py     the Optuna sampler and pruner a sweep file names
    sweep.py        a sweep checked before anything is written (file, data, storage, tracking)
    study.py        its study opened or resumed, with its parent run; its progress
    workers.py      the worker loop and local worker processes; trial.py: one trial's life
    signals.py      Ctrl-C and SIGTERM cut training short, never a write
    storage.py      where a study lives: budget lock, claims, heartbeats, stale trials;
                    backends.py: one class per kind (journal, SQLite, PostgreSQL, MySQL)
    curves.py       a trial's curves kept with the trial; attrs.py: every key we write
    sync.py         MLflow rebuilt from the trials; summary.py, study_plots.py: the sweep's end
    dashboard.py    optuna-dashboard on the study

Drives `core` and records through `tracking`; never imports `analysis` or the CLI. The modules
the CLI imports
to parse its options (sweep_file, space, samplers) import neither optuna nor numpy at import
time, so the CLI starts fast.
"""
