"""The keys optsweep writes on Optuna studies and trials, in one place.

Optuna keeps them (the record of truth); `optsweep sync` and the reports read them back, so every
module that writes or reads a key takes it from here.
"""

# --- on a trial -------------------------------------------------------------------------------
STATE_ATTR = "optsweep.status"  # running | completed | stopped | diverged | error | interrupted
REASON_ATTR = "optsweep.reason"
FINAL_ATTR = "optsweep.final"  # final metrics, as `optsweep train --json` reports them
VALUES_ATTR = "optsweep.values"  # the hyperparameter values (betas, batch size), not Optuna's raw
PARAMS_ATTR = "optsweep.params"  # the trial run's MLflow params (data, settings, values)
WORKER_ATTR = "optsweep.worker"  # {"host": ..., "pid": ...} of the process running a trial
DEFAULTS_ATTR = "optsweep.defaults"  # True on the enqueued all-textbook-defaults trial
CHUNK_PREFIX = "curve."  # curve.000, curve.001, ...: the per-epoch curves in chunks
CHUNKS_ATTR = "curve_chunks"  # how many of those chunks are valid

# --- on a study -------------------------------------------------------------------------------
PARENT_ATTR = "mlflow_parent_run_id"  # the study's parent run in MLflow
SPEC_ATTR = "optsweep.sweep_file"  # the sweep file the study ran from
WARM_ATTR = "optsweep.warm_start"  # a trial a warm start added: {"study", "trial"} it came from
OBJECTIVES_ATTR = "optsweep.objectives"  # {"objectives", "target"}: what the study's values are
SWEEP_DOC_ATTR = "optsweep.sweep"  # {"path", "doc", "version"}: the file itself, to join by name
FINGERPRINT_ATTR = "optsweep.findings.sweep_sha256"  # a findings study: its sweep file's hash
SECONDS_ATTR = "optsweep.findings.sweep_seconds"  # a findings study: how long it took
