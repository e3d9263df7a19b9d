"""Claim 1: initialization and vanishing/exploding gradients, on plain deep networks.

Through a ReLU layer whose weights are N(0, s^2) with fan-in n (zero biases), the mean square
of the activations is multiplied, in expectation, by

    q[l] = (n s^2 / 2) q[l-1]          (Var z = n s^2 q[l-1]; ReLU keeps half of E z^2)

and, going back, so is the mean square of dZ (dA[l-1] = W[l]^T dZ[l], then the ReLU mask).
So n s^2 / 2 > 1 explodes and < 1 vanishes, geometrically in the depth: the seed's scalar
"W greater than 1" picture, with n s^2 / 2 in the role of W. He's s^2 = 2/n makes it 1;
Xavier's 1/n is 1 for tanh near 0 (the course pairs it with tanh) and 1/2 with ReLU.

Measured: the per-layer factors at initialization on 50 hidden layers of 100 units for the
course's N(0,1) * 0.01, N(0,1) * 10, Xavier and He (every scheme's weights are the same
Gaussian draws times its scale); whether each trains a deep network on circles (the course's
initialization data) within a fixed budget; and, for zeros, that the units of a layer stay
identical through training.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from analysis import canvas
from analysis.formatting import table_lines
from core import optimizers
from core.init import weight_scale
from core.network import Parameters, Workspace, cost_and_gradients, cross_entropy
from core.network import backward as backprop
from core.network import forward as forward_pass
from core.train import TrainConfig, setup
from findings import evidence, rules, tables
from findings.claim import measured_directly

KEY = "initialization"
TITLE = "He and Xavier initialization keep deep networks from vanishing or exploding"
QUOTE = (
    "The screenshot above shows that if W is greater than 1, y will explode while if W is "
    "smaller than 1, y will vanish to a very small number. One way to (partially) solve this "
    "is to randomly initialize the weights, shown as follows: [...] Using these scaling "
    "methods, W will not explode or vanish too quickly, which allows us to train relatively "
    "deep neural networks."
)

DATA = "circles"  # the course's initialization assignment: make_circles(300, .05)
LARGE_STD = 10.0  # N(0,1) * 10: the course's "large" initialization
WIDTH, DEPTH = 100, 50  # growth: 50 hidden layers of 100 units
TRAIN_WIDTH, TRAIN_DEPTHS = 16, (5, 20, 50)
STEPS, ALPHA = 300, 1e-3  # full-batch Adam steps, its usual alpha
TARGET = math.log(2) / 2  # "trains": the training cost falls below half the cost of guessing
STOP = 0.05  # a run ends once its cost is this low: well below TARGET, it has trained
FACTOR_TOLERANCE = 1.25  # a measured per-layer factor within x/÷ 1.25 of n s^2 / 2
SYMMETRY_DEPTH = 5

# name: (label, the core.init scheme whose scale it takes or "large", hidden activation)
SCHEMES: dict[str, tuple[str, str, str]] = {
    "zeros": ("zeros", "zeros", "relu"),
    "random": ("N(0,1) * 0.01", "random", "relu"),
    "large": ("N(0,1) * 10", "large", "relu"),
    "xavier": ("Xavier, ReLU", "xavier", "relu"),
    "he": ("He, ReLU", "he", "relu"),
    "xavier-tanh": ("Xavier, tanh", "xavier", "tanh"),
    "constant": ("every weight sqrt(2/n)", "constant", "relu"),  # symmetric, but not zero
}
RELU_GROWTH = ("random", "xavier", "he", "large")  # the prediction n s^2 / 2 is for ReLU
TRAINED = ("random", "large", "xavier", "he", "xavier-tanh")

RULE = (
    f"Growth: on {DEPTH} hidden ReLU layers of {WIDTH} units at initialization (inputs: the "
    "standardized circles training split), the per-layer factor of the mean square of the "
    f"activations (layer 1 to {DEPTH}) and of dZ (layer {DEPTH} back to 1), each the "
    "geometric mean over the layers. Part 1 holds when on every seed both factors of "
    "N(0,1) * 0.01, Xavier, He "
    f"and N(0,1) * 10 lie within a factor {FACTOR_TOLERANCE} of the prediction n s^2 / 2 "
    "(0.005, 0.5, 1, 5000): vanishing below 1, exploding above. Training: full-batch Adam "
    f"(alpha {ALPHA:g}, at most {STEPS} steps, stopped once below {STOP}) on circles with "
    f"{TRAIN_WIDTH}-unit hidden layers, depths {', '.join(map(str, TRAIN_DEPTHS))}; per run "
    "the lowest training cost "
    f"reached, clipped at ln 2 (a diverged run counts as ln 2). 'Trains': the mean over the "
    f"seeds is below ln 2 / 2 = {TARGET:.3f} with 95% confidence (one-sided t bound); 'does not "
    "train': above it with 95% confidence. Part 2: N(0,1) * 0.01 and N(0,1) * 10 do not "
    f"train {TRAIN_DEPTHS[-1]} hidden layers. Part 3: He (ReLU) trains {TRAIN_DEPTHS[1]} and "
    f"{TRAIN_DEPTHS[2]}. Part 4: Xavier with tanh (the course's pairing) trains "
    f"{TRAIN_DEPTHS[1]} and {TRAIN_DEPTHS[2]}. Part 5: from zeros, every unit of a hidden layer "
    f"stays identical after {STEPS} steps ({SYMMETRY_DEPTH} hidden layers; spread of the "
    "units' weights exactly 0 on every seed). Xavier with ReLU is measured and shown, not "
    "judged."
)


# --- the schemes ---------------------------------------------------------------------------------


def std(scheme: str, fan_in: int) -> float:
    """The standard deviation of a scheme's weights for a layer with fan-in `fan_in` (for
    "constant", the value of every weight: He's scale)."""
    base = SCHEMES[scheme][1]
    if base == "large":
        return LARGE_STD
    return weight_scale("he" if base == "constant" else base, fan_in)


