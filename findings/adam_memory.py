"""Claim 6: Adam's memory, counted from the optimizer objects.

    GD        theta := theta - alpha dtheta                        no state
    Momentum  v (one array the size of theta)
    RMSprop   S (one array)
    Adam      m and v (two arrays), and a step count per parameter array

Each rule is made as the trainer makes it and takes one step on the trainer's flat parameter
vector; then the bytes of every array it holds are added up (`nbytes`), its state (public
attributes: what carries over between steps) apart from its working buffers (private ones).
The sizes: the course's 2-5-2-1 network on moons and a 64-64-32-10 network on digits.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from analysis import canvas
from analysis.formatting import table_lines
from core import optimizers
from core.network import Parameters
from core.train import TrainConfig, setup
from findings import evidence, rules
from findings.claim import measured_directly

KEY = "adam-memory"
TITLE = "Adam needs more memory than GD and Momentum, but still little"
QUOTE = (
    "Relatively low memory requirements (though higher than gradient descent and gradient "
    "descent with momentum)"
)

NETWORKS = (("moons", (5, 2)), ("digits", (64, 32)))
DTYPES = ("float64", "float32")
LOW = 3  # "relatively low": at most 3 arrays the size of theta, whatever the network

RULE = (
    "Every optimizer as the trainer makes it (textbook defaults, alpha 0.01) takes one step on "
    "the flat parameter vector of the course's 2-5-2-1 network (moons) and of a 64-64-32-10 "
    "network (digits), in float64 and float32; its bytes are the nbytes of every array it "
    "holds, state (public attributes) and working buffers (private ones) apart. Part 1: "
    "Adam's state is larger than GD's and than Momentum's at every size and dtype. Part 2 "
    "('relatively low'): everything Adam holds is at most "
    f"{LOW} arrays the size of the parameters (bytes per parameter at most {LOW} x the dtype's "
    "size) and the same per parameter at every size: linear in the parameter count, where "
    "Newton's method would hold a Hessian of P^2 numbers."
)


def held_bytes(opt) -> dict[str, int]:
    """{attribute: bytes} of every dict of arrays the optimizer holds."""
    out = {}
    for name, value in vars(opt).items():
        if (
            isinstance(value, dict)
            and value
            and all(isinstance(v, np.ndarray) for v in value.values())
        ):
            out[name] = int(sum(v.nbytes for v in value.values()))
    return out


def counters(opt) -> int:
    """How many per-array step counters (ints) the optimizer keeps (Adam's t)."""
    return sum(
        len(v)
        for v in vars(opt).values()
        if isinstance(v, dict) and v and all(isinstance(x, int) for x in v.values())
    )


def stepped(name: str, params: Parameters, grads: Parameters):
    """The optimizer `name` after one step, made as core.train makes it."""
    opt = optimizers.make(name, **TrainConfig(optimizer=name, alpha=0.01)._optimizer_kwargs())
    opt.step({"theta": params.flat}, {"theta": grads.flat})
    return opt


def count(data: str, layers: tuple[int, ...], dtype: str, seed: int) -> list[dict]:
    """One row per optimizer: its state and buffer bytes for this network and dtype."""
    s = setup(TrainConfig(layers=layers, dtype=dtype, seed=seed), evidence.dataset(data))
    P, itemsize = s.params.flat.size, s.params.flat.itemsize
    grads = Parameters(s.arch, dtype)
    grads.flat[:] = 1.0
    rows = []
    for name in optimizers.OPTIMIZERS:
        opt = stepped(name, s.params, grads)
        held = held_bytes(opt)
        state = sum(b for k, b in held.items() if not k.startswith("_"))
        buffers = sum(b for k, b in held.items() if k.startswith("_"))
        rows.append(
            {
                "network": "-".join(map(str, s.arch.layer_dims)),
                "dtype": dtype,
                "parameters": int(P),
                "optimizer": name,
                "arrays": held,
                "state_bytes": state,
                "buffer_bytes": buffers,
                "counters": counters(opt),
                "state_per_parameter": state / P,
                "held_per_parameter": (state + buffers) / P,
                "theta_multiple": (state + buffers) / (P * itemsize),
                "hessian_per_parameter": P * itemsize,  # Newton's P x P matrix, per parameter
            }
        )
    return rows


def measure(seeds: Sequence[int], workers: int = 1) -> rules.Judged:
    """The byte counts (deterministic: the first seed's initial weights, any would do)."""
    seed = next(iter(seeds))
    rows = [
        r for data, layers in NETWORKS for dtype in DTYPES for r in count(data, layers, dtype, seed)
    ]
    parts = parts_of(rows)
    return rules.judged(parts, seeds=[seed], rows=rows)


def parts_of(rows: list[dict]) -> dict[str, bool]:
    by = {(r["network"], r["dtype"], r["optimizer"]): r for r in rows}
    groups = {(n, d) for n, d, _ in by}
    adam = [by[(n, d, "adam")] for n, d in groups]
    return {
        "higher than gradient descent and Momentum": all(
            by[(n, d, "adam")]["state_bytes"]
            > max(by[(n, d, "gd")]["state_bytes"], by[(n, d, "momentum")]["state_bytes"])
            for n, d in groups
        ),
        "relatively low: a few arrays the size of the parameters, at every size": all(
            r["theta_multiple"] <= LOW for r in adam
        )
        and all(
            len({r["held_per_parameter"] for r in adam if r["dtype"] == d}) == 1 for d in DTYPES
        ),
    }


# --- the page ------------------------------------------------------------------------------------


def section(outcome: rules.Judged) -> list[str]:
    result = outcome.evidence
    rows = [
        [
            r["network"],
            r["dtype"],
            str(r["parameters"]),
            r["optimizer"],
            ", ".join(f"{k} {b}" for k, b in r["arrays"].items()) or "none",
            str(r["state_bytes"]),
            str(r["buffer_bytes"]),
            f"{r['held_per_parameter']:g}",
            f"{r['theta_multiple']:g}",
        ]
        for r in result["rows"]
    ]
    hessian = sorted(
        {(r["network"], r["dtype"], r["hessian_per_parameter"]) for r in result["rows"]}
    )
    adam = next(r for r in result["rows"] if r["optimizer"] == "adam")
    return [
        "Bytes after one step on the trainer's flat parameter vector. 'x theta': everything the "
        "optimizer holds over the bytes of the parameters themselves (training also holds the "
        "parameters and their gradient: 2 more).",
        "",
        *table_lines(
            [
                "network",
                "dtype",
                "parameters",
                "optimizer",
                "arrays (bytes)",
                "state bytes",
                "buffer bytes",
                "bytes per parameter",
                "x theta",
            ],
            rows,
        ),
        "",
        f"Adam also keeps {adam['counters']} step counter (an int per parameter array: the "
        "trainer passes one). Its `_scratch` buffer is the workspace of the in-place update "
        "(no temporaries per step), not state: without it each step would allocate as much. "
        "For scale, Newton's method would hold the P x P Hessian: "
        + "; ".join(f"{n} {d}: {b:,} bytes per parameter" for n, d, b in hessian)
        + ".",
    ]


def figure(outcome: rules.Judged, folder: Path) -> Path:
    result = outcome.evidence
    """Bytes per parameter by optimizer (state and buffers stacked), per dtype."""
    fig = canvas.figure(6, 3.6)
    ax = fig.add_subplot(1, 1, 1)
    names = list(optimizers.OPTIMIZERS)
    for i, dtype in enumerate(DTYPES):
        rows = {r["optimizer"]: r for r in result["rows"] if r["dtype"] == dtype}
        x = np.arange(len(names)) + (i - 0.5) * 0.38
        state = [rows[n]["state_per_parameter"] for n in names]
        held = [rows[n]["held_per_parameter"] for n in names]
        ax.bar(x, state, width=0.36, label=f"state, {dtype}", color=f"C{i}")
        ax.bar(
            x,
            np.subtract(held, state),
            width=0.36,
            bottom=state,
            color=f"C{i}",
            alpha=0.4,
            label=f"buffers, {dtype}",
        )
    ax.set_xticks(range(len(names)), names)
    ax.set(ylabel="bytes per parameter", title="optimizer memory (same at every network size)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=7)
    return canvas.save(fig, folder / f"{KEY}.png")


CLAIM = measured_directly(KEY, TITLE, QUOTE, RULE, measure, section, figure)
