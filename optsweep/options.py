"""The options the commands share, and how training options resolve.

Each option is an `Annotated` type so every command declares it the same way; a choice is a
`Literal` of core's names, so Typer lists and checks it. `resolve` turns the parsed values into a
`DataSpec` and a `TrainConfig`; core validates ranges, so the messages are the same whether a
value came from the command line or a sweep file. Importing this imports no NumPy.
"""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from core import choices

Data = Annotated[
    str,
    typer.Option(
        help="Built-in data set (moons, circles, spiral, blobs, breast_cancer, digits) "
        "or a .npz (arrays X, y) / .csv (label in the last column) file."
    ),
]
Samples = Annotated[
    int | None, typer.Option(help="Samples to generate (synthetic) or subsample (tables).")
]
Noise = Annotated[float | None, typer.Option(help="Noise of a synthetic data set.")]
Classes = Annotated[int | None, typer.Option(help="Classes of spiral or blobs.")]
DataSeed = Annotated[int, typer.Option(help="Seed that generates the synthetic data.")]
Layers = Annotated[str, typer.Option(help="Hidden layer sizes, comma-separated ('' for none).")]
Activation = Annotated[Literal[choices.ACTIVATIONS], typer.Option(help="Hidden activation.")]
Optimizer = Annotated[Literal[choices.OPTIMIZERS], typer.Option(help="The update rule.")]
Alpha = Annotated[float, typer.Option(help="Learning rate alpha (> 0).")]
Beta = Annotated[float, typer.Option(help="Momentum / RMSprop beta in [0, 1).")]
Beta1 = Annotated[float, typer.Option(help="Adam beta1 in [0, 1).")]
Beta2 = Annotated[float, typer.Option(help="Adam beta2 in [0, 1).")]
Epsilon = Annotated[float, typer.Option(help="RMSprop / Adam epsilon (> 0).")]
NoBiasCorrection = Annotated[
    bool,
    typer.Option(
        "--no-bias-correction",
        help="Adam without bias correction of m and v (for comparison; Adam only: the other "
        "rules have none to turn off).",
    ),
]
BatchSize = Annotated[
    int, typer.Option(help="Mini-batch size; >= training size is batch GD, 1 is SGD.")
]
Epochs = Annotated[int, typer.Option(help="Passes over the training split.")]
Decay = Annotated[Literal[choices.SCHEDULES], typer.Option(help="Learning-rate decay.")]
DecayRate = Annotated[float, typer.Option(help="Decay rate (>= 0; 0 is no decay).")]
TimeInterval = Annotated[
    int, typer.Option(help="Epochs per step of the staircase schedule (staircase only).")
]
Init = Annotated[Literal[choices.INITS], typer.Option(help="Weight initialization.")]
L2 = Annotated[float, typer.Option("--l2", help="L2 regularization lambda (>= 0).")]
KeepProb = Annotated[float, typer.Option(help="Dropout keep probability in (0, 1].")]
NoNormalize = Annotated[
    bool, typer.Option("--no-normalize", help="Skip input standardization (for comparison).")
]
ValFraction = Annotated[float, typer.Option(help="Fraction held out for validation.")]
Seed = Annotated[int, typer.Option(help="Seed of the split, the init, the shuffles and dropout.")]
Dtype = Annotated[Literal[choices.DTYPES], typer.Option(help="Floating-point precision.")]

# --- the sweep, worker and study commands ---------------------------------------------------

SweepFile = Annotated[
    str,
    typer.Argument(
        help="A sweep file (TOML), or the name of a shipped one: default, optimizers, "
        "breast_cancer."
    ),
]
Storage = Annotated[
    str | None,
    typer.Option(
        envvar="OPTSWEEP_STORAGE",
        show_envvar=True,
        help="Optuna storage: a journal file path or an RDB URL (sqlite, postgresql); "
        "pass a URL with a password through the environment variable, not the command line.",
    ),
]
TrackingUri = Annotated[
    str | None,
    typer.Option(
        envvar="OPTSWEEP_TRACKING_URI",
        show_envvar=True,
        help="MLflow tracking URI (default: sqlite:///mlflow.db here), e.g. http://host:5000.",
    ),
]
Study = Annotated[str | None, typer.Option(help="Study name (default: the sweep file's).")]


def _complete_study(ctx: typer.Context, incomplete: str) -> list[str]:
    from optsweep.completion import study_names

    return study_names(ctx, incomplete)