def predicted_factor(scheme: str, n: int) -> float:
    """n s^2 / 2 for ReLU; n s^2 for tanh (its linear regime near 0)."""
    s2 = std(scheme, n) ** 2
    return n * s2 / 2 if SCHEMES[scheme][2] == "relu" else n * s2


def draw(params: Parameters, layer_dims: Sequence[int], scheme: str, seed: int) -> None:
    """W[l] = N(0,1) draws (the same for every scheme at a seed) times the scheme's std, or
    that std itself in every entry for "constant"; b = 0."""
    rng = np.random.default_rng([seed, 14])
    for l in range(1, len(layer_dims)):
        W = params[f"W{l}"]
        z = rng.standard_normal(W.shape)
        W[...] = (1.0 if SCHEMES[scheme][1] == "constant" else z) * std(scheme, layer_dims[l - 1])
        params[f"b{l}"][...] = 0.0


def network(scheme: str, depth: int, width: int, seed: int):
    """The run's setup (split, architecture) for `depth` hidden layers of `width` units, its
    parameters drawn by the scheme."""
    _, _, activation = SCHEMES[scheme]
    config = TrainConfig(layers=(width,) * depth, activation=activation, seed=seed)
    s = setup(config, evidence.dataset(DATA))
    draw(s.params, s.arch.layer_dims, scheme, seed)
    return s


# --- growth at initialization --------------------------------------------------------------------


