"""Claim 5: RMSprop damps the oscillation in steep directions.

    S := beta S + (1 - beta) dW^2;   W := W - alpha dW / (sqrt(S) + eps)

A parameter's step is alpha dW / sqrt(S): about alpha whatever its slope, where gradient
descent's is alpha dW, large where the slope is. On raw breast-cancer features (from ~0.005 to
~1000, so the cost is far steeper along the weights of the large features) the weights of the
three largest features are the steep directions and those of the three smallest the shallow
ones, fixed by the data before any training. Measured: each direction's step sizes and how
often successive updates change sign (the oscillation), GD against RMSprop, each at the best
alpha of one grid; and the seed's picture, an elongated 2-D quadratic, with both trajectories.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from analysis import canvas
from analysis.formatting import table_lines
from core import optimizers
from core.network import Parameters, Workspace, cost_and_gradients
from core.train import TrainConfig, setup
from findings import evidence, rules, tables
from findings.claim import measured_directly

KEY = "rmsprop"
TITLE = "RMSprop takes smaller steps where the slope is large, damping the oscillation"
QUOTE = (
    "The intuition here is that for directions where the slope is large, Sd(W1, W2, W3…) "
    "will be large and cause smaller update (damping the oscillation) while for directions "
    "where the slope is small, Sd(W4, W5, W6…) will be small and cause larger update."
)

LAYERS: tuple[int, ...] = ()  # logistic regression: each weight is one feature's direction
ALPHAS = tuple(10.0 ** (k / 2) for k in range(-14, 1))  # 1e-7 to 1, half decades
STEPS = 1000  # full-batch steps: no mini-batch noise in the signs
N_DIRECTIONS = 3  # features per side: the 3 largest (steep) and the 3 smallest (shallow)
QUADRATIC = (1.0, 25.0)  # J = (a w^2 + c b^2) / 2: b is 25 times steeper
QUAD_START = (-4.0, 1.0)
QUAD_STEPS = 40
QUAD_ALPHAS = tuple(10.0 ** (k / 4) for k in range(-12, 3))  # 1e-3 to ~3

RULE = (
    "Raw breast cancer (normalize off), one sigmoid unit on the 30 features (logistic "
    "regression: each weight is one feature's direction; the course's 5-2 ReLU layers die on "
    f"these raw inputs), full-batch, {STEPS} steps of GD and of RMSprop (beta 0.9) from the same "
    "initial weights per seed; each optimizer at the alpha of the grid 1e-7 to 1 (half "
    "decades) with the lowest mean final training cost over the seeds. Steep directions: "
    f"the weights of the {N_DIRECTIONS} features with the largest root mean "
    f"square on the training split; shallow: those of the {N_DIRECTIONS} smallest. Per run "
    "and side: the mean |update| and the sign-change rate (the fraction of successive nonzero "
    "updates of a weight with opposite signs). Parts, each paired over the seeds with 95% "
    "confidence (one-sided t bound): (1) RMSprop's steep updates are smaller than GD's "
    "(log10 mean |update|); (2) its shallow updates are larger; (3) its steep sign-change "
    "rate is lower (damped oscillation). The 2-D quadratic (b 25x steeper than w, alpha "
    f"from a grid, lowest J after {QUAD_STEPS} steps) is the picture, not judged."
)


# --- the network ---------------------------------------------------------------------------------


def trajectory(optimizer: str, alpha: float, seed: int) -> dict:
    """Full-batch training on raw breast cancer: the cost per step and every update."""
    config = TrainConfig(layers=LAYERS, normalize=False, seed=seed)
    s = setup(config, evidence.dataset("breast_cancer"))
    arch, params = s.arch, s.params
    grads, work = Parameters(arch), Workspace(arch, s.m_train, s.X_train.dtype)
    opt = optimizers.make(optimizer, lr=alpha)
    updates = np.zeros((STEPS, params.flat.size))
    costs = np.full(STEPS + 1, np.nan)
    with np.errstate(all="ignore"):
        for t in range(STEPS + 1):
            ce, _, _ = cost_and_gradients(params, grads, s.X_train, s.Y_train, arch, work=work)
            costs[t] = ce
            if t == STEPS or not math.isfinite(ce):
                break
            before = params.flat.copy()
            opt.step({"theta": params.flat}, {"theta": grads.flat})
            updates[t] = params.flat - before
    return {"costs": costs, "updates": updates, "X": s.X_train, "arch": arch}


def directions(X: np.ndarray, arch, k: int = N_DIRECTIONS) -> dict[str, np.ndarray]:
    """Flat indices of W1's columns for the k largest-RMS features (steep) and k smallest."""
    rms = np.sqrt(np.mean(X**2, axis=1))  # X is (features, m)
    order = np.argsort(rms)
    n1, n0 = arch.layer_dims[1], arch.layer_dims[0]
    W1 = np.arange(n1 * n0).reshape(n1, n0)  # W1 is first in the flat vector
    return {"steep": W1[:, order[-k:]].ravel(), "shallow": W1[:, order[:k]].ravel()}


