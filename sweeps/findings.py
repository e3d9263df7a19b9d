"""`make findings`: run the claims' sweeps, re-train over seeds, write docs/findings.md.

    timings, results = findings.run(Path("findings-store"), Path("docs/findings.md"), seeds=5)

The sweeps (sweeps/claims/*.toml) go to a store folder of their own (an Optuna journal and an
MLflow SQLite store, git-ignored); a study already complete there is reused, so delete the folder
to start over. Then every claim of sweeps/claims.py measures and judges itself, and the page is
written with one PNG per claim beside it (docs/findings/).
"""

from __future__ import annotations

import math
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

from sweeps import claims as claims_mod
from sweeps import findings_plots
from tracking.report import table_lines

STORE = Path("findings-store")
PAGE = Path("docs/findings.md")


def sweep_all(store: Path, workers: int, track: bool, say: Callable[[str], None]) -> tuple:
    """Run every claim sweep into `store`, or reuse its study when it is complete and its
    sweep file is unchanged; ({sweep file: wall seconds it took}, the reused files, the wall
    seconds of the whole step).

    Each sweep runs on one worker process, `workers` sweeps at a time: one worker makes a seeded
    TPE search the same trials in the same order on every run (with two, the order depends on
    timing, and a borderline verdict could flip between runs of the page).
    """
    from sweeps import runner

    store = Path(store).resolve()  # the runner resolves relative paths against the workdir
    store.mkdir(parents=True, exist_ok=True)
    files = list(dict.fromkeys(f for c in claims_mod.CLAIMS for f in c.sweeps))
    seconds: dict[str, float] = {}
    reused: set[str] = set()
    queue = []
    start = time.perf_counter()
    for name in files:
        path = claims_mod.CLAIMS_DIR / name
        plan = runner.plan(
            path,
            storage=str(store / "optsweep.journal"),
            tracking_uri=str(store / "mlflow.db") if track else None,
            workdir=store,
            track=track,
        )
        done = _complete(plan, path)
        if done is not None:
            seconds[name] = done
            reused.add(name)
            say(f"sweep {name}: complete in {store} (it took {done:.0f} s), reused")
        else:
            queue.append((name, plan))
    running: dict[str, tuple] = {}
    try:
        while queue or running:
            while queue and len(running) < workers:
                name, plan = queue.pop(0)
                say(f"sweep {name}: {plan.spec.trials} trials on 1 worker")
                running[name] = (*_launch(plan, store / f"{Path(name).stem}.log"), plan)
            time.sleep(0.2)
            for name, (proc, t0, log, plan) in list(running.items()):
                if proc.poll() is None:
                    continue
                del running[name]
                seconds[name] = time.perf_counter() - t0
                _finished(plan, name, proc.returncode, log, seconds[name])
                say(f"  {name}: {seconds[name]:.0f} s")
    except BaseException:  # Ctrl-C (which reached the workers too) or a failed sweep
        runner.stop_workers([proc for proc, *_ in running.values()], first_wait=1.0)
        raise
    return seconds, reused, time.perf_counter() - start