def profiles(s) -> dict[str, list[float]]:
    """Per hidden layer l = 1..D: mean A[l]^2 and mean (m dZ[l])^2; per layer l = 1..L: ||dW[l]||.

    One forward and one backward pass over the training split, at the initial weights."""
    arch, params = s.arch, s.params
    grads = Parameters(arch)
    with np.errstate(all="ignore"):
        ZL, work = forward_pass(params, s.X_train, arch)
        _, P = cross_entropy(ZL, s.Y_train, arch.output)
        backprop(params, grads, work, P, s.Y_train, arch)
    m, hidden = s.X_train.shape[1], range(1, arch.L)
    return {
        "activation_ms": [float(np.mean(work.A[l] ** 2)) for l in hidden],
        "dz_ms": [float(np.mean((m * work.dZ[l]) ** 2)) for l in hidden],
        "grad_norm": [float(np.linalg.norm(grads[f"W{l}"])) for l in range(1, arch.L + 1)],
        "output_bias_grad": float(np.linalg.norm(grads[f"b{arch.L}"])),
    }


def per_layer_factor(first: float, last: float, layers: int) -> float:
    """(last / first)^(1 / layers): the geometric mean factor per layer."""
    if first <= 0 or last <= 0:
        return 0.0
    return math.exp((math.log(last) - math.log(first)) / layers)


def growth_of(seed: int) -> dict:
    """Per scheme: the forward and backward per-layer factors and the profiles, at one seed."""
    out = {}
    for scheme in (*RELU_GROWTH, "xavier-tanh", "zeros"):
        p = profiles(network(scheme, DEPTH, WIDTH, seed))
        q, r = p["activation_ms"], p["dz_ms"]
        out[scheme] = {
            "forward": per_layer_factor(q[0], q[-1], DEPTH - 1),
            "backward": per_layer_factor(r[-1], r[0], DEPTH - 1),
            **p,
        }
    return out


# --- training ------------------------------------------------------------------------------------


def train_run(
    scheme: str, depth: int, seed: int, steps: int | None = None, stop: bool = True
) -> dict:
    """Full-batch Adam from the scheme's weights: the lowest training cost (clipped at ln 2, a
    non-finite one counts as ln 2), the steps until it fell below TARGET (None: never), and
    the trained parameters. At most `steps` (default STEPS); with `stop`, training ends once
    the cost is below STOP."""
    steps = STEPS if steps is None else steps
    s = network(scheme, depth, TRAIN_WIDTH, seed)
    arch, params = s.arch, s.params
    grads, work = Parameters(arch), Workspace(arch, s.m_train, s.X_train.dtype)
    opt = optimizers.Adam(lr=ALPHA)
    best, reached = math.log(2), None
    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            ce, _, _ = cost_and_gradients(params, grads, s.X_train, s.Y_train, arch, work=work)
            if not math.isfinite(ce):
                break
            best = min(best, ce)
            if reached is None and ce < TARGET:
                reached = t
            if (stop and ce < STOP) or t == steps:
                break
            opt.step({"theta": params.flat}, {"theta": grads.flat})
    return {"best": best, "steps": reached, "params": params}


def unit_spread(params: Parameters, L: int) -> tuple[float, float]:
    """(largest difference between two units of a hidden layer, largest |weight|).

    Unit i of layer l is row i of W[l], b[l][i] and column i of W[l+1]; identical units have
    spread 0."""
    spread, scale = 0.0, 0.0
    for l in range(1, L):
        W, b, W_next = params[f"W{l}"], params[f"b{l}"], params[f"W{l + 1}"]
        spread = max(
            spread,
            float(np.abs(W - W[:1]).max()),
            float(np.abs(b - b[:1]).max()),
            float(np.abs(W_next - W_next[:, :1]).max()),
        )
        scale = max(scale, float(np.abs(W).max()), float(np.abs(W_next).max()))
    return spread, scale


def training_of(seed: int) -> dict:
    """Every trained scheme at every depth, and the zeros run for symmetry, at one seed."""
    runs = {}
    for scheme in TRAINED:
        for depth in TRAIN_DEPTHS:
            r = train_run(scheme, depth, seed)
            runs[f"{scheme}/{depth}"] = {"best": r["best"], "steps": r["steps"]}
    symmetric = {}
    for scheme in ("zeros", "constant"):
        r = train_run(scheme, SYMMETRY_DEPTH, seed, stop=False)
        spread, scale = unit_spread(r["params"], SYMMETRY_DEPTH + 1)
        symmetric[scheme] = {"spread": spread, "scale": scale, "best": r["best"]}
    return {"runs": runs, "symmetric": symmetric}


