"""Claim 7: most points with zero gradient are saddle points, not local optima.

A critical point (dJ/dtheta = 0) is a minimum when every eigenvalue of the Hessian there is
positive, a saddle when some are negative. The seed counts each eigenvalue's sign as a coin
flip, so a minimum has probability 0.5^P in P dimensions; Dauphin et al. (2014) found instead
that a critical point's index (its fraction of negative eigenvalues) rises with its cost:
low-cost critical points are minima, high-cost ones saddles.

Critical points are found by solving dJ/dtheta = 0 with Levenberg-Marquardt
(`scipy.optimize.least_squares`, the Hessian as the Jacobian), which converges to minima and
saddles alike, started from points along Adam trajectories of different lengths (as Dauphin
et al. sample them); the Hessian is the central difference of core's exact gradients.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from analysis import canvas
from analysis.formatting import table_lines
from core import optimizers
from core.network import Architecture, Parameters, Workspace, cost_and_gradients
from core.train import TrainConfig, setup
from findings import evidence, rules, tables
from findings.claim import measured_directly

KEY = "saddle-points"
TITLE = "Most points of zero gradient are saddle points, not local optima"
QUOTE = (
    "But in training neural network, most points with zero gradients are not local optima. "
    "They are actually saddle points. [...] In high dimensional space, if you have 20000 "
    "dimensions, a real local optima requires all dimensions have a zero gradient of a bowl "
    "shape (rather than a saddle shape). The probability of that is 0.5^20000, which is very "
    "small."
)

HIDDEN = (1, 2, 4, 8)  # 2-h-1 tanh networks: 5, 9, 17 and 33 parameters
LAMBDA = 1.0  # L2 on every parameter, so that every critical point is finite
TRAJECTORY = (0, 3, 10, 30, 100, 300, 1000, 3000)  # Adam steps before the search: one start each
START_ALPHA = 0.01
MAX_EVALUATIONS = 60  # Levenberg-Marquardt residual evaluations per start
GRAD_TOL = 1e-8  # ||dJ/dtheta|| below this: a critical point
EIG_TOL = 1e-6  # an eigenvalue within this share of the largest |eigenvalue| counts as 0
FD_STEP = 1e-5
CONFIDENCE = 0.95

RULE = (
    f"Networks 2-h-1 with tanh (smooth: a Hessian everywhere), h = {', '.join(map(str, HIDDEN))}"
    " (5 to 33 parameters), on the moons training split of each seed; the cost is the "
    f"cross-entropy plus the course's L2 term lambda/(2m) ||theta||^2 with lambda {LAMBDA:g} "
    "on every parameter (biases too, so that no critical point lies at infinity). Per seed "
    f"and size, {len(TRAJECTORY)} starts: a fresh Xavier initialization trained by full-batch "
    f"Adam (alpha {START_ALPHA:g}) for {', '.join(map(str, TRAJECTORY))} steps; from each, "
    "Levenberg-Marquardt on dJ/dtheta = 0 (at most "
    f"{MAX_EVALUATIONS} evaluations). A point with ||dJ/dtheta|| < {GRAD_TOL:g} is critical; "
    "it is a minimum when no Hessian eigenvalue is below -"
    f"{EIG_TOL:g} x the largest |eigenvalue|, else a saddle; critical points with the same "
    "cost (to 1e-7) and index are one (copies under the units' permutations and sign flips), "
    "pooled over the seeds. Parts, each at one-sided 95% confidence: (1) at h = "
    f"{HIDDEN[-1]}, fewer than half of the critical points are minima (exact binomial test); "
    f"(2) the share of minima is lower at h = {HIDDEN[-1]} than at h = {HIDDEN[0]} (Fisher's "
    "exact test); (3) at h = "
    f"{HIDDEN[-1]} the index (share of negative eigenvalues) rises with the cost (Spearman's "
    "rank correlation); (4) the seed's count: minima are as rare as 0.5^P - false when at "
    "some size more minima are found than 0.5^P allows (binomial test), undecided otherwise "
    "(finding none cannot show a probability that small)."
)


# --- the cost as a function of the flat parameter vector -----------------------------------------


class Cost:
    """J(theta) and dJ/dtheta of a network on a data split, with L2 on every parameter:
    core's cross-entropy and lambda/(2m) ||W||^2, plus the same term for the biases."""

    def __init__(self, arch: Architecture, X: np.ndarray, Y: np.ndarray, lambd: float) -> None:
        self.arch, self.X, self.Y, self.lambd, self.m = arch, X, Y, lambd, X.shape[1]
        self.params, self.grads = Parameters(arch), Parameters(arch)
        self.work = Workspace(arch, self.m, X.dtype)
        self.bias = np.zeros(self.params.flat.size, dtype=bool)
        offset = 0
        for name, (r, c) in arch.shapes():
            self.bias[offset : offset + r * c] = name.startswith("b")
            offset += r * c

    def value_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        self.params.flat[:] = theta
        ce, penalty, _ = cost_and_gradients(
            self.params, self.grads, self.X, self.Y, self.arch, self.lambd, work=self.work
        )
        b = theta[self.bias]
        g = self.grads.flat.copy()
        g[self.bias] += self.lambd / self.m * b  # d/db of lambda/(2m) ||b||^2
        return ce + penalty + self.lambd / (2 * self.m) * float(b @ b), g

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        return self.value_and_gradient(theta)[1]