def sign_change_rate(updates: np.ndarray) -> float:
    """The fraction of successive nonzero update pairs (per column) with opposite signs."""
    a, b = updates[1:], updates[:-1]
    both = (a != 0) & (b != 0)
    n = int(both.sum())
    return float(np.sum((a * b < 0) & both) / n) if n else math.nan


def path_efficiency(updates: np.ndarray) -> float:
    """|net displacement| / path length, averaged over the columns: 1 for a weight that moves
    one way only, near 0 for one that zigzags in place."""
    length = np.abs(updates).sum(axis=0)
    net = np.abs(updates.sum(axis=0))
    moved = length > 0
    return float(np.mean(net[moved] / length[moved])) if moved.any() else math.nan


def oscillation(run: dict) -> dict:
    """Per side: mean |update|, sign-change rate and path efficiency over the steps."""
    idx = directions(run["X"], run["arch"])
    return {
        side: {
            "mean_update": float(np.mean(np.abs(run["updates"][:, cols]))),
            "sign_changes": sign_change_rate(run["updates"][:, cols]),
            "efficiency": path_efficiency(run["updates"][:, cols]),
        }
        for side, cols in idx.items()
    }


def final_cost(run: dict) -> float:
    c = run["costs"][-1]
    return float(c) if math.isfinite(c) else math.inf


def grid_of(seed: int) -> dict:
    """Final training cost per (optimizer, alpha) at one seed."""
    return {
        opt: [final_cost(trajectory(opt, a, seed)) for a in ALPHAS] for opt in ("gd", "rmsprop")
    }


def runs_of(seed: int, alphas: dict[str, float]) -> dict:
    out = {}
    for opt, alpha in alphas.items():
        run = trajectory(opt, alpha, seed)
        out[opt] = {"final": final_cost(run), "costs": run["costs"].tolist(), **oscillation(run)}
    return out


# --- the quadratic -------------------------------------------------------------------------------


def quadratic_path(optimizer: str, alpha: float, steps: int = QUAD_STEPS) -> np.ndarray:
    """(w, b) after each step on J = (a w^2 + c b^2) / 2, from QUAD_START."""
    a, c = QUADRATIC
    theta = np.array(QUAD_START)
    opt = optimizers.make(optimizer, lr=alpha)
    path = [theta.copy()]
    with np.errstate(all="ignore"):
        for _ in range(steps):
            opt.step({"theta": theta}, {"theta": np.array([a, c]) * theta})  # dJ = (a w, c b)
            path.append(theta.copy())
    return np.array(path)


def quadratic_cost(path: np.ndarray) -> float:
    a, c = QUADRATIC
    j = 0.5 * (a * path[-1, 0] ** 2 + c * path[-1, 1] ** 2)
    return float(j) if math.isfinite(j) else math.inf


