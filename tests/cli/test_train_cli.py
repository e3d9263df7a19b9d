"""`optsweep train` and `optsweep gradcheck` through Typer's CliRunner, bad input included."""

import json
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from optsweep.cli import app
from tests.fresh import fresh_python

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args))


def test_train_json_is_one_object_with_config_metrics_and_curves():
    r = invoke("train", "--epochs", "12", "--optimizer", "momentum", "--alpha", "0.05", "--json")
    assert r.exit_code == 0, r.output
    payload = json.loads(r.stdout)  # exactly one JSON document: no progress bar, no table
    assert payload["config"]["optimizer"] == "momentum"
    assert payload["config"]["alpha"] == 0.05 and payload["config"]["layers"] == [5, 2]
    assert payload["config"]["data"]["name"] == "moons"
    metrics = payload["metrics"]
    for key in ("train_accuracy", "val_accuracy", "train_cost", "val_cost", "status", "seconds"):
        assert key in metrics
    assert metrics["status"] == "completed" and metrics["epochs_run"] == 12
    assert set(payload["curves"]) == {
        "train_cost",
        "val_cost",
        "train_accuracy",
        "val_accuracy",
        "lr",
    }
    assert len(payload["curves"]["val_cost"]) == 12


def test_train_options_reach_the_trainer():
    r = invoke(
        "train", "--epochs", "4", "--layers", "8,4,3", "--activation", "tanh", "--decay",
        "staircase", "--decay-rate", "1", "--time-interval", "2", "--alpha", "0.1",
        "--batch-size", "32", "--init", "xavier", "--l2", "0.1", "--keep-prob", "0.9",
        "--no-normalize", "--val-fraction", "0.3", "--seed", "3", "--dtype", "float32", "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    payload = json.loads(r.stdout)
    cfg = payload["config"]
    assert cfg["layers"] == [8, 4, 3] and cfg["normalize"] is False and cfg["dtype"] == "float32"
    assert payload["curves"]["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05])


def test_no_bias_correction_reaches_adam():
    on = json.loads(invoke("train", "--epochs", "3", "--json").stdout)
    off = json.loads(invoke("train", "--epochs", "3", "--no-bias-correction", "--json").stdout)
    assert on["config"]["bias_correction"] is True and off["config"]["bias_correction"] is False
    assert on["curves"]["train_cost"] != off["curves"]["train_cost"]  # other steps, other costs


def test_train_reads_a_user_csv(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    path = tmp_path / "mine.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="a,b,c,label", comments="")
    r = invoke("train", "--data", str(path), "--epochs", "3", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["metrics"]["status"] == "completed"


def test_train_prints_a_summary():
    r = invoke("train", "--epochs", "5")
    assert r.exit_code == 0
    assert "completed" in r.stdout and "val" in r.stdout and "moons" in r.stdout


@pytest.mark.parametrize(
    "args, phrase",
    [
        (["--alpha", "0"], "alpha must be > 0"),
        (["--alpha", "-0.1"], "alpha must be > 0"),
        (["--alpha", "abc"], "--alpha"),
        (["--beta", "1.0", "--optimizer", "momentum"], "beta must be in [0, 1)"),
        (["--beta1", "-0.1"], "beta1 must be in [0, 1)"),
        (["--batch-size", "0"], "batch size must be >= 1"),
        (["--epochs", "0"], "epochs must be >= 1"),
        (["--keep-prob", "0"], "keep_prob must be in (0, 1]"),
        (["--keep-prob", "1.2"], "keep_prob must be in (0, 1]"),
        (["--optimizer", "sgd"], "'sgd' is not one of 'gd', 'momentum', 'rmsprop', 'adam'"),
        (["--activation", "swish"], "'swish' is not one of"),
        (["--decay", "cosine"], "'cosine' is not one of"),
        (["--decay-rate", "0.5"], "needs a schedule"),
        (["--layers", "5,x"], "--layers takes positive integers"),
        (["--layers", "5,0"], "--layers takes positive integers"),
        (["--data", "nosuch"], "nosuch"),
        (["--data", "missing.npz"], "missing.npz"),
        (["--data", "breast_cancer", "--noise", "0.1"], "--noise"),
        (["--no-such-option"], "No such option"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, phrase):
    r = invoke("train", "--epochs", "2", *args)
    assert r.exit_code == 2, r.output
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert phrase in lines[0]
    assert "Traceback" not in r.output
    assert r.stdout == ""


def test_bad_data_file_names_the_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("1,2,0\n3,nan,1\n")
    r = invoke("train", "--data", str(path))
    assert r.exit_code == 2 and "bad.csv" in r.stderr


def test_gradcheck_passes_and_reports_the_course_verdict():
    r = invoke("gradcheck", "--layers", "4,3", "--activation", "tanh", "--l2", "0.3")
    assert r.exit_code == 0, r.output
    assert "relative difference" in r.stdout and "great" in r.stdout
    assert "worst parameter" in r.stdout


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "leaky_relu"])
def test_gradcheck_checks_dropout_under_one_fixed_mask(activation):
    r = invoke("gradcheck", "--keep-prob", "0.8", "--activation", activation, "--l2", "0.5")
    assert r.exit_code == 0, r.output
    assert "one mask held fixed" in r.stdout and "great" in r.stdout


def test_gradcheck_with_fresh_masks_fails_as_the_course_warns():
    r = invoke("gradcheck", "--keep-prob", "0.8", "--activation", "tanh", "--fresh-masks")
    assert r.exit_code == 1, r.output
    assert "fresh mask" in r.stdout and "above the threshold" in r.stdout


def test_gradcheck_names_relu_kinks_that_dropout_creates():
    """keep_prob 0.5 zeroes every input to a layer for some samples; with zero initial biases
    their pre-activation is exactly 0, ReLU's kink: the check must say why it disagrees."""
    r = invoke("gradcheck", "--keep-prob", "0.5", "--activation", "relu")
    assert r.exit_code == 1, r.output
    assert "kink at z = 0" in r.stdout


def test_gradcheck_checks_the_network_train_starts_from(monkeypatch):
    """Same options and seed, same network: the split, standardization and initial weights."""
    import core.gradcheck
    from core import data
    from core.train import TrainConfig, train

    seen = {}
    real = core.gradcheck.check
    monkeypatch.setattr(core.gradcheck, "check",
                        lambda params, *a, **k: seen.setdefault("p", params.copy()) and real(
                            params, *a, **k))  # fmt: skip
    r = invoke("gradcheck", "--seed", "3", "--layers", "4,3", "--examples", "240")
    assert r.exit_code == 0, r.output
    frozen = TrainConfig(layers=(4, 3), seed=3, optimizer="gd", alpha=1e-300, epochs=1)
    start = train(frozen, data.load(data.DataSpec("moons"))).params  # weights cannot move
    for name, W in start.items():
        np.testing.assert_allclose(seen["p"][name], W, rtol=1e-15, atol=1e-250)


def test_gradcheck_exits_1_above_the_threshold():
    # An eps this large makes the two-sided difference itself inaccurate: the check must fail.
    r = invoke("gradcheck", "--activation", "sigmoid", "--eps", "0.5", "--threshold", "1e-9")
    assert r.exit_code == 1, r.output
    assert "above the threshold" in r.stdout


def test_help_is_fast_and_imports_no_heavy_library():
    # neither importing the app nor printing its help may load a heavy library
    code = (
        "import sys; from optsweep.cli import app; from typer.testing import CliRunner; "
        "CliRunner().invoke(app, ['--help']); "
        "heavy = ('numpy', 'optuna', 'mlflow', 'matplotlib', 'sklearn', 'optuna_dashboard', "
        "'playwright', 'sqlalchemy'); print(sorted(m for m in heavy if m in sys.modules))"
    )
    assert fresh_python(code) == "[]"


def test_python_dash_m_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "optsweep", "train", "--epochs", "2", "--json"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["metrics"]["epochs_run"] == 2


def test_train_json_stays_standard_json_when_a_cost_overflows():
    """A run whose costs overflow (a huge L2 lambda) still prints one standard JSON document:
    its non-finite figures are null (json.dumps(allow_nan=False) raised here before)."""
    r = invoke("train", "--epochs", "2", "--l2", "1e308", "--json")
    assert r.exit_code == 0, r.output
    payload = json.loads(r.stdout, parse_constant=lambda c: pytest.fail(f"non-standard {c}"))
    assert payload["metrics"]["status"] == "diverged"
    assert None in payload["curves"]["train_cost"]