def hessian(
    gradient: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, h: float = FD_STEP
) -> np.ndarray:
    """H[:, i] = (g(theta + h e_i) - g(theta - h e_i)) / (2h), symmetrized."""
    t = np.array(theta, dtype=float)
    H = np.empty((t.size, t.size))
    for i in range(t.size):  # one parameter at a time, as gradient checking does
        old = t[i]
        t[i] = old + h
        plus = gradient(t)
        t[i] = old - h
        minus = gradient(t)
        t[i] = old
        H[:, i] = (plus - minus) / (2 * h)
    return (H + H.T) / 2


def classify(eigenvalues: np.ndarray, tol: float = EIG_TOL) -> dict:
    """Index (share of negative eigenvalues), counts, and the kind: minimum when none is
    below -tol x max |eigenvalue|, maximum when all are, saddle otherwise."""
    ev = np.asarray(eigenvalues, dtype=float)
    scale = float(np.abs(ev).max()) if ev.size else 0.0
    neg = int(np.sum(ev < -tol * scale))
    pos = int(np.sum(ev > tol * scale))
    kind = "minimum" if neg == 0 else "maximum" if pos == 0 and neg == ev.size else "saddle"
    return {
        "kind": kind,
        "negative": neg,
        "flat": int(ev.size - neg - pos),
        "index": neg / ev.size if ev.size else 0.0,
    }


def find_critical(
    gradient: Callable[[np.ndarray], np.ndarray],
    theta0: np.ndarray,
    max_evaluations: int = MAX_EVALUATIONS,
) -> np.ndarray:
    """Levenberg-Marquardt on the residual g(theta) with the Hessian as its Jacobian: it
    minimizes ||g||^2 / 2, so it is drawn to saddles as much as to minima."""
    from scipy.optimize import least_squares

    r = least_squares(
        gradient,
        theta0,
        jac=lambda t: hessian(gradient, t),
        method="lm",
        xtol=1e-15,
        ftol=1e-15,
        gtol=1e-15,
        max_nfev=max_evaluations,
    )
    return r.x


# --- the search ----------------------------------------------------------------------------------


def start(cost: Cost, h: int, seed: int, k: int, steps: int) -> np.ndarray:
    """A fresh Xavier initialization (its own seed) after `steps` full-batch Adam steps."""
    data = evidence.dataset("moons")
    config = TrainConfig(layers=(h,), activation="tanh", init="xavier", seed=1000 * seed + k)
    theta = setup(config, data).params.flat.copy()
    opt = optimizers.Adam(lr=START_ALPHA)
    for _ in range(steps):
        opt.step({"theta": theta}, {"theta": cost.gradient(theta)})
    return theta


