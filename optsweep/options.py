"""The training options shared by `train`, `gradcheck` and sweep files, and how they resolve.

Each option is an `Annotated` type so every command declares it the same way. `resolve` turns
the parsed values into a `DataSpec` and a `TrainConfig`; core validates ranges and names, so the
messages are the same whether a value came from the command line or a sweep file.
"""

from __future__ import annotations

from typing import Annotated

import typer

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
Activation = Annotated[
    str, typer.Option(help="Hidden activation: relu, leaky_relu, tanh, sigmoid.")
]
Optimizer = Annotated[str, typer.Option(help="gd, momentum, rmsprop or adam.")]
Alpha = Annotated[float, typer.Option(help="Learning rate alpha (> 0).")]
Beta = Annotated[float, typer.Option(help="Momentum / RMSprop beta in [0, 1).")]
Beta1 = Annotated[float, typer.Option(help="Adam beta1 in [0, 1).")]
Beta2 = Annotated[float, typer.Option(help="Adam beta2 in [0, 1).")]
Epsilon = Annotated[float, typer.Option(help="RMSprop / Adam epsilon (> 0).")]
BatchSize = Annotated[
    int, typer.Option(help="Mini-batch size; >= training size is batch GD, 1 is SGD.")
]
Epochs = Annotated[int, typer.Option(help="Passes over the training split.")]
Decay = Annotated[
    str, typer.Option(help="Learning-rate decay: none, inverse-time, staircase, exponential, sqrt.")
]
DecayRate = Annotated[float, typer.Option(help="Decay rate (>= 0; 0 is no decay).")]
TimeInterval = Annotated[int, typer.Option(help="Epochs per step of the staircase schedule.")]
Init = Annotated[str, typer.Option(help="Weight init: zeros, random, xavier, he.")]
L2 = Annotated[float, typer.Option("--l2", help="L2 regularization lambda (>= 0).")]
KeepProb = Annotated[float, typer.Option(help="Dropout keep probability in (0, 1].")]
NoNormalize = Annotated[
    bool, typer.Option("--no-normalize", help="Skip input standardization (for comparison).")
]
ValFraction = Annotated[float, typer.Option(help="Fraction held out for validation.")]
Seed = Annotated[int, typer.Option(help="Seed of the split, the init, the shuffles and dropout.")]
Dtype = Annotated[str, typer.Option(help="float64 or float32.")]

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
    return spec, TrainConfig(**kwargs)