StudyName = Annotated[
    str, typer.Argument(help="Study name, e.g. default.", autocompletion=_complete_study)
]
Trials = Annotated[int | None, typer.Option(help="Trial budget (default: the sweep file's).")]
HeartbeatInterval = Annotated[
    int, typer.Option(help="Seconds between heartbeats of a running trial (RDB storage).")
]
GracePeriod = Annotated[
    int | None, typer.Option(help="Seconds without heartbeat before a trial is failed and retried.")
]
MaxRetry = Annotated[int, typer.Option(help="Retries of a trial whose worker died.")]
NoTrack = Annotated[bool, typer.Option("--no-track", help="Run without MLflow tracking.")]
FlushEvery = Annotated[
    int, typer.Option(help="Epochs between writes of a trial's curves (a killed worker loses less)")
]
FlushSeconds = Annotated[float, typer.Option(help="Seconds between writes of a trial's curves.")]
Population = Annotated[
    str | None,
    typer.Option(
        help="Trials a worker trains together in one vectorized pass: a number (1: one at a "
        "time), or auto (8 for a network of up to 10,000 parameters, else 1). Default: the "
        "sweep file's population, itself auto unless it says."
    ),
]
Host = Annotated[
    str,
    typer.Option(
        help="Interface to bind; another than 127.0.0.1 needs a login (server --auth) or "
        "--insecure."
    ),
]
OutageSeconds = Annotated[
    float,
    typer.Option(
        min=0,
        help="Seconds a lost connection to the study's database is retried before the worker "
        "gives up with one line (trials in flight wait for it).",
    ),
]
Cluster = Annotated[
    str | None,
    typer.Option(
        help="Run the workers as tasks on a Dask cluster: local (a LocalCluster of --workers "
        "processes here) or a scheduler's address, tcp://host:8786 or tls://host:8786. A remote "
        "cluster needs stores every node reaches (PostgreSQL/MySQL, an MLflow server)."
    ),
]
RetrainCluster = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        help="Re-train on a Dask cluster: local (a LocalCluster of --workers processes here) "
        "or a scheduler's address, tcp://host:8786 or tls://host:8786. Its workers need "
        "optsweep installed; the stores stay with this command.",
    ),
]
Insecure = Annotated[
    bool,
    typer.Option(
        "--insecure",
        help="Serve beyond loopback without a login: anyone who reaches the port can read and "
        "change the data. Only on a network you trust.",
    ),
]

# Option names that describe the data rather than the training run.
DATA_KEYS = {"data": "name", "samples": "samples", "noise": "noise", "classes": "classes"}


def parse_layers(text: str | list | tuple) -> tuple[int, ...]:
    """'5,2' -> (5, 2); '' -> () (no hidden layer: logistic/softmax regression)."""
    from core.errors import ConfigError

    if isinstance(text, list | tuple):
        parts = list(text)
    else:
        parts = [p.strip() for p in str(text).split(",")]
        if parts == [""]:  # '' is no hidden layer
            parts = []
        if "" in parts:
            raise ConfigError(
                f"--layers has an empty size in {text!r}; give positive integers like 5,2 "
                "('' for no hidden layer)"
            )
    try:
        sizes = tuple(int(p) for p in parts)
    except (TypeError, ValueError):
        sizes = ()
        parts = None
    if parts is None or any(n < 1 for n in sizes) or any(isinstance(p, float) for p in parts):
        raise ConfigError(f"--layers takes positive integers like 5,2; got {text!r}")
    return sizes


STEP_RANGE = (1e-12, 1.0)  # gradcheck's --eps: below, float64 rounding swamps the difference


def check_step(eps: float, threshold: float) -> None:
    """gradcheck's --eps and --threshold: a step that gives a derivative, a positive bound."""
    import math

    from core.errors import ConfigError

    low, high = STEP_RANGE
    if not (math.isfinite(eps) and low <= eps <= high):
        raise ConfigError(
            f"--eps must be a step from {low:g} to {high:g}, got {eps!r}: a smaller one "
            "drowns in float64 rounding (or divides by zero); the course uses 1e-7"
        )
    if not (math.isfinite(threshold) and threshold > 0):
        raise ConfigError(f"--threshold must be a number > 0, got {threshold!r}; e.g. 1e-5")


def resolve(values: dict):
    """(DataSpec, TrainConfig) from option values named as on the command line."""
    from dataclasses import fields

    from core.data import DataSpec
    from core.train import TrainConfig

    spec = DataSpec(
        name=str(values.get("data", "moons")),
        samples=values.get("samples"),
        noise=values.get("noise"),
        classes=values.get("classes"),
        seed=values.get("data_seed", 0),
    )
    known = {f.name for f in fields(TrainConfig)}
    kwargs = {k: v for k, v in values.items() if k in known}
    kwargs["layers"] = parse_layers(values.get("layers", "5,2"))
    if "no_normalize" in values:
        kwargs["normalize"] = not values["no_normalize"]
    if "no_bias_correction" in values:
        kwargs["bias_correction"] = not values["no_bias_correction"]
    return spec, TrainConfig(**kwargs)
