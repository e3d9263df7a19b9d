"""MLflow's usage telemetry stays off in our processes unless the user turns it on."""

from __future__ import annotations

import os

from tests.fresh import fresh_python

CHECK = (
    "import tracking.runs\n"
    "from mlflow.telemetry.utils import is_telemetry_disabled\n"
    "print(is_telemetry_disabled())"
)


def _env(**extra) -> dict[str, str]:
    """The environment of a user's shell: without pytest's and CI's markers, which MLflow
    itself reads as 'telemetry off'."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST", "CI")}
    env.pop("MLFLOW_DISABLE_TELEMETRY", None)
    return {**env, **extra}


def test_telemetry_is_off_once_tracking_is_imported():
    assert fresh_python(CHECK, env=_env()) == "True"


def test_a_user_who_turns_it_on_keeps_it_on():
    assert fresh_python(CHECK, env=_env(MLFLOW_DISABLE_TELEMETRY="false")) == "False"