def critical_points(h: int, seed: int) -> list[dict]:
    """Every start's end point at one size and seed: cost, ||g||, the Hessian's verdict."""
    s = setup(TrainConfig(layers=(h,), activation="tanh", seed=seed), evidence.dataset("moons"))
    cost = Cost(s.arch, s.X_train, s.Y_train, LAMBDA)
    out = []
    with np.errstate(all="ignore"):
        for k, steps in enumerate(TRAJECTORY):
            theta = find_critical(cost.gradient, start(cost, h, seed, k, steps))
            J, g = cost.value_and_gradient(theta)
            ev = np.linalg.eigvalsh(hessian(cost.gradient, theta))
            out.append(
                {
                    "steps": steps,
                    "cost": J,
                    "grad_norm": float(np.linalg.norm(g)),
                    "parameters": int(theta.size),
                    **classify(ev),
                }
            )
    return out


def seed_of(seed: int) -> dict:
    return {str(h): critical_points(h, seed) for h in HIDDEN}


def distinct(points: list[dict]) -> list[dict]:
    """Critical points (||g|| < GRAD_TOL) with one (cost, index) kept once: the copies of one
    point under the hidden units' permutations and sign flips have the same cost and spectrum."""
    seen, out = set(), []
    for p in points:
        key = (p["seed"], round(p["cost"], 7), p["negative"])
        if p["grad_norm"] < GRAD_TOL and key not in seen:
            seen.add(key)
            out.append(p)
    return out


# --- the tests -----------------------------------------------------------------------------------


def fewer_than_half(minima: int, n: int) -> bool | None:
    """Binomial: the share of minima below 1/2 (True), above it (False), or neither shown."""
    from scipy.stats import binomtest

    if n == 0:
        return None
    if binomtest(minima, n, 0.5, alternative="less").pvalue < 1 - CONFIDENCE:
        return True
    if binomtest(minima, n, 0.5, alternative="greater").pvalue < 1 - CONFIDENCE:
        return False
    return None


def smaller_share(minima_a: int, n_a: int, minima_b: int, n_b: int) -> bool | None:
    """Fisher's exact test: is the share of minima in a lower than in b?"""
    from scipy.stats import fisher_exact

    if min(n_a, n_b) == 0:
        return None
    table = [[minima_a, n_a - minima_a], [minima_b, n_b - minima_b]]
    if fisher_exact(table, alternative="less").pvalue < 1 - CONFIDENCE:
        return True
    if fisher_exact(table, alternative="greater").pvalue < 1 - CONFIDENCE:
        return False
    return None


def rises(x: Sequence[float], y: Sequence[float]) -> tuple[bool | None, float]:
    """(Spearman's rho of y against x is positive / negative / neither, at 95%; rho)."""
    from scipy.stats import spearmanr

    if len(x) < 3 or len(set(y)) < 2 or len(set(x)) < 2:
        return None, math.nan
    rho = float(spearmanr(x, y).statistic)
    if spearmanr(x, y, alternative="greater").pvalue < 1 - CONFIDENCE:
        return True, rho
    if spearmanr(x, y, alternative="less").pvalue < 1 - CONFIDENCE:
        return False, rho
    return None, rho


def as_rare_as_coin_flips(minima: int, n: int, P: int) -> bool | None:
    """False when more minima are found than probability 0.5^P allows (binomial, 95%)."""
    from scipy.stats import binomtest

    if n and binomtest(minima, n, 0.5**P, alternative="greater").pvalue < 1 - CONFIDENCE:
        return False
    return None


# --- the claim -----------------------------------------------------------------------------------


def measure(seeds: Sequence[int], workers: int = 1) -> rules.Judged:
    seeds = list(seeds)
    per = evidence.map_seeds(seed_of, seeds, workers)
    rows, points = [], {}
    for h in HIDDEN:
        found = [{**p, "seed": s} for s, r in zip(seeds, per, strict=True) for p in r[str(h)]]
        crit = distinct(found)
        points[str(h)] = crit
        minima = sum(p["kind"] == "minimum" for p in crit)
        rho = rises([p["cost"] for p in crit], [p["index"] for p in crit])
        P = found[0]["parameters"]
        rows.append(
            {
                "hidden": h,
                "parameters": P,
                "starts": len(found),
                "converged": sum(p["grad_norm"] < GRAD_TOL for p in found),
                "distinct": len(crit),
                "minima": minima,
                "share": minima / len(crit) if crit else math.nan,
                "coin_flips": 0.5**P,
                "fewer_than_half": fewer_than_half(minima, len(crit)),
                "rises": rho[0],
                "rho": rho[1],
                "as_rare": as_rare_as_coin_flips(minima, len(crit), P),
            }
        )
    small, large = rows[0], rows[-1]
    parts = {
        f"most critical points are saddles ({large['parameters']} parameters)": large[
            "fewer_than_half"
        ],
        "the share of minima falls as the parameter count grows": smaller_share(
            large["minima"], large["distinct"], small["minima"], small["distinct"]
        ),
        "higher-cost critical points have more negative directions": large["rises"],
        "minima are as rare as 0.5^P (the seed's count)": rules.all_of(
            [r["as_rare"] for r in rows]
        ),
    }
    return rules.judged(parts, seeds=seeds, rows=rows, points=points)