def quadratic() -> dict:
    """Each optimizer at its best grid alpha on the quadratic: path, J, b's sign changes."""
    out = {}
    for opt in ("gd", "rmsprop"):
        alpha = min(QUAD_ALPHAS, key=lambda a, o=opt: quadratic_cost(quadratic_path(o, a)))
        path = quadratic_path(opt, alpha)
        steps = np.diff(path, axis=0)
        out[opt] = {
            "alpha": alpha,
            "path": path.tolist(),
            "final_cost": quadratic_cost(path),
            "b_sign_changes": sign_change_rate(steps[:, 1:]),
            "w_sign_changes": sign_change_rate(steps[:, :1]),
            "mean_step": {
                "w": float(np.mean(np.abs(steps[:, 0]))),
                "b": float(np.mean(np.abs(steps[:, 1]))),
            },
        }
    return out


# --- the claim -----------------------------------------------------------------------------------


def measure(seeds: Sequence[int], workers: int = 1) -> rules.Judged:
    seeds = list(seeds)
    grids = evidence.map_seeds(grid_of, seeds, workers)
    mean_final = {opt: np.mean([g[opt] for g in grids], axis=0) for opt in ("gd", "rmsprop")}
    best = {opt: ALPHAS[int(np.argmin(m))] for opt, m in mean_final.items()}
    per = evidence.map_seeds(_Runs(best), seeds, workers)

    def values(opt: str, side: str, key: str, log: bool = False) -> list[float]:
        xs = [p[opt][side][key] for p in per]
        return [math.log10(x) for x in xs] if log else xs

    parts = {
        "RMSprop's updates are smaller than GD's in the steep directions": rules.lower(
            values("rmsprop", "steep", "mean_update", True),
            values("gd", "steep", "mean_update", True),
        ),
        "and larger in the shallow directions": rules.lower(
            values("gd", "shallow", "mean_update", True),
            values("rmsprop", "shallow", "mean_update", True),
        ),
        "RMSprop's steep directions oscillate less (fewer sign changes)": rules.lower(
            values("rmsprop", "steep", "sign_changes"), values("gd", "steep", "sign_changes")
        ),
    }
    rows = [
        {
            "optimizer": opt,
            "alpha": best[opt],
            "final": evidence.summary([p[opt]["final"] for p in per]),
            **{
                f"{side}_{key}": evidence.summary(values(opt, side, key))
                for side in ("steep", "shallow")
                for key in ("mean_update", "sign_changes", "efficiency")
            },
        }
        for opt in ("gd", "rmsprop")
    ]
    return rules.judged(
        parts,
        seeds=seeds,
        alphas=list(ALPHAS),
        grid={
            opt: [float(x) if math.isfinite(x) else None for x in m]
            for opt, m in mean_final.items()
        },
        best_alpha=best,
        rows=rows,
        curves={opt: np.mean([p[opt]["costs"] for p in per], axis=0).tolist() for opt in best},
        quadratic=quadratic(),
    )


class _Runs:
    """runs_of(seed, alphas) as a picklable one-argument function (for map_seeds)."""

    def __init__(self, alphas: dict[str, float]) -> None:
        self.alphas = alphas

    def __call__(self, seed: int) -> dict:
        return runs_of(seed, self.alphas)


# --- the page ------------------------------------------------------------------------------------