def seed_of(seed: int) -> dict:
    return {"growth": growth_of(seed), "training": training_of(seed)}


# --- the claim -----------------------------------------------------------------------------------


def measure(seeds: Sequence[int], workers: int = 1) -> rules.Judged:
    """Growth at initialization, training at depth, zeros' symmetry; the parts and verdict."""
    per = evidence.map_seeds(seed_of, list(seeds), workers)
    growth = [
        growth_row(scheme, [p["growth"][scheme] for p in per])
        for scheme in (*RELU_GROWTH, "xavier-tanh")
    ]
    training = [
        training_row(scheme, depth, [p["training"]["runs"][f"{scheme}/{depth}"] for p in per])
        for scheme in TRAINED
        for depth in TRAIN_DEPTHS
    ]
    symmetry = {}
    for scheme in ("zeros", "constant"):
        runs = [p["training"]["symmetric"][scheme] for p in per]
        symmetry[scheme] = {
            "spread": [r["spread"] for r in runs],
            "scale": [r["scale"] for r in runs],
            "best_cost": evidence.summary([r["best"] for r in runs]),
        }
    parts = parts_of(growth, training, symmetry)
    return rules.judged(
        parts,
        seeds=list(seeds),
        growth=growth,
        profiles=mean_profiles(per),
        zeros_at_init=zeros_at_init(per),
        training=training,
        symmetry=symmetry,
    )


def growth_row(scheme: str, seeds: list[dict]) -> dict:
    pred = predicted_factor(scheme, WIDTH)
    fwd, bwd = [s["forward"] for s in seeds], [s["backward"] for s in seeds]
    return {
        "scheme": scheme,
        "label": SCHEMES[scheme][0],
        "predicted": pred,
        "forward": evidence.summary(fwd),
        "backward": evidence.summary(bwd),
        "within": all(within(x, pred) for x in fwd + bwd),
        "judged": scheme in RELU_GROWTH,
        "last_rms": evidence.summary([math.sqrt(s["activation_ms"][-1]) for s in seeds]),
        "first_grad": evidence.summary([s["grad_norm"][0] for s in seeds]),
    }


def within(measured: float, predicted: float, factor: float = FACTOR_TOLERANCE) -> bool:
    """measured lies in [predicted / factor, predicted * factor]."""
    return measured > 0 and abs(math.log(measured / predicted)) <= math.log(factor)


def training_row(scheme: str, depth: int, runs: list[dict]) -> dict:
    best = [r["best"] for r in runs]
    return {
        "scheme": scheme,
        "label": SCHEMES[scheme][0],
        "depth": depth,
        "best": evidence.summary(best),
        "steps": [r["steps"] for r in runs],
        "trains": rules.mean_below(best, TARGET),
    }


def trains(training: list[dict], scheme: str, depth: int) -> bool | None:
    return next(r["trains"] for r in training if r["scheme"] == scheme and r["depth"] == depth)


def fails(training: list[dict], scheme: str, depth: int) -> bool | None:
    t = trains(training, scheme, depth)
    return None if t is None else not t


def parts_of(growth: list[dict], training: list[dict], symmetry: dict) -> dict:
    deep, mid = TRAIN_DEPTHS[-1], TRAIN_DEPTHS[1]
    return {
        "per-layer growth is n s^2 / 2 (vanishes below 1, explodes above)": all(
            g["within"] for g in growth if g["judged"]
        ),
        f"N(0,1) * 0.01 and N(0,1) * 10 do not train {deep} layers": rules.all_of(
            [fails(training, "random", deep), fails(training, "large", deep)]
        ),
        f"He trains {mid} and {deep} layers": rules.all_of(
            [trains(training, "he", mid), trains(training, "he", deep)]
        ),
        f"Xavier (tanh) trains {mid} and {deep} layers": rules.all_of(
            [trains(training, "xavier-tanh", mid), trains(training, "xavier-tanh", deep)]
        ),
        "zeros never break symmetry": all(s == 0.0 for s in symmetry["zeros"]["spread"]),
    }