# --- the page ------------------------------------------------------------------------------------


def section(outcome: rules.Judged) -> list[str]:
    result = outcome.evidence
    rows = [
        [
            f"2-{r['hidden']}-1",
            str(r["parameters"]),
            f"{r['converged']} of {r['starts']}",
            str(r["distinct"]),
            str(r["minima"]),
            tables.num(r["share"], 2),
            f"{r['coin_flips']:.2g}",
            tables.num(r["rho"], 2),
        ]
        for r in result["rows"]
    ]
    large = result["points"][str(result["rows"][-1]["hidden"])]
    by_cost = sorted(large, key=lambda p: p["cost"])
    listing = "; ".join(f"{p['cost']:.4f} ({p['negative']} negative)" for p in by_cost)
    return [
        "Critical points found (||dJ/dtheta|| below "
        f"{GRAD_TOL:g} after the search), the distinct ones pooled over the seeds, and how many "
        "of those are minima; '0.5^P' is the seed's probability of a minimum; rho is Spearman's "
        "correlation of the index (share of negative eigenvalues) with the cost.",
        "",
        *table_lines(
            [
                "network",
                "parameters P",
                "converged",
                "distinct",
                "minima",
                "share of minima",
                "0.5^P",
                "rho(cost, index)",
            ],
            rows,
        ),
        "",
        f"At h = {result['rows'][-1]['hidden']}, cost (negative eigenvalues) of each distinct "
        f"critical point: {listing}.",
        "",
        "How far this goes: 5 to 33 parameters, against the seed's 20000; and the shares are "
        "of the critical points these starts reach (points along training, as Dauphin et al. "
        "sample them), not of all critical points, which nobody can list. What it does show "
        "is the mechanism the seed's coin-flip count misses: the signs are not independent. "
        "Minima are found far more often than 0.5^P would allow, at the lowest costs, and the "
        "higher a critical point's cost, the more directions lead down from it; that, not "
        "0.5^P, is why the high-cost points where training could stall are saddles.",
    ]


def figure(outcome: rules.Judged, folder: Path) -> Path:
    result = outcome.evidence
    """Index against cost for every distinct critical point; the share of minima against P."""
    fig = canvas.figure(10, 3.8)
    ax, ax_p = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for i, r in enumerate(result["rows"]):
        pts = result["points"][str(r["hidden"])]
        ax.scatter(
            [p["cost"] for p in pts],
            [p["index"] for p in pts],
            s=18,
            color=f"C{i}",
            label=f"2-{r['hidden']}-1 ({r['parameters']} parameters)",
        )
    ax.set(
        xlabel="cost J at the critical point",
        ylabel="index (share of negative eigenvalues)",
        title="critical points of 2-h-1 tanh networks, moons",
    )
    P = [r["parameters"] for r in result["rows"]]
    share = [r["share"] if r["share"] > 0 else math.nan for r in result["rows"]]  # log axis
    ax_p.plot(P, share, marker="o", label="found (a missing point: none)")
    ax_p.plot(
        P,
        [r["coin_flips"] for r in result["rows"]],
        linestyle=":",
        color="grey",
        label="0.5^P (the seed's count)",
    )
    ax_p.set(
        xlabel="parameters P",
        ylabel="share of minima",
        yscale="log",
        title="minima among the critical points found",
    )
    return canvas.save(fig, folder / f"{KEY}.png", axes=(ax, ax_p))


CLAIM = measured_directly(KEY, TITLE, QUOTE, RULE, measure, section, figure)