def section(outcome: rules.Judged) -> list[str]:
    result = outcome.evidence
    rows = [
        [
            r["optimizer"],
            f"{r['alpha']:.3g}",
            tables.pm(r["final"]),
            tables.pm(r["steep_mean_update"]),
            tables.pm(r["shallow_mean_update"]),
            tables.pm(r["steep_sign_changes"]),
            tables.per_seed(r["steep_sign_changes"]["values"]),
            tables.pm(r["shallow_sign_changes"]),
            tables.pm(r["steep_efficiency"]),
            tables.pm(r["shallow_efficiency"]),
        ]
        for r in result["rows"]
    ]
    q = result["quadratic"]
    q_rows = [
        [
            opt,
            f"{x['alpha']:.3g}",
            f"{x['final_cost']:.3g}",
            f"{x['mean_step']['b']:.3g}",
            f"{x['mean_step']['w']:.3g}",
            f"{x['b_sign_changes']:.2f}",
            f"{x['w_sign_changes']:.2f}",
        ]
        for opt, x in q.items()
    ]
    return [
        f"Raw breast cancer, full batch, {STEPS} steps, each optimizer at its best alpha of the "
        "grid (mean ± SE over the seeds). Steep / shallow: the weights of the "
        f"{N_DIRECTIONS} largest / smallest features. Path efficiency (shown, not judged, and "
        "added after a first run had shown the sign changes): |net displacement| / path length "
        "of a weight, 1 when it moves one way, near 0 when it zigzags in place.",
        "",
        *table_lines(
            [
                "optimizer",
                "alpha",
                "final training cost",
                "mean |update|, steep",
                "shallow",
                "sign changes, steep",
                "per seed",
                "sign changes, shallow",
                "path efficiency, steep",
                "shallow",
            ],
            rows,
        ),
        "",
        "Sign changes count flips, not their size: at a fixed alpha RMSprop's step stays near "
        "alpha as the slope shrinks (dW / sqrt(S) does not go to 0 with dW), so near the "
        "minimum its steep weights keep flipping by small steps, while GD's steps shrink with "
        "the slope. GD flips nearly every step where its alpha is at the edge of stability for "
        "that seed, and seldom below it: hence the spread of its per-seed values.",
        "",
        f"The seed's picture: J = ({QUADRATIC[0]:g} w^2 + {QUADRATIC[1]:g} b^2) / 2 from "
        f"{QUAD_START}, {QUAD_STEPS} steps, each at its best alpha of a grid (quarter decades).",
        "",
        *table_lines(
            [
                "optimizer",
                "alpha",
                "J at the end",
                "mean |step| in b (steep)",
                "in w (shallow)",
                "sign changes in b",
                "in w",
            ],
            q_rows,
        ),
    ]


def figure(outcome: rules.Judged, folder: Path) -> Path:
    result = outcome.evidence
    """The quadratic's contours with both paths; the network's cost per step."""
    fig = canvas.figure(10, 3.8)
    ax_q, ax_c = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    a, c = QUADRATIC
    w, b = np.meshgrid(np.linspace(-4.5, 1.5, 200), np.linspace(-1.5, 1.5, 200))
    ax_q.contour(w, b, 0.5 * (a * w**2 + c * b**2), levels=12, colors="grey", linewidths=0.6)
    colours = {"gd": "#1f77b4", "rmsprop": "#d62728"}
    for opt, x in result["quadratic"].items():
        path = np.array(x["path"])
        ax_q.plot(
            path[:, 0],
            path[:, 1],
            marker=".",
            color=colours[opt],
            label=f"{opt} (alpha {x['alpha']:.3g})",
        )
    ax_q.plot([0], [0], marker="*", color="black", markersize=10)
    ax_q.set(xlabel="w (shallow)", ylabel="b (steep)", title="J = (w^2 + 25 b^2) / 2")
    for opt, curve in result["curves"].items():
        ax_c.plot(
            range(len(curve)),
            curve,
            color=colours[opt],
            label=f"{opt} (alpha {result['best_alpha'][opt]:.3g})",
        )
    ax_c.set(
        yscale="log",
        xlabel="step",
        ylabel="training cost (mean over seeds)",
        title="raw breast cancer, full batch",
    )
    return canvas.save(fig, folder / f"{KEY}.png", axes=(ax_q, ax_c))


CLAIM = measured_directly(KEY, TITLE, QUOTE, RULE, measure, section, figure)