def mean_profiles(per: list[dict]) -> dict:
    """Scheme -> per-layer log10 RMS activation and log10 ||dW[l]||, averaged over the seeds."""
    out = {}
    for scheme in (*RELU_GROWTH, "xavier-tanh"):
        rms = np.mean([np.log10(p["growth"][scheme]["activation_ms"]) / 2 for p in per], axis=0)
        grad = np.mean([np.log10(p["growth"][scheme]["grad_norm"]) for p in per], axis=0)
        out[scheme] = {"log10_rms": rms.tolist(), "log10_grad": grad.tolist()}
    return out


def zeros_at_init(per: list[dict]) -> dict:
    g = [p["growth"]["zeros"] for p in per]
    return {
        "max_activation_ms": max(max(x["activation_ms"]) for x in g),
        "max_grad_norm": max(max(x["grad_norm"]) for x in g),
        "output_bias_grad": evidence.summary([x["output_bias_grad"] for x in g]),
    }


# --- the page ------------------------------------------------------------------------------------


def section(outcome: rules.Judged) -> list[str]:
    result = outcome.evidence
    g_rows = [
        [
            g["label"] + ("" if g["judged"] else " (shown, not judged)"),
            tables.num(g["predicted"]) + ("" if g["judged"] else " (linear regime)"),
            tables.pm(g["forward"]),
            tables.pm(g["backward"]),
            tables.pm(g["last_rms"]),
            tables.pm(g["first_grad"]),
            "yes" if g["within"] else "no",
        ]
        for g in result["growth"]
    ]
    z = result["zeros_at_init"]
    t_rows = [
        [
            r["label"],
            str(r["depth"]),
            tables.pm(r["best"]),
            tables.per_seed(r["best"]["values"]),
            ", ".join("-" if s is None else str(s) for s in r["steps"]),
            {True: "yes", False: "no"}.get(r["trains"], "undecided"),
        ]
        for r in result["training"]
    ]
    sym, const = result["symmetry"]["zeros"], result["symmetry"]["constant"]
    rel = [d / w if w else 0.0 for d, w in zip(const["spread"], const["scale"], strict=True)]
    return [
        f"At initialization, {DEPTH} hidden layers of {WIDTH} units (the equal widths a "
        "per-layer factor needs; the course's own network has 2). Factors are geometric means "
        "per layer over the seeds (mean ± SE); 'RMS at layer 50' is the root mean square of "
        "the last hidden activations, '||dW1||' the gradient of the first layer's weights "
        "(inputs have mean square 1).",
        "",
        *table_lines(
            [
                "weights",
                "predicted n s^2 / 2",
                "activations: factor per layer",
                "dZ: factor per layer (backward)",
                "RMS at layer 50",
                "||dW1||",
                "within x/÷ 1.25",
            ],
            g_rows,
        ),
        "",
        "Zeros: every hidden activation and every weight gradient is exactly 0 (largest mean "
        f"square {tables.num(z['max_activation_ms'])}, largest ||dW[l]|| "
        f"{tables.num(z['max_grad_norm'])}); only the output bias gets a gradient "
        f"(|db[L]| {tables.pm(z['output_bias_grad'])}).",
        "",
        f"Training on circles ({TRAIN_WIDTH} units per hidden layer, full-batch Adam, alpha "
        f"{ALPHA:g}, at most {STEPS} steps, stopped once below {STOP}): the lowest training "
        f"cost, clipped at ln 2, and the step at which it fell below {TARGET:.3f} ('-': never).",
        "",
        *table_lines(
            ["weights", "hidden layers", "lowest cost", "per seed", "steps to target", "trains"],
            t_rows,
        ),
        "",
        f"Zeros, {SYMMETRY_DEPTH} hidden layers, {STEPS} steps: the largest difference between "
        f"two units of a layer is {tables.per_seed(sym['spread'])} (per seed), and the "
        f"training cost ends at {tables.pm(sym['best_cost'])} (ln 2 = {math.log(2):.3f}). With "
        "ReLU, zeros are worse than symmetric: every hidden unit outputs 0, so no weight but the "
        "output bias ever receives a gradient. Every weight equal to sqrt(2/n) instead (symmetric "
        "but not zero, shown, not judged): the largest difference between two units relative to "
        f"the largest weight is {tables.per_seed(rel)} after {STEPS} steps, cost "
        f"{tables.pm(const['best_cost'])}: the units get equal gradients and stay equal, so a "
        "layer computes one feature however wide it is.",
        "",
        "The weight gradients do not vanish toward the first layers only: dW[l] = dZ[l] "
        "A[l-1]^T multiplies the forward factor of layers 1..l-1 by the backward one of layers "
        "l+1..L, so with equal widths every layer's ||dW|| carries about (n s^2 / 2)^(L/2) "
        "(the flat lines of the middle panel): uniformly tiny, or uniformly huge.",
    ]