def _launch(plan, log: Path):
    """A worker process for the whole sweep (`optsweep worker`, as on another machine)."""
    import subprocess

    from sweeps import runner

    with log.open("wb") as out:  # the child keeps its own handle
        proc = subprocess.Popen(
            runner.worker_argv(plan, 0, None), cwd=plan.workdir, env=runner.worker_env(plan),
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return proc, time.perf_counter(), log


def _finished(plan, name: str, returncode: int, log: Path, seconds: float) -> None:
    """Check a sweep's worker ended well; stamp its study with the file's hash and its time."""
    import optuna

    from core.errors import ConfigError
    from sweeps import storage as storage_mod

    if returncode != 0:
        lines = log.read_text(errors="replace").strip().splitlines() or ["(no output)"]
        raise ConfigError(f"sweep {name} failed (exit {returncode}): {lines[-1]}; see {log}")
    storage = storage_mod.open_storage(plan.storage)
    study = optuna.load_study(study_name=plan.spec.name, storage=storage)
    study.set_user_attr(FINGERPRINT_ATTR, _fingerprint(plan.spec.path))
    study.set_user_attr(SECONDS_ATTR, seconds)


FINGERPRINT_ATTR = "optsweep.findings.sweep_sha256"
SECONDS_ATTR = "optsweep.findings.sweep_seconds"


def _fingerprint(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _complete(plan, path: Path) -> float | None:
    """The seconds the sweep took when its study is in the store with its whole budget, else
    None; a ConfigError when its sweep file has changed since (its numbers would not be this
    file's)."""
    import optuna

    from core.errors import ConfigError
    from sweeps import storage as storage_mod
    from sweeps.runner import progress

    if not Path(plan.storage.url).exists():
        return None
    storage = storage_mod.open_storage(plan.storage)
    if plan.spec.name not in optuna.get_all_study_names(storage):
        return None
    study = optuna.load_study(study_name=plan.spec.name, storage=storage)
    known = study.user_attrs.get(FINGERPRINT_ATTR)
    if known is not None and known != _fingerprint(path):
        raise ConfigError(
            f"{path.name} changed since study {plan.spec.name!r} in {plan.storage.shown} ran; "
            "delete the store folder (or pass another --store) to run the claims again"
        )
    if known is None or progress(study, plan.spec.trials).done < plan.spec.trials:
        return None
    return float(study.user_attrs.get(SECONDS_ATTR, math.nan))


def run(
    store: Path = STORE,
    out: Path = PAGE,
    seeds: int = 5,
    workers: int = 2,
    track: bool = True,
    say: Callable[[str], None] = print,
) -> tuple[dict, dict]:
    """Sweep, measure every claim, write the page; (timings, results)."""
    from sweeps import spec as spec_mod
    from sweeps.report import check_options

    check_options(seeds, claims_mod.TOLERANCE, workers)
    store = Path(store).resolve()
    start, load = time.perf_counter(), os.getloadavg()[0]
    sweep_seconds, reused, sweeping = sweep_all(store, workers, track, say)
    figures = out.parent / out.stem
    figures.mkdir(parents=True, exist_ok=True)
    ctx = claims_mod.Context(
        store=store,
        seeds=list(range(1, seeds + 1)),
        workers=workers,
        tracking_uri=f"sqlite:///{(store / 'mlflow.db').resolve()}" if track else None,
        figures=figures,
    )
    results = {}
    for claim in claims_mod.CLAIMS:
        say(f"claim {claim.key}: re-training over {seeds} seeds")
        results[claim.key] = claim.measure(ctx)
        names = [spec_mod.load(claims_mod.CLAIMS_DIR / f).name for f in claim.sweeps]
        results[claim.key]["left_out"] = sorted({s for n in names for s in ctx.left_out.get(n, [])})
        say(f"  {results[claim.key]['verdict']}: {results[claim.key]['why']}")
    pngs = draw(results, figures)
    timings = {
        "sweeps": sweep_seconds,
        "sweeping": sweeping,
        "retraining": dict(ctx.seconds),
        "total": time.perf_counter() - start,
        "cpu": _cpu_seconds(),
        "load": (load, os.getloadavg()[0]),
        "reused": sorted(reused),
    }
    out.write_text(render(results, timings, pngs, out, seeds, workers))
    say(f"wrote {out} and {len(pngs)} plots in {figures}")
    return timings, results


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (sweep workers, re-training pools)."""
    import resource

    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def draw(results: dict, folder: Path) -> dict[str, Path]:
    return {
        "adam-faster": findings_plots.optimizers(
            results["adam-faster"], results["momentum-negligible"], folder / "optimizers.png"
        ),
        "decay": findings_plots.decay(results["decay"], folder / "decay.png"),
        "normalize": findings_plots.normalize(results["normalize"], folder / "normalize.png"),
        "batch-size": findings_plots.batch_size(results["batch-size"], folder / "batch_size.png"),
    }


# --- the page -------------------------------------------------------------------------------------


def pm(s: dict, digits: int = 3) -> str:
    m, se = s["mean"], s["se"]
    if m is None or not math.isfinite(m):
        return "n/a"
    if se is None or not math.isfinite(se):
        return f"{m:.{digits}g}"
    return f"{m:.{digits}g} ± {se:.2g}"


def render(results: dict, timings: dict, pngs: dict, out: Path, seeds: int, workers: int) -> str:
    rel = lambda p: Path(p).relative_to(out.parent).as_posix()  # noqa: E731
    sweeps_rel = "../sweeps/claims"
    total = timings["total"]
    lines = [
        "# Findings: the course note's claims, tested",
        "",
        "Generated by `make findings` (`optsweep findings`): do not edit by hand. Each claim of "
        "[the course note](../../shared/seed/deep-learning-note-2-optimization.txt) is put to a "
        "sweep in [`sweeps/claims/`](../sweeps/claims/), then the sweep's best settings are "
        f"re-trained on {seeds} seeds (1-{seeds}: each seed fixes the train/validation split "
        "and the initial weights, shared by every arm of a comparison). The verdict rules were "
        "fixed before the runs and are printed with each claim; the verdicts are computed from "
        "the numbers (`sweeps/claims.py`).",
        "",
        f"Run on {platform.machine()} with {os.cpu_count()} cores, {workers} sweeps at a time "
        f"(one worker each, so each sweep's trials are the same on every run) and {workers} "
        "re-training workers: "
        f"{total / 60:.1f} minutes in all ({_ran(timings) / 60:.1f} sweeping, "
        f"{sum(timings['retraining'].values()) / 60:.1f} re-training), {timings['cpu'] / 60:.1f} "
        "minutes of CPU. Load average "
        f"{timings['load'][0]:.1f} at the start, {timings['load'][1]:.1f} at the end (above "
        f"{os.cpu_count()}: other processes shared the cores, so wall times are long; the speed "
        "comparisons use CPU seconds or epochs).",
        "",
        "Numbers are mean ± standard error over the seeds. A comparison is paired by seed: a "
        "difference counts when the one-sided 95% confidence bound (Student's t) of the mean "
        "per-seed difference clears 0 (or, where stated, a 1% tolerance); a part the seeds "
        "decide neither way is inconclusive. A run that never reaches a target "
        "counts as its whole budget: a lower bound, which flatters the slow arm; the tables say "
        "how many runs missed.",
        "",
        "| # | claim | verdict | why |",
        "|---|---|---|---|",
    ]
    for i, c in enumerate(claims_mod.CLAIMS, 1):
        r = results[c.key]
        lines.append(
            f"| {i} | [{c.title}](#{i}-{_anchor(c.title)}) | **{r['verdict']}** | {r['why']} |"
        )
    for i, c in enumerate(claims_mod.CLAIMS, 1):
        r = results[c.key]
        sweeps = ", ".join(f"[`{f}`]({sweeps_rel}/{f})" for f in c.sweeps)
        lines += [
            "",
            f"## {i}. {c.title}",
            "",
            f"> {c.quote}",
            "",
            f"Sweep: {sweeps}.",
            "",
            f"**Rule.** {c.rule}",
            "",
            *SECTIONS[c.key](r),
            *_nothing(r),
            "",
            f"**Verdict: {r['verdict']}** ({r['why']}). Parts: "
            + "; ".join(f"{k}: {'yes' if v else 'no'}" for k, v in r["parts"].items())
            + ".",
        ]
        if c.key in pngs:
            lines += ["", f"![{c.title}]({rel(pngs[c.key])})"]
        if c.key == "adam-defaults":
            md = Path(r["report"]["markdown"])
            lines += ["", f"Full defaults report: [{md.name}]({rel(md)})."]
            lines += [f"![{p.name}]({rel(p)})" for p in map(Path, r["report"]["plots"])]
    lines += ["", "## Timings", ""]
    lines += table_lines(
        ["step", "seconds"],
        [
            [
                f"sweep `{k}`"
                + (
                    " (reused from the store; not in the total)"
                    if k in timings.get("reused", ())
                    else ""
                ),
                f"{v:.0f}",
            ]
            for k, v in timings["sweeps"].items()
        ]
        + [[f"re-training `{k}`", f"{v:.0f}"] for k, v in timings["retraining"].items()]
        + [["total", f"{total:.0f}"]],
    )
    return "\n".join(lines).rstrip() + "\n"


def _ran(timings: dict) -> float:
    """Wall seconds of the sweep step (sweeps run side by side, so not the sum of their times)."""
    if "sweeping" in timings:
        return timings["sweeping"]
    return sum(v for k, v in timings["sweeps"].items() if k not in timings.get("reused", ()))


def per_seed(s: dict, dead: list[bool] | None = None) -> str:
    """Each seed's value, '*' marking a run that learned nothing: what a mean hides."""
    dead = dead or [False] * len(s["values"])
    return ", ".join(f"{v:.2g}{'*' if d else ''}" for v, d in zip(s["values"], dead, strict=True))


def _nothing(r: dict) -> list[str]:
    out = []
    if r.get("left_out"):
        out += [
            "",
            f"Seed {', '.join(map(str, r['left_out']))} left out: the network learned nothing "
            "there in every arm (its training cost ended at the cost of guessing the class "
            "frequencies), so it says nothing about the settings compared.",
        ]
    if r.get("nothing"):
        out += [
            "",
            "Runs that learned nothing in some arms only (kept: that is the setting's doing): "
            + "; ".join(r["nothing"])
            + ".",
        ]
    return out


def _anchor(title: str) -> str:
    import re

    return re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")


def _adam_faster(r: dict) -> list[str]:
    rows = [
        [
            x["setting"],
            x["optimizer"],
            f"{x['alpha']:g}",
            str(x["budget"]),
            pm(x["epochs"]),
            str(x["missed"]),
            pm(x["cpu_seconds"]),
            pm(x["final_val_cost"]),
        ]
        for x in r["rows"]
    ]
    return [
        f"Target: validation cost below {r['target']}.",
        "",
        *table_lines(
            [
                "alpha",
                "optimizer",
                "value",
                "budget (epochs)",
                "epochs to target",
                "missed",
                "CPU seconds to target",
                "final val cost",
            ],
            rows,
        ),
    ]


def _momentum(r: dict) -> list[str]:
    rows = [
        [
            x["setting"],
            f"{x['gd_alpha']:g} / {x['momentum_alpha']:g}",
            pm(x["gd"]),
            pm(x["momentum"]),
            pm(x["difference"]),
            pm(x["gd_epochs"]),
            pm(x["momentum_epochs"]),
            {True: "yes", False: "no"}.get(x["negligible"], "inconclusive"),
        ]
        for x in r["rows"]
    ]
    return table_lines(
        [
            "alpha",
            "alpha gd / momentum",
            "final val cost gd",
            "momentum",
            "momentum - gd",
            f"epochs to {r['target']} gd",
            "momentum",
            "negligible",
        ],
        rows,
    )


def _adam_defaults(r: dict) -> list[str]:
    rows = []
    for x in r["rows"]:
        g = x["gap"]
        imp = x["importance"]["fanova"]
        head = [x["name"], f"{x['default']:g}", f"{x['tuned']:.4g}",
                "n/a" if imp["value"] is None else f"{imp['value']:.2f}"]  # fmt: skip
        if g is None:
            rows.append([*head, "-", "-", "-", x.get("note") or "n/a"])
            continue
        left = g.get("seeds_left_out") or []
        rows.append([
            *head,
            pm({"mean": g["default_mean"], "se": g["default_se"]}),
            pm({"mean": g["tuned_mean"], "se": g["tuned_se"]}),
            pm({"mean": g["gap"], "se": g["gap_se"]})
            + (f" (seed {', '.join(map(str, left))} left out)" if left else ""),
            g["verdict"],
        ])  # fmt: skip
    return table_lines(
        [
            "parameter",
            "default (alpha: the course's)",
            "tuned",
            "fANOVA",
            "val cost at default",
            "tuned",
            "gap",
            "report verdict",
        ],
        rows,
    )


def _decay(r: dict) -> list[str]:
    rows = [
        [
            x["optimizer"],
            f"{x['off_alpha']:g}",
            f"{x['on_alpha']:g}, rate {x['on_rate']:g}",
            pm(x["off"]),
            pm(x["on"]),
            pm(x["difference"]),
            pm(x["off_wander"]),
            pm(x["on_wander"]),
            "yes" if x["helps"] else "no",
        ]
        for x in r["rows"]
    ]
    return [
        "Wander: the standard deviation of the validation cost over the last 20% of the epochs "
        "(how much it still moves at the end); reported, not judged.",
        "",
        *table_lines(
            [
                "optimizer",
                "alpha, no decay",
                "alpha, decay",
                "final val cost, no decay",
                "with decay",
                "decay - none",
                "wander, no decay",
                "with decay",
                "helps",
            ],
            rows,
        ),
    ]


def _normalize(r: dict) -> list[str]:
    rows = []
    for x in r["rows"]:
        for name in ("normalized", "raw"):
            largest = x["largest_alpha"][name]
            rows.append(
                [
                    x["optimizer"],
                    name,
                    f"{x['tuned_alpha'][name]:g}",
                    "none" if largest is None else f"{largest:g}",
                    pm(x["epochs"][name]),
                    str(x["missed"][name]),
                    pm(x["final"][name]),
                ]
            )
    return [
        f"Target: validation cost below {r['target']}; budget {r['budget']} epochs. 'Largest "
        "alpha that learns': the largest grid alpha whose trial ended below the cost of "
        f"guessing the class frequencies ({r['prior_cost']:.3f}).",
        "",
        *table_lines(
            [
                "optimizer",
                "inputs",
                "tuned alpha",
                "largest alpha that learns",
                "epochs to target",
                "missed",
                "final val cost",
            ],
            rows,
        ),
    ]


def _batch_size(r: dict) -> list[str]:
    rows = [
        [
            str(x["batch_size"]),
            x["kind"],
            f"{x['alpha']:g}",
            pm(x["epochs"]),
            pm(x["steps"]),
            pm(x["cpu_seconds"]),
            per_seed(x["cpu_seconds"], x.get("dead")),
            pm(x["wall_seconds"]),
            str(x["missed"]),
            pm(x["noise"]),
        ]
        for x in r["rows"]
    ]
    return [
        f"{r['train_rows']} training rows; target: validation cost below {r['target']}.",
        "",
        *table_lines(
            [
                "batch size",
                "kind",
                "alpha",
                "epochs to target",
                "steps",
                "CPU seconds",
                "per seed (* learned nothing)",
                "wall seconds",
                "missed",
                "noise",
            ],
            rows,
        ),
    ]


SECTIONS = {
    "adam-faster": _adam_faster,
    "momentum-negligible": _momentum,
    "adam-defaults": _adam_defaults,
    "decay": _decay,
    "normalize": _normalize,
    "batch-size": _batch_size,
}