def figure(outcome: rules.Judged, folder: Path) -> Path:
    result = outcome.evidence
    """RMS activation and gradient norm per layer at initialization; lowest cost vs depth."""
    fig = canvas.figure(13, 3.8)
    colours = {
        "random": "#1f77b4",
        "large": "#d62728",
        "xavier": "#9467bd",
        "he": "#2ca02c",
        "xavier-tanh": "#ff7f0e",
    }
    ax_a, ax_g, ax_t = (fig.add_subplot(1, 3, i) for i in (1, 2, 3))
    for scheme, prof in result["profiles"].items():
        label, colour = SCHEMES[scheme][0], colours[scheme]
        layers = range(1, len(prof["log10_rms"]) + 1)
        ax_a.plot(layers, prof["log10_rms"], color=colour, label=label)
        if scheme in RELU_GROWTH:  # the prediction from layer 1's measured value
            slope = math.log10(predicted_factor(scheme, WIDTH)) / 2
            start = prof["log10_rms"][0]
            ax_a.plot(
                layers,
                [start + slope * (l - 1) for l in layers],
                color=colour,
                linestyle=":",
                linewidth=1,
            )
        ax_g.plot(
            range(1, len(prof["log10_grad"]) + 1), prof["log10_grad"], color=colour, label=label
        )
    ax_a.set(
        xlabel="hidden layer",
        ylabel="log10 RMS activation",
        title=f"activations at init ({DEPTH} x {WIDTH}); dotted: n s^2/2",
    )
    ax_g.set(xlabel="layer", ylabel="log10 ||dW[l]||", title="weight gradients at init")
    for scheme in TRAINED:
        rows = [r for r in result["training"] if r["scheme"] == scheme]
        depths = [r["depth"] for r in rows]
        ax_t.plot(
            depths,
            [r["best"]["mean"] for r in rows],
            marker="o",
            color=colours[scheme],
            label=SCHEMES[scheme][0],
        )
        for r in rows:
            ax_t.scatter(
                [r["depth"]] * len(r["best"]["values"]),
                r["best"]["values"],
                s=8,
                color=colours[scheme],
                alpha=0.5,
            )
    ax_t.axhline(TARGET, color="grey", linestyle="--", linewidth=1, label="ln 2 / 2")
    ax_t.set(
        xlabel="hidden layers",
        ylabel="lowest training cost (clipped at ln 2)",
        title=f"training: Adam, {STEPS} steps",
    )
    ax_t.set_xticks(list(TRAIN_DEPTHS), [str(d) for d in TRAIN_DEPTHS])
    return canvas.save(fig, folder / f"{KEY}.png", axes=(ax_a, ax_g, ax_t))


CLAIM = measured_directly(KEY, TITLE, QUOTE, RULE, measure, section, figure)
